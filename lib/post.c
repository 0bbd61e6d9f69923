/*
 * post: a webhook's POST on the monitor's multi handle (http.c), the
 * common set-up from request.c, and the verdict on its answer: 2xx
 * delivered, anything else not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "post.h"
#include "util.h"

struct lh_post {
    struct lh_http *http;
    CURL *easy;
    struct curl_slist *headers;
    struct lh_request rq;
    lh_post_done_cb cb;
    void *arg;
};

static void
post_free(struct lh_post *p)
{
    if (p == NULL)
        return;
    if (p->easy != NULL)
        curl_easy_cleanup(p->easy);
    curl_slist_free_all(p->headers);
    free(p);
}

/* The answer's body says nothing we act on. */
static size_t
discard_cb(char *buf, size_t size, size_t n, void *arg)
{
    (void)buf;
    (void)arg;
    return size * n;
}

static void
done_cb(void *easy, int result, void *arg)
{
    CURLcode code = (CURLcode)result;
    struct lh_post *p = arg;
    char why[LH_REQUEST_ERROR_SIZE + 64];
    long status = 0;

    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK)
        snprintf(why, sizeof(why), "%s", lh_request_error(&p->rq, result));
    else if (status < 200 || status > 299)
        snprintf(why, sizeof(why), "HTTP %ld", status);
    p->cb(code == CURLE_OK && status >= 200 && status <= 299 ? NULL : why,
        p->arg);
    post_free(p);
}

struct lh_post *
lh_post_start(struct lh_http *http, const struct lh_request_base *base,
    const char *url, const char *body, unsigned timeout_ms,
    lh_post_done_cb cb, void *arg, char *err, size_t errlen)
{
    struct lh_post *p;
    struct curl_slist *more;

    if ((p = calloc(1, sizeof(*p))) == NULL ||
        (p->easy = lh_request_new(base, &p->rq, url, timeout_ms)) == NULL ||
        (p->headers = curl_slist_append(NULL,
            "Content-Type: application/json")) == NULL ||
        (more = curl_slist_append(p->headers, "Expect:")) == NULL) {
        lh_seterr(err, errlen, "%s: out of memory", url);
        goto fail;
    }
    p->headers = more;
    p->http = http;
    p->cb = cb;
    p->arg = arg;
    /* No redirects: a POST moved elsewhere is a configuration to fix. */
    if (curl_easy_setopt(p->easy, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
        curl_easy_setopt(p->easy, CURLOPT_HTTPHEADER, p->headers) !=
            CURLE_OK ||
        curl_easy_setopt(p->easy, CURLOPT_POSTFIELDSIZE_LARGE,
            (curl_off_t)strlen(body)) != CURLE_OK ||
        curl_easy_setopt(p->easy, CURLOPT_COPYPOSTFIELDS, body) !=
            CURLE_OK ||
        curl_easy_setopt(p->easy, CURLOPT_WRITEFUNCTION, discard_cb) !=
            CURLE_OK) {
        lh_seterr(err, errlen, "%s: curl_easy_setopt failed", url);
        goto fail;
    }
    if (lh_http_start(http, p->easy, 0, done_cb, p, err, errlen) == -1)
        goto fail;
    return p;
fail:
    post_free(p);
    return NULL;
}

void
lh_post_cancel(struct lh_post *p)
{
    lh_http_cancel(p->http, p->easy);
    post_free(p);
}
