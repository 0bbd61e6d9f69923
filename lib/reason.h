/*
 * reason: the buffer a one-line reason is written into (classify's
 * verdicts and cycle reasons).  No I/O, no allocation.
 */
#ifndef LH_REASON_H
#define LH_REASON_H

#include <stdbool.h>
#include <stddef.h>

#define LH_REASON_URL_MAX 160   /* bytes of a URL quoted in a reason */

/*
 * Text goes in whole UTF-8 sequences: a byte that starts no valid
 * sequence becomes '?', a control character a space, so the reason is
 * always one line of valid UTF-8 (it ends up in JSON).  When it fills up,
 * it is cut at a sequence boundary and ends with "…".
 */
struct lh_reason {
    char *s;
    size_t cap;     /* bytes, the NUL included */
    size_t len;
    size_t mark;    /* the last boundary that leaves room for "…" */
    bool full;
};

/* Write into s, cap bytes (at least 1), borrowed for as long as b is
 * used; s holds "" at once and a NUL-terminated reason after each call. */
void lh_reason_init(struct lh_reason *b, char *s, size_t cap);

/* Append up to limit bytes of s[0..n), then "…" if there was more. */
void lh_reason_cat_limit(struct lh_reason *b, const char *s, size_t n,
    size_t limit);
void lh_reason_cat(struct lh_reason *b, const char *s);

/* For numbers and short words only (up to 127 bytes, then "…"): longer
 * text goes through lh_reason_cat. */
void lh_reason_printf(struct lh_reason *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A URL, up to LH_REASON_URL_MAX bytes; "(no URL)" for NULL. */
void lh_reason_url(struct lh_reason *b, const char *url);

/* An error text from curl or the checker, without its trailing period,
 * up to 160 bytes. */
void lh_reason_error(struct lh_reason *b, const char *err);

#endif
