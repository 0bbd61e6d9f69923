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
};

void lh_classify(const struct lh_result *r, struct lh_verdict *v);

#endif
