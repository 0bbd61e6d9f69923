/*
 * Tests of directory.c: the seed page as WordPress JSON and as HTML, the
 * plain list, format detection, every error path and bad input.
 */
#include <unistd.h>

#include "directory.h"
#include "test.h"

#define FIX LH_FIXTURES "/"

/* The seed, as the text rendering and the JSON have it. */
static const struct {
    const char *region, *name, *url, *description;
} seed[] = {
    { "Global", "World Association of Lesson Studies (WALS)",
        "https://www.walsnet.org/",
        "The World Association of Lesson Studies (WALS) aims to promote "
        "and advance the research and practices focused on Lesson Studies "
        "in order to improve the quality of teaching and learning. It "
        "provides a platform for research collaboration, mutual "
        "assistance, and information exchange among its members." },
    { "Hong Kong", "The Centre for Excellence in Learning and Teaching",
        "https://www.eduhk.hk/celt/en/",
        "The Centre for Excellence in Learning and Teaching (CELT) aims to "
        "support new and existing cutting-edge classroom practices in "
        "schools, heightening teaching and learning effectiveness and "
        "striving for learning and teaching excellence. Lesson Study "
        "practices form a strong component of CELT\u2019s work." },
    { "Indonesia", "Indonesian Association of Lesson Study (IALS)",
        "http://icls8.hamzanwadi.ac.id/page/about-wals",
        "Indonesian Association of Lesson Study (IALS) aims to allow "
        "educational practitioners in Indonesia to exchange information, "
        "experience, and best practices of Lesson Study in order to "
        "improve the quality of education in Indonesia." },
    { "Japan", "IMPULS Project at Tokyo Gakugei University",
        "https://impuls-jp.com/",
        "As an international center of Lesson Study in mathematics, Tokyo "
        "Gakugei University and its network of laboratory schools assists "
        "teacher professionals to learn about Lesson Study and prepare "
        "them to create systems for long-term, independent educational "
        "improvement in mathematics teaching." },
    { "Malta", "CLeStuM at University of Malta", "https://www.clestum.eu/",
        "CLeStuM is a team of teacher educators that aim to support "
        "schools in Malta to learn about, initiate and sustain "
        "collaborative lesson study." },
    { "Netherlands", "Lesson Study NL",
        "https://lessonstudynl.nl/lesson-study-nl/",
        "Lesson Study NL seeks to strengthen and disseminate the knowledge "
        "and expertise in Lesson Study in primary and secondary education, "
        "secondary vocational education and higher education in the "
        "Netherlands." },
    { "Switzerland", "Laboratoire Lausannois Lesson Study (3LS)",
        "http://www.hepl.ch/accueil/formation/unites-enseignement-et-"
        "recherche/did-mathematiques-sciences-nat/laboratoire-lausannois-"
        "lesson-st.html",
        "3LS tests, adapts, and disseminates scholarly inquiry and training "
        "on Lesson Study through research and professional development "
        "projects." },
    { "United Kingdom", "Teacher Development Trust Network",
        "https://tdtrust.org/lessonstudy/",
        "The Teacher Development Trust Network is a collaborative "
        "partnership of schools and colleges committed to innovation and "
        "improvement in staff professional development. All members of "
        "the network are supported in implementing Lesson Study." },
    { "United Kingdom",
        "University of Leicester Lesson Study Research Group (LSRG)",
        "https://www2.le.ac.uk/departments/education/research/lsrg",
        "The LSRG uses Lesson Study in work with schools and universities "
        "to identify ways in which pedagogy can be made more responsive to "
        "students, through joint collaboration in planning, teaching, "
        "observing, noticing and analyzing the quality of learning in "
        "lessons." },
    { "United Kingdom", "University of Exeter Lesson Study Network",
        "http://blogs.exeter.ac.uk/lessonstudynetwork/",
        "The Lesson Study Network at the University of Exeter aims to "
        "promote understanding about lesson study and related practices "
        "(learning studies) in their contexts and across varied phases of "
        "education." },
    { "United Kingdom", "Lesson Study UK", "https://lessonstudy.co.uk/",
        "Lesson Study UK is run by a group of education professionals who "
        "have extensive experience of promoting and developing Lesson "
        "Study in the UK." },
};
#define NSEED (sizeof(seed) / sizeof(seed[0]))

/* Whole file into a NUL-terminated buffer; NULL on failure. */
static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, r;

    if (f == NULL)
        return NULL;
    do {
        if (cap - n < 4096) {
            char *b = realloc(buf, cap + 65536);

            if (b == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = b;
            cap += 65536;
        }
        r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
    } while (r > 0);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Is s valid UTF-8 (no overlongs, surrogates or NUL inside)? */
static int
valid_utf8(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    while (*u != 0) {
        size_t k;
        unsigned cp;

        if (*u < 0x80) {
            u++;
            continue;
        }
        if (*u >= 0xc2 && *u <= 0xdf) {
            k = 1;
            cp = *u & 0x1f;
        } else if (*u >= 0xe0 && *u <= 0xef) {
            k = 2;
            cp = *u & 0x0f;
        } else if (*u >= 0xf0 && *u <= 0xf4) {
            k = 3;
            cp = *u & 0x07;
        } else {
            return 0;
        }
        for (size_t i = 1; i <= k; i++) {
            if ((u[i] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (u[i] & 0x3f);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return 0;
        u += k + 1;
    }
    return 1;
}

/* Every string of d is valid UTF-8 and none is NULL. */
static void
check_all_utf8(const struct lh_directory *d)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct lh_entry *e = &d->entries[i];

        CHECK(e->region != NULL && valid_utf8(e->region));
        CHECK(e->name != NULL && valid_utf8(e->name));
        CHECK(e->url != NULL && valid_utf8(e->url));
        CHECK(e->description != NULL && valid_utf8(e->description));
    }
    for (size_t i = 0; i < d->nwarnings; i++)
        CHECK(valid_utf8(d->warnings[i]));
}

/* The eleven organizations of the seed, in order. */
static void
check_seed(const struct lh_directory *d)
{
    unsigned last = 0;

    CHECK_INT_EQ(NSEED, d->n);
    for (size_t i = 0; i < NSEED && i < d->n; i++) {
        TEST_ROW_BEGIN();
        CHECK_STR_EQ(seed[i].region, d->entries[i].region);
        CHECK_STR_EQ(seed[i].name, d->entries[i].name);
        CHECK_STR_EQ(seed[i].url, d->entries[i].url);
        CHECK_STR_EQ(seed[i].description, d->entries[i].description);
        /* Lines are known and in document order (a JSON page's HTML is
         * all on one line). */
        CHECK(d->entries[i].line > 0 && d->entries[i].line >= last);
        last = d->entries[i].line;
        TEST_ROW_END(seed[i].name);
    }
    CHECK_INT_EQ(0, d->nwarnings);
    check_all_utf8(d);
}

static void
test_seed_json(void)
{
    struct lh_directory d;
    char err[512] = "";

    CHECK_INT_EQ(0, lh_directory_load_file(FIX "international-networks.json",
        LH_DIRECTORY_MAX_BYTES_DEFAULT, LH_DIR_AUTO, &d, err, sizeof(err)));
    CHECK_STR_EQ("", err);
    CHECK_INT_EQ(LH_DIR_WPJSON, d.format);
    check_seed(&d);
    /* The file is one line: content.rendered is on it. */
    if (d.n == NSEED) {
        CHECK_INT_EQ(1, d.entries[0].line);
        CHECK_INT_EQ(1, d.entries[10].line);
    }
    lh_directory_cleanup(&d);
    CHECK(d.entries == NULL && d.n == 0 && d.warnings == NULL);
}

/* Where the text rendering has a name or description, it agrees. */
static void
test_seed_agrees_with_text(void)
{
    struct lh_directory d;
    char err[512] = "", *txt, *line, *nl;
    const char *lines[256];
    size_t len, nlines = 0, missing = 0;

    txt = slurp(FIX "international-networks.txt", &len);
    CHECK(txt != NULL);
    if (txt == NULL)
        return;
    /* One line each, trailing spaces dropped. */
    for (line = txt; line != NULL && nlines < 256; line = nl) {
        size_t n;

        if ((nl = strchr(line, '\n')) != NULL)
            *nl++ = '\0';
        n = strlen(line);
        while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\r'))
            line[--n] = '\0';
        lines[nlines++] = line;
    }
    CHECK_INT_EQ(0, lh_directory_load_file(FIX "international-networks.json",
        0, LH_DIR_AUTO, &d, err, sizeof(err)));
    for (size_t i = 0; i < d.n; i++) {
        int name = 0, desc = 0, region = 0;

        for (size_t j = 0; j < nlines; j++) {
            name |= strcmp(lines[j], d.entries[i].name) == 0;
            desc |= strcmp(lines[j], d.entries[i].description) == 0;
            region |= strcmp(lines[j], d.entries[i].region) == 0;
        }
        TEST_ROW_BEGIN();
        CHECK(desc);
        CHECK(region);
        if (!name) {
            /* The rendering runs these two names into their text. */
            missing++;
            CHECK(strcmp(d.entries[i].name, "Lesson Study NL") == 0 ||
                strcmp(d.entries[i].name, "Lesson Study UK") == 0);
        }
        TEST_ROW_END(d.entries[i].name);
    }
    CHECK_INT_EQ(2, missing);
    lh_directory_cleanup(&d);
    free(txt);
}

/* The page as a browser gets it: menus, scripts, images, a footer. */
static void
test_seed_html(void)
{
    struct lh_directory d;
    char err[512] = "";

    CHECK_INT_EQ(0, lh_directory_load_file(FIX "international-networks.html",
        0, LH_DIR_AUTO, &d, err, sizeof(err)));
    CHECK_STR_EQ("", err);
    CHECK_INT_EQ(LH_DIR_HTML, d.format);
    check_seed(&d);
    /* Lines are the file's. */
    if (d.n == NSEED) {
        CHECK_INT_EQ(66, d.entries[0].line);
        CHECK_INT_EQ(136, d.entries[10].line);
    }
    lh_directory_cleanup(&d);
}

static void
test_pages_array(void)
{
    static const struct {
        const char *region, *name, *url, *description;
        unsigned line;
    } want[] = {
        { "Global", "World Association of Lesson Studies (WALS)",
            "https://www.walsnet.org/", "The World Association of Lesson "
            "Studies (WALS) aims to promote and advance the research.", 1 },
        { "Hong Kong", "The Centre for Excellence in Learning and Teaching",
            "https://www.eduhk.hk/celt/en/", "Lesson Study practices form a "
            "strong component of CELT\u2019s work.", 1 },
        /* The second page starts without a region. */
        { "California", "Mills College Lesson Study Group",
            "https://www.mills.edu/lessonstudy/",
            "Lesson Study in the Bay Area & beyond.", 1 },
        { "Illinois", "Chicago Lesson Study Group",
            "https://lessonresearch.net/chicago/",
            "Teachers\u2019 lesson study in Chicago.", 1 },
    };
    struct lh_directory d;
    char err[512] = "";

    CHECK_INT_EQ(0, lh_directory_load_file(
        FIX "international-networks-pages.json", 0, LH_DIR_AUTO, &d, err,
        sizeof(err)));
    CHECK_STR_EQ("", err);
    CHECK_INT_EQ(LH_DIR_WPJSON, d.format);
    CHECK_INT_EQ(4, d.n);
    for (size_t i = 0; i < 4 && i < d.n; i++) {
        TEST_ROW_BEGIN();
        CHECK_STR_EQ(want[i].region, d.entries[i].region);
        CHECK_STR_EQ(want[i].name, d.entries[i].name);
        CHECK_STR_EQ(want[i].url, d.entries[i].url);
        CHECK_STR_EQ(want[i].description, d.entries[i].description);
        CHECK_INT_EQ(want[i].line, d.entries[i].line);
        TEST_ROW_END(want[i].name);
    }
    CHECK_INT_EQ(0, d.nwarnings);
    lh_directory_cleanup(&d);
}

static void
test_nested_markup(void)
{
    static const struct {
        const char *region, *name, *url, *description;
        unsigned line;
    } want[] = {
        { "United Kingdom", "Teachers\u2019 Network & Friends",
            "https://example.org/a", "It\u2019s bold & new here. Second "
            "line.", 4 },
        /* "Intro: <a>" is a link in a sentence: no organization; the
         * class of the block that follows a link does not matter. */
        { "Region with strong", "Class is not quite right", "https://example.org/c",
            "not a description", 13 },
        /* The next block holds a link: no description. */
        { "Links", "No description follows", "https://example.org/d", "",
            16 },
        { "Links", "E", "https://example.org/e", "E has one", 17 },
        /* A link with only an image is named by its alt text. */
        { "Links", "Logo", "https://img.example.org/x", "Only a logo", 25 },
        { "Links", "F & G", "https://example.org/f?a=1&b=2", "query", 27 },
        { "Links", "Menu", "https://example.org/menu", "in a list item",
            29 },
    };
    const size_t nwant = sizeof(want) / sizeof(want[0]);
    struct lh_directory d;
    char err[512] = "";

    CHECK_INT_EQ(0, lh_directory_load_file(FIX "nested-markup.html", 0,
        LH_DIR_AUTO, &d, err, sizeof(err)));
    CHECK_STR_EQ("", err);
    CHECK_INT_EQ(nwant, d.n);
    for (size_t i = 0; i < nwant && i < d.n; i++) {
        TEST_ROW_BEGIN();
        CHECK_STR_EQ(want[i].region, d.entries[i].region);
        CHECK_STR_EQ(want[i].name, d.entries[i].name);
        CHECK_STR_EQ(want[i].url, d.entries[i].url);
        CHECK_STR_EQ(want[i].description, d.entries[i].description);
        CHECK_INT_EQ(want[i].line, d.entries[i].line);
        TEST_ROW_END(want[i].name);
    }
    /* The relative link is the site's own, mailto and "#top" are not
     * organizations: all three are passed over without a word. */
    CHECK_INT_EQ(0, d.nwarnings);
    lh_directory_cleanup(&d);
}

/* Parse a string; returns the result of lh_directory_parse. */
static int
parse_str(const char *s, enum lh_dir_format f, struct lh_directory *d,
    char *err, size_t errlen)
{
    return lh_directory_parse(s, strlen(s), "t.html", f, d, err, errlen);
}

static void
test_entities(void)
{
    static const struct {
        const char *html, *name, *description;
    } rows[] = {
        { "<p><a href=\"https://e.org/\">It&#8217;s</a></p>"
            "<div class=\"text-subtext\">A&amp;B</div>",
            "It\u2019s", "A&B" },
        { "<p><a href=\"https://e.org/\">&#x2019;&lt;tag&gt;&quot;</a></p>"
            "<div class=\"text-subtext\">&eacute;t&eacute;</div>",
            "\u2019<tag>\"", "\u00e9t\u00e9" },
        { "<p><a href=\"https://e.org/\">\n\t A&nbsp;&nbsp; B \n</a></p>"
            "<div class=\"text-subtext\">  x\r\n\r\n y&#160;</div>",
            "A B", "x y" },
        { "<p><a href=\"https://e.org/\">Name<br><br/> </a></p>"
            "<div class=\"text-subtext\"><p>one</p><p>two</p></div>",
            "Name", "one two" },
        /* The bytes are UTF-8 whatever the page claims. */
        { "\xef\xbb\xbf<html><head><meta charset=\"windows-1252\">"
            "</head><body><p><a href=\"https://e.org/\">Caf\u00e9</a></p>"
            "<div class=\"text-subtext\">\u2019</div></body></html>",
            "Caf\u00e9", "\u2019" },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lh_directory d;
        char err[256] = "";

        TEST_ROW_BEGIN();
        CHECK_INT_EQ(0, parse_str(rows[i].html, LH_DIR_AUTO, &d, err,
            sizeof(err)));
        CHECK_STR_EQ("", err);
        CHECK_INT_EQ(1, d.n);
        if (d.n == 1) {
            CHECK_STR_EQ(rows[i].name, d.entries[0].name);
            CHECK_STR_EQ(rows[i].description, d.entries[0].description);
            CHECK_STR_EQ("", d.entries[0].region);
        }
        lh_directory_cleanup(&d);
        TEST_ROW_END(rows[i].html);
    }
}

/* Each input fails with this message, and leaves the directory empty. */
static void
test_errors(void)
{
    static const struct {
        const char *file;       /* a fixture, or NULL for text */
        const char *text;
        enum lh_dir_format format;
        const char *err;
    } rows[] = {
        /* Headers, navigation, sidebars, footers, links in sentences,
         * the page's own site, mail and anchors are no organizations. */
        { "no-organizations.html", NULL, LH_DIR_AUTO,
            FIX "no-organizations.html: no organizations found" },
        { "international-networks-truncated.json", NULL, LH_DIR_AUTO,
            FIX "international-networks-truncated.json:1:417: invalid JSON: "
            "a string that never ends (is the file truncated?)" },
        { "syntax-error.json", NULL, LH_DIR_AUTO,
            FIX "syntax-error.json:5:5: invalid JSON" },
        { "no-rendered.json", NULL, LH_DIR_AUTO,
            FIX "no-rendered.json: no content.rendered" },
        { NULL, "[{\"id\": 1}, {\"content\": {\"rendered\": 5}}]",
            LH_DIR_AUTO, "t.html: no content.rendered" },
        { NULL, "  []  ", LH_DIR_AUTO,
            "t.html: no pages (an empty JSON array; is the slug right?)" },
        { NULL, "{\"code\":\"rest_no_route\",\"message\":\"No route was "
            "found matching the URL.\",\"data\":{\"status\":404}}",
            LH_DIR_AUTO, "t.html: no content.rendered (the answer says "
            "\"No route was found matching the URL.\")" },
        { NULL, "{\"content\": {\"rendered\": \"<h2>x</h2>\"}} trailing",
            LH_DIR_AUTO, "t.html:1:41: invalid JSON: more data after the "
            "end" },
        { NULL, "{\"a\": [1, 2", LH_DIR_AUTO,
            "t.html:1:11: invalid JSON: it ends too early (is the file "
            "truncated?)" },
        { NULL, "{\"a\": 1]", LH_DIR_AUTO, "t.html:1:8: invalid JSON" },
        { NULL, "{\"content\": {\"rendered\": \"\"}}", LH_DIR_AUTO,
            "t.html: no organizations found" },
        { NULL, "", LH_DIR_AUTO, "t.html: the directory is empty" },
        { NULL, " \n\t\r\n ", LH_DIR_LIST, "t.html: the directory is empty" },
        { NULL, "\xef\xbb\xbf\n", LH_DIR_AUTO,
            "t.html: the directory is empty" },
        { NULL, "# only a comment\n\n", LH_DIR_AUTO,
            "t.html: no organizations found" },
        /* Text before the markup: auto-detection takes it for a list. */
        { NULL, "Directory\n<p><a href=\"https://e.org/\">E</a></p>\n",
            LH_DIR_AUTO, "t.html: no organizations found; 2 skipped, the "
            "first: t.html:1: skipped: URL \"Directory\" is relative, not "
            "an absolute http or https URL" },
        { NULL, "<p>x</p>", (enum lh_dir_format)42,
            "t.html: unknown directory format 42" },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lh_directory d;
        char err[512] = "", path[256];
        int rc;

        memset(&d, 0xab, sizeof(d));
        TEST_ROW_BEGIN();
        if (rows[i].file != NULL) {
            snprintf(path, sizeof(path), FIX "%s", rows[i].file);
            rc = lh_directory_load_file(path, 0, rows[i].format, &d, err,
                sizeof(err));
        } else {
            rc = parse_str(rows[i].text, rows[i].format, &d, err,
                sizeof(err));
        }
        CHECK_INT_EQ(-1, rc);
        CHECK_STR_EQ(rows[i].err, err);
        CHECK(d.entries == NULL && d.n == 0 && d.warnings == NULL &&
            d.nwarnings == 0);
        lh_directory_cleanup(&d);
        TEST_ROW_END(rows[i].file != NULL ? rows[i].file : rows[i].text);
    }
    /* No buffer at all is the empty directory too. */
    {
        struct lh_directory d;
        char err[128];

        CHECK_INT_EQ(-1, lh_directory_parse(NULL, 0, "none", LH_DIR_AUTO,
            &d, err, sizeof(err)));
        CHECK_STR_EQ("none: the directory is empty", err);
    }
}

static void
test_invalid_utf8(void)
{
#define ROW(s) { s, sizeof(s) - 1 }
    static const struct {
        const char *text;
        size_t len;
    } rows[] = {
        /* In JSON, in a string and outside the page. */
        ROW("{\"title\": \"\xfe\", \"content\": {\"rendered\": \"<p><a "
            "href=\\\"https://e.org/\\\">Caf\xe9</a></p><div class=\\\""
            "text-subtext\\\">\xff</div>\"}}"),
        /* A NUL and a cut sequence in HTML. */
        ROW("<p><a href=\"https://e.org/\">A\0B</a></p>"
            "<div class=\"text-subtext\">\xe2\x80</div>"),
        /* In a list, in the URL and in the name. */
        ROW("https://e.org/\xc3 Na\xc0me\nhttps://f.org/ F\n"),
    };
#undef ROW
    struct lh_directory d;
    char err[512] = "";

    CHECK_INT_EQ(0, lh_directory_load_file(FIX "latin1.html", 0, LH_DIR_AUTO,
        &d, err, sizeof(err)));
    CHECK_STR_EQ("", err);
    CHECK_INT_EQ(2, d.n);
    if (d.n == 2) {
        CHECK_STR_EQ("Caf\xef\xbf\xbds", d.entries[0].region);
        CHECK_STR_EQ("Caf\xef\xbf\xbd Network", d.entries[0].name);
        CHECK_STR_EQ("https://cafe.example.org/", d.entries[0].url);
        CHECK_STR_EQ("Fine \u2019 name", d.entries[1].name);
    }
    CHECK_INT_EQ(1, d.nwarnings);
    if (d.nwarnings == 1)
        CHECK_STR_EQ(FIX "latin1.html:1:8: invalid UTF-8; 16 bytes "
            "replaced with U+FFFD", d.warnings[0]);
    check_all_utf8(&d);
    lh_directory_cleanup(&d);

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        TEST_ROW_BEGIN();
        CHECK_INT_EQ(0, lh_directory_parse(rows[i].text, rows[i].len, "u",
            LH_DIR_AUTO, &d, err, sizeof(err)));
        CHECK_STR_EQ("", err);
        CHECK(d.n >= 1);
        CHECK(d.nwarnings >= 1);
        if (d.nwarnings >= 1)
            CHECK_STR_CONTAINS("invalid UTF-8", d.warnings[0]);
        check_all_utf8(&d);
        lh_directory_cleanup(&d);
        TEST_ROW_END(rows[i].text);
    }
}

static void
test_list(void)
{
    static const struct {
        const char *name, *url;
        unsigned line;
    } want[] = {
        { "World Association of Lesson Studies (WALS)",
            "https://www.walsnet.org/", 4 },
        { "lessonstudy.co.uk", "https://lessonstudy.co.uk/", 5 },
        { "Teacher Development Trust Network",
            "https://tdtrust.org/lessonstudy/", 6 },
        { "IMPULS", "HTTPS://Impuls-JP.com/", 10 },
        { "Lesson Study NL", "https://lessonstudynl.nl/lesson-study-nl/", 15 },
        { "IMPULS # not a comment", "https://impuls-jp.com/#fragment", 16 },
    };
    static const char *const warnings[] = {
        FIX "directory.txt:7: skipped \"Old FTP mirror\": URL "
            "\"ftp://files.example.org/pub\" is not http or https",
        FIX "directory.txt:8: dropped \"WALS again\": URL "
            "\"https://www.walsnet.org/\" is already listed for \"World "
            "Association of Lesson Studies (WALS)\" (line 4)",
        FIX "directory.txt:9: skipped \"No scheme\": URL "
            "\"example.org/no-scheme\" is relative, not an absolute http or "
            "https URL",
        FIX "directory.txt:12: dropped \"Lesson Study UK (second time)\": "
            "URL \"https://lessonstudy.co.uk/\" is already listed for "
            "\"lessonstudy.co.uk\" (line 5); listed 3 times in all",
        FIX "directory.txt:14: skipped \"Empty host\": URL \"http://\" "
            "does not parse: ",
    };
    struct lh_directory d;
    char err[512] = "";

    CHECK_INT_EQ(0, lh_directory_load_file(FIX "directory.txt", 0,
        LH_DIR_AUTO, &d, err, sizeof(err)));
    CHECK_STR_EQ("", err);
    CHECK_INT_EQ(LH_DIR_LIST, d.format);
    CHECK_INT_EQ(6, d.n);
    for (size_t i = 0; i < 6 && i < d.n; i++) {
        TEST_ROW_BEGIN();
        CHECK_STR_EQ(want[i].name, d.entries[i].name);
        CHECK_STR_EQ(want[i].url, d.entries[i].url);
        CHECK_INT_EQ(want[i].line, d.entries[i].line);
        CHECK_STR_EQ("", d.entries[i].region);
        CHECK_STR_EQ("", d.entries[i].description);
        TEST_ROW_END(want[i].url);
    }
    CHECK_INT_EQ(5, d.nwarnings);
    for (size_t i = 0; i < 5 && i < d.nwarnings; i++) {
        TEST_ROW_BEGIN();
        if (i < 4)
            CHECK_STR_EQ(warnings[i], d.warnings[i]);
        else
            CHECK(strncmp(warnings[i], d.warnings[i],
                strlen(warnings[i])) == 0);
        TEST_ROW_END(warnings[i]);
    }
    lh_directory_cleanup(&d);
}

static void
test_url_checks(void)
{
    static const struct {
        const char *url, *warning;     /* NULL warning: kept */
    } rows[] = {
        { "https://user@example.org:8080/p?q=1#f", NULL },
        { "http://192.0.2.1/", NULL },
        { "http://[2001:db8::1]/x", NULL },
        { "javascript:alert(1)", "is not http or https" },
        { "http:/example.org/", "does not have // after the scheme" },
        { "https:example.org", "does not have // after the scheme" },
        { "//example.org/x", "is relative" },
        { "/x", "is relative" },
        { "https:", "does not have // after the scheme" },
        { "http://[::1/", "does not parse" },
        { "gopher://example.org/", "is not http or https" },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lh_directory d;
        char buf[256], err[512] = "";

        TEST_ROW_BEGIN();
        snprintf(buf, sizeof(buf), "https://keep.example.org/ Keep\n%s X\n",
            rows[i].url);
        CHECK_INT_EQ(0, parse_str(buf, LH_DIR_LIST, &d, err, sizeof(err)));
        CHECK_INT_EQ(rows[i].warning ? 1 : 2, d.n);
        CHECK_INT_EQ(rows[i].warning ? 1 : 0, d.nwarnings);
        if (rows[i].warning != NULL && d.nwarnings == 1) {
            CHECK_STR_CONTAINS("t.html:2: skipped \"X\": URL \"",
                d.warnings[0]);
            CHECK_STR_CONTAINS(rows[i].warning, d.warnings[0]);
        }
        lh_directory_cleanup(&d);
        TEST_ROW_END(rows[i].url);
    }
}

static void
test_duplicates_html(void)
{
    const char *html =
        "<h2>A</h2>\n"
        "<p><a href=\"https://e.org/\">First</a></p>\n"
        "<div class=\"text-subtext\">one</div>\n"
        "<h2>B</h2>\n"
        "<p><a href=\"https://e.org/\">Second</a></p>\n"
        "<div class=\"text-subtext\">two</div>\n";
    struct lh_directory d;
    char err[256] = "";

    CHECK_INT_EQ(0, parse_str(html, LH_DIR_AUTO, &d, err, sizeof(err)));
    CHECK_INT_EQ(1, d.n);
    if (d.n == 1) {
        CHECK_STR_EQ("First", d.entries[0].name);
        CHECK_STR_EQ("A", d.entries[0].region);
    }
    CHECK_INT_EQ(1, d.nwarnings);
    if (d.nwarnings == 1)
        CHECK_STR_EQ("t.html:5: dropped \"Second\": URL \"https://e.org/\" "
            "is already listed for \"First\" (line 2)", d.warnings[0]);
    lh_directory_cleanup(&d);
}

static void
test_forced_format(void)
{
    static const struct {
        const char *file;
        enum lh_dir_format format;
        size_t n;               /* entries, or 0 for this error */
        const char *err;
    } rows[] = {
        { "international-networks.html", LH_DIR_LIST, 0,
            FIX "international-networks.html: this looks like HTML, not a "
            "list of URLs (the format is set to \"list\")" },
        { "directory.txt", LH_DIR_WPJSON, 0,
            FIX "directory.txt: this looks like a list of URLs, not "
            "WordPress JSON (the format is set to \"wordpress\")" },
        { "international-networks.json", LH_DIR_HTML, 0,
            FIX "international-networks.json: this looks like WordPress "
            "JSON, not HTML (the format is set to \"html\")" },
        { "international-networks.json", LH_DIR_LIST, 0,
            FIX "international-networks.json: this looks like WordPress "
            "JSON, not a list of URLs (the format is set to \"list\")" },
        { "international-networks.html", LH_DIR_WPJSON, 0,
            FIX "international-networks.html: this looks like HTML, not "
            "WordPress JSON (the format is set to \"wordpress\")" },
        { "international-networks.json", LH_DIR_WPJSON, NSEED, "" },
        { "international-networks.html", LH_DIR_HTML, NSEED, "" },
        { "directory.txt", LH_DIR_LIST, 6, "" },
        /* HTML may start with text; a list forced as HTML has no orgs. */
        { "directory.txt", LH_DIR_HTML, 0,
            FIX "directory.txt: no organizations found" },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lh_directory d;
        char path[256], err[512] = "";

        TEST_ROW_BEGIN();
        snprintf(path, sizeof(path), FIX "%s", rows[i].file);
        CHECK_INT_EQ(rows[i].n ? 0 : -1, lh_directory_load_file(path, 0,
            rows[i].format, &d, err, sizeof(err)));
        CHECK_STR_EQ(rows[i].err, err);
        CHECK_INT_EQ(rows[i].n, d.n);
        if (rows[i].n)
            CHECK_INT_EQ(rows[i].format, d.format);
        lh_directory_cleanup(&d);
        TEST_ROW_END(path);
    }
    /* Text before the markup is fine when HTML is forced. */
    {
        struct lh_directory d;
        char err[256] = "";

        CHECK_INT_EQ(0, parse_str("Directory\n<p><a href=\"https://e.org/\">"
            "E</a></p><div class=\"text-subtext\">e</div>", LH_DIR_HTML, &d,
            err, sizeof(err)));
        CHECK_INT_EQ(1, d.n);
        lh_directory_cleanup(&d);
    }
}

/* Write len bytes of s to a new temporary file; its name into path. */
static int
temp_file(char *path, size_t pathlen, const char *s, size_t len)
{
    int fd;

    snprintf(path, pathlen, "/tmp/lh-test-directory-XXXXXX");
    if ((fd = mkstemp(path)) == -1)
        return -1;
    if (write(fd, s, len) != (ssize_t)len) {
        close(fd);
        unlink(path);
        return -1;
    }
    return close(fd);
}

static void
test_size_limit(void)
{
    const char *list = "https://e.org/ E\n";
    struct lh_directory d;
    char path[64], err[512] = "", want[256];

    CHECK_INT_EQ(0, temp_file(path, sizeof(path), list, strlen(list)));
    CHECK_INT_EQ(-1, lh_directory_load_file(path, 10, LH_DIR_AUTO, &d, err,
        sizeof(err)));
    snprintf(want, sizeof(want), "%s: 17 bytes is over the 10-byte limit "
        "(directory_max_bytes)", path);
    CHECK_STR_EQ(want, err);
    CHECK(d.n == 0 && d.entries == NULL);
    /* At the limit is fine, and 0 means the default. */
    CHECK_INT_EQ(0, lh_directory_load_file(path, 17, LH_DIR_AUTO, &d, err,
        sizeof(err)));
    CHECK_INT_EQ(1, d.n);
    lh_directory_cleanup(&d);
    CHECK_INT_EQ(0, lh_directory_load_file(path, 0, LH_DIR_AUTO, &d, err,
        sizeof(err)));
    CHECK_INT_EQ(1, d.n);
    lh_directory_cleanup(&d);
    unlink(path);

    /* Not a regular file: refused before any read. */
    CHECK_INT_EQ(-1, lh_directory_load_file("/dev/zero", 4096, LH_DIR_AUTO,
        &d, err, sizeof(err)));
    CHECK_STR_EQ("/dev/zero: is a character device, not a regular file",
        err);
}

static void
test_missing_file(void)
{
    struct lh_directory d;
    char err[512] = "";

    CHECK_INT_EQ(-1, lh_directory_load_file(FIX "no-such-directory.json", 0,
        LH_DIR_AUTO, &d, err, sizeof(err)));
    CHECK_STR_EQ(FIX "no-such-directory.json: No such file or directory",
        err);
    CHECK(d.n == 0 && d.entries == NULL);
    CHECK_INT_EQ(-1, lh_directory_load_file(LH_FIXTURES, 0, LH_DIR_AUTO, &d,
        err, sizeof(err)));
    CHECK_STR_EQ(LH_FIXTURES ": is a directory, not a regular file", err);
}

static void
test_format_names(void)
{
    static const struct {
        const char *name;
        enum lh_dir_format format;
    } rows[] = {
        { "auto", LH_DIR_AUTO }, { "wordpress", LH_DIR_WPJSON },
        { "html", LH_DIR_HTML }, { "list", LH_DIR_LIST },
    };
    enum lh_dir_format f;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        TEST_ROW_BEGIN();
        CHECK_STR_EQ(rows[i].name, lh_directory_format_name(rows[i].format));
        f = (enum lh_dir_format)99;
        CHECK_INT_EQ(0, lh_directory_format_parse(rows[i].name, &f));
        CHECK_INT_EQ(rows[i].format, f);
        f = (enum lh_dir_format)99;
        CHECK_INT_EQ(0, lh_directory_format_parse(
            lh_directory_format_name(rows[i].format), &f));
        CHECK_INT_EQ(rows[i].format, f);
        TEST_ROW_END(rows[i].name);
    }
    CHECK_INT_EQ(0, lh_directory_format_parse("HTML", &f));
    CHECK_INT_EQ(LH_DIR_HTML, f);
    CHECK_INT_EQ(-1, lh_directory_format_parse("xml", &f));
    CHECK_INT_EQ(-1, lh_directory_format_parse("", &f));
    CHECK_INT_EQ(-1, lh_directory_format_parse("json", &f));
    CHECK_INT_EQ(-1, lh_directory_format_parse(NULL, &f));
    CHECK_STR_EQ("unknown", lh_directory_format_name((enum lh_dir_format)7));
}

static void
test_cleanup(void)
{
    struct lh_directory d;
    char err[128];

    memset(&d, 0, sizeof(d));
    lh_directory_cleanup(&d);
    lh_directory_cleanup(&d);
    lh_directory_cleanup(NULL);
    CHECK(d.entries == NULL && d.n == 0);
    /* No error buffer, or a tiny one, is fine. */
    CHECK_INT_EQ(-1, lh_directory_parse("", 0, "x", LH_DIR_AUTO, &d, NULL,
        0));
    CHECK_INT_EQ(-1, lh_directory_parse("", 0, "x", LH_DIR_AUTO, &d, err,
        1));
    CHECK_STR_EQ("", err);
    /* A cut message never ends inside a character. */
    CHECK_INT_EQ(-1, lh_directory_parse("", 0, "\u00e9\u00e9\u00e9",
        LH_DIR_AUTO, &d, err, 6));
    CHECK_STR_EQ("\u00e9\u00e9", err);
    CHECK_INT_EQ(-1, lh_directory_parse("", 0, "\u00e9\u00e9\u00e9",
        LH_DIR_AUTO, &d, err, 7));
    CHECK_STR_EQ("\u00e9\u00e9\u00e9", err);
}

static void
test_warning_cap(void)
{
    size_t cap = 200 * 32, len = 0;
    char *buf = malloc(cap);
    struct lh_directory d;
    char err[256] = "";

    CHECK(buf != NULL);
    if (buf == NULL)
        return;
    len += (size_t)snprintf(buf + len, cap - len, "https://ok.org/ OK\n");
    for (int i = 0; i < 150; i++)
        len += (size_t)snprintf(buf + len, cap - len, "ftp://f%d.org/\n", i);
    CHECK_INT_EQ(0, lh_directory_parse(buf, len, "cap.txt", LH_DIR_AUTO, &d,
        err, sizeof(err)));
    CHECK_INT_EQ(1, d.n);
    CHECK_INT_EQ(101, d.nwarnings);
    if (d.nwarnings == 101) {
        CHECK_STR_EQ("cap.txt:2: skipped: URL \"ftp://f0.org/\" is not "
            "http or https", d.warnings[0]);
        CHECK_STR_EQ("cap.txt: 50 more warnings not shown", d.warnings[100]);
    }
    lh_directory_cleanup(&d);
    free(buf);
}

/* Big inputs: lines past 65535, deep nesting, many organizations. */
static void
test_big_inputs(void)
{
    size_t cap = 4 * 1024 * 1024, len = 0;
    char *buf = malloc(cap);
    struct lh_directory d;
    char err[256] = "";

    CHECK(buf != NULL);
    if (buf == NULL)
        return;
    memset(buf, '\n', 70000);
    len = 70000;
    len += (size_t)snprintf(buf + len, cap - len, "<h2>Far</h2><p><a "
        "href=\"https://far.org/\">Far</a></p><div class=\"text-subtext\">"
        "away</div>");
    CHECK_INT_EQ(0, lh_directory_parse(buf, len, "far.html", LH_DIR_HTML,
        &d, err, sizeof(err)));
    CHECK_INT_EQ(1, d.n);
    if (d.n == 1)
        CHECK_INT_EQ(70001, d.entries[0].line);
    lh_directory_cleanup(&d);

    /* 200,000 nested elements: no stack exhausted, nothing cut off. */
    len = 0;
    for (int i = 0; i < 200000; i++) {
        memcpy(buf + len, "<div>", 5);
        len += 5;
    }
    len += (size_t)snprintf(buf + len, cap - len, "<h2>Deep</h2><p><a "
        "href=\"https://deep.org/\">Deep</a></p><div class=\"text-subtext\">"
        "down</div>");
    CHECK_INT_EQ(0, lh_directory_parse(buf, len, "deep.html", LH_DIR_AUTO,
        &d, err, sizeof(err)));
    CHECK_INT_EQ(1, d.n);
    if (d.n == 1) {
        CHECK_STR_EQ("Deep", d.entries[0].region);
        CHECK_STR_EQ("down", d.entries[0].description);
    }
    lh_directory_cleanup(&d);

    /* A theme that never closes its wrapper: each organization one level
     * deeper.  A limit of 256 open elements once dropped the rest, and
     * the daemon would have called them removed. */
    len = (size_t)snprintf(buf, cap, "<h2>R</h2>\n");
    for (int i = 0; i < 400; i++)
        len += (size_t)snprintf(buf + len, cap - len, "<div class=\"entry\">"
            "<p><a href=\"https://w%d.org/\">W %d</a></p>"
            "<div class=\"text-subtext\">d</div>\n", i, i);
    CHECK_INT_EQ(0, lh_directory_parse(buf, len, "wrapped.html", LH_DIR_HTML,
        &d, err, sizeof(err)));
    CHECK_INT_EQ(400, d.n);
    CHECK_INT_EQ(0, d.nwarnings);
    if (d.n == 400)
        CHECK_STR_EQ("https://w399.org/", d.entries[399].url);
    lh_directory_cleanup(&d);
    len = 0;
    for (int i = 0; i < 100000; i++)
        buf[len++] = '[';
    CHECK_INT_EQ(-1, lh_directory_parse(buf, len, "deep.json", LH_DIR_AUTO,
        &d, err, sizeof(err)));
    CHECK_STR_CONTAINS("deep.json:1:", err);
    CHECK_STR_CONTAINS("invalid JSON", err);

    /* 20,000 organizations, a few with the same URL. */
    len = 0;
    for (int i = 0; i < 20000; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s<p><a href=\"https:"
            "//o%d.org/\">Org %d</a></p><div class=\"text-subtext\">D %d"
            "</div>\n", i % 100 == 0 ? "<h2>R</h2>\n" : "",
            i % 1000 == 999 ? 0 : i, i, i);
    CHECK_INT_EQ(0, lh_directory_parse(buf, len, "many.html", LH_DIR_AUTO,
        &d, err, sizeof(err)));
    CHECK_INT_EQ(19980, d.n);
    CHECK_INT_EQ(1, d.nwarnings);
    if (d.nwarnings == 1)
        CHECK_STR_CONTAINS("listed 21 times in all", d.warnings[0]);
    if (d.n == 19980) {
        CHECK_STR_EQ("Org 19998", d.entries[19979].name);
        CHECK_STR_EQ("https://o19998.org/", d.entries[19979].url);
    }
    lh_directory_cleanup(&d);
    free(buf);
}

int
main(void)
{
    RUN_TEST(test_seed_json);
    RUN_TEST(test_seed_agrees_with_text);
    RUN_TEST(test_seed_html);
    RUN_TEST(test_pages_array);
    RUN_TEST(test_nested_markup);
    RUN_TEST(test_entities);
    RUN_TEST(test_errors);
    RUN_TEST(test_invalid_utf8);
    RUN_TEST(test_list);
    RUN_TEST(test_url_checks);
    RUN_TEST(test_duplicates_html);
    RUN_TEST(test_forced_format);
    RUN_TEST(test_size_limit);
    RUN_TEST(test_missing_file);
    RUN_TEST(test_format_names);
    RUN_TEST(test_cleanup);
    RUN_TEST(test_warning_cap);
    RUN_TEST(test_big_inputs);
    TEST_EXIT();
}
