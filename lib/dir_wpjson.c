/*
 * dir_wpjson: the WordPress REST reader of the directory parser.  One page
 * object or an array of them; the HTML of each, content.rendered, goes to
 * the HTML reader.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "dir_internal.h"
#include "util.h"

/* content.rendered of one page object, or NULL. */
static const char *
page_rendered(const cJSON *page)
{
    const cJSON *content, *rendered;

    if (!cJSON_IsObject(page))
        return NULL;
    content = cJSON_GetObjectItemCaseSensitive(page, "content");
    rendered = cJSON_GetObjectItemCaseSensitive(content, "rendered");
    if (!cJSON_IsString(rendered) || rendered->valuestring == NULL)
        return NULL;
    return rendered->valuestring;
}

/*
 * What a cJSON failure most likely means: JSON that stops inside a string
 * or with containers still open is what a truncated file looks like.
 */
static const char *
json_hint(const char *text, size_t start, size_t len)
{
    size_t depth = 0;
    int in_string = 0;

    for (size_t i = start; i < len; i++) {
        char c = text[i];

        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    if (in_string)
        return ": a string that never ends (is the file truncated?)";
    if (depth > 0)
        return ": it ends too early (is the file truncated?)";
    return "";
}

/*
 * The line of the file on which each page's content.rendered string
 * begins, in the order of the pages: a JSON string holds no raw newline,
 * so all of that page's HTML is on that line, and it is the line a
 * warning about one of its organizations names.  cJSON keeps no
 * positions: a small scan over the text finds them.  Returns how many it
 * found (at most max).
 */
#define SCAN_DEPTH 4

static size_t
rendered_lines(const char *text, size_t start, size_t len, unsigned *lines,
    size_t max)
{
    struct { char type; const char *key; size_t klen; } st[SCAN_DEPTH];
    size_t depth = 0, found = 0, pagedepth = 0;
    unsigned line = 1;
    int expect_key = 0;

    for (size_t i = 0; i < start; i++)
        line += text[i] == '\n';
    for (size_t i = start; i < len && found < max; i++) {
        char c = text[i];
        size_t j;

        if (c == '\n') {
            line++;
        } else if (c == '{' || c == '[') {
            if (depth == 0)
                pagedepth = c == '[' ? 2 : 1;
            if (depth < SCAN_DEPTH) {
                st[depth].type = c;
                st[depth].key = NULL;
                st[depth].klen = 0;
            }
            depth++;
            expect_key = c == '{';
        } else if (c == '}' || c == ']') {
            if (depth > 0)
                depth--;
            expect_key = 0;
        } else if (c == ',') {
            expect_key = depth > 0 && depth <= SCAN_DEPTH &&
                st[depth - 1].type == '{';
        } else if (c == '"') {
            for (j = i + 1; j < len && text[j] != '"'; j++)
                if (text[j] == '\\')
                    j++;
            if (expect_key && depth > 0 && depth <= SCAN_DEPTH) {
                st[depth - 1].key = text + i + 1;
                st[depth - 1].klen = j - i - 1;
                expect_key = 0;
            } else if (depth == pagedepth + 1 && depth <= SCAN_DEPTH &&
                st[depth - 1].klen == 8 &&
                memcmp(st[depth - 1].key, "rendered", 8) == 0 &&
                st[depth - 2].klen == 7 &&
                memcmp(st[depth - 2].key, "content", 7) == 0) {
                lines[found++] = line;
            }
            i = j;
        }
    }
    return found;
}

/* One page's HTML, its entries on the JSON line of its string. */
static int
page_parse(struct lh_dir_parser *p, const char *html, const unsigned *lines,
    size_t nlines, size_t page)
{
    int rc;

    p->line_base = page < nlines ? lines[page] : 0;
    rc = lh_dir_html_parse(p, html, strlen(html));
    p->line_base = 0;
    return rc;
}

int
lh_dir_wpjson_parse(struct lh_dir_parser *p, const char *text,
    size_t start, size_t len)
{
    const char *end = NULL, *html;
    const cJSON *page, *message;
    cJSON *root;
    unsigned line, col, *lines = NULL;
    size_t pages = 0, nlines = 0, max;
    int rc = -1;

    root = cJSON_ParseWithLengthOpts(text + start, len - start, &end, 0);
    if (root == NULL) {
        size_t off = end != NULL && end >= text + start &&
            end <= text + len ? (size_t)(end - text) : start;

        lh_text_line_col(text, off, &line, &col);
        lh_seterr(p->err, p->errlen, "%s:%u:%u: invalid JSON%s", p->source,
            line, col, json_hint(text, start, len));
        return -1;
    }
    while (end < text + len && lh_is_space_byte((unsigned char)*end))
        end++;
    if (end < text + len) {
        lh_text_line_col(text, (size_t)(end - text), &line, &col);
        lh_seterr(p->err, p->errlen, "%s:%u:%u: invalid JSON: more data "
            "after the end", p->source, line, col);
        goto fail;
    }
    max = cJSON_IsArray(root) ? (size_t)cJSON_GetArraySize(root) : 1;
    if (max > 0 && (lines = calloc(max, sizeof(*lines))) == NULL) {
        lh_dir_oom(p);
        goto fail;
    }
    nlines = rendered_lines(text, start, len, lines, max);
    if (cJSON_IsArray(root)) {
        if (cJSON_GetArraySize(root) == 0) {
            lh_seterr(p->err, p->errlen, "%s: no pages (an empty JSON array; "
                "is the slug right?)", p->source);
            goto fail;
        }
        cJSON_ArrayForEach(page, root) {
            if ((html = page_rendered(page)) == NULL)
                continue;
            if (page_parse(p, html, lines, nlines, pages++) == -1)
                goto fail;
        }
    } else if ((html = page_rendered(root)) != NULL) {
        if (page_parse(p, html, lines, nlines, pages++) == -1)
            goto fail;
    }
    if (pages == 0) {
        /* A WordPress error answer says what went wrong. */
        message = cJSON_GetObjectItemCaseSensitive(root, "message");
        if (cJSON_IsString(message) && message->valuestring != NULL) {
            char q[LH_DIR_CLIP_BYTES + 4];
            char *m = lh_text_normalize(message->valuestring,
                strlen(message->valuestring));

            if (m == NULL) {
                lh_dir_oom(p);
                goto fail;
            }
            lh_seterr(p->err, p->errlen, "%s: no content.rendered (the "
                "answer says \"%s\")", p->source, lh_dir_clip(q, m));
            free(m);
        } else {
            lh_seterr(p->err, p->errlen, "%s: no content.rendered",
                p->source);
        }
        goto fail;
    }
    rc = 0;
fail:
    free(lines);
    cJSON_Delete(root);
    return rc;
}
