/*
 * check: one link check as a small state machine over curl easy
 * transfers.  Each request is one URL with one method; this module decides
 * what comes next: the next redirect hop, GET after a refused HEAD, a
 * retry after a transient failure, or the end.  Redirects are followed
 * here, not by curl, so that every hop is recorded, checked for scheme and
 * loops, and counted.  The set-up every request shares is request.c's.
 * Elsewhere: the name lookup before each request (check_dns.c); the
 * response as it arrives and what it says (check_response.c); the content
 * check (check_page.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "check_internal.h"
#include "dns.h"
#include "iri.h"
#include "request.h"
#include "strmap.h"
#include "tlsburst.h"
#include "url.h"
#include "util.h"

#define BACKOFF_MS      1000        /* first retry pause; doubles */
#define FD_WAIT_MS      200         /* pause when we ran out of sockets */
#define FD_WAITS_MAX    100
#define DNS_TRY_MIN_MS  100         /* one DNS try: connect_timeout / 3, */
#define DNS_TRY_MAX_MS  5000        /* within these */
#define SHARES_MAX      64          /* TLS session caches, 8 sessions each */
#define WARMUP_MS       1000        /* a TLS server's warm-up, at most */

double
lh_check_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/*
 * The result's error text; when even that copy fails, none rather than an
 * earlier try's text.
 */
void
lh_check_set_error(struct lh_result *r, const char *text)
{
    if (lh_replace_string(&r->error, text) == -1) {
        free(r->error);
        r->error = NULL;
    }
}

/*
 * The configured resolve entries as one-entry lists (their strings
 * borrowed from base.resolve), so that a request answered by one of them
 * carries just that one: lh_check_resolve_list.  0, or -1 when out of
 * memory.
 */
static int
resolve_split(struct lh_checker *ck)
{
    size_t n = 0;

    for (const struct curl_slist *e = ck->base.resolve; e; e = e->next)
        n++;
    if (n == 0)
        return 0;
    if ((ck->resolve_one = calloc(n, sizeof(*ck->resolve_one))) == NULL)
        return -1;
    for (const struct curl_slist *e = ck->base.resolve; e; e = e->next) {
        const char *p = e->data + (e->data[0] == '+');

        ck->resolve_one[ck->nresolve_one++].data = e->data;
        if (e->data[0] == '-' || strncmp(p, "*:", 2) == 0)
            ck->resolve_all = true;
    }
    return 0;
}

struct lh_checker *
lh_checker_new(struct lh_http *http, const struct lh_config *cfg,
    char *err, size_t errlen)
{
    struct lh_checker *ck;
    unsigned try_ms;

    if ((ck = calloc(1, sizeof(*ck))) == NULL)
        goto nomem;
    ck->http = http;
    ck->cycle_ms = lh_check_now_ms();
    ck->retries = cfg->retries;
    ck->retry_after_max_ms = cfg->retry_after_max_ms;
    ck->max_redirects = cfg->max_redirects;
    ck->max_body_bytes = cfg->max_body_bytes;
    ck->content_interval_ms = cfg->content_interval_ms;
    ck->content_checks = cfg->content_checks;
    lh_strmap_init(&ck->probes);
    lh_strmap_init(&ck->head_refused);
    lh_strmap_init(&ck->certs);
    lh_strmap_init(&ck->met);
    lh_strmap_init(&ck->tls_servers);
    lh_strmap_init_borrowed(&ck->memos);
    if (lh_request_base_init(&ck->base, cfg, err, errlen) == -1) {
        lh_checker_free(ck);
        return NULL;
    }
    ck->base.http = http;
    ck->pool_max = cfg->concurrency;
    ck->nshares = SHARES_MAX;
    if ((ck->pool = calloc(ck->pool_max, sizeof(*ck->pool))) == NULL ||
        (ck->shares = calloc(ck->nshares, sizeof(*ck->shares))) == NULL ||
        resolve_split(ck) == -1)
        goto nomem;
    try_ms = cfg->connect_timeout_ms / 3;
    if (try_ms < DNS_TRY_MIN_MS)
        try_ms = DNS_TRY_MIN_MS;
    if (try_ms > DNS_TRY_MAX_MS)
        try_ms = DNS_TRY_MAX_MS;
    if ((ck->dns = lh_dns_new(lh_http_loop(http), cfg->dns_servers, try_ms,
            err, errlen)) == NULL) {
        lh_checker_free(ck);
        return NULL;
    }
    /* Ask for what a browser asks for: some servers answer other Accept
     * values with 406 or a different page. */
    if ((ck->headers = curl_slist_append(NULL, "Accept: text/html,"
            "application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")) ==
        NULL)
        goto nomem;
    return ck;
nomem:
    lh_seterr(err, errlen, "out of memory");
    lh_checker_free(ck);
    return NULL;
}

/*
 * A TLS server (site) this cycle: the share that caches its sessions,
 * and its warm-up.
 *
 * Shares are handed out in turn, a server's on its first request: curl
 * keeps 8 sessions per share and forgets the least recently used, so a
 * session stays while fewer than 8 x SHARES_MAX newer servers came (a
 * hash of the name put up to 10 of 100 like names in one share and let
 * some in none).
 *
 * The warm-up: at a cycle's start the scheduler starts several checks of
 * a host at once, and each would open a connection of its own and, no
 * session being cached yet, make a full handshake.  So the first request
 * of the cycle to a server leads, and the others that come while it runs
 * wait until it is over: by then its session is in the share (a TLS 1.3
 * ticket comes after the handshake, before the answer) and they resume
 * it.  The leader's full handshake shows the certificate, whose expiry
 * is recorded.  A server that does not answer holds its other requests
 * back WARMUP_MS at most from the leader's start, on top of the per-host
 * cap; plain HTTP never waits.  A waiting request is a transfer started
 * with a delay, hastened when the leader is over; its try's time runs
 * from when it goes.
 */
struct tls_server {
    struct lh_checker *ck;
    size_t share;               /* its index in ck->shares */
    struct lh_check *leader;    /* NULL once over: nobody waits */
    struct lh_check *parked;    /* the requests waiting, in a list */
    double until;               /* monotonic ms: they go anyway */
};

static void
unpark(struct lh_check *c)
{
    if (c->park_prev != NULL)
        c->park_prev->park_next = c->park_next;
    else
        c->parked->parked = c->park_next;
    if (c->park_next != NULL)
        c->park_next->park_prev = c->park_prev;
    c->park_prev = c->park_next = NULL;
    c->parked = NULL;
}

/* The warm-up is over: each request waiting for it goes now. */
static void
warmup_over(struct tls_server *sv)
{
    double now = lh_check_now_ms();
    struct lh_check *c;

    if (sv->leader != NULL)
        sv->leader->leads = NULL;
    sv->leader = NULL;
    while ((c = sv->parked) != NULL) {
        unpark(c);
        if (c->park_until > now)
            c->started -= c->park_until - now;
        /* Set up while the server was new to this cycle: once the
         * leader was answered, its connection may serve the next. */
        if (lh_http_hasten(sv->ck->http, c->easy) &&
            lh_strmap_get(&sv->ck->met, c->site) != NULL)
            (void)curl_easy_setopt(c->easy, CURLOPT_FRESH_CONNECT, 0L);
    }
}

static void
tls_server_free(void *v)
{
    warmup_over(v);
    free(v);
}

/*
 * The TLS server of c's request, made on its first request of the cycle
 * (which then leads its warm-up); NULL for plain HTTP, an unparsable URL,
 * or out of memory (the request then goes at once, its sessions in a
 * share picked by a hash).
 */
static struct tls_server *
tls_server(struct lh_check *c)
{
    struct lh_checker *ck = c->ck;
    struct tls_server **slot, *sv;

    if (c->site[0] == '\0' || !lh_check_is_https(c->url))
        return NULL;
    if ((slot = (struct tls_server **)lh_strmap_ensure(&ck->tls_servers,
            c->site)) == NULL)
        return NULL;
    if (*slot != NULL)
        return *slot;
    if ((sv = calloc(1, sizeof(*sv))) == NULL) {
        (void)lh_strmap_del(&ck->tls_servers, c->site);
        return NULL;
    }
    sv->ck = ck;
    sv->share = ck->next_share++ % ck->nshares;
    sv->leader = c;
    sv->until = lh_check_now_ms() + WARMUP_MS;
    c->leads = *slot = sv;
    return sv;
}

/* How long c's request waits for its server's warm-up: 0 to go now. */
static unsigned
warmup_wait(const struct lh_check *c)
{
    const struct tls_server *sv = c->server;
    double now;

    if (sv == NULL || sv->leader == NULL || sv->leader == c)
        return 0;
    now = lh_check_now_ms();
    return sv->until > now ? (unsigned)(sv->until - now) + 1 : 0;
}

/* c's request, started with a delay of wait ms, waits for its server. */
static void
park(struct lh_check *c, unsigned wait)
{
    struct tls_server *sv = c->server;

    c->park_until = lh_check_now_ms() + wait;
    c->started += wait;
    c->parked = sv;
    c->park_prev = NULL;
    c->park_next = sv->parked;
    if (sv->parked != NULL)
        sv->parked->park_prev = c;
    sv->parked = c;
}

/*
 * Forget the TLS sessions: the next connection to each server is a full
 * handshake, which shows its certificate.  Only while no check holds a
 * handle (curl keeps a share that a handle uses).
 */
static void
forget_sessions(struct lh_checker *ck)
{
    if (ck->lent > 0)
        return;
    /* Detaching allocates nothing; the next request attaches again. */
    for (size_t i = 0; i < ck->npool; i++)
        (void)curl_easy_setopt(ck->pool[i], CURLOPT_SHARE, NULL);
    for (size_t i = 0; ck->shares != NULL && i < ck->nshares; i++) {
        if (ck->shares[i] != NULL)
            (void)curl_share_cleanup(ck->shares[i]);
        ck->shares[i] = NULL;
    }
}

static void
forget_hosts(struct lh_checker *ck)
{
    lh_strmap_cleanup(&ck->head_refused, NULL);
    lh_strmap_cleanup(&ck->certs, free);
    lh_strmap_cleanup(&ck->met, NULL);
    lh_strmap_cleanup(&ck->probes, lh_check_probe_free);
    lh_strmap_cleanup(&ck->tls_servers, tls_server_free);
}

void
lh_checker_free(struct lh_checker *ck)
{
    if (ck == NULL)
        return;
    forget_hosts(ck);
    lh_check_memos_prune(ck, true);
    lh_dns_close(ck->dns);
    /* Handles first: a share in use is not released. */
    for (size_t i = 0; i < ck->npool; i++)
        curl_easy_cleanup(ck->pool[i]);
    free(ck->pool);
    for (size_t i = 0; ck->shares != NULL && i < ck->nshares; i++)
        if (ck->shares[i] != NULL)
            (void)curl_share_cleanup(ck->shares[i]);
    free(ck->shares);
    free(ck->resolve_one);
    lh_request_base_cleanup(&ck->base);
    curl_slist_free_all(ck->headers);
    free(ck);
}

void
lh_checker_new_cycle(struct lh_checker *ck)
{
    ck->cycle_ms = lh_check_now_ms();
    forget_hosts(ck);
    forget_sessions(ck);
    lh_check_memos_prune(ck, false);
}

/*
 * What every request of every check sets the same way, once per handle.
 * 0, or -1 when curl refused an option.
 */
static int
easy_prepare(struct lh_checker *ck, CURL *e)
{
    return lh_request_prepare(e, &ck->base) == 0 &&
        lh_tlsburst_apply(e) == 0 &&
        curl_easy_setopt(e, CURLOPT_MAXREDIRS,
            (long)ck->max_redirects) == CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, ck->headers) == CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, lh_check_header_cb) ==
            CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, lh_check_write_cb) ==
            CURLE_OK ? 0 : -1;
}

/*
 * An easy handle for a check's requests: one from the pool, or a new one
 * set up.  Handles are kept, never curl_easy_reset(): reset returns void
 * and ignores an out-of-memory while restoring the defaults (curl 7.88
 * Curl_init_userdefined stops at the CA bundle strdup), leaving the
 * handle with buffer_size 0 and later defaults unset.  That handle gets a
 * 1-byte receive buffer, which outlives a transfer that fails before it
 * has a connection, and the next transfer after a good reset recv()s 16
 * KiB into it: heap corruption.  curl_easy_init reports the same failure
 * as NULL.  So a handle is only ever set up from new, and one that saw an
 * allocation failure (a refused option, a transfer ending in
 * CURLE_OUT_OF_MEMORY) is not trusted again: easy_give_back discards it.
 */
static CURL *
easy_take(struct lh_checker *ck)
{
    CURL *e;

    if (ck->npool > 0) {
        e = ck->pool[--ck->npool];
    } else {
        if ((e = curl_easy_init()) == NULL)
            return NULL;
        if (easy_prepare(ck, e) == -1) {
            curl_easy_cleanup(e);
            return NULL;
        }
    }
    ck->lent++;
    return e;
}

/* e (out of the multi handle, or never in it) back to the pool, unless
 * tainted or the pool is full. */
static void
easy_give_back(struct lh_checker *ck, CURL *e, bool tainted)
{
    if (e == NULL)
        return;
    ck->lent--;
    /* No pointer into the check stays in it (curl reads none outside a
     * transfer, and each request sets them again; setting them allocates
     * nothing). */
    if (tainted || ck->npool >= ck->pool_max ||
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, NULL) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_RESOLVE, NULL) != CURLE_OK) {
        curl_easy_cleanup(e);
        return;
    }
    ck->pool[ck->npool++] = e;
}

/*
 * The check's handle for its next request: the one it holds, or after
 * an allocation failure a good one in its place (the tainted one goes
 * only once the new one exists).  0, or -1 when none can be had.
 */
static int
easy_ready(struct lh_check *c)
{
    CURL *fresh;

    if (c->easy != NULL && !c->easy_tainted)
        return 0;
    if ((fresh = easy_take(c->ck)) == NULL)
        return -1;
    easy_give_back(c->ck, c->easy, c->easy_tainted);
    c->easy = fresh;
    c->easy_tainted = false;
    return 0;
}

/* The TLS session cache for c's site, made on first use: NULL when out
 * of memory. */
static CURLSH *
share_for(struct lh_check *c)
{
    struct lh_checker *ck = c->ck;
    CURLSH **slot;

    slot = &ck->shares[c->server != NULL ? c->server->share :
        lh_hash_str(c->site) % ck->nshares];
    if (*slot == NULL && (*slot = curl_share_init()) != NULL &&
        curl_share_setopt(*slot, CURLSHOPT_SHARE,
            CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
        (void)curl_share_cleanup(*slot);
        *slot = NULL;
    }
    return *slot;
}

bool
lh_check_is_https(const char *url)
{
    return strncasecmp(url, "https:", 6) == 0;
}

static void done_cb(void *easy, int result, void *arg);

/*
 * Time left for the next request of this try: what the try's budget still
 * holds, at least 1 ms; never more than timeout, since a retry's start
 * (c->started) lies after its wait.
 */
static unsigned
time_left_ms(const struct lh_check *c)
{
    unsigned timeout = c->ck->base.timeout_ms;
    double left = timeout - (lh_check_now_ms() - c->started);

    if (left > timeout)
        left = timeout;
    if (left < 1)
        left = 1;
    return (unsigned)left;
}

/*
 * The oldest connection, in whole seconds, that a request going in
 * delay_ms may reuse: one of this cycle.  curl reuses a connection while
 * its age in whole seconds is at most this, and closes idle ones (of the
 * whole engine) that are older, so the seconds the cycle has run when
 * the request goes: at least 1 (0 is no limit), which lets a connection
 * made up to 2 s before the cycle through in its first second and up to
 * 1 s after that.  A start sooner than planned (a hastened warm-up) only
 * allows more.
 */
static long
conn_lifetime(const struct lh_checker *ck, unsigned delay_ms)
{
    long s = (long)((lh_check_now_ms() + delay_ms - ck->cycle_ms) / 1000);

    return s > 1 ? s : 1;
}

/*
 * What only a check sets, per request: curl follows no redirect (we do,
 * hop by hop; the probe alone lets curl follow), our header and body
 * callbacks get c, the method (no body for HEAD), the certificate chain
 * when this site's expiry is not known yet, a connection of its own until
 * the site answered in this cycle (ck->met) and after that one of this
 * cycle (whatever the site: a redirect may lead anywhere; see
 * conn_lifetime), the site's TLS sessions, and the resolve list, for a
 * request that goes in delay_ms.  0, or -1 when curl refused an option
 * or out of memory.
 */
static int
setup_own(struct lh_check *c, unsigned delay_ms)
{
    struct lh_checker *ck = c->ck;
    CURL *e = c->easy;
    struct curl_slist *resolve;
    CURLSH *share;

    if ((share = share_for(c)) == NULL ||
        lh_check_resolve_list(c, &resolve) == -1)
        return -1;
    return curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION,
            c->probing ? 1L : 0L) == CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_HEADERDATA, c) == CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_WRITEDATA, c) == CURLE_OK &&
        (c->method == LH_METHOD_HEAD ?
            curl_easy_setopt(e, CURLOPT_NOBODY, 1L) :
            curl_easy_setopt(e, CURLOPT_HTTPGET, 1L)) == CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_CERTINFO, lh_check_is_https(c->url) &&
            lh_strmap_get(&ck->certs, c->site) == NULL ? 1L : 0L) ==
            CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_FRESH_CONNECT,
            lh_strmap_get(&ck->met, c->site) == NULL ? 1L : 0L) ==
            CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_MAXLIFETIME_CONN,
            conn_lifetime(ck, delay_ms)) == CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_SHARE, share) == CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_RESOLVE, resolve) == CURLE_OK ? 0 : -1;
}

/* The request fails before it is made (our own resources or curl's
 * refusal: nothing was asked of the network): r says why. */
int
lh_check_request_failed(struct lh_check *c, const char *why)
{
    c->r->fail = LH_FAIL_LOCAL;
    lh_check_set_error(c->r, why);
    return -1;
}

/*
 * Send the request for c->url with c->method after delay_ms, on the
 * check's handle.  0, and done_cb runs once; or -1 with r's fail and
 * error set, and done_cb never runs.
 */
int
lh_check_send_request(struct lh_check *c, unsigned delay_ms)
{
    struct lh_checker *ck = c->ck;
    unsigned wait = 0;
    char err[256];
    int rc;

    lh_check_response_reset(c);
    if (easy_ready(c) == -1)
        return lh_check_request_failed(c, "out of memory");
    /* A GET's body is kept when the page may be read: it may be the
     * page (HEAD refused), and then it is not asked twice. */
    if (c->page_on && c->method == LH_METHOD_GET && c->page_buf == NULL &&
        (c->page_buf = malloc(c->ck->max_body_bytes)) == NULL)
        return lh_check_request_failed(c, "out of memory");
    c->server = tls_server(c);
    if (lh_request_aim(c->easy, &ck->base, &c->rq, c->url,
            time_left_ms(c)) == -1 || setup_own(c, delay_ms) == -1) {
        c->easy_tainted = true;
        return lh_check_request_failed(c, "curl_easy_setopt failed");
    }
    c->r->attempts++;
    if (c->rq.proxy != NULL && !lh_url_is_invalid_host(c->host) &&
        lh_check_target_forbidden(c, c->rq.guard.refused,
            sizeof(c->rq.guard.refused))) {
        /* Not sent to the proxy; the verdict is the guard's. */
        rc = lh_http_fail(ck->http, c->easy, CURLE_COULDNT_CONNECT,
            done_cb, c, err, sizeof(err));
    } else if (lh_url_is_invalid_host(c->host)) {
        /* RFC 6761: names under .invalid never resolve, so none is looked
         * up (and no query leaves the machine). */
        snprintf(c->rq.errbuf, sizeof(c->rq.errbuf), "Could not resolve "
            "host: %.200s (.invalid names never resolve)", c->host);
        rc = lh_http_fail(ck->http, c->easy, CURLE_COULDNT_RESOLVE_HOST,
            done_cb, c, err, sizeof(err));
    } else {
        if (delay_ms == 0)
            wait = warmup_wait(c);
        rc = lh_http_start(ck->http, c->easy, delay_ms + wait, done_cb, c,
            err, sizeof(err));
        if (rc == 0)
            lh_check_resolve_sent(c);
        if (rc == 0 && wait > 0)
            park(c, wait);
    }
    if (rc == -1) {
        c->memo = NULL;             /* never sent */
        c->easy_tainted = true;     /* perhaps out of memory in curl */
        return lh_check_request_failed(c, err);
    }
    return 0;
}

static void
check_free(struct lh_check *c)
{
    if (c->leads != NULL)
        warmup_over(c->leads);
    if (c->parked != NULL)
        unpark(c);
    if (c->dnsq != NULL)
        lh_dns_cancel(c->dnsq);
    lh_check_resolve_ended(c, false);
    curl_slist_free_all(c->resolve);
    easy_give_back(c->ck, c->easy, c->easy_tainted);
    free(c->url);
    free(c->page_buf);
    free(c->page_url);
    for (size_t i = 0; i < sizeof(c->seen_strs) / sizeof(c->seen_strs[0]);
        i++)
        free(c->seen_strs[i]);
    free(c);
}

void
lh_check_finish(struct lh_check *c)
{
    struct lh_result *r = c->r;
    lh_check_done_cb cb = c->cb;
    void *arg = c->arg;

    r->timings.total_ms = lh_check_now_ms() - c->check_started;
    r->checked_at = (long long)time(NULL);
    r->checked_mono_ms = lh_check_now_ms();
    check_free(c);
    cb(r, arg);
}

/* The check cannot go on for want of memory: it ends as an error. */
void
lh_check_finish_oom(struct lh_check *c)
{
    c->r->fail = LH_FAIL_LOCAL;
    c->r->http_status = 0;
    lh_check_set_error(c->r, "out of memory");
    lh_check_finish(c);
}

/* Point c at url (a new hop or a fresh try) and pick the method. */
int
lh_check_aim(struct lh_check *c, const char *url, bool force_get)
{
    char *copy = strdup(url);
    struct lh_url u;

    if (copy == NULL)
        return -1;
    free(c->url);
    c->url = copy;
    /* One parse for what every request of this hop needs. */
    c->url_parsed = lh_url_parse(c->url, &u) == 0;
    c->url_port = c->url_parsed ? u.port : 0;
    c->url_ipv6 = c->url_parsed && u.ipv6;
    if (!c->url_parsed || lh_url_host_of(&u, c->host, sizeof(c->host)) == -1 ||
        lh_url_site_of(&u, c->host, c->site, sizeof(c->site)) == -1)
        c->host[0] = c->site[0] = '\0';
    c->get_fallback = false;
    c->method = LH_METHOD_HEAD;
    if (force_get || lh_strmap_get(&c->ck->head_refused, c->site) != NULL)
        c->method = LH_METHOD_GET;
    c->r->head_skipped = c->method == LH_METHOD_GET && !force_get;
    return 0;
}

static bool
head_refused_status(long status)
{
    return status == 400 || status == 403 || status == 404 ||
        status == 405 || status == 501 || (status >= 500 && status <= 599);
}

static bool
transient(const struct lh_result *r)
{
    switch (r->fail) {
    case LH_FAIL_RESET:
    case LH_FAIL_EMPTY_REPLY:
    case LH_FAIL_TIMEOUT_CONNECT:
    case LH_FAIL_TIMEOUT_TLS:
    case LH_FAIL_TIMEOUT_FIRST_BYTE:
    case LH_FAIL_TIMEOUT_BODY:
    case LH_FAIL_DNS_SERVFAIL:
    case LH_FAIL_DNS_TIMEOUT:
    case LH_FAIL_DNS_NO_SERVER:
        return true;
    case LH_FAIL_NONE:
        if (r->challenge)
            return false;
        return r->http_status == 429 ||
            (r->http_status >= 500 && r->http_status <= 599);
    default:
        return false;
    }
}

/* The try is over: retry it after a pause, or finish. */
void
lh_check_try_over(struct lh_check *c)
{
    struct lh_checker *ck = c->ck;
    struct lh_result *r = c->r;
    unsigned long long wait;
    int retries;
    long retry_after;

    if (!transient(r) || (unsigned)r->retries >= ck->retries) {
        lh_check_finish(c);
        return;
    }
    wait = (unsigned long long)BACKOFF_MS << r->retries;
    if (r->retry_after >= 0) {
        /* A server that asks for more patience than we have is answered
         * with its own verdict now, and asked again next cycle. */
        if ((unsigned long long)r->retry_after * 1000 >
            ck->retry_after_max_ms) {
            lh_check_finish(c);
            return;
        }
        if ((unsigned long long)r->retry_after * 1000 > wait)
            wait = (unsigned long long)r->retry_after * 1000;
    }
    retries = r->retries + 1;
    retry_after = r->retry_after;
    lh_result_reset(r);
    r->retries = retries;
    r->retry_after = retry_after;
    c->started = lh_check_now_ms() + (double)wait;
    c->dns_fresh = true;
    c->reading = false;
    if (lh_check_aim(c, r->url, false) == -1)
        lh_check_finish_oom(c);
    else if (lh_check_request(c, (unsigned)wait) == -1)
        lh_check_finish(c);
}

/* Is target (absolute) fit to follow?  Sets r->fail when not. */
bool
lh_check_redirect_allowed(struct lh_check *c, const char *target)
{
    struct lh_result *r = c->r;
    CURLU *u = curl_url();
    char *scheme = NULL;
    bool ok = false;

    if (u == NULL) {
        r->fail = LH_FAIL_OTHER;
        return false;
    }
    if (curl_url_set(u, CURLUPART_URL, target, CURLU_NON_SUPPORT_SCHEME) !=
        CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        r->fail = LH_FAIL_BAD_URL;
    } else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        r->fail = LH_FAIL_BAD_SCHEME;
    } else if (r->nhops > c->ck->max_redirects) {
        r->fail = LH_FAIL_TOO_MANY_REDIRECTS;
    } else {
        ok = true;
        /* A target we have asked for already closes a loop. */
        if (strcmp(target, r->url) == 0)
            ok = false;
        for (size_t i = 0; ok && i < r->nhops; i++)
            if (strcmp(target, r->hops[i].url) == 0)
                ok = false;
        if (!ok)
            r->fail = LH_FAIL_REDIRECT_LOOP;
    }
    if (!ok)
        lh_check_set_error(r, target);
    curl_free(scheme);
    curl_url_cleanup(u);
    return ok;
}

/*
 * Our own descriptor limit is not the link's fault: when the socket could
 * not be made for want of descriptors, ask again in a moment, with the
 * same time budget, and not counted as an attempt (up to FD_WAITS_MAX
 * times).  True when it took the check over.
 */
static bool
out_of_descriptors(struct lh_check *c, CURLcode code)
{
    int e = c->rq.guard.socket_errno;

    if (code != CURLE_COULDNT_CONNECT || (e != EMFILE && e != ENFILE) ||
        c->fd_waits++ >= FD_WAITS_MAX)
        return false;
    c->r->attempts--;
    c->started += FD_WAIT_MS;
    if (lh_check_request(c, FD_WAIT_MS) == -1)
        lh_check_finish(c);
    return true;
}

/*
 * HEAD answered badly (a refusing status), or not at all (reset, empty
 * reply): ask the same URL again with GET, once per hop; r->head_status
 * keeps what HEAD got.  True when it took the check over.
 */
static bool
fall_back_to_get(struct lh_check *c, long status)
{
    struct lh_result *r = c->r;

    if (c->method != LH_METHOD_HEAD || c->get_fallback ||
        !(head_refused_status(status) || r->fail == LH_FAIL_RESET ||
            r->fail == LH_FAIL_EMPTY_REPLY))
        return false;
    r->head_status = (int)status;
    c->get_fallback = true;
    c->method = LH_METHOD_GET;
    if (lh_check_request(c, 0) == -1)
        lh_check_finish(c);
    return true;
}

/* GET answered where HEAD did not: the site's next checks this cycle go
 * straight to GET (lh_check_aim).  Keyed by site, so another port asks HEAD. */
static void
remember_head_refused(struct lh_check *c, long status)
{
    struct lh_checker *ck = c->ck;

    if (c->get_fallback && c->r->fail == LH_FAIL_NONE && status < 400 &&
        c->site[0] != '\0' &&
        lh_strmap_get(&ck->head_refused, c->site) == NULL)
        (void)lh_strmap_put(&ck->head_refused, c->site, ck);
}

/*
 * A 3xx with a Location: record the hop, then follow it with the same
 * method (GET stays GET) unless lh_check_redirect_allowed refuses it (bad
 * target, a loop, too many hops), which ends the check.  True when it
 * took the check over.
 */
static bool
follow_redirect(struct lh_check *c, long status)
{
    struct lh_result *r = c->r;
    char *target = NULL;

    if (r->fail != LH_FAIL_NONE || status < 300 || status > 399 ||
        curl_easy_getinfo(c->easy, CURLINFO_REDIRECT_URL, &target) !=
            CURLE_OK || target == NULL)
        return false;
    /* target is the handle's: copied before the next request frees it. */
    lh_check_follow(c, (int)status, target, false,
        c->method == LH_METHOD_GET);
    return true;
}

void
lh_check_follow(struct lh_check *c, int status, const char *target,
    bool refresh, bool force_get)
{
    struct lh_result *r = c->r;
    const char *why = NULL;
    char *req = NULL;
    int rc = lh_iri_to_uri(target, &req, &why);

    if (rc == -2 ||
        lh_result_add_hop(r, c->url, status, rc == 0 ? req : target) == -1) {
        free(req);
        lh_check_finish_oom(c);
        return;
    }
    r->hops[r->nhops - 1].refresh = refresh;
    if (rc == -1) {
        r->fail = LH_FAIL_BAD_IDN;
        lh_check_set_error(r, why);
        lh_check_finish(c);
    } else if (!lh_check_redirect_allowed(c, req)) {
        lh_check_finish(c);
    } else if (lh_check_aim(c, req, force_get) == -1) {
        lh_check_finish_oom(c);
    } else if (lh_check_request(c, 0) == -1) {
        lh_check_finish(c);
    }
    free(req);
}

/* A request is over: decide what comes next, in this order. */
static void
done_cb(void *easy, int result, void *arg)
{
    CURLcode code = (CURLcode)result;
    struct lh_check *c = arg;
    long status;

    (void)easy;             /* c->easy */
    lh_check_resolve_ended(c, code == CURLE_OK);
    if (code == CURLE_OUT_OF_MEMORY)
        c->easy_tainted = true;
    /* Answered over a connection of this cycle: the site's later requests
     * may reuse one.  Out of memory, they just connect afresh. */
    if (code == CURLE_OK && c->site[0] != '\0' &&
        lh_strmap_get(&c->ck->met, c->site) == NULL)
        (void)lh_strmap_put(&c->ck->met, c->site, c->ck);
    if (c->leads != NULL)
        warmup_over(c->leads);  /* its session is cached, if any */
    if (c->parked != NULL)
        unpark(c);          /* it went on its own, at its delay's end */
    if (c->probing) {
        lh_check_probe_done(c, code);
        return;
    }
    if (out_of_descriptors(c, code) ||
        lh_check_record_answer(c, code, &status) == -1 ||
        fall_back_to_get(c, status))
        return;
    remember_head_refused(c, status);
    if (follow_redirect(c, status) || lh_check_content_step(c, status))
        return;
    lh_check_record_refusal(c, status);
    lh_check_try_over(c);
}

static struct lh_check *check_start(struct lh_checker *ck, const char *url,
    bool content, const struct lh_page_seen *seen, struct lh_result *result,
    lh_check_done_cb cb, void *arg, char *err, size_t errlen);

struct lh_check *
lh_check_start(struct lh_checker *ck, const char *url,
    struct lh_result *result, lh_check_done_cb cb, void *arg, char *err,
    size_t errlen)
{
    return check_start(ck, url, false, NULL, result, cb, arg, err, errlen);
}

struct lh_check *
lh_check_start_page(struct lh_checker *ck, const char *url,
    const struct lh_page_seen *seen, struct lh_result *result,
    lh_check_done_cb cb, void *arg, char *err, size_t errlen)
{
    return check_start(ck, url, true, seen, result, cb, arg, err, errlen);
}

static struct lh_check *
check_start(struct lh_checker *ck, const char *url, bool content,
    const struct lh_page_seen *seen, struct lh_result *result,
    lh_check_done_cb cb, void *arg, char *err, size_t errlen)
{
    struct lh_check *c;

    lh_result_init(result);
    if ((c = malloc(sizeof(*c))) != NULL) {
        memset(c, 0, offsetof(struct lh_check, etag));
        lh_check_response_reset(c);
    }
    if (c == NULL || lh_replace_string(&result->url, url) == -1) {
        lh_seterr(err, errlen, "out of memory");
        goto fail;
    }
    c->ck = ck;
    c->clen = -1;
    c->resolve_cfg = -1;
    if (content && lh_check_content_init(c, seen) == -1) {
        lh_seterr(err, errlen, "out of memory");
        goto fail;
    }
    c->r = result;
    c->cb = cb;
    c->arg = arg;
    c->check_started = c->started = lh_check_now_ms();
    /* A page due whatever the answer is read by the first request: a GET
     * in place of HEAD, so first sight costs no extra request. */
    c->get_first = c->page_on && c->page_due;
    c->reading = c->get_first;
    if (lh_check_aim(c, url, c->get_first) == -1) {
        lh_seterr(err, errlen, "out of memory");
        goto fail;
    }
    if (lh_check_request(c, 0) == -1) {
        lh_seterr(err, errlen, "%s", result->error ? result->error : "failed");
        goto fail;
    }
    return c;
fail:
    if (c != NULL)
        check_free(c);
    return NULL;
}

void
lh_check_cancel(struct lh_check *c)
{
    lh_http_cancel(c->ck->http, c->easy);
    lh_check_probe_cancel(c);
    lh_check_page_cancel(c);
    check_free(c);
}
