/*
 * classify: a check record -> a state and a one-line reason.  Pure: no I/O,
 * no clock, no allocation, no curl; URLs are read by lib/url.c.  Here: the
 * entry points, the status and redirect-chain rules, the cycle's verdict;
 * the failure reasons are in classify_fail.c, rot behind a 2xx in
 * classify_page.c, and the buffer a reason is written into in reason.c.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "classify.h"
#include "classify_internal.h"
#include "reason.h"
#include "url.h"

/*
 * Status phrases.  Standard ones read "404 Not Found"; the notes for
 * non-standard codes read "999 (request denied)".
 */
struct phrase {
    int status;
    const char *text;
    bool note;
};

static const struct phrase phrases[] = {
    { 200, "OK", false },
    { 201, "Created", false },
    { 202, "Accepted", false },
    { 203, "Non-Authoritative Information", false },
    { 204, "No Content", false },
    { 206, "Partial Content", false },
    { 300, "Multiple Choices", false },
    { 301, "Moved Permanently", false },
    { 302, "Found", false },
    { 303, "See Other", false },
    { 304, "Not Modified", false },
    { 307, "Temporary Redirect", false },
    { 308, "Permanent Redirect", false },
    { 400, "Bad Request", false },
    { 401, "Unauthorized", false },
    { 402, "Payment Required", false },
    { 403, "Forbidden", false },
    { 404, "Not Found", false },
    { 405, "Method Not Allowed", false },
    { 406, "Not Acceptable", false },
    { 407, "Proxy Authentication Required", false },
    { 408, "Request Timeout", false },
    { 409, "Conflict", false },
    { 410, "Gone", false },
    { 411, "Length Required", false },
    { 412, "Precondition Failed", false },
    { 413, "Content Too Large", false },
    { 414, "URI Too Long", false },
    { 415, "Unsupported Media Type", false },
    { 416, "Range Not Satisfiable", false },
    { 421, "Misdirected Request", false },
    { 422, "Unprocessable Content", false },
    { 426, "Upgrade Required", false },
    { 429, "Too Many Requests", false },
    { 431, "Request Header Fields Too Large", false },
    { 451, "Unavailable For Legal Reasons", false },
    { 500, "Internal Server Error", false },
    { 501, "Not Implemented", false },
    { 502, "Bad Gateway", false },
    { 503, "Service Unavailable", false },
    { 504, "Gateway Timeout", false },
    { 505, "HTTP Version Not Supported", false },
    { 508, "Loop Detected", false },
    /* Cloudflare's own: the site behind it is the problem. */
    { 520, "origin returned an unknown error", true },
    { 521, "origin web server is down", true },
    { 522, "origin connection timed out", true },
    { 523, "origin is unreachable", true },
    { 524, "origin timed out", true },
    { 525, "origin TLS handshake failed", true },
    { 526, "origin certificate invalid", true },
    /* LinkedIn's answer to automated clients. */
    { 999, "request denied", true }
};

static const struct phrase *
find_phrase(int status)
{
    for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
        if (phrases[i].status == status)
            return &phrases[i];
    return NULL;
}

static void
rb_status(struct lh_reason *b, int status)
{
    const struct phrase *p = find_phrase(status);

    if (p == NULL)
        lh_reason_printf(b, "%d", status);
    else if (p->note)
        lh_reason_printf(b, "%d (%s)", status, p->text);
    else
        lh_reason_printf(b, "%d %s", status, p->text);
}

static bool
used_fallback(const struct lh_result *r)
{
    return r->method == LH_METHOD_GET && r->head_status != 0;
}

static bool
head_refused(int status)
{
    return status == 405 || status == 501;
}

/* The deciding answer, with the HEAD that led to GET when there was one:
 * "404 Not Found", "HEAD refused (405), GET 200 OK". */
static void
rb_final(struct lh_reason *b, const struct lh_result *r)
{
    if (used_fallback(r)) {
        if (head_refused(r->head_status))
            lh_reason_printf(b, "HEAD refused (%d), GET ", r->head_status);
        else
            lh_reason_printf(b, "HEAD %d, GET ", r->head_status);
    }
    rb_status(b, r->http_status);
}

/* For reasons that do not start with the status: ", GET after HEAD 403". */
void
lh_classify_fallback_note(struct lh_reason *b, const struct lh_result *r)
{
    if (!used_fallback(r))
        return;
    if (head_refused(r->head_status))
        lh_reason_printf(b, ", GET after HEAD refused (%d)", r->head_status);
    else
        lh_reason_printf(b, ", GET after HEAD %d", r->head_status);
}

void
lh_classify_retries(struct lh_reason *b, const struct lh_result *r)
{
    if (r->retries == 1)
        lh_reason_cat(b, " after 1 retry");
    else if (r->retries > 1)
        lh_reason_printf(b, " after %d retries", r->retries);
}

/* Where the chain ended: the last URL asked, else the best guess. */
const char *
lh_classify_final_url(const struct lh_result *r)
{
    if (r->final_url != NULL)
        return r->final_url;
    if (r->nhops > 0 && r->hops[r->nhops - 1].location != NULL)
        return r->hops[r->nhops - 1].location;
    return r->url;
}

/* " at https://…" when redirects took the check somewhere else. */
void
lh_classify_where(struct lh_reason *b, const struct lh_result *r)
{
    const char *f = lh_classify_final_url(r);

    if (r->nhops == 0 || f == NULL ||
        (r->url != NULL && strcmp(f, r->url) == 0))
        return;
    lh_reason_cat(b, " at ");
    lh_reason_url(b, f);
}

/*
 * Some failures come after the status line and headers: the body timed
 * out, or the peer reset the connection while sending it.  The checker
 * stops reading bodies early anyway, so the status is the answer and it
 * decides (a 200 whose body stalled is a working link).  check.c already
 * clears fail in those cases; this keeps classify right if it does not.
 */
static bool
fail_after_headers(const struct lh_result *r)
{
    return (r->fail == LH_FAIL_TIMEOUT_BODY || r->fail == LH_FAIL_RESET) &&
        r->http_status >= 200 && r->http_status <= 999;
}

/* Redirect statuses that tell the directory to change. */
static bool
permanent(int status)
{
    return status == 301 || status == 308;
}

/* " via 302 → https://…" or " via 3 redirects → https://…". */
static void
rb_via(struct lh_reason *b, const struct lh_result *r)
{
    if (r->nhops == 1)
        lh_reason_printf(b, " via %d ", r->hops[0].status);
    else
        lh_reason_printf(b, " via %zu redirects ", r->nhops);
    lh_reason_cat(b, "\xe2\x86\x92 ");
    lh_reason_url(b, lh_classify_final_url(r));
}

static void
ok_2xx(struct lh_verdict *v, struct lh_reason *b, const struct lh_result *r)
{
    v->state = LH_STATE_OK;
    rb_final(b, r);
    if (r->nhops > 0)
        rb_via(b, r);
    /* A challenge on a 2xx: the site is up, which is all we can know. */
    if (r->challenge)
        lh_reason_cat(b, " (bot challenge seen)");
    lh_classify_retries(b, r);
}

/*
 * A 2xx at the end of a redirect chain.  In order:
 *   1. back where we started (equivalent URL): ok;
 *   2. a home page anywhere on the way (a hop's Location or the end), the
 *      listed URL deeper: stale, a soft 404;
 *      a home page on another site, the listed URL a home page too: stale,
 *      a lapsed domain or a parking page;
 *   3. no permanent hop: ok, temporary redirects to a working page;
 *   4. the new URL (the end when every hop was permanent; else the
 *      Location of the last permanent hop) the same resource or a home
 *      page: ok; otherwise moved, and new_url says where.
 */
static void
classify_chain(struct lh_verdict *v, struct lh_reason *b,
    const struct lh_result *r)
{
    const char *listed = r->url != NULL ? r->url : lh_classify_final_url(r);
    const char *end = lh_classify_final_url(r);
    const char *target;
    bool listed_home, all_permanent = true;
    size_t last_perm = 0, nperm = 0;

    if (lh_url_equivalent(listed, end)) {
        ok_2xx(v, b, r);
        return;
    }
    listed_home = lh_url_is_home(listed);
    for (size_t i = 0; i <= r->nhops; i++) {
        const char *p = i < r->nhops ? r->hops[i].location : end;

        if (p == NULL || !lh_url_is_home(p))
            continue;
        if (!listed_home) {
            v->state = LH_STATE_STALE;
            /* A page that refreshes to the home page is one more way
             * of saying it is gone. */
            if (i < r->nhops && r->hops[i].refresh)
                lh_reason_cat(b, "refreshed to the home page ");
            else
                lh_reason_cat(b, "redirected to the home page ");
            lh_reason_url(b, p);
            lh_reason_cat(b, " \xe2\x80\x94 soft 404");
        } else if (lh_url_other_host(listed, p)) {
            v->state = LH_STATE_STALE;
            lh_reason_cat(b, "redirected to another site's home page ");
            lh_reason_url(b, p);
        } else {
            continue;
        }
        lh_classify_fallback_note(b, r);
        lh_classify_retries(b, r);
        return;
    }

    for (size_t i = 0; i < r->nhops; i++) {
        if (permanent(r->hops[i].status)) {
            last_perm = i;
            nperm++;
        } else {
            all_permanent = false;
        }
    }
    if (nperm == 0) {
        ok_2xx(v, b, r);
        return;
    }
    target = all_permanent ? end : r->hops[last_perm].location;
    if (target == NULL)
        target = end;
    if (target == NULL || lh_url_equivalent(listed, target) ||
        lh_url_is_home(target)) {
        ok_2xx(v, b, r);
        return;
    }
    v->state = LH_STATE_MOVED;
    v->new_url = target;
    lh_reason_printf(b, "%d \xe2\x86\x92 ", r->hops[last_perm].status);
    lh_reason_url(b, target);
    lh_reason_cat(b, " (update the directory)");
    lh_classify_fallback_note(b, r);
    lh_classify_retries(b, r);
}

static void
blocked(struct lh_verdict *v, struct lh_reason *b, const struct lh_result *r)
{
    int st = r->http_status;

    v->state = LH_STATE_BLOCKED;
    lh_reason_cat(b, "blocked by the site (");
    if (st == 429) {
        rb_status(b, st);
        if (r->retries == 1)
            lh_reason_cat(b, " after 1 retry");
        else if (r->retries > 1)
            lh_reason_printf(b, " after %d retries", r->retries);
        if (r->retry_after >= 0)
            lh_reason_printf(b, ", asked to wait %ld s", r->retry_after);
        lh_reason_cat(b, ")");
        lh_classify_where(b, r);
        lh_classify_fallback_note(b, r);
        return;
    }
    if (st == 999)
        lh_reason_cat(b, "999, request denied");
    else
        lh_reason_printf(b, "%d, bot challenge", st);
    lh_reason_cat(b, ")");
    lh_classify_where(b, r);
    lh_classify_fallback_note(b, r);
    lh_classify_retries(b, r);
}

static void
classify_status(struct lh_verdict *v, struct lh_reason *b,
    const struct lh_result *r)
{
    int st = r->http_status;

    if (st >= 200 && st <= 299) {
        if (lh_classify_content(v, b, r))
            return;
        if (r->nhops == 0)
            ok_2xx(v, b, r);
        else
            classify_chain(v, b, r);
        return;
    }
    if (st == 404 || st == 410) {
        v->state = LH_STATE_STALE;
        rb_final(b, r);
        lh_classify_where(b, r);
        lh_classify_retries(b, r);
        return;
    }
    /*
     * Refusing robots is not being dead.  LinkedIn answers 999; a 429 is
     * final only when it outlasted the retries.  A challenge signature is
     * taken on any other 4xx or 5xx (the checker looks on 403, 429, 503).
     */
    if (st == 999 || st == 429 ||
        (r->challenge && st >= 400 && st <= 599)) {
        blocked(v, b, r);
        return;
    }
    v->state = LH_STATE_ERROR;
    if (st >= 300 && st <= 399) {
        rb_final(b, r);
        lh_reason_cat(b, " without a usable Location");
    } else if (st >= 400 && st <= 599) {
        rb_final(b, r);
    } else if (st == 0) {
        lh_reason_cat(b, "no HTTP answer recorded");
    } else {
        lh_reason_printf(b, "unexpected status %d", st);
    }
    lh_classify_where(b, r);
    lh_classify_retries(b, r);
}

/*
 * A verdict, in order:
 *   1. no record: unknown, "not checked";
 *   2. the monitor's own failure (lh_result_local): inconclusive, the
 *      state unknown (its words: lh_classify_local_reason, classify_fail.c);
 *   3. no failure, or one after the headers (fail_after_headers): the
 *      status decides (classify_status, here):
 *      a. a 2xx: rot first (rules C1-C6, classify_page.c); then ok, or
 *         after redirects the chain rules 1-4 (classify_chain, here);
 *      b. 404 or 410: stale;
 *      c. 999, 429, or a challenge on any 4xx or 5xx: blocked (blocked,
 *         here);
 *      d. any other: error;
 *   4. any other failure outranks a status (it cut the chain short), in
 *      classify_fail.c: a lapsed domain: stale; a server never heard:
 *      unreachable; the rest: error.
 */
void
lh_classify(const struct lh_result *r, struct lh_verdict *v)
{
    struct lh_reason b;

    if (v == NULL)
        return;
    v->state = LH_STATE_UNKNOWN;
    v->new_url = NULL;
    v->inconclusive = false;
    lh_reason_init(&b, v->reason, sizeof(v->reason));
    if (r == NULL) {
        lh_reason_cat(&b, "not checked");
        return;
    }
    if (lh_result_local(r)) {
        v->inconclusive = true;
        lh_reason_cat(&b, "inconclusive: ");
        lh_classify_local_reason(&b, r);
        return;
    }
    if (r->fail == LH_FAIL_NONE || fail_after_headers(r)) {
        classify_status(v, &b, r);
        return;
    }
    /* Any other failure outranks a status: it cut the chain short. */
    if (lh_classify_domain_lapsed(v, &b, r))
        return;
    if (lh_classify_fail_unreachable(&b, r)) {
        v->state = LH_STATE_UNREACHABLE;
        return;
    }
    v->state = LH_STATE_ERROR;
    lh_classify_fail_error(&b, r);
}

/* --- the cycle -------------------------------------------------------- */

void
lh_cycle_tally_init(struct lh_cycle_tally *t)
{
    memset(t, 0, sizeof(*t));
}

void
lh_cycle_tally_add(struct lh_cycle_tally *t, const struct lh_result *r)
{
    lh_cycle_tally_count(t, lh_result_heard_back(r), lh_result_offline(r),
        r->fail, r->error);
}

void
lh_cycle_tally_count(struct lh_cycle_tally *t, bool heard_back,
    bool offline, enum lh_fail fail, const char *error)
{
    size_t f = (size_t)fail <= LH_FAIL_OTHER ? (size_t)fail :
        LH_FAIL_OTHER;

    t->checks++;
    if (heard_back) {
        t->heard++;
        return;
    }
    if (offline)
        return;
    if (fail == LH_FAIL_LOCAL || fail == LH_FAIL_DNS_NO_SERVER) {
        /* lh_result_local */
        t->local++;
        if (t->local_error[0] == '\0' && lh_classify_has_text(error))
            snprintf(t->local_error, sizeof(t->local_error), "%s", error);
    } else {
        t->silent++;
    }
    t->by_fail[f]++;
}

/* What the commonest failure says about the monitor's network. */
static const char *
cycle_headline(enum lh_fail f)
{
    switch (f) {
    case LH_FAIL_DNS:
        return "no name resolves";
    case LH_FAIL_DNS_TIMEOUT:
        return "no DNS answer in time";
    case LH_FAIL_DNS_NO_SERVER:
        return "no DNS server answers";
    case LH_FAIL_DNS_SERVFAIL:
        return "DNS servers fail";
    case LH_FAIL_NO_ROUTE:
        return "no route to the network";
    case LH_FAIL_TIMEOUT_CONNECT:
        return "no connection could be made";
    case LH_FAIL_LOCAL:
        return "the monitor's own resources failed";
    default:
        return "no check got an answer";
    }
}

/*
 * A cycle is inconclusive when, in order:
 *   1. some check was heard back (lh_result_heard_back): no, its
 *      verdicts stand, however many others failed (one live server
 *      proves the network works, so a dead host among live ones is dead);
 *   2. no check needed the network (every one was decided offline: a bad
 *      URL, a refused private address) or none was made: no;
 *   3. otherwise (nothing heard back from any check that needed the
 *      network, whether it failed silently or for the monitor's own
 *      reasons): yes, and no link changes state.
 * A check that failed for the monitor's own reasons (lh_result_local) in
 * a conclusive cycle is inconclusive for its own link only (lh_classify).
 */
bool
lh_classify_cycle(const struct lh_cycle_tally *t, char *reason,
    size_t reasonlen, enum lh_fail *kind)
{
    struct lh_reason b;
    size_t best = 0, failed = t->silent + t->local;
    enum lh_fail top = LH_FAIL_OTHER;

    if (reasonlen > 0)
        lh_reason_init(&b, reason, reasonlen);
    if (t->heard > 0 || failed == 0)
        return false;
    for (size_t i = 1; i <= LH_FAIL_OTHER; i++) {
        if (t->by_fail[i] > best) {
            best = t->by_fail[i];
            top = (enum lh_fail)i;
        }
    }
    if (kind != NULL)
        *kind = top;
    if (reasonlen == 0)
        return true;
    lh_reason_cat(&b, cycle_headline(top));
    lh_reason_printf(&b, " (%zu of %zu checks", best, t->checks);
    if (top == LH_FAIL_LOCAL && t->local_error[0] != '\0') {
        lh_reason_cat(&b, ": ");
        lh_reason_error(&b, t->local_error);
    }
    if (t->local < failed)
        lh_reason_cat(&b, "; no server answered any check");
    lh_reason_cat(&b, ")");
    return true;
}
