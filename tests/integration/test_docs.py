"""The manual pages: doc/linkhealthd.8 and doc/linkhealthd.conf.5 are
clean under mandoc's linter, list exactly the options of --help and
exactly the configuration keys that conf/linkhealthd.conf shows and the
binary accepts; the README's tables agree.  Needs mandoc (Debian package
mandoc)."""

import os
import re
import shutil
import subprocess

import lhtest
from lhtest import check, check_eq, fail, test

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DOC = os.path.join(ROOT, "doc")
PAGE8 = os.path.join(DOC, "linkhealthd.8")
PAGE5 = os.path.join(DOC, "linkhealthd.conf.5")
CONF = os.path.join(ROOT, "conf", "linkhealthd.conf")
README = os.path.join(ROOT, "README.md")

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


def readme_options():
    """The (short, long) pairs of the README's option table."""
    pairs = set()
    for line in read(README).splitlines():
        m = re.match(r"^\| `((?:-\w, )?--[\w-]+)[^`]*` \|", line)
        if m:
            words = m.group(1).split(", ")
            pairs.add((words[0] if len(words) == 2 else None, words[-1]))
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


def readme_keys():
    """The keys of the README's configuration table: the rows after its
    "| key | default | meaning |" header."""
    keys = set()
    inside = False
    for line in read(README).splitlines():
        if re.match(r"^\| key \| default \|", line):
            inside = True
            continue
        if inside and not line.startswith("|"):
            break
        m = re.match(r"^\| `([a-z][a-z0-9_]*)` \| ", line)
        if inside and m:
            keys.add(m.group(1))
    return keys


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
def readme_option_table_is_that_of_help():
    compare(help_options(), readme_options(), "--help",
            "the README's option table", "options")


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
def readme_configuration_table_has_every_key():
    compare(set(page_keys()), readme_keys(), "linkhealthd.conf.5",
            "the README's configuration table", "configuration keys")


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


if __name__ == "__main__":
    lhtest.main()
