/*
 * util: the helpers in util.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

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

size_t
lh_utf8_complete(const char *s, size_t len)
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
        err[lh_utf8_complete(err, errlen - 1)] = '\0';
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
