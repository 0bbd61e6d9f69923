"""Notifications: webhooks (json, slack, discord), one POST per cycle that
changed something, retries, the queue across a restart, inconclusive
cycles and their recovery; and the on_change program (its input, its
environment, its time limit).  The receiver is a local HTTP server that
records every body; the json ones are checked against
doc/notice.schema.json."""

import http.server
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time

import lhtest
from lhtest import (Daemon, check, check_eq, check_in, fail, serve, test,
                    wait_for)

sys.path.insert(0, lhtest.SERVER_DIR)
import dnsserver  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "..", "doc", "notice.schema.json")

BASE = {"interval": "1s", "jitter": 0, "timeout": "3s",
        "connect_timeout": "2s", "retries": 0, "fail_threshold": 1,
        "retry_interval": 0, "content_checks": "no"}


def validator():
    import jsonschema
    with open(SCHEMA) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def check_schema(doc, what):
    errors = sorted(validator().iter_errors(doc), key=str)
    check_eq([], [e.message for e in errors][:3],
             "%s: schema errors" % what)


class Receiver:
    """A webhook on 127.0.0.1: records each POST's body, then answers as
    the next of modes says (the last one repeats): an HTTP status, or
    "hang" (never answers while the test runs)."""

    def __init__(self, modes=(200,), port=0):
        self.modes = list(modes)
        self.bodies = []
        self.answered = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                with outer.lock:
                    i = len(outer.bodies)
                    outer.bodies.append(body)
                    mode = outer.modes[min(i, len(outer.modes) - 1)]
                if mode == "hang":
                    outer.release.wait(60)
                    return
                self.send_response(mode)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with outer.lock:
                    outer.answered.append((mode, body))

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                                   Handler)
        self.srv.daemon_threads = True
        self.port = self.srv.server_address[1]
        self.thread = threading.Thread(target=self.srv.serve_forever,
                                       daemon=True)
        self.thread.start()
        lhtest.on_cleanup(self.stop)

    def url(self, path="/hook/secret-token"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def delivered(self):
        """The bodies answered with a 2xx, parsed."""
        with self.lock:
            return [json.loads(b) for s, b in self.answered
                    if 200 <= s < 300]

    def all(self):
        with self.lock:
            return [json.loads(b) for b in self.bodies]

    def stop(self):
        self.release.set()
        if self.srv is not None:
            self.srv.shutdown()
            self.srv.server_close()
            self.srv = None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def site():
    """Links that are ok in cycle 1 and gone (404: stale) from cycle 2 on,
    and one that stays ok."""
    srv = serve({"/bad": {"prefix": True, "sequence": [{"status": 200},
                                                       {"status": 404}]},
                 "/good": {"status": 200, "prefix": True}})
    return srv


def cycle_at_least(n):
    return lambda s: s.get("cycle", {}).get("number", 0) >= n


def gone(pid):
    """pid has ended: no such process, or a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] in ("Z", "X")
    except OSError:
        return True


def conf(directory, **kw):
    c = dict(BASE)
    c["directory"] = directory
    c.update(kw)
    return c


@test(deadline=90)
def one_json_post_per_cycle_with_every_transition():
    srv = site()
    rcv = Receiver()
    urls = [(srv.url("/bad/1"), "Alpha"), (srv.url("/bad/2"), "Beta"),
            (srv.url("/good"), "Gamma")]
    d = Daemon(conf(lhtest.write_list_directory(urls),
                    webhook=rcv.url()))
    wait_for(lambda: rcv.delivered(), timeout=30, what="a notification")
    s = d.wait_status(cycle_at_least(5))
    check(s is not None, "five cycles")
    got = rcv.all()
    # Cycle 1: every first verdict good, nothing sent; cycle 2: both links
    # went bad at once: one POST; cycles 3 to 5: no change, nothing.
    check_eq(1, len(got), "POSTs (one per cycle that changed something)")
    if not got:
        return
    doc = got[0]
    check_schema(doc, "the json body")
    check_eq(2, doc.get("cycle"), "its cycle")
    check_eq([(srv.url("/bad/1"), "Alpha", "ok", "stale"),
              (srv.url("/bad/2"), "Beta", "ok", "stale")],
             [(t["url"], t["organization"], t["from"], t["to"])
              for t in doc.get("transitions", [])], "transitions")
    for t in doc.get("transitions", []):
        check_in("404", t.get("reason") or "", "reason")
        check(t.get("fix"), "a fix for %s" % t["url"])
    check_eq({"links": 3, "ok": 1, "stale": 2}, {k: v for k, v in
             doc.get("summary", {}).items() if v}, "summary")
    check_eq(None, doc.get("inconclusive"), "inconclusive")
    out = d.output()
    check("secret-token" not in out, "the webhook's path stays out of the "
          "log")
    d.check_stop()


@test(deadline=90)
def chat_formats_cap_the_list():
    for fmt, key, limit in (("slack", "text", 40000),
                            ("discord", "content", 2000)):
        srv = site()
        urls = [(srv.url("/bad/%d" % i), "Org <!channel> %d @everyone" % i)
                for i in range(60)]
        path = lhtest.write_list_directory(urls)
        rcv = Receiver()
        d = Daemon(conf(path, webhook=rcv.url(), webhook_format=fmt,
                        concurrency=16))
        wait_for(lambda: rcv.delivered(), timeout=40,
                 what="a %s notification" % fmt)
        d.check_stop()
        got = rcv.all()
        check_eq(1, len(got), "%s: POSTs" % fmt)
        if not got:
            continue
        body = got[0]
        text = body.get(key, "")
        check(isinstance(text, str) and text, "%s: %r holds the message"
              % (fmt, key))
        check(len(text) <= limit, "%s: %d characters, at most %d"
              % (fmt, len(text), limit))
        check_in("60 links changed state", text, fmt)
        check_in("ok -> stale", text, fmt)
        lines = [l for l in text.splitlines() if l.startswith("- ")]
        check(0 < len(lines) <= 50, "%s: %d transitions listed, at most 50"
              % (fmt, len(lines)))
        check_in("and %d more" % (60 - len(lines)), text, fmt)
        if fmt == "slack":
            check("<!channel>" not in text and "&lt;!channel&gt;" in text,
                  "slack: a name's <!channel> is text, not a mention")
            check_eq(["text"], sorted(body), "slack: the body's keys")
        else:
            check_eq({"parse": []}, body.get("allowed_mentions"),
                     "discord: no mention parsed")


@test(deadline=90)
def failing_webhook_is_retried_and_logged_once():
    srv = site()
    rcv = Receiver(modes=(500, 500, 500, 200))
    d = Daemon(conf(lhtest.write_list_directory([srv.url("/bad/1")]),
                    webhook=rcv.url()))
    wait_for(lambda: rcv.delivered(), timeout=40, what="a delivery")
    d.wait_log("delivered again")
    got = rcv.all()
    check_eq(4, len(got), "three failed tries and one good")
    check_eq(1, len({g["id"] for g in got}), "the same notification each "
             "time")
    out = d.output()
    check_eq(1, out.count("HTTP 500"), "the failure is logged once")
    check_eq(1, out.count("delivered again"), "the recovery once")
    d.check_stop()
    outbox = d.status_path + ".outbox"
    with open(outbox) as f:
        check_eq([], json.load(f)["pending"], "nothing left in the outbox")


@test(deadline=90)
def hanging_webhook_times_out_and_is_retried():
    srv = site()
    rcv = Receiver(modes=("hang", 200))
    d = Daemon(conf(lhtest.write_list_directory([srv.url("/bad/1")]),
                    webhook=rcv.url(), webhook_timeout="1s"))
    wait_for(lambda: rcv.delivered(), timeout=40, what="a delivery")
    got = rcv.all()
    # The hung delivery reached the receiver: a receiver that drops
    # duplicates by id (doc/notice.schema.json) sees one.
    check_eq(2, len(got), "the hung try and the retry")
    check_eq(1, len({g["id"] for g in got}), "one id")
    check_in("timed out", d.output(), "the timeout is logged")
    s = d.wait_status(cycle_at_least(d.status()["cycle"]["number"] + 1))
    check(s is not None, "cycles went on")
    d.check_stop()


@test(deadline=120)
def undelivered_notifications_survive_a_restart():
    srv = site()
    port = free_port()
    hook = "http://127.0.0.1:%d/hook" % port
    directory = lhtest.write_list_directory([srv.url("/bad/1"),
                                             srv.url("/good")])
    status = os.path.join(lhtest.tmpdir(), "status.json")
    d = Daemon(conf(directory, webhook=hook), status_path=status)
    d.wait_log("the notification is kept and retried")
    d.check_stop()
    with open(status + ".outbox") as f:
        pending = json.load(f)["pending"]
    check_eq(1, len(pending), "one notification waits in the outbox")
    if pending:
        check_schema(pending[0]["notice"], "the queued document")
        check("/hook" not in json.dumps(pending[0]["owed"]),
              "the queue names the webhook by a hash, not its URL")
    rcv = Receiver(port=port)
    d2 = Daemon(conf(directory, webhook=hook, interval="1h"),
                status_path=status)
    wait_for(lambda: rcv.delivered(), timeout=30, what="the delivery")
    d2.wait_status(lambda s: os.path.exists(status + ".outbox") and
                   json.load(open(status + ".outbox"))["pending"] == [])
    time.sleep(1.5)
    got = rcv.all()
    check_eq(1, len(got), "delivered once after the restart")
    if got and pending:
        check_eq(pending[0]["notice"]["id"], got[0]["id"],
                 "the one from before the restart")
    d2.check_stop()


def fnv1a(text):
    h = 14695981039346656037
    for b in text.encode():
        h = ((h ^ b) * 1099511628211) % (1 << 64)
    return "%016x" % h


def notice(n):
    return {"version": 1, "id": "1-%d" % n, "cycle": n,
            "started_at": "2026-12-01T00:00:00Z",
            "generated_at": "2026-12-01T00:00:01Z", "source": "d.txt",
            "inconclusive": None, "conclusive_again": False,
            "summary": {"links": 0, "ok": 0, "moved": 0, "stale": 0,
                        "blocked": 0, "error": 0, "unreachable": 0,
                        "unknown": 0},
            "transitions": [], "omitted": 0}


@test(deadline=90)
def a_full_outbox_drops_the_oldest_and_says_so():
    srv = site()
    hook = "http://127.0.0.1:%d/hook" % free_port()     # down
    status = os.path.join(lhtest.tmpdir(), "status.json")
    check_schema(notice(1), "the test's own notice")
    with open(status + ".outbox", "w") as f:
        json.dump({"version": 1, "dropped": 0, "pending": [
            {"owed": [fnv1a(hook)], "notice": notice(n)}
            for n in range(1, 33)]}, f)
    d = Daemon(conf(lhtest.write_list_directory([srv.url("/bad/1")]),
                    webhook=hook), status_path=status)
    d.wait_log("32 undelivered notifications")
    d.wait_log("the 1 oldest dropped (1 in all)")
    d.check_stop()
    with open(status + ".outbox") as f:
        box = json.load(f)
    check_eq(1, box["dropped"], "dropped, counted in the file")
    ids = [p["notice"]["id"] for p in box["pending"]]
    check_eq(32, len(ids), "still 32 waiting")
    check_eq("1-2", ids[0] if ids else None, "the oldest went")
    check_eq(2, box["pending"][-1]["notice"]["cycle"] if ids else None,
             "the newest is cycle 2's")


@test(deadline=60)
def an_unusable_outbox_is_set_aside():
    srv = site()
    rcv = Receiver()
    status = os.path.join(lhtest.tmpdir(), "status.json")
    with open(status + ".outbox", "w") as f:
        f.write("{not json")
    d = Daemon(conf(lhtest.write_list_directory([srv.url("/bad/1")]),
                    webhook=rcv.url()), status_path=status)
    d.wait_log("not a linkhealthd notification queue")
    wait_for(lambda: rcv.delivered(), timeout=30, what="a delivery")
    aside = [n for n in os.listdir(os.path.dirname(status))
             if n.startswith("status.json.outbox.unusable-")]
    check_eq(1, len(aside), "set aside, not deleted")
    d.check_stop()


@test(deadline=120)
def inconclusive_cycle_and_its_recovery_are_sent():
    web = serve({"/": 200})
    names = dnsserver.DnsServer({"www.lh.test": {"a": ["127.0.0.1"]}})
    lhtest.on_cleanup(names.stop)
    rcv = Receiver()
    url = web.url("/", host="www.lh.test")
    dead = "127.0.0.1:%d" % dnsserver.closed_udp_port()
    c = conf(lhtest.write_list_directory([url]), webhook=rcv.url(),
             dns_servers=dead, interval="1h")
    d = Daemon(c)
    wait_for(lambda: rcv.delivered(), timeout=30, what="a notification")
    first = rcv.all()[0]
    check_schema(first, "inconclusive")
    check_in("no DNS server answers", first.get("inconclusive") or "",
             "inconclusive names the cause")
    check_eq([], first.get("transitions"), "no transition")
    # The same again: said once, not every cycle.
    d.proc.send_signal(signal.SIGUSR1)
    d.wait_status(cycle_at_least(2))
    lhtest.write_config(dict(c, dns_servers=names.address),
                        os.path.dirname(d.conf_path))
    d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: len(rcv.delivered()) >= 2, timeout=30,
             what="the recovery")
    got = rcv.all()
    check_eq(2, len(got), "two POSTs: inconclusive, conclusive again")
    if len(got) >= 2:
        check_schema(got[1], "recovery")
        check_eq(True, got[1].get("conclusive_again"), "conclusive_again")
        check_eq(None, got[1].get("inconclusive"), "inconclusive")
    d.check_stop()


@test(deadline=60)
def the_private_address_guard_is_not_for_webhooks():
    srv = serve({"/": 200})
    rcv = Receiver()
    d = Daemon(conf(lhtest.write_list_directory([srv.url("/inside")]),
                    webhook=rcv.url(), allow_private="no"))
    wait_for(lambda: rcv.delivered(), timeout=30, what="a delivery")
    got = rcv.delivered()
    if got:
        t = got[0]["transitions"]
        # Control: the same guard refused the link, on the same address.
        check_eq(1, len(t), "one transition")
        check_in("private address", (t or [{}])[0].get("reason") or "",
                 "the link itself was refused")
    check_eq(0, len(srv.requests()), "the link's server was not asked")
    d.check_stop()


@test(deadline=60)
def webhooks_go_through_the_monitors_engine():
    # One engine (one curl multi handle) serves the directory download,
    # the checks and the webhooks: the POST goes on the connection the
    # download left open to the same server (the server counts them), not
    # on one of an engine of its own.  Control: when the download's answer
    # closes its connection, the POST opens one, and that is seen.
    for keep in (True, False):
        links = serve({"/gone": 404})
        dsrv = serve({"/d.txt": {"body": "%s Alpha\n" % links.url("/gone"),
                                 "keep_alive": keep},
                      "/hook": 200})
        d = Daemon(conf(dsrv.url("/d.txt"), webhook=dsrv.url("/hook")))
        wait_for(lambda: any(q["path"] == "/hook" for q in dsrv.requests()),
                 timeout=30, what="the POST (keep_alive %s)" % keep)
        d.check_stop()
        reqs = dsrv.requests()
        got = [q["conn"] for q in reqs if q["path"] == "/d.txt"]
        post = [q["conn"] for q in reqs if q["path"] == "/hook"]
        if not got or not post:
            fail("requests: %r" % [(q["method"], q["path"]) for q in reqs])
            continue
        if keep:
            check_eq(got[0], post[0], "the POST on the download's "
                     "connection (requests %r)" % reqs)
        else:
            check(post[0] not in got, "control: a closed connection is "
                  "not reused (requests %r)" % reqs)


@test(deadline=90)
def a_hanging_webhook_holds_up_no_check():
    # One check at a time, and a POST that hangs for the whole test: the
    # engine has room for it beside the checks, which go on, cycle after
    # cycle, with their verdicts.  (Were the POST to take the checks'
    # connection, they would wait for it and time out.)
    srv = serve({"/ok": 200, "/gone": 404})
    rcv = Receiver(("hang",))
    d = Daemon(conf(lhtest.write_list_directory([srv.url("/ok"),
                                                 srv.url("/gone")]),
                    webhook=rcv.url(), webhook_timeout="60s",
                    concurrency=1, per_host_concurrency=1))
    wait_for(lambda: rcv.all(), timeout=30, what="the POST")
    s = d.wait_status(cycle_at_least(4), timeout=30)
    check(s is not None, "four cycles")
    check_eq({srv.url("/ok"): "ok", srv.url("/gone"): "stale"},
             {l["url"]: l["state"] for l in (s or {}).get("links", [])},
             "the verdicts while the POST hangs")
    check_eq(None, ((s or {}).get("cycle") or {}).get("inconclusive"),
             "the cycle is conclusive")
    check_eq(1, len(rcv.all()), "one POST, still in flight")
    d.check_stop()


def only_the_post_reaches(srv, d):
    """Wait for the webhook's POST to srv and for four cycles of d, stop
    d: srv, the webhook's server, was asked nothing but the POST."""
    wait_for(lambda: any(q["path"] == "/hook" for q in srv.requests()),
             timeout=30, what="the POST")
    check(d.wait_status(cycle_at_least(4)) is not None, "four cycles")
    d.check_stop()
    paths = [q["path"] for q in srv.requests()]
    check_eq([], [p for p in paths if p != "/hook"], "requests to the "
             "webhook's server but the POST (all: %r)" % paths)


@test(deadline=60)
def a_webhooks_connection_takes_no_check_past_the_guard():
    # The webhook lives on a private address the guard refuses for links
    # (allow_private = no), and its POST leaves a kept-alive connection
    # there.  A link to that same server, checked in the next cycles,
    # must not ride on it: each request of a server not yet answered in
    # the cycle connects afresh, through the guard.
    srv = serve({"/hook": 200, "/inside": 200})
    d = Daemon(conf(lhtest.write_list_directory([srv.url("/inside")]),
                    webhook=srv.url("/hook"), allow_private="no"))
    only_the_post_reaches(srv, d)
    # Control: the link was checked, and refused, in every cycle.
    link = ((d.status() or {}).get("links") or [{}])[0]
    check_in("private address", link.get("reason") or "", "its reason")


@test(deadline=60)
def a_webhooks_connection_takes_no_redirect_past_the_guard():
    # The same webhook, and links on 127.0.0.2, which allow_networks lets
    # through.  That server sends every path but the page's to the
    # webhook's server; the content check's probe (a random path) follows
    # the redirect, where curl reuses any connection it holds, FRESH_CONNECT
    # or not (the webhook's is at most a second and a bit old when the next
    # cycle's probe goes: check.c's conn_lifetime lets it through).  The
    # guard still judges the address the request goes to.
    # Control: the probe is asked every cycle, and the link's own
    # redirect to the same place is refused by the guard too.
    hook = serve({"/hook": 200, "/inside": 200})
    page = "<html><head><title>Alpha</title></head><body>%s</body></html>"
    links = serve({"/page": {"body": page % ("Alpha " * 200),
                             "headers": {"Content-Type": "text/html"}},
                   "/": {"prefix": True, "redirect": {
                       "status": 302, "location": hook.url("/inside")}}},
                  bind="127.0.0.2")
    d = Daemon(conf(lhtest.write_list_directory([links.url("/page"),
                                                 links.url("/old")]),
                    webhook=hook.url("/hook"), allow_private="no",
                    allow_networks="127.0.0.2/32", content_checks="yes",
                    content_interval=0))
    only_the_post_reaches(hook, d)
    probes = [q for q in links.requests() if "-linkhealthd-probe" in q["path"]]
    check(len(probes) >= 3, "a probe in each cycle: %r" % probes)
    old = [l for l in ((d.status() or {}).get("links") or [])
           if l.get("url") == links.url("/old")]
    check_in("private address", ((old or [{}])[0].get("reason") or ""),
             "the redirected link's reason")


def script(text):
    path = os.path.join(lhtest.tmpdir(), "hook.sh")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + text)
    os.chmod(path, stat.S_IRWXU)
    return path


def on_change_daemon(body, timeout, paths=("/bad/1",)):
    """A daemon checking paths of a fresh site, whose on_change runs the
    shell body ({o} in it: a fresh folder) with on_change_timeout.
    Returns the site, the daemon and the folder."""
    srv = site()
    out = lhtest.tmpdir()
    prog = script(body.format(o=out))
    d = Daemon(conf(lhtest.write_list_directory([srv.url(p) for p in paths]),
                    on_change=prog, on_change_timeout=timeout))
    return srv, d, out


@test(deadline=90)
def on_change_gets_the_document_and_environment():
    srv, d, out = on_change_daemon(
        'cat > "{o}/stdin.$$"\nenv > "{o}/env.$$"\nexit 3\n', "10s",
        ("/bad/1", "/good"))
    d.wait_log("exit status 3")
    s = d.wait_status(cycle_at_least(d.status()["cycle"]["number"] + 2))
    check(s is not None, "cycles went on")
    files = sorted(os.listdir(out))
    check_eq(2, len(files), "one run: its input and environment")
    stdin = [f for f in files if f.startswith("stdin.")]
    envf = [f for f in files if f.startswith("env.")]
    if not stdin or not envf:
        return
    with open(os.path.join(out, stdin[0])) as f:
        doc = json.load(f)
    check_schema(doc, "on_change's input")
    check_eq([srv.url("/bad/1")], [t["url"] for t in doc["transitions"]],
             "its transitions")
    with open(os.path.join(out, envf[0])) as f:
        env = dict(l.split("=", 1) for l in f.read().splitlines()
                   if "=" in l)
    for k, v in (("LINKHEALTHD_TRANSITIONS", "1"),
                 ("LINKHEALTHD_CYCLE", str(doc["cycle"])),
                 ("LINKHEALTHD_ID", doc["id"]), ("LINKHEALTHD_STALE", "1"),
                 ("LINKHEALTHD_OK", "1"), ("LINKHEALTHD_LINKS", "2"),
                 ("LINKHEALTHD_INCONCLUSIVE", ""),
                 ("LINKHEALTHD_SKIPPED", "0")):
        check_eq(v, env.get(k), k)
    check_eq(1, d.output().count("exit status 3"), "exit status logged")
    d.check_stop()


@test(deadline=90)
def on_change_that_hangs_is_killed():
    # It ignores SIGTERM, and so does the child it leaves behind.
    _, d, out = on_change_daemon("trap '' TERM\nsleep 300 &\n"
                                 "echo $! > {o}/child\n"
                                 "while :; do sleep 1; done\n", "1s")
    d.wait_log("(on_change_timeout): SIGTERM")
    d.wait_log("SIGKILL")
    d.wait_log("killed by signal 9")
    s = d.wait_status(cycle_at_least(d.status()["cycle"]["number"] + 2))
    check(s is not None, "cycles went on while it ran")
    with open(os.path.join(out, "child")) as f:
        child = int(f.read())

    check(wait_for(lambda: gone(child), timeout=10),
          "its child was killed with it")
    d.check_stop()


@test(deadline=90)
def a_stop_ends_a_running_on_change():
    # It reads its input to the end first: the daemon's end of the pipe
    # is closed by then, only the process is left to stop.
    _, d, out = on_change_daemon(
        "cat > /dev/null\necho $$ > {o}/pid\nsleep 300\n", "1h")
    pidfile = os.path.join(out, "pid")
    wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read(),
             timeout=30, what="the program's start")
    d.check_stop()
    pid = int(open(pidfile).read())

    check(wait_for(lambda: gone(pid), timeout=10), "the program got SIGTERM")


@test(deadline=90)
def on_change_inherits_no_connection():
    # The webhook's POST is in flight (its receiver hangs) when the
    # program starts: its socket must not be the program's.
    srv = site()
    rcv = Receiver(modes=("hang",))
    out = lhtest.tmpdir()
    prog = script('for f in /proc/$$/fd/*; do echo "${f##*/} '
                  '$(readlink "$f")"; done > "%s/fds.tmp"\n'
                  'mv "%s/fds.tmp" "%s/fds"\n' % (out, out, out))
    d = Daemon(conf(lhtest.write_list_directory([srv.url("/bad/1")]),
                    on_change=prog, webhook=rcv.url(),
                    webhook_timeout="30s"))
    fds = os.path.join(out, "fds")
    wait_for(lambda: os.path.exists(fds), timeout=30, what="the program")
    check_eq(1, len(rcv.all()), "the POST in flight")
    with open(fds) as f:
        fds = dict(l.split(" ", 1) for l in f.read().splitlines())
    # Its standard input is libuv's socket pair; nothing else may be one.
    check_in("socket:", fds.get("0", ""), "standard input")
    check_eq([], sorted(n for n, v in fds.items()
                        if "socket:" in v and n != "0"),
             "sockets the program inherited (%s)" % fds)
    d.check_stop()


@test(deadline=120)
def on_change_never_runs_twice_at_once():
    # Link k goes bad in cycle k + 1: a notification every cycle, each
    # second, for a program that takes 2.5 s.
    routes = {"/l%d" % k: {"sequence": [{"status": 200}] * k +
                           [{"status": 404}]} for k in range(1, 9)}
    srv = serve(routes)
    out = lhtest.tmpdir()
    prog = script('mkdir "{o}/lock" || echo overlap >> "{o}/overlap"\n'
                  'cat > /dev/null\n'
                  'echo "$LINKHEALTHD_CYCLE $LINKHEALTHD_SKIPPED" '
                  '>> "{o}/runs"\n'
                  'sleep 2.5\nrmdir "{o}/lock"\n'.format(o=out))
    d = Daemon(conf(lhtest.write_list_directory(
        [srv.url("/l%d" % k) for k in range(1, 9)]), on_change=prog))
    d.wait_status(cycle_at_least(10), timeout=60)
    d.wait_log("the next run waits")
    runs_path = os.path.join(out, "runs")

    def runs_so_far():
        try:
            with open(runs_path) as f:
                return [tuple(map(int, l.split()))
                        for l in f.read().splitlines()]
        except OSError:
            return []
    wait_for(lambda: (runs_so_far() or [(0,)])[-1][0] == 9 and
             not os.path.exists(os.path.join(out, "lock")), timeout=20)
    runs = runs_so_far()
    check(not os.path.exists(os.path.join(out, "overlap")),
          "never two runs at once")
    check(2 <= len(runs) < 8, "fewer runs than notifications: %s" % runs)
    check(any(skipped > 0 for _, skipped in runs),
          "LINKHEALTHD_SKIPPED counts the replaced ones: %s" % runs)
    check_eq(sorted(runs), runs, "runs in cycle order")
    # The last notification (cycle 9: link 8 went bad) is never skipped.
    check_eq(9, runs[-1][0] if runs else None, "the latest ran")
    d.check_stop()


@test(deadline=90)
def on_change_that_finishes_in_time_is_not_killed():
    _, d, out = on_change_daemon('cat > "{o}/ran.$$"\n', "5s")
    wait_for(lambda: os.listdir(out), timeout=30, what="a run")
    s = d.wait_status(cycle_at_least(d.status()["cycle"]["number"] + 2))
    check(s is not None, "cycles went on")
    log = d.output()
    for word in ("SIGTERM", "SIGKILL", "killed by signal", "exit status"):
        check(word not in log, "no %r in the log" % word)
    d.check_stop()


def check_config(config):
    path = lhtest.write_config(config)
    return subprocess.run([lhtest.binary(), "--check-config", "-c", path],
                          stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, env=lhtest.clean_env(), timeout=30)


@test
def bad_settings_are_refused_with_their_line():
    prog = script("exit 0\n")
    noexec = os.path.join(lhtest.tmpdir(), "noexec")
    with open(noexec, "w") as f:
        f.write("#!/bin/sh\n")
    directory = lhtest.write_list_directory(["http://127.0.0.1:9/"])
    cases = [({"on_change": "hook.sh"}, "not an absolute path"),
             ({"on_change": noexec}, "not executable"),
             ({"on_change": os.path.dirname(noexec)}, "not a regular file"),
             ({"webhook": "ftp://127.0.0.1/x"}, "not an http or https URL"),
             ({"webhook_format": "teams"}, "json, slack, discord")]
    for extra, why in cases:
        r = check_config(conf(directory, **extra))
        check(r.returncode not in (0, None), "%s: refused" % extra)
        check_in(why, r.stderr, "%s: the reason" % extra)
        check_in("linkhealthd.conf", r.stderr, "%s: the file" % extra)
    # Controls: the same keys with good values load.
    r = check_config(conf(directory, on_change=prog,
                          webhook="http://127.0.0.1:9/x",
                          webhook_format="discord"))
    check_eq(0, r.returncode, "good values (stderr: %s)" % r.stderr[-300:])


if __name__ == "__main__":
    lhtest.main()
