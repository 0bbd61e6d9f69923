/*
 * htmlguard: what keeps libxml2 2.9's HTML parser within bounds on
 * hostile input, for the directory (dir_html.c) and for linked pages
 * (page.c).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "htmlguard.h"

/* Where the first s[i..len) case-insensitive match of what starts, or
 * len. */
static size_t
find_nocase(const char *s, size_t i, size_t len, const char *what)
{
    size_t n = strlen(what);
    const char *lt;

    while (i + n <= len && (lt = memchr(s + i, what[0], len - i)) != NULL) {
        i = (size_t)(lt - s);
        if (i + n <= len && strncasecmp(lt, what, n) == 0)
            return i;
        i++;
    }
    return len;
}

/* What ends a run of bytes in a tag, as lh_html_crowded_tag reads one. */
enum {
    C_SPACE = 1 << 0,   /* as lh_is_space_byte: <= 0x20, 0x7f */
    C_GT = 1 << 1,
    C_EQ = 1 << 2,
    C_SLASH = 1 << 3
};

static const unsigned char tag_class[256] = {
    [0 ... 0x20] = C_SPACE, [0x7f] = C_SPACE,
    ['>'] = C_GT, ['='] = C_EQ, ['/'] = C_SLASH,
};

/* The first byte at or after i (or len) whose class is in stop. */
static size_t
run_to(const char *s, size_t i, size_t len, unsigned stop)
{
    while (i < len && !(tag_class[(unsigned char)s[i]] & stop))
        i++;
    return i;
}

/* The first byte at or after i (or len) whose class is not in skip. */
static size_t
run_over(const char *s, size_t i, size_t len, unsigned skip)
{
    while (i < len && (tag_class[(unsigned char)s[i]] & skip))
        i++;
    return i;
}

size_t
lh_html_crowded_tag(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        const char *lt = memchr(s + i, '<', len - i);
        size_t tag, name, nlen, natts = 0;

        if (lt == NULL)
            break;
        tag = (size_t)(lt - s);
        i = tag + 1;
        if (len - i >= 3 && memcmp(s + i, "!--", 3) == 0) {
            const char *end = memmem(s + i + 3, len - i - 3, "-->", 3);

            i = end != NULL ? (size_t)(end - s) + 3 : len;
            continue;
        }
        if (i == len || !isalpha((unsigned char)s[i]))
            continue;
        name = i;
        i = run_to(s, i, len, C_SPACE | C_GT | C_SLASH);
        nlen = i - name;
        for (;;) {
            i = run_over(s, i, len, C_SPACE | C_SLASH);
            if (i == len || s[i] == '>')
                break;
            if (++natts > LH_HTML_MAX_ATTRIBUTES)
                return tag;
            i = run_to(s, i, len, C_SPACE | C_GT | C_EQ);
            i = run_over(s, i, len, C_SPACE);
            if (i == len || s[i] != '=')
                continue;
            i = run_over(s, i + 1, len, C_SPACE);
            if (i < len && (s[i] == '"' || s[i] == '\'')) {
                const char *q = memchr(s + i + 1, s[i], len - i - 1);

                i = q != NULL ? (size_t)(q - s) + 1 : len;
            } else {
                i = run_to(s, i, len, C_SPACE | C_GT);
            }
        }
        if (nlen == 6 && strncasecmp(s + name, "script", 6) == 0)
            i = find_nocase(s, i, len, "</script");
        else if (nlen == 5 && strncasecmp(s + name, "style", 5) == 0)
            i = find_nocase(s, i, len, "</style");
    }
    return len;
}

bool
lh_html_meter_add(struct lh_html_meter *m, int code, int open)
{
    if (code != XML_ERR_TAG_NAME_MISMATCH || open <= 0)
        return false;
    m->misplaced++;
    m->cost += (unsigned)open;
    return m->cost > LH_HTML_MAX_MISPLACED_COST;
}
