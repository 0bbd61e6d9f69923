/*
 * hook: the on_change program, run without a shell after each cycle that
 * changed something, with the cycle's notification (notice.h) on its
 * standard input and in its environment; bounded in time, one at a time.
 */
#ifndef LH_HOOK_H
#define LH_HOOK_H

struct uv_loop_s;
struct lh_hook;

/* NULL when out of memory or the loop refuses a timer. */
struct lh_hook *lh_hook_new(struct uv_loop_s *loop);

/* The program (NULL: none; copied) and its time limit, from the next run
 * on. */
void lh_hook_configure(struct lh_hook *h, const char *path,
    unsigned timeout_ms);

/*
 * Run the program for doc (copied).  While a run is under way, doc waits;
 * a later one replaces a waiting one (counted in LINKHEALTHD_SKIPPED):
 * the program never runs twice at once, and it always sees the latest.
 */
void lh_hook_run(struct lh_hook *h, const char *doc);

/* Stop: a running program gets SIGTERM and is not waited for; closed
 * runs when every handle is closed and h is freed. */
void lh_hook_close(struct lh_hook *h, void (*closed)(void *), void *arg);

#endif
