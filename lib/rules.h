/*
 * rules: the link rules of the configuration.  exclude: links that are
 * not to be checked at all; accept: verdicts taken as ok for the links a
 * pattern matches; and the state sets of fail_on.  Patterns are POSIX
 * extended regular expressions matched against the URL as listed.
 * Knows nothing of HTTP, the loop, files or the link table.
 */
#ifndef LH_RULES_H
#define LH_RULES_H

#include <regex.h>
#include <stddef.h>

#include "classify.h"

#define LH_RULE_MAX_CODES 16

enum lh_rule_kind { LH_RULE_EXCLUDE, LH_RULE_ACCEPT };

struct lh_rule {
    enum lh_rule_kind kind;
    unsigned number;            /* from 1, in file order over both kinds */
    char *pattern;              /* as written */
    char *what;                 /* accept: the states and codes as
                                   written, normalized ("403, blocked");
                                   NULL for exclude */
    regex_t *re;                /* compiled; on the heap, never moved */
    unsigned states;            /* accept: bit 1u << state per state */
    int codes[LH_RULE_MAX_CODES];   /* accept: HTTP status codes */
    size_t ncodes;
};

struct lh_rules {
    struct lh_rule *v;
    size_t n;
};

void lh_rules_init(struct lh_rules *r);
void lh_rules_cleanup(struct lh_rules *r);

/*
 * Add a rule from a configuration value: for LH_RULE_EXCLUDE a pattern;
 * for LH_RULE_ACCEPT "PATTERN WHAT[,WHAT...]" where the pattern is the
 * value up to its last run of blanks and each WHAT is a state (moved,
 * stale, blocked, error, unreachable) or an HTTP status code (100-599).
 * Returns 0, or -1 with a phrase in err that follows the value in a
 * message ("is not a regular expression: Unmatched ( or \\(").
 */
int lh_rules_add(struct lh_rules *r, enum lh_rule_kind kind,
    const char *value, char *err, size_t errlen);

/* The number of the first exclude rule matching url, or 0. */
unsigned lh_rules_excluded(const struct lh_rules *r, const char *url);

/*
 * Apply the accept rules to v, the verdict on url whose check ended with
 * HTTP status http_status (0: none).  The first accept rule whose pattern
 * matches url and that lists v's state, or http_status, turns a verdict
 * that is not ok into ok: its reason becomes "accepted by rule N: " and
 * the reason it had, and new_url is dropped.  Returns the rule's number,
 * or 0 when v is unchanged (ok already, inconclusive, or no rule fits).
 */
unsigned lh_rules_accept(const struct lh_rules *r, const char *url,
    int http_status, struct lh_verdict *v);

/*
 * Parse a set of states, "stale, error, unreachable" (commas or blanks
 * between them; moved, stale, blocked, error, unreachable), into bits
 * 1u << state.  Returns 0, or -1 with a phrase in err.
 */
int lh_rules_parse_states(const char *value, unsigned *mask, char *err,
    size_t errlen);

/* The bit of state s in a set of lh_rules_parse_states. */
#define LH_STATE_BIT(s) (1u << (unsigned)(s))

#endif
