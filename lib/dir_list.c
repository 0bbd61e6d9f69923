/*
 * dir_list: the plain-list reader of the directory parser: one URL per
 * line, an optional name after it.
 */
#include <stdlib.h>
#include <string.h>

#include "dir_internal.h"
#include "util.h"

/* One URL per line, an optional name after it; '#' starts a comment. */
int
lh_dir_list_parse(struct lh_dir_parser *p, const char *text, size_t start,
    size_t len)
{
    unsigned line = 1;

    /* Count the lines before start (only whitespace is there). */
    for (size_t i = 0; i < start; i++)
        if (text[i] == '\n')
            line++;
    for (size_t pos = start; pos < len; line++) {
        const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - pos, i = 0, u;
        char *url = NULL, *name = NULL, *desc = NULL;

        pos += n + (nl != NULL);
        while (i < n && lh_is_space_byte((unsigned char)s[i]))
            i++;
        if (i == n || s[i] == '#')
            continue;
        for (u = i; u < n && !lh_is_space_byte((unsigned char)s[u]); u++)
            ;
        if ((url = strndup(s + i, u - i)) == NULL ||
            (name = lh_text_normalize(s + u, n - u)) == NULL ||
            (desc = strdup("")) == NULL) {
            free(url);
            free(name);
            return lh_dir_oom(p);
        }
        if (lh_dir_add_entry(p, line, "", url, name, desc) == -1) {
            free(url);
            return -1;
        }
        free(url);
    }
    return 0;
}
