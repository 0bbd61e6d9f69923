/*
 * classify_fail: the reason when a check failed before an answer could
 * decide: the server never heard (DNS, refusals, TLS, timeouts), a lapsed
 * domain, a broken chain or answer, the monitor's own failure.  Pure.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "classify_internal.h"
#include "iri.h"

/* The check's error text, between before and after, when there is one. */
static void
error_text(struct lh_reason *b, const struct lh_result *r,
    const char *before, const char *after)
{
    if (!lh_classify_has_text(r->error))
        return;
    lh_reason_cat(b, before);
    lh_reason_error(b, r->error);
    lh_reason_cat(b, after);
}

/* The URL a failed redirect pointed at: the last hop's Location. */
static const char *
last_target(const struct lh_result *r)
{
    if (r->nhops > 0 && r->hops[r->nhops - 1].location != NULL)
        return r->hops[r->nhops - 1].location;
    return NULL;
}

static bool
total_known(const struct lh_result *r)
{
    double t = r->timings.total_ms;

    /* Also false for NaN. */
    return t >= 0 && t < 1e12;
}

static void
timeout_reason(struct lh_reason *b, const struct lh_result *r, const char *what)
{
    lh_reason_cat(b, "timeout: ");
    lh_reason_cat(b, what);
    if (total_known(r)) {
        lh_reason_printf(b, " after %.0f ms", r->timings.total_ms);
        if (r->retries == 1)
            lh_reason_cat(b, " and 1 retry");
        else if (r->retries > 1)
            lh_reason_printf(b, " and %d retries", r->retries);
        lh_classify_where(b, r);
    } else {
        lh_classify_where(b, r);
        lh_classify_retries(b, r);
    }
}

/* Failures where the server was never heard: unreachable. */
bool
lh_classify_fail_unreachable(struct lh_reason *b, const struct lh_result *r)
{
    const char *text;

    switch (r->fail) {
    case LH_FAIL_DNS:
        text = "DNS: no such host";
        break;
    case LH_FAIL_DNS_SERVFAIL:
        /* Retried first (check.c); what outlasts the retries is what a
         * visitor meets too. */
        text = "DNS: the name's server failed (SERVFAIL)";
        break;
    case LH_FAIL_DNS_TIMEOUT:
        text = "DNS: no answer in time";
        break;
    case LH_FAIL_REFUSED:
        text = "connection refused";
        break;
    case LH_FAIL_RESET:
        text = "connection reset";
        break;
    case LH_FAIL_EMPTY_REPLY:
        text = "empty reply from the server";
        break;
    case LH_FAIL_TLS_EXPIRED:
        text = "TLS: certificate expired";
        break;
    case LH_FAIL_TLS_HOSTNAME:
        text = "TLS: certificate does not match host";
        break;
    case LH_FAIL_TLS_UNTRUSTED:
        text = "TLS: untrusted issuer";
        break;
    case LH_FAIL_TLS_NOT_YET_VALID:
        text = "TLS: certificate not yet valid";
        break;
    case LH_FAIL_NO_ROUTE:
        text = r->os_errno == ENETUNREACH ? "network unreachable" :
            "no route to host";
        break;
    case LH_FAIL_TLS_HANDSHAKE:
        lh_reason_cat(b, "TLS: handshake failed");
        error_text(b, r, " (", ")");
        lh_classify_where(b, r);
        lh_classify_retries(b, r);
        return true;
    case LH_FAIL_TIMEOUT_CONNECT:
        timeout_reason(b, r, "no connection");
        return true;
    case LH_FAIL_TIMEOUT_TLS:
        timeout_reason(b, r, "TLS handshake unfinished");
        return true;
    case LH_FAIL_TIMEOUT_FIRST_BYTE:
        timeout_reason(b, r, "no answer (first byte)");
        return true;
    case LH_FAIL_TIMEOUT_BODY:
        timeout_reason(b, r, "body unfinished");
        return true;
    case LH_FAIL_TIMEOUT_HEADERS:
        timeout_reason(b, r, "headers unfinished");
        return true;
    default:
        return false;
    }
    lh_reason_cat(b, text);
    lh_classify_where(b, r);
    lh_classify_retries(b, r);
    return true;
}

/*
 * NXDOMAIN where the registrable domain (Public Suffix List) does not
 * exist either: the domain has lapsed, and the link is stale, not down.
 * When only the host is gone, lh_classify_fail_unreachable says so.
 */
bool
lh_classify_domain_lapsed(struct lh_verdict *v, struct lh_reason *b,
    const struct lh_result *r)
{
    if (r->fail != LH_FAIL_DNS || !r->domain_gone ||
        !lh_classify_has_text(r->dns_domain))
        return false;
    v->state = LH_STATE_STALE;
    lh_reason_cat(b, "domain ");
    lh_reason_cat_limit(b, r->dns_domain, strlen(r->dns_domain),
        LH_REASON_URL_MAX);
    lh_reason_cat(b, " no longer exists (DNS: no such domain)");
    lh_classify_where(b, r);
    lh_classify_retries(b, r);
    return true;
}

/* Failures of the chain or the answer itself: error. */
void
lh_classify_fail_error(struct lh_reason *b, const struct lh_result *r)
{
    const char *target = last_target(r);

    switch (r->fail) {
    case LH_FAIL_TOO_MANY_REDIRECTS:
        if (r->nhops > 0)
            lh_reason_printf(b, "too many redirects (%zu)", r->nhops);
        else
            lh_reason_cat(b, "too many redirects");
        break;
    case LH_FAIL_REDIRECT_LOOP:
        lh_reason_cat(b, "redirect loop at ");
        lh_reason_url(b, target != NULL ? target : lh_classify_final_url(r));
        break;
    case LH_FAIL_BAD_SCHEME:
        if (target != NULL) {
            lh_reason_cat(b, "redirect to a forbidden scheme: ");
            lh_reason_url(b, target);
        } else {
            lh_reason_cat(b, "not an http(s) URL: ");
            lh_reason_url(b, r->url);
        }
        break;
    case LH_FAIL_BAD_URL:
        if (target != NULL) {
            lh_reason_cat(b, "redirect to a bad URL: ");
            lh_reason_url(b, target);
        } else {
            lh_reason_cat(b, "bad URL: ");
            lh_reason_url(b, r->url);
            error_text(b, r, " (", ")");
        }
        break;
    case LH_FAIL_BAD_IDN:
        lh_reason_cat(b, target != NULL ? "redirect to " : "");
        lh_reason_url(b, target != NULL ? target : r->url);
        lh_reason_cat(b, ": " LH_IRI_BAD_IDN);
        break;
    case LH_FAIL_FORBIDDEN_ADDRESS:
        lh_reason_cat(b, "refused: private address");
        error_text(b, r, " ", "");
        lh_classify_where(b, r);
        break;
    case LH_FAIL_PROTOCOL:
        lh_reason_cat(b, "garbage answer, not HTTP");
        error_text(b, r, " (", ")");
        lh_classify_where(b, r);
        break;
    case LH_FAIL_HEADER_TOO_BIG:
        lh_reason_cat(b, "response header too big");
        error_text(b, r, " (", ")");
        lh_classify_where(b, r);
        break;
    case LH_FAIL_OTHER:
        lh_reason_cat(b, "check failed");
        error_text(b, r, ": ", "");
        lh_classify_where(b, r);
        break;
    default:
        lh_reason_printf(b, "check failed (unknown failure %d)", (int)r->fail);
        break;
    }
    lh_classify_retries(b, r);
}

/* The monitor's own failure, in words: never the link's. */
void
lh_classify_local_reason(struct lh_reason *b, const struct lh_result *r)
{
    if (r->fail == LH_FAIL_DNS_NO_SERVER) {
        lh_reason_cat(b, "no DNS server answers");
        return;
    }
    lh_reason_cat(b, "the monitor's own failure");
    error_text(b, r, " (", ")");
}
