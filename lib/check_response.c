/*
 * check_response: a check's response as it arrives (headers and body,
 * bounded; the validators a content check compares; the sniff for
 * challenge pages) and what it says once the request is over: the
 * failure kind, timings, certificate expiry, a refusal's details.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "check_internal.h"
#include "strmap.h"
#include "util.h"

#define HEADER_LIMIT    (256 * 1024)/* response headers, all lines */

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

    /* name is lower case and starts with a letter: most lines differ
     * there already. */
    if (len <= n || (buf[0] | 0x20) != name[0] ||
        strncasecmp(buf, name, n) != 0 || buf[n] != ':')
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

size_t
lh_check_header_cb(char *buf, size_t size, size_t n, void *arg)
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

size_t
lh_check_write_cb(char *buf, size_t size, size_t n, void *arg)
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

/* Forget what the previous response left in c. */
void
lh_check_response_reset(struct lh_check *c)
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

static enum lh_fail
map_fail(struct lh_check *c, CURLcode code)
{
    curl_off_t connect = 0, app = 0, first = 0, pre = 0;
    long verify = 0, oserr = 0, lport = 0;

    if (lh_netguard_refused(&c->rq.guard, code))
        return LH_FAIL_FORBIDDEN_ADDRESS;
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
        if (pre == 0 && lh_check_is_https(c->url) && app == 0)
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

    if (!lh_check_is_https(c->url))
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

/*
 * Record the finished request's answer in r: final URL, method, status
 * (0 unless the answer is usable), failure kind and error text, timings
 * and certificate.  *status gets the HTTP status on which the next steps
 * decide.  0, or -1 when the check had to end (out of memory; finished).
 */
int
lh_check_record_answer(struct lh_check *c, CURLcode code, long *status)
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

/* A refusal's details: a bot challenge behind 403/429/503, and how long
 * a 429 or 503 asks us to wait (Retry-After, seconds). */
void
lh_check_record_refusal(struct lh_check *c, long status)
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
