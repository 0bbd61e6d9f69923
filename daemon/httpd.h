/*
 * httpd: the read-only HTTP endpoint (the listen key), GNU libmicrohttpd
 * run on our libuv loop: GET /metrics, /status.json, / (the dashboard)
 * and /healthz; what each answers is decided in lib/serve.c.  The
 * documents are rendered once per cycle into memory, never per request.
 */
#ifndef LH_HTTPD_H
#define LH_HTTPD_H

#include <stddef.h>

#include "config.h"
#include "state.h"
#include "status.h"

struct uv_loop_s;
struct lh_httpd;

/* A server that listens nowhere yet; NULL when memory ran out. */
struct lh_httpd *lh_httpd_new(struct uv_loop_s *loop);

/*
 * Listen where cfg->listen says (nowhere when NULL), and judge /healthz
 * by its interval.  A changed address is bound before the old one is let
 * go: on failure returns -1 with err, and the old one (if any) serves on.
 */
int lh_httpd_configure(struct lh_httpd *h, const struct lh_config *cfg,
    char *err, size_t errlen);

/* After each status write: render what /status.json and /metrics serve
 * (when listening) and note the cycle's end for /healthz. */
void lh_httpd_update(struct lh_httpd *h, const struct lh_links *links,
    const struct lh_status_info *info);

/* Stop listening, close every connection and handle, and free h once
 * they are closed (in the loop).  NULL is a no-op. */
void lh_httpd_close(struct lh_httpd *h);

#endif
