/*
 * Tests of page.c: what a bounded HTML prefix says about itself (title,
 * h1, refresh, sign-in form, parking), row by row with look-alikes, and
 * hostile input that must stay bounded.
 */
#include <stdbool.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "htmlguard.h"
#include "page.h"
#include "strmap.h"
#include "test.h"

#define BASE "https://example.org/dir/page.html"

struct page_row {
    const char *name;
    const char *html;
    const char *title;      /* expected; NULL: none */
    const char *h1;
    int refresh_delay;      /* 0 in a row means "none" unless refresh set */
    const char *refresh_url;
    bool refresh;           /* a refresh is expected */
    bool signin;
    bool parked;
};

static const struct page_row page_rows[] = {
    { .name = "plain", .html = "<html><head><title>Home</title></head>"
      "<body><h1>Welcome</h1><p>Hi</p></body></html>",
      .title = "Home", .h1 = "Welcome" },
    { .name = "title spaces collapsed", .html = "<title>\n  Page \t not"
      "\n found </title>", .title = "Page not found" },
    { .name = "entities decoded", .html = "<title>Caf&eacute; &amp; "
      "Co</title>", .title = "Caf\xc3\xa9 & Co" },
    { .name = "only the first title", .html = "<title>One</title>"
      "<title>Two</title>", .title = "One" },
    { .name = "first h1 only, nested markup",
      .html = "<body><h1>Seite <em>nicht</em> gefunden</h1><h1>Other</h1>",
      .h1 = "Seite nicht gefunden" },
    { .name = "no title, no h1", .html = "<p>just text</p>" },
    { .name = "empty title", .html = "<title>   </title><h1></h1>" },
    { .name = "script text is not the title",
      .html = "<title>T</title><script>document.title='x'</script>",
      .title = "T" },
    { .name = "meta refresh 0 to home",
      .html = "<meta http-equiv=\"refresh\" content=\"0; url=/\">",
      .refresh = true, .refresh_delay = 0,
      .refresh_url = "https://example.org/" },
    { .name = "meta refresh relative, quoted, URL upper case",
      .html = "<meta http-equiv=Refresh content=\"3;URL='next.html'\">",
      .refresh = true, .refresh_delay = 3,
      .refresh_url = "https://example.org/dir/next.html" },
    { .name = "meta refresh absolute elsewhere",
      .html = "<META HTTP-EQUIV=\"REFRESH\" CONTENT=\"0;url=https://other."
      "example/x\">", .refresh = true, .refresh_delay = 0,
      .refresh_url = "https://other.example/x" },
    { .name = "meta refresh without URL: reload",
      .html = "<meta http-equiv=\"refresh\" content=\"300\">",
      .refresh = true, .refresh_delay = 300 },
    { .name = "meta refresh to itself is no target",
      .html = "<meta http-equiv=\"refresh\" content=\"0; url=" BASE "\">",
      .refresh = true, .refresh_delay = 0 },
    { .name = "meta refresh garbage is none",
      .html = "<meta http-equiv=\"refresh\" content=\"soon\">" },
    { .name = "meta without http-equiv is none",
      .html = "<meta name=\"refresh\" content=\"0; url=/\">" },
    { .name = "sign-in page", .html = "<title>Sign in - Portal</title>"
      "<form action=/login><input type=password name=p></form>",
      .title = "Sign in - Portal", .signin = true },
    { .name = "login in h1 (de)", .html = "<h1>Anmelden</h1>"
      "<input type=\"PASSWORD\">", .h1 = "Anmelden", .signin = true },
    { .name = "control: a page with a login box in its sidebar",
      .html = "<title>Research Group</title><h1>Our research</h1>"
      "<form action=/wp-login.php><input type=password></form>",
      .title = "Research Group", .h1 = "Our research" },
    { .name = "control: a sign-in title without a password field",
      .html = "<title>How to log in to the VPN</title>",
      .title = "How to log in to the VPN" },
    { .name = "parked: for-sale phrase", .html = "<title>example.org</title>"
      "<body><p>This domain is for sale!</p></body>",
      .title = "example.org", .parked = true },
    { .name = "parked: buy this domain (case)", .html = "<h2>BUY THIS "
      "DOMAIN</h2>", .parked = true },
    { .name = "parked: title sells the host",
      .html = "<title>Example.org is for sale</title>",
      .title = "Example.org is for sale", .parked = true },
    { .name = "parked: sedo parking script",
      .html = "<script src=\"https://img.sedoparking.com/js/x.js\"></script>",
      .parked = true },
    { .name = "parked: a frame of a parking service",
      .html = "<frameset><frame src=\"http://ww1.parkingcrew.net/x\">"
      "</frameset>", .parked = true },
    { .name = "parked: godaddy courtesy", .html = "<p>This Web page is "
      "parked FREE, courtesy of GoDaddy.com</p>", .parked = true },
    { .name = "parked: fr", .html = "<p>Ce domaine est \xc3\xa0 vendre</p>",
      .parked = true },
    { .name = "parked: ja", .html = "<meta charset=utf-8><p>\xe3\x81\x93"
      "\xe3\x81\xae\xe3\x83\x89\xe3\x83\xa1\xe3\x82\xa4\xe3\x83\xb3\xe3\x81"
      "\xaf\xe8\xb2\xa9\xe5\xa3\xb2\xe4\xb8\xad\xe3\x81\xa7\xe3\x81\x99</p>",
      .parked = true },
    { .name = "control: cars for sale", .html = "<title>Cars for sale"
      "</title><p>Buy this car</p>", .title = "Cars for sale" },
    { .name = "control: a link to a domain marketplace",
      .html = "<p>We bought our name at <a href=\"https://dan.com/\">dan"
      "</a></p>" },
    { .name = "no </title>", .html = "<title>Never closed",
      .title = "Never closed" },
    { .name = "invalid UTF-8 in the title", .html = "<meta charset=utf-8>"
      "<title>a\xff\xfe b</title>" },
};

static void
test_rows(void)
{
    size_t n = sizeof(page_rows) / sizeof(page_rows[0]);

    for (size_t i = 0; i < n; i++) {
        const struct page_row *row = &page_rows[i];
        struct lh_page p;

        TEST_ROW_BEGIN();
        CHECK_INT_EQ(0, lh_page_parse(row->html, strlen(row->html), BASE, NULL,
            &p));
        /* Invalid bytes: a title of valid text, whatever it is. */
        if (strcmp(row->name, "invalid UTF-8 in the title") != 0)
            CHECK_STR_EQ(row->title, p.title);
        else
            CHECK(p.title != NULL);
        CHECK_STR_EQ(row->h1, p.h1);
        CHECK_INT_EQ(row->refresh ? row->refresh_delay : -1,
            p.refresh_delay);
        CHECK_STR_EQ(row->refresh_url, p.refresh_url);
        CHECK_INT_EQ(row->signin, p.signin_form);
        CHECK_INT_EQ(row->parked, p.parked);
        CHECK_INT_EQ(strlen(row->html), p.bytes);
        lh_page_cleanup(&p);
        TEST_ROW_END(row->name);
    }
    printf("     %zu page rows\n", n);
}

/* The fingerprint: the same text under other markup and spacing hashes
 * alike; other text does not. */
static void
test_fingerprint(void)
{
    struct lh_page a, b, c;

    CHECK_INT_EQ(0, lh_page_parse("<p>Hello   world</p>", 20, BASE, NULL, &a));
    CHECK_INT_EQ(0, lh_page_parse("<div>\n Hello\tworld </div>", 26, BASE, NULL,
        &b));
    CHECK_INT_EQ(0, lh_page_parse("<p>Hello there</p>", 18, BASE, NULL, &c));
    CHECK_INT_EQ(11, a.text_bytes);
    CHECK(a.text_hash == lh_hash_bytes("Hello world", 11));
    CHECK(a.text_hash == b.text_hash);
    CHECK(a.text_hash != c.text_hash);
    lh_page_cleanup(&a);
    lh_page_cleanup(&b);
    lh_page_cleanup(&c);
    CHECK_INT_EQ(0, lh_page_parse("", 0, BASE, NULL, &a));
    CHECK(a.title == NULL);
    CHECK_INT_EQ(0, a.text_bytes);
    lh_page_cleanup(&a);
    lh_page_cleanup(NULL);
}

static char *
repeat(const char *head, const char *unit, size_t times, const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * times + tl + 1), *p = s;

    if (s == NULL)
        exit(EXIT_FAILURE);
    memcpy(p, head, hl);
    p += hl;
    for (size_t i = 0; i < times; i++, p += ul)
        memcpy(p, unit, ul);
    memcpy(p, tail, tl + 1);
    return s;
}

/* Hostile pages: a huge title, deep nesting, binary junk; everything
 * kept stays bounded, and the parse ends. */
static void
test_hostile(void)
{
    struct lh_page p;
    char *s;

    s = repeat("<title>", "\xc3\xa9", 200000, "</title>");
    CHECK_INT_EQ(0, lh_page_parse(s, strlen(s), BASE, NULL, &p));
    CHECK(p.title != NULL && strlen(p.title) <= LH_PAGE_TEXT_MAX);
    CHECK(p.title != NULL && strlen(p.title) >= LH_PAGE_TEXT_MAX - 1);
    lh_page_cleanup(&p);
    free(s);

    s = repeat("<h1>", "<div><span>x", 50000, "");
    CHECK_INT_EQ(0, lh_page_parse(s, strlen(s), BASE, NULL, &p));
    CHECK(p.h1 != NULL && strlen(p.h1) <= LH_PAGE_TEXT_MAX);
    lh_page_cleanup(&p);
    free(s);

    {
        static const char junk[] = "\x00\xff<\x01&#0;&#xffffff;]]><!--";
        size_t unit = sizeof(junk) - 1, times = 10000;

        if ((s = malloc(unit * times)) == NULL)
            exit(EXIT_FAILURE);
        for (size_t i = 0; i < times; i++)
            memcpy(s + i * unit, junk, unit);
        CHECK_INT_EQ(0, lh_page_parse(s, unit * times, BASE, NULL, &p));
        lh_page_cleanup(&p);
        free(s);
    }

    s = repeat("<meta http-equiv=refresh content=\"0; url=", "a", 100000,
        "\">");
    CHECK_INT_EQ(0, lh_page_parse(s, strlen(s), BASE, NULL, &p));
    CHECK_INT_EQ(0, p.refresh_delay);
    lh_page_cleanup(&p);
    free(s);
}

/* A page with a tag of natts attributes, a title before it and an h1
 * after it. */
static char *
wide_page(size_t natts, size_t *tag_at)
{
    static const char head[] = "<title>Coastal Ecology Lab</title><p";

    *tag_at = sizeof(head) - 1 - 2;
    return repeat(head, " a", natts, "><h1>Page not found</h1>");
}

/* A title, depth nested divs, stray end tags, then tail. */
static char *
deep_page(size_t depth, size_t stray, const char *tail)
{
    char *deep = repeat("<title>Coastal Ecology Lab</title>", "<div>", depth,
        ""), *s = repeat(deep, "</span>", stray, tail);

    free(deep);
    return s;
}

/* What would hold libxml2 for seconds ends the reading where it starts;
 * what was read before stands, and p.cut says why.  The look-alikes that
 * real pages are, are read to the end. */
static void
test_bounds(void)
{
    struct lh_page p;
    size_t at;
    char *s;

    s = wide_page(LH_HTML_MAX_ATTRIBUTES + 1, &at);
    CHECK_INT_EQ(0, lh_page_parse(s, strlen(s), BASE, NULL, &p));
    CHECK_STR_EQ("Coastal Ecology Lab", p.title);
    CHECK(p.h1 == NULL);
    CHECK_INT_EQ((long long)at, (long long)p.bytes);
    CHECK(p.cut != NULL && strstr(p.cut, "attributes") != NULL);
    lh_page_cleanup(&p);
    free(s);
    s = wide_page(LH_HTML_MAX_ATTRIBUTES, &at);
    CHECK_INT_EQ(0, lh_page_parse(s, strlen(s), BASE, NULL, &p));
    CHECK_STR_EQ("Page not found", p.h1);
    CHECK_INT_EQ((long long)strlen(s), (long long)p.bytes);
    CHECK(p.cut == NULL);
    lh_page_cleanup(&p);
    free(s);

    /* 200,000 nested divs then stray end tags: minutes for libxml2. */
    s = deep_page(200000, 200000, "");
    CHECK_INT_EQ(0, lh_page_parse(s, strlen(s), BASE, NULL, &p));
    CHECK_STR_EQ("Coastal Ecology Lab", p.title);
    CHECK(p.cut != NULL && strstr(p.cut, "end tags") != NULL);
    CHECK(p.bytes > 200000 * 5 && p.bytes < strlen(s));
    lh_page_cleanup(&p);
    free(s);
    /* A few hundred stray end tags in a deep page: a real page's sloppiness. */
    s = deep_page(2000, 300, "<h1>Welcome</h1>");
    CHECK_INT_EQ(0, lh_page_parse(s, strlen(s), BASE, NULL, &p));
    CHECK(p.cut == NULL);
    CHECK_STR_EQ("Welcome", p.h1);
    lh_page_cleanup(&p);
    free(s);

    /* The time limit and the cancel flag, on a page of 4 MiB of text. */
    s = repeat("<title>Coastal Ecology Lab</title>", "<p>salt marsh</p>\n",
        4 << 20 >> 4, "<h1>Page not found</h1>");
    {
        atomic_int cancel;
        struct lh_page_bounds b = { 0, &cancel };

        atomic_init(&cancel, 1);
        CHECK_INT_EQ(0, lh_page_parse(s, strlen(s), BASE, &b, &p));
        CHECK_STR_EQ("the check was cancelled", p.cut);
        CHECK(p.h1 == NULL && p.bytes < strlen(s));
        lh_page_cleanup(&p);
        atomic_store(&cancel, 0);
        b.timeout_ms = 1;
        CHECK_INT_EQ(0, lh_page_parse(s, strlen(s), BASE, &b, &p));
        CHECK(p.cut != NULL && strstr(p.cut, "longer") != NULL);
        CHECK(p.h1 == NULL && p.bytes < strlen(s));
        lh_page_cleanup(&p);
        b.timeout_ms = 60000;
        CHECK_INT_EQ(0, lh_page_parse(s, strlen(s), BASE, &b, &p));
        CHECK(p.cut == NULL);
        CHECK_STR_EQ("Page not found", p.h1);
        CHECK_INT_EQ((long long)strlen(s), (long long)p.bytes);
        lh_page_cleanup(&p);
    }
    free(s);
}

struct refresh_row {
    const char *value;
    int rc, delay;
    const char *url;
};

static void
test_refresh_parse(void)
{
    static const struct refresh_row rows[] = {
        { "0; url=/", 0, 0, "https://example.org/" },
        { "0;url=/", 0, 0, "https://example.org/" },
        { " 5 , URL = x.html ", 0, 5, "https://example.org/dir/x.html" },
        { "1.5; url=\"/a b\"", 0, 1, NULL },
        { "0; https://other.example/", 0, 0, "https://other.example/" },
        { "10", 0, 10, NULL },
        { "", -1, -1, NULL },
        { "url=/x", -1, -1, NULL },
        { "99999999999; url=/", 0, 1000000 * 10 + 9, NULL },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int delay;
        char *url;

        TEST_ROW_BEGIN();
        CHECK_INT_EQ(rows[i].rc, lh_page_refresh_parse(rows[i].value, BASE,
            &delay, &url));
        if (rows[i].delay < 1000000)
            CHECK_INT_EQ(rows[i].delay, delay);
        else
            CHECK(delay >= 1000000);
        if (rows[i].url != NULL)
            CHECK_STR_EQ(rows[i].url, url);
        free(url);
        TEST_ROW_END(rows[i].value);
    }
}

int
main(void)
{
    RUN_TEST(test_rows);
    RUN_TEST(test_fingerprint);
    RUN_TEST(test_hostile);
    RUN_TEST(test_bounds);
    RUN_TEST(test_refresh_parse);
    TEST_EXIT();
}
