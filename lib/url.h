/*
 * url: http and https URLs, read the way a server and a browser agree on:
 * one parser over spans of the caller's string (no allocation, no curl),
 * and what the other modules ask of a URL: its host, its server, whether
 * two name the same resource, whether one is a site's front door.
 */
#ifndef LH_URL_H
#define LH_URL_H

#include <stdbool.h>
#include <stddef.h>

/* A parsed URL: every pointer points into the string that was parsed. */
struct lh_url {
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

/*
 * Parse s, an absolute http or https URL, into *u (which borrows s).
 * 0, or -1 for anything else: another scheme, no host, a bad port or
 * IPv6 literal, whitespace, control characters or backslashes.
 */
int lh_url_parse(const char *s, struct lh_url *u);

/* s starts with "http://" or "https://" (any case): a URL to fetch, not
 * a file name.  Says nothing of the rest of s. */
bool lh_url_is_http(const char *s);

/*
 * The host of url, lower case, into buf (len bytes): an IPv6 address in
 * its brackets, as curl names it.  0, or -1 when url does not parse or
 * the host does not fit.
 */
int lh_url_host(const char *url, char *buf, size_t len);
/* The same of a parsed URL: 0, or -1 when the host does not fit. */
int lh_url_host_of(const struct lh_url *u, char *buf, size_t len);
/* True when host is "invalid" or under ".invalid" (RFC 6761: such names
 * never resolve, so none is looked up). */
bool lh_url_is_invalid_host(const char *host);

/*
 * The server of url, "scheme://host:port" with the host lower case and
 * the default port spelled out, into buf: what a refused HEAD or a
 * certificate belongs to.  0, or -1 as lh_url_host.
 */
int lh_url_site(const char *url, char *buf, size_t len);
/* The same of a parsed URL and its host as lh_url_host_of gives it: 0,
 * or -1 when it does not fit. */
int lh_url_site_of(const struct lh_url *u, const char *host, char *buf,
    size_t len);

/*
 * Both return 1 for "yes" and 0 for "no"; unparsable URLs are never
 * equivalent and never a home page.
 *
 * lh_url_equivalent: a (the listed URL) and b (where a check ended) are
 * the same resource, allowing http -> https, adding or dropping "www.",
 * a trailing slash, a default port, host case and percent-encoding of
 * unreserved characters.
 * lh_url_is_home: the path is "/" (or empty) or a bare index page
 * ("/index.html", "/index.php", …) with no query.
 */
int lh_url_equivalent(const char *a, const char *b);
int lh_url_is_home(const char *url);

/* a and b both parse and are on different hosts ("www." and a root dot
 * aside). */
bool lh_url_other_host(const char *a, const char *b);

#endif
