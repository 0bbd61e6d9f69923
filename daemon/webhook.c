/*
 * webhook: the queue of notifications and its delivery, on the monitor's
 * http engine (the multi handle the checks use, sized for one POST per
 * webhook beside them): while nothing is owed, nothing of ours but the
 * retry timer's stopped handle.  A webhook's URL may hold its secret
 * (Slack's do): logs name it by host only, and the queue file by a hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <uv.h>

#include "file.h"
#include "http.h"
#include "log.h"
#include "notice.h"
#include "post.h"
#include "request.h"
#include "strmap.h"
#include "util.h"
#include "webhook.h"

/* Retries: 1 s, doubling, at most this long apart. */
#define BACKOFF_FIRST_MS 1000.0
#define BACKOFF_MAX_MS (5 * 60 * 1000.0)

struct target {
    struct lh_webhooks *w;      /* the owner */
    char *url;
    char key[24];               /* the hash that stands for it in the file */
    char host[128];             /* what the log names it by */
    struct lh_post *post;       /* in flight, or NULL */
    unsigned long long seq;     /* the entry in flight */
    unsigned failures;          /* in a row */
    double next_ms;             /* no try before (loop clock) */
    bool failing;               /* a failure was logged */
};

struct lh_webhooks {
    uv_loop_t *loop;
    uv_timer_t timer;
    struct lh_http *http;       /* the monitor's: borrowed */
    struct lh_request_base base;
    bool have_base;
    struct target *t;
    size_t nt;
    enum lh_notice_format format;
    unsigned timeout_ms;
    char *path;                 /* the queue file */
    struct lh_notice_queue q;
    char *save_error;           /* the last write error logged */
    unsigned open;              /* handles to close: the timer */
    bool closing;
    void (*closed)(void *);
    void *closed_arg;
};

static void pump(struct lh_webhooks *w);

int
lh_webhooks_queue_path(const char *status_file, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s.outbox", status_file);

    return n < 0 || (size_t)n >= len ? -1 : 0;
}

static double
now_ms(struct lh_webhooks *w)
{
    uv_update_time(w->loop);
    return (double)uv_now(w->loop);
}

/* "hooks.example.org" of "https://hooks.example.org/T0/B1/secret". */
static void
host_of(const char *url, char *buf, size_t len)
{
    const char *p = strstr(url, "://"), *end;
    size_t n;

    p = p != NULL ? p + 3 : url;
    end = p + strcspn(p, "/?#");
    n = (size_t)(end - p);
    if (memchr(p, '@', n) != NULL) {        /* user:password@ */
        p = (const char *)memchr(p, '@', n) + 1;
        n = (size_t)(end - p);
    }
    snprintf(buf, len, "%.*s", (int)n, p);
}

static int
print_cb(FILE *f, void *arg)
{
    return lh_notice_queue_print(f, arg);
}

/* Write the queue file; a failure is logged once per reason. */
static void
save(struct lh_webhooks *w)
{
    char err[1024];

    if (lh_file_write_atomic(w->path, print_cb, &w->q, err,
            sizeof(err)) == -1) {
        if (w->save_error == NULL || strcmp(w->save_error, err) != 0)
            log_err("%s (undelivered notifications may be lost at a "
                "restart)", err);
        (void)lh_replace_string(&w->save_error, err);
    } else if (w->save_error != NULL) {
        log_notice("%s: written again", w->path);
        (void)lh_replace_string(&w->save_error, NULL);
    }
}

static void
load(struct lh_webhooks *w)
{
    char err[1024], aside[4096];
    char *buf = NULL;
    size_t len;
    struct stat st;

    if (stat(w->path, &st) == -1)
        return;         /* none yet */
    if (lh_file_read(w->path, LH_NOTICE_QUEUE_MAX_BYTES, NULL, &buf, &len,
            err, sizeof(err)) == 0 &&
        lh_notice_queue_parse(&w->q, buf, len, w->path, err,
            sizeof(err)) == 0) {
        free(buf);
        if (w->q.n > 0)
            log_info("%s: %zu undelivered notifications", w->path, w->q.n);
        return;
    }
    free(buf);
    snprintf(aside, sizeof(aside), "%s.unusable-%lld", w->path,
        (long long)time(NULL));
    if (S_ISREG(st.st_mode) && rename(w->path, aside) == 0)
        log_warnx("%s; set aside as %s", err, aside);
    else
        log_warnx("%s", err);
}

static void
timer_closed_cb(uv_handle_t *h)
{
    struct lh_webhooks *w = h->data;

    w->open--;
    if (w->closing && w->open == 0) {
        void (*closed)(void *) = w->closed;
        void *carg = w->closed_arg;

        free(w);
        if (closed != NULL)
            closed(carg);
    }
}

static void
cancel_all(struct lh_webhooks *w)
{
    for (size_t i = 0; i < w->nt; i++) {
        if (w->t[i].post != NULL) {
            lh_post_cancel(w->t[i].post);
            w->t[i].post = NULL;
        }
    }
}

static void timer_cb(uv_timer_t *timer);

/* Arm the timer for the earliest target that waits on its backoff. */
static void
arm(struct lh_webhooks *w, double now)
{
    double next = -1;

    for (size_t i = 0; i < w->nt; i++) {
        struct target *t = &w->t[i];

        if (t->post == NULL && t->next_ms > now &&
            lh_notice_queue_next(&w->q, t->key) >= 0 &&
            (next < 0 || t->next_ms < next))
            next = t->next_ms;
    }
    if (next >= 0)
        uv_timer_start(&w->timer, timer_cb, (uint64_t)(next - now) + 1, 0);
}

/* A delivery failed: back off, 1 s doubling up to BACKOFF_MAX_MS; said
 * once, each retry at debug, the recovery a notice. */
static void
failed(struct lh_webhooks *w, struct target *t, const char *error)
{
    double wait = BACKOFF_FIRST_MS;

    for (unsigned k = 0; k < t->failures && wait < BACKOFF_MAX_MS; k++)
        wait *= 2;
    if (wait > BACKOFF_MAX_MS)
        wait = BACKOFF_MAX_MS;
    t->failures++;
    t->next_ms = now_ms(w) + wait;
    if (!t->failing)
        log_warnx("webhook %s: %s; the notification is kept and retried",
            t->host, error);
    else
        log_debug("webhook %s: %s (try %u; next in %.0f s)", t->host,
            error, t->failures, wait / 1000);
    t->failing = true;
}

static void
post_done_cb(const char *error, void *arg)
{
    struct target *t = arg;
    struct lh_webhooks *w = t->w;
    long i = lh_notice_queue_find(&w->q, t->seq);

    t->post = NULL;
    if (error != NULL) {
        failed(w, t, error);
    } else {
        if (t->failing)
            log_notice("webhook %s: delivered again, after %u failed "
                "tries", t->host, t->failures);
        t->failing = false;
        t->failures = 0;
        t->next_ms = 0;
        if (i >= 0) {
            lh_notice_queue_done(&w->q, (size_t)i, t->key);
            save(w);
        }
    }
    pump(w);
}

static void
timer_cb(uv_timer_t *timer)
{
    pump(timer->data);
}

/* Start what is owed and may go now. */
static void
pump(struct lh_webhooks *w)
{
    double now;
    char err[1024];

    if (w->closing)
        return;
    now = now_ms(w);
    for (size_t i = 0; i < w->nt; i++) {
        struct target *t = &w->t[i];
        long e;
        char *body;

        if (t->post != NULL ||
            (e = lh_notice_queue_next(&w->q, t->key)) < 0 ||
            t->next_ms > now)
            continue;
        /* The queue holds only documents that parsed (ours, or checked
         * when the file was read): a body that cannot be made is memory
         * running out, and tried again like a failed delivery. */
        if ((body = lh_notice_body(w->q.v[e].doc, w->format, err,
                sizeof(err))) == NULL) {
            failed(w, t, err);
            continue;
        }
        t->seq = w->q.v[e].seq;
        t->post = lh_post_start(w->http, &w->base, t->url, body,
            w->timeout_ms, post_done_cb, t, err, sizeof(err));
        free(body);
        if (t->post == NULL)
            failed(w, t, err);
    }
    arm(w, now);
}

/* Targets for cfg's webhooks: the state of a URL kept is kept. */
static void
set_targets(struct lh_webhooks *w, const struct lh_config *cfg)
{
    struct target *nt = NULL;
    char **keys = NULL;
    size_t n = 0;

    cancel_all(w);
    if (cfg->nwebhooks > 0 &&
        ((nt = calloc(cfg->nwebhooks, sizeof(*nt))) == NULL ||
        (keys = calloc(cfg->nwebhooks, sizeof(*keys))) == NULL)) {
        log_warnx("webhooks: out of memory; the previous ones are kept");
        free(nt);
        pump(w);
        return;
    }
    for (size_t i = 0; i < cfg->nwebhooks; i++) {
        struct target *t = &nt[n];

        if ((t->url = strdup(cfg->webhooks[i])) == NULL)
            continue;
        t->w = w;
        snprintf(t->key, sizeof(t->key), "%016llx",
            lh_hash_bytes(t->url, strlen(t->url)));
        host_of(t->url, t->host, sizeof(t->host));
        for (size_t k = 0; k < w->nt; k++) {
            if (strcmp(w->t[k].url, t->url) == 0) {
                t->failures = w->t[k].failures;
                t->failing = w->t[k].failing;
                t->next_ms = w->t[k].next_ms;
            }
        }
        keys[n++] = t->key;
    }
    for (size_t k = 0; k < w->nt; k++)
        free(w->t[k].url);
    free(w->t);
    w->t = nt;
    w->nt = n;
    if (lh_notice_queue_retain(&w->q, keys, n) > 0)
        save(w);
    free(keys);
}

static void
set_base(struct lh_webhooks *w, const struct lh_config *cfg)
{
    char err[1024];

    if (w->have_base)
        lh_request_base_cleanup(&w->base);
    w->have_base = lh_request_base_init(&w->base, cfg, err,
        sizeof(err)) == 0;
    if (!w->have_base) {
        log_warnx("webhooks: %s", err);
        memset(&w->base, 0, sizeof(w->base));
        return;
    }
    /* The administrator named these URLs: the guard against links that
     * lead inside the network is not for them. */
    w->base.guard.allow_private = true;
    w->base.http = w->http;
}

void
lh_webhooks_configure(struct lh_webhooks *w, const struct lh_config *cfg)
{
    cancel_all(w);
    set_base(w, cfg);
    w->format = cfg->webhook_format;
    w->timeout_ms = cfg->webhook_timeout_ms;
    set_targets(w, cfg);
    if (!w->have_base) {
        for (size_t k = 0; k < w->nt; k++)
            free(w->t[k].url);
        free(w->t);
        w->t = NULL;
        w->nt = 0;
    }
    pump(w);
}

struct lh_webhooks *
lh_webhooks_new(struct uv_loop_s *loop, struct lh_http *http,
    const struct lh_config *cfg)
{
    struct lh_webhooks *w;
    char path[4096];

    if ((w = calloc(1, sizeof(*w))) == NULL)
        return NULL;
    lh_notice_queue_init(&w->q);
    if (lh_webhooks_queue_path(cfg->status_file, path, sizeof(path)) ==
        -1 || (w->path = strdup(path)) == NULL ||
        uv_timer_init(loop, &w->timer) != 0) {
        free(w->path);
        free(w);
        return NULL;
    }
    w->loop = loop;
    w->http = http;
    w->timer.data = w;
    w->open = 1;
    load(w);
    lh_webhooks_configure(w, cfg);
    return w;
}

void
lh_webhooks_send(struct lh_webhooks *w, const char *doc)
{
    char **keys;
    size_t dropped = 0;

    if (w->nt == 0)
        return;
    if ((keys = calloc(w->nt, sizeof(*keys))) == NULL) {
        log_warnx("webhooks: out of memory; a notification is lost");
        return;
    }
    for (size_t i = 0; i < w->nt; i++)
        keys[i] = w->t[i].key;
    if (lh_notice_queue_push(&w->q, doc, keys, w->nt, LH_NOTICE_QUEUE_MAX,
            &dropped) == -1)
        log_warnx("webhooks: out of memory; a notification is lost");
    else if (dropped > 0)
        log_warnx("webhooks: %d notifications wait already: the %zu oldest "
            "dropped (%llu in all)", LH_NOTICE_QUEUE_MAX, dropped,
            w->q.dropped);
    free(keys);
    save(w);
    pump(w);
}

void
lh_webhooks_close(struct lh_webhooks *w, void (*closed)(void *), void *arg)
{
    w->closing = true;
    w->closed = closed;
    w->closed_arg = arg;
    cancel_all(w);
    for (size_t k = 0; k < w->nt; k++)
        free(w->t[k].url);
    free(w->t);
    w->t = NULL;
    w->nt = 0;
    if (w->have_base)
        lh_request_base_cleanup(&w->base);
    w->have_base = false;
    lh_notice_queue_cleanup(&w->q);
    free(w->path);
    free(w->save_error);
    w->path = w->save_error = NULL;
    uv_timer_stop(&w->timer);
    uv_close((uv_handle_t *)&w->timer, timer_closed_cb);
}
