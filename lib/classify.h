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

/* "ok", "moved", "stale", "blocked", "error", "unreachable", "unknown". */
const char *lh_state_name(enum lh_state s);
/* 0 and *out for a known name, -1 otherwise. */
int lh_state_parse(const char *name, enum lh_state *out);
/* True for the states a link may be in and still count as healthy. */
int lh_state_is_good(enum lh_state s);

/*
 * URL helpers, exported for tests and for state.c.  Both return 0 for
 * "no" and 1 for "yes"; unparsable URLs are never equivalent.
 *
 * lh_url_equivalent: the same resource, allowing http -> https, adding or
 * dropping "www.", a trailing slash, a default port and host case.
 * lh_url_is_home: the path is "/" (or empty) or a bare index page
 * ("/index.html", "/index.php", …) with no query.
 */
int lh_url_equivalent(const char *a, const char *b);
int lh_url_is_home(const char *url);

#endif
