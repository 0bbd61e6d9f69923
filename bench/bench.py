#!/usr/bin/env python3
"""linkhealthd's benchmark runner (make bench; see bench/README.md).

Starts its own targets on 127.0.0.1 (nginx with bench/nginx.conf.in, and
bench/delayserver.py), runs linkhealthd --once and the curl command-line
tool over the same URL lists, several times each, interleaved; times the
directory parser against xmllint --html on one generated page (d), the
daemon idle between cycles (e), and the status file and report of 100,000
links against jq . on the same file (f); and prints one table of medians
and ratios measured in this run.  Every run's figures go to
BUILD/bench/results.json and results.csv.

Each measured process is started by build/bench/lhb-spawn (bench/spawn.c),
which forks it, reaps it with wait4 and reports that process's own CPU
time (user + sys) and peak RSS (ru_maxrss, KiB on Linux), and the wall
time from fork to reap (CLOCK_MONOTONIC).  (wait4 straight from Python
would count the Python runner's own memory in the child's ru_maxrss.)
A run counts only if it was correct: linkhealthd exits 0 and its status
file says every link is ok; curl exits 0 and printed "200 HEAD" once per
URL; the parser found every organization without a warning and xmllint
printed no error; the status writer wrote every link and jq exits 0; the
idle daemon exits 0 on SIGTERM.

Everything is bounded: each run has a deadline (then it is killed and the
benchmark fails), and the servers are stopped by their process ids in a
finally block, on errors and on SIGTERM too.  No address but 127.0.0.1.

Environment: BENCH_RUNS (timed runs per case, default 7), BENCH_FULL=0
(skip the 100,000-URL case, which runs 3 times and only when the deadline
leaves room for it), BENCH_DEADLINE (seconds for the whole run, default
560), BENCH_IDLE_SECONDS (how long (e) watches the idle daemon, default 60;
the targets scale with it).
"""
import argparse
import csv
import glob
import json
import os
import platform
import re
import select
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = None                          # BUILD/bench, absolute
SPAWN = None                        # BUILD/bench/lhb-spawn
PARSE = None                        # BUILD/bench/lhb-parse
STATUSW = None                      # BUILD/bench/lhb-statuswrite
HOST_FMT = "h%03d.lhbench.test"     # RFC 6761 .test: never a real name
DELAY_MS = 50
D_ORGS = 20000                      # (d): organizations on the page
E_URLS = 20                         # (e): links of the idle daemon
E_SETTLE_S = 1.0                    # (e): after the first status file
F_LINKS = 100000                    # (f): links in the status file


class BenchError(Exception):
    pass


def on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


# --- measuring one process --------------------------------------------------

def measure(cmd, deadline_s, stdout, stderr, env=None):
    """Run cmd through lhb-spawn (see bench/spawn.c), with a deadline, and
    return its own wall time, CPU time, peak RSS and exit code."""
    report = os.path.join(OUT, "spawn.report")
    try:
        os.unlink(report)
    except OSError:
        pass
    proc = subprocess.Popen([SPAWN, report] + cmd, stdin=subprocess.DEVNULL,
                            stdout=stdout, stderr=stderr, env=env)
    try:
        proc.wait(deadline_s)
    except subprocess.TimeoutExpired:
        proc.kill()                 # the command dies with it (PDEATHSIG)
        proc.wait(10)
        raise BenchError("%s: no exit within %.0fs, killed"
                         % (os.path.basename(cmd[0]), deadline_s))
    try:
        with open(report) as f:
            wall_ns, ut, st, rss, status = (int(x) for x in f.read().split())
    except (OSError, ValueError) as e:
        raise BenchError("%s: lhb-spawn wrote no report (exit %d): %s"
                         % (os.path.basename(cmd[0]), proc.returncode, e))
    return {
        "wall_s": wall_ns / 1e9,
        "user_s": ut / 1e6,
        "sys_s": st / 1e6,
        "cpu_s": (ut + st) / 1e6,
        "maxrss_kib": rss,
        "rc": os.waitstatus_to_exitcode(status),
    }


# --- servers ----------------------------------------------

def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def wait_listening(port, proc, deadline_s):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def children_of(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


class Server:
    """A process of ours: stopped by its pid, SIGTERM then SIGKILL."""

    def __init__(self, name, proc, port, pidfile):
        self.name, self.proc, self.port = name, proc, port
        self.pidfile = pidfile
        # nginx's worker too, so a fallback kill can find it.
        self.pids = [proc.pid] + children_of(proc.pid)
        with open(pidfile, "w") as f:
            f.write(" ".join(str(p) for p in self.pids) + "\n")

    def cpu_s(self):
        """CPU seconds used so far by the server and its workers."""
        total = 0
        for pid in [self.proc.pid] + children_of(self.proc.pid):
            try:
                with open("/proc/%d/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                pass
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        for pid in self.pids[1:]:           # orphans, should there be any
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    if self.name.encode() in f.read():
                        os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            os.unlink(self.pidfile)
        except OSError:
            pass


def find_nginx():
    for d in os.environ.get("PATH", "").split(":") + ["/usr/sbin", "/sbin"]:
        p = os.path.join(d, "nginx")
        if d and os.access(p, os.X_OK):
            return p
    raise BenchError("nginx not found (bench/run.sh installs it)")


def start_nginx(out):
    nginx = find_nginx()
    prefix = os.path.join(out, "nginx")
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        os.makedirs(os.path.join(prefix, "tmp", sub), exist_ok=True)
    with open(os.path.join(HERE, "nginx.conf.in")) as f:
        template = f.read()
    conf = os.path.join(prefix, "nginx.conf")
    errlog = os.path.join(prefix, "error.log")
    for attempt in range(5):
        port = free_port()
        with open(conf, "w") as f:
            f.write(template.replace("@PREFIX@", prefix)
                    .replace("@PORT@", str(port)))
        log = open(os.path.join(prefix, "stderr.log"), "w")
        proc = subprocess.Popen([nginx, "-p", prefix + "/", "-c", conf,
                                 "-e", errlog],
                                stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        if wait_listening(port, proc, 10):
            time.sleep(0.1)                 # let the worker start
            return Server("nginx", proc, port,
                          os.path.join(out, "nginx.pids"))
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        print("bench: nginx did not start on port %d (try %d), see %s"
              % (port, attempt + 1, errlog), file=sys.stderr)
    raise BenchError("nginx would not start")


def start_delayserver(out):
    log = open(os.path.join(out, "delayserver.log"), "w")
    proc = subprocess.Popen([sys.executable, os.path.join(HERE,
                                                          "delayserver.py"),
                             "--delay-ms", str(DELAY_MS),
                             "--max-seconds", "900"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=log, start_new_session=True)
    log.close()
    srv = None
    try:
        ready = select.select([proc.stdout], [], [], 10)[0]
        line = proc.stdout.readline().decode() if ready else ""
        if not line.startswith("PORT "):
            raise BenchError("delayserver did not start: %r" % line)
        port = int(line.split()[1])
        srv = Server("delayserver", proc, port,
                     os.path.join(out, "delayserver.pids"))
        if not wait_listening(port, proc, 10):
            raise BenchError("delayserver is not listening")
        return srv
    except BaseException:
        if srv:
            srv.stop()
        elif proc.poll() is None:
            proc.kill()
            proc.wait(10)
        raise


# --- workloads --------------------------------------------

class Case:
    """One URL list, checked by linkhealthd and by curl."""

    def __init__(self, key, title, out, server, nurls, nhosts, conc,
                 per_host):
        self.key, self.title, self.server = key, title, server
        port = server.port
        self.nurls, self.nhosts = nurls, nhosts
        self.conc, self.per_host = conc, per_host
        d = os.path.join(out, key)
        os.makedirs(d, exist_ok=True)
        self.dir = d
        hosts = [HOST_FMT % i for i in range(nhosts)]
        resolves = ["%s:%d:127.0.0.1" % (h, port) for h in hosts]
        # Host i % nhosts: the hosts interleave, as in a real directory.
        urls = ["http://%s:%d/org/%06d" % (hosts[i % nhosts], port, i)
                for i in range(nurls)]
        self.urls_file = os.path.join(d, "urls.txt")
        with open(self.urls_file, "w") as f:
            f.write("# %s\n" % title)
            f.writelines(u + "\n" for u in urls)
        self.status = os.path.join(d, "status.json")
        self.conf = os.path.join(d, "linkhealthd.conf")
        with open(self.conf, "w") as f:
            f.write("directory = %s\n" % self.urls_file)
            f.write("directory_format = list\n")
            f.write("status_file = %s\n" % self.status)
            f.write("concurrency = %d\n" % conc)
            f.write("per_host_concurrency = %d\n" % per_host)
            f.write("timeout = 30s\nconnect_timeout = 10s\n")
            f.write("retries = 0\nfail_threshold = 1\n")
            f.write("allow_private = yes\nlog_level = warning\n")
            f.writelines("resolve = %s\n" % r for r in resolves)
        self.curl_conf = os.path.join(d, "curl.conf")
        with open(self.curl_conf, "w") as f:
            f.writelines('resolve = "%s"\n' % r for r in resolves)
            for u in urls:
                f.write('url = "%s"\noutput = "/dev/null"\n' % u)


def run_linkhealthd(case, binary, deadline_s, tag):
    try:
        os.unlink(case.status)
    except OSError:
        pass
    errpath = os.path.join(case.dir, "linkhealthd.%s.stderr" % tag)
    with open(errpath, "w") as err:
        env = dict(os.environ, NO_COLOR="1")
        r = measure([binary, "--once", "-c", case.conf, "-o", case.status],
                    deadline_s, subprocess.DEVNULL, err, env)
    ok = None
    try:
        with open(case.status) as f:
            ok = json.load(f)["summary"]["ok"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    r["verified"] = r["rc"] == 0 and ok == case.nurls
    if not r["verified"]:
        raise BenchError("linkhealthd on %s: exit %d, summary.ok %r of %d "
                         "(see %s, %s)" % (case.key, r["rc"], ok, case.nurls,
                                           errpath, case.status))
    return r


def run_curl(case, conc, deadline_s, tag):
    outpath = os.path.join(case.dir, "curl.%s.stdout" % tag)
    errpath = os.path.join(case.dir, "curl.%s.stderr" % tag)
    cmd = ["curl", "-q", "-K", case.curl_conf, "--parallel",
           "--parallel-max", str(conc), "--head", "-s", "-S",
           "--max-time", "30", "--connect-timeout", "10",
           "-w", "%{response_code} %{method}\\n"]
    with open(outpath, "w") as out, open(errpath, "w") as err:
        r = measure(cmd, deadline_s, out, err)
    with open(outpath) as f:
        heads = sum(1 for line in f if line.strip() == "200 HEAD")
    r["verified"] = r["rc"] == 0 and heads == case.nurls
    if not r["verified"]:
        raise BenchError("curl on %s: exit %d, %d of %d answered 200 to HEAD "
                         "(see %s)" % (case.key, r["rc"], heads, case.nurls,
                                       errpath))
    return r


# --- (d) directory parsing --------------------------------

class ParseCase:
    """One generated page of D_ORGS organizations, as HTML and as the
    WordPress REST JSON of the same content (bench/gendir.py)."""

    def __init__(self, out):
        import gendir
        self.key = "d"
        self.dir = os.path.join(out, "d")
        os.makedirs(self.dir, exist_ok=True)
        self.html = os.path.join(self.dir, "directory.html")
        self.json = os.path.join(self.dir, "directory.json")
        gendir.write(D_ORGS, self.html, self.json)
        self.html_bytes = os.path.getsize(self.html)
        self.json_bytes = os.path.getsize(self.json)
        mib = self.html_bytes / 1048576.0
        self.title = "(d) parse %dk orgs, %.1f MiB HTML" % (D_ORGS // 1000,
                                                            mib)


def run_lhparse(case, fmt, deadline_s, tag):
    """lhb-parse (bench/parse.c): read + lh_directory_parse + cleanup, timed
    inside the process, and the process itself timed by lhb-spawn."""
    path = case.html if fmt == "html" else case.json
    outpath = os.path.join(case.dir, "lhb-parse.%s.%s.stdout" % (fmt, tag))
    errpath = os.path.join(case.dir, "lhb-parse.%s.%s.stderr" % (fmt, tag))
    with open(outpath, "w") as out, open(errpath, "w") as err:
        r = measure([PARSE, path, fmt], deadline_s, out, err)
    try:
        with open(outpath) as f:
            n, nwarn, total, read, parse, free = (int(x) for x in
                                                  f.read().split())
    except (OSError, ValueError):
        n = nwarn = total = read = parse = free = -1
    r["verified"] = r["rc"] == 0 and n == D_ORGS and nwarn == 0
    if not r["verified"]:
        raise BenchError("lhb-parse on %s: exit %d, %d entries of %d, %d "
                         "warnings (see %s)" % (path, r["rc"], n, D_ORGS,
                                                nwarn, errpath))
    r.update(inproc_s=total / 1e9, read_s=read / 1e9, parse_s=parse / 1e9,
             free_s=free / 1e9)
    return r


TIMING_RE = re.compile(r"^(Parsing|Freeing) took (\d+) ms$")


def run_xmllint(case, deadline_s, tag):
    """xmllint --html --noout on the same HTML; --timing adds only its own
    "Parsing took N ms" and "Freeing took N ms" lines (reading the file is
    part of Parsing).  Any other output is an error message, whose printing
    would slow the baseline down: that fails the run."""
    errpath = os.path.join(case.dir, "xmllint.%s.stderr" % tag)
    with open(errpath, "w") as err:
        r = measure(["xmllint", "--html", "--noout", "--timing", case.html],
                    deadline_s, subprocess.DEVNULL, err)
    took, other = {}, 0
    with open(errpath) as f:
        for line in f:
            m = TIMING_RE.match(line.strip())
            if m:
                took[m.group(1)] = int(m.group(2)) / 1000.0
            elif line.strip():
                other += 1
    r["verified"] = r["rc"] == 0 and len(took) == 2 and other == 0
    if not r["verified"]:
        raise BenchError("xmllint on %s: exit %d, %d lines of errors (see "
                         "%s)" % (case.html, r["rc"], other, errpath))
    r.update(inproc_s=took["Parsing"] + took["Freeing"],
             parse_s=took["Parsing"], free_s=took["Freeing"])
    return r


# --- (e) the daemon between cycles ------------------------

def proc_sample(pid):
    """CPU and context switches of every thread of pid, now."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])       # utime + stime
    s = {"cpu_ms": ticks * 1000.0 / os.sysconf("SC_CLK_TCK"),
         "run_ns": 0, "vol": 0, "invol": 0, "tids": []}
    for task in glob.glob("/proc/%d/task/*" % pid):
        try:
            with open(task + "/status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        s["vol"] += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches:"):
                        s["invol"] += int(line.split()[1])
            with open(task + "/schedstat") as f:
                s["run_ns"] += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue                # the thread ended meanwhile
        s["tids"].append(int(os.path.basename(task)))
    return s


def run_idle(out, server, binary, window_s, deadline_s):
    """The daemon (interval 1h) over E_URLS links on nginx: once its first
    status file is there and E_SETTLE_S more have passed, its CPU time and
    context switches over window_s seconds."""
    d = os.path.join(out, "e")
    os.makedirs(d, exist_ok=True)
    hosts = [HOST_FMT % i for i in range(4)]
    urls = os.path.join(d, "urls.txt")
    with open(urls, "w") as f:
        f.writelines("http://%s:%d/idle/%d\n" % (hosts[i % 4], server.port,
                                                 i) for i in range(E_URLS))
    status = os.path.join(d, "status.json")
    conf = os.path.join(d, "linkhealthd.conf")
    with open(conf, "w") as f:
        f.write("directory = %s\ndirectory_format = list\n" % urls)
        f.write("status_file = %s\n" % status)
        f.write("interval = 1h\njitter = 0s\n")
        f.write("concurrency = 8\nper_host_concurrency = 2\n")
        f.write("timeout = 10s\nconnect_timeout = 5s\nretries = 0\n")
        f.write("allow_private = yes\nlog_level = info\n")
        f.writelines("resolve = %s:%d:127.0.0.1\n" % (h, server.port)
                     for h in hosts)
    try:
        os.unlink(status)
    except OSError:
        pass
    log = open(os.path.join(d, "linkhealthd.stderr"), "w")
    proc = subprocess.Popen([binary, "-f", "-c", conf],
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=log,
                            start_new_session=True)
    log.close()
    daemon = Server("linkhealthd", proc, 0,
                    os.path.join(out, "linkhealthd.pids"))
    try:
        end = time.monotonic() + min(30, deadline_s)
        ok = None
        while ok != E_URLS:
            if proc.poll() is not None:
                raise BenchError("(e): linkhealthd exited %d (see %s)"
                                 % (proc.returncode, d))
            if time.monotonic() > end:
                raise BenchError("(e): no status file with %d ok links "
                                 "within 30 s (see %s)" % (E_URLS, d))
            time.sleep(0.05)
            try:
                with open(status) as f:
                    ok = json.load(f)["summary"]["ok"]
            except (OSError, ValueError, KeyError, TypeError):
                pass
        time.sleep(E_SETTLE_S)
        s0 = proc_sample(proc.pid)
        time.sleep(window_s)
        s1 = proc_sample(proc.pid)
        if proc.poll() is not None:
            raise BenchError("(e): linkhealthd exited %d while idle"
                             % proc.returncode)
    finally:
        daemon.stop()
    if proc.returncode != 0:
        raise BenchError("(e): linkhealthd exited %d on SIGTERM (see %s)"
                         % (proc.returncode, d))
    return {"window_s": window_s,
            "cpu_ms": s1["cpu_ms"] - s0["cpu_ms"],
            "run_ms": (s1["run_ns"] - s0["run_ns"]) / 1e6,
            "vol": s1["vol"] - s0["vol"],
            "invol": s1["invol"] - s0["invol"],
            "wakeups": s1["vol"] + s1["invol"] - s0["vol"] - s0["invol"],
            "threads_before": len(s0["tids"]),
            "threads_after": len(s1["tids"]),
            "threads_gone": len(set(s0["tids"]) - set(s1["tids"])),
            "rc": proc.returncode, "verified": True}


# --- (f) status file and report of 100,000 links ----------

class StatusCase:
    def __init__(self, out):
        self.key = "f"
        self.dir = os.path.join(out, "f")
        os.makedirs(self.dir, exist_ok=True)
        self.status = os.path.join(self.dir, "status.json")
        self.report = os.path.join(self.dir, "report.txt")
        self.title = "(f) status + report, %dk links" % (F_LINKS // 1000)


def run_statuswrite(case, deadline_s, tag):
    """lhb-statuswrite (bench/statuswrite.c): builds F_LINKS links (not
    timed), then times lh_status_write and lh_report_text."""
    outpath = os.path.join(case.dir, "lhb-statuswrite.%s.stdout" % tag)
    errpath = os.path.join(case.dir, "lhb-statuswrite.%s.stderr" % tag)
    with open(outpath, "w") as out, open(errpath, "w") as err:
        r = measure([STATUSW, case.status, case.report, str(F_LINKS)],
                    deadline_s, out, err)
    try:
        with open(outpath) as f:
            n, st, rep, sbytes, rbytes = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        n = st = rep = sbytes = rbytes = -1
    r["verified"] = r["rc"] == 0 and n == F_LINKS and sbytes > 0
    if not r["verified"]:
        raise BenchError("lhb-statuswrite: exit %d, %d links (see %s)"
                         % (r["rc"], n, errpath))
    r.update(status_s=st / 1e9, report_s=rep / 1e9, both_s=(st + rep) / 1e9,
             status_bytes=sbytes, report_bytes=rbytes)
    return r


def run_jq(case, deadline_s, tag):
    errpath = os.path.join(case.dir, "jq.%s.stderr" % tag)
    with open(errpath, "w") as err:
        r = measure(["jq", ".", case.status], deadline_s,
                    subprocess.DEVNULL, err)
    r["verified"] = r["rc"] == 0
    if not r["verified"]:
        raise BenchError("jq . %s: exit %d (see %s)" % (case.status,
                                                        r["rc"], errpath))
    r["both_s"] = r["wall_s"]
    return r


def interleave(nruns, a, b, raw, key, names, extra=None):
    """nruns of a() and b(), alternating which goes first; every run's
    figures into raw.  Returns the two lists of runs."""
    ra, rb = [], []
    for i in range(nruns):
        order = ((0, 1) if i % 2 == 0 else (1, 0))
        for who in order:
            r = (a if who == 0 else b)(str(i))
            (ra if who == 0 else rb).append(r)
            raw.append(dict(case=key, tool=names[who], run=i,
                            **(extra or {}), **r))
    return ra, rb


def median(runs, field):
    return statistics.median(r[field] for r in runs)


# --- main -------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int,
                    default=int(os.environ.get("BENCH_RUNS", "7")))
    ap.add_argument("--full", type=int, choices=(0, 1),
                    default=int(os.environ.get("BENCH_FULL") or "1"))
    ap.add_argument("--deadline", type=float,
                    default=float(os.environ.get("BENCH_DEADLINE", "560")))
    ap.add_argument("--idle-seconds", type=float,
                    default=float(os.environ.get("BENCH_IDLE_SECONDS", "60")),
                    help="(e): how long the idle daemon is watched")
    ap.add_argument("--serve", type=float, metavar="SECONDS",
                    help="only start the servers and write every case's "
                    "files, for profiling by hand; stop after SECONDS or "
                    "on Ctrl-C")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGHUP, on_sigterm)
    binary = os.path.join(a.build, "linkhealthd")
    if not os.access(binary, os.X_OK):
        raise BenchError("%s: not built (make bench builds it)" % binary)
    out = os.path.abspath(os.path.join(a.build, "bench"))
    os.makedirs(out, exist_ok=True)
    global OUT, SPAWN, PARSE, STATUSW
    OUT, SPAWN = out, os.path.join(out, "lhb-spawn")
    PARSE = os.path.join(out, "lhb-parse")
    STATUSW = os.path.join(out, "lhb-statuswrite")
    for helper in (SPAWN, PARSE, STATUSW):
        if not os.access(helper, os.X_OK):
            raise BenchError("%s: not built (bench/run.sh builds it)"
                             % helper)
    binary = os.path.abspath(binary)
    start = time.monotonic()
    end = start + a.deadline

    def left(cap):
        remaining = end - time.monotonic()
        if remaining < 5:
            raise BenchError("out of time (BENCH_DEADLINE %ss)" % a.deadline)
        return min(cap, remaining)

    raw = []
    servers = []
    results = {}

    def network_case(spec):
        key, title, srv, nurls, nhosts, conc, per_host = spec
        big = nurls > 10000
        if big and "a" in results:
            # Skip (b) rather than fail when it cannot fit: 3 runs of
            # each tool at 10x (a)'s time, plus a margin.
            _, alh, acu = results["a"]
            need = 1.3 * 3 * 10 * (median(alh, "wall_s") +
                                   median(acu, "wall_s"))
            if end - time.monotonic() < need + 10:
                print("bench: %s skipped: about %.0f s needed, %.0f s "
                      "left (BENCH_DEADLINE)" % (
                          title, need, end - time.monotonic()))
                return
        case = Case(key, title, out, srv, nurls, nhosts, conc, per_host)
        curl_conc = conc
        cap = 300 if big else 120
        # The 100,000-URL case takes ~20 s a run: 3 runs, no warm-up.
        nruns = min(a.runs, 3) if big else a.runs
        print("bench: %s: %s%d runs each" % (
            case.title, "" if big else "warm-up, then ", nruns),
            flush=True)
        if not big:
            run_linkhealthd(case, binary, left(cap), "warmup")
            run_curl(case, curl_conc, left(cap), "warmup")
        lh, cu = [], []
        for i in range(nruns):
            # Alternate who goes first, so drift hits both alike.
            order = ("lh", "curl") if i % 2 == 0 else ("curl", "lh")
            for who in order:
                before = case.server.cpu_s()
                if who == "lh":
                    r = run_linkhealthd(case, binary, left(cap), str(i))
                    lh.append(r)
                else:
                    r = run_curl(case, curl_conc, left(cap), str(i))
                    cu.append(r)
                r["server_cpu_s"] = case.server.cpu_s() - before
                raw.append(dict(case=case.key, tool=who, run=i,
                                urls=case.nurls, hosts=case.nhosts,
                                concurrency=case.conc,
                                per_host=case.per_host, **r))
        results[case.key] = (case, lh, cu)

    def parse_case():
        case = ParseCase(out)
        print("bench: %s (%d bytes; as WordPress JSON %d): warm-up, then "
              "%d runs each" % (case.title, case.html_bytes,
                                case.json_bytes, a.runs), flush=True)
        tools = [("lh-html", lambda t: run_lhparse(case, "html", left(60),
                                                   t)),
                 ("lh-json", lambda t: run_lhparse(case, "wordpress",
                                                   left(60), t)),
                 ("xmllint", lambda t: run_xmllint(case, left(60), t))]
        for _, run in tools:
            run("warmup")
        runs = {name: [] for name, _ in tools}
        for i in range(a.runs):
            # Rotate who goes first, so drift hits all alike.
            for k in range(len(tools)):
                name, run = tools[(i + k) % len(tools)]
                r = run(str(i))
                runs[name].append(r)
                raw.append(dict(case="d", tool=name, run=i, urls=D_ORGS,
                                **r))
        results["d"] = (case, runs["lh-html"], runs["xmllint"],
                        runs["lh-json"])

    def status_case():
        case = StatusCase(out)
        print("bench: %s: warm-up, then %d runs each"
              % (case.title, a.runs), flush=True)
        run_statuswrite(case, left(120), "warmup")
        run_jq(case, left(120), "warmup")
        lh, jq = interleave(
            a.runs, lambda t: run_statuswrite(case, left(120), t),
            lambda t: run_jq(case, left(120), t), raw, "f",
            ("lh", "jq"), {"urls": F_LINKS})
        results["f"] = (case, lh, jq)

    def idle_case(srv):
        window = a.idle_seconds
        print("bench: (e) idle daemon: %d links, interval 1h, %.0f s after "
              "its first cycle" % (E_URLS, window), flush=True)
        r = run_idle(out, srv, binary, window, left(window + 60))
        raw.append(dict(case="e", tool="lh", run=0, urls=E_URLS, **r))
        results["e"] = r

    try:
        ngx = start_nginx(out)
        servers.append(ngx)
        dly = start_delayserver(out)
        servers.append(dly)
        # (key, title, server, URLs, hosts, concurrency, per-host)
        specs = [
            ("a", "(a) 10k URLs, 100 hosts, c32/h4", ngx, 10000, 100, 32, 4),
            ("c1", "(c1) 2k x 50 ms, 32 hosts, c64/h2", dly, 2000, 32, 64,
             2),
            ("c2", "(c2) 2k x 50 ms, 1 host, c64/h64", dly, 2000, 1, 64, 64),
        ]
        spec_b = ("b", "(b) 100k URLs, 100 hosts, c32/h4", ngx, 100000, 100,
                  32, 4)
        if a.serve:
            serve(specs + [spec_b], out, binary, a.serve)
            return 0
        for spec in specs:
            network_case(spec)
        parse_case()
        status_case()
        idle_case(ngx)
        # Last: skipped when the deadline leaves no room for it.
        if a.full:
            network_case(spec_b)
    finally:
        for s in reversed(servers):
            s.stop()
        if raw:
            write_raw(out, raw)

    print_table(results, a.runs, time.monotonic() - start)
    print("raw figures (every run): %s/results.json, results.csv"
          % os.path.relpath(out))
    return 0


def serve(specs, out, binary, seconds):
    for key, title, srv, nurls, nhosts, conc, per_host in specs:
        case = Case(key, title, out, srv, nurls, nhosts, conc, per_host)
        print("%s\n  %s --once -c %s -o %s\n  curl -q -K %s --parallel "
              "--parallel-max %d --head -s" % (title, binary, case.conf,
                                               case.status, case.curl_conf,
                                               conc))
    d, f = ParseCase(out), StatusCase(out)
    print("%s\n  %s %s html\n  %s %s wordpress\n  xmllint --html --noout "
          "--timing %s" % (d.title, PARSE, d.html, PARSE, d.json, d.html))
    print("%s\n  %s %s %s %d\n  jq . %s" % (f.title, STATUSW, f.status,
                                           f.report, F_LINKS, f.status))
    print("(e): %s -f -c CONF, CONF as bench.py's run_idle writes it"
          % binary)
    print("servers up for %.0f s (Ctrl-C stops them)" % seconds, flush=True)
    try:
        time.sleep(seconds)
    except KeyboardInterrupt:
        pass


def write_raw(out, raw):
    meta = {"nproc": os.cpu_count(), "cpu": cpu_model(),
            "kernel": platform.release(), "curl": curl_version(),
            "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                          time.gmtime())}
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"machine": meta, "runs": raw}, f, indent=1)
        f.write("\n")
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        # The cases record different figures: every field of any run.
        fields = []
        for r in raw:
            fields.extend(k for k in r if k not in fields)
        w = csv.DictWriter(f, fieldnames=fields, restval="")
        w.writeheader()
        w.writerows(raw)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def curl_version():
    try:
        return subprocess.run(["curl", "--version"], capture_output=True,
                              text=True, timeout=10).stdout.split("\n")[0]
    except (OSError, subprocess.SubprocessError):
        return None


def print_table(results, runs, elapsed):
    mib = 1024.0
    rows = []

    def verdict(ok):
        return "ok" if ok else "MISSED"

    def pair(label, lh, cu, field, fmt, scale=1.0, target=None):
        x, y = median(lh, field) / scale, median(cu, field) / scale
        t, v = "", ""
        if target is not None:
            t, v = "<= %.2fx" % target, verdict(x / y <= target)
        return ["", label, fmt % x, fmt % y, "%.2fx" % (x / y), t, v]

    for key in ("a", "b", "c1", "c2"):
        if key not in results:
            continue
        case, lh, cu = results[key]
        first = len(rows)
        if key in ("a", "b"):
            rows.append(pair("wall s", lh, cu, "wall_s", "%.3f",
                             target=1.10 if key == "a" else None))
            rows.append(pair("CPU s (user+sys)", lh, cu, "cpu_s", "%.3f",
                             target=1.25 if key == "a" else None))
            limit = 64 if key == "a" else 150
            r = pair("peak RSS MiB", lh, cu, "maxrss_kib", "%.1f", mib)
            r[5] = "<= %d MiB" % limit
            r[6] = verdict(median(lh, "maxrss_kib") / mib <= limit)
            rows.append(r)
            per = median(lh, "maxrss_kib") * 1024.0 / case.nurls
            rows.append(["", "RSS bytes / link", "%.0f" % per, "", "", "",
                         ""])
            if key == "b" and "a" in results:
                ra = median(results["a"][1], "maxrss_kib")
                rb = median(lh, "maxrss_kib")
                n = case.nurls - results["a"][0].nurls
                rows.append(["", "  marginal (b-a)", "%.0f"
                             % ((rb - ra) * 1024.0 / n), "", "", "", ""])
        else:
            ideal = case.nurls / case.conc * DELAY_MS / 1000.0
            rows.append(pair("wall s", lh, cu, "wall_s", "%.3f"))
            x, y = median(lh, "wall_s"), median(cu, "wall_s")
            rows.append(["", "wall / ideal %.4f s" % ideal, "%.2fx"
                         % (x / ideal), "%.2fx" % (y / ideal), "", "", ""])
            rows.append(pair("CPU s (user+sys)", lh, cu, "cpu_s", "%.3f"))
        x, y = median(lh, "server_cpu_s"), median(cu, "server_cpu_s")
        rows.append(["", "server CPU, % of wall", "%.0f%%" % (
            100 * x / median(lh, "wall_s")), "%.0f%%" % (
            100 * y / median(cu, "wall_s")), "", "", ""])
        rows[first][0] = case.title
    if "d" in results:
        case, lh, xl, lhj = results["d"]
        first = len(rows)
        rows.append(pair("parse s, in process", lh, xl, "inproc_s", "%.3f",
                         target=1.50))
        rows.append(pair("process wall s", lh, xl, "wall_s", "%.3f"))
        rows.append(pair("process CPU s (user+sys)", lh, xl, "cpu_s",
                         "%.3f"))
        rows.append(pair("peak RSS MiB", lh, xl, "maxrss_kib", "%.1f", mib))
        rows.append(pair("as WP JSON, in process", lhj, xl, "inproc_s",
                         "%.3f"))
        rows[first][0] = case.title
    if "e" in results:
        r = results["e"]
        w = r["window_s"]
        cpu_limit = 10.0 * w / 60
        wake_limit = 2 * w / 60
        rows.append([
            "(e) idle, %d links, interval 1h" % E_URLS,
            "CPU ms in %.0f s (stat)" % w, "%.0f" % r["cpu_ms"], "none", "",
            "< %.0f ms" % cpu_limit, verdict(r["cpu_ms"] < cpu_limit)])
        rows.append(["", "  run time ms (schedstat)", "%.3f" % r["run_ms"],
                     "", "", "", ""])
        rows.append(["", "wake-ups in %.0f s" % w, "%d" % r["wakeups"],
                     "none", "", "<= %.0f" % wake_limit,
                     verdict(r["wakeups"] <= wake_limit)])
        rows.append(["", "  voluntary, involuntary", "%d, %d"
                     % (r["vol"], r["invol"]), "", "", "", ""])
        rows.append(["", "threads", "%d%s" % (r["threads_after"],
                     " (%d ended)" % r["threads_gone"]
                     if r["threads_gone"] else ""), "", "", "", ""])
    if "f" in results:
        case, lh, jq = results["f"]
        first = len(rows)
        rows.append(["", "status file s (fsync'd)",
                     "%.3f" % median(lh, "status_s"), "", "", "", ""])
        rows.append(["", "report s", "%.3f" % median(lh, "report_s"), "",
                     "", "", ""])
        r = pair("status + report s", lh, jq, "both_s", "%.3f")
        x, y = median(lh, "both_s"), median(jq, "both_s")
        r[5], r[6] = "< 1.50x", verdict(x / y < 1.50)
        rows.append(r)
        rows.append(["", "status, report MiB", "%.1f, %.1f" % (
            median(lh, "status_bytes") / 1048576.0,
            median(lh, "report_bytes") / 1048576.0), "", "", "", ""])
        rows[first][0] = case.title
    head = ["workload", "metric", "linkhealthd", "baseline", "lh/base",
            "target", ""]
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(7)]
    print()
    print("linkhealthd benchmark: medians of %d runs%s, nproc %d, %s"
          % (runs, " (3 for (b))" if "b" in results and runs > 3 else "",
             os.cpu_count(), cpu_model()))
    for r in [head, ["-" * w for w in widths]] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    print("baseline: curl --parallel --head in (a)-(c), xmllint --html "
          "--noout in (d), jq . in (f);\n(e) has none: absolute targets, "
          "one window.  (%.0f s in all)" % elapsed)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print("bench: %s" % e, file=sys.stderr)
        sys.exit(1)
