"""doc/status.schema.json: real status files, from every kind of run, are
valid against it (JSON Schema draft 2020-12, format checking on); broken
copies are not; and its version is the one lib/status.h writes.

The validator is python3-jsonschema.  The python3 that runs the tests
(tests/run.sh: the first python3 on PATH, perhaps a pyenv one without
Debian's dist-packages) is used when it can import jsonschema; otherwise
the validation runs in /usr/bin/python3 (where Debian's package puts it),
or LH_JSONSCHEMA_PYTHON when set.  Without either, every test fails
naming the package."""

import copy
import json
import os
import signal
import subprocess
import sys

import lhtest
from lhtest import Daemon, check, check_eq, check_in, fail, serve, test

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCHEMA_PATH = os.path.join(ROOT, "doc", "status.schema.json")
SYSTEM_PYTHON = "/usr/bin/python3"
PACKAGE = "python3-jsonschema"

FAST = {"timeout": "5s", "connect_timeout": "2s", "retries": 0,
        "jitter": 0}


# --- the validator -------------------------------------------------------

def _error_text(e):
    where = "/".join(str(p) for p in e.absolute_path) or "(document)"
    return "%s: %s" % (where, e.message)


def _validate_docs(schema, docs):
    """Errors of each doc (a list of lists of "path: message"), with the
    jsonschema importable in this interpreter."""
    import jsonschema
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    checker = getattr(cls, "FORMAT_CHECKER", None) or \
        jsonschema.FormatChecker()
    v = cls(schema, format_checker=checker)
    return [sorted(_error_text(e) for e in v.iter_errors(d)) for d in docs]


def _validator_info():
    import jsonschema
    try:
        from importlib.metadata import version
        ver = version("jsonschema")
    except Exception:
        ver = "?"
    cls = jsonschema.Draft202012Validator
    checker = getattr(cls, "FORMAT_CHECKER", None) or \
        jsonschema.FormatChecker()
    return {"python": sys.executable, "version": ver,
            "formats": sorted(checker.checkers)}


def _validate_main(schema_path):
    """python3 test_schema.py --validate SCHEMA < [doc, ...]: print
    {"errors": [...], "info": {...}} as JSON.  Exit 3 without jsonschema,
    4 for a schema that is not a valid draft 2020-12 schema."""
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        return 3
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    docs = json.load(sys.stdin)
    try:
        errors = _validate_docs(schema, docs)
    except jsonschema.SchemaError as e:
        sys.stderr.write("schema: %s\n" % e.message)
        return 4
    json.dump({"errors": errors, "info": _validator_info()}, sys.stdout)
    return 0


class Validator:
    """validate(docs) -> a list of error lists, one per document."""

    def __init__(self):
        forced = os.environ.get("LH_JSONSCHEMA_PYTHON")
        self.python = None
        if not forced:
            try:
                import jsonschema  # noqa: F401
                self.info = _validator_info()
                return
            except ImportError:
                pass
        python = forced or SYSTEM_PYTHON
        p = subprocess.run([python, "-c", "import jsonschema"],
                           capture_output=True, text=True) \
            if os.access(python, os.X_OK) else None
        if p is None or p.returncode != 0:
            tried = ("LH_JSONSCHEMA_PYTHON=%s cannot" % python if forced
                     else "neither %s nor %s can" % (sys.executable, python))
            raise RuntimeError(
                "JSON Schema validator missing: %s import jsonschema; "
                "install the Debian package %s (apt-get install -y %s)"
                % (tried, PACKAGE, PACKAGE))
        self.python = python
        self.info = None

    def validate(self, docs):
        with open(SCHEMA_PATH, encoding="utf-8") as f:
            schema = json.load(f)
        if self.python is None:
            return _validate_docs(schema, docs)
        p = subprocess.run([self.python, os.path.abspath(__file__),
                            "--validate", SCHEMA_PATH],
                           input=json.dumps(docs), capture_output=True,
                           text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("validation in %s failed (exit %d): %s"
                               % (self.python, p.returncode,
                                  p.stderr[-500:]))
        out = json.loads(p.stdout)
        self.info = out["info"]
        return out["errors"]


_validator = None


def validator():
    global _validator
    if _validator is None:
        _validator = Validator()
    return _validator


def schema():
    with open(SCHEMA_PATH, encoding="utf-8") as f:
        return json.load(f)


def check_valid(doc, what):
    """The document is a version-3 status file per the schema."""
    if not check(isinstance(doc, dict), "%s: a JSON object, got %r"
                 % (what, type(doc).__name__)):
        return False
    errors = validator().validate([doc])[0]
    if errors:
        fail("%s: %d schema errors, first: %s" % (
            what, len(errors), "; ".join(errors[:5])))
    check_eq(schema()["properties"]["version"]["const"], doc.get("version"),
             "%s: version, as the schema's const" % what)
    if errors:
        return False
    # What the schema says in words but cannot express.
    links = doc["links"]
    states = [l["state"] for l in links]
    check_eq({k: states.count(k) for k in doc["summary"]}, doc["summary"],
             "%s: summary counts the links' states" % what)
    for l in links:
        check_eq(len(l["redirect_chain"]), l["redirects"],
                 "%s: redirects of %s" % (what, l["url"]))
    shard = doc["shard"]
    if shard is not None:
        check(shard["index"] <= shard["count"], "%s: shard %r" % (what, shard))
    return True


def by_url(status):
    return {l["url"]: l for l in (status or {}).get("links", [])}


# --- the schema itself ---------------------------------------------------

@test
def schema_is_draft_2020_12_and_the_version_is_lib_status_h():
    s = schema()
    check_eq("https://json-schema.org/draft/2020-12/schema", s.get("$schema"),
             "$schema")
    # LH_STATUS_VERSION, parsed from lib/status.h by lhtest: a version bump
    # without a schema change (or the reverse) fails here.
    version = lhtest.STATUS_VERSION
    check_eq(version, s["properties"]["version"].get("const"),
             "the schema's version const against LH_STATUS_VERSION in "
             "lib/status.h")
    check(s.get("$id", "").endswith("/status-%d.schema.json" % version),
          "$id names version %d: %r" % (version, s.get("$id")))
    check(".invalid/" in s.get("$id", ""), "$id is not a real address")
    # check_schema (in the validator) and a trivial validation.
    v = validator()
    errors = v.validate([{}])[0]
    check(len(errors) > 0, "an empty object is rejected")
    info = v.info or {}
    print("# validator: jsonschema %s in %s; formats checked: %s" % (
        info.get("version"), info.get("python"),
        ", ".join(info.get("formats", []))), flush=True)
    # Every property of every object is required, so that no field can
    # silently go missing.
    def walk(node, where):
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                check_eq(sorted(props), sorted(node.get("required", [])),
                         "required keys of %s" % where)
                check_eq(False, node.get("additionalProperties"),
                         "additionalProperties of %s" % where)
            for k, sub in node.items():
                walk(sub, where + "/" + k)
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, "%s/%d" % (where, i))
    walk(s, "#")


# --- real status files -----------------------------------------------------

def mixed_site():
    return serve({
        "/ok": 200,
        "/old": {"status": 301, "headers": {"Location": "/new"}},
        "/new": 200,
        "/gone": 404,
        "/broken": 500,
        "/r1": {"status": 302, "headers": {"Location": "/r2"}},
        "/r2": {"status": 307, "headers": {"Location": "/r3"}},
        "/r3": {"status": 303, "headers": {"Location": "/ok"}},
        "/nohead": {"status": 200, "head": {"status": 405}},
        "/linkedin": 999,
    })


@test
def once_with_pages_read():
    """Content checks on: every link's page memo is valid, and pages that
    were read have one."""
    srv = mixed_site()
    urls = [srv.url(p) for p in ("/ok", "/old", "/gone", "/r1", "/nohead")]
    r = lhtest.run_once(dict(FAST, directory=lhtest.write_list_directory(
        urls)))
    check_valid(r.status, "--once status file with pages")
    links = by_url(r.status)
    page = links.get(srv.url("/ok"), {}).get("page") or {}
    check(page.get("read_at") is not None, "the page of /ok was read")
    check_eq(None, links.get(srv.url("/gone"), {}).get("page"),
             "no page for a 404")


@test
def once_of_a_markdown_directory():
    """directory.format "markdown" is in the schema's enumeration."""
    srv = mixed_site()
    path = os.path.join(lhtest.tmpdir(), "awesome.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write("# Awesome\n\n## Region\n\n- [OK](%s) - fine\n"
                "- [Gone](%s)\n" % (srv.url("/ok"), srv.url("/gone")))
    r = lhtest.run_once(dict(FAST, directory=path))
    check_valid(r.status, "--once status file of a Markdown directory")
    check_eq("markdown", (r.status or {}).get("directory", {}).get("format"),
             "directory.format")


@test
def once_over_every_kind_of_link():
    srv = mixed_site()
    closed = "http://127.0.0.1:%d/" % lhtest.closed_port()
    expect = {
        srv.url("/ok"): "ok",
        srv.url("/old"): "moved",
        srv.url("/gone"): "stale",
        srv.url("/broken"): "error",
        srv.url("/r1"): "ok",
        srv.url("/nohead"): "ok",
        srv.url("/linkedin"): "blocked",
        closed: "unreachable",
        "http://nowhere.invalid/": "unreachable",
    }
    entries = [(u, "Org %d | \"quoted\" \u00e9" % i)
               for i, u in enumerate(expect)]
    # Directory warnings: a URL that is not http(s), and a duplicate.
    entries += ["ftp://files.example.invalid/x", srv.url("/ok")]
    # HEAD first, as without content checks: the HEAD refusal is asserted
    # (once_with_pages_read reads the pages).
    r = lhtest.run_once(dict(FAST, content_checks="no",
                             directory=lhtest.write_list_directory(entries)))
    check_eq(1, r.returncode, "exit code (stderr %s)" % r.stderr[-300:])
    check_valid(r.status, "--once status file")
    links = by_url(r.status)
    for url, state in expect.items():
        check_eq(state, links.get(url, {}).get("state"), "state of " + url)
    chain = links.get(srv.url("/r1"), {}).get("redirect_chain")
    check_eq(3, len(chain or []), "the redirect chain has three hops")
    nohead = links.get(srv.url("/nohead"), {})
    check_eq(("GET", 405), (nohead.get("method"), nohead.get("head_status")),
             "HEAD refused, GET decided")
    check_eq("dns", links.get("http://nowhere.invalid/", {}).get("failure"),
             "a .invalid name")
    check(len(((r.status or {}).get("directory") or {}).get("warnings", []))
          >= 2, "directory warnings (not http(s), duplicate)")


@test
def once_format_json_on_stdout():
    srv = mixed_site()
    r = lhtest.run_once(dict(FAST, directory=lhtest.write_list_directory(
        [srv.url("/ok"), srv.url("/gone"), srv.url("/old")])),
        ["--format", "json"])
    check_eq(1, r.returncode, "exit code (stderr %s)" % r.stderr[-300:])
    try:
        doc = json.loads(r.stdout)
    except ValueError as e:
        fail("stdout is not JSON: %s: %r" % (e, r.stdout[:300]))
        return
    check_valid(doc, "--once --format json stdout")


@test(deadline=90)
def daemon_two_cycles_with_a_reload_and_a_stop():
    srv = mixed_site()
    path = lhtest.write_list_directory([srv.url("/ok"), srv.url("/gone")])
    d = Daemon(dict(FAST, directory=path, interval="1h"))
    s = d.wait_status(lambda s: s["cycle"]["number"] >= 1)
    if not check(s is not None, "a first cycle (log: %s)"
                 % d.output()[-400:]):
        return
    check_valid(s, "daemon status after cycle 1")
    # fail_threshold 2: not confirmed yet.
    gone = by_url(s).get(srv.url("/gone"), {})
    check_eq(("unknown", "stale"), (gone.get("state"), gone.get("verdict")),
             "the 404 after one cycle")
    # SIGHUP with a configuration that lists one more link: a new cycle.
    path2 = lhtest.write_list_directory([srv.url("/ok"), srv.url("/gone"),
                                         srv.url("/old")])
    with open(d.conf_path) as f:
        text = f.read()
    with open(d.conf_path, "w") as f:
        f.write(text.replace(path, path2))
    d.proc.send_signal(signal.SIGHUP)
    s = d.wait_status(lambda s: s["cycle"]["number"] >= 2 and
                      len(s["links"]) == 3)
    if check(s is not None, "a second cycle after SIGHUP (log: %s)"
             % d.output()[-400:]):
        check_valid(s, "daemon status after SIGHUP and cycle 2")
        check_eq(path2, s["directory"]["source"], "the reloaded directory")
        check_in("SIGHUP: reloading " + d.conf_path, d.output(),
                 "the reload logged")
        check_eq("stale", by_url(s).get(srv.url("/gone"), {}).get("state"),
                 "the 404 confirmed")
    d.check_stop(signal.SIGTERM)
    check_valid(d.status(), "daemon status after SIGTERM")


@test(deadline=90)
def directory_error_keeps_the_last_good_one():
    srv = mixed_site()
    path = lhtest.write_list_directory([srv.url("/ok"), srv.url("/gone")])
    d = Daemon(dict(FAST, directory=path, directory_format="list",
                    interval="300ms"))
    s = d.wait_status(lambda s: s["cycle"]["number"] >= 1)
    check(s is not None, "a first cycle")
    with open(path, "w") as f:
        f.write("# nothing but comments\n")
    s = d.wait_status(lambda s: s["directory"]["error"] is not None)
    if check(s is not None, "directory.error set (log: %s)"
             % d.output()[-400:]):
        check_valid(s, "status with a directory error")
        check_eq(2, len(s["links"]), "the last good links kept")
    d.check_stop()


@test(deadline=90)
def missing_directory_at_start_with_a_previous_status_file():
    """Before a first good directory: format null, entries 0, and the
    previous run's links as they were saved (not checked in this run)."""
    srv = mixed_site()
    path = lhtest.write_list_directory([srv.url("/ok"), srv.url("/gone")])
    status = os.path.join(lhtest.tmpdir(), "status.json")
    conf = dict(FAST, directory=path, fail_threshold=1, interval="1h")
    d = Daemon(conf, status_path=status)
    check(d.wait_status(lambda s: s["cycle"]["number"] >= 1) is not None,
          "a first cycle")
    d.check_stop()
    os.rename(path, path + ".away")
    d2 = Daemon(conf, status_path=status)
    s = d2.wait_status(lambda s: s["directory"]["error"] is not None)
    if check(s is not None, "directory.error set (log: %s)"
             % d2.output()[-400:]):
        check_valid(s, "status before a first good directory")
        check_eq((None, 0), (s["directory"]["format"],
                             s["directory"]["entries"]),
                 "format and entries before a first good load")
        gone = by_url(s).get(srv.url("/gone"), {})
        check_eq(("stale", None), (gone.get("state"),
                                   gone.get("http_status")),
                 "a saved link, not checked in this run")
    d2.check_stop()


@test
def sharded_once():
    srv = serve({"/": {"status": 200, "prefix": True}})
    urls = [srv.url("/org/%d" % i) for i in range(20)]
    r = lhtest.run_once(dict(FAST, directory=lhtest.write_list_directory(
        urls)), ["--shard", "1/2"])
    check_eq(0, r.returncode, "exit code (stderr %s)" % r.stderr[-300:])
    check_valid(r.status, "status of shard 1/2")
    check_eq({"index": 1, "count": 2}, (r.status or {}).get("shard"),
             "shard")


@test
def international_addresses():
    # Version 5: request_url beside url; a mixed-script host's warning; a
    # moved link's fix in U-labels.
    srv = serve({"/": 200, "/%E6%97%A5": {"status": 301, "headers": {
        "Location": "/n%C3%A9"}}, "/n%C3%A9": 200})
    reie, mixed = "\u4f8b\u3048.lh.test", "\u0430pple.lh.test"
    urls = [srv.url("/\u65e5", reie), srv.url("/", mixed)]
    r = lhtest.run_once(dict(FAST, directory=lhtest.write_list_directory(
        urls), resolve=srv.resolve(reie, mixed)))
    check_eq(0, r.returncode, "exit code (stderr %s)" % r.stderr[-300:])
    check_valid(r.status, "status with international addresses")
    links = by_url(r.status)
    check_eq(srv.url("/%E6%97%A5", "xn--r8jz45g.lh.test"),
             links.get(urls[0], {}).get("request_url"), "request_url")
    check_eq(srv.url("/n\u00e9", reie), links.get(urls[0], {}).get(
        "new_url"), "new_url as an editor pastes it")
    check_eq(1, len(links.get(urls[1], {}).get("warnings") or []),
             "the mixed-script warning")


@test
def https_certificate_that_expires_soon():
    soon = serve({"/": 200}, tls=lhtest.cert("soon"))
    url = soon.url("/", "site.lh.test")
    r = lhtest.run_once(dict(FAST, directory=lhtest.write_list_directory(
        [url]), resolve=soon.resolve("site.lh.test"),
        ca_file=lhtest.ca_file()))
    check_eq(0, r.returncode, "exit code (stderr %s)" % r.stderr[-300:])
    check_valid(r.status, "status with a certificate warning")
    link = by_url(r.status).get(url, {})
    check(len(link.get("warnings") or []) == 1,
          "one warning: %r" % link.get("warnings"))
    check(link.get("cert_expires_at") is not None, "cert_expires_at set")
    check((link.get("timings") or {}).get("tls_ms") is not None,
          "tls_ms set")


# --- the validator bites ---------------------------------------------------

def _drop(path):
    def f(doc):
        node = doc
        for k in path[:-1]:
            node = node[k]
        del node[path[-1]]
    return f


def _set(path, value):
    def f(doc):
        node = doc
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value
    return f


@test
def broken_copies_are_rejected():
    srv = mixed_site()
    r = lhtest.run_once(dict(FAST, directory=lhtest.write_list_directory(
        [srv.url("/ok"), srv.url("/old"), srv.url("/gone")])))
    good = r.status
    if not check_valid(good, "the unbroken original"):
        return
    cases = [
        ("a wrong state name", _set(["links", 0, "state"], "fine"),
         "links/0/state"),
        ("a wrong verdict name", _set(["links", 1, "verdict"], "Moved"),
         "links/1/verdict"),
        ("a wrong failure id", _set(["links", 2, "failure"], "dns-error"),
         "links/2/failure"),
        ("a wrong history entry", _set(["links", 0, "history"], ["okay"]),
         "links/0/history/0"),
        ("a missing link field", _drop(["links", 0, "verdict"]), "links/0"),
        ("a missing summary key", _drop(["summary", "unknown"]), "summary"),
        ("a missing top-level key", _drop(["shard"]), "(document)"),
        ("a string for an integer", _set(["links", 0, "http_status"], "200"),
         "links/0/http_status"),
        ("a string for a count", _set(["directory", "entries"], "3"),
         "directory/entries"),
        ("a number for an integer", _set(["cycle", "number"], 1.5),
         "cycle/number"),
        ("a time without its zone", _set(["generated_at"],
                                         "2026-11-23T09:54:28"),
         "generated_at"),
        ("a time with a space", _set(["links", 0, "checked_at"],
                                     "2026-11-23 09:54:28Z"),
         "links/0/checked_at"),
        ("another version", _set(["version"], lhtest.STATUS_VERSION + 1),
         "version"),
        ("shard 0", _set(["shard"], {"index": 0, "count": 2}),
         "shard/index"),
        ("an unknown field", _set(["links", 0, "colour"], "red"),
         "links/0"),
        ("an unknown top-level field", _set(["extra"], True),
         "(document)"),
        ("a non-http url", _set(["links", 0, "url"], "ftp://x.invalid/"),
         "links/0/url"),
        ("null for a string", _set(["links", 0, "reason"], None),
         "links/0/reason"),
        ("a 200 in a redirect chain",
         _set(["links", 1, "redirect_chain", 0, "status"], 200),
         "links/1/redirect_chain/0/status"),
    ]
    docs = []
    for what, mutate, _ in cases:
        doc = copy.deepcopy(good)
        mutate(doc)
        docs.append(doc)
    results = validator().validate(docs)
    for (what, _, where), errors in zip(cases, results):
        if check(errors, "%s is rejected" % what):
            check(any(e.startswith(where + ":") for e in errors),
                  "%s: an error at %s in %r" % (what, where, errors))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--validate"]:
        sys.exit(_validate_main(sys.argv[2]))
    lhtest.main()
