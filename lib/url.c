/*
 * url: one parser for http and https URLs, and the questions the other
 * modules ask of a URL.  Only http and https parse: anything else is no
 * link we check.  Parsing works on spans of the caller's string and never
 * allocates; no curl here, so classify stays pure.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "url.h"
#include "util.h"

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
parse_ipv6(const char *s, size_t n, struct lh_url *u)
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
parse_port(const char *s, size_t n, struct lh_url *u)
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

int
lh_url_parse(const char *s, struct lh_url *u)
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
host_key(const struct lh_url *u, const char **h, size_t *n)
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
same_host(const struct lh_url *a, const struct lh_url *b)
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
    struct lh_url ua, ub;

    if (lh_url_parse(a, &ua) == -1 || lh_url_parse(b, &ub) == -1)
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
    struct lh_url u;

    if (lh_url_parse(url, &u) == -1 || u.querylen != 0)
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

bool
lh_url_other_host(const char *a, const char *b)
{
    struct lh_url ua, ub;

    if (lh_url_parse(a, &ua) == -1 || lh_url_parse(b, &ub) == -1)
        return false;
    return !same_host(&ua, &ub);
}

bool
lh_url_is_http(const char *s)
{
    return prefix_caseeq(s, "http://") || prefix_caseeq(s, "https://");
}

bool
lh_url_is_invalid_host(const char *host)
{
    size_t n = strlen(host);

    if (n > 0 && host[n - 1] == '.')
        n--;
    return (n == 7 && strncmp(host, "invalid", 7) == 0) ||
        (n > 8 && strncmp(host + n - 8, ".invalid", 8) == 0);
}

int
lh_url_host_of(const struct lh_url *u, char *buf, size_t len)
{
    size_t n = u->hostlen + (u->ipv6 ? 2 : 0), off = 0;

    if (n >= len)
        return -1;
    if (u->ipv6)
        buf[off++] = '[';
    for (size_t i = 0; i < u->hostlen; i++)
        buf[off++] = (char)lower((unsigned char)u->host[i]);
    if (u->ipv6)
        buf[off++] = ']';
    buf[off] = '\0';
    return 0;
}

int
lh_url_host(const char *url, char *buf, size_t len)
{
    struct lh_url u;

    if (lh_url_parse(url, &u) == -1)
        return -1;
    return lh_url_host_of(&u, buf, len);
}

int
lh_url_site_of(const struct lh_url *u, const char *host, char *buf,
    size_t len)
{
    const char *scheme = u->https ? "https://" : "http://";
    size_t sn = strlen(scheme), hn = strlen(host), pn;
    char port[LH_ULL_DIGITS];

    /* No printf: every hop of a check has its site. */
    pn = lh_ull_text(port, (unsigned long long)u->port);
    if (sn + hn + 1 + pn >= len)
        return -1;
    memcpy(buf, scheme, sn);
    memcpy(buf + sn, host, hn);
    buf[sn + hn] = ':';
    memcpy(buf + sn + hn + 1, port, pn + 1);
    return 0;
}

int
lh_url_site(const char *url, char *buf, size_t len)
{
    struct lh_url u;
    char host[512];

    if (lh_url_parse(url, &u) == -1 ||
        lh_url_host_of(&u, host, sizeof(host)) == -1)
        return -1;
    return lh_url_site_of(&u, host, buf, len);
}
