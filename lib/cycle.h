/*
 * cycle: one check cycle over the link table: schedules the checks with a
 * global cap and a per-host cap (round-robin over hosts, so one big site
 * does not starve the others and no transfer waits in curl's queue),
 * classifies each result and records the verdict.  Knows nothing of
 * parsing, HTTP details or where the directory came from.
 */
#ifndef LH_CYCLE_H
#define LH_CYCLE_H

#include "check.h"
#include "state.h"

struct lh_cycle;

struct lh_cycle_params {
    unsigned concurrency;
    unsigned per_host_concurrency;
    unsigned fail_threshold;
    unsigned recover_threshold;
};

/* After each link's verdict is recorded: t says what happened to its
 * reported state.  Do not change the link table from here. */
typedef void (*lh_cycle_link_cb)(struct lh_link *link,
    const struct lh_transition *t, void *arg);
/* When every link has its verdict.  The cycle is already freed. */
typedef void (*lh_cycle_done_cb)(void *arg);

/*
 * Check every link of links, which must not change until done_cb (or
 * lh_cycle_cancel).  Returns NULL with err when the cycle cannot start
 * (no links, out of memory); done_cb then never runs (link_cb may have,
 * for links whose check failed to start).
 */
struct lh_cycle *lh_cycle_start(struct lh_checker *ck, struct lh_links *links,
    const struct lh_cycle_params *params, lh_cycle_link_cb link_cb,
    lh_cycle_done_cb done_cb, void *arg, char *err, size_t errlen);

/* Stop in-flight checks and free the cycle; done_cb will not run.  Links
 * not checked keep their previous state. */
void lh_cycle_cancel(struct lh_cycle *cy);

/* Checks finished so far, and the number of links in the cycle. */
size_t lh_cycle_done(const struct lh_cycle *cy);
size_t lh_cycle_total(const struct lh_cycle *cy);

#endif
