/*
 * classify: a check record -> a state and a one-line reason.  Pure: no I/O,
 * no clock, no allocation, no curl; URLs are read by a small parser here.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "classify.h"
#include "util.h"

#define URL_SHOW_MAX    160     /* bytes of a URL quoted in a reason */
#define ERROR_SHOW_MAX  160     /* bytes of an error text quoted */
#define ELLIPSIS        "\xe2\x80\xa6"  /* U+2026, 3 bytes */
#define ELLIPSIS_LEN    3

/*
 * URLs.  Only http and https parse: anything else is no link we check.
 * Parsing works on spans of the caller's string and never allocates.
 */
struct url {
    bool https;
    const char *user;       /* userinfo; NULL when absent or empty */
    size_t userlen;
    const char *host;       /* IPv6: between the brackets, zone included */
    size_t hostlen;
    bool ipv6;
    unsigned char addr6[16];
    const char *zone;       /* IPv6 zone id after "%25"; NULL if none */
    size_t zonelen;
    long port;              /* effective: the scheme's default if absent */
    bool default_port;
    const char *path;       /* "" when absent; up to '?' or '#' */
    size_t pathlen;
    const char *query;      /* after '?'; querylen 0 when absent or empty */
    size_t querylen;
};

static int
lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* ASCII-only case folding, whatever the locale. */
static bool
span_caseeq(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return false;
    return true;
}

static bool
prefix_caseeq(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);

    return strlen(s) >= n && span_caseeq(s, n, prefix, n);
}

static int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* RFC 3986 reg-name: unreserved, pct-encoded, sub-delims; and raw UTF-8
 * (an internationalized name not yet in punycode). */
static bool
host_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c >= 0x80 ||
        strchr("-._~%!$&'()*+,;=", c) != NULL;
}

static int
parse_ipv6(const char *s, size_t n, struct url *u)
{
    char tmp[INET6_ADDRSTRLEN];
    const char *pct = memchr(s, '%', n);
    size_t addrlen = pct != NULL ? (size_t)(pct - s) : n;

    if (addrlen == 0 || addrlen >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, addrlen);
    tmp[addrlen] = '\0';
    if (inet_pton(AF_INET6, tmp, u->addr6) != 1)
        return -1;
    if (pct != NULL) {
        /* RFC 6874: the zone id's '%' is itself encoded, "%25". */
        if (n - addrlen < 4 || memcmp(pct, "%25", 3) != 0)
            return -1;
        u->zone = pct + 3;
        u->zonelen = n - addrlen - 3;
    }
    u->ipv6 = true;
    u->host = s;
    u->hostlen = n;
    return 0;
}

static int
parse_port(const char *s, size_t n, struct url *u)
{
    long v = 0;

    /* "host:" is the default port (RFC 3986 3.2.3). */
    if (n == 0)
        return 0;
    if (n > 5)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return -1;
    u->port = v;
    return 0;
}

static int
parse_url(const char *s, struct url *u)
{
    const char *p, *auth_end, *at = NULL, *hp, *after;

    memset(u, 0, sizeof(*u));
    if (s == NULL)
        return -1;
    /* No whitespace, controls or backslashes: a URL with them is not
     * what a server or a browser would agree on. */
    for (p = s; *p != '\0'; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '\\')
            return -1;
    if (prefix_caseeq(s, "http://")) {
        p = s + 7;
    } else if (prefix_caseeq(s, "https://")) {
        u->https = true;
        p = s + 8;
    } else {
        return -1;
    }
    u->port = u->https ? 443 : 80;
    auth_end = p + strcspn(p, "/?#");

    /* The last '@' ends the userinfo, as browsers read it: in
     * "http://a.example@b.example/" the host is b.example. */
    for (const char *q = p; q < auth_end; q++)
        if (*q == '@')
            at = q;
    hp = p;
    if (at != NULL) {
        if (at > p) {
            u->user = p;
            u->userlen = (size_t)(at - p);
        }
        hp = at + 1;
    }

    if (hp < auth_end && *hp == '[') {
        const char *close = memchr(hp, ']', (size_t)(auth_end - hp));

        if (close == NULL ||
            parse_ipv6(hp + 1, (size_t)(close - hp - 1), u) == -1)
            return -1;
        after = close + 1;
        if (after < auth_end && *after != ':')
            return -1;
    } else {
        const char *colon = memchr(hp, ':', (size_t)(auth_end - hp));

        after = colon != NULL ? colon : auth_end;
        if (after == hp)
            return -1;
        for (const char *q = hp; q < after; q++)
            if (!host_char((unsigned char)*q))
                return -1;
        u->host = hp;
        u->hostlen = (size_t)(after - hp);
    }
    if (after < auth_end &&
        parse_port(after + 1, (size_t)(auth_end - after - 1), u) == -1)
        return -1;
    u->default_port = u->port == (u->https ? 443 : 80);

    u->path = auth_end;
    u->pathlen = strcspn(u->path, "?#");
    if (u->path[u->pathlen] == '?') {
        u->query = u->path + u->pathlen + 1;
        u->querylen = strcspn(u->query, "#");
    }
    /* Fragments never reach the server: ignored. */
    return 0;
}

/* The host for comparison: no trailing root dot and, when asked, no
 * leading "www." (unless that would leave a bare top-level name). */
static void
host_key(const struct url *u, const char **h, size_t *n)
{
    *h = u->host;
    *n = u->hostlen;
    if (u->ipv6)
        return;
    if (*n > 1 && (*h)[*n - 1] == '.')
        (*n)--;
    if (*n > 4 && span_caseeq(*h, 4, "www.", 4) &&
        memchr(*h + 4, '.', *n - 4) != NULL) {
        *h += 4;
        *n -= 4;
    }
}

static bool
same_host(const struct url *a, const struct url *b)
{
    const char *ah, *bh;
    size_t an, bn;

    if (a->ipv6 != b->ipv6)
        return false;
    if (a->ipv6)
        return memcmp(a->addr6, b->addr6, sizeof(a->addr6)) == 0 &&
            span_caseeq(a->zone != NULL ? a->zone : "", a->zonelen,
                b->zone != NULL ? b->zone : "", b->zonelen);
    host_key(a, &ah, &an);
    host_key(b, &bh, &bn);
    return span_caseeq(ah, an, bh, bn);
}

static bool
unreserved(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
        c == '~';
}

/*
 * One character of a path or query, percent-decoded: *encoded is set when
 * it stays significant as an escape.  So "%7e" reads as "~", "%2f" and
 * "%2F" read alike, and "%2F" never reads as "/" (RFC 3986 6.2.2).
 */
static int
next_char(const char *s, size_t n, size_t *i, bool *encoded)
{
    int c = (unsigned char)s[*i];

    *encoded = false;
    if (c == '%' && *i + 2 < n &&
        hexval((unsigned char)s[*i + 1]) >= 0 &&
        hexval((unsigned char)s[*i + 2]) >= 0) {
        c = hexval((unsigned char)s[*i + 1]) * 16 +
            hexval((unsigned char)s[*i + 2]);
        *encoded = !unreserved(c);
        *i += 3;
        return c;
    }
    (*i)++;
    return c;
}

static bool
pct_equal(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i = 0, j = 0;

    while (i < an && j < bn) {
        bool ea, eb;
        int ca = next_char(a, an, &i, &ea);
        int cb = next_char(b, bn, &j, &eb);

        if (ca != cb || ea != eb)
            return false;
    }
    return i == an && j == bn;
}

/* "/a/" and "/a" are one resource; so are "/" and "". */
static size_t
trim_slash(const char *p, size_t n)
{
    return n > 0 && p[n - 1] == '/' ? n - 1 : n;
}

/*
 * Equivalence is directional: a is where we started (the listed URL), b
 * where we ended.  http -> https is the same resource; https -> http is a
 * downgrade, and the directory should hear of it, so it is not.  The
 * scheme may change only between default ports (an https server does not
 * answer on the http port number).  Userinfo must match; "www.", host
 * case, a root dot, a default port, one trailing slash, percent-encoding
 * of unreserved characters and hex case are ignored; an empty query
 * equals none; the fragment is ignored.
 */
int
lh_url_equivalent(const char *a, const char *b)
{
    struct url ua, ub;

    if (parse_url(a, &ua) == -1 || parse_url(b, &ub) == -1)
        return 0;
    if (ua.https && !ub.https)
        return 0;
    if (ua.https == ub.https) {
        if (ua.port != ub.port)
            return 0;
    } else if (!ua.default_port || !ub.default_port) {
        return 0;
    }
    if (ua.userlen != ub.userlen ||
        (ua.userlen > 0 && memcmp(ua.user, ub.user, ua.userlen) != 0))
        return 0;
    if (!same_host(&ua, &ub))
        return 0;
    if (!pct_equal(ua.path, trim_slash(ua.path, ua.pathlen),
            ub.path, trim_slash(ub.path, ub.pathlen)))
        return 0;
    return pct_equal(ua.query, ua.querylen, ub.query, ub.querylen);
}

/* A site's front door: where servers send what they no longer have. */
static const char *const index_pages[] = {
    "/index.html", "/index.htm", "/index.shtml", "/index.php",
    "/index.asp", "/index.aspx", "/index.jsp", "/index.cfm",
    "/default.aspx", "/default.asp", "/default.htm", "/default.html",
    "/default.php"
};

int
lh_url_is_home(const char *url)
{
    struct url u;

    if (parse_url(url, &u) == -1 || u.querylen != 0)
        return 0;
    if (u.pathlen == 0 || (u.pathlen == 1 && u.path[0] == '/'))
        return 1;
    /* IIS serves /Default.aspx as /default.aspx: compare without case. */
    for (size_t i = 0; i < sizeof(index_pages) / sizeof(index_pages[0]);
        i++)
        if (span_caseeq(u.path, u.pathlen, index_pages[i],
                strlen(index_pages[i])))
            return 1;
    return 0;
}

/* Two URLs on different sites: both parse and the hosts differ. */
static bool
other_host(const char *a, const char *b)
{
    struct url ua, ub;

    if (parse_url(a, &ua) == -1 || parse_url(b, &ub) == -1)
        return false;
    return !same_host(&ua, &ub);
}

/*
 * The reason buffer.  Text goes in whole UTF-8 sequences: a byte that
 * starts no valid sequence becomes '?', a control character a space, so
 * the reason is always one line of valid UTF-8 (it ends up in JSON).
 * When it fills up, it is cut at a sequence boundary and ends with "…".
 */
struct rbuf {
    char *s;
    size_t cap;     /* bytes, the NUL included */
    size_t len;
    size_t mark;    /* the last boundary that leaves room for "…" */
    bool full;
};

static void
rb_init(struct rbuf *b, char *s, size_t cap)
{
    b->s = s;
    b->cap = cap;
    b->len = 0;
    b->mark = 0;
    b->full = false;
    s[0] = '\0';
}

static void
rb_put(struct rbuf *b, const char *seq, size_t n)
{
    if (b->full)
        return;
    if (b->len + n > b->cap - 1) {
        b->len = b->mark;
        memcpy(b->s + b->len, ELLIPSIS, ELLIPSIS_LEN);
        b->len += ELLIPSIS_LEN;
        b->s[b->len] = '\0';
        b->full = true;
        return;
    }
    memcpy(b->s + b->len, seq, n);
    b->len += n;
    b->s[b->len] = '\0';
    if (b->len + ELLIPSIS_LEN <= b->cap - 1)
        b->mark = b->len;
}

/* Append up to limit bytes of s[0..n), then "…" if there was more. */
static void
rb_cat_limit(struct rbuf *b, const char *s, size_t n, size_t limit)
{
    size_t out = 0;

    for (size_t i = 0; i < n;) {
        const unsigned char *p = (const unsigned char *)s + i;
        size_t k = lh_utf8_len(p, n - i);
        const char *seq = s + i;
        size_t put = k;

        if (k == 0) {
            seq = "?";
            put = 1;
            k = 1;
        } else if (k == 1 && (p[0] < 0x20 || p[0] == 0x7f)) {
            seq = " ";
        }
        if (out + put > limit) {
            rb_put(b, ELLIPSIS, ELLIPSIS_LEN);
            return;
        }
        rb_put(b, seq, put);
        out += put;
        i += k;
    }
}

static void
rb_cat(struct rbuf *b, const char *s)
{
    size_t n = strlen(s);

    rb_cat_limit(b, s, n, n);
}

static void rb_printf(struct rbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* For numbers and short words only: longer text goes through rb_cat. */
static void
rb_printf(struct rbuf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    /* A truncated tmp is still a valid prefix; rb_cat marks nothing, so
     * say so with the ellipsis. */
    rb_cat(b, tmp);
    if ((size_t)n >= sizeof(tmp))
        rb_put(b, ELLIPSIS, ELLIPSIS_LEN);
}

static void
rb_url(struct rbuf *b, const char *url)
{
    if (url == NULL) {
        rb_cat(b, "(no URL)");
        return;
    }
    rb_cat_limit(b, url, strlen(url), URL_SHOW_MAX);
}

/* An error text from curl or the checker, without its trailing period. */
static void
rb_error(struct rbuf *b, const char *err)
{
    size_t n = strlen(err);

    while (n > 0 && (err[n - 1] == '.' || err[n - 1] == ' ' ||
            err[n - 1] == '\n' || err[n - 1] == '\r'))
        n--;
    rb_cat_limit(b, err, n, ERROR_SHOW_MAX);
}

static bool
has_text(const char *s)
{
    return s != NULL && s[0] != '\0';
}

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
rb_status(struct rbuf *b, int status)
{
    const struct phrase *p = find_phrase(status);

    if (p == NULL)
        rb_printf(b, "%d", status);
    else if (p->note)
        rb_printf(b, "%d (%s)", status, p->text);
    else
        rb_printf(b, "%d %s", status, p->text);
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
rb_final(struct rbuf *b, const struct lh_result *r)
{
    if (used_fallback(r)) {
        if (head_refused(r->head_status))
            rb_printf(b, "HEAD refused (%d), GET ", r->head_status);
        else
            rb_printf(b, "HEAD %d, GET ", r->head_status);
    }
    rb_status(b, r->http_status);
}

/* For reasons that do not start with the status: ", GET after HEAD 403". */
static void
rb_fallback_note(struct rbuf *b, const struct lh_result *r)
{
    if (!used_fallback(r))
        return;
    if (head_refused(r->head_status))
        rb_printf(b, ", GET after HEAD refused (%d)", r->head_status);
    else
        rb_printf(b, ", GET after HEAD %d", r->head_status);
}

static void
rb_retries(struct rbuf *b, const struct lh_result *r)
{
    if (r->retries == 1)
        rb_cat(b, " after 1 retry");
    else if (r->retries > 1)
        rb_printf(b, " after %d retries", r->retries);
}

/* Where the chain ended: the last URL asked, else the best guess. */
static const char *
final_url(const struct lh_result *r)
{
    if (r->final_url != NULL)
        return r->final_url;
    if (r->nhops > 0 && r->hops[r->nhops - 1].location != NULL)
        return r->hops[r->nhops - 1].location;
    return r->url;
}

/* " at https://…" when redirects took the check somewhere else. */
static void
rb_where(struct rbuf *b, const struct lh_result *r)
{
    const char *f = final_url(r);

    if (r->nhops == 0 || f == NULL ||
        (r->url != NULL && strcmp(f, r->url) == 0))
        return;
    rb_cat(b, " at ");
    rb_url(b, f);
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
timeout_reason(struct rbuf *b, const struct lh_result *r, const char *what)
{
    rb_cat(b, "timeout: ");
    rb_cat(b, what);
    if (total_known(r)) {
        rb_printf(b, " after %.0f ms", r->timings.total_ms);
        if (r->retries == 1)
            rb_cat(b, " and 1 retry");
        else if (r->retries > 1)
            rb_printf(b, " and %d retries", r->retries);
        rb_where(b, r);
    } else {
        rb_where(b, r);
        rb_retries(b, r);
    }
}

/* Failures where the server was never heard: unreachable. */
static bool
fail_unreachable(struct rbuf *b, const struct lh_result *r)
{
    const char *text;

    switch (r->fail) {
    case LH_FAIL_DNS:
        text = "DNS: no such host";
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
    case LH_FAIL_TLS_HANDSHAKE:
        rb_cat(b, "TLS: handshake failed");
        if (has_text(r->error)) {
            rb_cat(b, " (");
            rb_error(b, r->error);
            rb_cat(b, ")");
        }
        rb_where(b, r);
        rb_retries(b, r);
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
    default:
        return false;
    }
    rb_cat(b, text);
    rb_where(b, r);
    rb_retries(b, r);
    return true;
}

/* Failures of the chain or the answer itself: error. */
static void
fail_error(struct rbuf *b, const struct lh_result *r)
{
    const char *target = last_target(r);

    switch (r->fail) {
    case LH_FAIL_TOO_MANY_REDIRECTS:
        if (r->nhops > 0)
            rb_printf(b, "too many redirects (%zu)", r->nhops);
        else
            rb_cat(b, "too many redirects");
        break;
    case LH_FAIL_REDIRECT_LOOP:
        rb_cat(b, "redirect loop at ");
        rb_url(b, target != NULL ? target : final_url(r));
        break;
    case LH_FAIL_BAD_SCHEME:
        if (target != NULL) {
            rb_cat(b, "redirect to a forbidden scheme: ");
            rb_url(b, target);
        } else {
            rb_cat(b, "not an http(s) URL: ");
            rb_url(b, r->url);
        }
        break;
    case LH_FAIL_BAD_URL:
        if (target != NULL) {
            rb_cat(b, "redirect to a bad URL: ");
            rb_url(b, target);
        } else {
            rb_cat(b, "bad URL: ");
            rb_url(b, r->url);
            if (has_text(r->error)) {
                rb_cat(b, " (");
                rb_error(b, r->error);
                rb_cat(b, ")");
            }
        }
        break;
    case LH_FAIL_FORBIDDEN_ADDRESS:
        rb_cat(b, "refused: private address");
        if (has_text(r->error)) {
            rb_cat(b, " ");
            rb_error(b, r->error);
        }
        rb_where(b, r);
        break;
    case LH_FAIL_PROTOCOL:
        rb_cat(b, "garbage answer, not HTTP");
        if (has_text(r->error)) {
            rb_cat(b, " (");
            rb_error(b, r->error);
            rb_cat(b, ")");
        }
        rb_where(b, r);
        break;
    case LH_FAIL_OTHER:
        rb_cat(b, "check failed");
        if (has_text(r->error)) {
            rb_cat(b, ": ");
            rb_error(b, r->error);
        }
        rb_where(b, r);
        break;
    default:
        rb_printf(b, "check failed (unknown failure %d)", (int)r->fail);
        break;
    }
    rb_retries(b, r);
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
rb_via(struct rbuf *b, const struct lh_result *r)
{
    if (r->nhops == 1)
        rb_printf(b, " via %d ", r->hops[0].status);
    else
        rb_printf(b, " via %zu redirects ", r->nhops);
    rb_cat(b, "\xe2\x86\x92 ");
    rb_url(b, final_url(r));
}

static void
ok_2xx(struct lh_verdict *v, struct rbuf *b, const struct lh_result *r)
{
    v->state = LH_STATE_OK;
    rb_final(b, r);
    if (r->nhops > 0)
        rb_via(b, r);
    /* A challenge on a 2xx: the site is up, which is all we can know. */
    if (r->challenge)
        rb_cat(b, " (bot challenge seen)");
    rb_retries(b, r);
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
classify_chain(struct lh_verdict *v, struct rbuf *b,
    const struct lh_result *r)
{
    const char *listed = r->url != NULL ? r->url : final_url(r);
    const char *end = final_url(r);
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
            rb_cat(b, "redirected to the home page ");
            rb_url(b, p);
            rb_cat(b, " \xe2\x80\x94 soft 404");
        } else if (other_host(listed, p)) {
            v->state = LH_STATE_STALE;
            rb_cat(b, "redirected to another site's home page ");
            rb_url(b, p);
        } else {
            continue;
        }
        rb_fallback_note(b, r);
        rb_retries(b, r);
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
    rb_printf(b, "%d \xe2\x86\x92 ", r->hops[last_perm].status);
    rb_url(b, target);
    rb_cat(b, " (update the directory)");
    rb_fallback_note(b, r);
    rb_retries(b, r);
}

static void
blocked(struct lh_verdict *v, struct rbuf *b, const struct lh_result *r)
{
    int st = r->http_status;

    v->state = LH_STATE_BLOCKED;
    rb_cat(b, "blocked by the site (");
    if (st == 429) {
        rb_status(b, st);
        if (r->retries == 1)
            rb_cat(b, " after 1 retry");
        else if (r->retries > 1)
            rb_printf(b, " after %d retries", r->retries);
        if (r->retry_after >= 0)
            rb_printf(b, ", asked to wait %ld s", r->retry_after);
        rb_cat(b, ")");
        rb_where(b, r);
        rb_fallback_note(b, r);
        return;
    }
    if (st == 999)
        rb_cat(b, "999, request denied");
    else
        rb_printf(b, "%d, bot challenge", st);
    rb_cat(b, ")");
    rb_where(b, r);
    rb_fallback_note(b, r);
    rb_retries(b, r);
}

static void
classify_status(struct lh_verdict *v, struct rbuf *b,
    const struct lh_result *r)
{
    int st = r->http_status;

    if (st >= 200 && st <= 299) {
        if (r->nhops == 0)
            ok_2xx(v, b, r);
        else
            classify_chain(v, b, r);
        return;
    }
    if (st == 404 || st == 410) {
        v->state = LH_STATE_STALE;
        rb_final(b, r);
        rb_where(b, r);
        rb_retries(b, r);
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
        rb_cat(b, " without a usable Location");
    } else if (st >= 400 && st <= 599) {
        rb_final(b, r);
    } else if (st == 0) {
        rb_cat(b, "no HTTP answer recorded");
    } else {
        rb_printf(b, "unexpected status %d", st);
    }
    rb_where(b, r);
    rb_retries(b, r);
}

void
lh_classify(const struct lh_result *r, struct lh_verdict *v)
{
    struct rbuf b;

    if (v == NULL)
        return;
    v->state = LH_STATE_UNKNOWN;
    v->new_url = NULL;
    rb_init(&b, v->reason, sizeof(v->reason));
    if (r == NULL) {
        rb_cat(&b, "not checked");
        return;
    }
    if (r->fail == LH_FAIL_NONE || fail_after_headers(r)) {
        classify_status(v, &b, r);
        return;
    }
    /* Any other failure outranks a status: it cut the chain short. */
    if (fail_unreachable(&b, r)) {
        v->state = LH_STATE_UNREACHABLE;
        return;
    }
    v->state = LH_STATE_ERROR;
    fail_error(&b, r);
}

static const char *const state_names[LH_STATE_COUNT] = {
    [LH_STATE_UNKNOWN] = "unknown",
    [LH_STATE_OK] = "ok",
    [LH_STATE_MOVED] = "moved",
    [LH_STATE_STALE] = "stale",
    [LH_STATE_BLOCKED] = "blocked",
    [LH_STATE_ERROR] = "error",
    [LH_STATE_UNREACHABLE] = "unreachable"
};

const char *
lh_state_name(enum lh_state s)
{
    if ((size_t)s >= LH_STATE_COUNT)
        return "unknown";
    return state_names[s];
}

int
lh_state_parse(const char *name, enum lh_state *out)
{
    if (name == NULL || out == NULL)
        return -1;
    for (size_t i = 0; i < LH_STATE_COUNT; i++) {
        if (strcmp(name, state_names[i]) == 0) {
            *out = (enum lh_state)i;
            return 0;
        }
    }
    return -1;
}

int
lh_state_is_good(enum lh_state s)
{
    return s == LH_STATE_OK || s == LH_STATE_MOVED;
}
