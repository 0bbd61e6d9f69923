"""Allocation failures during a cycle: each fails a check (or the cycle),
never the process.  linkhealthd --once runs under tests/shim/failmalloc.c
(LD_PRELOAD), which makes every Nth malloc/calloc/realloc of the main
thread fail after the first K; for a grid of (N, K) the run must end by
itself with 0, 1 or 2 (no signal, no hang), and with 0 or 1 the status
file must hold every link.

Not part of make test yet: it still finds a heap corruption (an abort in
free() under curl_multi_socket_action from the timer path) in about one
run of three.  Run it by hand: python3 tests/stress/test_oom.py"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..",
                                "integration"))
import lhtest  # noqa: E402
from lhtest import check, fail, serve, test

HERE = os.path.dirname(os.path.abspath(__file__))
SHIM_SRC = os.path.join(os.path.dirname(HERE), "shim", "failmalloc.c")

# (FAIL_EVERY, FAIL_AFTER): K around startup, the first checks and later
# ones; N small (many failures) to large (one or two).
GRID = [(every, after) for every in (13, 37, 53, 211)
        for after in (500, 2000, 5000, 8000, 12000, 20000)]
RUN_TIMEOUT = 20


def build_shim():
    out = os.path.join(lhtest.tmpdir(), "failmalloc.so")
    cc = os.environ.get("CC", "cc")
    p = subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o", out, SHIM_SRC,
                        "-ldl"], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("building the shim: " + p.stderr[-500:])
    return out


@test(deadline=150)
def allocation_failures_end_checks_not_the_process():
    shim = build_shim()
    srv = serve({"/": {"status": 200, "prefix": True}, "/gone": 404,
                 "/old": {"redirect": {"status": 301, "location": "/new"}}})
    urls = [srv.url("/p%d" % i) for i in range(40)] + \
        [srv.url("/gone"), srv.url("/old")]
    folder = lhtest.tmpdir()
    conf = lhtest.write_config({
        "directory": lhtest.write_list_directory(urls), "retries": 0,
        "timeout": "5s", "connect_timeout": "2s"}, folder)
    start = time.monotonic()
    for every, after in GRID:
        what = "FAIL_EVERY=%d FAIL_AFTER=%d" % (every, after)
        status = os.path.join(folder, "status-%d-%d.json" % (every, after))
        env = {"LD_PRELOAD": shim, "FAIL_EVERY": str(every),
               "FAIL_AFTER": str(after), "MALLOC_CHECK_": "3"}
        argv = lhtest.wrapper() + [lhtest.binary(), "--once", "-c", conf,
                                   "-o", status]
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                               capture_output=True, text=True,
                               errors="replace", env=lhtest.clean_env(env),
                               timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            fail("%s: still running after %ds" % (what, RUN_TIMEOUT))
            continue
        if not check(p.returncode in (0, 1, 2), "%s: exit %d, expected 0, "
                     "1 or 2 (stderr: %s)" % (what, p.returncode,
                                              p.stderr[-300:])):
            continue
        if p.returncode == 2:
            continue
        try:
            with open(status) as f:
                links = json.load(f)["links"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            fail("%s: exit %d but no usable status file: %r"
                 % (what, p.returncode, e))
            continue
        missing = set(urls) - {l.get("url") for l in links}
        check(not missing, "%s: %d links missing from the status file"
              % (what, len(missing)))
    check(time.monotonic() - start < 120, "the grid ran within 120 s")


if __name__ == "__main__":
    lhtest.main()
