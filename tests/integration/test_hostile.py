"""Hostile servers: each case asserts the verdict and that the daemon
stays healthy (it ends by itself within the deadline, bounded memory, a
complete status file).  Where a timeout is the point, the failure id says
which of the daemon's own timeouts ended the check."""

import resource

import lhtest
from lhtest import check, check_eq, check_in, serve, test

FAST = {"timeout": "4s", "connect_timeout": "2s", "retries": 0}


def once(urls, **cfg):
    conf = dict(FAST)
    conf.update(cfg)
    conf["directory"] = lhtest.write_list_directory(urls)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    r = lhtest.run_once(conf, timeout=120)
    r.maxrss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    r.maxrss_grew = r.maxrss_kib > before
    check(r.returncode in (0, 1), "clean exit (rc %r, stderr %s)"
          % (r.returncode, r.stderr[-300:]))
    check_eq(len(urls), len(r.links), "every link in the status file")
    return r


@test
def endless_body_on_get_fallback():
    srv = serve({"/big": {"action": "endless",
                          "head": {"status": 405}}})
    r = once([srv.url("/big")], max_body_bytes="64k")
    l = r.link(srv.url("/big")) or {}
    check_eq("ok", l.get("state"), "state")
    check_eq("GET", l.get("method"), "GET decided")
    # Reading past the cap would have run into the 4 s timeout.
    check_eq(None, l.get("failure"), "failure (reading stopped at the cap)")
    check(r.maxrss_kib < 64 * 1024, "peak RSS %d KiB" % r.maxrss_kib)


@test
def a_mebibyte_of_headers():
    srv = serve({"/fat": {"status": 200, "header_bytes": 1024 * 1024}})
    r = once([srv.url("/fat")])
    l = r.link(srv.url("/fat")) or {}
    check_in(l.get("state"), ("error", "unreachable"), "not ok")
    check(l.get("error"), "an error is named (%r)" % l.get("error"))


@test
def hundred_hop_redirect_chain():
    routes = {"/h%d" % i: {"redirect": {"status": 302,
                                        "location": "/h%d" % (i + 1)}}
              for i in range(100)}
    routes["/h100"] = 200
    srv = serve(routes)
    r = once([srv.url("/h0")])
    l = r.link(srv.url("/h0")) or {}
    check_eq("error", l.get("state"), "state")
    check_eq("too-many-redirects", l.get("failure"), "failure")
    check_eq(11, len(srv.requests()), "stopped after max_redirects + 1")


@test
def huge_location_header():
    srv = serve({"/far": {"redirect": {"status": 301,
                                       "location": "/" + "a" * 65536}}})
    r = once([srv.url("/far")])
    l = r.link(srv.url("/far")) or {}
    check_in(l.get("state"), ("error", "unreachable", "stale"),
             "a verdict, not a crash")
    check(len(l.get("reason", "")) < 600, "the reason stays one short line")


@test
def garbage_status_line():
    srv = serve({"/g": {"action": "garbage"}})
    r = once([srv.url("/g")])
    l = r.link(srv.url("/g")) or {}
    check_eq("error", l.get("state"), "state")
    check_eq("protocol", l.get("failure"), "failure")


@test
def server_dripping_a_byte_a_second():
    srv = serve({"/drip": {"status": 200, "body": "x" * 200,
                           "action": "drip", "interval": 1.0}})
    r = once([srv.url("/drip")], timeout="3s", connect_timeout="1s")
    l = r.link(srv.url("/drip")) or {}
    check_eq("unreachable", l.get("state"), "state")
    # The whole answer takes minutes to drip: the daemon's own timeout
    # ended the check, and the run ended by itself (see once).
    check_in("timeout", l.get("failure") or "", "a timeout")


@test
def tls_handshake_that_stalls():
    srv = serve(silent=True)
    url = "https://127.0.0.1:%d/" % srv.port
    r = once([url], timeout="3s", connect_timeout="2s")
    l = r.link(url) or {}
    check_eq("unreachable", l.get("state"), "state")
    check_eq("timeout-tls", l.get("failure"), "failure")


@test
def http10_without_length_or_close():
    srv = serve({"/old": {"action": "garbage", "hold": True,
                          "raw": "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nhi"},
                 "/old-get": {"action": "garbage", "hold": True,
                              "raw": "HTTP/1.0 200 OK\r\n\r\nhello",
                              "head": {"status": 405}}})
    r = once([srv.url("/old"), srv.url("/old-get")], timeout="3s")
    check_eq("ok", (r.link(srv.url("/old")) or {}).get("state"),
             "HEAD answered")
    check_eq("ok", (r.link(srv.url("/old-get")) or {}).get("state"),
             "GET: the status decides even though the body never ends")


@test(deadline=240)
def server_that_slams_every_connection():
    srv = serve(slam=True)
    urls = [srv.url("/s%d" % i) for i in range(2000)]
    r = once(urls, concurrency=32, per_host_concurrency=32)
    states = {l["state"] for l in r.links}
    check_eq({"unreachable"}, states, "every link unreachable")


if __name__ == "__main__":
    lhtest.main()
