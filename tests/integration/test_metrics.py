"""The Prometheus text file (metrics_file): what --once writes for links in
every state, checked by promtool (Debian package prometheus) and parsed
back value by value; the shard label of N instances; the file replaced
atomically, cycle after cycle, with no temporary file left behind."""

import calendar
import html
import os
import re
import shutil
import subprocess
import time

import lhtest
from lhtest import check, check_eq, serve, test, Daemon

FAST = {"timeout": "5s", "connect_timeout": "2s", "retries": 0}
STATES = ["ok", "moved", "stale", "blocked", "error", "unreachable",
          "unknown"]
FAMILIES = [
    "linkhealthd_link_up",
    "linkhealthd_link_state",
    "linkhealthd_link_http_status",
    "linkhealthd_link_duration_seconds",
    "linkhealthd_link_cert_expiry_timestamp_seconds",
    "linkhealthd_link_state_since_timestamp_seconds",
    "linkhealthd_links",
    "linkhealthd_cycle_duration_seconds",
    "linkhealthd_last_cycle_timestamp_seconds",
    "linkhealthd_cycle_inconclusive",
    "linkhealthd_directory_entries",
    "linkhealthd_directory_load_success",
]
QUOTED = 'The "Quoted" \\ Back\\slash Org'


# --- the text format, read back ------------------------------------------

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def _labels(line, i):
    """Parse {k="v",...} at line[i] ('{'): (dict, index after '}')."""
    labels = {}
    i += 1
    while line[i] != "}":
        m = _LABEL.match(line, i)
        if m is None or line[m.end():m.end() + 2] != '="':
            raise ValueError("bad label at %d: %r" % (i, line))
        key, i, value = m.group(0), m.end() + 2, []
        while line[i] != '"':
            if line[i] == "\\":
                esc = line[i + 1]
                if esc not in '\\"n':
                    raise ValueError("bad escape \\%s: %r" % (esc, line))
                value.append("\n" if esc == "n" else esc)
                i += 2
            else:
                value.append(line[i])
                i += 1
        if key in labels:
            raise ValueError("label %s twice: %r" % (key, line))
        labels[key] = "".join(value)
        i += 1
        if line[i] == ",":
            i += 1
    return labels, i + 1


def parse(text):
    """The families in order [(name, help, type)] and the samples
    {(name, frozenset(labels.items())): float}.  Raises ValueError on
    anything promtool would not take or on a family split in two."""
    families, samples, current = [], {}, None
    lines = text.split("\n")
    if lines[-1] != "":
        raise ValueError("no newline at the end")
    for line in lines[:-1]:
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            if any(f[0] == name for f in families):
                raise ValueError("family %s twice" % name)
            families.append([name, help_text, None])
            current = name
            continue
        if line.startswith("# TYPE "):
            name, _, typ = line[7:].partition(" ")
            if current != name or families[-1][2] is not None:
                raise ValueError("TYPE out of place: %r" % line)
            families[-1][2] = typ
            continue
        m = _NAME.match(line)
        if m is None:
            raise ValueError("not a sample: %r" % line)
        name, i = m.group(0), m.end()
        labels = {}
        if line[i] == "{":
            labels, i = _labels(line, i)
        if line[i] != " ":
            raise ValueError("no value: %r" % line)
        if name != current:
            raise ValueError("sample outside its family %s: %r"
                             % (current, line))
        key = (name, frozenset(labels.items()))
        if key in samples:
            raise ValueError("series twice: %r" % line)
        samples[key] = float(line[i + 1:])
    return [tuple(f) for f in families], samples


def value(samples, metric, /, **labels):
    """One sample's value, or None; labels may include "name"."""
    return samples.get((metric, frozenset(labels.items())))


def series(samples, name):
    """[(labels dict, value)] of one family."""
    return [(dict(k[1]), v) for k, v in samples.items() if k[0] == name]


# --- helpers ---------------------------------------------------------------

def promtool_check(path):
    """promtool check metrics < path: (ok, output)."""
    tool = shutil.which("promtool")
    if tool is None:
        return False, ("promtool not found: install the Debian package "
                       "prometheus (apt-get install prometheus)")
    with open(path, "rb") as f:
        p = subprocess.run([tool, "check", "metrics"], stdin=f,
                           capture_output=True, timeout=60)
    out = (p.stdout + p.stderr).decode(errors="replace").strip()
    # Any output is a problem: promtool prints lint findings (missing
    # HELP, abbreviated units, counters without _total...) as well as
    # parse errors, and some of them exit 0.
    return p.returncode == 0 and out == "", "exit %d: %s" % (p.returncode,
                                                            out[-1500:])


def check_promtool(path, what):
    if not os.path.exists(path):
        check(False, "promtool check metrics on %s: no file %s"
              % (what, path))
        return
    ok, out = promtool_check(path)
    check(ok, "promtool check metrics on %s: %s" % (what, out))


def read_metrics(path, r):
    if not check(os.path.exists(path), "no metrics file at %s after the run "
                 "(is metrics_file written by the daemon?) stderr: %s"
                 % (path, r.stderr[-500:])):
        return None, None
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        check(False, "metrics file is not UTF-8: %s" % e)
        return None, None
    try:
        return parse(text)
    except (ValueError, IndexError) as e:
        check(False, "metrics file does not parse: %s\n%s" % (e, text[:2000]))
        return None, None


def html_directory(regions):
    """An HTML directory: {region: [(url, name)]}, h2 per region."""
    parts = []
    for region, links in regions.items():
        parts.append("<h2>%s</h2>" % html.escape(region))
        for url, name in links:
            parts.append('<p><a href="%s">%s</a></p>\n'
                         '<div class="text-subtext">About %s</div>'
                         % (html.escape(url), html.escape(name),
                            html.escape(name)))
    path = os.path.join(lhtest.tmpdir(), "directory.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write("<html><body>\n%s\n</body></html>\n" % "\n".join(parts))
    return path


def not_after(certfile):
    """The certificate's notAfter as Unix time (openssl x509)."""
    p = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in",
                        certfile], capture_output=True, text=True,
                       timeout=30, check=True)
    when = p.stdout.strip().split("=", 1)[1]
    return calendar.timegm(time.strptime(when, "%b %d %H:%M:%S %Y GMT"))


def only_file(folder, name):
    left = sorted(os.listdir(folder))
    check_eq([name], left, "files in the metrics folder (no temporary "
             "file left)")


# --- tests -------------------------------------------------------------------

@test(deadline=90)
def once_writes_every_link_and_promtool_accepts_it():
    srv = serve({"/ok": 200, "/gone": 404, "/old": {"redirect": {
        "status": 301, "location": "/new"}}, "/new": 200, "/q": 200})
    tls = serve({"/": 200}, tls=lhtest.cert("soon"))
    tls_url = tls.url("/", "site.lh.test")
    dead = "http://127.0.0.1:%d/" % lhtest.closed_port()
    links = {
        srv.url("/ok"): ("Europe", "Fine Org", "ok", 200),
        # The final answer, after the redirect is followed.
        srv.url("/old"): ("Europe", "Moved Org", "moved", 200),
        srv.url("/gone"): ("Europe", "Gone Org", "stale", 404),
        dead: ("Asia", "Université Fermée", "unreachable", None),
        tls_url: ("Asia", "Secure Org", "ok", 200),
        srv.url("/q"): ("Asia", QUOTED, "ok", 200),
    }
    regions = {}
    for url, (region, name, _, _) in links.items():
        regions.setdefault(region, []).append((url, name))
    folder = lhtest.tmpdir()
    path = os.path.join(folder, "linkhealthd.prom")
    conf = dict(FAST, directory=html_directory(regions),
                directory_format="html", metrics_file=path,
                resolve=tls.resolve("site.lh.test"),
                ca_file=lhtest.ca_file())
    start = int(time.time())
    r = lhtest.run_once(conf)
    end = int(time.time()) + 1
    check_eq(1, r.returncode, "exit code (stale and unreachable links; "
             "stderr %s)" % r.stderr[-500:])
    families, samples = read_metrics(path, r)
    if samples is None:
        return
    check_promtool(path, "the --once file")
    only_file(folder, "linkhealthd.prom")
    check_eq(0o644, os.stat(path).st_mode & 0o777, "file mode")

    check_eq(FAMILIES, [f[0] for f in families], "families, in order")
    for name, help_text, typ in families:
        check_eq("gauge", typ, "TYPE of %s" % name)
        check(len(help_text) > 10, "HELP of %s: %r" % (name, help_text))
    check(not [k for k in samples if "shard" in dict(k[1])],
          "no shard label when not sharded")

    # The labels are what the status file says of each link.
    by_url = {l["url"]: l for l in r.links}
    check_eq(set(links), set(by_url), "links in the status file")
    up = series(samples, "linkhealthd_link_up")
    check_eq(len(links), len(up), "one link_up per link")
    for url, (region, name, state, http) in links.items():
        ids = {"region": region, "name": name, "url": url}
        st = by_url.get(url, {})
        check_eq((st.get("region"), st.get("name")), (region, name),
                 "status file's region and name of %s" % url)
        check_eq(state, st.get("state"), "state of %s" % url)
        check_eq(1.0 if state in ("ok", "moved") else 0.0,
                 value(samples, "linkhealthd_link_up", **ids),
                 "link_up of %s" % url)
        check_eq([1.0 if s == state else 0.0 for s in STATES],
                 [value(samples, "linkhealthd_link_state", state=s, **ids)
                  for s in STATES], "one-hot state of %s" % url)
        check_eq(None if http is None else float(http),
                 value(samples, "linkhealthd_link_http_status", **ids),
                 "http_status of %s" % url)
        total = value(samples, "linkhealthd_link_duration_seconds",
                      phase="total", **ids)
        # A link's check lies within the cycle (the loop's clock counts
        # whole milliseconds, hence the one of slack).
        dur = value(samples, "linkhealthd_cycle_duration_seconds")
        check(total is not None and dur is not None and
              0 < total <= dur + 0.001,
              "total duration of %s: %r, within the cycle's %r"
              % (url, total, dur))
        phases = [dict(k[1])["phase"] for k in samples
                  if k[0] == "linkhealthd_link_duration_seconds"
                  and dict(k[1])["url"] == url]
        check(set(phases) <= {"dns", "connect", "tls", "first_byte",
                              "total"}, "phases of %s: %r" % (url, phases))
        if http is not None:
            check("first_byte" in phases, "first_byte of %s" % url)
        if url.startswith("http:"):
            check("tls" not in phases, "no tls phase for %s" % url)
        since = value(samples,
                      "linkhealthd_link_state_since_timestamp_seconds", **ids)
        check(since is not None and start <= since <= end,
              "since of %s: %r, run %d..%d" % (url, since, start, end))
        expiry = value(samples,
                       "linkhealthd_link_cert_expiry_timestamp_seconds",
                       **ids)
        if url == tls_url:
            want = not_after(lhtest.cert("soon")[0])
            check_eq(float(want), expiry, "certificate expiry of %s" % url)
            # What the README's alert rule asks: within 14 days.
            check(expiry is not None and expiry - end < 14 * 86400,
                  "the soon certificate is within 14 days")
        else:
            check_eq(None, expiry, "no certificate expiry for %s" % url)

    counts = {s: value(samples, "linkhealthd_links", state=s)
              for s in STATES}
    check_eq({"ok": 3.0, "moved": 1.0, "stale": 1.0, "blocked": 0.0,
              "error": 0.0, "unreachable": 1.0, "unknown": 0.0}, counts,
             "linkhealthd_links")
    check_eq(6.0, value(samples, "linkhealthd_directory_entries"),
             "directory entries")
    check_eq(1.0, value(samples, "linkhealthd_directory_load_success"),
             "directory loaded")
    dur = value(samples, "linkhealthd_cycle_duration_seconds")
    # The cycle lies within the run (whole seconds, start..end).
    check(dur is not None and 0 < dur <= end - start,
          "cycle duration %r, run %d..%d" % (dur, start, end))
    last = value(samples, "linkhealthd_last_cycle_timestamp_seconds")
    check(last is not None and start <= last <= end,
          "last cycle %r, run %d..%d" % (last, start, end))
    check_eq(0.0, value(samples, "linkhealthd_cycle_inconclusive"),
             "the cycle is conclusive")
    # The name with quotes and backslashes is escaped in the file.
    with open(path, encoding="utf-8") as f:
        text = f.read()
    check('name="The \\"Quoted\\" \\\\ Back\\\\slash Org"' in text,
          "escaped name in the file")


@test(deadline=60)
def a_metrics_file_node_exporter_would_ignore_is_warned_about():
    srv = serve({"/ok": 200})
    folder = lhtest.tmpdir()
    for name, warned in (("links.txt", True), ("links.prom", False)):
        conf = dict(FAST, directory=lhtest.write_list_directory(
            [srv.url("/ok")]), metrics_file=os.path.join(folder, name))
        r = lhtest.run_once(conf)
        check_eq(0, r.returncode, "exit code (stderr %r)" % r.stderr)
        check_eq(warned, "does not end in .prom" in r.stderr,
                 "warned about %s: %r" % (name, r.stderr))
        check(os.path.exists(os.path.join(folder, name)),
              "%s is written all the same" % name)


@test(deadline=90)
def shards_carry_their_label_and_never_collide():
    srv = serve({"/": {"status": 200, "prefix": True}})
    urls = [srv.url("/org/%d" % i) for i in range(40)]
    directory = lhtest.write_list_directory(urls)
    folder = lhtest.tmpdir()
    union = {}
    for k in (1, 2):
        path = os.path.join(folder, "linkhealthd-%d.prom" % k)
        r = lhtest.run_once(dict(FAST, directory=directory,
                                 metrics_file=path), ["--shard", "%d/2" % k])
        check_eq(0, r.returncode, "shard %d/2 exit (stderr %s)"
                 % (k, r.stderr[-300:]))
        _, samples = read_metrics(path, r)
        if samples is None:
            return
        check_promtool(path, "shard %d/2" % k)
        shards = {dict(key[1]).get("shard") for key in samples}
        check_eq({"%d/2" % k}, shards, "shard label on every series")
        check_eq(40.0, value(samples, "linkhealthd_directory_entries",
                             shard="%d/2" % k), "the whole directory")
        mine = {l["url"] for l in r.links}
        check_eq(mine, {d["url"] for d, _ in
                        series(samples, "linkhealthd_link_up")},
                 "shard %d/2: link_up for its links only" % k)
        check_eq(float(len(mine)), value(samples, "linkhealthd_links",
                                         state="ok", shard="%d/2" % k),
                 "shard %d/2: its ok links" % k)
        both = set(union) & set(samples)
        check_eq(set(), both, "series in both shards")
        union.update(samples)
    # Both files in one textfile directory (or federated): what
    # sum without (shard) (linkhealthd_links) gives.
    total = sum(v for (name, labels), v in union.items()
                if name == "linkhealthd_links" and
                ("state", "ok") in labels)
    check_eq(40.0, total, "ok links summed over the shards")
    check_eq(40, len(series(union, "linkhealthd_link_up")),
             "every link in exactly one shard's file")
    check_eq(["linkhealthd-1.prom", "linkhealthd-2.prom"],
             sorted(os.listdir(folder)), "no temporary file left")


@test(deadline=90)
def a_failed_directory_load_says_so():
    folder = lhtest.tmpdir()
    path = os.path.join(folder, "linkhealthd.prom")
    missing = os.path.join(folder, "no-such-directory.txt")
    r = lhtest.run_once(dict(FAST, directory=missing, metrics_file=path))
    check_eq(2, r.returncode, "exit code (stderr %s)" % r.stderr[-300:])
    # The cycle ran, found no directory, and wrote its status: the metrics
    # say the same.
    check(r.status is not None and r.status["directory"]["error"],
          "the status file has the error")
    _, samples = read_metrics(path, r)
    if samples is None:
        return
    check_promtool(path, "a failed load")
    check_eq(0.0, value(samples, "linkhealthd_directory_load_success"),
             "directory_load_success")
    check_eq(0.0, value(samples, "linkhealthd_directory_entries"),
             "directory entries")
    check_eq([], series(samples, "linkhealthd_link_up"), "no links")
    only_file(folder, "linkhealthd.prom")


@test(deadline=90)
def the_daemon_replaces_the_file_whole_each_cycle():
    srv = serve({"/a": 200, "/b": 404})
    directory = lhtest.write_list_directory([(srv.url("/a"), QUOTED),
                                             srv.url("/b")])
    folder = lhtest.tmpdir()
    path = os.path.join(folder, "linkhealthd.prom")
    d = Daemon(dict(FAST, directory=directory, metrics_file=path,
                    interval="200ms", jitter=0))
    inodes, reads, bad = set(), 0, []
    end = time.monotonic() + 30
    # Read as fast as we can while it cycles: every read is a whole file
    # (the rename is atomic), and each cycle brings a new file (inode).
    while time.monotonic() < end and len(inodes) < 4:
        try:
            with open(path, "rb") as f:
                ino = os.fstat(f.fileno()).st_ino
                text = f.read().decode("utf-8")
        except FileNotFoundError:
            if d.proc.poll() is not None:
                break
            time.sleep(0.01)
            continue
        reads += 1
        inodes.add(ino)
        if not text.endswith("linkhealthd_directory_load_success 1\n"):
            bad.append(text[-200:])
        try:
            parse(text)
        except (ValueError, IndexError) as e:
            bad.append(str(e))
    check(len(inodes) >= 4, "the file replaced at least 3 times (inodes "
          "%d, reads %d; log %s)" % (len(inodes), reads, d.output()[-500:]))
    check_eq([], bad[:3], "partial or broken reads")
    d.check_stop()
    check_promtool(path, "the daemon's file")
    only_file(folder, "linkhealthd.prom")


if __name__ == "__main__":
    lhtest.main()
