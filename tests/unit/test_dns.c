/*
 * Tests of dns.c against tests/server/dnsserver.py (started here, on
 * 127.0.0.1, port 0): each way a lookup ends, the per-host memory, fresh
 * lookups after a failure of the moment, cancelling, and closing from a
 * callback.  Every loop run has a watchdog.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <uv.h>

#include "dns.h"
#include "dnsd.h"
#include "test.h"

#define TRY_MS      100     /* one try; a lookup gives up after 300 ms */
#define WATCHDOG_MS 10000

static const char table[] =
    "{\"ok.lh.test\": {\"a\": [\"127.0.0.1\"], \"aaaa\": [\"::1\"]},"
    " \"v4.lh.test\": {\"a\": [\"127.0.0.2\", \"127.0.0.3\"]},"
    " \"lh.test\": {\"ns\": [\"ns1.lh.test\"]},"
    " \"broken.lh.test\": \"servfail\","
    " \"slow.lh.test\": \"drop\","
    " \"nodata.lh.test\": {}}";

static struct dnsd server;

/* A UDP port on 127.0.0.1 where nobody listens. */
static int
closed_port(void)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_DGRAM, 0), port = -1;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd != -1 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
        port = ntohs(sin.sin_port);
    if (fd != -1)
        close(fd);
    return port;
}

static uv_loop_t loop;

struct got {
    int calls;
    enum lh_dns_status status;
    char addrs[256];
    char domain[256];
    char error[256];
    bool answered, domain_gone;
    double ms;
    bool in_resolve;        /* set while lh_dns_resolve runs */
    bool called_inside;
    struct lh_dns *close_me;    /* closed from the callback */
};

static void
got_cb(const struct lh_dns_answer *a, void *arg)
{
    struct got *g = arg;

    g->calls++;
    g->called_inside |= g->in_resolve;
    /* UV_RUN_ONCE would otherwise go on to wait for the next event. */
    uv_stop(&loop);
    g->status = a->status;
    snprintf(g->addrs, sizeof(g->addrs), "%s", a->addrs ? a->addrs : "");
    snprintf(g->domain, sizeof(g->domain), "%s",
        a->domain ? a->domain : "");
    snprintf(g->error, sizeof(g->error), "%s", a->error ? a->error : "");
    g->answered = a->answered;
    g->domain_gone = a->domain_gone;
    g->ms = a->ms;
    if (g->close_me != NULL) {
        lh_dns_close(g->close_me);
        g->close_me = NULL;
    }
}

static uv_timer_t watchdog;
static bool watchdog_fired;

static void
watchdog_cb(uv_timer_t *t)
{
    watchdog_fired = true;
    uv_stop(t->loop);
}

/* Run the loop until every started query called back (or the watchdog). */
static void
run(struct got *g, size_t n)
{
    watchdog_fired = false;
    uv_timer_start(&watchdog, watchdog_cb, WATCHDOG_MS, 0);
    for (;;) {
        size_t done = 0;

        for (size_t i = 0; i < n; i++)
            done += g[i].calls > 0;
        if (done == n || watchdog_fired)
            break;
        uv_run(&loop, UV_RUN_ONCE);
    }
    uv_timer_stop(&watchdog);
    if (watchdog_fired)
        fprintf(stderr, "    watchdog: %zu queries, first calls %d\n", n,
            g[0].calls);
    CHECK(!watchdog_fired);
}

static struct lh_dns *
dns_new(const char *servers)
{
    char err[256] = "";
    struct lh_dns *d = lh_dns_new(&loop, servers, TRY_MS, err, sizeof(err));

    if (d == NULL)
        fprintf(stderr, "    lh_dns_new: %s\n", err);
    CHECK(d != NULL);
    return d;
}

static char servers[64];

static struct lh_dns_query *
ask(struct lh_dns *d, const char *host, bool fresh, struct got *g)
{
    char err[256];
    struct lh_dns_query *q;

    memset(g, 0, sizeof(*g));
    g->in_resolve = true;
    q = lh_dns_resolve(d, host, 0, fresh, got_cb, g, err, sizeof(err));
    g->in_resolve = false;
    CHECK(q != NULL);
    return q;
}

/* Close d and run the loop until its handles are gone. */
static void
close_all(struct lh_dns *d)
{
    lh_dns_close(d);
    uv_run(&loop, UV_RUN_NOWAIT);
    uv_run(&loop, UV_RUN_NOWAIT);
}

struct outcome_row {
    const char *host;
    enum lh_dns_status status;
    const char *addrs;      /* exact, when OK */
    bool answered;
    const char *domain;
    bool domain_gone;
    const char *error;      /* a part of it */
};

static const struct outcome_row outcome_rows[] = {
    { "ok.lh.test", LH_DNS_OK, NULL, true, "", false, "" },
    { "v4.lh.test", LH_DNS_OK, "127.0.0.2,127.0.0.3", true, "", false, "" },
    { "nodata.lh.test", LH_DNS_NODATA, "", true, "", false,
      "no address for nodata.lh.test" },
    { "gone.lh.test", LH_DNS_NXDOMAIN, "", true, "lh.test", false,
      "no such host gone.lh.test" },
    { "www.lapsed.test", LH_DNS_NXDOMAIN, "", true, "lapsed.test", true,
      "domain lapsed.test no longer exists" },
    { "lapsed2.test", LH_DNS_NXDOMAIN, "", true, "lapsed2.test", true,
      "no such domain lapsed2.test" },
    { "broken.lh.test", LH_DNS_SERVFAIL, "", true, "", false, "SERVFAIL" },
    { "slow.lh.test", LH_DNS_TIMEOUT, "", false, "", false,
      "no answer for slow.lh.test" },
};

static void
test_outcomes(void)
{
    size_t n = sizeof(outcome_rows) / sizeof(outcome_rows[0]);
    struct lh_dns *d = dns_new(servers);
    struct got g[sizeof(outcome_rows) / sizeof(outcome_rows[0])];

    if (d == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        ask(d, outcome_rows[i].host, false, &g[i]);
    run(g, n);
    for (size_t i = 0; i < n; i++) {
        const struct outcome_row *row = &outcome_rows[i];

        TEST_ROW_BEGIN();
        CHECK_INT_EQ(1, g[i].calls);
        CHECK(!g[i].called_inside);
        CHECK_INT_EQ((int)row->status, (int)g[i].status);
        if (row->addrs != NULL)
            CHECK_STR_EQ(row->addrs, g[i].addrs);
        CHECK_INT_EQ(row->answered, g[i].answered);
        CHECK_STR_EQ(row->domain, g[i].domain);
        CHECK_INT_EQ(row->domain_gone, g[i].domain_gone);
        CHECK_STR_CONTAINS(row->error, g[i].error);
        TEST_ROW_END(row->host);
    }
    /* Both families, in either order. */
    CHECK_STR_CONTAINS("127.0.0.1", g[0].addrs);
    CHECK_STR_CONTAINS("[::1]", g[0].addrs);
    close_all(d);
}

static void
test_no_server(void)
{
    char where[64];
    struct lh_dns *d;
    struct got g;

    snprintf(where, sizeof(where), "127.0.0.1:%d", closed_port());
    if ((d = dns_new(where)) == NULL)
        return;
    ask(d, "ok.lh.test", false, &g);
    run(&g, 1);
    CHECK_INT_EQ(LH_DNS_NO_SERVER, (int)g.status);
    CHECK(!g.answered);
    CHECK_STR_CONTAINS("no DNS server", g.error);
    close_all(d);
}

static void
test_remembered(void)
{
    struct lh_dns *d = dns_new(servers);
    struct got g[3];

    if (d == NULL)
        return;
    /* Two at once share one lookup; a third later gets it from memory. */
    ask(d, "ok.lh.test", false, &g[0]);
    ask(d, "ok.lh.test", false, &g[1]);
    run(g, 2);
    CHECK_INT_EQ(1, (int)lh_dns_lookups(d));
    ask(d, "ok.lh.test", true, &g[2]);     /* fresh: OK stays remembered */
    run(&g[2], 1);
    CHECK_INT_EQ(1, (int)lh_dns_lookups(d));
    CHECK_INT_EQ(LH_DNS_OK, (int)g[2].status);
    CHECK_STR_EQ(g[0].addrs, g[2].addrs);
    CHECK(g[2].ms == 0);
    CHECK(!g[2].called_inside);

    /* A SERVFAIL is remembered, but a fresh query asks again. */
    ask(d, "broken.lh.test", false, &g[0]);
    run(g, 1);
    CHECK_INT_EQ(2, (int)lh_dns_lookups(d));
    ask(d, "broken.lh.test", false, &g[1]);
    run(&g[1], 1);
    CHECK_INT_EQ(2, (int)lh_dns_lookups(d));
    ask(d, "broken.lh.test", true, &g[2]);
    run(&g[2], 1);
    CHECK_INT_EQ(3, (int)lh_dns_lookups(d));
    CHECK_INT_EQ(LH_DNS_SERVFAIL, (int)g[2].status);
    close_all(d);
}

static void
test_cancel_and_close(void)
{
    struct lh_dns *d = dns_new(servers);
    struct got g[3];
    struct lh_dns_query *q;

    if (d == NULL)
        return;
    /* Cancelled: no callback, while the others still get theirs. */
    q = ask(d, "v4.lh.test", false, &g[0]);
    ask(d, "ok.lh.test", false, &g[1]);
    if (q != NULL)
        lh_dns_cancel(q);
    run(&g[1], 1);
    CHECK_INT_EQ(0, g[0].calls);
    CHECK_INT_EQ(1, g[1].calls);

    /* Closed from a callback while another query is in flight (it never
     * answers): no further callback, and every handle goes. */
    ask(d, "slow.lh.test", false, &g[2]);
    ask(d, "gone.lh.test", false, &g[0]);
    g[0].close_me = d;
    run(g, 1);
    CHECK_INT_EQ(1, g[0].calls);
    uv_run(&loop, UV_RUN_NOWAIT);
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK_INT_EQ(0, g[2].calls);

    /* Closed with a query that has not started yet (delayed). */
    if ((d = dns_new(servers)) != NULL) {
        char err[128];

        memset(&g[0], 0, sizeof(g[0]));
        CHECK(lh_dns_resolve(d, "ok.lh.test", 5000, false, got_cb, &g[0],
            err, sizeof(err)) != NULL);
        close_all(d);
        CHECK_INT_EQ(0, g[0].calls);
    }
}

static void
test_bad_servers(void)
{
    char err[256] = "";

    CHECK(lh_dns_new(&loop, "not-an-address", TRY_MS, err, sizeof(err)) ==
        NULL);
    CHECK_STR_CONTAINS("dns_servers", err);
    uv_run(&loop, UV_RUN_NOWAIT);
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (uv_loop_init(&loop) != 0 || uv_timer_init(&loop, &watchdog) != 0) {
        fprintf(stderr, "uv_loop_init failed\n");
        return 1;
    }
    if (dnsd_start(&server, table) == -1) {
        fprintf(stderr, "could not start tests/server/dnsserver.py: %s\n",
            strerror(errno));
        dnsd_stop(&server);
        return 1;
    }
    snprintf(servers, sizeof(servers), "127.0.0.1:%d", server.port);
    RUN_TEST(test_outcomes);
    RUN_TEST(test_no_server);
    RUN_TEST(test_remembered);
    RUN_TEST(test_cancel_and_close);
    RUN_TEST(test_bad_servers);
    dnsd_stop(&server);
    uv_close((uv_handle_t *)&watchdog, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0) {
        fprintf(stderr, "uv_loop_close: handles left\n");
        test_cases_failed++;
    }
    TEST_EXIT();
}
