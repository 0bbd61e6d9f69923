/*
 * dns: host names to addresses through c-ares on the libuv loop, with
 * answers that say why a name did not resolve (no such name, the server
 * failed, no answer in time, no server reachable), and each host asked
 * once per lh_dns (the checker makes one per cycle).  Knows nothing of
 * curl or links.
 */
#ifndef LH_DNS_H
#define LH_DNS_H

#include <stdbool.h>
#include <stddef.h>

struct uv_loop_s;
struct lh_dns;
struct lh_dns_query;

enum lh_dns_status {
    LH_DNS_OK = 0,      /* addrs holds at least one address */
    LH_DNS_NXDOMAIN,    /* the name does not exist */
    LH_DNS_NODATA,      /* the name exists, without an address */
    LH_DNS_SERVFAIL,    /* a server answered that it failed (or refused) */
    LH_DNS_TIMEOUT,     /* no answer in time */
    LH_DNS_NO_SERVER,   /* no server could be reached: ours, not the name's */
    LH_DNS_LOCAL        /* out of memory, or another failure of our own */
};

/* An answer; every pointer is borrowed, valid during the callback only. */
struct lh_dns_answer {
    enum lh_dns_status status;
    /* "192.0.2.1,[2001:db8::1]", as curl's CURLOPT_RESOLVE wants the
     * addresses; NULL unless status is LH_DNS_OK. */
    const char *addrs;
    bool answered;      /* a DNS server answered (not a timeout or ours) */
    /* NXDOMAIN only: the registrable domain of the name (Public Suffix
     * List), NULL when there is none, and whether it does not exist
     * either (a lapsed domain). */
    const char *domain;
    bool domain_gone;
    const char *error;  /* one sentence, "DNS: ..."; NULL when OK */
    double ms;          /* how long the lookup took; 0 when cached */
};

/* Runs once per query, from the loop, never inside lh_dns_resolve. */
typedef void (*lh_dns_cb)(const struct lh_dns_answer *a, void *arg);

/*
 * A resolver on loop.  servers: NULL for the system's (resolv.conf), or
 * "127.0.0.1:5353,[::1]:53" (c-ares's CSV form).  try_ms: how long one
 * try waits for an answer; two tries are made per server, the second
 * twice as long.  Returns NULL with a sentence in err on failure.
 */
struct lh_dns *lh_dns_new(struct uv_loop_s *loop, const char *servers,
    unsigned try_ms, char *err, size_t errlen);

/*
 * Cancel every query (no callback runs), close the handles; the memory
 * goes when the loop has run their close callbacks.  Safe from inside a
 * query callback.  NULL is a no-op.
 */
void lh_dns_close(struct lh_dns *dns);

/*
 * Addresses (A and AAAA) of host, after delay_ms.  The first query for a
 * host is remembered with its answer for the lifetime of dns; later ones
 * get that answer (ms 0), except that fresh asks the servers again when
 * the remembered answer was a failure of the moment (SERVFAIL, timeout,
 * no server).  For an NXDOMAIN the registrable domain is asked too (its
 * NS records).  Returns the query, whose cb runs once unless
 * lh_dns_cancel is called first; or NULL with err (out of memory), and
 * cb never runs.
 */
struct lh_dns_query *lh_dns_resolve(struct lh_dns *dns, const char *host,
    unsigned delay_ms, bool fresh, lh_dns_cb cb, void *arg, char *err,
    size_t errlen);

/* The callback of q will not run; q is freed. */
void lh_dns_cancel(struct lh_dns_query *q);

/* Queries sent to the servers so far (A and AAAA count as one). */
unsigned long lh_dns_lookups(const struct lh_dns *dns);

#endif
