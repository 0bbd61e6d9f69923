/*
 * result: the record of one link check and its small name tables.  Owns
 * the strings inside struct lh_result; knows nothing of how they were got.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "page.h"
#include "result.h"
#include "url.h"

#define HOPS_MIN 4      /* first allocation of the hop array */

void
lh_result_init(struct lh_result *r)
{
    memset(r, 0, sizeof(*r));
    r->retry_after = -1;
    r->timings.dns_ms = -1;
    r->timings.connect_ms = -1;
    r->timings.tls_ms = -1;
    r->timings.first_byte_ms = -1;
    r->timings.total_ms = -1;
    r->content_length = -1;
}

static void
free_hops(struct lh_result *r)
{
    for (size_t i = 0; i < r->nhops; i++) {
        free(r->hops[i].url);
        free(r->hops[i].location);
    }
    free(r->hops);
    r->hops = NULL;
    r->nhops = 0;
}

void
lh_result_cleanup(struct lh_result *r)
{
    if (r == NULL)
        return;
    free(r->url);
    free(r->final_url);
    free(r->error);
    free(r->dns_domain);
    free_hops(r);
    lh_result_drop_page(r);
    memset(r, 0, sizeof(*r));
}

void
lh_result_drop_page(struct lh_result *r)
{
    lh_page_cleanup(r->page);
    free(r->page);
    free(r->seen_url);
    free(r->etag);
    free(r->last_modified);
    free(r->kept_reason);
    r->page = NULL;
    r->seen_url = r->etag = r->last_modified = r->kept_reason = NULL;
}

void
lh_result_reset(struct lh_result *r)
{
    char *url = r->url;

    /* Everything but url goes, retries and attempts included: the caller
     * that retries carries its own count across the reset. */
    r->url = NULL;
    lh_result_cleanup(r);
    lh_result_init(r);
    r->url = url;
}

/*
 * The struct has no capacity field, so the capacity is implied by nhops:
 * 0 when empty, else the smallest power of two >= max(nhops, HOPS_MIN).
 * The array is reallocated exactly when nhops reaches that capacity, which
 * doubles it.  This holds as long as hops are only added through here.
 */
static int
is_full(size_t n)
{
    if (n == 0)
        return 1;
    if (n < HOPS_MIN)
        return 0;
    return (n & (n - 1)) == 0;
}

int
lh_result_add_hop(struct lh_result *r, const char *url, int status,
    const char *location)
{
    char *u = NULL, *loc = NULL;
    struct lh_hop *hops;

    if (url != NULL && (u = strdup(url)) == NULL)
        goto fail;
    if (location != NULL && (loc = strdup(location)) == NULL)
        goto fail;
    if (is_full(r->nhops)) {
        size_t cap = r->nhops == 0 ? HOPS_MIN : r->nhops * 2;

        if (cap < r->nhops || cap > SIZE_MAX / sizeof(*hops))
            goto fail;
        if ((hops = realloc(r->hops, cap * sizeof(*hops))) == NULL)
            goto fail;
        r->hops = hops;
    }
    /* Every field: one added later (refresh) is never left unset. */
    r->hops[r->nhops] = (struct lh_hop){ .url = u, .status = status,
        .location = loc };
    r->nhops++;
    return 0;

fail:
    free(loc);
    free(u);
    return -1;
}

bool
lh_result_heard_back(const struct lh_result *r)
{
    if (r->http_status > 0 || r->nhops > 0 || r->dns_answered)
        return true;
    switch (r->fail) {
    case LH_FAIL_NONE:          /* a finished check has a status */
    case LH_FAIL_REFUSED:
    case LH_FAIL_RESET:
    case LH_FAIL_EMPTY_REPLY:
    case LH_FAIL_TLS_EXPIRED:
    case LH_FAIL_TLS_HOSTNAME:
    case LH_FAIL_TLS_UNTRUSTED:
    case LH_FAIL_TLS_HANDSHAKE:
    case LH_FAIL_TLS_NOT_YET_VALID:
    case LH_FAIL_TIMEOUT_TLS:
    case LH_FAIL_TIMEOUT_FIRST_BYTE:
    case LH_FAIL_TIMEOUT_BODY:
    case LH_FAIL_TIMEOUT_HEADERS:
    case LH_FAIL_HEADER_TOO_BIG:
    case LH_FAIL_PROTOCOL:
    case LH_FAIL_TOO_MANY_REDIRECTS:
    case LH_FAIL_REDIRECT_LOOP:
        return true;
    default:
        return false;
    }
}

bool
lh_result_offline(const struct lh_result *r)
{
    const char *url = r->final_url != NULL ? r->final_url : r->url;
    char host[256];

    if (r->nhops > 0)
        return false;
    /* A .invalid name is never looked up: its failure is certain. */
    if (r->fail == LH_FAIL_DNS)
        return url != NULL &&
            lh_url_host(url, host, sizeof(host)) == 0 &&
            lh_url_is_invalid_host(host);
    return r->fail == LH_FAIL_BAD_URL || r->fail == LH_FAIL_BAD_SCHEME ||
        r->fail == LH_FAIL_BAD_IDN || r->fail == LH_FAIL_FORBIDDEN_ADDRESS;
}

bool
lh_result_local(const struct lh_result *r)
{
    return r->fail == LH_FAIL_LOCAL || r->fail == LH_FAIL_DNS_NO_SERVER;
}

const char *
lh_method_name(enum lh_method m)
{
    switch (m) {
    case LH_METHOD_HEAD:
        return "HEAD";
    case LH_METHOD_GET:
        return "GET";
    }
    return "?";
}

/* Stable ids: they appear in the status JSON, so never rename one. */
static const char *const fail_names[] = {
    [LH_FAIL_NONE] = "none",
    [LH_FAIL_DNS] = "dns",
    [LH_FAIL_REFUSED] = "refused",
    [LH_FAIL_RESET] = "reset",
    [LH_FAIL_EMPTY_REPLY] = "empty-reply",
    [LH_FAIL_TLS_EXPIRED] = "tls-expired",
    [LH_FAIL_TLS_HOSTNAME] = "tls-hostname",
    [LH_FAIL_TLS_UNTRUSTED] = "tls-untrusted",
    [LH_FAIL_TLS_HANDSHAKE] = "tls-handshake",
    [LH_FAIL_TIMEOUT_CONNECT] = "timeout-connect",
    [LH_FAIL_TIMEOUT_TLS] = "timeout-tls",
    [LH_FAIL_TIMEOUT_FIRST_BYTE] = "timeout-first-byte",
    [LH_FAIL_TIMEOUT_BODY] = "timeout-body",
    [LH_FAIL_PROTOCOL] = "protocol",
    [LH_FAIL_TOO_MANY_REDIRECTS] = "too-many-redirects",
    [LH_FAIL_REDIRECT_LOOP] = "redirect-loop",
    [LH_FAIL_BAD_SCHEME] = "bad-scheme",
    [LH_FAIL_BAD_URL] = "bad-url",
    [LH_FAIL_FORBIDDEN_ADDRESS] = "forbidden-address",
    [LH_FAIL_DNS_SERVFAIL] = "dns-servfail",
    [LH_FAIL_DNS_TIMEOUT] = "dns-timeout",
    [LH_FAIL_DNS_NO_SERVER] = "dns-no-server",
    [LH_FAIL_NO_ROUTE] = "no-route",
    [LH_FAIL_TLS_NOT_YET_VALID] = "tls-not-yet-valid",
    [LH_FAIL_TIMEOUT_HEADERS] = "timeout-headers",
    [LH_FAIL_HEADER_TOO_BIG] = "header-too-big",
    [LH_FAIL_BAD_IDN] = "bad-idn",
    [LH_FAIL_LOCAL] = "local",
    [LH_FAIL_OTHER] = "other"
};

const char *
lh_fail_name(enum lh_fail f)
{
    size_t i = (size_t)f;

    if (i >= sizeof(fail_names) / sizeof(fail_names[0]) ||
        fail_names[i] == NULL)
        return "unknown";
    return fail_names[i];
}
