#!/usr/bin/env python3
"""linkhealthd's benchmark runner (make bench; see bench/README.md).

Starts its own targets on 127.0.0.1 (nginx with bench/nginx.conf.in, over
HTTP and TLS, and bench/delayserver.py), runs linkhealthd --once and the
curl command-line tool over the same URL lists, several times each,
interleaved, and wrk on the same nginx; counts TLS session resumptions
from nginx's log; times the directory parser against xmllint --html on one
generated page (d), the daemon idle between cycles (e), and the status
file and report of 100,000 links against dd conv=fsync and jq . on the
same file (f); and prints one table of medians and ratios measured in this
run.  Every run's figures go to BUILD/bench/results.json and results.csv.
Host names resolve from a hosts file seen as /etc/hosts by the measured
tools only (lhb-spawn -H), where a private mount namespace can be made.

Each measured process is started by build/bench/lhb-spawn (bench/spawn.c),
which forks it, reaps it with wait4 and reports that process's own CPU
time (user + sys) and peak RSS (ru_maxrss, KiB on Linux), and the wall
time from fork to reap (CLOCK_MONOTONIC).  (wait4 straight from Python
would count the Python runner's own memory in the child's ru_maxrss.)
A run counts only if it was correct: linkhealthd exits 0 and its status
file says every link is ok; curl exits 0 and printed "200 HEAD" once per
URL; nginx logged every TLS request; wrk saw no error; the parser found
every organization without a warning and xmllint printed no error; the
status writer wrote every link, dd copied it and jq exits 0; the idle
daemon exits 0 on SIGTERM.

Everything is bounded: each run has a deadline (then it is killed and the
benchmark fails), and the servers are stopped by their process ids in a
finally block, on errors and on SIGTERM too.  No address but 127.0.0.1.

Environment: BENCH_RUNS (timed runs per case, default 7; (b) and (c) 5
at most, (h) 3), BENCH_FULL=0 (skip the 100,000- and 300,000-URL cases,
which also run only when the deadline leaves room for them), BENCH_DEADLINE (seconds for the whole run, default
560), BENCH_IDLE_SECONDS (how long (e) watches the idle daemon, at least;
default 60), BENCH_MILLION=1 ((m) at 1,000,000 URLs too), BENCH_ONLY
(a comma-separated list of cases), BENCH_WRK_SECONDS (each wrk run, default
3), BENCH_RESOLVE=1 (resolve lines even where a hosts file could be used).
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
HOSTS = None                        # BUILD/bench/hosts, when usable
PARSE = None                        # BUILD/bench/lhb-parse
STATUSW = None                      # BUILD/bench/lhb-statuswrite
HOST_FMT = "h%03d.lhbench.test"     # RFC 6761 .test: never a real name
DELAY_MS = 50
D_ORGS = 20000                      # (d): organizations on the page
E_URLS = 20                         # (e): links of the idle daemon
E_SETTLE_S = 1.0                    # (e): after the first status file
F_LINKS = 100000                    # (f): links in the status file
STATUS_READ_MAX = 256 << 20         # larger status files: exit code only


class BenchError(Exception):
    pass


def on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


# --- measuring one process --------------------------------------------------

def measure(cmd, deadline_s, stdout, stderr, env=None, hosts=None):
    """Run cmd through lhb-spawn (see bench/spawn.c), with a deadline, and
    return its own wall time, CPU time, peak RSS and exit code.  With
    hosts, the command sees that file as /etc/hosts (a private mount
    namespace of its own)."""
    report = os.path.join(OUT, "spawn.report")
    try:
        os.unlink(report)
    except OSError:
        pass
    spawn = [SPAWN, report] + (["-H", hosts] if hosts else [])
    proc = subprocess.Popen(spawn + cmd, stdin=subprocess.DEVNULL,
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


# --- host names -------------------------------------------

def setup_hosts(out, nhosts):
    """The benchmark's host names in a hosts file, and whether a measured
    process can see it as /etc/hosts (lhb-spawn -H: a private mount
    namespace, which needs root or CAP_SYS_ADMIN).  Returns (path, None),
    or (None, why not): then the cases give the tools resolve lines."""
    path = os.path.join(out, "hosts")
    with open(path, "w") as f:
        f.write("# bench.py: the benchmark's names, seen as /etc/hosts by "
                "the measured tools only\n127.0.0.1 localhost\n")
        f.writelines("127.0.0.1 %s\n" % (HOST_FMT % i)
                     for i in range(nhosts))
    probe = os.path.join(out, "hosts.probe")
    try:
        with open(probe, "w") as so:
            r = measure(["getent", "ahostsv4", HOST_FMT % (nhosts - 1)], 10,
                        so, subprocess.STDOUT, hosts=path)
        with open(probe) as f:
            said = f.read()
    except (OSError, BenchError) as e:
        return None, str(e)
    if r["rc"] == 0 and said.startswith("127.0.0.1 "):
        return path, None
    return None, "lhb-spawn -H exit %d: %s" % (
        r["rc"], said.strip().split("\n")[-1] if said.strip() else "")


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


def make_cert(out, nhosts):
    """A self-signed certificate (P-256, for two days) naming every host
    of the benchmark, made afresh in BUILD/bench/tls/: nginx serves it and
    both clients trust it as their only CA."""
    d = os.path.join(out, "tls")
    os.makedirs(d, exist_ok=True)
    san = ",".join("DNS:" + HOST_FMT % i for i in range(nhosts))
    cmd = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
           "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
           "-subj", "/CN=lhbench.test", "-addext",
           "subjectAltName=" + san, "-addext",
           "basicConstraints=critical,CA:TRUE",
           "-keyout", os.path.join(d, "key.pem"),
           "-out", os.path.join(d, "cert.pem")]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        raise BenchError("openssl req: %s" % e)
    if p.returncode != 0:
        raise BenchError("openssl req: exit %d: %s" % (p.returncode,
                                                       p.stderr.strip()))
    return d


def start_nginx(out, tlsdir):
    nginx = find_nginx()
    prefix = os.path.join(out, "nginx")
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        os.makedirs(os.path.join(prefix, "tmp", sub), exist_ok=True)
    with open(os.path.join(HERE, "nginx.conf.in")) as f:
        template = f.read()
    conf = os.path.join(prefix, "nginx.conf")
    errlog = os.path.join(prefix, "error.log")
    for attempt in range(5):
        port, tlsport = free_port(), free_port()
        with open(conf, "w") as f:
            f.write(template.replace("@PREFIX@", prefix)
                    .replace("@PORT@", str(port))
                    .replace("@TLSPORT@", str(tlsport))
                    .replace("@TLSDIR@", tlsdir))
        log = open(os.path.join(prefix, "stderr.log"), "w")
        proc = subprocess.Popen([nginx, "-p", prefix + "/", "-c", conf,
                                 "-e", errlog],
                                stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        if wait_listening(port, proc, 10) and \
                wait_listening(tlsport, proc, 10):
            time.sleep(0.1)                 # let the worker start
            srv = Server("nginx", proc, port,
                         os.path.join(out, "nginx.pids"))
            srv.tlsport = tlsport
            srv.tlslog = os.path.join(prefix, "tls_access.log")
            return srv
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
    """One URL list, checked by linkhealthd and by curl.  Host names come
    from HOSTS (the hosts file the tools see as /etc/hosts) when it is
    set, else from a resolve line per host for each tool."""

    def __init__(self, key, title, out, server, nurls, nhosts, conc,
                 per_host, https=False, curl=True):
        self.key, self.title, self.server = key, title, server
        port = server.tlsport if https else server.port
        self.nurls, self.nhosts = nurls, nhosts
        self.conc, self.per_host = conc, per_host
        self.https = https
        d = os.path.join(out, key)
        os.makedirs(d, exist_ok=True)
        self.dir = d
        hosts = [HOST_FMT % i for i in range(nhosts)]
        resolves = [] if HOSTS else ["%s:%d:127.0.0.1" % (h, port)
                                     for h in hosts]
        scheme = "https" if https else "http"
        cafile = os.path.join(OUT, "tls", "cert.pem")
        # Host i % nhosts: the hosts interleave, as in a real directory.
        urls = ["%s://%s:%d/org/%06d" % (scheme, hosts[i % nhosts], port, i)
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
            # Exit 0 only when every link is ok: what shows that a run of
            # a million links was right, without reading 1.4 GB of JSON.
            f.write("fail_on = moved, stale, blocked, error, unreachable\n")
            f.write("allow_private = yes\nlog_level = warning\n")
            size = os.path.getsize(self.urls_file)
            if size > 8 << 20:          # the default directory_max_bytes
                f.write("directory_max_bytes = %dM\n" % ((size >> 20) + 1))
            if https:
                f.write("ca_file = %s\n" % cafile)
            f.writelines("resolve = %s\n" % r for r in resolves)
        self.curl_conf = os.path.join(d, "curl.conf")
        if not curl:
            return
        with open(self.curl_conf, "w") as f:
            if https:
                f.write('cacert = "%s"\n' % cafile)
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
                    deadline_s, subprocess.DEVNULL, err, env, HOSTS)
    ok = None
    try:
        if os.path.getsize(case.status) > STATUS_READ_MAX:
            ok = case.nurls if r["rc"] == 0 else None   # see fail_on
        else:
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
        r = measure(cmd, deadline_s, out, err, hosts=HOSTS)
    with open(outpath) as f:
        heads = sum(1 for line in f if line.strip() == "200 HEAD")
    r["verified"] = r["rc"] == 0 and heads == case.nurls
    if not r["verified"]:
        raise BenchError("curl on %s: exit %d, %d of %d answered 200 to HEAD "
                         "(see %s)" % (case.key, r["rc"], heads, case.nurls,
                                       errpath))
    return r


# --- (w) wrk's request rate on the same nginx -------------

WRK_REQ_RE = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m),")
WRK_BAD_RE = re.compile(r"^\s*(Socket errors|Non-2xx or 3xx responses):")


def wrk_script():
    d = os.path.join(OUT, "w")
    os.makedirs(d, exist_ok=True)
    script = os.path.join(d, "head.lua")
    with open(script, "w") as f:
        f.write('wrk.method = "HEAD"\n')
    return script


def run_wrk(server, conc, seconds, deadline_s, tag):
    """wrk -t1 -cCONC over HEAD requests for seconds: one thread, as the
    daemon's one loop, with as many connections as its concurrency.  Its
    requests/s, and its own CPU time per request (lhb-spawn)."""
    script = wrk_script()
    outpath = os.path.join(OUT, "w", "wrk.%s.stdout" % tag)
    with open(outpath, "w") as out:
        r = measure(["wrk", "-t1", "-c%d" % conc, "-d%ds" % seconds,
                     "--timeout", "10s", "-s", script,
                     "http://127.0.0.1:%d/org/wrk" % server.port],
                    deadline_s, out, subprocess.STDOUT)
    reqs, secs, bad = None, None, []
    with open(outpath) as f:
        for line in f:
            m = WRK_REQ_RE.match(line)
            if m:
                unit = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}
                reqs = int(m.group(1))
                secs = float(m.group(2)) * unit[m.group(3)]
            elif WRK_BAD_RE.match(line):
                bad.append(line.strip())
    r["verified"] = r["rc"] == 0 and reqs and secs and not bad
    if not r["verified"]:
        raise BenchError("wrk: exit %d, %s (see %s)" % (
            r["rc"], "; ".join(bad) or "no request count", outpath))
    r.update(requests=reqs, rate=reqs / secs, us_per=r["cpu_s"] *
             1e6 / reqs)
    return r


# --- (h) TLS session resumption, from nginx's log ----------

def tls_log_size(server):
    try:
        return os.path.getsize(server.tlslog)
    except OSError:
        return 0


def tls_log_count(server, start, nreq):
    """The lines nginx logged from byte start on, one per request (see
    nginx.conf.in's lhb_tls): how many connections, how many resumed a
    session, how many full handshakes beyond the first per name, and how
    many of those began after a session to resume existed (after another
    connection to that name had finished its handshake: a connection
    opened while the first still shakes hands has nothing to resume).
    nginx logs a request after answering it, so the last lines may come
    just after the client exits: wait for nreq."""
    end = time.monotonic() + 5
    while True:
        with open(server.tlslog, "rb") as f:
            f.seek(start)
            lines = f.read().decode("ascii", "replace").splitlines()
        if len(lines) >= nreq or time.monotonic() > end:
            break
        time.sleep(0.05)
    conns = {}
    protos = set()
    for line in lines:
        f = line.split()
        if len(f) != 7:
            continue
        msec, age, req = float(f[4]), float(f[5]), float(f[6])
        c = conns.setdefault(f[0], {"resumed": f[1] == "r", "name": f[2],
                                    "began": msec - age, "ready": msec})
        c["ready"] = min(c["ready"], msec - req)
        protos.add(f[3])
    byname = {}
    for c in conns.values():
        byname.setdefault(c["name"], []).append(c)
    extra = late = 0
    for cs in byname.values():
        cs.sort(key=lambda c: c["began"])
        full = [c for c in cs if not c["resumed"]]
        extra += max(0, len(full) - 1)
        first_ready = min(c["ready"] for c in cs)
        # Millisecond times: "after" by more than one tick.
        late += sum(1 for c in full[1:] if c["began"] > first_ready + 0.001)
    return {"tls_requests": len(lines), "tls_conns": len(conns),
            "tls_resumed": sum(1 for c in conns.values() if c["resumed"]),
            "tls_names": len(byname), "tls_full_extra": extra,
            "tls_full_late": late, "tls_proto": ",".join(sorted(protos))}


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


def start_idle(out, server, binary, deadline_s):
    """The daemon (interval 1h) over E_URLS links on nginx: once its first
    status file is there and E_SETTLE_S more have passed, the first sample
    of its CPU time and context switches.  It then sleeps while the other
    cases run (it is idle: it takes none of their CPU, and their load does
    not add to its own counters); finish_idle takes the second sample."""
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
    except BaseException:
        daemon.stop()
        raise
    return {"daemon": daemon, "dir": d, "s0": s0, "t0": time.monotonic()}


def finish_idle(idle, window_s):
    """The second sample, window_s after the first at least."""
    daemon, d, s0 = idle["daemon"], idle["dir"], idle["s0"]
    proc = daemon.proc
    try:
        wait = idle["t0"] + window_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        window_s = time.monotonic() - idle["t0"]
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


def run_dd(case, deadline_s, tag):
    """The I/O floor of a status file: dd conv=fsync copies the bytes just
    written (in the page cache) to a new file beside it and fsyncs it."""
    dst = os.path.join(case.dir, "dd.out")
    try:
        os.unlink(dst)
    except OSError:
        pass
    errpath = os.path.join(case.dir, "dd.%s.stderr" % tag)
    with open(errpath, "w") as err:
        r = measure(["dd", "if=" + case.status, "of=" + dst, "bs=1M",
                     "conv=fsync", "status=none"], deadline_s,
                    subprocess.DEVNULL, err)
    size = os.path.getsize(dst) if os.path.exists(dst) else -1
    r["verified"] = r["rc"] == 0 and size == os.path.getsize(case.status)
    if not r["verified"]:
        raise BenchError("dd conv=fsync of %s: exit %d, %d bytes (see %s)"
                         % (case.status, r["rc"], size, errpath))
    r.update(status_s=r["wall_s"], status_bytes=size)
    return r


def rotate(nruns, tools, raw, key, extra=None):
    """nruns rounds of every (name, run(tag)) in tools, rotating which goes
    first, so that drift hits all alike; every run's figures into raw.
    A tool given as (name, run, n) runs in the first n rounds only.
    Returns {name: [runs]}."""
    got = {t[0]: [] for t in tools}
    for i in range(nruns):
        for k in range(len(tools)):
            t = tools[(i + k) % len(tools)]
            if len(t) > 2 and i >= t[2]:
                continue
            r = t[1](str(i))
            got[t[0]].append(r)
            raw.append(dict(case=key, tool=t[0], run=i, **(extra or {}),
                            **r))
    return got


def median(runs, field):
    return statistics.median(r[field] for r in runs)


# --- main -------------------------------------------------

# (key, title, server, URLs, hosts, concurrency, per-host); server is
# "nginx", "tls" (the same nginx over TLS) or "delay".
SPECS = {
    "a": ("(a) 10k URLs, 100 hosts, c32/h4", "nginx", 10000, 100, 32, 4),
    "h": ("(h) 10k HTTPS URLs, 100 hosts, c32/h4", "tls", 10000, 100, 32,
          4),
    "b": ("(b) 100k URLs, 100 hosts, c32/h4", "nginx", 100000, 100, 32, 4),
    "m3": ("(m) 300k URLs, 100 hosts, c32/h4", "nginx", 300000, 100, 32, 4),
    "m10": ("(m) 1M URLs, 100 hosts, c32/h4", "nginx", 1000000, 100, 32, 4),
    "c1": ("(c1) 2k x 50 ms, 32 hosts, c64/h2", "delay", 2000, 32, 64, 2),
    "c2": ("(c2) 2k x 50 ms, 1 host, c64/h64", "delay", 2000, 1, 64, 64),
}
NHOSTS = 100                        # names in the hosts file and the cert
B_RUNS = 5                          # (b)'s timed runs, at most BENCH_RUNS
C_RUNS = 5                          # (c1), (c2)'s, likewise
H_RUNS = 3                          # (h)'s, likewise
JQ_RUNS = 3                         # jq's in (f), likewise
RESERVE_S = 170                     # for (h), (c), (d), (f) after them


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int,
                    default=int(os.environ.get("BENCH_RUNS", "7")))
    ap.add_argument("--full", type=int, choices=(0, 1),
                    default=int(os.environ.get("BENCH_FULL") or "1"))
    ap.add_argument("--million", type=int, choices=(0, 1),
                    default=int(os.environ.get("BENCH_MILLION") or "0"),
                    help="also 1,000,000 URLs, once each tool (minutes)")
    ap.add_argument("--deadline", type=float,
                    default=float(os.environ.get("BENCH_DEADLINE", "560")))
    ap.add_argument("--idle-seconds", type=float,
                    default=float(os.environ.get("BENCH_IDLE_SECONDS", "60")),
                    help="(e): how long the idle daemon is watched, at "
                    "least")
    ap.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""),
                    help="comma-separated cases to run (a,h,b,m,c,d,e,f; "
                    "(w) goes with (a)); all by default")
    ap.add_argument("--wrk-seconds", type=int,
                    default=int(os.environ.get("BENCH_WRK_SECONDS", "3")))
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
    global OUT, SPAWN, PARSE, STATUSW, HOSTS
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

    HOSTS, why = setup_hosts(out, NHOSTS)
    if HOSTS and os.environ.get("BENCH_RESOLVE") == "1":
        HOSTS, why = None, "BENCH_RESOLVE=1"
    names = ("names from a hosts file over /etc/hosts in a private mount "
             "namespace (lhb-spawn -H); no resolve lines" if HOSTS else
             "names from resolve lines (%d per tool): no private mount "
             "namespace here (%s)" % (NHOSTS, why))
    print("bench: %s" % names, flush=True)
    raw = []
    servers = []
    results = {"names": names}
    took_s = {}
    srv = {}
    idle = None

    only = set(k for k in a.only.split(",") if k)

    def want(key):
        return not only or key in only

    def per_url_s(key="a"):
        """Seconds per URL of both tools together, from (a) or (b), or a
        guess (twice what they took before issue 16) when it did not
        run."""
        if key not in results:
            return 4e-4
        case, lh, cu = results[key][:3]
        return (median(lh, "wall_s") + median(cu, "wall_s")) / case.nurls

    mark = [time.monotonic()]

    def took(key):
        """How long the case took, warm-up and generated files included:
        on the screen and in results.json."""
        now = time.monotonic()
        took_s[key] = now - mark[0]
        mark[0] = now
        print("bench: %s took %.0f s" % (key.join("()"), took_s[key]),
              flush=True)

    def fits(title, need):
        if end - time.monotonic() < need + RESERVE_S:
            print("bench: %s skipped: about %.0f s needed, %.0f s left "
                  "(BENCH_DEADLINE)" % (title, need,
                                        end - time.monotonic()))
            return False
        return True

    def make_case(key, curl=True):
        title, server, nurls, nhosts, conc, per_host = SPECS[key]
        return Case(key, title, out, srv[server], nurls, nhosts, conc,
                    per_host, https=server == "tls", curl=curl)

    def network_case(key, nruns, warmup=True, with_wrk=False, tls=False):
        case = make_case(key)
        big = case.nurls > 10000
        cap = 900 if big else 120
        print("bench: %s: %s%d runs each%s" % (
            case.title, "warm-up, then " if warmup else "", nruns,
            " (and wrk, %d s a run)" % a.wrk_seconds if with_wrk else ""),
            flush=True)

        def tool(who):
            def run(tag):
                before = case.server.cpu_s()
                logpos = tls_log_size(case.server) if tls else 0
                if who == "lh":
                    r = run_linkhealthd(case, binary, left(cap), tag)
                else:
                    r = run_curl(case, case.conc, left(cap), tag)
                r["server_cpu_s"] = case.server.cpu_s() - before
                if tls:
                    r.update(tls_log_count(case.server, logpos, case.nurls))
                    if r["tls_requests"] != case.nurls:
                        raise BenchError(
                            "%s, %s: nginx logged %d TLS requests of %d "
                            "(see %s)" % (case.key, who, r["tls_requests"],
                                          case.nurls, case.server.tlslog))
                return r
            return run

        def wrk(tag):
            before = case.server.cpu_s()
            r = run_wrk(case.server, case.conc, a.wrk_seconds,
                        left(a.wrk_seconds + 30), tag)
            r["server_cpu_s"] = case.server.cpu_s() - before
            return r

        tools = [("lh", tool("lh")), ("curl", tool("curl"))]
        if with_wrk:
            tools.append(("wrk", wrk))
        if warmup:
            for _, run in tools:
                run("warmup")
        got = rotate(nruns, tools, raw, case.key, {
            "urls": case.nurls, "hosts": case.nhosts,
            "concurrency": case.conc, "per_host": case.per_host})
        results[key] = (case, got["lh"], got["curl"], got.get("wrk"))
        took(key)

    def rss_case(keys):
        """Peak RSS at more URLs, once each: the slope from (b)."""
        for key in keys:
            case = make_case(key, curl=key == "m10")
            tools = [("lh", lambda t: run_linkhealthd(case, binary, left(
                3000), t))]
            if key == "m10":
                tools.append(("curl", lambda t: run_curl(
                    case, case.conc, left(3000), t)))
            print("bench: %s: one run of %s, no warm-up" % (
                case.title, " and ".join(t[0] for t in tools)), flush=True)
            got = rotate(1, tools, raw, key, {"urls": case.nurls})
            results[key] = (case, got["lh"], got.get("curl"))
            took(key)

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
        got = rotate(a.runs, tools, raw, "d", {"urls": D_ORGS})
        results["d"] = (case, got["lh-html"], got["xmllint"],
                        got["lh-json"])
        took("d")

    def status_case():
        case = StatusCase(out)
        njq = min(a.runs, JQ_RUNS)
        print("bench: %s: warm-up, then %d runs (dd too, jq %d)"
              % (case.title, a.runs, njq), flush=True)
        tools = [("lh", lambda t: run_statuswrite(case, left(120), t)),
                 ("dd", lambda t: run_dd(case, left(60), t)),
                 ("jq", lambda t: run_jq(case, left(120), t), njq)]
        for t in tools:
            t[1]("warmup")
        got = rotate(a.runs, tools, raw, "f", {"urls": F_LINKS})
        results["f"] = (case, got["lh"], got["jq"], got["dd"])
        took("f")

    try:
        tlsdir = make_cert(out, NHOSTS)
        srv["nginx"] = srv["tls"] = start_nginx(out, tlsdir)
        servers.append(srv["nginx"])
        srv["delay"] = start_delayserver(out)
        servers.append(srv["delay"])
        if a.serve:
            serve(out, binary, a.serve, make_case, a.million)
            return 0
        # (e) first: the daemon then sleeps through the other cases.
        mark[0] = time.monotonic()
        if want("e"):
            print("bench: (e) idle daemon: %d links, interval 1h, watched "
                  "from its first cycle to the end (%.0f s at least)"
                  % (E_URLS, a.idle_seconds), flush=True)
            idle = start_idle(out, srv["nginx"], binary, left(60))
            took("e")
        if want("a"):
            network_case("a", a.runs, with_wrk=True)
        nb = min(a.runs, B_RUNS)
        if a.full and want("b") and fits(SPECS["b"][0], 1.2 * (nb + 1) *
                                         10 * per_url_s() * 10000):
            network_case("b", nb)
        keys = ["m3"] + (["m10"] if a.million else [])
        # From (b): linkhealthd's half of the pair at 300k, both at 1M,
        # and writing the lists.  From (a), twice that: the time per URL
        # grows with the list.
        need = 1.5 * (per_url_s("b") if "b" in results else
                      2 * per_url_s()) * (150000 + (
                          1000000 if a.million else 0))
        # Without (b) no slope, unless (m) was asked for by itself.
        if a.full and want("m") and "b" not in results and only != {"m"}:
            print("bench: (m) skipped: its slope starts from (b)")
        elif a.full and want("m") and fits("(m) the RSS slope", need):
            rss_case(keys)
        if want("h"):
            network_case("h", min(a.runs, H_RUNS), tls=True)
        if want("c"):
            for key in ("c1", "c2"):
                network_case(key, min(a.runs, C_RUNS))
        if want("d"):
            parse_case()
        if want("f"):
            status_case()
        if idle is not None:
            r = finish_idle(idle, a.idle_seconds)
            idle = None
            raw.append(dict(case="e", tool="lh", run=0, urls=E_URLS, **r))
            results["e"] = r
    finally:
        if idle is not None:
            idle["daemon"].stop()
        for s in reversed(servers):
            s.stop()
        if raw:
            write_raw(out, raw, names, took_s)

    print_table(results, a.runs, time.monotonic() - start)
    print("raw figures (every run): %s/results.json, results.csv"
          % os.path.relpath(out))
    return 0



def serve(out, binary, seconds, make_case, million):
    spawn = "%s REPORT%s" % (SPAWN, " -H " + HOSTS if HOSTS else "")
    print("run each command as %s COMMAND to see the benchmark's names"
          % spawn)
    for key in SPECS:
        if key == "m10" and not million:
            continue            # 110 MB of lists: with --million 1 only
        case = make_case(key)
        print("%s\n  %s --once -c %s -o %s\n  curl -q -K %s --parallel "
              "--parallel-max %d --head -s" % (case.title, binary, case.conf,
                                               case.status, case.curl_conf,
                                               case.conc))
    ngx = make_case("a").server
    print("(w)\n  wrk -t1 -c32 -d3s -s %s http://127.0.0.1:%d/org/wrk"
          % (wrk_script(), ngx.port))
    d, f = ParseCase(out), StatusCase(out)
    print("%s\n  %s %s html\n  %s %s wordpress\n  xmllint --html --noout "
          "--timing %s" % (d.title, PARSE, d.html, PARSE, d.json, d.html))
    print("%s\n  %s %s %s %d\n  jq . %s\n  dd if=%s of=DEST bs=1M "
          "conv=fsync" % (f.title, STATUSW, f.status, f.report, F_LINKS,
                          f.status, f.status))
    print("(e): %s -f -c CONF, CONF as bench.py's start_idle writes it"
          % binary)
    print("servers up for %.0f s (Ctrl-C stops them)" % seconds, flush=True)
    try:
        time.sleep(seconds)
    except KeyboardInterrupt:
        pass


def write_raw(out, raw, names, took_s):
    meta = {"nproc": os.cpu_count(), "cpu": cpu_model(),
            "kernel": platform.release(), "curl": curl_version(),
            "wrk": tool_version(["wrk", "-v"]),
            "nginx": tool_version(["nginx", "-v"]), "names": names,
            "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                          time.gmtime())}
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"machine": meta, "case_seconds": took_s, "runs": raw}, f,
                  indent=1)
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


def tool_version(cmd):
    """The first line a tool says about its version (wrk and nginx say it
    on stdout or stderr, with an exit code of 1 for wrk)."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    said = (p.stdout + p.stderr).strip()
    return said.split("\n")[0] if said else None


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

    def pair(label, lh, cu, field, fmt, scale=1.0, target=None, at_least=None):
        x, y = median(lh, field) / scale, median(cu, field) / scale
        t, v = "", ""
        if target is not None:
            t, v = "<= %.2fx" % target, verdict(x / y <= target)
        if at_least is not None:
            t, v = ">= %.2fx" % at_least, verdict(x / y >= at_least)
        return ["", label, fmt % x, fmt % y, "%.2fx" % (x / y), t, v]

    def line(label, x, y="", ratio="", target="", v=""):
        return ["", label, x, y, ratio, target, v]

    def per_check(runs, n):
        return [dict(r, us_per=r["cpu_s"] * 1e6 / n, rate=n / r["wall_s"])
                for r in runs]

    def block(title, first):
        rows[first][0] = title

    for key in ("a", "b"):
        if key not in results:
            continue
        case, lh, cu, _ = results[key]
        lh, cu = per_check(lh, case.nurls), per_check(cu, case.nurls)
        first = len(rows)
        rows.append(pair("wall s", lh, cu, "wall_s", "%.3f", target=0.90))
        rows.append(pair("CPU s (user+sys)", lh, cu, "cpu_s", "%.3f"))
        rows.append(pair("CPU us / check", lh, cu, "us_per", "%.1f",
                         target=0.55 if key == "b" else None))
        rows.append(pair("checks / s", lh, cu, "rate", "%.0f"))
        limit = 64 if key == "a" else 150
        r = pair("peak RSS MiB", lh, cu, "maxrss_kib", "%.1f", mib)
        r[5] = "<= %d MiB" % limit
        r[6] = verdict(median(lh, "maxrss_kib") / mib <= limit)
        rows.append(r)
        rows.append(line("RSS bytes / link", "%.0f" % (
            median(lh, "maxrss_kib") * 1024.0 / case.nurls), "%.0f" % (
            median(cu, "maxrss_kib") * 1024.0 / case.nurls)))
        if key == "b" and "a" in results:
            n = case.nurls - results["a"][0].nurls
            m = [(median(run, "maxrss_kib") - median(ra, "maxrss_kib")) *
                 1024.0 / n for run, ra in ((lh, results["a"][1]),
                                           (cu, results["a"][2]))]
            rows.append(line("  marginal (b-a)", "%.0f" % m[0],
                             "%.0f" % m[1]))
        x, y = median(lh, "server_cpu_s"), median(cu, "server_cpu_s")
        rows.append(line("server CPU, % of wall", "%.0f%%" % (
            100 * x / median(lh, "wall_s")), "%.0f%%" % (
            100 * y / median(cu, "wall_s"))))
        block(case.title, first)
    if "a" in results and results["a"][3]:
        wrk = results["a"][3]
        first = len(rows)
        for key in ("b", "a"):
            if key not in results:
                continue
            case, lh = results[key][0], results[key][1]
            lh = per_check(lh, case.nurls)
            rows.append(pair("requests / s, lh %s" % key.join("()"), lh, wrk,
                             "rate", "%.0f", at_least=0.40
                             if key == "b" or "b" not in results else None))
        key = "b" if "b" in results else "a"
        case, lh = results[key][0], results[key][1]
        rows.append(pair("CPU us / request, lh %s" % key.join("()"),
                         per_check(lh, case.nurls), wrk, "us_per",
                         "%.1f"))
        x = median(wrk, "server_cpu_s") / median(wrk, "wall_s")
        rows.append(line("server CPU, % of wall", "", "%.0f%%" % (100 * x)))
        block("(w) HEAD rate vs wrk -t1 -c32", first)
    for key in ("m3", "m10"):
        if key not in results:
            continue
        case, lh, cu = results[key]
        first = len(rows)
        rows.append(line("peak RSS MiB", "%.1f" % (
            median(lh, "maxrss_kib") / mib), "%.1f" % (median(
                cu, "maxrss_kib") / mib) if cu else ""))
        if "b" not in results:
            rows.append(line("RSS bytes / link", "%.0f" % (median(
                lh, "maxrss_kib") * 1024.0 / case.nurls)))
            block(case.title, first)
            continue
        b = results["b"]
        n = case.nurls - b[0].nurls
        x = (median(lh, "maxrss_kib") - median(b[1], "maxrss_kib")) * \
            1024.0 / n
        y = ((median(cu, "maxrss_kib") - median(b[2], "maxrss_kib")) *
             1024.0 / n) if cu else None
        widest = key == "m10" or "m10" not in results
        rows.append(line("RSS bytes / link, slope from (b)", "%.0f" % x,
                         "%.0f" % y if y is not None else "",
                         "%.2fx" % (x / y) if y else "",
                         "<= 512" if widest else "",
                         verdict(x <= 512) if widest else ""))
        if cu:
            rows.append(pair("wall s", lh, cu, "wall_s", "%.3f"))
            rows.append(pair("CPU s (user+sys)", lh, cu, "cpu_s", "%.3f"))
        else:
            rows.append(line("wall s, CPU s", "%.3f, %.3f" % (
                median(lh, "wall_s"), median(lh, "cpu_s"))))
        block(case.title, first)
    if "h" in results:
        case, lh, cu, _ = results["h"]
        first = len(rows)
        rows.append(pair("wall s", lh, cu, "wall_s", "%.3f"))
        rows.append(pair("CPU s (user+sys)", lh, cu, "cpu_s", "%.3f"))

        def total(runs, field):
            return "%d" % sum(r[field] for r in runs)
        n = len(lh)
        rows.append(line("TLS connections (%d runs)" % n,
                         total(lh, "tls_conns"), total(cu, "tls_conns")))
        rows.append(line("  resumed", total(lh, "tls_resumed"),
                         total(cu, "tls_resumed")))
        rows.append(line("  full handshakes, names", *("%d, %s" % (
            sum(r["tls_conns"] - r["tls_resumed"] for r in runs),
            total(runs, "tls_names")) for runs in (lh, cu))))
        x = sum(r["tls_full_extra"] for r in lh)
        rows.append(line("  full beyond 1st per name", "%d" % x, total(
            cu, "tls_full_extra"), "", "0", verdict(x == 0)))
        rows.append(line("    begun after a session", total(
            lh, "tls_full_late"), total(cu, "tls_full_late")))
        rows.append(line("  protocol", lh[0]["tls_proto"],
                         cu[0]["tls_proto"]))
        block(case.title, first)
    for key in ("c1", "c2"):
        if key not in results:
            continue
        case, lh, cu, _ = results[key]
        first = len(rows)
        ideal = case.nurls / case.conc * DELAY_MS / 1000.0
        rows.append(pair("wall s", lh, cu, "wall_s", "%.3f"))
        x, y = median(lh, "wall_s"), median(cu, "wall_s")
        rows.append(line("wall / ideal %.4f s" % ideal, "%.2fx"
                         % (x / ideal), "%.2fx" % (y / ideal)))
        rows.append(pair("CPU s (user+sys)", lh, cu, "cpu_s", "%.3f"))
        x, y = median(lh, "server_cpu_s"), median(cu, "server_cpu_s")
        rows.append(line("server CPU, % of wall", "%.0f%%" % (
            100 * x / median(lh, "wall_s")), "%.0f%%" % (
            100 * y / median(cu, "wall_s"))))
        block(case.title, first)
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
        block(case.title, first)
    if "e" in results:
        r = results["e"]
        w = r["window_s"]
        first = len(rows)
        rows.append(line("CPU ms in %.0f s (stat)" % w, "%.0f" % r["cpu_ms"],
                         "none", "", "< 10 ms", verdict(r["cpu_ms"] < 10)))
        rows.append(line("  run time ms (schedstat)", "%.3f" % r["run_ms"]))
        rows.append(line("wake-ups in %.0f s" % w, "%d" % r["wakeups"],
                         "none", "", "<= 2", verdict(r["wakeups"] <= 2)))
        rows.append(line("  voluntary, involuntary", "%d, %d"
                         % (r["vol"], r["invol"])))
        rows.append(line("threads", "%d%s" % (
            r["threads_after"], " (%d ended)" % r["threads_gone"]
            if r["threads_gone"] else "")))
        block("(e) idle, %d links, interval 1h" % E_URLS, first)
    if "f" in results:
        case, lh, jq, dd = results["f"]
        first = len(rows)
        rows.append(pair("status file s (fsync'd)", lh, dd, "status_s",
                         "%.3f", target=2.00))
        rows.append(line("report s", "%.3f" % median(lh, "report_s")))
        r = pair("status + report s", lh, jq, "both_s", "%.3f")
        x, y = median(lh, "both_s"), median(jq, "both_s")
        r[5], r[6] = "< 1.50x", verdict(x / y < 1.50)
        rows.append(r)
        rows.append(line("status, report MiB", "%.1f, %.1f" % (
            median(lh, "status_bytes") / 1048576.0,
            median(lh, "report_bytes") / 1048576.0)))
        block(case.title, first)
    head = ["workload", "metric", "linkhealthd", "baseline", "lh/base",
            "target", ""]
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(7)]
    fewer = []
    for key, n, name in (("b", B_RUNS, "(b)"), ("c1", C_RUNS, "(c)"),
                         ("h", H_RUNS, "(h)")):
        if key in results and runs > n:
            fewer.append("%d for %s" % (n, name))
    print()
    print("linkhealthd benchmark: medians of %d runs%s, nproc %d, %s"
          % (runs, " (%s)" % ", ".join(fewer) if fewer else "",
             os.cpu_count(), cpu_model()))
    for r in [head, ["-" * w for w in widths]] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    print("baseline: curl --parallel --head in (a)-(c), (h), (m); wrk -t1 "
          "(HEAD) in (w);\nxmllint --html --noout in (d); dd conv=fsync "
          "(status file) and jq . (status + report) in (f);\n(e) has none: "
          "absolute targets, one window.\n%s.  (%.0f s in all)"
          % (results["names"], elapsed))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print("bench: %s" % e, file=sys.stderr)
        sys.exit(1)
