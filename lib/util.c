/*
 * util: the helpers in util.h.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char replacement_char[] = "\xef\xbf\xbd";     /* U+FFFD */

size_t
lh_utf8_len(const unsigned char *s, size_t n)
{
    unsigned c;

    if (n == 0 || (c = s[0]) == 0)
        return 0;
    if (c < 0x80)
        return 1;
    if (c < 0xc2 || c > 0xf4)
        return 0;
    if (c < 0xe0)
        return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c < 0xf0) {
        if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0))
            return 0;
        return 3;
    }
    if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
        (s[3] & 0xc0) != 0x80)
        return 0;
    if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
        return 0;
    return 4;
}

/* len, or less, so that s[0..len) does not end inside a character. */
static size_t
utf8_complete(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t lead = len, need;

    while (lead > 0 && len - lead < 4 && (u[lead - 1] & 0xc0) == 0x80)
        lead--;
    if (lead == 0)
        return len;
    lead--;
    need = u[lead] >= 0xf0 ? 4 : u[lead] >= 0xe0 ? 3 : u[lead] >= 0xc0 ?
        2 : 1;
    return lead + need > len ? lead : len;
}

size_t
lh_utf8_invalid(const char *s, size_t len, size_t *first)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t bad = 0, i = 0, k;

    while (i < len) {
        /* ASCII without a call: most input is. */
        if (u[i] > 0 && u[i] < 0x80) {
            i++;
            continue;
        }
        if ((k = lh_utf8_len(u + i, len - i)) == 0) {
            if (bad++ == 0)
                *first = i;
            k = 1;
        }
        i += k;
    }
    return bad;
}

char *
lh_utf8_replace_invalid(const char *s, size_t len, size_t *outlen)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t first, bad = lh_utf8_invalid(s, len, &first), i, k, o;
    char *copy;

    /* Each bad byte grows by two: 3 * len bounds it all. */
    if (len > SIZE_MAX / 3 - 1 || (copy = malloc(len + 2 * bad + 1)) ==
        NULL)
        return NULL;
    for (i = o = 0; i < len; i += k) {
        if ((k = lh_utf8_len(u + i, len - i)) == 0) {
            memcpy(copy + o, replacement_char, 3);
            o += 3;
            k = 1;
        } else {
            memcpy(copy + o, s + i, k);
            o += k;
        }
    }
    copy[o] = '\0';
    *outlen = o;
    return copy;
}

void
lh_text_line_col(const char *text, size_t offset, unsigned *line,
    unsigned *col)
{
    size_t start = 0;
    unsigned l = 1, c = 1;

    for (size_t i = 0; i < offset; i++)
        if (text[i] == '\n') {
            l++;
            start = i + 1;
        }
    for (size_t i = start; i < offset; i++)
        if (((unsigned char)text[i] & 0xc0) != 0x80)
            c++;
    *line = l;
    *col = c;
}

char *
lh_text_normalize(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, o = 0, cap = n + 1, k;
    int space = 0;
    char *out, *bigger;

    if ((out = malloc(cap)) == NULL)
        return NULL;
    while (i < n) {
        unsigned char c = u[i];

        if (c > 0x20 && c < 0x7f) {
            if (space && o > 0)
                out[o++] = ' ';
            space = 0;
            out[o++] = (char)c;
            i++;
            continue;
        }
        if (c != 0 && lh_is_space_byte(c)) {
            space = 1;
            i++;
            continue;
        }
        if (c == 0xc2 && i + 1 < n && u[i + 1] == 0xa0) {
            space = 1;
            i += 2;
            continue;
        }
        if (space && o > 0)
            out[o++] = ' ';
        space = 0;
        if ((k = lh_utf8_len(u + i, n - i)) > 0) {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
            continue;
        }
        /*
         * One byte in, three out.  Until now o <= i; make room for all
         * the rest to be replacements, so this grows at most once.
         */
        if (cap - o < 3 * (n - i) + 1) {
            if (n > (SIZE_MAX - 16) / 3)
                goto fail;
            cap = o + 3 * (n - i) + 1;
            if ((bigger = realloc(out, cap)) == NULL)
                goto fail;
            out = bigger;
        }
        memcpy(out + o, replacement_char, 3);
        o += 3;
        i++;
    }
    out[o] = '\0';
    return out;
fail:
    free(out);
    return NULL;
}

void
lh_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    n = vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    if (n < 0)
        err[0] = '\0';
    else if ((size_t)n >= errlen)
        err[utf8_complete(err, errlen - 1)] = '\0';
}

int
lh_replace_string(char **slot, const char *s)
{
    char *copy = NULL;

    if (s != NULL && (copy = strdup(s)) == NULL)
        return -1;
    free(*slot);
    *slot = copy;
    return 0;
}

int
lh_list_next(const char **s, char *word, size_t size)
{
    const char *p = *s + strspn(*s, ", \t");
    size_t n = strcspn(p, ", \t");

    *s = p;
    if (n == 0)
        return 0;
    if (n >= size)
        return -1;
    memcpy(word, p, n);
    word[n] = '\0';
    *s = p + n;
    return (int)n;
}
