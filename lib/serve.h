/*
 * serve: what the HTTP endpoint answers, as pure functions: the paths it
 * knows, the methods it takes, whether a conditional GET is answered 304
 * and whether the daemon is healthy.  Knows nothing of sockets, libuv or
 * the HTTP server (daemon/httpd.c).
 */
#ifndef LH_SERVE_H
#define LH_SERVE_H

#include <stdbool.h>
#include <stddef.h>

enum lh_serve_path {
    LH_SERVE_NONE,          /* 404 */
    LH_SERVE_DASHBOARD,     /* "/" */
    LH_SERVE_STATUS,        /* "/status.json" */
    LH_SERVE_METRICS,       /* "/metrics" */
    LH_SERVE_HEALTHZ        /* "/healthz" */
};

/* The methods every path takes, as an Allow header says it. */
#define LH_SERVE_ALLOW "GET, HEAD"

/* The path of a request target without its query string; exact match. */
enum lh_serve_path lh_serve_route(const char *path);

/* GET or HEAD (case-sensitive, as HTTP methods are). */
bool lh_serve_method_ok(const char *method);

/*
 * Whether a GET with these headers (NULL: absent) is answered 304 Not
 * Modified for a document with this entity tag (quoted, as sent) and
 * modification time (Unix time), as RFC 9110 says: If-None-Match, when
 * present, decides alone (weak comparison, "*" matches); otherwise an
 * If-Modified-Since that is a date not older than modified.
 */
bool lh_serve_not_modified(const char *if_none_match,
    const char *if_modified_since, const char *etag, long long modified);

/* Format Unix time t as an HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT"). */
void lh_serve_http_date(long long t, char *buf, size_t len);

/*
 * /healthz: 200 when the last cycle finished within window_ms (two
 * intervals and their jitter) of now, else 503; buf gets the reason, one
 * line.  Times are milliseconds on one monotonic clock; last_ms < 0 when
 * no cycle has finished since started_ms.
 */
int lh_serve_health(double now_ms, double started_ms, double last_ms,
    unsigned long long cycle, double window_ms, char *buf, size_t len);

#endif
