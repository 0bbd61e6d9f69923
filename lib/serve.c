/*
 * serve: the endpoint's decisions (serve.h), kept apart from the server
 * so that they are tested without a socket.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "serve.h"

enum lh_serve_path
lh_serve_route(const char *path)
{
    static const struct {
        const char *path;
        enum lh_serve_path what;
    } paths[] = {
        { "/", LH_SERVE_DASHBOARD },
        { "/status.json", LH_SERVE_STATUS },
        { "/metrics", LH_SERVE_METRICS },
        { "/healthz", LH_SERVE_HEALTHZ },
    };

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        if (strcmp(path, paths[i].path) == 0)
            return paths[i].what;
    return LH_SERVE_NONE;
}

bool
lh_serve_method_ok(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

/* An entity tag without its weakness mark, for the weak comparison. */
static const char *
opaque(const char *tag, size_t *len)
{
    if (*len >= 2 && strncmp(tag, "W/", 2) == 0) {
        *len -= 2;
        return tag + 2;
    }
    return tag;
}

/* Whether the comma-separated list of entity tags holds etag or "*". */
static bool
etag_listed(const char *list, const char *etag)
{
    size_t elen = strlen(etag);
    const char *e = opaque(etag, &elen);

    while (*list != '\0') {
        size_t n;
        const char *t;

        list += strspn(list, " \t,");
        n = strcspn(list, ",");
        while (n > 0 && (list[n - 1] == ' ' || list[n - 1] == '\t'))
            n--;
        if (n == 1 && list[0] == '*')
            return true;
        t = opaque(list, &n);
        if (n > 0 && n == elen && memcmp(t, e, n) == 0)
            return true;
        list += strcspn(list, ",");
    }
    return false;
}

bool
lh_serve_not_modified(const char *if_none_match,
    const char *if_modified_since, const char *etag, long long modified)
{
    time_t since;

    if (if_none_match != NULL)
        return etag != NULL && etag_listed(if_none_match, etag);
    if (if_modified_since == NULL)
        return false;
    /* curl's parser of HTTP dates: the three formats RFC 9110 allows. */
    since = curl_getdate(if_modified_since, NULL);
    return since != -1 && modified <= (long long)since;
}

void
lh_serve_http_date(long long t, char *buf, size_t len)
{
    static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
        "Fri", "Sat" };
    static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
        "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    time_t tt = (time_t)t;
    struct tm tm;

    /* Names spelled out: the format is English whatever the locale. */
    if (gmtime_r(&tt, &tm) == NULL) {
        snprintf(buf, len, "Thu, 01 Jan 1970 00:00:00 GMT");
        return;
    }
    snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d GMT",
        days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
        tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int
lh_serve_health(double now_ms, double started_ms, double last_ms,
    unsigned long long cycle, double window_ms, char *buf, size_t len)
{
    if (last_ms < 0) {
        snprintf(buf, len, "no cycle has finished yet (started %.1f s "
            "ago)\n", (now_ms - started_ms) / 1000.0);
        return 503;
    }
    if (now_ms - last_ms > window_ms) {
        snprintf(buf, len, "the last cycle (%llu) finished %.1f s ago, "
            "more than two intervals and their jitter (%.1f s)\n", cycle,
            (now_ms - last_ms) / 1000.0, window_ms / 1000.0);
        return 503;
    }
    snprintf(buf, len, "ok: cycle %llu finished %.1f s ago\n", cycle,
        (now_ms - last_ms) / 1000.0);
    return 200;
}
