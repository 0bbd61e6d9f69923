"""Allocation failures end a check, a cycle or (while the configuration is
read) the process with exit status 2 and a message: never a signal, never
a hang.  linkhealthd runs under tests/shim/failmalloc.c (LD_PRELOAD),
which makes chosen malloc/calloc/realloc calls of the main thread fail.

Counting starts after start-up (FAIL_FROM): before it, libraries fail on
their own terms (GnuTLS and OpenSSL initialisation, and libuv 1.44, whose
first uv_loop_init calls abort() when pthread_atfork runs out of memory).
libuv's own allocations are never failed: it aborts on them by design.

Directories are a plain list, an HTML page and a Markdown list (cmark
aborts when its allocator fails; lib/dir_md.c gives it one that does
not).  libxml2 2.9.14's HTML
parser, after an allocation failure of its own, looped forever over input
it no longer read; lib/dir_html.c stops it (xmlStopParser) from the
error handler, and the HTML case checks that every run ends.

Regressions this catches: easy handles reused through curl_easy_reset,
which on out-of-memory leaves a handle that overflows its receive buffer
(heap corruption, an abort in free()), and a multi handle kept after
curl_multi_socket_action said CURLM_OUT_OF_MEMORY (SIGFPE in libcurl).

Skipped under AddressSanitizer (LH_SANITIZER) and under a wrapper such as
valgrind (LH_WRAPPER): both replace malloc themselves, so the shim's
malloc would never be called."""

import json
import os
import signal
import subprocess
import sys

import lhtest
from lhtest import check, check_eq, fail, serve, test

RUN_TIMEOUT = 10        # a run takes well under a second
MAX_BAD = 5             # stop a sweep after this many bad runs


def links_server():
    """42 links: answers, a 404, a redirect, a HEAD refused (GET after)."""
    srv = serve({"/": {"status": 200, "prefix": True}, "/gone": 404,
                 "/old": {"redirect": {"status": 301, "location": "/new"}},
                 "/nohead": {"status": 200, "head": {"status": 405}}})
    urls = [srv.url("/p%d" % i) for i in range(39)] + \
        [srv.url("/gone"), srv.url("/old"), srv.url("/nohead")]
    return srv, urls


def write_html_directory(urls, folder):
    """urls as a page of the directory's shape: regions, a theme's menu and
    script around the organizations, so the HTML parser does real work."""
    parts = ["<!DOCTYPE html><html><head><title>Networks</title>",
             "<script>var menu = '<a href=\"/x\">x</a>';</script></head>",
             "<body><ul class=menu><li><a href='/about'>About</a></li></ul>"]
    for i, url in enumerate(urls):
        if i % 10 == 0:
            parts.append("<h2>Region &#8217;%d</h2>" % (i // 10))
        parts.append("<p><a href=\"%s\">Organization %d</a><br></p>"
                     "<div class=\"text-subtext\">About <b>it</b> &amp; "
                     "more</div>" % (url, i))
    parts.append("</body></html>")
    path = os.path.join(folder, "directory.html")
    with open(path, "w") as f:
        f.write("\n".join(parts))
    return path


def write_markdown_directory(urls, folder):
    """urls as an awesome list: a title with a badge, a contents list of
    anchors, regions, markup in names, so cmark does real work."""
    parts = ["# Networks [![Awesome](https://awesome.re/badge.svg)]"
             "(https://awesome.re)", "", "## Contents", "",
             "- [Region 0](#region-0)", ""]
    for i, url in enumerate(urls):
        if i % 10 == 0:
            parts += ["", "## Region &#8217;%d" % (i // 10), ""]
        parts.append("- [Organization *%d*](%s) - About **it** &amp; "
                     "`more`" % (i, url))
    path = os.path.join(folder, "directory.md")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")
    return path


class Setup:
    def __init__(self, html=False, markdown=False):
        self.shim = lhtest.build_shim("failmalloc")
        self.srv, self.urls = links_server()
        self.folder = lhtest.tmpdir()
        if html:
            directory = write_html_directory(self.urls, self.folder)
        elif markdown:
            directory = write_markdown_directory(self.urls, self.folder)
        else:
            directory = lhtest.write_list_directory(self.urls)
        self.conf = lhtest.write_config({
            "directory": directory,
            "retries": 0, "timeout": "5s", "connect_timeout": "2s"},
            self.folder)
        self.runs = 0

    def run(self, what, **fail_env):
        """linkhealthd --once with FAIL_* = fail_env.  Returns (Outcome,
        stats) where stats is (calls counted, calls failed) or None."""
        self.runs += 1
        status = os.path.join(self.folder, "status-%d.json" % self.runs)
        stats = os.path.join(self.folder, "stats-%d" % self.runs)
        env = {"LD_PRELOAD": self.shim, "FAIL_STATS": stats}
        env.update({"FAIL_" + k.rstrip("_").upper(): str(v)
                    for k, v in fail_env.items()})
        argv = [lhtest.binary(), "--once", "-c", self.conf, "-o", status]
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                               capture_output=True, text=True,
                               errors="replace", env=lhtest.clean_env(env),
                               timeout=RUN_TIMEOUT)
            rc, err = p.returncode, p.stderr
        except subprocess.TimeoutExpired as e:
            rc = None
            err = e.stderr.decode(errors="replace") \
                if isinstance(e.stderr, bytes) else (e.stderr or "")
        got = None
        try:
            with open(stats) as f:
                calls, failed = f.read().split()
            got = (int(calls), int(failed))
        except (OSError, ValueError):
            pass
        return Outcome(what, rc, err, status, self.urls), got

    def sweep(self, cells):
        """Run each (what, fail_env) of cells; yield (Outcome, stats) of
        the runs that ended cleanly.  After MAX_BAD that did not, fail and
        stop."""
        bad = 0
        for what, fail_env in cells:
            out, stats = self.run(what, **fail_env)
            if out.clean():
                yield out, stats
                continue
            bad += 1
            if bad >= MAX_BAD:
                fail("stopped after %d bad runs" % bad)
                return


class Outcome:
    def __init__(self, what, rc, stderr, status_path, urls):
        self.what, self.rc, self.stderr = what, rc, stderr
        self.status_path, self.urls = status_path, urls

    def clean(self):
        """Check: ended by itself with 0, 1, 2 or 3; 2 and 3 say why on
        stderr (3: every check failed for want of memory, so the cycle was
        inconclusive); 0, 1 and 3 leave a status file with every link.
        False if not."""
        if self.rc is None:
            fail("%s: still running after %ds (stderr: %s)"
                 % (self.what, RUN_TIMEOUT, self.stderr[-300:]))
            return False
        if self.rc < 0:
            fail("%s: killed by %s (stderr: %s)"
                 % (self.what, signal.Signals(-self.rc).name,
                    self.stderr[-300:]))
            return False
        if not check(self.rc in (0, 1, 2, 3), "%s: exit %d, expected 0, "
                     "1, 2 or 3 (stderr: %s)" % (self.what, self.rc,
                                                 self.stderr[-300:])):
            return False
        if self.rc == 3 and not check(
                "checks inconclusive" in self.stderr,
                "%s: exit 3 without \"checks inconclusive\" on stderr "
                "(%r)" % (self.what, self.stderr[-300:])):
            return False
        if self.rc == 2:
            return check("memory" in self.stderr.lower(),
                         "%s: exit 2 without a word about memory on stderr "
                         "(%r)" % (self.what, self.stderr[-300:]))
        try:
            with open(self.status_path) as f:
                links = json.load(f)["links"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            fail("%s: exit %d but no usable status file: %r"
                 % (self.what, self.rc, e))
            return False
        missing = set(self.urls) - {link.get("url") for link in links}
        if not check(not missing, "%s: exit %d, %d links missing from the "
                     "status file" % (self.what, self.rc, len(missing))):
            return False
        # A check that ran out of memory has no verdict (it is
        # inconclusive), or is an error (or, when curl's own allocation
        # failed on connecting, unreachable); never another link's
        # verdict, or one judged on half a redirect.
        wrong = ["%s: %s (%s)" % (l.get("url"), l.get("verdict"),
                                  l.get("reason"))
                 for l in links
                 if l.get("verdict") not in (self.truth(l.get("url")),
                                             "error", "unreachable", None)]
        return check(not wrong, "%s: wrong verdicts: %s"
                     % (self.what, "; ".join(wrong[:3])))

    @staticmethod
    def truth(url):
        path = (url or "").rsplit("/", 1)[-1]
        return {"gone": "stale", "old": "moved"}.get(path, "ok")


@test(deadline=60)
def config_allocation_failures_exit_2_with_a_message():
    s = Setup()
    exits = []
    # Each run fails one allocation between xmlInitParser (main.c reads
    # the configuration next) and the first uv_loop_init.
    for k in range(200):
        out, stats = s.run("config, allocation %d fails" % (k + 1),
                           from_="xmlInitParser", until="uv_loop_init",
                           every=1, times=1, after=k)
        if not check(stats is not None, "%s: no statistics from the shim"
                     % out.what) or not out.clean():
            return
        if stats[1] == 0:
            break               # past the last allocation of the window
        exits.append(out.rc)
    check(exits, "some allocation was made to fail while loading the "
          "configuration")
    check_eq(set(exits), {2}, "exit statuses when loading the "
             "configuration runs out of memory")


@test(deadline=90)
def directory_allocation_failures_end_the_cycle():
    s = Setup()
    exits = {}
    # One failure at a time, from the start of the loop: reading and
    # merging the directory (about 800 allocations here), then the checks.
    cells = (("loop, allocation %d fails" % (k + 1),
              dict(from_="uv_run", every=1, times=1, after=k))
             for k in range(0, 1000, 7))
    for out, stats in s.sweep(cells):
        check(stats is not None and stats[1] == 1, "%s: one failure "
              "injected (%r)" % (out.what, stats))
        exits[out.rc] = exits.get(out.rc, 0) + 1
    check(exits.get(2), "a failure while reading the directory ends the "
          "cycle with exit 2 (%r)" % exits)
    check(exits.get(1), "a failure during the checks leaves exit 1 and a "
          "full status (%r)" % exits)


@test(deadline=120)
def cycle_allocation_failures_fail_checks_not_the_process():
    s = Setup()
    out, stats = s.run("no failure", from_="uv_run", every=10 ** 9)
    if not out.clean() or not check(stats and stats[1] == 0 and
                                     stats[0] > 1000, "a cycle makes over "
                                     "1000 allocations (%r)" % (stats,)):
        return
    total = stats[0]
    # Every Nth allocation fails after the first K, K a share of a whole
    # cycle; two rounds, as some paths depend on timing.  N from 64 to 90
    # puts a second failure in the transfer that follows a failed
    # curl_easy_reset, which is what it takes to corrupt the heap when a
    # handle is reset and reused (about one run in five of these did).
    cells = (("round %d, FAIL_EVERY=%d FAIL_AFTER=%d" % (rnd + 1, every,
                                                          after),
              dict(from_="uv_run", every=every, after=after))
             for rnd in range(2)
             for every in (7, 13, 37, 53, 64, 68, 72, 74, 76, 78, 80, 84,
                           90, 211, 997)
             for after in (int(total * share) for share in
                           (0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.85))
             # else it would fail nothing, or once at the end
             if total - after >= 2 * every)
    for out, stats in s.sweep(cells):
        check(stats is not None and stats[1] > 0,
              "%s: failures injected (%r)" % (out.what, stats))


def directory_sweep(kind, what, **form):
    """A directory of this form (Setup's keyword) parsed under allocation
    failures: single ones over its first 1,500 allocations, then every
    Nth from points spread over the run.  The process always ends, and a
    failure while parsing ends the cycle with exit 2."""
    s = Setup(**form)
    out, stats = s.run("%s, no failure" % kind, from_="uv_run",
                       every=10 ** 9)
    # Exit 1: the directory parsed, and one of its links is a 404.
    if not out.clean() or not check_eq(1, out.rc, "exit status"):
        return
    total = stats[0] if stats else 0
    exits = {}
    grid = [(1, k) for k in range(0, min(total, 1500), 5)] + \
        [(every, after) for every in (3, 13, 64, 211)
         for after in range(0, total, max(1, total // 12))]
    cells = (("%s, FAIL_EVERY=%d FAIL_AFTER=%d" % (kind, every, after),
              dict(from_="uv_run", every=every, after=after,
                   times=1 if every == 1 else 10 ** 9))
             for every, after in grid)
    for out, stats in s.sweep(cells):
        exits[out.rc] = exits.get(out.rc, 0) + 1
    check(exits.get(2), "a failure while parsing the %s ends the cycle "
          "with exit 2 (%r)" % (what, exits))


@test(deadline=90)
def html_directory_allocation_failures_end_the_cycle():
    # libxml2 2.9's HTML parser, told of its own allocation failure, kept
    # looping over input it no longer read: the process never ended.
    directory_sweep("HTML", "page", html=True)


@test(deadline=90)
def markdown_directory_allocation_failures_end_the_cycle():
    # cmark aborts the process when its own allocator fails; lib/dir_md.c
    # gives it one that unwinds the parse instead.
    directory_sweep("Markdown", "list", markdown=True)


def survive_cycles(config, shim, after, every):
    """Run the daemon on config (100 ms cycles) with every Nth allocation
    failing from the after-th on, until 15 cycles have run; then stop it.
    It must still be running and exit 0 on SIGTERM.  Returns the last
    status document (None when 15 cycles never ran) and the daemon's
    output (None when it died)."""
    d = lhtest.Daemon(dict({"interval": "100ms", "jitter": 0, "retries": 0,
                            "timeout": "5s", "connect_timeout": "2s"},
                           **config),
                      env={"LD_PRELOAD": shim, "FAIL_FROM": "uv_run",
                           "FAIL_AFTER": str(after),
                           "FAIL_EVERY": str(every)})
    st = d.wait_status(lambda s: s.get("cycle", {}).get("number", 0) >= 15,
                       timeout=40)
    alive = d.proc.poll() is None
    rc = d.stop()
    out = d.output()
    if not check(alive, "still running after the cycles (exit %r): %s"
                 % (rc, out[-500:])):
        return None, None
    check(st is not None, "15 cycles ran under allocation failures: %s"
          % out[-300:])
    check_eq(0, rc, "exit status after SIGTERM")
    return st, out


@test(deadline=60)
def daemon_survives_allocation_failures_over_cycles():
    shim = lhtest.build_shim("failmalloc")
    srv, urls = links_server()
    # The first cycle (about 3,600 allocations) runs clean, so there is a
    # list to keep; from then on every 97th allocation fails: reading the
    # directory each cycle (the last good list stays), checks, status.
    st, _ = survive_cycles({"directory": lhtest.write_list_directory(urls)},
                           shim, after=5000, every=97)
    if st is not None:
        missing = set(urls) - {link.get("url") for link in st["links"]}
        check(not missing, "%d links missing from the status file"
              % len(missing))


@test(deadline=60)
def notifications_survive_allocation_failures():
    # A link goes bad in every cycle, so each makes a notification for a
    # webhook and an on_change program while every 89th allocation fails.
    shim = lhtest.build_shim("failmalloc")
    srv = serve(dict({"/l%d" % k: {"sequence": [{"status": 200}] * k +
                                   [{"status": 404}]} for k in range(1, 30)},
                     **{"/hook": 200}))
    folder = lhtest.tmpdir()
    prog = os.path.join(folder, "hook.sh")
    with open(prog, "w") as f:
        f.write("#!/bin/sh\ncat > /dev/null\n")
    os.chmod(prog, 0o755)
    st, out = survive_cycles({"directory": lhtest.write_list_directory(
                                  [srv.url("/l%d" % k) for k in range(1, 30)]),
                              "fail_threshold": 1, "retry_interval": 0,
                              "content_checks": "no",
                              "webhook": srv.url("/hook"), "on_change": prog},
                             shim, after=3000, every=89)
    if out is None:
        return
    # The notification path was taken: a notification was delivered, kept
    # for a retry, or given up with a message saying so. Which of these
    # happens depends on where the failures fall, and that moves with the
    # machine (the allocations before the first cycle differ).
    said = [m for m in ("webhook 127.0.0.1", "no notification",
                        "a notification is lost",
                        "left out of the notification") if m in out]
    check(any(r["path"] == "/hook" for r in srv.requests()) or said,
          "a notification was sent, kept or said lost: %s" % out[-1500:])


def skip_reason():
    if os.environ.get("LH_SANITIZER"):
        return ("LH_SANITIZER=%s: the sanitizer's malloc cannot be "
                "replaced by an LD_PRELOAD shim" % os.environ["LH_SANITIZER"])
    if lhtest.wrapper():
        return ("LH_WRAPPER=%s: the wrapper replaces malloc, so the shim's "
                "would never run" % os.environ.get("LH_WRAPPER"))
    return None


if __name__ == "__main__":
    why = skip_reason()
    if why:
        print("skip test_oom: " + why)
        print("0 passed, 0 failed")
        sys.exit(0)
    lhtest.main()
