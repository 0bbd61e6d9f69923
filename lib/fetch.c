/*
 * fetch: one curl transfer for a directory URL.  Redirects are left to
 * curl here (bounded, http and https only): the directory is not being
 * judged, only read.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "fetch.h"
#include "http.h"
#include "netguard.h"
#include "util.h"

struct lh_fetch {
    struct lh_http *http;
    CURL *easy;
    struct curl_slist *headers, *resolve, *connect_to;
    char *url;
    size_t max_bytes;
    bool too_big;
    struct lh_fetch_result res;
    struct lh_netguard guard;
    struct lh_netguard_ctx guard_ctx;
    lh_fetch_done_cb cb;
    void *arg;
    char errbuf[CURL_ERROR_SIZE];
};

static void
fetch_free(struct lh_fetch *f)
{
    if (f == NULL)
        return;
    if (f->easy != NULL)
        curl_easy_cleanup(f->easy);
    curl_slist_free_all(f->headers);
    curl_slist_free_all(f->resolve);
    curl_slist_free_all(f->connect_to);
    lh_netguard_cleanup(&f->guard);
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
    } else if (code == CURLE_COULDNT_CONNECT && f->guard_ctx.refused[0]) {
        snprintf(f->res.error, sizeof(f->res.error),
            "%s: refused: private address %s (allow_private, "
            "allow_networks)", f->url, f->guard_ctx.refused);
    } else if (code != CURLE_OK) {
        snprintf(f->res.error, sizeof(f->res.error), "%s: %s", f->url,
            f->errbuf[0] ? f->errbuf : curl_easy_strerror(code));
    } else if (status == 200 || status == 304) {
        f->res.status = (int)status;
        if (f->res.body == NULL && status == 200 &&
            (f->res.body = strdup("")) == NULL) {
            f->res.status = 0;
            snprintf(f->res.error, sizeof(f->res.error), "%s: out of memory",
                f->url);
        }
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

struct lh_fetch *
lh_fetch_start(struct lh_http *http, const char *url, const char *etag,
    const char *last_modified, const struct lh_config *cfg,
    lh_fetch_done_cb cb, void *arg, char *err, size_t errlen)
{
    struct lh_fetch *f;
    struct curl_slist *grown;
    char line[1024];
    bool ok;

    if ((f = calloc(1, sizeof(*f))) == NULL ||
        (f->url = strdup(url)) == NULL ||
        (f->easy = curl_easy_init()) == NULL) {
        lh_seterr(err, errlen, "%s: out of memory", url);
        goto fail;
    }
    f->http = http;
    f->cb = cb;
    f->arg = arg;
    f->max_bytes = cfg->directory_max_bytes;
    if (lh_netguard_init(&f->guard, cfg->allow_private, cfg->allow_networks,
            cfg->nallow_networks, err, errlen) == -1)
        goto fail;
    f->guard_ctx.guard = &f->guard;
    if (etag != NULL) {
        snprintf(line, sizeof(line), "If-None-Match: %s", etag);
        if ((grown = curl_slist_append(f->headers, line)) == NULL)
            goto nomem;
        f->headers = grown;
    }
    if (last_modified != NULL) {
        snprintf(line, sizeof(line), "If-Modified-Since: %s", last_modified);
        if ((grown = curl_slist_append(f->headers, line)) == NULL)
            goto nomem;
        f->headers = grown;
    }
    if (lh_http_slist_append(&f->resolve, cfg->resolve, cfg->nresolve) ==
        -1 || lh_http_slist_append(&f->connect_to, cfg->connect_to,
            cfg->nconnect_to) == -1)
        goto nomem;
    ok = curl_easy_setopt(f->easy, CURLOPT_URL, url) == CURLE_OK &&
        curl_easy_setopt(f->easy, CURLOPT_PROTOCOLS_STR, "http,https") ==
            CURLE_OK &&
        curl_easy_setopt(f->easy, CURLOPT_REDIR_PROTOCOLS_STR,
            "http,https") == CURLE_OK &&
        curl_easy_setopt(f->easy, CURLOPT_FOLLOWLOCATION, 1L) == CURLE_OK &&
        curl_easy_setopt(f->easy, CURLOPT_MAXREDIRS, 5L) == CURLE_OK &&
        curl_easy_setopt(f->easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
        /* A check reusing this connection would see no certificate. */
        curl_easy_setopt(f->easy, CURLOPT_FORBID_REUSE, 1L) == CURLE_OK &&
        curl_easy_setopt(f->easy, CURLOPT_USERAGENT, cfg->user_agent) ==
            CURLE_OK &&
        curl_easy_setopt(f->easy, CURLOPT_ACCEPT_ENCODING, "") ==
            CURLE_OK &&
        curl_easy_setopt(f->easy, CURLOPT_TIMEOUT_MS,
            (long)cfg->timeout_ms) == CURLE_OK &&
        curl_easy_setopt(f->easy, CURLOPT_CONNECTTIMEOUT_MS,
            (long)cfg->connect_timeout_ms) == CURLE_OK &&
        curl_easy_setopt(f->easy, CURLOPT_ERRORBUFFER, f->errbuf) ==
            CURLE_OK &&
        curl_easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, write_cb) ==
            CURLE_OK &&
        curl_easy_setopt(f->easy, CURLOPT_WRITEDATA, f) == CURLE_OK &&
        curl_easy_setopt(f->easy, CURLOPT_HEADERFUNCTION, header_cb) ==
            CURLE_OK &&
        curl_easy_setopt(f->easy, CURLOPT_HEADERDATA, f) == CURLE_OK &&
        (f->headers == NULL || curl_easy_setopt(f->easy,
            CURLOPT_HTTPHEADER, f->headers) == CURLE_OK) &&
        (f->resolve == NULL || curl_easy_setopt(f->easy, CURLOPT_RESOLVE,
            f->resolve) == CURLE_OK) &&
        (f->connect_to == NULL || curl_easy_setopt(f->easy,
            CURLOPT_CONNECT_TO, f->connect_to) == CURLE_OK) &&
        (cfg->ca_file == NULL || curl_easy_setopt(f->easy, CURLOPT_CAINFO,
            cfg->ca_file) == CURLE_OK) &&
        lh_netguard_apply(f->easy, &f->guard_ctx) == 0;
    if (!ok) {
        lh_seterr(err, errlen, "%s: curl_easy_setopt failed", url);
        goto fail;
    }
    if (lh_http_start(http, f->easy, 0, done_cb, f, err, errlen) == -1)
        goto fail;
    return f;
nomem:
    lh_seterr(err, errlen, "%s: out of memory", url);
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
