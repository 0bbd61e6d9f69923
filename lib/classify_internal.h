/*
 * classify_internal: what the files of the classifier share, and nothing
 * else includes: the words for an answer that every part uses (classify.c),
 * the failure reasons (classify_fail.c) and the rules for rot behind a 2xx
 * (classify_page.c).
 */
#ifndef LH_CLASSIFY_INTERNAL_H
#define LH_CLASSIFY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "classify.h"
#include "reason.h"
#include "result.h"

static inline bool
lh_classify_has_text(const char *s)
{
    return s != NULL && s[0] != '\0';
}

/* ---- classify.c: words for the answer ---- */

/* Where the chain ended: the last URL asked, else the best guess; NULL
 * when there is none.  Borrowed from r. */
const char *lh_classify_final_url(const struct lh_result *r);
/* " at https://…" when redirects took the check somewhere else. */
void lh_classify_where(struct lh_reason *b, const struct lh_result *r);
/* " after 1 retry", " after 3 retries"; nothing without retries. */
void lh_classify_retries(struct lh_reason *b, const struct lh_result *r);
/* For reasons that do not start with the status: ", GET after HEAD 403";
 * nothing when HEAD decided. */
void lh_classify_fallback_note(struct lh_reason *b,
    const struct lh_result *r);

/* ---- classify_fail.c: the reason when the check failed ---- */

/* The monitor's own failure, in words: never the link's. */
void lh_classify_local_reason(struct lh_reason *b,
    const struct lh_result *r);
/* A lapsed domain: true, v->state stale and the reason written; false,
 * nothing written. */
bool lh_classify_domain_lapsed(struct lh_verdict *v, struct lh_reason *b,
    const struct lh_result *r);
/* Failures where the server was never heard: true with the reason written
 * (the state is unreachable); false, nothing written. */
bool lh_classify_fail_unreachable(struct lh_reason *b,
    const struct lh_result *r);
/* Failures of the chain or the answer itself (the state is error). */
void lh_classify_fail_error(struct lh_reason *b, const struct lh_result *r);

/* ---- classify_page.c: rot behind a 2xx ---- */

/* Rules C1-C6 for a 2xx final answer: true when one applies, with
 * v->state set and the reason written; false, nothing written. */
bool lh_classify_content(struct lh_verdict *v, struct lh_reason *b,
    const struct lh_result *r);

#endif
