#!/usr/bin/env python3
"""Generate a large directory page for benchmark (d): a WordPress page of
N organizations with the structure of conf/directory.json (an <h2> per
region; each organization a link in a <p> followed by a
<div class="text-subtext"> description), around it what a WordPress theme
puts on a page (head, scripts, a menu of <li> links, in-page anchors,
Divi shortcodes as text).  Deterministic: the same N gives the same bytes.

Only HTML 4 elements, and well formed, so that xmllint --html prints no
error per element (that would slow the baseline down, not us).

Writes the whole page as HTML, and the WordPress REST form of its content
(one page object, content.rendered, slashes escaped as WordPress does).
Usage: gendir.py [--orgs 20000] --html FILE [--json FILE]
"""
import argparse
import json
import random

WORDS = ("lesson study teachers research network school mathematics "
         "practice learning community university education classroom "
         "collaborative inquiry professional development centre national "
         "association primary secondary curriculum improvement public "
         "observation planning reflection institute regional support").split()
# Names as real ones are: accents, other scripts, entities, markup.
NAME_PARTS = ("Association", "Network", "Institute", "Centre", "Society",
              "Escola B&aacute;sica", "Universit&eacute;", "Gakugei",
              "Lesson Study Group", "Teachers&#8217; Forum",
              "Research &amp; Practice", "\u6559\u80b2\u7814\u7a76\u6240",
              "Stra\u00dfe Schule", "\u0428\u043a\u043e\u043b\u0430")
REGIONS = 200


def region_name(i):
    return "Region %03d \u2013 %s" % (i, WORDS[i % len(WORDS)].title())


def shortcode(i):
    # What Divi leaves in content.rendered between modules.
    return ('<p>[et_pb_text admin_label=&#8221;Region %d&#8221; '
            'module_class=&#8221;page-sub-title&#8221; _builder_version='
            '&#8221;4.16&#8243; header_2_font_size=&#8221;36px&#8221; '
            'custom_margin=&#8221;50px||5px||false|false&#8221;]</p>\n' % i)


def content(n):
    """content.rendered: the part the parser walks."""
    rnd = random.Random(20000)
    out = ['<p><a href="#global">Jump to the list</a></p>\n']
    per_region = (n + REGIONS - 1) // REGIONS
    for i in range(n):
        if i % per_region == 0:
            r = i // per_region
            out.append(shortcode(r))
            out.append('<h2 style="text-align: left;">%s</h2>\n'
                       % region_name(r))
        words = [rnd.choice(WORDS) for _ in range(rnd.randint(7, 12))]
        words[rnd.randrange(len(words))] = "<em>%s</em>" % rnd.choice(WORDS)
        desc = " ".join(words).capitalize() + "."
        name = "%s %s %d" % (rnd.choice(WORDS).title(),
                             rnd.choice(NAME_PARTS), i)
        if i % 7 == 0:
            name += "<br />"
        scheme = "https" if i % 5 else "http"
        url = "%s://org%05d.r%03d.lhbench.test/%s/" % (
            scheme, i, i // per_region, rnd.choice(WORDS))
        out.append('<p><a href="%s" target="_blank" rel="noopener">%s</a>'
                   '</p>\n<div class="text-subtext">%s</div>\n'
                   % (url, name, desc))
    out.append(shortcode(REGIONS))
    return "".join(out)


def page(body):
    """The whole page as a browser gets it."""
    menu = "".join('<li class="menu-item"><a href="https://lhbench.test/%s/">'
                   '%s</a></li>\n' % (w, w.title()) for w in WORDS[:12])
    return ('<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n'
            '<html lang="en-US">\n<head>\n<meta http-equiv="Content-Type" '
            'content="text/html; charset=UTF-8">\n'
            '<title>International Networks</title>\n'
            '<link rel="stylesheet" href="https://lhbench.test/style.css">\n'
            '<style type="text/css">.text-subtext{font-size:14px}</style>\n'
            '<script type="text/javascript">var et_pb_custom = {"ajaxurl":'
            '"https:\\/\\/lhbench.test\\/wp-admin\\/admin-ajax.php"};'
            '</script>\n</head>\n<body class="page-template-default">\n'
            '<div id="page-container">\n<div id="top-header">\n'
            '<ul id="top-menu" class="nav">\n' + menu + '</ul>\n</div>\n'
            '<div id="main-content">\n<div class="entry-content">\n' + body +
            '</div>\n</div>\n<div id="footer">\n<ul>\n' + menu +
            '</ul>\n</div>\n</div>\n</body>\n</html>\n')


def wpjson(body):
    doc = {"id": 3024, "slug": "international-networks", "status": "publish",
           "type": "page",
           "link": "https://lhbench.test/network/international-networks/",
           "title": {"rendered": "International Networks"},
           "content": {"rendered": body, "protected": False}}
    return json.dumps(doc, separators=(",", ":")).replace("/", "\\/")


def write(n, html_path, json_path=None):
    body = content(n)
    with open(html_path, "w", encoding="utf-8") as f:
        f.write(page(body))
    if json_path:
        with open(json_path, "w", encoding="utf-8") as f:
            f.write(wpjson(body))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--orgs", type=int, default=20000)
    ap.add_argument("--html", required=True)
    ap.add_argument("--json")
    a = ap.parse_args()
    write(a.orgs, a.html, a.json)


if __name__ == "__main__":
    main()
