/*
 * fetch: one curl transfer for a directory URL: the conditional request,
 * the size cap and the validators of the answer.  What it shares with the
 * checks (User-Agent, TLS, resolve, the guard...) is set up by request.c.
 * Redirects are left to curl here (bounded, http and https only): the
 * directory is not being judged, only read.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "fetch.h"
#include "http.h"
#include "request.h"
#include "util.h"

struct lh_fetch {
    struct lh_http *http;
    CURL *easy;
    struct curl_slist *headers;     /* the conditional request's; or NULL */
    char *url;
    size_t max_bytes;
    bool too_big;
    struct lh_fetch_result res;
    struct lh_request_base base;    /* this fetch's, from its cfg */
    struct lh_request rq;
    lh_fetch_done_cb cb;
    void *arg;
};

static void
fetch_free(struct lh_fetch *f)
{
    if (f == NULL)
        return;
    if (f->easy != NULL)
        curl_easy_cleanup(f->easy);
    curl_slist_free_all(f->headers);
    lh_request_base_cleanup(&f->base);
    free(f->url);
    free(f->res.body);
    free(f->res.etag);
    free(f->res.last_modified);
    free(f);
}

static size_t
write_cb(char *buf, size_t size, size_t n, void *arg)
{
    struct lh_fetch *f = arg;
    size_t len = size * n;
    char *grown;

    if (f->res.len + len > f->max_bytes) {
        f->too_big = true;
        return 0;
    }
    if ((grown = realloc(f->res.body, f->res.len + len + 1)) == NULL)
        return 0;
    f->res.body = grown;
    memcpy(f->res.body + f->res.len, buf, len);
    f->res.len += len;
    f->res.body[f->res.len] = '\0';
    return len;
}

/* Keep a header's value (trimmed) when its name matches. */
static void
keep_header(const char *buf, size_t len, const char *name, char **slot)
{
    size_t nlen = strlen(name);
    const char *v, *end = buf + len;

    if (len <= nlen || strncasecmp(buf, name, nlen) != 0)
        return;
    v = buf + nlen;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
            end[-1] == ' '))
        end--;
    free(*slot);
    *slot = strndup(v, (size_t)(end - v));
}

static size_t
header_cb(char *buf, size_t size, size_t n, void *arg)
{
    struct lh_fetch *f = arg;
    size_t len = size * n;

    if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
        /* Validators belong to the final response only. */
        free(f->res.etag);
        free(f->res.last_modified);
        f->res.etag = f->res.last_modified = NULL;
    }
    keep_header(buf, len, "etag:", &f->res.etag);
    keep_header(buf, len, "last-modified:", &f->res.last_modified);
    return len;
}

static void
done_cb(void *easy, int result, void *arg)
{
    CURLcode code = (CURLcode)result;
    struct lh_fetch *f = arg;
    long status = 0;

    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    if (f->too_big) {
        snprintf(f->res.error, sizeof(f->res.error),
            "%s: more than %zu bytes (directory_max_bytes)", f->url,
            f->max_bytes);
    } else if (lh_netguard_refused(&f->rq.guard, result)) {
        snprintf(f->res.error, sizeof(f->res.error),
            "%s: refused: private address %s (allow_private, "
            "allow_networks)", f->url, f->rq.guard.refused);
    } else if (code != CURLE_OK) {
        snprintf(f->res.error, sizeof(f->res.error), "%s: %s", f->url,
            lh_request_error(&f->rq, result));
    } else if (status == 200 || status == 304) {
        f->res.status = (int)status;
        if (f->res.body == NULL && status == 200 &&
            (f->res.body = strdup("")) == NULL) {
            f->res.status = 0;
            snprintf(f->res.error, sizeof(f->res.error), "%s: out of memory",
                f->url);
        }
    } else if (f->rq.proxy != NULL && status >= 300 && status < 400) {
        char *to = NULL;

        curl_easy_getinfo(easy, CURLINFO_REDIRECT_URL, &to);
        snprintf(f->res.error, sizeof(f->res.error), "%s: HTTP %ld, a "
            "redirect to %.300s, not followed through the proxy (set "
            "directory to the URL it leads to)", f->url, status,
            to != NULL ? to : "(no Location)");
    } else {
        snprintf(f->res.error, sizeof(f->res.error), "%s: HTTP %ld",
            f->url, status);
    }
    if (f->res.status == 0) {
        free(f->res.body);
        f->res.body = NULL;
        f->res.len = 0;
    }
    f->cb(&f->res, f->arg);
    fetch_free(f);
}

/* Add "name: value" to *list; 0, or -1 when out of memory. */
static int
add_header(struct curl_slist **list, const char *name, const char *value)
{
    struct curl_slist *grown;
    char line[1024];

    snprintf(line, sizeof(line), "%s: %s", name, value);
    if ((grown = curl_slist_append(*list, line)) == NULL)
        return -1;
    *list = grown;
    return 0;
}

/* What only the directory download sets: curl follows redirects (not
 * through a proxy: the guard could not judge where they lead), the body
 * is kept (and may come compressed), validators are read. */
static int
setup_own(struct lh_fetch *f)
{
    CURL *e = f->easy;
    bool ok;

    ok = curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION,
            f->rq.proxy == NULL ? 1L : 0L) == CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L) == CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "") == CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb) == CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_WRITEDATA, f) == CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb) ==
            CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_HEADERDATA, f) == CURLE_OK &&
        (f->headers == NULL || curl_easy_setopt(e, CURLOPT_HTTPHEADER,
            f->headers) == CURLE_OK);
    return ok ? 0 : -1;
}

struct lh_fetch *
lh_fetch_start(struct lh_http *http, const char *url, const char *etag,
    const char *last_modified, const struct lh_config *cfg,
    lh_fetch_done_cb cb, void *arg, char *err, size_t errlen)
{
    struct lh_fetch *f;
    char why[256];

    if ((f = calloc(1, sizeof(*f))) == NULL ||
        (f->url = strdup(url)) == NULL) {
        lh_seterr(err, errlen, "%s: out of memory", url);
        goto fail;
    }
    f->http = http;
    f->cb = cb;
    f->arg = arg;
    f->max_bytes = cfg->directory_max_bytes;
    if (lh_request_base_init(&f->base, cfg, why, sizeof(why)) == -1) {
        lh_seterr(err, errlen, "%s: %s", url, why);
        goto fail;
    }
    f->base.http = http;
    if ((etag != NULL &&
            add_header(&f->headers, "If-None-Match", etag) == -1) ||
        (last_modified != NULL && add_header(&f->headers,
            "If-Modified-Since", last_modified) == -1)) {
        lh_seterr(err, errlen, "%s: out of memory", url);
        goto fail;
    }
    if ((f->easy = lh_request_new(&f->base, &f->rq, url, 0)) == NULL ||
        setup_own(f) == -1) {
        lh_seterr(err, errlen, "%s: curl_easy_setopt failed", url);
        goto fail;
    }
    if (lh_http_start(http, f->easy, 0, done_cb, f, err, errlen) == -1)
        goto fail;
    return f;
fail:
    fetch_free(f);
    return NULL;
}

void
lh_fetch_cancel(struct lh_fetch *f)
{
    lh_http_cancel(f->http, f->easy);
    fetch_free(f);
}
