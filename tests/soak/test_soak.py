"""The soak (issue 13, item 7): the daemon, built with AddressSanitizer and
UBSan, runs for SOAK_SECONDS (default 600) against a local mix of
hostile servers and a directory that changes every cycle.  Each cycle its
resident memory and open descriptors are recorded (to
BUILD/soak/soak.csv); both must stay flat once warmed up, no sanitizer
may report, and SIGTERM must still stop it cleanly.  Not part of
`make test`: `make soak` runs it.  Only 127.0.0.1 is ever contacted."""

import csv
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..",
                                "integration"))

import lhtest  # noqa: E402
from lhtest import check, check_eq, serve, test, Daemon  # noqa: E402

SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
INTERVAL = 2            # seconds between cycles
WARMUP = 5              # cycles before the baseline is taken
# Flat: the last fifth of the cycles against the fifth after warm-up.
RSS_SLACK_KIB = 8 * 1024
RSS_SLACK_RATIO = 0.10
FD_SLACK = 4


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def hostile_urls():
    """A mix of local servers, each bad in its own way, and good ones."""
    good = serve({"/ok": 200, "/gone": 404, "/moved": {"redirect": {
        "status": 301, "location": "/ok"}}, "/page": {
        "status": 200, "body": "<title>Group</title><p>Error Analysis "
        "group</p>"}})
    chain = {"/h%d" % i: {"redirect": {"status": 302,
                                       "location": "/h%d" % (i + 1)}}
             for i in range(30)}
    chain["/h30"] = 200
    bad = serve(dict(chain, **{
        "/endless": {"action": "endless", "head": {"status": 405}},
        "/fat": {"status": 200, "header_bytes": 512 * 1024},
        "/far": {"redirect": {"status": 301, "location": "/" + "a" * 65536}},
        "/garbage": {"action": "garbage"},
        "/drip": {"status": 200, "body": "x" * 100, "action": "drip",
                  "interval": 1.0},
        "/nl": {"redirect": {"status": 302,
                             "location": "/x\r\n<0>forged line"}},
    }))
    slam = serve(slam=True)
    silent = serve(silent=True)
    urls = [good.url(p) for p in ("/ok", "/gone", "/moved", "/page")]
    urls += [bad.url(p) for p in ("/h0", "/endless", "/fat", "/far",
                                  "/garbage", "/drip", "/nl")]
    urls += [slam.url("/s%d" % i) for i in range(20)]
    urls.append("https://127.0.0.1:%d/" % silent.port)
    return urls, good


def write_directory(path, urls, cycle, rng):
    """The directory as an editor keeps changing it: a rotating subset,
    a renamed entry and a new page each cycle."""
    keep = [u for u in urls if rng.random() < 0.8] or urls[:1]
    lines = ["# cycle %d" % cycle]
    for i, u in enumerate(keep):
        lines.append("%s Org %d%s" % (u, i, " (renamed)" if i == cycle % 7
                                      else ""))
    lines.append("%s?cycle=%d New page %d" % (urls[0], cycle, cycle))
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


@test(deadline=SECONDS + 180)
def soak():
    rng = random.Random(1)
    urls, _ = hostile_urls()
    folder = lhtest.tmpdir()
    directory = os.path.join(folder, "directory.txt")
    write_directory(directory, urls, 0, rng)
    d = Daemon({"directory": directory, "interval": "%ds" % INTERVAL,
                "jitter": "0s", "retry_interval": "0s", "timeout": "3s",
                "connect_timeout": "1s", "retries": 0, "concurrency": 16,
                "per_host_concurrency": 8, "max_redirects": 10,
                "content_interval": "0s"})
    out_dir = os.path.join(os.environ.get("LH_BUILD", "build"), "soak")
    os.makedirs(out_dir, exist_ok=True)
    rows, seen = [], None
    end = time.monotonic() + SECONDS
    while time.monotonic() < end and d.proc.poll() is None:
        s = d.status() or {}
        cycle = (s.get("cycle") or {}).get("number")
        if cycle is not None and cycle != seen:
            seen = cycle
            rows.append((cycle, round(time.monotonic(), 1),
                         rss_kib(d.proc.pid), fds(d.proc.pid)))
            write_directory(directory, urls, cycle, rng)
        time.sleep(0.2)
    check(d.proc.poll() is None, "still running after %gs (exit %r)"
          % (SECONDS, d.proc.returncode))
    with open(os.path.join(out_dir, "soak.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(("cycle", "t", "rss_kib", "fds"))
        w.writerows(rows)
    check(len(rows) >= WARMUP + 10, "cycles recorded: %d" % len(rows))
    if len(rows) >= WARMUP + 10:
        steady = rows[WARMUP:]
        n = max(len(steady) // 5, 2)
        first, last = steady[:n], steady[-n:]
        rss0 = sorted(r[2] for r in first)[n // 2]
        rss1 = sorted(r[2] for r in last)[n // 2]
        fd0 = max(r[3] for r in first)
        fd1 = max(r[3] for r in last)
        print("# %d cycles in %gs; RSS %d -> %d KiB (medians of %d); "
              "descriptors %d -> %d (max)" % (len(rows), SECONDS, rss0, rss1,
                                             n, fd0, fd1))
        check(rss1 <= rss0 * (1 + RSS_SLACK_RATIO) + RSS_SLACK_KIB,
              "RSS flat: %d KiB after warm-up, %d KiB at the end"
              % (rss0, rss1))
        check(fd1 <= fd0 + FD_SLACK, "descriptors flat: %d, then %d"
              % (fd0, fd1))
    d.check_stop()
    log = d.output()
    for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:"):
        check(marker not in log, "no sanitizer report (%s)" % marker)
    forged = [l for l in log.splitlines() if l.startswith("<0>")]
    check_eq([], forged, "no forged log line")


if __name__ == "__main__":
    lhtest.main()
