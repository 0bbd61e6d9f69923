/*
 * Tests of the bounds on an HTML parse (dir_html.c): pages that would
 * hold libxml2 2.9 for minutes are refused at once, with the line; a
 * parse stops at its time budget and when its cancel flag is set.  Each
 * with the look-alikes that must parse: deep but well-formed nesting, a
 * few stray end tags, 200 attributes, attributes in scripts and
 * comments, the fixtures.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "directory.h"
#include "test.h"

#define ORG "<h2>Region</h2>\n<p><a href=\"https://org.example/\">Org</a> " \
    "what it does</p>\n"

/* A page: ORG, then head, then n times rep, then tail; malloc'd. */
static char *
page(const char *head, const char *rep, size_t n, const char *tail)
{
    size_t len = strlen(ORG) + strlen(head) + n * strlen(rep) +
        strlen(tail);
    char *s = malloc(len + 1), *p = s;

    if (s == NULL)
        abort();
    p = stpcpy(p, ORG);
    p = stpcpy(p, head);
    for (size_t i = 0; i < n; i++)
        p = stpcpy(p, rep);
    strcpy(p, tail);
    return s;
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Parse html with opt (format HTML unless set); 0 or -1, err filled. */
static int
parse(const char *html, struct lh_dir_options *opt, size_t *n, char *err,
    size_t errlen)
{
    struct lh_directory d;
    int rc;

    if (opt->format == LH_DIR_AUTO)
        opt->format = LH_DIR_HTML;
    rc = lh_directory_parse_opts(html, strlen(html), "page.html", opt, &d,
        err, errlen);
    *n = d.n;
    lh_directory_cleanup(&d);
    return rc;
}

/* 200,000 nested <div>s, then stray </span>s: libxml2 alone takes about
 * 30 s over the first 25,000 of them. */
static void
test_misplaced_end_tags(void)
{
    struct lh_dir_options opt;
    char err[512], *nest, *tags, *html;
    size_t n;
    double t;

    memset(&opt, 0, sizeof(opt));
    nest = page("", "<div>", 200000, "\n");
    tags = page("", "</span>", 100000, "");
    if ((html = malloc(strlen(nest) + strlen(tags) + 1)) == NULL)
        abort();
    strcpy(stpcpy(html, nest), tags + strlen(ORG));
    t = now_s();
    CHECK_INT_EQ(-1, parse(html, &opt, &n, err, sizeof(err)));
    CHECK(now_s() - t < 10);
    CHECK_STR_CONTAINS("page.html:4: ", err);   /* the line of the </span>s */
    CHECK_STR_CONTAINS("end tags that close no open element or not the "
        "innermost one", err);
    CHECK_STR_CONTAINS("refused", err);
    free(html);
    free(nest);
    free(tags);
    /* The tree the XPath options read is metered alike, though libxml2
     * builds it no deeper than 256. */
    memset(&opt, 0, sizeof(opt));
    opt.entry_xpath = "//p";
    html = page("", "<div>", 250, "");
    tags = page(html + strlen(ORG), "</span>", 500000, "");
    CHECK_INT_EQ(-1, parse(tags, &opt, &n, err, sizeof(err)));
    CHECK_STR_CONTAINS("end tags that close no open element", err);
    free(html);
    free(tags);

    /* Controls: as deep, but every element closed; and a theme's few
     * stray end tags under a usual depth. */
    memset(&opt, 0, sizeof(opt));
    nest = page("", "<div>", 200000, "");
    tags = page("x", "</div>", 200000, "");
    if ((html = malloc(strlen(nest) + strlen(tags) + 1)) == NULL)
        abort();
    strcpy(stpcpy(html, nest), tags + strlen(ORG));
    CHECK_INT_EQ(0, parse(html, &opt, &n, err, sizeof(err)));
    CHECK_INT_EQ(1, n);
    free(html);
    free(nest);
    free(tags);
    html = page("<div><div><div><div><div><div><div><div><div><div>",
        "</span></b>", 1000, "</div></div>");
    CHECK_INT_EQ(0, parse(html, &opt, &n, err, sizeof(err)));
    CHECK_INT_EQ(1, n);
    free(html);
}

/* A tag of n attributes (a0 to an-1: libxml2 compares each with those
 * before it when their names differ), after a newline. */
static char *
attrs_page(size_t n, const char *before, const char *after)
{
    char *html, *atts = malloc(n * 12 + 1), *p = atts;

    if (atts == NULL)
        abort();
    *p = '\0';
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, " a%zu=1", i);
    if (asprintf(&html, ORG "%s\n<p%s>text</p>%s", before, atts,
            after) == -1)
        abort();
    free(atts);
    return html;
}

static void
test_attributes(void)
{
    struct lh_dir_options opt;
    char err[512], *html;
    size_t n;

    memset(&opt, 0, sizeof(opt));
    html = attrs_page(50000, "", "");
    CHECK_INT_EQ(-1, parse(html, &opt, &n, err, sizeof(err)));
    CHECK_STR_EQ("page.html:4: a tag with more than 256 attributes; "
        "refused, as libxml2's time grows with their square", err);
    free(html);
    html = attrs_page(257, "", "");
    CHECK_INT_EQ(-1, parse(html, &opt, &n, err, sizeof(err)));
    free(html);

    /* Controls: 200 attributes; more in a comment, in a script, in a
     * style, or in a quoted value holding '>'. */
    html = attrs_page(200, "", "");
    CHECK_INT_EQ(0, parse(html, &opt, &n, err, sizeof(err)));
    CHECK_INT_EQ(1, n);
    free(html);
    html = attrs_page(200, "<!-- <p", "> -->");
    CHECK_INT_EQ(0, parse(html, &opt, &n, err, sizeof(err)));
    free(html);
    html = attrs_page(200, "<script>if (a <b", ") {}</script>");
    CHECK_INT_EQ(0, parse(html, &opt, &n, err, sizeof(err)));
    free(html);
    html = attrs_page(200, "<STYLE>p <b", " {}</STYLE>");
    CHECK_INT_EQ(0, parse(html, &opt, &n, err, sizeof(err)));
    free(html);
    html = page("<p title=\"a > b\"", " c=1", 200, ">x</p>");
    CHECK_INT_EQ(0, parse(html, &opt, &n, err, sizeof(err)));
    free(html);
}

/* In WordPress JSON, the line is the one holding content.rendered. */
static void
test_json_line(void)
{
    struct lh_dir_options opt;
    char err[512], *json, *atts = attrs_page(300, "", "");
    size_t n;

    memset(&opt, 0, sizeof(opt));
    if (asprintf(&json, "{\n\"title\": {\"rendered\": \"x\"},\n"
            "\"content\": {\"rendered\": \"<p><a href='https://o.example/'>"
            "O</a></p>\\n%s\"}}\n", strstr(atts, "<p a0")) == -1)
        abort();
    opt.format = LH_DIR_WPJSON;
    CHECK_INT_EQ(-1, parse(json, &opt, &n, err, sizeof(err)));
    CHECK_STR_EQ("page.html:3: a tag with more than 256 attributes; "
        "refused, as libxml2's time grows with their square", err);
    free(json);
    free(atts);
}

/* A big well-formed page: 40,000 organizations, a second or so. */
static char *
big_page(void)
{
    return page("<ul>", "<li><a href=\"https://x.example/\">X</a> what "
        "it does</li>\n", 40000, "</ul>");
}

static void
test_timeout(void)
{
    struct lh_dir_options opt;
    char err[512], *html = big_page();
    size_t n;

    memset(&opt, 0, sizeof(opt));
    opt.timeout_ms = 1;
    CHECK_INT_EQ(-1, parse(html, &opt, &n, err, sizeof(err)));
    CHECK_STR_EQ("page.html: the parse took longer than 0.001 s "
        "(directory_parse_timeout) and was stopped", err);
    opt.entry_xpath = "//li";
    CHECK_INT_EQ(-1, parse(html, &opt, &n, err, sizeof(err)));
    CHECK_STR_CONTAINS("took longer than 0.001 s", err);
    /* Control: time enough. */
    memset(&opt, 0, sizeof(opt));
    opt.timeout_ms = 600000;
    CHECK_INT_EQ(0, parse(html, &opt, &n, err, sizeof(err)));
    CHECK_INT_EQ(2, n);     /* ORG's, and one listed 40,000 times */
    free(html);
}

/*
 * The XPath options read a tree of the page, and libxml2 builds none
 * deeper than 256 elements: it stops reading there.  An organization
 * after that point would be lost without a word, so the page is refused
 * with the line.  Control: 200 deep, every entry read.
 */
static void
test_xpath_depth(void)
{
    struct lh_dir_options opt;
    char err[512], *open_, *html;
    size_t n;

    memset(&opt, 0, sizeof(opt));
    opt.entry_xpath = "//p[a]";
    open_ = page("", "<div>", 300, "\n");
    html = page(open_ + strlen(ORG), "", 0,
        "<p><a href=\"https://deep.example/\">Deep</a></p>\n");
    CHECK_INT_EQ(-1, parse(html, &opt, &n, err, sizeof(err)));
    CHECK_STR_CONTAINS("page.html:3: ", err);  /* the line of the divs */
    CHECK_STR_CONTAINS("nested more than 256 deep", err);
    free(open_);
    free(html);

    memset(&opt, 0, sizeof(opt));
    opt.entry_xpath = "//p[a]";
    open_ = page("", "<div>", 200, "\n");
    html = page(open_ + strlen(ORG), "", 0,
        "<p><a href=\"https://deep.example/\">Deep</a></p>\n");
    CHECK_INT_EQ(0, parse(html, &opt, &n, err, sizeof(err)));
    CHECK_INT_EQ(2, n);
    free(open_);
    free(html);
}

static void *
cancel_soon(void *arg)
{
    usleep(20000);
    atomic_store((atomic_int *)arg, 1);
    return NULL;
}

static void
test_cancel(void)
{
    struct lh_dir_options opt;
    char err[512], *html, *slow;
    atomic_int flag;
    pthread_t t;
    size_t n;
    double t0, full;

    memset(&opt, 0, sizeof(opt));
    atomic_init(&flag, 1);
    opt.cancel = &flag;
    html = big_page();
    CHECK_INT_EQ(-1, parse(html, &opt, &n, err, sizeof(err)));
    CHECK_STR_EQ("page.html: the parse was cancelled", err);
    free(html);

    /* From another thread, 20 ms into a parse of a second or so
     * (256-attribute tags, as many as 8 MiB holds): it stops long
     * before the parse would have ended, as a control parse shows. */
    slow = attrs_page(256, "", "");
    html = page("", strstr(slow, "<p a0="), 6000, "");
    free(slow);
    atomic_store(&flag, 0);
    t0 = now_s();
    CHECK_INT_EQ(0, parse(html, &opt, &n, err, sizeof(err)));
    full = now_s() - t0;
    CHECK(pthread_create(&t, NULL, cancel_soon, &flag) == 0);
    t0 = now_s();
    CHECK_INT_EQ(-1, parse(html, &opt, &n, err, sizeof(err)));
    CHECK(now_s() - t0 < full / 2);
    CHECK_STR_EQ("page.html: the parse was cancelled", err);
    pthread_join(t, NULL);
    free(html);
}

/* The fixtures and the seed page are far from every bound. */
static void
test_fixtures(void)
{
    static const char *const files[] = {
        "international-networks.html", "international-networks.json",
        "international-networks-pages.json", "nested-markup.html",
        "latin1.html",
    };

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct lh_directory d;
        char path[512], err[512];

        snprintf(path, sizeof(path), "%s/%s", LH_FIXTURES, files[i]);
        CHECK_INT_EQ(0, lh_directory_load_file(path, 0, LH_DIR_AUTO, &d,
            err, sizeof(err)));
        CHECK(d.n > 0);
        lh_directory_cleanup(&d);
    }
}

int
main(void)
{
    RUN_TEST(test_misplaced_end_tags);
    RUN_TEST(test_attributes);
    RUN_TEST(test_json_line);
    RUN_TEST(test_timeout);
    RUN_TEST(test_xpath_depth);
    RUN_TEST(test_cancel);
    RUN_TEST(test_fixtures);
    TEST_EXIT();
}
