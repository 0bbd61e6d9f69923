/*
 * dns: c-ares driven by the libuv loop, as Node.js does it (a uv_poll_t
 * per socket c-ares opens, told by its socket-state callback, and one
 * uv_timer_t for ares_timeout), with a per-host table of answers.  Every
 * answer reaches its waiters from a loop callback, never from inside
 * lh_dns_resolve, so callers never see their callback before the call
 * returns.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <ares.h>
#include <ares_nameser.h>
#include <libpsl.h>
#include <uv.h>

#include "dns.h"
#include "strmap.h"
#include "util.h"

#define TRIES   2

enum entry_state { ENTRY_IDLE, ENTRY_PENDING, ENTRY_NS, ENTRY_DONE };

struct lh_dns_query {
    struct lh_dns_query *next, **pprev;    /* in the due list or an entry */
    struct lh_dns *dns;
    char *host;
    bool fresh;
    uint64_t due;           /* loop time */
    lh_dns_cb cb;
    void *arg;
};

struct entry {
    struct lh_dns *dns;
    char *host;
    enum entry_state state;
    struct lh_dns_query *waiters;
    struct lh_dns_answer a;     /* strings below are the entry's */
    char *addrs, *domain, *error;
    uint64_t started;           /* uv_hrtime() at the first query */
};

struct poller {
    struct poller *next;
    struct lh_dns *dns;
    uv_poll_t poll;
    ares_socket_t fd;
};

struct lh_dns {
    uv_loop_t *loop;
    ares_channel channel;
    bool have_channel;
    psl_ctx_t *psl_owned;
    const psl_ctx_t *psl;
    uv_timer_t ares_timer;      /* ares_timeout */
    uv_timer_t kick;            /* due queries */
    struct poller *pollers;
    struct lh_dns_query *due;   /* sorted by due time */
    struct lh_strmap entries;   /* host -> struct entry */
    unsigned open_handles;
    bool timer_ok, kick_ok;     /* initialized, to be closed */
    unsigned long lookups;
    bool closing;
};

static void
list_add(struct lh_dns_query **head, struct lh_dns_query *q)
{
    q->next = *head;
    if (q->next != NULL)
        q->next->pprev = &q->next;
    q->pprev = head;
    *head = q;
}

static void
list_del(struct lh_dns_query *q)
{
    if (q->pprev == NULL)
        return;
    *q->pprev = q->next;
    if (q->next != NULL)
        q->next->pprev = q->pprev;
    q->next = NULL;
    q->pprev = NULL;
}

static void
query_free(struct lh_dns_query *q)
{
    free(q->host);
    free(q);
}

static void
entry_free(void *v)
{
    struct entry *e = v;

    while (e->waiters != NULL) {
        struct lh_dns_query *q = e->waiters;

        list_del(q);
        query_free(q);
    }
    free(e->host);
    free(e->addrs);
    free(e->domain);
    free(e->error);
    free(e);
}

static void
dns_free(struct lh_dns *dns)
{
    if (dns->have_channel)
        ares_destroy(dns->channel);     /* its callbacks see closing */
    while (dns->due != NULL) {
        struct lh_dns_query *q = dns->due;

        list_del(q);
        query_free(q);
    }
    lh_strmap_cleanup(&dns->entries, entry_free);
    if (dns->psl_owned != NULL)
        psl_free(dns->psl_owned);
    ares_library_cleanup();
    free(dns);
}

static void
handle_closed_cb(uv_handle_t *h)
{
    struct lh_dns *dns = h->data;

    if (--dns->open_handles == 0 && dns->closing)
        dns_free(dns);
}

static void
poller_closed_cb(uv_handle_t *h)
{
    struct poller *p = h->data;
    struct lh_dns *dns = p->dns;

    free(p);
    if (--dns->open_handles == 0 && dns->closing)
        dns_free(dns);
}

/* Arm the timer for c-ares's next timeout, or stop it. */
static void ares_timer_cb(uv_timer_t *t);

static void
rearm(struct lh_dns *dns)
{
    struct timeval tv, *next;
    uint64_t ms;

    if (dns->closing)
        return;
    next = ares_timeout(dns->channel, NULL, &tv);
    if (next == NULL) {
        uv_timer_stop(&dns->ares_timer);
        return;
    }
    ms = (uint64_t)next->tv_sec * 1000 + (uint64_t)(next->tv_usec + 999) /
        1000;
    uv_timer_start(&dns->ares_timer, ares_timer_cb, ms, 0);
}

static void
ares_timer_cb(uv_timer_t *t)
{
    struct lh_dns *dns = t->data;

    ares_process_fd(dns->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    rearm(dns);
}

static void
poll_cb(uv_poll_t *h, int status, int events)
{
    struct poller *p = h->data;
    struct lh_dns *dns = p->dns;
    ares_socket_t r = ARES_SOCKET_BAD, w = ARES_SOCKET_BAD;

    if (dns->closing)
        return;
    /* An error on the socket: let c-ares read it and find out. */
    if (status < 0 || (events & UV_READABLE))
        r = p->fd;
    if (status < 0 || (events & UV_WRITABLE))
        w = p->fd;
    ares_process_fd(dns->channel, r, w);
    rearm(dns);
}

/* c-ares opens, watches or closes a socket. */
static void
sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
    struct lh_dns *dns = data;
    struct poller **pp, *p;
    int events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);

    for (pp = &dns->pollers; *pp != NULL; pp = &(*pp)->next)
        if ((*pp)->fd == fd)
            break;
    p = *pp;
    if (events == 0) {
        /* c-ares closes fd next: stop watching it first. */
        if (p != NULL) {
            *pp = p->next;
            uv_poll_stop(&p->poll);
            uv_close((uv_handle_t *)&p->poll, poller_closed_cb);
        }
        return;
    }
    if (dns->closing)
        return;
    if (p == NULL) {
        if ((p = calloc(1, sizeof(*p))) == NULL)
            return;     /* the query then ends in a timeout */
        if (uv_poll_init_socket(dns->loop, &p->poll, fd) != 0) {
            free(p);
            return;
        }
        p->dns = dns;
        p->fd = fd;
        p->poll.data = p;
        p->next = dns->pollers;
        dns->pollers = p;
        dns->open_handles++;
    }
    uv_poll_start(&p->poll, events, poll_cb);
}

static void kick_cb(uv_timer_t *t);

static void
kick_at(struct lh_dns *dns, uint64_t due)
{
    uint64_t now = uv_now(dns->loop);

    if (dns->closing)
        return;
    uv_timer_start(&dns->kick, kick_cb, due > now ? due - now : 0, 0);
}

/* Every waiter of e gets its answer.  False when dns closed meanwhile. */
static bool
deliver(struct entry *e)
{
    struct lh_dns *dns = e->dns;

    while (e->waiters != NULL && !dns->closing) {
        struct lh_dns_query *q = e->waiters;

        list_del(q);
        q->cb(&e->a, q->arg);
        query_free(q);
    }
    return !dns->closing;
}

static int
set_text(char **slot, const char **view, const char *s)
{
    if (lh_replace_string(slot, s) == -1)
        return -1;
    *view = *slot;
    return 0;
}

static void
finish(struct entry *e, enum lh_dns_status st, bool answered,
    const char *error)
{
    e->state = ENTRY_DONE;
    e->a.status = st;
    e->a.answered = answered;
    /* uv_hrtime, not the loop's millisecond clock: a local answer comes
     * within the millisecond, and 0 would read as "remembered". */
    e->a.ms = (double)(uv_hrtime() - e->started) / 1e6;
    if (set_text(&e->error, &e->a.error, error) == -1) {
        e->a.status = LH_DNS_LOCAL;
        e->a.error = "DNS: out of memory";
    }
    deliver(e);
    /* Later waiters of a remembered answer waited for nothing. */
    e->a.ms = 0;
}

static void
ns_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    struct entry *e = arg;
    char text[600];

    (void)timeouts;
    (void)abuf;
    (void)alen;
    if (e->dns->closing || status == ARES_EDESTRUCTION)
        return;
    /* A failure to ask says nothing about the domain: it stands. */
    e->a.domain_gone = status == ARES_ENOTFOUND;
    if (e->a.domain_gone)
        snprintf(text, sizeof(text), "DNS: no such host %s, and its "
            "domain %s no longer exists", e->host, e->domain);
    else
        snprintf(text, sizeof(text), "DNS: no such host %s", e->host);
    finish(e, LH_DNS_NXDOMAIN, true, text);
}

/* NXDOMAIN: is the registrable domain gone too? */
static void
nxdomain(struct entry *e)
{
    const char *d = e->dns->psl == NULL ? NULL :
        psl_registrable_domain(e->dns->psl, e->host);
    char text[600];

    if (d != NULL && set_text(&e->domain, &e->a.domain, d) == -1)
        d = NULL;
    if (d != NULL && strcasecmp(d, e->host) != 0) {
        e->state = ENTRY_NS;
        e->dns->lookups++;
        ares_query(e->dns->channel, e->domain, ns_c_in, ns_t_ns, ns_cb, e);
        rearm(e->dns);
        return;
    }
    /* The name is the registrable domain itself. */
    e->a.domain_gone = d != NULL;
    if (e->a.domain_gone)
        snprintf(text, sizeof(text), "DNS: no such domain %s", e->host);
    else
        snprintf(text, sizeof(text), "DNS: no such host %s", e->host);
    finish(e, LH_DNS_NXDOMAIN, true, text);
}

/* "a,b,[c]" from the nodes of ai. */
static char *
join_addrs(const struct ares_addrinfo *ai)
{
    size_t cap = 1, len = 0;
    char *s;

    for (const struct ares_addrinfo_node *n = ai->nodes; n; n = n->ai_next)
        cap += INET6_ADDRSTRLEN + 3;
    if ((s = malloc(cap)) == NULL)
        return NULL;
    s[0] = '\0';
    for (const struct ares_addrinfo_node *n = ai->nodes; n; n = n->ai_next) {
        char buf[INET6_ADDRSTRLEN];
        const void *src;

        if (n->ai_family == AF_INET)
            src = &((const struct sockaddr_in *)n->ai_addr)->sin_addr;
        else if (n->ai_family == AF_INET6)
            src = &((const struct sockaddr_in6 *)n->ai_addr)->sin6_addr;
        else
            continue;
        if (inet_ntop(n->ai_family, src, buf, sizeof(buf)) == NULL)
            continue;
        len += (size_t)snprintf(s + len, cap - len, "%s%s%s%s",
            len > 0 ? "," : "", n->ai_family == AF_INET6 ? "[" : "", buf,
            n->ai_family == AF_INET6 ? "]" : "");
    }
    return s;
}

static void
addrinfo_cb(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
    struct entry *e = arg;
    char text[600];

    (void)timeouts;
    if (e->dns->closing || status == ARES_EDESTRUCTION ||
        status == ARES_ECANCELLED) {
        if (ai != NULL)
            ares_freeaddrinfo(ai);
        return;
    }
    switch (status) {
    case ARES_SUCCESS:
        free(e->addrs);
        e->addrs = join_addrs(ai);
        ares_freeaddrinfo(ai);
        if (e->addrs == NULL) {
            finish(e, LH_DNS_LOCAL, false, "DNS: out of memory");
        } else if (e->addrs[0] == '\0') {
            snprintf(text, sizeof(text), "DNS: no address for %s", e->host);
            finish(e, LH_DNS_NODATA, true, text);
        } else {
            e->a.addrs = e->addrs;
            finish(e, LH_DNS_OK, true, NULL);
        }
        return;
    case ARES_ENOTFOUND:
        nxdomain(e);
        break;
    case ARES_ENODATA:
        snprintf(text, sizeof(text), "DNS: no address for %s", e->host);
        finish(e, LH_DNS_NODATA, true, text);
        break;
    case ARES_ESERVFAIL:
        snprintf(text, sizeof(text), "DNS: the server of %s failed "
            "(SERVFAIL)", e->host);
        finish(e, LH_DNS_SERVFAIL, true, text);
        break;
    case ARES_EREFUSED:
        snprintf(text, sizeof(text), "DNS: the server refused to answer "
            "for %s (REFUSED)", e->host);
        finish(e, LH_DNS_SERVFAIL, true, text);
        break;
    case ARES_ETIMEOUT:
        snprintf(text, sizeof(text), "DNS: no answer for %s in time",
            e->host);
        finish(e, LH_DNS_TIMEOUT, false, text);
        break;
    case ARES_ECONNREFUSED:
        finish(e, LH_DNS_NO_SERVER, false,
            "DNS: no DNS server could be reached");
        break;
    case ARES_ENOMEM:
        finish(e, LH_DNS_LOCAL, false, "DNS: out of memory");
        break;
    default:
        snprintf(text, sizeof(text), "DNS: %s: %s", e->host,
            ares_strerror(status));
        finish(e, LH_DNS_LOCAL, false, text);
        break;
    }
    if (ai != NULL)
        ares_freeaddrinfo(ai);
}

/* Ask the servers for e's host. */
static void
lookup(struct entry *e)
{
    struct lh_dns *dns = e->dns;
    struct ares_addrinfo_hints hints;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_flags = ARES_AI_NOSORT;
    e->state = ENTRY_PENDING;
    e->started = uv_hrtime();
    e->a.domain_gone = false;
    e->a.domain = NULL;
    e->a.addrs = NULL;
    e->a.error = NULL;
    dns->lookups++;
    /* May answer at once (an address literal, the hosts file, a send
     * that failed): we are in a loop callback, so that is fine. */
    ares_getaddrinfo(dns->channel, e->host, NULL, &hints, addrinfo_cb, e);
    if (!dns->closing)
        rearm(dns);
}

static bool
transient(const struct entry *e)
{
    return e->a.status == LH_DNS_SERVFAIL ||
        e->a.status == LH_DNS_TIMEOUT || e->a.status == LH_DNS_NO_SERVER ||
        e->a.status == LH_DNS_LOCAL;
}

/* A due query joins its host's entry. */
static void
attach(struct lh_dns *dns, struct lh_dns_query *q)
{
    struct entry *e = lh_strmap_get(&dns->entries, q->host);

    if (e == NULL) {
        static const struct lh_dns_answer oom = {
            .status = LH_DNS_LOCAL, .error = "DNS: out of memory",
        };

        if ((e = calloc(1, sizeof(*e))) == NULL ||
            (e->host = strdup(q->host)) == NULL ||
            lh_strmap_put(&dns->entries, q->host, e) == -1) {
            if (e != NULL)
                free(e->host);
            free(e);
            q->cb(&oom, q->arg);
            query_free(q);
            return;
        }
        e->dns = dns;
    }
    list_add(&e->waiters, q);
    if (e->state == ENTRY_IDLE || (e->state == ENTRY_DONE && q->fresh &&
            transient(e)))
        lookup(e);
    else if (e->state == ENTRY_DONE)
        deliver(e);
}

static void
kick_cb(uv_timer_t *t)
{
    struct lh_dns *dns = t->data;
    uint64_t now = uv_now(dns->loop);

    while (!dns->closing && dns->due != NULL && dns->due->due <= now) {
        struct lh_dns_query *q = dns->due;

        list_del(q);
        attach(dns, q);
    }
    if (!dns->closing && dns->due != NULL)
        kick_at(dns, dns->due->due);
}

struct lh_dns_query *
lh_dns_resolve(struct lh_dns *dns, const char *host, unsigned delay_ms,
    bool fresh, lh_dns_cb cb, void *arg, char *err, size_t errlen)
{
    struct lh_dns_query *q, **pp;

    if ((q = calloc(1, sizeof(*q))) == NULL ||
        (q->host = strdup(host)) == NULL) {
        free(q);
        lh_seterr(err, errlen, "out of memory");
        return NULL;
    }
    q->dns = dns;
    q->fresh = fresh;
    q->cb = cb;
    q->arg = arg;
    q->due = uv_now(dns->loop) + delay_ms;
    /* The due list is sorted by due time; a query due now goes in after
     * the others due now, a retry's after the earlier ones. */
    for (pp = &dns->due; *pp != NULL && (*pp)->due <= q->due;
        pp = &(*pp)->next)
        ;
    list_add(pp, q);
    if (dns->due == q)
        kick_at(dns, q->due);
    return q;
}

void
lh_dns_cancel(struct lh_dns_query *q)
{
    list_del(q);
    query_free(q);
}

unsigned long
lh_dns_lookups(const struct lh_dns *dns)
{
    return dns->lookups;
}

struct lh_dns *
lh_dns_new(struct uv_loop_s *loop, const char *servers, unsigned try_ms,
    char *err, size_t errlen)
{
    struct ares_options o;
    struct lh_dns *dns;
    int rc;

    if ((dns = calloc(1, sizeof(*dns))) == NULL) {
        lh_seterr(err, errlen, "out of memory");
        return NULL;
    }
    dns->loop = loop;
    lh_strmap_init(&dns->entries);
    if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
        lh_seterr(err, errlen, "DNS: c-ares: %s", ares_strerror(rc));
        lh_strmap_cleanup(&dns->entries, NULL);
        free(dns);
        return NULL;
    }
    memset(&o, 0, sizeof(o));
    o.sock_state_cb = sock_state_cb;
    o.sock_state_cb_data = dns;
    o.timeout = (int)(try_ms > 0 ? try_ms : 1);
    o.tries = TRIES;
    /* No search domains: "www.example" is asked as it is, so an NXDOMAIN
     * is the name's own and not that of "www.example.lan". */
    o.domains = NULL;
    o.ndomains = 0;
    /* A SERVFAIL or REFUSED comes to us as what it is: c-ares 1.18
     * would otherwise ask again and end with "connection refused". */
    o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOCHECKRESP;
    if ((rc = ares_init_options(&dns->channel, &o, ARES_OPT_SOCK_STATE_CB |
            ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_DOMAINS |
            ARES_OPT_FLAGS)) != ARES_SUCCESS) {
        lh_seterr(err, errlen, "DNS: c-ares: %s", ares_strerror(rc));
        goto fail;
    }
    dns->have_channel = true;
    if (servers != NULL && *servers != '\0' &&
        (rc = ares_set_servers_ports_csv(dns->channel, servers)) !=
            ARES_SUCCESS) {
        lh_seterr(err, errlen, "DNS: dns_servers \"%s\": %s", servers,
            ares_strerror(rc));
        goto fail;
    }
    /* The list compiled into libpsl; else the system's file. */
    if ((dns->psl = psl_builtin()) == NULL)
        dns->psl = dns->psl_owned = psl_latest(NULL);
    if ((rc = uv_timer_init(loop, &dns->ares_timer)) != 0) {
        lh_seterr(err, errlen, "DNS: %s", uv_strerror(rc));
        goto fail;
    }
    dns->ares_timer.data = dns;
    dns->timer_ok = true;
    dns->open_handles++;
    if ((rc = uv_timer_init(loop, &dns->kick)) != 0) {
        lh_seterr(err, errlen, "DNS: %s", uv_strerror(rc));
        lh_dns_close(dns);
        return NULL;
    }
    dns->kick.data = dns;
    dns->kick_ok = true;
    dns->open_handles++;
    return dns;
fail:
    dns_free(dns);
    return NULL;
}

void
lh_dns_close(struct lh_dns *dns)
{
    struct poller *p;

    if (dns == NULL || dns->closing)
        return;
    dns->closing = true;
    /* c-ares itself goes in dns_free, outside any of its callbacks. */
    while ((p = dns->pollers) != NULL) {
        dns->pollers = p->next;
        uv_poll_stop(&p->poll);
        uv_close((uv_handle_t *)&p->poll, poller_closed_cb);
    }
    if (dns->timer_ok)
        uv_close((uv_handle_t *)&dns->ares_timer, handle_closed_cb);
    if (dns->kick_ok)
        uv_close((uv_handle_t *)&dns->kick, handle_closed_cb);
}
