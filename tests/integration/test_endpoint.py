"""The HTTP endpoint (listen = 127.0.0.1:PORT): its four paths with curl and
Python's http.client, 304 on a validator, 405 and 404, /healthz going 503
when cycles stop finishing, promtool on what /metrics serves, Chromium
loading the dashboard from it, hostile clients (a slowloris, a 1 MB
request line, a thousand connections) while the checks go on, a rebind on
SIGHUP, and listen_public; and the example alert rules of
doc/prometheus.md through promtool check rules."""

import http.client
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time

import lhtest
from lhtest import check, check_eq, check_in, fail, serve, test, wait_for

# The dashboard test's Chromium driver; its own tests stay unregistered.
_n = len(lhtest._tests)
import test_dashboard  # noqa: E402
del lhtest._tests[_n:]

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
PAGE = os.path.join(ROOT, "dashboard", "index.html")
PROM_DOC = os.path.join(ROOT, "doc", "prometheus.md")


def promtool():
    tool = shutil.which("promtool")
    if not tool:
        fail("promtool not found: install the Debian package prometheus "
             "(make test-deps does)")
    return tool


def free_port(host="127.0.0.1"):
    """A port with nothing listening on host (as lhtest.closed_port)."""
    with socket.socket(socket.AF_INET6 if ":" in host else
                       socket.AF_INET) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def endpoint_daemon(routes=None, host="127.0.0.1", links=None, **config):
    """A daemon over local links (one, /ok, unless links say more) with
    the endpoint on a free port of host.  (daemon, server, port)."""
    srv = serve(routes or {"/ok": 200})
    port = free_port(host)
    where = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (
        host, port)
    conf = {"directory": lhtest.write_list_directory(
                [(srv.url(path), name) for path, name in
                 (links or [("/ok", "Ok Org")])]),
            "interval": "1s", "jitter": "0s", "listen": where}
    conf.update(config)
    d = lhtest.Daemon(conf)
    d.wait_log("HTTP endpoint on http://%s/" % where)
    return d, srv, port


def get(port, path, method="GET", headers=None, host="127.0.0.1"):
    """(status, headers dict with lower-case names, body bytes)."""
    c = http.client.HTTPConnection(host, port, timeout=10)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    finally:
        c.close()


def first_cycle(d, port):
    wait_for(lambda: get(port, "/healthz")[0] == 200, 20,
             what="/healthz 200 after the first cycle")


@test(deadline=90)
def four_paths_with_curl_and_http_client():
    d, srv, port = endpoint_daemon()
    first_cycle(d, port)
    base = "http://127.0.0.1:%d" % port
    for path, ctype, needle in (
            ("/", "text/html; charset=utf-8", "<html"),
            ("/status.json", "application/json", '"links"'),
            ("/metrics", "text/plain; version=0.0.4; charset=utf-8",
             "linkhealthd_link_up{"),
            ("/healthz", "text/plain; charset=utf-8", "ok: cycle ")):
        r = lhtest.curl("-D", "-", base + path)
        check_eq(0, r.returncode, "curl %s: %s" % (path, r.stderr))
        # (Text mode: curl's CRLF read as newlines.)
        head, _, body = r.stdout.replace("\r\n", "\n").partition("\n\n")
        check(head.startswith("HTTP/1.1 200"), "curl %s: %s" % (path, head))
        check_in("content-type: " + ctype, head.lower(), "curl %s" % path)
        check_in(needle, body, "curl %s body" % path)
        st, h, b = get(port, path)
        check_eq(200, st, "http.client GET %s" % path)
        check_eq(ctype, h.get("content-type"), "GET %s type" % path)
        st, h, hb = get(port, path, "HEAD")
        check_eq(200, st, "HEAD %s" % path)
        check_eq(b"", hb, "HEAD %s has no body" % path)
    # The page served is the repository's, byte for byte.
    st, h, b = get(port, "/")
    with open(PAGE, "rb") as f:
        check(b == f.read(), "/ serves dashboard/index.html")
    # /status.json is the status document the file holds (same cycle).
    st, h, b = get(port, "/status.json")
    import json
    doc = json.loads(b)
    check_eq(lhtest.STATUS_VERSION, doc.get("version"), "version served")
    check_eq([srv.url("/ok")], [l["url"] for l in doc["links"]],
             "links served")
    check_eq("ok", doc["links"][0]["state"], "state served")
    # Nothing else: other paths 404, other methods 405 with Allow.
    for path in ("/index.html", "/status.json/", "/metricsx", "/../etc",
                 "/healthz/x", "/favicon.ico"):
        check_eq(404, get(port, path)[0], "GET %s" % path)
    for method in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH"):
        for path in ("/", "/metrics", "/status.json", "/healthz"):
            st, h, b = get(port, path, method)
            check_eq(405, st, "%s %s" % (method, path))
            check_eq("GET, HEAD", h.get("allow"), "%s %s Allow" % (method,
                                                                   path))
    check_eq(404, get(port, "/nope", "POST")[0], "POST to no path: 404")
    # curl -X POST with a body, as a client would.
    r = lhtest.curl("-o", "/dev/null", "-w", "%{http_code}", "-d", "x=1",
                    base + "/metrics")
    check_eq("405", r.stdout, "curl -d to /metrics")
    d.check_stop()


@test(deadline=90)
def validators_give_304():
    # A long interval: the document does not change under the test.
    d, srv, port = endpoint_daemon(interval="1h")
    first_cycle(d, port)
    for path in ("/status.json", "/metrics"):
        st, h, b = get(port, path)
        etag, lm = h.get("etag"), h.get("last-modified")
        check(etag and re.fullmatch(r'"\d+-[0-9a-f]{16}"', etag),
              "%s ETag %r" % (path, etag))
        check(lm and lm.endswith(" GMT"), "%s Last-Modified %r" % (path, lm))
        st, h2, b2 = get(port, path, headers={"If-None-Match": etag})
        check_eq(304, st, "%s If-None-Match: the tag" % path)
        check_eq(b"", b2, "a 304 has no body")
        check_eq(etag, h2.get("etag"), "a 304 carries the tag")
        st, _, _ = get(port, path, headers={
            "If-None-Match": 'W/"x", ' + etag})
        check_eq(304, st, "%s If-None-Match: a list holding it" % path)
        st, _, _ = get(port, path, headers={"If-None-Match": "*"})
        check_eq(304, st, "%s If-None-Match: *" % path)
        # Controls: another tag, an older date.
        st, _, b3 = get(port, path, headers={"If-None-Match": '"1-0"'})
        check_eq(200, st, "%s If-None-Match: another tag" % path)
        check_eq(b, b3, "%s the same document again" % path)
        st, _, _ = get(port, path, headers={"If-Modified-Since": lm})
        check_eq(304, st, "%s If-Modified-Since: its date" % path)
        st, _, _ = get(port, path, headers={
            "If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})
        check_eq(200, st, "%s If-Modified-Since: long before" % path)
        st, _, _ = get(port, path, headers={"If-Modified-Since": "soon"})
        check_eq(200, st, "%s If-Modified-Since: not a date" % path)
        # If-None-Match decides alone when both are sent.
        st, _, _ = get(port, path, headers={"If-None-Match": '"1-0"',
                                            "If-Modified-Since": lm})
        check_eq(200, st, "%s another tag, its date" % path)
        r = lhtest.curl("-o", "/dev/null", "-w", "%{http_code}", "-H",
                        "If-None-Match: " + etag,
                        "http://127.0.0.1:%d%s" % (port, path))
        check_eq("304", r.stdout, "curl with the tag on %s" % path)
    # A new cycle makes a new document and tag.
    st, h, _ = get(port, "/status.json")
    d.proc.send_signal(signal.SIGUSR1)
    wait_for(lambda: get(port, "/status.json")[1].get("etag") != h["etag"],
             20, what="a new ETag after SIGUSR1")
    st, _, _ = get(port, "/status.json", headers={"If-None-Match":
                                                   h["etag"]})
    check_eq(200, st, "the old tag after a new cycle")
    d.check_stop()


@test(deadline=90)
def healthz_503_before_the_first_cycle_and_when_cycles_stall():
    # The first cycle's only check takes 3 s: nothing has finished yet.
    d, srv, port = endpoint_daemon({"/ok": {"status": 200, "delay": 3}},
                                   timeout="30s")
    st, h, b = get(port, "/healthz")
    check_eq(503, st, "/healthz before any cycle finished")
    check_in(b"no cycle has finished yet", b, "/healthz reason")
    st, h, b = get(port, "/status.json")
    check_eq(503, st, "/status.json before any cycle finished")
    check_eq(503, get(port, "/metrics")[0], "/metrics before the first")
    check_eq(200, get(port, "/")[0], "the page is there from the start")
    srv.routes["/ok"] = 200
    first_cycle(d, port)
    st, h, b = get(port, "/healthz")
    check(re.match(rb"ok: cycle \d+ finished \d+\.\d s ago\n$", b),
          "/healthz after the first cycle: %r" % b)
    # Cycles go on every second; now the next one hangs 6 s in its check:
    # past two intervals (2 s) /healthz says so, then recovers.
    srv.routes["/ok"] = {"status": 200, "delay": 6}
    got = wait_for(lambda: (lambda r: r if r[0] == 503 else None)(
        get(port, "/healthz")), 15, what="/healthz 503 when stale")
    if got:
        check(re.search(rb"the last cycle \(\d+\) finished \d+\.\d s ago, "
                        rb"more than two intervals and their jitter \(2\.0 s\)", got[2]),
              "503 reason: %r" % got[2])
        check_eq("text/plain; charset=utf-8", got[1].get("content-type"),
                 "503 type")
    srv.routes["/ok"] = 200
    wait_for(lambda: get(port, "/healthz")[0] == 200, 20,
             what="/healthz 200 again once a cycle finished")
    d.check_stop()


@test(deadline=90)
def metrics_served_pass_promtool():
    d, srv, port = endpoint_daemon()
    first_cycle(d, port)
    st, h, body = get(port, "/metrics")
    check_eq(200, st, "/metrics")
    path = os.path.join(lhtest.tmpdir(), "served.prom")
    with open(path, "wb") as f:
        f.write(body)
    with open(path, "rb") as f:
        p = subprocess.run([promtool(), "check", "metrics"], stdin=f,
                           capture_output=True, timeout=60)
    check_eq(0, p.returncode, "promtool check metrics: %r" % p.stdout)
    check_eq(b"", p.stdout + p.stderr, "promtool says nothing")
    # The same series as the metrics file (which this test asks for).
    check_in(b'linkhealthd_link_state{region="",name="Ok Org",url="%s",'
             b'state="ok"} 1' % srv.url("/ok").encode(), body, "a series")
    check_in(b"linkhealthd_last_cycle_timestamp_seconds ", body, "series")
    d.check_stop()


@test(deadline=150)
def dashboard_in_chromium_from_the_endpoint():
    # A long interval: what the page reads does not change under it.
    d, srv, port = endpoint_daemon({"/ok": 200, "/bad": 500},
                                   links=[("/ok", "Ok Org"),
                                          ("/bad", "Bad Org")],
                                   interval="1h", fail_threshold=1)
    first_cycle(d, port)
    node, raw = test_dashboard.dom("http://127.0.0.1:%d/" % port)
    got = sorted(test_dashboard.names_states(node))
    check_eq([("Bad Org", "error"), ("Ok Org", "ok")], got,
             "the dashboard shows what /status.json says")
    check(node.one(id="stale-data") is None and node.one(id="old") is None,
          "fresh data is not called stale")
    d.check_stop()


def slowloris(port, seconds):
    """Send a request head a byte a second.  The seconds until the server
    closed the connection, or None if it did not within seconds."""
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    start = time.monotonic()
    head = b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 100
    try:
        for i in range(seconds):
            try:
                s.sendall(head[i:i + 1])
            except OSError:
                return time.monotonic() - start
            s.settimeout(1)
            try:
                if s.recv(4096) == b"":
                    return time.monotonic() - start
            except socket.timeout:
                pass
            except OSError:
                return time.monotonic() - start
        return None
    finally:
        s.close()


def huge_request(port, request):
    """Send a huge request: the status answered, or None when the server
    closed the connection without one."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        try:
            s.sendall(request)
        except OSError:
            pass
        try:
            data = s.recv(4096)
        except OSError:
            return None
        m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
        return int(m.group(1)) if m else None
    finally:
        s.close()


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


@test(deadline=180)
def hostile_clients_are_bounded_and_checks_go_on():
    d, srv, port = endpoint_daemon()
    first_cycle(d, port)
    fds_before = open_fds(d.proc.pid)
    cycle0 = d.status()["cycle"]["number"]

    # A slowloris is cut within the head deadline (5 s), although a byte
    # a second keeps it from ever being idle (the idle timeout is 10 s).
    took = slowloris(port, 20)
    check(took is not None and took < 9,
          "slowloris disconnected by the deadline (after %r s)" % took)
    # Control: a whole request at once is answered.
    check_eq(200, get(port, "/healthz")[0], "a prompt request after it")

    # A 1 MB request line: refused (414 or 431), or closed unanswered.
    st = huge_request(port, b"GET /" + b"a" * (1024 * 1024) +
                      b" HTTP/1.1\r\nHost: x\r\n\r\n")
    check(st in (None, 414), "1 MB request line: %r" % st)
    st = huge_request(port, b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " +
                      b"a" * 20000 + b"\r\n\r\n")
    check(st in (None, 431), "20 kB header: %r" % st)
    check_eq(200, get(port, "/healthz")[0], "a prompt request after them")

    # A thousand connections: the daemon holds a bounded number.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 4096)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    socks = []
    try:
        for _ in range(1000):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            socks.append(s)
        time.sleep(1)
        peak = open_fds(d.proc.pid)
        check(peak < fds_before + 64 + 20,
              "daemon descriptors with 1000 clients: %d (before %d)"
              % (peak, fds_before))
        # The checks go on meanwhile: cycles finish (one a second), and
        # what they say is the local server's answer.
        st = d.wait_status(lambda s: s["cycle"]["number"] >= cycle0 + 3,
                           timeout=20)
        if check(st is not None, "cycles finish under 1000 connections"):
            check_eq("ok", st["links"][0]["state"], "the link's state")
            check_eq(200, st["links"][0].get("http_status"),
                     "the link's status code")
    finally:
        for s in socks:
            s.close()
    # Once they are cut or gone, the endpoint answers again.
    wait_for(lambda: _try_get(port, "/healthz") == 200, 30,
             what="/healthz answers after the flood")
    check(d.proc.poll() is None, "the daemon still runs")
    d.check_stop()


def _try_get(port, path):
    try:
        return get(port, path)[0]
    except OSError:
        return None


@test(deadline=90)
def sighup_rebinds_and_a_failed_bind_keeps_the_old_address():
    d, srv, port = endpoint_daemon()
    first_cycle(d, port)
    new = lhtest.closed_port()
    with open(d.conf_path) as f:
        conf = f.read()

    def rewrite(listen):
        with open(d.conf_path, "w") as f:
            f.write(re.sub(r"(?m)^listen = .*$", "listen = " + listen, conf))
    rewrite("127.0.0.1:%d" % new)
    d.proc.send_signal(signal.SIGHUP)
    d.wait_log("HTTP endpoint on http://127.0.0.1:%d/" % new)
    wait_for(lambda: _try_get(new, "/healthz") == 200, 20,
             what="the new address serves")
    check_eq(None, _try_get(port, "/healthz"), "the old address is closed")
    # An address in use: the reload goes on, the endpoint stays.
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        rewrite("127.0.0.1:%d" % busy.getsockname()[1])
        d.proc.send_signal(signal.SIGHUP)
        d.wait_log("the HTTP endpoint stays where it was")
        check_in("listen 127.0.0.1:%d: " % busy.getsockname()[1],
                 d.output(), "the failure names the address")
        check_eq(200, _try_get(new, "/healthz"), "the old one serves on")
    finally:
        busy.close()
    # listen removed: no endpoint.
    with open(d.conf_path, "w") as f:
        f.write(re.sub(r"(?m)^listen = .*\n", "", conf))
    d.proc.send_signal(signal.SIGHUP)
    d.wait_log("HTTP endpoint closed")
    check_eq(None, _try_get(new, "/healthz"), "closed after listen went")
    d.check_stop()


@test(deadline=60)
def a_port_in_use_at_start_is_an_error():
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        d = lhtest.Daemon({"directory": lhtest.write_list_directory(
                               ["http://127.0.0.1:1/"]),
                           "listen": "127.0.0.1:%d" % port})
        rc = d.stop(None, timeout=20)
        check_eq(2, rc, "exit status with the port taken")
        check_in("linkhealthd: error: listen 127.0.0.1:%d: " % port,
                 d.output(), "the error names the address")
        check_in("Address already in use", d.output(), "and why")
    finally:
        busy.close()


@test(deadline=60)
def ipv6_loopback():
    d, srv, port = endpoint_daemon(host="::1")
    wait_for(lambda: get(port, "/healthz", host="::1")[0] == 200, 20,
             what="/healthz on [::1]")
    r = lhtest.curl("-o", "/dev/null", "-w", "%{http_code}",
                    "http://[::1]:%d/metrics" % port)
    check_eq("200", r.stdout, "curl on [::1]")
    check_eq(None, _try_get(port, "/healthz"), "not on 127.0.0.1 too")
    d.check_stop()


@test(deadline=60)
def listen_public_is_required_for_other_addresses():
    directory = lhtest.write_list_directory(["http://127.0.0.1:1/"])
    for listen, public, refused in (("0.0.0.0:9601", None, True),
                                    ("[::]:9601", "no", True),
                                    ("192.0.2.1:9601", None, True),
                                    ("127.0.0.1:9601", None, False),
                                    ("[::1]:9601", None, False),
                                    ("0.0.0.0:9601", "yes", False)):
        text = "directory = %s\ninterval = 1h\nlisten = %s\n" % (
            directory, listen)
        if public:
            text += "listen_public = %s\n" % public
        conf = lhtest.write_config(text)
        p = subprocess.run([lhtest.binary(), "--check-config", "-c", conf],
                           capture_output=True, text=True, timeout=30,
                           env=lhtest.clean_env())
        if refused:
            check_eq(2, p.returncode, "--check-config with listen = %s"
                     % listen)
            check_in("%s:3: listen: %s is not a loopback address; set "
                     "listen_public = yes" % (conf, listen), p.stderr,
                     "the error names the line")
        else:
            check("is not a loopback" not in p.stderr,
                  "listen = %s public = %s accepted: %s"
                  % (listen, public, p.stderr[-300:]))


@test(deadline=120)
def the_unit_lets_the_endpoint_bind_only_where_a_drop_in_allows():
    """The unit denies bind(2) to any port; a drop-in allowing the
    endpoint's keeps it as hardened (systemd-analyze security <= 2.0)."""
    with open(os.path.join(ROOT, "systemd", "linkhealthd.service.in")) as f:
        text = f.read()
    check_in("\nSocketBindDeny=any\n", text, "the unit denies binding")
    check("SocketBindAllow=" not in text.replace(
        "# (systemctl edit linkhealthd): SocketBindAllow=", ""),
          "the unit itself allows no port")
    binary = os.path.abspath(lhtest.binary())
    text = (text.replace("@BINDIR@/linkhealthd", binary)
            .replace("@SYSCONFDIR@", "/etc").replace("@DOCDIR@", "/usr"))
    folder = lhtest.tmpdir()
    for name, extra in (("plain", ""),
                        ("allowed", "SocketBindAllow=tcp:9601\n")):
        unit = os.path.join(folder, "linkhealthd-%s.service" % name)
        with open(unit, "w") as f:
            f.write(text.replace("SocketBindDeny=any\n",
                                 "SocketBindDeny=any\n" + extra))
        v = subprocess.run(["systemd-analyze", "verify", "--man=no", unit],
                           capture_output=True, text=True, timeout=60)
        check_eq(0, v.returncode, "%s: systemd-analyze verify: %s"
                 % (name, v.stderr))
        sec = subprocess.run(["systemd-analyze", "security",
                              "--offline=yes", unit],
                             capture_output=True, text=True, timeout=60)
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)",
                      sec.stdout)
        if check(m is not None, "%s: a score (%s)" % (name, sec.stderr)):
            check(float(m.group(1)) <= 2.0, "%s: exposure %s <= 2.0"
                  % (name, m.group(1)))


def rules_block():
    with open(PROM_DOC, encoding="utf-8") as f:
        text = f.read()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    rules = [b for b in blocks if b.startswith("groups:")]
    return rules


@test(deadline=60)
def the_alert_rules_of_the_prometheus_page_pass_promtool():
    rules = rules_block()
    check(len(rules) >= 1, "a ```yaml groups: block in doc/prometheus.md")
    for i, block in enumerate(rules):
        path = os.path.join(lhtest.tmpdir(), "rules%d.yml" % i)
        with open(path, "w") as f:
            f.write(block)
        p = subprocess.run([promtool(), "check", "rules", path],
                           capture_output=True, text=True, timeout=60)
        check_eq(0, p.returncode, "promtool check rules: %s%s"
                 % (p.stdout, p.stderr))
        check_in("SUCCESS", p.stdout, "promtool's verdict")
    text = "\n".join(rules)
    check_in('up{job="linkhealthd"}', text, "an alert on the scrape itself")
    # Control: promtool does refuse a broken rule.
    path = os.path.join(lhtest.tmpdir(), "broken.yml")
    with open(path, "w") as f:
        f.write(rules[0].replace("expr:", "exrp:", 1) if rules else "x")
    p = subprocess.run([promtool(), "check", "rules", path],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode != 0, "promtool refuses a broken rules file")


if __name__ == "__main__":
    lhtest.main()
