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

bool
lh_netguard_forbids(const struct lh_netguard *g, const struct sockaddr *sa,
    char *why, size_t whylen)
{
    static struct lh_cidr nets[NFORBIDDEN];
    static bool parsed;
    static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0xff, 0xff };
    static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };
    unsigned char a[16], mapped[4];
    char text[INET6_ADDRSTRLEN];
    int family = sa->sa_family;
    const char *kind = NULL;

    if (g->allow_private)
        return false;
    if (!parsed) {
        for (size_t i = 0; i < NFORBIDDEN; i++)
            (void)lh_cidr_parse(forbidden[i].net, &nets[i]);
        parsed = true;
    }
    if (family == AF_INET) {
        memcpy(a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (family == AF_INET6) {
        memcpy(a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        /* An IPv4-mapped or NAT64 address is judged as the IPv4 inside. */
        if (memcmp(a, v4mapped, 12) == 0 || memcmp(a, nat64, 12) == 0) {
            memcpy(mapped, a + 12, 4);
            memcpy(a, mapped, 4);
            family = AF_INET;
        }
    } else {
        lh_seterr(why, whylen, "address family %d", family);
        return true;
    }
    for (size_t i = 0; i < g->nallow; i++)
        if (cidr_contains(&g->allow[i], family, a))
            return false;
    for (size_t i = 0; i < NFORBIDDEN && kind == NULL; i++)
        if (cidr_contains(&nets[i], family, a))
            kind = forbidden[i].kind;
    if (kind == NULL)
        return false;
    if (inet_ntop(sa->sa_family, sa->sa_family == AF_INET ?
            (const void *)&((const struct sockaddr_in *)sa)->sin_addr :
            (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr,
            text, sizeof(text)) == NULL)
        snprintf(text, sizeof(text), "?");
    lh_seterr(why, whylen, "%s (%s)", text, kind);
    return true;
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
    return fd;
}

int
lh_netguard_apply(void *easy, struct lh_netguard_ctx *ctx)
{
    ctx->refused[0] = '\0';
    ctx->socket_errno = 0;
    if (curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, opensocket_cb) !=
        CURLE_OK ||
        curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, ctx) != CURLE_OK)
        return -1;
    return 0;
}
