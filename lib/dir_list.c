/*
 * dir_list: the plain-list reader of the directory parser: one URL per
 * line, an optional name after it.
 */
#include <stdlib.h>
#include <string.h>

#include "dir_internal.h"
#include "util.h"

/*
 * A region line, "[Name]" alone on its line (s[0] is '['): the region of
 * the lines after it, "" for "[]".  Returns 0 and replaces *region, 1
 * when the line is not one, -1 when out of memory.
 */
static int
region_line(const char *s, size_t n, char **region)
{
    char *r;

    while (n > 1 && lh_is_space_byte((unsigned char)s[n - 1]))
        n--;
    if (n < 2 || s[n - 1] != ']')
        return 1;
    if ((r = lh_text_normalize(s + 1, n - 2)) == NULL)
        return -1;
    free(*region);
    *region = r;
    return 0;
}

/*
 * One URL per line, an optional name after it; '#' starts a comment and
 * "[Region]" sets the region.
 */
int
lh_dir_list_parse(struct lh_dir_parser *p, const char *text, size_t start,
    size_t len)
{
    unsigned line = 1;
    char *region = strdup("");
    int rc = 0;

    if (region == NULL)
        return lh_dir_oom(p);

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
        if (s[i] == '[' && (rc = region_line(s + i, n - i, &region)) != 1) {
            if (rc == -1)
                break;
            continue;
        }
        for (u = i; u < n && !lh_is_space_byte((unsigned char)s[u]); u++)
            ;
        if ((url = strndup(s + i, u - i)) == NULL ||
            (name = lh_text_normalize(s + u, n - u)) == NULL ||
            (desc = strdup("")) == NULL) {
            free(url);
            free(name);
            rc = -1;
            break;
        }
        rc = lh_dir_add_entry(p, line, region, url, name, desc);
        free(url);
        if (rc == -1) {
            free(region);
            return -1;
        }
    }
    free(region);
    return rc == -1 ? lh_dir_oom(p) : 0;
}
