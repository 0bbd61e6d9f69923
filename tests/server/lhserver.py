#!/usr/bin/env python3
"""lhserver: a scriptable HTTP/1.1 server for linkhealthd's tests.

Python 3 standard library only.  Binds 127.0.0.1 only, on an ephemeral port
unless told otherwise.  One thread per connection, persistent connections
(keep-alive), optional TLS, responses described by data ("routes").

Library use:

    from lhserver import Server
    srv = Server({"/ok": 200,
                  "/old": {"redirect": {"status": 301, "location": "/ok"}}})
    srv.start()
    srv.url("/ok")            # http://127.0.0.1:PORT/ok
    srv.url("/ok", "a.test")  # http://a.test:PORT/ok (with srv.resolve())
    srv.stats()               # counters, see Server.stats
    srv.stop()

Command use (prints the port, runs until SIGTERM/SIGINT or --max-seconds):

    lhserver.py --routes routes.json [--tls CERT KEY] [--port-file F]
    lhserver.py --routes r.json --https-routes r2.json --tls CERT KEY  (a pair)
    lhserver.py --silent [--port-file F]

ROUTES: a dict, request path (without the query) -> spec.  Lookup order:
the exact path; then the longest key whose spec has "prefix": true and
that the path starts with; then the key "*"; else 404.  A spec is a dict
(or an int, short for {"status": N}).  Fields:

  status      int, default 200
  headers     dict, or list of [name, value] pairs (repeatable headers)
  body        str (UTF-8), or a JSON value sent as application/json
  body_size   int: a body of that many "x" bytes instead of "body"
  chunked     true: send the body with Transfer-Encoding: chunked
  delay       seconds to wait before answering (or before the action)
  keep_alive  false: answer with "Connection: close" and close
  prefix      true: the key matches every path that starts with it
  head        spec merged over this one for HEAD requests ({"status": 405})
  by_host     {host: spec}: merged over this one for that Host
  sequence    list of specs merged over this one for successive requests
              to the same Host+path (any method); the last one repeats
  redirect    {"status": 301, "location": URL} (status default: "status"
              or 302), or just the location string
  action      "reset"   read the request, close with RST (SO_LINGER 0)
              "close"   read the request, close without a reply
              "hang"    read the request, never answer (ends when the
                        client leaves or the server stops)
              "garbage" send "raw" (default: a non-HTTP line), then close
              "drip"    send the whole valid response one byte every
                        "interval" seconds (default 0.1)
              "truncate" send the headers and half the body, then close
              "endless" send a 200 with no length and "x" bytes until the
                        client leaves (or 1 GiB)
              "slam"    close the connection right after accept, before
                        reading anything (server-wide: see Server(slam=))
  hold        with "garbage": keep the connection open afterwards (until
              the client leaves), e.g. HTTP/1.0 with no length, no close
  header_bytes  add filler headers of about that many bytes in all
  raw         the bytes "garbage" sends
  interval    seconds between bytes for "drip"

Merging (head, by_host, sequence): the override's fields replace the
spec's; if the override sets any of status/redirect/action, the spec's
status/redirect/action are all dropped first.  Order: by_host, then
sequence, then head.

Templates: in locations, header values and string bodies, "{port}" is this
server's port, "{http_port}"/"{https_port}" the port of the HTTP/HTTPS
server of a linked pair (see start_pair / Server.link), "{host}" the
request's Host header as sent.

Control paths, never counted in the stats: GET /__stats (the stats as
JSON; /__stats?log=0 leaves the log out) and GET /__reset (forget the
counters of finished requests and closed connections).

TLS: Server(routes, tls=(cert, key)), optionally sni={name: (cert, key)};
tickets_once=True sends TLS 1.3 session tickets on the connections begun
before the first handshake ended only (as a server whose tickets come
late, or not at all after a resumed one).  A failed handshake closes that connection only.
Silent: Server(silent=True) accepts TCP connections and never reads or
writes (a connect that works but nothing answers; also a TLS handshake
that stalls).
"""

import argparse
import collections
import http
import itertools
import json
import os
import select
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse

HOST = "127.0.0.1"
MAX_HEAD_BYTES = 64 * 1024
CONTROL_PATHS = ("/__stats", "/__reset")
RESPONSE_KEYS = ("status", "redirect", "action")
PHRASES = {s.value: s.phrase for s in http.HTTPStatus}
GARBAGE = b"SSH-2.0-OpenSSH_9.2 this is not HTTP\r\n\r\n"
NO_BODY_STATUSES = (204, 304)


def _spec(s):
    """A route spec as a dict (an int is short for {"status": int})."""
    if s is None:
        return {}
    if isinstance(s, bool) or not isinstance(s, (int, dict)):
        raise TypeError("route spec must be a dict or an int: %r" % (s,))
    return {"status": s} if isinstance(s, int) else s


def _merge(base, override):
    override = _spec(override)
    out = dict(base)
    if any(k in override for k in RESPONSE_KEYS):
        for k in RESPONSE_KEYS:
            out.pop(k, None)
    out.update(override)
    return out


def _host_of(value):
    """Host header value -> lower-case name without the port."""
    value = value.strip().lower()
    if value.startswith("["):                       # [::1]:8080
        return value[:value.find("]") + 1] if "]" in value else value
    name, sep, port = value.rpartition(":")
    return name if sep and port.isdigit() else value


def _max_overlap(intervals):
    """Most intervals open at once.  Ends are unique sequence numbers (or
    None: still open), so there are no ties to break."""
    events = []
    for start, end in intervals:
        events.append((start, 1))
        if end is not None:
            events.append((end, -1))
    events.sort()
    cur = best = 0
    for _, d in events:
        cur += d
        best = max(best, cur)
    return best


def closed_port():
    """A port on 127.0.0.1 with nothing listening (connection refused).
    Another process could take it in between; good enough for tests."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class _Conn:
    __slots__ = ("id", "opened", "closed", "hosts", "counted", "control",
                 "sock", "peer_closed")

    def __init__(self, cid, opened, sock):
        self.id, self.opened, self.closed = cid, opened, None
        self.hosts, self.counted, self.control = set(), 0, 0
        self.sock = sock
        self.peer_closed = None     # seq at which an EOF was seen waiting

    def end(self):
        """When the connection stopped counting as open: the client's close
        if we saw it before our thread did, else our close."""
        if self.peer_closed is None:
            return self.closed
        if self.closed is None:
            return self.peer_closed
        return min(self.closed, self.peer_closed)

    def peek_closed(self):
        """True when the client has closed (an EOF waits in the kernel).
        The connection thread may be slow to notice: a client that closes
        one connection and opens the next must not be counted twice."""
        # POLLRDHUP reports the client's FIN without reading anything, so
        # it neither races with the connection's thread nor blocks.
        try:
            p = select.poll()
            p.register(self.sock.fileno(), select.POLLRDHUP)
            events = p.poll(0)
        except (OSError, ValueError):
            return True
        return any(ev & (select.POLLRDHUP | select.POLLHUP | select.POLLERR)
                   for _, ev in events)


class _Req:
    __slots__ = ("start", "end", "method", "path", "host", "conn", "headers",
                 "at")


class _Request:
    """A parsed request head."""
    __slots__ = ("method", "target", "path", "version", "headers", "header",
                 "host_header")


class Server:
    def __init__(self, routes=None, *, tls=None, sni=None, silent=False,
                 slam=False, port=0, idle_timeout=30.0,
                 handshake_timeout=10.0, bind=HOST, tickets_once=False):
        self.host = bind            # another loopback address: 127.0.0.2
        # True: TLS 1.3 session tickets after the first handshake only
        self.tickets_once = tickets_once
        self.routes = routes if routes is not None else {}
        self.silent = silent
        self.slam = slam            # close every connection at accept
        self.idle_timeout = idle_timeout
        self.handshake_timeout = handshake_timeout
        self.scheme = "https" if tls else "http"
        self._ctx = self._tls_context(tls, sni) if tls else None
        self._want_port = port
        self.port = None
        self.vars = {}              # template values, see module doc
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)
        self._stop = threading.Event()
        self._conns = []            # every _Conn since the last reset
        self._open = {}             # id -> _Conn, still open
        self._reqs = []             # every counted _Req since the last reset
        self._tls_failures = 0
        self._tls_handshakes = 0
        self._tls_resumed = 0
        self._counters = collections.Counter()  # sequence position per key
        self._threads = set()
        self._lsock = None
        self._acceptor = None

    # --- life cycle ------------------------------------------------------

    @staticmethod
    def _tls_context(tls, sni):
        def make(pair):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*pair)
            return ctx
        ctx = make(tls)
        if sni:
            by_name = {n.lower(): make(p) for n, p in sni.items()}

            def pick(sslobj, name, _ctx):
                if name and name.lower() in by_name:
                    sslobj.context = by_name[name.lower()]
            ctx.sni_callback = pick
        return ctx

    def start(self):
        self._lsock = socket.create_server((self.host, self._want_port),
                                           backlog=socket.SOMAXCONN)
        self._lsock.setblocking(False)
        self.port = self._lsock.getsockname()[1]
        self.vars["port"] = self.port
        self.vars[self.scheme + "_port"] = self.port
        self._acceptor = threading.Thread(target=self._accept_loop,
                                          name="lhserver-accept", daemon=True)
        self._acceptor.start()
        return self

    def link(self, other):
        """Let this server's templates name other's port ({https_port}...)."""
        self.vars[other.scheme + "_port"] = other.port

    def stop(self, timeout=3.0):
        """Stop accepting, end every connection (hangs included), and wait
        up to timeout seconds for the threads."""
        if self._stop.is_set():
            return
        self._stop.set()
        deadline = time.monotonic() + timeout
        if self._acceptor:
            self._acceptor.join(max(0.0, deadline - time.monotonic()))
        if self._lsock:
            self._lsock.close()
        with self._lock:
            for c in self._open.values():
                self._shutdown(c.sock)
            threads = list(self._threads)
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self):
        return self if self.port else self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self, path="/", host=None):
        return "%s://%s:%d%s" % (self.scheme, host or self.host, self.port,
                                 path)

    def resolve(self, *hosts):
        """curl --resolve / linkhealthd "resolve" entries for these names."""
        return ["%s:%d:%s" % (h, self.port, self.host) for h in hosts]

    @staticmethod
    def _shutdown(sock):
        # socket.socket.shutdown, not SSLSocket.shutdown: the raw shutdown
        # wakes a blocked reader without touching the TLS state it is using.
        try:
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except OSError:
            pass

    # --- stats -----------------------------------------------------------

    def stats(self, log=True):
        """Counters since start (or the last reset_stats):

        max_connections            most TCP connections open at once
        max_connections_per_host   {host: most open at once carrying it}
        max_active_requests        most requests being answered at once
        max_active_requests_per_host
        connections                connections accepted
        open_connections           connections open now
        tls_handshake_failures     handshakes that failed
        tls_handshakes             handshakes that succeeded
        tls_resumed                of them, those that resumed a session
        requests, requests_by_method, requests_by_host
        log                        [(method, path, host), ...] in order
        A connection counts from accept to close, for each Host it carried;
        one that carried only control requests (/__stats) is left out.
        A request is active from its head being read until its answer
        starts to go out (a plain answer: its status line; an action: its
        end), before the client can have it and send another, so the
        request maxima never exceed what the client really had in flight
        (and leave out the time a large body takes to send: give the
        route a "delay" to be seen at once).  The connection maxima can exceed it by a little when a
        client closes a connection and at once opens another: the close is
        only seen when the connection's thread reads the EOF.  To test a
        concurrency limit, give the route a "delay" and check the
        max_active_requests* numbers.
        """
        with self._lock:
            conns = [c for c in self._conns if c.counted or not c.control]
            reqs = list(self._reqs)
            out = {"connections": len(conns),
                   "open_connections": sum(c.closed is None for c in conns),
                   "tls_handshake_failures": self._tls_failures,
                   "tls_handshakes": self._tls_handshakes,
                   "tls_resumed": self._tls_resumed}
            cints = [(c.opened, c.end()) for c in conns]
            by_host = collections.defaultdict(list)
            for c in conns:
                for h in c.hosts:
                    by_host[h].append((c.opened, c.end()))
            rints = [(r.start, r.end) for r in reqs]
            rby_host = collections.defaultdict(list)
            for r in reqs:
                rby_host[r.host].append((r.start, r.end))
        out["max_connections"] = _max_overlap(cints)
        out["max_connections_per_host"] = {
            h: _max_overlap(v) for h, v in sorted(by_host.items())}
        out["max_active_requests"] = _max_overlap(rints)
        out["max_active_requests_per_host"] = {
            h: _max_overlap(v) for h, v in sorted(rby_host.items())}
        out["requests"] = len(reqs)
        out["requests_by_method"] = dict(
            collections.Counter(r.method for r in reqs))
        out["requests_by_host"] = dict(
            collections.Counter(r.host for r in reqs))
        if log:
            out["log"] = [(r.method, r.path, r.host) for r in reqs]
        return out

    def requests(self):
        """Every counted request as a dict: method, path (with the query),
        host, conn (connection id: equal ids mean a reused connection),
        headers (dict, lower-case names), at (time.time())."""
        with self._lock:
            reqs = list(self._reqs)
        return [{"method": r.method, "path": r.path, "host": r.host,
                 "conn": r.conn, "headers": dict(r.headers), "at": r.at}
                for r in reqs]

    def reset_stats(self):
        """Forget finished requests and closed connections (and the
        sequence positions)."""
        with self._lock:
            self._conns = [c for c in self._conns if c.closed is None]
            self._reqs = [r for r in self._reqs if r.end is None]
            self._tls_failures = 0
            self._tls_handshakes = self._tls_resumed = 0
            self._counters.clear()

    # --- connections -----------------------------------------------------

    def _accept_loop(self):
        poller = select.poll()
        poller.register(self._lsock, select.POLLIN)
        while not self._stop.is_set():
            if not poller.poll(200):
                continue
            try:
                sock, _ = self._lsock.accept()
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                if self._stop.is_set():
                    break
                time.sleep(0.05)    # e.g. EMFILE: do not spin
                continue
            sock.setblocking(True)
            with self._lock:
                for c in self._open.values():
                    if c.peer_closed is None and c.peek_closed():
                        c.peer_closed = next(self._seq)
                conn = _Conn(next(self._ids), next(self._seq), sock)
                self._conns.append(conn)
                self._open[conn.id] = conn
            t = threading.Thread(target=self._connection, args=(conn,),
                                 name="lhserver-conn", daemon=True)
            with self._lock:
                self._threads.add(t)
            t.start()

    def _connection(self, conn):
        sock = conn.sock
        try:
            if self.slam:
                return              # closed in finally, nothing read
            if self.silent:
                self._stop.wait()
                return
            if self._ctx:
                wrapped = self._handshake(conn)
                if wrapped is None:
                    return          # conn.sock is closed already
                sock = wrapped
            sock.settimeout(self.idle_timeout)
            pending = bytearray()
            while not self._stop.is_set():
                req = self._read_request(sock, pending)
                if req is None or not self._answer(sock, conn, req, pending):
                    break
        except (OSError, ValueError):
            pass                    # client went away, timeout, TLS error
        finally:
            try:
                sock.close()
            except OSError:
                pass
            with self._lock:
                conn.closed = next(self._seq)
                self._open.pop(conn.id, None)
                self._threads.discard(threading.current_thread())

    def _handshake(self, conn):
        with self._lock:            # stop() must see the wrapped socket
            if self._stop.is_set():
                return None
            sock = self._ctx.wrap_socket(conn.sock, server_side=True,
                                         do_handshake_on_connect=False)
            conn.sock = sock
        sock.settimeout(self.handshake_timeout)
        try:
            sock.do_handshake()
            with self._lock:
                self._tls_handshakes += 1
                self._tls_resumed += bool(sock.session_reused)
                if self.tickets_once:
                    self._ctx.num_tickets = 0
            return sock
        except (OSError, ValueError):
            with self._lock:
                self._tls_failures += 1
            sock.close()
            return None

    def _wait(self, sock, seconds, pending):
        """Sleep seconds (None: until stop).  False when the server stops
        or the client leaves; bytes the client sends meanwhile (a pipelined
        request) are kept in pending."""
        deadline = None if seconds is None else time.monotonic() + seconds
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        while not self._stop.is_set():
            left = 0.2 if deadline is None else deadline - time.monotonic()
            if left <= 0:
                return True
            if poller.poll(int(min(left, 0.2) * 1000) + 1):
                data = sock.recv(65536)
                if not data:
                    return False
                pending.extend(data)
        return False

    def _read_request(self, sock, pending):
        """Read one request (head and body) from pending + sock; None at
        end of stream.  The body is read and thrown away."""
        while True:
            while pending[:2] == b"\r\n":   # stray CRLF between requests
                del pending[:2]
            end = pending.find(b"\r\n\r\n")
            if end >= 0:
                break
            if len(pending) > MAX_HEAD_BYTES:
                sock.sendall(b"HTTP/1.1 431 Request Header Fields Too Large"
                             b"\r\nContent-Length: 0\r\n"
                             b"Connection: close\r\n\r\n")
                return None
            data = sock.recv(65536)
            if not data:
                return None
            pending.extend(data)
        lines = bytes(pending[:end]).decode("latin-1").split("\r\n")
        del pending[:end + 4]
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0"
                         b"\r\nConnection: close\r\n\r\n")
            return None
        req = _Request()
        req.method, req.target, req.version = parts
        req.headers = []
        req.header = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            req.headers.append((name, value))
            req.header[name] = (req.header[name] + ", " + value
                                if name in req.header else value)
        target = req.target
        if "://" in target:                 # absolute-form
            target = urllib.parse.urlsplit(target).path or "/"
        req.path = target.split("?", 1)[0]
        req.host_header = req.header.get("host", "")
        self._read_body(sock, req, pending)
        return req

    @staticmethod
    def _read_exact(sock, pending, n):
        while len(pending) < n:
            data = sock.recv(65536)
            if not data:
                raise ConnectionError("eof in body")
            pending.extend(data)
        out = bytes(pending[:n])
        del pending[:n]
        return out

    def _read_line(self, sock, pending):
        while b"\r\n" not in pending:
            data = sock.recv(65536)
            if not data:
                raise ConnectionError("eof in chunk")
            pending.extend(data)
        i = pending.find(b"\r\n")
        line = bytes(pending[:i])
        del pending[:i + 2]
        return line

    def _read_body(self, sock, req, pending):
        if "chunked" in req.header.get("transfer-encoding", "").lower():
            while True:
                size = int(self._read_line(sock, pending).split(b";")[0], 16)
                if size == 0:
                    while self._read_line(sock, pending):   # trailers
                        pass
                    return
                self._read_exact(sock, pending, size + 2)
        n = int(req.header.get("content-length", "0") or 0)
        if n:
            self._read_exact(sock, pending, n)

    # --- answers ---------------------------------------------------------

    def _control(self, sock, conn, req):
        with self._lock:
            conn.control += 1
        if req.path == "/__reset":
            self.reset_stats()
            body = b'{"reset": true}\n'
        else:
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(
                req.target).query)
            log = query.get("log", ["1"])[0] not in ("0", "false", "no")
            body = (json.dumps(self.stats(log=log)) + "\n").encode()
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        return True

    def _lookup(self, path):
        routes = self.routes
        if path != "*" and path in routes:
            return routes[path]
        best = None
        for key, spec in routes.items():
            if (isinstance(spec, dict) and spec.get("prefix")
                    and path.startswith(key)
                    and (best is None or len(key) > len(best))):
                best = key
        if best is not None:
            return routes[best]
        if "*" in routes:
            return routes["*"]
        return {"status": 404, "body": "not found\n"}

    def _resolve(self, req, host):
        spec = _spec(self._lookup(req.path))
        if host in spec.get("by_host", {}):
            spec = _merge({k: v for k, v in spec.items() if k != "by_host"},
                          spec["by_host"][host])
        if spec.get("sequence"):
            seq = spec["sequence"]
            with self._lock:
                i = self._counters[(host, req.path)]
                self._counters[(host, req.path)] += 1
            spec = _merge({k: v for k, v in spec.items() if k != "sequence"},
                          seq[min(i, len(seq) - 1)])
        if req.method == "HEAD" and "head" in spec:
            spec = _merge({k: v for k, v in spec.items() if k != "head"},
                          spec["head"])
        return spec

    def _fill(self, text, req):
        values = dict(self.vars, host=req.host_header)
        for k, v in values.items():
            text = text.replace("{%s}" % k, str(v))
        return text

    def _answer(self, sock, conn, req, pending):
        """Answer one request.  True to keep the connection."""
        if req.path in CONTROL_PATHS:
            return self._control(sock, conn, req)
        host = _host_of(req.host_header)
        r = _Req()
        r.method, r.path, r.host = req.method, req.target, host
        r.conn, r.headers, r.at, r.end = conn.id, req.header, time.time(), None
        with self._lock:
            r.start = next(self._seq)
            self._reqs.append(r)
            conn.counted += 1
            conn.hosts.add(host)
        def over():
            with self._lock:
                if r.end is None:
                    r.end = next(self._seq)
        try:
            return self._respond(sock, req, self._resolve(req, host), pending,
                                 over)
        finally:
            over()

    def _respond(self, sock, req, spec, pending, over):
        if spec.get("delay") and not self._wait(sock, float(spec["delay"]),
                                                pending):
            return False
        action = spec.get("action")
        if action == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
            return False            # the close in _connection sends the RST
        if action == "close":
            return False
        if action == "hang":
            self._wait(sock, None, pending)
            return False
        if action == "garbage":
            raw = spec.get("raw", GARBAGE)
            sock.sendall(raw.encode("latin-1") if isinstance(raw, str)
                         else raw)
            if spec.get("hold"):
                self._wait(sock, None, pending)
            return False
        if action == "endless":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                         b"Connection: close\r\n\r\n")
            if req.method == "HEAD":
                return False
            block = b"x" * 65536
            try:
                for _ in range(16384):      # 1 GiB at most
                    if self._stop.is_set():
                        break
                    sock.sendall(block)
            except OSError:
                pass                        # the client stopped reading
            return False
        if action not in (None, "drip", "truncate"):
            raise ValueError("unknown action %r" % (action,))

        status, headers, body = self._build(req, spec)
        keep = self._keep_alive(req, spec)
        if not keep:
            headers.append(("Connection", "close"))
        elif req.version == "HTTP/1.0":
            headers.append(("Connection", "keep-alive"))
        head = "HTTP/1.1 %d %s\r\n" % (status, PHRASES.get(status, "Unknown"))
        head += "".join("%s: %s\r\n" % hv for hv in headers) + "\r\n"
        head = head.encode("latin-1")
        if action == "drip":
            data = head + b"".join(body)
            interval = float(spec.get("interval", 0.1))
            for i in range(len(data)):
                sock.sendall(data[i:i + 1])
                if i + 1 < len(data) and not self._wait(sock, interval,
                                                        pending):
                    return False
            return keep
        if action == "truncate":
            data = b"".join(body)
            sock.sendall(head + data[:len(data) // 2])
            return False
        over()
        sock.sendall(head)
        for chunk in body:
            sock.sendall(chunk)
        return keep

    @staticmethod
    def _keep_alive(req, spec):
        if spec.get("keep_alive") is False:
            return False
        conn = req.header.get("connection", "").lower()
        if req.version == "HTTP/1.0":
            return "keep-alive" in conn
        return "close" not in conn

    def _build(self, req, spec):
        """(status, [(name, value)], [body chunks]) for a plain answer; the
        chunks are empty for HEAD but Content-Length stays the GET one."""
        headers = spec.get("headers") or []
        if isinstance(headers, dict):
            headers = list(headers.items())
        headers = [(n, self._fill(str(v), req)) for n, v in headers]
        status = spec.get("status", 200)
        redirect = spec.get("redirect")
        if redirect is not None:
            if isinstance(redirect, str):
                redirect = {"location": redirect}
            status = redirect.get("status", spec.get("status", 302))
            headers.append(("Location",
                            self._fill(redirect["location"], req)))
        names = {n.lower() for n, _ in headers}
        body = spec.get("body", "")
        if "body_size" in spec:
            body, ctype = b"x" * int(spec["body_size"]), "text/plain"
        elif isinstance(body, str):
            body, ctype = self._fill(body, req).encode(), "text/plain"
        else:
            body, ctype = json.dumps(body).encode(), "application/json"
        headers.insert(0, ("Server", "lhserver"))
        filler = int(spec.get("header_bytes", 0))
        for i in range(filler // 1000):
            headers.append(("X-Filler-%d" % i, "f" * 980))
        if status < 200 or status in NO_BODY_STATUSES:
            return status, headers, []
        if body and "content-type" not in names:
            headers.append(("Content-Type", ctype + "; charset=utf-8"))
        if spec.get("chunked"):
            headers.append(("Transfer-Encoding", "chunked"))
            step = 4096
            chunks = [b"%x\r\n%s\r\n" % (len(body[i:i + step]),
                                         body[i:i + step])
                      for i in range(0, len(body), step)] + [b"0\r\n\r\n"]
        else:
            if "content-length" not in names:
                headers.append(("Content-Length", str(len(body))))
            chunks = [body[i:i + 65536] for i in range(0, len(body), 65536)]
        return status, headers, [] if req.method == "HEAD" else chunks


def start_pair(http_routes, https_routes, cert, key, **kw):
    """An HTTP and an HTTPS server, started and linked so both fill
    {http_port} and {https_port}.  Returns (http_server, https_server)."""
    plain = Server(http_routes, **kw).start()
    secure = Server(https_routes, tls=(cert, key), **kw).start()
    plain.link(secure)
    secure.link(plain)
    return plain, secure


def _load_routes(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--routes", help="JSON file: path -> spec")
    ap.add_argument("--https-routes",
                    help="JSON routes of a second, HTTPS server (needs --tls)")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--silent", action="store_true",
                    help="accept connections, never read or answer")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file",
                    help="write the port(s) here, one a line, atomically")
    ap.add_argument("--max-seconds", type=float, default=600)
    a = ap.parse_args(argv)
    if a.https_routes and not a.tls:
        ap.error("--https-routes needs --tls")
    if not a.routes and not a.silent:
        ap.error("--routes or --silent is needed")

    routes = _load_routes(a.routes) if a.routes else {}
    if a.https_routes:
        servers = start_pair(routes, _load_routes(a.https_routes), *a.tls)
    else:
        servers = [Server(routes, tls=a.tls, silent=a.silent,
                          port=a.port).start()]
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    ports = "".join("%d\n" % s.port for s in servers)
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(ports)
        os.replace(tmp, a.port_file)
    sys.stdout.write(ports)
    sys.stdout.flush()
    done.wait(a.max_seconds)
    for s in servers:
        s.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
