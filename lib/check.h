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
 * away after this returns; every request is set up as request.h says.
 * Returns NULL with a message in err on failure (out of memory, or a bad
 * allow_networks entry).
 */
struct lh_checker *lh_checker_new(struct lh_http *http,
    const struct lh_config *cfg, char *err, size_t errlen);
/* All checks must be finished or cancelled first.  NULL is a no-op. */
void lh_checker_free(struct lh_checker *ck);

/* Forget what was learnt about hosts (HEAD refused, certificates): each
 * cycle starts afresh. */
void lh_checker_new_cycle(struct lh_checker *ck);

/*
 * Check url, filling *result (initialized here; the caller owns it and
 * cleans it up).  On success returns the check, and cb runs exactly once
 * unless lh_check_cancel is called first.  On failure returns NULL, cb
 * never runs, and err says why.
 */
struct lh_check *lh_check_start(struct lh_checker *ck, const char *url,
    struct lh_result *result, lh_check_done_cb cb, void *arg, char *err,
    size_t errlen);

/* Stop a check before its callback: cb will not run, c is freed, and the
 * result keeps what was filled in (the caller still cleans it up). */
void lh_check_cancel(struct lh_check *c);

#endif
