"""Files that are not files (issue 13, item 4): a FIFO with a writer that
never writes, or a character device, at the configuration, directory,
previous status, status or metrics path.  Each is refused with its kind
named, nothing blocks (--once ends, the daemon answers SIGTERM at once and
keeps checking), and nothing that is not a regular file is renamed or
replaced.  Each case has a control with a regular file that must work.

The output paths use a device node made in the test's folder with the
numbers of /dev/null (as root; the real /dev/null otherwise, which only
root could replace): a build without the fix would rename its status file
over the device, and that must never be the system's /dev/null."""

import glob
import os
import signal
import stat
import subprocess
import time

import lhtest
from lhtest import Daemon, check, check_eq, check_in, serve, test

BASE = {"interval": "1s", "jitter": 0, "timeout": "3s",
        "connect_timeout": "2s", "retries": 0}

FIFO = "is a FIFO, not a regular file"
CHR = "is a character device, not a regular file"


def fifo_with_silent_writer(folder, name):
    """A FIFO at folder/name with a writer that never writes (this process
    holds both ends open until the test ends)."""
    path = os.path.join(folder, name)
    os.mkfifo(path)
    fd = os.open(path, os.O_RDWR)
    lhtest.on_cleanup(lambda: os.close(fd))
    return path


def device(folder, name, minor=3):
    """A character device at folder/name: a copy of /dev/null's node (or
    of /dev/zero's, minor 5) when we may make one, else the system's own
    (then we are not root, and a rename over it fails anyway)."""
    path = os.path.join(folder, name)
    try:
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, minor))
        return path
    except PermissionError:
        return "/dev/null" if minor == 3 else "/dev/zero"


def kind(path):
    return stat.S_IFMT(os.lstat(path).st_mode)


def config(directory, **kw):
    c = dict(BASE, directory=directory)
    c.update(kw)
    return c


def once(argv, timeout=20):
    start = time.monotonic()
    p = subprocess.run([lhtest.binary(), "--once"] + argv,
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, errors="replace", timeout=timeout,
                       env=lhtest.clean_env())
    return p, time.monotonic() - start


# --- --once --------------------------------------------------------------

@test(deadline=60)
def once_refuses_a_configuration_that_is_not_a_file():
    srv = serve({"/": 200})
    folder = lhtest.tmpdir()
    good = lhtest.write_config(config(lhtest.write_list_directory(
        [srv.url("/")])), folder)
    status = os.path.join(folder, "status.json")
    # The control: the same settings from a regular file.
    p, took = once(["-c", good, "-o", status])
    check_eq(0, p.returncode, "exit status with a regular file: %s"
             % p.stderr[-300:])
    for path, what in ((fifo_with_silent_writer(folder, "fifo.conf"), FIFO),
                       ("/dev/zero", CHR), ("/dev/null", CHR)):
        try:
            p, took = once(["-c", path, "-o", status], timeout=15)
        except subprocess.TimeoutExpired:
            check(False, "%s as the configuration: --once still ran after "
                  "15 s" % path)
            continue
        check_eq(2, p.returncode, "exit status, %s as the configuration"
                 % path)
        check_in("%s: %s" % (path, what), p.stderr, "the error names it")
        check(took < 5, "refused at once, not read: %.1f s" % took)


@test(deadline=60)
def once_refuses_a_directory_that_is_not_a_file():
    srv = serve({"/": 200})
    folder = lhtest.tmpdir()
    good = lhtest.write_list_directory([srv.url("/")])
    r = lhtest.run_once(config(good))
    check_eq(0, r.returncode, "exit status with a regular directory file")
    for path, what in ((fifo_with_silent_writer(folder, "dir.txt"), FIFO),
                       ("/dev/zero", CHR), ("/dev/null", CHR)):
        r = lhtest.run_once(config(path), timeout=15)
        check(not r.timed_out, "%s as the directory: --once ends" % path)
        check_eq(2, r.returncode, "exit status, %s as the directory" % path)
        check_in("%s: %s" % (path, what), r.stderr, "the error names it")


@test(deadline=60)
def once_refuses_to_replace_an_output_that_is_not_a_file():
    srv = serve({"/": 200})
    folder = lhtest.tmpdir()
    directory = lhtest.write_list_directory([srv.url("/")])
    conf = lhtest.write_config(config(directory), folder)
    cases = [("status", fifo_with_silent_writer(folder, "status.json"),
              FIFO),
             ("status", device(folder, "status-dev.json"), CHR)]
    for what, path, msg in cases:
        before = kind(path)
        try:
            p, took = once(["-c", conf, "-o", path], timeout=15)
        except subprocess.TimeoutExpired:
            check(False, "%s as the status file: --once still ran" % path)
            continue
        check_eq(2, p.returncode, "exit status, %s as the status file"
                 % path)
        check_in("%s: %s" % (path, msg), p.stderr, "the error names it")
        check_eq(before, kind(path), "%s is still what it was" % path)
    # The metrics file, beside a regular status file.
    status = os.path.join(folder, "ok.json")
    for path, msg in ((fifo_with_silent_writer(folder, "m.prom"), FIFO),
                      (device(folder, "m-dev.prom"), CHR)):
        before = kind(path)
        mconf = lhtest.write_config(config(directory, metrics_file=path),
                                    lhtest.tmpdir())
        p, took = once(["-c", mconf, "-o", status], timeout=15)
        check_eq(2, p.returncode, "exit status, %s as the metrics file"
                 % path)
        check_in("%s: %s" % (path, msg), p.stderr, "the error names it")
        check_eq(before, kind(path), "%s is still what it was" % path)
        check_eq(lhtest.STATUS_VERSION,
                 (lhtest._read_json(status) or {}).get("version"),
                 "the status file is written all the same")
    # The control: a regular metrics file is written.
    mpath = os.path.join(folder, "regular.prom")
    mconf = lhtest.write_config(config(directory, metrics_file=mpath),
                                lhtest.tmpdir())
    p, took = once(["-c", mconf, "-o", status])
    check_eq(0, p.returncode, "exit status with regular outputs: %s"
             % p.stderr[-300:])
    check(os.path.isfile(mpath), "the regular metrics file is written")
    check(not glob.glob(os.path.join(folder, "*.??????")),
          "no temporary file left: %s" % os.listdir(folder))


@test(deadline=60)
def show_refuses_a_status_file_that_is_not_a_file():
    srv = serve({"/": 200})
    r = lhtest.run_once(config(lhtest.write_list_directory([srv.url("/")])))
    check_eq(0, r.returncode, "exit status of the --once that wrote it")
    folder = lhtest.tmpdir()
    for fmt in ("text", "json"):
        # The control: the regular file --once wrote.
        p = subprocess.run([lhtest.binary(), "--show", r.status_path,
                            "--format", fmt], capture_output=True,
                           text=True, timeout=15, env=lhtest.clean_env())
        check_eq(0, p.returncode, "--show --format %s of a regular file: %s"
                 % (fmt, p.stderr[-300:]))
        check_in(srv.url("/"), p.stdout, "the link is shown")
        for path, what in ((fifo_with_silent_writer(folder, "s-" + fmt),
                            FIFO), ("/dev/zero", CHR)):
            try:
                p = subprocess.run([lhtest.binary(), "--show", path,
                                    "--format", fmt], capture_output=True,
                                   text=True, timeout=15,
                                   env=lhtest.clean_env())
            except subprocess.TimeoutExpired:
                check(False, "--show %s still ran after 15 s" % path)
                continue
            check_eq(2, p.returncode, "exit status of --show %s" % path)
            check_in("%s: %s" % (path, what), p.stderr, "the error names it")


# --- the daemon ----------------------------------------------------------

def cycles_logged(d):
    return sum(": 1 links:" in l for l in d.output().splitlines())


def stops_promptly(d, what):
    start = time.monotonic()
    rc = d.stop(signal.SIGTERM, timeout=10)
    took = time.monotonic() - start
    check_eq(0, rc, "%s: exit status after SIGTERM" % what)
    check(took < 5, "%s: SIGTERM answered in %.1f s" % (what, took))


@test(deadline=90)
def daemon_with_a_status_path_that_is_not_a_file():
    srv = serve({"/": 200})
    directory = lhtest.write_list_directory([srv.url("/")])
    for make, msg in ((fifo_with_silent_writer, FIFO), (device, CHR)):
        folder = lhtest.tmpdir()
        path = make(folder, "status.json")
        before = kind(path)
        d = Daemon(config(directory), status_path=path)
        # Read at the start as the previous status, then refused at each
        # write: said once, and the checks go on.
        d.wait_log("%s: %s; not set aside" % (path, msg), timeout=10)
        d.wait_log(": 1 links:", count=3, timeout=20)
        out = d.output()
        check_eq(1, sum(("%s: %s" % (path, msg)) in l and
                        "not set aside" not in l
                        for l in out.splitlines()),
                 "the refused write is logged once")
        stops_promptly(d, path)
        check_eq(before, kind(path), "%s is still what it was" % path)
        check_eq([], glob.glob(path + ".unusable-*"), "nothing set aside")
        check_eq([], [f for f in os.listdir(folder)
                      if f != "status.json" and f.startswith("status")],
                 "no temporary file left")


@test(deadline=60)
def daemon_with_a_metrics_path_that_is_not_a_file():
    srv = serve({"/": 200})
    folder = lhtest.tmpdir()
    path = fifo_with_silent_writer(folder, "metrics.prom")
    d = Daemon(config(lhtest.write_list_directory([srv.url("/")]),
                      metrics_file=path))
    d.wait_log("%s: %s" % (path, FIFO), timeout=10)
    s = d.wait_status(lambda s: s.get("cycle", {}).get("number", 0) >= 3,
                      timeout=20)
    check(s is not None, "the checks go on, the status file is written")
    check_eq(S_IFIFO, kind(path), "the FIFO is still a FIFO")
    stops_promptly(d, path)


S_IFIFO = stat.S_IFIFO


@test(deadline=60)
def daemon_with_a_directory_that_is_not_a_file():
    folder = lhtest.tmpdir()
    path = fifo_with_silent_writer(folder, "directory.txt")
    d = Daemon(config(path))
    d.wait_log("%s: %s" % (path, FIFO), timeout=10)
    time.sleep(1.5)     # more cycles, the error said once
    check_eq(1, sum(FIFO in l for l in d.output().splitlines()),
             "logged once")
    stops_promptly(d, path)


@test(deadline=60)
def reload_of_a_configuration_that_became_a_fifo():
    srv = serve({"/": 200})
    d = Daemon(config(lhtest.write_list_directory([srv.url("/")])))
    d.wait_log(": 1 links:", timeout=10)
    # The control: a reload of the regular file is taken.
    d.proc.send_signal(signal.SIGHUP)
    d.wait_log("SIGHUP: reloading", timeout=10)
    check("reload rejected" not in d.output(), "a good reload is taken")
    os.unlink(d.conf_path)
    os.mkfifo(d.conf_path)
    fd = os.open(d.conf_path, os.O_RDWR)
    lhtest.on_cleanup(lambda: os.close(fd))
    d.proc.send_signal(signal.SIGHUP)
    d.wait_log("reload rejected; the running configuration stays",
               timeout=10)
    check_in("%s: %s" % (d.conf_path, FIFO), d.output(), "the error names it")
    n = cycles_logged(d)
    lhtest.wait_for(lambda: cycles_logged(d) >= n + 2, timeout=10)
    check(cycles_logged(d) >= n + 2, "the last good configuration runs on")
    stops_promptly(d, "after the rejected reload")


@test(deadline=60)
def previous_status_that_is_a_device_is_not_set_aside():
    srv = serve({"/": 200})
    folder = lhtest.tmpdir()
    # A zero device as the previous status file used to be read for
    # 256 MiB and then renamed aside.
    path = device(folder, "status.json", minor=5)
    if path.startswith("/dev/"):
        print("     (no device node could be made: that row skipped)")
    else:
        d = Daemon(config(lhtest.write_list_directory([srv.url("/")])),
                   status_path=path)
        d.wait_log("%s: %s; not set aside" % (path, CHR), timeout=10)
        d.wait_log(": 1 links:", count=2, timeout=10)
        stops_promptly(d, path)
        check_eq(stat.S_IFCHR, kind(path), "still a device")
        check_eq([], glob.glob(path + ".unusable-*"), "nothing set aside")
    # The control: a regular file that is not ours is set aside.
    status = os.path.join(folder, "plain.json")
    with open(status, "w") as f:
        f.write("zeros\n")
    d = Daemon(config(lhtest.write_list_directory([srv.url("/")])),
               status_path=status)
    s = d.wait_status(lambda s: s.get("version") == lhtest.STATUS_VERSION)
    check(s is not None, "the daemon writes its own file")
    check_eq(1, len(glob.glob(status + ".unusable-*")),
             "the regular file is set aside")
    d.check_stop()


if __name__ == "__main__":
    lhtest.main()
