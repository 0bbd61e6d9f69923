/*
 * page: a bounded HTML prefix -> struct lh_page, through libxml2's HTML
 * parser with SAX callbacks (no tree, as lib/dir_html.c reads the
 * directory).  Judges nothing: classify_page.c does, from what is kept here.
 */
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "htmlguard.h"
#include "page.h"
#include "strmap.h"
#include "util.h"

#define HTML_OPTIONS (HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |         \
    HTML_PARSE_NONET | HTML_PARSE_RECOVER)
#define STR_(x) #x
#define STR(x) STR_(x)
/* Raw bytes gathered for the title and the h1 before they are cut. */
#define RAW_MAX (LH_PAGE_TEXT_MAX * 4)

struct buf {
    char *s;
    size_t len, cap, max;   /* max: bytes kept, the rest dropped */
};

struct walk {
    struct lh_page *p;
    htmlParserCtxtPtr ctxt;
    const char *base;
    bool failed;            /* out of memory */
    bool stopped;           /* read no further (p->cut says why) */
    size_t stopped_at;      /* bytes read by then */
    unsigned long events;
    struct lh_html_meter meter;
    double deadline_ms;     /* monotonic; 0: none */
    const atomic_int *cancel;
    unsigned hidden;        /* inside script, style, template, noscript */
    bool in_title, title_done;
    unsigned h1_depth;      /* > 0 inside the first h1 */
    bool h1_done;
    bool password;
    bool parking_host;      /* a parking service loads or frames the page */
    struct buf title, h1, text;
};

void
lh_page_init(struct lh_page *p)
{
    memset(p, 0, sizeof(*p));
    p->refresh_delay = -1;
}

void
lh_page_cleanup(struct lh_page *p)
{
    if (p == NULL)
        return;
    free(p->title);
    free(p->h1);
    free(p->refresh_url);
    lh_page_init(p);
}

static void
walk_fail(struct walk *w)
{
    w->failed = true;
    xmlStopParser(w->ctxt);
}

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Read no further than here: what was gathered stands, p->cut says why. */
static void
walk_stop(struct walk *w, const char *why)
{
    long at = xmlByteConsumed(w->ctxt);

    w->stopped = true;
    w->stopped_at = at > 0 ? (size_t)at : 0;
    w->p->cut = why;
    xmlStopParser(w->ctxt);
}

/* One more event of the parse: false once it must stop. */
static bool
walk_tick(struct walk *w)
{
    if (w->failed || w->stopped)
        return false;
    if ((++w->events & 255) != 0)
        return true;
    if (w->cancel != NULL &&
        atomic_load_explicit(w->cancel, memory_order_relaxed))
        walk_stop(w, "the check was cancelled");
    else if (w->deadline_ms > 0 && now_ms() > w->deadline_ms)
        walk_stop(w, "it took longer than the time a page may take");
    return !w->stopped;
}

static void
buf_add(struct walk *w, struct buf *b, const char *s, size_t n)
{
    if (b->len + n > b->max)
        n = b->max - b->len;
    if (n == 0)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *grown;

        while (cap < b->len + n + 1)
            cap *= 2;
        if ((grown = realloc(b->s, cap)) == NULL) {
            walk_fail(w);
            return;
        }
        b->s = grown;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

/* Visible text with runs of whitespace as one space: what the fingerprint
 * hashes, so a change of indentation is no change of page. */
static void
text_add(struct walk *w, const char *s, size_t n)
{
    struct buf *b = &w->text;

    for (size_t i = 0; i < n && !w->failed; i++) {
        unsigned char c = (unsigned char)s[i];

        if (lh_is_space_byte(c)) {
            if (b->len > 0 && b->s[b->len - 1] != ' ')
                buf_add(w, b, " ", 1);
            continue;
        }
        size_t j = i;

        while (j < n && !lh_is_space_byte((unsigned char)s[j]))
            j++;
        buf_add(w, b, s + i, j - i);
        i = j - 1;
    }
}

static const char *
attr(const xmlChar **atts, const char *name)
{
    for (size_t i = 0; atts != NULL && atts[i] != NULL; i += 2)
        if (strcasecmp((const char *)atts[i], name) == 0)
            return atts[i + 1] != NULL ? (const char *)atts[i + 1] : "";
    return NULL;
}

/* Hosts of parking and domain-sale services, as they appear in the
 * scripts, frames and forms of their pages. */
static const char *const parking_marks[] = {
    "sedoparking.com", "sedo.com/search", "parkingcrew.net", "bodis.com",
    "dan.com", "afternic.com", "hugedomains.com", "parklogic.com",
    "above.com", "domainmarket.com", "undeveloped.com", "parkingpage",
    "domainparking", "dsparking.com", "sav.com/", "uniregistry.com",
    "parked.com", "smartname.com", "voodoo.com",
};

/* ASCII letters in either case; linear in the text (a page's text may
 * be megabytes). */
static bool
icontains(const char *hay, const char *needle)
{
    return strcasestr(hay, needle) != NULL;
}

static void
note_parking(struct walk *w, const char *url)
{
    if (url == NULL)
        return;
    for (size_t i = 0; i < sizeof(parking_marks) / sizeof(parking_marks[0]);
        i++)
        if (icontains(url, parking_marks[i]))
            w->parking_host = true;
}

static void
meta_refresh(struct walk *w, const xmlChar **atts)
{
    const char *equiv = attr(atts, "http-equiv");
    const char *content = attr(atts, "content");
    struct lh_page *p = w->p;
    int delay;
    char *url = NULL;

    if (equiv == NULL || content == NULL ||
        strcasecmp(equiv, "refresh") != 0 || p->refresh_delay >= 0)
        return;
    if (lh_page_refresh_parse(content, w->base, &delay, &url) == -1) {
        /* Not a refresh (or no memory: then none is read). */
        return;
    }
    p->refresh_delay = delay;
    p->refresh_url = url;
    note_parking(w, url);
}

static void
start_cb(void *ctx, const xmlChar *xname, const xmlChar **atts)
{
    struct walk *w = ctx;
    const char *name = (const char *)xname;
    const char *v;

    if (!walk_tick(w))
        return;
    if (strcmp(name, "script") == 0 || strcmp(name, "style") == 0 ||
        strcmp(name, "template") == 0 || strcmp(name, "noscript") == 0) {
        w->hidden++;
        if (strcmp(name, "script") == 0)
            note_parking(w, attr(atts, "src"));
        return;
    }
    if (strcmp(name, "title") == 0 && !w->title_done) {
        w->in_title = true;
    } else if (strcmp(name, "h1") == 0 && !w->h1_done) {
        w->h1_depth++;
    } else if (w->h1_depth > 0 && strcmp(name, "h1") == 0) {
        w->h1_depth++;
    } else if (strcmp(name, "meta") == 0) {
        meta_refresh(w, atts);
    } else if (strcmp(name, "input") == 0) {
        if ((v = attr(atts, "type")) != NULL &&
            strcasecmp(v, "password") == 0)
            w->password = true;
    } else if (strcmp(name, "iframe") == 0 || strcmp(name, "frame") == 0) {
        note_parking(w, attr(atts, "src"));
    } else if (strcmp(name, "form") == 0) {
        note_parking(w, attr(atts, "action"));
    }
    /* Block elements separate words. */
    if (w->text.len > 0 && w->hidden == 0)
        text_add(w, " ", 1);
}

static void
end_cb(void *ctx, const xmlChar *xname)
{
    struct walk *w = ctx;
    const char *name = (const char *)xname;

    if (!walk_tick(w))
        return;
    if (strcmp(name, "script") == 0 || strcmp(name, "style") == 0 ||
        strcmp(name, "template") == 0 || strcmp(name, "noscript") == 0) {
        if (w->hidden > 0)
            w->hidden--;
    } else if (strcmp(name, "title") == 0 && w->in_title) {
        w->in_title = false;
        w->title_done = true;
    } else if (strcmp(name, "h1") == 0 && w->h1_depth > 0) {
        if (--w->h1_depth == 0)
            w->h1_done = true;
    }
}

static void
text_cb(void *ctx, const xmlChar *s, int n)
{
    struct walk *w = ctx;

    if (!walk_tick(w) || n <= 0)
        return;
    if (w->in_title) {
        buf_add(w, &w->title, (const char *)s, (size_t)n);
        return;
    }
    if (w->hidden > 0)
        return;
    if (w->h1_depth > 0)
        buf_add(w, &w->h1, (const char *)s, (size_t)n);
    text_add(w, (const char *)s, (size_t)n);
}

/* See lib/dir_html.c: libxml2 2.9 may loop after its own allocation
 * failure unless the parser is stopped from here.  Its parse errors feed
 * the misplaced-tag meter (lib/htmlguard.h). */
static void
html_error(void *arg, xmlErrorPtr e)
{
    struct walk *w = arg;

    if (e == NULL || w->failed || w->stopped)
        return;
    if (e->code == XML_ERR_NO_MEMORY)
        walk_fail(w);
    else if (lh_html_meter_add(&w->meter, e->code, w->ctxt->nameNr))
        walk_stop(w, "too many end tags that close no open element");
    else
        (void)walk_tick(w);
}

/* Normalized, and cut to LH_PAGE_TEXT_MAX bytes at a character boundary;
 * NULL for no text.  -1 when out of memory. */
static int
keep_text(struct buf *b, char **out)
{
    char *s;
    size_t n = 0;

    *out = NULL;
    if (b->len == 0)
        return 0;
    if ((s = lh_text_normalize(b->s, b->len)) == NULL)
        return -1;
    while (s[n] != '\0') {
        size_t k = lh_utf8_len((const unsigned char *)s + n, strlen(s + n));

        if (k == 0)
            k = 1;
        if (n + k > LH_PAGE_TEXT_MAX)
            break;
        n += k;
    }
    s[n] = '\0';
    if (n == 0) {
        free(s);
        return 0;
    }
    *out = s;
    return 0;
}

/* Phrases of parking and domain-sale pages, lower case. */
static const char *const parked_phrases[] = {
    "this domain is for sale", "this domain may be for sale",
    "this domain name is for sale", "this domain name may be for sale",
    "buy this domain", "make an offer on this domain",
    "this domain is parked", "domain is parked", "this web page is parked",
    "parked free, courtesy of", "domain parking",
    "ce domaine est \xc3\xa0 vendre",
    "ce nom de domaine est \xc3\xa0 vendre",
    "diese domain steht zum verkauf", "diese domain kaufen",
    "este dominio est\xc3\xa1 a la venta", "dit domein is te koop",
    "questo dominio \xc3\xa8 in vendita",
    "este dom\xc3\xadnio est\xc3\xa1 \xc3\xa0 venda",
    /* このドメインは販売中: one string, in two pieces */
    ("\xe3\x81\x93\xe3\x81\xae\xe3\x83\x89\xe3\x83\xa1\xe3\x82\xa4\xe3\x83"
     "\xb3\xe3\x81\xaf\xe8\xb2\xa9\xe5\xa3\xb2\xe4\xb8\xad"),
};

static bool
says_parked(const char *text)
{
    if (text == NULL)
        return false;
    for (size_t i = 0; i < sizeof(parked_phrases) / sizeof(parked_phrases[0]);
        i++)
        if (icontains(text, parked_phrases[i]))
            return true;
    return false;
}

/* The host of base (www. dropped) in a title that says "for sale". */
static bool
title_sells_host(const char *title, const char *base)
{
    char host[256];
    const char *h, *end;
    size_t n;

    if (title == NULL || base == NULL || !icontains(title, "for sale") ||
        (h = strstr(base, "://")) == NULL)
        return false;
    h += 3;
    if (strncasecmp(h, "www.", 4) == 0)
        h += 4;
    end = h + strcspn(h, ":/?#");
    n = (size_t)(end - h);
    if (n == 0 || n >= sizeof(host))
        return false;
    memcpy(host, h, n);
    host[n] = '\0';
    return icontains(title, host);
}

/* Words of a sign-in page's title or heading. */
static const char *const signin_words[] = {
    "sign in", "sign-in", "signin", "log in", "log-in", "login", "logon",
    "log on", "anmelden", "anmeldung", "connexion", "se connecter",
    "iniciar sesi\xc3\xb3n", "inloggen", "accedi", "entrar",
    "\xe3\x83\xad\xe3\x82\xb0\xe3\x82\xa4\xe3\x83\xb3",    /* ログイン */
    "single sign-on", "authentication", "authenticate",
};

static bool
says_signin(const char *s)
{
    if (s == NULL)
        return false;
    for (size_t i = 0; i < sizeof(signin_words) / sizeof(signin_words[0]);
        i++)
        if (icontains(s, signin_words[i]))
            return true;
    return false;
}

static bool
mostly_utf8(const char *s, size_t len)
{
    size_t first;

    if (lh_utf8_invalid(s, len, &first) == 0)
        return true;
    /* Only a cut sequence in the last 3 bytes, or NULs (not UTF-8 to
     * lh_utf8_len, harmless here). */
    for (size_t i = first; i < len;) {
        size_t k = lh_utf8_len((const unsigned char *)s + i, len - i);

        if (k > 0 || s[i] == '\0')
            i += k > 0 ? k : 1;
        else if (len - i <= 3 && (unsigned char)s[i] >= 0xc2)
            return true;
        else
            return false;
    }
    return true;
}

int
lh_page_parse(const char *html, size_t len, const char *base_url,
    const struct lh_page_bounds *bounds, struct lh_page *p)
{
    htmlParserCtxtPtr ctxt = NULL;
    xmlSAXHandler sax, *own;
    struct walk w;
    size_t crowded;
    int rc = -1;

    lh_page_init(p);
    memset(&w, 0, sizeof(w));
    w.p = p;
    w.base = base_url;
    w.title.max = RAW_MAX;
    w.h1.max = RAW_MAX;
    if (len > INT_MAX)
        len = INT_MAX;
    /* A tag that would hold libxml2 for seconds ends what is read. */
    if ((crowded = lh_html_crowded_tag(html, len)) < len) {
        len = crowded;
        p->cut = "a tag with more than " STR(LH_HTML_MAX_ATTRIBUTES)
            " attributes";
    }
    w.text.max = len;
    if (bounds != NULL) {
        w.cancel = bounds->cancel;
        if (bounds->timeout_ms > 0)
            w.deadline_ms = now_ms() + bounds->timeout_ms;
    }
    p->bytes = len;
    if (len == 0)
        return 0;
    xmlInitParser();
    if ((ctxt = htmlCreateMemoryParserCtxt(html, (int)len)) == NULL)
        goto out;
    htmlCtxtUseOptions(ctxt, HTML_OPTIONS);
    /* Bytes that are all UTF-8 (but for a sequence cut at the end of the
     * prefix) are read as UTF-8 whatever the page declares; libxml2's
     * own guess, Latin-1 without a declaration, is for the rest. */
    if (mostly_utf8(html, len)) {
        htmlCtxtUseOptions(ctxt, HTML_OPTIONS | HTML_PARSE_IGNORE_ENC);
        if (xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8) != 0)
            goto out;
    }
    memset(&sax, 0, sizeof(sax));
    sax.startElement = start_cb;
    sax.endElement = end_cb;
    sax.characters = text_cb;
    sax.cdataBlock = text_cb;
    /* No SAX error or warning callbacks: nothing is printed. */
    w.ctxt = ctxt;
    own = ctxt->sax;
    ctxt->sax = &sax;
    ctxt->userData = &w;
    {
        xmlStructuredErrorFunc saved = xmlStructuredError;
        void *saved_arg = xmlStructuredErrorContext;

        xmlSetStructuredErrorFunc(&w, html_error);
        htmlParseDocument(ctxt);
        xmlSetStructuredErrorFunc(saved_arg, saved);
    }
    ctxt->sax = own;
    ctxt->userData = ctxt;
    if (ctxt->myDoc != NULL) {
        xmlFreeDoc(ctxt->myDoc);
        ctxt->myDoc = NULL;
    }
    if (w.failed || (!w.stopped && ctxt->errNo == XML_ERR_NO_MEMORY))
        goto out;
    if (w.stopped)
        p->bytes = w.stopped_at;
    if (keep_text(&w.title, &p->title) == -1 ||
        keep_text(&w.h1, &p->h1) == -1)
        goto out;
    /* Trailing space from a closing element is not text. */
    while (w.text.len > 0 && w.text.s[w.text.len - 1] == ' ')
        w.text.len--;
    p->text_bytes = w.text.len;
    p->text_hash = lh_hash_bytes(w.text.s != NULL ? w.text.s : "",
        w.text.len);
    if (w.text.s != NULL)
        w.text.s[w.text.len] = '\0';
    p->parked = w.parking_host || says_parked(p->title) ||
        says_parked(p->h1) || says_parked(w.text.s) ||
        title_sells_host(p->title, base_url);
    p->signin_form = w.password && (says_signin(p->title) ||
        says_signin(p->h1));
    rc = 0;
out:
    if (ctxt != NULL)
        htmlFreeParserCtxt(ctxt);
    free(w.title.s);
    free(w.h1.s);
    free(w.text.s);
    if (rc == -1)
        lh_page_cleanup(p);
    return rc;
}

/* Resolve ref against base; NULL when it does not parse, or no memory. */
static char *
resolve(const char *base, const char *ref)
{
    CURLU *u = curl_url();
    char *out = NULL, *copy = NULL;

    if (u == NULL)
        return NULL;
    if ((base == NULL ||
            curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK) &&
        curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK)
        copy = strdup(out);
    curl_free(out);
    curl_url_cleanup(u);
    return copy;
}

int
lh_page_refresh_parse(const char *value, const char *base_url, int *delay,
    char **url)
{
    const char *s = value;
    char *ref = NULL;
    long d = 0;
    size_t n;

    *url = NULL;
    *delay = -1;
    while (lh_is_space_byte((unsigned char)*s) && *s != '\0')
        s++;
    if (*s < '0' || *s > '9')
        return -1;
    while (*s >= '0' && *s <= '9') {
        if (d < 1000000)
            d = d * 10 + (*s - '0');
        s++;
    }
    /* "0.5": the fraction is dropped. */
    s += strspn(s, ".0123456789");
    *delay = (int)d;
    s += strspn(s, " \t\r\n");
    if (*s != ';' && *s != ',')
        return *s == '\0' ? 0 : -1;
    s++;
    s += strspn(s, " \t\r\n");
    if (strncasecmp(s, "url", 3) == 0) {
        const char *t = s + 3;

        t += strspn(t, " \t\r\n");
        if (*t == '=') {
            s = t + 1;
            s += strspn(s, " \t\r\n");
        }
    }
    if (*s == '\'' || *s == '"') {
        const char *q = strchr(s + 1, *s);

        n = q != NULL ? (size_t)(q - s - 1) : strlen(s + 1);
        s++;
    } else {
        n = strlen(s);
        while (n > 0 && lh_is_space_byte((unsigned char)s[n - 1]))
            n--;
    }
    if (n == 0)
        return 0;
    if ((ref = strndup(s, n)) == NULL)
        return -1;
    *url = resolve(base_url, ref);
    free(ref);
    if (*url != NULL && base_url != NULL && strcmp(*url, base_url) == 0) {
        free(*url);
        *url = NULL;
    }
    return 0;
}
