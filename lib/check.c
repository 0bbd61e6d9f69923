/*
 * check: one link check as a small state machine over curl easy
 * transfers.  Each request is one URL with one method; this module decides
 * what comes next: the next redirect hop, GET after a refused HEAD, a
 * retry after a transient failure, or the end.  Redirects are followed
 * here, not by curl, so that every hop is recorded, checked for scheme and
 * loops, and counted.  The set-up every request shares is request.c's.
 * Elsewhere: the name lookup before each request (check_dns.c).
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
#include "page.h"
#include "request.h"
#include "strmap.h"
#include "url.h"
#include "util.h"

#define HEADER_LIMIT    (256 * 1024)/* response headers, all lines */
#define BACKOFF_MS      1000        /* first retry pause; doubles */
#define FD_WAIT_MS      200         /* pause when we ran out of sockets */
#define FD_WAITS_MAX    100
#define DNS_TRY_MIN_MS  100         /* one DNS try: connect_timeout / 3, */
#define DNS_TRY_MAX_MS  5000        /* within these */

/*
 * The answer of a server to a random path on it, read once per server per
 * cycle by the first check whose page needs it (the prober); the others
 * that need it meanwhile wait in waiters.
 */
struct probe {
    bool done;
    bool ok;                /* an answer came, and it is recorded */
    int status;
    char *final_url;
    char *title;
    size_t text_bytes;
    unsigned long long text_hash;
    struct lh_check *prober;
    struct lh_check **waiters;
    size_t nwaiters, cap;
};

static double
now_ms(void)
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

struct lh_checker *
lh_checker_new(struct lh_http *http, const struct lh_config *cfg,
    char *err, size_t errlen)
{
    struct lh_checker *ck;
    unsigned try_ms;

    if ((ck = calloc(1, sizeof(*ck))) == NULL)
        goto nomem;
    ck->http = http;
    ck->retries = cfg->retries;
    ck->retry_after_max_ms = cfg->retry_after_max_ms;
    ck->max_redirects = cfg->max_redirects;
    ck->max_body_bytes = cfg->max_body_bytes;
    ck->content_interval_ms = cfg->content_interval_ms;
    ck->content_checks = cfg->content_checks;
    lh_strmap_init(&ck->probes);
    lh_strmap_init(&ck->head_refused);
    lh_strmap_init(&ck->certs);
    if (lh_request_base_init(&ck->base, cfg, err, errlen) == -1) {
        lh_checker_free(ck);
        return NULL;
    }
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

static void
probe_free(void *arg)
{
    struct probe *pb = arg;

    free(pb->final_url);
    free(pb->title);
    free(pb->waiters);
    free(pb);
}

static void
forget_hosts(struct lh_checker *ck)
{
    lh_strmap_cleanup(&ck->head_refused, NULL);
    lh_strmap_cleanup(&ck->certs, free);
    lh_strmap_cleanup(&ck->probes, probe_free);
}

void
lh_checker_free(struct lh_checker *ck)
{
    if (ck == NULL)
        return;
    forget_hosts(ck);
    lh_dns_close(ck->dns);
    lh_request_base_cleanup(&ck->base);
    curl_slist_free_all(ck->headers);
    free(ck);
}

void
lh_checker_new_cycle(struct lh_checker *ck)
{
    forget_hosts(ck);
}

/*
 * A fresh easy handle for each request, never curl_easy_reset() on a used
 * one: reset returns void and ignores an out-of-memory while restoring the
 * defaults (curl 7.88 Curl_init_userdefined stops at the CA bundle strdup),
 * leaving the handle with buffer_size 0 and later defaults unset.  That
 * handle gets a 1-byte receive buffer, which outlives a transfer that
 * fails before it has a connection, and the next transfer after a good
 * reset recv()s 16 KiB into it: heap corruption.  curl_easy_init reports
 * the same failure as NULL.  The previous handle (done, out of the multi
 * handle) goes only once the new one exists.
 */
static int
easy_renew(struct lh_check *c)
{
    CURL *fresh;

    if ((fresh = curl_easy_init()) == NULL)
        return -1;
    curl_easy_cleanup(c->easy);
    c->easy = fresh;
    return 0;
}

static void
content_headers_reset(struct lh_check *c)
{
    c->etag[0] = c->last_modified[0] = c->refresh[0] = '\0';
    c->clen = -1;
    c->not_html = false;
    c->npage = 0;
}

/* The value of header line buf (len bytes) when it is name's, trimmed,
 * into out (cut to fit); false otherwise. */
static bool
header_value(const char *buf, size_t len, const char *name, char *out,
    size_t outlen)
{
    size_t n = strlen(name), k = 0;

    if (len <= n || strncasecmp(buf, name, n) != 0 || buf[n] != ':')
        return false;
    buf += n + 1;
    len -= n + 1;
    while (len > 0 && (*buf == ' ' || *buf == '\t'))
        buf++, len--;
    while (len > 0 && lh_is_space_byte((unsigned char)buf[len - 1]))
        len--;
    for (size_t i = 0; i < len && k + 1 < outlen; i++)
        if ((unsigned char)buf[i] >= 0x20 && buf[i] != 0x7f)
            out[k++] = buf[i];
    out[k] = '\0';
    return true;
}

/* The validators a content check compares, and a Refresh header. */
static void
content_header(struct lh_check *c, const char *buf, size_t len)
{
    char num[32], *end;
    long long v;

    if (!c->page_on)
        return;
    if (header_value(buf, len, "etag", c->etag, sizeof(c->etag)) ||
        header_value(buf, len, "last-modified", c->last_modified,
            sizeof(c->last_modified)) ||
        header_value(buf, len, "refresh", c->refresh, sizeof(c->refresh)))
        return;
    if (header_value(buf, len, "content-type", num, sizeof(num))) {
        /* Cut to fit: the media type comes first. */
        c->not_html = strncasecmp(num, "text/html", 9) != 0 &&
            strncasecmp(num, "application/xhtml", 17) != 0;
        return;
    }
    if (header_value(buf, len, "content-length", num, sizeof(num))) {
        errno = 0;
        v = strtoll(num, &end, 10);
        c->clen = errno == 0 && end != num && *end == '\0' && v >= 0 ?
            v : -1;
    }
}

static size_t
header_cb(char *buf, size_t size, size_t n, void *arg)
{
    struct lh_check *c = arg;
    size_t len = size * n;

    c->header_bytes += len;
    if (c->header_bytes > HEADER_LIMIT) {
        c->header_overflow = true;
        return 0;
    }
    if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
        /* A new response (an interim 1xx may come first). */
        c->headers_done = false;
        c->cf_mitigated = false;
        c->body_bytes = 0;
        c->nsniff = 0;
        content_headers_reset(c);
    } else if (len >= 13 && strncasecmp(buf, "cf-mitigated:", 13) == 0) {
        c->cf_mitigated = true;
    } else if ((len == 2 && buf[0] == '\r' && buf[1] == '\n') ||
        (len == 1 && buf[0] == '\n')) {
        c->headers_done = true;
    } else {
        content_header(c, buf, len);
    }
    return len;
}

static size_t
write_cb(char *buf, size_t size, size_t n, void *arg)
{
    struct lh_check *c = arg;
    size_t len = size * n, room = LH_CHECK_SNIFF_BYTES - c->nsniff;

    if (room > len)
        room = len;
    memcpy(c->sniff + c->nsniff, buf, room);
    c->nsniff += room;
    if (c->page_buf != NULL && c->method == LH_METHOD_GET) {
        room = c->ck->max_body_bytes - c->npage;
        if (room > len)
            room = len;
        memcpy(c->page_buf + c->npage, buf, room);
        c->npage += room;
    }
    c->body_bytes += len;
    /* We only need to know that the page answers: stop at the cap. */
    if (c->body_bytes >= c->ck->max_body_bytes) {
        c->body_capped = true;
        return 0;
    }
    return len;
}

/* A challenge page: the signatures of the common bot-protection services. */
static bool
looks_like_challenge(struct lh_check *c)
{
    static const char *const marks[] = {
        "cf-chl", "challenge-platform", "/cdn-cgi/challenge",
        "Just a moment...", "Attention Required! | Cloudflare",
        "g-recaptcha", "hcaptcha", "_Incapsula_Resource", "px-captcha",
        "DDoS protection by",
    };

    if (c->cf_mitigated)
        return true;
    c->sniff[c->nsniff] = '\0';
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
        if (strstr(c->sniff, marks[i]) != NULL)
            return true;
    return false;
}

static bool
is_https(const char *url)
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
    double left = timeout - (now_ms() - c->started);

    if (left > timeout)
        left = timeout;
    if (left < 1)
        left = 1;
    return (unsigned)left;
}

/* Forget what the previous response left in c. */
static void
response_reset(struct lh_check *c)
{
    c->header_bytes = 0;
    c->header_overflow = false;
    c->headers_done = false;
    c->cf_mitigated = false;
    c->body_bytes = 0;
    c->body_capped = false;
    c->nsniff = 0;
    content_headers_reset(c);
}

/*
 * What only a check sets: curl follows no redirect (we do, hop by hop),
 * the browser's Accept, our header and body callbacks, no body for HEAD,
 * and the certificate chain when this site's expiry is not known yet.
 * 0, or -1 when curl refused an option.
 */
static int
setup_own(struct lh_check *c)
{
    struct lh_checker *ck = c->ck;
    CURL *e = c->easy;
    bool ok;

    /* The probe alone lets curl follow: only where it ends counts. */
    ok = curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION,
            c->probing ? 1L : 0L) == CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_MAXREDIRS,
            (long)ck->max_redirects) == CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, ck->headers) == CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb) ==
            CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_HEADERDATA, c) == CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb) == CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_WRITEDATA, c) == CURLE_OK;
    if (ok && c->method == LH_METHOD_HEAD)
        ok = curl_easy_setopt(e, CURLOPT_NOBODY, 1L) == CURLE_OK;
    if (ok && is_https(c->url) &&
        lh_strmap_get(&ck->certs, c->site) == NULL)
        ok = curl_easy_setopt(e, CURLOPT_CERTINFO, 1L) == CURLE_OK;
    return ok ? 0 : -1;
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
 * Send the request for c->url with c->method after delay_ms, on a fresh
 * easy handle.  0, and done_cb runs once; or -1 with r's fail and error
 * set, and done_cb never runs.
 */
int
lh_check_send_request(struct lh_check *c, unsigned delay_ms)
{
    struct lh_checker *ck = c->ck;
    char err[256];
    int rc;

    response_reset(c);
    if (easy_renew(c) == -1)
        return lh_check_request_failed(c, "out of memory");
    /* A GET's body is kept when the page may be read: it may be the
     * page (HEAD refused), and then it is not asked twice. */
    if (c->page_on && c->method == LH_METHOD_GET && c->page_buf == NULL &&
        (c->page_buf = malloc(c->ck->max_body_bytes)) == NULL)
        return lh_check_request_failed(c, "out of memory");
    if (lh_request_setup(c->easy, &ck->base, &c->rq, c->url,
            time_left_ms(c)) == -1 || setup_own(c) == -1 ||
        (c->resolve != NULL && curl_easy_setopt(c->easy, CURLOPT_RESOLVE,
            c->resolve) != CURLE_OK))
        return lh_check_request_failed(c, "curl_easy_setopt failed");
    c->r->attempts++;
    if (lh_url_is_invalid_host(c->host)) {
        /* RFC 6761: names under .invalid never resolve, so none is looked
         * up (and no query leaves the machine). */
        snprintf(c->rq.errbuf, sizeof(c->rq.errbuf), "Could not resolve "
            "host: %.200s (.invalid names never resolve)", c->host);
        rc = lh_http_fail(ck->http, c->easy, CURLE_COULDNT_RESOLVE_HOST,
            done_cb, c, err, sizeof(err));
    } else {
        rc = lh_http_start(ck->http, c->easy, delay_ms, done_cb, c, err,
            sizeof(err));
    }
    return rc == -1 ? lh_check_request_failed(c, err) : 0;
}

static void
check_free(struct lh_check *c)
{
    if (c->dnsq != NULL)
        lh_dns_cancel(c->dnsq);
    curl_slist_free_all(c->resolve);
    curl_easy_cleanup(c->easy);
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

    r->timings.total_ms = now_ms() - c->check_started;
    r->checked_at = (long long)time(NULL);
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
static int
aim(struct lh_check *c, const char *url, bool force_get)
{
    char *copy = strdup(url);

    if (copy == NULL)
        return -1;
    free(c->url);
    c->url = copy;
    if (lh_url_host(url, c->host, sizeof(c->host)) == -1 ||
        lh_url_site(url, c->site, sizeof(c->site)) == -1)
        c->host[0] = c->site[0] = '\0';
    c->get_fallback = false;
    c->method = LH_METHOD_HEAD;
    if (force_get || lh_strmap_get(&c->ck->head_refused, c->site) != NULL)
        c->method = LH_METHOD_GET;
    c->r->head_skipped = c->method == LH_METHOD_GET && !force_get;
    return 0;
}

static enum lh_fail
map_fail(struct lh_check *c, CURLcode code)
{
    curl_off_t connect = 0, app = 0, first = 0, pre = 0;
    long verify = 0, oserr = 0, lport = 0;

    switch (code) {
    case CURLE_OK:
        return LH_FAIL_NONE;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        /* curl's threaded resolver could not start its thread (no
         * memory, no process slot, no descriptor for its socket pair):
         * nothing was looked up. */
        if (strstr(c->rq.errbuf, "thread failed to start") != NULL)
            return LH_FAIL_LOCAL;
        return LH_FAIL_DNS;
    case CURLE_COULDNT_CONNECT:
        if (c->rq.guard.refused[0] != '\0')
            return LH_FAIL_FORBIDDEN_ADDRESS;
        switch (c->rq.guard.socket_errno) {
        case EMFILE: case ENFILE: case ENOBUFS: case ENOMEM:
            c->r->os_errno = c->rq.guard.socket_errno;
            return LH_FAIL_LOCAL;
        }
        curl_easy_getinfo(c->easy, CURLINFO_OS_ERRNO, &oserr);
        c->r->os_errno = (int)oserr;
        if (oserr == ENETUNREACH || oserr == EHOSTUNREACH)
            return LH_FAIL_NO_ROUTE;
        return oserr == ETIMEDOUT ? LH_FAIL_TIMEOUT_CONNECT :
            LH_FAIL_REFUSED;
    case CURLE_OPERATION_TIMEDOUT:
        curl_easy_getinfo(c->easy, CURLINFO_CONNECT_TIME_T, &connect);
        curl_easy_getinfo(c->easy, CURLINFO_APPCONNECT_TIME_T, &app);
        curl_easy_getinfo(c->easy, CURLINFO_STARTTRANSFER_TIME_T, &first);
        /* A reused connection has no connect or TLS time of its own, and
         * curl 7.88 leaves connect time 0 until TLS is up: a local port
         * says TCP connected. */
        curl_easy_getinfo(c->easy, CURLINFO_PRETRANSFER_TIME_T, &pre);
        curl_easy_getinfo(c->easy, CURLINFO_LOCAL_PORT, &lport);
        if (pre == 0 && connect == 0 && lport == 0)
            return LH_FAIL_TIMEOUT_CONNECT;
        if (pre == 0 && is_https(c->url) && app == 0)
            return LH_FAIL_TIMEOUT_TLS;
        /* A status line came, the blank line after the headers did not
         * (a server sending headers forever).  Asked before the first-byte
         * time, which curl does not always set for a GET cut short. */
        if (c->header_bytes > 0 && !c->headers_done)
            return LH_FAIL_TIMEOUT_HEADERS;
        if (first == 0)
            return LH_FAIL_TIMEOUT_FIRST_BYTE;
        return LH_FAIL_TIMEOUT_BODY;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        return LH_FAIL_RESET;
    case CURLE_GOT_NOTHING:
        return LH_FAIL_EMPTY_REPLY;
    case CURLE_PEER_FAILED_VERIFICATION:
        /* curl checks the name itself, after OpenSSL accepted the chain,
         * and says so only in its message. */
        if (strstr(c->rq.errbuf, "subject name") != NULL ||
            strstr(c->rq.errbuf, "does not match") != NULL)
            return LH_FAIL_TLS_HOSTNAME;
        curl_easy_getinfo(c->easy, CURLINFO_SSL_VERIFYRESULT, &verify);
        switch (verify) {
        case 9:     /* X509_V_ERR_CERT_NOT_YET_VALID */
            return LH_FAIL_TLS_NOT_YET_VALID;
        case 10:    /* X509_V_ERR_CERT_HAS_EXPIRED */
            return LH_FAIL_TLS_EXPIRED;
        case 0:     /* the chain is fine: curl's own name check failed */
        case 62:    /* X509_V_ERR_HOSTNAME_MISMATCH */
            return LH_FAIL_TLS_HOSTNAME;
        case 2: case 18: case 19: case 20: case 21: case 27:
            return LH_FAIL_TLS_UNTRUSTED;
        default:
            return LH_FAIL_TLS_HANDSHAKE;
        }
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
        return LH_FAIL_TLS_HANDSHAKE;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_PARTIAL_FILE:
        return LH_FAIL_PROTOCOL;
    case CURLE_URL_MALFORMAT:
        return LH_FAIL_BAD_URL;
    case CURLE_WRITE_ERROR:
        if (c->header_overflow)
            return LH_FAIL_HEADER_TOO_BIG;
        return LH_FAIL_OTHER;
    case CURLE_OUT_OF_MEMORY:
        /* curl 7.88 refuses one header line over its limit (100 KiB) with
         * "out of memory"; newer ones say CURLE_TOO_LARGE.  A status line
         * came and the headers had not ended: it was that. */
        if (c->header_bytes > 0 && !c->headers_done)
            return LH_FAIL_HEADER_TOO_BIG;
        return LH_FAIL_LOCAL;
#if LIBCURL_VERSION_NUM >= 0x080600
    case CURLE_TOO_LARGE:
        return LH_FAIL_HEADER_TOO_BIG;
#endif
    default:
        return LH_FAIL_OTHER;
    }
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
    c->started = now_ms() + (double)wait;
    c->dns_fresh = true;
    c->reading = false;
    if (aim(c, r->url, false) == -1)
        lh_check_finish_oom(c);
    else if (lh_check_request(c, (unsigned)wait) == -1)
        lh_check_finish(c);
}

/* Phases not reached stay unknown (-1): curl reports them as 0. */
static void
record_timings(struct lh_check *c)
{
    static const struct {
        CURLINFO info;
        size_t offset;
    } phases[] = {
        { CURLINFO_NAMELOOKUP_TIME_T, offsetof(struct lh_timings, dns_ms) },
        { CURLINFO_CONNECT_TIME_T, offsetof(struct lh_timings, connect_ms) },
        { CURLINFO_APPCONNECT_TIME_T, offsetof(struct lh_timings, tls_ms) },
        { CURLINFO_STARTTRANSFER_TIME_T,
            offsetof(struct lh_timings, first_byte_ms) },
    };

    for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
        double *slot = (double *)((char *)&c->r->timings + phases[i].offset);
        curl_off_t t = 0;

        *slot = -1;
        if (curl_easy_getinfo(c->easy, phases[i].info, &t) == CURLE_OK &&
            t > 0)
            *slot = t / 1000.0;
    }
}

/* Leaf certificate expiry, remembered per site for the cycle. */
static void
record_cert(struct lh_check *c)
{
    struct lh_checker *ck = c->ck;
    struct curl_certinfo *ci = NULL;
    long long *when;

    if (!is_https(c->url))
        return;
    when = lh_strmap_get(&ck->certs, c->site);
    if (when == NULL &&
        curl_easy_getinfo(c->easy, CURLINFO_CERTINFO, &ci) == CURLE_OK &&
        ci != NULL && ci->num_of_certs > 0) {
        for (struct curl_slist *s = ci->certinfo[0]; s; s = s->next) {
            time_t t;

            if (strncmp(s->data, "Expire date:", 12) != 0)
                continue;
            if ((t = curl_getdate(s->data + 12, NULL)) == -1)
                break;
            if ((when = malloc(sizeof(*when))) == NULL)
                break;
            *when = (long long)t;
            if (c->site[0] == '\0' ||
                lh_strmap_put(&ck->certs, c->site, when) == -1) {
                free(when);
                when = NULL;
            }
            break;
        }
    }
    if (when != NULL)
        c->r->cert_expiry = *when;
}

/* Is target (absolute) fit to follow?  Sets r->fail when not. */
static bool
redirect_allowed(struct lh_check *c, const char *target)
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
 * Record the finished request's answer in r: final URL, method, status
 * (0 unless the answer is usable), failure kind and error text, timings
 * and certificate.  *status gets the HTTP status on which the next steps
 * decide.  0, or -1 when the check had to end (out of memory; finished).
 */
static int
record_answer(struct lh_check *c, CURLcode code, long *status)
{
    struct lh_result *r = c->r;

    *status = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, status);
    /* Stopping the body at the cap is our doing, not a failure. */
    if (code == CURLE_WRITE_ERROR && c->body_capped)
        code = CURLE_OK;
    /* A page read after the answer, often on the same connection, would
     * report no connect or TLS time: the answer's timings stand (unless
     * the page was read by the first request: then it is the answer). */
    if (!c->reading || c->get_first) {
        record_timings(c);
        if (c->dns_used)
            r->timings.dns_ms = c->dns_ms;
    }
    r->dns_answered = c->dns_answered;
    if (lh_replace_string(&r->final_url, c->url) == -1) {
        /* The verdict would be judged on an earlier hop's URL. */
        lh_check_finish_oom(c);
        return -1;
    }
    r->method = c->method;
    r->fail = map_fail(c, code);
    lh_check_set_error(r, code == CURLE_OK ? NULL :
        c->rq.errbuf[0] != '\0' ? c->rq.errbuf : curl_easy_strerror(code));
    if (c->header_overflow)
        lh_check_set_error(r, "response headers over 256 KiB");
    if (r->fail == LH_FAIL_FORBIDDEN_ADDRESS)
        lh_check_set_error(r, c->rq.guard.refused);
    /* A failure after a complete status line still leaves the answer;
     * keep it when the headers arrived (a body cut short, say). */
    if (*status >= 200 && c->headers_done &&
        (r->fail == LH_FAIL_TIMEOUT_BODY ||
            (r->fail == LH_FAIL_RESET && c->method == LH_METHOD_GET)))
        r->fail = LH_FAIL_NONE;
    if (r->fail != LH_FAIL_NONE)
        *status = 0;
    r->http_status = (int)*status;
    if (code == CURLE_OK)
        record_cert(c);
    return 0;
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
 * straight to GET (aim).  Keyed by site, so another port asks HEAD. */
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
 * method (GET stays GET) unless redirect_allowed refuses it (bad target,
 * a loop, too many hops), which ends the check.  True when it took the
 * check over.
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
    if (lh_result_add_hop(r, c->url, (int)status, target) == -1)
        lh_check_finish_oom(c);
    else if (!redirect_allowed(c, target))
        lh_check_finish(c);
    else if (aim(c, target, c->method == LH_METHOD_GET) == -1)
        lh_check_finish_oom(c);
    else if (lh_check_request(c, 0) == -1)
        lh_check_finish(c);
    return true;
}

/* A refusal's details: a bot challenge behind 403/429/503, and how long
 * a 429 or 503 asks us to wait (Retry-After, seconds). */
static void
record_refusal(struct lh_check *c, long status)
{
    struct lh_result *r = c->r;
    curl_off_t retry_after = -1;

    r->challenge = (status == 403 || status == 503 || status == 429) &&
        looks_like_challenge(c);
    if (status == 429 || status == 503) {
        curl_easy_getinfo(c->easy, CURLINFO_RETRY_AFTER, &retry_after);
        r->retry_after = retry_after > 0 ? (long)retry_after : -1;
    }
}

/* ---- The content check: read the page, follow a refresh, probe ---- */

static bool
same_str(const char *a, const char *b)
{
    if (a == NULL || a[0] == '\0')
        return b == NULL || b[0] == '\0';
    return b != NULL && strcmp(a, b) == 0;
}

bool
lh_check_answer_changed(const struct lh_page_seen *seen,
    const struct lh_result *r)
{
    if (r->seen_status < 200 || r->seen_status > 299)
        return false;
    if (seen == NULL || seen->read_at == 0)
        return true;
    return seen->status != r->seen_status ||
        !same_str(seen->final_url, r->seen_url) ||
        !same_str(seen->etag, r->etag) ||
        !same_str(seen->last_modified, r->last_modified) ||
        seen->content_length != r->content_length;
}

/* The 2xx answer reached, before any reading: what the next check
 * compares.  0, or -1 when out of memory. */
static int
record_seen(struct lh_check *c, long status)
{
    struct lh_result *r = c->r;

    r->seen_status = (int)status;
    r->content_length = c->clen;
    if (lh_replace_string(&r->seen_url, c->url) == -1 ||
        lh_replace_string(&r->etag, c->etag[0] ? c->etag : NULL) == -1 ||
        lh_replace_string(&r->last_modified,
            c->last_modified[0] ? c->last_modified : NULL) == -1)
        return -1;
    return 0;
}

/* Read the page at c->url: a GET whose body is kept.  True (it took the
 * check over). */
static bool
start_reading(struct lh_check *c)
{
    struct lh_result *r = c->r;

    if (c->page_buf == NULL &&
        (c->page_buf = malloc(c->ck->max_body_bytes)) == NULL) {
        lh_check_finish_oom(c);
        return true;
    }
    c->reading = true;
    c->saved_nhops = r->nhops;
    c->saved_status = r->http_status;
    c->saved_method = r->method;
    c->method = LH_METHOD_GET;
    if (lh_check_request(c, 0) == -1)
        lh_check_finish(c);
    return true;
}

/* The reading failed: the answer is what it was before it, without a
 * page.  Hops the reading added go. */
static void
restore_answer(struct lh_check *c)
{
    struct lh_result *r = c->r;

    while (r->nhops > c->saved_nhops) {
        r->nhops--;
        free(r->hops[r->nhops].url);
        free(r->hops[r->nhops].location);
    }
    if (r->nhops == 0) {
        free(r->hops);
        r->hops = NULL;
    }
    (void)lh_replace_string(&r->final_url, r->seen_url);
    r->http_status = c->saved_status;
    r->method = c->saved_method;
    r->fail = LH_FAIL_NONE;
    lh_check_set_error(r, NULL);
    c->reading = false;
}

/*
 * The answer is not HTML (a PDF, an image): nothing to read in it, but a
 * page with no title or text stands for it, so that the link counts as
 * read until the answer changes or content_interval passes.  Its bytes
 * are what was read (0 when only HEAD was asked).  No probe.  True (it
 * took the check over).
 */
static bool
not_a_page(struct lh_check *c)
{
    struct lh_result *r = c->r;
    bool got_body = c->method == LH_METHOD_GET && c->page_buf != NULL;

    if ((r->page = malloc(sizeof(*r->page))) == NULL) {
        lh_check_finish_oom(c);
        return true;
    }
    lh_page_init(r->page);
    r->page->bytes = got_body ? c->npage : 0;
    r->page->text_hash = lh_hash_bytes(got_body ? c->page_buf : "",
        got_body ? c->npage : 0);
    c->reading = false;
    lh_check_finish(c);
    return true;
}

/*
 * The GET that was to read the page at once was refused or failed: check
 * the link as without a content check, HEAD first, and read the page
 * after a 2xx then.  True (it took the check over).
 */
static bool
ask_head_first(struct lh_check *c)
{
    c->get_first = false;
    c->saved_nhops = 0;
    c->saved_status = 0;
    c->saved_method = LH_METHOD_HEAD;
    restore_answer(c);
    (void)lh_replace_string(&c->r->final_url, NULL);
    if (aim(c, c->r->url, false) == -1)
        lh_check_finish_oom(c);
    else if (lh_check_request(c, 0) == -1)
        lh_check_finish(c);
    return true;
}

/* A refresh of at most LH_CHECK_REFRESH_MAX seconds to another URL: the
 * Refresh header first, then the page's meta refresh.  The target is
 * malloc'd; NULL when none. */
static char *
refresh_target(struct lh_check *c, const struct lh_page *pg)
{
    int delay;
    char *url = NULL;

    /* Only to http(s): a refresh to javascript: or mailto: goes nowhere
     * a browser would show as a page. */
    if (c->refresh[0] != '\0' &&
        lh_page_refresh_parse(c->refresh, c->url, &delay, &url) == 0 &&
        url != NULL && delay <= LH_CHECK_REFRESH_MAX && lh_url_is_http(url))
        return url;
    free(url);
    if (pg->refresh_url != NULL && pg->refresh_delay >= 0 &&
        pg->refresh_delay <= LH_CHECK_REFRESH_MAX &&
        lh_url_is_http(pg->refresh_url))
        return strdup(pg->refresh_url);
    return NULL;
}

static bool probe_step(struct lh_check *c);

/*
 * After the chain's answer (no redirect to follow): start reading the
 * page when it is due, or take the page read.  True when it took the
 * check over.
 */
static bool
content_step(struct lh_check *c, long status)
{
    struct lh_result *r = c->r;
    struct lh_page *pg;
    char *target;

    if (!c->page_on)
        return false;
    if (!c->reading) {
        if (r->fail != LH_FAIL_NONE || status < 200 || status > 299)
            return false;
        if (record_seen(c, status) == -1) {
            lh_check_finish_oom(c);
            return true;
        }
        if (!c->page_due && !lh_check_answer_changed(&c->seen, r))
            return false;
        if (c->not_html && c->method != LH_METHOD_GET)
            return not_a_page(c);
        if (c->method != LH_METHOD_GET || c->page_buf == NULL)
            return start_reading(c);
        /* The answer was a GET (HEAD refused): its body is the page. */
        c->reading = true;
        c->saved_nhops = r->nhops;
        c->saved_status = r->http_status;
        c->saved_method = r->method;
    }
    /* A GET that fails or is refused where HEAD was answered says
     * nothing of the page; gone (404, 410) it does say. */
    if (r->fail != LH_FAIL_NONE || !((status >= 200 && status <= 299) ||
            status == 404 || status == 410)) {
        /* A GET asked first and refused: ask as without a content check.
         * One that failed (a timeout, a reset) failed as a HEAD would
         * have: that is the link's answer, with the time it had. */
        if (c->get_first && r->fail == LH_FAIL_NONE)
            return ask_head_first(c);
        if (c->get_first) {
            c->get_first = false;
            c->reading = false;
            return false;
        }
        restore_answer(c);
        return false;
    }
    c->get_first = false;
    if (r->seen_status == 0 && status <= 299 &&
        record_seen(c, status) == -1) {
        lh_check_finish_oom(c);
        return true;
    }
    if (status > 299)
        return false;
    if (c->not_html)
        return not_a_page(c);
    if ((pg = malloc(sizeof(*pg))) == NULL ||
        lh_page_parse(c->page_buf, c->npage, c->url, pg) == -1) {
        free(pg);
        lh_check_finish_oom(c);
        return true;
    }
    if ((target = refresh_target(c, pg)) != NULL) {
        lh_page_cleanup(pg);
        free(pg);
        if (lh_result_add_hop(r, c->url, (int)status, target) == -1) {
            free(target);
            lh_check_finish_oom(c);
            return true;
        }
        r->hops[r->nhops - 1].refresh = true;
        if (!redirect_allowed(c, target))
            lh_check_finish(c);
        else if (aim(c, target, true) == -1)
            lh_check_finish_oom(c);
        else if (lh_check_request(c, 0) == -1)
            lh_check_finish(c);
        free(target);
        return true;
    }
    r->page = pg;
    c->reading = false;
    return probe_step(c);
}

/* Can the page not be told from the probe's answer?  Same end, or the
 * same title and the same text (or nearly: a page may echo the path). */
static bool
like_probe(const struct probe *pb, const struct lh_result *r)
{
    const struct lh_page *pg = r->page;
    size_t a, b, diff;

    if (!pb->ok || pb->status < 200 || pb->status > 299 || pg == NULL)
        return false;
    if (pb->final_url != NULL && r->final_url != NULL &&
        strcmp(pb->final_url, r->final_url) == 0)
        return true;
    /* Two pages with no title and no text cannot be told apart, nor
     * told to be the same page: say nothing. */
    if (pg->title == NULL && pg->text_bytes == 0)
        return false;
    if (!same_str(pb->title, pg->title))
        return false;
    if (pb->text_hash == pg->text_hash && pb->text_bytes == pg->text_bytes)
        return true;
    a = pb->text_bytes;
    b = pg->text_bytes;
    diff = a > b ? a - b : b - a;
    return diff <= (a > b ? a : b) / 100 + 32;
}

/* The probe is over (or failed to start): compare and finish every
 * check that waited for it. */
static void
probe_release(struct probe *pb)
{
    struct lh_check **w = pb->waiters;
    size_t n = pb->nwaiters;

    pb->done = true;
    pb->prober = NULL;
    pb->waiters = NULL;
    pb->nwaiters = pb->cap = 0;
    for (size_t i = 0; i < n; i++) {
        w[i]->waiting = NULL;
        w[i]->r->same_as_probe = like_probe(pb, w[i]->r);
        lh_check_finish(w[i]);
    }
    free(w);
}

/* Point c at a random path of its own server and ask it, following
 * redirects; c->url is kept in page_url meanwhile.  0, or -1. */
static int
probe_start(struct lh_check *c)
{
    struct lh_checker *ck = c->ck;
    unsigned long long seed[3];
    char url[400];

    seed[0] = (unsigned long long)time(NULL);
    seed[1] = (unsigned long long)now_ms();
    seed[2] = ++ck->probe_serial;
    if (snprintf(url, sizeof(url), "%s/%016llx-linkhealthd-probe", c->site,
            lh_hash_bytes(seed, sizeof(seed))) >= (int)sizeof(url))
        return -1;
    c->page_url = c->url;
    if ((c->url = strdup(url)) == NULL) {
        c->url = c->page_url;
        c->page_url = NULL;
        return -1;
    }
    c->probing = true;
    c->method = LH_METHOD_GET;
    c->started = now_ms();
    if (lh_check_request(c, 0) == -1) {
        free(c->url);
        c->url = c->page_url;
        c->page_url = NULL;
        c->probing = false;
        /* Not this link's failure: it has its answer. */
        c->r->fail = LH_FAIL_NONE;
        lh_check_set_error(c->r, NULL);
        return -1;
    }
    return 0;
}

/*
 * The page is read: compare it with its server's probe, asking the probe
 * first if no check has this cycle, or waiting for the check that does.
 * A home page needs none (a site's front door may well answer every
 * path).  True: it took the check over (always).
 */
static bool
probe_step(struct lh_check *c)
{
    struct lh_checker *ck = c->ck;
    struct lh_result *r = c->r;
    struct probe *pb;

    if (c->site[0] == '\0' || lh_url_is_home(r->url) ||
        lh_url_is_home(c->url)) {
        lh_check_finish(c);
        return true;
    }
    pb = lh_strmap_get(&ck->probes, c->site);
    if (pb != NULL && pb->done) {
        r->same_as_probe = like_probe(pb, r);
        lh_check_finish(c);
        return true;
    }
    if (pb != NULL) {
        if (pb->nwaiters == pb->cap) {
            size_t cap = pb->cap ? pb->cap * 2 : 4;
            struct lh_check **grown = realloc(pb->waiters,
                cap * sizeof(*grown));

            if (grown == NULL) {
                lh_check_finish(c);      /* judged without the probe */
                return true;
            }
            pb->waiters = grown;
            pb->cap = cap;
        }
        pb->waiters[pb->nwaiters++] = c;
        c->waiting = pb;
        return true;
    }
    if ((pb = calloc(1, sizeof(*pb))) == NULL ||
        lh_strmap_put(&ck->probes, c->site, pb) == -1) {
        free(pb);
        lh_check_finish(c);
        return true;
    }
    pb->prober = c;
    if (probe_start(c) == -1) {
        pb->prober = NULL;
        pb->done = true;
        lh_check_finish(c);
    }
    return true;
}

/* The prober's request is over: record the server's answer, give the
 * check its page URL back, and finish it and its waiters. */
static void
probe_done(struct lh_check *c, CURLcode code)
{
    struct probe *pb = lh_strmap_get(&c->ck->probes, c->site);
    struct lh_page pg;
    long status = 0;
    char *eff = NULL;

    c->r->attempts--;       /* not the link's request */
    free(c->url);
    c->url = c->page_url;
    c->page_url = NULL;
    c->probing = false;
    if (pb == NULL) {       /* cannot be: the cycle holds it */
        lh_check_finish(c);
        return;
    }
    if (code == CURLE_WRITE_ERROR && c->body_capped)
        code = CURLE_OK;
    if (code == CURLE_OK &&
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status) ==
            CURLE_OK &&
        curl_easy_getinfo(c->easy, CURLINFO_EFFECTIVE_URL, &eff) ==
            CURLE_OK && eff != NULL &&
        (pb->final_url = strdup(eff)) != NULL) {
        pb->status = (int)status;
        pb->ok = true;
        if (status >= 200 && status <= 299 &&
            lh_page_parse(c->page_buf, c->npage, eff, &pg) == 0) {
            pb->text_bytes = pg.text_bytes;
            pb->text_hash = pg.text_hash;
            if (pg.title != NULL && (pb->title = strdup(pg.title)) == NULL)
                pb->ok = false;
            lh_page_cleanup(&pg);
        } else if (status >= 200 && status <= 299) {
            pb->ok = false;
        }
    }
    c->r->same_as_probe = like_probe(pb, c->r);
    probe_release(pb);
    lh_check_finish(c);
}

/* Cancelling a check that a probe concerns: a waiter leaves the list; a
 * prober hands the probe to its first waiter, or drops it. */
static void
probe_cancel(struct lh_check *c)
{
    struct probe *pb = c->waiting;

    if (pb != NULL) {
        for (size_t i = 0; i < pb->nwaiters; i++)
            if (pb->waiters[i] == c) {
                memmove(pb->waiters + i, pb->waiters + i + 1,
                    (pb->nwaiters - i - 1) * sizeof(*pb->waiters));
                pb->nwaiters--;
                break;
            }
        c->waiting = NULL;
        return;
    }
    if (!c->probing ||
        (pb = lh_strmap_get(&c->ck->probes, c->site)) == NULL)
        return;
    while (pb->nwaiters > 0) {
        struct lh_check *w = pb->waiters[0];

        memmove(pb->waiters, pb->waiters + 1,
            (pb->nwaiters - 1) * sizeof(*pb->waiters));
        pb->nwaiters--;
        w->waiting = NULL;
        pb->prober = w;
        if (probe_start(w) == 0)
            return;
        /* Judged without the probe. */
        pb->prober = NULL;
        lh_check_finish(w);
    }
    probe_free(lh_strmap_del(&c->ck->probes, c->site));
}

/* A request is over: decide what comes next, in this order. */
static void
done_cb(void *easy, int result, void *arg)
{
    CURLcode code = (CURLcode)result;
    struct lh_check *c = arg;
    long status;

    (void)easy;             /* c->easy */
    if (c->probing) {
        probe_done(c, code);
        return;
    }
    if (out_of_descriptors(c, code) ||
        record_answer(c, code, &status) == -1 ||
        fall_back_to_get(c, status))
        return;
    remember_head_refused(c, status);
    if (follow_redirect(c, status) || content_step(c, status))
        return;
    record_refusal(c, status);
    lh_check_try_over(c);
}

static struct lh_check *check_start(struct lh_checker *ck, const char *url,
    bool content, const struct lh_page_seen *seen, struct lh_result *result,
    lh_check_done_cb cb, void *arg, char *err, size_t errlen);

/* Copy what is known of the page into c.  0, or -1 when out of memory. */
static int
content_init(struct lh_check *c, const struct lh_page_seen *seen)
{
    struct lh_checker *ck = c->ck;
    long long now = (long long)time(NULL);

    c->page_on = ck->content_checks && ck->max_body_bytes > 0;
    c->clen = -1;
    if (!c->page_on)
        return 0;
    if (seen != NULL) {
        c->seen = *seen;
        if ((seen->final_url != NULL &&
                (c->seen_strs[0] = strdup(seen->final_url)) == NULL) ||
            (seen->etag != NULL &&
                (c->seen_strs[1] = strdup(seen->etag)) == NULL) ||
            (seen->last_modified != NULL &&
                (c->seen_strs[2] = strdup(seen->last_modified)) == NULL))
            return -1;
        c->seen.final_url = c->seen_strs[0];
        c->seen.etag = c->seen_strs[1];
        c->seen.last_modified = c->seen_strs[2];
    }
    c->page_due = seen == NULL || seen->read_at <= 0 ||
        ck->content_interval_ms == 0 || now < seen->read_at ||
        (now - seen->read_at) * 1000 >= (long long)ck->content_interval_ms;
    return 0;
}

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
    if ((c = calloc(1, sizeof(*c))) == NULL ||
        lh_replace_string(&result->url, url) == -1) {
        lh_seterr(err, errlen, "out of memory");
        goto fail;
    }
    c->ck = ck;
    c->clen = -1;
    if (content && content_init(c, seen) == -1) {
        lh_seterr(err, errlen, "out of memory");
        goto fail;
    }
    c->r = result;
    c->cb = cb;
    c->arg = arg;
    c->check_started = c->started = now_ms();
    /* A page due whatever the answer is read by the first request: a GET
     * in place of HEAD, so first sight costs no extra request. */
    c->get_first = c->page_on && c->page_due;
    c->reading = c->get_first;
    if (aim(c, url, c->get_first) == -1) {
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
    probe_cancel(c);
    check_free(c);
}
