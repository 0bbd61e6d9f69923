"""No page freezes the daemon (issue 13): pages that would hold libxml2's
HTML parser for minutes are refused at once with an error naming the
line; the parse runs off the event loop, so signals are answered while
it runs, and a stop or a reload cuts it short; bytes that did not change
are not parsed again."""

import os
import signal
import subprocess
import time

import lhtest
from lhtest import Daemon, check, check_eq, check_in, serve, test

BASE = {"interval": "1h", "jitter": 0, "timeout": "3s",
        "connect_timeout": "2s", "retries": 0, "log_level": "debug"}
MiB = 1024 * 1024


def write_page(body, name="directory.html"):
    path = os.path.join(lhtest.tmpdir(), name)
    with open(path, "w") as f:
        f.write(body)
    return path


def org(url="https://org.example/"):
    return '<h2>Region</h2>\n<p><a href="%s">Org</a> what it does</p>\n' % url


def nested_then_stray(size):
    """Nested <div>s then stray </span>s: 223 s for libxml2 at 4 MB."""
    half = size // 2
    return org() + "<div>" * (half // 5) + "\n" + "</span>" * (half // 7)


def wide_tags(size, natts=256, url="https://org.example/"):
    """Tags of natts attributes each, size bytes of them."""
    tag = "<p %s>x</p>\n" % " ".join("a%d" % i for i in range(natts))
    return org(url) + tag * ((size - 200) // len(tag))


def check_config(path, **kw):
    """linkhealthd --check-config over the directory path: (rc, stderr,
    seconds)."""
    conf = lhtest.write_config(dict(BASE, directory=path, **kw))
    start = time.monotonic()
    p = subprocess.run([lhtest.binary(), "--check-config", "-c", conf],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=120, env=lhtest.clean_env())
    return p.returncode, p.stderr, time.monotonic() - start


@test(deadline=120)
def hostile_pages_are_refused_at_once():
    # 8 MiB less a little, within directory_max_bytes: each held libxml2
    # for minutes.  10 s is for a noisy machine: they take about one.
    size = 8 * MiB - 4096
    cases = [
        ("stray end tags", nested_then_stray(size),
         "directory.html:4: ", "end tags that close no open element or "
         "not the innermost one"),
        ("a tag of a million attributes", org() + "<p " +
         " ".join("a%d" % i for i in range(size // 8)) + ">x</p>",
         "directory.html:3: ",
         "a tag with more than 256 attributes; refused"),
    ]
    for what, body, where, why in cases:
        path = write_page(body)
        r = lhtest.run_once(dict(BASE, directory=path), timeout=60)
        check(not r.timed_out, "%s: --once still running after 60 s" % what)
        check(r.duration < 10, "%s: refused in %.1f s, not under 10"
              % (what, r.duration))
        check_eq(2, r.returncode, "%s: exit status" % what)
        check_in(where, r.stderr, "%s: the line" % what)
        check_in(why, r.stderr, "%s: the reason" % what)

    # Look-alikes that a real page may be: deep but well-formed, a few
    # hundred stray end tags, 200 attributes on a tag.
    controls = [
        ("deep, closed", org() + "<div>" * 100000 + "</div>" * 100000),
        ("stray end tags under a usual depth",
         org() + "<div>" * 12 + "</span></b>" * 500),
        ("200 attributes", wide_tags(MiB, natts=200)),
    ]
    for what, body in controls:
        rc, err, _ = check_config(write_page(body))
        check_eq(0, rc, "%s: --check-config exit status (%s)" % (what,
                                                                  err[-300:]))


@test(deadline=120)
def the_time_budget_stops_a_slow_parse():
    # Within every limit, but about 2 s of work per 8 MiB for libxml2.
    path = write_page(wide_tags(8 * MiB))
    rc, err, took = check_config(path, directory_parse_timeout="100ms")
    check_eq(2, rc, "exit status")
    check_in("directory.html: the parse took longer than 0.1 s "
             "(directory_parse_timeout) and was stopped", err, "the error")
    check(took < 10, "stopped after %.1f s" % took)
    # Control: time enough.
    rc, err, _ = check_config(path, directory_parse_timeout="60s")
    check_eq(0, rc, "with 60 s: exit status (%s)" % err[-300:])


def slow_daemon(**kw):
    """A daemon whose first parse takes seconds (24 MiB of 256-attribute
    tags, allowed a minute), once the log says it began."""
    path = write_page(wide_tags(24 * MiB))
    d = Daemon(dict(BASE, directory=path, directory_max_bytes="32M",
                    directory_parse_timeout="60s", **kw))
    d.wait_log("directory.html: parsing ")
    return d


@test(deadline=120)
def signals_are_answered_while_parsing():
    d = slow_daemon()
    # The loop is free: SIGUSR1 is answered before the parse ends.
    d.proc.send_signal(signal.SIGUSR1)
    d.wait_log("SIGUSR1: a cycle is running; ignored")
    lines = d.output().splitlines()
    check(not any("bytes parsed in" in l for l in lines),
          "SIGUSR1 was answered only after the parse: %s"
          % lhtest._short(lines[-4:]))
    start = time.monotonic()
    rc = d.stop(signal.SIGTERM, timeout=10)
    took = time.monotonic() - start
    check_eq(0, rc, "exit status after SIGTERM")
    check(took < 5, "stopped %.1f s after SIGTERM" % took)
    out = d.output()
    check(out.rstrip().endswith("stopped"), "\"stopped\" logged last")
    check_in("parse cancelled", out, "the parse was cut short")
    check("bytes parsed in" not in out, "no parse ran to its end")


@test(deadline=120)
def a_reload_cuts_the_parse_short_and_parses_again():
    d = slow_daemon()
    d.proc.send_signal(signal.SIGHUP)
    d.wait_log("parse cancelled")
    # The reload's cycle parses again, to the end this time.
    d.wait_log("directory.html: parsing ", count=2)
    d.wait_log("bytes parsed in", timeout=60)
    check_eq(0, d.stop(signal.SIGTERM), "exit status after SIGTERM")


@test(deadline=90)
def unchanged_bytes_are_parsed_once():
    srv = serve({"/": {"status": 200, "prefix": True}})
    good = write_page(org(srv.url("/a")), "good.html")
    bad = write_page(nested_then_stray(MiB), "bad.html")
    for path, outcome in ((good, "bytes parsed in"),
                          (bad, "end tags that close no open element")):
        d = Daemon(dict(BASE, directory=path, interval="300ms"))
        s = d.wait_status(lambda s: s.get("cycle", {}).get("number", 0) >= 4)
        check(s is not None, "%s: 4 cycles" % path)
        out = d.output()
        name = os.path.basename(path)
        check_eq(1, out.count("%s: parsing " % name),
                 "%s: parses in 4 cycles" % name)
        check_in(outcome, out, "%s: the outcome" % name)
        check(out.count("not parsed again") >= 3,
              "%s: \"not parsed again\" in cycles 2 to 4" % name)
        # Control: bytes that change are parsed again.
        with open(path, "a") as f:
            f.write("\n<!-- changed -->\n")
        d.wait_log("%s: parsing " % name, count=2)
        d.check_stop()


def page(body):
    return {"status": 200, "body": body,
            "headers": {"Content-Type": "text/html; charset=utf-8"}}


@test(deadline=120)
def hostile_linked_pages_are_read_up_to_the_trouble():
    # The content checks read linked pages with the same parser: with
    # max_body_bytes at its largest, each of these held it for minutes.
    # They are read up to where the trouble starts, and what was read
    # before stands (the title that says not found).
    size = 6 * MiB
    lab = "<title>Coastal Ecology Lab</title>"
    gone = "<title>Page not found</title>"
    crowd = "<p " + " ".join("a%d" % i for i in range(size // 8)) + ">x</p>"
    sloppy = "<div>" * 2000 + "</span>" * 300
    srv = serve({"/stray": page(lab + nested_then_stray(size)),
                 "/stray-gone": page(gone + nested_then_stray(size)),
                 "/crowd": page(lab + crowd + "<h1>Page not found</h1>"),
                 # Look-alikes, read to the end: 256 attributes, a few
                 # hundred stray end tags.
                 "/wide": page(lab + wide_tags(MiB) + "<h1>Page not "
                               "found</h1>"),
                 "/sloppy": page(lab + sloppy + "<h1>Page not found</h1>"),
                 "*": {"status": 404, "body": "<title>404</title>"}})
    want = {"/stray": ("ok", None), "/stray-gone": ("stale", "Page not "
            "found"), "/crowd": ("ok", None), "/wide": ("stale", "Page "
            "not found"), "/sloppy": ("stale", "Page not found")}
    urls = [srv.url(p) for p in want]
    r = lhtest.run_once(dict(BASE, directory=lhtest.write_list_directory(
        urls), content_checks="yes", max_body_bytes="16MiB"), timeout=90)
    check(not r.timed_out, "--once still running after 90 s")
    check(r.duration < 30, "pages read in %.1f s, not under 30 (about "
          "one on an idle machine)" % r.duration)
    for path, (state, said) in want.items():
        link = r.link(srv.url(path)) or {}
        check_eq(state, link.get("state"), "state of %s (%s)"
                 % (path, link.get("reason")))
        if said is not None:
            check_in('the page says "%s"' % said, link.get("reason") or "",
                     "reason of %s" % path)
    crowd_page = (r.link(srv.url("/crowd")) or {}).get("page") or {}
    check_eq(len(lab), crowd_page.get("bytes"),
             "/crowd: the bytes read stop at the crowded tag")


if __name__ == "__main__":
    lhtest.main()
