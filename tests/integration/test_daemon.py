"""The daemon: cycles on a timer, directory re-reads, hysteresis and
transitions in the log, persistence across restarts, signals."""

import calendar
import glob
import json
import os
import re
import signal
import time

import lhtest
from lhtest import Daemon, check, check_eq, check_in, serve, test

BASE = {"interval": "1s", "jitter": 0, "timeout": "3s",
        "connect_timeout": "2s", "retries": 0}


def config(directory, **kw):
    c = dict(BASE)
    c["directory"] = directory
    c.update(kw)
    return c


def cycle_at_least(n):
    return lambda s: s.get("cycle", {}).get("number", 0) >= n


def by_url(status):
    return {l["url"]: l for l in (status or {}).get("links", [])}


def iso_seconds(stamp):
    """Seconds since the epoch of a status file's "2026-11-23T10:46:40Z"."""
    return calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))


def lines_with(text, needle):
    return [l for l in text.splitlines() if needle in l]


@test(deadline=60)
def rereads_the_directory_each_cycle():
    srv = serve({"/": {"status": 200, "prefix": True}})
    path = lhtest.write_list_directory([(srv.url("/a"), "Alpha"),
                                        (srv.url("/b"), "Beta")])
    d = Daemon(config(path))
    s = d.wait_status(cycle_at_least(1))
    check_eq({srv.url("/a"), srv.url("/b")}, set(by_url(s)), "first links")
    with open(path, "w") as f:
        f.write("%s Alpha renamed\n%s Gamma\n" % (srv.url("/a"),
                                                  srv.url("/c")))
    s = d.wait_status(lambda s: srv.url("/c") in by_url(s))
    links = by_url(s)
    check_eq({srv.url("/a"), srv.url("/c")}, set(links), "links after edit")
    check_eq("Alpha renamed", links.get(srv.url("/a"), {}).get("name"),
             "edited name")
    d.wait_status(cycle_at_least(s["cycle"]["number"] + 2))
    out = d.output()
    check_eq(1, len(lines_with(out, "added: Gamma")), "added logged once")
    check_eq(1, len(lines_with(out, "removed: Beta")), "removed logged once")
    d.check_stop()


@test(deadline=60)
def broken_directory_keeps_the_last_good_one():
    srv = serve({"/": {"status": 200, "prefix": True}})
    path = lhtest.write_list_directory([srv.url("/a")])
    d = Daemon(config(path, directory_format="list"))
    s = d.wait_status(cycle_at_least(1))
    with open(path, "w") as f:
        f.write("# nothing but comments\n")
    s = d.wait_status(lambda s: s["directory"]["error"] is not None)
    check(s is not None, "the error shows in the status file")
    if s:
        check_in("no organizations found", s["directory"]["error"], "error")
        check_eq([srv.url("/a")], list(by_url(s)), "last good links kept")
    n = s["cycle"]["number"] if s else 0
    d.wait_status(cycle_at_least(n + 2))
    with open(path, "w") as f:
        f.write(srv.url("/a") + "\n" + srv.url("/b") + "\n")
    s = d.wait_status(lambda s: s["directory"]["error"] is None and
                      len(s["links"]) == 2)
    check(s is not None, "recovered with the fixed directory")
    out = d.output()
    check_eq(1, len(lines_with(out, "no organizations found")),
             "the error is logged once, not every cycle")
    check_eq(1, len(lines_with(out, "loaded again")), "recovery logged")
    d.check_stop()


@test(deadline=60)
def directory_url_is_fetched_with_conditional_requests():
    site = serve({"/": {"status": 200, "prefix": True}})
    listing = site.url("/ok") + " Remote org\n"
    dsrv = serve({"/dir.txt": {"sequence": [
        {"status": 200, "body": listing,
         "headers": {"ETag": '"v1"',
                     "Last-Modified": "Mon, 23 Nov 2026 08:00:00 GMT"}},
        {"status": 304}]}})
    d = Daemon(config(dsrv.url("/dir.txt"), directory_format="list"))
    s = d.wait_status(cycle_at_least(3))
    check_eq([site.url("/ok")], list(by_url(s)), "links from the URL")
    check_eq(None, (s or {}).get("directory", {}).get("error"), "no error")
    reqs = dsrv.requests()
    check(len(reqs) >= 2, "fetched every cycle")
    if len(reqs) >= 2:
        check_eq('"v1"', reqs[1]["headers"].get("if-none-match"),
                 "If-None-Match on the second fetch")
        check_eq("Mon, 23 Nov 2026 08:00:00 GMT",
                 reqs[1]["headers"].get("if-modified-since"),
                 "If-Modified-Since on the second fetch")
    d.check_stop()


@test(deadline=60)
def remote_directory_is_guarded_too():
    dsrv = serve({"/dir.txt": {"status": 200, "body": "http://x.test/\n"}})
    d = Daemon(config(dsrv.url("/dir.txt"), allow_private="no"))
    s = d.wait_status(cycle_at_least(1))
    check_in("refused: private address 127.0.0.1 (loopback)",
             ((s or {}).get("directory") or {}).get("error") or "",
             "directory error")
    check_eq(0, dsrv.stats(log=False)["connections"], "no connection made")
    d.check_stop()


@test(deadline=60)
def remote_directory_follows_connect_to():
    # Nothing listens on the directory URL's port: only connect_to (the
    # same override the checks use) takes the fetch to the server.
    site = serve({"/ok": 200})
    dsrv = serve({"/dir.txt": {"status": 200,
                               "body": site.url("/ok") + " Remote org\n"}})
    port = lhtest.closed_port()
    r = lhtest.run_once(dict(
        BASE, directory="http://127.0.0.1:%d/dir.txt" % port,
        directory_format="list",
        connect_to="127.0.0.1:%d:127.0.0.1:%d" % (port, dsrv.port)))
    check_eq(0, r.returncode, "exit code (stderr: %s)" % r.stderr[-300:])
    check_eq([site.url("/ok")], list(by_url(r.status)), "links from the URL")
    check_eq(["/dir.txt"], [q["path"] for q in dsrv.requests()],
             "one fetch, through connect_to")


@test(deadline=60)
def hysteresis_and_one_log_line_per_change():
    srv = serve({"/p": {"sequence": [404, 404, 404, 404, 200]}})
    url = srv.url("/p")
    path = lhtest.write_list_directory([(url, "Flaky Org")])
    # The sequence counts HEAD and its GET fallback: no page reading.
    d = Daemon(config(path, fail_threshold=2, content_checks="no"))
    s1 = d.wait_status(cycle_at_least(1))
    check_eq("unknown", by_url(s1).get(url, {}).get("state"),
             "one bad verdict is not yet a bad state")
    check_eq("stale", by_url(s1).get(url, {}).get("verdict"), "verdict")
    s2 = d.wait_status(cycle_at_least(2))
    check_eq("stale", by_url(s2).get(url, {}).get("state"),
             "two bad verdicts make it stale")
    check_eq(2, by_url(s2).get(url, {}).get("consecutive_failures"),
             "consecutive_failures")
    s3 = d.wait_status(cycle_at_least(3))
    check_eq("ok", by_url(s3).get(url, {}).get("state"), "recovered")
    d.wait_status(cycle_at_least(5))
    out = d.output()
    bad = lines_with(out, "-> stale")
    check_eq(1, len(bad), "one line when it goes bad")
    if bad:
        check_in("Flaky Org [] %s: unknown -> stale (" % url, bad[0],
                 "names organization, URL and states")
        check_in("404 Not Found)", bad[0], "and the reason")
    check_eq(1, len(lines_with(out, "stale -> ok")), "one recovery line")
    d.check_stop()


@test(deadline=60)
def journal_lines_carry_their_priority():
    # stderr is the journal (JOURNAL_STREAM matches it, as under systemd):
    # each line once, prefixed with its level as sd-daemon(3) says (<0> to
    # <7>: journald reads nothing else; the facility is the unit's), in
    # place of "linkhealthd: " and of a second copy through syslog.
    srv = serve({"/a": {"sequence": [200, 404, 404, 200]},
                 "/m": {"sequence": [200, {"redirect": {
                     "status": 301, "location": "/new"}}]},
                 "/new": 200, "/g": 404})
    a, m, g = srv.url("/a"), srv.url("/m"), srv.url("/g")
    path = lhtest.write_list_directory([(a, "Alpha"), (m, "Mu"),
                                        (g, "Gamma")])
    # The server's sequences count requests: pages are not read here.
    d = Daemon(config(path, fail_threshold=1, syslog_facility="local3",
                      content_checks="no"),
               journal=True)
    d.wait_status(cycle_at_least(3))
    with open(path, "w") as f:
        f.write("# nothing left\n")
    d.wait_status(lambda s: s["directory"]["error"] is not None)
    d.check_stop()
    lines = d.output().splitlines()

    def prio(needle):
        got = [l for l in lines if needle in l]
        if not check_eq(1, len(got), "one line with %r" % needle):
            return None
        pri = got[0][1:got[0].index(">")] if got[0].startswith("<") else ""
        return int(pri) if pri.isdigit() else pri

    check_eq(syslog_prio("info"), prio("%s: unknown -> ok" % a),
             "a good first verdict: info")
    check_eq(syslog_prio("warning"), prio("%s: unknown -> stale" % g),
             "a bad first verdict (dead on day one): warning")
    check_eq(syslog_prio("warning"), prio("%s: ok -> stale" % a),
             "going bad: warning")
    check_eq(syslog_prio("notice"), prio("%s: stale -> ok" % a),
             "recovering: notice")
    check_eq(syslog_prio("notice"), prio("%s: ok -> moved" % m),
             "moving: notice")
    check_eq(syslog_prio("err"), prio("no organizations found"),
             "a directory error: err")
    check_eq(syslog_prio("info"), prio("cycle 1: 3 links"),
             "the cycle summary: info")
    other = [l for l in lines if not re.match(r"<[0-7]>[^<]", l)]
    check_eq([], other, "every line has a one-digit prefix (none "
             "\"linkhealthd: \", no facility)")


@test(deadline=60)
def foreground_lines_carry_their_level():
    # -f on a terminal (no journal): "linkhealthd: LEVEL: message", the
    # program's name once.
    srv = serve({"/g": 404})
    g = srv.url("/g")
    d = Daemon(config(lhtest.write_list_directory([(g, "Gamma")]),
                      fail_threshold=1))
    d.wait_status(cycle_at_least(1))
    d.check_stop()
    lines = d.output().splitlines()
    check(any(l.startswith("linkhealthd: info: version ") for l in lines),
          "the start line carries its level: %r" % lines[:2])
    check(any(l.startswith("linkhealthd: warning: ") and
              "%s: unknown -> stale" % g in l for l in lines),
          "a bad first verdict is a warning: %r" % lines)
    check_eq([], [l for l in lines if "linkhealthd: linkhealthd" in l],
             "no doubled prefix")
    check_eq([], [l for l in lines if not re.match(
        r"linkhealthd: (error|warning|notice|info|debug): ", l)],
        "every line has its level")


def syslog_prio(name):
    return ["emerg", "alert", "crit", "err", "warning", "notice", "info",
            "debug"].index(name)


@test(deadline=90)
def flapping_is_logged_once():
    srv = serve({"/f": {"sequence": [200, 404, 404, 200, 404, 404, 200, 404,
                                     404, 200, 404, 404, 200]}})
    url = srv.url("/f")
    d = Daemon(config(lhtest.write_list_directory([url]), fail_threshold=1))
    s = d.wait_status(lambda s: by_url(s).get(url, {}).get("flapping"),
                      timeout=40)
    check(s is not None, "flagged as flapping in the status file")
    d.wait_status(cycle_at_least((s or {"cycle": {"number": 0}})["cycle"]
                                 ["number"] + 2))
    out = d.output()
    check_eq(1, len(lines_with(out, "flapping (")), "flapping logged once")
    changes = lines_with(out, " -> ")
    check(len(changes) <= 5, "changes stop being logged once flapping "
          "(%d lines)" % len(changes))
    d.check_stop()


@test(deadline=60)
def restart_resumes_state_without_realerting():
    srv = serve({"/gone": 410})
    url = srv.url("/gone")
    folder = lhtest.tmpdir()
    path = lhtest.write_list_directory([url])
    status = os.path.join(folder, "status.json")
    conf = config(path, fail_threshold=1)
    d = Daemon(conf, status_path=status)
    s = d.wait_status(cycle_at_least(1))
    since = by_url(s).get(url, {}).get("since")
    check_eq("stale", by_url(s).get(url, {}).get("state"), "stale")
    d.check_stop()
    # Only once the clock is past since's second would a since made anew
    # differ from the kept one.
    lhtest.wait_for(lambda: since and time.time() >= iso_seconds(since) + 1,
                    timeout=5, what="the clock a second past since %r"
                    % since)
    d2 = Daemon(conf, status_path=status)
    s2 = d2.wait_status(cycle_at_least(2))
    l2 = by_url(s2).get(url, {})
    check_eq("stale", l2.get("state"), "still stale")
    check_eq(since, l2.get("since"), "since kept across the restart")
    check(len(l2.get("history", [])) >= 2, "history kept")
    out = d2.output()
    check_in("resuming the state of 1 links", out, "resume logged")
    check_eq([], lines_with(out, "-> stale"), "no alert after restart")
    d2.check_stop()


@test(deadline=60)
def missing_directory_at_restart_keeps_the_saved_state():
    srv = serve({"/gone": 410})
    url = srv.url("/gone")
    folder = lhtest.tmpdir()
    path = lhtest.write_list_directory([url])
    status = os.path.join(folder, "status.json")
    conf = config(path, fail_threshold=1)
    d = Daemon(conf, status_path=status)
    since = by_url(d.wait_status(cycle_at_least(1))).get(url, {}).get("since")
    d.check_stop()
    os.rename(path, path + ".away")
    d2 = Daemon(conf, status_path=status)
    s = d2.wait_status(lambda s: s["directory"]["error"] is not None)
    check_eq(since, by_url(s).get(url, {}).get("since"),
             "the saved link is still in the status file")
    d2.check_stop()
    os.rename(path + ".away", path)
    d3 = Daemon(conf, status_path=status)
    s = d3.wait_status(lambda s: s["directory"]["error"] is None and
                       by_url(s).get(url, {}).get("checked_at"))
    check_eq(since, by_url(s).get(url, {}).get("since"),
             "and resumed once the directory is back")
    check_eq([], lines_with(d3.output(), "-> stale"), "no re-alert")
    d3.check_stop()


@test(deadline=60)
def interrupted_once_is_not_a_pass():
    srv = serve({"/hang": {"action": "hang"}})
    conf = config(lhtest.write_list_directory([srv.url("/hang")]),
                  timeout="30s")
    conf_path = lhtest.write_config(conf)
    status = os.path.join(lhtest.tmpdir(), "s.json")
    proc = lhtest.subprocess.Popen(
        lhtest.wrapper() + [lhtest.binary(), "--once", "-c", conf_path, "-o",
                            status],
        stdout=lhtest.subprocess.DEVNULL, stderr=lhtest.subprocess.DEVNULL,
        env=lhtest.clean_env())
    lhtest.wait_for(lambda: len(srv.requests()) >= 1, timeout=10,
                    what="the check's request at the server")
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(10)
    except lhtest.subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    check_eq(1, proc.returncode, "exit status of an interrupted --once")
    # The cut-short cycle still leaves a status file naming the link.
    s = lhtest._read_json(status)
    check_eq([srv.url("/hang")], list(by_url(s)), "links in the status file")


@test(deadline=60)
def unusable_previous_status_is_set_aside():
    srv = serve({"/": 200})
    folder = lhtest.tmpdir()
    status = os.path.join(folder, "status.json")
    with open(status, "w") as f:
        f.write('{"something": "else"}')
    d = Daemon(config(lhtest.write_list_directory([srv.url("/")])),
               status_path=status)
    s = d.wait_status(lambda s: s.get("version") == lhtest.STATUS_VERSION)
    check(s is not None, "the daemon runs and writes its own file")
    aside = glob.glob(status + ".unusable-*")
    check_eq(1, len(aside), "the foreign file is set aside")
    if aside:
        with open(aside[0]) as f:
            check_eq('{"something": "else"}', f.read(), "kept intact")
    check_in("not a linkhealthd status file", d.output(), "logged")
    d.check_stop()


@test(deadline=60)
def a_resolve_entry_a_reload_removes_answers_no_more():
    # The engine lives across reloads, and curl keeps for good a resolve
    # entry it was given: one the new configuration removes must not
    # still take the directory download to its address.  Control: before
    # the reload, that entry is what finds the server.
    site = serve({"/ok": 200})
    dsrv = serve({"/dir.txt": {"status": 200,
                               "body": site.url("/ok") + " Org\n"}})
    d = Daemon(config(dsrv.url("/dir.txt", "dir.lh.test"), interval="1h",
                      directory_format="list",
                      resolve=dsrv.resolve("dir.lh.test")))
    s = d.wait_status(cycle_at_least(1))
    check_eq(([site.url("/ok")], None),
             (list(by_url(s)), ((s or {}).get("directory") or {}).get(
                 "error")), "control: links from the URL")
    check_eq(1, len(dsrv.requests()), "control: one fetch")
    with open(d.conf_path) as f:
        lines = [l for l in f.read().splitlines()
                 if not l.startswith("resolve")]
    with open(d.conf_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    d.proc.send_signal(signal.SIGHUP)
    s = d.wait_status(cycle_at_least(2), timeout=20)
    check_eq(1, len(dsrv.requests()), "no fetch through the removed entry")
    check_in("dir.lh.test", ((s or {}).get("directory") or {}).get(
        "error") or "", "the directory's error after the reload")
    d.check_stop()


@test(deadline=60)
def signals_reload_check_now_and_stop():
    srv = serve({"/": {"status": 200, "prefix": True}})
    path = lhtest.write_list_directory([srv.url("/a")])
    d = Daemon(config(path, interval="1h"))
    s = d.wait_status(cycle_at_least(1))
    # SIGUSR1: a cycle now (the next on the timer is an hour away).
    d.proc.send_signal(signal.SIGUSR1)
    s = d.wait_status(cycle_at_least(2), timeout=10)
    check(s is not None, "SIGUSR1 started a cycle")
    d.wait_log("SIGUSR1: checking now")
    # SIGHUP with a broken configuration: logged, the old one kept.
    good = open(d.conf_path).read()
    with open(d.conf_path, "w") as f:
        f.write(good.replace(path, path + ".nowhere") + "intervall = 5m\n")
    d.proc.send_signal(signal.SIGHUP)
    d.wait_log("reload rejected", timeout=10)
    check(d.proc.poll() is None, "still running after a bad reload")
    out = d.output()
    check_eq(1, len(lines_with(out, "SIGHUP: reloading %s" % d.conf_path)),
             "the reload is logged with the file")
    check_in('unknown option "intervall"', out, "the error names the key")
    # The running configuration stays: a cycle now still reads the first
    # directory, not the one the rejected file names.
    d.proc.send_signal(signal.SIGUSR1)
    s = d.wait_status(cycle_at_least(3), timeout=10)
    check_eq((path, [srv.url("/a")]),
             ((s or {}).get("directory", {}).get("source"), list(by_url(s))),
             "directory and links after the rejected reload")
    # SIGHUP with a good configuration pointing at a new directory.
    path2 = lhtest.write_list_directory([srv.url("/b"), srv.url("/c")])
    with open(d.conf_path, "w") as f:
        f.write(good.replace(path, path2))
    d.proc.send_signal(signal.SIGHUP)
    s = d.wait_status(lambda s: len(s["links"]) == 2 and all(
        l["state"] == "ok" for l in s["links"]), timeout=10)
    check(s is not None, "SIGHUP reloaded config and directory")
    check_eq(path2, (s or {}).get("directory", {}).get("source"),
             "the new directory in the status file")
    check_eq(2, len(lines_with(d.output(), "SIGHUP: reloading")),
             "each reload logged")
    # SIGTERM: a clean stop, exit 0, a whole status file.
    d.check_stop(signal.SIGTERM)
    with open(d.status_path) as f:
        check_eq(2, len(json.load(f)["links"]), "status file intact")


@test(deadline=60)
def sigterm_during_a_cycle_stops_cleanly():
    # The check would wait an hour for its answer, and the daemon a minute
    # for its timeout; check_stop gives up on it after 10 s.  Exiting 0
    # before then means the stop cancelled the check in flight.
    for sig in (signal.SIGTERM, signal.SIGINT):
        srv = serve({"/slow": {"status": 200, "delay": 3600}})
        d = Daemon(config(lhtest.write_list_directory([srv.url("/slow")]),
                          timeout="60s", connect_timeout="5s"))
        lhtest.wait_for(lambda: len(srv.requests()) >= 1, timeout=10,
                        what="the check's request at the server")
        d.check_stop(sig)
        # The interrupted cycle is written, with the link not yet checked.
        s = d.status()
        check_eq([(srv.url("/slow"), "unknown")],
                 [(l["url"], l["state"]) for l in (s or {}).get("links", [])],
                 "%s: the link left unchecked" % sig.name)
        check_eq(True, (s or {}).get("cycle", {}).get("partial"),
                 "%s: the cycle recorded as partial" % sig.name)
        check(lhtest.wait_for(
            lambda: srv.stats(log=False)["open_connections"] == 0, 5),
            "%s: the server saw the connection closed" % sig.name)


@test(deadline=60)
def bad_news_is_confirmed_at_the_retry_interval():
    # interval 1h, fail_threshold 2: the dead link's first bad verdict is
    # confirmed by a retry round a second later, which checks only it;
    # the good link and the directory wait for the next full cycle.
    srv = serve({"/ok": 200, "/gone": 404})
    ok, gone = srv.url("/ok"), srv.url("/gone")
    path = lhtest.write_list_directory([(ok, "Fine"), (gone, "Gone")])
    d = Daemon(config(path, interval="1h", retry_interval="1s",
                      fail_threshold=2, content_checks="no"))
    s = d.wait_status(lambda s: by_url(s).get(gone, {}).get("state") ==
                      "stale", timeout=30)
    check(s is not None, "confirmed stale within the give-up deadline, an "
          "hour before the next full cycle (log: %s)" % d.output()[-600:])
    # Each check begins with a HEAD (pages are not read here).
    heads = [p for m, p, _ in srv.stats()["log"] if m == "HEAD"]
    check_eq(2, heads.count("/gone"), "the dead link checked twice "
             "(HEADs %r)" % heads)
    check_eq(1, heads.count("/ok"), "the good link once (HEADs %r)" % heads)
    check(d.wait_log("(a retry of 1 unsettled)"), "the retry round logged")
    check_eq("ok", by_url(s).get(ok, {}).get("state"), "the good link")
    check_eq(False, s["cycle"]["partial"], "a cycle that ran to its end")
    # Settled: no further round.
    check_eq(1, len([l for l in d.output().splitlines()
                     if "a retry of" in l]), "one retry round")
    d.check_stop()


@test(deadline=60)
def overrunning_cycle_is_not_overlapped():
    srv = serve({"/slow": {"status": 200, "delay": 1.5}})
    d = Daemon(config(lhtest.write_list_directory([srv.url("/slow")]),
                      interval="1s"))
    s = d.wait_status(cycle_at_least(3), timeout=20)
    check(s is not None, "cycles go on")
    st = srv.stats(log=False)
    check_eq(1, st["max_active_requests"], "never two checks at once")
    d.check_stop()


def switches(pid):
    """Context switches of every thread of pid so far: each is a wake-up
    (or a preemption while awake)."""
    n = 0
    for status in glob.glob("/proc/%d/task/*/status" % pid):
        try:
            with open(status) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches",
                                        "nonvoluntary_ctxt_switches")):
                        n += int(line.split()[1])
        except OSError:
            pass                # a thread that just ended
    return n


@test(deadline=60)
def idle_daemon_sleeps_with_connections_kept_alive():
    # Between cycles the engine keeps its connections (the directory
    # download's, the checks', the webhook's) and no timer.  When their
    # servers go away the daemon wakes once for each closed connection
    # and stops watching it (the 0.5 s after the stop), then sleeps: no
    # wake-up in the next 2 s.  Control: the same count sees a daemon
    # that cycles every 200 ms.
    links = serve({"/ok": 200, "/gone": 404})
    dsrv = serve({"/d.txt": {"body": "%s A\n%s B\n" % (
        links.url("/ok"), links.url("/gone"))}, "/hook": 200})
    d = Daemon(config(dsrv.url("/d.txt"), interval="60s",
                      webhook=dsrv.url("/hook"), fail_threshold=1,
                      retry_interval=0))
    lhtest.wait_for(lambda: any(q["path"] == "/hook"
                                for q in dsrv.requests()),
                    timeout=30, what="the POST")
    time.sleep(0.5)             # the cycle and the POST are over
    kept = (links.stats(log=False)["open_connections"] +
            dsrv.stats(log=False)["open_connections"])
    check(kept >= 2, "connections kept alive (%d)" % kept)
    links.stop()
    dsrv.stop()
    time.sleep(0.5)
    before = switches(d.proc.pid)
    time.sleep(2)
    woke = switches(d.proc.pid) - before
    check_eq(0, woke, "wake-ups in 2 s of idling (log: %s)"
             % d.output()[-300:])
    d.check_stop()
    busy = Daemon(config(lhtest.write_list_directory([]), interval="200ms"))
    busy.wait_status(cycle_at_least(1))
    before = switches(busy.proc.pid)
    time.sleep(1)
    check(switches(busy.proc.pid) - before >= 3, "control: a daemon that "
          "cycles is seen waking")
    busy.check_stop()


if __name__ == "__main__":
    lhtest.main()
