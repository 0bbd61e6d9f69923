/* Tests of serve.c: the endpoint's paths and methods, conditional GETs
 * (both sides of each rule) and the /healthz verdict. */
#include <string.h>

#include "serve.h"
#include "test.h"

static void
test_route(void)
{
    static const struct {
        const char *path;
        enum lh_serve_path what;
    } rows[] = {
        { "/", LH_SERVE_DASHBOARD },
        { "/status.json", LH_SERVE_STATUS },
        { "/metrics", LH_SERVE_METRICS },
        { "/healthz", LH_SERVE_HEALTHZ },
        { "", LH_SERVE_NONE },
        { "/index.html", LH_SERVE_NONE },
        { "/metrics/", LH_SERVE_NONE },
        { "/Metrics", LH_SERVE_NONE },
        { "//", LH_SERVE_NONE },
        { "/status.json.gz", LH_SERVE_NONE },
        { "/healthz/../metrics", LH_SERVE_NONE },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        TEST_ROW_BEGIN();
        CHECK_INT_EQ(rows[i].what, lh_serve_route(rows[i].path));
        TEST_ROW_END(rows[i].path);
    }
    CHECK(lh_serve_method_ok("GET"));
    CHECK(lh_serve_method_ok("HEAD"));
    CHECK(!lh_serve_method_ok("get"));
    CHECK(!lh_serve_method_ok("POST"));
    CHECK(!lh_serve_method_ok("OPTIONS"));
    CHECK(!lh_serve_method_ok(""));
}

static void
test_not_modified(void)
{
    /* Sun, 06 Nov 1994 08:49:37 GMT */
    const long long t = 784111777;
    static const struct {
        const char *inm, *ims;
        bool not_modified;
    } rows[] = {
        { NULL, NULL, false },
        { "\"7-ab\"", NULL, true },
        { "W/\"7-ab\"", NULL, true },           /* weak comparison */
        { "\"1-00\", \"7-ab\"", NULL, true },
        { " \"1-00\" ,\"7-ab\" ", NULL, true },
        { "*", NULL, true },
        { "\"7-ab", NULL, false },
        { "\"7-abc\"", NULL, false },
        { "\"1-00\"", NULL, false },
        { "", NULL, false },
        { ",,", NULL, false },
        { NULL, "Sun, 06 Nov 1994 08:49:37 GMT", true },
        { NULL, "Sunday, 06-Nov-94 08:49:37 GMT", true },
        { NULL, "Sun Nov  6 08:49:37 1994", true },
        { NULL, "Mon, 07 Nov 1994 00:00:00 GMT", true },
        { NULL, "Sun, 06 Nov 1994 08:49:36 GMT", false },
        { NULL, "yesterday", false },
        { NULL, "", false },
        /* If-None-Match decides alone. */
        { "\"1-00\"", "Sun, 06 Nov 1994 08:49:37 GMT", false },
        { "\"7-ab\"", "Sun, 06 Nov 1994 08:49:36 GMT", true },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        TEST_ROW_BEGIN();
        CHECK_INT_EQ(rows[i].not_modified, lh_serve_not_modified(
            rows[i].inm, rows[i].ims, "\"7-ab\"", t));
        TEST_ROW_END(rows[i].inm != NULL ? rows[i].inm : rows[i].ims != NULL
            ? rows[i].ims : "(none)");
    }
}

static void
test_http_date(void)
{
    char buf[64];

    lh_serve_http_date(784111777, buf, sizeof(buf));
    CHECK_STR_EQ("Sun, 06 Nov 1994 08:49:37 GMT", buf);
    lh_serve_http_date(0, buf, sizeof(buf));
    CHECK_STR_EQ("Thu, 01 Jan 1970 00:00:00 GMT", buf);
    lh_serve_http_date(1796000000, buf, sizeof(buf));
    CHECK_STR_EQ("Mon, 30 Nov 2026 00:53:20 GMT", buf);
}

static void
test_health(void)
{
    char why[256];

    CHECK_INT_EQ(503, lh_serve_health(5000, 1000, -1, 0, 2000, why,
        sizeof(why)));
    CHECK_STR_EQ("no cycle has finished yet (started 4.0 s ago)\n", why);
    CHECK_INT_EQ(200, lh_serve_health(5000, 0, 3000, 4, 2000, why,
        sizeof(why)));
    CHECK_STR_EQ("ok: cycle 4 finished 2.0 s ago\n", why);
    CHECK_INT_EQ(503, lh_serve_health(5001, 0, 3000, 4, 2000, why,
        sizeof(why)));
    CHECK_STR_EQ("the last cycle (4) finished 2.0 s ago, more than two "
        "intervals and their jitter (2.0 s)\n", why);
    CHECK_INT_EQ(200, lh_serve_health(3000, 0, 3000, 5, 2000, why,
        sizeof(why)));
}

int
main(void)
{
    RUN_TEST(test_route);
    RUN_TEST(test_not_modified);
    RUN_TEST(test_http_date);
    RUN_TEST(test_health);
    TEST_EXIT();
}
