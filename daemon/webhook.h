/*
 * webhook: delivery of cycle notifications (notice.h) to the configured
 * webhooks, on the loop, never in the way of the checks: one POST at a
 * time per webhook, oldest first, retried with backoff, and a bounded
 * queue kept in a file beside the status file so that what was not
 * delivered survives a restart.
 */
#ifndef LH_WEBHOOK_H
#define LH_WEBHOOK_H

#include "config.h"

struct uv_loop_s;
struct lh_http;
struct lh_webhooks;

/* The file the queue is kept in, for a status file: "<status_file>.outbox"
 * (into buf; -1 when it does not fit). */
int lh_webhooks_queue_path(const char *status_file, char *buf, size_t len);

/*
 * Start with cfg's webhooks (copied) and the queue its status file's
 * outbox holds (a file that cannot be read is logged and set aside);
 * what is owed is sent at once, through http (the monitor's engine,
 * borrowed: it must outlive w, so close w first).  NULL when out of
 * memory or the loop refuses a timer.
 */
struct lh_webhooks *lh_webhooks_new(struct uv_loop_s *loop,
    struct lh_http *http, const struct lh_config *cfg);

/* A reload: webhooks, format and timeout from cfg; a webhook no longer
 * listed is owed nothing any more. */
void lh_webhooks_configure(struct lh_webhooks *w,
    const struct lh_config *cfg);

/* Queue doc (copied; lh_notice_document's) for every webhook. */
void lh_webhooks_send(struct lh_webhooks *w, const char *doc);

/* Stop: what was not delivered stays in the file.  closed runs when every
 * handle is closed and w is freed. */
void lh_webhooks_close(struct lh_webhooks *w, void (*closed)(void *),
    void *arg);

#endif
