/*
 * netguard: the private-address guard.  Decides, for the address a
 * connection is about to use, whether linkhealthd may connect to it:
 * by default not to loopback, private (RFC 1918), link-local, carrier-grade
 * NAT, unique-local, multicast or unspecified addresses, unless an allowed
 * network covers it.  Wired into curl through CURLOPT_OPENSOCKETFUNCTION
 * and CURLOPT_PREREQFUNCTION, so it judges the address actually used,
 * after DNS, for every hop, on a new connection or a kept one.
 */
#ifndef LH_NETGUARD_H
#define LH_NETGUARD_H

#include <stdbool.h>
#include <stddef.h>

struct sockaddr;

struct lh_cidr {
    int family;                 /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    unsigned bits;
};

struct lh_netguard {
    bool allow_private;         /* the guard is off */
    struct lh_cidr *allow;      /* networks allowed even if private */
    size_t nallow;
};

/* One connection's view: the guard and the first address refused. */
struct lh_netguard_ctx {
    const struct lh_netguard *guard;
    char refused[128];          /* "10.0.0.7 (private)", or "" */
    bool refused_before_request;/* refused is the request hook's */
    int socket_errno;           /* why socket() failed, or 0 */
    /* Told of every socket opened (NULL: no one is). */
    void (*opened_cb)(void *arg, int fd);
    void *opened_arg;
};

/* Parse "10.0.0.0/8", "fd00::/8" or a bare address (a /32 or /128).
 * 0, or -1 when s is not a network. */
int lh_cidr_parse(const char *s, struct lh_cidr *out);

/*
 * Fill *g from the configuration's allow_private and allow_networks.
 * Returns 0, or -1 with err naming the bad network.
 */
int lh_netguard_init(struct lh_netguard *g, bool allow_private,
    char *const *networks, size_t nnetworks, char *err, size_t errlen);
void lh_netguard_cleanup(struct lh_netguard *g);

/*
 * Whether g forbids a connection to sa.  When it does, returns true and
 * writes the address and its kind ("127.0.0.1 (loopback)") into why; an
 * IPv6 address that carries an IPv4 one (IPv4-mapped, IPv4-translated,
 * IPv4-compatible, NAT64, 6to4, Teredo) is judged by that IPv4 address
 * and named with both ("::7f00:1" gives "::127.0.0.1 (IPv4-compatible
 * loopback 127.0.0.1)").
 */
bool lh_netguard_forbids(const struct lh_netguard *g,
    const struct sockaddr *sa, char *why, size_t whylen);

/* The same for an address in text ("10.0.0.7", "::1", no brackets): 1
 * forbidden (why says why), 0 allowed, -1 text is not an address. */
int lh_netguard_forbids_text(const struct lh_netguard *g, const char *text,
    char *why, size_t whylen);

/*
 * Make curl easy handle easy (a CURL *) ask ctx before every socket it
 * opens (CURLOPT_OPENSOCKETFUNCTION): a refused address gets no socket, so
 * curl tries the next address or fails with CURLE_COULDNT_CONNECT, and
 * ctx->refused says why.  And again before each request goes out, on
 * whatever connection (CURLOPT_PREREQFUNCTION): a kept-alive connection
 * to a refused address fails the transfer with CURLE_ABORTED_BY_CALLBACK.
 * ctx must outlive the transfer.  0, or -1 when curl refuses an option.
 */
int lh_netguard_apply(void *easy, struct lh_netguard_ctx *ctx);

/* Whether a transfer that ended with curl's code (a CURLcode) was stopped
 * by ctx's guard. */
bool lh_netguard_refused(const struct lh_netguard_ctx *ctx, int code);

#endif
