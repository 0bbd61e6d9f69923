/*
 * request: the set-up every curl request of linkhealthd shares, built
 * once from the configuration (struct lh_request_base) and applied to
 * each easy handle: once what never changes, then each request's own.  What a check or a fetch does with the answer
 * is theirs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "http.h"
#include "request.h"
#include "url.h"
#include "util.h"

static int proxy_init(struct lh_request_base *b,
    const struct lh_config *cfg);

_Static_assert(LH_REQUEST_ERROR_SIZE >= CURL_ERROR_SIZE,
    "LH_REQUEST_ERROR_SIZE is below curl's CURL_ERROR_SIZE");

int
lh_request_base_init(struct lh_request_base *b, const struct lh_config *cfg,
    char *err, size_t errlen)
{
    int n;

    memset(b, 0, sizeof(*b));
    b->timeout_ms = cfg->timeout_ms;
    b->connect_timeout_ms = cfg->connect_timeout_ms;
    if (lh_netguard_init(&b->guard, cfg->allow_private, cfg->allow_networks,
            cfg->nallow_networks, err, errlen) == -1)
        return -1;
    if (cfg->contact != NULL && *cfg->contact != '\0')
        n = asprintf(&b->user_agent, "%s (+%s)", cfg->user_agent,
            cfg->contact);
    else
        n = lh_replace_string(&b->user_agent, cfg->user_agent);
    if (n < 0) {
        b->user_agent = NULL;
        goto nomem;
    }
    if (proxy_init(b, cfg) == -1 ||
        lh_replace_string(&b->ca_file, cfg->ca_file) == -1 ||
        lh_http_slist_append(&b->resolve, cfg->resolve, cfg->nresolve) ==
            -1 ||
        lh_http_slist_append(&b->connect_to, cfg->connect_to,
            cfg->nconnect_to) == -1)
        goto nomem;
    return 0;
nomem:
    lh_seterr(err, errlen, "out of memory");
    lh_request_base_cleanup(b);
    return -1;
}

void
lh_request_base_cleanup(struct lh_request_base *b)
{
    lh_netguard_cleanup(&b->guard);
    curl_slist_free_all(b->resolve);
    curl_slist_free_all(b->connect_to);
    free(b->user_agent);
    free(b->ca_file);
    free(b->proxy_http);
    free(b->proxy_https);
    free(b->no_proxy);
    memset(b, 0, sizeof(*b));
}

bool
lh_proxy_url_ok(const char *s)
{
    static const char *const schemes[] = {
        "http://", "https://", "socks4://", "socks4a://", "socks5://",
        "socks5h://",
    };

    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t n = strlen(schemes[i]);

        if (strncasecmp(s, schemes[i], n) == 0)
            return s[n] != '\0' && s[n] != '/' && s[n] != ':' &&
                strpbrk(s, " \t\r\n") == NULL;
    }
    return false;
}

/* The first of the environment variables names that is set and not "". */
static const char *
env_first(const char *const *names)
{
    const char *v;

    for (; *names != NULL; names++)
        if ((v = getenv(*names)) != NULL && *v != '\0')
            return v;
    return NULL;
}

/*
 * The proxies of the configuration.  proxy = env reads the environment
 * as curl would (http_proxy in lower case only, as a CGI program's
 * HTTP_PROXY may come from a request header), but once, here: a proxy
 * in the environment is otherwise never used.
 */
static int
proxy_init(struct lh_request_base *b, const struct lh_config *cfg)
{
    static const char *const http[] = { "http_proxy", "all_proxy",
        "ALL_PROXY", NULL };
    static const char *const https[] = { "https_proxy", "HTTPS_PROXY",
        "all_proxy", "ALL_PROXY", NULL };
    static const char *const none[] = { "no_proxy", "NO_PROXY", NULL };
    const char *ph = cfg->proxy, *ps = cfg->proxy, *np = cfg->no_proxy;

    if (cfg->proxy != NULL && strcmp(cfg->proxy, "env") == 0) {
        ph = env_first(http);
        ps = env_first(https);
        if (np == NULL)
            np = env_first(none);
    }
    return lh_replace_string(&b->proxy_http, ph) == -1 ||
        lh_replace_string(&b->proxy_https, ps) == -1 ||
        lh_replace_string(&b->no_proxy, np) == -1 ? -1 : 0;
}

/* Does the no_proxy word w name host (or a domain above it)? */
static bool
no_proxy_match(const char *w, const char *host)
{
    size_t wn, hn = strlen(host);

    if (strcmp(w, "*") == 0)
        return true;
    if (*w == '.')
        w++;
    wn = strlen(w);
    if (wn > 0 && w[wn - 1] == '.')
        wn--;
    if (wn == 0 || wn > hn)
        return false;
    return strncasecmp(host + hn - wn, w, wn) == 0 &&
        (hn == wn || host[hn - wn - 1] == '.');
}

const char *
lh_request_proxy(const struct lh_request_base *b, const char *url)
{
    const char *proxy = lh_url_is_http(url) && (url[4] == 's' ||
        url[4] == 'S') ? b->proxy_https : b->proxy_http;
    const char *list = b->no_proxy;
    char host[256], word[256];
    size_t n;

    if (proxy == NULL)
        return NULL;
    if (list == NULL || lh_url_host(url, host, sizeof(host)) == -1)
        return proxy;
    n = strlen(host);
    if (n > 0 && host[n - 1] == '.')
        host[n - 1] = '\0';
    while (lh_list_next(&list, word, sizeof(word)) > 0) {
        /* An IPv6 address is written in its brackets or without. */
        if (host[0] == '[' && word[0] != '[' &&
            strncasecmp(host + 1, word, strlen(word)) == 0 &&
            host[1 + strlen(word)] == ']')
            return NULL;
        if (no_proxy_match(word, host))
            return NULL;
    }
    return proxy;
}

int
lh_request_prepare(void *easy, const struct lh_request_base *b)
{
    CURL *e = easy;

    if (curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") !=
            CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") !=
            CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_USERAGENT, b->user_agent) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
        /* Set always: "" keeps curl from taking a proxy, or exceptions
         * to one, from the environment (lh_request_aim sets the proxy
         * of each URL when one is configured). */
        curl_easy_setopt(e, CURLOPT_PROXY, "") != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_NOPROXY, "") != CURLE_OK)
        return -1;
    if (b->connect_to != NULL &&
        curl_easy_setopt(e, CURLOPT_CONNECT_TO, b->connect_to) != CURLE_OK)
        return -1;
    if (b->ca_file != NULL &&
        curl_easy_setopt(e, CURLOPT_CAINFO, b->ca_file) != CURLE_OK)
        return -1;
    return 0;
}

static void
opened_cb(void *arg, int fd)
{
    lh_http_socket_opened(arg, fd);
}

int
lh_request_aim(void *easy, const struct lh_request_base *b,
    struct lh_request *rq, const char *url, unsigned timeout_ms)
{
    long timeout = timeout_ms != 0 ? (long)timeout_ms : (long)b->timeout_ms;
    long connect = (long)b->connect_timeout_ms < timeout ?
        (long)b->connect_timeout_ms : timeout;
    CURL *e = easy;

    rq->errbuf[0] = '\0';
    rq->proxy = lh_request_proxy(b, url);
    /* Through a proxy the only socket is the proxy's, which the
     * administrator chose: the target is judged before (check.c). */
    rq->guard.guard = rq->proxy == NULL ? &b->guard : NULL;
    rq->guard.opened_cb = b->http != NULL ? opened_cb : NULL;
    rq->guard.opened_arg = b->http;
    if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect) !=
            CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, rq->errbuf) != CURLE_OK)
        return -1;
    if ((b->proxy_http != NULL || b->proxy_https != NULL) &&
        curl_easy_setopt(e, CURLOPT_PROXY, rq->proxy != NULL ? rq->proxy :
            "") != CURLE_OK)
        return -1;
    /* Last: it also clears rq->guard's record of a previous request. */
    return lh_netguard_apply(e, &rq->guard);
}

int
lh_request_setup(void *easy, const struct lh_request_base *b,
    struct lh_request *rq, const char *url, unsigned timeout_ms)
{
    if (lh_request_prepare(easy, b) == -1 ||
        (b->resolve != NULL &&
            curl_easy_setopt(easy, CURLOPT_RESOLVE, b->resolve) != CURLE_OK))
        return -1;
    return lh_request_aim(easy, b, rq, url, timeout_ms);
}

void *
lh_request_new(const struct lh_request_base *b, struct lh_request *rq,
    const char *url, unsigned timeout_ms)
{
    CURL *e;

    if ((e = curl_easy_init()) == NULL)
        return NULL;
    if (lh_request_setup(e, b, rq, url, timeout_ms) == -1) {
        curl_easy_cleanup(e);
        return NULL;
    }
    return e;
}

const char *
lh_request_error(const struct lh_request *rq, int result)
{
    return rq->errbuf[0] != '\0' ? rq->errbuf :
        curl_easy_strerror((CURLcode)result);
}
