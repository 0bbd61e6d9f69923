/*
 * Tests of check.c against the in-process server of httpd.h, on the
 * test's own uv loop and on 127.0.0.1 only: HEAD first, GET when HEAD is
 * refused (and the site remembered), redirects hop by hop, loops and
 * chains cut, a transient failure retried, a timeout, cancel, and the
 * private-address guard.  Each case checks the struct lh_result fields.
 * Every wait ends with the check's callback or the watchdog.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "check.h"
#include "config.h"
#include "dnsd.h"
#include "http.h"
#include "httpd.h"
#include "result.h"
#include "test.h"

/* Longer than any case (the retry waits 1 s); this only catches a hang. */
#define WATCHDOG_MS     10000
#define CONTACT         "mailto:web@example.org"

/* One case's loop, servers, lh_http, checker and what the callback saw.
 * Cases keep theirs static: callbacks hold its address. */
struct ctx {
    uv_loop_t loop;
    uv_timer_t watchdog;
    uv_timer_t later;           /* ends run_for() */
    bool ready;                 /* the loop and its timers are set up */
    bool timed_out;
    struct httpd srv;
    struct httpd srv2;          /* another port, the same answers */
    struct lh_http *http;
    struct lh_config cfg;
    struct lh_checker *ck;
    int closed;

    struct lh_check *check;     /* the check in flight, or NULL */
    struct lh_result result;
    int calls;
    bool cancel_on_request;     /* cancel the check when a request comes */
    unsigned flaky, reset_once; /* requests seen on those paths */
};

/* ---- the server's answers ---- */

/* path on s as a URL, into a static buffer of four (for one CHECK). */
static const char *
url_of(const struct httpd *s, const char *path)
{
    static char bufs[4][256];
    static unsigned next;
    char *url = bufs[next++ % 4];

    if (httpd_url(s, path, url, sizeof(bufs[0])) == -1)
        url[0] = '\0';
    return url;
}

static void
redirect(struct httpd_conn *k, const struct httpd_req *req, int status,
    const char *to)
{
    char location[300];

    snprintf(location, sizeof(location), "Location: %s\r\n", to);
    httpd_reply(k, req, status, location, NULL);
}

/* /chain/N points at /chain/N+1, for ever. */
static void
chain(struct httpd_conn *k, const struct httpd_req *req)
{
    char *end, to[64];
    long n = strtol(req->path + strlen("/chain/"), &end, 10);

    if (*end != '\0' || n < 0 || n > 1000) {
        httpd_reply(k, req, 400, NULL, NULL);
        return;
    }
    snprintf(to, sizeof(to), "/chain/%ld", n + 1);
    redirect(k, req, 301, to);
}

/*
 * /ok: 200.  /head405, /head501: that status to HEAD, 200 to GET.
 * /r1 -> 301 /r2 -> 302 /r3: 200.  /loop-a <-> /loop-b: 301s.  /chain/N.
 * /flaky: 503 to the first two requests, then 200.  /reset-once: a reset
 * for the first request, then 200.  /hang: no answer.  Else 404.
 */
static void
serve_cb(struct httpd_conn *k, const struct httpd_req *req, void *arg)
{
    struct ctx *c = arg;
    const char *p = req->path;
    bool head = strcmp(req->method, "HEAD") == 0;

    if (c->cancel_on_request && c->check != NULL) {
        lh_check_cancel(c->check);
        c->check = NULL;
    }
    if (strcmp(p, "/ok") == 0 || strcmp(p, "/r3") == 0)
        httpd_reply(k, req, 200, NULL, "fine\n");
    else if (strcmp(p, "/head405") == 0)
        httpd_reply(k, req, head ? 405 : 200, NULL, "fine\n");
    else if (strcmp(p, "/head501") == 0)
        httpd_reply(k, req, head ? 501 : 200, NULL, "fine\n");
    else if (strcmp(p, "/r1") == 0)
        redirect(k, req, 301, "/r2");
    else if (strcmp(p, "/r2") == 0)
        redirect(k, req, 302, url_of(k->s, "/r3"));
    else if (strcmp(p, "/loop-a") == 0)
        redirect(k, req, 301, "/loop-b");
    else if (strcmp(p, "/loop-b") == 0)
        redirect(k, req, 301, "/loop-a");
    else if (strncmp(p, "/chain/", 7) == 0)
        chain(k, req);
    else if (strcmp(p, "/flaky") == 0)
        httpd_reply(k, req, c->flaky++ < 2 ? 503 : 200, NULL, "fine\n");
    else if (strcmp(p, "/reset-once") == 0 && c->reset_once++ == 0)
        httpd_reset(k);
    else if (strcmp(p, "/reset-once") == 0)
        httpd_reply(k, req, 200, NULL, "fine\n");
    else if (strcmp(p, "/hang") != 0)
        httpd_reply(k, req, 404, NULL, NULL);
}

/* ---- the test's side ---- */

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
    uv_stop(timer->loop);
}

static void
closed_cb(void *arg)
{
    struct ctx *c = arg;

    c->closed++;
}

static void
done_cb(struct lh_result *result, void *arg)
{
    struct ctx *c = arg;

    CHECK(result == &c->result);
    c->calls++;
    c->check = NULL;
    uv_stop(&c->loop);
}

static int
set(struct ctx *c, const char *key, const char *value)
{
    char err[256] = "";

    if (lh_config_set(&c->cfg, key, value, "test", err, sizeof(err)) == 0)
        return 0;
    fprintf(stderr, "    %s = %s: %s\n", key, value, err);
    return -1;
}

/* Loop, two servers and lh_http, and a configuration that may reach
 * 127.0.0.1; the checker is made by make_checker, after the case's own
 * settings.  0 or -1. */
static int
setup(struct ctx *c)
{
    char err[256] = "";

    memset(c, 0, sizeof(*c));
    lh_result_init(&c->result);
    if (uv_loop_init(&c->loop) != 0 ||
        uv_timer_init(&c->loop, &c->watchdog) != 0 ||
        uv_timer_init(&c->loop, &c->later) != 0)
        return -1;
    c->ready = true;
    c->watchdog.data = c;
    /* Unreferenced: never keeps the loop alive by itself. */
    uv_unref((uv_handle_t *)&c->watchdog);
    if (httpd_start(&c->srv, &c->loop, serve_cb, c) == -1 ||
        httpd_start(&c->srv2, &c->loop, serve_cb, c) == -1 ||
        lh_config_init(&c->cfg) == -1 ||
        set(c, "allow_private", "yes") == -1 ||
        set(c, "contact", CONTACT) == -1 ||
        set(c, "timeout", "5s") == -1 ||
        set(c, "connect_timeout", "5s") == -1)
        return -1;
    if ((c->http = lh_http_new(&c->loop, 0, 0, err, sizeof(err))) == NULL) {
        fprintf(stderr, "    lh_http_new: %s\n", err);
        return -1;
    }
    return 0;
}

static int
make_checker(struct ctx *c)
{
    char err[256] = "";

    if ((c->ck = lh_checker_new(c->http, &c->cfg, err, sizeof(err))) ==
        NULL) {
        fprintf(stderr, "    lh_checker_new: %s\n", err);
        return -1;
    }
    return 0;
}

/* Free everything; the loop must end with no handle left. */
static void
teardown(struct ctx *c)
{
    if (c->check != NULL)
        lh_check_cancel(c->check);
    lh_checker_free(c->ck);
    if (!c->ready) {
        lh_config_cleanup(&c->cfg);
        return;
    }
    if (c->http != NULL)
        lh_http_close(c->http, closed_cb, c);
    httpd_close(&c->srv);
    httpd_close(&c->srv2);
    uv_close((uv_handle_t *)&c->watchdog, NULL);
    uv_close((uv_handle_t *)&c->later, NULL);
    (void)uv_run(&c->loop, UV_RUN_DEFAULT);
    CHECK_INT_EQ(c->http != NULL ? 1 : 0, c->closed);
    CHECK_INT_EQ(0, uv_loop_close(&c->loop));
    lh_config_cleanup(&c->cfg);
    lh_result_cleanup(&c->result);
}

/* Start a check of url into c->result (emptied first). */
static int
start(struct ctx *c, const char *url)
{
    char err[256] = "";

    lh_result_cleanup(&c->result);
    c->check = lh_check_start(c->ck, url, &c->result, done_cb, c, err,
        sizeof(err));
    if (c->check == NULL) {
        fprintf(stderr, "    lh_check_start: %s\n", err);
        return -1;
    }
    return 0;
}

/* Run the loop until the check's callback or the watchdog (a failure). */
static void
wait_done(struct ctx *c)
{
    int calls = c->calls;

    CHECK_INT_EQ(0, uv_timer_start(&c->watchdog, watchdog_cb, WATCHDOG_MS,
        0));
    while (c->calls == calls && !c->timed_out)
        (void)uv_run(&c->loop, UV_RUN_DEFAULT);
    (void)uv_timer_stop(&c->watchdog);
    CHECK(!c->timed_out);
}

/* Check path on s to the end; 0, or -1 when it could not start. */
static int
check(struct ctx *c, const struct httpd *s, const char *path)
{
    if (start(c, url_of(s, path)) == -1)
        return -1;
    wait_done(c);
    return 0;
}

/* Run the loop for ms, for a callback that should not come. */
static void
run_for(struct ctx *c, uint64_t ms)
{
    CHECK_INT_EQ(0, uv_timer_start(&c->later, later_cb, ms, 0));
    (void)uv_run(&c->loop, UV_RUN_DEFAULT);
}

#define SETUP(c) do {                                                     \
        if (setup(c) == -1 || make_checker(c) == -1) {                    \
            CHECK(!"setup");                                              \
            teardown(c);                                                  \
            return;                                                       \
        }                                                                 \
    } while (0)

/* ---- the cases ---- */

/* A plain 200, by HEAD, asked once, with the contact in the User-Agent. */
static void
test_ok_by_head(void)
{
    static struct ctx c;
    struct lh_result *r = &c.result;

    SETUP(&c);
    CHECK_INT_EQ(0, check(&c, &c.srv, "/ok"));
    CHECK_INT_EQ(1, c.calls);
    CHECK_INT_EQ(LH_FAIL_NONE, r->fail);
    CHECK_INT_EQ(200, r->http_status);
    CHECK_INT_EQ(LH_METHOD_HEAD, r->method);
    CHECK_STR_EQ(url_of(&c.srv, "/ok"), r->url);
    CHECK_STR_EQ(url_of(&c.srv, "/ok"), r->final_url);
    CHECK_INT_EQ(0, r->nhops);
    CHECK_INT_EQ(0, r->head_status);
    CHECK(!r->head_skipped);
    CHECK_INT_EQ(1, r->attempts);
    CHECK_INT_EQ(0, r->retries);
    CHECK(r->error == NULL);
    CHECK(!r->challenge);
    CHECK(r->timings.total_ms >= 0);
    CHECK(r->checked_at > 0);
    CHECK_INT_EQ(1, c.srv.requests);
    CHECK_STR_EQ("HEAD", c.srv.log[0].method);
    CHECK_STR_EQ("linkhealthd/" LH_VERSION " (+" CONTACT ")",
        c.srv.log[0].user_agent);
    teardown(&c);
}

/*
 * HEAD refused: GET answers, and head_status keeps HEAD's status.  The
 * server is then known to refuse HEAD: the next check of the same
 * server (another path) goes straight to GET (head_skipped), another
 * port is another server and gets HEAD, and a new cycle forgets.
 */
static void
test_head_refused(void)
{
    static const struct {
        const char *path;
        int head_status;
    } rows[] = {
        { "/head405", 405 },
        { "/head501", 501 },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        static struct ctx c;
        struct lh_result *r = &c.result;
        TEST_ROW_BEGIN();

        SETUP(&c);
        CHECK_INT_EQ(0, check(&c, &c.srv, rows[i].path));
        CHECK_INT_EQ(LH_FAIL_NONE, r->fail);
        CHECK_INT_EQ(200, r->http_status);
        CHECK_INT_EQ(LH_METHOD_GET, r->method);
        CHECK_INT_EQ(rows[i].head_status, r->head_status);
        CHECK(!r->head_skipped);
        CHECK_INT_EQ(2, r->attempts);
        CHECK_INT_EQ(0, r->retries);
        CHECK_INT_EQ(2, c.srv.requests);
        CHECK_STR_EQ("HEAD", c.srv.log[0].method);
        CHECK_STR_EQ("GET", c.srv.log[1].method);

        /* The same server, another path: GET at once. */
        CHECK_INT_EQ(0, check(&c, &c.srv, "/ok"));
        CHECK_INT_EQ(200, r->http_status);
        CHECK_INT_EQ(LH_METHOD_GET, r->method);
        CHECK(r->head_skipped);
        CHECK_INT_EQ(0, r->head_status);
        CHECK_INT_EQ(1, r->attempts);
        CHECK_INT_EQ(3, c.srv.requests);
        CHECK_STR_EQ("GET", c.srv.log[2].method);

        /* Another port: HEAD. */
        CHECK_INT_EQ(0, check(&c, &c.srv2, "/ok"));
        CHECK_INT_EQ(200, r->http_status);
        CHECK_INT_EQ(LH_METHOD_HEAD, r->method);
        CHECK(!r->head_skipped);
        CHECK_INT_EQ(1, c.srv2.requests);
        CHECK_STR_EQ("HEAD", c.srv2.log[0].method);

        /* A new cycle asks HEAD again. */
        lh_checker_new_cycle(c.ck);
        CHECK_INT_EQ(0, check(&c, &c.srv, "/ok"));
        CHECK_INT_EQ(LH_METHOD_HEAD, r->method);
        CHECK(!r->head_skipped);
        CHECK_STR_EQ("HEAD", c.srv.log[3].method);
        teardown(&c);
        TEST_ROW_END(rows[i].path);
    }
}

/* HEAD answered with a reset: GET is asked, and answers. */
static void
test_head_reset_falls_back(void)
{
    static struct ctx c;
    struct lh_result *r = &c.result;

    SETUP(&c);
    CHECK_INT_EQ(0, check(&c, &c.srv, "/reset-once"));
    CHECK_INT_EQ(LH_FAIL_NONE, r->fail);
    CHECK_INT_EQ(200, r->http_status);
    CHECK_INT_EQ(LH_METHOD_GET, r->method);
    CHECK_INT_EQ(0, r->head_status);
    CHECK_INT_EQ(2, r->attempts);
    CHECK_INT_EQ(0, r->retries);
    CHECK_INT_EQ(2, c.srv.requests);
    CHECK_STR_EQ("HEAD", c.srv.log[0].method);
    CHECK_STR_EQ("GET", c.srv.log[1].method);
    teardown(&c);
}

/* 301 -> 302 -> 200: each hop recorded with its status and absolute
 * target; the answer is the last URL's. */
static void
test_redirect_chain(void)
{
    static struct ctx c;
    struct lh_result *r = &c.result;

    SETUP(&c);
    CHECK_INT_EQ(0, check(&c, &c.srv, "/r1"));
    CHECK_INT_EQ(LH_FAIL_NONE, r->fail);
    CHECK_INT_EQ(200, r->http_status);
    CHECK_INT_EQ(LH_METHOD_HEAD, r->method);
    CHECK_STR_EQ(url_of(&c.srv, "/r1"), r->url);
    CHECK_STR_EQ(url_of(&c.srv, "/r3"), r->final_url);
    CHECK_INT_EQ(2, r->nhops);
    if (r->nhops == 2) {
        CHECK_STR_EQ(url_of(&c.srv, "/r1"), r->hops[0].url);
        CHECK_INT_EQ(301, r->hops[0].status);
        CHECK_STR_EQ(url_of(&c.srv, "/r2"), r->hops[0].location);
        CHECK_STR_EQ(url_of(&c.srv, "/r2"), r->hops[1].url);
        CHECK_INT_EQ(302, r->hops[1].status);
        CHECK_STR_EQ(url_of(&c.srv, "/r3"), r->hops[1].location);
    }
    CHECK_INT_EQ(3, c.srv.requests);
    CHECK(r->error == NULL);
    teardown(&c);
}

/* A -> B -> A: cut where it closes, naming the URL it came back to. */
static void
test_redirect_loop(void)
{
    static struct ctx c;
    struct lh_result *r = &c.result;

    SETUP(&c);
    CHECK_INT_EQ(0, check(&c, &c.srv, "/loop-a"));
    CHECK_INT_EQ(LH_FAIL_REDIRECT_LOOP, r->fail);
    CHECK_INT_EQ(2, r->nhops);
    CHECK_STR_EQ(url_of(&c.srv, "/loop-a"), r->error);
    CHECK_INT_EQ(2, c.srv.requests);
    teardown(&c);
}

/* An endless chain stops after max_redirects hops are followed. */
static void
test_too_many_redirects(void)
{
    static struct ctx c;
    struct lh_result *r = &c.result;

    if (setup(&c) == -1 || set(&c, "max_redirects", "3") == -1 ||
        make_checker(&c) == -1) {
        CHECK(!"setup");
        teardown(&c);
        return;
    }
    CHECK_INT_EQ(0, check(&c, &c.srv, "/chain/0"));
    CHECK_INT_EQ(LH_FAIL_TOO_MANY_REDIRECTS, r->fail);
    /* Hops 1-3 followed; the fourth is recorded, not asked. */
    CHECK_INT_EQ(4, r->nhops);
    CHECK_INT_EQ(4, c.srv.requests);
    CHECK_STR_EQ(url_of(&c.srv, "/chain/4"), r->error);
    teardown(&c);
}

/*
 * 503 to HEAD and to the GET after it, then 200: one retry, after the
 * backoff, and the result is the retry's (a fresh HEAD), saying so.
 */
static void
test_transient_retried(void)
{
    static struct ctx c;
    struct lh_result *r = &c.result;

    SETUP(&c);
    CHECK_INT_EQ(0, check(&c, &c.srv, "/flaky"));
    CHECK_INT_EQ(LH_FAIL_NONE, r->fail);
    CHECK_INT_EQ(200, r->http_status);
    CHECK_INT_EQ(1, r->retries);
    CHECK_INT_EQ(1, r->attempts);
    CHECK_INT_EQ(LH_METHOD_HEAD, r->method);
    CHECK_INT_EQ(3, c.srv.requests);
    CHECK_STR_EQ("HEAD", c.srv.log[0].method);
    CHECK_STR_EQ("GET", c.srv.log[1].method);
    CHECK_STR_EQ("HEAD", c.srv.log[2].method);
    teardown(&c);
}

/* No answer within the timeout: a first-byte timeout, no status, curl's
 * words; with no retries allowed, one request. */
static void
test_timeout(void)
{
    static struct ctx c;
    struct lh_result *r = &c.result;

    if (setup(&c) == -1 || set(&c, "timeout", "300ms") == -1 ||
        set(&c, "connect_timeout", "300ms") == -1 ||
        set(&c, "retries", "0") == -1 || make_checker(&c) == -1) {
        CHECK(!"setup");
        teardown(&c);
        return;
    }
    CHECK_INT_EQ(0, check(&c, &c.srv, "/hang"));
    CHECK_INT_EQ(LH_FAIL_TIMEOUT_FIRST_BYTE, r->fail);
    CHECK_INT_EQ(0, r->http_status);
    CHECK_INT_EQ(LH_METHOD_HEAD, r->method);
    CHECK_INT_EQ(0, r->retries);
    CHECK_INT_EQ(1, r->attempts);
    CHECK_STR_CONTAINS("timed out", r->error);
    CHECK_INT_EQ(1, c.srv.requests);
    teardown(&c);
}

/*
 * lh_check_cancel, right after the start and while the request is at the
 * server: the callback never runs (the loop goes on a while to let it
 * come), and teardown finds nothing left (ASan, valgrind: no leak).
 */
static void
test_cancel(void)
{
    static struct ctx c;

    SETUP(&c);
    CHECK_INT_EQ(0, start(&c, url_of(&c.srv, "/ok")));
    lh_check_cancel(c.check);
    c.check = NULL;
    run_for(&c, 100);
    CHECK_INT_EQ(0, c.calls);

    c.cancel_on_request = true;
    CHECK_INT_EQ(0, start(&c, url_of(&c.srv, "/hang")));
    CHECK_INT_EQ(0, uv_timer_start(&c.watchdog, watchdog_cb, WATCHDOG_MS,
        0));
    while (c.check != NULL && !c.timed_out)
        (void)uv_run(&c.loop, UV_RUN_ONCE);
    (void)uv_timer_stop(&c.watchdog);
    CHECK(!c.timed_out);
    CHECK_INT_EQ(1, c.srv.requests);
    run_for(&c, 100);
    CHECK_INT_EQ(0, c.calls);
    CHECK_INT_EQ(0, lh_http_active(c.http));
    teardown(&c);
}

/* Without allow_private, 127.0.0.1 is refused before any connection; an
 * allowed network lets it through. */
static void
test_private_address_guard(void)
{
    static struct ctx c;
    struct lh_result *r = &c.result;

    if (setup(&c) == -1 || set(&c, "allow_private", "no") == -1 ||
        make_checker(&c) == -1) {
        CHECK(!"setup");
        teardown(&c);
        return;
    }
    CHECK_INT_EQ(0, check(&c, &c.srv, "/ok"));
    CHECK_INT_EQ(LH_FAIL_FORBIDDEN_ADDRESS, r->fail);
    CHECK_INT_EQ(0, r->http_status);
    CHECK_STR_EQ("127.0.0.1 (loopback)", r->error);
    CHECK_INT_EQ(0, r->retries);
    CHECK_INT_EQ(0, c.srv.accepted);
    lh_checker_free(c.ck);
    c.ck = NULL;

    CHECK_INT_EQ(0, set(&c, "allow_networks", "127.0.0.0/8"));
    CHECK_INT_EQ(0, make_checker(&c));
    if (c.ck != NULL) {
        CHECK_INT_EQ(0, check(&c, &c.srv, "/ok"));
        CHECK_INT_EQ(LH_FAIL_NONE, r->fail);
        CHECK_INT_EQ(200, r->http_status);
        CHECK_INT_EQ(1, c.srv.accepted);
    }
    teardown(&c);
}

/*
 * A name's c-ares answer goes to curl as a resolve entry until curl's DNS
 * cache holds it: the first check of the name carries it, the next ones
 * of the cycle do not and still reach the server by the name.  It is
 * given again once the cache is gone (lh_http_forget) and in a new
 * cycle.  A name only the test's DNS server knows: had a request gone
 * without an entry that curl's cache lacks, curl would have asked the
 * system's resolver, and the check would have failed.
 */
static void
test_resolve_entry_given_once(void)
{
    static struct ctx c;
    static struct dnsd dns;
    char servers[64], url[128];

    if (dnsd_start(&dns,
            "{\"memo.lh.test\": {\"a\": [\"127.0.0.1\"]}}") == -1) {
        CHECK(!"dnsserver.py started");
        dnsd_stop(&dns);
        return;
    }
    snprintf(servers, sizeof(servers), "127.0.0.1:%d", dns.port);
    if (setup(&c) == -1 || set(&c, "dns_servers", servers) == -1 ||
        make_checker(&c) == -1) {
        CHECK(!"setup");
        teardown(&c);
        dnsd_stop(&dns);
        return;
    }
    snprintf(url, sizeof(url), "http://memo.lh.test:%d/ok", c.srv.port);
    for (int i = 0; i < 4; i++) {
        CHECK_INT_EQ(0, start(&c, url));
        wait_done(&c);
        CHECK_INT_EQ(200, c.result.http_status);
    }
    CHECK_INT_EQ(4, c.srv.requests);
    CHECK_INT_EQ(1, (int)lh_checker_resolve_entries(c.ck));
    /* The cache goes with the multi handle: given again, once. */
    lh_http_forget(c.http);
    for (int i = 0; i < 2; i++) {
        CHECK_INT_EQ(0, start(&c, url));
        wait_done(&c);
        CHECK_INT_EQ(200, c.result.http_status);
    }
    CHECK_INT_EQ(2, (int)lh_checker_resolve_entries(c.ck));
    lh_checker_new_cycle(c.ck);
    CHECK_INT_EQ(0, start(&c, url));
    wait_done(&c);
    CHECK_INT_EQ(200, c.result.http_status);
    CHECK_INT_EQ(3, (int)lh_checker_resolve_entries(c.ck));
    CHECK_INT_EQ(7, c.srv.requests);
    teardown(&c);
    dnsd_stop(&dns);
}

/* When a page is read again: each part of the answer, both ways. */
static void
test_answer_changed(void)
{
    struct lh_page_seen seen = { .read_at = 1700000000, .status = 200,
        .final_url = "https://e.org/p", .etag = "\"a\"",
        .last_modified = NULL, .content_length = 10 };
    struct lh_result r;

    lh_result_init(&r);
    r.seen_status = 200;
    r.seen_url = strdup("https://e.org/p");
    r.etag = strdup("\"a\"");
    r.content_length = 10;
    CHECK(!lh_check_answer_changed(&seen, &r));
    seen.read_at = 0;
    CHECK(lh_check_answer_changed(&seen, &r));      /* never read */
    CHECK(lh_check_answer_changed(NULL, &r));
    seen.read_at = 1700000000;
    seen.status = 203;
    CHECK(lh_check_answer_changed(&seen, &r));
    seen.status = 200;
    seen.final_url = "https://e.org/q";
    CHECK(lh_check_answer_changed(&seen, &r));
    seen.final_url = "https://e.org/p";
    seen.etag = "\"b\"";
    CHECK(lh_check_answer_changed(&seen, &r));
    seen.etag = NULL;
    CHECK(lh_check_answer_changed(&seen, &r));
    seen.etag = "\"a\"";
    seen.last_modified = "Tue, 01 Dec 2026 10:00:00 GMT";
    CHECK(lh_check_answer_changed(&seen, &r));
    seen.last_modified = NULL;
    seen.content_length = -1;
    CHECK(lh_check_answer_changed(&seen, &r));
    seen.content_length = 10;
    CHECK(!lh_check_answer_changed(&seen, &r));
    r.seen_status = 0;                              /* no 2xx: nothing */
    CHECK(!lh_check_answer_changed(&seen, &r));
    lh_result_cleanup(&r);
}

/*
 * When a page is due by age (content_interval), with explicit clocks:
 * within a run the monotonic clock decides, so setting the wall clock
 * either way neither hurries nor holds back a reading; a reading from an
 * earlier run (no monotonic time) is judged by the wall clock, and one
 * dated in the future is read at once instead of waiting for that date.
 */
static void
test_page_due(void)
{
    const long long T = 1800000000;     /* 2027-01-15 */
    const unsigned long long DAY = 86400000ull;
    static const struct {
        const char *name;
        long long read_at;
        double read_mono;       /* 0: read in an earlier run */
        unsigned long long interval;
        long long now;
        double now_mono;
        bool due;
    } rows[] = {
        { "never read", 0, 0, DAY, T, 5e6, true },
        { "interval 0 reads every time", T, 4e6, 0, T, 4e6, true },
        /* This run: the monotonic clock. */
        { "this run, 1 h of 1 d", T, 4e6, DAY, T + 3600, 4e6 + 3600e3,
            false },
        { "this run, 1 d of 1 d", T, 4e6, DAY, T + 86400, 4e6 + DAY, true },
        { "wall clock set 10 d ahead after 1 h", T, 4e6, DAY,
            T + 10 * 86400, 4e6 + 3600e3, false },
        { "wall clock set 1 h back after 10 min", T, 4e6, DAY, T - 3000,
            4e6 + 600e3, false },
        { "wall clock set 10 y back, 1 d passed", T, 4e6, DAY,
            T - 315360000, 4e6 + DAY, true },
        /* An earlier run: the wall clock, with a future date not trusted. */
        { "earlier run, 1 h ago", T, 0, DAY, T + 3600, 5e6, false },
        { "earlier run, 1 d ago", T, 0, DAY, T + 86400, 5e6, true },
        { "earlier run, 1 d less 1 s", T, 0, DAY, T + 86399, 5e6, false },
        { "earlier run, far past", 1, 0, DAY, T, 5e6, true },
        { "earlier run, in 1 s", T + 1, 0, DAY, T, 5e6, true },
        { "earlier run, far future", T + 3153600000LL, 0, DAY, T, 5e6,
            true },
        { "1.5 s interval, 1 s ago", T, 0, 1500, T + 1, 5e6, false },
        { "1.5 s interval, 2 s ago", T, 0, 1500, T + 2, 5e6, true },
    };

    CHECK(lh_check_page_due(NULL, DAY, T, 5e6));
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lh_page_seen seen = { .read_at = rows[i].read_at,
            .read_mono_ms = rows[i].read_mono, .status = 200,
            .content_length = -1 };
        TEST_ROW_BEGIN();

        CHECK_INT_EQ(rows[i].due, lh_check_page_due(&seen,
            rows[i].interval, rows[i].now, rows[i].now_mono));
        TEST_ROW_END(rows[i].name);
    }
    /* The clock itself only goes forward. */
    {
        double a = lh_check_now_ms(), b = lh_check_now_ms();

        CHECK(a > 0 && b >= a);
    }
}

int
main(void)
{
    if (httpd_test_init() == -1)
        return EXIT_FAILURE;
    RUN_TEST(test_answer_changed);
    RUN_TEST(test_page_due);
    RUN_TEST(test_ok_by_head);
    RUN_TEST(test_resolve_entry_given_once);
    RUN_TEST(test_head_refused);
    RUN_TEST(test_head_reset_falls_back);
    RUN_TEST(test_redirect_chain);
    RUN_TEST(test_redirect_loop);
    RUN_TEST(test_too_many_redirects);
    RUN_TEST(test_transient_retried);
    RUN_TEST(test_timeout);
    RUN_TEST(test_private_address_guard);
    /* Last: under ASan, a use after free in it would end the process
     * before the other cases ran. */
    RUN_TEST(test_cancel);
    lh_http_global_cleanup();
    TEST_EXIT();
}
