/*
 * httpd: the read-only HTTP endpoint on our loop.  libmicrohttpd runs in
 * its "external epoll" mode: no thread of its own; its epoll descriptor
 * is one uv_poll_t, its timeout one uv_timer_t, and MHD_run does the work
 * after either fires.  What is answered is lib/serve.c's to decide.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <uv.h>

#include "httpd.h"
#include "log.h"
#include "metrics.h"
#include "serve.h"
#include "strmap.h"

/*
 * Bounds on what clients may take.  A dashboard and a Prometheus server
 * need a few connections and a few hundred bytes of request each.  A
 * request head too big for the memory limit is refused (414 or 431); a
 * connection quiet for the idle timeout is closed by libmicrohttpd, and
 * one whose head trickles in (a byte a second keeps it from being idle)
 * or whose reader stalls past a deadline is cut here.
 */
#define CONN_LIMIT          64
#define CONN_MEMORY         (16 * 1024)
#define IDLE_TIMEOUT_S      10
#define HEAD_DEADLINE_MS    5000.0
#define SEND_DEADLINE_MS    30000.0

#define TYPE_JSON       "application/json"
#define TYPE_METRICS    "text/plain; version=0.0.4; charset=utf-8"
#define TYPE_TEXT       "text/plain; charset=utf-8"
#define TYPE_HTML       "text/html; charset=utf-8"

/* dashboard/index.html, built into the program so that the page always
 * matches the status document it reads. */
__asm__(
    "    .section .rodata\n"
    "    .global lh_dashboard_html\n"
    "lh_dashboard_html:\n"
    "    .incbin \"dashboard/index.html\"\n"
    "    .global lh_dashboard_html_end\n"
    "lh_dashboard_html_end:\n"
    "    .byte 0\n"
    "    .previous\n");
extern const char lh_dashboard_html[], lh_dashboard_html_end[];

/* A document rendered once per cycle, shared by every request for it. */
struct doc {
    struct MHD_Response *r;     /* NULL until the first cycle */
    char etag[48];
    char modified[40];          /* HTTP date */
    long long mtime;
};

/* One client connection, so that deadlines can be enforced. */
struct conn {
    struct MHD_Connection *c;
    double since;               /* when its current phase began */
    bool answering;             /* its head arrived, the answer is going */
    bool cut;
    struct conn *prev, *next;
};

/* One bound libmicrohttpd daemon; replaced as a whole on a rebind. */
struct endpoint {
    struct lh_httpd *h;
    struct MHD_Daemon *d;
    uv_poll_t poll;
    uv_timer_t timer;
    unsigned open;              /* uv handles not closed yet */
    struct conn *conns;
    char msg[256];              /* libmicrohttpd's last complaint */
};

struct lh_httpd {
    uv_loop_t *loop;
    struct endpoint *ep;        /* NULL: not listening */
    struct lh_listen where;
    struct doc status, metrics;
    struct MHD_Response *dashboard;
    double window_ms;           /* /healthz: two intervals and jitter */
    double started_ms, last_ms; /* last_ms < 0: no cycle finished */
    unsigned long long cycle;
};

static double
now_ms(void)
{
    return (double)uv_hrtime() / 1e6;
}

static void
logger_cb(void *arg, const char *fmt, va_list ap)
{
    struct endpoint *ep = arg;
    size_t n;

    vsnprintf(ep->msg, sizeof(ep->msg), fmt, ap);
    n = strlen(ep->msg);
    while (n > 0 && (ep->msg[n - 1] == '\n' || ep->msg[n - 1] == '.'))
        ep->msg[--n] = '\0';
    /* Clients can make it talk: never above debug. */
    log_debug("http: %s", ep->msg);
}

/* --- answers ---------------------------------------------------------- */

static struct MHD_Response *
text_response(const char *text, const char *type)
{
    struct MHD_Response *r;

    r = MHD_create_response_from_buffer(strlen(text), (void *)text,
        MHD_RESPMEM_MUST_COPY);
    if (r != NULL && (MHD_add_response_header(r, "Content-Type", type) !=
            MHD_YES ||
        MHD_add_response_header(r, "Cache-Control", "no-store") !=
            MHD_YES)) {
        MHD_destroy_response(r);
        r = NULL;
    }
    return r;
}

/* Queue r, or a text answer built now when r is NULL; false when memory
 * ran out (libmicrohttpd then closes the connection). */
static enum MHD_Result
answer(struct MHD_Connection *c, unsigned code, struct MHD_Response *r,
    const char *text)
{
    struct MHD_Response *own = NULL;
    enum MHD_Result rc;

    if (r == NULL) {
        if ((own = r = text_response(text, TYPE_TEXT)) == NULL)
            return MHD_NO;
        if (code == 405 &&
            MHD_add_response_header(r, "Allow", LH_SERVE_ALLOW) != MHD_YES) {
            MHD_destroy_response(own);
            return MHD_NO;
        }
    }
    rc = MHD_queue_response(c, code, r);
    if (own != NULL)
        MHD_destroy_response(own);
    return rc;
}

static enum MHD_Result
answer_doc(struct MHD_Connection *c, const struct doc *d)
{
    const char *inm, *ims;
    struct MHD_Response *r;
    enum MHD_Result rc;

    if (d->r == NULL)
        return answer(c, 503, NULL, "no cycle has finished yet\n");
    inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    ims = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
        "If-Modified-Since");
    if (!lh_serve_not_modified(inm, ims, d->etag, d->mtime))
        return MHD_queue_response(c, 200, d->r);
    r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return MHD_NO;
    if (MHD_add_response_header(r, "ETag", d->etag) != MHD_YES ||
        MHD_add_response_header(r, "Last-Modified", d->modified) !=
            MHD_YES ||
        MHD_add_response_header(r, "Cache-Control", "no-cache") !=
            MHD_YES) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    rc = MHD_queue_response(c, 304, r);
    MHD_destroy_response(r);
    return rc;
}

static struct conn *
conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci;

    ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci != NULL ? ci->socket_context : NULL;
}

static enum MHD_Result
request_cb(void *arg, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **req)
{
    struct endpoint *ep = arg;
    struct lh_httpd *h = ep->h;
    struct conn *k = conn_of(c);
    char why[256];
    int code;

    (void)version;
    (void)upload_data;
    (void)upload_size;
    (void)req;
    if (k != NULL) {
        k->answering = true;
        k->since = now_ms();
    }
    /* Answered at once, body or not: none of our paths takes one, and
     * libmicrohttpd then closes the connection rather than read it. */
    switch (lh_serve_route(url)) {
    case LH_SERVE_NONE:
        return answer(c, 404, NULL, "not found\n");
    case LH_SERVE_DASHBOARD:
        if (!lh_serve_method_ok(method))
            break;
        return answer(c, 200, h->dashboard, NULL);
    case LH_SERVE_STATUS:
        if (!lh_serve_method_ok(method))
            break;
        return answer_doc(c, &h->status);
    case LH_SERVE_METRICS:
        if (!lh_serve_method_ok(method))
            break;
        return answer_doc(c, &h->metrics);
    case LH_SERVE_HEALTHZ:
        if (!lh_serve_method_ok(method))
            break;
        code = lh_serve_health(now_ms(), h->started_ms, h->last_ms,
            h->cycle, h->window_ms, why, sizeof(why));
        return answer(c, (unsigned)code, NULL, why);
    }
    return answer(c, 405, NULL, "only GET and HEAD\n");
}

/* --- connections and their deadlines ---------------------------------- */

static void
conn_cb(void *arg, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
    struct endpoint *ep = arg;
    struct conn *k = *socket_context;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        /* Without memory it is served, without a deadline of ours: the
         * idle timeout and the connection limit still hold. */
        if ((k = calloc(1, sizeof(*k))) == NULL)
            return;
        k->c = c;
        k->since = now_ms();
        k->next = ep->conns;
        if (ep->conns != NULL)
            ep->conns->prev = k;
        ep->conns = k;
        *socket_context = k;
        return;
    }
    if (k == NULL)
        return;
    if (k->prev != NULL)
        k->prev->next = k->next;
    else
        ep->conns = k->next;
    if (k->next != NULL)
        k->next->prev = k->prev;
    free(k);
    *socket_context = NULL;
}

static void
completed_cb(void *arg, struct MHD_Connection *c, void **req,
    enum MHD_RequestTerminationCode toe)
{
    struct conn *k = conn_of(c);

    (void)arg;
    (void)req;
    (void)toe;
    if (k != NULL) {
        k->answering = false;   /* waiting for the next head */
        k->since = now_ms();
    }
}

/*
 * Cut the connections past their deadline: shutdown() makes the socket
 * readable at its end, and libmicrohttpd closes it as a client's hang-up.
 * Returns the milliseconds until the next deadline, or -1 for none.
 */
static double
sweep(struct endpoint *ep)
{
    double now = now_ms(), next = -1;

    for (struct conn *k = ep->conns; k != NULL; k = k->next) {
        double left = k->since + (k->answering ? SEND_DEADLINE_MS :
            HEAD_DEADLINE_MS) - now;
        const union MHD_ConnectionInfo *ci;

        if (k->cut)
            continue;
        if (left > 0) {
            if (next < 0 || left < next)
                next = left;
            continue;
        }
        ci = MHD_get_connection_info(k->c,
            MHD_CONNECTION_INFO_CONNECTION_FD);
        if (ci != NULL && shutdown(ci->connect_fd, SHUT_RDWR) == 0) {
            log_debug("http: a client past its %s deadline cut off",
                k->answering ? "answer" : "request");
            k->cut = true;
        }
    }
    return next;
}

static void timer_cb(uv_timer_t *timer);

static unsigned
connections(struct endpoint *ep)
{
    const union MHD_DaemonInfo *di;

    di = MHD_get_daemon_info(ep->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return di != NULL ? di->num_connections : 0;
}

static void
endpoint_run(struct endpoint *ep)
{
    MHD_UNSIGNED_LONG_LONG t;
    double wait = -1, next;
    unsigned before = connections(ep);

    /* At the connection limit libmicrohttpd takes its listening socket
     * out of epoll, and puts it back only at the start of a run: after a
     * run that closed connections, one more, or nothing would wake us
     * for the clients waiting in the backlog. */
    (void)MHD_run(ep->d);
    if (connections(ep) < before)
        (void)MHD_run(ep->d);
    next = sweep(ep);
    if (MHD_get_timeout(ep->d, &t) == MHD_YES)
        wait = (double)t;
    if (next >= 0 && (wait < 0 || next < wait))
        wait = next + 1;
    if (wait < 0)
        uv_timer_stop(&ep->timer);
    else
        uv_timer_start(&ep->timer, timer_cb, (uint64_t)wait, 0);
}

static void
timer_cb(uv_timer_t *timer)
{
    endpoint_run(timer->data);
}

static void
poll_cb(uv_poll_t *poll, int status, int events)
{
    (void)status;
    (void)events;
    endpoint_run(poll->data);
}

/* --- the endpoint: bind, rebind, close -------------------------------- */

static void
handle_closed_cb(uv_handle_t *handle)
{
    struct endpoint *ep = handle->data;

    if (--ep->open == 0)
        free(ep);
}

/* The poll handle goes first: libuv must stop watching the epoll
 * descriptor before libmicrohttpd closes it. */
static void
endpoint_close(struct endpoint *ep)
{
    if (ep->open == 2)
        uv_close((uv_handle_t *)&ep->poll, handle_closed_cb);
    MHD_stop_daemon(ep->d);     /* every connection closed: conn_cb */
    uv_close((uv_handle_t *)&ep->timer, handle_closed_cb);
}

static struct endpoint *
endpoint_start(struct lh_httpd *h, const struct lh_listen *l,
    const char *name, char *err, size_t errlen)
{
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    struct sockaddr *sa;
    const union MHD_DaemonInfo *di;
    struct endpoint *ep;
    unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    int rc;

    memset(&sin, 0, sizeof(sin));
    memset(&sin6, 0, sizeof(sin6));
    if (l->family == AF_INET6) {
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons((uint16_t)l->port);
        memcpy(&sin6.sin6_addr, l->addr, 16);
        sa = (struct sockaddr *)&sin6;
        flags |= MHD_USE_IPv6;
    } else {
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)l->port);
        memcpy(&sin.sin_addr, l->addr, 4);
        sa = (struct sockaddr *)&sin;
    }
    if ((ep = calloc(1, sizeof(*ep))) == NULL) {
        snprintf(err, errlen, "listen %s: out of memory", name);
        return NULL;
    }
    ep->h = h;
    errno = 0;
    ep->d = MHD_start_daemon(flags, (uint16_t)l->port, NULL, NULL,
        request_cb, ep,
        MHD_OPTION_EXTERNAL_LOGGER, logger_cb, ep,
        MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
        MHD_OPTION_NOTIFY_CONNECTION, conn_cb, ep,
        MHD_OPTION_NOTIFY_COMPLETED, completed_cb, ep,
        MHD_OPTION_END);
    if (ep->d == NULL) {
        snprintf(err, errlen, "listen %s: %s", name, ep->msg[0] != '\0' ?
            ep->msg : errno != 0 ? strerror(errno) :
            "libmicrohttpd refused to start");
        free(ep);
        return NULL;
    }
    di = MHD_get_daemon_info(ep->d, MHD_DAEMON_INFO_EPOLL_FD);
    uv_timer_init(h->loop, &ep->timer);
    ep->timer.data = ep;
    ep->open = 1;
    rc = UV_EBADF;
    if (di == NULL ||
        (rc = uv_poll_init(h->loop, &ep->poll, di->epoll_fd)) != 0)
        goto fail;
    ep->poll.data = ep;
    ep->open = 2;
    if ((rc = uv_poll_start(&ep->poll, UV_READABLE, poll_cb)) != 0)
        goto fail;
    endpoint_run(ep);
    return ep;
fail:
    snprintf(err, errlen, "listen %s: %s", name, uv_strerror(rc));
    endpoint_close(ep);
    return NULL;
}

/* --- the server ------------------------------------------------------- */

struct lh_httpd *
lh_httpd_new(struct uv_loop_s *loop)
{
    struct lh_httpd *h;
    size_t len = (size_t)(lh_dashboard_html_end - lh_dashboard_html);

    if ((h = calloc(1, sizeof(*h))) == NULL)
        return NULL;
    h->loop = loop;
    h->started_ms = now_ms();
    h->last_ms = -1;
    h->dashboard = MHD_create_response_from_buffer(len,
        (void *)lh_dashboard_html, MHD_RESPMEM_PERSISTENT);
    if (h->dashboard == NULL ||
        MHD_add_response_header(h->dashboard, "Content-Type", TYPE_HTML) !=
            MHD_YES ||
        MHD_add_response_header(h->dashboard, "Cache-Control", "no-cache") !=
            MHD_YES) {
        lh_httpd_close(h);
        return NULL;
    }
    return h;
}

int
lh_httpd_configure(struct lh_httpd *h, const struct lh_config *cfg,
    char *err, size_t errlen)
{
    struct endpoint *ep;

    h->window_ms = 2.0 * ((double)cfg->interval_ms + cfg->jitter_ms);
    if (cfg->listen == NULL) {
        if (h->ep != NULL) {
            log_info("HTTP endpoint closed");
            endpoint_close(h->ep);
            h->ep = NULL;
        }
        return 0;
    }
    if (h->ep != NULL && memcmp(&h->where, &cfg->listen_addr,
            sizeof(h->where)) == 0)
        return 0;
    if ((ep = endpoint_start(h, &cfg->listen_addr, cfg->listen, err,
            errlen)) == NULL)
        return -1;
    if (h->ep != NULL)
        endpoint_close(h->ep);
    h->ep = ep;
    h->where = cfg->listen_addr;
    log_info("HTTP endpoint on http://%s/", cfg->listen);
    return 0;
}

/* Render one document into memory and make it the one served. */
static void
render(struct doc *d, lh_status_printer print, const char *type,
    const struct lh_status_info *info, const struct lh_links *links)
{
    struct MHD_Response *r = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f;
    int rc;

    if ((f = open_memstream(&buf, &len)) == NULL) {
        log_warn("HTTP endpoint: rendering %s", type);
        return;
    }
    rc = print(f, info, links);
    if (fclose(f) != 0 || rc == -1) {
        log_warn("HTTP endpoint: rendering %s", type);
        free(buf);
        return;
    }
    r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(buf);
        log_warnx("HTTP endpoint: rendering %s: out of memory", type);
        return;
    }
    /* The cycle and the bytes: two cycles that found the same thing
     * still differ in generated_at, so the hash alone would do, but the
     * cycle makes the tag readable. */
    snprintf(d->etag, sizeof(d->etag), "\"%llu-%016llx\"", info->cycle,
        lh_hash_bytes(buf, len));
    lh_serve_http_date(info->generated_at, d->modified, sizeof(d->modified));
    if (MHD_add_response_header(r, "Content-Type", type) != MHD_YES ||
        MHD_add_response_header(r, "ETag", d->etag) != MHD_YES ||
        MHD_add_response_header(r, "Last-Modified", d->modified) !=
            MHD_YES ||
        MHD_add_response_header(r, "Cache-Control", "no-cache") !=
            MHD_YES) {
        MHD_destroy_response(r);
        log_warnx("HTTP endpoint: rendering %s: out of memory", type);
        return;
    }
    d->mtime = info->generated_at;
    /* Requests being answered hold their own reference to the old one. */
    if (d->r != NULL)
        MHD_destroy_response(d->r);
    d->r = r;
}

void
lh_httpd_update(struct lh_httpd *h, const struct lh_links *links,
    const struct lh_status_info *info)
{
    h->last_ms = now_ms();
    h->cycle = info->cycle;
    if (h->ep == NULL)
        return;
    render(&h->status, lh_status_print, TYPE_JSON, info, links);
    render(&h->metrics, lh_metrics_print, TYPE_METRICS, info, links);
}

void
lh_httpd_close(struct lh_httpd *h)
{
    if (h == NULL)
        return;
    if (h->ep != NULL)
        endpoint_close(h->ep);
    if (h->status.r != NULL)
        MHD_destroy_response(h->status.r);
    if (h->metrics.r != NULL)
        MHD_destroy_response(h->metrics.r);
    if (h->dashboard != NULL)
        MHD_destroy_response(h->dashboard);
    free(h);
}
