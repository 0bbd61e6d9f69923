/*
 * Tests of dir_html.c's reading of pages that are not the seed's theme:
 * lists, tables, definition lists, lines cut by <br>, cards, the main
 * content, the directory's own site; each with the look-alikes that must
 * not become organizations.  The seed itself is test_directory.c's.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "directory.h"
#include "test.h"

/* The entries as "region | name | url | description" lines. */
static void
entries_text(const struct lh_directory *d, char *buf, size_t size)
{
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < d->n && off < size; i++)
        off += (size_t)snprintf(buf + off, size - off, "%s | %s | %s | %s\n",
            d->entries[i].region, d->entries[i].name, d->entries[i].url,
            d->entries[i].description);
}

static const struct {
    const char *what, *html, *want;
} pages[] = {
    { "a list of links under headings",
        "<h1>Partners</h1>\n"
        "<h2>Europe</h2>\n"
        "<ul>\n"
        "<li><a href=\"https://a.example/\">Alpha</a> \xe2\x80\x94 the first "
        "one</li>\n"
        "<li><a href=\"https://b.example/\">Beta</a>: second, see "
        "<a href=\"https://paper.example/\">its paper</a></li>\n"
        "<li>\xe2\x80\xa2 <a href=\"https://c.example/\">Gamma</a></li>\n"
        "</ul>\n"
        "<h2>Asia</h2>\n"
        "<ol><li><a href=\"https://d.example/\">Delta</a></li></ol>\n",
        "Europe | Alpha | https://a.example/ | the first one\n"
        "Europe | Beta | https://b.example/ | second, see its paper\n"
        "Europe | Gamma | https://c.example/ | \n"
        "Asia | Delta | https://d.example/ | \n" },
    { "a table: the name in the first cell, the link in a later one",
        "<h3>Schools</h3><table>\n"
        "<tr><th>Name</th><th>Site</th><th>About</th></tr>\n"
        "<tr><td>Epsilon School</td><td><a href=\"https://e.example/\">"
        "https://e.example/</a></td><td>A school</td></tr>\n"
        "<tr><td><a href=\"https://z.example/\">Zeta</a></td><td></td>"
        "<td>Named by its link</td></tr>\n"
        "</table>\n",
        "Schools | Epsilon School | https://e.example/ | A school\n"
        "Schools | Zeta | https://z.example/ | Named by its link\n" },
    { "definition lists, both ways",
        "<dl><dt><a href=\"https://h.example/\">Eta</a></dt>"
        "<dd>Described below its name</dd>\n"
        "<dt>Theta Institute</dt><dd><a href=\"https://t.example/\">"
        "t.example</a> named by its dt</dd></dl>\n",
        " | Eta | https://h.example/ | Described below its name\n"
        " | Theta Institute | https://t.example/ | named by its dt\n" },
    { "one paragraph, lines cut by <br>",
        "<h2>Japan</h2><p><a href=\"https://i.example/\">Iota</a> - a "
        "university<br>\n<a href=\"https://k.example/\">Kappa</a><br>\n"
        "<a href=\"https://l.example/\">Lambda</a> - a school</p>\n",
        "Japan | Iota | https://i.example/ | a university\n"
        "Japan | Kappa | https://k.example/ | \n"
        "Japan | Lambda | https://l.example/ | a school\n" },
    { "cards: a linked heading, then its description",
        "<h2>Global</h2><div class=\"card\"><h3><a href=\"https://m.example/\">"
        "Mu Network</a></h3><p>Teachers in <em>many</em> countries.</p>"
        "</div>\n<div class=\"card\"><h3><a href=\"https://n.example/\">Nu"
        "</a></h3></div>\n",
        "Global | Mu Network | https://m.example/ | Teachers in many "
        "countries.\n"
        "Global | Nu | https://n.example/ | \n" },
    { "a description of several blocks; prose after a list is not one",
        "<p><a href=\"https://x.example/\">Xi</a></p><div><p>One.</p>"
        "<p>Two.</p></div>\n"
        "<ul><li><a href=\"https://o.example/\">Omicron</a></li></ul>\n"
        "<h2>About us</h2><p>We are a group named Error Analysis.</p>\n",
        " | Xi | https://x.example/ | One. Two.\n"
        " | Omicron | https://o.example/ | \n" },
    { "links inside sentences are references, not organizations",
        "<p>Read <a href=\"https://ref.example/\">the report</a> first."
        "</p>\n<p>Our partner: <a href=\"https://p.example/\">Pi</a></p>\n"
        "<ul><li><a href=\"https://r.example/\">Rho</a> works with "
        "<a href=\"https://s.example/\">Sigma</a></li></ul>\n",
        " | Rho | https://r.example/ | works with Sigma\n" },
    { "navigation, header, footer, sidebar, menus, forms are passed over",
        "<header><p><a href=\"https://hd.example/\">H</a></p></header>"
        "<nav><ul><li><a href=\"https://nv.example/\">N</a></li></ul></nav>"
        "<div role=\"navigation\"><p><a href=\"https://rn.example/\">R</a>"
        "</p></div><ul class=\"menu\"><li><a href=\"https://mn.example/\">M"
        "</a></li></ul><aside><p><a href=\"https://as.example/\">A</a></p>"
        "</aside><div id=\"sidebar\"><p><a href=\"https://sb.example/\">S"
        "</a></p></div><form><p><a href=\"https://fm.example/\">F</a></p>"
        "</form>\n"
        "<div class=\"no-menu-here entry-content\"><ul><li>"
        "<a href=\"https://tau.example/\">Tau</a></li></ul></div>\n"
        "<footer><p><a href=\"https://ft.example/\">F</a></p></footer>\n",
        " | Tau | https://tau.example/ | \n" },
    { "the main content, when the page marks it",
        "<div><p><a href=\"https://outside.example/\">Outside</a></p></div>"
        "<main><ul><li><a href=\"https://u.example/\">Upsilon</a></li></ul>"
        "</main><div><p><a href=\"https://after.example/\">After</a></p>"
        "</div>\n",
        " | Upsilon | https://u.example/ | \n" },
    { "role=\"main\" ends where its element ends",
        "<div role=\"main\"><div><ul><li><a href=\"https://in.example/\">"
        "In</a></li></ul></div></div>\n"
        "<ul><li><a href=\"https://after.example/\">After</a></li></ul>\n",
        " | In | https://in.example/ | \n" },
    { "the page's own site (from <base>), mail, anchors, relative links",
        "<head><base href=\"https://www.dir.example/list/\"></head>"
        "<ul><li><a href=\"https://dir.example/about\">About</a></li>"
        "<li><a href=\"https://www.DIR.example:443/x\">Own</a></li>"
        "<li><a href=\"/contact\">Contact</a></li>"
        "<li><a href=\"mailto:a@b.example\">Mail</a></li>"
        "<li><a href=\"#top\">Top</a></li>"
        "<li><a href=\"https://sub.dir.example/\">Phi</a></li>"
        "<li><a href=\"ftp://files.example/\">Files</a></li></ul>\n",
        " | Phi | https://sub.dir.example/ | \n" },
};

static void
test_layouts(void)
{
    for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        struct lh_directory d;
        char err[512] = "", got[2048];

        TEST_ROW_BEGIN();
        CHECK_INT_EQ(0, lh_directory_parse(pages[i].html,
            strlen(pages[i].html), "t.html", LH_DIR_HTML, &d, err,
            sizeof(err)));
        CHECK_STR_EQ("", err);
        entries_text(&d, got, sizeof(got));
        CHECK_STR_EQ(pages[i].want, got);
        lh_directory_cleanup(&d);
        TEST_ROW_END(pages[i].what);
    }
}

/* An ftp link where an organization would be is said, with its line. */
static void
test_other_scheme_warned(void)
{
    static const char html[] = "<ul>\n<li><a href=\"https://a.example/\">"
        "A</a></li>\n<li><a href=\"ftp://files.example/\">Files</a></li>\n"
        "</ul>\n";
    struct lh_directory d;
    char err[512] = "";

    CHECK_INT_EQ(0, lh_directory_parse(html, strlen(html), "t.html",
        LH_DIR_AUTO, &d, err, sizeof(err)));
    CHECK_INT_EQ(1, d.n);
    CHECK_INT_EQ(1, d.nwarnings);
    if (d.nwarnings == 1)
        CHECK_STR_EQ("t.html:3: skipped \"Files\": URL "
            "\"ftp://files.example/\" is not http or https", d.warnings[0]);
    lh_directory_cleanup(&d);
}

/* The directory's own URL (the options' site) and own_site_links. */
static void
test_own_site(void)
{
    static const char html[] = "<ul><li><a href=\"https://www.dir.example/"
        "a\">Own page</a></li><li><a href=\"https://other.example/\">Other"
        "</a></li></ul>";
    struct lh_dir_options opt;
    struct lh_directory d;
    char err[512] = "", got[512];

    memset(&opt, 0, sizeof(opt));
    opt.format = LH_DIR_AUTO;
    opt.site = "https://dir.example/wp-json/wp/v2/pages?slug=x";
    CHECK_INT_EQ(0, lh_directory_parse_opts(html, strlen(html), "t.html",
        &opt, &d, err, sizeof(err)));
    entries_text(&d, got, sizeof(got));
    CHECK_STR_EQ(" | Other | https://other.example/ | \n", got);
    lh_directory_cleanup(&d);
    opt.own_site_links = 1;
    CHECK_INT_EQ(0, lh_directory_parse_opts(html, strlen(html), "t.html",
        &opt, &d, err, sizeof(err)));
    entries_text(&d, got, sizeof(got));
    CHECK_STR_EQ(" | Own page | https://www.dir.example/a | \n"
        " | Other | https://other.example/ | \n", got);
    lh_directory_cleanup(&d);
}

/*
 * A WordPress JSON directory's warnings name the line of the file that
 * holds the page's content.rendered (its HTML is all on that line), not
 * a line counted inside the HTML; other "rendered" strings (title,
 * excerpt) are not taken for it.
 */
static void
test_json_warning_lines(void)
{
    static const char json[] = "[\n"
        "  {\"id\": 1,\n"
        "   \"title\": {\"rendered\": \"Page \\\"one\\\"\"},\n"
        "   \"content\": {\"rendered\": \"<h2>A</h2>\\n\\n\\n<ul><li>"
        "<a href=\\\"https://a.example/\\\">A</a></li>\\n<li><a href="
        "\\\"ftp://a.example/\\\">Files</a></li></ul>\"}},\n"
        "  {\"excerpt\": {\"rendered\": \"<p>x</p>\"},\n"
        "   \"content\": {\"protected\": false,\n"
        "      \"rendered\": \"<ul><li><a href=\\\"https://a.example/\\\">"
        "Again</a></li></ul>\"}}\n"
        "]\n";
    struct lh_directory d;
    char err[512] = "";

    CHECK_INT_EQ(0, lh_directory_parse(json, strlen(json), "d.json",
        LH_DIR_AUTO, &d, err, sizeof(err)));
    CHECK_STR_EQ("", err);
    CHECK_INT_EQ(1, d.n);
    if (d.n == 1)
        CHECK_INT_EQ(4, d.entries[0].line);
    CHECK_INT_EQ(2, d.nwarnings);
    if (d.nwarnings == 2) {
        CHECK_STR_EQ("d.json:4: skipped \"Files\": URL \"ftp://a.example/\" "
            "is not http or https", d.warnings[0]);
        CHECK_STR_EQ("d.json:7: dropped \"Again\": URL \"https://a.example/\" "
            "is already listed for \"A\" (line 4)", d.warnings[1]);
    }
    lh_directory_cleanup(&d);
}

/* A page no heuristic reads: cards of spans, regions in a <b>. */
static const char xpath_page[] =
    "<div class=\"grid\">\n"
    "<b class=\"zone\">North</b>\n"
    "<span class=\"org\"><span class=\"t\">Read "
    "<a href=\"https://a.example/\">Alpha</a></span> - the first</span>\n"
    "<span class=\"org\">no link here</span>\n"
    "<b class=\"zone\">South</b>\n"
    "<span class=\"org\">see <a href=\"https://b.example/\">Beta</a>"
    "</span>\n"
    "</div>\n";

static void
test_xpath(void)
{
    static const struct {
        const char *entries, *regions, *want;
        size_t nwarnings;
    } rows[] = {
        { "//span[@class='org']", "//b[@class='zone']",
            "North | Alpha | https://a.example/ | the first\n"
            "South | Beta | https://b.example/ | \n", 1 },
        /* The links themselves, and their href attributes. */
        { "//span[@class='org']//a", "//b[@class='zone']",
            "North | Alpha | https://a.example/ | \n"
            "South | Beta | https://b.example/ | \n", 0 },
        { "//span[@class='org']//a/@href", "//b[@class='zone']",
            "North | Alpha | https://a.example/ | \n"
            "South | Beta | https://b.example/ | \n", 0 },
        /* Without region_xpath, the headings: none here. */
        { "//a", NULL,
            " | Alpha | https://a.example/ | \n"
            " | Beta | https://b.example/ | \n", 0 },
    };
    struct lh_dir_options opt;
    struct lh_directory d;
    char err[512], got[1024];

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        TEST_ROW_BEGIN();
        memset(&opt, 0, sizeof(opt));
        opt.entry_xpath = rows[i].entries;
        opt.region_xpath = rows[i].regions;
        err[0] = '\0';
        CHECK_INT_EQ(0, lh_directory_parse_opts(xpath_page,
            strlen(xpath_page), "x.html", &opt, &d, err, sizeof(err)));
        CHECK_STR_EQ("", err);
        entries_text(&d, got, sizeof(got));
        CHECK_STR_EQ(rows[i].want, got);
        CHECK_INT_EQ(rows[i].nwarnings, d.nwarnings);
        if (rows[i].nwarnings == 1 && d.nwarnings == 1)
            CHECK_STR_EQ("x.html:4: skipped: the element that "
                "directory_xpath selects holds no link", d.warnings[0]);
        lh_directory_cleanup(&d);
        TEST_ROW_END(rows[i].entries);
    }
    /* The heuristic alone finds only what starts an item: not these. */
    CHECK_INT_EQ(-1, lh_directory_parse(xpath_page, strlen(xpath_page),
        "x.html", LH_DIR_AUTO, &d, err, sizeof(err)));
    CHECK_STR_EQ("x.html: no organizations found", err);
    /* An expression that selects no elements. */
    memset(&opt, 0, sizeof(opt));
    opt.entry_xpath = "count(//a)";
    CHECK_INT_EQ(-1, lh_directory_parse_opts(xpath_page, strlen(xpath_page),
        "x.html", &opt, &d, err, sizeof(err)));
    CHECK_STR_EQ("x.html: directory_xpath \"count(//a)\" selects no "
        "elements (it is a number, a string or a boolean)", err);
}

/* The keys: checked when the configuration is read. */
static void
test_xpath_config(void)
{
    static const char good[] = "directory = d.html\n"
        "directory_xpath = //span[@class='org']\n"
        "region_xpath = //b\n"
        "directory_own_links = yes\n";
    static const struct {
        const char *text, *err;
    } bad[] = {
        { "directory = d.html\ndirectory_xpath = //span[\n",
            "t.conf:2: directory_xpath: \"//span[\" is not an XPath "
            "expression" },
        { "directory = d.html\ndirectory_xpath = //span[@class=\"x\n",
            "t.conf:2: directory_xpath: \"//span[@class=\"x\" is not an "
            "XPath expression: a string is not closed (at character 17)" },
        { "directory = d.html\ndirectory_xpath = no_such(//a)\n",
            "is not an XPath expression: it calls an unknown function" },
        { "directory = d.html\ndirectory_xpath = //a\n"
            "region_xpath = count(//h2)\n",
            "t.conf:3: region_xpath: \"count(//h2)\" selects no elements" },
    };
    struct lh_config cfg;
    char err[512];

    CHECK_INT_EQ(0, lh_config_load_buffer(&cfg, good, strlen(good), "t.conf",
        err, sizeof(err)));
    CHECK_STR_EQ("//span[@class='org']", cfg.directory_xpath);
    CHECK_STR_EQ("//b", cfg.region_xpath);
    CHECK(cfg.directory_own_links);
    lh_config_cleanup(&cfg);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        TEST_ROW_BEGIN();
        err[0] = '\0';
        CHECK_INT_EQ(-1, lh_config_load_buffer(&cfg, bad[i].text,
            strlen(bad[i].text), "t.conf", err, sizeof(err)));
        CHECK_STR_CONTAINS(bad[i].err, err);
        lh_config_cleanup(&cfg);
        TEST_ROW_END(bad[i].text);
    }
}

int
main(void)
{
    RUN_TEST(test_layouts);
    RUN_TEST(test_other_scheme_warned);
    RUN_TEST(test_own_site);
    RUN_TEST(test_json_warning_lines);
    RUN_TEST(test_xpath);
    RUN_TEST(test_xpath_config);
    TEST_EXIT();
}
