/*
 * http: the one module that knows both libuv and libcurl.  It drives a
 * curl multi handle from a uv loop with the multi_socket API (socket and
 * timer callbacks, no polling) and tells the owner of each transfer when
 * it is done.  It knows nothing of links or states.  The daemon makes one
 * for its whole run (monitor.c), shared by the directory download, the
 * checks and the webhooks: between transfers it keeps connections alive
 * and runs no timer, so an idle loop sleeps; it wakes once for each kept
 * connection that its server closes (or writes to), and stops watching it
 * (http.c).
 */
#ifndef LH_HTTP_H
#define LH_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* Neither curl.h nor uv.h is included here: users of this header know one
 * of them at most.  An easy handle travels as void * (CURL is void), and
 * curl's result as int (a CURLcode). */
struct uv_loop_s;
struct curl_slist;
struct lh_http;

/*
 * Called once per started transfer, from the loop, after the easy handle
 * has been removed from the multi handle (so the owner may reuse, restart
 * or clean it up).  result is curl's code for the transfer.
 */
typedef void (*lh_http_done_cb)(void *easy, int result, void *arg);

/* Called once, from the loop, when lh_http_close has released everything. */
typedef void (*lh_http_closed_cb)(void *arg);

/*
 * Create the multi handle and its timer on loop.  max_host_connections
 * and max_total_connections bound the connection cache (0: curl's
 * default).  Returns NULL with a message in err on failure.
 */
struct lh_http *lh_http_new(struct uv_loop_s *loop, long max_host_connections,
    long max_total_connections, char *err, size_t errlen);

/*
 * New bounds for the connection cache (as lh_http_new's), from the next
 * connection on: a long-lived h follows each cycle's concurrency.  0, or
 * -1 when curl refused them (the old ones stay).
 */
int lh_http_set_limits(struct lh_http *h, long max_host_connections,
    long max_total_connections);

/*
 * Forget the connections and the names curl keeps: its multi handle is
 * replaced now when no transfer is in flight, else as soon as none is:
 * when the last transfer curl ran ends, or at a start.  For a new
 * configuration whose resolve entries changed: curl keeps an entry it was
 * given for good, beyond the list that gave it.
 */
void lh_http_forget(struct lh_http *h);

/*
 * Start easy (fully set up by the caller) after delay_ms (0: now).  On
 * success returns 0 and cb runs exactly once, unless the transfer is
 * cancelled first.  On failure returns -1, cb never runs, and err says why.
 */
int lh_http_start(struct lh_http *h, void *easy, unsigned delay_ms,
    lh_http_done_cb cb, void *arg, char *err, size_t errlen);

/*
 * Like lh_http_start, but the transfer is not made: cb runs on the next
 * loop turn with result (a CURLcode).  For answers known without asking
 * the network.  Cancelled like a started transfer.
 */
int lh_http_fail(struct lh_http *h, void *easy, int result,
    lh_http_done_cb cb, void *arg, char *err, size_t errlen);

/* A transfer started with a delay that has not run out starts now (on
 * the next loop turn), as if its delay had been 0: true, and its easy
 * handle may still take options until then.  False, and nothing done,
 * for any other handle. */
bool lh_http_hasten(struct lh_http *h, void *easy);

/* Stop a started transfer: its callback will not run.  The easy handle
 * stays the caller's.  A no-op for a handle that is not started. */
void lh_http_cancel(struct lh_http *h, void *easy);

/*
 * Append copies of the n strings in v to *list (curl's option lists:
 * resolve, connect_to).  0, or -1 when out of memory, with *list keeping
 * what it had and what was appended, for the caller to free.
 */
int lh_http_slist_append(struct curl_slist **list, char *const *v,
    size_t n);

/*
 * fd was just opened by curl for a transfer of h (from the transfer's
 * CURLOPT_OPENSOCKETFUNCTION).  curl closes a connection attempt that
 * lost the race to another address without telling h, and the next
 * socket may get its number: a watcher left from the old socket is set
 * up afresh for the new one.
 */
void lh_http_socket_opened(struct lh_http *h, int fd);

/* The loop h runs on. */
struct uv_loop_s *lh_http_loop(const struct lh_http *h);

/* Transfers started and not yet done or cancelled. */
unsigned lh_http_active(const struct lh_http *h);

/* Which DNS cache curl's transfers use now: it changes whenever the
 * cache goes (with the multi handle; lh_http_forget), so that an entry
 * a transfer left in the cache under another number is known gone. */
unsigned long lh_http_dns_generation(const struct lh_http *h);
/* An lh_http_forget waits for the transfers in flight: the cache goes
 * at the next start or end, so nothing in it can be counted on. */
bool lh_http_forgetting(const struct lh_http *h);

/* Descriptors of curl's connections that h holds, kept-alive ones
 * included: each is reused or closed to make room before curl opens
 * one beyond the cap. */
unsigned lh_http_sockets(const struct lh_http *h);

/*
 * Cancel everything, close every handle and free h; closed_cb (may be
 * NULL) runs when the last uv handle is closed.  After this the loop
 * holds no handle of ours.
 */
void lh_http_close(struct lh_http *h, lh_http_closed_cb closed_cb, void *arg);

/* Process-wide set-up of libcurl, before any thread or handle exists, and
 * its undoing at exit.  lh_http_global_init returns 0 or -1. */
int lh_http_global_init(void);
void lh_http_global_cleanup(void);
/* libcurl's version line, for --version. */
const char *lh_http_version(void);

#endif
