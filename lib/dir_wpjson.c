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

int
lh_dir_wpjson_parse(struct lh_dir_parser *p, const char *text,
    size_t start, size_t len)
{
    const char *end = NULL, *html;
    const cJSON *page, *message;
    cJSON *root;
    unsigned line, col;
    size_t pages = 0;
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
    if (cJSON_IsArray(root)) {
        if (cJSON_GetArraySize(root) == 0) {
            lh_seterr(p->err, p->errlen, "%s: no pages (an empty JSON array; "
                "is the slug right?)", p->source);
            goto fail;
        }
        cJSON_ArrayForEach(page, root) {
            if ((html = page_rendered(page)) == NULL)
                continue;
            pages++;
            if (lh_dir_html_parse(p, html, strlen(html)) == -1)
                goto fail;
        }
    } else if ((html = page_rendered(root)) != NULL) {
        pages++;
        if (lh_dir_html_parse(p, html, strlen(html)) == -1)
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
    cJSON_Delete(root);
    return rc;
}
