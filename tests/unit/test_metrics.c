/*
 * Tests of metrics.c: the Prometheus text file, read back from a memory
 * stream: HELP and TYPE, grouping, one-hot states, escaping, what is left
 * out when unknown, the shard label, the directory, the atomic write.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "test.h"

/* A link as a sync or a resume leaves it: unchecked, last check unknown. */
static struct lh_link *
mk(struct lh_links *links, const char *region, const char *name,
    const char *url, enum lh_state st, long long since)
{
    struct lh_link *l = calloc(1, sizeof(*l));

    if (l == NULL)
        abort();
    lh_last_init(&l->last);
    if (lh_link_set_text(l, &(struct lh_link_text){ .url = url,
            .name = name, .region = region }) == -1)
        abort();
    l->state = st;
    l->verdict = st;
    l->since = since;
    if (lh_links_append(links, l) == -1)
        abort();
    return l;
}

/* A link whose last check got an answer. */
static struct lh_link *
mk_checked(struct lh_links *links, const char *region, const char *name,
    const char *url, enum lh_state st, int http_status)
{
    struct lh_link *l = mk(links, region, name, url, st, 1700000000);

    l->checked = true;
    l->last.http_status = http_status;
    l->last.timings.dns_ms = 1.5;
    l->last.timings.connect_ms = 2.25;
    l->last.timings.tls_ms = 10;
    l->last.timings.first_byte_ms = 40.125;
    l->last.timings.total_ms = 1234.5;
    l->last.cert_expiry = 1800000000;
    l->last.checked_at = 1700000100;
    return l;
}

static struct lh_status_info
info_default(void)
{
    struct lh_status_info info;

    memset(&info, 0, sizeof(info));
    info.source = "directory.txt";
    info.format = "list";
    info.entries = 3;
    info.cycle = 4;
    info.started_at = 1700000000;
    info.duration_ms = 2500.25;
    info.generated_at = 1700000003;
    return info;
}

/* What lh_metrics_print writes, as a string the caller frees. */
static char *
capture(const struct lh_status_info *info, const struct lh_links *links)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    int rc;

    if (f == NULL)
        abort();
    rc = lh_metrics_print(f, info, links);
    if (fclose(f) == EOF)
        abort();
    CHECK_INT_EQ(0, rc);
    return text;
}

/* Whether text holds line as a whole line. */
static bool
has_line(const char *text, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return true;
    return false;
}

#define CHECK_LINE(line, text) do {                                       \
        if (!has_line((text), (line)))                                    \
            TEST_FAIL_AT("expected the line \"%s\" in:\n%s", (line),      \
                (text));                                                  \
    } while (0)

#define CHECK_NO_LINE(line, text) do {                                    \
        if (has_line((text), (line)))                                     \
            TEST_FAIL_AT("did not expect the line \"%s\"", (line));       \
    } while (0)

/* Lines that begin with prefix. */
static int
count_prefix(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    int count = 0;

    for (const char *p = text; p != NULL && *p != '\0';
        p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, prefix, n) == 0)
            count++;
    return count;
}

static const char *const families[] = {
    "linkhealthd_link_up",
    "linkhealthd_link_state",
    "linkhealthd_link_http_status",
    "linkhealthd_link_duration_seconds",
    "linkhealthd_link_cert_expiry_timestamp_seconds",
    "linkhealthd_link_state_since_timestamp_seconds",
    "linkhealthd_links",
    "linkhealthd_cycle_duration_seconds",
    "linkhealthd_last_cycle_timestamp_seconds",
    "linkhealthd_cycle_inconclusive",
    "linkhealthd_directory_entries",
    "linkhealthd_directory_load_success",
};
#define NFAMILIES (sizeof(families) / sizeof(families[0]))

/*
 * Each family once: HELP, then TYPE gauge, then its samples and nothing
 * else; every sample belongs to the family above it; no family comes back.
 */
static void
check_grouping(const char *text)
{
    bool seen[NFAMILIES] = { false };
    size_t cur = NFAMILIES;
    char name[128], help[160], type[160];
    const char *p = text;

    CHECK(*text != '\0' && text[strlen(text) - 1] == '\n');
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        size_t k;

        if (strncmp(p, "# HELP ", 7) == 0) {
            for (k = 0; k < NFAMILIES; k++) {
                snprintf(help, sizeof(help), "# HELP %s ", families[k]);
                if (strncmp(p, help, strlen(help)) == 0)
                    break;
            }
            if (k == NFAMILIES || seen[k]) {
                TEST_FAIL_AT("unexpected or repeated: %.*s", (int)len, p);
                return;
            }
            seen[k] = true;
            cur = k;
            snprintf(type, sizeof(type), "# TYPE %s gauge\n", families[k]);
            if (nl == NULL || strncmp(nl + 1, type, strlen(type)) != 0) {
                TEST_FAIL_AT("no \"%.*s\" after the HELP of %s",
                    (int)strlen(type) - 1, type, families[k]);
                return;
            }
            p = nl + 1 + strlen(type);
            continue;
        }
        k = strcspn(p, "{ ");
        snprintf(name, sizeof(name), "%.*s", (int)k, p);
        if (cur == NFAMILIES || strcmp(name, families[cur]) != 0) {
            TEST_FAIL_AT("sample outside its family: %.*s", (int)len, p);
            return;
        }
        p = nl ? nl + 1 : p + len;
    }
    for (size_t k = 0; k < NFAMILIES; k++)
        if (!seen[k])
            TEST_FAIL_AT("no HELP line for %s", families[k]);
}

static void
test_document(void)
{
    struct lh_status_info info = info_default();
    struct lh_links links;
    char *text;

    lh_links_init(&links);
    mk_checked(&links, "Europe", "One", "https://one.test/", LH_STATE_OK,
        200);
    mk_checked(&links, "Europe", "Two", "http://two.test/", LH_STATE_MOVED,
        301);
    mk_checked(&links, "Asia", "Three", "https://three.test/x",
        LH_STATE_STALE, 404);
    text = capture(&info, &links);
    check_grouping(text);
    CHECK_LINE("# HELP linkhealthd_link_up 1 when the link answers as listed "
        "or with a permanent redirect (reported state ok or moved), 0 "
        "otherwise (stale, blocked, error, unreachable, or unknown: not "
        "judged yet).", text);
    CHECK_LINE("# TYPE linkhealthd_link_up gauge", text);
    CHECK_STR_CONTAINS("curl's cumulative times", text);
    CHECK_LINE("linkhealthd_link_up{region=\"Europe\",name=\"One\","
        "url=\"https://one.test/\"} 1", text);
    CHECK_LINE("linkhealthd_link_up{region=\"Asia\",name=\"Three\","
        "url=\"https://three.test/x\"} 0", text);
    CHECK_LINE("linkhealthd_link_http_status{region=\"Europe\",name=\"Two\","
        "url=\"http://two.test/\"} 301", text);
    CHECK_LINE("linkhealthd_link_duration_seconds{region=\"Europe\","
        "name=\"One\",url=\"https://one.test/\",phase=\"dns\"} 0.001500",
        text);
    CHECK_LINE("linkhealthd_link_duration_seconds{region=\"Europe\","
        "name=\"One\",url=\"https://one.test/\",phase=\"first_byte\"} "
        "0.040125", text);
    CHECK_LINE("linkhealthd_link_duration_seconds{region=\"Europe\","
        "name=\"One\",url=\"https://one.test/\",phase=\"total\"} 1.234500",
        text);
    CHECK_INT_EQ(15, count_prefix(text, "linkhealthd_link_duration_seconds{"));
    CHECK_LINE("linkhealthd_link_cert_expiry_timestamp_seconds{"
        "region=\"Asia\",name=\"Three\",url=\"https://three.test/x\"} "
        "1800000000", text);
    CHECK_LINE("linkhealthd_link_state_since_timestamp_seconds{"
        "region=\"Asia\",name=\"Three\",url=\"https://three.test/x\"} "
        "1700000000", text);
    CHECK_LINE("linkhealthd_links{state=\"ok\"} 1", text);
    CHECK_LINE("linkhealthd_links{state=\"moved\"} 1", text);
    CHECK_LINE("linkhealthd_links{state=\"stale\"} 1", text);
    CHECK_LINE("linkhealthd_links{state=\"unknown\"} 0", text);
    CHECK_INT_EQ(LH_STATE_COUNT, count_prefix(text, "linkhealthd_links{"));
    CHECK_LINE("linkhealthd_cycle_duration_seconds 2.500", text);
    CHECK_LINE("linkhealthd_last_cycle_timestamp_seconds 1700000003", text);
    CHECK_LINE("linkhealthd_cycle_inconclusive 0", text);
    CHECK_LINE("linkhealthd_directory_entries 3", text);
    CHECK_LINE("linkhealthd_directory_load_success 1", text);
    /* Not sharded: no shard label anywhere. */
    CHECK(strstr(text, "shard=") == NULL);
    free(text);
    /* An inconclusive cycle says so. */
    info.inconclusive = "no name resolves (3 of 3 checks)";
    text = capture(&info, &links);
    check_grouping(text);
    CHECK_LINE("linkhealthd_cycle_inconclusive 1", text);
    CHECK_INT_EQ(1, count_prefix(text, "linkhealthd_cycle_inconclusive "));
    free(text);
    info.inconclusive = NULL;
    lh_links_cleanup(&links);
}

/* Every state: link_up, and a one-hot linkhealthd_link_state. */
static void
test_one_hot(void)
{
    static const struct {
        enum lh_state state;
        const char *name;
        int up;
    } rows[] = {
        { LH_STATE_OK, "ok", 1 },
        { LH_STATE_MOVED, "moved", 1 },
        { LH_STATE_STALE, "stale", 0 },
        { LH_STATE_BLOCKED, "blocked", 0 },
        { LH_STATE_ERROR, "error", 0 },
        { LH_STATE_UNREACHABLE, "unreachable", 0 },
        { LH_STATE_UNKNOWN, "unknown", 0 },
    };
    static const char *const all[] = { "ok", "moved", "stale", "blocked",
        "error", "unreachable", "unknown" };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lh_status_info info = info_default();
        struct lh_links links;
        char line[256], *text;
        TEST_ROW_BEGIN();

        lh_links_init(&links);
        mk(&links, "R", "N", "https://n.test/", rows[i].state, 1700000000);
        text = capture(&info, &links);
        check_grouping(text);
        snprintf(line, sizeof(line), "linkhealthd_link_up{region=\"R\","
            "name=\"N\",url=\"https://n.test/\"} %d", rows[i].up);
        CHECK_LINE(line, text);
        CHECK_INT_EQ(7, count_prefix(text, "linkhealthd_link_state{"));
        for (size_t s = 0; s < sizeof(all) / sizeof(all[0]); s++) {
            snprintf(line, sizeof(line), "linkhealthd_link_state{"
                "region=\"R\",name=\"N\",url=\"https://n.test/\","
                "state=\"%s\"} %d", all[s],
                strcmp(all[s], rows[i].name) == 0);
            CHECK_LINE(line, text);
            snprintf(line, sizeof(line), "linkhealthd_links{state=\"%s\"} "
                "%d", all[s], strcmp(all[s], rows[i].name) == 0);
            CHECK_LINE(line, text);
        }
        free(text);
        lh_links_cleanup(&links);
        TEST_ROW_END(rows[i].name);
    }
}

/* Label values: first the one sanitizer (lh_text_escape: controls,
 * overrides and invalid UTF-8 shown escaped), then the format's escapes of
 * backslash, quote and newline; everything else as it is. */
static void
test_escaping(void)
{
    static const struct {
        const char *name;
        const char *label;      /* what the name label holds */
    } rows[] = {
        { "plain", "plain" },
        { "say \"hi\"", "say \\\"hi\\\"" },
        { "back\\slash", "back\\\\slash" },
        { "two\nlines", "two\\\\nlines" },
        { "a \"\\\n\" mix\\", "a \\\"\\\\\\\\n\\\" mix\\\\" },
        { "Universit\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x94\x97",
            "Universit\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x94\x97" },
        { "tab\there", "tab\\\\there" },
        { "esc \x1b[31mred", "esc \\\\x1b[31mred" },
        { "csi \xc2\x9b" "2J", "csi \\\\u009b2J" },
        { "rlo \xe2\x80\xae" "gpj", "rlo \\\\u202egpj" },
        { "latin1 caf\xe9!", "latin1 caf\\\\xe9!" },
        { "cut \xe2\x80", "cut \\\\xe2\\\\x80" },
        { "overlong \xc0\xaf", "overlong \\\\xc0\\\\xaf" },
        { "surrogate \xed\xa0\x80", "surrogate \\\\xed\\\\xa0\\\\x80" },
        { "", "" },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lh_status_info info = info_default();
        struct lh_links links;
        char line[512], *text;
        TEST_ROW_BEGIN();

        lh_links_init(&links);
        mk(&links, "Europe", rows[i].name, "https://e.test/?a=\"1\"",
            LH_STATE_OK, 1700000000);
        text = capture(&info, &links);
        check_grouping(text);
        snprintf(line, sizeof(line), "linkhealthd_link_up{region=\"Europe\","
            "name=\"%s\",url=\"https://e.test/?a=\\\"1\\\"\"} 1",
            rows[i].label);
        CHECK_LINE(line, text);
        free(text);
        lh_links_cleanup(&links);
        TEST_ROW_END(rows[i].name);
    }
}

/* A value that is not known is left out, never written as 0 or -1. */
static void
test_unknown_left_out(void)
{
    struct lh_status_info info = info_default();
    struct lh_links links;
    struct lh_link *l;
    char *text;

    lh_links_init(&links);
    /* Resumed from a previous run: what --show reads is in its last check,
     * but it is not this run's check. */
    l = mk(&links, "R", "Resumed", "https://resumed.test/", LH_STATE_OK,
        1690000000);
    l->last.http_status = 200;
    l->last.timings.total_ms = 12;
    l->last.cert_expiry = 1800000000;
    /* Checked, no answer, no certificate, only some phases reached. */
    l = mk_checked(&links, "R", "Down", "https://down.test/",
        LH_STATE_UNREACHABLE, 0);
    l->last.cert_expiry = 0;
    l->last.timings.tls_ms = -1;
    l->last.timings.first_byte_ms = -1;
    /* Never judged: no since. */
    mk(&links, "R", "New", "https://new.test/", LH_STATE_UNKNOWN, 0);
    text = capture(&info, &links);
    check_grouping(text);
    CHECK(strstr(text, "Resumed\",url=\"https://resumed.test/\"} 200") ==
        NULL);
    CHECK_INT_EQ(0, count_prefix(text, "linkhealthd_link_http_status{"));
    CHECK_INT_EQ(0, count_prefix(text,
        "linkhealthd_link_cert_expiry_timestamp_seconds{"));
    /* Down: dns, connect and total; Resumed and New: none. */
    CHECK_INT_EQ(3, count_prefix(text, "linkhealthd_link_duration_seconds{"));
    CHECK_LINE("linkhealthd_link_duration_seconds{region=\"R\",name=\"Down\","
        "url=\"https://down.test/\",phase=\"connect\"} 0.002250", text);
    CHECK(strstr(text, "phase=\"tls\"") == NULL);
    CHECK(strstr(text, "phase=\"first_byte\"") == NULL);
    CHECK_INT_EQ(2, count_prefix(text,
        "linkhealthd_link_state_since_timestamp_seconds{"));
    CHECK_LINE("linkhealthd_link_state_since_timestamp_seconds{region=\"R\","
        "name=\"Resumed\",url=\"https://resumed.test/\"} 1690000000", text);
    CHECK_LINE("linkhealthd_link_up{region=\"R\",name=\"New\","
        "url=\"https://new.test/\"} 0", text);
    free(text);
    lh_links_cleanup(&links);

    /* No cycle yet, no links: the families are there, without samples
     * for the cycle. */
    info.cycle = 0;
    info.started_at = 0;
    info.entries = 0;
    lh_links_init(&links);
    text = capture(&info, &links);
    check_grouping(text);
    CHECK_INT_EQ(0, count_prefix(text, "linkhealthd_cycle_duration_seconds "));
    CHECK_INT_EQ(0, count_prefix(text,
        "linkhealthd_last_cycle_timestamp_seconds "));
    CHECK_INT_EQ(0, count_prefix(text, "linkhealthd_cycle_inconclusive "));
    CHECK_LINE("linkhealthd_links{state=\"ok\"} 0", text);
    CHECK_LINE("linkhealthd_directory_entries 0", text);
    free(text);
    lh_links_cleanup(&links);
}

static void
test_shard(void)
{
    struct lh_status_info info = info_default();
    struct lh_links links;
    char *text;
    int samples = 0, with_shard = 0;

    info.shard_index = 2;
    info.shard_count = 3;
    lh_links_init(&links);
    mk_checked(&links, "Europe", "One", "https://one.test/", LH_STATE_OK,
        200);
    mk(&links, "Asia", "Two", "https://two.test/", LH_STATE_UNKNOWN, 0);
    text = capture(&info, &links);
    check_grouping(text);
    for (const char *p = text; p != NULL && *p != '\0';
        p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        const char *nl = strchr(p, '\n');
        const char *s = strstr(p, "shard=\"2/3\"");

        if (*p == '#')
            continue;
        samples++;
        with_shard += s != NULL && (nl == NULL || s < nl);
    }
    CHECK_INT_EQ(samples, with_shard);
    CHECK_LINE("linkhealthd_link_up{region=\"Europe\",name=\"One\","
        "url=\"https://one.test/\",shard=\"2/3\"} 1", text);
    CHECK_LINE("linkhealthd_link_state{region=\"Asia\",name=\"Two\","
        "url=\"https://two.test/\",shard=\"2/3\",state=\"unknown\"} 1", text);
    CHECK_LINE("linkhealthd_links{shard=\"2/3\",state=\"ok\"} 1", text);
    CHECK_LINE("linkhealthd_directory_entries{shard=\"2/3\"} 3", text);
    CHECK_LINE("linkhealthd_directory_load_success{shard=\"2/3\"} 1", text);
    free(text);
    lh_links_cleanup(&links);
}

static void
test_directory_error(void)
{
    struct lh_status_info info = info_default();
    struct lh_links links;
    char *text;

    info.directory_error = "directory.txt: No such file or directory";
    lh_links_init(&links);
    mk(&links, "R", "N", "https://n.test/", LH_STATE_OK, 1700000000);
    text = capture(&info, &links);
    check_grouping(text);
    CHECK_LINE("linkhealthd_directory_load_success 0", text);
    CHECK_NO_LINE("linkhealthd_directory_load_success 1", text);
    CHECK_LINE("linkhealthd_directory_entries 3", text);
    free(text);
    lh_links_cleanup(&links);
}

/* The file is what lh_metrics_print writes; a failure names the file and
 * the step and leaves nothing behind. */
static void
test_write(void)
{
    struct lh_status_info info = info_default();
    struct lh_links links;
    char folder[] = "/tmp/test_metrics.XXXXXX", path[256], bad[256];
    char err[512] = "", *text, *back;
    FILE *f;
    long len;

    if (mkdtemp(folder) == NULL) {
        TEST_FAIL_AT("mkdtemp: %s", strerror(errno));
        return;
    }
    snprintf(path, sizeof(path), "%s/linkhealthd.prom", folder);
    lh_links_init(&links);
    mk_checked(&links, "R", "N", "https://n.test/", LH_STATE_OK, 200);
    text = capture(&info, &links);
    CHECK_INT_EQ(0, lh_status_write(path, lh_metrics_print, &info, &links,
        err, sizeof(err)));
    CHECK_STR_EQ("", err);
    /* Again, over the first. */
    CHECK_INT_EQ(0, lh_status_write(path, lh_metrics_print, &info, &links,
        err, sizeof(err)));
    if ((f = fopen(path, "r")) != NULL) {
        fseek(f, 0, SEEK_END);
        len = ftell(f);
        rewind(f);
        back = calloc(1, (size_t)len + 1);
        CHECK(back != NULL && fread(back, 1, (size_t)len, f) ==
            (size_t)len);
        CHECK_STR_EQ(text, back);
        free(back);
        fclose(f);
    } else {
        TEST_FAIL_AT("%s: %s", path, strerror(errno));
    }
    CHECK_INT_EQ(0, unlink(path));
    CHECK_INT_EQ(0, rmdir(folder));     /* nothing else was left there */

    snprintf(bad, sizeof(bad), "%s/gone/linkhealthd.prom", folder);
    CHECK_INT_EQ(-1, lh_status_write(bad, lh_metrics_print, &info, &links,
        err, sizeof(err)));
    CHECK_STR_CONTAINS(bad, err);
    CHECK_STR_CONTAINS("create temporary file", err);

    /* A full disk: the print reports the failed write. */
    if ((f = fopen("/dev/full", "w")) != NULL) {
        for (int i = 0; i < 50; i++) {
            char url[64];

            snprintf(url, sizeof(url), "https://n%d.test/", i);
            mk_checked(&links, "R", "N", url, LH_STATE_OK, 200);
        }
        CHECK_INT_EQ(-1, lh_metrics_print(f, &info, &links));
        fclose(f);
    }
    free(text);
    lh_links_cleanup(&links);
}

/* A large table: every link there once per family.  (Speed is measured in
 * bench/, not asserted here.) */
static void
test_many_links(void)
{
    struct lh_status_info info = info_default();
    struct lh_links links;
    char url[64], *text;

    lh_links_init(&links);
    for (int i = 0; i < 20000; i++) {
        snprintf(url, sizeof(url), "https://host%d.test/page", i);
        if (i % 2)
            mk_checked(&links, "Region", "Name \"quoted\"", url,
                LH_STATE_OK, 200);
        else
            mk(&links, "Region", "Name \\ back", url, LH_STATE_UNKNOWN, 0);
    }
    text = capture(&info, &links);
    check_grouping(text);
    CHECK_INT_EQ(20000, count_prefix(text, "linkhealthd_link_up{"));
    CHECK_INT_EQ(140000, count_prefix(text, "linkhealthd_link_state{"));
    CHECK_INT_EQ(10000, count_prefix(text, "linkhealthd_link_http_status{"));
    CHECK_INT_EQ(50000, count_prefix(text,
        "linkhealthd_link_duration_seconds{"));
    CHECK_LINE("linkhealthd_links{state=\"ok\"} 10000", text);
    CHECK_LINE("linkhealthd_links{state=\"unknown\"} 10000", text);
    free(text);
    lh_links_cleanup(&links);
}

int
main(void)
{
    RUN_TEST(test_document);
    RUN_TEST(test_one_hot);
    RUN_TEST(test_escaping);
    RUN_TEST(test_unknown_left_out);
    RUN_TEST(test_shard);
    RUN_TEST(test_directory_error);
    RUN_TEST(test_write);
    RUN_TEST(test_many_links);
    TEST_EXIT();
}
