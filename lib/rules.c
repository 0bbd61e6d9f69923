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

/*
 * glibc's regcomp copies the tree of "x{m,n}" n times and of "x+" twice,
 * so nested and stacked repetitions grow the compiled expression
 * exponentially ("a++++..." took gigabytes), its epsilon closures take
 * time quadratic in that size and more ("((a?)+)+..." twelve deep took
 * 10 s), and back-references make matching exponential.  A URL pattern
 * needs none of it: estimate the size of the compiled tree (a repetition
 * multiplies the size of what it repeats) and refuse what is beyond
 * LH_RULE_MAX_NODES, what repeats more than LH_RULE_MAX_REPEAT times, a
 * repetition of a repetition ("a+*", which POSIX leaves undefined), and
 * back-references, before regcomp sees them.  Returns 0, or -1 with a
 * phrase in err.
 */
#define LH_RULE_MAX_LEN 512
#define LH_RULE_MAX_NODES 1000
#define LH_RULE_MAX_REPEAT 255
#define LH_RULE_MAX_DEPTH 32

static size_t
mul_sat(size_t a, size_t b)
{
    return b != 0 && a > (LH_RULE_MAX_NODES + 1) / b ?
        LH_RULE_MAX_NODES + 1 : a * b;
}

static size_t
add_sat(size_t a, size_t b)
{
    return a + b > LH_RULE_MAX_NODES ? LH_RULE_MAX_NODES + 1 : a + b;
}

/* The end of the bracket expression that starts at p ('['), or NULL. */
static const char *
bracket_end(const char *p)
{
    p++;
    if (*p == '^')
        p++;
    if (*p == ']')
        p++;
    for (; *p != '\0' && *p != ']'; p++)
        if (p[0] == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
            const char *q = strchr(p + 2, p[1]);

            while (q != NULL && q[1] != ']')
                q = strchr(q + 1, p[1]);
            if (q == NULL)
                return NULL;
            p = q + 1;
        }
    return *p == ']' ? p : NULL;
}

/* The decimal number at p, at most LH_RULE_MAX_REPEAT + 1; past it. */
static const char *
number(const char *p, long *v)
{
    for (*v = 0; *p >= '0' && *p <= '9'; p++)
        if ((*v = *v * 10 + (*p - '0')) > LH_RULE_MAX_REPEAT)
            *v = LH_RULE_MAX_REPEAT + 1;
    return p;
}

/* The count of "{m}", "{m,}" or "{m,n}" at p, setting *end past it; -1
 * when it is not a valid interval (regcomp will say so). */
static long
interval(const char *p, const char **end)
{
    long m = 0, n;

    p++;
    if (*p < '0' || *p > '9')
        return -1;
    p = number(p, &m);
    n = m;
    if (*p == ',') {
        n = m + 1;      /* "{m,}": m copies and a star */
        if (p[1] >= '0' && p[1] <= '9')
            p = number(p + 1, &n);
        else
            p++;
    }
    if (*p != '}')
        return -1;
    *end = p + 1;
    return m > n ? m : n;
}

static int
pattern_check(const char *re, char *err, size_t errlen)
{
    struct { size_t alts, seq; } st[LH_RULE_MAX_DEPTH + 1];
    size_t depth = 0, last = 0;
    const char *p = re, *end, *quant = NULL;
    long count;

    if (strlen(re) > LH_RULE_MAX_LEN) {
        lh_seterr(err, errlen, "is longer than %d bytes", LH_RULE_MAX_LEN);
        return -1;
    }
    st[0].alts = st[0].seq = 0;
    while (*p != '\0') {
        const char *at = p;
        size_t factor = 0;

        switch (*p) {
        case '\\':
            if (p[1] >= '1' && p[1] <= '9') {
                lh_seterr(err, errlen, "has a back-reference (\\%c), "
                    "which linkhealthd does not accept", p[1]);
                return -1;
            }
            last = 1;
            p += p[1] != '\0' ? 2 : 1;
            break;
        case '[':
            if ((end = bracket_end(p)) == NULL)
                return 0;       /* regcomp names the error */
            last = 1;
            p = end + 1;
            break;
        case '(':
            if (depth == LH_RULE_MAX_DEPTH) {
                lh_seterr(err, errlen, "nests groups deeper than %d",
                    LH_RULE_MAX_DEPTH);
                return -1;
            }
            depth++;
            st[depth].alts = st[depth].seq = 0;
            last = 0;
            p++;
            break;
        case ')':
            if (depth == 0) {
                last = 1;       /* a literal ) in an ERE */
                p++;
                break;
            }
            last = add_sat(st[depth].alts, st[depth].seq) + 1;
            depth--;
            p++;
            break;
        case '|':
            st[depth].alts = add_sat(st[depth].alts, st[depth].seq);
            st[depth].seq = 0;
            last = 0;
            quant = NULL;
            p++;
            continue;
        case '*':
        case '?':
            factor = 1;
            p++;
            break;
        case '+':
            factor = 2;
            p++;
            break;
        case '{':
            if ((count = interval(p, &end)) == -1) {
                last = 1;
                p++;
                break;
            }
            if (count > LH_RULE_MAX_REPEAT) {
                lh_seterr(err, errlen, "repeats something more than %d "
                    "times", LH_RULE_MAX_REPEAT);
                return -1;
            }
            factor = count > 0 ? (size_t)count : 1;
            p = end;
            break;
        default:
            last = 1;
            p++;
            break;
        }
        if (factor != 0 && quant != NULL) {
            lh_seterr(err, errlen, "repeats a repetition (\"%.*s\"), "
                "which POSIX leaves undefined (an extended regular "
                "expression has no lazy or possessive forms)",
                (int)(p - quant), quant);
            return -1;
        }
        quant = factor != 0 ? at : NULL;
        if (factor != 0) {
            /* The repeated item replaces itself in the sequence. */
            size_t grown = mul_sat(last, factor) + 1;

            st[depth].seq -= last < st[depth].seq ? last : st[depth].seq;
            st[depth].seq = add_sat(st[depth].seq, grown);
            last = grown;
        } else {
            st[depth].seq = add_sat(st[depth].seq, last);
        }
        if (st[depth].seq > LH_RULE_MAX_NODES) {
            lh_seterr(err, errlen, "repeats too much: its nested or "
                "stacked repetitions would compile to more than %d "
                "nodes", LH_RULE_MAX_NODES);
            return -1;
        }
    }
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
    if ((rule.pattern = strndup(value, plen)) == NULL)
        goto nomem;
    if (pattern_check(rule.pattern, err, errlen) == -1) {
        rule_cleanup(&rule);
        return -1;
    }
    if ((rule.re = calloc(1, sizeof(*rule.re))) == NULL)
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
