"""Time (issue 13, item 6).  A jump of the wall clock either way neither
stalls nor hurries the cycles, nor re-reads a page before
content_interval; certificate dates are judged with the wall clock at the
time of the check; a status file whose times are far in the future or the
past (the clock was wrong when it was written) stalls nothing after a
restart.

The machine's clock is not touched: tests/shim/clockshift.c (LD_PRELOAD,
built here) shifts the daemon's own wall clock by the seconds written in
a file, read at each call; its monotonic clocks are left alone."""

import calendar
import json
import os
import re
import time

import lhtest
from lhtest import Daemon, check, check_eq, check_in, serve, test

DAY = 86400

FAST = {"timeout": "3s", "connect_timeout": "2s", "retries": 0,
        "fail_threshold": 1, "interval": "1s", "jitter": 0}
REAL = ("<html><head><title>Coastal Ecology Lab</title></head><body>"
        "<h1>Coastal Ecology Lab</h1><p>We study salt marshes and the "
        "birds that live in them.</p></body></html>")


def html(body):
    return {"status": 200, "body": body,
            "headers": {"Content-Type": "text/html; charset=utf-8",
                        "ETag": '"v1"'}}


class Clock:
    """The daemon's wall clock: set(seconds) shifts it from the real one."""

    def __init__(self):
        self.path = os.path.join(lhtest.tmpdir(), "shift")
        self.set(0)
        self.env = {"LD_PRELOAD": lhtest.build_shim("clockshift"),
                    "CLOCKSHIFT_FILE": self.path}
        if os.environ.get("LH_SANITIZER"):
            # The shim comes before the sanitizer's runtime; it replaces
            # no function the sanitizer needs first.
            self.env["ASAN_OPTIONS"] = (os.environ.get("ASAN_OPTIONS", "") +
                                        ":verify_asan_link_order=0")

    def set(self, seconds):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % seconds)
        os.rename(tmp, self.path)


def gets(srv, path):
    return sum(1 for q in srv.requests()
               if q["method"] == "GET" and q["path"] == path)


def cycle(s):
    return (s or {}).get("cycle", {}).get("number", 0)


def generated(s):
    """The status file's generated_at, in seconds since the epoch."""
    stamp = (s or {}).get("generated_at") or "1970-01-01T00:00:00Z"
    return calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))


def three_cycles_on_schedule(d, what):
    """Three more cycles at the 1 s interval: neither stalled (within 8 s)
    nor hurried (not within 1.5 s).  The last status."""
    n = cycle(d.status())
    start = time.monotonic()
    s = d.wait_status(lambda s: cycle(s) >= n + 3, timeout=8)
    took = time.monotonic() - start
    check(s is not None, "%s: three more cycles within 8 s (log: %s)"
          % (what, d.output()[-300:]))
    check(took >= 1.5, "%s: three cycles took %.2f s, not hurried"
          % (what, took))
    return s


@test(deadline=90)
def wall_clock_jumps_neither_stall_nor_hurry():
    srv = serve({"/page": html(REAL), "*": {"status": 404, "prefix": True}})
    clock = Clock()
    d = Daemon(dict(FAST, content_interval="1h",
                    directory=lhtest.write_list_directory(
                        [srv.url("/page")])), env=clock.env)
    s = d.wait_status(lambda s: cycle(s) >= 2, timeout=20)
    check(s is not None, "two cycles")
    check_eq(1, gets(srv, "/page"), "the page read once")
    for shift, what in ((2 * DAY, "two days ahead"),
                        (-2 * DAY, "two days back"),
                        (400 * DAY, "400 days ahead")):
        clock.set(shift)
        s = three_cycles_on_schedule(d, what)
        # The shim must have worked, or this proves nothing.
        off = generated(s) - time.time()
        check(abs(off - shift) < 600, "%s: the daemon's clock is %+.0f s "
              "off, expected %+d" % (what, off, shift))
        check_eq(1, gets(srv, "/page"), "%s: the page not read again "
                 "before content_interval (1 h of the monotonic clock)"
                 % what)
    # The control: content_interval passes on the monotonic clock too.
    d.check_stop()
    d2 = Daemon(dict(FAST, content_interval="2s",
                     directory=lhtest.write_list_directory(
                         [srv.url("/page")])), env=clock.env)
    clock.set(-30 * DAY)
    d2.wait_status(lambda s: cycle(s) >= 1, timeout=20)
    before = gets(srv, "/page")
    lhtest.wait_for(lambda: gets(srv, "/page") >= before + 1, timeout=10)
    check(gets(srv, "/page") >= before + 1,
          "with content_interval 2s the page is read again (%d readings)"
          % gets(srv, "/page"))
    d2.check_stop()


def tls_site(certname):
    srv = serve({"/": 200}, tls=lhtest.cert(certname))
    return srv, srv.url("/", "site.lh.test")


@test(deadline=90)
def certificates_are_judged_by_the_wall_clock_of_the_check():
    # "server" is valid from its making for 825 days: inside cert_warn_days
    # 14 at day 820, expired at day 830, not valid yet the day before.
    srv, url = tls_site("server")
    clock = Clock()
    d = Daemon(dict(FAST, directory=lhtest.write_list_directory([url]),
                    resolve=srv.resolve("site.lh.test"),
                    ca_file=lhtest.ca_file(), cert_warn_days=14),
               env=clock.env)

    def link(s):
        return ((s or {}).get("links") or [{}])[0]

    s = d.wait_status(lambda s: cycle(s) >= 2, timeout=20)
    check_eq("ok", link(s).get("state"), "today: ok")
    check_eq([], link(s).get("warnings"), "today: no warning")
    clock.set(820 * DAY)
    s = d.wait_status(lambda s: link(s).get("warnings"), timeout=10)
    check(s is not None, "day 820: a warning (log: %s)"
          % d.output()[-300:])
    check(re.match(r"certificate expires in [45] days",
                   (link(s).get("warnings") or [""])[0]) is not None,
          "day 820: %r" % link(s).get("warnings"))
    check_eq("ok", link(s).get("state"), "day 820: still ok")
    d.wait_log("certificate expires at", timeout=10)
    for day, reason in ((830, "certificate expired"),
                        (-1, "certificate not yet valid")):
        clock.set(day * DAY)
        s = d.wait_status(lambda s: link(s).get("state") == "unreachable",
                          timeout=10)
        check(s is not None, "day %d: the check fails (log: %s)"
              % (day, d.output()[-300:]))
        check_in(reason, link(s).get("reason") or "", "day %d" % day)
        clock.set(0)
        s = d.wait_status(lambda s: link(s).get("state") == "ok",
                          timeout=10)
        check(s is not None, "today again: ok")
    d.check_stop()


STAMP = re.compile(r'"(\d{4})-\d\d-\d\dT\d\d:\d\d:\d\dZ"')


def rewrite_times(path, year):
    """Every time in the status file moved to the same moment of year."""
    with open(path) as f:
        text = f.read()
    n = len(STAMP.findall(text))
    text = STAMP.sub(lambda m: '"%d%s' % (year, m.group(0)[5:]), text)
    with open(path, "w") as f:
        f.write(text)
    return n


@test(deadline=120)
def persisted_times_far_off_stall_nothing():
    srv = serve({"/page": html(REAL), "*": {"status": 404, "prefix": True}})
    directory = lhtest.write_list_directory([srv.url("/page")])
    conf = dict(FAST, content_interval="1h", directory=directory)
    d = Daemon(conf)
    check(d.wait_status(lambda s: cycle(s) >= 2, timeout=20) is not None,
          "two cycles")
    d.check_stop()
    check_eq(1, gets(srv, "/page"), "read once")
    status = d.status_path
    with open(status) as f:
        good = f.read()
    page = json.loads(good)["links"][0].get("page") or {}
    check(page.get("read_at"), "the page memo has a read_at")

    # The control: the file as written; the page is not read again.
    d = Daemon(conf, status_path=status)
    d.wait_log("resuming the state of 1 links", timeout=10)
    three_cycles_on_schedule(d, "as written")
    check_eq(1, gets(srv, "/page"), "as written: not read again")
    d.check_stop()

    readings = gets(srv, "/page")
    for year in (2999, 1971):
        with open(status, "w") as f:
            f.write(good)
        check(rewrite_times(status, year) >= 5, "times to rewrite")
        d = Daemon(conf, status_path=status)
        d.wait_log("resuming the state of 1 links", timeout=10)
        # The first cycle at once, then on schedule.
        check(d.wait_log("cycle 1:", timeout=5), "%d: cycle 1 at once"
              % year)
        s = three_cycles_on_schedule(d, "times of %d" % year)
        link = ((s or {}).get("links") or [{}])[0]
        check_eq("ok", link.get("state"), "%d: the link is checked" % year)
        # A reading dated 2999 is not trusted to be recent, one of 1971
        # is old: both read at once, and then not before content_interval.
        check_eq(readings + 1, gets(srv, "/page"),
                 "%d: the page read once more" % year)
        readings = gets(srv, "/page")
        d.check_stop()


if __name__ == "__main__":
    lhtest.main()
