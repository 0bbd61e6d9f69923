/*
 * httpd: a tiny HTTP/1.1 server for the unit tests, in the test's own
 * process and on its uv loop, bound to 127.0.0.1 port 0 (never another
 * address).  It reads request heads (no bodies) and hands each to the
 * test's handler, which answers (httpd_reply, httpd_write), hangs up
 * (httpd_hangup, httpd_reset) or says nothing, so the request hangs.
 *
 * Header-only, so that the Makefile's one-source-per-test rule holds:
 * every function is static, and a test uses the ones it needs.
 */
#ifndef LH_TEST_HTTPD_H
#define LH_TEST_HTTPD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <uv.h>

#include "http.h"

#define HTTPD_FN        static __attribute__((unused))
#define HTTPD_LOG       64      /* requests remembered, the first ones */

struct httpd;

/* What the server saw of one request. */
struct httpd_req {
    char method[16];
    char path[256];
    char user_agent[256];       /* "" when the header is missing */
    char head[2048];            /* the whole head, NUL-terminated; cut */
};

struct httpd_conn {
    uv_tcp_t tcp;
    struct httpd *s;
    char buf[8192];
    size_t len;
    bool closing;
    struct httpd_conn *prev, *next;
};

/*
 * Called for each request, from the loop.  k stays allocated until the
 * call returns even if the handler closes it; req is valid during the call
 * only (the server's log keeps a copy).
 */
typedef void (*httpd_handler_fn)(struct httpd_conn *k,
    const struct httpd_req *req, void *arg);

struct httpd {
    uv_loop_t *loop;
    uv_tcp_t listener;
    bool started, closed;
    int port;
    unsigned accepted;          /* connections */
    unsigned requests;
    uint64_t last_request_ns;   /* uv_hrtime() when the last one came */
    struct httpd_req log[HTTPD_LOG];
    struct httpd_conn *conns;
    httpd_handler_fn handler;
    void *arg;
};

HTTPD_FN void
httpd_conn_closed_cb(uv_handle_t *handle)
{
    free(handle->data);
}

/* Take k off the server's list; false when it was closing already. */
HTTPD_FN bool
httpd_conn_unlink(struct httpd_conn *k)
{
    struct httpd *s = k->s;

    if (k->closing)
        return false;
    k->closing = true;
    if (k->prev != NULL)
        k->prev->next = k->next;
    else
        s->conns = k->next;
    if (k->next != NULL)
        k->next->prev = k->prev;
    return true;
}

/* Hang up with a FIN.  Bytes of the request still unread would turn it
 * into a reset; the server reads every head whole, so there are none. */
HTTPD_FN void
httpd_hangup(struct httpd_conn *k)
{
    if (httpd_conn_unlink(k))
        uv_close((uv_handle_t *)&k->tcp, httpd_conn_closed_cb);
}

/* Hang up with a RST: the client reads "connection reset by peer". */
HTTPD_FN void
httpd_reset(struct httpd_conn *k)
{
    if (!httpd_conn_unlink(k))
        return;
    if (uv_tcp_close_reset(&k->tcp, httpd_conn_closed_cb) != 0)
        uv_close((uv_handle_t *)&k->tcp, httpd_conn_closed_cb);
}

HTTPD_FN void
httpd_write_cb(uv_write_t *req, int status)
{
    /* A peer that went away (or a close, UV_ECANCELED) is not an error
     * of the code under test. */
    (void)status;
    free(req);
}

/* Send len bytes at data (copied) on k; on failure k is closed. */
HTTPD_FN void
httpd_write(struct httpd_conn *k, const char *data, size_t len)
{
    uv_write_t *req;
    uv_buf_t b;

    if (k->closing)
        return;
    if ((req = malloc(sizeof(*req) + len)) == NULL) {
        httpd_hangup(k);
        return;
    }
    memcpy(req + 1, data, len);
    b = uv_buf_init((char *)(req + 1), (unsigned)len);
    if (uv_write(req, (uv_stream_t *)&k->tcp, &b, 1, httpd_write_cb) != 0) {
        free(req);
        httpd_hangup(k);
    }
}

/*
 * Answer req with status, the header lines in headers (each ending in
 * "\r\n"; may be NULL) and body (may be NULL), with its Content-Length; a
 * HEAD gets the headers alone.  The connection stays open.
 */
HTTPD_FN void
httpd_reply(struct httpd_conn *k, const struct httpd_req *req, int status,
    const char *headers, const char *body)
{
    char text[4096];
    size_t blen = body != NULL ? strlen(body) : 0;
    int n;

    n = snprintf(text, sizeof(text), "HTTP/1.1 %d Test\r\n%s"
        "Content-Length: %zu\r\n\r\n%s", status,
        headers != NULL ? headers : "", blen,
        strcmp(req->method, "HEAD") == 0 || body == NULL ? "" : body);
    if (n < 0 || (size_t)n >= sizeof(text)) {
        httpd_hangup(k);
        return;
    }
    httpd_write(k, text, (size_t)n);
}

HTTPD_FN void
httpd_alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    struct httpd_conn *k = handle->data;

    (void)suggested;
    /* A full buffer gives a zero-length one: libuv then reports
     * UV_ENOBUFS, and the connection is closed. */
    *buf = uv_buf_init(k->buf + k->len, (unsigned)(sizeof(k->buf) - k->len));
}

/* Copy the word of head at *p (up to a space) into out; "" if too long. */
HTTPD_FN const char *
httpd_word(const char *p, const char *end, char *out, size_t outlen)
{
    const char *sp = memchr(p, ' ', (size_t)(end - p));

    out[0] = '\0';
    if (sp == NULL)
        return end;
    if ((size_t)(sp - p) < outlen) {
        memcpy(out, p, (size_t)(sp - p));
        out[sp - p] = '\0';
    }
    return sp + 1;
}

/* Method, path, User-Agent and text of the head at buf (len bytes). */
HTTPD_FN void
httpd_parse(const char *buf, size_t len, struct httpd_req *req)
{
    const char *end = buf + len, *p, *eol;

    memset(req, 0, sizeof(*req));
    memcpy(req->head, buf, len < sizeof(req->head) ? len :
        sizeof(req->head) - 1);
    p = httpd_word(buf, end, req->method, sizeof(req->method));
    (void)httpd_word(p, end, req->path, sizeof(req->path));
    for (p = buf; (eol = memmem(p, (size_t)(end - p), "\r\n", 2)) != NULL;
        p = eol + 2) {
        size_t n;

        if ((size_t)(eol - p) <= 11 ||
            strncasecmp(p, "User-Agent:", 11) != 0)
            continue;
        p += 11;
        while (p < eol && *p == ' ')
            p++;
        n = (size_t)(eol - p);
        if (n >= sizeof(req->user_agent))
            n = sizeof(req->user_agent) - 1;
        memcpy(req->user_agent, p, n);
        req->user_agent[n] = '\0';
    }
}

HTTPD_FN void
httpd_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct httpd_conn *k = stream->data;
    struct httpd *s = k->s;
    const char *end;
    struct httpd_req req;

    (void)buf;
    if (nread < 0) {
        httpd_hangup(k);
        return;
    }
    k->len += (size_t)nread;
    while (!k->closing &&
        (end = memmem(k->buf, k->len, "\r\n\r\n", 4)) != NULL) {
        size_t n = (size_t)(end + 4 - k->buf);

        httpd_parse(k->buf, n, &req);
        memmove(k->buf, k->buf + n, k->len - n);
        k->len -= n;
        if (s->requests < HTTPD_LOG)
            s->log[s->requests] = req;
        s->requests++;
        s->last_request_ns = uv_hrtime();
        /* The handler may close k (or everything): k stays allocated
         * until its close callback, and closing ends the loop above. */
        s->handler(k, &req, s->arg);
    }
}

HTTPD_FN void
httpd_connection_cb(uv_stream_t *listener, int status)
{
    struct httpd *s = listener->data;
    struct httpd_conn *k;

    if (status < 0 || (k = calloc(1, sizeof(*k))) == NULL)
        return;
    k->s = s;
    k->tcp.data = k;
    if (uv_tcp_init(s->loop, &k->tcp) != 0) {
        free(k);
        return;
    }
    k->next = s->conns;
    if (s->conns != NULL)
        s->conns->prev = k;
    s->conns = k;
    if (uv_accept(listener, (uv_stream_t *)&k->tcp) != 0 ||
        uv_read_start((uv_stream_t *)&k->tcp, httpd_alloc_cb,
            httpd_read_cb) != 0) {
        httpd_hangup(k);
        return;
    }
    s->accepted++;
}

/*
 * Listen on 127.0.0.1, on a port the kernel picks (s->port), calling
 * handler(…, arg) for each request.  0, or -1; close s either way.
 */
HTTPD_FN int
httpd_start(struct httpd *s, uv_loop_t *loop, httpd_handler_fn handler,
    void *arg)
{
    struct sockaddr_in addr;
    struct sockaddr_storage bound;
    int len = sizeof(bound);

    memset(s, 0, sizeof(*s));
    s->loop = loop;
    s->handler = handler;
    s->arg = arg;
    if (uv_tcp_init(loop, &s->listener) != 0) {
        s->closed = true;
        return -1;
    }
    s->started = true;
    s->listener.data = s;
    if (uv_ip4_addr("127.0.0.1", 0, &addr) != 0 ||
        uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0) != 0 ||
        uv_listen((uv_stream_t *)&s->listener, 128,
            httpd_connection_cb) != 0 ||
        uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound,
            &len) != 0 || bound.ss_family != AF_INET)
        return -1;
    s->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
    return 0;
}

/* Stop listening and hang up every connection; the handles are closed
 * once the loop runs.  A second call is a no-op. */
HTTPD_FN void
httpd_close(struct httpd *s)
{
    if (s->closed)
        return;
    s->closed = true;
    if (s->started)
        uv_close((uv_handle_t *)&s->listener, NULL);
    while (s->conns != NULL)
        httpd_hangup(s->conns);
}

/* path on s as a URL; 0, or -1 when it does not fit. */
HTTPD_FN int
httpd_url(const struct httpd *s, const char *path, char *url, size_t len)
{
    int n = snprintf(url, len, "http://127.0.0.1:%d%s", s->port, path);

    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/*
 * For a test's main: the servers are ours, on 127.0.0.1, and never asked
 * through a proxy from the environment; then curl's global set-up.  0, or
 * -1 with a message on stderr.
 */
HTTPD_FN int
httpd_test_init(void)
{
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    if (lh_http_global_init() == -1) {
        fprintf(stderr, "lh_http_global_init failed\n");
        return -1;
    }
    return 0;
}

#endif
