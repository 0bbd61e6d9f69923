"""Markdown directories and the plain list's regions, end to end:
linkhealthd --once -d FILE reads an awesome list (detected by its name)
and a list with [Region] lines, checks what they list on a local server,
and names the Markdown file's own line in its warning."""

import os

import lhtest
from lhtest import check, check_eq, check_in, serve, test

FAST = {"timeout": "5s", "connect_timeout": "2s", "retries": 0}


def write(name, text):
    path = os.path.join(lhtest.tmpdir(), name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


@test
def once_reads_a_markdown_directory():
    srv = serve({"/a": 200, "/b": 404, "/c": 200, "/badge.svg": 200,
                 "/para": 200, "/code": 200})
    u = srv.url
    # Every URL is the local server's, those that are no organization too.
    md = write("awesome.md", "\n".join([
        "# Awesome Networks [![Awesome](%s)](%s)" % (u("/badge.svg"),
                                                    u("/para")),    # 1
        "",
        "## Contents",
        "",
        "- [Europe](#europe)",                                      # 5
        "",
        "## Europe",
        "",
        "- [Alpha *Network*](%s) - Teachers in Europe." % u("/a"),
        "- Code: `[Not](%s)`" % u("/code"),                         # 10
        "- [Guide](docs/guide.md)",
        "",
        "### Malta",
        "",
        "- [Beta](%s): Gone now." % u("/b"),                        # 15
        "- [Gamma](%s)" % u("/c"),
        "",
        "See [this page](%s)." % u("/para"),
        ""]))
    r = lhtest.run_once(FAST, ["-d", md])
    # Exit 1: Beta is a 404.
    check_eq(1, r.returncode, "exit code (%r)" % r)
    check_in("%s:11: skipped \"Guide\": URL \"docs/guide.md\" is relative"
             % md, r.stderr, "the warning names the Markdown line")
    check_eq("markdown", (r.status or {}).get("directory", {}).get("format"),
             "directory.format")
    got = [(l.get("region"), l.get("name"), l.get("url"),
            l.get("description"), l.get("verdict")) for l in r.links]
    want = [("Europe", "Alpha Network", u("/a"), "Teachers in Europe.",
             "ok"),
            ("Malta", "Beta", u("/b"), "Gone now.", "stale"),
            ("Malta", "Gamma", u("/c"), "", "ok")]
    check_eq(sorted(want), sorted(got), "the organizations and verdicts")
    # (The soft-404 probe asks for a path of its own.)
    asked = sorted({req["path"] for req in srv.requests()
                    if not req["path"].endswith("-linkhealthd-probe")})
    check_eq(["/a", "/b", "/c"], asked, "paths requested: badges, links "
             "in paragraphs and code spans are not checked")


@test
def once_reads_regions_of_a_plain_list():
    srv = serve({"/a": 200, "/b": 200, "/c": 200})
    u = srv.url
    path = write("links.txt", "\n".join([
        "# A list: '#' lines are comments, [Name] lines regions",
        "%s Before" % u("/a"),
        "[Europe]",
        "%s Alpha" % u("/b"),
        "[]",
        "%s After" % u("/c"),
        ""]))
    r = lhtest.run_once(FAST, ["-d", path])
    check_eq(0, r.returncode, "exit code (%r)" % r)
    check_eq("", r.stderr, "no warning")
    check_eq("list", (r.status or {}).get("directory", {}).get("format"),
             "directory.format")
    got = sorted((l.get("name"), l.get("region")) for l in r.links)
    check_eq([("After", ""), ("Alpha", "Europe"), ("Before", "")], got,
             "names and regions")


if __name__ == "__main__":
    lhtest.main()
