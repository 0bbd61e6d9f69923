"""Verdict truth (issue 12, items 1 and 4): the monitor's own failures never
become link verdicts, and each hostile answer gets its true name.

The tests that take the network away run the daemon, its lhserver and
`ip` inside a network namespace of their own (`unshare -n`, entered with
`nsenter`), whose only interface is its own loopback: nothing leaves it,
and cutting it (`ip link set lo down`) touches nothing outside."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import lhtest
from lhtest import check, check_eq, check_in, fail, serve, test, wait_for

FAST = {"timeout": "3s", "connect_timeout": "2s", "retries": 0}
SERVER = os.path.join(lhtest.SERVER_DIR, "lhserver.py")


def once(urls, **cfg):
    conf = dict(FAST)
    conf.update(cfg)
    conf["directory"] = lhtest.write_list_directory(urls)
    return lhtest.run_once(conf, timeout=120)


# --- a network namespace of the test's own ---------------------------------

class Netns:
    """A network namespace held open by a sleeping process; run() runs a
    command inside it.  Its loopback is up until cut()."""

    def __init__(self):
        for tool in ("unshare", "nsenter", "ip"):
            if subprocess.run(["sh", "-c", "command -v " + tool],
                              capture_output=True).returncode != 0:
                raise RuntimeError("%s is missing: these tests need "
                                   "util-linux and iproute2" % tool)
        self.holder = subprocess.Popen(["unshare", "-n", "sleep", "600"],
                                       stdin=subprocess.DEVNULL)
        lhtest.on_cleanup(self.close)
        mine = os.readlink("/proc/self/ns/net")

        def entered():
            try:
                return os.readlink("/proc/%d/ns/net" % self.holder.pid) \
                    != mine
            except OSError:
                return False
        if not wait_for(lambda: entered() or self.holder.poll() is not None,
                        timeout=10) or not entered():
            raise RuntimeError("unshare -n did not make a namespace (exit "
                               "%r): these tests need root or user "
                               "namespaces" % self.holder.poll())
        self.ip("link", "set", "lo", "up")

    def argv(self, argv):
        return ["nsenter", "-t", str(self.holder.pid), "-n", "--"] + \
            list(argv)

    def run(self, *argv, timeout=30):
        return subprocess.run(self.argv(argv), capture_output=True,
                              text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def ip(self, *args):
        p = self.run("ip", *args)
        if p.returncode != 0:
            raise RuntimeError("ip %s: %s" % (" ".join(args), p.stderr))

    def cut(self):
        self.ip("link", "set", "lo", "down")

    def restore(self):
        self.ip("link", "set", "lo", "up")

    def serve(self, routes):
        """An lhserver inside the namespace; its port."""
        folder = lhtest.tmpdir()
        rpath = os.path.join(folder, "routes.json")
        ppath = os.path.join(folder, "port")
        with open(rpath, "w") as f:
            json.dump(routes, f)
        proc = subprocess.Popen(
            self.argv([sys.executable, SERVER, "--routes", rpath,
                       "--port-file", ppath, "--max-seconds", "600"]),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=lhtest.clean_env())

        def stop():
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
        lhtest.on_cleanup(stop)

        def port():
            try:
                with open(ppath) as f:
                    return int(f.read().strip() or 0)
            except (OSError, ValueError):
                return 0
        p = wait_for(lambda: port() or proc.poll() is not None, timeout=30)
        if not port():
            raise RuntimeError("lhserver in the namespace did not start "
                               "(exit %r)" % proc.poll())
        return port()

    def close(self):
        if self.holder.poll() is None:
            self.holder.kill()
            self.holder.wait(10)


def once_in(ns, urls, **cfg):
    """linkhealthd --once inside ns: (returncode, stderr, status, stdout)."""
    conf = dict(FAST)
    conf.update(cfg)
    conf["directory"] = lhtest.write_list_directory(urls)
    folder = lhtest.tmpdir()
    path = lhtest.write_config(conf, folder)
    status = os.path.join(folder, "status.json")
    p = subprocess.run(ns.argv(lhtest.wrapper() + [
        lhtest.binary(), "--once", "-c", path, "-o", status]),
        capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL, env=lhtest.clean_env())
    try:
        with open(status) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        doc = None
    return p.returncode, p.stderr, doc, p.stdout


def by_url(doc):
    return {l["url"]: l for l in (doc or {}).get("links", [])}


# --- item 1: inconclusive cycles -------------------------------------------

@test(deadline=240)
def network_cut_changes_no_state():
    ns = Netns()
    port = ns.serve({"/ok": 200, "/gone": 404})
    urls = ["http://127.0.0.1:%d/ok" % port,
            "http://127.0.0.1:%d/gone" % port,
            "http://127.0.0.1:%d/ok?second" % port]
    folder = lhtest.tmpdir()
    conf = dict(FAST, interval="1h", jitter="0s", fail_threshold=1,
                directory=lhtest.write_list_directory(urls),
                metrics_file=os.path.join(folder, "metrics.prom"))
    conf_path = lhtest.write_config(conf, folder)
    status_path = os.path.join(folder, "status.json")
    log_path = os.path.join(folder, "daemon.log")
    log = open(log_path, "w+")
    proc = subprocess.Popen(ns.argv(lhtest.wrapper() + [
        lhtest.binary(), "-f", "-c", conf_path, "-o", status_path]),
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        env=lhtest.clean_env())

    def stop():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        log.close()
    lhtest.on_cleanup(stop)

    def status():
        try:
            with open(status_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def cycle(n):
        """Wait for the status of cycle n; None if it never came."""
        def got():
            s = status()
            if s and s["cycle"]["number"] >= n:
                return s
            return proc.poll() is not None and "exited"
        s = wait_for(got, timeout=60, what="status of cycle %d" % n)
        return s if isinstance(s, dict) else None

    def next_cycle(n):
        # The daemon ignores SIGUSR1 while a cycle runs; the previous
        # status is written at the end of its cycle, so it is idle now.
        proc.send_signal(signal.SIGUSR1)
        return cycle(n)

    def output():
        with open(log_path, errors="replace") as f:
            return f.read()

    def metric(value, what):
        def lines():
            try:
                with open(conf["metrics_file"]) as f:
                    return f.read().splitlines()
            except OSError:
                return []
        wait_for(lambda: "linkhealthd_cycle_inconclusive " + value in lines(),
                 timeout=30, what=what)

    good = cycle(1) and next_cycle(2)
    if not good:
        fail("no two good cycles; log: %s" % output()[-800:])
        return
    check_eq(None, good["cycle"]["inconclusive"], "cycle 2 is conclusive")
    before = by_url(good)
    check_eq(["ok", "stale", "ok"], [before[u]["state"] for u in urls],
             "states before the cut")

    ns.cut()
    for n in (3, 4, 5):
        s = next_cycle(n)
        if s is None:
            fail("no status for cycle %d; log: %s" % (n, output()[-800:]))
            return
        reason = s["cycle"]["inconclusive"]
        # (With lo down, connections to 127.0.0.1 time out.)
        check(reason and "no server answered any check" in reason,
              "cycle %d: cycle.inconclusive names the cause (%r)"
              % (n, reason))
        now = by_url(s)
        for u in urls:
            # The last check's result too: put aside while the cycle is
            # judged, and given back (lib/scheduler.c).
            for key in ("state", "verdict", "reason", "checked_at", "since",
                        "history", "failure", "http_status", "final_url",
                        "method", "response_ms", "timings"):
                check_eq(before[u][key], now[u][key],
                         "cycle %d, %s: %s kept" % (n, u, key))
        # The metrics file is written just after the status file.
        metric("1", "cycle %d: the metric says inconclusive" % n)

    ns.restore()
    s = next_cycle(6)
    if s is None:
        fail("no status after the network came back; log: %s"
             % output()[-800:])
        return
    check_eq(None, s["cycle"]["inconclusive"], "cycle 6 is conclusive")
    after = by_url(s)
    check_eq(["ok", "stale", "ok"], [after[u]["state"] for u in urls],
             "states after the cut")
    for u in urls:
        check(after[u]["checked_at"] >= before[u]["checked_at"],
              "%s checked again" % u)
        check_eq(before[u]["since"], after[u]["since"], "%s since" % u)
    metric("0", "the metric after the cut")

    lines = output().splitlines()
    warned = [l for l in lines if "checks inconclusive:" in l]
    check_eq(1, len(warned), "one \"checks inconclusive\" warning (%s)"
             % warned)
    check_eq(1, sum("checks conclusive again" in l for l in lines),
             "one recovery notice")
    # A state change is logged "old -> new"; the first verdicts come from
    # unknown.
    changes = [l for l in lines if " -> " in l and "unknown -> " not in l]
    check_eq([], changes, "state changes")
    cycles = [l for l in lines if " inconclusive, every link keeps its "
              "state" in l]
    check_eq(3, len(cycles), "cycle summaries that say inconclusive")


@test(deadline=120)
def once_with_the_network_cut_exits_3():
    ns = Netns()
    port = ns.serve({"/ok": 200})
    ns.cut()
    urls = ["http://127.0.0.1:%d/ok" % port, "http://127.0.0.1:%d/b" % port]
    rc, err, doc, out = once_in(ns, urls)
    check_eq(3, rc, "exit status (stderr: %s)" % err[-400:])
    check(out.startswith("NO VERDICTS: checks inconclusive: "),
          "the report says so first: %r" % out[:200])
    check("checks inconclusive: " in err and
          "no server answered any check" in err,
          "the reason on standard error: %r" % err[-400:])
    check(doc and doc["cycle"]["inconclusive"],
          "cycle.inconclusive in the status file")
    for l in (doc or {}).get("links", []):
        check_eq("unknown", l.get("state"), "%s: state" % l.get("url"))
        check_eq(None, l.get("verdict"), "%s: no verdict" % l.get("url"))


@test(deadline=120)
def a_dead_host_among_live_ones_is_dead():
    srv = serve({"/ok": 200})
    # A port with nothing listening: refused.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = s.getsockname()[1]
    s.close()
    urls = [srv.url("/ok"), srv.url("/ok?2"),
            "http://127.0.0.1:%d/" % dead, "https://gone.invalid/"]
    r = once(urls)
    check_eq(1, r.returncode, "exit status (stderr: %s)" % r.stderr[-300:])
    check_eq(None, (r.status or {}).get("cycle", {}).get("inconclusive"),
             "the cycle is conclusive")
    l = r.link("http://127.0.0.1:%d/" % dead) or {}
    check_eq("unreachable", l.get("state"), "the dead port")
    check_eq("refused", l.get("failure"), "its failure")
    l = r.link("https://gone.invalid/") or {}
    check_eq("unreachable", l.get("state"), "the .invalid name")
    check_eq("ok", (r.link(srv.url("/ok")) or {}).get("state"), "a live one")
    check("inconclusive" not in r.stderr, "no inconclusive warning (%r)"
          % r.stderr[-300:])


@test(deadline=120)
def only_refusals_is_conclusive():
    # A refusal is a server's answer (a TCP reset): a cycle of nothing but
    # dead ports is a cycle of dead links, not of a dead network.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = s.getsockname()[1]
    s.close()
    r = once(["http://127.0.0.1:%d/" % dead])
    check_eq(1, r.returncode, "exit status (stderr: %s)" % r.stderr[-300:])
    check_eq("refused", (r.link("http://127.0.0.1:%d/" % dead) or {})
             .get("failure"), "failure")


@test(deadline=120)
def a_name_no_dns_server_can_look_up_is_no_verdict():
    # Inside a namespace, with a DNS server where none listens: the
    # lookup of a named link is the monitor's own failure, never "no such
    # host"; a link that answered keeps the cycle conclusive.
    ns = Netns()
    port = ns.serve({"/ok": 200})
    live = "http://127.0.0.1:%d/ok" % port
    named = "http://probe.test:%d/ok" % port
    nowhere = {"dns_servers": "127.0.0.1:9"}
    rc, err, doc, _ = once_in(ns, [live, named], **nowhere)
    links = by_url(doc)
    check_eq(1, rc, "exit status: one link has no verdict (stderr: %s)"
             % err[-400:])
    check_eq("ok", links.get(live, {}).get("state"), "the IP link")
    l = links.get(named, {})
    check_eq("unknown", l.get("state"), "the named link has no verdict")
    check_eq(None, l.get("verdict"), "no verdict recorded")
    check("no DNS server answers" in (l.get("inconclusive") or ""),
          "its inconclusive field says why: %r" % l.get("inconclusive"))
    check("no such host" not in json.dumps(l), "never \"no such host\"")
    check("no verdict, inconclusive" in err,
          "a warning on standard error: %r" % err[-400:])
    check_eq(None, (doc or {}).get("cycle", {}).get("inconclusive"),
             "the cycle is conclusive")

    # Every check failing that way: the cycle is inconclusive.
    rc, err, doc, _ = once_in(ns, [named, "http://other.test:%d/" % port],
                              **nowhere)
    check_eq(3, rc, "exit status when every check failed locally "
             "(stderr: %s)" % err[-400:])
    check("checks inconclusive: no DNS server answers" in err,
          "the reason: %r" % err[-400:])


# --- item 4: true names ------------------------------------------------------

@test
def headers_forever_is_a_timeout():
    srv = serve({"/h": {"action": "drip", "header_bytes": 1000000,
                        "interval": 0.01}})
    r = once([srv.url("/h")])
    l = r.link(srv.url("/h")) or {}
    check_eq("unreachable", l.get("state"), "state (reason %r)"
             % l.get("reason"))
    check_eq("timeout-headers", l.get("failure"), "failure")
    check(str(l.get("reason", "")).startswith("timeout: headers unfinished"),
          "reason: %r" % l.get("reason"))
    check_eq(None, l.get("http_status"), "no status kept")


@test
def a_100k_header_is_oversized():
    srv = serve({"/big": {"status": 200,
                          "headers": {"X-Big": "a" * (100 * 1024)}}})
    r = once([srv.url("/big")])
    l = r.link(srv.url("/big")) or {}
    check_eq("error", l.get("state"), "state (reason %r)" % l.get("reason"))
    check_eq("header-too-big", l.get("failure"), "failure")
    check(str(l.get("reason", "")).startswith("response header too big"),
          "reason: %r" % l.get("reason"))


@test
def a_certificate_not_yet_valid():
    srv = serve({"/": 200}, tls=lhtest.cert("future"))
    url = srv.url("/", "site.lh.test")
    r = once([url], resolve=srv.resolve("site.lh.test"),
             ca_file=lhtest.ca_file())
    l = r.link(url) or {}
    check_eq("unreachable", l.get("state"), "state")
    check_eq("tls-not-yet-valid", l.get("failure"), "failure")
    check_eq("TLS: certificate not yet valid", l.get("reason"), "reason")


@test(deadline=120)
def no_route_is_not_refused():
    ns = Netns()
    port = ns.serve({"/ok": 200})
    # 10.9.9.9: a route that says unreachable (EHOSTUNREACH); 10.8.8.8: no
    # route at all (ENETUNREACH).  Both inside the namespace only.
    ns.ip("route", "add", "unreachable", "10.9.9.9")
    live = "http://127.0.0.1:%d/ok" % port
    host = "http://10.9.9.9:%d/" % port
    net = "http://10.8.8.8:%d/" % port
    rc, err, doc, _ = once_in(ns, [live, host, net])
    links = by_url(doc)
    check_eq(1, rc, "exit status (stderr: %s)" % err[-300:])
    check_eq("ok", links.get(live, {}).get("state"), "the live link")
    for url, reason in ((host, "no route to host"),
                        (net, "network unreachable")):
        l = links.get(url, {})
        check_eq("unreachable", l.get("state"), "%s: state" % url)
        check_eq("no-route", l.get("failure"), "%s: failure" % url)
        check_eq(reason, l.get("reason"), "%s: reason" % url)


if __name__ == "__main__":
    lhtest.main()
