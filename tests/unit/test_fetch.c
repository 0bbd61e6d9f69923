/*
 * Tests of fetch.c against the in-process server of httpd.h (127.0.0.1
 * only): the request says who is asking (User-Agent with the contact),
 * carries the validators it was given, and the answer comes back as
 * documented; the private-address guard applies to the directory too.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "config.h"
#include "fetch.h"
#include "http.h"
#include "httpd.h"
#include "test.h"

/* Every run ends by itself well before; this only catches a hang. */
#define WATCHDOG_MS     5000

/* One case's loop, server, lh_http and what the callback saw.  Cases keep
 * theirs static: callbacks hold its address. */
struct ctx {
    uv_loop_t loop;
    uv_timer_t watchdog;
    bool timed_out;
    struct httpd srv;
    struct lh_http *http;
    struct lh_config cfg;
    int closed;

    int calls;
    int status;
    char *body;
    char *etag, *last_modified;
    char error[512];
};

/*
 * /dir answers 200 with a small body and validators, or 304 when the
 * request carries If-None-Match; anything else is a 404.
 */
static void
serve_cb(struct httpd_conn *k, const struct httpd_req *req, void *arg)
{
    (void)arg;
    if (strcmp(req->path, "/dir") != 0)
        httpd_reply(k, req, 404, NULL, NULL);
    else if (strstr(req->head, "\r\nIf-None-Match: \"v1\"\r\n") != NULL)
        httpd_reply(k, req, 304, "ETag: \"v1\"\r\n", NULL);
    else
        httpd_reply(k, req, 200, "ETag: \"v1\"\r\n"
            "Last-Modified: Tue, 01 Jul 2025 10:00:00 GMT\r\n",
            "https://example.org/\n");
}

static void
watchdog_cb(uv_timer_t *timer)
{
    struct ctx *c = timer->data;

    c->timed_out = true;
    uv_stop(&c->loop);
}

static void
closed_cb(void *arg)
{
    struct ctx *c = arg;

    c->closed++;
}

/* Loop, server, lh_http and a configuration that lets us reach 127.0.0.1;
 * 0 or -1. */
static int
setup(struct ctx *c)
{
    char err[256] = "";

    memset(c, 0, sizeof(*c));
    if (uv_loop_init(&c->loop) != 0)
        return -1;
    if (uv_timer_init(&c->loop, &c->watchdog) != 0)
        return -1;
    c->watchdog.data = c;
    uv_unref((uv_handle_t *)&c->watchdog);
    if (httpd_start(&c->srv, &c->loop, serve_cb, c) == -1 ||
        lh_config_init(&c->cfg) == -1 ||
        lh_config_set(&c->cfg, "allow_private", "yes", "test", err,
            sizeof(err)) == -1 ||
        lh_config_set(&c->cfg, "timeout", "3s", "test", err,
            sizeof(err)) == -1 ||
        lh_config_set(&c->cfg, "connect_timeout", "3s", "test", err,
            sizeof(err)) == -1) {
        fprintf(stderr, "    setup: %s\n", err);
        return -1;
    }
    if ((c->http = lh_http_new(&c->loop, 0, 0, err, sizeof(err))) == NULL) {
        fprintf(stderr, "    lh_http_new: %s\n", err);
        return -1;
    }
    return 0;
}

/* Close everything; the loop must end with no handle left. */
static void
teardown(struct ctx *c)
{
    lh_http_close(c->http, closed_cb, c);
    httpd_close(&c->srv);
    uv_close((uv_handle_t *)&c->watchdog, NULL);
    (void)uv_run(&c->loop, UV_RUN_DEFAULT);
    CHECK_INT_EQ(1, c->closed);
    CHECK_INT_EQ(0, uv_loop_close(&c->loop));
    lh_config_cleanup(&c->cfg);
    free(c->body);
    free(c->etag);
    free(c->last_modified);
}

static void
done_cb(struct lh_fetch_result *res, void *arg)
{
    struct ctx *c = arg;

    c->calls++;
    c->status = res->status;
    /* Moved out, as the header asks of what the caller keeps. */
    c->body = res->body;
    c->etag = res->etag;
    c->last_modified = res->last_modified;
    res->body = res->etag = res->last_modified = NULL;
    snprintf(c->error, sizeof(c->error), "%s", res->error);
    uv_stop(&c->loop);
}

/* Fetch path with the validators given; the loop runs until the callback
 * or the watchdog. */
static void
fetch(struct ctx *c, const char *path, const char *etag,
    const char *last_modified)
{
    char url[128], err[512] = "";
    struct lh_fetch *f;

    CHECK_INT_EQ(0, httpd_url(&c->srv, path, url, sizeof(url)));
    f = lh_fetch_start(c->http, url, etag, last_modified, &c->cfg, done_cb,
        c, err, sizeof(err));
    CHECK(f != NULL);
    if (f == NULL) {
        fprintf(stderr, "    lh_fetch_start: %s\n", err);
        return;
    }
    CHECK_INT_EQ(0, uv_timer_start(&c->watchdog, watchdog_cb, WATCHDOG_MS,
        0));
    (void)uv_run(&c->loop, UV_RUN_DEFAULT);
    (void)uv_timer_stop(&c->watchdog);
    CHECK(!c->timed_out);
    if (c->timed_out)
        lh_fetch_cancel(f);
    CHECK_INT_EQ(1, c->calls);
}

/*
 * The man page (linkhealthd.conf(5), contact) promises the contact in the
 * User-Agent of every request: the directory's too, not only the checks'.
 */
static void
test_user_agent_contact(void)
{
    static struct ctx c;
    char err[256] = "";

    if (setup(&c) == -1) {
        CHECK(!"setup");
        return;
    }
    CHECK_INT_EQ(0, lh_config_set(&c.cfg, "contact",
        "mailto:web@example.org", "test", err, sizeof(err)));
    fetch(&c, "/dir", NULL, NULL);
    CHECK_INT_EQ(200, c.status);
    CHECK_INT_EQ(1, c.srv.requests);
    CHECK_STR_EQ("linkhealthd/" LH_VERSION " (+mailto:web@example.org)",
        c.srv.log[0].user_agent);
    teardown(&c);
}

/* No contact: the product token alone, with nothing appended. */
static void
test_user_agent_plain(void)
{
    static struct ctx c;

    if (setup(&c) == -1) {
        CHECK(!"setup");
        return;
    }
    fetch(&c, "/dir", NULL, NULL);
    CHECK_INT_EQ(200, c.status);
    CHECK_STR_EQ("linkhealthd/" LH_VERSION, c.srv.log[0].user_agent);
    teardown(&c);
}

/* A 200 hands over the body and the validators for the next request. */
static void
test_body_and_validators(void)
{
    static struct ctx c;

    if (setup(&c) == -1) {
        CHECK(!"setup");
        return;
    }
    fetch(&c, "/dir", NULL, NULL);
    CHECK_INT_EQ(200, c.status);
    CHECK_STR_EQ("https://example.org/\n", c.body);
    CHECK_STR_EQ("\"v1\"", c.etag);
    CHECK_STR_EQ("Tue, 01 Jul 2025 10:00:00 GMT", c.last_modified);
    CHECK_STR_EQ("", c.error);
    CHECK_STR_EQ("GET", c.srv.log[0].method);
    teardown(&c);
}

/* The validators given go out as a conditional request; 304, no body. */
static void
test_conditional(void)
{
    static struct ctx c;

    if (setup(&c) == -1) {
        CHECK(!"setup");
        return;
    }
    fetch(&c, "/dir", "\"v1\"", "Tue, 01 Jul 2025 10:00:00 GMT");
    CHECK_INT_EQ(304, c.status);
    CHECK(c.body == NULL);
    CHECK_STR_CONTAINS("\r\nIf-None-Match: \"v1\"\r\n", c.srv.log[0].head);
    CHECK_STR_CONTAINS("\r\nIf-Modified-Since: Tue, 01 Jul 2025 10:00:00 "
        "GMT\r\n", c.srv.log[0].head);
    teardown(&c);
}

/* Another status is a failure that names the URL. */
static void
test_http_error(void)
{
    static struct ctx c;

    if (setup(&c) == -1) {
        CHECK(!"setup");
        return;
    }
    fetch(&c, "/missing", NULL, NULL);
    CHECK_INT_EQ(0, c.status);
    CHECK(c.body == NULL);
    CHECK_STR_CONTAINS("/missing: HTTP 404", c.error);
    teardown(&c);
}

/* Without allow_private, 127.0.0.1 is refused before a connection. */
static void
test_private_address_refused(void)
{
    static struct ctx c;
    char err[256] = "";

    if (setup(&c) == -1) {
        CHECK(!"setup");
        return;
    }
    CHECK_INT_EQ(0, lh_config_set(&c.cfg, "allow_private", "no", "test",
        err, sizeof(err)));
    fetch(&c, "/dir", NULL, NULL);
    CHECK_INT_EQ(0, c.status);
    CHECK_STR_CONTAINS("refused: private address 127.0.0.1 (loopback)",
        c.error);
    CHECK_INT_EQ(0, c.srv.accepted);
    teardown(&c);
}

int
main(void)
{
    if (httpd_test_init() == -1)
        return EXIT_FAILURE;
    RUN_TEST(test_user_agent_contact);
    RUN_TEST(test_user_agent_plain);
    RUN_TEST(test_body_and_validators);
    RUN_TEST(test_conditional);
    RUN_TEST(test_http_error);
    RUN_TEST(test_private_address_refused);
    lh_http_global_cleanup();
    TEST_EXIT();
}
