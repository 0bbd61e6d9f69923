/*
 * netguard: address classification for the private-address guard, and
 * the curl socket-open hook that applies it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "netguard.h"
#include "util.h"

struct range {
    const char *net;
    const char *kind;
};

/* What is never a public web server. */
static const struct range forbidden[] = {
    { "0.0.0.0/8", "unspecified" },
    { "10.0.0.0/8", "private" },
    { "100.64.0.0/10", "carrier-grade NAT" },
    { "127.0.0.0/8", "loopback" },
    { "169.254.0.0/16", "link-local" },
    { "172.16.0.0/12", "private" },
    { "192.0.0.0/24", "IETF protocol assignments" },
    { "192.168.0.0/16", "private" },
    { "198.18.0.0/15", "benchmarking" },
    { "224.0.0.0/4", "multicast" },
    { "240.0.0.0/4", "reserved" },
    { "::/128", "unspecified" },
    { "::1/128", "loopback" },
    { "64:ff9b:1::/48", "local-use NAT64" },
    { "fc00::/7", "unique-local" },
    { "fe80::/10", "link-local" },
    { "ff00::/8", "multicast" },
};
#define NFORBIDDEN (sizeof(forbidden) / sizeof(forbidden[0]))

int
lh_cidr_parse(const char *s, struct lh_cidr *out)
{
    char buf[INET6_ADDRSTRLEN + 8];
    char *slash, *end;
    long bits;

    if (strlen(s) >= sizeof(buf))
        return -1;
    memcpy(buf, s, strlen(s) + 1);
    memset(out, 0, sizeof(*out));
    slash = strchr(buf, '/');
    if (slash != NULL)
        *slash = '\0';
    if (inet_pton(AF_INET, buf, out->addr) == 1)
        out->family = AF_INET;
    else if (inet_pton(AF_INET6, buf, out->addr) == 1)
        out->family = AF_INET6;
    else
        return -1;
    out->bits = out->family == AF_INET ? 32 : 128;
    if (slash != NULL) {
        bits = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end != '\0' || bits < 0 ||
            bits > (long)out->bits)
            return -1;
        out->bits = (unsigned)bits;
    }
    return 0;
}

static bool
cidr_contains(const struct lh_cidr *c, int family, const unsigned char *a)
{
    unsigned full = c->bits / 8, rest = c->bits % 8;

    if (c->family != family)
        return false;
    if (memcmp(c->addr, a, full) != 0)
        return false;
    if (rest == 0)
        return true;
    return ((c->addr[full] ^ a[full]) & (0xff << (8 - rest))) == 0;
}

int
lh_netguard_init(struct lh_netguard *g, bool allow_private,
    char *const *networks, size_t nnetworks, char *err, size_t errlen)
{
    memset(g, 0, sizeof(*g));
    g->allow_private = allow_private;
    if (nnetworks == 0)
        return 0;
    if ((g->allow = calloc(nnetworks, sizeof(*g->allow))) == NULL) {
        lh_seterr(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < nnetworks; i++) {
        if (lh_cidr_parse(networks[i], &g->allow[i]) == -1) {
            lh_seterr(err, errlen, "allow_networks: \"%s\" is not a network",
                networks[i]);
            lh_netguard_cleanup(g);
            return -1;
        }
    }
    g->nallow = nnetworks;
    return 0;
}

void
lh_netguard_cleanup(struct lh_netguard *g)
{
    free(g->allow);
    memset(g, 0, sizeof(*g));
}

/*
 * IPv6 addresses that carry an IPv4 address and, through a translator,
 * a tunnel or the host's own dual stack, reach it: each is judged by the
 * IPv4 address inside, so ::ffff:127.0.0.1, ::7f00:1, 64:ff9b::7f00:1,
 * 2002:7f00:1:: and a Teredo address hiding 127.0.0.1 are all loopback,
 * and one that carries a public address is as public as that address.
 * The local-use NAT64 prefix 64:ff9b:1::/48 is not here but in forbidden:
 * where its IPv4 address sits depends on a prefix length only the local
 * operator knows (RFC 6052, 2.2), and it is never global (RFC 8215).
 */
struct embedding {
    const char *name;
    unsigned char prefix[12];
    unsigned prefixlen;         /* bytes of prefix to compare */
    unsigned at;                /* where the IPv4 address starts */
    unsigned char flip;         /* XOR applied to it (Teredo) */
};

static const struct embedding embeddings[] = {
    { "IPv4-mapped", { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff }, 12, 12,
        0 },
    /* SIIT's IPv4-translated form (RFC 2765), ::ffff:0:a.b.c.d. */
    { "IPv4-translated", { 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0 }, 12,
        12, 0 },
    /* Deprecated (RFC 4291, 2.5.5.1) but still routed by some stacks;
     * :: and ::1 themselves are IPv6's own, see embedded(). */
    { "IPv4-compatible", { 0 }, 12, 12, 0 },
    { "NAT64", { 0, 0x64, 0xff, 0x9b }, 12, 12, 0 },
    { "6to4", { 0x20, 0x02 }, 2, 2, 0 },
    /* Teredo (RFC 4380): the client's address, bits inverted. */
    { "Teredo", { 0x20, 0x01, 0, 0 }, 4, 12, 0xff },
};
#define NEMBEDDINGS (sizeof(embeddings) / sizeof(embeddings[0]))

/* The embedding a6 is spelt in, with the IPv4 address inside in v4, or
 * NULL when it carries none. */
static const struct embedding *
embedded(const unsigned char *a6, unsigned char *v4)
{
    static const unsigned char zero[16];

    for (size_t i = 0; i < NEMBEDDINGS; i++) {
        const struct embedding *e = &embeddings[i];

        if (memcmp(a6, e->prefix, e->prefixlen) != 0)
            continue;
        /* ::/127 is IPv6's unspecified and loopback address, not
         * 0.0.0.0 and 0.0.0.1. */
        if (e->at == 12 && e->prefixlen == 12 &&
            memcmp(e->prefix, zero, 12) == 0 &&
            memcmp(a6 + 12, zero, 3) == 0 && a6[15] <= 1)
            return NULL;
        for (int j = 0; j < 4; j++)
            v4[j] = a6[e->at + j] ^ e->flip;
        return e;
    }
    return NULL;
}

static const char *
kind_of(const struct lh_cidr *nets, int family, const unsigned char *a)
{
    for (size_t i = 0; i < NFORBIDDEN; i++)
        if (cidr_contains(&nets[i], family, a))
            return forbidden[i].kind;
    return NULL;
}

static bool
allowed(const struct lh_netguard *g, int family, const unsigned char *a)
{
    for (size_t i = 0; i < g->nallow; i++)
        if (cidr_contains(&g->allow[i], family, a))
            return true;
    return false;
}

bool
lh_netguard_forbids(const struct lh_netguard *g, const struct sockaddr *sa,
    char *why, size_t whylen)
{
    static struct lh_cidr nets[NFORBIDDEN];
    static bool parsed;
    const struct embedding *emb = NULL;
    unsigned char a[16], v4[4];
    char text[INET6_ADDRSTRLEN], text4[INET_ADDRSTRLEN];
    int family = sa->sa_family;
    const char *kind;

    if (g->allow_private)
        return false;
    if (!parsed) {
        for (size_t i = 0; i < NFORBIDDEN; i++)
            (void)lh_cidr_parse(forbidden[i].net, &nets[i]);
        parsed = true;
    }
    if (family == AF_INET)
        memcpy(a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    else if (family == AF_INET6)
        memcpy(a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    else {
        lh_seterr(why, whylen, "address family %d", family);
        return true;
    }
    /* An allowed network lets the address through in either spelling:
     * "allow_networks = 10.0.0.0/8" covers ::ffff:10.1.2.3 too. */
    if (allowed(g, family, a))
        return false;
    if (family == AF_INET6 && (emb = embedded(a, v4)) != NULL) {
        if (allowed(g, AF_INET, v4))
            return false;
        kind = kind_of(nets, AF_INET, v4);
    } else
        kind = kind_of(nets, family, a);
    if (kind == NULL)
        return false;
    if (inet_ntop(family, a, text, sizeof(text)) == NULL)
        snprintf(text, sizeof(text), "?");
    if (emb == NULL) {
        lh_seterr(why, whylen, "%s (%s)", text, kind);
        return true;
    }
    if (inet_ntop(AF_INET, v4, text4, sizeof(text4)) == NULL)
        snprintf(text4, sizeof(text4), "?");
    lh_seterr(why, whylen, "%s (%s %s %s)", text, emb->name, kind, text4);
    return true;
}

int
lh_netguard_forbids_text(const struct lh_netguard *g, const char *text,
    char *why, size_t whylen)
{
    struct sockaddr_storage ss;

    memset(&ss, 0, sizeof(ss));
    if (inet_pton(AF_INET, text,
            &((struct sockaddr_in *)&ss)->sin_addr) == 1)
        ss.ss_family = AF_INET;
    else if (inet_pton(AF_INET6, text,
            &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
        ss.ss_family = AF_INET6;
    else
        return -1;
    return lh_netguard_forbids(g, (struct sockaddr *)&ss, why, whylen) ?
        1 : 0;
}

static curl_socket_t
opensocket_cb(void *clientp, curlsocktype purpose,
    struct curl_sockaddr *address)
{
    struct lh_netguard_ctx *ctx = clientp;
    char why[sizeof(ctx->refused)];
    curl_socket_t fd;

    if (purpose == CURLSOCKTYPE_IPCXN && ctx != NULL && ctx->guard != NULL &&
        lh_netguard_forbids(ctx->guard, &address->addr, why, sizeof(why))) {
        if (ctx->refused[0] == '\0')
            memcpy(ctx->refused, why, sizeof(why));
        return CURL_SOCKET_BAD;
    }
    fd = socket(address->family, address->socktype, address->protocol);
    if (fd == -1 && ctx != NULL)
        ctx->socket_errno = errno;
    else if (ctx != NULL && ctx->opened_cb != NULL)
        ctx->opened_cb(ctx->opened_arg, fd);
    return fd;
}

/*
 * Before each request goes out, on a new connection or one curl kept:
 * a kept connection was judged when it was opened, perhaps for another
 * user of the engine (a webhook, which the guard leaves alone) or under
 * an earlier configuration, and curl reuses any connection to the host
 * after a redirect.  The address it leads to is judged again here.
 */
static int
prereq_cb(void *clientp, char *primary_ip, char *local_ip, int primary_port,
    int local_port)
{
    struct lh_netguard_ctx *ctx = clientp;
    char why[sizeof(ctx->refused)];

    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    /* No address: curl's getpeername failed (the peer reset at once), so
     * this is this transfer's own new connection, whose socket was
     * judged when it was opened; curl reuses no connection without one.
     * What follows is the reset's, not the guard's. */
    if (ctx == NULL || ctx->guard == NULL || ctx->guard->allow_private ||
        primary_ip == NULL || primary_ip[0] == '\0')
        return CURL_PREREQFUNC_OK;
    switch (lh_netguard_forbids_text(ctx->guard, primary_ip, why,
            sizeof(why))) {
    case 0:
        return CURL_PREREQFUNC_OK;
    case -1:
        lh_seterr(why, sizeof(why), "%.100s (not an address)", primary_ip);
        break;
    }
    memcpy(ctx->refused, why, sizeof(why));
    ctx->refused_before_request = true;
    return CURL_PREREQFUNC_ABORT;
}

int
lh_netguard_apply(void *easy, struct lh_netguard_ctx *ctx)
{
    ctx->refused[0] = '\0';
    ctx->refused_before_request = false;
    ctx->socket_errno = 0;
    if (curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, opensocket_cb) !=
        CURLE_OK ||
        curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, ctx) != CURLE_OK ||
        curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, prereq_cb) !=
        CURLE_OK ||
        curl_easy_setopt(easy, CURLOPT_PREREQDATA, ctx) != CURLE_OK)
        return -1;
    return 0;
}

bool
lh_netguard_refused(const struct lh_netguard_ctx *ctx, int code)
{
    /* A refused address of several may be followed by an allowed one:
     * the guard stopped the transfer only when curl could connect to
     * none, or when the hook before the request said no. */
    return (code == CURLE_COULDNT_CONNECT && ctx->refused[0] != '\0') ||
        (code == CURLE_ABORTED_BY_CALLBACK && ctx->refused_before_request);
}
