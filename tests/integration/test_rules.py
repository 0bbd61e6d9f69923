"""Rules for links (issue 14, item 5): exclude (never requested, listed as
excluded in --check-config, the status file and the report), accept (a
verdict taken as ok, the reason saying so), fail_on (which states make
--once and --show exit 1), a bad rule, and rules across SIGHUP."""

import os
import signal
import subprocess

import lhtest
from lhtest import check, check_eq, check_in, serve, test, Daemon

FAST = {"timeout": "5s", "connect_timeout": "2s", "retries": 0}
# What a robot gets from a site behind a bot wall: blocked (a plain 403
# is an error).
CHALLENGE = {"status": 403, "headers": {"cf-mitigated": "challenge"},
             "body": "<title>Just a moment...</title>"}


def paths(srv):
    return [q["path"] for q in srv.requests()]


def check_config(conf):
    return subprocess.run([lhtest.binary(), "--check-config", "-c", conf],
                          capture_output=True, text=True, timeout=30,
                          env=lhtest.clean_env())


def show(conf, status):
    return subprocess.run([lhtest.binary(), "--show", status, "-c", conf],
                          capture_output=True, text=True, timeout=30,
                          env=lhtest.clean_env())


@test
def an_excluded_link_is_not_requested_and_is_listed_everywhere():
    srv = serve({"/ok": 200, "/skip/me": 200})
    ok, skip = srv.url("/ok"), srv.url("/skip/me")
    directory = lhtest.write_list_directory([(ok, "Fine"), (skip, "Skipped")])
    cfg = dict(FAST, directory=directory, exclude=["/skip/", "nothing"])
    r = lhtest.run_once(cfg)
    check_eq(0, r.returncode, "exit (an excluded link never fails): %r" % r)
    check("/skip/me" not in paths(srv), "requests: %s" % paths(srv))
    check_in("/ok", paths(srv), "requests")
    entry = r.link(skip) or {}
    check_eq(True, entry.get("excluded"), "excluded in the status")
    check_eq(1, entry.get("rule"), "its rule")
    check_eq("unknown", entry.get("state"), "its state")
    check_eq(None, entry.get("verdict"), "its verdict")
    check_eq("excluded by rule 1, not checked", entry.get("reason"),
             "its reason")
    check_eq(False, (r.link(ok) or {}).get("excluded"), "the other")
    summary = (r.status or {}).get("summary") or {}
    check_eq(1, summary.get("excluded"), "summary.excluded")
    check_eq(0, summary.get("unknown"), "summary.unknown")
    check_eq(1, summary.get("ok"), "summary.ok")
    # The report: a group of its own, and in the closing line.
    check_in("EXCLUDED (1)", r.stdout, "the report")
    check_in("%s  excluded by rule 1, not checked" % skip, r.stdout,
             "the report")
    check_in("1 excluded", r.stdout.strip().splitlines()[-1], "summary")
    # Markdown, and --show of the file.
    md = lhtest.run_once(cfg, ["--format", "markdown"])
    check_in("| excluded | Skipped |", md.stdout, "the markdown report")
    p = show(r.conf_path, r.status_path)
    check_eq(0, p.returncode, "--show exit: %s" % p.stderr)
    check_in("EXCLUDED (1)", p.stdout, "--show report")
    # --check-config: the rules, and the entry marked.
    p = check_config(r.conf_path)
    check_eq(0, p.returncode, "--check-config exit: %s" % p.stderr)
    check_in("# rule 1: exclude /skip/", p.stdout, "--check-config rules")
    check_in("# rule 2: exclude nothing", p.stdout, "--check-config rules")
    check_in("# fail_on: stale, error, unreachable", p.stdout, "fail_on")
    check_in("Skipped\t%s\texcluded by rule 1" % skip, p.stdout,
             "--check-config entry")
    check_in("Fine\t%s\n" % ok, p.stdout, "--check-config entry")
    check_in("1 excluded", p.stdout.splitlines()[0], "--check-config head")


@test
def every_link_excluded_is_no_check_and_no_failure():
    srv = serve({"/a": 200})
    directory = lhtest.write_list_directory([srv.url("/a")])
    r = lhtest.run_once(dict(FAST, directory=directory, exclude="."))
    check_eq(0, r.returncode, "exit: %r" % r)
    check_eq([], paths(srv), "requests")
    check_eq(True, (r.link(srv.url("/a")) or {}).get("excluded"), "status")


@test
def an_accepted_403_is_ok_and_says_so_a_control_stays_blocked():
    srv = serve({"/robots": CHALLENGE, "/control": CHALLENGE,
                 "/plain": 403})
    robots, control = srv.url("/robots"), srv.url("/control")
    plain = srv.url("/plain")
    directory = lhtest.write_list_directory([(robots, "Robots"),
                                             (control, "Control")])
    r = lhtest.run_once(dict(FAST, directory=directory,
                             accept=["/robots$ 403", "/nothing blocked"]))
    a, c = r.link(robots) or {}, r.link(control) or {}
    check_eq("ok", a.get("state"), "accepted state")
    check_eq("ok", a.get("verdict"), "accepted verdict")
    check_eq(True, a.get("accepted"), "accepted flag")
    check_eq(1, a.get("rule"), "accepted rule")
    check((a.get("reason") or "").startswith("accepted by rule 1: "),
          "accepted reason: %r" % a.get("reason"))
    check_in("403", a.get("reason") or "", "the reason keeps the status")
    check_eq(403, a.get("http_status"), "the status is still 403")
    check_eq("blocked", c.get("state"), "control state")
    check_eq(False, c.get("accepted"), "control flag")
    check_eq(None, c.get("rule"), "control rule")
    check("accepted" not in (c.get("reason") or ""), "control reason")
    check_in(a.get("reason") or "?", r.stdout, "the report shows why")
    # blocked is not a failure by default.
    check_eq(0, r.returncode, "exit: %r" % r)
    # A plain 403 is an error; accepting the code makes it ok too.
    directory = lhtest.write_list_directory([plain])
    r = lhtest.run_once(dict(FAST, directory=directory))
    check_eq("error", (r.link(plain) or {}).get("state"), "a plain 403")
    check_eq(1, r.returncode, "an error fails by default")
    rule = "^http://127\\.0\\.0\\.1:[0-9]+/plain 403"
    r = lhtest.run_once(dict(FAST, directory=directory, accept=rule))
    p = r.link(plain) or {}
    check_eq("ok", p.get("state"), "a plain 403 accepted")
    check((p.get("reason") or "").startswith("accepted by rule 1: "),
          "its reason: %r" % p.get("reason"))
    check_eq(0, r.returncode, "exit")


@test
def accept_by_state():
    srv = serve({"/gone": 404, "/other": 404})
    gone, other = srv.url("/gone"), srv.url("/other")
    directory = lhtest.write_list_directory([gone, other])
    base = lhtest.run_once(dict(FAST, directory=directory))
    state = (base.link(gone) or {}).get("state")
    check(state not in (None, "ok"), "a 404 is bad: %r" % state)
    r = lhtest.run_once(dict(FAST, directory=directory,
                             accept="/gone$ %s" % state))
    check_eq("ok", (r.link(gone) or {}).get("state"), "accepted by state")
    check_eq(state, (r.link(other) or {}).get("state"), "the other")


@test
def fail_on_decides_the_exit_of_once_and_show():
    srv = serve({"/blocked": CHALLENGE, "/gone": 404,
                 "/old": {"status": 301, "headers": {"Location": "/new"}},
                 "/new": 200})
    blocked_dir = lhtest.write_list_directory([srv.url("/blocked"),
                                               srv.url("/old")])
    r = lhtest.run_once(dict(FAST, directory=blocked_dir))
    check_eq("blocked", (r.link(srv.url("/blocked")) or {}).get("state"),
             "state")
    check_eq("moved", (r.link(srv.url("/old")) or {}).get("state"), "state")
    check_eq(0, r.returncode, "blocked and moved, default fail_on: %r" % r)
    check_in("BLOCKED (1)", r.stdout, "still in the report")
    check_in("MOVED (1)", r.stdout, "still in the report")
    p = show(r.conf_path, r.status_path)
    check_eq(0, p.returncode, "--show, default fail_on")
    check_in("BLOCKED (1)", p.stdout, "--show report")
    # fail_on = blocked: the same directory fails, --once and --show.
    strict = lhtest.run_once(dict(FAST, directory=blocked_dir,
                                  fail_on="blocked"))
    check_eq(1, strict.returncode, "fail_on = blocked: %r" % strict)
    # The status file says which states fail a run.
    check_eq(["stale", "error", "unreachable", "unknown"],
             (r.status or {}).get("fail_on"),
             "fail_on in the status file, by default")
    check_eq(["blocked", "unknown"], (strict.status or {}).get("fail_on"),
             "fail_on in the status file, fail_on = blocked")
    p = show(strict.conf_path, r.status_path)
    check_eq(1, p.returncode, "--show, fail_on = blocked")
    # A stale link fails by default, and not when fail_on leaves it out.
    gone_dir = lhtest.write_list_directory([srv.url("/gone")])
    r = lhtest.run_once(dict(FAST, directory=gone_dir))
    state = (r.link(srv.url("/gone")) or {}).get("state")
    check_in(state, ("stale", "error"), "a 404")
    check_eq(1, r.returncode, "a %s link, default fail_on: %r" % (state, r))
    r2 = lhtest.run_once(dict(FAST, directory=gone_dir, fail_on="moved"))
    check_eq(0, r2.returncode, "fail_on = moved, a %s link" % state)
    p = show(r2.conf_path, r.status_path)
    check_eq(0, p.returncode, "--show, fail_on = moved")


@test
def a_bad_rule_is_a_configuration_error():
    directory = lhtest.write_list_directory(["https://example.invalid/"])
    for key, value, message in (
            ("exclude", "(oops", "is not a regular expression: "),
            ("accept", "[z-a] 403", "is not a regular expression: "),
            ("accept", "example 999", "has \"999\", which is neither a state"),
            ("fail_on", "ok", "has \"ok\", which is not one of")):
        conf = lhtest.write_config("directory = %s\n%s = %s\n"
                                   % (directory, key, value))
        p = check_config(conf)
        check_eq(2, p.returncode, "%s = %s: exit" % (key, value))
        check_in("%s:2: %s: \"%s\" %s" % (os.path.basename(conf), key, value,
                                           message),
                 p.stderr, "%s = %s: message" % (key, value))


@test(deadline=90)
def rules_hold_across_reloads():
    srv = serve({"/a": 200, "/b": 200})
    a, b = srv.url("/a"), srv.url("/b")
    directory = lhtest.write_list_directory([a, b])
    cfg = dict(FAST, directory=directory, interval="1h", jitter="0")
    d = Daemon(cfg)
    s = d.wait_status(lambda s: all(l["state"] == "ok" for l in s["links"]))
    check(s is not None, "first cycle")
    # A rule excludes b.
    with open(d.conf_path, "w") as f:
        f.write(lhtest.config_text(dict(cfg, allow_private="yes",
                                        exclude="/b$")))
    d.proc.send_signal(signal.SIGHUP)
    s = d.wait_status(lambda s: (s.get("summary") or {}).get("excluded")
                      == 1)
    check(s is not None, "b excluded after SIGHUP")
    d.wait_log("excluded by rule 1, not checked")
    # A bad rule: rejected, b stays excluded.
    with open(d.conf_path, "w") as f:
        f.write(lhtest.config_text(dict(cfg, allow_private="yes",
                                        exclude="(bad")))
    d.proc.send_signal(signal.SIGHUP)
    d.wait_log("reload rejected")
    check_in("is not a regular expression", d.output(), "the reason logged")
    d.proc.send_signal(signal.SIGUSR1)
    d.wait_log("SIGUSR1: checking now")
    before = paths(srv).count("/b")
    d.wait_log("cycle 3", timeout=30)
    s = d.status()
    check_eq(True, ((s or {}).get("links") or [{}, {}])[1].get("excluded"),
             "b still excluded")
    check_eq(before, paths(srv).count("/b"), "b not requested again")


if __name__ == "__main__":
    lhtest.main()
