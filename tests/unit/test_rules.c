/* Tests of rules.c: exclude and accept rules, fail_on's state sets. */
#include <string.h>

#include "config.h"
#include "rules.h"
#include "state.h"
#include "test.h"

static void
verdict(struct lh_verdict *v, enum lh_state s, const char *reason)
{
    memset(v, 0, sizeof(*v));
    v->state = s;
    snprintf(v->reason, sizeof(v->reason), "%s", reason);
    v->new_url = s == LH_STATE_MOVED ? "https://new.example.org/" : NULL;
}

static void
test_exclude(void)
{
    static const struct {
        const char *url;
        unsigned rule;
    } rows[] = {
        { "https://www.example.org/", 1 },
        { "https://www.example.org/deep/page", 1 },
        { "http://www.example.org/", 0 },           /* anchored on https */
        { "https://example.org/", 0 },
        { "https://intranet.example.net/", 2 },
        { "https://INTRANET.example.net/", 0 },     /* case matters */
        { "https://example.com/", 0 },
    };
    struct lh_rules r;
    char err[256];

    lh_rules_init(&r);
    CHECK_INT_EQ(0, lh_rules_excluded(&r, "https://www.example.org/"));
    CHECK_INT_EQ(0, lh_rules_add(&r, LH_RULE_EXCLUDE,
        "^https://www\\.example\\.org/", err, sizeof(err)));
    CHECK_INT_EQ(0, lh_rules_add(&r, LH_RULE_EXCLUDE,
        "intranet\\.(example|test)\\.net", err, sizeof(err)));
    CHECK_INT_EQ(2, r.n);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (lh_rules_excluded(&r, rows[i].url) != rows[i].rule)
            TEST_FAIL_AT("%s: expected rule %u, got %u", rows[i].url,
                rows[i].rule, lh_rules_excluded(&r, rows[i].url));
    }
    lh_rules_cleanup(&r);
    lh_rules_cleanup(&r);       /* twice is harmless */
}

static void
test_accept(void)
{
    static const struct {
        const char *url;
        enum lh_state state;
        int status;
        unsigned rule;          /* 0: unchanged */
    } rows[] = {
        /* Rule 2: a code on one site. */
        { "https://www.example.org/a", LH_STATE_BLOCKED, 403, 2 },
        { "https://www.example.org/a", LH_STATE_BLOCKED, 429, 0 },
        { "https://other.example.org/", LH_STATE_BLOCKED, 403, 0 },
        { "https://www.example.org/a", LH_STATE_ERROR, 403, 2 },
        /* Rule 3: a state on another. */
        { "https://example.net/x", LH_STATE_BLOCKED, 0, 3 },
        { "https://example.net/x", LH_STATE_BLOCKED, 503, 3 },
        { "https://example.net/x", LH_STATE_STALE, 200, 3 },
        { "https://example.net/x", LH_STATE_ERROR, 500, 0 },
        { "https://example.net/x", LH_STATE_UNREACHABLE, 0, 0 },
        /* ok stays ok, untouched. */
        { "https://example.net/x", LH_STATE_OK, 403, 0 },
        { "https://www.example.org/a", LH_STATE_OK, 403, 0 },
        /* Rule 4: moved accepted drops new_url. */
        { "https://moved.example.com/", LH_STATE_MOVED, 301, 4 },
    };
    struct lh_rules r;
    struct lh_verdict v;
    char err[256];

    lh_rules_init(&r);
    CHECK_INT_EQ(0, lh_rules_add(&r, LH_RULE_EXCLUDE, "nothing\\.invalid",
        err, sizeof(err)));
    CHECK_INT_EQ(0, lh_rules_add(&r, LH_RULE_ACCEPT,
        "^https://www\\.example\\.org/ 403", err, sizeof(err)));
    CHECK_INT_EQ(0, lh_rules_add(&r, LH_RULE_ACCEPT,
        "example\\.net  blocked,stale", err, sizeof(err)));
    CHECK_INT_EQ(0, lh_rules_add(&r, LH_RULE_ACCEPT,
        "moved\\.example\\.com moved, 410", err, sizeof(err)));
    CHECK_STR_EQ("403", r.v[1].what);
    CHECK_STR_EQ("stale, blocked", r.v[2].what);
    CHECK_STR_EQ("410, moved", r.v[3].what);
    CHECK_STR_EQ("example\\.net", r.v[2].pattern);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        unsigned got;

        verdict(&v, rows[i].state, "HTTP 403 Forbidden");
        got = lh_rules_accept(&r, rows[i].url, rows[i].status, &v);
        if (got != rows[i].rule)
            TEST_FAIL_AT("row %zu (%s %s %d): expected rule %u, got %u", i,
                rows[i].url, lh_state_name(rows[i].state), rows[i].status,
                rows[i].rule, got);
        if (rows[i].rule == 0) {
            CHECK_INT_EQ(rows[i].state, v.state);
            CHECK_STR_EQ("HTTP 403 Forbidden", v.reason);
            continue;
        }
        CHECK_INT_EQ(LH_STATE_OK, v.state);
        CHECK(v.new_url == NULL);
    }
    verdict(&v, LH_STATE_BLOCKED, "HTTP 403 Forbidden");
    CHECK_INT_EQ(2, lh_rules_accept(&r, "https://www.example.org/", 403,
        &v));
    CHECK_STR_EQ("accepted by rule 2: HTTP 403 Forbidden", v.reason);
    /* No verdict is not a verdict to accept. */
    verdict(&v, LH_STATE_UNKNOWN, "out of memory");
    v.inconclusive = true;
    CHECK_INT_EQ(0, lh_rules_accept(&r, "https://example.net/", 0, &v));
    CHECK(v.inconclusive);
    lh_rules_cleanup(&r);
}

static void
test_bad_rules(void)
{
    static const struct {
        enum lh_rule_kind kind;
        const char *value, *message;
    } rows[] = {
        { LH_RULE_EXCLUDE, "(unclosed", "is not a regular expression: " },
        { LH_RULE_EXCLUDE, "a{2,1}", "is not a regular expression: " },
        { LH_RULE_EXCLUDE, "", "has no pattern" },
        /* What glibc's regcomp would compile into gigabytes. */
        { LH_RULE_EXCLUDE, "6+++++++++++++++++++++++++++++++++",
            "repeats a repetition (\"++\")" },
        { LH_RULE_EXCLUDE, "\xff\xff?????+++++++++",
            "repeats a repetition (\"??\")" },
        { LH_RULE_EXCLUDE, "^https://x\\.example/.*?$",
            "repeats a repetition (\"*?\"), which POSIX leaves undefined "
            "(an extended regular expression has no lazy" },
        { LH_RULE_EXCLUDE, "a{2}{3}", "repeats a repetition (\"{2}{3}\")" },
        { LH_RULE_EXCLUDE, "((((((((a?)+)+)+)+)+)+)+)+", "repeats too much" },
        { LH_RULE_EXCLUDE, "((((((((((((((((((((a+)+)+)+)+)+)+)+)+)+)+)"
            "+)+)+)+)+)+)+)+)+)+", "repeats too much" },
        { LH_RULE_EXCLUDE, "((a{20}){20}){20}", "repeats too much" },
        { LH_RULE_EXCLUDE, "(x|y){200}(z{100}){100}", "repeats too much" },
        { LH_RULE_EXCLUDE, "a{256}", "more than 255 times" },
        { LH_RULE_EXCLUDE, "a{1,99999999999999999999}",
            "more than 255 times" },
        { LH_RULE_EXCLUDE, "(a)\\1", "back-reference" },
        { LH_RULE_EXCLUDE, "((((((((((((((((((((((((((((((((((a))))))))))"
            "))))))))))))))))))))))))", "nests groups deeper than 32" },
        { LH_RULE_ACCEPT, "a++++++++++++++ 403", "repeats a repetition" },
        { LH_RULE_ACCEPT, "[z-a] 403", "is not a regular expression: " },
        { LH_RULE_ACCEPT, "example\\.org", "names no state or status code" },
        { LH_RULE_ACCEPT, "example\\.org ,", "names no state or status" },
        { LH_RULE_ACCEPT, "example\\.org 42", "\"42\", which is neither" },
        { LH_RULE_ACCEPT, "example\\.org 600", "\"600\", which is neither" },
        { LH_RULE_ACCEPT, "example\\.org 403x", "\"403x\"" },
        { LH_RULE_ACCEPT, "example\\.org ok", "\"ok\", which is neither" },
        { LH_RULE_ACCEPT, "example\\.org unknown", "\"unknown\"" },
        { LH_RULE_ACCEPT, "example\\.org dead", "\"dead\"" },
    };
    struct lh_rules r;
    char err[256];

    lh_rules_init(&r);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        err[0] = '\0';
        if (lh_rules_add(&r, rows[i].kind, rows[i].value, err,
                sizeof(err)) != -1)
            TEST_FAIL_AT("\"%s\": accepted", rows[i].value);
        CHECK_STR_CONTAINS(rows[i].message, err);
    }
    CHECK_INT_EQ(0, r.n);
    lh_rules_cleanup(&r);
}

/* Look-alikes of the refused patterns that real rules use: accepted. */
static void
test_patterns_kept(void)
{
    static const char *const ok[] = {
        "^https?://([a-z0-9-]+\\.)*example\\.(org|net)/",
        "[0-9]{4}/[0-9]{2}/",
        "a{255}",
        "(ab){2,16}c+d*e?",
        "[[:alpha:]+*]{1,8}",
        "\\+\\+\\+\\+\\+\\+\\+\\+\\+\\+\\+\\+\\+\\+",
        "[+]*[*]*\\{9\\}",
        "(a|b|c|d|e|f|g|h|i|j){64}",
        "((a{9}){9}){9}",
        "((((((a?)+)+)+)+)+)+",
        "(a+|b*)+c?",
    };
    struct lh_rules r;
    char err[256];

    lh_rules_init(&r);
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (lh_rules_add(&r, LH_RULE_EXCLUDE, ok[i], err, sizeof(err)) != 0)
            TEST_FAIL_AT("\"%s\": refused: %s", ok[i], err);
    CHECK_INT_EQ(sizeof(ok) / sizeof(ok[0]), r.n);
    CHECK_INT_EQ(7, lh_rules_excluded(&r, "{9}"));
    CHECK_INT_EQ(1, lh_rules_excluded(&r, "https://a.b.example.net/x"));
    lh_rules_cleanup(&r);
}

static void
test_states(void)
{
    unsigned m = 0;
    char err[256];

    CHECK_INT_EQ(0, lh_rules_parse_states("stale, error, unreachable", &m,
        err, sizeof(err)));
    CHECK_INT_EQ(LH_STATE_BIT(LH_STATE_STALE) | LH_STATE_BIT(LH_STATE_ERROR)
        | LH_STATE_BIT(LH_STATE_UNREACHABLE), m);
    CHECK_INT_EQ(0, lh_rules_parse_states("blocked", &m, err, sizeof(err)));
    CHECK_INT_EQ(LH_STATE_BIT(LH_STATE_BLOCKED), m);
    CHECK_INT_EQ(-1, lh_rules_parse_states("", &m, err, sizeof(err)));
    CHECK_STR_CONTAINS("names no state", err);
    CHECK_INT_EQ(-1, lh_rules_parse_states("stale 403", &m, err,
        sizeof(err)));
    CHECK_STR_CONTAINS("\"403\", which is not one of", err);
    CHECK_INT_EQ(LH_STATE_BIT(LH_STATE_BLOCKED), m);   /* unchanged */
}

/* Through the configuration: file:line and regerror's text. */
static void
test_config(void)
{
    static const char good[] = "directory = d.txt\n"
        "exclude = ^https://skip\\.example/\n"
        "accept = ^https://www\\.example\\.org/ 403\n"
        "exclude = other\\.example\n"
        "fail_on = blocked, stale\n";
    static const char bad[] = "directory = d.txt\n"
        "exclude = ok\n"
        "exclude = (oops\n";
    struct lh_config cfg;
    char err[512];

    CHECK_INT_EQ(0, lh_config_init(&cfg));
    CHECK_INT_EQ(LH_STATE_BIT(LH_STATE_STALE) | LH_STATE_BIT(LH_STATE_ERROR)
        | LH_STATE_BIT(LH_STATE_UNREACHABLE), cfg.fail_on);
    lh_config_cleanup(&cfg);
    CHECK_INT_EQ(0, lh_config_load_buffer(&cfg, good, strlen(good),
        "t.conf", err, sizeof(err)));
    CHECK_INT_EQ(3, cfg.rules.n);
    CHECK_INT_EQ(3, lh_rules_excluded(&cfg.rules, "https://other.example/"));
    CHECK_INT_EQ(LH_RULE_ACCEPT, cfg.rules.v[1].kind);
    CHECK_INT_EQ(LH_STATE_BIT(LH_STATE_BLOCKED) |
        LH_STATE_BIT(LH_STATE_STALE), cfg.fail_on);
    lh_config_cleanup(&cfg);
    CHECK_INT_EQ(-1, lh_config_load_buffer(&cfg, bad, strlen(bad),
        "t.conf", err, sizeof(err)));
    CHECK_STR_CONTAINS("t.conf:3: exclude: \"(oops\" is not a regular "
        "expression: ", err);
    CHECK_STR_CONTAINS("(", err + strlen("t.conf:3: exclude: \"(oops\" "));
    lh_config_cleanup(&cfg);
}

/* Excluded links count nowhere; fail_on picks what fails. */
static void
test_counts(void)
{
    static const enum lh_state states[] = { LH_STATE_OK, LH_STATE_BLOCKED,
        LH_STATE_MOVED, LH_STATE_STALE, LH_STATE_UNKNOWN };
    struct lh_links links;
    size_t count[LH_STATE_COUNT];
    char url[64];
    unsigned dflt = LH_STATE_BIT(LH_STATE_STALE) |
        LH_STATE_BIT(LH_STATE_ERROR) | LH_STATE_BIT(LH_STATE_UNREACHABLE);

    lh_links_init(&links);
    for (size_t i = 0; i < 5; i++) {
        struct lh_link *l = calloc(1, sizeof(*l));

        snprintf(url, sizeof(url), "https://%zu.example/", i);
        CHECK(l != NULL && lh_link_set_text(l,
            &(struct lh_link_text){ .url = url }) == 0);
        l->state = states[i];
        CHECK_INT_EQ(0, lh_links_append(&links, l));
    }
    /* blocked, moved: not failures by default; stale and unknown are. */
    CHECK_INT_EQ(2, lh_links_failing(&links, dflt));
    CHECK_INT_EQ(3, lh_links_failing(&links, dflt |
        LH_STATE_BIT(LH_STATE_BLOCKED)));
    CHECK_INT_EQ(3, lh_links_count(&links, count));
    links.v[3]->excluded = 1;
    links.v[4]->excluded = 2;
    CHECK_INT_EQ(0, lh_links_failing(&links, dflt));
    CHECK_INT_EQ(1, lh_links_count(&links, count));
    CHECK_INT_EQ(0, count[LH_STATE_UNKNOWN]);
    CHECK_INT_EQ(2, lh_links_excluded(&links));
    lh_links_cleanup(&links);
}

int
main(void)
{
    RUN_TEST(test_exclude);
    RUN_TEST(test_patterns_kept);
    RUN_TEST(test_accept);
    RUN_TEST(test_bad_rules);
    RUN_TEST(test_states);
    RUN_TEST(test_config);
    RUN_TEST(test_counts);
    TEST_EXIT();
}
