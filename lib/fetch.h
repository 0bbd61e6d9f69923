/*
 * fetch: get a remote directory over http(s) with a conditional request
 * (If-None-Match / If-Modified-Since) and a size cap, set up like every
 * request (request.h: the User-Agent with the contact, TLS, resolve,
 * connect_to, time limits, the private-address guard).  Knows nothing of
 * parsing.
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
 * Fetch url with the settings of cfg (copied: cfg may go away after this
 * returns).  etag and last_modified (may be NULL) come from the previous
 * answer.  On success returns the fetch and cb runs exactly once unless
 * cancelled, after which the fetch is freed; on failure returns NULL, cb
 * never runs, and err says why ("URL: reason").
 */
struct lh_fetch *lh_fetch_start(struct lh_http *http, const char *url,
    const char *etag, const char *last_modified,
    const struct lh_config *cfg, lh_fetch_done_cb cb, void *arg, char *err,
    size_t errlen);

/* Stop f before its callback: cb will not run, and f is freed. */
void lh_fetch_cancel(struct lh_fetch *f);

#endif
