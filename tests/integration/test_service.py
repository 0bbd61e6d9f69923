"""The service around the daemon: systemd's notify protocol, the unit
(systemd-analyze verify and security), make install / uninstall, and a
reader that never sees a torn status file."""

import json
import os
import re
import signal
import socket
import subprocess
import time

import lhtest
from lhtest import Daemon, check, check_eq, check_in, serve, test

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


@test(deadline=60)
def notify_protocol():
    srv = serve({"/": {"status": 200, "prefix": True}})
    path = os.path.join(lhtest.tmpdir(), "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(10)
    messages = []

    def until(pred):
        while not any(pred(m) for m in messages):
            messages.append(sock.recv(4096).decode())
        return True

    d = Daemon({"directory": lhtest.write_list_directory([srv.url("/a")]),
                "interval": "1h", "jitter": 0},
               env={"NOTIFY_SOCKET": path})
    try:
        until(lambda m: m.startswith("READY=1"))
        until(lambda m: m.startswith("STATUS=1 links: 1 ok"))
        d.proc.send_signal(signal.SIGHUP)
        until(lambda m: m == "RELOADING=1")
        until(lambda m: m == "READY=1")
        d.proc.send_signal(signal.SIGTERM)
        until(lambda m: m == "STOPPING=1")
    except socket.timeout:
        check(False, "messages so far: %r" % messages)
    finally:
        sock.close()
    check_in("READY=1\nSTATUS=1 links, first cycle running", messages,
             "ready once loaded")
    check_in("SIGHUP: reloading", d.output(), "the reload logged")
    d.check_stop(signal.SIGTERM, sent=True)


def make(*args):
    return subprocess.run(["make", "--no-print-directory", "-C", ROOT] +
                          list(args), capture_output=True, text=True,
                          timeout=120)


@test(deadline=120)
def install_and_uninstall():
    dest = lhtest.tmpdir()
    r = make("install", "DESTDIR=" + dest, "PREFIX=/usr")
    check_eq(0, r.returncode, "make install: %s" % r.stderr[-300:])
    want = ["etc/linkhealthd/directory.json",
            "etc/linkhealthd/linkhealthd.conf",
            "lib/systemd/system/linkhealthd.service",
            "usr/bin/linkhealthd",
            "usr/share/doc/linkhealthd/README.md",
            "usr/share/doc/linkhealthd/dashboard.md",
            "usr/share/doc/linkhealthd/prometheus.md",
            "usr/share/doc/linkhealthd/status.md",
            "usr/share/linkhealthd/dashboard/index.html",
            "usr/share/linkhealthd/notice.schema.json",
            "usr/share/linkhealthd/status.schema.json",
            "usr/share/man/man5/linkhealthd.conf.5",
            "usr/share/man/man8/linkhealthd.8"]
    got = sorted(os.path.relpath(os.path.join(d, f), dest)
                 for d, _, fs in os.walk(dest) for f in fs)
    check_eq(want, got, "installed files")
    unit = open(os.path.join(dest, "lib/systemd/system/linkhealthd.service"))
    check_in("ExecStart=/usr/bin/linkhealthd -c "
             "/etc/linkhealthd/linkhealthd.conf", unit.read(),
             "paths filled in")
    conf = os.path.join(dest, "etc/linkhealthd/linkhealthd.conf")
    with open(conf, "a") as f:
        f.write("interval = 5m\n")
    r = make("install", "DESTDIR=" + dest, "PREFIX=/usr")
    check_in("interval = 5m", open(conf).read(),
             "an existing configuration is never overwritten")
    r = make("uninstall", "DESTDIR=" + dest, "PREFIX=/usr")
    check_eq(0, r.returncode, "make uninstall")
    got = sorted(os.path.relpath(os.path.join(d, f), dest)
                 for d, _, fs in os.walk(dest) for f in fs)
    check_eq(["etc/linkhealthd/linkhealthd.conf"], got,
             "uninstall removes what install added, keeps an edited config")


@test(deadline=120)
def unit_verifies_and_is_hardened():
    dest = lhtest.tmpdir()
    r = make("install", "DESTDIR=" + dest, "PREFIX=/usr")
    unit = os.path.join(dest, "lib/systemd/system/linkhealthd.service")
    # verify checks that ExecStart exists: point it at the installed copy.
    text = open(unit).read().replace(
        "/usr/bin/linkhealthd", os.path.join(dest, "usr/bin/linkhealthd"))
    local = os.path.join(lhtest.tmpdir(), "linkhealthd.service")
    with open(local, "w") as f:
        f.write(text)
    # --man=no: verify would run man(1), which a fresh machine may lack;
    # the pages the unit names are looked for among the installed files.
    v = subprocess.run(["systemd-analyze", "verify", "--man=no", local],
                       capture_output=True, text=True, timeout=60)
    check_eq(0, v.returncode, "systemd-analyze verify: %s" % v.stderr)
    pages = re.findall(r"\bman:([\w.-]+)\((\d)\)", text)
    check_eq([("linkhealthd", "8"), ("linkhealthd.conf", "5")], pages,
             "Documentation= names both man pages")
    for name, section in pages:
        page = os.path.join(dest, "usr/share/man/man%s/%s.%s"
                            % (section, name, section))
        check(os.path.exists(page), "%s is installed" % page)
    s = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                        local], capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", s.stdout)
    check(m is not None, "a score (%s)" % (s.stdout[-300:] + s.stderr))
    if m:
        check(float(m.group(1)) <= 2.0, "exposure %s <= 2.0" % m.group(1))


@test(deadline=240)
def readers_never_see_a_torn_status_file():
    srv = serve({"/": {"status": 200, "prefix": True}})
    urls = [srv.url("/p%d" % i) for i in range(100)]
    d = Daemon({"directory": lhtest.write_list_directory(urls),
                "interval": "100ms", "jitter": 0, "concurrency": 32,
                "per_host_concurrency": 32})
    d.wait_status(lambda s: s["cycle"]["number"] >= 1)
    reads, torn, cycles = 0, [], set()
    # A give-up deadline, not a speed claim: on a busy machine 200
    # rewrites take longer.  The short pause leaves the daemon the CPU.
    end = time.monotonic() + 180
    while time.monotonic() < end and len(cycles) < 200:
        with open(d.status_path, "rb") as f:
            data = f.read()
        reads += 1
        try:
            cycles.add(json.loads(data)["cycle"]["number"])
        except ValueError as e:
            torn.append(str(e))
        time.sleep(0.002)
    check(len(cycles) >= 200, "saw %d rewrites in %d reads" %
          (len(cycles), reads))
    check_eq([], torn[:3], "every read parsed")
    d.check_stop()


if __name__ == "__main__":
    lhtest.main()
