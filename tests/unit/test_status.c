/*
 * Tests of the previous-status loader in status.c (lh_status_read and
 * lh_status_parse): a real document, what is skipped, each error, and
 * what we write we can read again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "status.h"
#include "test.h"

#define FIX LH_FIXTURES "/status/"

static void
test_real_document(void)
{
    struct lh_links seed;
    const struct lh_link *l;
    char err[512] = "";
    long long t = 0;

    /* What "linkhealthd --once" wrote, offline: every link unreachable. */
    CHECK_INT_EQ(0, lh_status_read(FIX "once.json", 1 << 20, true, &seed,
        NULL, err, sizeof(err)));
    CHECK_STR_EQ("", err);
    CHECK_INT_EQ(11, seed.n);
    if (seed.n == 11) {
        l = seed.v[0];
        CHECK_STR_EQ("https://www.walsnet.org/", l->url);
        CHECK_STR_EQ("World Association of Lesson Studies (WALS)",
            lh_link_name(l));
        CHECK_STR_EQ("Global", lh_link_region(l));
        CHECK_INT_EQ(LH_STATE_UNREACHABLE, l->state);
        CHECK_INT_EQ(LH_STATE_UNREACHABLE, l->verdict);
        CHECK_STR_EQ("DNS: no such host", l->reason);
        CHECK_INT_EQ(0, lh_rfc3339_parse("2026-11-23T10:46:40Z", &t));
        CHECK_INT_EQ(t, l->since);
        CHECK_INT_EQ(1, l->nhistory);
        CHECK_INT_EQ(1, l->consecutive_failures);
        CHECK_INT_EQ(0, l->consecutive_good);
        CHECK(!l->flapping);
        CHECK_STR_EQ("https://lessonstudy.co.uk/", seed.v[10]->url);
        CHECK(lh_links_find(&seed, "https://lessonstudy.co.uk/") ==
            seed.v[10]);
    }
    lh_links_cleanup(&seed);
}

static void
test_missing_file(void)
{
    struct lh_links seed;
    char err[512] = "";

    CHECK_INT_EQ(0, lh_status_read(FIX "missing.json", 1 << 20, true, &seed,
        NULL, err, sizeof(err)));
    CHECK_STR_EQ("", err);
    CHECK_INT_EQ(0, seed.n);
    lh_links_cleanup(&seed);
    /* --show asks for a file: a missing one is an error there. */
    CHECK_INT_EQ(-1, lh_status_read(FIX "missing.json", 1 << 20, false,
        &seed, NULL, err, sizeof(err)));
    CHECK_STR_CONTAINS("missing.json", err);
    CHECK_INT_EQ(0, seed.n);
    lh_links_cleanup(&seed);
}

static void
test_size_limit(void)
{
    struct lh_links seed;
    char err[512] = "";

    CHECK_INT_EQ(-1, lh_status_read(FIX "once.json", 1000, true, &seed,
        NULL, err, sizeof(err)));
    CHECK_STR_CONTAINS("once.json: ", err);
    CHECK_STR_CONTAINS(" bytes is over the 1000-byte limit", err);
    CHECK_INT_EQ(0, seed.n);
    lh_links_cleanup(&seed);
}

#define HEAD "{\"version\": 1, \"generated_at\": \"2026-11-23T10:46:40Z\", "

static void
test_bad_documents(void)
{
    static const struct {
        const char *doc;
        size_t len;         /* 0: strlen(doc) */
        const char *message;
    } rows[] = {
        { "", 0, "s.json: not a JSON object" },
        { "[]", 0, "s.json: not a JSON object" },
        { "{\"version\": 1", 0, "s.json: not a JSON object" },
        { "{}", 0, "s.json: not a linkhealthd status file" },
        { "{\"version\": 1, \"links\": []}", 0,
            "s.json: not a linkhealthd status file" },
        { "{\"version\": \"1\", \"generated_at\": \"x\", \"links\": []}", 0,
            "s.json: not a linkhealthd status file" },
        { HEAD "\"links\": {}}", 0, "s.json: not a linkhealthd status file" },
        { "{\"version\": 7, \"generated_at\": \"x\", \"links\": []}", 0,
            "s.json: status file version 7, expected 1 to 6" },
        { "{\"version\": 0, \"generated_at\": \"x\", \"links\": []}", 0,
            "s.json: status file version 0, expected 1 to 6" },
        { "{\"version\": 2.5, \"generated_at\": \"x\", \"links\": []}", 0,
            "s.json: status file version 2.5, expected 1 to 6" },
        /* len bounds the document: the closing brace is left out. */
        { HEAD "\"links\": []}", sizeof(HEAD "\"links\": []}") - 2,
            "s.json: not a JSON object" },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lh_links seed;
        char err[512] = "";
        size_t len = rows[i].len ? rows[i].len : strlen(rows[i].doc);
        TEST_ROW_BEGIN();

        CHECK_INT_EQ(-1, lh_status_parse(rows[i].doc, len, "s.json",
            &seed, NULL, err, sizeof(err)));
        CHECK_STR_EQ(rows[i].message, err);
        CHECK(seed.n == 0 && seed.v == NULL);
        lh_links_cleanup(&seed);
        TEST_ROW_END(rows[i].doc);
    }
}

/* Entries that are not ours to judge are skipped, not an error. */
static void
test_skipped_entries(void)
{
    static const char doc[] = HEAD "\"links\": [7, \"x\", null, "
        "{\"url\": \"http://a.test/\", \"state\": \"stale\", "
        "\"history\": [\"ok\", 3, \"bad\", null, \"ok\", \"ok\"]}, "
        "{\"state\": \"ok\"}, "
        "{\"url\": \"http://b.test/\", \"state\": \"fine\"}, "
        "{\"url\": \"http://a.test/\", \"state\": \"error\"}, "
        "{\"url\": \"http://c.test/\", \"state\": \"ok\", \"name\": 5, "
        "\"since\": \"yesterday\", \"consecutive_failures\": -3, "
        "\"flapping\": \"yes\"}]}";
    struct lh_links seed;
    char err[512] = "";

    CHECK_INT_EQ(0, lh_status_parse(doc, strlen(doc), "s.json", &seed, NULL,
        err, sizeof(err)));
    CHECK_STR_EQ("", err);
    CHECK_INT_EQ(2, seed.n);
    if (seed.n == 2) {
        /* The first listing of a URL wins; bad history items are left
         * out; good verdicts at the end count as good in a row. */
        CHECK_STR_EQ("http://a.test/", seed.v[0]->url);
        CHECK_INT_EQ(LH_STATE_STALE, seed.v[0]->state);
        CHECK_INT_EQ(3, seed.v[0]->nhistory);
        CHECK_INT_EQ(3, seed.v[0]->consecutive_good);
        CHECK_STR_EQ("http://c.test/", seed.v[1]->url);
        CHECK_STR_EQ("", lh_link_name(seed.v[1]));
        CHECK_STR_EQ("", lh_link_region(seed.v[1]));
        CHECK_INT_EQ(0, seed.v[1]->since);
        CHECK_INT_EQ(0, seed.v[1]->consecutive_failures);
        CHECK(!seed.v[1]->flapping);
    }
    lh_links_cleanup(&seed);
}

/* A history longer than we keep: the most recent LH_HISTORY_LEN. */
static void
test_long_history(void)
{
    char doc[2048];
    struct lh_links seed;
    char err[512] = "";
    size_t n;

    n = (size_t)snprintf(doc, sizeof(doc), HEAD "\"links\": [{\"url\": "
        "\"http://a.test/\", \"state\": \"error\", \"history\": [");
    for (int i = 0; i < LH_HISTORY_LEN + 4; i++)
        n += (size_t)snprintf(doc + n, sizeof(doc) - n, "%s\"%s\"",
            i ? ", " : "", i < 4 ? "ok" : "error");
    n += (size_t)snprintf(doc + n, sizeof(doc) - n, "]}]}");
    CHECK(n < sizeof(doc));
    CHECK_INT_EQ(0, lh_status_parse(doc, n, "s.json", &seed, NULL, err,
        sizeof(err)));
    CHECK_INT_EQ(1, seed.n);
    if (seed.n == 1) {
        CHECK_INT_EQ(LH_HISTORY_LEN, seed.v[0]->nhistory);
        for (unsigned i = 0; i < seed.v[0]->nhistory; i++)
            CHECK_INT_EQ(LH_STATE_ERROR, seed.v[0]->history[i]);
        CHECK_INT_EQ(0, seed.v[0]->consecutive_good);
    }
    lh_links_cleanup(&seed);
}

/*
 * The time of each verdict (version 4, "history_at", parallel to
 * "history"): a verdict skipped skips its time; a time that is not one is
 * unknown (0); a file without times (version 3 and older) gives 0 for all;
 * what is printed comes back.
 */
static void
test_history_times(void)
{
    static const char doc[] = HEAD "\"links\": [{\"url\": \"http://a.test/\", "
        "\"state\": \"error\", "
        "\"history\": [\"ok\", \"bad\", \"stale\", \"error\", \"ok\"], "
        "\"history_at\": [\"2026-11-23T10:00:00Z\", \"2026-11-23T10:05:00Z\", "
        "\"2026-11-23T10:10:00Z\", \"junk\", null]}, "
        "{\"url\": \"http://b.test/\", \"state\": \"ok\", "
        "\"history\": [\"ok\", \"moved\"]}]}";
    struct lh_status_info info = {
        .source = "d.json", .format = "list", .cycle = 1,
        .started_at = 1700000000, .generated_at = 1700000001,
    };
    struct lh_links seed, again;
    char err[512] = "", *out = NULL;
    size_t len = 0;
    long long t0 = 0, t2 = 0;
    FILE *f;

    CHECK_INT_EQ(0, lh_rfc3339_parse("2026-11-23T10:00:00Z", &t0));
    CHECK_INT_EQ(0, lh_rfc3339_parse("2026-11-23T10:10:00Z", &t2));
    CHECK_INT_EQ(0, lh_status_parse(doc, strlen(doc), "s.json", &seed, NULL,
        err, sizeof(err)));
    CHECK_STR_EQ("", err);
    CHECK_INT_EQ(2, seed.n);
    if (seed.n != 2) {
        lh_links_cleanup(&seed);
        return;
    }
    CHECK_INT_EQ(4, seed.v[0]->nhistory);
    CHECK_INT_EQ(LH_STATE_STALE, seed.v[0]->history[1]);
    CHECK_INT_EQ(t0, seed.v[0]->history_at[0]);
    CHECK_INT_EQ(t2, seed.v[0]->history_at[1]);
    CHECK_INT_EQ(0, seed.v[0]->history_at[2]);
    CHECK_INT_EQ(0, seed.v[0]->history_at[3]);
    CHECK_INT_EQ(2, seed.v[1]->nhistory);
    CHECK_INT_EQ(0, seed.v[1]->history_at[0]);
    CHECK_INT_EQ(0, seed.v[1]->history_at[1]);

    /* Printed, as RFC 3339 times and null, and read back the same. */
    seed.v[1]->history_at[1] = 1700000000;
    CHECK((f = open_memstream(&out, &len)) != NULL);
    if (f == NULL) {
        lh_links_cleanup(&seed);
        return;
    }
    CHECK_INT_EQ(0, lh_status_print(f, &info, &seed));
    CHECK_INT_EQ(0, fclose(f));
    CHECK(strstr(out, "\"history_at\": [\"2026-11-23T10:00:00Z\", "
        "\"2026-11-23T10:10:00Z\", null, null]") != NULL);
    CHECK(strstr(out, "\"history_at\": [null, \"2023-11-14T22:13:20Z\"]")
        != NULL);
    CHECK_INT_EQ(0, lh_status_parse(out, len, "printed", &again, NULL, err,
        sizeof(err)));
    CHECK_INT_EQ(2, again.n);
    for (size_t i = 0; i < 2 && i < again.n; i++) {
        TEST_ROW_BEGIN();
        CHECK_INT_EQ(seed.v[i]->nhistory, again.v[i]->nhistory);
        for (unsigned j = 0; j < seed.v[i]->nhistory; j++) {
            CHECK_INT_EQ(seed.v[i]->history[j], again.v[i]->history[j]);
            CHECK_INT_EQ(seed.v[i]->history_at[j], again.v[i]->history_at[j]);
        }
        TEST_ROW_END(seed.v[i]->url);
    }
    lh_links_cleanup(&again);
    lh_links_cleanup(&seed);
    free(out);
}

/* Print what was loaded, load that: the same links come back. */
static void
test_round_trip(void)
{
    struct lh_status_info info = {
        .source = "d.json", .format = "wordpress", .cycle = 1,
        .started_at = 1700000000, .duration_ms = 2.0,
        .generated_at = 1700000001,
    };
    struct lh_links seed, again;
    char err[512] = "", *doc = NULL;
    size_t len = 0;
    FILE *f;

    CHECK_INT_EQ(0, lh_status_read(FIX "once.json", 1 << 20, true, &seed,
        NULL, err, sizeof(err)));
    info.entries = seed.n;
    CHECK((f = open_memstream(&doc, &len)) != NULL);
    if (f == NULL) {
        lh_links_cleanup(&seed);
        return;
    }
    CHECK_INT_EQ(0, lh_status_print(f, &info, &seed));
    CHECK_INT_EQ(0, fclose(f));
    CHECK_INT_EQ(0, lh_status_parse(doc, len, "printed", &again, NULL,
        err, sizeof(err)));
    CHECK_STR_EQ("", err);
    CHECK_INT_EQ(seed.n, again.n);
    for (size_t i = 0; i < seed.n && i < again.n; i++) {
        TEST_ROW_BEGIN();
        CHECK_STR_EQ(seed.v[i]->url, again.v[i]->url);
        CHECK_STR_EQ(lh_link_name(seed.v[i]), lh_link_name(again.v[i]));
        CHECK_INT_EQ(seed.v[i]->state, again.v[i]->state);
        CHECK_INT_EQ(seed.v[i]->since, again.v[i]->since);
        CHECK_INT_EQ(seed.v[i]->nhistory, again.v[i]->nhistory);
        TEST_ROW_END(seed.v[i]->url);
    }
    lh_links_cleanup(&again);
    lh_links_cleanup(&seed);
    free(doc);
}

/* A link's page memo (version 3) comes back as it was written; a memo
 * that is not whole (no read time, a bad hash) is dropped. */
static void
test_page_memo(void)
{
    struct lh_status_info info = {
        .source = "d.json", .format = "list", .cycle = 1,
        .started_at = 1700000000, .generated_at = 1700000001,
    };
    struct lh_links seed, again;
    struct lh_link *l;
    char err[512] = "", *doc = NULL;
    size_t len = 0;
    FILE *f;

    lh_links_init(&seed);
    if ((l = calloc(1, sizeof(*l))) == NULL)
        exit(EXIT_FAILURE);
    lh_last_init(&l->last);
    if (lh_link_set_text(l, &(struct lh_link_text){
            .url = "https://example.org/p", .name = "P" }) == -1 ||
        lh_link_page(l) == NULL)
        exit(EXIT_FAILURE);
    l->page->read_at = 1700000000;
    l->page->bytes = 1234;
    l->page->text_bytes = 56;
    l->page->text_hash = 0xfedcba9876543210ull;
    l->page->status = 200;
    l->page->content_length = 1234;
    l->page->state = LH_STATE_STALE;
    CHECK_INT_EQ(0, lh_page_memo_set_text(l->page,
        (const char *[LH_MEMO_NTEXT]){
        [LH_MEMO_TITLE] = "Page \"not\" found",
        [LH_MEMO_FINAL_URL] = "https://example.org/p",
        [LH_MEMO_ETAG] = "\"v1\"",
        [LH_MEMO_LAST_MODIFIED] = NULL,
        [LH_MEMO_REASON] = "soft 404 (the page says \"Page not found\")"
    }));
    CHECK_INT_EQ(0, lh_links_append(&seed, l));
    CHECK((f = open_memstream(&doc, &len)) != NULL);
    if (f == NULL)
        exit(EXIT_FAILURE);
    CHECK_INT_EQ(0, lh_status_print(f, &info, &seed));
    CHECK_INT_EQ(0, fclose(f));
    CHECK_INT_EQ(0, lh_status_parse(doc, len, "printed", &again, NULL,
        err, sizeof(err)));
    CHECK_INT_EQ(1, again.n);
    if (again.n == 1) {
        const struct lh_page_memo *m = again.v[0]->page;

        CHECK(m != NULL);
        if (m == NULL)
            exit(EXIT_FAILURE);
        CHECK_INT_EQ(1700000000, m->read_at);
        CHECK_STR_EQ("Page \"not\" found",
            lh_page_memo_text(m, LH_MEMO_TITLE));
        CHECK_INT_EQ(1234, m->bytes);
        CHECK_INT_EQ(56, m->text_bytes);
        CHECK(m->text_hash == 0xfedcba9876543210ull);
        CHECK_INT_EQ(200, m->status);
        /* The link's own URL. */
        CHECK_STR_EQ(NULL, lh_page_memo_text(m, LH_MEMO_FINAL_URL));
        CHECK_STR_EQ("\"v1\"", lh_page_memo_text(m, LH_MEMO_ETAG));
        CHECK_STR_EQ(NULL, lh_page_memo_text(m, LH_MEMO_LAST_MODIFIED));
        CHECK_INT_EQ(1234, m->content_length);
        CHECK_INT_EQ(LH_STATE_STALE, m->state);
        CHECK_STR_EQ(lh_page_memo_text(l->page, LH_MEMO_REASON),
            lh_page_memo_text(m, LH_MEMO_REASON));
    }
    lh_links_cleanup(&again);
    lh_links_cleanup(&seed);
    free(doc);

    {
        static const char *const docs[] = {
            "\"page\": null}]}",
            "\"page\": {\"title\": \"x\", \"text_hash\": \"00\"}}]}",
            "\"page\": {\"read_at\": \"2026-11-23T10:46:40Z\", "
                "\"text_hash\": \"xyz\"}}]}",
            "\"page\": {\"read_at\": \"2026-11-23T10:46:40Z\", "
                "\"text_hash\": \"01\", \"verdict\": \"stale\"}}]}",
        };

        for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
            char buf[1024];

            TEST_ROW_BEGIN();
            snprintf(buf, sizeof(buf), "{\"version\": 3, \"generated_at\": "
                "\"2026-11-23T10:46:40Z\", \"links\": [{\"url\": \"u\", "
                "\"state\": \"ok\", %s", docs[i]);
            CHECK_INT_EQ(0, lh_status_parse(buf, strlen(buf), "s.json",
                &again, NULL, err, sizeof(err)));
            CHECK_INT_EQ(1, again.n);
            if (again.n == 1) {
                const struct lh_page_memo *m = again.v[0]->page;

                /* Only the last row is whole: read, but its verdict
                 * without a reason is ok; the others have none. */
                CHECK_INT_EQ(i == 3, m != NULL);
                if (m != NULL) {
                    CHECK(m->read_at > 0);
                    CHECK_INT_EQ(LH_STATE_OK, m->state);
                    CHECK_STR_EQ(NULL, lh_page_memo_text(m, LH_MEMO_REASON));
                }
            }
            lh_links_cleanup(&again);
            TEST_ROW_END(docs[i]);
        }
    }
}

/*
 * Strings are escaped as JSON needs and no more, and bytes that are not
 * UTF-8 become U+FFFD, so the file always parses; the printer writes
 * runs of plain bytes at once, so the edges of each run are tried.
 */
static void
test_string_escapes(void)
{
    static const struct {
        const char *name, *json, *back;
    } rows[] = {
        { "plain", "\"plain\"", "plain" },
        { "", "\"\"", "" },
        { "\"q\\b", "\"\\\"q\\\\b\"", "\"q\\b" },
        { "a\nb\rc\td", "\"a\\nb\\rc\\td\"", "a\nb\rc\td" },
        { "\x01x\x1f\x7f", "\"\\u0001x\\u001f\\u007f\"", "\x01x\x1f\x7f" },
        { "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x8c\x8d",
          "\"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x8c\x8d\"",
          "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x8c\x8d" },
        { "a\xffz", "\"a\xef\xbf\xbdz\"", "a\xef\xbf\xbdz" },
        { "end\xe2\x82", "\"end\xef\xbf\xbd\xef\xbf\xbd\"",
          "end\xef\xbf\xbd\xef\xbf\xbd" },
        { "\xc0\xaf\"", "\"\xef\xbf\xbd\xef\xbf\xbd\\\"\"",
          "\xef\xbf\xbd\xef\xbf\xbd\"" },
    };
    struct lh_status_info info = {
        .source = "d.json", .format = "wordpress", .cycle = 1,
        .started_at = 1700000000, .duration_ms = 2.0,
        .generated_at = 1700000001,
    };
    struct lh_links seed, again;
    char err[512] = "", *doc, want[128];
    size_t len;
    FILE *f;

    CHECK_INT_EQ(0, lh_status_read(FIX "once.json", 1 << 20, true, &seed,
        NULL, err, sizeof(err)));
    if (seed.n == 0) {
        lh_links_cleanup(&seed);
        return;
    }
    info.entries = seed.n;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        TEST_ROW_BEGIN();
        doc = NULL;
        len = 0;
        CHECK_INT_EQ(0, lh_link_set_text(seed.v[0], &(struct lh_link_text){
            .url = seed.v[0]->url, .name = rows[i].name }));
        CHECK((f = open_memstream(&doc, &len)) != NULL);
        if (f != NULL) {
            CHECK_INT_EQ(0, lh_status_print(f, &info, &seed));
            CHECK_INT_EQ(0, fclose(f));
            snprintf(want, sizeof(want), "\"name\": %s,", rows[i].json);
            CHECK(strstr(doc, want) != NULL);
            CHECK_INT_EQ(0, lh_status_parse(doc, len, "printed", &again,
                NULL, err, sizeof(err)));
            CHECK_STR_EQ("", err);
            if (again.n > 0)
                CHECK_STR_EQ(rows[i].back, lh_link_name(again.v[0]));
            lh_links_cleanup(&again);
        }
        free(doc);
        TEST_ROW_END(rows[i].json);
    }
    lh_links_cleanup(&seed);
}

/*
 * The printer formats into a buffer of its own: strings longer than it,
 * escapes and multi-byte characters across its edges come out whole.
 */
static void
test_long_strings(void)
{
    static const char *const pieces[] = { "a", "\"", "\xc3\xa9", "\x01",
        "\xe2\x9c\x93", "\\", "\xff" };
    static const char *const escaped[] = { "a", "\\\"", "\xc3\xa9",
        "\\u0001", "\xe2\x9c\x93", "\\\\", "\xef\xbf\xbd" };
    size_t n = 600 * 1024, wn = 0;
    char *name = malloc(n + 8), *want = malloc(4 * n + 8), *doc = NULL;
    struct lh_status_info info = { .generated_at = 1700000001 };
    struct lh_links links;
    struct lh_link *l;
    size_t len = 0, k = 0;
    FILE *f;

    CHECK(name != NULL && want != NULL);
    if (name == NULL || want == NULL)
        goto done;
    /* Pieces of 1, 2 and 3 bytes in a cycle of 7: every alignment. */
    for (size_t i = 0; k + 3 < n; i = (i + 1) % 7) {
        size_t pl = strlen(pieces[i]), el = strlen(escaped[i]);

        memcpy(name + k, pieces[i], pl);
        memcpy(want + wn, escaped[i], el);
        k += pl;
        wn += el;
    }
    name[k] = '\0';
    want[wn] = '\0';
    lh_links_init(&links);
    CHECK((l = calloc(1, sizeof(*l))) != NULL);
    if (l != NULL) {
        lh_last_init(&l->last);
        CHECK_INT_EQ(0, lh_link_set_text(l, &(struct lh_link_text){
            .url = "https://a.example/", .name = name }));
        CHECK_INT_EQ(0, lh_links_append(&links, l));
    }
    CHECK((f = open_memstream(&doc, &len)) != NULL);
    if (f != NULL) {
        CHECK_INT_EQ(0, lh_status_print(f, &info, &links));
        CHECK_INT_EQ(0, fclose(f));
    }
    if (doc != NULL) {
        const char *at = strstr(doc, "\"name\": \"");

        CHECK(at != NULL);
        if (at != NULL) {
            at += strlen("\"name\": \"");
            CHECK(strncmp(at, want, wn) == 0);
            CHECK(strncmp(at + wn, "\",\n", 3) == 0);
        }
    }
    lh_links_cleanup(&links);
done:
    free(doc);
    free(name);
    free(want);
}

/* A link made by hand, as the merge and the checks would leave it. */
static struct lh_link *
made_link(const char *url, const char *name)
{
    struct lh_link *l = calloc(1, sizeof(*l));

    if (l == NULL)
        return NULL;
    lh_last_init(&l->last);
    if (lh_link_set_text(l, &(struct lh_link_text){ .url = url,
            .name = name, .region = "R\xc3\xa9gion \"1\"",
            .description = "tab\there, line\nbreak, \x01\x1f\x7f, "
            "bad \xff\xc0\xaf, cut \xe2\x82" }) == -1) {
        lh_link_free(l);
        return NULL;
    }
    return l;
}

/*
 * Every field of the document, with strings a hostile directory or
 * server could send and numbers at the edges of their formats: the
 * printer's output is compared byte for byte with a document an
 * earlier printer wrote (status/golden.json).  A deliberate change of
 * the format rewrites it: LH_WRITE_GOLDEN=path writes it there.
 */
static void
test_golden_document(void)
{
    static const double ms[] = {
        0.0, 0.05, 0.25, 0.15, 1.05, 2.45, 12.349999, 999.95, 1234567.85,
        0.04999999999, 3e14, 1e16, 17.0
    };
    char *warnings[] = { "d.json: line 3: \"odd\" \\ entry",
        "second \xe2\x80\xa8 warning" };
    struct lh_status_info info = {
        .source = "/srv/d\xc3\xa9.json", .format = "list", .entries = 5,
        .directory_error = "bad \"bytes\"\n", .warnings = warnings,
        .nwarnings = 2, .cycle = 18446744073709551615ull,
        .started_at = 1795000000, .duration_ms = 51500.25,
        .generated_at = 1795000061, .shard_index = 2, .shard_count = 3,
        /* unknown joins them in the file: it always fails a run */
        .fail_on = 1u << LH_STATE_STALE | 1u << LH_STATE_BLOCKED,
        .inconclusive = "no route to \"any\" host", .partial = true,
    };
    struct lh_links links;
    struct lh_link *l;
    struct lh_result r;
    const char *golden = getenv("LH_WRITE_GOLDEN");
    char *doc = NULL, *want = NULL, err[256];
    size_t len = 0, wantlen = 0;
    FILE *f;

    lh_links_init(&links);
    /* Not checked yet. */
    l = made_link("https://a.example/", "A \"quoted\" \\ name");
    CHECK(l != NULL && lh_links_append(&links, l) == 0);

    /* Checked: moved, through two hops, a note, an expired certificate,
     * a full history with unknown times, a page read. */
    l = made_link("https://b.example/\xc3\xa9t\xc3\xa9",
        "B \xf0\x9f\x8c\x8d");
    CHECK(l != NULL && lh_links_append(&links, l) == 0);
    if (l != NULL) {
        CHECK_INT_EQ(0, lh_link_set_text(l, &(struct lh_link_text){
            .url = l->url,
            .request_url = "https://b.example/%C3%A9t%C3%A9",
            .note = "host mixes scripts: \"\xd0\xb0\" and \"a\"",
            .name = lh_link_name(l), .region = lh_link_region(l),
            .description = lh_link_description(l) }));
        l->checked = true;
        l->state = l->verdict = LH_STATE_MOVED;
        CHECK_INT_EQ(0, lh_link_set_reason(l,
            "301 to https://c.example/ \"new\""));
        l->new_url = strdup("https://c.example/\xc3\xa9");
        l->since = 1794990000;
        l->consecutive_failures = 4294967295u;
        l->flapping = true;
        l->cert_warning = true;
        lh_result_init(&r);
        r.http_status = 200;
        r.head_status = 405;
        r.method = LH_METHOD_GET;
        r.final_url = strdup("https://c.example/\xc3\xa9");
        CHECK_INT_EQ(0, lh_result_add_hop(&r,
            "https://b.example/%C3%A9t%C3%A9", 301,
            "https://c.example/\x01"));
        CHECK_INT_EQ(0, lh_result_add_hop(&r, "https://c.example/",
            308, NULL));
        r.error = strdup("curl: (56) \"recv\" failure\r\n");
        r.fail = LH_FAIL_RESET;
        r.attempts = 3;
        r.retries = -1;
        r.checked_at = 1795000059;
        r.cert_expiry = 1794000000;
        r.timings.dns_ms = ms[0];
        r.timings.connect_ms = ms[1];
        r.timings.tls_ms = ms[2];
        r.timings.first_byte_ms = ms[3];
        r.timings.total_ms = ms[4];
        /* What a link keeps of the check, as the scheduler makes it. */
        CHECK_INT_EQ(0, lh_last_take(&l->last, &r));
        lh_result_cleanup(&r);
        for (unsigned i = 0; i < LH_HISTORY_LEN + 2; i++)
            lh_state_history_push(l, (enum lh_state)(i % LH_STATE_COUNT),
                i % 5 == 0 ? 0 : 1795000000 + (long long)i * 3600);
        CHECK(lh_link_page(l) != NULL);
        if (l->page == NULL)
            exit(EXIT_FAILURE);
        l->page->read_at = 1795000000;
        l->page->bytes = 123456;
        l->page->text_bytes = 789;
        l->page->text_hash = 0xfedcba9876543210ull;
        l->page->status = 203;
        l->page->content_length = 9876543210ll;
        l->page->state = LH_STATE_STALE;
        CHECK_INT_EQ(0, lh_page_memo_set_text(l->page,
        (const char *[LH_MEMO_NTEXT]){
            [LH_MEMO_TITLE] = "T\xc3\xaftle \"x\" \x02",
            [LH_MEMO_FINAL_URL] = NULL,
            [LH_MEMO_ETAG] = "W/\"abc\"",
            [LH_MEMO_LAST_MODIFIED] = "Sat, 05 Dec 2026 08:00:00 GMT",
            [LH_MEMO_REASON] = "stale: \"under construction\""
        }));
    }

    /* Checked, a certificate expiring, other timings, a page read at
     * its own URL with nothing known of it. */
    l = made_link("http://d.example/", "");
    CHECK(l != NULL && lh_links_append(&links, l) == 0);
    if (l != NULL) {
        l->checked = true;
        l->state = LH_STATE_OK;
        l->verdict = LH_STATE_ERROR;
        CHECK_INT_EQ(0, lh_link_set_reason(l, "HTTP 500"));
        l->cert_warning = true;
        l->accepted = 7;
        l->inconclusive = strdup("out of memory \"here\"");
        l->last.http_status = 500;
        CHECK_INT_EQ(0, lh_last_set_final_url(&l->last,
            "http://d.example/"));
        l->last.checked_at = 1795000060;
        l->last.cert_expiry = 1795000061 + 20 * 86400 + 5;
        l->last.timings.dns_ms = ms[5];
        l->last.timings.connect_ms = ms[6];
        l->last.timings.tls_ms = ms[7];
        l->last.timings.first_byte_ms = ms[8];
        l->last.timings.total_ms = ms[9];
        lh_state_history_push(l, LH_STATE_OK, 1795000060);
        CHECK(lh_link_page(l) != NULL);
        if (l->page == NULL)
            exit(EXIT_FAILURE);
        l->page->read_at = 1;
        l->page->state = LH_STATE_OK;
    }

    /* Excluded. */
    l = made_link("https://e.example/x?y=\"z\"", "E");
    CHECK(l != NULL && lh_links_append(&links, l) == 0);
    if (l != NULL) {
        l->excluded = 12;
        l->accepted = 3;
        l->checked = true;
        l->last.timings.dns_ms = ms[10];
        l->last.timings.connect_ms = ms[11];
        l->last.timings.tls_ms = ms[12];
        l->last.timings.first_byte_ms = -1;
        l->last.timings.total_ms = -1;
    }

    /* A resumed link: a reason, not checked in this run. */
    l = made_link("https://f.example/", "F");
    CHECK(l != NULL && lh_links_append(&links, l) == 0);
    if (l != NULL) {
        l->state = l->verdict = LH_STATE_UNREACHABLE;
        CHECK_INT_EQ(0, lh_link_set_reason(l, "DNS: no such host"));
        l->since = -5;
        l->last.cert_expiry = 1795000000;
    }

    CHECK((f = open_memstream(&doc, &len)) != NULL);
    if (f != NULL) {
        CHECK_INT_EQ(0, lh_status_print(f, &info, &links));
        CHECK_INT_EQ(0, fclose(f));
    }
    if (golden != NULL && doc != NULL) {
        CHECK((f = fopen(golden, "w")) != NULL);
        if (f != NULL) {
            CHECK_INT_EQ(len, fwrite(doc, 1, len, f));
            CHECK_INT_EQ(0, fclose(f));
        }
    }
    CHECK_INT_EQ(0, lh_file_read(FIX "golden.json", 1 << 20, NULL, &want,
        &wantlen, err, sizeof(err)));
    CHECK_INT_EQ(wantlen, len);
    if (want != NULL && doc != NULL) {
        size_t i = 0;

        while (i < len && i < wantlen && doc[i] == want[i])
            i++;
        if (i < len || i < wantlen)
            fprintf(stderr, "first difference at byte %zu: ...%.40s\n",
                i, doc + (i > 20 ? i - 20 : 0));
        CHECK(i == len && i == wantlen);
    }
    free(want);
    free(doc);
    lh_links_cleanup(&links);
}

int
main(void)
{
    RUN_TEST(test_real_document);
    RUN_TEST(test_missing_file);
    RUN_TEST(test_size_limit);
    RUN_TEST(test_bad_documents);
    RUN_TEST(test_skipped_entries);
    RUN_TEST(test_long_history);
    RUN_TEST(test_history_times);
    RUN_TEST(test_round_trip);
    RUN_TEST(test_page_memo);
    RUN_TEST(test_string_escapes);
    RUN_TEST(test_golden_document);
    RUN_TEST(test_long_strings);
    TEST_EXIT();
}
