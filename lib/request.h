/*
 * request: the one builder of linkhealthd's curl requests.  It owns what
 * every request has in common, whoever makes it (a link check, the
 * directory download): the User-Agent with the contact, http and https
 * only, TLS verified (against ca_file when set), the resolve and
 * connect_to overrides, the time limits, the private-address guard, no
 * signals and curl's error text.  Each caller sets only what is its own.
 */
#ifndef LH_REQUEST_H
#define LH_REQUEST_H

#include <stddef.h>

#include "config.h"
#include "netguard.h"

/* CURL_ERROR_SIZE, which request.c checks, without curl.h here. */
#define LH_REQUEST_ERROR_SIZE   256

struct curl_slist;
struct lh_http;

/* What the configuration says of every request; built once, read-only
 * afterwards, shared by every request made from it. */
struct lh_request_base {
    char *user_agent;           /* "linkhealthd/0.1.0 (+CONTACT)" */
    char *ca_file;              /* NULL: the system store */
    struct curl_slist *resolve;     /* NULL: none */
    struct curl_slist *connect_to;  /* NULL: none */
    unsigned timeout_ms, connect_timeout_ms;
    struct lh_netguard guard;
    char *proxy_http;           /* the proxy of http URLs, or NULL */
    char *proxy_https;          /* of https URLs, or NULL */
    char *no_proxy;             /* hosts reached without it, or NULL */
    struct lh_http *http;       /* told of each socket opened (its owner
                                   sets it); NULL: none */
};

/* One transfer's own part of the set-up, filled in by curl and the guard
 * while it runs; must outlive the transfer. */
struct lh_request {
    struct lh_netguard_ctx guard;       /* the address refused, if any */
    const char *proxy;                  /* the proxy it goes through, or
                                           NULL: straight to the server */
    char errbuf[LH_REQUEST_ERROR_SIZE]; /* curl's error text, or "" */
};

/*
 * Fill *b from cfg, whose strings are copied (cfg may go away after).
 * The User-Agent is cfg's user_agent, with " (+contact)" appended when a
 * contact is set (linkhealthd.conf(5), contact).  Returns 0, or -1 with a
 * sentence in err ("out of memory", or the bad network of allow_networks);
 * *b is then safe to clean up.
 */
int lh_request_base_init(struct lh_request_base *b,
    const struct lh_config *cfg, char *err, size_t errlen);
void lh_request_base_cleanup(struct lh_request_base *b);

/*
 * The proxy a request for url goes through, or NULL.  Only a configured
 * proxy is used (the environment's only with proxy = env, read when the
 * configuration is); no_proxy lists hosts reached without it: "*", or
 * names (a name also covers the names under it; a leading dot is
 * allowed) and addresses, separated by commas or blanks.
 */
const char *lh_request_proxy(const struct lh_request_base *b,
    const char *url);

/* s is a proxy URL linkhealthd accepts: http, https, socks4, socks4a,
 * socks5 or socks5h, with a host. */
bool lh_proxy_url_ok(const char *s);

/*
 * The set-up in two halves, for an easy handle used for many requests:
 * lh_request_prepare once (protocols, no signals, User-Agent, TLS
 * verification, CA file, connect_to, no proxy from the environment), then
 * lh_request_aim for each request (url, its proxy, the time limits, the
 * guard and the error text, as lh_request_setup says).  Neither sets b's
 * resolve list: the caller gives each request the entries it needs.  0,
 * or -1 when curl refused an option (out of memory): do not start, nor
 * reuse, that handle.
 */
int lh_request_prepare(void *easy, const struct lh_request_base *b);
int lh_request_aim(void *easy, const struct lh_request_base *b,
    struct lh_request *rq, const char *url, unsigned timeout_ms);

/*
 * Set up easy (a fresh CURL *) for url with what every request shares:
 * protocols http and https (redirect targets too, when the caller lets
 * curl follow them), no signals, b's User-Agent, TLS peer and host
 * verification, b's CA file, resolve and connect_to, b's guard through
 * rq->guard, and curl's error text into rq->errbuf (emptied here).
 * timeout_ms bounds the whole transfer (0: b's timeout); the connection
 * gets b's connect timeout, or timeout_ms when that is shorter.
 *
 * b (its lists and guard) and rq must outlive the transfer; curl copies
 * url.  Returns 0, or -1 when curl refused an option (out of memory): do
 * not start that handle.
 */
int lh_request_setup(void *easy, const struct lh_request_base *b,
    struct lh_request *rq, const char *url, unsigned timeout_ms);

/*
 * A new easy handle (a CURL *) set up by lh_request_setup, for a request
 * made once (the directory download, a webhook's POST), its sockets told
 * to b's http: NULL when out of memory or curl refused an option.  The
 * caller cleans it up with curl_easy_cleanup.
 */
void *lh_request_new(const struct lh_request_base *b, struct lh_request *rq,
    const char *url, unsigned timeout_ms);

/* Why a finished request failed with result (a CURLcode): curl's error
 * text in rq, else the code's.  Valid while rq is. */
const char *lh_request_error(const struct lh_request *rq, int result);

#endif
