"""The documentation follows the code, each reference in its one home.

The manual pages doc/linkhealthd.8 and doc/linkhealthd.conf.5 are clean
under mandoc's linter, list exactly the options of --help, the states of
the status schema, the exit codes of --help and the signals the daemon
handles, and exactly the configuration keys that conf/linkhealthd.conf
shows and the binary accepts.  doc/status.md describes exactly the fields
of doc/status.schema.json, doc/prometheus.md exactly the metrics lib/
writes.  The README stays short (at most README_MAX_LINES lines), names
only paths that exist, and points to every reference page.  Needs mandoc
(Debian package mandoc)."""

import glob
import json
import os
import re
import shutil
import subprocess

import lhtest
from lhtest import check, check_eq, check_in, fail, test

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DOC = os.path.join(ROOT, "doc")
PAGE8 = os.path.join(DOC, "linkhealthd.8")
PAGE5 = os.path.join(DOC, "linkhealthd.conf.5")
CONF = os.path.join(ROOT, "conf", "linkhealthd.conf")
README = os.path.join(ROOT, "README.md")
SCHEMA = os.path.join(DOC, "status.schema.json")
STATUS_MD = os.path.join(DOC, "status.md")
PROMETHEUS_MD = os.path.join(DOC, "prometheus.md")
README_MAX_LINES = 200
# Where each reference lives; the README must point to every one.
REFERENCE_PAGES = ["doc/linkhealthd.8", "doc/linkhealthd.conf.5",
                   "doc/status.md", "doc/prometheus.md", "doc/dashboard.md",
                   "bench/README.md", "tests/README.md"]
# Markdown pages whose relative links must resolve.
MARKDOWN_PAGES = ["README.md", "doc/status.md", "doc/prometheus.md",
                  "doc/dashboard.md", "bench/README.md", "tests/README.md"]

# Defaults that cannot be compared as text with the shipped configuration.
DEFAULT_EXCEPTIONS = {
    # The shipped file says "directory.json", relative to its folder:
    # /etc/linkhealthd/directory.json once installed, the built-in default.
    "directory": "relative in the shipped file",
}


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def mandoc():
    path = shutil.which("mandoc")
    if path is None:
        raise RuntimeError("mandoc is missing: install the Debian package "
                           "mandoc (apt-get install -y mandoc)")
    return path


def binary():
    b = lhtest.binary()
    if not os.access(b, os.X_OK):
        raise RuntimeError("%s is missing: run make first" % b)
    return b


def section(text, name):
    """The lines of mdoc section .Sh NAME, up to the next .Sh."""
    out, inside = [], False
    for line in text.splitlines():
        if line.startswith(".Sh "):
            inside = line[4:].strip().strip('"') == name
            continue
        if inside:
            out.append(line)
    return out


def option_pairs_from_fl(line):
    """(short, long) from the Fl macros of one .It line of the page:
    ".It Fl c Ar file , Fl -config Ar file" -> ("-c", "--config")."""
    short = long_ = None
    for word in re.findall(r"\bFl\s+(\S+)", line):
        if word.startswith("-"):
            long_ = "-" + word
        else:
            short = "-" + word
    return short, long_


def page_options():
    pairs = set()
    for line in section(read(PAGE8), "OPTIONS"):
        if line.startswith(".It ") and " Fl " in " " + line[4:]:
            pairs.add(option_pairs_from_fl(line))
    return pairs


def help_options():
    p = subprocess.run([binary(), "--help"], capture_output=True, text=True,
                       timeout=30)
    check_eq(0, p.returncode, "--help exit status")
    pairs = set()
    for line in p.stdout.splitlines():
        # "  -c, --config FILE   ..." or "      --once   ...": the option
        # column only, never the descriptions beside or under it.
        m = re.match(r"^ {2}(?:(-\w), )?\s*(--[\w-]+)", line)
        if m:
            pairs.add((m.group(1), m.group(2)))
    return pairs


def show(pairs):
    return ", ".join(sorted("%s%s" % (s + ", " if s else "", l)
                            for s, l in pairs))


def compare(expected, actual, what_expected, what_actual, kind):
    """Both directions, naming what is missing or extra."""
    missing = set(expected) - set(actual)
    extra = set(actual) - set(expected)
    if missing:
        fail("%s in %s but not in %s: %s" % (kind, what_expected,
                                             what_actual, show_any(missing)))
    if extra:
        fail("%s in %s but not in %s: %s" % (kind, what_actual,
                                             what_expected, show_any(extra)))
    return not missing and not extra


def show_any(items):
    items = list(items)
    if items and isinstance(items[0], tuple):
        return show(items)
    return ", ".join(sorted(items))


# --- configuration keys ----------------------------------------------------

def page_keys():
    """key -> documented default (text after "Default:", None when none)."""
    keys = {}
    current = None
    lines = section(read(PAGE5), "OPTIONS")
    for i, line in enumerate(lines):
        m = re.match(r"^\.It Cm (\w+)", line)
        if m:
            current = m.group(1)
            check(current not in keys, "key %s documented twice" % current)
            keys[current] = None
            continue
        if current is None:
            continue
        if line.startswith(".El"):
            current = None
            continue
        m = re.match(r"^Default:\s*(.*)$", line)
        if m:
            value = m.group(1)
            if value == "":
                # ".Ql 8M ." / ".Cm auto ." / ".Pa /etc/... ." on the next
                # line.
                nxt = lines[i + 1] if i + 1 < len(lines) else ""
                value = re.sub(r"^\.\w+\s+", "", nxt)
                value = re.sub(r"\s+[.,;:]$", "", value)
            else:
                value = value.rstrip(".")
            if value in ("none", "the system store"):
                value = None
            keys[current] = ("default", value)
    return keys


def conf_lines():
    """key -> (commented, value) of every "key = value" line of the
    shipped file, commented out ("# resolve = ...") or not."""
    keys = {}
    for line in read(CONF).splitlines():
        m = re.match(r"^(#\s?)?([a-z][a-z0-9_]*) = ?(.*)$", line)
        if m:
            keys[m.group(2)] = (bool(m.group(1)), m.group(3).strip())
    return keys


def conf_keys():
    """key -> the value the shipped file sets, None when commented out."""
    return {k: None if commented else v
            for k, (commented, v) in conf_lines().items()}


# --- states, exit codes, signals ----------------------------------------

def schema():
    return json.loads(read(SCHEMA))


def schema_states():
    return {v for v in schema()["$defs"]["state"]["enum"] if v is not None}


def subsection(lines, name):
    """The lines of mdoc subsection .Ss NAME, up to the next .Ss."""
    out, inside = [], False
    for line in lines:
        if line.startswith(".Ss "):
            inside = line[4:].strip().strip('"') == name
            continue
        if inside:
            out.append(line)
    return out


def page_states():
    """The .It Cm entries of linkhealthd.8's "Link states" subsection."""
    lines = subsection(section(read(PAGE8), "DESCRIPTION"), "Link states")
    return [m.group(1) for m in (re.match(r"^\.It Cm (\w+)$", l)
                                 for l in lines) if m]


def page_exit_codes():
    """code -> the words of its .It entry in EXIT STATUS."""
    codes, current = {}, None
    for line in section(read(PAGE8), "EXIT STATUS"):
        m = re.match(r"^\.It (\d+)$", line)
        if m:
            current = int(m.group(1))
            codes[current] = []
        elif current is not None and not line.startswith((".El", ".Bl")):
            codes[current].append(line)
    return {k: "\n".join(v) for k, v in codes.items()}


def help_exit_codes():
    p = subprocess.run([binary(), "--help"], capture_output=True, text=True,
                       timeout=30)
    return {int(c) for c in re.findall(r"\b(\d) (?:all|some|usage)\b",
                                       p.stdout)}


def page_signals():
    names = set()
    for line in section(read(PAGE8), "SIGNALS"):
        if line.startswith(".It "):
            names |= set(re.findall(r"\bDv (SIG[A-Z0-9]+)", line))
    return names


def daemon_signals():
    """Signals daemon/ handles: every SIG name in its C files but those it
    ignores with signal(SIGX, SIG_IGN)."""
    handled, ignored = set(), set()
    for path in glob.glob(os.path.join(ROOT, "daemon", "*.c")):
        text = read(path)
        ignored |= set(re.findall(r"signal\((SIG[A-Z0-9]+),\s*SIG_IGN\)",
                                  text))
        handled |= set(re.findall(r"\b(SIG(?!_)[A-Z0-9]+)\b", text))
    return handled - ignored


# --- the markdown pages --------------------------------------------------

def table_first_column(path, header):
    """The code spans of the first column of the table whose header row
    starts with "| HEADER |", one list per row."""
    rows, inside = [], False
    for line in read(path).splitlines():
        if re.match(r"^\| %s \|" % re.escape(header), line):
            inside = True
            continue
        if inside and not line.startswith("|"):
            inside = False
        if inside and not line.startswith("|---"):
            first = line.split("|")[1]
            rows.append(re.findall(r"`([^`]+)`", first))
    return rows


def schema_fields():
    """The names doc/status.md's field table must list: top-level fields,
    directory.X and cycle.X, links[] and every field of a link."""
    s = schema()
    top = set(s["properties"])
    fields = top - {"directory", "cycle", "links"}
    fields |= {"directory." + k for k in s["properties"]["directory"]
               ["properties"]}
    fields |= {"cycle." + k for k in s["properties"]["cycle"]["properties"]}
    fields.add("links[]")
    fields |= set(s["$defs"]["link"]["properties"])
    return fields


def markdown_metrics():
    names = set()
    for header in ("metric",):
        for row in table_first_column(PROMETHEUS_MD, header):
            for span in row:
                m = re.match(r"^(linkhealthd_\w+)", span)
                if m:
                    names.add(m.group(1))
    return names


def code_metrics():
    """Metric names in string literals of lib/*.c (not in comments)."""
    names = set()
    for path in glob.glob(os.path.join(ROOT, "lib", "*.c")):
        names |= set(re.findall(r'"(linkhealthd_[a-z_]+)"', read(path)))
    return names


def relative_paths(path):
    """Repository paths a markdown page names: the targets of its
    relative links, resolved from its folder, and (for the README) code
    spans that look like a path into doc/, bench/ or tests/."""
    text = read(os.path.join(ROOT, path))
    base = os.path.dirname(path)
    found = set()
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"^[a-z]+:|^#", target):
            continue
        target = target.split("#")[0]
        found.add(os.path.normpath(os.path.join(base, target)))
    if path == "README.md":
        for span in re.findall(r"`((?:doc|bench|tests)/[^`\s]*)`", text):
            found.add(os.path.normpath(span))
    return found


# --- the tests -----------------------------------------------------------

@test
def pages_are_clean_under_mandoc_lint():
    tool = mandoc()
    for page in (PAGE8, PAGE5):
        p = subprocess.run([tool, "-T", "lint", "-W", "warning", page],
                           capture_output=True, text=True, timeout=30)
        out = (p.stdout + p.stderr).strip()
        check_eq("", out, "mandoc -T lint -W warning %s"
                 % os.path.relpath(page, ROOT))
        check_eq(0, p.returncode, "its exit status")


@test
def pages_are_clean_at_style_level_too():
    """-W style as well, with both pages on a MANPATH so that their .Xr to
    each other resolve.  A reference to a manual this machine lacks (jq(1)
    where jq is not installed) and mandoc.db notes depend on the machine,
    not the page: those are left out."""
    tool = mandoc()
    d = lhtest.tmpdir()
    for page, sect in ((PAGE8, "8"), (PAGE5, "5")):
        os.makedirs(os.path.join(d, "man" + sect), exist_ok=True)
        shutil.copy(page, os.path.join(d, "man" + sect))
    env = dict(os.environ, MANPATH=d + ":" + (os.environ.get("MANPATH") or
                                              "/usr/share/man"))
    for page in (PAGE8, PAGE5):
        p = subprocess.run([tool, "-T", "lint", "-W", "style", page],
                           capture_output=True, text=True, timeout=30,
                           env=env)
        lines = [l for l in (p.stdout + p.stderr).splitlines()
                 if "outdated mandoc.db" not in l and not (
                     "referenced manual not found" in l and
                     "Xr linkhealthd" not in l)]
        check_eq([], lines, "mandoc -T lint -W style %s"
                 % os.path.relpath(page, ROOT))


@test
def options_of_the_page_are_those_of_help():
    man = page_options()
    helped = help_options()
    check(len(helped) >= 10, "options parsed from --help: %s" % show(helped))
    compare(helped, man, "--help", "linkhealthd.8 OPTIONS", "options")
    # The same, one option at a time (a short option paired with the
    # wrong long one shows here too).
    man_flat = {o for pair in man for o in pair if o}
    help_flat = {o for pair in helped for o in pair if o}
    compare(help_flat, man_flat, "--help", "linkhealthd.8 OPTIONS",
            "single options")


@test
def keys_of_the_page_are_those_of_the_shipped_configuration():
    man = page_keys()
    conf = conf_keys()
    check(len(man) >= 20, "keys parsed from linkhealthd.conf.5: %s"
          % sorted(man))
    compare(conf, man, "conf/linkhealthd.conf", "linkhealthd.conf.5",
            "configuration keys")
    check_eq([], sorted(k for k, v in man.items() if v is None),
             "keys of linkhealthd.conf.5 without a \"Default:\"")
    # Where the shipped file sets a key, it shows the default.
    for key, value in sorted(conf.items()):
        if value is None or key not in man or man[key] is None or \
                key in DEFAULT_EXCEPTIONS:
            continue
        documented = man[key][1]
        check_eq(value or None, documented,
                 "default of %s: conf/linkhealthd.conf against "
                 "linkhealthd.conf.5" % key)


@test
def every_documented_key_is_accepted_at_its_default():
    folder = lhtest.tmpdir()
    directory = os.path.join(folder, "directory.txt")
    with open(directory, "w") as f:
        f.write("https://example.invalid/ Example\n")
    man = page_keys()
    examples = conf_lines()
    check(len(man) >= 20, "keys parsed: %s" % sorted(man))
    for key, default in sorted(man.items()):
        value = default[1] if default else None
        if key == "directory":
            value = directory   # the default path may not exist here
        if value is None and examples.get(key, (False, ""))[0]:
            # None by default and no empty value (resolve, connect_to):
            # the example the shipped file shows, commented out.
            value = examples[key][1]
        if value is None:
            value = ""
        value = value.replace("VERSION", "0")
        lines = [] if key == "directory" else ["directory = " + directory]
        lines.append("%s = %s" % (key, value))
        conf = os.path.join(folder, "%s.conf" % key)
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        p = subprocess.run([binary(), "--check-config", "-c", conf],
                           capture_output=True, text=True, timeout=30,
                           env=lhtest.clean_env())
        if "unknown option" in p.stderr:
            fail("key %s of linkhealthd.conf.5 is unknown to the binary: %s"
                 % (key, p.stderr.strip()))
        else:
            check_eq(0, p.returncode, "--check-config with %s = %s "
                     "(stderr %s)" % (key, value, p.stderr.strip()[-300:]))
    # And the binary does say so for a key it does not know.
    conf = os.path.join(folder, "bad.conf")
    with open(conf, "w") as f:
        f.write("directory = %s\nintervall = 15m\n" % directory)
    p = subprocess.run([binary(), "--check-config", "-c", conf],
                       capture_output=True, text=True, timeout=30)
    check_eq(2, p.returncode, "an unknown key: exit status")
    check('unknown option "intervall"' in p.stderr,
          "an unknown key: message %r" % p.stderr)


@test
def states_of_the_page_are_those_of_the_schema():
    states = page_states()
    check_eq(len(set(states)), len(states), "states listed twice in "
             "linkhealthd.8: %s" % states)
    compare(schema_states(), set(states), "status.schema.json",
            "linkhealthd.8 Link states", "states")


@test
def exit_codes_of_the_page_are_those_of_help():
    codes = page_exit_codes()
    helped = help_exit_codes()
    check(len(helped) >= 3, "exit codes parsed from --help: %s" % helped)
    compare({str(c) for c in helped}, {str(c) for c in codes},
            "--help", "linkhealthd.8 EXIT STATUS", "exit codes")
    # Exit 1 names fail_on, the states of its documented default, unknown
    # (always a failure), and blocked and moved (which are not, by
    # default): every state of the schema but ok.
    bad = schema_states() - {"ok"}
    named = set(re.findall(r"^\.Cm (\w+)", codes.get(1, ""), re.M))
    check_in("fail_on", named, "linkhealthd.8 EXIT STATUS 1 names fail_on")
    compare(bad, named - {"fail_on"}, "the states of the schema but ok",
            "linkhealthd.8 EXIT STATUS 1", "states")
    default = (page_keys().get("fail_on") or ("", ""))[1] or ""
    check_eq({"stale", "error", "unreachable"},
             set(re.split(r"[,\s]+", default.strip())),
             "fail_on's documented default")
    text = codes.get(1, "")
    for state in sorted(set(re.split(r"[,\s]+", default.strip()))):
        check_in(".Cm %s" % state, text.split("does not fail")[0],
                 "EXIT STATUS 1 names the default fail_on state")


@test
def signals_of_the_page_are_those_the_daemon_handles():
    handled = daemon_signals()
    check(len(handled) >= 3, "signals found in daemon/: %s" % handled)
    compare(handled, page_signals(), "daemon/*.c", "linkhealthd.8 SIGNALS",
            "signals")


@test
def status_page_describes_every_field_of_the_schema():
    rows = table_first_column(STATUS_MD, "field")
    documented = [name for row in rows for name in row]
    check(len(rows) >= 20, "rows of the field table of doc/status.md: %d"
          % len(rows))
    check_eq(len(set(documented)), len(documented),
             "fields listed twice in doc/status.md")
    compare(schema_fields(), set(documented), "status.schema.json",
            "doc/status.md", "fields")
    # The failure ids, listed in the failure row, are the schema's enum.
    failure = [row for row in table_first_column(STATUS_MD, "field")
               if row == ["failure"]]
    check_eq(1, len(failure), "one row for failure in doc/status.md")
    line = [l for l in read(STATUS_MD).splitlines()
            if l.startswith("| `failure` |")]
    ids = set(re.findall(r"`([a-z-]+)`", line[0].split("|")[2])) - {"null"} \
        if line else set()
    enum = {v for v in schema()["$defs"]["link"]["properties"]["failure"]
            ["enum"] if v is not None}
    compare(enum, ids, "status.schema.json", "doc/status.md failure ids",
            "failure ids")


@test
def prometheus_page_lists_every_metric_written():
    written = code_metrics()
    check(len(written) >= 8, "metrics found in lib/: %s" % sorted(written))
    compare(written, markdown_metrics(), "lib/*.c", "doc/prometheus.md",
            "metrics")


@test
def readme_is_short():
    n = len(read(README).splitlines())
    check(n <= README_MAX_LINES, "README.md has %d lines, expected at most "
          "%d: the references live in doc/, bench/ and tests/"
          % (n, README_MAX_LINES))


@test
def readme_points_to_every_reference_page():
    named = relative_paths("README.md")
    missing = [p for p in REFERENCE_PAGES if p not in named]
    check_eq([], missing, "reference pages the README does not name")


@test
def paths_in_the_markdown_pages_exist():
    for page in MARKDOWN_PAGES:
        if not check(os.path.exists(os.path.join(ROOT, page)),
                     "%s exists" % page):
            continue
        for path in sorted(relative_paths(page)):
            check(os.path.exists(os.path.join(ROOT, path)),
                  "%s names %s, which does not exist" % (page, path))


if __name__ == "__main__":
    lhtest.main()
