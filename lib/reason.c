/*
 * reason: the buffer a one-line reason is written into, in whole UTF-8
 * sequences, cut with "…" when full.  Knows nothing of checks or verdicts.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iri.h"
#include "reason.h"
#include "util.h"

#define ERROR_SHOW_MAX  160     /* bytes of an error text quoted */
#define ELLIPSIS        "\xe2\x80\xa6"  /* U+2026, 3 bytes */
#define ELLIPSIS_LEN    3

void
lh_reason_init(struct lh_reason *b, char *s, size_t cap)
{
    b->s = s;
    b->cap = cap;
    b->len = 0;
    b->mark = 0;
    b->full = false;
    s[0] = '\0';
}

static void
put_seq(struct lh_reason *b, const char *seq, size_t n)
{
    if (b->full)
        return;
    if (b->len + n > b->cap - 1) {
        b->len = b->mark;
        memcpy(b->s + b->len, ELLIPSIS, ELLIPSIS_LEN);
        b->len += ELLIPSIS_LEN;
        b->s[b->len] = '\0';
        b->full = true;
        return;
    }
    memcpy(b->s + b->len, seq, n);
    b->len += n;
    b->s[b->len] = '\0';
    if (b->len + ELLIPSIS_LEN <= b->cap - 1)
        b->mark = b->len;
}

/* Append up to limit bytes of s[0..n), then "…" if there was more. */
void
lh_reason_cat_limit(struct lh_reason *b, const char *s, size_t n,
    size_t limit)
{
    size_t out = 0;

    for (size_t i = 0; i < n;) {
        const unsigned char *p = (const unsigned char *)s + i;
        size_t k = lh_utf8_len(p, n - i);
        const char *seq = s + i;
        size_t put = k;

        if (k == 0) {
            seq = "?";
            put = 1;
            k = 1;
        } else if (k == 1 && (p[0] < 0x20 || p[0] == 0x7f)) {
            seq = " ";
        }
        if (out + put > limit) {
            put_seq(b, ELLIPSIS, ELLIPSIS_LEN);
            return;
        }
        put_seq(b, seq, put);
        out += put;
        i += k;
    }
}

void
lh_reason_cat(struct lh_reason *b, const char *s)
{
    size_t n = strlen(s);

    lh_reason_cat_limit(b, s, n, n);
}

/* For numbers and short words only: longer text goes through
 * lh_reason_cat. */
void
lh_reason_printf(struct lh_reason *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    /* A truncated tmp is still a valid prefix; lh_reason_cat marks
     * nothing, so say so with the ellipsis. */
    lh_reason_cat(b, tmp);
    if ((size_t)n >= sizeof(tmp))
        put_seq(b, ELLIPSIS, ELLIPSIS_LEN);
}

void
lh_reason_url(struct lh_reason *b, const char *url)
{
    char *shown;

    if (url == NULL) {
        lh_reason_cat(b, "(no URL)");
        return;
    }
    /* People read the address as they would write it (U-labels, a
     * Unicode path); without memory, as it is. */
    shown = lh_iri_display(url);
    url = shown != NULL ? shown : url;
    lh_reason_cat_limit(b, url, strlen(url), LH_REASON_URL_MAX);
    free(shown);
}

/* An error text from curl or the checker, without its trailing period. */
void
lh_reason_error(struct lh_reason *b, const char *err)
{
    size_t n = strlen(err);

    while (n > 0 && (err[n - 1] == '.' || err[n - 1] == ' ' ||
            err[n - 1] == '\n' || err[n - 1] == '\r'))
        n--;
    lh_reason_cat_limit(b, err, n, ERROR_SHOW_MAX);
}
