/*
 * Tests of http.c's contract against the tiny HTTP/1.1 server of httpd.h,
 * which runs in this process, on the same uv loop, bound to 127.0.0.1:
 * completion exactly once, delayed starts, lh_http_fail, cancel, close
 * with transfers in flight, a server that hangs up, connection caps set
 * later, and lh_http_slist_append.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <uv.h>

#include "http.h"
#include "httpd.h"
#include "test.h"

/* Every loop run ends by itself; this only catches a hang. */
#define WATCHDOG_MS     3000
#define MAX_RECS        64

/*
 * The server answers by path: /ok with a keep-alive 200, /hang never
 * (the transfer stays in flight), /close by hanging up once the request
 * is read (a clean FIN: no unread bytes, so no reset), anything else 404.
 */
static const char ok_response[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
static const char notfound_response[] =
    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";

struct ctx;

/* What the test saw of one transfer's callback. */
struct rec {
    struct ctx *c;
    CURL *easy;
    int calls;
    int result;
    long status;
    bool easy_matched;      /* the callback got this rec's easy handle */
    bool inside_call;       /* it ran inside an lh_http_* call */
};

/* One test's loop, server, lh_http and what they observed.  Cases keep
 * theirs static: it is large, and callbacks hold its address. */
struct ctx {
    uv_loop_t loop;
    uv_timer_t watchdog;
    uv_timer_t later;       /* run_for() and probes */
    void (*later_fn)(struct ctx *);
    bool timed_out;

    struct httpd srv;
    unsigned hang_requests;
    /* Called after each request is answered (or not). */
    void (*on_request)(struct ctx *, const char *path);

    struct lh_http *http;
    bool in_call;           /* inside an lh_http_* call from the test */
    int closed;             /* closed_cb calls */
    unsigned ndone, nwant;  /* done callbacks; uv_stop at nwant */

    /* Scratch for the cases. */
    struct rec recs[MAX_RECS];
    unsigned probe_accepted;
    int probe_calls;
    bool probed;
    unsigned active_before, active_after;
};

/* ---- the server's answers ---- */

static void
serve_cb(struct httpd_conn *k, const struct httpd_req *req, void *arg)
{
    struct ctx *c = arg;

    if (strcmp(req->path, "/ok") == 0)
        httpd_write(k, ok_response, sizeof(ok_response) - 1);
    else if (strcmp(req->path, "/close") == 0)
        httpd_hangup(k);
    else if (strcmp(req->path, "/hang") == 0)
        c->hang_requests++;
    else
        httpd_write(k, notfound_response, sizeof(notfound_response) - 1);
    if (c->on_request != NULL)
        c->on_request(c, req->path);
}

/* ---- the test's side ---- */

static size_t
discard_cb(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

/* An easy handle for path on the test server, set up as check.c and
 * fetch.c do it (no signals), with no proxy from the environment and the
 * body thrown away. */
static CURL *
easy_new(const struct ctx *c, const char *path)
{
    char url[128];
    CURL *e;

    if (httpd_url(&c->srv, path, url, sizeof(url)) == -1 ||
        (e = curl_easy_init()) == NULL)
        return NULL;
    if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_PROXY, "") != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard_cb) != CURLE_OK) {
        curl_easy_cleanup(e);
        return NULL;
    }
    return e;
}

static void
done_cb(void *easy, int result, void *arg)
{
    struct rec *r = arg;
    struct ctx *c = r->c;

    r->calls++;
    r->result = result;
    r->easy_matched = easy == r->easy;
    r->inside_call = c->in_call;
    r->status = 0;
    if (curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r->status) !=
        CURLE_OK)
        r->status = -1;
    if (++c->ndone == c->nwant)
        uv_stop(&c->loop);
}

static void
closed_cb(void *arg)
{
    struct ctx *c = arg;

    c->closed++;
    /* "From the loop": never inside lh_http_close itself. */
    CHECK(!c->in_call);
}

static void
watchdog_cb(uv_timer_t *timer)
{
    struct ctx *c = timer->data;

    c->timed_out = true;
    uv_stop(&c->loop);
}

static void
later_cb(uv_timer_t *timer)
{
    struct ctx *c = timer->data;

    c->later_fn(c);
}

static void
stop_loop(struct ctx *c)
{
    uv_stop(&c->loop);
}

/* A loop, a listening server, a watchdog and an lh_http; 0 or -1. */
static int
setup(struct ctx *c, long max_host, long max_total)
{
    char err[256] = "";

    memset(c, 0, sizeof(*c));
    if (uv_loop_init(&c->loop) != 0)
        return -1;
    for (size_t i = 0; i < MAX_RECS; i++)
        c->recs[i].c = c;
    /* Unreferenced: it never keeps the loop alive by itself, yet fires
     * if something else does for too long. */
    if (uv_timer_init(&c->loop, &c->watchdog) != 0 ||
        uv_timer_init(&c->loop, &c->later) != 0)
        return -1;
    c->watchdog.data = c;
    c->later.data = c;
    uv_unref((uv_handle_t *)&c->watchdog);
    if (httpd_start(&c->srv, &c->loop, serve_cb, c) == -1)
        return -1;
    if ((c->http = lh_http_new(&c->loop, max_host, max_total, err,
            sizeof(err))) == NULL) {
        fprintf(stderr, "    lh_http_new: %s\n", err);
        return -1;
    }
    return 0;
}

/* Run the loop until a case stops it, it runs out of handles, or the
 * watchdog fires (a failure). */
static void
run(struct ctx *c)
{
    if (uv_timer_start(&c->watchdog, watchdog_cb, WATCHDOG_MS, 0) != 0) {
        c->timed_out = true;
        return;
    }
    (void)uv_run(&c->loop, UV_RUN_DEFAULT);
    (void)uv_timer_stop(&c->watchdog);
    CHECK(!c->timed_out);
}

/* Call fn after ms; with fn NULL, just stop the loop then. */
static void
run_for(struct ctx *c, uint64_t ms, void (*fn)(struct ctx *))
{
    c->later_fn = fn != NULL ? fn : stop_loop;
    CHECK_INT_EQ(0, uv_timer_start(&c->later, later_cb, ms, 0));
}

/*
 * Close lh_http (unless a case did), the server and our timers, and let
 * the loop run dry: closed_cb must have run once, and the loop must hold
 * no handle.
 */
static void
teardown(struct ctx *c)
{
    if (c->http != NULL) {
        c->in_call = true;
        lh_http_close(c->http, closed_cb, c);
        c->in_call = false;
        c->http = NULL;
    }
    httpd_close(&c->srv);
    uv_close((uv_handle_t *)&c->later, NULL);
    run(c);
    CHECK_INT_EQ(1, c->closed);
    uv_close((uv_handle_t *)&c->watchdog, NULL);
    (void)uv_run(&c->loop, UV_RUN_NOWAIT);
    CHECK_INT_EQ(0, uv_loop_close(&c->loop));
}

static int
start(struct ctx *c, struct rec *r, const char *path, unsigned delay_ms)
{
    char err[256] = "";
    int rc;

    if ((r->easy = easy_new(c, path)) == NULL)
        return -1;
    c->in_call = true;
    rc = lh_http_start(c->http, r->easy, delay_ms, done_cb, r, err,
        sizeof(err));
    c->in_call = false;
    if (rc != 0)
        fprintf(stderr, "    lh_http_start: %s\n", err);
    return rc;
}

static void
cleanup_recs(struct ctx *c)
{
    for (size_t i = 0; i < MAX_RECS; i++)
        if (c->recs[i].easy != NULL)
            curl_easy_cleanup(c->recs[i].easy);
}

/* ---- the cases ---- */

/* 50 transfers at once: each callback once, with its own handle, 200. */
static void
concurrent(long max_host, unsigned max_accepted)
{
    static struct ctx c;
    const unsigned n = 50;

    CHECK_INT_EQ(0, setup(&c, max_host, 0));
    if (c.http == NULL)
        return;
    for (unsigned i = 0; i < n; i++)
        CHECK_INT_EQ(0, start(&c, &c.recs[i], "/ok", 0));
    CHECK_INT_EQ(n, lh_http_active(c.http));
    c.nwant = n;
    run(&c);
    CHECK_INT_EQ(0, lh_http_active(c.http));
    CHECK_INT_EQ(n, c.srv.requests);
    CHECK(c.srv.accepted >= 1 && c.srv.accepted <= max_accepted);
    teardown(&c);
    /* Counted after close too: no callback ran twice, or late. */
    for (unsigned i = 0; i < n; i++) {
        CHECK_INT_EQ(1, c.recs[i].calls);
        CHECK_INT_EQ(CURLE_OK, c.recs[i].result);
        CHECK_INT_EQ(200, c.recs[i].status);
        CHECK(c.recs[i].easy_matched);
        CHECK(!c.recs[i].inside_call);
    }
    cleanup_recs(&c);
}

static void
test_concurrent(void)
{
    concurrent(0, 50);
}

/* max_host_connections reaches curl: 50 transfers over 2 connections. */
static void
test_connection_limit(void)
{
    concurrent(2, 2);
}

/*
 * lh_http_set_limits reaches curl at once, and the kept-alive connections
 * are counted by lh_http_sockets: 30 transfers over at most 2
 * connections, then 30 more over more than 2, at most 8.
 */
static void
test_set_limits(void)
{
    static struct ctx c;
    const unsigned n = 30;
    unsigned first;

    CHECK_INT_EQ(0, setup(&c, 0, 2));
    if (c.http == NULL)
        return;
    CHECK_INT_EQ(0, lh_http_sockets(c.http));
    for (unsigned i = 0; i < n; i++)
        CHECK_INT_EQ(0, start(&c, &c.recs[i], "/ok", 0));
    c.nwant = n;
    run(&c);
    first = c.srv.accepted;
    CHECK(first >= 1 && first <= 2);
    CHECK_INT_EQ(first, lh_http_sockets(c.http));
    CHECK_INT_EQ(0, lh_http_set_limits(c.http, 0, 8));
    for (unsigned i = n; i < 2 * n; i++)
        CHECK_INT_EQ(0, start(&c, &c.recs[i], "/ok", 0));
    c.nwant = 2 * n;
    run(&c);
    CHECK_INT_EQ(2 * n, c.srv.requests);
    CHECK(c.srv.accepted > 2 && c.srv.accepted <= 8);
    CHECK_INT_EQ(c.srv.accepted, lh_http_sockets(c.http));
    teardown(&c);
    for (unsigned i = 0; i < 2 * n; i++)
        CHECK_INT_EQ(200, c.recs[i].status);
    cleanup_recs(&c);
}

/*
 * lh_http_forget drops the kept-alive connections at once when nothing is
 * in flight (the next transfer connects anew), and otherwise waits until
 * nothing is: a start then, or the end of the last transfer.
 */
static void
test_forget(void)
{
    static struct ctx c;

    CHECK_INT_EQ(0, setup(&c, 0, 0));
    if (c.http == NULL)
        return;
    CHECK_INT_EQ(0, start(&c, &c.recs[0], "/ok", 0));
    CHECK_INT_EQ(0, start(&c, &c.recs[1], "/ok", 0));
    c.nwant = 2;
    run(&c);
    CHECK_INT_EQ(2, c.srv.accepted);
    CHECK_INT_EQ(2, lh_http_sockets(c.http));
    lh_http_forget(c.http);
    CHECK_INT_EQ(0, lh_http_sockets(c.http));
    CHECK_INT_EQ(0, start(&c, &c.recs[2], "/ok", 0));
    CHECK_INT_EQ(0, start(&c, &c.recs[3], "/ok", 0));
    c.nwant = 4;
    run(&c);
    CHECK_INT_EQ(4, c.srv.accepted);
    /* With a transfer in flight (on one of the two connections): kept
     * until a start finds none in flight, and then the other one, idle,
     * goes too: the next transfer connects anew. */
    CHECK_INT_EQ(0, start(&c, &c.recs[4], "/hang", 0));
    run_for(&c, 100, NULL);
    run(&c);
    CHECK_INT_EQ(4, c.srv.accepted);
    lh_http_forget(c.http);
    CHECK_INT_EQ(2, lh_http_sockets(c.http));
    lh_http_cancel(c.http, c.recs[4].easy);
    CHECK_INT_EQ(0, start(&c, &c.recs[5], "/ok", 0));
    c.nwant = 5;
    run(&c);
    CHECK_INT_EQ(5, c.srv.accepted);
    CHECK_INT_EQ(200, c.recs[5].status);
    CHECK_INT_EQ(1, lh_http_sockets(c.http));
    /* Asked while a transfer is in flight that then ends well: done at
     * its end, with no start after it. */
    CHECK_INT_EQ(0, start(&c, &c.recs[6], "/ok", 0));
    lh_http_forget(c.http);
    c.nwant = 6;
    run(&c);
    CHECK_INT_EQ(200, c.recs[6].status);
    CHECK_INT_EQ(0, lh_http_sockets(c.http));
    teardown(&c);
    cleanup_recs(&c);
}

static void
probe(struct ctx *c)
{
    c->probed = true;
    c->probe_accepted = c->srv.accepted;
    c->probe_calls = c->recs[0].calls;
}

/* A delayed start waits: nothing has connected a third of the way in, and
 * the request arrives no sooner than the delay (a loose bound: the loop's
 * clock may be coarser than uv_hrtime). */
static void
test_delay(void)
{
    static struct ctx c;
    const unsigned delay_ms = 300;
    uint64_t t0;

    CHECK_INT_EQ(0, setup(&c, 0, 0));
    if (c.http == NULL)
        return;
    uv_update_time(&c.loop);
    t0 = uv_hrtime();
    CHECK_INT_EQ(0, start(&c, &c.recs[0], "/ok", delay_ms));
    /* Waiting counts as started. */
    CHECK_INT_EQ(1, lh_http_active(c.http));
    run_for(&c, delay_ms / 3, probe);
    c.nwant = 1;
    run(&c);
    CHECK(c.probed);
    CHECK_INT_EQ(0, c.probe_accepted);
    CHECK_INT_EQ(0, c.probe_calls);
    CHECK_INT_EQ(1, c.recs[0].calls);
    CHECK_INT_EQ(CURLE_OK, c.recs[0].result);
    CHECK_INT_EQ(200, c.recs[0].status);
    CHECK_INT_EQ(1, c.srv.requests);
    CHECK(c.srv.last_request_ns - t0 >= (uint64_t)delay_ms * 9 / 10 * 1000000);
    CHECK_INT_EQ(0, lh_http_active(c.http));
    teardown(&c);
    CHECK_INT_EQ(1, c.recs[0].calls);
    cleanup_recs(&c);
}

/* lh_http_fail reports its result later, from the loop, and asks no
 * server: both handles point at ours, which sees no connection. */
static void
test_fail(void)
{
    static struct ctx c;
    static const int results[] = {
        CURLE_COULDNT_RESOLVE_HOST, CURLE_OPERATION_TIMEDOUT
    };
    char err[256] = "";

    CHECK_INT_EQ(0, setup(&c, 0, 0));
    if (c.http == NULL)
        return;
    for (size_t i = 0; i < 2; i++) {
        struct rec *r = &c.recs[i];

        CHECK((r->easy = easy_new(&c, "/ok")) != NULL);
        c.in_call = true;
        CHECK_INT_EQ(0, lh_http_fail(c.http, r->easy, results[i], done_cb,
            r, err, sizeof(err)));
        c.in_call = false;
        CHECK_INT_EQ(0, r->calls);
    }
    CHECK_INT_EQ(2, lh_http_active(c.http));
    c.nwant = 2;
    run(&c);
    /* Time enough for a transfer made by mistake to reach the server. */
    run_for(&c, 100, NULL);
    run(&c);
    for (size_t i = 0; i < 2; i++) {
        CHECK_INT_EQ(1, c.recs[i].calls);
        CHECK_INT_EQ(results[i], c.recs[i].result);
        CHECK(c.recs[i].easy_matched);
        CHECK(!c.recs[i].inside_call);
    }
    CHECK_INT_EQ(0, c.srv.accepted);
    CHECK_INT_EQ(0, lh_http_active(c.http));
    teardown(&c);
    cleanup_recs(&c);
}

/*
 * Both /hang requests are in: cancel them.  recs[0]'s handle is cleaned
 * up at once (valgrind and ASan would see http.c touch it again); recs[1]'s
 * is pointed at /ok and started again as recs[2], whose completion ends
 * the run.
 */
static void
cancel_hung(struct ctx *c, const char *path)
{
    char err[256] = "";
    char url[128];

    if (strcmp(path, "/hang") != 0 || c->hang_requests != 2)
        return;
    c->active_before = lh_http_active(c->http);
    lh_http_cancel(c->http, c->recs[0].easy);
    lh_http_cancel(c->http, c->recs[1].easy);
    c->active_after = lh_http_active(c->http);
    curl_easy_cleanup(c->recs[0].easy);
    c->recs[0].easy = NULL;

    /* recs[2] borrows the handle: recs[1] keeps it for cleanup. */
    c->recs[2].easy = c->recs[1].easy;
    CHECK_INT_EQ(0, httpd_url(&c->srv, "/ok", url, sizeof(url)));
    CHECK_INT_EQ(CURLE_OK, curl_easy_setopt(c->recs[2].easy, CURLOPT_URL,
        url));
    CHECK_INT_EQ(0, lh_http_start(c->http, c->recs[2].easy, 0, done_cb,
        &c->recs[2], err, sizeof(err)));
}

static void
test_cancel_in_flight(void)
{
    static struct ctx c;

    CHECK_INT_EQ(0, setup(&c, 0, 0));
    if (c.http == NULL)
        return;
    CHECK_INT_EQ(0, start(&c, &c.recs[0], "/hang", 0));
    CHECK_INT_EQ(0, start(&c, &c.recs[1], "/hang", 0));
    c.on_request = cancel_hung;
    c.nwant = 1;
    run(&c);
    CHECK_INT_EQ(2, c.active_before);
    CHECK_INT_EQ(0, c.active_after);
    CHECK_INT_EQ(0, c.recs[0].calls);
    CHECK_INT_EQ(0, c.recs[1].calls);
    CHECK_INT_EQ(1, c.recs[2].calls);
    CHECK_INT_EQ(CURLE_OK, c.recs[2].result);
    CHECK_INT_EQ(200, c.recs[2].status);
    CHECK_INT_EQ(0, lh_http_active(c.http));
    teardown(&c);
    CHECK_INT_EQ(0, c.recs[1].calls);
    CHECK_INT_EQ(1, c.recs[2].calls);
    c.recs[2].easy = NULL;
    cleanup_recs(&c);
}

/* Cancelled before anything was sent: a delayed start and an
 * lh_http_fail stay silent; a handle never started is left alone, and a
 * second cancel is a no-op. */
static void
test_cancel_pending(void)
{
    static struct ctx c;
    char err[256] = "";
    CURL *never;

    CHECK_INT_EQ(0, setup(&c, 0, 0));
    if (c.http == NULL)
        return;
    CHECK_INT_EQ(0, start(&c, &c.recs[0], "/ok", 50));
    CHECK((c.recs[1].easy = easy_new(&c, "/ok")) != NULL);
    CHECK_INT_EQ(0, lh_http_fail(c.http, c.recs[1].easy,
        CURLE_COULDNT_RESOLVE_HOST, done_cb, &c.recs[1], err, sizeof(err)));
    CHECK((never = easy_new(&c, "/ok")) != NULL);
    CHECK_INT_EQ(2, lh_http_active(c.http));
    lh_http_cancel(c.http, never);
    CHECK_INT_EQ(2, lh_http_active(c.http));
    lh_http_cancel(c.http, c.recs[0].easy);
    CHECK_INT_EQ(1, lh_http_active(c.http));
    lh_http_cancel(c.http, c.recs[1].easy);
    CHECK_INT_EQ(0, lh_http_active(c.http));
    lh_http_cancel(c.http, c.recs[0].easy);
    CHECK_INT_EQ(0, lh_http_active(c.http));
    /* Well past the delay. */
    run_for(&c, 200, NULL);
    run(&c);
    CHECK_INT_EQ(0, c.recs[0].calls);
    CHECK_INT_EQ(0, c.recs[1].calls);
    CHECK_INT_EQ(0, c.srv.accepted);
    teardown(&c);
    CHECK_INT_EQ(0, c.recs[0].calls);
    CHECK_INT_EQ(0, c.recs[1].calls);
    curl_easy_cleanup(never);
    cleanup_recs(&c);
}

/*
 * Once its callback has run, a handle is no longer started, so cancelling
 * it must be a no-op ("a no-op for a handle that is not started") and
 * leave other transfers alone.  Owners do this when they tear down
 * something whose transfer may or may not have finished.
 */
static void
test_cancel_after_done(void)
{
    static struct ctx c;

    CHECK_INT_EQ(0, setup(&c, 0, 0));
    if (c.http == NULL)
        return;
    CHECK_INT_EQ(0, start(&c, &c.recs[0], "/ok", 0));
    c.nwant = 1;
    run(&c);
    CHECK_INT_EQ(1, c.recs[0].calls);
    CHECK_INT_EQ(0, start(&c, &c.recs[1], "/ok", 50));
    CHECK_INT_EQ(1, lh_http_active(c.http));
    lh_http_cancel(c.http, c.recs[0].easy);
    CHECK_INT_EQ(1, lh_http_active(c.http));
    c.nwant = 2;
    run(&c);
    CHECK_INT_EQ(1, c.recs[1].calls);
    CHECK_INT_EQ(CURLE_OK, c.recs[1].result);
    CHECK_INT_EQ(0, lh_http_active(c.http));
    teardown(&c);
    CHECK_INT_EQ(1, c.recs[0].calls);
    CHECK_INT_EQ(1, c.recs[1].calls);
    cleanup_recs(&c);
}

static void
cancel_in_cb(void *easy, int result, void *arg)
{
    struct rec *r = arg;

    done_cb(easy, result, arg);
    lh_http_cancel(r->c->http, easy);
    r->c->active_after = lh_http_active(r->c->http);
}

/*
 * The same from inside the callback of lh_http_fail, whose record is
 * still waiting for its timer to close: cancelling it again unlinked it
 * twice and closed a closing handle (libuv's assertion aborts).
 */
static void
test_cancel_in_done_cb(void)
{
    static struct ctx c;
    char err[256] = "";

    CHECK_INT_EQ(0, setup(&c, 0, 0));
    if (c.http == NULL)
        return;
    CHECK((c.recs[0].easy = easy_new(&c, "/ok")) != NULL);
    CHECK_INT_EQ(0, lh_http_fail(c.http, c.recs[0].easy, 6, cancel_in_cb,
        &c.recs[0], err, sizeof(err)));
    c.nwant = 1;
    run(&c);
    CHECK_INT_EQ(1, c.recs[0].calls);
    CHECK_INT_EQ(0, c.active_after);
    teardown(&c);
    cleanup_recs(&c);
}

/* All five /hang requests are in: close everything from the loop. */
static void
close_when_hung(struct ctx *c, const char *path)
{
    (void)path;
    if (c->hang_requests != 5 || c->http == NULL)
        return;
    c->active_before = lh_http_active(c->http);
    c->in_call = true;
    lh_http_close(c->http, closed_cb, c);
    c->in_call = false;
    c->http = NULL;
    httpd_close(&c->srv);
}

/*
 * lh_http_close with five transfers in flight and one still waiting for
 * its delay: no callback runs, closed_cb runs once, and the loop then
 * ends by itself (a delay timer left open would keep it alive until its
 * transfer ran).
 */
static void
test_close_in_flight(void)
{
    static struct ctx c;

    CHECK_INT_EQ(0, setup(&c, 0, 0));
    if (c.http == NULL)
        return;
    for (size_t i = 0; i < 5; i++)
        CHECK_INT_EQ(0, start(&c, &c.recs[i], "/hang", 0));
    CHECK_INT_EQ(0, start(&c, &c.recs[5], "/ok", 1000));
    c.on_request = close_when_hung;
    run(&c);
    CHECK_INT_EQ(6, c.active_before);
    CHECK_INT_EQ(1, c.closed);
    CHECK(c.http == NULL);
    for (size_t i = 0; i < 6; i++)
        CHECK_INT_EQ(0, c.recs[i].calls);
    CHECK_INT_EQ(0, c.ndone);
    /* Finds lh_http and the server closed already. */
    teardown(&c);
    cleanup_recs(&c);
}

/* A server that hangs up without answering: one callback, with curl's
 * "empty reply" error. */
static void
test_server_hangs_up(void)
{
    static struct ctx c;

    CHECK_INT_EQ(0, setup(&c, 0, 0));
    if (c.http == NULL)
        return;
    CHECK_INT_EQ(0, start(&c, &c.recs[0], "/close", 0));
    c.nwant = 1;
    run(&c);
    /* A second callback would come about now. */
    run_for(&c, 100, NULL);
    run(&c);
    CHECK_INT_EQ(1, c.recs[0].calls);
    CHECK_INT_EQ(CURLE_GOT_NOTHING, c.recs[0].result);
    CHECK_INT_EQ(1, c.srv.requests);
    CHECK_INT_EQ(0, lh_http_active(c.http));
    teardown(&c);
    CHECK_INT_EQ(1, c.recs[0].calls);
    cleanup_recs(&c);
}

/* Copies, in order, after what the list had; n = 0 changes nothing. */
static void
test_slist_append(void)
{
    char a[] = "a.test:80:127.0.0.1", b[] = "b.test:443:127.0.0.2";
    char *v[] = { a, b };
    struct curl_slist *list = NULL, *before;

    CHECK_INT_EQ(0, lh_http_slist_append(&list, v, 0));
    CHECK(list == NULL);
    CHECK_INT_EQ(0, lh_http_slist_append(&list, NULL, 0));
    CHECK(list == NULL);

    CHECK_INT_EQ(0, lh_http_slist_append(&list, v, 1));
    CHECK_INT_EQ(0, lh_http_slist_append(&list, v, 2));
    /* Copies: the caller's strings may change or go. */
    a[0] = 'X';
    b[0] = 'Y';
    CHECK(list != NULL);
    if (list == NULL)
        return;
    CHECK_STR_EQ("a.test:80:127.0.0.1", list->data);
    CHECK(list->data != a);
    CHECK(list->next != NULL && list->next->next != NULL &&
        list->next->next->next == NULL);
    if (list->next != NULL && list->next->next != NULL) {
        CHECK_STR_EQ("a.test:80:127.0.0.1", list->next->data);
        CHECK_STR_EQ("b.test:443:127.0.0.2", list->next->next->data);
        CHECK(list->next->next->data != b);
    }

    before = list;
    CHECK_INT_EQ(0, lh_http_slist_append(&list, v, 0));
    CHECK(list == before);
    curl_slist_free_all(list);
}

int
main(void)
{
    if (httpd_test_init() == -1)
        return EXIT_FAILURE;
    RUN_TEST(test_concurrent);
    RUN_TEST(test_connection_limit);
    RUN_TEST(test_set_limits);
    RUN_TEST(test_forget);
    RUN_TEST(test_delay);
    RUN_TEST(test_fail);
    RUN_TEST(test_cancel_in_flight);
    RUN_TEST(test_cancel_pending);
    RUN_TEST(test_close_in_flight);
    RUN_TEST(test_server_hangs_up);
    RUN_TEST(test_slist_append);
    /* Last: under ASan, a use after free in it would end the process
     * before the other cases ran. */
    RUN_TEST(test_cancel_after_done);
    RUN_TEST(test_cancel_in_done_cb);
    lh_http_global_cleanup();
    TEST_EXIT();
}
