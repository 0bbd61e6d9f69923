"""Bad input at scale: each gets a clear error or bounded handling within
a deadline (subprocess's timeout) and bounded memory, never a crash or a
hang.  How fast the parsers are is bench/'s business (lhb-parse)."""

import os
import resource
import subprocess

import lhtest
from lhtest import Daemon, check, check_eq, check_in, serve, test

MEMORY_KIB = 256 * 1024


def check_config(conf, timeout=60):
    path = lhtest.write_config(conf)
    p = subprocess.run([lhtest.binary(), "--check-config", "-c", path],
                       capture_output=True, text=True, errors="replace",
                       timeout=timeout, env=lhtest.clean_env())
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    check(rss < MEMORY_KIB, "children's peak RSS %d KiB" % rss)
    check(p.returncode in (0, 2), "exit 0 or 2, not a crash (%d)"
          % p.returncode)
    return p


def write(name, data):
    path = os.path.join(lhtest.tmpdir(), name)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return path


@test
def hundred_thousand_entries():
    path = write("big.txt", "".join("https://h%d.example.org/p%d Org %d\n"
                                    % (i % 100, i, i) for i in range(100000)))
    p = check_config({"directory": path})
    check_eq(0, p.returncode, "parsed: %s" % p.stderr[-200:])
    entries = [l for l in p.stdout.splitlines() if not l.startswith("#")]
    check_eq(100000, len(entries), "every entry listed")


@test
def ten_mebibyte_name():
    html = ('<h2>R</h2><p><a href="https://example.org/x">%s</a></p>'
            '<div class="text-subtext">d</div>' % ("N" * (10 << 20)))
    p = check_config({"directory": write("name.html", html),
                      "directory_max_bytes": "16M"})
    check_eq(2, p.returncode, "refused")
    check_in("name.html", p.stderr, "the error names the file")


@test
def html_nested_100000_deep():
    html = ("<div>" * 100000 + '<h2>R</h2><p><a href="https://example.org/">'
            'x</a></p><div class="text-subtext">d</div>')
    p = check_config({"directory": write("deep.html", html)})
    # No depth limit cuts the page short: the walk keeps counters, not a
    # stack, and the organization at the bottom is found.
    check_eq(0, p.returncode, "parsed: %s" % p.stderr[-200:])
    check_in("https://example.org/", p.stdout, "the organization found")


@test
def json_nested_100000_deep():
    p = check_config({"directory": write("deep.json",
                                         "[" * 100000 + "]" * 100000)})
    check_eq(2, p.returncode, "a clear error")
    check_in("deep.json:1:", p.stderr, "naming file, line and column")
    check_in("invalid JSON", p.stderr, "and the problem")


@test
def config_of_binary_junk():
    path = write("junk.conf", bytes(range(256)) * 64)
    p = subprocess.run([lhtest.binary(), "--check-config", "-c", path],
                       capture_output=True, text=True, errors="replace",
                       timeout=30, env=lhtest.clean_env())
    check_eq(2, p.returncode, "exit status")
    check_in("junk.conf:", p.stderr, "the error names the file and line")


@test(deadline=60)
def status_file_of_a_gibibyte_of_zeros():
    srv = serve({"/": 200})
    status = os.path.join(lhtest.tmpdir(), "status.json")
    with open(status, "wb") as f:
        f.truncate(1 << 30)     # sparse: 1 GiB of zeros, no disk used
    d = Daemon({"directory": lhtest.write_list_directory([srv.url("/")]),
                "interval": "1h"}, status_path=status)
    s = d.wait_status(lambda s: s.get("version") == lhtest.STATUS_VERSION,
                      timeout=60)
    check(s is not None, "the daemon runs and writes a fresh status file")
    aside = [f for f in os.listdir(os.path.dirname(status))
             if ".unusable-" in f]
    check_eq(1, len(aside), "the zeros were set aside, not deleted")
    d.check_stop()


if __name__ == "__main__":
    lhtest.main()
