"""Truthful DNS: linkhealthd --once with dns_servers pointing at
tests/server/dnsserver.py on 127.0.0.1, one case per way a name can fail
to resolve, and the overrides (resolve, connect_to, the private-address
guard) still doing what linkhealthd.conf(5) says."""

import os
import sys

import lhtest
from lhtest import check, check_eq, check_in, serve, test

sys.path.insert(0, lhtest.SERVER_DIR)
import dnsserver  # noqa: E402

FAST = {"timeout": "5s", "connect_timeout": "3s", "retries": 0,
        "allow_private": "no", "allow_networks": "127.0.0.0/8"}


def dns(table):
    srv = dnsserver.DnsServer(table)
    lhtest.on_cleanup(srv.stop)
    return srv


def once(urls, resolver, **cfg):
    """--once over urls, with dns_servers = resolver (a DnsServer, or an
    address string) and cfg over FAST."""
    conf = dict(FAST)
    conf["dns_servers"] = getattr(resolver, "address", resolver)
    conf.update(cfg)
    conf["directory"] = lhtest.write_list_directory(urls)
    return lhtest.run_once(conf)


def link(r, url):
    entry = r.link(url)
    check(entry is not None, "a status entry for %s (stderr: %s)"
          % (url, r.stderr[-400:]))
    return entry or {}


@test
def name_to_address_is_checked():
    web = serve({"/": 200})
    d = dns({"www.lh.test": {"a": ["127.0.0.1"]}})
    url = web.url("/", host="www.lh.test")
    r = once([url], d)
    l = link(r, url)
    check_eq("ok", l.get("state"), "state")
    check_eq(1, len(web.requests()), "the server was asked")
    check_eq(["www.lh.test"],
             [h for _, _, h in web.stats()["log"]], "Host of the request")
    check(d.count("www.lh.test", "A") >= 1, "the name was looked up")


@test
def nxdomain_is_unreachable_when_the_domain_exists():
    d = dns({"lh.test": {"ns": ["ns1.lh.test"]}})
    url = "http://gone.lh.test/"
    r = once([url], d)
    l = link(r, url)
    check_eq("unreachable", l.get("state"), "state")
    check_in("DNS: no such host", l.get("reason", ""), "reason")
    check_eq("dns", l.get("failure"), "failure")
    check_eq(1, d.count("lh.test", "NS"), "the domain was asked")


@test
def lapsed_domain_is_stale():
    d = dns({})         # nothing exists: lapsed.test is gone too
    url = "http://www.lapsed.test/page"
    r = once([url], d)
    l = link(r, url)
    check_eq("stale", l.get("state"), "state")
    check_in("domain lapsed.test no longer exists", l.get("reason", ""),
             "reason")
    check_eq(1, d.count("lapsed.test", "NS"), "the domain was asked")
    # The registrable domain itself: no second question needed.
    url2 = "http://lapsed2.test/"
    r = once([url2], d)
    l = link(r, url2)
    check_eq("stale", l.get("state"), "state of the domain itself")
    check_eq(0, d.count("lapsed2.test", "NS"), "no NS question for it")


@test
def servfail_is_retried_and_named():
    d = dns({"broken.lh.test": "servfail"})
    url = "http://broken.lh.test/"
    r = once([url], d, retries=1)
    l = link(r, url)
    check_eq("dns-servfail", l.get("failure"), "failure")
    check_in("SERVFAIL", l.get("reason", ""), "reason")
    check_in("1 retry", l.get("reason", ""), "reason says it was retried")
    # A retry is a second lookup, not the remembered failure.
    check_eq(2, d.count("broken.lh.test", "A"), "A queries")
    check(d.count("broken.lh.test", "A") >= 2,
          "asked again on the retry: %d A queries"
          % d.count("broken.lh.test", "A"))


@test
def no_answer_is_a_dns_timeout():
    # With a link that answered, the cycle is conclusive and the silent
    # name gets its verdict; alone, it would be inconclusive (nothing
    # answered at all).
    web = serve({"/": 200})
    d = dns({"slow.lh.test": "drop", "www.lh.test": {"a": ["127.0.0.1"]}})
    live, url = web.url("/", host="www.lh.test"), "http://slow.lh.test/"
    r = once([live, url], d, connect_timeout="600ms", timeout="3s")
    check_eq("ok", link(r, live).get("state"), "the live link")
    l = link(r, url)
    check_eq("dns-timeout", l.get("failure"), "failure")
    check_eq("unreachable", l.get("state"), "state")
    check_in("DNS: no answer in time", l.get("reason", ""), "reason")


@test
def no_dns_server_is_ours():
    # No DNS server answering is the monitor's own outage: no verdict, and
    # a run where that is all there is is inconclusive (exit 3).
    port = dnsserver.closed_udp_port()
    url = "http://any.lh.test/"
    r = once([url], "127.0.0.1:%d" % port)
    check_eq(3, r.returncode, "exit status (stderr: %s)" % r.stderr[-300:])
    l = link(r, url)
    check_eq("unknown", l.get("state"), "no verdict")
    check_in("no DNS server answers",
             (r.status or {}).get("cycle", {}).get("inconclusive") or "",
             "cycle.inconclusive")


@test
def resolve_entry_wins_without_a_query():
    web = serve({"/": 200})
    d = dns({"site.lh.test": {"a": ["127.0.0.1"]}})
    url = web.url("/", host="site.lh.test")
    r = once([url], d, resolve=web.resolve("site.lh.test"))
    check_eq("ok", link(r, url).get("state"), "state")
    check_eq(0, d.total(), "no DNS query")


@test
def connect_to_target_is_resolved():
    web = serve({"/": 200})
    d = dns({"backend.lh.test": {"a": ["127.0.0.1"]}})
    url = "http://front.lh.test/"
    r = once([url], d, connect_to="front.lh.test:80:backend.lh.test:%d"
             % web.port)
    l = link(r, url)
    check_eq("ok", l.get("state"), "state")
    check_eq(0, d.count("front.lh.test"), "the listed name not asked")
    check(d.count("backend.lh.test", "A") >= 1, "the target was asked")
    check_eq(1, len(web.requests()), "the target server answered")


@test
def guard_refuses_a_name_that_resolves_to_loopback():
    web = serve({"/": 200})
    d = dns({"sneaky.lh.test": {"a": ["127.0.0.1"]}})
    url = web.url("/", host="sneaky.lh.test")
    r = once([url], d, allow_networks="")
    l = link(r, url)
    check_eq("error", l.get("state"), "state")
    check_eq("forbidden-address", l.get("failure"), "failure")
    check_in("refused: private address 127.0.0.1 (loopback)",
             l.get("reason", ""), "reason")
    check_eq(0, web.stats(log=False)["connections"], "no connection")


@test
def one_lookup_per_host_per_cycle():
    web = serve({"/a": 200, "/b": 200, "/c": 200})
    d = dns({"many.lh.test": {"a": ["127.0.0.1"]}})
    urls = [web.url(p, host="many.lh.test") for p in ("/a", "/b", "/c")]
    r = once(urls, d, per_host_concurrency=3)
    check_eq(["ok"] * 3, [link(r, u).get("state") for u in urls], "states")
    check_eq(1, d.count("many.lh.test", "A"), "A queries")
    check_eq(1, d.count("many.lh.test", "AAAA"), "AAAA queries")


@test
def lookup_time_only_where_a_lookup_was_made():
    web = serve({"/a": 200, "/b": 200})
    d = dns({"seq.lh.test": {"a": ["127.0.0.1"]}})
    urls = [web.url(p, host="seq.lh.test") for p in ("/a", "/b")]
    r = once(urls, d, concurrency=1, per_host_concurrency=1)
    first, second = [link(r, u).get("timings", {}) for u in urls]
    check(isinstance(first.get("dns_ms"), (int, float)),
          "dns_ms of the first: %r" % (first.get("dns_ms"),))
    check_eq(None, second.get("dns_ms"), "dns_ms of the remembered one")


@test
def redirect_to_another_host_is_resolved():
    web = serve({"/old": {"redirect": {
        "status": 302, "location": "http://two.lh.test:{port}/new"}},
        "/new": 200})
    d = dns({"one.lh.test": {"a": ["127.0.0.1"]},
             "two.lh.test": {"a": ["127.0.0.1"]}})
    url = web.url("/old", host="one.lh.test")
    r = once([url], d)
    check_eq("ok", link(r, url).get("state"), "state")
    check(d.count("two.lh.test", "A") >= 1, "the hop's host was asked")


@test
def final_dot_is_the_same_name():
    web = serve({"/": 200})
    d = dns({"dot.lh.test": {"a": ["127.0.0.1"]}})
    url = web.url("/", host="dot.lh.test.")
    r = once([url], d)
    check_eq("ok", link(r, url).get("state"), "state")
    check_eq(1, d.count("dot.lh.test", "A"), "asked once, without the dot")
    # A resolve entry for the name as written wins, as in curl.
    d2 = dns({"dot.lh.test": {"a": ["127.0.0.1"]}})
    r = once([url], d2, resolve="dot.lh.test.:%d:127.0.0.1" % web.port)
    check_eq("ok", link(r, url).get("state"), "state with resolve")
    check_eq(0, d2.total(), "no query with a resolve entry")


@test
def invalid_names_are_never_asked():
    d = dns({})
    url = "http://nowhere.invalid/"
    r = once([url], d)
    check_eq("unreachable", link(r, url).get("state"), "state")
    check_eq(0, d.total(), "no DNS query")


@test(deadline=60)
def a_name_that_moved_is_not_reached_at_its_old_address():
    # The daemon keeps connections alive between cycles.  The name moves
    # from 127.0.0.1 to 127.0.0.2 (same port) between two cycles: from
    # then on every request goes to the new address, the first on a
    # connection of its own and the next ones on that one, none on the
    # connection the old address left in the pool.  Control: within a
    # cycle, the links share one connection.
    old = serve({"/": {"status": 200, "prefix": True}})
    new = serve({"/": {"status": 200, "prefix": True}}, port=old.port,
                bind="127.0.0.2")
    d = dns({"www.lh.test": {"a": ["127.0.0.1"]}})
    urls = [old.url("/p%d" % i, host="www.lh.test") for i in range(3)]
    cfg = dict(FAST, dns_servers=d.address, interval="3s", jitter=0,
               concurrency=4, per_host_concurrency=1, content_checks="no",
               directory=lhtest.write_list_directory(urls))
    daemon = lhtest.Daemon(cfg)
    s = daemon.wait_status(lambda s: s["cycle"]["number"] >= 1)
    check(s is not None, "a first cycle")
    d.table["www.lh.test"] = {"a": ["127.0.0.2"]}
    s = daemon.wait_status(lambda s: s["cycle"]["number"] >= 3, timeout=30)
    check(s is not None, "three cycles")
    daemon.stop()
    check_eq(3, len(old.requests()), "requests to the old address (%r)"
             % [q["path"] for q in old.requests()])
    check_eq(1, len({q["conn"] for q in old.requests()}),
             "the first cycle's connections")
    reqs = new.requests()
    check(len(reqs) >= 6, "every link asked at the new address each "
          "cycle: %d" % len(reqs))
    # (A fourth cycle may have begun before the stop.)
    check(len({q["conn"] for q in reqs}) <= (len(reqs) + 2) // 3, "a "
          "connection per cycle at most: %r"
          % [(q["conn"], q["path"]) for q in reqs])


if __name__ == "__main__":
    lhtest.main()
