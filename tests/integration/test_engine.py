"""The check engine end to end: linkhealthd --once against local servers,
one case per verdict rule, and a load case counted by the server."""

import os
import re
import resource
import shutil
import socket
import threading
import time

import lhtest
from lhtest import check, check_eq, check_in, serve, test

# The HEAD engine: its requests are counted, so pages are not read here
# (test_content.py reads them).
FAST = {"timeout": "3s", "connect_timeout": "2s", "retries": 0,
        "content_checks": "no"}


def once(urls, **cfg):
    """--once over a plain-list directory of urls, with cfg over FAST."""
    conf = dict(FAST)
    conf.update(cfg)
    conf["directory"] = lhtest.write_list_directory(urls)
    return lhtest.run_once(conf)


def verdict_of(srv_or_url, path=None, **cfg):
    url = srv_or_url.url(path) if path is not None else srv_or_url
    r = once([url], **cfg)
    link = r.link(url)
    check(link is not None, "a status entry for %s (stderr: %s)"
          % (url, r.stderr[-400:]))
    return r, link or {}


@test
def plain_200():
    srv = serve({"/page": 200})
    r, l = verdict_of(srv, "/page")
    check_eq(0, r.returncode, "exit code")
    check_eq("ok", l.get("state"), "state")
    check_eq(200, l.get("http_status"), "http_status")
    check_eq("HEAD", l.get("method"), "method")
    check_eq(0, l.get("redirects"), "redirects")
    check_eq(["HEAD"], [q["method"] for q in srv.requests()], "requests")
    check_in("OK", r.stdout, "report")


@test
def head_refused_get_works():
    for code in (405, 403, 404, 501):
        srv = serve({"/p": {"status": 200, "head": {"status": code}}})
        r, l = verdict_of(srv, "/p")
        check_eq("ok", l.get("state"), "state after HEAD %d" % code)
        check_eq("GET", l.get("method"), "method after HEAD %d" % code)
        check_eq(code, l.get("head_status"), "head_status")
        check_in(str(code), l.get("reason", ""), "reason names the HEAD code")
        check_eq(0, r.returncode, "exit code")


@test
def head_refusal_is_remembered_per_host():
    srv = serve({"/a": {"status": 200, "head": {"status": 405}},
                 "/b": {"status": 200, "head": {"status": 405}},
                 "/c": {"status": 200, "head": {"status": 405}}})
    # One at a time, so the second and third come after the first.
    r = once([srv.url("/a"), srv.url("/b"), srv.url("/c")], concurrency=1,
             per_host_concurrency=1)
    methods = [(q["method"], q["path"]) for q in srv.requests()]
    check_eq([("HEAD", "/a"), ("GET", "/a"), ("GET", "/b"), ("GET", "/c")],
             methods, "requests")
    check_eq(3, r.status["summary"]["ok"], "all ok")


@test
def head_refusal_is_per_server_not_per_host_name():
    # Two servers on 127.0.0.1, two ports: the one that refuses HEAD must
    # not send the other to GET.
    refusing = serve({"/a": {"status": 200, "head": {"status": 405}}})
    fine = serve({"/b": 200, "/c": 200})
    r = once([refusing.url("/a"), fine.url("/b"), fine.url("/c")],
             concurrency=1, per_host_concurrency=1)
    check_eq([("HEAD", "/a"), ("GET", "/a")],
             [(q["method"], q["path"]) for q in refusing.requests()],
             "requests to the server that refuses HEAD")
    check_eq([("HEAD", "/b"), ("HEAD", "/c")],
             [(q["method"], q["path"]) for q in fine.requests()],
             "requests to the other port")
    check_eq(3, r.status["summary"]["ok"], "all ok")


@test
def permanent_redirect_is_moved():
    srv = serve({"/old": {"redirect": {"status": 301, "location": "/new"}},
                 "/new": 200})
    r, l = verdict_of(srv, "/old")
    check_eq("moved", l.get("state"), "state")
    check_eq(srv.url("/new"), l.get("new_url"), "new_url")
    check_eq(srv.url("/new"), l.get("final_url"), "final_url")
    check_eq(1, l.get("redirects"), "redirects")
    chain = l.get("redirect_chain") or [{}]
    check_eq(301, chain[0].get("status"), "hop status")
    check_eq(srv.url("/new"), chain[0].get("location"), "hop location")
    check_eq(0, r.returncode, "moved counts as healthy")
    check_in(srv.url("/new"), r.stdout, "report gives the fix")


@test
def http_to_https_same_path_is_ok():
    http, https = lhtest.serve_pair(
        {"/x/": {"redirect": {"status": 301,
                              "location": "https://site.lh.test/x/"}}},
        {"/x/": 200})
    url = "http://site.lh.test/x/"
    r, l = verdict_of(url, connect_to=[
        "site.lh.test:80:127.0.0.1:%d" % http.port,
        "site.lh.test:443:127.0.0.1:%d" % https.port],
        ca_file=lhtest.ca_file())
    check_eq("ok", l.get("state"), "state")
    check_eq("https://site.lh.test/x/", l.get("final_url"), "final_url")
    check(l.get("cert_expires_at") is not None, "certificate expiry kept")


@test
def redirect_to_home_page_is_stale():
    srv = serve({"/deep/page": {"redirect": {"status": 301,
                                             "location": "/"}},
                 "/": 200})
    r, l = verdict_of(srv, "/deep/page")
    check_eq("stale", l.get("state"), "state")
    check_in("home page", l.get("reason", ""), "reason")
    check_eq(1, r.returncode, "exit code")


@test
def redirect_to_other_hosts_home_page_is_stale():
    srv = serve({"/": {"status": 200, "by_host": {"old.lh.test": {
        "redirect": {"status": 301,
                     "location": "http://parked.lh.test:{port}/"}}}}})
    url = srv.url("/", "old.lh.test")
    r, l = verdict_of(url, resolve=srv.resolve("old.lh.test",
                                               "parked.lh.test"))
    check_eq("stale", l.get("state"), "state")
    check_eq(srv.url("/", "parked.lh.test"), l.get("final_url"), "final")


@test
def not_found_and_gone_are_stale():
    srv = serve({"/gone": 410})
    for path, code in (("/missing", 404), ("/gone", 410)):
        r, l = verdict_of(srv, path)
        check_eq("stale", l.get("state"), "state of %d" % code)
        check_eq(code, l.get("http_status"), "http_status")
        # A HEAD 404 is asked again with GET; a HEAD 410 is believed.
        check_eq("GET" if code == 404 else "HEAD", l.get("method"),
                 "method deciding the %d" % code)
        check_eq(1, r.returncode, "exit code")


@test
def server_error_is_error():
    srv = serve({"/boom": 500})
    r, l = verdict_of(srv, "/boom")
    check_eq("error", l.get("state"), "state")
    check_eq(500, l.get("http_status"), "http_status")


@test
def retry_after_transient_503():
    srv = serve({"/flaky": {"sequence": [503, 503, 200]}})
    r, l = verdict_of(srv, "/flaky", retries=1)
    check_eq("ok", l.get("state"), "state")
    check_eq(1, l.get("retries"), "retries")
    check_eq(["HEAD", "GET", "HEAD"], [q["method"] for q in srv.requests()],
             "HEAD, GET fallback, then the retry")


@test
def retry_after_is_honoured():
    srv = serve({"/busy": {"sequence": [
        {"status": 429, "headers": {"Retry-After": "1"}}, 200]}})
    r, l = verdict_of(srv, "/busy", retries=1)
    check_eq("ok", l.get("state"), "state")
    reqs = srv.requests()
    check_eq(2, len(reqs), "two requests")
    if len(reqs) == 2:
        check(reqs[1]["at"] - reqs[0]["at"] >= 0.9,
              "waited for Retry-After (%.2f s)" % (reqs[1]["at"] -
                                                   reqs[0]["at"]))


@test
def persistent_429_is_blocked_not_dead():
    srv = serve({"/limited": {"status": 429,
                              "headers": {"Retry-After": "1"}}})
    r, l = verdict_of(srv, "/limited", retries=1)
    check_eq("blocked", l.get("state"), "state")


@test
def challenge_page_is_blocked():
    srv = serve({"/cf": {"status": 403,
                         "headers": {"cf-mitigated": "challenge"},
                         "body": "<title>Just a moment...</title>"}})
    r, l = verdict_of(srv, "/cf")
    check_eq("blocked", l.get("state"), "state")
    check_in("blocked", l.get("reason", ""), "reason")


@test
def redirect_loop_is_error():
    srv = serve({"/a": {"redirect": {"status": 302, "location": "/b"}},
                 "/b": {"redirect": {"status": 302, "location": "/a"}}})
    r, l = verdict_of(srv, "/a")
    check_eq("error", l.get("state"), "state")
    check_in("loop", l.get("reason", ""), "reason")


@test
def too_many_redirects_is_error():
    routes = {"/r%d" % i: {"redirect": {"status": 302,
                                        "location": "/r%d" % (i + 1)}}
              for i in range(12)}
    routes["/r12"] = 200
    srv = serve(routes)
    r, l = verdict_of(srv, "/r0", max_redirects=10)
    check_eq("error", l.get("state"), "state")
    check_in("too many redirects", l.get("reason", ""), "reason")
    check_eq(11, len(srv.requests()), "stopped after the 11th answer")


@test
def redirect_to_file_is_error():
    srv = serve({"/f": {"redirect": {"status": 302,
                                     "location": "file:///etc/passwd"}}})
    r, l = verdict_of(srv, "/f")
    check_eq("error", l.get("state"), "state")
    check_in("file:///etc/passwd", l.get("reason", ""), "reason")


@test
def silent_server_times_out():
    srv = serve(silent=True)
    r, l = verdict_of(srv, "/", timeout="2s", connect_timeout="1s")
    check_eq("unreachable", l.get("state"), "state")
    check_in("timeout", l.get("reason", ""), "reason")
    # Bounded by its own timeout: it gave up on the first byte and exited
    # by itself, before the harness's deadline.
    check_eq("timeout-first-byte", l.get("failure"), "failure")
    check_eq((False, 1), (r.timed_out, r.returncode),
             "(killed at the deadline, exit status)")


@test
def hanging_server_times_out_on_first_byte():
    srv = serve({"/hang": {"action": "hang"}})
    r, l = verdict_of(srv, "/hang", timeout="2s", connect_timeout="1s")
    check_eq("unreachable", l.get("state"), "state")
    check_eq("timeout-first-byte", l.get("failure"), "failure")


@test
def connection_reset_is_unreachable():
    srv = serve({"/rst": {"action": "reset"}})
    r, l = verdict_of(srv, "/rst")
    check_eq("unreachable", l.get("state"), "state")
    check_eq(["HEAD", "GET"], [q["method"] for q in srv.requests()],
             "GET tried after the reset HEAD")


@test
def refused_port_is_unreachable():
    url = "http://127.0.0.1:%d/" % lhtest.closed_port()
    r, l = verdict_of(url)
    check_eq("unreachable", l.get("state"), "state")
    check_eq("refused", l.get("failure"), "failure")


@test
def tls_unknown_ca_and_expired():
    for name, failure in (("unknown", "tls-untrusted"),
                          ("expired", "tls-expired"),
                          ("wrongname", "tls-hostname")):
        srv = serve({"/": 200}, tls=lhtest.cert(name))
        r, l = verdict_of(srv.url("/", "site.lh.test"),
                          resolve=srv.resolve("site.lh.test"),
                          ca_file=lhtest.ca_file())
        check_eq("unreachable", l.get("state"), "state with %s" % name)
        check_eq(failure, l.get("failure"), "failure with %s" % name)


@test
def unresolvable_name_is_unreachable():
    r, l = verdict_of("https://no-such-host.invalid/page")
    check_eq("unreachable", l.get("state"), "state")
    check_eq("dns", l.get("failure"), "failure")
    check_eq((False, 1), (r.timed_out, r.returncode),
             "(killed at the deadline, exit status)")


@test
def user_agent_carries_version_and_contact():
    srv = serve({"/": 200})
    verdict_of(srv, "/", contact="mailto:web@example.org")
    ua = (srv.requests() or [{"headers": {}}])[0]["headers"].get(
        "user-agent", "")
    check(ua.startswith("linkhealthd/"), "product token in %r" % ua)
    check_in("(+mailto:web@example.org)", ua, "contact")


@test(deadline=240)
def load_respects_concurrency_caps():
    hosts = ["h%d.lh.test" % i for i in range(5)]
    srv = serve({"/": {"status": 200, "delay": 0.02, "prefix": True}})
    urls = [srv.url("/p%d" % i, hosts[i % 5]) for i in range(500)]
    r = once(urls, concurrency=6, per_host_concurrency=2,
             resolve=srv.resolve(*hosts), timeout="20s")
    check_eq(0, r.returncode, "exit code (stderr %s)" % r.stderr[-300:])
    check_eq(500, (r.status or {}).get("summary", {}).get("ok"), "all ok")
    st = srv.stats(log=False)
    check_eq(500, st["requests"], "one request per link")
    check(st["max_active_requests"] <= 6,
          "at most 6 requests at once (saw %d)" % st["max_active_requests"])
    per_host = st["max_active_requests_per_host"]
    check(max(per_host.values()) <= 2,
          "at most 2 per host (saw %r)" % per_host)
    check(st["max_connections"] <= 6,
          "at most 6 connections (saw %d)" % st["max_connections"])
    conn_host = st["max_connections_per_host"]
    check(max(conn_host.values()) <= 2,
          "at most 2 connections per host (saw %r)" % conn_host)
    check(st["connections"] < 60,
          "connections reused (%d for 500 requests)" % st["connections"])


@test(deadline=240)
def descriptor_limit_throttles_instead_of_failing():
    hosts = ["f%d.lh.test" % i for i in range(20)]
    srv = serve({"/": {"status": 200, "prefix": True}})
    urls = [srv.url("/n%d" % i, hosts[i % 20]) for i in range(2000)]
    conf = dict(FAST, concurrency=64, per_host_concurrency=4,
                resolve=srv.resolve(*hosts), timeout="30s",
                directory=lhtest.write_list_directory(urls))
    r = lhtest.run_once(conf, ["-f"], timeout=200, nofile=64)
    check_eq(0, r.returncode, "exit code (stderr %s)" % r.stderr[-300:])
    check_eq(2000, ((r.status or {}).get("summary") or {}).get("ok"),
             "every link ok, none unreachable for our own limit")
    check_in("descriptor limit 64", r.stderr, "the clamp is logged")


@test(deadline=90)
def descriptor_clamp_holds_across_cycles():
    # The engine keeps connections alive from one cycle to the next; they
    # are its own to reuse or to close, not descriptors taken: every cycle
    # gets the same clamp, logged once.  Control: the clamp is logged.
    hosts = ["g%d.lh.test" % i for i in range(8)]
    srv = serve({"/": {"status": 200, "prefix": True}})
    urls = [srv.url("/n%d" % i, hosts[i % 8]) for i in range(64)]
    d = lhtest.Daemon(dict(FAST, concurrency=64, per_host_concurrency=4,
                           resolve=srv.resolve(*hosts), interval="200ms",
                           jitter=0,
                           directory=lhtest.write_list_directory(urls)),
                      limits={resource.RLIMIT_NOFILE: 64})
    s = d.wait_status(lambda s: s["cycle"]["number"] >= 4)
    check(s is not None, "four cycles (log: %s)" % d.output()[-400:])
    d.stop()
    clamps = [l for l in d.output().splitlines() if "descriptor limit" in l]
    check_eq(1, len(clamps), "clamp lines over %s cycles: %r" % (
        (s or {}).get("cycle", {}).get("number"), clamps))
    check_eq(64, ((s or {}).get("summary") or {}).get("ok"), "every link ok")


@test
def status_file_schema():
    srv = serve({"/ok": 200, "/gone": 410})
    r = once([srv.url("/ok"), srv.url("/gone")])
    s = r.status or {}
    check_eq(lhtest.STATUS_VERSION, s.get("version"), "version")
    for key in ("generated_at", "directory", "shard", "cycle", "summary",
                "links"):
        check(key in s, "top-level %s" % key)
    check_eq(2, s.get("directory", {}).get("entries"), "entries")
    check_eq(None, s.get("directory", {}).get("error"), "no error")
    check_eq(1, s.get("cycle", {}).get("number"), "cycle number")
    check_eq({"ok": 1, "moved": 0, "stale": 1, "blocked": 0, "error": 0,
              "unreachable": 0, "unknown": 0, "excluded": 0}, s.get("summary"),
             "summary")
    for l in s.get("links", []):
        for key in ("name", "region", "url", "state", "reason",
                    "http_status", "final_url", "redirects", "method",
                    "error", "checked_at", "since", "response_ms",
                    "consecutive_failures", "timings", "cert_expires_at",
                    "warnings"):
            check(key in l, "link field %s" % key)
    check(not [f for f in os.listdir(os.path.dirname(r.status_path))
               if f.startswith("status.json.")], "no temporary file left")


@test
def private_addresses_are_refused_by_default():
    srv = serve({"/": 200})
    r, l = verdict_of(srv, "/", allow_private="no")
    check_eq("error", l.get("state"), "state")
    check_in("refused: private address 127.0.0.1 (loopback)",
             l.get("reason", ""), "reason")
    check_eq("forbidden-address", l.get("failure"), "failure")
    check_eq(0, srv.stats(log=False)["connections"],
             "no connection was made")


@test
def every_redirect_hop_is_guarded():
    srv = serve({"/go": {"redirect": {"status": 302,
                                      "location": "http://127.0.0.2:{port}/"}}})
    r, l = verdict_of(srv, "/go", allow_private="no",
                      allow_networks="127.0.0.1/32")
    check_eq("error", l.get("state"), "state")
    check_in("127.0.0.2 (loopback)", l.get("reason", ""), "reason")
    check_eq(1, len(srv.requests()), "only the allowed hop was asked")


@test
def allow_private_on_the_command_line():
    srv = serve({"/": 200})
    conf = dict(FAST, allow_private="no",
                directory=lhtest.write_list_directory([srv.url("/")]))
    r = lhtest.run_once(conf, ["--allow-private"])
    check_eq("ok", (r.link(srv.url("/")) or {}).get("state"), "state")


def strace_usable():
    """Whether syscalls() can count here: strace is there, the daemon runs
    under no other wrapper (valgrind), and no sanitizer (LeakSanitizer
    does not run under ptrace).  Says so when not."""
    if shutil.which("strace") is None or lhtest.wrapper() or \
            os.environ.get("LH_SANITIZER"):
        print("skip: needs strace, no LH_WRAPPER, no sanitizer")
        return False
    return True


def syscalls(urls, names, **cfg):
    """The calls of the system calls names (a list) made by a --once run
    over urls, counted with strace, and the run."""
    out = os.path.join(lhtest.tmpdir(), "strace.out")
    with lhtest.wrapped("strace -f -qq -e trace=%s -o %s"
                        % (",".join(names), out)):
        r = once(urls, **cfg)
    with open(out, encoding="utf-8", errors="replace") as f:
        text = f.read()
    return sum(len(re.findall(r"\b%s\(" % n, text)) for n in names), r


def epoll_ctl_calls(urls, **cfg):
    """epoll_ctl calls of a --once run over urls, all of them ok."""
    n, r = syscalls(urls, ["epoll_ctl"], **cfg)
    check_eq(0, r.returncode, "exit code (stderr: %s)" % r.stderr[-300:])
    check_eq(len(urls), r.status["summary"]["ok"], "all ok")
    return n


def epoll_ctl_per_check(srv, path):
    """epoll_ctl calls per check, one connection at a time: the slope
    between 20 and 120 links (what a run costs anyway cancels out)."""
    one = dict(concurrency=1, per_host_concurrency=1)
    few = epoll_ctl_calls([srv.url("%s%d" % (path, i)) for i in range(20)],
                          **one)
    many = epoll_ctl_calls([srv.url("%s%d" % (path, i))
                            for i in range(120)], **one)
    return (many - few) / 100.0


@test(deadline=120)
def kept_alive_socket_keeps_its_watcher():
    # A kept-alive connection's socket is watched by one uv_poll_t for its
    # life, left armed between transfers: the next check asks for the same
    # events and costs no epoll_ctl (stopping and starting it again cost
    # three: libuv's start deletes before it adds; a watcher made and
    # closed for each check six).  The answer comes after a pause, so that
    # each check waits on its socket.
    if not strace_usable():
        return
    srv = serve({"/k": {"status": 200, "prefix": True, "delay": 0.005},
                 "/c": {"status": 200, "prefix": True, "delay": 0.005,
                        "keep_alive": False}})
    kept = epoll_ctl_per_check(srv, "/k")
    check(kept <= 0.5, "epoll_ctl per check on a kept-alive connection "
          "at most 0.5, got %.2f" % kept)
    # Control: a connection per check makes a watcher per check, and
    # that is seen.
    fresh = epoll_ctl_per_check(srv, "/c")
    check(fresh >= 5.0, "epoll_ctl per check with a connection each at "
          "least 5, got %.2f" % fresh)
    reqs = srv.requests()
    check_eq(len({q["conn"] for q in reqs if q["path"].startswith("/k")}),
             2, "one connection per --once run on /k")



def loop_wakeups(urls, **cfg):
    """epoll_wait calls of a --once run over urls, and the run."""
    return syscalls(urls, ["epoll_wait", "epoll_pwait", "epoll_pwait2"],
                    **cfg)


@test(deadline=120)
def kept_alive_socket_closed_by_the_server_while_idle():
    # A kept-alive connection's watcher stays armed between transfers.
    # When the server closes the connection while no transfer uses it (a
    # retry waits a second), the watcher fires once and is stopped: the
    # loop does not spin on the end of file (level-triggered), and the
    # retry gets a new connection.
    if not strace_usable():
        return
    for idle_timeout, conns in ((0.2, 2), (30.0, 1)):
        # Control: a server that keeps the connection open: one
        # connection, the same quiet loop.
        srv = serve({"/": {"status": 200, "prefix": True},
                     "/r": {"sequence": [{"status": 503}, {"status": 503},
                                         {"status": 200}]}},
                    idle_timeout=idle_timeout)
        urls = [srv.url("/a"), srv.url("/r")]
        waits, r = loop_wakeups(urls, concurrency=1, per_host_concurrency=1,
                                retries=1, retry_interval="1s")
        check_eq(0, r.returncode, "exit code (stderr: %s)" % r.stderr[-300:])
        check_eq(2, r.status["summary"]["ok"], "all ok")
        reqs = srv.requests()
        check_eq(["/a", "/r", "/r", "/r"], [q["path"] for q in reqs],
                 "requests (HEAD, GET, then the retry)")
        check_eq(conns, len({q["conn"] for q in reqs}),
                 "connections with idle timeout %gs" % idle_timeout)
        # A run's own waits are a few dozen; a spin in the retry's second
        # would be thousands.
        check(waits < 200, "epoll_wait calls with idle timeout %gs at "
              "most 200, got %d" % (idle_timeout, waits))

def one_at_a_time_over_tls(n, **server):
    """n links of a local TLS server (with server's options), checked one
    at a time, each on a connection of its own ("Connection: close"): the
    first handshake is full, every later one resumes.  The run and the
    URLs."""
    srv = serve({"/": {"status": 200, "prefix": True, "keep_alive": False}},
                tls=lhtest.cert("server"), **server)
    urls = [srv.url("/p%d" % i) for i in range(n)]
    r = once(urls, concurrency=1, per_host_concurrency=1,
             ca_file=lhtest.ca_file())
    check_eq(0, r.returncode, "exit code (stderr: %s)" % r.stderr[-300:])
    st = srv.stats(log=False)
    check_eq(n, st["tls_handshakes"], "handshakes")
    check_eq(n - 1, st["tls_resumed"], "resumed handshakes")
    return r, urls


@test
def tls_sessions_resume_and_every_link_keeps_its_expiry():
    # Each check on a connection of its own ("Connection: close"): the
    # first handshake of the run is full, each later one resumes the
    # session, and every link still has the certificate's expiry.
    r, urls = one_at_a_time_over_tls(8)
    expiry = {(r.link(u) or {}).get("cert_expires_at") for u in urls}
    check_eq(1, len(expiry), "one expiry for all links: %r" % expiry)
    check(None not in expiry, "every link has cert_expires_at")


@test
def one_ticket_serves_every_connection():
    # OpenSSL marks a TLS 1.3 session not resumable once a handshake that
    # resumed it is over (tickets are meant for one use), and curl keeps
    # one session per server: with no new ticket by then (late, or none
    # after a resumed handshake, as here) the next connection would make
    # a full handshake.  lib/tlsburst.c keeps the session usable: after
    # the first handshake, every connection resumes.
    one_at_a_time_over_tls(5, tickets_once=True)


@test
def tls_sessions_are_not_shared_between_servers():
    # Control: two servers (ports) with their own certificates: each one's
    # first handshake is full, and each link has its own server's expiry.
    a = serve({"/": {"status": 200, "prefix": True, "keep_alive": False}},
              tls=lhtest.cert("server"))
    b = serve({"/": {"status": 200, "prefix": True, "keep_alive": False}},
              tls=lhtest.cert("soon"))
    urls = [s.url("/p%d" % i) for i in range(3) for s in (a, b)]
    r = once(urls, concurrency=1, per_host_concurrency=1,
             ca_file=lhtest.ca_file())
    for srv in (a, b):
        st = srv.stats(log=False)
        check_eq(3, st["tls_handshakes"], "handshakes on %d" % srv.port)
        check_eq(2, st["tls_resumed"], "resumed on %d" % srv.port)
    ea = {(r.link(a.url("/p%d" % i)) or {}).get("cert_expires_at")
          for i in range(3)}
    eb = {(r.link(b.url("/p%d" % i)) or {}).get("cert_expires_at")
          for i in range(3)}
    check(len(ea) == 1 and len(eb) == 1 and ea != eb and
          None not in ea | eb, "each server its expiry: %r %r" % (ea, eb))


@test
def concurrent_first_checks_of_a_tls_server_resume():
    # Four checks of one TLS server start together at the cycle's start,
    # each on a connection of its own: the first one's handshake is full,
    # the other three wait for it and resume its session (counted by the
    # server), and every link has the certificate's expiry.  They wait a
    # second at most: a machine so loaded (sanitizers, other jobs) that
    # the leader is not answered by then lets them go on their own, which
    # the server sees (their requests before the leader's answer); that
    # run is made again, three times at most.
    for attempt in range(3):
        srv = serve({"/": {"status": 200, "prefix": True,
                           "keep_alive": False, "delay": 0.3}},
                    tls=lhtest.cert("server"))
        urls = [srv.url("/p%d" % i) for i in range(4)]
        r = once(urls, concurrency=4, per_host_concurrency=4,
                 ca_file=lhtest.ca_file())
        at = sorted(q["at"] for q in srv.requests())
        waited = len(at) == 4 and all(t >= at[0] + 0.25 for t in at[1:])
        if waited:
            break
        print("note: run %d: the others did not wait for the leader's "
              "answer (%r s after it); again" % (attempt + 1,
                                                 [t - at[0] for t in at]))
    check(waited, "the others waited for the leader's answer")
    check_eq(0, r.returncode, "exit code (stderr: %s)" % r.stderr[-300:])
    st = srv.stats(log=False)
    check_eq(4, st["tls_handshakes"], "handshakes")
    check_eq(3, st["tls_resumed"], "resumed handshakes")
    check_eq(3, st["max_active_requests"], "the others at once, after it")
    expiry = {(r.link(u) or {}).get("cert_expires_at") for u in urls}
    check(len(expiry) == 1 and None not in expiry,
          "every link has cert_expires_at: %r" % expiry)


@test
def a_silent_tls_server_holds_its_other_checks_a_second_at_most():
    # A server that takes connections and never says a word: its first
    # check leads and waits for its answer, the others wait for the
    # leader at most 1 s (check.c's WARMUP_MS), then try on their own;
    # each check fails on its own time-out.
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    accepted, held = [], []

    def take():
        while True:
            try:
                c, _ = lsock.accept()
            except OSError:
                return
            accepted.append(time.monotonic())
            held.append(c)

    threading.Thread(target=take, daemon=True).start()
    port = lsock.getsockname()[1]
    urls = ["https://127.0.0.1:%d/p%d" % (port, i) for i in range(3)]
    try:
        r = once(urls, concurrency=3, per_host_concurrency=3,
                 timeout="2s", allow_private="yes")
    finally:
        lsock.close()
        for c in held:
            c.close()
    check_eq(3, len(accepted), "connections: %r" % accepted)
    if len(accepted) == 3:
        late = accepted[-1] - accepted[0]
        check(0.8 <= late <= 1.6, "the others went about 1 s after the "
              "first, not at once nor after its time-out: %.2f s" % late)
    for u in urls:
        l = r.link(u) or {}
        check_eq("unreachable", l.get("state"), "state of %s" % u)


@test
def concurrent_first_checks_of_a_plain_server_do_not_wait():
    # Control: over plain HTTP nothing waits: the four go at once.
    srv = serve({"/": {"status": 200, "prefix": True, "keep_alive": False,
                       "delay": 0.3}})
    urls = [srv.url("/p%d" % i) for i in range(4)]
    r = once(urls, concurrency=4, per_host_concurrency=4)
    check_eq(0, r.returncode, "exit code (stderr: %s)" % r.stderr[-300:])
    check_eq(4, srv.stats(log=False)["max_active_requests"],
             "requests at once")


def tls_cycles(route):
    """Three or more 200 ms cycles of a daemon checking three links, one
    at a time, on a local TLS server answering with route.  Each cycle
    makes one full handshake and every link keeps its expiry.  Returns
    the cycles done and the server's counts."""
    srv = serve({"/": route}, tls=lhtest.cert("server"))
    urls = [srv.url("/p%d" % i) for i in range(3)]
    d = lhtest.Daemon(dict(FAST, directory=lhtest.write_list_directory(urls),
                           concurrency=1, per_host_concurrency=1,
                           ca_file=lhtest.ca_file(), interval="200ms",
                           jitter=0))
    s = d.wait_status(lambda s: s["cycle"]["number"] >= 3)
    check(s is not None, "three cycles (log: %s)" % d.output()[-400:])
    d.stop()
    status = d.status()
    done = status["cycle"]["number"]
    st = srv.stats(log=False)
    full = st["tls_handshakes"] - st["tls_resumed"]
    check(done <= full <= done + 1, "one full handshake per cycle: %d "
          "cycles, %r" % (done, st))
    for u in urls:
        check(any(l["url"] == u and l.get("cert_expires_at")
                  for l in status["links"]), "expiry of %s" % u)
    return done, st


@test(deadline=90)
def each_cycle_starts_with_a_full_handshake():
    # Sessions live for one cycle: its first connection to a server shows
    # the certificate again (a full handshake), later ones resume.
    done, st = tls_cycles({"status": 200, "prefix": True,
                           "keep_alive": False})
    check(st["tls_resumed"] >= 2 * done, "the others resume: %d cycles, "
          "%r" % (done, st))


@test(deadline=90)
def each_cycle_meets_a_kept_alive_server_anew():
    # The engine outlives cycles, with its connections kept alive between
    # them (curl would reuse an idle one for two minutes; the interval is
    # 200 ms).  A cycle's first request to a server still opens a
    # connection of its own: a full handshake, its certificate seen, every
    # cycle (tls_cycles).  Control: within a cycle, the server's
    # connection is reused.
    done, st = tls_cycles({"status": 200, "prefix": True})
    check(done <= st["connections"] <= done + 1, "one connection per "
          "cycle: %d cycles, %r" % (done, st))
    check(st["requests"] >= 3 * done, "every link checked each cycle: "
          "%d cycles, %r" % (done, st))


if __name__ == "__main__":
    lhtest.main()
