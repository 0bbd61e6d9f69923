/*
 * tlsburst: the TLS 1.3 session of a server kept resumable for every
 * connection of a burst (tlsburst.h says why).
 *
 * curl (7.88) makes an SSL_CTX for each connection and lets us see it
 * before the handshake: the flag changed below is that connection's
 * alone.  (Were a curl to share one among connections, a TLS 1.2
 * handshake ending while a TLS 1.3 one runs would go uncached: a full
 * handshake next time, no worse.)  OpenSSL drops a finished TLS 1.3 handshake's session
 * from the cache only when the context caches client sessions
 * (SSL_SESS_CACHE_CLIENT), which is also what makes it tell curl of each
 * new ticket.  So the flag is off from the handshake's start; on again
 * as soon as the server chose an older version (whose session is cached
 * at the handshake's end), or else when the handshake is done: TLS 1.3
 * tickets come after it, outside any handshake.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "tlsburst.h"

static void
info_cb(const SSL *ssl, int where, int ret)
{
    SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
    long mode, want;

    (void)ret;
    if (ctx == NULL || SSL_is_server((SSL *)ssl) ||
        SSL_CTX_sess_get_new_cb(ctx) == NULL)
        return;         /* curl caches no session here: leave it so */
    mode = SSL_CTX_get_session_cache_mode(ctx);
    if (where & SSL_CB_HANDSHAKE_START)
        want = mode & ~(long)SSL_SESS_CACHE_CLIENT;
    else if ((where & SSL_CB_HANDSHAKE_DONE) ||
        ((where & SSL_CB_LOOP) && SSL_version(ssl) < TLS1_3_VERSION))
        want = mode | SSL_SESS_CACHE_CLIENT;
    else
        return;
    if (want != mode)
        (void)SSL_CTX_set_session_cache_mode(ctx, want);
}

static CURLcode
ctx_cb(CURL *easy, void *ssl_ctx, void *arg)
{
    (void)easy;
    (void)arg;
    SSL_CTX_set_info_callback(ssl_ctx, info_cb);
    return CURLE_OK;
}

int
lh_tlsburst_apply(void *easy)
{
    static int openssl = -1;

    if (openssl == -1) {
        const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

        /* The callbacks get curl's SSL_CTX: it must be of the OpenSSL
         * we are built with ("OpenSSL/3.0.19"). */
        openssl = v != NULL && v->ssl_version != NULL &&
            strncmp(v->ssl_version, "OpenSSL/", 8) == 0 &&
            atoi(v->ssl_version + 8) == OPENSSL_VERSION_MAJOR;
    }
    if (!openssl)
        return 0;
    return curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, ctx_cb) ==
        CURLE_OK ? 0 : -1;
}
