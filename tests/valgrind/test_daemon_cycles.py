"""Run by make valgrind with LH_WRAPPER set to valgrind: the daemon over
several cycles, with a directory change, a SIGHUP reload, a SIGUSR1 and a
SIGTERM, and --once over links of every kind.  valgrind's exit status
(--error-exitcode=1) is the test: no errors, nothing lost."""

import os
import re
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..",
                                "integration"))
import lhtest  # noqa: E402
from lhtest import Daemon, check, check_eq, serve, test  # noqa: E402


@test(deadline=240)
def daemon_cycles_reload_and_stop():
    srv = serve({"/": {"status": 200, "prefix": True},
                 "/gone": 410,
                 "/old": {"redirect": {"status": 301, "location": "/new"}},
                 "/nohead": {"status": 200, "head": {"status": 405}}})
    path = lhtest.write_list_directory([srv.url("/a"), srv.url("/gone"),
                                        srv.url("/old"), srv.url("/nohead")])
    d = Daemon({"directory": path, "interval": "1s", "jitter": 0,
                "timeout": "20s", "retries": 0})
    s = d.wait_status(lambda s: s["cycle"]["number"] >= 2, timeout=120)
    check(s is not None, "two cycles under valgrind")
    with open(path, "a") as f:
        f.write(srv.url("/b") + " Added later\n")
    s = d.wait_status(lambda s: len(s["links"]) == 5, timeout=60)
    check(s is not None, "the directory change is picked up")
    # SIGHUP: a new directory, and an interval of an hour, so that the
    # cycle after the next is SIGUSR1's own.
    path2 = lhtest.write_list_directory([srv.url("/a"), srv.url("/c")])
    with open(d.conf_path) as f:
        text = f.read()
    with open(d.conf_path, "w") as f:
        f.write(text.replace(path, path2).replace("interval = 1s",
                                                  "interval = 1h"))
    d.proc.send_signal(signal.SIGHUP)
    s = d.wait_status(lambda s: s["directory"]["source"] == path2,
                      timeout=120)
    check(s is not None, "SIGHUP: the new directory in the status file")
    d.wait_log("SIGHUP: reloading " + d.conf_path, timeout=10)
    if s is not None:
        n = s["cycle"]["number"]
        d.proc.send_signal(signal.SIGUSR1)
        check(d.wait_status(lambda s: s["cycle"]["number"] > n,
                            timeout=120) is not None,
              "SIGUSR1: a cycle after cycle %d" % n)
        d.wait_log("SIGUSR1: checking now", timeout=10)
    # valgrind's exit status 1 means errors or leaks.
    d.check_stop(signal.SIGTERM, timeout=60)
    found = [l for l in d.output().splitlines() if re.match(r"==\d+== ", l)]
    check_eq([], found[:20], "valgrind's findings")


@test(deadline=240)
def once_over_every_kind_of_link():
    srv = serve({"/": 200, "/gone": 404, "/rst": {"action": "reset"},
                 "/loop": {"redirect": {"status": 302, "location": "/loop"}}})
    tls = serve({"/": 200}, tls=lhtest.cert("unknown"))
    urls = [srv.url("/"), srv.url("/gone"), srv.url("/rst"),
            srv.url("/loop"), tls.url("/"), "http://nowhere.invalid/"]
    r = lhtest.run_once({"directory": lhtest.write_list_directory(urls),
                         "timeout": "20s", "retries": 0,
                         "ca_file": lhtest.ca_file()}, timeout=180)
    # valgrind --quiet prints only its findings, each line "==PID== ...";
    # our own exit status 1 (some links bad) says nothing about them.
    found = [l for l in r.stderr.splitlines() if re.match(r"==\d+== ", l)]
    check_eq([], found[:20], "valgrind's findings")
    check_eq(1, r.returncode, "exit status (some links are bad)")
    check_eq(len(urls), len(r.links), "every link in the status file")


if __name__ == "__main__":
    lhtest.main()
