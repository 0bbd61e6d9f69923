"""lhtest: the harness of linkhealthd's integration tests.

A test file (run from the repository root as python3 tests/integration/
test_X.py) looks like:

    import lhtest
    from lhtest import test, check_eq, serve

    @test
    def head_refused():
        srv = serve({"/": {"head": {"status": 405}}})
        r = lhtest.run_once({"directory": lhtest.write_list_directory(
            [srv.url("/")])})
        check_eq("ok", r.link(srv.url("/"))["verdict"], "verdict")

    if __name__ == "__main__":
        lhtest.main()

main() prints "ok   NAME" or "FAIL NAME: ..." per test, then exactly
"N passed, N failed", and exits 1 if anything failed.  Each test has a
deadline (@test(deadline=S), default 120 s).  check_* record a failure and
go on; an exception ends the test as a failure.  Servers made with serve()
are stopped after each test; temporary files are removed at exit.

Nothing here sends traffic anywhere but 127.0.0.1: proxies are removed
from the environment of every process started here.
"""

import atexit
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER_DIR = os.path.join(os.path.dirname(HERE), "server")
if SERVER_DIR not in sys.path:
    sys.path.insert(0, SERVER_DIR)

import lhserver  # noqa: E402
from lhserver import Server, closed_port, start_pair  # noqa: E402,F401

DEFAULT_DEADLINE = 120.0


def _status_version():
    with open(os.path.join(HERE, "..", "..", "lib", "status.h")) as f:
        for line in f:
            if line.startswith("#define LH_STATUS_VERSION "):
                return int(line.split()[2])
    raise RuntimeError("LH_STATUS_VERSION not found in lib/status.h")


STATUS_VERSION = _status_version()  # what the daemon writes

_tests = []             # (name, function, deadline)
_failures = None        # failure messages of the running test
_mine = threading.local()   # .failures: the list of the test this thread runs
_cleanups = []          # callables run after the running test
_tmp_root = None
_certs = None
_lock = threading.RLock()     # certs() calls tmpdir() holding it


# --- the runner ----------------------------------------------------------

def test(fn=None, *, deadline=DEFAULT_DEADLINE):
    """Register a test: @test or @test(deadline=30)."""
    def register(f):
        _tests.append((f.__name__, f, deadline))
        return f
    return register(fn) if fn is not None else register


def _short(v, limit=300):
    s = repr(v)
    return s if len(s) <= limit else s[:limit] + "..."


def fail(what):
    """Record a failure of the running test and go on."""
    with _lock:
        # A test thread left running past its deadline keeps writing to its
        # own list, never to the next test's.
        target = getattr(_mine, "failures", None)
        if target is None:
            target = _failures
        if target is None:
            raise RuntimeError("lhtest: check outside a test: " + what)
        target.append(what)


def check(cond, what):
    if not cond:
        fail(what)
    return bool(cond)


def check_eq(expected, actual, what):
    ok = expected == actual
    if not ok:
        fail("%s: expected %s, got %s" % (what, _short(expected),
                                           _short(actual)))
    return ok


def check_in(needle, haystack, what):
    try:
        ok = needle in haystack
    except TypeError:
        ok = False
    if not ok:
        fail("%s: expected %s in %s" % (what, _short(needle),
                                         _short(haystack)))
    return ok


def on_cleanup(fn):
    """Run fn after the running test (in reverse order of registration)."""
    _cleanups.append(fn)


def _run_one(name, fn, deadline):
    global _failures
    _failures = []
    errors = []

    mine = _failures

    def body():
        _mine.failures = mine
        try:
            fn()
        except Exception:
            errors.append(traceback.format_exc().rstrip().splitlines())

    t = threading.Thread(target=body, name="test-" + name, daemon=True)
    start = time.monotonic()
    t.start()
    t.join(deadline)
    timed_out = t.is_alive()
    while _cleanups:
        try:
            _cleanups.pop()()
        except Exception as e:
            errors.append(["cleanup: %r" % (e,)])
    with _lock:
        msgs, _failures = _failures, None
    if timed_out:
        msgs.append("deadline: expected to finish within %gs, still running"
                    % deadline)
    for tb in errors:
        msgs.append("exception: " + tb[-1])
        for line in tb[:-1]:
            sys.stderr.write("    " + line + "\n")
    took = time.monotonic() - start
    if msgs:
        for m in msgs:
            print("FAIL %s: %s" % (name, m), flush=True)
    else:
        print("ok   %s (%.1fs)" % (name, took), flush=True)
    return not msgs, timed_out


def main(argv=None):
    """Run the registered tests (or those named on the command line)."""
    argv = sys.argv[1:] if argv is None else argv
    chosen = [t for t in _tests if not argv or t[0] in argv]
    passed = failed = 0
    stuck = False
    for name, fn, deadline in chosen:
        ok, timed_out = _run_one(name, fn, deadline)
        passed += ok
        failed += not ok
        stuck = stuck or timed_out
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.stdout.flush()
    if stuck:
        _cleanup_tmp()
        os._exit(1)         # a stuck test thread must not keep us alive
    sys.exit(1 if failed else 0)


# --- files and processes -------------------------------------------------

def _cleanup_tmp():
    if _tmp_root:
        shutil.rmtree(_tmp_root, ignore_errors=True)


def tmpdir():
    """A fresh temporary folder, removed at exit."""
    global _tmp_root
    with _lock:
        if _tmp_root is None:
            _tmp_root = tempfile.mkdtemp(prefix="lhtest-")
            atexit.register(_cleanup_tmp)
    return tempfile.mkdtemp(dir=_tmp_root)


def build_shim(name):
    """Compile tests/shim/<name>.c into a preloadable library in a fresh
    folder; its path.  RuntimeError with the compiler's words if it
    does not build."""
    src = os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "shim", name + ".c")
    out = os.path.join(tmpdir(), name + ".so")
    cc = os.environ.get("CC", "cc")
    p = subprocess.run([cc, "-shared", "-fPIC", "-O1", "-Wall", "-Wextra",
                        "-Werror", "-o", out, src, "-ldl"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("building %s: %s" % (src, p.stderr[-500:]))
    return out


def clean_env(extra=None):
    """os.environ without proxy settings (so curl and libcurl go straight
    to 127.0.0.1) or a JOURNAL_STREAM of ours, plus extra."""
    env = {k: v for k, v in os.environ.items()
           if not k.lower().endswith("_proxy") and k != "JOURNAL_STREAM"}
    env["NO_PROXY"] = env["no_proxy"] = "*"
    env.update(extra or {})
    return env


def binary():
    return os.environ.get("LH_BUILD", "build") + "/linkhealthd"


def wrapper():
    """LH_WRAPPER (for example a valgrind command line) split into words:
    what the daemon runs under."""
    return os.environ.get("LH_WRAPPER", "").split()


@contextlib.contextmanager
def wrapped(words):
    """Within the block the daemon runs under words (a command line
    prefix: strace, unshare...) and then under LH_WRAPPER, if any."""
    saved = os.environ.get("LH_WRAPPER")
    os.environ["LH_WRAPPER"] = (words + " " + (saved or "")).strip()
    try:
        yield
    finally:
        if saved is None:
            del os.environ["LH_WRAPPER"]
        else:
            os.environ["LH_WRAPPER"] = saved


def config_text(config):
    """INI text from a str (as is) or a dict; a list value repeats the key
    on several lines (resolve = ...)."""
    if isinstance(config, str):
        return config
    lines = []
    for key, value in config.items():
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(v, bool):
                v = "true" if v else "false"
            lines.append("%s = %s" % (key, v))
    return "\n".join(lines) + "\n"


def write_config(config, folder=None):
    """Write config (see config_text).  The servers of the tests live on
    127.0.0.1, so a dict config gets allow_private = yes unless it says
    otherwise."""
    if isinstance(config, dict) and "allow_private" not in config:
        config = dict(config, allow_private="yes")
    path = os.path.join(folder or tmpdir(), "linkhealthd.conf")
    with open(path, "w", encoding="utf-8") as f:
        f.write(config_text(config))
    return path


def write_list_directory(urls_and_names):
    """A plain-list directory file: items are URLs or (url, name) pairs."""
    path = os.path.join(tmpdir(), "directory.txt")
    with open(path, "w", encoding="utf-8") as f:
        for item in urls_and_names:
            if isinstance(item, str):
                f.write(item + "\n")
            else:
                url, name = item
                f.write("%s %s\n" % (url, name) if name else url + "\n")
    return path


def _read_json(path):
    try:
        # No test writes a status file this big; one planted to be set
        # aside (a gibibyte of zeros) is not parsed on every poll.
        if os.path.getsize(path) > 1 << 29:
            return None
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


class Result:
    """What run_once saw: returncode (None if killed at the timeout),
    timed_out, stdout, stderr, status (the status file parsed, or None),
    duration (s), conf_path, status_path."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    @property
    def links(self):
        return (self.status or {}).get("links") or []

    def link(self, url):
        """The status entry of url, or None."""
        for entry in self.links:
            if entry.get("url") == url:
                return entry
        return None

    def __repr__(self):
        return ("Result(rc=%r, timed_out=%r, stderr=%r)"
                % (self.returncode, self.timed_out, self.stderr[-500:]))


def _communicate(proc, timeout):
    try:
        out, err = proc.communicate(timeout=timeout)
        return out, err, False
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=10)
        return out, err, True


def run_once(config, extra_args=(), timeout=60, env=None, nofile=None):
    """Run linkhealthd --once -c CONF -o STATUS EXTRA... and collect.
    nofile: an RLIMIT_NOFILE for the process."""
    folder = tmpdir()
    conf = write_config(config, folder)
    status = os.path.join(folder, "status.json")
    argv = wrapper() + [binary(), "--once", "-c", conf, "-o", status] + \
        list(extra_args)
    start = time.monotonic()
    def limit():
        if nofile is not None:
            import resource
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=clean_env(env), text=True, errors="replace",
                            preexec_fn=limit)
    out, err, timed_out = _communicate(proc, timeout)
    return Result(returncode=None if timed_out else proc.returncode,
                  timed_out=timed_out, stdout=out, stderr=err,
                  status=_read_json(status), conf_path=conf,
                  status_path=status, duration=time.monotonic() - start)


class Daemon:
    """linkhealthd running in the foreground (not --once), stopped after
    the test.  status() reads the status file; wait_status(pred) polls it."""

    def __init__(self, config, extra_args=(), env=None, status_path=None,
                 limits=None, journal=False):
        folder = tmpdir()
        self.conf_path = write_config(config, folder)
        self.status_path = status_path or os.path.join(folder, "status.json")
        self.log_path = os.path.join(folder, "daemon.log")
        argv = wrapper() + [binary(), "-f", "-c", self.conf_path, "-o",
                            self.status_path]
        self._log = open(self.log_path, "w+")
        env = dict(env or {})
        if journal:
            # As systemd does for a unit whose stderr is the journal: the
            # log file plays the journal.
            st = os.fstat(self._log.fileno())
            env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)

        def apply_limits():
            import resource
            for what, value in (limits or {}).items():
                resource.setrlimit(what, (value, value))
        import resource
        # A file size limit stands in for a full disk; it must not cut the
        # log short, so under one the log goes through a pipe and this
        # process writes it.
        piped = resource.RLIMIT_FSIZE in (limits or {})
        self.proc = subprocess.Popen(argv + list(extra_args),
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE if piped
                                     else self._log,
                                     stderr=subprocess.STDOUT,
                                     env=clean_env(env),
                                     preexec_fn=apply_limits)
        self._copier = None
        if piped:
            def copy():
                for chunk in iter(lambda: self.proc.stdout.read1(65536),
                                  b""):
                    self._log.write(chunk.decode(errors="replace"))
                    self._log.flush()
            self._copier = threading.Thread(target=copy, daemon=True)
            self._copier.start()
        on_cleanup(self.stop)

    def status(self):
        return _read_json(self.status_path)

    def wait_status(self, pred=lambda s: True, timeout=30):
        """The first status document for which pred is true, or None."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            s = self.status()
            if s is not None and pred(s):
                return s
            if self.proc.poll() is not None:
                return None
            time.sleep(0.1)
        return None

    def wait_log(self, needle, count=1, timeout=30):
        """Wait until needle is in count lines of the log (a failure of
        the test, with the log's tail, if the deadline passes or the
        daemon exits first).  True if it came."""
        def seen():
            return sum(needle in l
                       for l in self.output().splitlines()) >= count
        wait_for(lambda: seen() or self.proc.poll() is not None, timeout)
        if seen():
            return True
        fail("log: expected %d line(s) with %r within %gs%s; log ends %s"
             % (count, needle, timeout,
                "" if self.proc.poll() is None else
                " (exited %r)" % self.proc.returncode,
                _short(self.output()[-600:], 700)))
        return False

    def check_stop(self, sig=signal.SIGTERM, timeout=10, sent=False):
        """Stop with sig and check what the README says SIGTERM and SIGINT
        do: exit 0, "<signal>: stopping" then "stopped" logged, and a
        whole status file of this version left behind (written again if
        a cycle was cut short).  sent: the test sent sig already, so only
        wait (a second one could come after the daemon let go of its
        handlers).  The exit status."""
        rc = self.stop(None if sent else sig, timeout)
        name = signal.Signals(sig).name
        check_eq(0, rc, "exit status after %s" % name)
        lines = self.output().splitlines()
        stopping = [i for i, l in enumerate(lines)
                    if l.endswith("%s: stopping" % signal.strsignal(sig))]
        stopped = [i for i, l in enumerate(lines) if l.endswith(": stopped")
                   or l.endswith(">stopped")]
        if check(stopping and stopped and stopping[0] < stopped[-1],
                 "%s: expected \"%s: stopping\" then \"stopped\" in the "
                 "log, got %s" % (name, signal.strsignal(sig),
                                  _short(lines[-4:]))):
            # Only a wrapper's findings ("==PID== ...") may follow.
            after = [l for l in lines[stopped[-1] + 1:]
                     if not l.startswith("==")]
            check_eq([], after, "%s: log lines after \"stopped\"" % name)
        s = self.status()
        check_eq(STATUS_VERSION, (s or {}).get("version"),
                 "%s: version of the status file left behind" % name)
        return rc

    def output(self):
        if not self._log.closed:
            self._log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self, sig=15, timeout=10):
        """Signal it (sig None: only wait), wait up to timeout, then kill.
        The exit status."""
        if self.proc.poll() is None:
            if sig is not None:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self._copier is not None:
            self._copier.join(10)
        if not self._log.closed:
            self._log.close()
        return self.proc.returncode


def serve(routes=None, **kw):
    """A started lhserver.Server, stopped after the running test."""
    srv = Server(routes, **kw).start()
    on_cleanup(srv.stop)
    return srv


def serve_pair(http_routes, https_routes, **kw):
    """(http, https) linked servers using certs()/server.pem, stopped after
    the running test."""
    d = certs()
    pair = start_pair(http_routes, https_routes,
                      os.path.join(d, "server.pem"),
                      os.path.join(d, "server.key"), **kw)
    for srv in pair:
        on_cleanup(srv.stop)
    return pair


def certs():
    """Folder holding the mkcerts.sh certificates, made once per process."""
    global _certs
    with _lock:
        if _certs is None:
            d = os.path.join(tmpdir(), "certs")
            subprocess.run(["sh", os.path.join(SERVER_DIR, "mkcerts.sh"), d],
                           check=True, timeout=60)
            _certs = d
    return _certs


def ca_file():
    """The test CA (for ca_file = ... and curl --cacert)."""
    return os.path.join(certs(), "ca.pem")


def cert(name):
    """(certfile, keyfile) of a certs() pair: server, expired, soon, future,
    unknown, wrongname."""
    d = certs()
    return os.path.join(d, name + ".pem"), os.path.join(d, name + ".key")


def curl(*args, timeout=30):
    """Run curl (never through a proxy).  CompletedProcess with text."""
    argv = ["curl", "--noproxy", "*", "-sS"] + list(args)
    try:
        return subprocess.run(argv, capture_output=True, text=True,
                              errors="replace", env=clean_env(),
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        # returncode None: curl was killed at the timeout.  (The partial
        # output of TimeoutExpired is bytes even in text mode.)
        def text(b):
            return b.decode(errors="replace") if isinstance(b, bytes) else (
                b or "")
        return subprocess.CompletedProcess(argv, None, text(e.stdout),
                                           text(e.stderr))


def wait_for(cond, timeout=10, interval=0.05, what=None):
    """Poll cond() until it returns something true (returned) or timeout
    seconds pass (then the last value).  With what (the event waited
    for, in words), a deadline that passes is also a failure of the
    running test that says what was expected and what cond() last gave.
    The timeout is when to give up, never a claim about speed: wait for
    the event itself, not for a time after which it should have
    happened."""
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= end:
            if what is not None:
                fail("%s: expected within %gs, last saw %s"
                     % (what, timeout, _short(v)))
            return v
        time.sleep(interval)
