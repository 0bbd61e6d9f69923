/*
 * Tests of url.c: equivalence and home pages row by row (both sides of
 * each rule), and the host and server keys the check and the scheduler
 * group by.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "iri.h"
#include "test.h"
#include "url.h"

#define EX "https://example.org"

struct pair_row {
    const char *a, *b;
    int want;
};

static const struct pair_row equivalent_rows[] = {
    { EX "/p", EX "/p", 1 },
    { "http://example.org/p", EX "/p", 1 },
    { EX "/p", "http://example.org/p", 0 },         /* a downgrade */
    { EX "/p", "https://www.example.org/p", 1 },
    { "https://www.example.org/p", EX "/p", 1 },
    { "http://www.example.org/p", "https://example.org/p/", 1 },
    { "https://WWW.Example.ORG/p", EX "/p", 1 },
    { "https://example.org./p", EX "/p", 1 },
    { "http://example.org:80/p", EX "/p", 1 },
    { "http://example.org/p", "https://example.org:443/p", 1 },
    { "https://example.org:443/p", EX "/p", 1 },
    { "http://example.org:8080/p", "https://example.org:8080/p", 0 },
    { "http://example.org:8080/p", "http://example.org:8080/p/", 1 },
    { "http://example.org:8080/p", "http://example.org:8081/p", 0 },
    { "http://example.org:8080/p", "http://example.org/p", 0 },
    { "http://example.org:/p", "http://example.org/p", 1 },
    { "http://example.org:00080/p", "http://example.org/p", 1 },
    { EX "/p", EX "/p/", 1 },
    { EX "/p/", EX "/p", 1 },
    { EX, EX "/", 1 },
    { EX "/p//", EX "/p", 0 },
    { EX "/P", EX "/p", 0 },
    { EX "/p?a=1", EX "/p?a=1", 1 },
    { EX "/p?a=1", EX "/p?a=2", 0 },
    { EX "/p?a=1&b=2", EX "/p?b=2&a=1", 0 },
    { EX "/p?a=1", EX "/p", 0 },
    { EX "/p?", EX "/p", 1 },
    { EX "/p/?a=1", EX "/p?a=1", 1 },
    { EX "/p#top", EX "/p#bottom", 1 },
    { EX "/p#top", EX "/p", 1 },
    { EX "/%7Euser", EX "/~user", 1 },
    { EX "/a%2fb", EX "/a%2Fb", 1 },
    { EX "/a%2Fb", EX "/a/b", 0 },
    { EX "/caf%C3%A9", EX "/caf%c3%a9", 1 },
    { EX "/100%", EX "/100%", 1 },
    { EX "/100%25", EX "/100%", 0 },
    { "HTTPS://EXAMPLE.ORG/p", EX "/p", 1 },
    { "https://user@example.org/p", "https://user@example.org/p", 1 },
    { "https://user@example.org/p", EX "/p", 0 },
    { "https://@example.org/p", EX "/p", 1 },
    { "http://evil.example@good.example/", "https://good.example/", 0 },
    { "http://a@evil.example@good.example/",
      "http://a@evil.example@good.example", 1 },
    { "http://[::1]/", "https://[0:0:0:0:0:0:0:1]/", 1 },
    { "http://[::1]:80/", "http://[::1]/", 1 },
    { "http://[::1]/", "http://[::2]/", 0 },
    { "http://[2001:DB8::1]/", "http://[2001:db8::1]/", 1 },
    { "http://[fe80::1%25eth0]/", "http://[fe80::1%25eth0]/", 1 },
    { "http://[fe80::1%25eth0]/", "http://[fe80::1]/", 0 },
    { "http://[::1]/", "http://127.0.0.1/", 0 },
    { "http://[::zz]/", "http://[::zz]/", 0 },
    { "http://[::1/", "http://[::1/", 0 },
    { "http://[::1]x/", "http://[::1]x/", 0 },
    { "http://[fe80::1%eth0]/", "http://[fe80::1%eth0]/", 0 },
    { EX "/p", "https://example.com/p", 0 },
    { "https://www2.le.ac.uk/", "https://le.ac.uk/", 0 },
    { "http://www.com/", "http://com/", 0 },
    { NULL, EX, 0 },
    { EX, NULL, 0 },
    { NULL, NULL, 0 },
    { "", "", 0 },
    { "example.org/p", "example.org/p", 0 },
    { "ftp://example.org/", "ftp://example.org/", 0 },
    { "http://", "http://", 0 },
    { "http:///p", "http:///p", 0 },
    { "http:/example.org/", "http:/example.org/", 0 },
    { "http://exa mple.org/", "http://exa mple.org/", 0 },
    { "http://example.org/a b", "http://example.org/a b", 0 },
    { "http://example.org\\p", "http://example.org\\p", 0 },
    { "http://exa<mple.org/", "http://exa<mple.org/", 0 },
    { "http://example.org:0/", "http://example.org:0/", 0 },
    { "http://example.org:65536/", "http://example.org:65536/", 0 },
    { "http://example.org:123456/", "http://example.org:123456/", 0 },
    { "http://example.org:8x/", "http://example.org:8x/", 0 },
    { "http://example.org:-1/", "http://example.org:-1/", 0 },
    { "http://:80/", "http://:80/", 0 },
    { "http://user@/", "http://user@/", 0 },
};

static void
test_equivalent(void)
{
    size_t n = sizeof(equivalent_rows) / sizeof(equivalent_rows[0]);

    for (size_t i = 0; i < n; i++) {
        const struct pair_row *row = &equivalent_rows[i];
        char name[512];
        int len;

        TEST_ROW_BEGIN();
        len = snprintf(name, sizeof(name), "%s ~ %s",
            row->a ? row->a : "(null)", row->b ? row->b : "(null)");
        CHECK(len > 0 && (size_t)len < sizeof(name));
        CHECK_INT_EQ(row->want, lh_url_equivalent(row->a, row->b));
        TEST_ROW_END(name);
    }
    printf("     %zu equivalence rows\n", n);
}

struct home_row {
    const char *url;
    int want;
};

static const struct home_row home_rows[] = {
    { EX, 1 },
    { EX "/", 1 },
    { EX "/index.html", 1 },
    { EX "/INDEX.HTML", 1 },
    { EX "/index.htm", 1 },
    { EX "/index.php", 1 },
    { EX "/index.asp", 1 },
    { EX "/default.aspx", 1 },
    { EX "/Default.aspx", 1 },
    { EX "/?", 1 },
    { EX "/#top", 1 },
    { "http://[::1]/", 1 },
    { "https://example.org:8443/", 1 },
    { "https://user@example.org/", 1 },
    { "HTTP://EXAMPLE.ORG", 1 },
    { EX "/en/", 0 },
    { EX "/en", 0 },
    { EX "/home", 0 },
    { EX "/page", 0 },
    { EX "//", 0 },
    { EX "/?lang=en", 0 },
    { EX "/index.html?x=1", 0 },
    { EX "/index.html/", 0 },
    { EX "/sub/index.html", 0 },
    { EX "/index.html5", 0 },
    { EX "/myindex.html", 0 },
    { NULL, 0 },
    { "", 0 },
    { "not a url", 0 },
    { "ftp://example.org/", 0 },
    { "http:///", 0 },
    { "http://[::1/", 0 },
};

static void
test_is_home(void)
{
    size_t n = sizeof(home_rows) / sizeof(home_rows[0]);

    for (size_t i = 0; i < n; i++) {
        TEST_ROW_BEGIN();
        CHECK_INT_EQ(home_rows[i].want, lh_url_is_home(home_rows[i].url));
        TEST_ROW_END(home_rows[i].url ? home_rows[i].url : "(null)");
    }
    printf("     %zu home-page rows\n", n);
}

struct key_row {
    const char *url;
    const char *host;       /* NULL: lh_url_host fails */
    const char *site;
};

static const struct key_row key_rows[] = {
    { "https://Example.ORG/a", "example.org", "https://example.org:443" },
    { "http://example.org", "example.org", "http://example.org:80" },
    { "http://example.org:8080/x?y", "example.org",
        "http://example.org:8080" },
    { "HTTPS://www.Example.org:443/", "www.example.org",
        "https://www.example.org:443" },
    { "http://user:pw@host.example/", "host.example",
        "http://host.example:80" },
    { "http://a.example@b.example/", "b.example", "http://b.example:80" },
    { "http://[::1]:8080/", "[::1]", "http://[::1]:8080" },
    { "http://[FE80::1%25eth0]/", "[fe80::1%25eth0]",
        "http://[fe80::1%25eth0]:80" },
    { "http://127.0.0.1:9/", "127.0.0.1", "http://127.0.0.1:9" },
    { "ftp://example.org/", NULL, NULL },
    { "http:///", NULL, NULL },
    { "http://exa mple.org/", NULL, NULL },
    { "http://example.org:0/", NULL, NULL },
    { "http://example.org:65536/", NULL, NULL },
    { "example.org", NULL, NULL },
};

static void
test_keys(void)
{
    size_t n = sizeof(key_rows) / sizeof(key_rows[0]);

    for (size_t i = 0; i < n; i++) {
        const struct key_row *row = &key_rows[i];
        char host[256], site[300];

        TEST_ROW_BEGIN();
        if (row->host == NULL) {
            CHECK_INT_EQ(-1, lh_url_host(row->url, host, sizeof(host)));
            CHECK_INT_EQ(-1, lh_url_site(row->url, site, sizeof(site)));
        } else {
            CHECK_INT_EQ(0, lh_url_host(row->url, host, sizeof(host)));
            CHECK_STR_EQ(row->host, host);
            CHECK_INT_EQ(0, lh_url_site(row->url, site, sizeof(site)));
            CHECK_STR_EQ(row->site, site);
        }
        TEST_ROW_END(row->url);
    }
    /* A host that does not fit is refused, never cut. */
    {
        char small[12];

        CHECK_INT_EQ(-1, lh_url_host(EX "/", small, 11));
        CHECK_INT_EQ(0, lh_url_host(EX "/", small, sizeof(small)));
        CHECK_STR_EQ("example.org", small);
        CHECK_INT_EQ(-1, lh_url_site(EX "/", small, sizeof(small)));
    }
}

static void
test_parse(void)
{
    struct lh_url u;
    const char *s = "https://user@[::1%25lo]:8443/a%20b/?q=1#frag";

    CHECK_INT_EQ(0, lh_url_parse(s, &u));
    CHECK(u.https);
    CHECK_INT_EQ(4, u.userlen);
    CHECK(u.ipv6);
    CHECK_INT_EQ(2, u.zonelen);
    CHECK(memcmp(u.zone, "lo", 2) == 0);
    CHECK_INT_EQ(8443, u.port);
    CHECK(!u.default_port);
    CHECK_INT_EQ(7, u.pathlen);
    CHECK(memcmp(u.path, "/a%20b/", 7) == 0);
    CHECK_INT_EQ(3, u.querylen);
    CHECK(memcmp(u.query, "q=1", 3) == 0);

    CHECK_INT_EQ(0, lh_url_parse("http://example.org", &u));
    CHECK_INT_EQ(80, u.port);
    CHECK(u.default_port);
    CHECK_INT_EQ(0, u.pathlen);
    CHECK(u.user == NULL);
    CHECK(u.query == NULL);

    CHECK_INT_EQ(-1, lh_url_parse(NULL, &u));
    CHECK_INT_EQ(-1, lh_url_parse("http://ex\\ample.org/", &u));
    CHECK_INT_EQ(-1, lh_url_parse("http://example.org/\x7f", &u));
    CHECK_INT_EQ(-1, lh_url_parse("http://[::1]x/", &u));
    CHECK_INT_EQ(-1, lh_url_parse("http://[::1%lo]/", &u));
}

static void
test_is_http(void)
{
    CHECK(lh_url_is_http("http://x"));
    CHECK(lh_url_is_http("HTTPS://x"));
    CHECK(!lh_url_is_http("httpx://x"));
    CHECK(!lh_url_is_http("http:/x"));
    CHECK(!lh_url_is_http("/etc/linkhealthd/directory.json"));
    CHECK(!lh_url_is_http(""));
}

static void
test_other_host(void)
{
    CHECK(!lh_url_other_host(EX "/a", "http://www.example.org/b"));
    CHECK(!lh_url_other_host(EX "/a", "https://EXAMPLE.org./"));
    CHECK(lh_url_other_host(EX "/a", "https://example.net/a"));
    CHECK(lh_url_other_host(EX "/a", "https://sub.example.org/a"));
    /* Unparsable: no claim either way. */
    CHECK(!lh_url_other_host(EX "/a", "not a url"));
}

struct iri_row {
    const char *in, *want;      /* want NULL: refused as not an IDN */
};

/* The request form: encoded exactly once; each case beside its control. */
static const struct iri_row to_uri_rows[] = {
    { "https://\xe4\xbe\x8b\xe3\x81\x88.example/",
      "https://xn--r8jz45g.example/" },
    { "https://xn--r8jz45g.example/", "https://xn--r8jz45g.example/" },
    { "https://\xe4\xbe\x8b\xe3\x81\x88.example./p",
      "https://xn--r8jz45g.example./p" },
    { "https://B\xc3\xbc" "cher.Example:8443/a?q=1#top",
      "https://xn--bcher-kva.example:8443/a?q=1" },
    { "https://Example.org/A", "https://Example.org/A" },
    /* UTS #46 nontransitional: "ß" stays (IDNA 2008). */
    { "https://fa\xc3\x9f.de/", "https://xn--fa-hia.de/" },
    { "https://example.org/\xe6\x97\xa5\xe6\x9c\xac",
      "https://example.org/%E6%97%A5%E6%9C%AC" },
    { "https://example.org/%E6%8E%88", "https://example.org/%E6%8E%88" },
    { "https://example.org/%e6%8e%88", "https://example.org/%e6%8e%88" },
    { "https://example.org/\xe6\x8e\x88%E6%8E%88",
      "https://example.org/%E6%8E%88%E6%8E%88" },
    { "https://example.org/a b", "https://example.org/a%20b" },
    { "https://example.org/a%20b", "https://example.org/a%20b" },
    { "https://example.org/100%", "https://example.org/100%25" },
    { "https://example.org/100%25", "https://example.org/100%25" },
    { "https://example.org/50% off", "https://example.org/50%25%20off" },
    { "https://example.org/%zz%4", "https://example.org/%25zz%254" },
    { "https://example.org/a?q=\xe6\x97\xa5 x&r=%41",
      "https://example.org/a?q=%E6%97%A5%20x&r=%41" },
    { "https://example.org/a?b?c", "https://example.org/a?b?c" },
    { "https://example.org/a\"<>{}`", "https://example.org/a%22%3C%3E%7B%7D%60" },
    { "https://example.org/a;b=c,d:e@f~g_h.i-j!$&'()*+",
      "https://example.org/a;b=c,d:e@f~g_h.i-j!$&'()*+" },
    { "https://example.org/p#\xe6\x97\xa5", "https://example.org/p" },
    { "https://\xc3\xa9@example.org/", "https://%C3%A9@example.org/" },
    { "https://[::1]:8080/\xc3\xa9", "https://[::1]:8080/%C3%A9" },
    { "ftp://example.org/a b", "ftp://example.org/a b" },
    /* ZWJ: refused by IDNA 2008 (CONTEXTJ), dropped by the transitional
     * fallback, as curl does. */
    { "https://a\xe2\x80\x8d" "b.example/", "https://ab.example/" },
    { "https://\xcc\x81" "a.example/", NULL },    /* a leading mark */
    { "https://-\xc3\xa9.example/", NULL },
};

static void
test_to_uri(void)
{
    for (size_t i = 0; i < sizeof(to_uri_rows) / sizeof(to_uri_rows[0]);
        i++) {
        const struct iri_row *r = &to_uri_rows[i];
        const char *why = NULL;
        char *out = NULL, *again = NULL;
        int rc = lh_iri_to_uri(r->in, &out, &why);

        if (r->want == NULL) {
            if (rc != -1)
                TEST_FAIL_AT("row %zu: %s: not refused (%s)", i, r->in,
                    out);
            CHECK_STR_EQ(LH_IRI_BAD_IDN, why);
            free(out);
            continue;
        }
        CHECK_INT_EQ(0, rc);
        if (out == NULL || strcmp(out, r->want) != 0)
            TEST_FAIL_AT("row %zu: %s: want %s, got %s", i, r->in, r->want,
                out != NULL ? out : "(null)");
        /* Exactly once: the request form is its own request form. */
        if (out != NULL && lh_iri_to_uri(out, &again, &why) == 0 &&
            strcmp(again, out) != 0)
            TEST_FAIL_AT("row %zu: encoded twice: %s", i, again);
        free(again);
        free(out);
    }
}

/* What people read: U-labels, decoded where it is safe. */
static const struct iri_row display_rows[] = {
    { "https://xn--r8jz45g.example/", "https://\xe4\xbe\x8b\xe3\x81\x88.example/" },
    { "https://XN--R8JZ45G.example/", "https://\xe4\xbe\x8b\xe3\x81\x88.example/" },
    { "https://example.org/", "https://example.org/" },
    { "https://xn--zz.example/", "https://xn--zz.example/" },   /* bad */
    { "https://example.org/%E6%97%A5%E6%9C%AC?q=%E6%97%A5",
      "https://example.org/\xe6\x97\xa5\xe6\x9c\xac?q=\xe6\x97\xa5" },
    { "https://example.org/a%20b%2F%25", "https://example.org/a%20b%2F%25" },
    { "https://example.org/%E6%97", "https://example.org/%E6%97" },
    { "https://example.org/%C3%A9%FF", "https://example.org/\xc3\xa9%FF" },
    { "https://example.org/%E2%80%AEtxt", "https://example.org/%E2%80%AEtxt" },
    { "https://example.org/%C2%A0", "https://example.org/%C2%A0" },
    { "https://example.org/%C2%85", "https://example.org/%C2%85" },
    { "https://example.org/%C0%AF", "https://example.org/%C0%AF" },
    { "https://example.org/%E2%80%8B", "https://example.org/%E2%80%8B" },
};

static void
test_display(void)
{
    for (size_t i = 0; i < sizeof(display_rows) / sizeof(display_rows[0]);
        i++) {
        char *out = lh_iri_display(display_rows[i].in);

        if (out == NULL || strcmp(out, display_rows[i].want) != 0)
            TEST_FAIL_AT("row %zu: %s: want %s, got %s", i,
                display_rows[i].in, display_rows[i].want,
                out != NULL ? out : "(null)");
        free(out);
    }
}

static void
test_host_ascii(void)
{
    char buf[64];

    CHECK_INT_EQ(0, lh_iri_host_ascii("\xe4\xbe\x8b\xe3\x81\x88.example", 14,
        buf, sizeof(buf)));
    CHECK_STR_EQ("xn--r8jz45g.example", buf);
    CHECK_INT_EQ(0, lh_iri_host_ascii("Example.ORGxyz", 11, buf,
        sizeof(buf)));
    CHECK_STR_EQ("example.org", buf);
    CHECK_INT_EQ(-1, lh_iri_host_ascii("-\xc3\xa9", 3, buf, sizeof(buf)));
    CHECK_INT_EQ(-1, lh_iri_host_ascii("example.org", 11, buf, 11));
}

struct script_row {
    const char *url;
    int want;
};

static const struct script_row script_rows[] = {
    { "https://\xd0\xb0pple.example/", 1 },         /* Cyrillic a */
    { "https://xn--pple-43d.example/", 1 },         /* the same, A-label */
    { "https://apple.example/", 0 },
    { "https://web2day.example/", 0 },
    { "https://\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.example/",
      0 },                                          /* пример: Cyrillic */
    { "https://\xe4\xbe\x8b\xe3\x81\x88.example/", 0 },     /* Han, kana */
    { "https://b\xc3\xbc" "cher.example/", 0 },     /* Latin with ü */
    { "https://\xce\xb1\xd0\xb2.example/", 1 },     /* Greek + Cyrillic */
    { "https://[::1]/", 0 },
};

static void
test_mixed_scripts(void)
{
    for (size_t i = 0; i < sizeof(script_rows) / sizeof(script_rows[0]);
        i++) {
        char note[256] = "";
        int rc = lh_iri_mixed_scripts(script_rows[i].url, note,
            sizeof(note));

        if (rc != script_rows[i].want)
            TEST_FAIL_AT("row %zu: %s: want %d, got %d (%s)", i,
                script_rows[i].url, script_rows[i].want, rc, note);
    }
}

int
main(void)
{
    RUN_TEST(test_equivalent);
    RUN_TEST(test_is_home);
    RUN_TEST(test_parse);
    RUN_TEST(test_keys);
    RUN_TEST(test_is_http);
    RUN_TEST(test_other_host);
    RUN_TEST(test_to_uri);
    RUN_TEST(test_display);
    RUN_TEST(test_host_ascii);
    RUN_TEST(test_mixed_scripts);
    TEST_EXIT();
}
