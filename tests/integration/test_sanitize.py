"""Nothing from the directory, a server or a status file forges a log line
or drives a terminal (issue 13, item 3).  Names and hrefs carrying
newlines, "<0>" journal priorities, terminal escapes and bidirectional
overrides go through --once, the daemon (stderr and the journal stream),
the text and Markdown reports, --show of a crafted status file and the
metrics file; none of those may hold a raw control, override or invalid
byte, and every log line must be one the daemon wrote.  Japanese, accented
names and emoji are the control: they must come out as written."""

import json
import os
import re
import subprocess

import lhtest
from lhtest import check, check_eq, check_in, serve, test

FAST = {"timeout": "3s", "connect_timeout": "2s", "retries": 0}

# C0 but newline, DEL, C1, bidi embeddings/overrides/isolates, line and
# paragraph separators, and (decoded with surrogateescape) invalid UTF-8.
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f\x80-\x9f\u2028\u2029"
                       "\u202a-\u202e\u2066-\u2069\udc80-\udcff]")
GOOD_NAME = "\u65e5\u672c\u8a9e\u306e\u56e3\u4f53 Cr\u00e8che M\u00fcller " \
    "\U0001F30D"
FORGED = "linkhealthd: emerg: forged"


def decode(raw):
    return raw.decode("utf-8", errors="surrogateescape")


def no_raw_controls(text, what):
    bad = sorted({"U+%04X" % ord(c) for c in FORBIDDEN.findall(text)})
    check(not bad, "%s: raw %s in %r" % (what, ", ".join(bad), text[-600:]))


def directory(srv):
    """An HTML directory whose hrefs and names carry what must not pass."""
    ok = srv.url("/ok")
    html = (
        "<h2>Europe \u202e\u2066evil\u2069</h2>\n"
        # The href with an encoded and a literal newline, then a forged
        # journal priority and a forged stderr line.
        '<p><a href="%s&#10;<0>%s">Encoded newline</a></p>\n'
        '<p><a href="%s\n<0>%s">Literal newline</a></p>\n'
        '<p><a href="%s&#13;&#27;[2J&#x9b;x">Escapes</a></p>\n'
        '<p><a href="%s?\u202egpj.exe">Override in the URL</a></p>\n'
        '<p><a href="%s?n=1">Name \u202egpj.exe\u2069 '
        '\x1b]0;title\x07 \u0085 here</a></p>\n'
        '<p><a href="%s?n=2">%s</a></p>\n'
        % (ok, FORGED, ok, FORGED, ok, ok, ok, ok, GOOD_NAME))
    # Each link is an organization only with a description after it.
    html = html.replace("</a></p>\n", "</a></p>\n"
                        '<div class="text-subtext">about \u202e\x1b[7m'
                        "</div>\n")
    path = os.path.join(lhtest.tmpdir(), "directory.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(html)
    return path


def check_log_lines(text, what, journal=False):
    no_raw_controls(text, what)
    for line in text.splitlines():
        if journal:
            check(re.match(r"<[1-7]>", line) is not None,
                  "%s: a line the daemon did not write: %r" % (what, line))
        else:
            check(line.startswith("linkhealthd: "),
                  "%s: a line the daemon did not write: %r" % (what, line))
    check(not re.search(r"^<0>", text, re.M), what + ": a forged <0> line")


@test
def once_forges_no_line_and_no_terminal():
    srv = serve({"/ok": 200})
    metrics = os.path.join(lhtest.tmpdir(), "links.prom")
    conf = dict(FAST, directory=directory(srv), directory_format="html",
                metrics_file=metrics)
    for fmt in ("text", "markdown"):
        r = lhtest.run_once(conf, ["--format", fmt], env={"LANG": "C.UTF-8"})
        check(r.returncode in (0, 1), "exit %r: %s" % (r.returncode,
                                                       r.stderr[-400:]))
        check_in("skipped", r.stderr, "the bad hrefs are skipped, and said")
        check_log_lines(r.stderr, fmt + ": stderr")
        check_in("\\n<0>" + FORGED, r.stderr, "the newline shown escaped")
        no_raw_controls(r.stdout, fmt + " report")
        check_in(GOOD_NAME if fmt == "text" else "Cr\u00e8che",
                 r.stdout, fmt + " report: a foreign name as written")
        check_in("\\u202e", r.stdout, fmt + " report: the override escaped")
    # --check-config lists the entries, tab-separated: a tab or newline
    # in a field would move the columns.
    p = subprocess.run(lhtest.wrapper() + [lhtest.binary(), "--check-config",
                       "-c", lhtest.write_config(conf)], capture_output=True,
                       timeout=60, stdin=subprocess.DEVNULL)
    out = decode(p.stdout)
    check_eq(0, p.returncode, "--check-config: %s" % decode(p.stderr)[-300:])
    no_raw_controls(out.replace("\t", ""), "--check-config")
    check_log_lines(decode(p.stderr), "--check-config stderr")
    rows = [l for l in out.splitlines() if not l.startswith("#")]
    check_eq(4, len(rows), "--check-config: one line per entry")
    for l in rows:
        check_eq(3, len(l.split("\t")), "three fields in %r" % l)
    check_in(GOOD_NAME, out, "--check-config: a foreign name as written")
    # The metrics file: no raw byte, and promtool takes it.
    with open(metrics, "rb") as f:
        text = decode(f.read())
    no_raw_controls(text.replace("\n", ""), "metrics file")
    check_in(GOOD_NAME, text, "metrics: a foreign name as written")
    p = subprocess.run(["promtool", "check", "metrics"], input=text.encode(
        "utf-8", errors="surrogateescape"), capture_output=True, timeout=60)
    check_eq(0, p.returncode, "promtool check metrics: %s"
             % (p.stdout + p.stderr).decode(errors="replace")[-800:])


@test
def daemon_forges_no_journal_line():
    srv = serve({"/ok": 200})
    for journal in (False, True):
        d = lhtest.Daemon(dict(FAST, directory=directory(srv),
                               directory_format="html", interval="1h",
                               log_level="debug"),
                          journal=journal)
        d.wait_log("skipped", count=2)
        check(d.wait_status(lambda s: len(s.get("links") or []) >= 3)
              is not None, "a first cycle")
        d.check_stop()
        with open(d.log_path, "rb") as f:
            text = decode(f.read())
        check_log_lines(text, "daemon log (journal %s)" % journal, journal)
        check_in(GOOD_NAME, text, "a foreign name as written")


@test
def show_of_a_crafted_status_file():
    srv = serve({"/ok": 200})
    r = lhtest.run_once(dict(FAST, directory=directory(srv),
                             directory_format="html"))
    check(r.status is not None, "a status file")
    doc = r.status or {"links": []}
    evil = ("\x1b]0;pwned\x07\x1b[2J\n<0>%s\r\u0085\u009b31m"
            "\u202eexe.txt\u2067" % FORGED)
    for l in doc.get("links") or []:
        for key in ("name", "region", "reason", "new_url"):
            l[key] = (l.get(key) or "") + evil
        l["url"] = l.get("url", "") + evil
    path = os.path.join(lhtest.tmpdir(), "crafted.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)
    for fmt in ("text", "markdown"):
        p = subprocess.run(lhtest.wrapper() + [lhtest.binary(), "--show",
                           path, "--format", fmt], capture_output=True,
                           timeout=60, stdin=subprocess.DEVNULL)
        out, err = decode(p.stdout), decode(p.stderr)
        check(p.returncode in (0, 1), "--show %s exit %r: %s"
              % (fmt, p.returncode, err[-300:]))
        # Markdown escapes the escape's backslash once more.
        check_in("\\x1b]0;pwned\\x07" if fmt == "text" else
                 "\\\\x1b\\]0;pwned\\\\x07", out,
                 "--show %s: ESC escaped" % fmt)
        no_raw_controls(out, "--show --format " + fmt)
        check_log_lines(err, "--show stderr")
        check(not re.search(r"^<0>", out, re.M), "--show: a forged line")
    # JSON: the same document, but what would drive a terminal is in
    # JSON's escapes; the crafted file holds a raw ESC inside a string
    # (cJSON reads it) as well as raw overrides.
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(doc, ensure_ascii=False, indent=1)
                .replace("\\u001b", "\x1b"))
    with open(path, "rb") as f:
        check(b"\x1b" in f.read(), "the crafted file holds a raw ESC")
    p = subprocess.run(lhtest.wrapper() + [lhtest.binary(), "--show", path,
                       "--format", "json"], capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    out = decode(p.stdout)
    check_eq(0, p.returncode, "--show --format json: %s"
             % decode(p.stderr)[-300:])
    no_raw_controls(out.replace("\n", ""), "--show --format json")
    try:
        check_eq(doc, json.loads(out), "--show --format json: the same "
                 "document")
    except ValueError as e:
        check(False, "--show --format json is not JSON: %s" % e)


if __name__ == "__main__":
    lhtest.main()
