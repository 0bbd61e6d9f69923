/*
 * classify: a pure function from a check record to a verdict: a state and
 * a one-line reason a person can act on.  No I/O, no clock, no curl.
 */
#ifndef LH_CLASSIFY_H
#define LH_CLASSIFY_H

#include "result.h"

enum lh_state {
    LH_STATE_UNKNOWN = 0,   /* not checked yet */
    LH_STATE_OK,
    LH_STATE_MOVED,
    LH_STATE_STALE,
    LH_STATE_BLOCKED,
    LH_STATE_ERROR,
    LH_STATE_UNREACHABLE
};
#define LH_STATE_COUNT 7

#define LH_REASON_MAX 512

struct lh_verdict {
    enum lh_state state;
    char reason[LH_REASON_MAX];     /* one line, no trailing period */
    /* For moved: where the directory should point now (borrowed from the
     * result, valid as long as it is).  NULL otherwise. */
    const char *new_url;
    /* No verdict: the check failed for the monitor's own reasons
     * (lh_result_local); state is unknown and reason says what failed.
     * The link keeps its last verdict. */
    bool inconclusive;
};

void lh_classify(const struct lh_result *r, struct lh_verdict *v);

/* The evidence of one cycle's checks, for lh_classify_cycle. */
#define LH_TALLY_ERROR_MAX 160
struct lh_cycle_tally {
    size_t checks;      /* results added */
    size_t heard;       /* heard back (lh_result_heard_back) */
    size_t silent;      /* needed the network and heard nothing */
    size_t local;       /* the monitor's own failures (lh_result_local) */
    size_t by_fail[LH_FAIL_OTHER + 1];  /* silent and local, by failure */
    char local_error[LH_TALLY_ERROR_MAX];  /* the first local error text */
};

void lh_cycle_tally_init(struct lh_cycle_tally *t);
void lh_cycle_tally_add(struct lh_cycle_tally *t, const struct lh_result *r);
/* The same, from what a link keeps of a check (state.h's lh_last): was
 * it heard back (lh_result_heard_back), decided offline
 * (lh_result_offline), its failure and error text. */
void lh_cycle_tally_count(struct lh_cycle_tally *t, bool heard_back,
    bool offline, enum lh_fail fail, const char *error);

/*
 * Is the cycle inconclusive: did the monitor fail to reach the network
 * rather than the links fail?  True with a one-line reason (at most
 * LH_REASON_MAX bytes, the commonest failure first) and *kind, that
 * failure's id (for "has the reason changed"); false when its verdicts
 * stand.  The rules are in classify.c.
 */
bool lh_classify_cycle(const struct lh_cycle_tally *t, char *reason,
    size_t reasonlen, enum lh_fail *kind);

#endif
