/*
 * request: the set-up every curl request of linkhealthd shares, built
 * once from the configuration (struct lh_request_base) and applied to
 * each fresh easy handle.  What a check or a fetch does with the answer
 * is theirs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "http.h"
#include "request.h"
#include "util.h"

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
    if (lh_replace_string(&b->ca_file, cfg->ca_file) == -1 ||
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
    memset(b, 0, sizeof(*b));
}

int
lh_request_setup(void *easy, const struct lh_request_base *b,
    struct lh_request *rq, const char *url, unsigned timeout_ms)
{
    long timeout = timeout_ms != 0 ? (long)timeout_ms : (long)b->timeout_ms;
    long connect = (long)b->connect_timeout_ms < timeout ?
        (long)b->connect_timeout_ms : timeout;
    CURL *e = easy;

    rq->errbuf[0] = '\0';
    rq->guard.guard = &b->guard;
    if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") !=
            CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") !=
            CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_USERAGENT, b->user_agent) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect) !=
            CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, rq->errbuf) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK)
        return -1;
    if (b->resolve != NULL &&
        curl_easy_setopt(e, CURLOPT_RESOLVE, b->resolve) != CURLE_OK)
        return -1;
    if (b->connect_to != NULL &&
        curl_easy_setopt(e, CURLOPT_CONNECT_TO, b->connect_to) != CURLE_OK)
        return -1;
    if (b->ca_file != NULL &&
        curl_easy_setopt(e, CURLOPT_CAINFO, b->ca_file) != CURLE_OK)
        return -1;
    /* Last: it also clears rq->guard's record of a previous request. */
    return lh_netguard_apply(e, &rq->guard);
}
