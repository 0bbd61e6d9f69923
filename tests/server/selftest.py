#!/usr/bin/env python3
"""selftest: lhserver, mkcerts.sh and the lhtest runner checked with curl,
on 127.0.0.1 only.  python3 tests/server/selftest.py [TEST...]"""

import functools
import json
import os
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

import lhtest  # noqa: E402
import dnsserver  # noqa: E402
from lhtest import (cert, check, check_eq, check_in,  # noqa: E402
                    closed_port, curl, serve, serve_pair, wait_for)

# Short deadlines: the whole self-test must stay well under a minute.
test = functools.partial(lhtest.test, deadline=20)

CODE = ["-o", "/dev/null", "-w", "%{http_code}"]


def ca():
    return lhtest.ca_file()


def get(url, *args, **kw):
    """(http_code, body, CompletedProcess) of a GET via curl."""
    r = curl("-w", "\n%{http_code}", *args, url, **kw)
    body, _, code = r.stdout.rpartition("\n")
    return code, body, r


@test
def routes_exact_prefix_default():
    srv = serve({
        "/a": {"body": "A"},
        "/int": 418,
        "/json": {"body": {"k": [1, 2]}},
        "/p/": {"prefix": True, "body": "P"},
        "/p/q/": {"prefix": True, "body": "Q"},
        "/pairs": {"headers": [["X-Two", "1"], ["X-Two", "2"]]},
    })
    check_eq(("200", "A"), get(srv.url("/a?x=1"))[:2], "exact, query ignored")
    check_eq("418", get(srv.url("/int"))[0], "int spec")
    code, body, _ = get(srv.url("/json"))
    check_eq({"k": [1, 2]}, json.loads(body or "null"), "JSON body")
    check_eq("P", get(srv.url("/p/x/y"))[1], "prefix")
    check_eq("Q", get(srv.url("/p/q/z"))[1], "longest prefix")
    check_eq("404", get(srv.url("/nothing"))[0], "unknown path")
    r = curl("-D", "-", "-o", "/dev/null", srv.url("/pairs"))
    check_in("X-Two: 1\nX-Two: 2\n", r.stdout, "repeated headers")
    dflt = serve({"*": {"status": 204}, "/x": 200})
    check_eq("204", get(dflt.url("/anything"))[0], "* default route")
    check_eq("200", get(dflt.url("/x"))[0], "exact beats *")
    check_eq(["/a?x=1", "/int", "/json", "/p/x/y", "/p/q/z", "/nothing",
              "/pairs"], [p for _, p, _ in srv.stats()["log"]], "log paths")


@test
def head_refused():
    srv = serve({"/": {"body": "hello", "head": {"status": 405}},
                 "/plain": {"body": "hello"}})
    check_eq("405", curl("-I", *CODE, srv.url("/")).stdout, "HEAD status")
    check_eq(("200", "hello"), get(srv.url("/"))[:2], "GET still works")
    r = curl("-I", srv.url("/plain"))
    check_in("Content-Length: 5", r.stdout, "HEAD keeps the GET length")
    check_eq({"HEAD": 2, "GET": 1}, srv.stats()["requests_by_method"],
             "methods")


@test
def sequence_503_then_200():
    srv = serve({"/s": {"sequence": [{"status": 503,
                                       "headers": {"Retry-After": "1"}},
                                      200]}})
    codes = [curl(*CODE, srv.url("/s")).stdout for _ in range(3)]
    check_eq(["503", "200", "200"], codes, "sequence")
    r = curl("-D", "-", "-o", "/dev/null", "--resolve",
             srv.resolve("b.test")[0], srv.url("/s", "b.test"))
    check_in("HTTP/1.1 503", r.stdout, "counted per Host")
    check_in("Retry-After: 1", r.stdout, "item headers")


@test
def redirect_chain():
    srv = serve({
        "/a": {"redirect": {"status": 301, "location": "/b"}},
        "/b": {"redirect": {"status": 302,
                            "location": "http://127.0.0.1:{port}/c"}},
        "/c": {"redirect": "/d"},
        "/d": {"body": "end"},
        "/loop": {"redirect": {"status": 308, "location": "/loop"}},
    })
    r = curl("-D", "-", "-o", "/dev/null", srv.url("/b"))
    check_in("Location: http://127.0.0.1:%d/c" % srv.port, r.stdout,
             "{port} filled")
    code, body, r = get(srv.url("/a"), "-L")
    check_eq(("200", "end"), (code, body), "followed")
    r = curl("-L", "-o", "/dev/null", "-w",
             "%{num_redirects} %{url_effective}", srv.url("/a"))
    check_eq("3 " + srv.url("/d"), r.stdout, "hops and final URL")
    r = curl("-L", "--max-redirs", "5", *CODE, srv.url("/loop"))
    check_eq(47, r.returncode, "redirect loop: curl too many redirects")


@test
def cross_scheme_redirect():
    plain, secure = serve_pair(
        {"/go": {"redirect": {"status": 301,
                              "location": "https://localhost:{https_port}/s"}},
         "/plain": {"body": "plain"}},
        {"/s": {"body": "secure"},
         "/back": {"redirect": "http://127.0.0.1:{http_port}/plain"}})
    code, body, r = get(plain.url("/go"), "-L", "--cacert", ca())
    check_eq(("200", "secure"), (code, body), "http -> https " + r.stderr)
    code, body, r = get(secure.url("/back"), "-L", "--cacert", ca())
    check_eq(("200", "plain"), (code, body), "https -> http " + r.stderr)


@test
def reset_close_garbage_truncate():
    srv = serve({"/reset": {"action": "reset"},
                 "/close": {"action": "close"},
                 "/garbage": {"action": "garbage"},
                 "/trunc": {"action": "truncate", "body": "0123456789"}})
    r = curl(srv.url("/reset"))
    check_eq(56, r.returncode, "reset: curl recv failure")
    check_in("reset", r.stderr, "reset message")
    r = curl(srv.url("/close"))
    check_eq(52, r.returncode, "close: curl empty reply")
    r = curl(srv.url("/garbage"))
    check(r.returncode not in (0, None), "garbage: curl fails, got %r %r"
          % (r.returncode, r.stderr))
    r = curl(srv.url("/trunc"))
    check_eq(18, r.returncode, "truncate: curl partial file")
    check_eq("01234", r.stdout, "truncate: half the body")
    check_eq(4, srv.stats()["requests"], "all four requests were read")


@test
def hang_and_delay():
    srv = serve({"/hang": {"action": "hang"}, "/slow": {"delay": 0.5}})
    # 28: curl's own -m ended it (None would be the harness's deadline).
    r = curl("-m", "1", srv.url("/hang"), timeout=20)
    check_eq(28, r.returncode, "hang: curl timeout")
    # The server notices the client left, so it stops counting it as open.
    check(wait_for(lambda: srv.stats()["open_connections"] == 0, 3),
          "hang: connection closed after the client left")
    check_eq("200", curl(*CODE, srv.url("/slow")).stdout, "delay answers")
    # The delay holds the answer back: curl gives up before it comes.
    check_eq(28, curl("-m", "0.2", srv.url("/slow")).returncode,
             "delay longer than curl -m")

    # stop() ends a hang in progress promptly.
    proc = subprocess.Popen(["curl", "--noproxy", "*", "-sS", "-m", "20",
                             srv.url("/hang")], env=lhtest.clean_env(),
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        check(wait_for(lambda: srv.stats()["open_connections"] == 1, 5),
              "hang in progress")
        srv.stop()
        check_eq(0, srv.stats(log=False)["open_connections"],
                 "open connections once stop() returned")
        # curl -m 20 ends with 28 on its own; anything else within the
        # deadline is the server's close.
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        check(proc.returncode not in (0, 28, None),
              "curl saw the close, rc %r" % proc.returncode)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@test
def drip_chunked_big():
    srv = serve({"/drip": {"action": "drip", "interval": 0.01,
                           "body": "slow"},
                 "/big": {"body_size": 200000, "chunked": True},
                 "/close": {"body": "x", "keep_alive": False}})
    check_eq(("200", "slow"), get(srv.url("/drip"))[:2], "drip body")
    # The bytes are held back: curl gives up before the last one comes.
    r = curl("-m", "0.3", srv.url("/drip"))
    check_eq(28, r.returncode, "drip longer than curl -m")
    check(not r.stdout.endswith("slow"), "drip: only a part came before "
          "curl gave up: %r" % r.stdout)
    r = curl("-o", "/dev/null", "-w", "%{size_download}", srv.url("/big"))
    check_eq("200000", r.stdout, "chunked body size")
    r = curl("-D", "-", "-o", "/dev/null", srv.url("/big"))
    check_in("Transfer-Encoding: chunked", r.stdout, "chunked header")
    before = srv.stats()["connections"]
    r = curl("-D", "-", srv.url("/close"), srv.url("/close"))
    check_in("Connection: close", r.stdout, "keep_alive false: header")
    check_eq(2, srv.stats()["connections"] - before,
             "keep_alive false: a connection each")
    before = srv.stats()["connections"]
    r = curl("--http1.0", "-H", "Connection: keep-alive", srv.url("/big"),
             srv.url("/big"))
    check_eq(1, srv.stats()["connections"] - before, "HTTP/1.0 keep-alive")


@test
def keep_alive_reuse():
    srv = serve({"/": {"body": "x"}})
    r = curl("-w", "%{num_connects} ", srv.url("/"), srv.url("/"),
             srv.url("/"))
    check_eq("x1 x0 x0 ", r.stdout, "curl reused its connection")
    s = srv.stats()
    check_eq((1, 3), (s["connections"], s["requests"]), "conns, requests")
    check_eq(1, len({q["conn"] for q in srv.requests()}), "one conn id")
    check_in("curl/", srv.requests()[0]["headers"].get("user-agent", ""),
             "request headers kept")


@test
def tls_good():
    srv = serve({"/": {"body": "tls"}}, tls=cert("server"))
    for host in ("127.0.0.1", "localhost", "a.lh.test"):
        code, body, r = get(srv.url("/", host), "--cacert", ca(),
                            "--resolve", srv.resolve(host)[0])
        check_eq(("200", "tls"), (code, body), host + " " + r.stderr)
    r = curl("--cacert", ca(), "--resolve", srv.resolve("a.test")[0],
             srv.url("/", "a.test"))
    check_eq(60, r.returncode, "curl never matches *.test to a.test")


@test
def tls_failures():
    for name, needle in (("expired", "expired"),
                         ("unknown", "unable to get local issuer"),
                         ("wrongname", "no alternative certificate")):
        srv = serve({"/": 200}, tls=cert(name))
        r = curl("--cacert", ca(), srv.url("/", "localhost"), "--resolve",
                 srv.resolve("localhost")[0])
        check_eq(60, r.returncode, name + ": curl rc")
        check_in(needle, r.stderr, name + ": message")
        # The server survives a failed handshake.
        check_eq("200", curl("-k", *CODE, srv.url("/")).stdout,
                 name + ": works after")
        if name == "unknown":
            check(wait_for(lambda: srv.stats()["tls_handshake_failures"]
                           >= 1, 3), "unknown: failure counted")


@test
def tls_sni():
    srv = serve({"/": 200}, tls=cert("server"),
                sni={"old.lh.test": cert("expired")})
    hosts = srv.resolve("old.lh.test", "new.lh.test")
    r = curl("--cacert", ca(), "--resolve", hosts[0],
             srv.url("/", "old.lh.test"))
    check_in("expired", r.stderr, "SNI picks the expired cert")
    r = curl("--cacert", ca(), "--resolve", hosts[1], *CODE,
             srv.url("/", "new.lh.test"))
    check_eq("200", r.stdout, "other names get the default cert")


@test
def per_host_counting():
    srv = serve({"/slow/": {"prefix": True, "delay": 0.8},
                 "/fast": {"by_host": {"b.test": 500}}})
    plan = {"a.test": 3, "b.test": 2, "c.test": 1}
    args = ["--parallel", "--parallel-immediate", "--parallel-max", "20"]
    for host, n in plan.items():
        args += ["--resolve", srv.resolve(host)[0]]
        for i in range(n):
            args += ["-o", "/dev/null", srv.url("/slow/%d" % i, host)]
    r = curl(*args)
    check_eq(0, r.returncode, "curl --parallel: " + r.stderr)
    s = srv.stats()
    check_eq(plan, s["max_connections_per_host"], "max conns per host")
    check_eq(6, s["max_connections"], "max connections")
    check_eq(plan, s["max_active_requests_per_host"], "max active per host")
    check_eq(6, s["requests"], "requests")

    # /__stats says the same and does not count itself.
    remote = json.loads(curl(srv.url("/__stats")).stdout or "{}")
    remote = json.loads(curl(srv.url("/__stats")).stdout or "{}")
    for key in ("max_connections", "max_connections_per_host", "requests",
                "connections"):
        check_eq(s[key], remote.get(key), "/__stats " + key)
    check_eq([list(e) for e in s["log"]], remote.get("log"), "/__stats log")

    codes = [curl(*CODE, "--resolve", srv.resolve(h)[0],
                  srv.url("/fast", h)).stdout for h in ("a.test", "b.test")]
    check_eq(["200", "500"], codes, "by_host")
    curl(srv.url("/__reset"))
    check_eq(0, srv.stats()["requests"], "/__reset")


@test
def silent_and_refused():
    srv = serve(silent=True)
    # 28: curl's own -m ended each (None would be the harness's deadline).
    check_eq(28, curl("-m", "1", srv.url("/"), timeout=20).returncode,
             "silent http")
    r = curl("-m", "1", "-k", "https://127.0.0.1:%d/" % srv.port,
             timeout=20)
    check_eq(28, r.returncode, "silent: TLS handshake stalls")
    check_eq(2, srv.stats()["connections"], "silent: accepted")
    check_eq(7, curl("http://127.0.0.1:%d/" % closed_port()).returncode,
             "closed port: connection refused")


def _spawn(args):
    proc = subprocess.Popen([sys.executable, os.path.join(HERE,
                                                          "lhserver.py")]
                            + args, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lhtest.on_cleanup(lambda: proc.poll() is None and (proc.kill(),
                                                       proc.wait()))
    return proc


@test
def command_line():
    d = lhtest.tmpdir()
    routes = os.path.join(d, "r.json")
    with open(routes, "w") as f:
        json.dump({"/": {"body": "cli"},
                   "/up": {"redirect": "https://localhost:{https_port}/"}},
                  f)
    portfile = os.path.join(d, "port")
    proc = _spawn(["--routes", routes, "--port-file", portfile])
    ok = wait_for(lambda: os.path.exists(portfile), 10)
    check(ok, "port file written")
    if ok:
        port = int(open(portfile).read())
        check_eq("cli", curl("http://127.0.0.1:%d/" % port).stdout, "serves")
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass
    check_eq(0, proc.returncode, "SIGTERM ends it")
    if ok:
        check_eq("%d\n" % port, proc.stdout.read(), "prints the port")

    # A pair: two ports printed, cross redirect filled in.
    tls = cert("server")
    proc = _spawn(["--routes", routes, "--https-routes", routes,
                   "--tls", tls[0], tls[1]])
    lines = []
    for _ in range(2):
        lines.append(proc.stdout.readline())
    ports = [int(x) for x in lines if x.strip()]
    check_eq(2, len(ports), "pair prints two ports")
    if len(ports) == 2:
        code, body, r = get("http://127.0.0.1:%d/up" % ports[0], "-L",
                            "--cacert", ca())
        check_eq(("200", "cli"), (code, body), "pair redirect " + r.stderr)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass
    check_eq(0, proc.returncode, "SIGTERM ends the pair")

    # --max-seconds: it ends by itself, with nothing asked of it.
    proc = _spawn(["--routes", routes, "--max-seconds", "0.5"])
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        pass
    check_eq(0, proc.returncode, "--max-seconds ends it")


# --- dnsserver.py ---------------------------------------------------------

def _dns_ask(port, name, qtype, timeout=1.0):
    """(rcode, [rdata bytes...]) from the responder, or None on silence."""
    import socket
    import struct
    q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    q += dnsserver._encode_name(name) + struct.pack("!HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(q, ("127.0.0.1", port))
        msg = s.recv(4096)
    except socket.timeout:
        return None
    finally:
        s.close()
    qid, flags, qd, an = struct.unpack("!HHHH", msg[:8])
    check_eq(0x1234, qid, "reply id")
    check(flags & 0x8000, "QR set")
    off = 12 + len(q) - 12          # the question, echoed
    out = []
    for _ in range(an):
        _, _, _, _, rdlen = struct.unpack("!HHHIH", msg[off:off + 12])
        out.append(msg[off + 12:off + 12 + rdlen])
        off += 12 + rdlen
    return flags & 0xF, out


@test
def dns_answers_by_table():
    import socket
    srv = dnsserver.DnsServer({
        "ok.lh.test": {"a": ["127.0.0.1", "127.0.0.2"], "aaaa": ["::1"]},
        "lh.test": {"ns": ["ns1.lh.test"]},
        "broken.lh.test": "servfail",
        "slow.lh.test": "drop",
        "no.lh.test": "refused",
    })
    lhtest.on_cleanup(srv.stop)
    rc, rd = _dns_ask(srv.port, "OK.lh.test", 1)
    check_eq(0, rc, "A rcode")
    check_eq([socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.2")],
             rd, "A records")
    rc, rd = _dns_ask(srv.port, "ok.lh.test", 28)
    check_eq((0, [socket.inet_pton(socket.AF_INET6, "::1")]), (rc, rd),
             "AAAA")
    check_eq((0, [dnsserver._encode_name("ns1.lh.test")]),
             _dns_ask(srv.port, "lh.test", 2), "NS")
    check_eq((0, []), _dns_ask(srv.port, "lh.test", 1), "NODATA")
    check_eq((3, []), _dns_ask(srv.port, "gone.lh.test", 1), "NXDOMAIN")
    check_eq((2, []), _dns_ask(srv.port, "broken.lh.test", 1), "SERVFAIL")
    check_eq((5, []), _dns_ask(srv.port, "no.lh.test", 1), "REFUSED")
    check_eq(None, _dns_ask(srv.port, "slow.lh.test", 1, timeout=0.5),
             "dropped")
    check_eq(2, srv.count("ok.lh.test"), "ok.lh.test asked twice")
    check_eq(1, srv.count("ok.lh.test", "AAAA"), "once for AAAA")
    check_eq(1, srv.count("slow.lh.test"), "a dropped query counted")
    check_eq(8, srv.total(), "all queries counted")


@test
def dns_as_a_program():
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "dnsserver.py"),
         json.dumps({"x.lh.test": {"a": ["127.0.0.9"]}})],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().split()
        check_eq("port", line[0] if line else None, "first line")
        port = int(line[1])
        rc, rd = _dns_ask(port, "x.lh.test", 1)
        check_eq((0, [bytes([127, 0, 0, 9])]), (rc, rd), "answer")
    finally:
        proc.stdin.close()
        out = proc.stdout.read()
        proc.wait(10)
    check_in("queries 1", out, "count at exit")


if __name__ == "__main__":
    lhtest.main()
