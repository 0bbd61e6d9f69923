/*
 * fetch: get a remote directory over http(s) with a conditional request
 * (If-None-Match / If-Modified-Since), a size cap and the same TLS and
 * resolve settings as the checks.  Knows nothing of parsing.
 */
#ifndef LH_FETCH_H
#define LH_FETCH_H

#include <stddef.h>

#include "config.h"
#include "http.h"

struct lh_fetch;

struct lh_fetch_result {
    int status;             /* 200 (body filled) or 304; 0 on failure */
    char *body;             /* NUL-terminated, len bytes; owned */
    size_t len;
    char *etag;             /* validators for the next request, or NULL */
    char *last_modified;
    char error[512];        /* on failure: "URL: reason" */
};

/* Runs once, from the loop; res is valid during the call only (move out
 * what you keep, setting the fields to NULL). */
typedef void (*lh_fetch_done_cb)(struct lh_fetch_result *res, void *arg);

/*
 * Fetch url.  etag and last_modified (may be NULL) come from the previous
 * answer.  On success returns the fetch and cb runs exactly once unless
 * cancelled; on failure returns NULL with err.
 */
struct lh_fetch *lh_fetch_start(struct lh_http *http, const char *url,
    const char *etag, const char *last_modified,
    const struct lh_config *cfg, lh_fetch_done_cb cb, void *arg, char *err,
    size_t errlen);

void lh_fetch_cancel(struct lh_fetch *f);

#endif
