/*
 * result: the record of one link check, filled by check.c and read by
 * classify.c, state.c and status.c.  Plain data; no curl, no libuv.
 */
#ifndef LH_RESULT_H
#define LH_RESULT_H

#include <stdbool.h>
#include <stddef.h>

enum lh_method {
    LH_METHOD_HEAD = 0,
    LH_METHOD_GET
};

/* Why a check got no usable HTTP answer (or why the chain was cut). */
enum lh_fail {
    LH_FAIL_NONE = 0,
    LH_FAIL_DNS,                /* the name does not resolve */
    LH_FAIL_REFUSED,            /* connection refused */
    LH_FAIL_RESET,              /* connection reset by the peer */
    LH_FAIL_EMPTY_REPLY,        /* closed without a byte of answer */
    LH_FAIL_TLS_EXPIRED,        /* certificate expired */
    LH_FAIL_TLS_HOSTNAME,       /* certificate does not match the host */
    LH_FAIL_TLS_UNTRUSTED,      /* issuer not trusted */
    LH_FAIL_TLS_HANDSHAKE,      /* any other TLS failure */
    LH_FAIL_TIMEOUT_CONNECT,    /* no TCP connection in time */
    LH_FAIL_TIMEOUT_TLS,        /* TCP up, TLS handshake not finished */
    LH_FAIL_TIMEOUT_FIRST_BYTE, /* connected, no answer in time */
    LH_FAIL_TIMEOUT_BODY,       /* answer started, did not finish */
    LH_FAIL_PROTOCOL,           /* not HTTP: garbage status line etc. */
    LH_FAIL_TOO_MANY_REDIRECTS, /* more than max_redirects hops */
    LH_FAIL_REDIRECT_LOOP,      /* a hop pointed at a URL already visited */
    LH_FAIL_BAD_SCHEME,         /* URL or redirect target not http(s) */
    LH_FAIL_BAD_URL,            /* URL or Location does not parse */
    LH_FAIL_FORBIDDEN_ADDRESS,  /* refused by the private-address guard */
    LH_FAIL_DNS_SERVFAIL,       /* the name's DNS server failed */
    LH_FAIL_DNS_TIMEOUT,        /* no DNS answer in time */
    LH_FAIL_DNS_NO_SERVER,      /* no DNS server could be reached: ours */
    LH_FAIL_NO_ROUTE,           /* network or host unreachable */
    LH_FAIL_TLS_NOT_YET_VALID,  /* certificate not valid yet */
    LH_FAIL_TIMEOUT_HEADERS,    /* status line came, the headers never ended */
    LH_FAIL_HEADER_TOO_BIG,     /* a response header over curl's limit */
    LH_FAIL_BAD_IDN,            /* a redirect's host name does not convert
                                   to A-labels (not a valid IDN) */
    LH_FAIL_LOCAL,              /* the monitor's own resources ran out */
    LH_FAIL_OTHER               /* anything else; see error */
};

/* One redirect: the URL asked, the 3xx it got, where it pointed. */
struct lh_hop {
    char *url;
    int status;
    char *location;     /* absolute, resolved against url; may be NULL */
    bool refresh;       /* a refresh (meta or header) of a 2xx page */
};

struct lh_page;

/* Milliseconds from the start of the deciding request; -1 when unknown. */
struct lh_timings {
    double dns_ms;
    double connect_ms;
    double tls_ms;
    double first_byte_ms;
    double total_ms;    /* whole check: every hop, fallback and retry */
};

struct lh_result {
    char *url;              /* as listed */
    char *final_url;        /* last URL asked; NULL when nothing was asked */
    int http_status;        /* final status; 0 when none */
    enum lh_method method;  /* method of the request that decided */
    int head_status;        /* what HEAD got when GET was used; 0 otherwise */
    bool head_skipped;      /* GET straight away: the host refuses HEAD */
    enum lh_fail fail;
    char *error;            /* curl's error text or our own; NULL if none */
    struct lh_hop *hops;    /* the redirect chain, in order */
    size_t nhops;
    int attempts;           /* requests made for the deciding try, >= 1 */
    int retries;            /* whole retries after transient failures */
    bool challenge;         /* a bot-challenge signature was seen */
    long retry_after;       /* seconds asked by the last 429/503; -1 none */
    struct lh_timings timings;
    long long cert_expiry;  /* leaf certificate notAfter (Unix); 0 unknown */
    long long checked_at;   /* Unix time the check finished */
    double checked_mono_ms; /* the same moment on the monotonic clock
                               (lh_check_now_ms); 0: not known */
    int os_errno;           /* a failed connect's OS error (ENETUNREACH…);
                               0 when none */
    /* DNS, when the check looked the name up (lib/dns.c): a DNS server
     * really answered (an address, NXDOMAIN, SERVFAIL); and, after an
     * NXDOMAIN, the registrable domain (Public Suffix List) and whether
     * it does not exist either: a lapsed domain. */
    bool dns_answered;
    char *dns_domain;       /* NULL when not looked at */
    bool domain_gone;

    /* The content check (page.h), when one was due. */
    struct lh_page *page;   /* the final page, read by this check; owned;
                               NULL when not read */
    bool same_as_probe;     /* the page cannot be told from the answer to
                               a random path of the same server */
    /* The 2xx answer the chain reached before any reading: its status,
     * its URL and validators (NULL: none; -1: unknown). */
    int seen_status;
    char *seen_url;
    char *etag;
    char *last_modified;
    long long content_length;
    /* Not read this time, the answer unchanged: the verdict the page had
     * when it was last read (an enum lh_state; 0 none) and its reason. */
    int kept_state;
    char *kept_reason;
};

void lh_result_init(struct lh_result *r);
void lh_result_cleanup(struct lh_result *r);
/* Free what only the verdict needed of a content check (page, seen_url,
 * the validators, the kept verdict) once its memo is taken: a link keeps
 * its last result until the next check, and 100,000 of them add up. */
void lh_result_drop_page(struct lh_result *r);
/* Drop the chain and the answer, keep url: for a fresh retry. */
void lh_result_reset(struct lh_result *r);
/* Append a hop; strings are copied.  Returns 0, or -1 when out of memory. */
int lh_result_add_hop(struct lh_result *r, const char *url, int status,
    const char *location);

/*
 * A server answered this check: an HTTP status, a refusal (TCP RST), a
 * reset or a timeout after the connection was made, TLS handshake data,
 * a garbage reply, a DNS server's NXDOMAIN or SERVFAIL (dns_answered).
 * A DNS failure curl's resolver reports (no answer and NXDOMAIN look
 * alike), a connect timeout, no route, and the monitor's own failures
 * are not heard back.
 */
bool lh_result_heard_back(const struct lh_result *r);
/* The check needed no network to be decided: a bad URL or scheme, a
 * private address refused before any request, a name under .invalid
 * (never looked up). */
bool lh_result_offline(const struct lh_result *r);
/* The check failed for the monitor's own reasons (its resources, no DNS
 * server at all): it says nothing about the link. */
bool lh_result_local(const struct lh_result *r);

const char *lh_method_name(enum lh_method m);      /* "HEAD", "GET" */
const char *lh_fail_name(enum lh_fail f);          /* "dns", "timeout-tls"… */

#endif
