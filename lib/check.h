/*
 * check: one link check.  HEAD first, GET when the server refuses HEAD,
 * redirects followed one hop at a time (each recorded), transient failures
 * retried with backoff, all within a time budget; fills a struct lh_result.
 * Knows nothing of states or history.
 */
#ifndef LH_CHECK_H
#define LH_CHECK_H

#include "config.h"
#include "http.h"
#include "result.h"

struct lh_checker;
struct lh_check;

/* Runs once per started check, from the loop; the check is already freed
 * and the result is complete. */
typedef void (*lh_check_done_cb)(struct lh_result *result, void *arg);

/*
 * What the checker needs from the configuration is copied, so cfg may go
 * away after this returns; every request is set up as request.h says, on
 * easy handles the checker keeps (up to cfg's concurrency) and that share
 * TLS sessions per server.
 * Returns NULL with a message in err on failure (out of memory, or a bad
 * allow_networks entry).
 */
struct lh_checker *lh_checker_new(struct lh_http *http,
    const struct lh_config *cfg, char *err, size_t errlen);
/* All checks must be finished or cancelled first.  NULL is a no-op. */
void lh_checker_free(struct lh_checker *ck);

/* Forget what was learnt about hosts (HEAD refused, certificates, the
 * servers that answered, and the TLS sessions when no check is in
 * flight): each cycle starts afresh.  A checker is made for one cycle,
 * and its sessions go with it.  http may outlive it, with connections
 * kept alive: a server's requests open connections of their own until
 * one is answered in this cycle, so a connection of an earlier cycle
 * never stands for the server now (its address, its certificate). */
void lh_checker_new_cycle(struct lh_checker *ck);

/* The c-ares answers given to curl as resolve entries so far: a request
 * carries its name's until curl's DNS cache surely holds it. */
unsigned long long lh_checker_resolve_entries(const struct lh_checker *ck);

/*
 * Check url, filling *result (initialized here; the caller owns it and
 * cleans it up).  On success returns the check, and cb runs exactly once
 * unless lh_check_cancel is called first.  On failure returns NULL, cb
 * never runs, and err says why.
 */
struct lh_check *lh_check_start(struct lh_checker *ck, const char *url,
    struct lh_result *result, lh_check_done_cb cb, void *arg, char *err,
    size_t errlen);

/*
 * What is known of a link's page: when it was last read and the answer it
 * was read under.  Strings are borrowed for the call (copied).
 */
struct lh_page_seen {
    long long read_at;          /* Unix time; 0: never read */
    double read_mono_ms;        /* lh_check_now_ms() of that reading when
                                   it was in this run; 0: not known */
    int status;                 /* the 2xx that led to the reading */
    const char *final_url;      /* where the chain ended, before reading */
    const char *etag, *last_modified;   /* NULL: none */
    long long content_length;   /* -1: unknown */
};

/*
 * As lh_check_start, with a content check: after a 2xx final answer the
 * page is read (a GET of at most max_body_bytes, into result->page) when
 * it is due: never read (seen NULL or read_at 0), read content_interval
 * or longer ago, or the answer differs from seen (lh_check_answer_changed).
 * An immediate refresh (meta or Refresh header, at most
 * LH_CHECK_REFRESH_MAX s) is followed as a redirect hop, and the server's
 * answer to a random path is read once per server per cycle to compare
 * (result->same_as_probe).  A failed reading leaves the answer as it was
 * without a page.  max_body_bytes 0 turns content checks off.
 */
#define LH_CHECK_REFRESH_MAX 5
struct lh_check *lh_check_start_page(struct lh_checker *ck, const char *url,
    const struct lh_page_seen *seen, struct lh_result *result,
    lh_check_done_cb cb, void *arg, char *err, size_t errlen);

/* Monotonic time in milliseconds (CLOCK_MONOTONIC, which setting the
 * wall clock does not move): what every wait within a run is measured
 * on. */
double lh_check_now_ms(void);

/*
 * Whether the page is due for reading by age (lh_check_start_page): never
 * read, interval_ms 0, or read interval_ms ago or longer.  The age comes
 * from the monotonic clock (now_mono_ms, lh_check_now_ms) when the page
 * was read in this run, so that setting the wall clock neither hurries
 * nor holds back a reading.  A reading from an earlier run has only its
 * wall time (now is time(NULL)): one in the future (the clock was ahead
 * then, or was set back since) is due at once rather than trusted, so no
 * page waits longer than interval_ms for any clock.
 */
bool lh_check_page_due(const struct lh_page_seen *seen,
    unsigned long long interval_ms, long long now, double now_mono_ms);

/* Whether r's answer (seen_status, seen_url and the validators) differs
 * from seen's: a status, final URL, ETag, Last-Modified or Content-Length
 * that changed.  False when r has no 2xx answer. */
bool lh_check_answer_changed(const struct lh_page_seen *seen,
    const struct lh_result *r);

/* Stop a check before its callback: cb will not run, c is freed, and the
 * result keeps what was filled in (the caller still cleans it up). */
void lh_check_cancel(struct lh_check *c);

#endif
