/*
 * rules: exclude and accept rules, compiled once when the configuration
 * is read, and the state sets of fail_on.  The accept rules are applied
 * after classification (classify.c stays a pure verdict on the evidence);
 * an accepted verdict keeps the classifier's reason after its own, so the
 * reason stays true.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "state.h"
#include "util.h"

void
lh_rules_init(struct lh_rules *r)
{
    memset(r, 0, sizeof(*r));
}

static void
rule_cleanup(struct lh_rule *rule)
{
    if (rule->re != NULL) {
        regfree(rule->re);
        free(rule->re);
    }
    free(rule->pattern);
    free(rule->what);
}

void
lh_rules_cleanup(struct lh_rules *r)
{
    for (size_t i = 0; i < r->n; i++)
        rule_cleanup(&r->v[i]);
    free(r->v);
    memset(r, 0, sizeof(*r));
}

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* One word of an accept list or a fail_on set: a state, or (codes not
 * NULL) an HTTP status code.  0, or -1 with err. */
static int
parse_word(const char *w, unsigned *states, int *codes, size_t *ncodes,
    char *err, size_t errlen)
{
    enum lh_state s;
    char *end;
    long code;

    if (lh_state_parse(w, &s) == 0 && s != LH_STATE_OK &&
        s != LH_STATE_UNKNOWN) {
        *states |= LH_STATE_BIT(s);
        return 0;
    }
    if (codes != NULL && w[0] >= '1' && w[0] <= '9') {
        errno = 0;
        code = strtol(w, &end, 10);
        if (errno == 0 && *end == '\0' && code >= 100 && code <= 599) {
            if (*ncodes == LH_RULE_MAX_CODES) {
                lh_seterr(err, errlen, "lists more than %d status codes",
                    LH_RULE_MAX_CODES);
                return -1;
            }
            codes[(*ncodes)++] = (int)code;
            return 0;
        }
    }
    if (codes != NULL)
        lh_seterr(err, errlen, "has \"%s\", which is neither a state "
            "(moved, stale, blocked, error, unreachable) nor an HTTP status "
            "code (100-599)", w);
    else
        lh_seterr(err, errlen, "has \"%s\", which is not one of moved, "
            "stale, blocked, error, unreachable", w);
    return -1;
}

/* A list of words separated by commas or blanks, at least one. */
static int
parse_list(const char *p, unsigned *states, int *codes, size_t *ncodes,
    char *err, size_t errlen)
{
    char word[32];
    size_t nwords = 0;
    int n;

    while ((n = lh_list_next(&p, word, sizeof(word))) > 0) {
        if (parse_word(word, states, codes, ncodes, err, errlen) == -1)
            return -1;
        nwords++;
    }
    if (n == -1) {
        lh_seterr(err, errlen, "has \"%.*s\", which is too long to be "
            "a state or a status code", (int)strcspn(p, ", \t"), p);
        return -1;
    }
    if (nwords == 0) {
        lh_seterr(err, errlen, codes != NULL ? "names no state or status "
            "code after the pattern" : "names no state");
        return -1;
    }
    return 0;
}

int
lh_rules_parse_states(const char *value, unsigned *mask, char *err,
    size_t errlen)
{
    unsigned states = 0;

    if (parse_list(value, &states, NULL, NULL, err, errlen) == -1)
        return -1;
    *mask = states;
    return 0;
}

/* The accept list again, as "403, blocked": for --check-config. */
static char *
list_text(const struct lh_rule *rule)
{
    char buf[256];
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < rule->ncodes && off < sizeof(buf); i++)
        off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%d",
            off ? ", " : "", rule->codes[i]);
    for (int s = 0; s < LH_STATE_COUNT && off < sizeof(buf); s++)
        if (rule->states & LH_STATE_BIT(s))
            off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
                off ? ", " : "", lh_state_name((enum lh_state)s));
    return strdup(buf);
}

int
lh_rules_add(struct lh_rules *r, enum lh_rule_kind kind, const char *value,
    char *err, size_t errlen)
{
    struct lh_rule rule, *grown;
    const char *list = "";
    size_t plen;
    int rc;

    memset(&rule, 0, sizeof(rule));
    rule.kind = kind;
    plen = strlen(value);
    if (kind == LH_RULE_ACCEPT) {
        /* The pattern is the first word: a URL has no blanks. */
        plen = strcspn(value, " \t");
        list = value + plen;
        while (is_blank(*list))
            list++;
    }
    if (plen == 0) {
        lh_seterr(err, errlen, "has no pattern");
        return -1;
    }
    if (kind == LH_RULE_ACCEPT && parse_list(list, &rule.states, rule.codes,
            &rule.ncodes, err, errlen) == -1)
        return -1;
    if ((rule.pattern = strndup(value, plen)) == NULL ||
        (rule.re = calloc(1, sizeof(*rule.re))) == NULL)
        goto nomem;
    if ((rc = regcomp(rule.re, rule.pattern, REG_EXTENDED | REG_NOSUB)) !=
        0) {
        char why[200];

        (void)regerror(rc, rule.re, why, sizeof(why));
        free(rule.re);  /* nothing to regfree after a failed regcomp */
        rule.re = NULL;
        rule_cleanup(&rule);
        lh_seterr(err, errlen, "is not a regular expression: %s", why);
        return -1;
    }
    if (kind == LH_RULE_ACCEPT && (rule.what = list_text(&rule)) == NULL)
        goto nomem;
    if ((grown = realloc(r->v, (r->n + 1) * sizeof(*grown))) == NULL)
        goto nomem;
    r->v = grown;
    rule.number = (unsigned)r->n + 1;
    r->v[r->n++] = rule;
    return 0;
nomem:
    rule_cleanup(&rule);
    lh_seterr(err, errlen, "cannot be kept: out of memory");
    return -1;
}

static bool
matches(const struct lh_rule *rule, const char *url)
{
    return url != NULL && regexec(rule->re, url, 0, NULL, 0) == 0;
}

unsigned
lh_rules_excluded(const struct lh_rules *r, const char *url)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].kind == LH_RULE_EXCLUDE && matches(&r->v[i], url))
            return r->v[i].number;
    return 0;
}

static bool
lists_code(const struct lh_rule *rule, int code)
{
    for (size_t i = 0; code > 0 && i < rule->ncodes; i++)
        if (rule->codes[i] == code)
            return true;
    return false;
}

unsigned
lh_rules_accept(const struct lh_rules *r, const char *url, int http_status,
    struct lh_verdict *v)
{
    char reason[LH_REASON_MAX];

    if (v->inconclusive || v->state == LH_STATE_OK ||
        (size_t)v->state >= LH_STATE_COUNT)
        return 0;
    for (size_t i = 0; i < r->n; i++) {
        const struct lh_rule *rule = &r->v[i];

        if (rule->kind != LH_RULE_ACCEPT ||
            (!(rule->states & LH_STATE_BIT(v->state)) &&
                !lists_code(rule, http_status)) ||
            !matches(rule, url))
            continue;
        /* At most 460 bytes of the old reason: its start says the most. */
        (void)snprintf(reason, sizeof(reason), "accepted by rule %u: %.460s",
            rule->number, v->reason);
        memcpy(v->reason, reason, sizeof(v->reason));
        v->state = LH_STATE_OK;
        v->new_url = NULL;
        return rule->number;
    }
    return 0;
}
