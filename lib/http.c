/*
 * http: libcurl's multi_socket API on a libuv loop.  curl tells us which
 * sockets to watch (socket callback) and when to call it back (timer
 * callback -> one uv_timer_t); readiness and timeouts go back to
 * curl_multi_socket_action, and finished transfers are collected with
 * curl_multi_info_read after every action.  No polling loop, no threads.
 *
 * Each socket has one uv_poll_t for its whole life, in a table indexed by
 * descriptor, closed when curl closes the socket
 * (CURLOPT_CLOSESOCKETFUNCTION, which every started transfer gets).  When
 * curl says CURL_POLL_REMOVE (a kept-alive connection between transfers)
 * the watcher stays armed, only marked idle and unreferenced: the next
 * transfer on the connection asks for the same events, and then there is
 * nothing to do.  Stopping it would cost three epoll_ctl per transfer
 * (libuv's uv_poll_stop deletes, and its uv_poll_start deletes again
 * before it adds).  An idle watcher that fires (the server closed the
 * connection, or sent what nobody asked for) is stopped then: the loop
 * wakes once for it, as it would for curl's own check before reuse.
 *
 * Started transfers own CURLOPT_PRIVATE and CURLOPT_CLOSESOCKETFUNCTION of
 * their easy handle.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <uv.h>

#include "http.h"
#include "util.h"

struct xfer {
    struct lh_http *h;
    CURL *easy;
    lh_http_done_cb cb;
    void *arg;
    bool in_multi;          /* added to the multi handle */
    bool has_timer;         /* delay is initialized: free after close */
    int fail;               /* >= 0: report this result, make no transfer */
    bool ended;             /* drain() reports result: a socket of it could
                             * not be watched, or its multi handle went */
    int result;
    uv_timer_t delay;
    struct xfer *prev, *next;
};

/* A socket's watcher, h->socks[fd] from its first add to its close. */
struct sock {
    struct lh_http *h;
    curl_socket_t fd;
    int events;             /* started with these; 0: stopped */
    bool idle;              /* curl said remove: armed, not referenced */
    uv_poll_t poll;
};

struct lh_http {
    uv_loop_t *loop;
    CURLM *multi;           /* NULL after a failed renew_multi() */
    long max_host_connections, max_total_connections;
    uv_timer_t timer;
    struct xfer *xfers;     /* started, not done: for cancel and close */
    unsigned nxfers;
    struct sock **socks;    /* by descriptor; NULL: not watched */
    size_t nsocks;          /* slots in socks */
    unsigned closing;       /* uv handles whose close callback is due */
    unsigned nended;        /* xfers with ended set, reported by drain() */
    bool shutting_down;
    bool forget;            /* replace multi once no transfer is in it */
    /* Bumped whenever the multi handle goes, and with it curl's DNS
     * cache: what a transfer put there before is gone. */
    unsigned long dns_generation;
    lh_http_closed_cb closed_cb;
    void *closed_arg;
};

/* How soon curl is asked again after a failed action. */
#define RETRY_MS 50

static void maybe_finish_close(struct lh_http *h);
static void timeout_cb(uv_timer_t *timer);
static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *socketp);
static int timer_cb(CURLM *multi, long timeout_ms, void *userp);
static int closesocket_cb(void *clientp, curl_socket_t fd);
static void socks_close_all(struct lh_http *h);
static void sock_stop(struct sock *s);

static void
handle_closed_cb(uv_handle_t *handle)
{
    struct lh_http *h = handle->data;

    h->closing--;
    maybe_finish_close(h);
}

static void
sock_closed_cb(uv_handle_t *handle)
{
    struct sock *s = handle->data;
    struct lh_http *h = s->h;

    free(s);
    h->closing--;
    maybe_finish_close(h);
}

static void
xfer_closed_cb(uv_handle_t *handle)
{
    struct xfer *x = handle->data;
    struct lh_http *h = x->h;

    free(x);
    h->closing--;
    maybe_finish_close(h);
}

static void
xfer_unlink(struct xfer *x)
{
    struct lh_http *h = x->h;

    if (x->prev != NULL)
        x->prev->next = x->next;
    else
        h->xfers = x->next;
    if (x->next != NULL)
        x->next->prev = x->prev;
    h->nxfers--;
}

/* Release a transfer record; its timer, if any, must be closed first. */
static void
xfer_free(struct xfer *x)
{
    if (x->has_timer) {
        x->h->closing++;
        uv_close((uv_handle_t *)&x->delay, xfer_closed_cb);
    } else {
        free(x);
    }
}

/*
 * x is over (done, failed or cancelled): nothing behind its easy handle
 * any more, so a later lh_http_cancel on that handle is the no-op it
 * promises, then out of the list and freed.
 */
static void
xfer_release(struct xfer *x)
{
    /* Cannot fail: setting a pointer allocates nothing. */
    (void)curl_easy_setopt(x->easy, CURLOPT_PRIVATE, NULL);
    xfer_unlink(x);
    xfer_free(x);
}

/* Have drain() end x with result (the first one given, unless override). */
static void
xfer_end(struct xfer *x, int result, bool override)
{
    if (!x->ended) {
        x->ended = true;
        x->h->nended++;
    } else if (!override) {
        return;
    }
    x->result = result;
}

static void forget_now(struct lh_http *h);

/* Hand every finished transfer back to its owner. */
static void
drain(struct lh_http *h)
{
    CURLMsg *msg;
    int left;

    while (h->multi != NULL &&
        (msg = curl_multi_info_read(h->multi, &left)) != NULL) {
        CURL *easy = msg->easy_handle;
        CURLcode result = msg->data.result;
        struct xfer *x = NULL;
        lh_http_done_cb cb;
        void *arg;

        if (msg->msg != CURLMSG_DONE)
            continue;
        /* msg is not to be touched once the handle is removed.  Removing
         * a finished transfer fails only for a handle that is not in
         * this multi handle, and then there is nothing left to undo. */
        if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x) !=
            CURLE_OK)
            x = NULL;
        (void)curl_multi_remove_handle(h->multi, easy);
        if (x == NULL)
            continue;
        x->in_multi = false;
        cb = x->cb;
        arg = x->arg;
        if (x->ended) {
            x->ended = false;
            h->nended--;
        }
        xfer_release(x);
        cb(easy, (int)result, arg);
    }
    /* Transfers whose socket we could not watch would wait forever, and
     * those of a multi handle we gave up have no other way out: end them
     * with their result (a callback may start or cancel others). */
    while (h->nended > 0 && !h->shutting_down) {
        struct xfer *x = h->xfers;
        lh_http_done_cb cb;
        void *arg;
        CURL *easy;
        int result;

        while (x != NULL && !x->ended)
            x = x->next;
        if (x == NULL) {
            h->nended = 0;
            break;
        }
        result = x->result;
        x->ended = false;
        h->nended--;
        easy = x->easy;
        cb = x->cb;
        arg = x->arg;
        if (x->in_multi)
            (void)curl_multi_remove_handle(h->multi, easy);
        x->in_multi = false;
        xfer_release(x);
        cb(easy, result, arg);
    }
    /* The last transfer is over: a forget waiting for it is done now,
     * not at the next start (which may come with others in flight). */
    forget_now(h);
}

/* h's connection cache bounds on multi.  0, or -1 when curl refused. */
static int
multi_limits(struct lh_http *h, CURLM *multi)
{
    return curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS,
            h->max_host_connections) ||
        curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
            h->max_total_connections) ||
        curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS,
            h->max_total_connections > 0 ?
                h->max_total_connections * 4 : 0L) ? -1 : 0;
}

/* A new multi handle for h, with its callbacks and limits. */
static CURLM *
multi_open(struct lh_http *h)
{
    CURLM *multi;

    if ((multi = curl_multi_init()) == NULL)
        return NULL;
    if (curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, socket_cb) ||
        curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, h) ||
        curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, timer_cb) ||
        curl_multi_setopt(multi, CURLMOPT_TIMERDATA, h) ||
        multi_limits(h, multi) == -1) {
        (void)curl_multi_cleanup(multi);
        return NULL;
    }
    return multi;
}

/*
 * Give up the multi handle after curl_multi_socket_action said
 * CURLM_OUT_OF_MEMORY: libcurl 7.88 does not survive it.  Its
 * singlesocket() then has destroyed the transfer hash of a socket entry
 * (Curl_hash_destroy, slots = 0) but left the entry in the socket hash,
 * and the next transfer on that socket, or on a new socket with the same
 * number, computes a hash modulo 0: SIGFPE.  So every transfer comes out
 * of it (a finished one keeps its result, the others end with
 * CURLE_OUT_OF_MEMORY; drain() reports them), it is cleaned up, and a new
 * one takes its place; if none can be made now, the next start tries
 * again.  Cached connections go with it.
 */
static void
renew_multi(struct lh_http *h)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
        CURL *easy = msg->easy_handle;
        CURLcode result = msg->data.result;
        struct xfer *x = NULL;

        if (msg->msg != CURLMSG_DONE)
            continue;
        if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x) !=
            CURLE_OK)
            x = NULL;
        (void)curl_multi_remove_handle(h->multi, easy);
        if (x != NULL && x->h == h && x->in_multi) {
            x->in_multi = false;
            xfer_end(x, (int)result, true);
        }
    }
    for (struct xfer *x = h->xfers; x != NULL; x = x->next)
        if (x->in_multi) {
            (void)curl_multi_remove_handle(h->multi, x->easy);
            x->in_multi = false;
            xfer_end(x, (int)CURLE_OUT_OF_MEMORY, false);
        }
    /* socket_cb may run during the cleanup, with h->multi still the old
     * handle; whatever sockets it leaves are closed below. */
    (void)curl_multi_cleanup(h->multi);
    h->multi = NULL;
    h->dns_generation++;
    socks_close_all(h);
    (void)uv_timer_stop(&h->timer);
    h->multi = multi_open(h);
}

/* A multi handle to add transfers to: NULL if none can be made. */
static CURLM *
multi_get(struct lh_http *h)
{
    if (h->multi == NULL)
        h->multi = multi_open(h);
    return h->multi;
}

/*
 * After curl_multi_socket_action: an error may leave a transfer that curl
 * no longer schedules.  A multi handle that gave up (a callback failed)
 * takes no more actions: end every transfer in it.  One that ran out of
 * memory is replaced (renew_multi says why).  Otherwise ask curl again
 * shortly, so its own timeouts still end what it could not advance.
 */
static void
action_result(struct lh_http *h, CURLMcode mc)
{
    if (mc == CURLM_OK || mc == CURLM_BAD_SOCKET)
        return;
    if (mc == CURLM_OUT_OF_MEMORY) {
        renew_multi(h);
        return;
    }
    if (mc == CURLM_ABORTED_BY_CALLBACK || mc == CURLM_BAD_HANDLE ||
        mc == CURLM_INTERNAL_ERROR) {
        for (struct xfer *x = h->xfers; x != NULL; x = x->next)
            if (x->in_multi)
                xfer_end(x, (int)CURLE_ABORTED_BY_CALLBACK, false);
        return;
    }
    /* Starting an initialized timer that is not closing cannot fail. */
    if (h->nxfers > 0 && !uv_is_active((uv_handle_t *)&h->timer))
        (void)uv_timer_start(&h->timer, timeout_cb, RETRY_MS, 0);
}

static void
poll_cb(uv_poll_t *poll, int status, int events)
{
    struct sock *s = poll->data;
    struct lh_http *h = s->h;
    int flags = 0, running;

    if (h->multi == NULL)   /* not reached: renew_multi closes every poll */
        return;
    if (s->idle) {
        /*
         * Curl watches no idle connection: it finds a closed one when
         * it next looks for a connection to reuse, and drops it then.
         * Calling it here would only run its timers.
         */
        sock_stop(s);
        return;
    }
    if (status < 0) {
        flags = CURL_CSELECT_ERR;
    } else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    action_result(h, curl_multi_socket_action(h->multi, s->fd, flags,
        &running));
    drain(h);
}

static void
timeout_cb(uv_timer_t *timer)
{
    struct lh_http *h = timer->data;
    int running;

    if (h->multi != NULL)
        action_result(h, curl_multi_socket_action(h->multi,
            CURL_SOCKET_TIMEOUT, 0, &running));
    drain(h);
}

/* Stop s's watcher; the next add starts it afresh. */
static void
sock_stop(struct sock *s)
{
    (void)uv_poll_stop(&s->poll);   /* returns 0 */
    s->events = 0;
    if (s->idle) {
        s->idle = false;
        uv_ref((uv_handle_t *)&s->poll);
    }
}

/*
 * Close fd's watcher, if any.  uv_close stops it at once (the descriptor
 * leaves epoll now), so the descriptor may be closed right after; the
 * record goes in the close callback.
 */
static void
sock_close(struct lh_http *h, curl_socket_t fd)
{
    struct sock *s;

    if (fd < 0 || (size_t)fd >= h->nsocks || (s = h->socks[fd]) == NULL)
        return;
    h->socks[fd] = NULL;
    h->closing++;
    uv_close((uv_handle_t *)&s->poll, sock_closed_cb);
}

/* After the multi handle is gone: no socket of it is watched any more. */
static void
socks_close_all(struct lh_http *h)
{
    for (size_t fd = 0; fd < h->nsocks; fd++)
        sock_close(h, (curl_socket_t)fd);
}

/* fd's watcher, made (and the table grown) on its first use; NULL when
 * out of memory (*result CURLE_OUT_OF_MEMORY: the monitor's failure, not
 * the link's) or libuv refuses the descriptor. */
static struct sock *
sock_get(struct lh_http *h, curl_socket_t fd, int *result)
{
    struct sock *s;

    *result = (int)CURLE_OUT_OF_MEMORY;
    if (fd < 0) {
        *result = (int)CURLE_COULDNT_CONNECT;
        return NULL;
    }
    if ((size_t)fd >= h->nsocks) {
        size_t n = h->nsocks > 0 ? h->nsocks : 64;
        struct sock **grown;

        while (n <= (size_t)fd)
            n *= 2;
        if ((grown = realloc(h->socks, n * sizeof(*grown))) == NULL)
            return NULL;
        memset(grown + h->nsocks, 0, (n - h->nsocks) * sizeof(*grown));
        h->socks = grown;
        h->nsocks = n;
    }
    if ((s = h->socks[fd]) != NULL)
        return s;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return NULL;
    if (uv_poll_init_socket(h->loop, &s->poll, fd) != 0) {
        free(s);
        *result = (int)CURLE_COULDNT_CONNECT;
        return NULL;
    }
    s->h = h;
    s->fd = fd;
    s->poll.data = s;
    h->socks[fd] = s;
    return s;
}

/*
 * A socket of easy's transfer cannot be watched: drain() ends the transfer
 * with result.  Returning -1 to curl instead would kill the whole multi
 * handle (CURLM_ABORTED_BY_CALLBACK) and every transfer in it with no
 * completion message: a cycle that never ends.
 */
static void
xfer_break(struct lh_http *h, CURL *easy, int result)
{
    struct xfer *x = NULL;

    if (easy == NULL ||
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x) != CURLE_OK ||
        x == NULL || x->h != h)
        return;
    xfer_end(x, result, false);
}

/*
 * CURLMOPT_SOCKETFUNCTION: watch what curl asks for on fd.  Remove only
 * marks the watcher idle: a kept-alive connection is asked for again by
 * the next transfer, most often for the same events, and its watcher goes
 * when curl closes the socket (closesocket_cb).  An idle watcher holds no
 * reference on the loop, as a stopped one would not.
 */
static int
socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct lh_http *h = userp;
    struct sock *s;
    int events = 0, result;

    (void)socketp;
    if (what == CURL_POLL_REMOVE) {
        if (fd < 0 || (size_t)fd >= h->nsocks || (s = h->socks[fd]) == NULL)
            return 0;
        /*
         * A connection attempt that lost the race to another address is
         * closed by curl itself, without closesocket_cb, before it says
         * remove: that watcher goes now, while the number is nobody's.
         * Closed later, it would take whoever has the number by then out
         * of epoll (libuv deletes the descriptor on close).
         */
        if (fcntl(fd, F_GETFD) == -1) {
            sock_close(h, fd);
        } else if (s->events != 0 && !s->idle) {
            s->idle = true;
            uv_unref((uv_handle_t *)&s->poll);
        }
        return 0;
    }
    if ((s = sock_get(h, fd, &result)) == NULL) {
        xfer_break(h, easy, result);
        return 0;
    }
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    if (s->idle) {
        s->idle = false;
        uv_ref((uv_handle_t *)&s->poll);
    }
    if (events == s->events)
        return 0;
    if (uv_poll_start(&s->poll, events, poll_cb) != 0) {
        sock_stop(s);
        xfer_break(h, easy, (int)CURLE_COULDNT_CONNECT);
        return 0;
    }
    s->events = events;
    return 0;
}

/*
 * CURLOPT_CLOSESOCKETFUNCTION of every transfer's connections: the watcher
 * goes before the descriptor, so a socket opened next with the same number
 * never meets a watcher of the old one.  (curl has said CURL_POLL_REMOVE
 * for it just before, when it watched it.)
 */
static int
closesocket_cb(void *clientp, curl_socket_t fd)
{
    sock_close(clientp, fd);
    return close(fd);
}

void
lh_http_socket_opened(struct lh_http *h, int fd)
{
    struct sock *s;

    /*
     * curl closes a connection attempt that lost the race to another
     * address without closesocket_cb, and says nothing when another
     * attempt's socket gets the same number and wants the same events:
     * the old descriptor left epoll when it was closed, so the watcher is
     * started afresh for the new one.  An idle watcher's socket was
     * closed the same way: curl asks for the new one's events itself.
     */
    if (fd < 0 || (size_t)fd >= h->nsocks || (s = h->socks[fd]) == NULL ||
        s->events == 0)
        return;
    if (s->idle) {
        sock_stop(s);
        return;
    }
    (void)uv_poll_stop(&s->poll);
    if (uv_poll_start(&s->poll, s->events, poll_cb) != 0)
        sock_stop(s);   /* curl's timeouts end the transfer */
}

/* CURLMOPT_TIMERFUNCTION: one timer for the whole multi handle.  Calling
 * back into curl from here is not allowed; the uv timer does it later. */
static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    struct lh_http *h = userp;

    (void)multi;
    if (timeout_ms < 0)
        return uv_timer_stop(&h->timer) == 0 ? 0 : -1;
    return uv_timer_start(&h->timer, timeout_cb, (uint64_t)timeout_ms, 0) ==
        0 ? 0 : -1;
}

struct lh_http *
lh_http_new(struct uv_loop_s *loop, long max_host_connections,
    long max_total_connections, char *err, size_t errlen)
{
    struct lh_http *h;
    int rc;

    if ((h = calloc(1, sizeof(*h))) == NULL) {
        lh_seterr(err, errlen, "out of memory");
        return NULL;
    }
    h->loop = loop;
    h->max_host_connections = max_host_connections;
    h->max_total_connections = max_total_connections;
    if ((h->multi = multi_open(h)) == NULL) {
        lh_seterr(err, errlen, "curl_multi_init: out of memory");
        free(h);
        return NULL;
    }
    if ((rc = uv_timer_init(loop, &h->timer)) != 0) {
        lh_seterr(err, errlen, "uv_timer_init: %s", uv_strerror(rc));
        (void)curl_multi_cleanup(h->multi);
        free(h);
        return NULL;
    }
    h->timer.data = h;
    return h;
}

int
lh_http_set_limits(struct lh_http *h, long max_host_connections,
    long max_total_connections)
{
    long host = h->max_host_connections, total = h->max_total_connections;

    if (host == max_host_connections && total == max_total_connections)
        return 0;
    h->max_host_connections = max_host_connections;
    h->max_total_connections = max_total_connections;
    /* Setting longs allocates nothing; a multi handle made later (after
     * renew_multi) takes the new bounds from h. */
    if (h->multi != NULL && multi_limits(h, h->multi) == -1) {
        h->max_host_connections = host;
        h->max_total_connections = total;
        (void)multi_limits(h, h->multi);
        return -1;
    }
    return 0;
}

static void
delay_cb(uv_timer_t *timer)
{
    struct xfer *x = timer->data;
    struct lh_http *h = x->h;
    int fail = x->fail;

    if (fail < 0 && (multi_get(h) == NULL ||
            curl_multi_add_handle(h->multi, x->easy) != CURLM_OK))
        fail = (int)CURLE_OUT_OF_MEMORY;
    if (fail >= 0) {
        /* The callback runs once, with the failure as the result. */
        CURL *easy = x->easy;
        lh_http_done_cb cb = x->cb;
        void *arg = x->arg;

        xfer_release(x);
        cb(easy, fail, arg);
        return;
    }
    x->in_multi = true;
}

/* lh_http_forget's work, when it is due and no transfer is in flight:
 * the multi handle goes with its connections and names, and multi_get
 * makes the next one. */
static void
forget_now(struct lh_http *h)
{
    if (!h->forget || h->nxfers > 0)
        return;
    h->forget = false;
    if (h->multi == NULL)
        return;
    /* As in renew_multi: what socket_cb leaves is closed below. */
    (void)curl_multi_cleanup(h->multi);
    h->multi = NULL;
    h->dns_generation++;
    socks_close_all(h);
    (void)uv_timer_stop(&h->timer);
}

void
lh_http_forget(struct lh_http *h)
{
    h->forget = true;
    forget_now(h);
}

static int
start(struct lh_http *h, void *easy, unsigned delay_ms, int fail,
    lh_http_done_cb cb, void *arg, char *err, size_t errlen)
{
    struct xfer *x;
    CURLMcode mc;
    int rc;

    if (h->shutting_down) {
        lh_seterr(err, errlen, "shutting down");
        return -1;
    }
    forget_now(h);
    if ((x = calloc(1, sizeof(*x))) == NULL) {
        lh_seterr(err, errlen, "out of memory");
        return -1;
    }
    x->h = h;
    x->easy = easy;
    x->cb = cb;
    x->arg = arg;
    x->fail = fail;
    /* Setting pointers allocates nothing; the close function is copied
     * into each connection the transfer makes. */
    if (curl_easy_setopt(easy, CURLOPT_PRIVATE, x) != CURLE_OK ||
        curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION,
            closesocket_cb) != CURLE_OK ||
        curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, h) != CURLE_OK) {
        lh_seterr(err, errlen, "curl_easy_setopt(CURLOPT_PRIVATE) failed");
        free(x);
        return -1;
    }
    if (delay_ms > 0 || fail >= 0) {
        if ((rc = uv_timer_init(h->loop, &x->delay)) != 0) {
            lh_seterr(err, errlen, "uv_timer_init: %s", uv_strerror(rc));
            goto fail;
        }
        x->has_timer = true;
        x->delay.data = x;
        if ((rc = uv_timer_start(&x->delay, delay_cb, delay_ms, 0)) != 0) {
            lh_seterr(err, errlen, "uv_timer_start: %s", uv_strerror(rc));
            goto fail;
        }
    } else {
        if (multi_get(h) == NULL) {
            lh_seterr(err, errlen, "curl_multi_init: out of memory");
            goto fail;
        }
        if ((mc = curl_multi_add_handle(h->multi, easy)) != CURLM_OK) {
            lh_seterr(err, errlen, "curl_multi_add_handle: %s",
                curl_multi_strerror(mc));
            goto fail;
        }
        x->in_multi = true;
    }
    x->next = h->xfers;
    if (h->xfers != NULL)
        h->xfers->prev = x;
    h->xfers = x;
    h->nxfers++;
    return 0;
fail:
    /* Not started: lh_http_cancel must find nothing behind the handle. */
    (void)curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
    xfer_free(x);
    return -1;
}

int
lh_http_start(struct lh_http *h, void *easy, unsigned delay_ms,
    lh_http_done_cb cb, void *arg, char *err, size_t errlen)
{
    return start(h, easy, delay_ms, -1, cb, arg, err, errlen);
}

int
lh_http_fail(struct lh_http *h, void *easy, int result, lh_http_done_cb cb,
    void *arg, char *err, size_t errlen)
{
    return start(h, easy, 0, result < 0 ? 0 : result, cb, arg, err, errlen);
}

static void
xfer_cancel(struct xfer *x)
{
    struct lh_http *h = x->h;

    /* Neither can fail for a handle we added and still hold. */
    if (x->in_multi)
        (void)curl_multi_remove_handle(h->multi, x->easy);
    if (x->ended)
        h->nended--;
    xfer_release(x);
}

void
lh_http_cancel(struct lh_http *h, void *easy)
{
    struct xfer *x = NULL;

    if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x) == CURLE_OK &&
        x != NULL && x->h == h)
        xfer_cancel(x);
}

bool
lh_http_hasten(struct lh_http *h, void *easy)
{
    struct xfer *x = NULL;

    /* Restarting an initialized timer with a callback cannot fail. */
    if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x) != CURLE_OK ||
        x == NULL || x->h != h || !x->has_timer || x->in_multi ||
        x->fail >= 0)
        return false;
    (void)uv_timer_start(&x->delay, delay_cb, 0, 0);
    return true;
}

int
lh_http_slist_append(struct curl_slist **list, char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct curl_slist *grown = curl_slist_append(*list, v[i]);

        if (grown == NULL)
            return -1;
        *list = grown;
    }
    return 0;
}

struct uv_loop_s *
lh_http_loop(const struct lh_http *h)
{
    return h->loop;
}

unsigned long
lh_http_dns_generation(const struct lh_http *h)
{
    return h->dns_generation;
}

bool
lh_http_forgetting(const struct lh_http *h)
{
    return h->forget;
}

unsigned
lh_http_active(const struct lh_http *h)
{
    return h->nxfers;
}

unsigned
lh_http_sockets(const struct lh_http *h)
{
    unsigned n = 0;

    for (size_t fd = 0; fd < h->nsocks; fd++)
        n += h->socks[fd] != NULL;
    return n;
}

static void
maybe_finish_close(struct lh_http *h)
{
    if (!h->shutting_down || h->closing > 0)
        return;
    if (h->closed_cb != NULL)
        h->closed_cb(h->closed_arg);
    free(h->socks);
    free(h);
}

void
lh_http_close(struct lh_http *h, lh_http_closed_cb closed_cb, void *arg)
{
    h->shutting_down = true;
    h->closed_cb = closed_cb;
    h->closed_arg = arg;
    while (h->xfers != NULL)
        xfer_cancel(h->xfers);
    /* Cleanup closes cached connections and may tell socket_cb to stop
     * watching them; whatever it leaves is closed below. */
    if (h->multi != NULL)
        (void)curl_multi_cleanup(h->multi);
    h->multi = NULL;
    socks_close_all(h);
    (void)uv_timer_stop(&h->timer);
    h->closing++;
    uv_close((uv_handle_t *)&h->timer, handle_closed_cb);
}

int
lh_http_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
lh_http_global_cleanup(void)
{
    curl_global_cleanup();
}

const char *
lh_http_version(void)
{
    return curl_version();
}
