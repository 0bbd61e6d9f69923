/*
 * Tests of classify.c and result.c: the verdict rules row by row (each
 * with both sides of its line), the result record.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "classify.h"
#include "page.h"
#include "result.h"
#include "state.h"
#include "test.h"

#define LONG_URL_MAX 4096

/* Test strings are owned by the result, as check.c's are. */
static char *
dup(const char *s)
{
    char *d;

    if (s == NULL)
        return NULL;
    if ((d = strdup(s)) == NULL) {
        perror("strdup");
        exit(EXIT_FAILURE);
    }
    return d;
}

/* Independent of classify.c's own: is s valid UTF-8 (RFC 3629)? */
static bool
valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p != '\0') {
        unsigned long cp;
        int n;

        if (*p < 0x80) {
            p++;
            continue;
        } else if ((*p & 0xe0) == 0xc0) {
            n = 1;
            cp = *p & 0x1f;
        } else if ((*p & 0xf0) == 0xe0) {
            n = 2;
            cp = *p & 0x0f;
        } else if ((*p & 0xf8) == 0xf0) {
            n = 3;
            cp = *p & 0x07;
        } else {
            return false;
        }
        for (int i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i] & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
            (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        p += n + 1;
    }
    return true;
}

/* What every reason must be: one non-empty line of valid UTF-8 that fits,
 * without a trailing period. */
static void
check_reason_shape(const char *reason)
{
    size_t n = strnlen(reason, LH_REASON_MAX);

    CHECK(n > 0);
    CHECK(n < LH_REASON_MAX);
    CHECK(valid_utf8(reason));
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)reason[i] < 0x20 || reason[i] == 0x7f) {
            TEST_FAIL_AT("control character at %zu in \"%s\"", i, reason);
            break;
        }
    if (n > 0 && reason[n - 1] == '.')
        TEST_FAIL_AT("trailing period in \"%s\"", reason);
}

/* ---- lh_classify ---- */

#define MAX_HOPS 12

struct hop_row {
    const char *url;        /* NULL ends the chain */
    int status;
    const char *location;
};

struct verdict_row {
    const char *name;
    const char *url;
    const char *final_url;
    int status;
    struct hop_row hops[MAX_HOPS];
    enum lh_fail fail;
    const char *error;
    bool get;               /* method GET */
    int head_status;
    int retries;
    bool challenge;
    long retry_after;       /* 0: none (-1 in the result) */
    double total_ms;        /* 0: unknown (-1 in the result) */
    const char *dns_domain; /* registrable domain after an NXDOMAIN */
    bool domain_gone;
    enum lh_state state;
    const char *reason;     /* exact, when set */
    const char *contains;   /* a part of it, when set */
    const char *new_url;    /* NULL: must be NULL */
    int os_errno;
    bool inconclusive;      /* no verdict: the monitor's own failure */
    /* The content check: a page read when page is set. */
    bool page;
    const char *title, *h1;
    bool parked, signin_form, same_as_probe;
    bool refresh_last;      /* the last hop is a refresh */
    int kept_state;
    const char *kept_reason;
};

#define EX "https://example.org"

static const struct verdict_row verdict_rows[] = {
    /* ok: a plain 2xx, and how the GET fallback and retries read */
    { .name = "200", .url = EX "/page", .final_url = EX "/page",
      .status = 200, .state = LH_STATE_OK, .reason = "200 OK" },
    { .name = "204", .url = EX "/page", .final_url = EX "/page",
      .status = 204, .state = LH_STATE_OK, .reason = "204 No Content" },
    { .name = "299 without a phrase", .url = EX "/p", .final_url = EX "/p",
      .status = 299, .state = LH_STATE_OK, .reason = "299" },
    { .name = "HEAD 405, GET 200", .url = EX "/p", .final_url = EX "/p",
      .status = 200, .get = true, .head_status = 405,
      .state = LH_STATE_OK, .reason = "HEAD refused (405), GET 200 OK" },
    { .name = "HEAD 501, GET 200", .url = EX "/p", .final_url = EX "/p",
      .status = 200, .get = true, .head_status = 501,
      .state = LH_STATE_OK, .reason = "HEAD refused (501), GET 200 OK" },
    { .name = "HEAD 403, GET 200", .url = EX "/p", .final_url = EX "/p",
      .status = 200, .get = true, .head_status = 403,
      .state = LH_STATE_OK, .reason = "HEAD 403, GET 200 OK" },
    { .name = "GET straight away: no fallback to mention", .url = EX "/p",
      .final_url = EX "/p", .status = 200, .get = true,
      .state = LH_STATE_OK, .reason = "200 OK" },
    { .name = "200 after 1 retry", .url = EX "/p", .final_url = EX "/p",
      .status = 200, .retries = 1, .state = LH_STATE_OK,
      .reason = "200 OK after 1 retry" },
    { .name = "200 after 2 retries", .url = EX "/p", .final_url = EX "/p",
      .status = 200, .retries = 2, .state = LH_STATE_OK,
      .reason = "200 OK after 2 retries" },
    { .name = "200 with a challenge seen", .url = EX "/p",
      .final_url = EX "/p", .status = 200, .challenge = true,
      .state = LH_STATE_OK, .reason = "200 OK (bot challenge seen)" },
    { .name = "NULL final_url, no hops", .url = EX "/p", .status = 200,
      .state = LH_STATE_OK, .reason = "200 OK" },
    { .name = "NULL listed URL", .final_url = EX "/p", .status = 200,
      .state = LH_STATE_OK, .reason = "200 OK" },
    { .name = "unparsable URLs, no hops", .url = "::::", .final_url = "::::",
      .status = 200, .state = LH_STATE_OK, .reason = "200 OK" },

    /* ok: permanent redirects to the same resource */
    { .name = "301 http to https, same path", .url = "http://example.org/p",
      .final_url = EX "/p", .status = 200,
      .hops = { { "http://example.org/p", 301, EX "/p" } },
      .state = LH_STATE_OK, .reason = "200 OK via 301 → " EX "/p" },
    { .name = "301 adds www", .url = EX "/p",
      .final_url = "https://www.example.org/p", .status = 200,
      .hops = { { EX "/p", 301, "https://www.example.org/p" } },
      .state = LH_STATE_OK },
    { .name = "301 drops www", .url = "http://www.example.org/p",
      .final_url = EX "/p", .status = 200,
      .hops = { { "http://www.example.org/p", 301, EX "/p" } },
      .state = LH_STATE_OK },
    { .name = "301 adds a trailing slash", .url = EX "/dir",
      .final_url = EX "/dir/", .status = 200,
      .hops = { { EX "/dir", 301, EX "/dir/" } }, .state = LH_STATE_OK },
    { .name = "301 lowercases the host", .url = "http://Example.ORG/p",
      .final_url = EX "/p", .status = 200,
      .hops = { { "http://Example.ORG/p", 301, EX "/p" } },
      .state = LH_STATE_OK },
    { .name = "308 drops a default port", .url = "http://example.org:80/p",
      .final_url = EX "/p", .status = 200,
      .hops = { { "http://example.org:80/p", 308, EX "/p" } },
      .state = LH_STATE_OK },
    { .name = "two equivalent hops", .url = "http://example.org/p",
      .final_url = "https://www.example.org/p/", .status = 200,
      .hops = { { "http://example.org/p", 301, EX "/p" },
                { EX "/p", 301, "https://www.example.org/p/" } },
      .state = LH_STATE_OK,
      .reason = "200 OK via 2 redirects → https://www.example.org/p/" },
    { .name = "equivalent 301 then 302 to a login page",
      .url = "http://example.org/p", .final_url = EX "/login?next=/p",
      .status = 200,
      .hops = { { "http://example.org/p", 301, EX "/p" },
                { EX "/p", 302, EX "/login?next=/p" } },
      .state = LH_STATE_BLOCKED,
      .reason = "sign-in required (redirected to " EX "/login?next=/p)" },

    /* moved */
    { .name = "301 to /new", .url = EX "/old", .final_url = EX "/new",
      .status = 200, .hops = { { EX "/old", 301, EX "/new" } },
      .state = LH_STATE_MOVED,
      .reason = "301 → " EX "/new (update the directory)",
      .new_url = EX "/new" },
    { .name = "308 to another site's page", .url = EX "/about",
      .final_url = "https://new.example/about", .status = 200,
      .hops = { { EX "/about", 308, "https://new.example/about" } },
      .state = LH_STATE_MOVED, .new_url = "https://new.example/about" },
    { .name = "home page renamed to another site's deep page",
      .url = "https://old.example/", .final_url = "https://new.example/org",
      .status = 200,
      .hops = { { "https://old.example/", 301, "https://new.example/org" } },
      .state = LH_STATE_MOVED, .new_url = "https://new.example/org" },
    { .name = "https to http is a downgrade, not the same", .url = EX "/p",
      .final_url = "http://example.org/p", .status = 200,
      .hops = { { EX "/p", 301, "http://example.org/p" } },
      .state = LH_STATE_MOVED, .new_url = "http://example.org/p" },
    { .name = "all permanent: new_url is the end", .url = EX "/a",
      .final_url = EX "/c", .status = 200,
      .hops = { { EX "/a", 301, EX "/b" }, { EX "/b", 308, EX "/c" } },
      .state = LH_STATE_MOVED, .new_url = EX "/c",
      .reason = "308 → " EX "/c (update the directory)" },
    { .name = "308 /x then 302 /y: new_url /x", .url = EX "/a",
      .final_url = EX "/y", .status = 200,
      .hops = { { EX "/a", 308, EX "/x" }, { EX "/x", 302, EX "/y" } },
      .state = LH_STATE_MOVED, .new_url = EX "/x",
      .reason = "308 → " EX "/x (update the directory)" },
    { .name = "302 upgrade then 301: the last permanent hop",
      .url = "http://example.org/a", .final_url = EX "/b", .status = 200,
      .hops = { { "http://example.org/a", 302, EX "/a" },
                { EX "/a", 301, EX "/b" } },
      .state = LH_STATE_MOVED, .new_url = EX "/b" },
    { .name = "moved with the GET fallback and a retry", .url = EX "/old",
      .final_url = EX "/new", .status = 200, .get = true,
      .head_status = 405, .retries = 1,
      .hops = { { EX "/old", 301, EX "/new" } }, .state = LH_STATE_MOVED,
      .reason = "301 → " EX "/new (update the directory), GET after HEAD "
          "refused (405) after 1 retry",
      .new_url = EX "/new" },
    { .name = "NULL final_url: the last Location", .url = EX "/old",
      .status = 200, .hops = { { EX "/old", 301, EX "/new" } },
      .state = LH_STATE_MOVED, .new_url = EX "/new" },
    { .name = "301 to the home page with a query is not home",
      .url = EX "/p", .final_url = EX "/?lang=en", .status = 200,
      .hops = { { EX "/p", 301, EX "/?lang=en" } },
      .state = LH_STATE_MOVED, .new_url = EX "/?lang=en" },

    /* ok: temporary redirects to a working page */
    { .name = "302 to a login page", .url = EX "/members",
      .final_url = EX "/login", .status = 200,
      .hops = { { EX "/members", 302, EX "/login" } },
      .state = LH_STATE_BLOCKED,
      .reason = "sign-in required (redirected to " EX "/login)" },
    { .name = "303 to another page", .url = EX "/form",
      .final_url = EX "/thanks", .status = 200,
      .hops = { { EX "/form", 303, EX "/thanks" } }, .state = LH_STATE_OK },
    { .name = "307 to another site", .url = EX "/go",
      .final_url = "https://cdn.example/x", .status = 200,
      .hops = { { EX "/go", 307, "https://cdn.example/x" } },
      .state = LH_STATE_OK },
    { .name = "deep 302 to / and back to the page", .url = EX "/p",
      .final_url = EX "/p", .status = 200,
      .hops = { { EX "/p", 302, EX "/" }, { EX "/", 302, EX "/p" } },
      .state = LH_STATE_OK },
    { .name = "home page 301 to its /index.php", .url = EX "/",
      .final_url = EX "/index.php", .status = 200,
      .hops = { { EX "/", 301, EX "/index.php" } }, .state = LH_STATE_OK },
    { .name = "301 to the same site's home from a home page",
      .url = EX "/index.html", .final_url = "https://www.example.org/",
      .status = 200,
      .hops = { { EX "/index.html", 301, "https://www.example.org/" } },
      .state = LH_STATE_OK },
    { .name = "home page 302 to a locale", .url = EX "/",
      .final_url = EX "/en/", .status = 200,
      .hops = { { EX "/", 302, EX "/en/" } }, .state = LH_STATE_OK },

    /* stale: soft 404s */
    { .name = "301 to / from a deep path", .url = EX "/dept/page",
      .final_url = EX "/", .status = 200,
      .hops = { { EX "/dept/page", 301, EX "/" } }, .state = LH_STATE_STALE,
      .reason = "redirected to the home page " EX "/ — soft 404" },
    { .name = "university page to the main site",
      .url = "https://www2.le.ac.uk/departments/education/research/lsrg",
      .final_url = "https://le.ac.uk/", .status = 200,
      .hops = { { "https://www2.le.ac.uk/departments/education/research/"
                  "lsrg", 301, "https://le.ac.uk/" } },
      .state = LH_STATE_STALE,
      .reason = "redirected to the home page https://le.ac.uk/ — soft 404" },
    { .name = "302 to / from a deep path", .url = EX "/p",
      .final_url = EX "/", .status = 200,
      .hops = { { EX "/p", 302, EX "/" } }, .state = LH_STATE_STALE },
    { .name = "301 to /index.html from a deep path", .url = EX "/p",
      .final_url = EX "/index.html", .status = 200,
      .hops = { { EX "/p", 301, EX "/index.html" } },
      .state = LH_STATE_STALE },
    { .name = "301 to /Default.aspx from a deep path", .url = EX "/p",
      .final_url = EX "/Default.aspx", .status = 200,
      .hops = { { EX "/p", 301, EX "/Default.aspx" } },
      .state = LH_STATE_STALE },
    { .name = "via the home page to a locale", .url = EX "/p",
      .final_url = EX "/en/", .status = 200,
      .hops = { { EX "/p", 301, EX "/" }, { EX "/", 302, EX "/en/" } },
      .state = LH_STATE_STALE,
      .reason = "redirected to the home page " EX "/ — soft 404" },
    { .name = "WordPress ?page_id to /", .url = EX "/?page_id=12",
      .final_url = EX "/", .status = 200,
      .hops = { { EX "/?page_id=12", 301, EX "/" } },
      .state = LH_STATE_STALE },
    { .name = "home page 301 to another site's home",
      .url = "https://lapsed.example/",
      .final_url = "https://parking.example/", .status = 200,
      .hops = { { "https://lapsed.example/", 301,
                  "https://parking.example/" } },
      .state = LH_STATE_STALE,
      .reason = "redirected to another site's home page "
          "https://parking.example/" },
    { .name = "home page 302 to parking, then a lander",
      .url = "http://lapsed.example",
      .final_url = "https://parking.example/lander?d=lapsed.example",
      .status = 200,
      .hops = { { "http://lapsed.example", 302, "https://parking.example/" },
                { "https://parking.example/", 302,
                  "https://parking.example/lander?d=lapsed.example" } },
      .state = LH_STATE_STALE },
    { .name = "soft 404 with the GET fallback", .url = EX "/p",
      .final_url = EX "/", .status = 200, .get = true, .head_status = 405,
      .hops = { { EX "/p", 301, EX "/" } }, .state = LH_STATE_STALE,
      .reason = "redirected to the home page " EX "/ — soft 404, GET after "
          "HEAD refused (405)" },


    /* C1: a sign-in wall, and its look-alikes */
    { .name = "C1 302 to an identity provider", .url = EX "/staff",
      .final_url = "https://idp.example.org/idp/profile/SAML2/Redirect",
      .status = 200, .hops = { { EX "/staff", 302,
      "https://idp.example.org/idp/profile/SAML2/Redirect" } },
      .state = LH_STATE_BLOCKED, .contains = "sign-in required" },
    { .name = "C1 302 to accounts.*", .url = EX "/doc",
      .final_url = "https://accounts.example.com/ServiceLogin?x=1",
      .status = 200, .hops = { { EX "/doc", 302,
      "https://accounts.example.com/ServiceLogin?x=1" } },
      .state = LH_STATE_BLOCKED },
    { .name = "C1 302 to /users/sign_in", .url = EX "/a",
      .final_url = EX "/users/sign_in", .status = 200,
      .hops = { { EX "/a", 302, EX "/users/sign_in" } },
      .state = LH_STATE_BLOCKED },
    { .name = "C1 the page is a sign-in form", .url = EX "/intranet",
      .final_url = EX "/intranet", .status = 200, .page = true,
      .title = "Sign in", .signin_form = true, .state = LH_STATE_BLOCKED,
      .reason = "sign-in required (the page is a sign-in form)" },
    { .name = "C1 control: the listed URL is the login page",
      .url = EX "/login", .final_url = EX "/login", .status = 200,
      .page = true, .title = "Log in", .signin_form = true,
      .state = LH_STATE_OK, .reason = "200 OK" },
    { .name = "C1 control: listed login page redirects to its SSO",
      .url = EX "/login", .final_url = "https://sso.example.org/login",
      .status = 200, .hops = { { EX "/login", 302,
      "https://sso.example.org/login" } }, .state = LH_STATE_OK },
    { .name = "C1 control: a 302 to /blog/logging-tips", .url = EX "/a",
      .final_url = EX "/blog/logging-tips", .status = 200,
      .hops = { { EX "/a", 302, EX "/blog/logging-tips" } },
      .state = LH_STATE_OK },
    { .name = "C1 control: authors.example is no auth host",
      .url = EX "/a", .final_url = "https://authors.example.org/a",
      .status = 200, .hops = { { EX "/a", 302,
      "https://authors.example.org/a" } }, .state = LH_STATE_OK },

    /* C2: redirected to an error page */
    { .name = "C2 302 to /errors/404.html", .url = EX "/p",
      .final_url = EX "/errors/404.html", .status = 200,
      .hops = { { EX "/p", 302, EX "/errors/404.html" } },
      .state = LH_STATE_STALE,
      .reason = "redirected to an error page " EX "/errors/404.html" },
    { .name = "C2 301 to /not-found", .url = EX "/p",
      .final_url = EX "/not-found?from=/p", .status = 200,
      .hops = { { EX "/p", 301, EX "/not-found?from=/p" } },
      .state = LH_STATE_STALE },
    { .name = "C2 302 to /error.aspx", .url = EX "/p",
      .final_url = EX "/Error.aspx?aspxerrorpath=/p", .status = 200,
      .hops = { { EX "/p", 302, EX "/Error.aspx?aspxerrorpath=/p" } },
      .state = LH_STATE_STALE },
    { .name = "C2 control: 302 to /terror-studies", .url = EX "/p",
      .final_url = EX "/terror/studies", .status = 200,
      .hops = { { EX "/p", 302, EX "/terror/studies" } },
      .state = LH_STATE_OK },
    { .name = "C2 control: 302 to /errors-and-omissions-group",
      .url = EX "/p", .final_url = EX "/errors-and-omissions-group/",
      .status = 200, .hops = { { EX "/p", 302,
      EX "/errors-and-omissions-group/" } }, .state = LH_STATE_OK },
    { .name = "C2 control: 302 to /research/error-analysis", .url = EX "/p",
      .final_url = EX "/research/error-analysis", .status = 200,
      .hops = { { EX "/p", 302, EX "/research/error-analysis" } },
      .state = LH_STATE_OK },
    { .name = "C2 control: the listed URL names an error itself",
      .url = EX "/errors/404.html", .final_url = EX "/errors/404.html",
      .status = 200, .state = LH_STATE_OK },

    /* C3: parked */
    { .name = "C3 a parked page", .url = "https://lapsed.example/",
      .final_url = "https://lapsed.example/", .status = 200, .page = true,
      .title = "lapsed.example", .parked = true, .state = LH_STATE_STALE,
      .reason = "domain parked (for sale)" },
    { .name = "C3 redirected to a domain-sale service", .url = EX "/p",
      .final_url = "https://www.hugedomains.com/domain_profile.cfm?d=x",
      .status = 200, .hops = { { EX "/p", 302,
      "https://www.hugedomains.com/domain_profile.cfm?d=x" } },
      .state = LH_STATE_STALE, .contains = "domain parked (for sale) at " },
    { .name = "C3 control: a page that is not parked", .url = EX "/p",
      .final_url = EX "/p", .status = 200, .page = true,
      .title = "Cars for sale", .state = LH_STATE_OK },
    { .name = "C3 control: notdan.com is no sale host", .url = EX "/p",
      .final_url = "https://notdan.com/p", .status = 200,
      .hops = { { EX "/p", 302, "https://notdan.com/p" } },
      .state = LH_STATE_OK },

    /* C4: a soft 404 in the title or h1, many languages */
    { .name = "C4 en title", .url = EX "/p", .final_url = EX "/p",
      .status = 200, .page = true, .title = "Page Not Found | Example",
      .state = LH_STATE_STALE,
      .reason = "soft 404 (the page says \"Page Not Found | Example\")" },
    { .name = "C4 404 in the h1", .url = EX "/p", .final_url = EX "/p",
      .status = 200, .page = true, .title = "Example", .h1 = "Error 404",
      .state = LH_STATE_STALE,
      .reason = "soft 404 (the page says \"Error 404\")" },
    { .name = "C4 en can't be found", .url = EX "/p", .final_url = EX "/p",
      .status = 200, .page = true,
      .h1 = "The page you were looking for can\xe2\x80\x99t be found",
      .state = LH_STATE_STALE },
    { .name = "C4 fr", .url = EX "/p", .final_url = EX "/p", .status = 200,
      .page = true, .title = "Page introuvable", .state = LH_STATE_STALE },
    { .name = "C4 fr accent", .url = EX "/p", .final_url = EX "/p",
      .status = 200, .page = true, .title = "Page non trouv\xc3\xa9" "e",
      .state = LH_STATE_STALE },
    { .name = "C4 de", .url = EX "/p", .final_url = EX "/p", .status = 200,
      .page = true, .h1 = "Seite nicht gefunden", .state = LH_STATE_STALE },
    { .name = "C4 es", .url = EX "/p", .final_url = EX "/p", .status = 200,
      .page = true, .title = "P\xc3\xa1gina no encontrada",
      .state = LH_STATE_STALE },
    { .name = "C4 nl", .url = EX "/p", .final_url = EX "/p", .status = 200,
      .page = true, .title = "Pagina niet gevonden",
      .state = LH_STATE_STALE },
    { .name = "C4 it", .url = EX "/p", .final_url = EX "/p", .status = 200,
      .page = true, .title = "Pagina non trovata", .state = LH_STATE_STALE },
    { .name = "C4 pt", .url = EX "/p", .final_url = EX "/p", .status = 200,
      .page = true, .title = "P\xc3\xa1gina n\xc3\xa3o encontrada",
      .state = LH_STATE_STALE },
    { .name = "C4 ja", .url = EX "/p", .final_url = EX "/p", .status = 200,
      .page = true, .title = "\xe3\x83\x9a\xe3\x83\xbc\xe3\x82\xb8\xe3\x81"
      "\x8c\xe8\xa6\x8b\xe3\x81\xa4\xe3\x81\x8b\xe3\x82\x8a\xe3\x81\xbe\xe3"
      "\x81\x9b\xe3\x82\x93", .state = LH_STATE_STALE },
    { .name = "C4 control: Error Analysis Research Group", .url = EX "/p",
      .final_url = EX "/p", .status = 200, .page = true,
      .title = "Error Analysis Research Group", .h1 = "Error Analysis",
      .state = LH_STATE_OK, .reason = "200 OK" },
    { .name = "C4 control: 4040 is no 404", .url = EX "/p",
      .final_url = EX "/p", .status = 200, .page = true,
      .title = "Route 4040 Consortium", .state = LH_STATE_OK },
    { .name = "C4 control: notfoundation", .url = EX "/p",
      .final_url = EX "/p", .status = 200, .page = true,
      .title = "The Not Foundation", .h1 = "Not Foundational",
      .state = LH_STATE_OK },
    { .name = "C4 control: not found in the body only is not read",
      .url = EX "/p", .final_url = EX "/p", .status = 200, .page = true,
      .title = "Lab", .h1 = "Welcome", .state = LH_STATE_OK },

    /* C5: the server answers every path alike */
    { .name = "C5 same as the probe", .url = EX "/group/p",
      .final_url = EX "/group/p", .status = 200, .page = true,
      .title = "Example", .same_as_probe = true, .state = LH_STATE_STALE,
      .reason = "the site answers every address with the same page "
          "\xe2\x80\x94 soft 404" },
    { .name = "C5 control: the listed URL is the home page", .url = EX "/",
      .final_url = EX "/", .status = 200, .page = true, .title = "Example",
      .same_as_probe = true, .state = LH_STATE_OK },
    { .name = "C5 control: a page unlike the probe", .url = EX "/p",
      .final_url = EX "/p", .status = 200, .page = true,
      .title = "Example", .state = LH_STATE_OK },

    /* A refresh followed as a redirect */
    { .name = "refresh to the home page", .url = EX "/p",
      .final_url = EX "/", .status = 200,
      .hops = { { EX "/p", 200, EX "/" } }, .refresh_last = true,
      .state = LH_STATE_STALE,
      .reason = "refreshed to the home page " EX "/ \xe2\x80\x94 soft 404" },
    { .name = "control: a home page refreshing to itself's equivalent",
      .url = "http://example.org/", .final_url = EX "/", .status = 200,
      .hops = { { "http://example.org/", 200, EX "/" } },
      .refresh_last = true, .state = LH_STATE_OK },
    { .name = "control: refresh to another page", .url = EX "/p",
      .final_url = EX "/q", .status = 200,
      .hops = { { EX "/p", 200, EX "/q" } }, .refresh_last = true,
      .state = LH_STATE_OK },

    /* C6: kept from the last reading */
    { .name = "C6 not read this time: the kept verdict", .url = EX "/p",
      .final_url = EX "/p", .status = 200, .kept_state = LH_STATE_STALE,
      .kept_reason = "soft 404 (the page says \"Not Found\")",
      .state = LH_STATE_STALE,
      .reason = "soft 404 (the page says \"Not Found\")" },
    { .name = "C6 control: read this time, the page decides",
      .url = EX "/p", .final_url = EX "/p", .status = 200, .page = true,
      .title = "Fine", .kept_state = LH_STATE_STALE,
      .kept_reason = "soft 404 (the page says \"Not Found\")",
      .state = LH_STATE_OK },
    { .name = "C6 control: a 404 outranks the kept verdict",
      .url = EX "/p", .final_url = EX "/p", .status = 404,
      .kept_state = LH_STATE_BLOCKED, .kept_reason = "sign-in required",
      .state = LH_STATE_STALE, .reason = "404 Not Found" },

    /* stale: gone */
    { .name = "404", .url = EX "/p", .final_url = EX "/p", .status = 404,
      .state = LH_STATE_STALE, .reason = "404 Not Found" },
    { .name = "410", .url = EX "/p", .final_url = EX "/p", .status = 410,
      .state = LH_STATE_STALE, .reason = "410 Gone" },
    { .name = "404 after a redirect", .url = EX "/p",
      .final_url = EX "/new", .status = 404,
      .hops = { { EX "/p", 301, EX "/new" } }, .state = LH_STATE_STALE,
      .reason = "404 Not Found at " EX "/new" },
    { .name = "HEAD 405, GET 404", .url = EX "/p", .final_url = EX "/p",
      .status = 404, .get = true, .head_status = 405,
      .state = LH_STATE_STALE,
      .reason = "HEAD refused (405), GET 404 Not Found" },

    /* blocked, and the plain statuses next to it */
    { .name = "403 with a challenge", .url = EX "/p", .final_url = EX "/p",
      .status = 403, .challenge = true, .state = LH_STATE_BLOCKED,
      .reason = "blocked by the site (403, bot challenge)" },
    { .name = "403 without a challenge", .url = EX "/p",
      .final_url = EX "/p", .status = 403, .state = LH_STATE_ERROR,
      .reason = "403 Forbidden" },
    { .name = "503 with a challenge", .url = EX "/p", .final_url = EX "/p",
      .status = 503, .challenge = true, .state = LH_STATE_BLOCKED,
      .reason = "blocked by the site (503, bot challenge)" },
    { .name = "503 plain", .url = EX "/p", .final_url = EX "/p",
      .status = 503, .state = LH_STATE_ERROR,
      .reason = "503 Service Unavailable" },
    { .name = "503 plain after 2 retries", .url = EX "/p",
      .final_url = EX "/p", .status = 503, .retries = 2,
      .state = LH_STATE_ERROR,
      .reason = "503 Service Unavailable after 2 retries" },
    { .name = "999", .url = "https://www.linkedin.com/company/x",
      .final_url = "https://www.linkedin.com/company/x", .status = 999,
      .state = LH_STATE_BLOCKED,
      .reason = "blocked by the site (999, request denied)" },
    { .name = "429 final", .url = EX "/p", .final_url = EX "/p",
      .status = 429, .state = LH_STATE_BLOCKED,
      .reason = "blocked by the site (429 Too Many Requests)" },
    { .name = "429 after retries", .url = EX "/p", .final_url = EX "/p",
      .status = 429, .retries = 2, .retry_after = 120,
      .state = LH_STATE_BLOCKED,
      .reason = "blocked by the site (429 Too Many Requests after 2 "
          "retries, asked to wait 120 s)" },
    { .name = "429 after 1 retry", .url = EX "/p", .final_url = EX "/p",
      .status = 429, .retries = 1, .state = LH_STATE_BLOCKED,
      .reason = "blocked by the site (429 Too Many Requests after 1 "
          "retry)" },
    { .name = "403 challenge after the GET fallback", .url = EX "/p",
      .final_url = EX "/p", .status = 403, .challenge = true, .get = true,
      .head_status = 405, .state = LH_STATE_BLOCKED,
      .reason = "blocked by the site (403, bot challenge), GET after HEAD "
          "refused (405)" },
    { .name = "404 with a challenge is still gone", .url = EX "/p",
      .final_url = EX "/p", .status = 404, .challenge = true,
      .state = LH_STATE_STALE },

    /* error: statuses */
    { .name = "500", .url = EX "/p", .final_url = EX "/p", .status = 500,
      .state = LH_STATE_ERROR, .reason = "500 Internal Server Error" },
    { .name = "502", .url = EX "/p", .final_url = EX "/p", .status = 502,
      .state = LH_STATE_ERROR, .reason = "502 Bad Gateway" },
    { .name = "504", .url = EX "/p", .final_url = EX "/p", .status = 504,
      .state = LH_STATE_ERROR, .reason = "504 Gateway Timeout" },
    { .name = "401", .url = EX "/p", .final_url = EX "/p", .status = 401,
      .state = LH_STATE_ERROR, .reason = "401 Unauthorized" },
    { .name = "418 without a phrase", .url = EX "/p", .final_url = EX "/p",
      .status = 418, .state = LH_STATE_ERROR, .reason = "418" },
    { .name = "521 from Cloudflare", .url = EX "/p", .final_url = EX "/p",
      .status = 521, .state = LH_STATE_ERROR,
      .reason = "521 (origin web server is down)" },
    { .name = "500 after a redirect", .url = EX "/p",
      .final_url = EX "/q", .status = 500,
      .hops = { { EX "/p", 302, EX "/q" } }, .state = LH_STATE_ERROR,
      .reason = "500 Internal Server Error at " EX "/q" },
    { .name = "final 302 without a Location", .url = EX "/p",
      .final_url = EX "/p", .status = 302, .state = LH_STATE_ERROR,
      .reason = "302 Found without a usable Location" },
    { .name = "final 304", .url = EX "/p", .final_url = EX "/p",
      .status = 304, .state = LH_STATE_ERROR,
      .reason = "304 Not Modified without a usable Location" },
    { .name = "1xx final", .url = EX "/p", .final_url = EX "/p",
      .status = 100, .state = LH_STATE_ERROR,
      .reason = "unexpected status 100" },
    { .name = "600", .url = EX "/p", .final_url = EX "/p", .status = 600,
      .state = LH_STATE_ERROR, .reason = "unexpected status 600" },
    { .name = "negative status", .url = EX "/p", .status = -1,
      .state = LH_STATE_ERROR, .reason = "unexpected status -1" },
    { .name = "no status, no failure", .url = EX "/p",
      .state = LH_STATE_ERROR, .reason = "no HTTP answer recorded" },

    /* error: the chain or the answer failed */
    { .name = "too many redirects", .url = EX "/0", .final_url = EX "/10",
      .hops = { { EX "/0", 302, EX "/1" }, { EX "/1", 302, EX "/2" },
                { EX "/2", 302, EX "/3" }, { EX "/3", 302, EX "/4" },
                { EX "/4", 302, EX "/5" }, { EX "/5", 302, EX "/6" },
                { EX "/6", 302, EX "/7" }, { EX "/7", 302, EX "/8" },
                { EX "/8", 302, EX "/9" }, { EX "/9", 302, EX "/10" },
                { EX "/10", 302, EX "/11" } },
      .fail = LH_FAIL_TOO_MANY_REDIRECTS, .state = LH_STATE_ERROR,
      .reason = "too many redirects (11)" },
    { .name = "too many redirects, no hops recorded", .url = EX "/0",
      .fail = LH_FAIL_TOO_MANY_REDIRECTS, .state = LH_STATE_ERROR,
      .reason = "too many redirects" },
    { .name = "redirect loop", .url = EX "/a", .final_url = EX "/b",
      .hops = { { EX "/a", 302, EX "/b" }, { EX "/b", 302, EX "/a" } },
      .fail = LH_FAIL_REDIRECT_LOOP, .error = EX "/a",
      .state = LH_STATE_ERROR, .reason = "redirect loop at " EX "/a" },
    { .name = "redirect to file:", .url = EX "/a", .final_url = EX "/a",
      .hops = { { EX "/a", 302, "file:///etc/passwd" } },
      .fail = LH_FAIL_BAD_SCHEME, .error = "file:///etc/passwd",
      .state = LH_STATE_ERROR,
      .reason = "redirect to a forbidden scheme: file:///etc/passwd" },
    { .name = "listed ftp: URL", .url = "ftp://example.org/",
      .fail = LH_FAIL_BAD_SCHEME, .state = LH_STATE_ERROR,
      .reason = "not an http(s) URL: ftp://example.org/" },
    { .name = "listed URL does not parse", .url = "http://exa mple.org/",
      .fail = LH_FAIL_BAD_URL, .error = "Malformed input to a URL function.",
      .state = LH_STATE_ERROR,
      .reason = "bad URL: http://exa mple.org/ (Malformed input to a URL "
          "function)" },
    { .name = "redirect to a bad URL", .url = EX "/a", .final_url = EX "/a",
      .hops = { { EX "/a", 301, "http://[::1/" } }, .fail = LH_FAIL_BAD_URL,
      .state = LH_STATE_ERROR,
      .reason = "redirect to a bad URL: http://[::1/" },
    { .name = "private address", .url = "http://intranet.example/",
      .final_url = "http://intranet.example/",
      .fail = LH_FAIL_FORBIDDEN_ADDRESS, .error = "10.0.0.5",
      .state = LH_STATE_ERROR, .reason = "refused: private address 10.0.0.5" },
    { .name = "private address after a redirect", .url = EX "/a",
      .final_url = "http://router.example/",
      .hops = { { EX "/a", 302, "http://router.example/" } },
      .fail = LH_FAIL_FORBIDDEN_ADDRESS, .error = "192.168.1.1",
      .state = LH_STATE_ERROR,
      .reason = "refused: private address 192.168.1.1 at "
          "http://router.example/" },
    { .name = "private address, no text", .url = EX "/a",
      .fail = LH_FAIL_FORBIDDEN_ADDRESS, .state = LH_STATE_ERROR,
      .reason = "refused: private address" },
    { .name = "garbage answer", .url = EX "/a", .final_url = EX "/a",
      .fail = LH_FAIL_PROTOCOL, .state = LH_STATE_ERROR,
      .reason = "garbage answer, not HTTP" },
    { .name = "garbage answer with curl's text", .url = EX "/a",
      .fail = LH_FAIL_PROTOCOL, .error = "Unsupported HTTP version in "
          "response\n", .state = LH_STATE_ERROR,
      .reason = "garbage answer, not HTTP (Unsupported HTTP version in "
          "response)" },
    { .name = "other with text", .url = EX "/a", .fail = LH_FAIL_OTHER,
      .error = "out of memory", .state = LH_STATE_ERROR,
      .reason = "check failed: out of memory" },
    { .name = "other without text", .url = EX "/a", .fail = LH_FAIL_OTHER,
      .state = LH_STATE_ERROR, .reason = "check failed" },
    { .name = "other with a 200 still fails", .url = EX "/a",
      .status = 200, .fail = LH_FAIL_OTHER, .state = LH_STATE_ERROR },
    { .name = "unknown failure value", .url = EX "/a",
      .fail = (enum lh_fail)99, .state = LH_STATE_ERROR,
      .reason = "check failed (unknown failure 99)" },
    { .name = "error text with a newline stays one line", .url = EX "/a",
      .fail = LH_FAIL_OTHER, .error = "line one\nline two",
      .state = LH_STATE_ERROR, .reason = "check failed: line one line two" },

    /* unreachable */
    { .name = "dns", .url = EX "/a", .final_url = EX "/a",
      .fail = LH_FAIL_DNS, .state = LH_STATE_UNREACHABLE,
      .reason = "DNS: no such host" },
    { .name = "dns after a redirect", .url = EX "/a",
      .final_url = "https://dead.example/",
      .hops = { { EX "/a", 301, "https://dead.example/" } },
      .fail = LH_FAIL_DNS, .state = LH_STATE_UNREACHABLE,
      .reason = "DNS: no such host at https://dead.example/" },
    /* NXDOMAIN: the host alone, or its registrable domain too */
    { .name = "dns, the domain exists", .url = "https://www.example.org/a",
      .final_url = "https://www.example.org/a", .fail = LH_FAIL_DNS,
      .dns_domain = "example.org", .domain_gone = false,
      .state = LH_STATE_UNREACHABLE, .reason = "DNS: no such host" },
    { .name = "dns, the domain lapsed", .url = "https://www.example.org/a",
      .final_url = "https://www.example.org/a", .fail = LH_FAIL_DNS,
      .dns_domain = "example.org", .domain_gone = true,
      .state = LH_STATE_STALE,
      .reason = "domain example.org no longer exists (DNS: no such "
          "domain)" },
    { .name = "dns, lapsed, no domain known", .url = EX "/a",
      .fail = LH_FAIL_DNS, .domain_gone = true,
      .state = LH_STATE_UNREACHABLE, .reason = "DNS: no such host" },
    { .name = "dns, lapsed after a redirect", .url = EX "/a",
      .final_url = "https://dead.example/",
      .hops = { { EX "/a", 301, "https://dead.example/" } },
      .fail = LH_FAIL_DNS, .dns_domain = "dead.example",
      .domain_gone = true, .state = LH_STATE_STALE,
      .reason = "domain dead.example no longer exists (DNS: no such "
          "domain) at https://dead.example/" },
    { .name = "not dns, domain_gone ignored", .url = EX "/a",
      .fail = LH_FAIL_REFUSED, .dns_domain = "example.org",
      .domain_gone = true, .state = LH_STATE_UNREACHABLE,
      .reason = "connection refused" },
    { .name = "dns servfail after 1 retry", .url = EX "/a",
      .fail = LH_FAIL_DNS_SERVFAIL, .retries = 1,
      .state = LH_STATE_UNREACHABLE,
      .reason = "DNS: the name's server failed (SERVFAIL) after 1 retry" },
    { .name = "dns timeout", .url = EX "/a", .fail = LH_FAIL_DNS_TIMEOUT,
      .state = LH_STATE_UNREACHABLE, .reason = "DNS: no answer in time" },
    { .name = "refused", .url = EX "/a", .fail = LH_FAIL_REFUSED,
      .state = LH_STATE_UNREACHABLE, .reason = "connection refused" },
    { .name = "refused after 2 retries", .url = EX "/a",
      .fail = LH_FAIL_REFUSED, .retries = 2, .state = LH_STATE_UNREACHABLE,
      .reason = "connection refused after 2 retries" },
    { .name = "reset, no status", .url = EX "/a", .fail = LH_FAIL_RESET,
      .retries = 1, .state = LH_STATE_UNREACHABLE,
      .reason = "connection reset after 1 retry" },
    { .name = "empty reply", .url = EX "/a", .fail = LH_FAIL_EMPTY_REPLY,
      .state = LH_STATE_UNREACHABLE, .reason = "empty reply from the server" },
    { .name = "tls expired", .url = EX "/a", .fail = LH_FAIL_TLS_EXPIRED,
      .state = LH_STATE_UNREACHABLE, .reason = "TLS: certificate expired" },
    { .name = "tls hostname", .url = EX "/a", .fail = LH_FAIL_TLS_HOSTNAME,
      .state = LH_STATE_UNREACHABLE,
      .reason = "TLS: certificate does not match host" },
    { .name = "tls untrusted", .url = EX "/a",
      .fail = LH_FAIL_TLS_UNTRUSTED, .state = LH_STATE_UNREACHABLE,
      .reason = "TLS: untrusted issuer" },
    { .name = "tls handshake", .url = EX "/a",
      .fail = LH_FAIL_TLS_HANDSHAKE,
      .error = "error:0A00010B:SSL routines::wrong version number",
      .state = LH_STATE_UNREACHABLE,
      .reason = "TLS: handshake failed (error:0A00010B:SSL routines::wrong "
          "version number)" },
    { .name = "tls handshake, no text", .url = EX "/a",
      .fail = LH_FAIL_TLS_HANDSHAKE, .state = LH_STATE_UNREACHABLE,
      .reason = "TLS: handshake failed" },
    { .name = "timeout connect", .url = EX "/a",
      .fail = LH_FAIL_TIMEOUT_CONNECT, .total_ms = 10000.4,
      .state = LH_STATE_UNREACHABLE,
      .reason = "timeout: no connection after 10000 ms" },
    { .name = "timeout tls", .url = EX "/a", .fail = LH_FAIL_TIMEOUT_TLS,
      .total_ms = 15000, .state = LH_STATE_UNREACHABLE,
      .reason = "timeout: TLS handshake unfinished after 15000 ms" },
    { .name = "timeout first byte with retries", .url = EX "/a",
      .fail = LH_FAIL_TIMEOUT_FIRST_BYTE, .total_ms = 30000, .retries = 2,
      .state = LH_STATE_UNREACHABLE,
      .reason = "timeout: no answer (first byte) after 30000 ms and 2 "
          "retries" },
    { .name = "timeout first byte, duration unknown", .url = EX "/a",
      .fail = LH_FAIL_TIMEOUT_FIRST_BYTE, .retries = 1,
      .state = LH_STATE_UNREACHABLE,
      .reason = "timeout: no answer (first byte) after 1 retry" },
    { .name = "timeout first byte, NaN duration", .url = EX "/a",
      .fail = LH_FAIL_TIMEOUT_FIRST_BYTE, .total_ms = NAN,
      .state = LH_STATE_UNREACHABLE,
      .reason = "timeout: no answer (first byte)" },
    { .name = "timeout first byte after a redirect", .url = EX "/a",
      .final_url = EX "/b", .hops = { { EX "/a", 302, EX "/b" } },
      .fail = LH_FAIL_TIMEOUT_FIRST_BYTE, .total_ms = 20000,
      .state = LH_STATE_UNREACHABLE,
      .reason = "timeout: no answer (first byte) after 20000 ms at "
          EX "/b" },
    { .name = "timeout body without a status", .url = EX "/a",
      .fail = LH_FAIL_TIMEOUT_BODY, .total_ms = 5000,
      .state = LH_STATE_UNREACHABLE,
      .reason = "timeout: body unfinished after 5000 ms" },
    /* true names (issue 12, item 4): no route is not a refusal, a
     * certificate not valid yet has not expired, endless headers are a
     * timeout and not the status before them, a huge header is not out
     * of memory */
    { .name = "no route to host", .url = EX "/a", .fail = LH_FAIL_NO_ROUTE,
      .os_errno = EHOSTUNREACH, .state = LH_STATE_UNREACHABLE,
      .reason = "no route to host" },
    { .name = "network unreachable", .url = EX "/a",
      .fail = LH_FAIL_NO_ROUTE, .os_errno = ENETUNREACH,
      .state = LH_STATE_UNREACHABLE, .reason = "network unreachable" },
    { .name = "refused stays refused", .url = EX "/a",
      .fail = LH_FAIL_REFUSED, .os_errno = ECONNREFUSED,
      .state = LH_STATE_UNREACHABLE, .reason = "connection refused" },
    { .name = "tls not yet valid", .url = EX "/a",
      .fail = LH_FAIL_TLS_NOT_YET_VALID, .state = LH_STATE_UNREACHABLE,
      .reason = "TLS: certificate not yet valid" },
    { .name = "timeout headers", .url = EX "/a",
      .fail = LH_FAIL_TIMEOUT_HEADERS, .total_ms = 4000,
      .state = LH_STATE_UNREACHABLE,
      .reason = "timeout: headers unfinished after 4000 ms" },
    { .name = "timeout headers after a 200 status line", .url = EX "/a",
      .final_url = EX "/a", .status = 200, .get = true,
      .fail = LH_FAIL_TIMEOUT_HEADERS, .total_ms = 4000,
      .state = LH_STATE_UNREACHABLE,
      .reason = "timeout: headers unfinished after 4000 ms" },
    { .name = "header too big", .url = EX "/a",
      .fail = LH_FAIL_HEADER_TOO_BIG, .error = "Out of memory",
      .state = LH_STATE_ERROR,
      .reason = "response header too big (Out of memory)" },
    { .name = "header too big, no text", .url = EX "/a",
      .fail = LH_FAIL_HEADER_TOO_BIG, .state = LH_STATE_ERROR,
      .reason = "response header too big" },

    /* the monitor's own failures: no verdict (state unknown, the link
     * keeps its last one); a DNS failure is still a verdict */
    { .name = "local: resolver thread", .url = EX "/a",
      .fail = LH_FAIL_LOCAL, .error = "getaddrinfo() thread failed to start",
      .state = LH_STATE_UNKNOWN, .inconclusive = true,
      .reason = "inconclusive: the monitor's own failure (getaddrinfo() "
          "thread failed to start)" },
    { .name = "local: out of memory after a status", .url = EX "/a",
      .final_url = EX "/a", .status = 200, .fail = LH_FAIL_LOCAL,
      .error = "out of memory", .state = LH_STATE_UNKNOWN,
      .inconclusive = true,
      .reason = "inconclusive: the monitor's own failure (out of memory)" },
    { .name = "local, no text", .url = EX "/a", .fail = LH_FAIL_LOCAL,
      .state = LH_STATE_UNKNOWN, .inconclusive = true,
      .reason = "inconclusive: the monitor's own failure" },
    { .name = "no DNS server", .url = EX "/a",
      .fail = LH_FAIL_DNS_NO_SERVER, .state = LH_STATE_UNKNOWN,
      .inconclusive = true, .reason = "inconclusive: no DNS server answers" },
    { .name = "dns is a verdict", .url = EX "/a", .fail = LH_FAIL_DNS,
      .state = LH_STATE_UNREACHABLE, .reason = "DNS: no such host" },
    { .name = "dns wins over a status", .url = EX "/a",
      .final_url = "https://dead.example/", .status = 301,
      .fail = LH_FAIL_DNS, .state = LH_STATE_UNREACHABLE },

    /* failures after the headers: the status decides */
    { .name = "timeout body after GET 200", .url = EX "/a",
      .final_url = EX "/a", .status = 200, .get = true,
      .fail = LH_FAIL_TIMEOUT_BODY, .total_ms = 5000,
      .state = LH_STATE_OK, .reason = "200 OK" },
    { .name = "timeout body after 404", .url = EX "/a",
      .final_url = EX "/a", .status = 404, .get = true,
      .fail = LH_FAIL_TIMEOUT_BODY, .state = LH_STATE_STALE,
      .reason = "404 Not Found" },
    { .name = "reset after GET 200", .url = EX "/a", .final_url = EX "/a",
      .status = 200, .get = true, .fail = LH_FAIL_RESET,
      .state = LH_STATE_OK, .reason = "200 OK" },

    /* reasons that must be cleaned up */
    { .name = "invalid UTF-8 and a control character in a URL",
      .url = EX "/a", .final_url = EX "/b\xff\x01" "c", .status = 404,
      .hops = { { EX "/a", 301, EX "/b\xff\x01" "c" } },
      .state = LH_STATE_STALE, .reason = "404 Not Found at " EX "/b? c" },
    { .name = "overlong and surrogate encodings", .url = EX "/a",
      .final_url = EX "/\xc0\xaf\xed\xa0\x80", .status = 404,
      .hops = { { EX "/a", 301, EX "/\xc0\xaf\xed\xa0\x80" } },
      .state = LH_STATE_STALE, .reason = "404 Not Found at " EX "/?????" },
    { .name = "a UTF-8 path stays as it is", .url = EX "/a",
      .final_url = EX "/café", .status = 200,
      .hops = { { EX "/a", 301, EX "/café" } }, .state = LH_STATE_MOVED,
      .reason = "301 → " EX "/café (update the directory)",
      .new_url = EX "/café" },
};

static void
build(struct lh_result *r, const struct verdict_row *row)
{
    lh_result_init(r);
    r->url = dup(row->url);
    r->final_url = dup(row->final_url);
    r->http_status = row->status;
    r->method = row->get ? LH_METHOD_GET : LH_METHOD_HEAD;
    r->head_status = row->head_status;
    r->fail = row->fail;
    r->error = dup(row->error);
    r->os_errno = row->os_errno;
    for (size_t i = 0; i < MAX_HOPS && row->hops[i].url != NULL; i++)
        CHECK_INT_EQ(0, lh_result_add_hop(r, row->hops[i].url,
            row->hops[i].status, row->hops[i].location));
    r->attempts = 1;
    r->retries = row->retries;
    r->challenge = row->challenge;
    if (row->retry_after != 0)
        r->retry_after = row->retry_after;
    if (row->total_ms != 0)
        r->timings.total_ms = row->total_ms;
    r->dns_domain = dup(row->dns_domain);
    r->domain_gone = row->domain_gone;
    if (row->refresh_last && r->nhops > 0)
        r->hops[r->nhops - 1].refresh = true;
    if (row->page) {
        if ((r->page = calloc(1, sizeof(*r->page))) == NULL)
            exit(EXIT_FAILURE);
        lh_page_init(r->page);
        r->page->title = dup(row->title);
        r->page->h1 = dup(row->h1);
        r->page->parked = row->parked;
        r->page->signin_form = row->signin_form;
    }
    r->same_as_probe = row->same_as_probe;
    r->kept_state = row->kept_state;
    r->kept_reason = dup(row->kept_reason);
}

/* new_url is borrowed: it must point into the result itself. */
static bool
borrowed(const struct lh_result *r, const char *p)
{
    if (p == r->final_url || p == r->url)
        return true;
    for (size_t i = 0; i < r->nhops; i++)
        if (p == r->hops[i].location || p == r->hops[i].url)
            return true;
    return false;
}

static void
test_verdicts(void)
{
    size_t n = sizeof(verdict_rows) / sizeof(verdict_rows[0]);

    for (size_t i = 0; i < n; i++) {
        const struct verdict_row *row = &verdict_rows[i];
        struct lh_result r;
        struct lh_verdict v;

        TEST_ROW_BEGIN();
        build(&r, row);
        memset(&v, 0xa5, sizeof(v));
        lh_classify(&r, &v);
        CHECK_STR_EQ(lh_state_name(row->state), lh_state_name(v.state));
        CHECK_INT_EQ(row->inconclusive, v.inconclusive);
        check_reason_shape(v.reason);
        if (row->reason != NULL)
            CHECK_STR_EQ(row->reason, v.reason);
        if (row->contains != NULL)
            CHECK_STR_CONTAINS(row->contains, v.reason);
        CHECK_STR_EQ(row->new_url, v.new_url);
        if (v.new_url != NULL)
            CHECK(borrowed(&r, v.new_url));
        lh_result_cleanup(&r);
        TEST_ROW_END(row->name);
    }
    printf("     %zu verdict rows\n", n);
}

/* ---- lh_classify_cycle ---- */

#define MAX_CHECKS 6

struct check_row {
    enum lh_fail fail;      /* LH_FAIL_NONE with status 0 ends the list */
    int status;
    bool hop;               /* a redirect was followed first */
    bool dns_answered;
    const char *error;
    const char *url;        /* NULL: EX "/a" */
};

struct cycle_row {
    const char *name;
    struct check_row checks[MAX_CHECKS];
    bool inconclusive;
    const char *reason;     /* exact, when set */
    enum lh_fail kind;      /* when inconclusive */
};

#define OK200 { LH_FAIL_NONE, 200, false, false, NULL }
#define DNS { LH_FAIL_DNS, 0, false, false, "Could not resolve host" }

static const struct cycle_row cycle_rows[] = {
    { .name = "no checks" },
    { .name = "all ok", .checks = { OK200, OK200 } },
    /* rule 1: one server heard back makes the cycle conclusive */
    { .name = "every name fails to resolve", .checks = { DNS, DNS, DNS },
      .inconclusive = true, .kind = LH_FAIL_DNS,
      .reason = "no name resolves (3 of 3 checks; no server answered any "
          "check)" },
    { .name = "one dead name among live ones", .checks = { DNS, OK200,
      OK200 } },
    { .name = "one refused port among live ones",
      .checks = { { LH_FAIL_REFUSED, 0, false, false, NULL }, OK200 } },
    { .name = "only a refusal: a server answered",
      .checks = { { LH_FAIL_REFUSED, 0, false, false, NULL } } },
    { .name = "a DNS server answered NXDOMAIN",
      .checks = { DNS, DNS, { LH_FAIL_DNS, 0, false, true, NULL } } },
    { .name = "a redirect answered before the name failed",
      .checks = { DNS, { LH_FAIL_DNS, 0, true, false, NULL } } },
    { .name = "a garbage answer is an answer",
      .checks = { DNS, { LH_FAIL_PROTOCOL, 0, false, false, NULL } } },
    { .name = "timeout after connect is an answer",
      .checks = { DNS, { LH_FAIL_TIMEOUT_FIRST_BYTE, 0, false, false,
          NULL } } },
    { .name = "no route and connect timeouts",
      .checks = { { LH_FAIL_NO_ROUTE, 0, false, false, NULL },
          { LH_FAIL_NO_ROUTE, 0, false, false, NULL },
          { LH_FAIL_TIMEOUT_CONNECT, 0, false, false, NULL } },
      .inconclusive = true, .kind = LH_FAIL_NO_ROUTE,
      .reason = "no route to the network (2 of 3 checks; no server "
          "answered any check)" },
    /* the monitor's own failures */
    { .name = "every check failed locally",
      .checks = { { LH_FAIL_LOCAL, 0, false, false, "out of memory" },
          { LH_FAIL_LOCAL, 0, false, false, "thread failed" } },
      .inconclusive = true, .kind = LH_FAIL_LOCAL,
      .reason = "the monitor's own resources failed (2 of 2 checks: out of "
          "memory)" },
    { .name = "no DNS server", .checks = {
          { LH_FAIL_DNS_NO_SERVER, 0, false, false, NULL },
          { LH_FAIL_DNS_NO_SERVER, 0, false, false, NULL } },
      .inconclusive = true, .kind = LH_FAIL_DNS_NO_SERVER,
      .reason = "no DNS server answers (2 of 2 checks)" },
    { .name = "one local failure among live ones",
      .checks = { { LH_FAIL_LOCAL, 0, false, false, "out of memory" },
          OK200 } },
    /* rule 2: checks decided without the network */
    { .name = "only bad URLs",
      .checks = { { LH_FAIL_BAD_URL, 0, false, false, NULL },
          { LH_FAIL_FORBIDDEN_ADDRESS, 0, false, false, NULL } } },
    { .name = "only .invalid names (never looked up)",
      .checks = { { LH_FAIL_DNS, 0, false, false, NULL,
          "https://gone.invalid/" } } },
    { .name = "a .invalid name does not answer for the network",
      .checks = { { LH_FAIL_DNS, 0, false, false, NULL,
          "https://gone.invalid/" }, DNS },
      .inconclusive = true, .kind = LH_FAIL_DNS,
      .reason = "no name resolves (1 of 2 checks; no server answered any "
          "check)" },
    { .name = "a bad URL does not answer for the network",
      .checks = { { LH_FAIL_BAD_URL, 0, false, false, NULL }, DNS },
      .inconclusive = true, .kind = LH_FAIL_DNS,
      .reason = "no name resolves (1 of 2 checks; no server answered any "
          "check)" },
};

static void
test_cycles(void)
{
    size_t n = sizeof(cycle_rows) / sizeof(cycle_rows[0]);

    for (size_t i = 0; i < n; i++) {
        const struct cycle_row *row = &cycle_rows[i];
        struct lh_cycle_tally t;
        char reason[LH_REASON_MAX];
        enum lh_fail kind = LH_FAIL_NONE;
        bool got;

        TEST_ROW_BEGIN();
        lh_cycle_tally_init(&t);
        for (size_t k = 0; k < MAX_CHECKS; k++) {
            const struct check_row *c = &row->checks[k];
            struct lh_result r;

            if (c->fail == LH_FAIL_NONE && c->status == 0)
                break;
            lh_result_init(&r);
            r.url = dup(c->url != NULL ? c->url : EX "/a");
            r.fail = c->fail;
            r.http_status = c->status;
            r.dns_answered = c->dns_answered;
            r.error = dup(c->error);
            if (c->hop)
                CHECK_INT_EQ(0, lh_result_add_hop(&r, EX "/a", 301,
                    "https://gone.example/"));
            lh_cycle_tally_add(&t, &r);
            lh_result_cleanup(&r);
        }
        got = lh_classify_cycle(&t, reason, sizeof(reason), &kind);
        CHECK_INT_EQ(row->inconclusive, got);
        if (got) {
            check_reason_shape(reason);
            CHECK_STR_EQ(lh_fail_name(row->kind), lh_fail_name(kind));
        }
        if (row->reason != NULL)
            CHECK_STR_EQ(row->reason, reason);
        TEST_ROW_END(row->name);
    }
    printf("     %zu cycle rows\n", n);
}

static void
test_classify_null(void)
{
    struct lh_result r;
    struct lh_verdict v;

    lh_classify(NULL, &v);
    CHECK_INT_EQ(LH_STATE_UNKNOWN, v.state);
    CHECK_STR_EQ("not checked", v.reason);
    CHECK(v.new_url == NULL);

    /* An initialized, empty record: nothing asked, nothing answered. */
    lh_result_init(&r);
    lh_classify(&r, &v);
    CHECK_INT_EQ(LH_STATE_ERROR, v.state);
    check_reason_shape(v.reason);
    lh_classify(&r, NULL);
    lh_result_cleanup(&r);
}

/* Long URLs are cut at a character boundary, with "…", in every width of
 * UTF-8 character and at every offset of the cut. */
static void
test_long_urls(void)
{
    static const char *const chars[] = { "a", "é", "€", "😀" };
    char url[LONG_URL_MAX];

    for (size_t c = 0; c < sizeof(chars) / sizeof(chars[0]); c++) {
        for (size_t shift = 0; shift < 4; shift++) {
            size_t len, clen = strlen(chars[c]);
            struct lh_result r;
            struct lh_verdict v;
            char name[64];
            int n;

            TEST_ROW_BEGIN();
            n = snprintf(name, sizeof(name), "long URL of %s, shift %zu",
                chars[c], shift);
            CHECK(n > 0 && (size_t)n < sizeof(name));
            n = snprintf(url, sizeof(url), "%s/%.*s", EX, (int)shift,
                "xxx");
            CHECK(n > 0 && (size_t)n < sizeof(url));
            len = (size_t)n;
            while (len + clen < 2000) {
                memcpy(url + len, chars[c], clen);
                len += clen;
            }
            url[len] = '\0';

            lh_result_init(&r);
            r.url = dup(EX "/old");
            r.final_url = dup(url);
            r.http_status = 200;
            r.retries = 3;
            r.method = LH_METHOD_GET;
            r.head_status = 405;
            CHECK_INT_EQ(0, lh_result_add_hop(&r, EX "/old", 301, url));
            lh_classify(&r, &v);
            CHECK_INT_EQ(LH_STATE_MOVED, v.state);
            CHECK_STR_EQ(url, v.new_url);
            check_reason_shape(v.reason);
            CHECK_STR_CONTAINS("… (update the directory)", v.reason);
            CHECK_STR_CONTAINS("after 3 retries", v.reason);

            /* The same URL as the place of an error, and as the listed
             * one, with a long error text besides. */
            free(r.error);
            r.error = dup(url);
            r.fail = LH_FAIL_FORBIDDEN_ADDRESS;
            lh_classify(&r, &v);
            CHECK_INT_EQ(LH_STATE_ERROR, v.state);
            check_reason_shape(v.reason);
            CHECK_STR_CONTAINS("refused: private address https://", v.reason);
            CHECK(v.new_url == NULL);
            lh_result_cleanup(&r);
            TEST_ROW_END(name);
        }
    }
}

/* ---- names ---- */


static void
test_fail_names(void)
{
    static const char *const want[] = {
        "none", "dns", "refused", "reset", "empty-reply", "tls-expired",
        "tls-hostname", "tls-untrusted", "tls-handshake", "timeout-connect",
        "timeout-tls", "timeout-first-byte", "timeout-body", "protocol",
        "too-many-redirects", "redirect-loop", "bad-scheme", "bad-url",
        "forbidden-address", "dns-servfail", "dns-timeout", "dns-no-server",
        "no-route", "tls-not-yet-valid", "timeout-headers", "header-too-big",
        "bad-idn", "local", "other"
    };
    size_t n = sizeof(want) / sizeof(want[0]);

    CHECK_INT_EQ(LH_FAIL_OTHER + 1, n);
    for (size_t i = 0; i < n; i++) {
        TEST_ROW_BEGIN();
        CHECK_STR_EQ(want[i], lh_fail_name((enum lh_fail)i));
        TEST_ROW_END(want[i]);
    }
    CHECK_STR_EQ("unknown", lh_fail_name((enum lh_fail)(LH_FAIL_OTHER + 1)));
    CHECK_STR_EQ("unknown", lh_fail_name((enum lh_fail)-1));
    CHECK_STR_EQ("HEAD", lh_method_name(LH_METHOD_HEAD));
    CHECK_STR_EQ("GET", lh_method_name(LH_METHOD_GET));
    CHECK_STR_EQ("?", lh_method_name((enum lh_method)7));
}

/* ---- result.c ---- */

static void
test_result_init(void)
{
    struct lh_result r;

    memset(&r, 0x5a, sizeof(r));
    lh_result_init(&r);
    CHECK(r.url == NULL && r.final_url == NULL && r.error == NULL);
    CHECK(r.hops == NULL);
    CHECK_INT_EQ(0, r.nhops);
    CHECK_INT_EQ(0, r.http_status);
    CHECK_INT_EQ(LH_METHOD_HEAD, r.method);
    CHECK_INT_EQ(0, r.head_status);
    CHECK(!r.head_skipped && !r.challenge);
    CHECK_INT_EQ(LH_FAIL_NONE, r.fail);
    CHECK_INT_EQ(0, r.attempts);
    CHECK_INT_EQ(0, r.retries);
    CHECK_INT_EQ(-1, r.retry_after);
    CHECK(r.timings.dns_ms == -1 && r.timings.connect_ms == -1 &&
        r.timings.tls_ms == -1 && r.timings.first_byte_ms == -1 &&
        r.timings.total_ms == -1);
    CHECK_INT_EQ(0, r.cert_expiry);
    CHECK_INT_EQ(0, r.checked_at);
    lh_result_cleanup(&r);
}

static void
test_result_hops(void)
{
    struct lh_result r;
    char url[64], loc[64];

    lh_result_init(&r);
    /* Many more than any chain, through every doubling. */
    for (int i = 0; i < 100; i++) {
        int n = snprintf(url, sizeof(url), EX "/%d", i);
        int m = snprintf(loc, sizeof(loc), EX "/%d", i + 1);

        CHECK(n > 0 && (size_t)n < sizeof(url));
        CHECK(m > 0 && (size_t)m < sizeof(loc));
        CHECK_INT_EQ(0, lh_result_add_hop(&r, url, 300 + i % 9,
            i == 50 ? NULL : loc));
        /* The strings were copied, not kept. */
        memset(url, 'x', sizeof(url) - 1);
        url[sizeof(url) - 1] = '\0';
        memset(loc, 'x', sizeof(loc) - 1);
        loc[sizeof(loc) - 1] = '\0';
    }
    CHECK_INT_EQ(100, r.nhops);
    for (int i = 0; i < 100; i++) {
        TEST_ROW_BEGIN();
        int n = snprintf(url, sizeof(url), EX "/%d", i);
        int m = snprintf(loc, sizeof(loc), EX "/%d", i + 1);

        CHECK(n > 0 && (size_t)n < sizeof(url));
        CHECK(m > 0 && (size_t)m < sizeof(loc));
        CHECK_STR_EQ(url, r.hops[i].url);
        CHECK_INT_EQ(300 + i % 9, r.hops[i].status);
        CHECK_STR_EQ(i == 50 ? NULL : loc, r.hops[i].location);
        TEST_ROW_END(url);
    }
    lh_result_cleanup(&r);
    CHECK(r.hops == NULL);
    CHECK_INT_EQ(0, r.nhops);
    /* And it can be used again after the cleanup. */
    CHECK_INT_EQ(0, lh_result_add_hop(&r, NULL, 301, NULL));
    CHECK_INT_EQ(1, r.nhops);
    CHECK(r.hops[0].url == NULL && r.hops[0].location == NULL);
    lh_result_cleanup(&r);
}

static void
test_result_reset_cleanup(void)
{
    struct lh_result r;
    const char *url;

    lh_result_init(&r);
    r.url = dup(EX "/listed");
    url = r.url;
    r.final_url = dup(EX "/final");
    r.error = dup("boom");
    r.http_status = 503;
    r.method = LH_METHOD_GET;
    r.head_status = 405;
    r.head_skipped = true;
    r.fail = LH_FAIL_RESET;
    r.attempts = 2;
    r.retries = 1;
    r.challenge = true;
    r.retry_after = 30;
    r.timings.total_ms = 1234;
    r.cert_expiry = 1700000000;
    r.checked_at = 1700000001;
    CHECK_INT_EQ(0, lh_result_add_hop(&r, EX "/listed", 302, EX "/final"));

    lh_result_reset(&r);
    CHECK(r.url == url);
    CHECK_STR_EQ(EX "/listed", r.url);
    CHECK(r.final_url == NULL && r.error == NULL && r.hops == NULL);
    CHECK_INT_EQ(0, r.nhops);
    CHECK_INT_EQ(0, r.http_status);
    CHECK_INT_EQ(LH_METHOD_HEAD, r.method);
    CHECK_INT_EQ(0, r.head_status);
    CHECK(!r.head_skipped && !r.challenge);
    CHECK_INT_EQ(LH_FAIL_NONE, r.fail);
    CHECK_INT_EQ(0, r.attempts);
    CHECK_INT_EQ(0, r.retries);
    CHECK_INT_EQ(-1, r.retry_after);
    CHECK(r.timings.total_ms == -1);
    CHECK_INT_EQ(0, r.cert_expiry);
    CHECK_INT_EQ(0, r.checked_at);
    /* Hops start afresh after a reset. */
    CHECK_INT_EQ(0, lh_result_add_hop(&r, EX "/listed", 301, EX "/x"));
    CHECK_INT_EQ(1, r.nhops);

    lh_result_cleanup(&r);
    CHECK(r.url == NULL && r.final_url == NULL && r.error == NULL);
    CHECK(r.hops == NULL);
    CHECK_INT_EQ(0, r.nhops);
    CHECK_INT_EQ(0, r.retry_after);     /* zeroed, not re-initialized */
    /* A second cleanup, and one of NULL, do nothing. */
    lh_result_cleanup(&r);
    lh_result_cleanup(NULL);
}

int
main(void)
{
    RUN_TEST(test_verdicts);
    RUN_TEST(test_cycles);
    RUN_TEST(test_classify_null);
    RUN_TEST(test_long_urls);
    RUN_TEST(test_fail_names);
    RUN_TEST(test_result_init);
    RUN_TEST(test_result_hops);
    RUN_TEST(test_result_reset_cleanup);
    TEST_EXIT();
}
