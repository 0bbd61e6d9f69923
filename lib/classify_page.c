/*
 * classify_page: rot behind a 2xx, from what the final answer and its page
 * say (rules C1-C6).  Pure: the page was read by check_page.c and page.c.
 */
#include <stdbool.h>
#include <string.h>

#include "classify_internal.h"
#include "page.h"
#include "url.h"

/*
 * For a 2xx final answer, before the chain rules (classify.c), in order:
 *   C1. sign-in wall: the chain ended (not where it started) at a sign-in
 *       URL (host "login.", "sso.", "idp.", "accounts."…, or a path
 *       segment "login", "signin", "sso", "saml", "oauth"…), or the page
 *       read is a sign-in page (page.h: a password field under a sign-in
 *       title or heading), the listed URL not a sign-in URL itself:
 *       blocked, "sign-in required";
 *   C2. an error page: the chain ended (not where it started) at a URL
 *       with a path segment or file name that names one ("404",
 *       "not-found", "error", "error404"… whole, not "terror" nor
 *       "error-analysis"): stale;
 *   C3. a parked domain: the page read is a parking or for-sale page, or
 *       the chain ended on a domain-sale service on another site: stale,
 *       "domain parked (for sale)";
 *   C4. a soft 404: the page's title or first h1 says the page is not
 *       found, as a whole phrase (not_found_phrases): stale;
 *   C5. the server answers a random path with the same page and the
 *       listed URL is not a home page: stale;
 *   C6. the page was not read this time and its answer had not changed:
 *       the verdict it had when it was last read (kept_state) stands.
 */

/* s[0..n) equals w (lower case ASCII), ignoring ASCII case. */
static bool
span_is(const char *s, size_t n, const char *w)
{
    size_t wn = strlen(w);

    if (n != wn)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != w[i])
            return false;
    }
    return true;
}

static bool
span_in(const char *s, size_t n, const char *const *words, size_t nwords)
{
    for (size_t i = 0; i < nwords; i++)
        if (span_is(s, n, words[i]))
            return true;
    return false;
}

#define NWORDS(a) (sizeof(a) / sizeof((a)[0]))

/* A path segment of u, whole or without its extension, is one of words. */
static bool
path_names(const struct lh_url *u, const char *const *words, size_t nwords)
{
    const char *p = u->path, *end = u->path + u->pathlen;

    while (p < end) {
        const char *seg = p, *dot;
        size_t n;

        while (p < end && *p != '/')
            p++;
        n = (size_t)(p - seg);
        if (n > 0) {
            if (span_in(seg, n, words, nwords))
                return true;
            dot = memchr(seg, '.', n);
            if (dot != NULL && dot > seg &&
                span_in(seg, (size_t)(dot - seg), words, nwords))
                return true;
        }
        if (p < end)
            p++;
    }
    return false;
}

static const char *const signin_hosts[] = {
    "login", "signin", "sso", "idp", "auth", "accounts", "shibboleth",
    "adfs", "cas",
};

static const char *const signin_segments[] = {
    "login", "log-in", "signin", "sign-in", "sign_in", "logon", "sso",
    "idp", "saml", "saml2", "oauth", "oauth2", "authorize", "auth",
    "wp-login", "adfs", "shibboleth",
};

static bool
is_signin_url(const char *url)
{
    struct lh_url u;
    const char *dot;

    if (url == NULL || lh_url_parse(url, &u) == -1)
        return false;
    dot = memchr(u.host, '.', u.hostlen);
    if (dot != NULL && !u.ipv6 &&
        span_in(u.host, (size_t)(dot - u.host), signin_hosts,
            NWORDS(signin_hosts)))
        return true;
    return path_names(&u, signin_segments, NWORDS(signin_segments));
}

static const char *const error_segments[] = {
    "404", "error", "error404", "error-404", "error_404", "404error",
    "404-error", "404_error", "notfound", "not-found", "not_found",
    "pagenotfound", "page-not-found", "page_not_found", "404-page",
    "page404", "404page", "errorpage", "error-page", "error_page",
};

static bool
is_error_url(const char *url)
{
    struct lh_url u;

    if (url == NULL || lh_url_parse(url, &u) == -1)
        return false;
    return path_names(&u, error_segments, NWORDS(error_segments));
}

/* Domain-sale services that a lapsed domain's owner redirects to. */
static const char *const sale_hosts[] = {
    "sedo.com", "dan.com", "afternic.com", "hugedomains.com",
    "parkingcrew.net", "bodis.com", "domainmarket.com", "undeveloped.com",
    "sav.com", "uniregistry.com", "buydomains.com", "atom.com",
    "squadhelp.com", "brandbucket.com",
};

static bool
is_sale_host(const char *url)
{
    struct lh_url u;

    if (url == NULL || lh_url_parse(url, &u) == -1 || u.ipv6)
        return false;
    for (size_t i = 0; i < NWORDS(sale_hosts); i++) {
        size_t n = strlen(sale_hosts[i]);
        size_t hl = u.hostlen;

        if (hl > 0 && u.host[hl - 1] == '.')
            hl--;
        if (hl >= n && span_is(u.host + hl - n, n, sale_hosts[i]) &&
            (hl == n || u.host[hl - n - 1] == '.'))
            return true;
    }
    return false;
}

/*
 * Phrases of a page that is not there, lower case: English, French,
 * German, Spanish, Dutch, Italian, Portuguese, Japanese.  ASCII letters
 * match in any case; a phrase that begins or ends with an ASCII letter
 * or digit must do so at a word boundary.
 */
static const char *const not_found_phrases[] = {
    "page not found", "not found", "404", "can't be found",
    "cannot be found", "can\xe2\x80\x99t be found", "could not be found",
    "couldn't be found", "page does not exist", "page doesn't exist",
    "page introuvable", "page non trouv\xc3\xa9" "e", "page non trouvee",
    "seite nicht gefunden", "seite wurde nicht gefunden",
    "p\xc3\xa1gina no encontrada", "pagina no encontrada",
    "pagina niet gevonden", "pagina non trovata",
    "p\xc3\xa1gina n\xc3\xa3o encontrada", "pagina nao encontrada",
    "\xe3\x83\x9a\xe3\x83\xbc\xe3\x82\xb8\xe3\x81\x8c\xe8\xa6\x8b\xe3\x81"
    "\xa4\xe3\x81\x8b\xe3\x82\x8a\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93",
    "\xe8\xa6\x8b\xe3\x81\xa4\xe3\x81\x8b\xe3\x82\x8a\xe3\x81\xbe\xe3\x81"
    "\x9b\xe3\x82\x93",     /* 見つかりません: cannot be found */
};

static bool
is_word_byte(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9');
}

static bool
says_not_found(const char *s)
{
    size_t n;

    if (s == NULL)
        return false;
    n = strlen(s);
    for (size_t i = 0; i < NWORDS(not_found_phrases); i++) {
        const char *w = not_found_phrases[i];
        size_t wn = strlen(w);

        for (size_t at = 0; at + wn <= n; at++) {
            if (!span_is(s + at, wn, w))
                continue;
            if (is_word_byte(w[0]) && at > 0 && is_word_byte(s[at - 1]))
                continue;
            if (is_word_byte(w[wn - 1]) && at + wn < n &&
                is_word_byte(s[at + wn]))
                continue;
            return true;
        }
    }
    return false;
}

static bool
redirected_away(const struct lh_result *r)
{
    return r->nhops > 0 && r->url != NULL &&
        !lh_url_equivalent(r->url, lh_classify_final_url(r));
}

/* Ends a reason that quotes a URL the chain went to. */
static void
rb_content_tail(struct lh_reason *b, const struct lh_result *r)
{
    lh_classify_fallback_note(b, r);
    lh_classify_retries(b, r);
}

bool
lh_classify_content(struct lh_verdict *v, struct lh_reason *b,
    const struct lh_result *r)
{
    const struct lh_page *pg = r->page;
    const char *end = lh_classify_final_url(r);
    const char *said;

    /* C1 */
    if (!is_signin_url(r->url) &&
        ((redirected_away(r) && is_signin_url(end)) ||
            (pg != NULL && pg->signin_form))) {
        v->state = LH_STATE_BLOCKED;
        lh_reason_cat(b, "sign-in required");
        if (redirected_away(r) && is_signin_url(end)) {
            lh_reason_cat(b, " (redirected to ");
            lh_reason_url(b, end);
            lh_reason_cat(b, ")");
        } else {
            lh_reason_cat(b, " (the page is a sign-in form)");
        }
        rb_content_tail(b, r);
        return true;
    }
    /* C2 */
    if (redirected_away(r) && is_error_url(end)) {
        v->state = LH_STATE_STALE;
        lh_reason_cat(b, "redirected to an error page ");
        lh_reason_url(b, end);
        rb_content_tail(b, r);
        return true;
    }
    /* C3 */
    if ((pg != NULL && pg->parked) ||
        (redirected_away(r) && is_sale_host(end) &&
            lh_url_other_host(r->url, end))) {
        v->state = LH_STATE_STALE;
        lh_reason_cat(b, "domain parked (for sale)");
        if (redirected_away(r)) {
            lh_reason_cat(b, " at ");
            lh_reason_url(b, end);
        }
        rb_content_tail(b, r);
        return true;
    }
    /* C4 */
    said = pg == NULL ? NULL : says_not_found(pg->title) ? pg->title :
        says_not_found(pg->h1) ? pg->h1 : NULL;
    if (said != NULL) {
        v->state = LH_STATE_STALE;
        lh_reason_cat(b, "soft 404 (the page says \"");
        lh_reason_cat_limit(b, said, strlen(said), LH_REASON_URL_MAX);
        lh_reason_cat(b, "\")");
        rb_content_tail(b, r);
        return true;
    }
    /* C5 */
    if (pg != NULL && r->same_as_probe && !lh_url_is_home(r->url)) {
        v->state = LH_STATE_STALE;
        lh_reason_cat(b, "the site answers every address with the same page "
            "\xe2\x80\x94 soft 404");
        rb_content_tail(b, r);
        return true;
    }
    /* C6 */
    if (pg == NULL && r->kept_state > LH_STATE_OK &&
        r->kept_state < LH_STATE_COUNT &&
        lh_classify_has_text(r->kept_reason)) {
        v->state = (enum lh_state)r->kept_state;
        lh_reason_cat(b, r->kept_reason);
        return true;
    }
    return false;
}
