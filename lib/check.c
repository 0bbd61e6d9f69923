/*
 * check: one link check as a small state machine over curl easy
 * transfers.  Each request is one URL with one method; this module decides
 * what comes next: the next redirect hop, GET after a refused HEAD, a
 * retry after a transient failure, or the end.  Redirects are followed
 * here, not by curl, so that every hop is recorded, checked for scheme and
 * loops, and counted.  The set-up every request shares is request.c's.
 * Elsewhere: the name lookup before each request (check_dns.c); the
 * content check (check_page.c).
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
forget_hosts(struct lh_checker *ck)
{
    lh_strmap_cleanup(&ck->head_refused, NULL);
    lh_strmap_cleanup(&ck->certs, free);
    lh_strmap_cleanup(&ck->probes, lh_check_probe_free);
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
    double left = timeout - (lh_check_now_ms() - c->started);

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

    r->timings.total_ms = lh_check_now_ms() - c->check_started;
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
int
lh_check_aim(struct lh_check *c, const char *url, bool force_get)
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
    c->started = lh_check_now_ms() + (double)wait;
    c->dns_fresh = true;
    c->reading = false;
    if (lh_check_aim(c, r->url, false) == -1)
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
    if (lh_result_add_hop(r, c->url, (int)status, target) == -1)
        lh_check_finish_oom(c);
    else if (!lh_check_redirect_allowed(c, target))
        lh_check_finish(c);
    else if (lh_check_aim(c, target, c->method == LH_METHOD_GET) == -1)
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

/* A request is over: decide what comes next, in this order. */
static void
done_cb(void *easy, int result, void *arg)
{
    CURLcode code = (CURLcode)result;
    struct lh_check *c = arg;
    long status;

    (void)easy;             /* c->easy */
    if (c->probing) {
        lh_check_probe_done(c, code);
        return;
    }
    if (out_of_descriptors(c, code) ||
        record_answer(c, code, &status) == -1 ||
        fall_back_to_get(c, status))
        return;
    remember_head_refused(c, status);
    if (follow_redirect(c, status) || lh_check_content_step(c, status))
        return;
    record_refusal(c, status);
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
    if ((c = calloc(1, sizeof(*c))) == NULL ||
        lh_replace_string(&result->url, url) == -1) {
        lh_seterr(err, errlen, "out of memory");
        goto fail;
    }
    c->ck = ck;
    c->clen = -1;
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
    check_free(c);
}
