"""The dashboard (dashboard/index.html) in headless Chromium, against the
status file of a real linkhealthd --once run over local servers.

Each test runs linkhealthd four times (start, one cycle, SIGTERM) over an HTML directory of
three regions (ok, moved, stale, error and unreachable links, names with
markup in them; two links whose answers change between the runs, so the
status file has a history with its times), puts the status file and a copy of the page in a folder served by a small
http.server on 127.0.0.1, and asks Chromium for the DOM after the page ran
(--dump-dom) or for a screenshot.  The screenshots are kept in
build/dashboard/ for a person to look at.

Chromium is Debian's "chromium" (make test-deps installs it), or the
browser named by LH_CHROMIUM.  It is kept off every network but 127.0.0.1:
no proxy, every host name resolves to nothing, background services off.
"""

import functools
import html.parser
import http.server
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import threading

import lhtest
from lhtest import check, check_eq, check_in, fail, serve, test

ROOT = os.path.dirname(os.path.dirname(lhtest.HERE))
PAGE = os.path.join(ROOT, "dashboard", "index.html")
SHOTS = os.path.join(ROOT, "build", "dashboard")
FAST = {"timeout": "3s", "connect_timeout": "2s", "retries": 0}
BROWSER_TIMEOUT = 60        # seconds for one Chromium run
TIME_BUDGET_MS = 8000       # virtual time for the page to fetch and render

XSS_NAME = "Ok Org <script>alert(1)</script>"
IMG_NAME = 'Img Org <img src=x onerror="document.title=\'pwned\'">'
LONG_PATH = "/" + "a-very-long-path-segment-without-any-break-" * 6 + "end"


# --- the browser -----------------------------------------------------------

def chromium_path():
    """The browser to run, or None (then the test fails saying so)."""
    exe = os.environ.get("LH_CHROMIUM") or shutil.which("chromium")
    if not exe:
        fail("chromium not found: the dashboard tests need Debian's "
             "chromium (make test-deps installs it; or apt-get install "
             "chromium; or set LH_CHROMIUM to a Chromium binary)")
    return exe


def browser(url, *args, size=(1280, 900)):
    """Run headless Chromium on url with args (--dump-dom, --screenshot=F).
    Returns stdout (text), or None after a failure it recorded."""
    exe = chromium_path()
    if not exe:
        return None
    home = lhtest.tmpdir()
    argv = [exe, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", "--user-data-dir=" + home,
            "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--disable-breakpad",
            "--disable-features=Translate,OptimizationHints,MediaRouter",
            "--mute-audio", "--hide-scrollbars", "--lang=en-US",
            # Nothing leaves 127.0.0.1: no proxy, no name resolves.
            "--proxy-server=direct://", "--proxy-bypass-list=*",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--window-size=%d,%d" % size,
            "--virtual-time-budget=%d" % TIME_BUDGET_MS] + list(args) + [url]
    env = lhtest.clean_env({"HOME": home,
                            "XDG_CONFIG_HOME": os.path.join(home, "config"),
                            "XDG_CACHE_HOME": os.path.join(home, "cache"),
                            "TZ": "UTC"})
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, text=True, errors="replace",
                            start_new_session=True)

    def kill_group():
        # Chromium's helpers share its process group (its own session).
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        out, err = proc.communicate(timeout=BROWSER_TIMEOUT)
    except subprocess.TimeoutExpired:
        kill_group()
        proc.communicate(timeout=10)
        fail("chromium %s: still running after %ds" % (url, BROWSER_TIMEOUT))
        return None
    kill_group()
    if proc.returncode != 0:
        fail("chromium %s: exit status %d: %s"
             % (url, proc.returncode, err[-800:]))
        return None
    return out


# --- the DOM Chromium dumps, as a small tree ---------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children = []      # Nodes and strings

    def text(self):
        """The text inside, whitespace collapsed."""
        parts = []

        def walk(n):
            for c in n.children:
                if isinstance(c, str):
                    parts.append(c)
                elif c.tag not in ("script", "style"):
                    walk(c)
        walk(self)
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    def all(self, tag=None, cls=None, **attrs):
        """Descendants with that tag, class and attributes (data_x for
        data-x)."""
        found = []
        want = {k.replace("_", "-"): v for k, v in attrs.items()}

        def walk(n):
            for c in n.children:
                if isinstance(c, str):
                    continue
                if ((tag is None or c.tag == tag) and
                        (cls is None or cls in c.attrs.get("class", "").split())
                        and all(c.attrs.get(k) == v for k, v in want.items())):
                    found.append(c)
                walk(c)
        walk(self)
        return found

    def one(self, tag=None, cls=None, **attrs):
        found = self.all(tag, cls, **attrs)
        return found[0] if found else None


class _Builder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.cur = Node("#document", {}, None)

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse(dom):
    b = _Builder()
    b.feed(dom)
    b.close()
    return b.root


def text_of(node):
    return node.text() if node is not None else None


# --- a real status file, served beside the page ----------------------------

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self):
        self.server.paths.append(self.path)
        super().do_GET()


def serve_folder(folder):
    """http.server on 127.0.0.1 (an ephemeral port) serving folder, in a
    thread, shut down after the test.  .paths lists the requests."""
    handler = functools.partial(_Quiet, directory=folder)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    httpd.paths = []
    t = threading.Thread(target=httpd.serve_forever, kwargs={
        "poll_interval": 0.1}, daemon=True)
    t.start()

    def stop():
        httpd.shutdown()
        httpd.server_close()
        t.join(5)
    lhtest.on_cleanup(stop)
    httpd.base = "http://127.0.0.1:%d/" % httpd.server_address[1]
    return httpd


class Site:
    """A linkhealthd run (status), its directory's servers, and the folder
    holding index.html and status.json, served at .base."""


# What /gone and /flaky answer in each of the RUNS runs: Gone Org works,
# then its page is gone (stale); Flaky Org has one server error.
RUNS = 4
GONE = [200, 200, 404, 404]
FLAKY = [200, 200, 500, 200]


def run_series(config, before_run, nlinks):
    """The daemon started RUNS times on one status file (each start resumes
    from the last one's file, checks every link once and is stopped with
    SIGTERM), before_run(i) before start i.  A Result-like object of the
    last file (status, status_path, links, returncode, stderr)."""
    folder = lhtest.tmpdir()
    status = os.path.join(folder, "status.json")
    config = dict(config, interval="1h", jitter="0s", fail_threshold=1,
                  recover_threshold=1)
    doc, rc, log = None, None, ""
    for i in range(RUNS):
        before_run(i)
        d = lhtest.Daemon(config, status_path=status)
        doc = d.wait_status(lambda st: len(st.get("links", [])) == nlinks
                            and all(len(l.get("history", [])) == i + 1
                                    for l in st["links"]), timeout=60)
        rc = d.stop(signal.SIGTERM)
        log = d.output()
        if doc is None:
            break
    r = Site()
    r.returncode, r.stderr, r.status_path = rc, log, status
    r.status = lhtest._read_json(status) if doc is not None else None
    r.links = (r.status or {}).get("links", [])
    return r


def site():
    """Run linkhealthd --once RUNS times over a three-region HTML directory
    of local links and serve its status file beside a copy of the page."""
    srv = serve({"/": 200,
                 "/old": {"redirect": {"status": 301, "location": "/new"}},
                 "/new": 200,
                 "/gone": 200,
                 "/flaky": 200,
                 "/broken": 500,
                 LONG_PATH: 200})
    closed = "http://127.0.0.1:%d/" % lhtest.closed_port()
    esc = html.escape
    orgs = [("Global", srv.url("/"), XSS_NAME),
            ("Global", srv.url("/old"), "Moved Org"),
            ("Global", srv.url("/flaky"), "Flaky Org"),
            ("Japan", srv.url("/gone"), "Gone Org"),
            ("Japan", closed, "Closed Org"),
            ("Japan", srv.url("/broken"), IMG_NAME),
            ("United Kingdom", srv.url(LONG_PATH), "Long Address Org")]
    page = ['<!DOCTYPE html>', '<html><head><title>Networks</title></head>',
            '<body>']
    region = None
    for reg, url, name in orgs:
        if reg != region:
            page.append("<h2>%s</h2>" % esc(reg))
            region = reg
        page.append('<p><a href="%s">%s</a></p>' % (esc(url), esc(name)))
        page.append('<div class="text-subtext">About %s.</div>' % esc(name))
    page.append("</body></html>")
    d = lhtest.tmpdir()
    directory = os.path.join(d, "directory.html")
    with open(directory, "w", encoding="utf-8") as f:
        f.write("\n".join(page) + "\n")

    def before_run(i):
        srv.routes["/gone"] = GONE[i]
        srv.routes["/flaky"] = FLAKY[i]
    r = run_series(dict(FAST, directory=directory), before_run,
                   len(orgs))
    s = Site()
    s.srv, s.closed, s.run, s.status = srv, closed, r, r.status
    if not check(r.status is not None and len(r.links) == len(orgs),
                 "linkhealthd wrote a status file with %d links (rc %r, "
                 "stderr %r)" % (len(orgs), r.returncode, r.stderr[-600:])):
        raise AssertionError("no status file to show")
    s.by_name = {l["name"]: l for l in r.links}
    s.folder = lhtest.tmpdir()
    shutil.copy(PAGE, os.path.join(s.folder, "index.html"))
    shutil.copy(r.status_path, os.path.join(s.folder, "status.json"))
    s.httpd = serve_folder(s.folder)
    s.base = s.httpd.base
    return s


def dom(url):
    """The page's DOM after it ran, parsed, plus the raw text."""
    out = browser(url, "--dump-dom")
    if out is None:
        raise AssertionError("no DOM from chromium")
    return parse(out), out


def names_states(node):
    return [(text_of(li.one("h3", "name")), text_of(li.one(cls="state")))
            for li in node.all("li", "link")]


def groups(root):
    """[(group, [(name, state), ...]), ...] in page order: a group per
    problem state, then "ok" (the working links)."""
    return [(sec.attrs.get("data-group"), names_states(sec))
            for sec in root.all("section", "group")]


def shown(root):
    """{group: [(name, state), ...]} of the links on the page."""
    return dict(groups(root))


def regions(root):
    """{region: [(name, state), ...]} of the working links, in order."""
    return {text_of(sec.one(cls="region-name")): names_states(sec)
            for sec in root.all("section", "region")}


def link_item(root, name):
    for li in root.all("li", "link"):
        if text_of(li.one("h3", "name")) == name:
            return li
    return None


# --- the tests -------------------------------------------------------------

@test
def page_is_self_contained():
    with open(PAGE, encoding="utf-8") as f:
        text = f.read()
    markup = re.sub(r"<script>.*?</script>|<style>.*?</style>", "", text,
                    flags=re.S)
    # Every src/href in the markup is inline (data:) or in-page.
    for m in re.finditer(r"""\b(src|href)\s*=\s*["']?([^"'\s>]*)""", markup):
        check(m.group(2).startswith(("data:", "#")),
              "no external %s in the markup: %s" % (m.group(1), m.group(0)))
    check(not re.search(r"@import|url\(", text), "no CSS imports or url()")
    for bad in ("innerHTML", "outerHTML", "insertAdjacentHTML",
                "document.write", "eval(", "new Function"):
        check(bad not in text, "the page never uses %s" % bad)
    check_eq(1, len(re.findall(r"<script\b", text)), "one inline script")
    check(re.search(r'<meta name="viewport"[^>]*width=device-width', text),
          "a viewport meta")
    check_in("connect-src 'self'", text, "a CSP keeps fetches on the site")


@test
def renders_the_real_status():
    if not chromium_path():
        return
    s = site()
    root, raw = dom(s.base + "index.html")
    body = root.one("body")
    check_eq("loaded", body.attrs.get("data-state") if body else None,
             "the page says it loaded (error: %r)"
             % text_of(root.one(id="load-error")))

    # The problems first, a group per state (stale, error, unreachable,
    # blocked, moved, unknown), then the working links by region; links in
    # directory order within each.
    check_eq([("stale", [("Gone Org", "stale")]),
              ("error", [(IMG_NAME, "error")]),
              ("unreachable", [("Closed Org", "unreachable")]),
              ("moved", [("Moved Org", "moved")]),
              ("ok", [(XSS_NAME, "ok"), ("Flaky Org", "ok"),
                      ("Long Address Org", "ok")])],
             groups(root), "groups, problems first")
    check_eq({"Global": [(XSS_NAME, "ok"), ("Flaky Org", "ok")],
              "United Kingdom": [("Long Address Org", "ok")]},
             regions(root), "working links by region")
    first = root.one("section", "group")
    check(first is not None and "problem" in first.attrs.get("class", ""),
          "the first group is a problem group: %r"
          % (first and first.attrs))
    check_in("Japan", text_of(link_item(root, "Gone Org").one(cls="where")),
             "a problem shows its region")
    expect = {XSS_NAME: "ok", "Moved Org": "moved", "Flaky Org": "ok",
              "Gone Org": "stale", "Closed Org": "unreachable",
              IMG_NAME: "error", "Long Address Org": "ok"}
    check_eq(expect, {l["name"]: l["state"] for l in s.status["links"]},
             "the run's states (what the page is tested against)")

    # Names with markup are text: no element came out of them.
    check_eq(1, len(root.all("script")), "only the page's own script")
    check_eq(0, len(root.all("img")), "no <img> from a name")
    check_eq(1, raw.count("<script"), "<script> only once in the DOM")
    check_in("&lt;script&gt;alert(1)&lt;/script&gt;", raw,
             "the <script> name is escaped text")
    check(link_item(root, XSS_NAME) is not None, "the <script> name shown")
    check(link_item(root, IMG_NAME) is not None, "the <img> name shown")
    check_eq("Link health: 4 problems", text_of(root.one("title")),
             "the title (and not changed by a name)")

    # Reason, since, response time of each link.
    for l in s.status["links"]:
        li = link_item(root, l["name"])
        if not check(li is not None, "an entry for %r" % l["name"]):
            continue
        check_eq(l["reason"], text_of(li.one(cls="reason")),
                 "reason of %s" % l["name"])
        since = li.one("dd", "since")
        check(since is not None and l["since"] in since.attrs.get(
            "title", ""), "since of %s has the time in its title: %r"
              % (l["name"], since and since.attrs))
        check(re.fullmatch(r"just now|\d+ minutes? ago", text_of(since)
                           or ""), "since of %s is relative: %r"
              % (l["name"], text_of(since)))
        resp = text_of(li.one("dd", "response"))
        check(re.fullmatch(r"[\d.]+ m?s", resp or ""),
              "response time of %s: %r" % (l["name"], resp))
        a = li.one("a", "url")
        check_eq(l["url"], a.attrs.get("href") if a else None,
                 "link of %s" % l["name"])

    # The fixes.
    moved = s.by_name["Moved Org"]
    check_eq(s.srv.url("/new"), moved["new_url"], "new_url in the file")
    li = link_item(root, "Moved Org")
    fix = li.one(cls="fix") if li else None
    check_eq("Fix: Update the link to " + moved["new_url"], text_of(fix),
             "the moved link's fix")
    a = fix.one("a") if fix else None
    check_eq(moved["new_url"], a.attrs.get("href") if a else None,
             "the new address is a link")
    check_in("Find the organization's new page or remove the entry",
             text_of(link_item(root, "Gone Org").one(cls="fix")), "stale fix")
    check_in("Nothing accepts connections",
             text_of(link_item(root, "Closed Org").one(cls="fix")),
             "unreachable (refused) fix")
    check_in("server error (HTTP 500)",
             text_of(link_item(root, IMG_NAME).one(cls="fix")), "error fix")
    check(link_item(root, XSS_NAME).one(cls="fix") is None, "no fix for ok")

    # The summary counts, as filter buttons.
    summary = s.status["summary"]
    for state, n in summary.items():
        b = root.one("button", data_filter=state)
        check_eq(str(n), text_of(b.one(cls="count")) if b else None,
                 "count of %s" % state)
    b = root.one("button", data_filter="all")
    check_eq(str(len(s.status["links"])), text_of(b.one(cls="count")),
             "count of all")
    b = root.one("button", data_filter="problems")
    check_eq(str(len(s.status["links"]) - summary["ok"]),
             text_of(b.one(cls="count")), "count of problems")
    b = root.one("button", data_filter="all")
    check_eq("true", b.attrs.get("aria-pressed") if b else None,
             "all is the filter by default")

    # The summary line: the count of each state the file has, the total,
    # the last cycle and the age of the data (fresh: no "stale data").
    summ = root.one(id="summary")
    chips = {c.attrs.get("data-state") or c.attrs.get("id"): text_of(c)
             for c in (summ.all(cls="chip") if summ else [])}
    want = {st: "%d %s" % (n, st) for st, n in summary.items() if n}
    want["all"] = "%d links" % len(s.status["links"])
    want["failing"] = "%d failing" % sum(summary.get(st, 0)
                                         for st in s.status["fail_on"])
    check_eq(want, chips, "the summary line's counts")
    check_eq({"all": "7 links", "failing": "3 failing", "ok": "3 ok",
              "moved": "1 moved", "stale": "1 stale", "error": "1 error",
              "unreachable": "1 unreachable"}, chips,
             "the counts of this run")
    check(re.search(r"data (less than a minute|\d+ minutes?) old",
                    text_of(root.one(id="age")) or ""),
          "the age of the data: %r" % text_of(root.one(id="age")))
    check(root.one(id="stale-data") is None, "fresh data is not stale")
    check(root.one(id="old") is None, "no stale-data banner")

    # The header.
    check_in("cycle %d" % s.status["cycle"]["number"],
             text_of(root.one(id="generated")), "cycle number")
    check_in(s.status["directory"]["source"],
             text_of(root.one(id="directory")), "directory source")
    check(root.one(id="direrror") is None, "no directory error banner")
    check(root.one(id="inconclusive") is None, "no inconclusive banner")
    check("hidden" in root.one(id="shard").attrs,
          "no shard shown when the file has none")

    # The page asked our server for itself and the status file only.
    check_eq(["/index.html", "/status.json"], sorted(set(s.httpd.paths)),
             "requests made by the page")


@test
def filter_in_the_hash():
    if not chromium_path():
        return
    s = site()
    root, _ = dom(s.base + "index.html#stale")
    check_eq({"stale": [("Gone Org", "stale")]}, shown(root),
             "#stale shows the stale link only")
    b = root.one("button", data_filter="stale")
    check_eq("true", b.attrs.get("aria-pressed") if b else None,
             "the stale button is pressed")
    check(link_item(root, XSS_NAME) is None, "#stale hides the ok link")

    root, _ = dom(s.base + "index.html#problems")
    states = [st for _, links in groups(root) for _, st in links]
    check_eq(["stale", "error", "unreachable", "moved"], states,
             "#problems: everything not ok, grouped by state")
    check(link_item(root, "Long Address Org") is None,
          "#problems hides ok links")

    root, _ = dom(s.base + "index.html#blocked")
    check_eq({}, shown(root), "#blocked: nothing")
    check_in("No links in state", text_of(root.one(id="empty")),
             "#blocked says there is nothing")


@test
def load_errors_are_shown():
    if not chromium_path():
        return
    s = site()
    root, _ = dom(s.base + "index.html?status=missing.json")
    check_eq("error", root.one("body").attrs.get("data-state"), "state")
    msg = text_of(root.one(id="load-error"))
    check_in("Could not load the status file", msg or "", "message")
    check_in("missing.json: HTTP 404", msg or "", "what failed")
    check_eq({}, shown(root), "no links")

    with open(os.path.join(s.folder, "broken.json"), "w") as f:
        f.write('{"version": 1, "links": [')
    root, _ = dom(s.base + "index.html?status=broken.json")
    check_in("broken.json is not valid JSON",
             text_of(root.one(id="load-error")) or "", "bad JSON")

    root, _ = dom(s.base + "index.html?status=//elsewhere.example/s.json")
    check_in("must name a file on this site",
             text_of(root.one(id="load-error")) or "", "another site refused")
    check_eq(["/broken.json", "/index.html", "/missing.json"],
             sorted(set(p.split("?")[0] for p in s.httpd.paths)),
             "requests made by the page")


@test
def version_2_fields():
    """A shard and per-link warnings (status version 2), a directory
    error, given with ?status=."""
    if not chromium_path():
        return
    s = site()
    doc = json.loads(json.dumps(s.status))
    doc["version"] = 2
    doc["shard"] = {"index": 2, "count": 4}
    doc["directory"]["error"] = "directory.html: HTTP 503 <b>down</b>"
    doc["directory"]["warnings"] = ["directory.html:9: skipped ftp://x"]
    doc["cycle"]["inconclusive"] = ("no name resolves (<i>3</i> of 3 checks; "
                                    "no server answered any check)")
    for l in doc["links"]:
        if l["name"] == "Long Address Org":
            l["warnings"] = ["certificate expires in 5 days"]
            l["flapping"] = True
    with open(os.path.join(s.folder, "status-2.json"), "w") as f:
        json.dump(doc, f)
    root, _ = dom(s.base + "index.html?status=status-2.json")
    check_eq("loaded", root.one("body").attrs.get("data-state"), "loaded")
    shard = root.one(id="shard")
    check_eq("shard 2 of 4", text_of(shard), "shard")
    check("hidden" not in shard.attrs, "the shard is shown")
    check_in("directory.html: HTTP 503 <b>down</b>",
             text_of(root.one(id="direrror")) or "", "directory error as text")
    check_in("no name resolves (<i>3</i> of 3 checks",
             text_of(root.one(id="inconclusive")) or "",
             "the inconclusive cycle's banner, its reason as text")
    check_in("1 directory warning", text_of(root.one(id="dirwarnings")),
             "directory warnings")
    li = link_item(root, "Long Address Org")
    check_in("certificate expires in 5 days", text_of(li.one(cls="warnings")),
             "link warnings")
    check_in("flapping", text_of(li.one(cls="head")), "flapping badge")
    check_in("Flapping:", text_of(li.one(cls="fix")), "flapping note")
    check_in("status-2.json", text_of(root.one(id="footer")), "file named")


@test
def history_strips_and_uptime():
    """Each link's recent verdicts as a strip (a cell per verdict, its
    state and time in the title) and its uptime over them."""
    if not chromium_path():
        return
    s = site()
    check_eq(["ok", "ok", "stale", "stale"],
             s.by_name["Gone Org"]["history"], "Gone Org's history")
    check_eq(["ok", "ok", "error", "ok"],
             s.by_name["Flaky Org"]["history"], "Flaky Org's history")
    root, _ = dom(s.base + "index.html")
    for l in s.status["links"]:
        li = link_item(root, l["name"])
        if not check(li is not None, "an entry for %r" % l["name"]):
            continue
        hist, at = l["history"], l["history_at"]
        check_eq(RUNS, len(hist), "%s: a verdict per run" % l["name"])
        check_eq(len(hist), len(at), "%s: a time per verdict" % l["name"])
        cells = li.all(cls="cell")
        check_eq(hist, [c.attrs.get("data-state") for c in cells],
                 "%s: a cell per verdict, oldest first" % l["name"])
        for c, t, h in zip(cells, at, hist):
            title = c.attrs.get("title", "")
            check(t is not None and t in title and title.endswith(": " + h),
                  "%s: the cell's title has its time %r and state %r: %r"
                  % (l["name"], t, h, title))
        good = sum(1 for h in hist if h in ("ok", "moved"))
        check_eq("%d%%" % int(100 * good / len(hist) + 0.5),
                 text_of(li.one(cls="pct")), "%s: uptime" % l["name"])
    for name, pct in (("Gone Org", "50%"), ("Flaky Org", "75%"),
                      ("Closed Org", "0%"), ("Moved Org", "100%")):
        li = link_item(root, name)
        check_eq(pct, text_of(li.one(cls="pct")) if li else None,
                 "uptime of %s" % name)


def _aged(doc, hours, gap_minutes):
    """doc written hours ago, its verdicts gap_minutes apart before that
    (no history_at at all when gap_minutes is None)."""
    import datetime
    doc = json.loads(json.dumps(doc))
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    end = now - datetime.timedelta(hours=hours)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    doc["generated_at"] = doc["cycle"]["started_at"] = end.strftime(fmt)
    for l in doc["links"]:
        if gap_minutes is None:
            del l["history_at"]
            continue
        n = len(l["history"])
        l["history_at"] = [
            (end - datetime.timedelta(minutes=gap_minutes * (n - 1 - i)))
            .strftime(fmt) for i in range(n)]
    return doc


@test
def stale_data_is_loud():
    """Data older than 3 check intervals says "stale data"; the interval
    is estimated from the verdicts' times, or given with ?interval=."""
    if not chromium_path():
        return
    s = site()
    for name, doc in (("old.json", _aged(s.status, 3, 15)),
                      ("notimes.json", _aged(s.status, 3, None))):
        with open(os.path.join(s.folder, name), "w") as f:
            json.dump(doc, f)

    root, _ = dom(s.base + "index.html?status=old.json")
    check_eq("stale data", text_of(root.one(id="stale-data")),
             "3 hours after verdicts 15 minutes apart: stale data")
    check_in("3 hours old", text_of(root.one(id="age")) or "", "the age")
    check_in("checked every about 15 minutes",
             text_of(root.one(id="age")) or "", "the estimated interval")
    check_in("more than 3 check intervals",
             text_of(root.one(id="old")) or "", "the banner")

    root, _ = dom(s.base + "index.html?status=old.json&interval=1d")
    check(root.one(id="stale-data") is None,
          "with ?interval=1d, 3 hours is not stale")
    check_in("checked every 24 hours", text_of(root.one(id="age")) or "",
             "the given interval")

    root, _ = dom(s.base + "index.html?status=notimes.json")
    check(root.one(id="stale-data") is None,
          "no verdict times (an older file): only the age, under a day")
    check_in("data 3 hours old", text_of(root.one(id="age")) or "",
             "the age alone")
    li = link_item(root, "Gone Org")
    cells = li.all(cls="cell") if li else []
    check_eq(RUNS, len(cells), "cells without times")
    check(all(c.attrs.get("title", "").startswith("time not recorded")
              for c in cells), "a cell without a time says so")


MEASURE = """<!DOCTYPE html>
<meta charset="utf-8"><title>measure</title>
<iframe id="f" src="index.html" style="width:375px;height:700px;border:0"></iframe>
<pre id="out">pending</pre>
<script>
function poll() {
  var d = document.getElementById("f").contentDocument;
  var st = d && d.body && d.body.getAttribute("data-state");
  if (st !== "loaded" && st !== "error") {     // not yet, or about:blank
    setTimeout(poll, 50);
    return;
  }
  var w = d.documentElement.clientWidth, wide = [], spill = [];
  d.querySelectorAll("body *").forEach(function (e) {
    var r = e.getBoundingClientRect(), what = e.tagName + "." + e.className;
    if (r.width && r.right > w + 0.5)
      wide.push(what + " ends at " + Math.round(r.right));
    if (e.scrollWidth > e.clientWidth + 1 && e.clientWidth &&
        getComputedStyle(e).overflowX === "visible")
      spill.push(what + " holds " + e.scrollWidth + " in " + e.clientWidth);
  });
  document.getElementById("out").textContent = JSON.stringify({
    state: d.body.getAttribute("data-state"), client: w,
    scroll: d.documentElement.scrollWidth, wide: wide.slice(0, 10),
    spill: spill.slice(0, 10)});
}
poll();
</script>
"""


@test
def an_excluded_link_is_shown_as_excluded():
    """Since version 4: a link an exclude rule keeps from being checked is
    listed, as excluded, not as a problem."""
    if not chromium_path():
        return
    s = site()
    doc = json.loads(json.dumps(s.status))
    check(doc.get("version", 0) >= 4, "the status version is %r, not 4 or "
          "later (the first with excluded links)" % doc.get("version"))
    for l in doc["links"]:
        if l["name"] == "Gone Org":
            doc["summary"][l["state"]] -= 1
            l.update(state="unknown", verdict=None, excluded=True, rule=1,
                     accepted=False, reason="excluded by rule 1, not checked")
    doc["summary"]["excluded"] = 1
    with open(os.path.join(s.folder, "status-4.json"), "w") as f:
        json.dump(doc, f)
    root, _ = dom(s.base + "index.html?status=status-4.json")
    li = link_item(root, "Gone Org")
    check(li is not None, "the excluded link is listed")
    if li is None:
        return
    check_eq("excluded", text_of(li.one(cls="state")), "its badge")
    check_eq("excluded", li.attrs.get("data-state"), "its data-state")
    check_in("excluded by rule 1", text_of(li.one(cls="reason")), "reason")
    check(li.one(cls="fix") is None, "no fix for an excluded link")
    root, _ = dom(s.base + "index.html?status=status-4.json#problems")
    names = [n for reg in shown(root).values() for n, _ in reg]
    check("Gone Org" not in names, "not among the problems: %s" % names)
    root, _ = dom(s.base + "index.html?status=status-4.json#excluded")
    names = [n for reg in shown(root).values() for n, _ in reg]
    check_eq(["Gone Org"], names, "the excluded filter")


@test
def what_fails_a_run_is_marked():
    """Since version 6 the file names the states that fail a run
    (fail_on): the summary counts the links in them, and each problem
    group says whether it fails the run.  Control: with fail_on naming
    moved as well, the moved group fails too and the count grows."""
    if not chromium_path():
        return
    s = site()
    doc = json.loads(json.dumps(s.status))
    check_eq(["stale", "error", "unreachable", "unknown"], doc.get("fail_on"),
             "the default fail_on in the status file")
    states = {l["state"] for l in doc["links"]}
    check({"moved", "stale", "error"} <= states, "moved, stale and error "
          "links to show: %r" % states)
    for fails, name in ((doc["fail_on"], "status-6a.json"),
                        (doc["fail_on"] + ["moved"], "status-6b.json")):
        d = dict(doc, fail_on=fails)
        with open(os.path.join(s.folder, name), "w") as f:
            json.dump(d, f)
        root, _ = dom(s.base + "index.html?status=" + name)
        want = sum(1 for l in doc["links"] if l["state"] in fails)
        check_eq("%d failing" % want, text_of(root.one(id="failing")),
                 "the summary's count with fail_on %r" % fails)
        marks = {sec.attrs.get("data-group"):
                 (sec.one(cls="fails") or _Nothing()).attrs.get("data-fails")
                 for sec in root.all("section", "group")}
        for st, mark in marks.items():
            if st in ("ok", "excluded"):
                check_eq(None, mark, "no mark on the %s group" % st)
            else:
                check_eq("yes" if st in fails else "no", mark,
                         "the %s group with fail_on %r" % (st, fails))


class _Nothing:
    attrs = {}


@test
def fits_a_phone():
    """At 375 px nothing is wider than the screen (no sideways scroll)."""
    if not chromium_path():
        return
    s = site()
    with open(os.path.join(s.folder, "measure.html"), "w") as f:
        f.write(MEASURE)
    root, _ = dom(s.base + "measure.html")
    try:
        m = json.loads(text_of(root.one(id="out")))
    except (TypeError, ValueError):
        fail("no measure: %r" % text_of(root.one(id="out")))
        return
    check_eq("loaded", m["state"], "the page loaded in the frame")
    check_eq(375, m["client"], "frame width")
    check_eq(375, m["scroll"], "page width at 375 px (past the edge: %r; "
             "content wider than its box: %r)" % (m["wide"], m["spill"]))
    check_eq([], m["wide"], "elements past the right edge")
    check_eq([], m["spill"], "elements whose content is wider than them")


CLICK = """<!DOCTYPE html>
<meta charset="utf-8"><title>click</title>
<iframe id="f" src="index.html" style="width:800px;height:600px;border:0"></iframe>
<pre id="out">pending</pre>
<script>
var clicked = false;
function poll() {
  var w = document.getElementById("f").contentWindow, d = w.document;
  var st = d && d.body && d.body.getAttribute("data-state");
  if (st !== "loaded") { setTimeout(poll, 50); return; }
  if (!clicked) {
    clicked = true;
    d.querySelector('button[data-filter="stale"]').click();
    setTimeout(poll, 200);
    return;
  }
  var names = [];
  d.querySelectorAll("li.link").forEach(function (li) {
    names.push(li.querySelector(".name").textContent);
  });
  document.getElementById("out").textContent = JSON.stringify({
    hash: w.location.hash, names: names,
    pressed: d.querySelector('button[aria-pressed="true"]').getAttribute("data-filter")});
}
poll();
</script>
"""


@test
def click_filters_and_sets_the_hash():
    if not chromium_path():
        return
    s = site()
    with open(os.path.join(s.folder, "click.html"), "w") as f:
        f.write(CLICK)
    root, _ = dom(s.base + "click.html")
    try:
        m = json.loads(text_of(root.one(id="out")))
    except (TypeError, ValueError):
        fail("no result: %r" % text_of(root.one(id="out")))
        return
    check_eq("#stale", m["hash"], "the filter is in the hash")
    check_eq(["Gone Org"], m["names"], "the stale link only")
    check_eq("stale", m["pressed"], "the pressed button")


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


@test
def screenshots():
    if not chromium_path():
        return
    s = site()
    os.makedirs(SHOTS, exist_ok=True)
    for name, size in (("dashboard.png", (390, 844)),
                       ("dashboard-desktop.png", (1280, 900))):
        path = os.path.join(SHOTS, name)
        if os.path.exists(path):
            os.unlink(path)
        browser(s.base + "index.html", "--screenshot=" + path, size=size)
        check(os.path.exists(path), "screenshot %s written" % path)
        if os.path.exists(path):
            check_eq(size, png_size(path), "size of %s" % name)


if __name__ == "__main__":
    lhtest.main()
