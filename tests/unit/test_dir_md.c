/*
 * Tests of Markdown directories (dir_md.c), the plain list's regions
 * (dir_list.c) and how detection tells Markdown from a list (directory.c).
 * Each case that is not an organization has a look-alike that is.
 */
#include "directory.h"
#include "test.h"

#define FIX LH_FIXTURES "/"

struct want {
    const char *region, *name, *url, *description;
    unsigned line;
};

static int
parse_as(const char *source, const char *s, enum lh_dir_format f,
    struct lh_directory *d, char *err, size_t errlen)
{
    return lh_directory_parse(s, strlen(s), source, f, d, err, errlen);
}

/* d holds exactly the n entries of want, in order. */
static void
check_entries(const struct lh_directory *d, const struct want *want,
    size_t n)
{
    CHECK_INT_EQ(n, d->n);
    for (size_t i = 0; i < n && i < d->n; i++) {
        TEST_ROW_BEGIN();
        CHECK_STR_EQ(want[i].region, d->entries[i].region);
        CHECK_STR_EQ(want[i].name, d->entries[i].name);
        CHECK_STR_EQ(want[i].url, d->entries[i].url);
        CHECK_STR_EQ(want[i].description, d->entries[i].description);
        CHECK_INT_EQ(want[i].line, d->entries[i].line);
        TEST_ROW_END(want[i].url);
    }
}

/*
 * An awesome list as people write them: a title with badges, a contents
 * list of anchors, regions of two levels, items with and without
 * descriptions, markup in names, a relative link, code spans, code blocks,
 * images and links outside items.
 */
static void
test_awesome_list(void)
{
    static const struct want want[] = {
        /* Under the title: the title is not a region. */
        { "", "Lesson Study Alliance", "https://lsalliance.example.org/",
            "Listed under the title, before any region.", 8 },
        { "Global", "World Association of Lesson Studies (WALS)",
            "https://www.walsnet.org/", "The World Association of Lesson "
            "Studies aims to promote research.", 20 },
        /* A badge's link is passed over; the next link is the name. */
        { "Global", "Badge-led Network", "https://badge-led.example.org/",
            "After a badge.", 21 },
        /* A "###" region; emphasis, strong and code flattened. */
        { "Hong Kong", "The Centre for Excellence in Learning and Teaching",
            "https://www.eduhk.hk/celt/en/", "Supports classroom practice.",
            27 },
        { "Japan", "IMPULS Project", "https://impuls-jp.com/",
            "At Tokyo Gakugei University.", 32 },
        { "Japan", "No Description", "https://nodesc.example.jp/", "", 33 },
        /* The look-alike of the code span above it. */
        { "Europe", "Code Neighbour", "https://code-neighbour.example.org/",
            "Writes [x](http://code.example.org/) in its code.", 39 },
        /* A description over three lines. */
        { "Europe", "Lesson Study NL",
            "https://lessonstudynl.nl/lesson-study-nl/", "Seeks to "
            "strengthen and disseminate knowledge across the Netherlands.",
            41 },
        /* The link on the item's second line, its text over two. */
        { "Europe", "Teacher Development Trust Network",
            "https://tdtrust.org/lessonstudy/", "", 45 },
        { "Europe", "Nested Member", "https://nested.example.org/",
            "Inside another item.", 47 },
    };
    struct lh_directory d;
    char err[512] = "";

    CHECK_INT_EQ(0, lh_directory_load_file(FIX "awesome-lesson-study.md",
        0, LH_DIR_AUTO, &d, err, sizeof(err)));
    CHECK_STR_EQ("", err);
    CHECK_INT_EQ(LH_DIR_MARKDOWN, d.format);
    check_entries(&d, want, sizeof(want) / sizeof(want[0]));
    /* Only the relative link is warned about, on its own line. */
    CHECK_INT_EQ(1, d.nwarnings);
    if (d.nwarnings == 1)
        CHECK_STR_EQ(FIX "awesome-lesson-study.md:28: skipped \"Relative "
            "Guide\": URL \"docs/guide.md\" is relative, not an absolute "
            "http or https URL", d.warnings[0]);
    lh_directory_cleanup(&d);

    /* Forced, the same; the name does not matter then. */
    CHECK_INT_EQ(0, lh_directory_load_file(FIX "awesome-lesson-study.md",
        0, LH_DIR_MARKDOWN, &d, err, sizeof(err)));
    CHECK_INT_EQ(sizeof(want) / sizeof(want[0]), d.n);
    lh_directory_cleanup(&d);
}

/* Small documents: each row's entries ("region|name|url|description"). */
static void
test_markdown_rules(void)
{
    static const struct {
        const char *md;
        size_t n;
        struct want want[3];
        const char *warning;    /* the one warning, or NULL */
    } rows[] = {
        /* A lone level-1 heading without deeper ones is a region. */
        { "# Europe\n\n- [A](https://a.org/)\n", 1,
            { { "Europe", "A", "https://a.org/", "", 3 } }, NULL },
        /* Two level-1 headings are two regions. */
        { "# Europe\n- [A](https://a.org/)\n# Asia\n- [B](https://b.org/)\n",
            2, { { "Europe", "A", "https://a.org/", "", 2 },
            { "Asia", "B", "https://b.org/", "", 4 } }, NULL },
        /* Setext headings; the last heading wins. */
        { "Title\n=====\n\nEurope\n------\n\n### France\n\n"
            "- [A](https://a.org/)\n", 1,
            { { "France", "A", "https://a.org/", "", 9 } }, NULL },
        /* Each separator goes; a hyphen that starts a word stays. */
        { "- [A](https://a.org/): colon\n- [B](https://b.org/) \u2013 en\n"
            "- [C](https://c.org/)-based\n", 3,
            { { "", "A", "https://a.org/", "colon", 1 },
            { "", "B", "https://b.org/", "en", 2 },
            { "", "C", "https://c.org/", "-based", 3 } }, NULL },
        /* Entities and escapes decoded, in the name and the URL. */
        { "- [AT&amp;T \\*Labs\\*](https://att.example.org/?a=1&amp;b=2)\n",
            1, { { "", "AT&T *Labs*", "https://att.example.org/?a=1&b=2",
            "", 1 } }, NULL },
        /* Reference links and autolinks are links. */
        { "- [Ref][r] - by reference\n- <https://auto.example.org/>\n\n"
            "[r]: https://ref.example.org/\n", 2,
            { { "", "Ref", "https://ref.example.org/", "by reference", 1 },
            { "", "https://auto.example.org/", "https://auto.example.org/",
            "", 2 } }, NULL },
        /* A link without text is named after its host. */
        { "- [](https://empty.example.org/x) - nameless\n", 1,
            { { "", "empty.example.org", "https://empty.example.org/x",
            "nameless", 1 } }, NULL },
        /* A first link to mail is warned about; the next item is read. */
        { "- [Mail](mailto:a@b.org)\n- [B](https://b.org/)\n", 1,
            { { "", "B", "https://b.org/", "", 2 } },
            "t.md:1: skipped \"Mail\": URL \"mailto:a@b.org\" is not http "
            "or https" },
        /* An anchor first: not an organization, and no warning. */
        { "- [Top](#top) then [B](https://b.org/)\n- [C](https://c.org/)\n",
            1, { { "", "C", "https://c.org/", "", 2 } }, NULL },
        /* A repeated URL is dropped, naming the first line. */
        { "## R\n\n- [A](https://a.org/)\n- [A again](https://a.org/)\n", 1,
            { { "R", "A", "https://a.org/", "", 3 } },
            "t.md:4: dropped \"A again\": URL \"https://a.org/\" is already "
            "listed for \"A\" (line 3)" },
        /* A byte order mark is not text. */
        { "\xef\xbb\xbf- [A](https://a.org/)\n", 1,
            { { "", "A", "https://a.org/", "", 1 } }, NULL },
        /* A table is a paragraph to CommonMark: not read. */
        { "| Name | About |\n|---|---|\n| [T](https://t.org/) | x |\n\n"
            "- [B](https://b.org/)\n", 1,
            { { "", "B", "https://b.org/", "", 5 } }, NULL },
        /* CRLF line ends count as one line each. */
        { "## R\r\n\r\n- x\r\n- [B](https://b.org/)\r\n", 1,
            { { "R", "B", "https://b.org/", "", 4 } }, NULL },
        /* Raw HTML links are not read; a list item after them is. */
        { "<ul><li><a href=\"https://html.org/\">H</a></li></ul>\n\n"
            "- [M](https://m.org/)\n", 1,
            { { "", "M", "https://m.org/", "", 3 } }, NULL },
        /* A loose item: its later paragraphs describe it too. */
        { "- [A](https://a.org/) - first.\n\n  Second.\n\n"
            "- [B](https://b.org/)\n", 2,
            { { "", "A", "https://a.org/", "first. Second.", 1 },
            { "", "B", "https://b.org/", "", 5 } }, NULL },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lh_directory d;
        char err[512] = "";

        TEST_ROW_BEGIN();
        CHECK_INT_EQ(0, parse_as("t.md", rows[i].md, LH_DIR_AUTO, &d, err,
            sizeof(err)));
        CHECK_STR_EQ("", err);
        CHECK_INT_EQ(LH_DIR_MARKDOWN, d.format);
        check_entries(&d, rows[i].want, rows[i].n);
        CHECK_INT_EQ(rows[i].warning != NULL ? 1 : 0, d.nwarnings);
        if (rows[i].warning != NULL && d.nwarnings == 1)
            CHECK_STR_EQ(rows[i].warning, d.warnings[0]);
        lh_directory_cleanup(&d);
        TEST_ROW_END(rows[i].md);
    }
}

/* What is never an organization, alone: the directory has none. */
static void
test_markdown_refused(void)
{
    static const char *const rows[] = {
        "# T\n\n- [Contents](#contents)\n  - [Sub](#sub)\n",
        "- `[Code](https://code.org/)`\n",
        "```\n- [Block](https://block.org/)\n```\n",
        "    - [Indented code](https://indented.org/)\n",
        "- ![Image](https://image.org/i.png)\n",
        "- [![Badge](https://badge.org/b.svg)](https://badge.org/)\n",
        "Paragraph with [a link](https://para.org/).\n",
        "> [Quoted](https://quote.org/) in a paragraph\n",
        "- plain text\n",
        "<a href=\"https://html.org/\">raw HTML</a>\n",
        "- ![alt with [a link](https://alt.org/)](https://image.org/i.png)\n",
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lh_directory d;
        char err[512] = "";

        TEST_ROW_BEGIN();
        CHECK_INT_EQ(-1, parse_as("t.md", rows[i], LH_DIR_AUTO, &d, err,
            sizeof(err)));
        CHECK_STR_EQ("t.md: no organizations found", err);
        CHECK(d.n == 0 && d.entries == NULL && d.nwarnings == 0);
        TEST_ROW_END(rows[i]);
    }
}

/* "[Region]" lines in a plain list. */
static void
test_list_regions(void)
{
    static const struct want want[] = {
        { "", "Before", "https://before.org/", "", 2 },
        { "Europe", "A", "https://a.org/", "", 4 },
        { "North America", "B", "https://b.org/", "", 6 },
        { "", "C", "https://c.org/", "", 8 },
        { "", "[Not a region]", "https://e.org/", "", 10 },
        { "Asia", "D", "https://d.org/#[x]", "", 12 },
    };
    const char *list =
        "# Regions: a '#' line is still a comment\n"
        "https://before.org/ Before\n"
        "[Europe]\n"
        "https://a.org/ A\n"
        "  [ North \t America ]  \n"
        "https://b.org/ B\n"
        "[]\n"
        "https://c.org/ C\n"
        "[Unclosed\n"
        "https://e.org/ [Not a region]\n"
        "[Asia]\n"
        "https://d.org/#[x] D\n";
    struct lh_directory d;
    char err[512] = "";

    CHECK_INT_EQ(0, parse_as("l.txt", list, LH_DIR_AUTO, &d, err,
        sizeof(err)));
    CHECK_STR_EQ("", err);
    CHECK_INT_EQ(LH_DIR_LIST, d.format);
    check_entries(&d, want, sizeof(want) / sizeof(want[0]));
    /* A line that only starts like a region is what it was before. */
    CHECK_INT_EQ(1, d.nwarnings);
    if (d.nwarnings == 1)
        CHECK_STR_EQ("l.txt:9: skipped: URL \"[Unclosed\" is relative, not "
            "an absolute http or https URL", d.warnings[0]);
    lh_directory_cleanup(&d);

    /* A region first: a list, not JSON. */
    CHECK_INT_EQ(0, parse_as("l.txt", "[Europe]\nhttps://a.org/ A\n",
        LH_DIR_AUTO, &d, err, sizeof(err)));
    CHECK_INT_EQ(LH_DIR_LIST, d.format);
    if (d.n == 1)
        CHECK_STR_EQ("Europe", d.entries[0].region);
    lh_directory_cleanup(&d);
}

/* Detection in both directions, and forced formats. */
static void
test_detection(void)
{
    static const struct {
        const char *source, *text;
        enum lh_dir_format format, got;     /* asked, read */
        const char *err;                    /* NULL: parsed */
    } rows[] = {
        /* A list with '#' comments is a list... */
        { "d", "# Links\nhttps://a.org/ A\n", LH_DIR_AUTO, LH_DIR_LIST,
            NULL },
        /* ...and with a Markdown item among its lines, still a list. */
        { "d", "# Links\nhttps://a.org/ A\n- [B](https://b.org/)\n",
            LH_DIR_AUTO, LH_DIR_LIST, NULL },
        /* A list named .md is a list. */
        { "links.md", "https://a.org/ A\nhttps://b.org/ B\n", LH_DIR_AUTO,
            LH_DIR_LIST, NULL },
        /* Markdown: a '#' title, items with links, no URL line. */
        { "d", "# Title\n\n- [A](https://a.org/) - x\n", LH_DIR_AUTO,
            LH_DIR_MARKDOWN, NULL },
        { "d", "Intro.\n\n* [A](HTTP://a.org/)\n", LH_DIR_AUTO,
            LH_DIR_MARKDOWN, NULL },
        { "d", "1. [A](<https://a.org/>)\n", LH_DIR_AUTO, LH_DIR_MARKDOWN,
            NULL },
        /* A badge first is Markdown, not JSON. */
        { "d", "[![Awesome](https://awesome.re/badge.svg)](https://"
            "awesome.re)\n\n- [A](https://a.org/)\n", LH_DIR_AUTO,
            LH_DIR_MARKDOWN, NULL },
        /* Named .md: Markdown though it starts with HTML or has a URL
         * line; any case, a query after the name. */
        { "README.md", "<p align=\"center\"><img src=\"logo.png\"></p>\n\n"
            "## R\n\n- [A](https://a.org/)\n", LH_DIR_AUTO, LH_DIR_MARKDOWN,
            NULL },
        { "https://example.org/raw/README.MD?token=1", "# T\n\n"
            "- [A](https://a.org/)\n\nhttps://bare.example.org/\n",
            LH_DIR_AUTO, LH_DIR_MARKDOWN, NULL },
        { "d.markdown", "- [A](https://a.org/)\n", LH_DIR_AUTO,
            LH_DIR_MARKDOWN, NULL },
        /* Not a Markdown item: no space after the bullet. */
        { "d", "-[A](https://a.org/)\n", LH_DIR_AUTO, LH_DIR_LIST,
            "d: no organizations found; 1 skipped, the first: d:1: "
            "skipped: URL \"-[A](https://a.org/)\" is relative, not an "
            "absolute http or https URL" },
        /* JSON and HTML as before. */
        { "d.md", "[\n {\"content\": {\"rendered\": \"<p><a href="
            "\\\"https://a.org/\\\">A</a></p><div class=\\\"text-subtext"
            "\\\">a</div>\"}}]", LH_DIR_AUTO, LH_DIR_MARKDOWN,
            "d.md: no organizations found" },
        { "d", "[\n {\"content\": {\"rendered\": \"<p><a href="
            "\\\"https://a.org/\\\">A</a></p><div class=\\\"text-subtext"
            "\\\">a</div>\"}}]", LH_DIR_AUTO, LH_DIR_WPJSON, NULL },
        /* Forced. */
        { "d", "# T\n\n- [A](https://a.org/)\n", LH_DIR_LIST, LH_DIR_LIST,
            "d: this looks like Markdown, not a list of URLs (the format "
            "is set to \"list\")" },
        { "d", "# T\n\n- [A](https://a.org/)\n", LH_DIR_WPJSON,
            LH_DIR_WPJSON, "d: this looks like Markdown, not WordPress JSON "
            "(the format is set to \"wordpress\")" },
        { "d.md", "https://a.org/ A\n", LH_DIR_MARKDOWN, LH_DIR_MARKDOWN,
            "d.md: no organizations found" },
        { "d.txt", "[![B](https://b.org/b.svg)](https://b.org/)\n\n"
            "- [A](https://a.org/)\n", LH_DIR_MARKDOWN, LH_DIR_MARKDOWN,
            NULL },
        { "d.md", "https://a.org/ A\n", LH_DIR_LIST, LH_DIR_LIST, NULL },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lh_directory d;
        char err[512] = "";
        int rc;

        TEST_ROW_BEGIN();
        rc = parse_as(rows[i].source, rows[i].text, rows[i].format, &d, err,
            sizeof(err));
        if (rows[i].err == NULL) {
            CHECK_INT_EQ(0, rc);
            CHECK_STR_EQ("", err);
            CHECK_INT_EQ(rows[i].got, d.format);
            CHECK(d.n >= 1);
        } else {
            CHECK_INT_EQ(-1, rc);
            CHECK_STR_EQ(rows[i].err, err);
        }
        lh_directory_cleanup(&d);
        TEST_ROW_END(rows[i].text);
    }
}

static void
test_format_name(void)
{
    enum lh_dir_format f = LH_DIR_AUTO;

    CHECK_STR_EQ("markdown", lh_directory_format_name(LH_DIR_MARKDOWN));
    CHECK_INT_EQ(0, lh_directory_format_parse("markdown", &f));
    CHECK_INT_EQ(LH_DIR_MARKDOWN, f);
    f = LH_DIR_AUTO;
    CHECK_INT_EQ(0, lh_directory_format_parse("Markdown", &f));
    CHECK_INT_EQ(LH_DIR_MARKDOWN, f);
    CHECK_INT_EQ(-1, lh_directory_format_parse("md", &f));
}

/* Deep nesting and long documents: no recursion, every line counted. */
static void
test_markdown_big(void)
{
    size_t cap = 64 * 1024 * 1024, len = 0;
    char *buf = malloc(cap);
    struct lh_directory d;
    char err[256] = "";

    CHECK(buf != NULL);
    if (buf == NULL)
        return;
    /* 20000 nested block quotes, then 50000 items over 1000 regions. */
    for (int i = 0; i < 20000; i++)
        buf[len++] = '>';
    buf[len++] = '\n';
    buf[len++] = '\n';
    for (int i = 0; i < 50000; i++) {
        if (i % 50 == 0)
            len += (size_t)snprintf(buf + len, cap - len, "\n## R%d\n\n",
                i / 50);
        len += (size_t)snprintf(buf + len, cap - len, "- [**Org** %d]("
            "https://o%d.example.org/) - about *it*\n", i, i);
    }
    CHECK_INT_EQ(0, lh_directory_parse(buf, len, "big.md", LH_DIR_AUTO, &d,
        err, sizeof(err)));
    CHECK_STR_EQ("", err);
    CHECK_INT_EQ(50000, d.n);
    if (d.n == 50000) {
        /* The quotes and a blank, then 3 lines before each region's
         * items. */
        CHECK_STR_EQ("R999", d.entries[49999].region);
        CHECK_STR_EQ("Org 49999", d.entries[49999].name);
        CHECK_STR_EQ("about it", d.entries[49999].description);
        CHECK_INT_EQ(2 + 3 * 1000 + 50000, d.entries[49999].line);
    }
    lh_directory_cleanup(&d);
    free(buf);
}

int
main(void)
{
    RUN_TEST(test_awesome_list);
    RUN_TEST(test_markdown_rules);
    RUN_TEST(test_markdown_refused);
    RUN_TEST(test_list_regions);
    RUN_TEST(test_detection);
    RUN_TEST(test_format_name);
    RUN_TEST(test_markdown_big);
    TEST_EXIT();
}
