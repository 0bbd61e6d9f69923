/*
 * post: one POST of a JSON body to a webhook, set up like every request
 * (request.h) from a base the caller keeps; the answer's body is read and
 * dropped.  Knows nothing of what the body says.
 */
#ifndef LH_POST_H
#define LH_POST_H

#include <stddef.h>

#include "http.h"
#include "request.h"

struct lh_post;

/* Runs once, from the loop: error is NULL when the server answered 2xx,
 * else a sentence ("HTTP 500", curl's error text), valid for the call. */
typedef void (*lh_post_done_cb)(const char *error, void *arg);

/*
 * POST body (copied) to url with Content-Type application/json, within
 * timeout_ms, redirects not followed.  base must outlive the transfer.
 * On success returns the post and cb runs exactly once unless cancelled,
 * after which the post is freed; on failure returns NULL, cb never runs,
 * and err says why.
 */
struct lh_post *lh_post_start(struct lh_http *http,
    const struct lh_request_base *base, const char *url, const char *body,
    unsigned timeout_ms, lh_post_done_cb cb, void *arg, char *err,
    size_t errlen);

/* Stop p before its callback: cb will not run, and p is freed. */
void lh_post_cancel(struct lh_post *p);

#endif
