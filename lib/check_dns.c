/*
 * check_dns: the name each request of a check connects to, looked up with
 * c-ares (dns.c) before curl is asked, and given to curl as that
 * request's resolve entry; a failed lookup is the request's answer.
 * Which request comes next is check.c's.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "check_internal.h"
#include "dns.h"
#include "request.h"
#include "url.h"
#include "util.h"

/* s (length n) is name, case aside. */
static bool
same_name(const char *s, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

/* s (length n) is port; an empty s matches any when any_empty. */
static bool
same_port(const char *s, size_t n, long port, bool any_empty)
{
    char buf[8], *end;

    if (n == 0)
        return any_empty;
    if (n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return strtol(buf, &end, 10) == port && *end == '\0';
}

/* A field of a curl option string "a:b:c", an IPv6 "[…]" kept whole:
 * its length from s, which is left after the ':' that ends it. */
static size_t
field(const char **s)
{
    const char *p = *s;
    size_t n;

    if (*p == '[') {
        const char *end = strchr(p, ']');

        n = end != NULL ? (size_t)(end - p + 1) : strlen(p);
    } else {
        n = strcspn(p, ":");
    }
    *s = p + n + (p[n] == ':' ? 1 : 0);
    return n;
}

static bool
is_address(const char *host)
{
    unsigned char buf[16];

    return host[0] == '[' || inet_pton(AF_INET, host, buf) == 1;
}

/*
 * The addresses a resolve list gives name:port (name without its final
 * dot, dot whether the URL had one), or NULL: the entry curl would take,
 * as curl matches, the name as written, a final dot included.  *at (when
 * not NULL) gets the entry's position in the list.
 */
static const char *
resolve_answer(const struct curl_slist *e, const char *name, long port,
    bool dot, int *at)
{
    for (int i = 0; e != NULL; e = e->next, i++) {
        const char *p = e->data, *h, *portp;
        size_t hn, pn;

        if (*p == '-')
            continue;
        if (*p == '+')
            p++;
        h = p;
        hn = field(&p);
        portp = p;
        pn = field(&p);
        if (dot && hn > 1 && h[hn - 1] == '.')
            hn--;
        else if (dot && !same_name(h, hn, "*"))
            continue;
        if ((same_name(h, hn, name) || same_name(h, hn, "*")) &&
            same_port(portp, pn, port, false)) {
            if (at != NULL)
                *at = i;
            return p;
        }
    }
    return NULL;
}

/*
 * The name this request connects to, when c-ares must look it up: the
 * URL's host and port, or what a connect_to entry sends them to (curl
 * applies connect_to first and then resolves its target).  False when
 * nothing is to be looked up: an address, or a resolve entry for it
 * (configured answers win; no query is sent).
 */
static bool
dns_target(struct lh_check *c)
{
    const struct lh_request_base *b = &c->ck->base;
    const char *host = c->host;
    size_t hostlen = strlen(host);

    if (!c->url_parsed || c->url_ipv6)
        return false;
    c->dns_port = c->url_port;
    for (const struct curl_slist *e = b->connect_to; e; e = e->next) {
        const char *p = e->data, *h, *port, *h2;
        size_t hn, pn, h2n;

        h = p;
        hn = field(&p);
        port = p;
        pn = field(&p);
        h2 = p;
        h2n = field(&p);
        /* p is left at the connect port, "" for the same. */
        if ((hn > 0 && !same_name(h, hn, host)) ||
            !same_port(port, pn, c->dns_port, true))
            continue;
        if (h2n > 0) {
            host = h2;
            hostlen = h2n;
        }
        if (*p != '\0')
            c->dns_port = strtol(p, NULL, 10);
        break;
    }
    if (hostlen == 0 || hostlen >= sizeof(c->dns_name))
        return false;
    /* The name is asked without a final dot; curl's resolve entry keeps
     * it, as curl looks for the name as written. */
    c->dns_dot = hostlen > 1 && host[hostlen - 1] == '.';
    if (c->dns_dot)
        hostlen--;
    memcpy(c->dns_name, host, hostlen);
    c->dns_name[hostlen] = '\0';
    if (is_address(c->dns_name) || lh_url_is_invalid_host(c->dns_name))
        return false;
    /* Configured answers win: no query is sent, and the request carries
     * that one entry (lh_check_resolve_list). */
    if (resolve_answer(b->resolve, c->dns_name, c->dns_port, c->dns_dot,
            &c->resolve_cfg) != NULL)
        return false;
    return true;
}

static void dns_done_cb(const struct lh_dns_answer *a, void *arg);

/*
 * curl parses a request's resolve entry and replaces the name's entry in
 * its DNS cache at the start of each transfer that carries it, which
 * costs more than the rest of a kept-alive check.  So the entry is given
 * only until curl surely holds it: a request of the name that carried
 * the same entry was answered, no request with another answer for the
 * name was in flight since that one was sent (its entry could have come
 * later and won), and the cache is the same one, with no forget waiting
 * to empty it.  curl treats a "+" entry as stale 60 s after it was
 * loaded by the wall clock, in whole seconds (its DNS cache timeout,
 * which linkhealthd leaves alone); an entry is given again once
 * MEMO_FRESH_MS have passed since the answered request was sent, by
 * either clock, well before.
 */
#define MEMO_FRESH_MS 30000.0

struct resolve_memo {
    struct resolve_memo *next;
    char *key;              /* "name:port", the name as curl looks it up */
    char *addrs;            /* the addresses of the newest entry sent */
    unsigned long long seq; /* changes with addrs */
    unsigned inflight;      /* requests sent with an entry, not ended */
    unsigned inflight_cur;  /* ... of them, those sent since addrs
                               last changed */
    bool loaded;            /* curl holds addrs: */
    unsigned long generation;   /* in this cache, */
    double loaded_ms;       /* from a request sent then (monotonic ms), */
    time_t loaded_wall;     /* ... and by the wall clock */
};

/* The key of c's request, "name:port" (with the name's final dot), into
 * buf (MEMO_KEY bytes): in lower case, as curl keys its cache; no printf,
 * as this runs for every request. */
#define MEMO_KEY (sizeof(((struct lh_check *)0)->dns_name) + 1 + 1 + \
    LH_ULL_DIGITS)
static void
memo_key(const struct lh_check *c, char *buf)
{
    size_t n = strlen(c->dns_name);

    for (size_t i = 0; i < n; i++)
        buf[i] = (char)tolower((unsigned char)c->dns_name[i]);
    if (c->dns_dot)
        buf[n++] = '.';
    buf[n++] = ':';
    (void)lh_ull_text(buf + n, (unsigned long long)c->dns_port);
}

/* Does curl hold addrs for c's name now (m: its note, or NULL), so that
 * its request need not carry an entry? */
static bool
memo_holds(const struct lh_check *c, const struct resolve_memo *m,
    const char *addrs)
{
    const struct lh_checker *ck = c->ck;

    /* Requests that carry the configured entries too (any request when
     * a proxy is configured: a few more than need them), and any while a
     * forget waits, keep their own entry. */
    if (ck->resolve_all || c->probing || ck->base.proxy_http != NULL ||
        ck->base.proxy_https != NULL || lh_http_forgetting(ck->http))
        return false;
    return m != NULL && m->loaded && m->addrs != NULL &&
        m->generation == lh_http_dns_generation(ck->http) &&
        strcmp(m->addrs, addrs) == 0 &&
        lh_check_now_ms() - m->loaded_ms < MEMO_FRESH_MS &&
        /* curl ages entries by the wall clock, which may have jumped. */
        time(NULL) >= m->loaded_wall &&
        time(NULL) - m->loaded_wall < (time_t)(MEMO_FRESH_MS / 1000);
}

/*
 * The note of key (m when it has one) for a request about to carry the
 * entry of addrs: made when missing, its answer changed when another.
 * NULL when out of memory: then the request must not go, as an entry
 * curl loads unnoted could undo the note of another answer.
 */
static struct resolve_memo *
memo_note(struct lh_checker *ck, struct resolve_memo *m, const char *key,
    const char *addrs)
{
    if (m == NULL) {
        if ((m = calloc(1, sizeof(*m))) == NULL)
            return NULL;
        if ((m->key = strdup(key)) == NULL ||
            lh_strmap_put(&ck->memos, m->key, m) == -1) {
            free(m->key);
            free(m);
            return NULL;
        }
        m->next = ck->memo_list;
        ck->memo_list = m;
    }
    if (m->addrs == NULL || strcmp(m->addrs, addrs) != 0) {
        /* Another answer: what curl holds is not known until a request
         * with it is answered.  Without a copy of it (out of memory),
         * the next request changes it again. */
        m->loaded = false;
        m->seq = ++ck->memo_serial;
        m->inflight_cur = 0;
        free(m->addrs);
        if ((m->addrs = strdup(addrs)) == NULL)
            return NULL;
    }
    return m;
}

void
lh_check_resolve_sent(struct lh_check *c)
{
    struct lh_checker *ck = c->ck;
    struct resolve_memo *m = c->memo;

    if (m == NULL || c->memo_counted)
        return;
    ck->resolve_entries++;
    c->memo_counted = true;
    /* Sent while a forget waits, it may load into the cache that goes. */
    c->memo_clean = m->inflight == m->inflight_cur &&
        !lh_http_forgetting(ck->http);
    m->inflight++;
    m->inflight_cur++;
    c->memo_seq = m->seq;
    c->memo_generation = lh_http_dns_generation(ck->http);
    c->memo_sent_ms = lh_check_now_ms();
    c->memo_sent_wall = time(NULL);
}

void
lh_check_resolve_ended(struct lh_check *c, bool answered)
{
    struct resolve_memo *m = c->memo;

    if (m == NULL)
        return;
    c->memo = NULL;
    if (!c->memo_counted)
        return;             /* never sent */
    c->memo_counted = false;
    m->inflight--;
    if (c->memo_seq != m->seq)
        return;
    m->inflight_cur--;
    if (answered && c->memo_clean &&
        (!m->loaded || m->generation != c->memo_generation ||
            m->loaded_ms < c->memo_sent_ms)) {
        m->loaded = true;
        m->generation = c->memo_generation;
        m->loaded_ms = c->memo_sent_ms;
        m->loaded_wall = c->memo_sent_wall;
    }
}

unsigned long long
lh_checker_resolve_entries(const struct lh_checker *ck)
{
    return ck->resolve_entries;
}

void
lh_check_memos_prune(struct lh_checker *ck, bool all)
{
    struct resolve_memo **pp = &ck->memo_list, *m;

    while ((m = *pp) != NULL) {
        if (!all && m->inflight > 0) {
            /* Its requests still count; what curl holds is known again
             * once one of them is answered. */
            m->loaded = false;
            pp = &m->next;
            continue;
        }
        *pp = m->next;
        (void)lh_strmap_del(&ck->memos, m->key);
        free(m->key);
        free(m->addrs);
        free(m);
    }
    if (all)
        lh_strmap_cleanup(&ck->memos, NULL);
}

/* Is one of the addresses of list ("1.2.3.4,[::1]", a resolve entry's
 * answer) forbidden?  The first one is named in why. */
static bool
addrs_forbidden(const struct lh_netguard *g, const char *list, char *why,
    size_t whylen)
{
    while (*list != '\0') {
        char a[INET6_ADDRSTRLEN + 2];
        size_t n = strcspn(list, ",");
        const char *p = list;

        list += n + (list[n] == ',');
        if (*p == '[' && n >= 2 && p[n - 1] == ']') {
            p++;
            n -= 2;
        }
        if (n == 0 || n >= sizeof(a))
            continue;
        memcpy(a, p, n);
        a[n] = '\0';
        if (lh_netguard_forbids_text(g, a, why, whylen) == 1)
            return true;
    }
    return false;
}

bool
lh_check_target_forbidden(struct lh_check *c, char *why, size_t whylen)
{
    const struct lh_netguard *g = &c->ck->base.guard;
    const char *addrs;
    struct lh_url u;
    char host[INET6_ADDRSTRLEN + 2];

    if (lh_url_parse(c->url, &u) == -1 || u.hostlen >= sizeof(host)) {
        lh_seterr(why, whylen, "%s (its address cannot be judged)",
            c->host);
        return true;
    }
    if (u.ipv6 || is_address(c->host)) {
        memcpy(host, u.host, u.hostlen);
        host[u.hostlen] = '\0';
        return addrs_forbidden(g, host, why, whylen);
    }
    /* The name's answer: this request's lookup, or a configured one. */
    if ((addrs = resolve_answer(c->resolve, c->dns_name, c->dns_port,
            c->dns_dot, NULL)) == NULL && (addrs = resolve_answer(
            c->ck->base.resolve, c->dns_name, c->dns_port, c->dns_dot,
            NULL)) == NULL) {
        lh_seterr(why, whylen, "%s (its address cannot be judged)",
            c->host);
        return true;
    }
    return addrs_forbidden(g, addrs, why, whylen);
}

/*
 * The request for c->url after delay_ms: its connect name looked up
 * first when that is ours to do (dns_target), then sent.  0, and
 * check.c's done_cb runs once (or the check ends from dns_done_cb); or
 * -1 with r's fail and error set.
 */
int
lh_check_request(struct lh_check *c, unsigned delay_ms)
{
    char err[256];
    bool fresh = c->dns_fresh;

    c->dns_fresh = false;
    c->dns_answered = false;
    c->dns_used = false;
    c->dns_ms = -1;
    curl_slist_free_all(c->resolve);
    c->resolve = NULL;
    c->memo = NULL;             /* ended with the request before */
    c->resolve_merged = false;
    c->resolve_cfg = -1;
    if (lh_url_is_invalid_host(c->host) || !dns_target(c))
        return lh_check_send_request(c, delay_ms);
    c->dnsq = lh_dns_resolve(c->ck->dns, c->dns_name, delay_ms, fresh,
        dns_done_cb, c, err, sizeof(err));
    return c->dnsq == NULL ? lh_check_request_failed(c, err) : 0;
}

/* The lookup failed: that is this request's answer. */
static void
dns_failed(struct lh_check *c, const struct lh_dns_answer *a)
{
    struct lh_result *r = c->r;

    r->attempts++;
    if (lh_replace_string(&r->final_url, c->url) == -1) {
        lh_check_finish_oom(c);
        return;
    }
    r->method = c->method;
    r->http_status = 0;
    switch (a->status) {
    case LH_DNS_NXDOMAIN:
    case LH_DNS_NODATA:
        r->fail = LH_FAIL_DNS;
        break;
    case LH_DNS_SERVFAIL:
        r->fail = LH_FAIL_DNS_SERVFAIL;
        break;
    case LH_DNS_TIMEOUT:
        r->fail = LH_FAIL_DNS_TIMEOUT;
        break;
    case LH_DNS_NO_SERVER:
        r->fail = LH_FAIL_DNS_NO_SERVER;
        break;
    default:
        r->fail = LH_FAIL_OTHER;
        break;
    }
    lh_check_set_error(r, a->error);
    r->dns_answered = a->answered;
    r->timings.dns_ms = a->ms > 0 ? a->ms : -1;
    r->domain_gone = a->domain_gone;
    if (lh_replace_string(&r->dns_domain, a->domain) == -1) {
        r->dns_domain = NULL;
        r->domain_gone = false;     /* no domain to name in the reason */
    }
    lh_check_try_over(c);
}

static void
dns_done_cb(const struct lh_dns_answer *a, void *arg)
{
    struct lh_check *c = arg;
    struct curl_slist *list = NULL;
    struct resolve_memo *m;
    char *entry = NULL, key[MEMO_KEY];

    c->dnsq = NULL;
    if (a->status != LH_DNS_OK) {
        dns_failed(c, a);
        return;
    }
    c->dns_answered = a->answered;
    c->dns_used = true;
    /* A remembered answer took no time: unknown, like a phase skipped. */
    c->dns_ms = a->ms > 0 ? a->ms : -1;
    memo_key(c, key);
    m = lh_strmap_get(&c->ck->memos, key);
    if (memo_holds(c, m, a->addrs)) {
        if (lh_check_send_request(c, 0) == -1)
            lh_check_finish(c);
        return;
    }
    /* This request's resolve entry: its own answer (the configured ones
     * join it only where curl may look up other names,
     * lh_check_resolve_list).  "+": it ages out of the DNS cache of the
     * multi handle, which lives as long as the daemon, as curl's own
     * answers do; an entry without it would stay there for good, one per
     * name ever checked. */
    if (asprintf(&entry, "+%s%s:%ld:%s", c->dns_name, c->dns_dot ? "." : "",
            c->dns_port, a->addrs) < 0 ||
        (list = curl_slist_append(NULL, entry)) == NULL) {
        free(entry);
        lh_check_finish_oom(c);
        return;
    }
    free(entry);
    c->resolve = list;
    if ((c->memo = memo_note(c->ck, m, key, a->addrs)) == NULL) {
        lh_check_finish_oom(c);
        return;
    }
    if (lh_check_send_request(c, 0) == -1)
        lh_check_finish(c);
}

/*
 * curl parses every entry of a resolve list and puts it into its cache
 * at the start of each transfer that was given the list: a request gets
 * only what it may use.  It looks up one name, answered by c-ares (its
 * own entry) or by one configured entry (the one-entry list the checker
 * built for it), unless curl follows redirects (the probe) or connects
 * to a proxy (whose name a configured entry may answer), or the
 * configuration has a wildcard or removal entry (which applies to every
 * name): those requests get every configured entry, as before.
 */
int
lh_check_resolve_list(struct lh_check *c, struct curl_slist **list)
{
    struct lh_checker *ck = c->ck;
    bool all = ck->resolve_all || c->probing || c->rq.proxy != NULL;

    *list = NULL;
    if (c->resolve != NULL) {
        if (all && !c->resolve_merged) {
            for (const struct curl_slist *e = ck->base.resolve; e != NULL;
                e = e->next)
                if (curl_slist_append(c->resolve, e->data) == NULL)
                    return -1;
            c->resolve_merged = true;
        }
        *list = c->resolve;
    } else if (all) {
        *list = ck->base.resolve;
    } else if (c->resolve_cfg >= 0 &&
        (size_t)c->resolve_cfg < ck->nresolve_one) {
        *list = &ck->resolve_one[c->resolve_cfg];
    }
    return 0;
}
