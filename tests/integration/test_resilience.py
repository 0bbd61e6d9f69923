"""Long-running health: descriptors and memory stay flat over many
cycles, the status file survives SIGKILL at any moment, and a full disk
(a file-size limit here) is survived and reported once."""

import json
import os
import random
import resource
import signal
import time

import lhtest
from lhtest import Daemon, check, check_eq, serve, test


def proc_stats(pid):
    fds = len(os.listdir("/proc/%d/fd" % pid))
    rss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return fds, rss


def mixed_links(srv, n):
    kinds = ["/ok%d", "/gone%d", "/old%d", "/nohead%d", "/rst%d"]
    return [srv.url(kinds[i % len(kinds)] % i) for i in range(n)]


def mixed_server():
    return serve({"/ok": {"status": 200, "prefix": True},
                  "/gone": {"status": 404, "prefix": True},
                  "/old": {"redirect": {"status": 301, "location": "/ok-new"},
                           "prefix": True},
                  "/nohead": {"status": 200, "head": {"status": 405},
                              "prefix": True},
                  "/rst": {"action": "reset", "prefix": True}})


@test(deadline=300)
def descriptors_and_memory_stay_flat_over_200_cycles():
    srv = mixed_server()
    d = Daemon({"directory": lhtest.write_list_directory(
                    mixed_links(srv, 20)),
                "interval": "100ms", "jitter": 0, "retries": 0,
                "timeout": "5s", "connect_timeout": "2s"})
    samples = {}
    end = time.monotonic() + 240
    while time.monotonic() < end and d.proc.poll() is None:
        s = d.status()
        n = (s or {}).get("cycle", {}).get("number", 0)
        if n and n not in samples:
            samples[n] = proc_stats(d.proc.pid)
        if n >= 200:
            break
        time.sleep(0.02)
    check(max(samples or [0]) >= 200, "200 cycles ran (%d)" %
          max(samples or [0]))
    warm = [v for k, v in samples.items() if 10 <= k <= 20]
    late = [v for k, v in samples.items() if k >= 180]
    if warm and late:
        # A sample may land inside the next cycle, with its sockets open:
        # a leak shows as a floor that rises, so compare the lowest counts.
        fd0, rss0 = min(f for f, _ in warm), max(r for _, r in warm)
        fd1, rss1 = min(f for f, _ in late), max(r for _, r in late)
        check(fd1 <= fd0, "descriptors flat: %d after warm-up, %d at the "
              "end" % (fd0, fd1))
        # AddressSanitizer keeps freed memory in quarantine: RSS says
        # nothing there (make asan sets LH_SANITIZER).
        if not os.environ.get("LH_SANITIZER"):
            check(rss1 - rss0 <= 1024, "RSS flat: %d KiB after warm-up, "
                  "%d KiB at the end" % (rss0, rss1))
    d.check_stop()


def valid_status(path):
    try:
        with open(path) as f:
            doc = json.load(f)
    except FileNotFoundError:
        return None
    except ValueError as e:
        return "torn: %s" % e
    return doc.get("version") == lhtest.STATUS_VERSION and isinstance(doc.get("links"), list)


@test(deadline=300)
def sigkill_at_any_moment_leaves_a_whole_status_file():
    srv = mixed_server()
    folder = lhtest.tmpdir()
    status = os.path.join(folder, "status.json")
    conf = {"directory": lhtest.write_list_directory(mixed_links(srv, 300)),
            "interval": "100ms", "jitter": 0, "retries": 0,
            "timeout": "5s", "connect_timeout": "2s"}
    rng = random.Random(1234)
    writes = kills = 0
    bad = []
    # Kills until 200 writes have been at risk: a slow build (ASan) or a
    # busy machine writes fewer per start, so the count of kills follows,
    # within a bound that keeps the test inside its deadline.
    end = time.monotonic() + 240
    while writes < 200 and kills < 600 and time.monotonic() < end:
        d = Daemon(conf, status_path=status)
        time.sleep(rng.uniform(0.05, 0.6))
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait(10)
        kills += 1
        v = valid_status(status)
        if v is not True and v is not None:
            bad.append(v)
        if v is True:
            with open(status) as f:
                writes += json.load(f)["cycle"]["number"]
        leftovers = [f for f in os.listdir(folder)
                     if f.startswith("status.json.") and
                     not f.startswith("status.json.unusable")]
        for f in leftovers:     # a kill between create and rename
            os.unlink(os.path.join(folder, f))
    check(writes >= 200, "at least 200 status writes (%d in %d kills)"
          % (writes, kills))
    check_eq([], bad, "every status file left behind parses")
    check_eq([], [f for f in os.listdir(folder) if ".unusable" in f],
             "no status file was ever unusable at restart")


@test(deadline=120)
def full_disk_is_logged_once_and_survived():
    srv = mixed_server()
    path = lhtest.write_list_directory(mixed_links(srv, 5))
    folder = lhtest.tmpdir()
    status = os.path.join(folder, "status.json")
    # RLIMIT_FSIZE stands in for a full disk: writes past it fail (EFBIG).
    d = Daemon({"directory": path, "interval": "200ms", "jitter": 0,
                "retries": 0, "timeout": "5s", "connect_timeout": "2s"},
               status_path=status,
               limits={resource.RLIMIT_FSIZE: 48 * 1024})
    s = d.wait_status(lambda s: s["cycle"]["number"] >= 2)
    check(s is not None, "small status files are written")
    with open(path, "w") as f:
        f.write("\n".join(mixed_links(srv, 200)) + "\n")
    # Several cycles that cannot write: each logs its summary.
    d.wait_log(": 200 links: ", count=3, timeout=60)
    d.wait_log("File too large", timeout=5)
    s = lhtest._read_json(status)
    check(s is not None and len(s["links"]) == 5,
          "the previous status file is intact")
    check(d.proc.poll() is None, "still running")
    with open(path, "w") as f:
        f.write("\n".join(mixed_links(srv, 6)) + "\n")
    s = d.wait_status(lambda s: len(s["links"]) == 6, timeout=20)
    check(s is not None, "writes again when space returns")
    out = d.output()
    errors = [l for l in out.splitlines() if "status.json" in l and
              ("File too large" in l)]
    check_eq(1, len(errors), "the failure is logged once (%r)" % errors[:3])
    check_eq(1, len([l for l in out.splitlines() if "written again" in l]),
             "and its end once")
    check_eq([], [f for f in os.listdir(folder) if f != "status.json"],
             "no temporary file left behind")
    d.check_stop()


if __name__ == "__main__":
    lhtest.main()
