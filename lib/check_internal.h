/*
 * check_internal: what the files of a link check share, and nothing else
 * includes: the checker and the check (check.c owns both).
 */
#ifndef LH_CHECK_INTERNAL_H
#define LH_CHECK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "check.h"
#include "dns.h"
#include "request.h"
#include "result.h"
#include "strmap.h"

#define LH_CHECK_SNIFF_BYTES 8192   /* body kept to spot challenge pages */

struct lh_checker {
    struct lh_http *http;
    struct lh_request_base base;    /* what every request shares */
    struct lh_dns *dns;             /* names looked up once per checker */
    struct curl_slist *headers;     /* the checks' own: Accept */
    unsigned retries, retry_after_max_ms;
    unsigned max_redirects;
    size_t max_body_bytes;
    /* Keyed by site (scheme://host:port): another port is another
     * server, with its own certificate. */
    struct lh_strmap head_refused;  /* site -> non-NULL: HEAD refused */
    struct lh_strmap certs;         /* site -> long long *: leaf expiry */
    unsigned content_interval_ms;
    bool content_checks;
    struct lh_strmap probes;        /* site -> struct probe *, this cycle */
    unsigned long long probe_serial;
};

/* A server's answer to a random path, defined in check.c; only pointed to
 * elsewhere. */
struct probe;

struct lh_check {
    struct lh_checker *ck;
    struct lh_result *r;
    lh_check_done_cb cb;
    void *arg;
    CURL *easy;             /* of the current request; NULL before one */
    char *url;              /* URL of the current request */
    char host[256];         /* its host, lower case */
    char site[300];         /* scheme://host:port, the caches' key */
    enum lh_method method;
    bool get_fallback;      /* this hop already fell back to GET */
    unsigned fd_waits;      /* requests put off for want of a socket */
    double started;         /* monotonic ms at the start of this try */
    double check_started;   /* monotonic ms at lh_check_start */
    /* Per request, reset by response_reset; cf_mitigated, body_bytes and
     * the sniff also at each status line (an interim 1xx comes first). */
    size_t header_bytes;
    bool header_overflow;
    bool headers_done;      /* the blank line after the last status line */
    bool cf_mitigated;
    size_t body_bytes;
    bool body_capped;
    char sniff[LH_CHECK_SNIFF_BYTES + 1];
    size_t nsniff;
    struct lh_request rq;   /* the last request's guard and error text */
    /* The name this request connects to, looked up by c-ares and given
     * to curl as a resolve entry (with the configured ones). */
    struct lh_dns_query *dnsq;  /* in flight, or NULL */
    struct curl_slist *resolve; /* this request's list, or NULL */
    char dns_name[256];
    long dns_port;
    bool dns_dot;           /* the name ended in a dot */
    bool dns_fresh;         /* ask again after a failure of the moment */
    bool dns_answered;
    bool dns_used;          /* c-ares answered this request's name */
    double dns_ms;          /* how long it took; -1: remembered */
    /* The content check (lh_check_start_page). */
    bool page_on;           /* the page may be read */
    bool page_due;          /* read it whatever the answer */
    struct lh_page_seen seen;   /* its strings owned (seen_strs) */
    char *seen_strs[3];
    bool reading;           /* the requests now read the page */
    bool get_first;         /* ... since the first: no HEAD was asked */
    char *page_buf;         /* max_body_bytes, when reading */
    size_t npage;
    size_t saved_nhops;     /* the answer before reading, to restore */
    int saved_status;
    enum lh_method saved_method;
    bool probing;           /* this request is its server's probe */
    char *page_url;         /* the page's URL meanwhile */
    struct probe *waiting;  /* the probe this check waits for */
    /* Of the last response's headers. */
    char etag[256];
    char last_modified[128];
    char refresh[1024];
    long long clen;
    bool not_html;          /* a Content-Type that is not HTML */
};

#endif
