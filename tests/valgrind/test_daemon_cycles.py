"""Run by make valgrind with LH_WRAPPER set to valgrind: the daemon over
several cycles, with a directory change, a SIGHUP reload, a SIGUSR1 and a
SIGTERM, and --once over links of every kind.  valgrind's exit status
(--error-exitcode=1) is the test: no errors, nothing lost."""

import os
import re
import signal
import sys
import time

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
    d.proc.send_signal(signal.SIGHUP)
    d.proc.send_signal(signal.SIGUSR1)
    time.sleep(3)
    check_eq(0, d.stop(signal.SIGTERM, timeout=60),
             "exit status: valgrind's 1 means errors or leaks")
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
