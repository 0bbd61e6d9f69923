/*
 * util: the helpers in util.h.
 */
#include <stdarg.h>
#include <stdbool.h>
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

/*
 * The escape of the character at s (NUL-terminated), into out (at least
 * 8 bytes, not terminated); its length, with the bytes it took in *took.
 * A character that needs none is copied as it is.
 */
static size_t
escape_char(const unsigned char *s, char *out, size_t *took)
{
    size_t n = lh_utf8_len(s, 4);
    unsigned cp;

    if (n == 0) {
        /* Not UTF-8: the byte itself, in hex. */
        *took = 1;
        return (size_t)snprintf(out, 8, "\\x%02x", s[0]);
    }
    *took = n;
    if (n == 1) {
        switch (s[0]) {
        case '\n': memcpy(out, "\\n", 2); return 2;
        case '\r': memcpy(out, "\\r", 2); return 2;
        case '\t': memcpy(out, "\\t", 2); return 2;
        }
        if (s[0] < 0x20 || s[0] == 0x7f)
            return (size_t)snprintf(out, 8, "\\x%02x", s[0]);
        out[0] = (char)s[0];
        return 1;
    }
    cp = n == 2 ? (s[0] & 0x1fu) << 6 | (s[1] & 0x3fu) :
        n == 3 ? (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 |
        (s[2] & 0x3fu) : 0x10000;
    /* C1 controls; the line and paragraph separators; the bidirectional
     * embeddings, overrides and isolates (what "Trojan Source" uses). */
    if ((cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
        (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
        return (size_t)snprintf(out, 8, "\\u%04x", cp);
    memcpy(out, s, n);
    return n;
}

size_t
lh_text_escape(char *dst, size_t size, const char *s)
{
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    size_t len = 0, n, took;
    char one[8];

    while (*u != '\0') {
        n = escape_char(u, one, &took);
        /* Only whole escapes and whole characters go in. */
        if (size > 0 && len + n < size)
            memcpy(dst + len, one, n);
        else if (size > 0 && len < size)
            size = len + 1;
        len += n;
        u += took;
    }
    if (size > 0)
        dst[len < size ? len : size - 1] = '\0';
    return len;
}

int
lh_text_escape_file(FILE *f, const char *s)
{
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    size_t n, took;
    char one[8];

    while (*u != '\0') {
        /* A run of printable ASCII is copied as it is, in one write (the
         * report has a few such texts per link). */
        for (n = 0; u[n] >= 0x20 && u[n] < 0x7f; n++)
            ;
        if (n > 0) {
            if (fwrite(u, 1, n, f) != n)
                return -1;
            u += n;
            continue;
        }
        n = escape_char(u, one, &took);
        if (fwrite(one, 1, n, f) != n)
            return -1;
        u += took;
    }
    return 0;
}

char *
lh_text_escape_dup(const char *s)
{
    size_t n = lh_text_escape(NULL, 0, s);
    char *p;

    if ((p = malloc(n + 1)) == NULL)
        return NULL;
    (void)lh_text_escape(p, n + 1, s);
    return p;
}

int
lh_text_escape_json_file(FILE *f, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s, *end = u + len;
    bool in_string = false;
    size_t n, took;
    unsigned cp;
    char one[8];

    while (u < end) {
        /* escape_char reads up to a NUL: stop a sequence at the end. */
        if (*u == '\0' || (lh_utf8_len(u, (size_t)(end - u)) == 0 &&
            *u >= 0x80)) {
            n = 0;
            took = 1;
        } else
            n = escape_char(u, one, &took);
        if (n == took && memcmp(one, u, n) == 0) {
            /* Safe as it is; follow the strings to know where a raw
             * newline is JSON's whitespace and where an escape. */
            if (*u == '\\' && in_string && u + 1 < end &&
                u[1] >= 0x20 && u[1] < 0x7f) {
                if (fwrite(u, 1, 2, f) != 2)
                    return -1;
                u += 2;
                continue;
            }
            if (*u == '"')
                in_string = !in_string;
        } else if (!in_string && (*u == '\n' || *u == '\r' || *u == '\t')) {
            n = 1;
            memcpy(one, u, 1);
        } else {
            /* The same character in JSON's own escape; a byte that is
             * not UTF-8 has none and becomes U+FFFD. */
            if (n == 0)
                cp = 0xfffd;
            else if (took == 1)
                cp = *u;
            else if (took == 2)
                cp = (u[0] & 0x1fu) << 6 | (u[1] & 0x3fu);
            else
                cp = (u[0] & 0x0fu) << 12 | (u[1] & 0x3fu) << 6 |
                    (u[2] & 0x3fu);
            n = (size_t)snprintf(one, sizeof(one), "\\u%04x", cp);
        }
        if (fwrite(one, 1, n, f) != n)
            return -1;
        u += took;
    }
    return 0;
}

size_t
lh_ull_text(char *buf, unsigned long long v)
{
    char tmp[LH_ULL_DIGITS];
    size_t n = 0, len;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    len = n;
    for (size_t i = 0; i < len; i++)
        buf[i] = tmp[--n];
    buf[len] = '\0';
    return len;
}
