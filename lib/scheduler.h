/*
 * scheduler: the checks of one cycle over the link table, scheduled with a
 * global cap and a per-host cap (round-robin over hosts, so one big site
 * does not starve the others and no transfer waits in curl's queue).  The
 * results are held until every check is done, then judged together
 * (lh_classify_cycle): a cycle in which the monitor could not reach the
 * network records nothing; otherwise each is classified and recorded
 * (verdict, reported state, certificate warning), in directory order.
 * Excluded links are not checked; the accept rules are applied to each
 * verdict before it is recorded.  A "cycle" is the daemon's whole
 * round (read the directory, check, write); this is its checking part.
 * Knows nothing of parsing, HTTP details or where the directory came from.
 */
#ifndef LH_SCHEDULER_H
#define LH_SCHEDULER_H

#include "check.h"
#include "rules.h"
#include "state.h"

struct lh_scheduler;

struct lh_scheduler_params {
    unsigned concurrency;
    unsigned per_host_concurrency;
    unsigned fail_threshold;
    unsigned recover_threshold;
    unsigned cert_warn_days;    /* 0: no certificate warnings */
    const struct lh_rules *rules;   /* accept rules; NULL: none.  Must
                                       stay valid until done_cb */
};

/* After each link's verdict is recorded: t says what happened to its
 * reported state and its certificate warning.  Do not change the link
 * table from here. */
typedef void (*lh_scheduler_link_cb)(struct lh_link *link,
    const struct lh_transition *t, void *arg);
/* What the cycle's checks came to, for done_cb. */
struct lh_scheduler_outcome {
    bool inconclusive;          /* nothing was recorded: see reason */
    enum lh_fail kind;          /* when inconclusive: the commonest failure */
    char reason[LH_REASON_MAX]; /* when inconclusive: why, one line */
    size_t checks;              /* checks that finished */
    size_t heard;               /* of them, heard back */
};

/* When every link has its verdict (or the cycle was inconclusive).  The
 * scheduler is already freed; o is valid during the call. */
typedef void (*lh_scheduler_done_cb)(const struct lh_scheduler_outcome *o,
    void *arg);

/*
 * Check every link of links, which must not change until done_cb (or
 * lh_scheduler_cancel).  Returns NULL with err when the checks cannot
 * start (no links but excluded ones, out of memory; when every check
 * failed to start, err is the inconclusive cycle's reason); done_cb then
 * never runs (link_cb may have, for links whose check failed to start).
 */
struct lh_scheduler *lh_scheduler_start(struct lh_checker *ck,
    struct lh_links *links, const struct lh_scheduler_params *params,
    lh_scheduler_link_cb link_cb, lh_scheduler_done_cb done_cb, void *arg,
    char *err, size_t errlen);

/* Stop in-flight checks and free the scheduler; done_cb will not run.  The
 * checks that finished are judged as a cycle of their own and recorded
 * (link_cb runs for them); links not checked keep their previous state. */
void lh_scheduler_cancel(struct lh_scheduler *s);

#endif
