"""Proxies and the private-address guard (issue 13, item 1): a proxy in
the environment is never used unless proxy = env says so; with a proxy
the guard judges each hop's target before the proxy is asked, and the
proxy itself (the administrator's) is reached even on loopback; no_proxy
names the hosts reached straight, under the guard as usual.

The proxy here is a recorder on 127.0.0.1: it answers every request
itself (it connects nowhere), so that a request which must never leave
would show in its log."""

import socket
import threading

import lhtest
from lhtest import check, check_eq, check_in, serve, test

FAST = {"timeout": "5s", "connect_timeout": "2s", "retries": 0,
        "fail_threshold": 1}
# Names the tests map with resolve: one to a public address (reached only
# through the proxy, which answers itself), one to a private address,
# one to loopback.
PUBLIC = "public.test"
PRIVATE = "private.test"


class RecordingProxy:
    """An HTTP proxy that records the request lines it gets and answers
    200 to every absolute-URI request, or a redirect for a path
    /redirect?to=URL."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.lines = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        lhtest.on_cleanup(self.stop)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def stop(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def asked(self):
        """The request lines, but the soft-404 probes."""
        with self.lock:
            return [a for a in self.lines if "linkhealthd-probe" not in a]

    def _loop(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,),
                             daemon=True).start()

    def _serve(self, conn):
        conn.settimeout(5)
        data = b""
        try:
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                head, data = data.split(b"\r\n\r\n", 1)
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                with self.lock:
                    self.lines.append(line)
                target = line.split(" ")[1] if " " in line else ""
                if "linkhealthd-probe" in target:
                    # The soft-404 probe: a real site says 404.
                    answer = ("HTTP/1.1 404 Not Found\r\n"
                              "Content-Length: 0\r\n\r\n")
                elif "/redirect?to=" in target:
                    to = target.split("/redirect?to=", 1)[1]
                    answer = ("HTTP/1.1 301 Moved\r\nLocation: %s\r\n"
                              "Content-Length: 0\r\n\r\n" % to)
                else:
                    answer = ("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                              "Content-Length: 8\r\n\r\nproxied\n")
                conn.sendall(answer.encode())
        except OSError:
            return
        finally:
            conn.close()


def directory(urls):
    return lhtest.write_list_directory([(u, "Org %d" % i)
                                        for i, u in enumerate(urls)])


@test
def a_proxy_in_the_environment_is_not_used():
    proxy = RecordingProxy()
    srv = serve({"/": 200})
    cfg = dict(FAST, directory=directory([srv.url("/")]))
    env = {"http_proxy": proxy.url, "https_proxy": proxy.url,
           "ALL_PROXY": proxy.url, "NO_PROXY": "", "no_proxy": ""}
    r = lhtest.run_once(cfg, env=env)
    check_eq(0, r.returncode, "exit: %r" % r)
    check_eq([], proxy.asked(), "what the proxy was asked")
    check_eq(1, len(srv.requests()), "the server was asked straight")
    # With allow_private off, the loopback link is refused, not sent to
    # the proxy either (which today made it "ok 200").
    cfg = dict(cfg, allow_private="no")
    r = lhtest.run_once(cfg, env=env)
    check_eq("error", (r.link(srv.url("/")) or {}).get("state"), "state")
    check_in("private address", (r.link(srv.url("/")) or {}).get("reason",
             ""), "reason")
    check_eq([], proxy.asked(), "what the proxy was asked")


def proxied_config(via, urls, **extra):
    cfg = dict(FAST, directory=directory(urls), allow_private="no",
               resolve=["%s:80:93.184.216.34" % PUBLIC,
                        "%s:80:10.1.2.3" % PRIVATE])
    if via is not None:
        cfg["proxy"] = via.url
    cfg.update(extra)
    return cfg


@test
def through_a_proxy_the_guard_judges_the_target():
    proxy = RecordingProxy()
    public = "http://%s/page" % PUBLIC
    refused = ["http://127.0.0.1:9/secret", "http://169.254.169.254/latest",
               "http://%s/inside" % PRIVATE, "http://[::1]:9/v6",
               "http://[::ffff:10.0.0.1]/mapped"]
    r = lhtest.run_once(proxied_config(proxy, [public] + refused))
    check_eq("ok", (r.link(public) or {}).get("state"),
             "the public link, through the proxy: %r" % r.link(public))
    asked = proxy.asked()
    check_eq(["GET %s HTTP/1.1" % public], [a.replace("HEAD", "GET")
                                           for a in asked],
             "the proxy was asked for the public link only")
    for url in refused:
        entry = r.link(url) or {}
        check_eq("error", entry.get("state"), "%s: state" % url)
        check_in("refused: private address", entry.get("reason", ""),
                 "%s: reason" % url)
    check_in("10.1.2.3 (private)",
             (r.link("http://%s/inside" % PRIVATE) or {}).get("reason", ""),
             "a name is judged by its address")


@test
def every_hop_is_judged_before_the_proxy_is_asked():
    proxy = RecordingProxy()
    hop = "http://%s/redirect?to=http://%s/next" % (PUBLIC, PRIVATE)
    ok_hop = "http://%s/redirect?to=http://%s/landing" % (PUBLIC, PUBLIC)
    r = lhtest.run_once(proxied_config(proxy, [hop, ok_hop]))
    asked = [a.split(" ")[1] for a in proxy.asked()]
    check("http://%s/next" % PRIVATE not in asked,
          "the private hop never reached the proxy: %s" % asked)
    check_in("http://%s/landing" % PUBLIC, asked,
             "a public hop does: %s" % asked)
    check_in("refused: private address", (r.link(hop) or {}).get(
             "reason", ""), "the redirect into a private address")
    check_eq("moved", (r.link(ok_hop) or {}).get("state"),
             "the redirect to a public page: %r" % r.link(ok_hop))


@test
def no_proxy_hosts_go_straight_under_the_guard():
    proxy = RecordingProxy()
    srv = serve({"/": 200})
    straight = srv.url("/", host="local.test")
    cfg = proxied_config(proxy, [straight], no_proxy="other.example, "
                         ".local.test", allow_networks="127.0.0.0/8")
    cfg["resolve"] = cfg["resolve"] + ["local.test:%d:127.0.0.1" % srv.port]
    r = lhtest.run_once(cfg)
    check_eq("ok", (r.link(straight) or {}).get("state"), "state: %r" % r)
    check_eq([], proxy.asked(), "the proxy was not asked")
    check_eq(1, len(srv.requests()), "the server was")
    # Without allow_networks, the same straight request meets the guard.
    del cfg["allow_networks"]
    r = lhtest.run_once(cfg)
    check_in("refused: private address", (r.link(straight) or {}).get(
             "reason", ""), "no_proxy does not bypass the guard")


@test
def proxy_env_takes_the_environment():
    proxy = RecordingProxy()
    public = "http://%s/page" % PUBLIC
    private = "http://%s/inside" % PRIVATE
    cfg = proxied_config(None, [public, private], proxy="env")
    r = lhtest.run_once(cfg, env={"http_proxy": proxy.url,
                                  "NO_PROXY": "", "no_proxy": ""})
    check_eq("ok", (r.link(public) or {}).get("state"), "public: %r" % r)
    check_eq(["http://%s/page" % PUBLIC],
             [a.split(" ")[1] for a in proxy.asked()], "asked")
    check_in("refused: private address", (r.link(private) or {}).get(
             "reason", ""), "private")


@test
def the_remote_directory_goes_through_the_proxy_without_redirects():
    proxy = RecordingProxy()
    moved = "http://%s/redirect?to=http://%s/directory" % (PUBLIC, PRIVATE)
    cfg = proxied_config(proxy, [], directory=moved)
    r = lhtest.run_once(cfg)
    check_eq(2, r.returncode, "exit: %r" % r)
    check_in("a redirect to http://%s/directory, not followed through the "
             "proxy" % PRIVATE, r.stderr, "the error")
    check_eq(["GET %s HTTP/1.1" % moved], proxy.asked(), "asked")


@test
def a_bad_proxy_value_is_a_configuration_error():
    for value in ("ftp://proxy.example:21", "proxy.example:3128",
                  "http://", "environment"):
        cfg = proxied_config(None, ["http://%s/" % PUBLIC], proxy=value)
        r = lhtest.run_once(cfg)
        check_eq(2, r.returncode, "proxy = %s: exit" % value)
        check_in(":%s" % "", r.stderr, "names the file")
        check_in("proxy", r.stderr, "names the key: %s" % r.stderr)


if __name__ == "__main__":
    lhtest.main()
