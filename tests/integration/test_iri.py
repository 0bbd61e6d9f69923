"""International addresses (issue 17): Unicode host names in every
directory format, in the config's directory URL and in Location headers
are requested in A-labels; non-ASCII paths, spaces and stray '%' are
percent-encoded exactly once; people read the address as it was written;
a host whose label mixes scripts is warned about.  Names are mapped to
127.0.0.1 with the config's resolve key, written in either form, or by
a hosts file of a mount namespace of the test's own (once_with_hosts)."""

import json
import os
import subprocess

import lhtest
from lhtest import check, check_eq, check_in, serve, test

FAST = {"timeout": "5s", "connect_timeout": "2s", "retries": 0}

REIE = "\u4f8b\u3048.lh.test"          # 例え.lh.test
REIE_ACE = "xn--r8jz45g.lh.test"
NIHON = "\u65e5\u672c"                  # 日本
NIHON_PCT = "%E6%97%A5%E6%9C%AC"


def write(name, text):
    path = os.path.join(lhtest.tmpdir(), name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def hosts_seen(srv):
    return [h for _, _, h in srv.stats()["log"]]


def targets_seen(srv):
    return [t for _, t, _ in srv.stats()["log"]]


def html_dir(url, name):
    return ("<html><body><h2>Asia</h2><ul><li><a href=\"%s\">%s</a> "
            "Teachers.</li></ul></body></html>\n" % (url, name))


def directory_in(fmt, url, name):
    if fmt == "html":
        return write("d.html", html_dir(url, name))
    if fmt == "json":
        return write("d.json", json.dumps({
            "title": {"rendered": "Networks"},
            "content": {"rendered": html_dir(url, name)}}))
    if fmt == "markdown":
        return write("d.md", "# Networks\n\n## Asia\n\n- [%s](%s) - "
                     "Teachers.\n" % (name, url))
    return write("d.txt", "%s %s\n" % (url, name))


@test
def an_idn_host_is_requested_in_a_labels_in_every_format():
    for fmt, resolve_form in (("html", REIE), ("json", REIE_ACE),
                              ("list", REIE), ("markdown", REIE_ACE)):
        srv = serve({"/": 200})
        url = srv.url("/", REIE)
        conf = dict(FAST, directory=directory_in(fmt, url, "Rei"),
                    resolve=srv.resolve(resolve_form))
        r = lhtest.run_once(conf)
        link = r.link(url)
        check(link is not None, "%s: the link as listed (%r)"
              % (fmt, [l.get("url") for l in r.links]))
        if link is None:
            continue
        check_eq("ok", link["state"], "%s: state (%s)"
                 % (fmt, link.get("reason")))
        check_eq(srv.url("/", REIE_ACE), link.get("request_url"),
                 "%s: request_url" % fmt)
        check_eq([REIE_ACE], sorted(set(hosts_seen(srv))),
                 "%s: the Host the server saw" % fmt)
        check("bad URL" not in r.stderr, "%s: no bad URL: %s"
              % (fmt, r.stderr[-300:]))


@test
def both_forms_of_one_host_are_one_link_and_one_host():
    srv = serve({"/": 200})
    urls = [srv.url("/", REIE), srv.url("/", REIE_ACE)]
    conf = dict(FAST, directory=lhtest.write_list_directory(urls),
                resolve=srv.resolve(REIE))
    r = lhtest.run_once(conf)
    check_eq([urls[0]], [l["url"] for l in r.links], "one link, the first")
    check_in("is already listed", r.stderr, "the second is a duplicate")


@test
def both_forms_share_one_hosts_limit_and_guard():
    # Links to one host written in either form are one host for the
    # per-host cap: one request at a time.  Control: another name on the
    # same server is another host, so two go at once.  And the private-
    # address guard refuses the name in both forms, whichever form the
    # resolve entry (or allow_networks) was written in.
    srv = serve({"/": {"status": 200, "prefix": True, "delay": 0.3}})
    other = "other.lh.test"
    urls = [srv.url("/a", REIE), srv.url("/b", REIE_ACE),
            srv.url("/c", REIE)]
    for extra, most in (([], 1), ([srv.url("/d", other)], 2)):
        srv.reset_stats()
        conf = dict(FAST, directory=lhtest.write_list_directory(urls + extra),
                    resolve=srv.resolve(REIE_ACE, other), concurrency=4,
                    per_host_concurrency=1, content_checks="no")
        r = lhtest.run_once(conf)
        check_eq(["ok"] * len(urls + extra), [l["state"] for l in r.links],
                 "states (%s)" % r.stderr[-300:])
        check_eq(most, srv.stats(log=False)["max_active_requests"],
                 "requests at once, %d other host(s)" % len(extra))
    conf = dict(FAST, directory=lhtest.write_list_directory(urls[:2]),
                resolve=srv.resolve(REIE), allow_private="no")
    r = lhtest.run_once(conf)
    for l in r.links:
        check_in("private address 127.0.0.1", l.get("reason") or "",
                 "the guard on %s" % l["url"])


def once_with_hosts(conf, hosts):
    """--once in a mount namespace of its own whose /etc/hosts is hosts
    (the names as lines of it): the name is looked up as a resolver of
    the machine would, not given by a resolve entry.  A name the file
    lacks goes to dns_servers, a closed port on 127.0.0.1: nothing
    leaves the machine."""
    p = subprocess.run(["unshare", "-m", "true"], capture_output=True,
                       text=True)
    if p.returncode != 0:
        raise RuntimeError("unshare -m failed (%s): this test needs root "
                           "(a mount namespace of its own)" % p.stderr.strip())
    folder = lhtest.tmpdir()
    path = os.path.join(folder, "hosts")
    with open(path, "w") as f:
        f.write(hosts)
    wrap = os.path.join(folder, "with-hosts.sh")
    with open(wrap, "w") as f:
        f.write('#!/bin/sh\nmount --bind "%s" /etc/hosts && exec "$@"\n'
                % path)
    os.chmod(wrap, 0o755)
    with lhtest.wrapped("unshare -m " + wrap):
        return lhtest.run_once(dict(
            conf, dns_servers="127.0.0.1:%d" % lhtest.closed_port()))


@test
def an_idn_host_is_looked_up_by_its_a_label_in_a_hosts_file():
    # No resolve entry: the A-label is what the hosts file is asked for
    # (c-ares reads it before any DNS server), and the link is ok.
    # Control: a hosts file without the name leaves the link unchecked
    # (no DNS server answers: no verdict), so the file is what answered.
    srv = serve({"/" + NIHON_PCT: 200})
    url = srv.url("/" + NIHON, REIE)
    conf = dict(FAST, directory=lhtest.write_list_directory([url]),
                content_checks="no")
    for hosts, state in (("127.0.0.1 %s\n" % REIE_ACE, "ok"),
                         ("127.0.0.1 other.lh.test\n", "unknown")):
        r = once_with_hosts(conf, hosts)
        check_eq([state], [l["state"] for l in r.links],
                 "state with hosts %r (stderr: %s)" % (hosts, r.stderr[-300:]))
        if state == "ok":
            check_eq([REIE_ACE], hosts_seen(srv), "the Host header")
            check_eq(["/" + NIHON_PCT], targets_seen(srv), "the path asked")
            check_eq(url, r.links[0]["url"], "url as written")


@test
def the_config_directory_url_may_have_an_idn_host():
    site = serve({"/": 200})
    listing = "%s Rei\n" % site.url("/", REIE)
    dsrv = serve({"/d.txt": {"status": 200, "body": listing}})
    conf = dict(FAST, directory=dsrv.url("/d.txt", "\u76ee\u9332.lh.test"),
                resolve=dsrv.resolve("\u76ee\u9332.lh.test") +
                site.resolve(REIE))
    r = lhtest.run_once(conf)
    check_eq(0, r.returncode, "exit code (%s)" % r.stderr[-300:])
    check_eq(["xn--i0yy61d.lh.test"], hosts_seen(dsrv),
             "the directory fetched by its A-label")
    check_eq(["ok"], [l["state"] for l in r.links], "its link checked")


@test
def a_host_that_is_no_idn_is_refused_with_its_reason():
    srv = serve({"/": 200})
    bad = srv.url("/", "-\u00e9.lh.test")
    conf = dict(FAST, directory=lhtest.write_list_directory(
        [bad, srv.url("/")]))
    r = lhtest.run_once(conf)
    check_in("host name is not a valid internationalized domain name",
             r.stderr, "the warning")
    check("bad URL" not in r.stderr, "not 'bad URL': %s" % r.stderr)
    check(r.link(bad) is None, "not a link")
    # The config says so too, naming the line.
    r = lhtest.run_once(dict(FAST, directory=bad))
    check_eq(2, r.returncode, "a bad config (%s)" % r.stderr)
    check_in("host name is not a valid internationalized domain name",
             r.stderr, "config error")


@test
def an_idn_redirect_target_is_followed_and_shown_as_written():
    srv = serve({
        "/old": {"status": 301, "headers": {
            # Raw UTF-8 in the header, as some servers send it.
            "Location": ("http://%s:{port}/new" % REIE).encode(
                "utf-8").decode("latin-1")}},
        "/same": {"status": 301, "headers": {
            "Location": "http://%s:{port}/same/" % REIE_ACE}},
        "/same/": 200, "/new": 200,
        "/badidn": {"status": 301, "headers": {
            "Location": "http://-\u00e9.lh.test:{port}/".encode(
                "utf-8").decode("latin-1")}}})
    srv.vars["port"] = srv.port
    old, same = srv.url("/old", REIE_ACE), srv.url("/same", REIE)
    badidn = srv.url("/badidn")
    conf = dict(FAST, directory=lhtest.write_list_directory(
        [old, same, badidn]), resolve=srv.resolve(REIE_ACE))
    r = lhtest.run_once(conf)
    link = r.link(old) or {}
    new = srv.url("/new", REIE)
    check_eq("moved", link.get("state"), "moved (%s)" % link.get("reason"))
    check_eq(new, link.get("new_url"), "the fix in U-labels")
    check_in(new, link.get("reason") or "", "the reason shows U-labels")
    check_in(REIE_ACE, hosts_seen(srv),
             "the target asked by its A-label")
    link = r.link(same) or {}
    check_eq("ok", link.get("state"),
             "the same resource in the other form (%s)" % link.get("reason"))
    link = r.link(badidn) or {}
    check_eq("error", link.get("state"), "a bad IDN target")
    check_in("host name is not a valid internationalized domain name",
             link.get("reason") or "", "its reason")
    check_eq("bad-idn", link.get("failure"), "its failure")


@test
def paths_are_percent_encoded_exactly_once():
    srv = serve({"/" + NIHON_PCT: 200, "/%E6%8E%88": 200,
                 "/50%25%20off/a%20b": 200, "/q": 200})
    japanese = srv.url("/" + NIHON)
    encoded = srv.url("/%E6%8E%88")
    spaces = srv.url("/50% off/a b")
    query = srv.url("/q?k=" + NIHON + "#frag")
    # Spaces cannot be in a plain list's URL: an HTML directory.
    html = "<ul>%s</ul>" % "".join(
        "<li><a href=\"%s\">Org %d</a></li>" % (u, i)
        for i, u in enumerate([japanese, encoded, spaces, query]))
    r = lhtest.run_once(dict(FAST, directory=write("d.html", html)))
    for u, want in ((japanese, srv.url("/" + NIHON_PCT)),
                    (encoded, encoded),
                    (spaces, srv.url("/50%25%20off/a%20b")),
                    (query, srv.url("/q?k=" + NIHON_PCT))):
        link = r.link(u) or {}
        check_eq("ok", link.get("state"), "%s: %s" % (u, link.get("reason")))
        check_eq(want, link.get("request_url"), "%s: request_url" % u)
    seen = targets_seen(srv)
    for t in ("/" + NIHON_PCT, "/%E6%8E%88", "/50%25%20off/a%20b",
              "/q?k=" + NIHON_PCT):
        check_in(t, seen, "asked once-encoded")
    check(not any("%25E6" in t or "#" in t for t in seen),
          "nothing encoded twice, no fragment sent: %r" % seen)


@test
def reports_show_the_address_as_written():
    srv = serve({"/" + NIHON_PCT: 404, "/ok": 200})
    gone = srv.url("/" + NIHON, REIE)
    conf = dict(FAST, directory=lhtest.write_list_directory(
        [(gone, "Gone"), (srv.url("/ok", REIE), "Fine")]),
        resolve=srv.resolve(REIE))
    for fmt in ("text", "markdown"):
        r = lhtest.run_once(conf, ["--format", fmt])
        check_in(gone, r.stdout, "%s report: as written" % fmt)
        check(REIE_ACE not in r.stdout and NIHON_PCT not in r.stdout,
              "%s report: no request form: %r" % (fmt, r.stdout))
    link = r.link(gone) or {}
    check_eq(srv.url("/" + NIHON_PCT, REIE_ACE), link.get("request_url"),
             "the status keeps the request form")
    check_eq("stale", link.get("state"), "the 404")


@test
def a_host_that_mixes_scripts_is_warned_about():
    srv = serve({"/": 200})
    mixed = srv.url("/", "\u0430pple.lh.test")          # Cyrillic а
    controls = [srv.url("/", "\u043f\u0440\u0438\u043c\u0435\u0440.lh.test"),
                srv.url("/", REIE), srv.url("/", "web2day.lh.test")]
    names = ["\u0430pple.lh.test", "\u043f\u0440\u0438\u043c\u0435\u0440"
             ".lh.test", REIE, "web2day.lh.test"]
    conf = dict(FAST, directory=lhtest.write_list_directory(
        [mixed] + controls), resolve=srv.resolve(*names))
    r = lhtest.run_once(conf)
    link = r.link(mixed) or {}
    check_eq("ok", link.get("state"), "the verdict is unchanged")
    check(any("mixes scripts (Cyrillic, Latin)" in w
              for w in link.get("warnings") or []),
          "a warning in the status: %r" % link.get("warnings"))
    check_in("\u0430pple.lh.test\" mixes scripts", r.stderr,
             "a warning in the log")
    for u in controls:
        link = r.link(u) or {}
        check_eq("ok", link.get("state"), "%s: ok" % u)
        check_eq([], link.get("warnings"), "%s: not warned" % u)
    check_eq(1, r.stderr.count("mixes scripts"), "one warning: %s"
             % r.stderr)


if __name__ == "__main__":
    lhtest.main()
