/*
 * tlsburst: let the connections of a burst to one TLS 1.3 server all
 * resume the session curl holds for it.
 *
 * When a TLS 1.3 handshake that resumed a session finishes, OpenSSL
 * takes that session out of the client's cache and marks it not
 * resumable (RFC 8446 C.4: a ticket is meant for one connection), and
 * curl keeps one session per server, the object it hands to every
 * connection.  The other connections of a burst that set it up a moment
 * later, or build their ClientHello after that, send no ticket and make
 * a full handshake; the server's next ticket comes after the handshake.
 * On loopback, or with the client busy, that is most of a burst.  A
 * monitor's connections to one server are linkable anyway (one address,
 * one User-Agent), so the ticket is used for all of them: the session
 * stays resumable, and a server that wants tickets used once still may
 * refuse it (a full handshake, as before).
 */
#ifndef LH_TLSBURST_H
#define LH_TLSBURST_H

/*
 * Make curl easy handle easy (a CURL *) keep its TLS 1.3 sessions
 * resumable as above, through CURLOPT_SSL_CTX_FUNCTION.  A no-op (0) when
 * curl's TLS library is not OpenSSL.  0, or -1 when curl refused.
 */
int lh_tlsburst_apply(void *easy);

#endif
