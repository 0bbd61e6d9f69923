/*
 * Tests of request.c's proxy choice: which proxy a URL goes through, the
 * environment taken only with proxy = env, and no_proxy's matching (with
 * the look-alikes that must not match).
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "request.h"
#include "test.h"

static int
base_from(struct lh_request_base *b, const char *text)
{
    struct lh_config cfg;
    char err[512];
    int rc;

    if (lh_config_load_buffer(&cfg, text, strlen(text), "t.conf", err,
            sizeof(err)) == -1) {
        TEST_FAIL_AT("config: %s", err);
        return -1;
    }
    rc = lh_request_base_init(b, &cfg, err, sizeof(err));
    lh_config_cleanup(&cfg);
    return rc;
}

static void
test_no_proxy_by_default(void)
{
    struct lh_request_base b;

    setenv("http_proxy", "http://env.example:3128", 1);
    setenv("ALL_PROXY", "http://env.example:3128", 1);
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    CHECK_INT_EQ(0, base_from(&b, "directory = d.txt\n"));
    CHECK(lh_request_proxy(&b, "http://a.example/") == NULL);
    CHECK(lh_request_proxy(&b, "https://a.example/") == NULL);
    lh_request_base_cleanup(&b);
    /* proxy = env takes it; https falls back on ALL_PROXY. */
    CHECK_INT_EQ(0, base_from(&b, "directory = d.txt\nproxy = env\n"));
    CHECK_STR_EQ("http://env.example:3128",
        lh_request_proxy(&b, "http://a.example/"));
    CHECK_STR_EQ("http://env.example:3128",
        lh_request_proxy(&b, "HTTPS://a.example/"));
    lh_request_base_cleanup(&b);
    unsetenv("http_proxy");
    unsetenv("ALL_PROXY");
}

static void
test_no_proxy_matching(void)
{
    static const struct {
        const char *url;
        int proxied;
    } rows[] = {
        { "http://intranet.example.org/", 0 },
        { "http://www.intranet.example.org/x", 0 },     /* under it */
        { "http://INTRANET.example.org./", 0 },         /* case, dot */
        { "http://notintranet.example.org/", 1 },       /* look-alike */
        { "http://intranet.example.org.evil.test/", 1 },
        { "http://10.20.0.5:8080/", 0 },
        { "http://10.20.0.50/", 1 },
        { "http://[fd00::1]/", 0 },
        { "http://[fd00::12]/", 1 },
        { "http://a.local/", 0 },                       /* ".local" */
        { "http://local/", 0 },
        { "http://example.com/", 1 },
    };
    struct lh_request_base b;

    CHECK_INT_EQ(0, base_from(&b, "directory = d.txt\n"
        "proxy = socks5h://127.0.0.1:1080\n"
        "no_proxy = intranet.example.org, 10.20.0.5 fd00::1 .local\n"));
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *p = lh_request_proxy(&b, rows[i].url);

        TEST_ROW_BEGIN();
        CHECK_INT_EQ(rows[i].proxied, p != NULL);
        TEST_ROW_END(rows[i].url);
    }
    lh_request_base_cleanup(&b);
    CHECK_INT_EQ(0, base_from(&b, "directory = d.txt\n"
        "proxy = http://p.example:3128\nno_proxy = *\n"));
    CHECK(lh_request_proxy(&b, "http://a.example/") == NULL);
    lh_request_base_cleanup(&b);
}

static void
test_proxy_urls(void)
{
    CHECK(lh_proxy_url_ok("http://proxy.example:3128"));
    CHECK(lh_proxy_url_ok("SOCKS5H://127.0.0.1:1080"));
    CHECK(lh_proxy_url_ok("https://user:pw@proxy.example"));
    CHECK(!lh_proxy_url_ok("ftp://proxy.example"));
    CHECK(!lh_proxy_url_ok("proxy.example:3128"));
    CHECK(!lh_proxy_url_ok("http://"));
    CHECK(!lh_proxy_url_ok("http:///path"));
    CHECK(!lh_proxy_url_ok("http://a b"));
}

int
main(void)
{
    RUN_TEST(test_no_proxy_by_default);
    RUN_TEST(test_no_proxy_matching);
    RUN_TEST(test_proxy_urls);
    TEST_EXIT();
}
