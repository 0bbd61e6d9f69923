/*
 * iri: between the addresses people write and the ones we request.  Host
 * names go through libidn2 (UTS #46, as curl's own IDN support), the
 * Unicode questions (is this decoded character safe to show, which
 * scripts does a label mix) through ICU; lh_url_parse finds the parts.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/uspoof.h>
#include <unicode/utf8.h>

#include "iri.h"
#include "url.h"

static const char hex[] = "0123456789ABCDEF";

static int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* s[i] starts an escape: '%' and two hex digits within n. */
static bool
is_escape(const char *s, size_t n, size_t i)
{
    return i + 2 < n && s[i] == '%' &&
        hexval((unsigned char)s[i + 1]) >= 0 &&
        hexval((unsigned char)s[i + 2]) >= 0;
}

/*
 * RFC 3986 lets these stand in a path (pchar: unreserved, sub-delims,
 * ':' and '@', and '/'); a query also takes '?'.  A backslash is left as
 * it is, for lh_url_parse to refuse as before: browsers read it as '/'.
 */
static bool
keep(unsigned char c, bool query)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=:@/\\", c) !=
        NULL || (query && c == '?');
}

/* Percent-encode s (n bytes) onto o, leaving escapes as they are. */
static char *
encode(char *o, const char *s, size_t n, bool query)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        /* A control stays, for the URL checks to refuse as before: a
         * newline in an href is a broken entry, not "%0A". */
        if (c != '\0' && (keep(c, query) || c < 0x20 || c == 0x7f ||
            is_escape(s, n, i))) {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    return o;
}

/* Whether the n bytes at s hold a byte outside ASCII. */
bool
lh_iri_has_nonascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return true;
    return false;
}

/*
 * host (NUL-terminated) to A-labels, as curl 7.88's idn.c does: UTS #46
 * nontransitional first, transitional when that refuses.  A root dot is
 * kept.  Malloc'd into *ace; 0, -1 invalid, -2 out of memory.
 */
static int
to_ace(const char *host, char **ace)
{
    size_t n = strlen(host);
    char *name, *out = NULL;
    bool root = n > 1 && host[n - 1] == '.';
    int rc;

    *ace = NULL;
    if ((name = strndup(host, root ? n - 1 : n)) == NULL)
        return -2;
    rc = idn2_to_ascii_8z(name, &out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK)
        rc = idn2_to_ascii_8z(name, &out, IDN2_TRANSITIONAL);
    free(name);
    if (rc == IDN2_MALLOC)
        return -2;
    if (rc != IDN2_OK || out == NULL || out[0] == '\0') {
        idn2_free(out);
        return -1;
    }
    if (root) {
        char *r;

        if (asprintf(&r, "%s.", out) < 0) {
            idn2_free(out);
            return -2;
        }
        idn2_free(out);
        *ace = r;
        return 0;
    }
    *ace = strdup(out);
    idn2_free(out);
    return *ace == NULL ? -2 : 0;
}

int
lh_iri_host_ascii(const char *host, size_t n, char *buf, size_t len)
{
    char *name, *ace = NULL;
    int rc;

    if (n >= len)
        return -1;
    if (!lh_iri_has_nonascii(host, n)) {
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)(host[i] >= 'A' && host[i] <= 'Z' ?
                host[i] - 'A' + 'a' : host[i]);
        buf[n] = '\0';
        return 0;
    }
    if ((name = strndup(host, n)) == NULL)
        return -1;
    rc = to_ace(name, &ace);
    free(name);
    if (rc != 0 || strlen(ace) >= len) {
        free(ace);
        return -1;
    }
    memcpy(buf, ace, strlen(ace) + 1);
    free(ace);
    return 0;
}

int
lh_iri_to_uri(const char *iri, char **out, const char **why)
{
    struct lh_url u;
    const char *auth, *auth_end, *host, *host_end, *path, *query, *frag;
    char *head = NULL, *ace = NULL, *o;
    size_t n = strlen(iri);
    int rc;

    *out = NULL;
    if (!lh_url_is_http(iri))
        return (*out = strdup(iri)) == NULL ? -2 : 0;
    auth = strstr(iri, "://") + 3;
    auth_end = auth + strcspn(auth, "/?#");
    /* lh_url_parse finds the userinfo, host and port: given the head
     * alone, so that a space further on does not stop it. */
    if ((head = strndup(iri, (size_t)(auth_end - iri))) == NULL)
        return -2;
    if (lh_url_parse(head, &u) == -1) {
        free(head);
        return (*out = strdup(iri)) == NULL ? -2 : 0;
    }
    host = iri + (u.host - head) - (u.ipv6 ? 1 : 0);
    host_end = iri + (u.host - head) + u.hostlen + (u.ipv6 ? 1 : 0);
    if (!u.ipv6 && lh_iri_has_nonascii(u.host, u.hostlen)) {
        head[(u.host - head) + u.hostlen] = '\0';
        rc = to_ace(head + (u.host - head), &ace);
        if (rc != 0) {
            free(head);
            if (rc == -1)
                *why = LH_IRI_BAD_IDN;
            return rc;
        }
    }
    free(head);
    path = auth_end;
    query = path + strcspn(path, "?#");
    frag = query + strcspn(query, "#");

    if ((o = *out = malloc(n * 3 + (ace != NULL ? strlen(ace) : 0) + 1)) ==
        NULL) {
        free(ace);
        return -2;
    }
    memcpy(o, iri, (size_t)(auth - iri));
    o += auth - iri;
    if (host > auth) {                  /* userinfo and its '@' */
        o = encode(o, auth, (size_t)(host - auth - 1), false);
        *o++ = '@';
    }
    if (ace != NULL) {
        memcpy(o, ace, strlen(ace));
        o += strlen(ace);
    } else {
        memcpy(o, host, (size_t)(host_end - host));
        o += host_end - host;
    }
    memcpy(o, host_end, (size_t)(auth_end - host_end));    /* the port */
    o += auth_end - host_end;
    o = encode(o, path, (size_t)(query - path), false);
    if (*query == '?') {
        *o++ = '?';
        o = encode(o, query + 1, (size_t)(frag - query - 1), true);
    }
    *o = '\0';
    free(ace);
    /* The worst case was asked for; a million of them are kept. */
    if ((o = realloc(*out, (size_t)(o - *out) + 1)) != NULL)
        *out = o;
    return 0;
}

/* A decoded character a person can see for what it is. */
static bool
safe_to_show(UChar32 c)
{
    return u_isgraph(c) && u_charType(c) != U_PRIVATE_USE_CHAR &&
        !u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) &&
        !u_hasBinaryProperty(c, UCHAR_BIDI_CONTROL);
}

/*
 * The escapes at s[i] (of n bytes) that spell one UTF-8 character worth
 * showing: its byte count into *len and bytes into b; false when not.
 */
static bool
decodable(const char *s, size_t n, size_t i, uint8_t b[4], int *len)
{
    int k = 0, lead;
    UChar32 c;

    if (!is_escape(s, n, i))
        return false;
    lead = hexval((unsigned char)s[i + 1]) * 16 +
        hexval((unsigned char)s[i + 2]);
    *len = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 ? 2 : 0;
    if (*len == 0 || lead > 0xf4)
        return false;
    for (int j = 0; j < *len; j++, i += 3) {
        if (i >= n || !is_escape(s, n, i))
            return false;
        b[j] = (uint8_t)(hexval((unsigned char)s[i + 1]) * 16 +
            hexval((unsigned char)s[i + 2]));
    }
    U8_NEXT(b, k, *len, c);
    return c >= 0 && k == *len && safe_to_show(c);
}

/* Host (n bytes) as U-labels onto o when its A-labels convert back to
 * themselves; else as it is. */
static char *
show_host(char *o, const char *host, size_t n)
{
    char *ascii, *uni = NULL, *back = NULL;
    bool xn = false;

    for (size_t i = 0; i + 4 <= n; i++)
        if ((i == 0 || host[i - 1] == '.') &&
            strncasecmp(host + i, "xn--", 4) == 0)
            xn = true;
    if (xn && (ascii = strndup(host, n)) != NULL) {
        if (idn2_to_unicode_8z8z(ascii, &uni, 0) == IDN2_OK &&
            to_ace(uni, &back) == 0 && strcasecmp(back, ascii) == 0 &&
            strlen(uni) <= n * 4) {
            memcpy(o, uni, strlen(uni));
            o += strlen(uni);
            n = 0;
        }
        free(back);
        idn2_free(uni);
        free(ascii);
    }
    memcpy(o, host, n);
    return o + n;
}

char *
lh_iri_display(const char *uri)
{
    struct lh_url u;
    const char *tail;
    char *out, *o;
    size_t n = strlen(uri);

    /* A U-label is at most four bytes for each byte of its A-label. */
    if ((out = malloc(n * 4 + 1)) == NULL)
        return NULL;
    if (lh_url_parse(uri, &u) == -1 || u.ipv6) {
        memcpy(out, uri, n + 1);
        return out;
    }
    o = out;
    memcpy(o, uri, (size_t)(u.host - uri));
    o += u.host - uri;
    o = show_host(o, u.host, u.hostlen);
    tail = u.host + u.hostlen;
    n = strlen(tail);
    for (size_t i = 0; i < n;) {
        uint8_t b[4];
        int len;

        if (decodable(tail, n, i, b, &len)) {
            memcpy(o, b, (size_t)len);
            o += len;
            i += 3 * (size_t)len;
        } else {
            *o++ = tail[i++];
        }
    }
    *o = '\0';
    return out;
}

/* The scripts of label (n bytes), "Cyrillic, Latin", into buf. */
static void
script_names(const char *label, int n, char *buf, size_t len)
{
    UScriptCode seen[8];
    int nseen = 0, i = 0;
    size_t off = 0;

    buf[0] = '\0';
    while (i < n && nseen < 8) {
        UErrorCode st = U_ZERO_ERROR;
        UScriptCode sc;
        UChar32 c;
        bool dup = false;

        U8_NEXT(label, i, n, c);
        if (c < 0)
            continue;
        sc = uscript_getScript(c, &st);
        if (U_FAILURE(st) || sc == USCRIPT_COMMON || sc == USCRIPT_INHERITED)
            continue;
        for (int j = 0; j < nseen; j++)
            dup = dup || seen[j] == sc;
        if (dup)
            continue;
        seen[nseen++] = sc;
        if (off < len)
            off += (size_t)snprintf(buf + off, len - off, "%s%s",
                nseen > 1 ? ", " : "", uscript_getName(sc));
    }
}

/* 1: some label of host (U-labels) is flagged; its scripts in buf. */
static int
check_labels(const char *host, char *scripts, size_t len)
{
    UErrorCode st = U_ZERO_ERROR;
    USpoofChecker *sc = uspoof_open(&st);
    const char *label = host;
    int flagged = 0;

    uspoof_setChecks(sc, USPOOF_RESTRICTION_LEVEL | USPOOF_MIXED_NUMBERS,
        &st);
    uspoof_setRestrictionLevel(sc, USPOOF_HIGHLY_RESTRICTIVE);
    if (U_FAILURE(st)) {
        uspoof_close(sc);
        return -1;
    }
    /* Label by label: "пример.example" is a Cyrillic name under a Latin
     * top-level domain, not a mixture. */
    while (*label != '\0' && flagged == 0) {
        int n = (int)strcspn(label, ".");

        if (uspoof_check2UTF8(sc, label, n, NULL, &st) != 0 &&
            U_SUCCESS(st)) {
            script_names(label, n, scripts, len);
            flagged = 1;
        }
        if (U_FAILURE(st))
            flagged = -1;
        label += n + (label[n] == '.');
    }
    uspoof_close(sc);
    return flagged;
}

int
lh_iri_mixed_scripts(const char *url, char *note, size_t len)
{
    struct lh_url u;
    const char *why;
    char *uri = NULL, *host = NULL, *uni = NULL, scripts[128];
    int rc = 0;

    /* An ASCII host is Latin and common characters alone.  Most URLs
     * are ASCII without an A-label anywhere: their host is one of those,
     * found without the copies below (once per link and cycle). */
    if (strstr(url, "xn--") == NULL &&
        !lh_iri_has_nonascii(url, strlen(url)))
        return 0;
    if (lh_iri_to_uri(url, &uri, &why) != 0 || lh_url_parse(uri, &u) == -1 ||
        u.ipv6 || (host = strndup(u.host, u.hostlen)) == NULL ||
        strstr(host, "xn--") == NULL) {
        free(host);
        free(uri);
        return 0;
    }
    if (idn2_to_unicode_8z8z(host, &uni, 0) != IDN2_OK)
        rc = 0;
    else if ((rc = check_labels(uni, scripts, sizeof(scripts))) == 1)
        snprintf(note, len, "host name \"%s\" mixes scripts (%s) in one "
            "label: it may imitate another name", uni, scripts);
    idn2_free(uni);
    free(host);
    free(uri);
    return rc;
}
