/*
 * check_internal: what the files of a link check share, and nothing else
 * includes: the checker and the check (check.c owns both), and the
 * functions one part calls in another: the name lookup before each request
 * (check_dns.c); the response as it arrives and what it says
 * (check_response.c); the content check (check_page.c).
 */
#ifndef LH_CHECK_INTERNAL_H
#define LH_CHECK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

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
    /* site -> non-NULL: a request of it was answered in this cycle.  The
     * engine outlives cycles with its kept-alive connections, so until
     * then each request opens a connection of its own (FRESH_CONNECT):
     * each cycle meets each server anew (its address as looked up now,
     * its certificate in a full handshake), as its first visitor would.
     * After that, a request reuses only a connection of this cycle, or
     * one a second or two older (check.c's conn_lifetime). */
    struct lh_strmap met;
    double cycle_ms;                /* monotonic: when the cycle began */
    unsigned content_interval_ms;
    bool content_checks;
    struct lh_strmap probes;        /* site -> struct probe *, this cycle */
    unsigned long long probe_serial;
    /* Easy handles set up once and used request after request (check.c
     * says why never curl_easy_reset); as many kept as checks may run. */
    CURL **pool;
    size_t npool, pool_max;
    size_t lent;                    /* handles held by checks */
    /* TLS sessions, shared by the handles: a site's sessions in the
     * share it was given (curl keeps 8 per share).  New each cycle,
     * so that each server's first connection of a cycle is a full
     * handshake. */
    CURLSH **shares;                /* NULL slots: made when first used */
    size_t nshares, next_share;
    /* The TLS servers of this cycle: site -> struct tls_server *, its
     * share and its warm-up (check.c says why). */
    struct lh_strmap tls_servers;
    /* base.resolve, entry by entry: lh_check_resolve_list. */
    struct curl_slist *resolve_one;
    size_t nresolve_one;
    bool resolve_all;               /* a wildcard or removal entry */
    /* Notes of the c-ares answers given to curl's DNS cache, loaded or
     * not yet (check_dns.c): "name:port" -> struct resolve_memo *, its
     * own key borrowed; the list to walk. */
    struct lh_strmap memos;
    struct resolve_memo *memo_list;
    unsigned long long memo_serial;
    unsigned long long resolve_entries;     /* given so far */
};

/* A server's answer to a random path, defined in check_page.c; only pointed to
 * elsewhere. */
struct probe;
struct tls_server;
struct resolve_memo;

struct lh_check {
    struct lh_checker *ck;
    struct lh_result *r;
    lh_check_done_cb cb;
    void *arg;
    CURL *easy;             /* the pool's handle it holds; NULL before
                               its first request */
    bool easy_tainted;      /* it saw an allocation failure: not reused */
    char *url;              /* URL of the current request */
    bool url_parsed;        /* it parses (lh_url_parse), with */
    long url_port;          /* its port (the probe's URL has the same) */
    bool url_ipv6;          /* an IPv6 address for its host */
    char host[256];         /* its host, lower case */
    char site[300];         /* scheme://host:port, the caches' key */
    enum lh_method method;
    bool get_fallback;      /* this hop already fell back to GET */
    unsigned fd_waits;      /* requests put off for want of a socket */
    double started;         /* monotonic ms at the start of this try */
    double check_started;   /* monotonic ms at lh_check_start */
    /* Its request's TLS server (NULL: plain HTTP), and the warm-up it
     * leads, or waits for (then in that server's list of parked
     * requests). */
    struct tls_server *server;
    struct tls_server *leads;
    struct tls_server *parked;
    struct lh_check *park_prev, *park_next;
    double park_until;      /* monotonic ms its parked request is due */
    /* Per request, reset by lh_check_response_reset; cf_mitigated,
     * body_bytes and the sniff also at each status line (an interim 1xx
     * comes first). */
    size_t header_bytes;
    bool header_overflow;
    bool headers_done;      /* the blank line after the last status line */
    bool cf_mitigated;
    size_t body_bytes;
    bool body_capped;
    size_t nsniff;          /* bytes in sniff */
    struct lh_request rq;   /* the last request's guard and error text */
    /* The name this request connects to, looked up by c-ares and given
     * to curl as a resolve entry (with the configured ones). */
    struct lh_dns_query *dnsq;  /* in flight, or NULL */
    struct curl_slist *resolve; /* this request's own entry, or NULL */
    bool resolve_merged;    /* ... with the configured ones after it */
    int resolve_cfg;        /* the configured entry answering it, or -1 */
    char dns_name[256];
    long dns_port;
    bool dns_dot;           /* the name ended in a dot */
    bool dns_fresh;         /* ask again after a failure of the moment */
    bool dns_answered;
    bool dns_used;          /* c-ares answered this request's name */
    double dns_ms;          /* how long it took; -1: remembered */
    /* The note of the request's own entry (NULL: none given), until
     * the request ends or fails to start. */
    struct resolve_memo *memo;
    bool memo_counted;      /* ... and the request went */
    unsigned long long memo_seq;
    unsigned long memo_generation;
    double memo_sent_ms;
    time_t memo_sent_wall;
    bool memo_clean;        /* no other answer for the name in flight */
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
    struct page_work *parsing;  /* its page parsed off the loop, or NULL */
    /* Of the last response's headers. */
    long long clen;
    bool not_html;          /* a Content-Type that is not HTML */
    /* The buffers last: check_start zeroes what comes before (most of a
     * check's 11 KiB, which HEAD checks never touch), and
     * lh_check_response_reset empties these before any is read. */
    char etag[256];
    char last_modified[128];
    char refresh[1024];
    char sniff[LH_CHECK_SNIFF_BYTES + 1];   /* the first nsniff bytes */
};

/* ---- check.c: the check's core ---- */

/* r's error text becomes a copy of text (NULL: none); when even the copy
 * fails, none rather than an earlier try's text. */
void lh_check_set_error(struct lh_result *r, const char *text);

/* url's scheme is https (any case). */
bool lh_check_is_https(const char *url);

/* Point c at url (a new hop or a fresh try; copied) and pick the method:
 * GET when force_get or the site refused HEAD this cycle, HEAD otherwise.
 * 0, or -1 when out of memory (c still aimed where it was). */
int lh_check_aim(struct lh_check *c, const char *url, bool force_get);

/*
 * Send the request for c->url with c->method after delay_ms, on the
 * check's easy handle (from the checker's pool), with the resolve list
 * lh_check_resolve_list gives.  0, and
 * check.c's done_cb runs once; or -1 with r's fail and error set, and it
 * never runs.  lh_check_request is the way in; this is its last step.
 */
int lh_check_send_request(struct lh_check *c, unsigned delay_ms);
/* The request fails before it is made (our own resources, or curl's
 * refusal): r's fail is LH_FAIL_LOCAL and its error why.  Returns -1. */
int lh_check_request_failed(struct lh_check *c, const char *why);

/* Is target (absolute) fit to follow as the next hop: http(s), no loop,
 * within max_redirects?  When not, r's fail and error (target) say why. */
bool lh_check_redirect_allowed(struct lh_check *c, const char *target);

/*
 * Where c->url's answer (status) points: target, absolute.  The hop is
 * recorded with target in its request form (lh_iri_to_uri: a Unicode
 * host in A-labels, a path percent-encoded), so that every comparison
 * and the next request see the one form; a refresh hop says so.  Then
 * the hop is followed (GET when force_get, else the same method) unless
 * it is refused, which ends the check (LH_FAIL_BAD_IDN for a host name
 * that does not convert).  It always takes the check over.
 */
void lh_check_follow(struct lh_check *c, int status, const char *target,
    bool refresh, bool force_get);

/* The try is over (r holds its answer): ask again after a pause when it
 * failed for the moment and retries remain, or finish.  c may be gone on
 * return. */
void lh_check_try_over(struct lh_check *c);

/* The check ends: its times are stamped in r, c is freed, and the
 * caller's callback runs (once, here).  c is gone on return. */
void lh_check_finish(struct lh_check *c);
/* As lh_check_finish, the check ending as an out-of-memory error. */
void lh_check_finish_oom(struct lh_check *c);

/* ---- check_dns.c: the name a request connects to, and its lookup ---- */

/* The request started (lh_http_start): when it carries its own resolve
 * entry (c->memo, noted by the lookup's callback), count it, so that
 * once one of them is answered later requests of the name need not load
 * the entry again. */
void lh_check_resolve_sent(struct lh_check *c);
/* The request ended (answered: a response came, so curl loaded its
 * entry first) or was cancelled (false). */
void lh_check_resolve_ended(struct lh_check *c, bool answered);
/* Forget the notes no request needs (each cycle loads its answers
 * afresh); all of them when the checker goes. */
void lh_check_memos_prune(struct lh_checker *ck, bool all);
/*
 * The request for c->url after delay_ms.  The name it connects to (the
 * URL's host, or where a connect_to entry sends it) is looked up with
 * c-ares first, unless curl needs no lookup (an address, a .invalid
 * name, a configured resolve entry); the request is then sent with the
 * answer as its resolve entry.  0, and then either check.c's done_cb
 * runs once, or the lookup failed and that is the request's answer
 * (lh_check_try_over), or the check finished (out of memory); or -1 with
 * r's fail and error set, and nothing of it runs.
 */
int lh_check_request(struct lh_check *c, unsigned delay_ms);

/*
 * check_dns.c: a request through a proxy connects to the proxy only, so
 * the guard judges its target before it is sent: the URL's address, or
 * the addresses its name was looked up to (every one; the proxy may pick
 * any).  True, with the address and its kind in why, when one is
 * forbidden or none is known.
 */
bool lh_check_target_forbidden(struct lh_check *c, char *why,
    size_t whylen);

/* The resolve list of the request c is about to send (c->rq set up):
 * NULL for none.  0, or -1 when out of memory. */
int lh_check_resolve_list(struct lh_check *c, struct curl_slist **list);

/* ---- check_response.c: the response as it arrives, what it says ---- */
/* Forget what the previous response left in c: before each request. */
void lh_check_response_reset(struct lh_check *c);
/* curl's header and body callbacks, with c as their data: response
 * headers bounded (256 KiB in all), the validators a content check
 * compares, the sniff for challenge pages, the page when it is read, and
 * the body stopped at max_body_bytes (body_capped). */
size_t lh_check_header_cb(char *buf, size_t size, size_t n, void *arg);
size_t lh_check_write_cb(char *buf, size_t size, size_t n, void *arg);
/*
 * Record the finished request's answer in r: final URL, method, status
 * (0 unless the answer is usable), failure kind and error text, timings
 * and certificate.  *status gets the HTTP status on which the next steps
 * decide.  0, or -1 when the check had to end (out of memory; finished).
 */
int lh_check_record_answer(struct lh_check *c, CURLcode code, long *status);
/* A refusal's details in r: a bot challenge behind 403/429/503, and how
 * long a 429 or 503 asks us to wait (Retry-After, seconds). */
void lh_check_record_refusal(struct lh_check *c, long status);

/* ---- check_page.c: the content check ---- */
/* Set c up for lh_check_start_page: whether the page may be read, and
 * whether it is due whatever the answer; seen (NULL: never read) is
 * copied.  0, or -1 when out of memory. */
int lh_check_content_init(struct lh_check *c, const struct lh_page_seen *seen);
/*
 * After the chain's answer (no redirect to follow): start reading the
 * page when it is due, take the page read (following a refresh, asking
 * the probe), or put the answer back when the reading failed.  True when
 * it took the check over (it goes on or has finished); false: the answer
 * in r stands and the check goes on as without a content check.
 */
bool lh_check_content_step(struct lh_check *c, long status);
/* The request of a check that was its server's probe (c->probing) is
 * over: record the probe, give c its page URL back, and finish c and the
 * checks that waited for the probe. */
void lh_check_probe_done(struct lh_check *c, CURLcode code);
/* c is cancelled: take it out of the probe it waits for, or hand the
 * probe it makes to a waiter (or drop it).  c itself is left. */
void lh_check_probe_cancel(struct lh_check *c);
/* c is cancelled: a parse of its page under way finishes on its own, for
 * nothing (its bytes handed over; c itself is left). */
void lh_check_page_cancel(struct lh_check *c);
/* Free a struct probe (the checker's probes map's values). */
void lh_check_probe_free(void *arg);

#endif
