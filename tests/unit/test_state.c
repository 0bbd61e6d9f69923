/* Tests of strmap.c and state.c: the link table, sync and hysteresis. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "strmap.h"
#include "test.h"

static void
test_strmap(void)
{
    struct lh_strmap m;
    char key[32];

    lh_strmap_init(&m);
    CHECK(lh_strmap_get(&m, "absent") == NULL);
    for (uintptr_t i = 1; i <= 5000; i++) {
        snprintf(key, sizeof(key), "k%ju", (uintmax_t)i);
        CHECK_INT_EQ(0, lh_strmap_put(&m, key, (void *)i));
    }
    CHECK_INT_EQ(5000, m.n);
    /* Delete the odd ones, then look every key up again. */
    for (uintptr_t i = 1; i <= 5000; i += 2) {
        snprintf(key, sizeof(key), "k%ju", (uintmax_t)i);
        CHECK_INT_EQ(i, (uintptr_t)lh_strmap_del(&m, key));
    }
    CHECK_INT_EQ(2500, m.n);
    for (uintptr_t i = 1; i <= 5000; i++) {
        snprintf(key, sizeof(key), "k%ju", (uintmax_t)i);
        CHECK_INT_EQ(i % 2 ? 0 : i, (uintptr_t)lh_strmap_get(&m, key));
    }
    /* Replacing keeps one entry. */
    CHECK_INT_EQ(0, lh_strmap_put(&m, "k2", (void *)7));
    CHECK_INT_EQ(7, (uintptr_t)lh_strmap_get(&m, "k2"));
    CHECK_INT_EQ(2500, m.n);
    CHECK(lh_strmap_del(&m, "k1") == NULL);
    lh_strmap_cleanup(&m, NULL);
    CHECK_INT_EQ(0, m.n);
}

static struct lh_entry
entry(const char *region, const char *name, const char *url)
{
    struct lh_entry e = { (char *)region, (char *)name, (char *)url,
        (char *)"", 0, NULL, NULL };

    return e;
}

static int nadded, nremoved;
static char last_removed[128];

static void
added_cb(const struct lh_link *l, void *arg)
{
    (void)l;
    (void)arg;
    nadded++;
}

static void
removed_cb(const struct lh_link *l, void *arg)
{
    (void)arg;
    nremoved++;
    snprintf(last_removed, sizeof(last_removed), "%s", l->url);
}

static void
test_sync(void)
{
    struct lh_links links;
    struct lh_entry first[] = {
        entry("A", "One", "https://one.example/"),
        entry("A", "Two", "https://two.example/"),
        entry("B", "Three", "https://three.example/"),
    };
    struct lh_entry second[] = {
        entry("B", "Three renamed", "https://three.example/"),
        entry("A", "One", "https://one.example/"),
        entry("C", "Four", "https://four.example/"),
    };
    struct lh_directory d1 = { first, 3, NULL, 0, LH_DIR_LIST };
    struct lh_directory d2 = { second, 3, NULL, 0, LH_DIR_LIST };
    struct lh_link *one;

    lh_links_init(&links);
    nadded = nremoved = 0;
    CHECK_INT_EQ(0, lh_links_sync(&links, &d1, added_cb, removed_cb, NULL));
    CHECK_INT_EQ(3, links.n);
    CHECK_INT_EQ(3, nadded);
    one = lh_links_find(&links, "https://one.example/");
    CHECK(one != NULL);
    if (one == NULL)
        return;
    one->state = LH_STATE_STALE;
    one->since = 1234;

    nadded = nremoved = 0;
    CHECK_INT_EQ(0, lh_links_sync(&links, &d2, added_cb, removed_cb, NULL));
    CHECK_INT_EQ(3, links.n);
    CHECK_INT_EQ(1, nadded);
    CHECK_INT_EQ(1, nremoved);
    CHECK_STR_EQ("https://two.example/", last_removed);
    /* New order, state kept, text refreshed. */
    CHECK_STR_EQ("https://three.example/", links.v[0]->url);
    CHECK_STR_EQ("Three renamed", lh_link_name(links.v[0]));
    CHECK(links.v[1] == one);
    CHECK_INT_EQ(LH_STATE_STALE, one->state);
    CHECK_INT_EQ(1234, one->since);
    CHECK_INT_EQ(LH_STATE_UNKNOWN, links.v[2]->state);
    CHECK(lh_links_find(&links, "https://two.example/") == NULL);
    lh_links_cleanup(&links);
}

static struct lh_verdict
verdict(enum lh_state s)
{
    struct lh_verdict v;

    memset(&v, 0, sizeof(v));
    v.state = s;
    snprintf(v.reason, sizeof(v.reason), "because %s", lh_state_name(s));
    return v;
}

/* Feed a sequence of verdicts; return the reported states, one letter
 * each (o ok, m moved, s stale, e error, u unknown) and a '*' after each
 * change. */
static void
feed(const char *verdicts, unsigned fail, unsigned recover, char *out)
{
    struct lh_link l;
    size_t n = 0;

    memset(&l, 0, sizeof(l));
    lh_last_init(&l.last);
    for (const char *p = verdicts; *p != '\0'; p++) {
        enum lh_state s = *p == 'o' ? LH_STATE_OK : *p == 'm' ?
            LH_STATE_MOVED : *p == 's' ? LH_STATE_STALE : LH_STATE_ERROR;
        struct lh_verdict v = verdict(s);
        struct lh_transition t;

        lh_state_record(&l, &v, 100 + (p - verdicts), fail, recover, &t);
        out[n++] = l.state == LH_STATE_OK ? 'o' :
            l.state == LH_STATE_MOVED ? 'm' :
            l.state == LH_STATE_STALE ? 's' :
            l.state == LH_STATE_ERROR ? 'e' : 'u';
        if (t.changed)
            out[n++] = '*';
    }
    out[n] = '\0';
    free(l.new_url);
    (void)lh_link_set_reason(&l, NULL);
    lh_last_cleanup(&l.last);
}

static void
test_hysteresis(void)
{
    static const struct {
        const char *in;
        unsigned fail, recover;
        const char *out;
    } rows[] = {
        /* --once: the first verdict counts. */
        { "s", 1, 1, "s*" },
        { "o", 2, 1, "o*" },
        /* Bad needs fail_threshold in a row. */
        { "ossos", 2, 1, "o*os*o*o" },
        { "osos", 2, 1, "o*ooo" },
        { "sss", 3, 1, "uus*" },
        /* Recovery needs recover_threshold good verdicts. */
        { "ossoo", 2, 2, "o*os*so*" },
        /* A different bad is reported at once; good states switch too. */
        { "osse", 2, 1, "o*os*e*" },
        { "om", 2, 1, "o*m*" },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char out[64];
        TEST_ROW_BEGIN();

        feed(rows[i].in, rows[i].fail, rows[i].recover, out);
        CHECK_STR_EQ(rows[i].out, out);
        TEST_ROW_END(rows[i].in);
    }
}

static void
test_history_and_counters(void)
{
    struct lh_link l;
    struct lh_transition t;
    struct lh_verdict bad = verdict(LH_STATE_STALE), good =
        verdict(LH_STATE_OK);

    memset(&l, 0, sizeof(l));
    lh_last_init(&l.last);
    for (int i = 0; i < 20; i++)
        lh_state_record(&l, &bad, 1000 + i, 2, 1, &t);
    CHECK_INT_EQ(20, l.consecutive_failures);
    CHECK_INT_EQ(LH_HISTORY_LEN, l.nhistory);
    CHECK_INT_EQ(1001, l.since);    /* the second bad verdict */
    CHECK_STR_EQ("because stale", l.reason);
    lh_state_record(&l, &good, 2000, 2, 1, &t);
    CHECK(t.changed);
    CHECK_INT_EQ(LH_STATE_STALE, t.from);
    CHECK_INT_EQ(LH_STATE_OK, t.to);
    CHECK_INT_EQ(0, l.consecutive_failures);
    CHECK_INT_EQ(2000, l.since);
    CHECK_INT_EQ(LH_STATE_OK, l.history[LH_HISTORY_LEN - 1]);
    CHECK_INT_EQ(LH_STATE_STALE, l.history[0]);
    /* Each verdict keeps its time, shifted with it: the oldest kept is
     * the fifth of the twenty bad ones. */
    CHECK_INT_EQ(2000, l.history_at[LH_HISTORY_LEN - 1]);
    CHECK_INT_EQ(1019, l.history_at[LH_HISTORY_LEN - 2]);
    CHECK_INT_EQ(1005, l.history_at[0]);
    (void)lh_link_set_reason(&l, NULL);
    free(l.new_url);
    lh_last_cleanup(&l.last);
}

/* Certificate warnings: one event on entering the window, one on leaving
 * it, none while nothing changes or nothing is known. */
static void
test_cert_window(void)
{
    static const struct {
        long long expiry;       /* days from now; LLONG_MIN: no certificate */
        unsigned warn_days;
        enum lh_cert_event event;
        bool warning;           /* afterwards */
    } steps[] = {
        { 60, 14, LH_CERT_NONE, false },
        { 20, 14, LH_CERT_NONE, false },
        { 13, 14, LH_CERT_ENTERED, true },
        { 12, 14, LH_CERT_NONE, true },
        { LLONG_MIN, 14, LH_CERT_NONE, true },  /* a failed handshake */
        { -1, 14, LH_CERT_NONE, true },          /* expired: still warned */
        { 90, 14, LH_CERT_RENEWED, false },
        { 90, 14, LH_CERT_NONE, false },
        { 10, 0, LH_CERT_NONE, false },         /* warnings off */
        { 10, 30, LH_CERT_ENTERED, true },
        { 10, 0, LH_CERT_NONE, false },         /* turned off: cleared */
    };
    const long long now = 1795000000;
    struct lh_link l;

    memset(&l, 0, sizeof(l));
    lh_last_init(&l.last);
    l.checked = true;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        TEST_ROW_BEGIN();
        l.last.cert_expiry = steps[i].expiry == LLONG_MIN ? 0 :
            now + steps[i].expiry * 86400;
        CHECK_INT_EQ(steps[i].event, lh_state_cert(&l, now,
            steps[i].warn_days));
        CHECK_INT_EQ(steps[i].warning, l.cert_warning);
        TEST_ROW_END("step");
    }
    /* A link resumed from a previous run has no check of its own. */
    l.checked = false;
    l.cert_warning = false;
    l.last.cert_expiry = now + 86400;
    CHECK_INT_EQ(LH_CERT_NONE, lh_state_cert(&l, now, 14));
    CHECK(!l.cert_warning);
}

/* ---- names ---- */

static void
test_states(void)
{
    static const struct {
        enum lh_state s;
        const char *name;
        int good;
    } rows[] = {
        { LH_STATE_UNKNOWN, "unknown", 0 },
        { LH_STATE_OK, "ok", 1 },
        { LH_STATE_MOVED, "moved", 1 },
        { LH_STATE_STALE, "stale", 0 },
        { LH_STATE_BLOCKED, "blocked", 0 },
        { LH_STATE_ERROR, "error", 0 },
        { LH_STATE_UNREACHABLE, "unreachable", 0 },
    };
    enum lh_state s;

    CHECK_INT_EQ(LH_STATE_COUNT, sizeof(rows) / sizeof(rows[0]));
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        TEST_ROW_BEGIN();
        CHECK_STR_EQ(rows[i].name, lh_state_name(rows[i].s));
        s = (enum lh_state)-1;
        CHECK_INT_EQ(0, lh_state_parse(rows[i].name, &s));
        CHECK_INT_EQ(rows[i].s, s);
        CHECK_INT_EQ(rows[i].good, lh_state_is_good(rows[i].s));
        TEST_ROW_END(rows[i].name);
    }
    s = LH_STATE_OK;
    CHECK_INT_EQ(-1, lh_state_parse("OK", &s));
    CHECK_INT_EQ(-1, lh_state_parse("", &s));
    CHECK_INT_EQ(-1, lh_state_parse("ok ", &s));
    CHECK_INT_EQ(-1, lh_state_parse(NULL, &s));
    CHECK_INT_EQ(-1, lh_state_parse("ok", NULL));
    CHECK_INT_EQ(LH_STATE_OK, s);
    CHECK_STR_EQ("unknown", lh_state_name((enum lh_state)LH_STATE_COUNT));
    CHECK_STR_EQ("unknown", lh_state_name((enum lh_state)-1));
    CHECK_INT_EQ(0, lh_state_is_good((enum lh_state)42));
}

/*
 * What a link holds apart: its entry strings in one block, read back as
 * set (a request URL that is its URL, and an absent note, read as
 * such); a check's chain, error and final URL only when it left any;
 * a page memo's strings, NULL and "" kept apart.
 */
static void
test_held_apart(void)
{
    struct lh_link l;
    struct lh_result r;
    struct lh_page_memo m;
    const struct lh_hop *hops;
    size_t n;

    memset(&l, 0, sizeof(l));
    lh_last_init(&l.last);
    CHECK_INT_EQ(0, lh_link_set_text(&l, &(struct lh_link_text){
        .url = "https://a.example/\xc3\xa9", .name = "A",
        .request_url = "https://a.example/%C3%A9", .note = "mixed",
        .description = "d" }));
    CHECK_STR_EQ("https://a.example/%C3%A9", lh_link_request_url(&l));
    CHECK_STR_EQ("mixed", lh_link_note(&l));
    CHECK_STR_EQ("A", lh_link_name(&l));
    CHECK_STR_EQ("", lh_link_region(&l));
    CHECK_STR_EQ("d", lh_link_description(&l));
    /* Its own strings given back: the look-alike with no note, and a
     * request URL that is the URL. */
    CHECK_INT_EQ(0, lh_link_set_text(&l, &(struct lh_link_text){
        .url = l.url, .request_url = l.url, .name = lh_link_name(&l),
        .region = "R" }));
    CHECK_STR_EQ("https://a.example/\xc3\xa9", l.url);
    CHECK(lh_link_request_url(&l) == l.url);
    CHECK(lh_link_note(&l) == NULL);
    CHECK_STR_EQ("A", lh_link_name(&l));
    CHECK_STR_EQ("R", lh_link_region(&l));
    CHECK_STR_EQ("", lh_link_description(&l));

    /* A check asked as listed, answered, no chain: nothing apart. */
    lh_result_init(&r);
    r.url = strdup(lh_link_request_url(&l));
    r.final_url = strdup(r.url);
    r.http_status = 200;
    CHECK_INT_EQ(0, lh_last_take(&l.last, &r));
    CHECK(l.last.extra == NULL);
    CHECK(lh_link_final_url(&l) == l.url);
    lh_result_cleanup(&r);
    /* Its look-alike: a redirect and an error, kept apart. */
    lh_result_init(&r);
    r.url = strdup(l.url);
    CHECK_INT_EQ(0, lh_result_add_hop(&r, r.url, 301, "https://b/"));
    r.final_url = strdup("https://b/");
    r.error = strdup("timed out");
    CHECK_INT_EQ(0, lh_last_take(&l.last, &r));
    CHECK(l.last.extra != NULL);
    CHECK_STR_EQ("https://b/", lh_link_final_url(&l));
    CHECK_STR_EQ("timed out", lh_last_error(&l.last));
    hops = lh_last_hops(&l.last, &n);
    CHECK_INT_EQ(1, n);
    if (n == 1)
        CHECK_STR_EQ("https://b/", hops[0].location);
    lh_result_cleanup(&r);
    lh_last_cleanup(&l.last);
    CHECK(lh_last_error(&l.last) == NULL);
    CHECK(lh_last_hops(&l.last, &n) == NULL && n == 0);
    free(l.url);

    lh_page_memo_init(&m);
    CHECK(lh_page_memo_text(&m, LH_MEMO_TITLE) == NULL);
    CHECK_INT_EQ(0, lh_page_memo_set_text(&m, (const char *[LH_MEMO_NTEXT]){
        [LH_MEMO_TITLE] = "", [LH_MEMO_ETAG] = "\"e\"",
        [LH_MEMO_REASON] = "stale" }));
    CHECK_STR_EQ("", lh_page_memo_text(&m, LH_MEMO_TITLE));
    CHECK(lh_page_memo_text(&m, LH_MEMO_FINAL_URL) == NULL);
    CHECK_STR_EQ("\"e\"", lh_page_memo_text(&m, LH_MEMO_ETAG));
    CHECK(lh_page_memo_text(&m, LH_MEMO_LAST_MODIFIED) == NULL);
    CHECK_STR_EQ("stale", lh_page_memo_text(&m, LH_MEMO_REASON));
    CHECK_INT_EQ(0, lh_page_memo_set_text(&m, (const char *[LH_MEMO_NTEXT]){
        [LH_MEMO_TITLE] = NULL }));
    CHECK(m.strings == NULL);
    lh_page_memo_cleanup(&m);
}

int
main(void)
{
    RUN_TEST(test_states);
    RUN_TEST(test_strmap);
    RUN_TEST(test_sync);
    RUN_TEST(test_hysteresis);
    RUN_TEST(test_history_and_counters);
    RUN_TEST(test_cert_window);
    RUN_TEST(test_held_apart);
    TEST_EXIT();
}
