"""Reports for people and CI: --format text, json and markdown after
--once, --show of an existing status file, and certificate-expiry
warnings (in the status, once in the log, without changing the state)."""

import json
import os
import re
import signal
import subprocess
import time

import lhtest
from lhtest import check, check_eq, check_in, serve, test, Daemon

FAST = {"timeout": "5s", "connect_timeout": "2s", "retries": 0}


def mixed_site():
    srv = serve({"/ok": 200, "/gone": 404,
                 "/old": {"status": 301, "headers": {"Location": "/new"}},
                 "/new": 200})
    urls = [(srv.url("/ok"), "Fine | Org"), (srv.url("/gone"), "Dead *Org*"),
            (srv.url("/old"), "Moved <b>Org</b>")]
    return srv, urls


def show(*args):
    return subprocess.run([lhtest.binary(), "--show"] + list(args),
                          capture_output=True, text=True, timeout=30)


@test
def markdown_puts_bad_links_first_with_the_fix():
    srv, urls = mixed_site()
    conf = dict(FAST, directory=lhtest.write_list_directory(urls))
    r = lhtest.run_once(conf, ["--format", "markdown"])
    check_eq(1, r.returncode, "exit code (stderr %s)" % r.stderr[-300:])
    # The verdicts are the report's; stderr is for what went wrong with
    # the run, and nothing did.
    check_eq("", r.stderr, "stderr")
    rows = [l for l in r.stdout.splitlines() if l.startswith("| ")]
    check_eq(4, len(rows), "header and three rows in %r" % r.stdout)
    if len(rows) == 4:
        check(rows[1].startswith("| **stale** | Dead \\*Org\\*"),
              "the stale link first, escaped: %r" % rows[1])
        check(rows[2].startswith("| **moved** | Moved &lt;b&gt;Org&lt;/b&gt;"),
              "then the moved one, escaped: %r" % rows[2])
        check_in("change the link to <%s>" % srv.url("/new"), rows[2],
                 "the fix for the moved link")
        check(rows[3].startswith("| ok | Fine \\| Org |"),
              "the ok link last, its pipe escaped: %r" % rows[3])
        # Every row has the header's six cells (no pipe leaked).
        for row in rows:
            cells = re.split(r"(?<!\\)\|", row)[1:-1]
            check_eq(6, len(cells), "cells in %r" % row)
    check(r.stdout.startswith("### Link check: 2 of 3 links need attention"),
          "title: %r" % r.stdout[:80])


@test
def json_is_the_status_document():
    srv, urls = mixed_site()
    conf = dict(FAST, directory=lhtest.write_list_directory(urls))
    r = lhtest.run_once(conf, ["--format", "json"])
    check_eq(1, r.returncode, "exit code")
    try:
        doc = json.loads(r.stdout)
    except ValueError as e:
        doc = None
        check(False, "stdout is JSON: %s" % e)
    if doc is not None:
        written = r.status or {}
        for key in ("version", "summary", "links", "directory", "shard"):
            check_eq(written.get(key), doc.get(key),
                     "%s as in the status file" % key)


@test
def text_is_the_default_and_format_is_checked():
    srv, urls = mixed_site()
    conf = dict(FAST, directory=lhtest.write_list_directory(urls))
    a = lhtest.run_once(conf)
    b = lhtest.run_once(conf, ["--format", "text"])
    strip = lambda s: re.sub(r"\d+ ms|\(\d+\.\d s\)", "", s)
    check_eq(strip(a.stdout), strip(b.stdout), "text is the default")
    check_in("STALE (1)", a.stdout, "the text report")
    r = lhtest.run_once(conf, ["--format", "yaml"])
    check_eq(2, r.returncode, "an unknown format")
    check_in('"yaml" is not text, json or markdown', r.stderr, "message")
    p = subprocess.run([lhtest.binary(), "--format", "json", "-c",
                        r.conf_path], capture_output=True, text=True,
                       timeout=30)
    check_eq(2, p.returncode, "--format without --once or --show")


@test
def show_reports_a_status_file_without_checking():
    srv, urls = mixed_site()
    conf = dict(FAST, directory=lhtest.write_list_directory(urls))
    r = lhtest.run_once(conf, ["--format", "markdown"])
    before = len(srv.requests())
    p = show(r.status_path, "--format", "markdown")
    check_eq(1, p.returncode, "exit code of a file with a bad link")
    strip = lambda s: re.sub(r"\(\d+\.\d s\)", "", s)
    check_eq(strip(r.stdout), strip(p.stdout),
             "the same markdown as the run that wrote it")
    p = show(r.status_path)
    check_in("STALE (1)", p.stdout, "a text report")
    check_in("fix: change the link to %s" % srv.url("/new"), p.stdout,
             "the moved link's fix")
    check_in("404", p.stdout, "the HTTP status from the file")
    p = subprocess.run([lhtest.binary(), "-c", r.conf_path, "-o",
                        r.status_path, "--show", "--format", "json"],
                       capture_output=True, text=True, timeout=30)
    check_eq(1, p.returncode, "exit with the configured file")
    with open(r.status_path) as f:
        check_eq(f.read(), p.stdout, "json is the file as it is")
    check_eq(before, len(srv.requests()), "--show sent no request")
    # All good: exit 0.  Missing or foreign file: exit 2 naming it.
    ok = dict(FAST, directory=lhtest.write_list_directory([urls[0]]))
    r2 = lhtest.run_once(ok)
    check_eq(0, show(r2.status_path).returncode, "all ok")
    missing = os.path.join(lhtest.tmpdir(), "none.json")
    p = show(missing)
    check_eq(2, p.returncode, "missing file")
    check_in(missing + ": No such file or directory", p.stderr, "message")
    foreign = os.path.join(lhtest.tmpdir(), "foreign.json")
    with open(foreign, "w") as f:
        f.write('{"hello": "world"}')
    p = show(foreign)
    check_eq(2, p.returncode, "foreign file")
    check_in("not a linkhealthd status file", p.stderr, "message")


def tls_site(certname):
    srv = serve({"/": 200}, tls=lhtest.cert(certname))
    return srv, srv.url("/", "site.lh.test")


@test(deadline=90)
def certificate_expiry_warns_once_without_changing_the_state():
    soon, url = tls_site("soon")
    d = Daemon(dict(FAST, directory=lhtest.write_list_directory([url]),
                    resolve=soon.resolve("site.lh.test"),
                    ca_file=lhtest.ca_file(), interval="200ms", jitter=0))
    s = d.wait_status(lambda s: s["cycle"]["number"] >= 4)
    check(s is not None, "four cycles (log: %s)" % d.output()[-400:])
    link = (s or {"links": [{}]})["links"][0]
    check_eq("ok", link.get("state"), "state stays ok")
    warnings = link.get("warnings") or []
    check_eq(1, len(warnings), "one warning in %r" % warnings)
    if warnings:
        check(re.match(r"certificate expires in [45] days \(\d{4}-", 
                       warnings[0]) is not None, "text: %r" % warnings[0])
    check(link.get("cert_expires_at") is not None, "cert_expires_at")
    log = d.output()
    lines = [l for l in log.splitlines() if "certificate expires" in l]
    check_eq(1, len(lines), "one warning line over four cycles: %r" % lines)
    if lines:
        check_in(url, lines[0], "the line names the URL")
        check_in("(cert_warn_days 14)", lines[0], "and the setting")
    d.check_stop()
    # A restart resumes the warning: no second line.
    d2 = Daemon(dict(FAST, directory=lhtest.write_list_directory([url]),
                     resolve=soon.resolve("site.lh.test"),
                     ca_file=lhtest.ca_file(), interval="200ms", jitter=0),
                status_path=d.status_path)
    check(lhtest.wait_for(lambda: "cycle 2:" in d2.output(), timeout=30),
          "the restarted daemon cycles")
    check_eq([], [l for l in d2.output().splitlines()
                  if "certificate" in l], "no new certificate line")
    d2.check_stop()


@test(deadline=90)
def a_renewed_certificate_is_noticed_once():
    soon, url = tls_site("soon")
    good = serve({"/": 200}, tls=lhtest.cert("server"))
    folder = lhtest.tmpdir()
    directory = lhtest.write_list_directory([url])
    base = dict(FAST, directory=directory, ca_file=lhtest.ca_file(),
                interval="200ms", jitter=0, allow_private="yes")
    d = Daemon(dict(base, resolve=soon.resolve("site.lh.test")))
    check(d.wait_status(lambda s: s["cycle"]["number"] >= 2) is not None,
          "cycles with the certificate that expires soon")
    # The same name now reaches a server with a long-lived certificate.
    port = url.split(":")[2].split("/")[0]
    with open(d.conf_path, "w") as f:
        f.write(lhtest.config_text(dict(
            base, resolve=soon.resolve("site.lh.test"),
            connect_to="site.lh.test:%s:127.0.0.1:%d" % (port, good.port))))
    d.proc.send_signal(signal.SIGHUP)
    d.wait_log("SIGHUP: reloading " + d.conf_path)
    s = d.wait_status(lambda s: s["links"][0].get("warnings") == [] and
                      s["cycle"]["number"] >= 4)
    check(s is not None, "the warning clears (log: %s)" % d.output()[-400:])
    log = d.output()
    check_eq(1, log.count("the certificate was renewed"), "one notice: " + log[-800:])
    check_eq(1, log.count("certificate expires at"), "one warning")
    d.check_stop()


@test
def cert_warn_days_zero_turns_warnings_off():
    soon, url = tls_site("soon")
    r = lhtest.run_once(dict(FAST, directory=lhtest.write_list_directory(
        [url]), resolve=soon.resolve("site.lh.test"),
        ca_file=lhtest.ca_file(), cert_warn_days=0))
    check_eq(0, r.returncode, "exit code (stderr %s)" % r.stderr[-300:])
    link = r.link(url) or {}
    check_eq([], link.get("warnings"), "no warnings")
    check(link.get("cert_expires_at") is not None, "expiry still recorded")
    r = lhtest.run_once(dict(FAST, directory=lhtest.write_list_directory(
        [url]), resolve=soon.resolve("site.lh.test"),
        ca_file=lhtest.ca_file(), cert_warn_days=3))
    check_eq([], (r.link(url) or {}).get("warnings"), "outside 3 days")



@test
def once_writes_a_status_file_only_where_one_is_named():
    """--once without -o and without status_file in its configuration
    (or with no configuration file, -d alone) writes no status file and
    says nothing of one: the default path is the service's.  With
    status_file in the file, it writes there."""
    srv = serve({"/ok": 200})
    directory = lhtest.write_list_directory([srv.url("/ok")])
    default = "/var/lib/linkhealthd/status.json"
    before = os.stat(default).st_mtime_ns if os.path.exists(default) else None
    folder = lhtest.tmpdir()
    conf = lhtest.write_config(dict(FAST, directory=directory), folder)
    with open(conf) as f:
        check("status_file" not in f.read(), "the file names no status_file")
    r = subprocess.run([os.path.abspath(lhtest.binary()), "--once", "-c",
                        conf], capture_output=True, text=True, timeout=60,
                       cwd=folder, env=lhtest.clean_env(None))
    check_eq(0, r.returncode, "exit code (stderr %r)" % r.stderr[-300:])
    check_eq("", r.stderr, "nothing said of a status file")
    check_in("1 links: 1 ok", r.stdout, "the report")
    after = os.stat(default).st_mtime_ns if os.path.exists(default) else None
    check_eq(before, after, "the service's status file untouched")
    check_eq(["linkhealthd.conf"], sorted(os.listdir(folder)),
             "nothing written beside the configuration (the cwd)")
    # The same with no configuration file at all: -d alone.
    bare = lhtest.tmpdir()
    listing = os.path.join(bare, "list.txt")
    with open(directory) as f, open(listing, "w") as g:
        g.write(f.read())
    r = subprocess.run([os.path.abspath(lhtest.binary()), "--once",
                        "--allow-private", "-d", "list.txt"],
                       capture_output=True, text=True, timeout=60,
                       cwd=bare, env=lhtest.clean_env(None))
    check_eq(0, r.returncode, "exit code of -d alone (stderr %r)"
             % r.stderr[-300:])
    check_eq("", r.stderr, "-d alone: nothing said of a status file")
    check_in("1 links: 1 ok", r.stdout, "-d alone: the report")
    check_eq(["list.txt"], sorted(os.listdir(bare)), "-d alone: nothing "
             "written beside the list (the cwd)")
    named = os.path.join(folder, "named.json")
    conf2 = lhtest.write_config(dict(FAST, directory=directory,
                                     status_file=named), lhtest.tmpdir())
    r = subprocess.run([lhtest.binary(), "--once", "-c", conf2],
                       capture_output=True, text=True, timeout=60,
                       env=lhtest.clean_env(None))
    check_eq(0, r.returncode, "exit code with status_file (stderr %r)"
             % r.stderr[-300:])
    check(os.path.exists(named), "status_file named in the file is written")

if __name__ == "__main__":
    lhtest.main()
