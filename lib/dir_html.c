/*
 * dir_html: the HTML reader of the directory parser.  Walks a page as
 * libxml2's HTML parser reads it (SAX, no tree) and hands each
 * organization it finds to lh_dir_add_entry; directory.h describes the
 * page structure it looks for.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "dir_internal.h"
#include "htmlguard.h"
#include "util.h"

/*
 * Pages are parsed on worker threads.  libxml2 keeps its error handlers
 * per thread when it is built with threads (as Debian's is), and
 * xmlInitParser has run on the main thread before any parse (main.c).
 */
#ifndef LIBXML_THREAD_ENABLED
#error "libxml2 without thread support: the daemon parses on worker threads"
#endif

/*
 * IGNORE_ENC keeps a <meta charset> from switching the decoder away from
 * UTF-8: the input has been made valid UTF-8 before it gets here.  Line
 * numbers come from the parser's input as it reads (an int, so past
 * 65535 too), not from tree nodes.
 */
#define HTML_OPTIONS (HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |         \
    HTML_PARSE_NONET | HTML_PARSE_RECOVER | HTML_PARSE_IGNORE_ENC)

/* Is the element name (lower case, as the parser gives it) name? */
static int
is_name(const xmlChar *n, const char *name)
{
    /* The first byte settles most comparisons without a call. */
    return n != NULL && n[0] == (unsigned char)name[0] &&
        strcmp((const char *)n, name) == 0;
}

/*
 * What an element is to the reading, from its name (lower case, as the
 * parser gives it): looked up once per event in a table indexed by the
 * first letter.
 */
enum {
    K_BLOCK = 1 << 0,       /* its edges separate words */
    K_HEADING = 1 << 1,     /* h1 to h6 */
    K_HIDDEN = 1 << 2,      /* its content is never text a reader sees */
    K_CHROME = 1 << 3,      /* not the page's content: navigation, ... */
    K_BR = 1 << 4,
    K_A = 1 << 5,
    K_TR = 1 << 6,
    K_CELL = 1 << 7,        /* td, th */
    K_MAIN = 1 << 8,
    K_IMG = 1 << 9,
    K_SITE = 1 << 10,       /* base, link: may name the site */
    K_CONTENT = 1 << 11,    /* html, body, main, article: never chrome by
                               class or id */
    K_DD = 1 << 12,
    K_DT = 1 << 13
};

static const struct kind {
    const char *name;
    unsigned k;
} kinds[] = {       /* sorted, for bsearch */
    { "a", K_A },
    { "address", K_BLOCK },
    { "article", K_BLOCK | K_CONTENT },
    { "aside", K_BLOCK | K_CHROME },
    { "base", K_SITE },
    { "blockquote", K_BLOCK },
    { "body", K_CONTENT },
    { "br", K_BR },
    { "button", K_CHROME },
    { "dd", K_BLOCK | K_DD },
    { "dialog", K_CHROME },
    { "div", K_BLOCK },
    { "dl", K_BLOCK },
    { "dt", K_BLOCK | K_DT },
    { "figcaption", K_BLOCK },
    { "figure", K_BLOCK },
    { "footer", K_BLOCK | K_CHROME },
    { "form", K_CHROME },
    { "h1", K_BLOCK | K_HEADING },
    { "h2", K_BLOCK | K_HEADING },
    { "h3", K_BLOCK | K_HEADING },
    { "h4", K_BLOCK | K_HEADING },
    { "h5", K_BLOCK | K_HEADING },
    { "h6", K_BLOCK | K_HEADING },
    { "head", K_HIDDEN },
    { "header", K_BLOCK | K_CHROME },
    { "hr", K_BLOCK },
    { "html", K_CONTENT },
    { "iframe", K_CHROME },
    { "img", K_IMG },
    { "li", K_BLOCK },
    { "link", K_SITE },
    { "main", K_MAIN | K_CONTENT },
    { "menu", K_CHROME },
    { "nav", K_BLOCK | K_CHROME },
    { "object", K_CHROME },
    { "ol", K_BLOCK },
    { "p", K_BLOCK },
    { "pre", K_BLOCK },
    { "script", K_HIDDEN },
    { "section", K_BLOCK },
    { "select", K_CHROME },
    { "style", K_HIDDEN },
    { "svg", K_CHROME },
    { "table", K_BLOCK },
    { "td", K_BLOCK | K_CELL },
    { "template", K_HIDDEN },
    { "th", K_BLOCK | K_CELL },
    { "tr", K_BLOCK | K_TR },
    { "ul", K_BLOCK },
};

static int
kind_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct kind *)elem)->name);
}

static unsigned
kind(const xmlChar *n)
{
    const struct kind *k;

    if (n == NULL)
        return 0;
    k = bsearch(n, kinds, sizeof(kinds) / sizeof(kinds[0]),
        sizeof(kinds[0]), kind_cmp);
    return k != NULL ? k->k : 0;
}

static int
is_block(const xmlChar *n)
{
    return (kind(n) & K_BLOCK) != 0;
}

static int
is_hidden(const xmlChar *n)
{
    return (kind(n) & K_HIDDEN) != 0;
}

/*
 * The value of attribute name among the parser's name, value pairs
 * (borrowed, valid during the callback), "" for a bare name, or NULL.
 */
static const char *
attr(const xmlChar **atts, const char *name)
{
    if (atts == NULL)
        return NULL;
    for (size_t i = 0; atts[i] != NULL; i += 2)
        if (strcmp((const char *)atts[i], name) == 0)
            return atts[i + 1] != NULL ? (const char *)atts[i + 1] : "";
    return NULL;
}

/* Does the class attribute value v (may be NULL) list cls? */
static int
has_class(const char *v, const char *cls)
{
    size_t len = strlen(cls);
    const char *s;
    int found = 0;

    if (v == NULL)
        return 0;
    for (s = v; *s != '\0' && !found; ) {
        size_t k = 0;

        while (*s != '\0' && lh_is_space_byte((unsigned char)*s))
            s++;
        while (s[k] != '\0' && !lh_is_space_byte((unsigned char)s[k]))
            k++;
        found = k == len && memcmp(s, cls, len) == 0;
        s += k;
    }
    return found;
}

/*
 * How a person reads a directory page, as a walk over the parser's events
 * (start, end, text) in document order; it never sees a tree.
 *
 * The page is cut into items: the text between two edges of blocks (a
 * <p>, <li>, <div>, <dt>, <dd>, a heading, ...) or <br>s, except that a
 * table row is one item whatever its cells hold and the inside of a link
 * never cuts one.  Every item's visible text is collected.  A heading's
 * text sets the region.  An organization is the first link of an item
 * when nothing but punctuation comes before it in the item (so a link
 * inside a sentence is a reference, not an entry; in a table row, the
 * row's first link wherever it is); its name is the link's text, or the
 * row's first cell when the link is in a later one, or the <dt> above the
 * <dd> holding it; its description is the rest of the item's text, or
 * else the text of the next item when that one holds no organization and
 * is not a heading (the theme's <p><a></a></p><div>description</div>).
 *
 * Not read: navigation, headers, footers, sidebars, forms and menus
 * (by element, ARIA role, or a class or id that names them exactly),
 * scripts and styles, in-page anchors, mailto: and similar links, and
 * links to the directory's own site (relative ones, or an absolute one
 * to the site's host) unless the options keep them.  When the page marks
 * its main content (<main>, role="main") and organizations were found
 * in it, those outside are dropped.
 */
enum mode {
    VISIT,      /* collecting the items' text */
    SKIP        /* passing over a subtree: navigation, script, ... */
};

/* An organization found, kept until the page is read (see main). */
struct cand {
    unsigned line;
    int in_main;
    char *region, *url, *name, *desc;
};

/*
 * What keeps one parse within bounds, whoever reads the page (the walk,
 * or the tree of the XPath options): the time budget and the cancel
 * flag (lh_dir_interrupted), looked at every few hundred events, and
 * the misplaced-tag meter.  libxml2 2.9 compares an end tag that is not
 * the innermost open element's with every open element, reporting each
 * as a tag name mismatch: a page of 400,000 nested <div>s then as many
 * stray </span>s takes it minutes.  The meter adds the open elements at
 * each such report, what libxml2 walked through, and stops the parse
 * once the sum passes LH_HTML_MAX_MISPLACED_COST (a tenth of a second or
 * so; a real page's sum is some thousands).
 */
struct guard {
    struct lh_dir_parser *p;
    htmlParserCtxtPtr ctxt;
    unsigned long events;
    struct lh_html_meter meter;
    int stopped;                    /* stopped, the error set */
    int nomem;                      /* libxml2 ran out of memory */
    startElementSAXFunc start;      /* the tree builder's, in read_tree */
};

static int
guard_line(const struct guard *g)
{
    if (g->p->line_base > 0)
        return (int)g->p->line_base;
    return g->ctxt->input != NULL ? g->ctxt->input->line : 0;
}

static void
guard_stop(struct guard *g)
{
    g->stopped = 1;
    xmlStopParser(g->ctxt);
}

/* One more event of the parse: -1 once it must stop (the error set). */
static int
guard_tick(struct guard *g)
{
    if (g->stopped)
        return -1;
    if ((++g->events & 255) == 0 && lh_dir_interrupted(g->p) == -1) {
        guard_stop(g);
        return -1;
    }
    return 0;
}

/* Per-document state of the walk. */
struct walk {
    struct guard g;
    struct lh_dir_parser *p;
    htmlParserCtxtPtr ctxt;     /* where the parser is: line numbers */
    enum mode mode;
    size_t run;                 /* bytes of text (or of script) since the
                                   last element edge, comment or PI, or
                                   change between the two: one node */
    int run_cdata;              /* that run is script, not text */
    size_t depth;               /* open elements of the subtree skipped,
                                   its top included */
    size_t main_depth;          /* open elements since the <main> (or
                                   role="main") element, it included */
    int saw_main;               /* the page marks its main content */
    char *region;               /* text of the last heading, owned */
    char *site;                 /* host of the directory's own site, or
                                   NULL; owned */

    /* The item being read: its text is p->text. */
    int item_heading;           /* it is a heading */
    int item_dd, item_dt;       /* it is a <dd>, a <dt> */
    int item_words;             /* a letter or digit is in its text */
    int item_desc;              /* it is the element that describes the
                                   organization pending */
    size_t desc_depth;          /* open blocks of that element */
    int soft;                   /* a soft break (<br>, or a block edge
                                   inside that element) was seen ... */
    size_t soft_at;             /* ... at this byte of the item's text */
    int soft_words;             /* and words came after it */
    size_t in_tr;               /* open <tr>: the row is the item */
    unsigned cell;              /* cells of the row begun */
    size_t first_cell_end;      /* end of the first cell's text, or 0 */
    int in_link;                /* inside an <a href> */
    int link_cand;              /* and it is the item's organization */
    int item_has_cand;          /* the item has its organization */
    char *url;                  /* its href, trimmed; owned */
    unsigned line;              /* its line */
    size_t link_start, link_end;    /* its text in the item's */
    char *dt;                   /* the text of a <dt> just read, owned */
    char *img_alt;              /* alt of an image in the link, owned */

    /* An organization waiting for its description in the next item. */
    struct cand pending;
    int has_pending;

    struct cand *c;             /* found, in document order */
    size_t nc, cc;
    int failed;                 /* out of memory: the parser was stopped */
    int too_long;               /* the line of a text node too long for
                                   libxml2: the parser was stopped */
};

static void
walk_fail(struct walk *w)
{
    w->failed = 1;
    xmlStopParser(w->ctxt);
}

static void
cand_free(struct cand *c)
{
    free(c->region);
    free(c->url);
    free(c->name);
    free(c->desc);
    memset(c, 0, sizeof(*c));
}

/* Keep c (taken over) among the organizations found. */
static void
keep(struct walk *w, struct cand *c)
{
    struct cand *grown;

    if (w->nc == w->cc) {
        size_t cap = w->cc ? w->cc * 2 : 64;

        if ((grown = realloc(w->c, cap * sizeof(*grown))) == NULL) {
            cand_free(c);
            walk_fail(w);
            return;
        }
        w->c = grown;
        w->cc = cap;
    }
    w->c[w->nc++] = *c;
    memset(c, 0, sizeof(*c));
}

static void
keep_pending(struct walk *w)
{
    if (w->has_pending) {
        w->has_pending = 0;
        keep(w, &w->pending);
    }
}

static void
take_text(struct walk *w, const char *s, size_t n)
{
    if (lh_dir_buf_append(&w->p->text, s, n) == -1) {
        walk_fail(w);
        return;
    }
    for (size_t i = 0; i < n && !w->soft_words; i++) {
        unsigned char c = (unsigned char)s[i];

        /* Letters and digits, of any script: punctuation, dashes and
         * bullets (• is E2 80 A2) are not words. */
        if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
            (c >= 'a' && c <= 'z') || (c >= 0xc3 && c != 0xe2))
            w->item_words = w->soft_words = 1;
    }
}

/* A line break that does not end the item unless a link starts the
 * line: see visit_link. */
static void
soft_break(struct walk *w)
{
    w->soft = 1;
    w->soft_at = w->p->text.len;
    w->soft_words = 0;
    take_text(w, " ", 1);
}

/* Normalized text of the item from byte off to end; NULL on failure. */
static char *
item_text(struct walk *w, size_t off, size_t end)
{
    struct lh_dir_buf *b = &w->p->text;
    char *t;

    if (end > b->len)
        end = b->len;
    if (off > end)
        off = end;
    if ((t = lh_text_normalize(b->p != NULL ? b->p + off : "", end - off)) ==
        NULL)
        walk_fail(w);
    return t;
}

/* A description begins after what separates it from the name. */
static char *
strip_separator(char *t)
{
    static const char *const seps[] = {
        "-", "\xe2\x80\x93", "\xe2\x80\x94", ":", "|", ",", "\xc2\xb7",
    };
    size_t skip = 0;

    if (t == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(seps) / sizeof(seps[0]); i++) {
        size_t n = strlen(seps[i]);

        if (strncmp(t, seps[i], n) == 0 && (t[n] == ' ' || t[n] == '\0')) {
            skip = n + (t[n] == ' ');
            break;
        }
    }
    if (skip > 0)
        memmove(t, t + skip, strlen(t + skip) + 1);
    return t;
}

/* The item ends: its organization, or its text as a region or as the
 * description of the one waiting. */
static void
item_end(struct walk *w)
{
    struct lh_dir_buf *b = &w->p->text;
    struct cand c;
    char *text;

    if (w->failed)
        return;
    if (w->in_link && w->link_cand)
        w->link_end = b->len;
    if (w->item_has_cand) {
        keep_pending(w);
        memset(&c, 0, sizeof(c));
        c.line = w->line;
        c.in_main = w->main_depth > 0;
        c.url = w->url;
        w->url = NULL;
        if (w->item_dd && w->dt != NULL && w->dt[0] != '\0') {
            c.name = w->dt;
            w->dt = NULL;
        } else if (w->first_cell_end > 0 && w->link_start >=
            w->first_cell_end) {
            c.name = item_text(w, 0, w->first_cell_end);
        } else {
            c.name = item_text(w, w->link_start, w->link_end);
            if (c.name != NULL && c.name[0] == '\0' && w->img_alt != NULL) {
                /* A logo: its alt text names it. */
                free(c.name);
                c.name = lh_text_normalize(w->img_alt, strlen(w->img_alt));
            }
        }
        c.desc = strip_separator(item_text(w, w->link_end, b->len));
        c.region = strdup(w->region != NULL ? w->region : "");
        if (c.name == NULL || c.desc == NULL || c.region == NULL) {
            cand_free(&c);
            walk_fail(w);
        } else if (c.desc[0] == '\0') {
            /* The next item may describe it. */
            free(c.desc);
            c.desc = NULL;
            w->pending = c;
            w->has_pending = 1;
        } else {
            keep(w, &c);
        }
    } else if ((w->item_words || w->item_desc) && (w->item_heading ||
        w->has_pending || w->item_dt)) {
        if ((text = item_text(w, 0, b->len)) == NULL)
            return;
        if (w->item_heading) {
            keep_pending(w);
            free(w->region);
            w->region = text;
        } else {
            if (w->has_pending && text[0] != '\0') {
                w->pending.desc = text;
                text = NULL;
                keep_pending(w);
            }
            free(w->dt);
            w->dt = w->item_dt ? text : NULL;  /* a <dd> may follow */
            if (!w->item_dt)
                free(text);
        }
    }
    b->len = 0;
    w->item_words = w->item_has_cand = w->item_desc = 0;
    w->soft = w->soft_words = 0;
    w->desc_depth = 0;
    w->item_heading = w->item_dd = w->item_dt = 0;
    w->first_cell_end = 0;
    free(w->url);
    free(w->img_alt);
    w->url = w->img_alt = NULL;
}

/* A new item begins at a block of kind k (0: at the end of one). */
static void
item_begin(struct walk *w, unsigned k)
{
    item_end(w);
    if (k == 0)
        return;
    w->item_heading = (k & K_HEADING) != 0;
    w->item_dd = (k & K_DD) != 0;
    w->item_dt = (k & K_DT) != 0;
    if (!w->item_dd) {
        free(w->dt);
        w->dt = NULL;
    }
    if (w->has_pending && !w->item_heading) {
        /* The block after an organization's may describe it, all of it:
         * its inner edges are soft. */
        w->item_desc = 1;
        w->desc_depth = 1;
    }
}

/* A link starts a line after a soft break: the item ends at the break
 * and a new one begins with the link. */
static void
item_split(struct walk *w)
{
    struct lh_dir_buf *b = &w->p->text;
    size_t depth = w->desc_depth, n = b->len - w->soft_at;
    char *tail;

    if ((tail = malloc(n + 1)) == NULL) {
        walk_fail(w);
        return;
    }
    memcpy(tail, b->p + w->soft_at, n);
    b->len = w->soft_at;
    item_end(w);
    take_text(w, tail, n);
    free(tail);
    w->desc_depth = depth;
}

/* Is the host of url (absolute http or https) the directory's own? */
static int
own_site(const struct walk *w, const char *url)
{
    const char *h;
    size_t n, sn;

    if (w->site == NULL)
        return 0;
    h = strstr(url, "://") + 3;
    n = strcspn(h, "/?#:");
    if (n >= 4 && strncasecmp(h, "www.", 4) == 0) {
        h += 4;
        n -= 4;
    }
    sn = strlen(w->site);
    return n == sn && strncasecmp(h, w->site, n) == 0;
}

/* The host of an absolute http(s) URL, without "www.": for own_site. */
static char *
site_of(const char *url)
{
    const char *h;
    size_t n;

    if (strncasecmp(url, "http://", 7) != 0 &&
        strncasecmp(url, "https://", 8) != 0)
        return NULL;
    h = strstr(url, "://") + 3;
    n = strcspn(h, "/?#:");
    if (n >= 4 && strncasecmp(h, "www.", 4) == 0) {
        h += 4;
        n -= 4;
    }
    return n > 0 ? strndup(h, n) : NULL;
}

/*
 * What an href is for a directory: 1 a link that may be an organization,
 * 0 one that is not (in-page, mail, script, the directory's own site).
 * An href with another scheme may be one: lh_dir_add_entry says why it
 * is skipped ("ftp://..." is not http or https).
 */
static int
may_be_organization(const struct walk *w, const char *href)
{
    static const char *const never[] = {
        "mailto:", "tel:", "javascript:", "data:", "sms:", "callto:",
    };
    size_t scheme = strspn(href, "abcdefghijklmnopqrstuvwxyz"
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");

    if (href[0] == '\0' || href[0] == '#')
        return 0;
    for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
        if (strncasecmp(href, never[i], strlen(never[i])) == 0)
            return 0;
    if (scheme == 0 || href[scheme] != ':')
        return 0;       /* relative: the directory's own site */
    if ((strncasecmp(href, "http:", 5) == 0 ||
        strncasecmp(href, "https:", 6) == 0) && strstr(href, "://") != NULL &&
        !w->p->opt.own_site_links && own_site(w, href))
        return 0;
    return 1;
}

static void
visit_link(struct walk *w, const xmlChar **atts)
{
    const char *s = attr(atts, "href");
    size_t n;
    int line;

    if (s == NULL)
        return;
    while (*s != '\0' && lh_is_space_byte((unsigned char)*s))
        s++;
    w->in_link = 1;
    w->link_cand = 0;
    if (!may_be_organization(w, s))
        return;
    if (w->item_has_cand || (w->item_words && w->in_tr == 0)) {
        if (!w->soft || w->soft_words || w->in_tr > 0)
            return;     /* a link in a sentence, or a second one */
        item_split(w);
        if (w->failed)
            return;
    }
    n = strlen(s);
    while (n > 0 && lh_is_space_byte((unsigned char)s[n - 1]))
        n--;
    free(w->url);
    if ((w->url = strndup(s, n)) == NULL) {
        walk_fail(w);
        return;
    }
    line = w->ctxt->input != NULL ? w->ctxt->input->line : 0;
    w->line = w->p->line_base > 0 ? w->p->line_base :
        line > 0 ? (unsigned)line : 0;
    w->link_cand = w->item_has_cand = 1;
    w->link_start = w->link_end = w->p->text.len;
}

/*
 * Does a class or id value name what is not the page's content?  Once
 * per element: each word of the value is looked up, by its length first.
 */
static int
names_chrome(const char *v)
{
    static const char *const words[] = {
        "nav", "menu", "header", "footer", "navbar", "widget", "sidebar",
        "sub-menu", "main-nav", "masthead", "site-nav", "colophon",
        "menu-item", "skip-link", "navigation", "breadcrumb", "top-header",
        "breadcrumbs", "widget-area", "site-header", "site-footer",
        "main-header", "main-footer", "screen-reader-text",
    };

    while (v != NULL && *v != '\0') {
        size_t k;

        while (*v != '\0' && lh_is_space_byte((unsigned char)*v))
            v++;
        for (k = 0; v[k] != '\0' && !lh_is_space_byte((unsigned char)v[k]);
            k++)
            ;
        if (k >= 3 && k <= 18)
            for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
                if (strlen(words[i]) == k && memcmp(words[i], v, k) == 0)
                    return 1;
        v += k;
    }
    return 0;
}

/* Elements, roles, classes and ids of what is not the page's content. */
static int
is_chrome(unsigned k, const xmlChar **atts)
{
    static const char *const roles[] = {
        "navigation", "banner", "contentinfo", "complementary", "search",
        "menu", "menubar", "toolbar", "dialog",
    };
    const char *role;

    if (k & (K_HIDDEN | K_CHROME))
        return 1;
    if (atts == NULL)
        return 0;
    if ((role = attr(atts, "role")) != NULL)
        for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
            if (strcasecmp(role, roles[i]) == 0)
                return 1;
    if (k & K_CONTENT)
        return 0;
    return names_chrome(attr(atts, "class")) || names_chrome(attr(atts,
        "id"));
}

/* <base href> and <link rel="canonical"> name the page's own site. */
static void
learn_site(struct walk *w, const xmlChar *name, const xmlChar **atts)
{
    const char *href = attr(atts, "href"), *rel = attr(atts, "rel");

    if (w->site != NULL || href == NULL)
        return;
    if (name[0] == 'b' || (rel != NULL && has_class(rel, "canonical")))
        w->site = site_of(href);
}

static int
is_main(unsigned k, const xmlChar **atts)
{
    const char *role;

    return (k & K_MAIN) || ((role = attr(atts, "role")) != NULL &&
        strcasecmp(role, "main") == 0);
}

static void
start_cb(void *arg, const xmlChar *name, const xmlChar **atts)
{
    struct walk *w = arg;
    unsigned k;

    if (w->failed || guard_tick(&w->g) == -1)
        return;
    w->run = 0;
    k = kind(name);
    if (w->main_depth > 0)
        w->main_depth++;
    if (k & K_SITE)
        learn_site(w, name, atts);  /* in <head>, which is passed over */
    if (w->mode == SKIP) {
        w->depth++;
        return;
    }
    if (is_chrome(k, atts)) {
        if (!w->in_link && w->in_tr == 0)
            item_end(w);
        w->mode = SKIP;
        w->depth = 1;
        return;
    }
    if (w->main_depth == 0 && is_main(k, atts))
        w->main_depth = w->saw_main = 1;
    if (k & K_A) {
        visit_link(w, atts);
    } else if (k & K_IMG) {
        if (w->in_link && w->link_cand && w->img_alt == NULL &&
            attr(atts, "alt") != NULL &&
            (w->img_alt = strdup(attr(atts, "alt"))) == NULL)
            walk_fail(w);
    } else if (k & K_TR) {
        if (w->in_tr == 0)
            item_begin(w, k);
        w->in_tr++;
        w->cell = 0;
    } else if ((k & K_CELL) && w->in_tr > 0) {
        if (++w->cell == 2 && w->first_cell_end == 0)
            w->first_cell_end = w->p->text.len;
        take_text(w, " ", 1);
    } else if (!(k & (K_BR | K_BLOCK))) {
        return;
    } else if (w->in_link || w->in_tr > 0 || (w->item_heading &&
        !(k & K_HEADING))) {
        take_text(w, " ", 1);
    } else if (k & K_BR) {
        soft_break(w);
    } else if (w->desc_depth > 0 && !(k & K_HEADING)) {
        w->desc_depth++;
        soft_break(w);
    } else {
        item_begin(w, k);
    }
}

static void
end_cb(void *arg, const xmlChar *name)
{
    struct walk *w = arg;
    unsigned k;

    if (w->failed || guard_tick(&w->g) == -1)
        return;
    w->run = 0;
    if (w->main_depth > 0)
        w->main_depth--;
    if (w->mode == SKIP) {
        if (--w->depth == 0)
            w->mode = VISIT;
        return;
    }
    k = kind(name);
    if (k & K_A) {
        if (w->in_link && w->link_cand)
            w->link_end = w->p->text.len;
        w->in_link = w->link_cand = 0;
    } else if ((k & K_TR) && w->in_tr > 0) {
        if (--w->in_tr == 0)
            item_begin(w, 0);
    } else if ((k & K_CELL) && w->in_tr > 0) {
        take_text(w, " ", 1);
    } else if (!(k & K_BLOCK)) {
        return;
    } else if (w->in_link || w->in_tr > 0 || (w->item_heading &&
        !(k & K_HEADING))) {
        take_text(w, " ", 1);
    } else if (w->desc_depth > 1 && !(k & K_HEADING)) {
        w->desc_depth--;
        soft_break(w);
    } else {
        item_begin(w, 0);
    }
}

/*
 * The parser hands a text node over in chunks, one after another; the
 * content of <script> and <style> (cdata) too, and it is never taken.
 * As libxml2 does for the trees it builds (without XML_PARSE_HUGE), a
 * text node over XML_MAX_TEXT_LENGTH (10,000,000 bytes) stops the parse:
 * only a directory_max_bytes above that can hold one.  Elements may nest
 * as deep as the page goes: the walk keeps counters, not a stack, and a
 * theme that never closes its wrapper <div> is common.
 */
static void
got_text(struct walk *w, const xmlChar *s, int len, int cdata)
{
    if (w->failed || len <= 0 || guard_tick(&w->g) == -1)
        return;
    if (w->run_cdata != cdata) {
        w->run = 0;
        w->run_cdata = cdata;
    }
    if ((size_t)len > XML_MAX_TEXT_LENGTH - w->run) {
        int line = w->ctxt->input != NULL ? w->ctxt->input->line : 0;

        w->too_long = line > 0 ? line : 1;
        xmlStopParser(w->ctxt);
        return;
    }
    w->run += (size_t)len;
    if (w->mode == SKIP || cdata)
        return;
    take_text(w, (const char *)s, (size_t)len);
}

static void
text_cb(void *arg, const xmlChar *s, int len)
{
    got_text(arg, s, len, 0);
}

static void
cdata_cb(void *arg, const xmlChar *s, int len)
{
    got_text(arg, s, len, 1);
}

/* A comment or a processing instruction ends a text node. */
static void
comment_cb(void *arg, const xmlChar *value)
{
    struct walk *w = arg;

    (void)value;
    w->run = 0;
}

static void
pi_cb(void *arg, const xmlChar *target, const xmlChar *data)
{
    struct walk *w = arg;

    (void)target;
    (void)data;
    w->run = 0;
}

/* The page is read: hand the organizations over, in document order. */
static int
walk_finish(struct walk *w)
{
    int main_only = 0, rc = 0;

    item_end(w);
    keep_pending(w);
    for (size_t i = 0; i < w->nc && w->saw_main; i++)
        main_only |= w->c[i].in_main;
    for (size_t i = 0; i < w->nc; i++) {
        struct cand *c = &w->c[i];

        if (rc == 0 && !w->failed && (!main_only || c->in_main)) {
            /* lh_dir_add_entry takes the name and the description. */
            if (c->desc == NULL && (c->desc = strdup("")) == NULL) {
                rc = lh_dir_oom(w->p);
            } else {
                rc = lh_dir_add_entry(w->p, c->line, c->region, c->url,
                    c->name, c->desc);
                c->name = c->desc = NULL;
            }
        }
        cand_free(c);
    }
    return rc;
}

static void
walk_cleanup(struct walk *w)
{
    for (size_t i = 0; i < w->nc; i++)
        cand_free(&w->c[i]);
    free(w->c);
    cand_free(&w->pending);
    free(w->region);
    free(w->site);
    free(w->url);
    free(w->dt);
    free(w->img_alt);
}

static int
only_space(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!lh_is_space_byte((unsigned char)s[i]))
            return 0;
    return 1;
}

/*
 * The pages a person's reading gets wrong are read by the configuration's
 * XPath instead: directory_xpath selects the organizations (an element
 * holding a link, a link, or a link's href attribute) and region_xpath
 * the headings (default: h1 to h6).  On a tree, so only then is one
 * built.
 */
#define DEFAULT_REGION_XPATH "//h1|//h2|//h3|//h4|//h5|//h6"

/*
 * An XPath error, kept rather than printed.  libxml2 2.9 leaves the
 * message out of what it hands the context's handler: the code and the
 * position in the expression are there.
 */
struct xpath_why {
    int code, at;
};

static void
xpath_error(void *arg, xmlErrorPtr e)
{
    struct xpath_why *w = arg;

    if (e != NULL && w->code == 0) {
        w->code = e->code;
        w->at = e->int1;
    }
}

static const char *
xpath_message(int code)
{
    switch (code) {
    case XML_XPATH_NUMBER_ERROR:
        return "a number is not well formed";
    case XML_XPATH_UNFINISHED_LITERAL_ERROR:
    case XML_XPATH_START_LITERAL_ERROR:
        return "a string is not closed";
    case XML_XPATH_UNDEF_VARIABLE_ERROR:
    case XML_XPATH_VARIABLE_REF_ERROR:
        return "variables are not defined here";
    case XML_XPATH_INVALID_PREDICATE_ERROR:
        return "a predicate is not well formed";
    case XML_XPATH_UNCLOSED_ERROR:
        return "something is not closed";
    case XML_XPATH_UNKNOWN_FUNC_ERROR:
        return "it calls an unknown function";
    case XML_XPATH_UNDEF_PREFIX_ERROR:
        return "a namespace prefix is not defined";
    case XML_XPATH_INVALID_CHAR_ERROR:
        return "a character is not allowed";
    default:
        return "the expression is not well formed";
    }
}

static void
silent(void *arg, const char *fmt, ...)
{
    (void)arg;
    (void)fmt;
}

/*
 * Evaluate expr on doc (NULL: only compile it), errors kept in *w and
 * nothing printed: libxml2 also reports some evaluation errors (an
 * unknown function) through its generic handler.
 */
static xmlXPathObjectPtr
quiet_eval(xmlDocPtr doc, const char *expr, struct xpath_why *w)
{
    xmlGenericErrorFunc saved = xmlGenericError;
    void *saved_arg = xmlGenericErrorContext;
    xmlXPathContextPtr ctx;
    xmlXPathCompExprPtr comp;
    xmlXPathObjectPtr r = NULL;

    if ((ctx = xmlXPathNewContext(doc)) == NULL) {
        w->code = XML_XPATH_MEMORY_ERROR;
        return NULL;
    }
    ctx->error = xpath_error;
    ctx->userData = w;
    xmlSetGenericErrorFunc(NULL, silent);
    if ((comp = xmlXPathCtxtCompile(ctx, (const xmlChar *)expr)) != NULL) {
        r = xmlXPathCompiledEval(comp, ctx);
        xmlXPathFreeCompExpr(comp);
    }
    xmlSetGenericErrorFunc(saved_arg, saved);
    xmlXPathFreeContext(ctx);
    if (r == NULL && w->code == 0)
        w->code = XML_XPATH_EXPR_ERROR;
    return r;
}

int
lh_dir_xpath_check(const char *expr, char *why, size_t whylen)
{
    static const char page[] = "<html><body><a href=\"x\">x</a></body>"
        "</html>";
    struct xpath_why w = { 0, 0 };
    xmlXPathObjectPtr r;
    htmlDocPtr doc;
    int type;

    xmlInitParser();
    if ((doc = htmlReadMemory(page, sizeof(page) - 1, NULL, "UTF-8",
            HTML_OPTIONS)) == NULL) {
        lh_seterr(why, whylen, "cannot be checked: out of memory");
        return -1;
    }
    r = quiet_eval(doc, expr, &w);
    type = r != NULL ? (int)r->type : -1;
    xmlXPathFreeObject(r);
    xmlFreeDoc(doc);
    if (type == XPATH_NODESET)
        return 0;
    if (r != NULL) {
        lh_seterr(why, whylen, "selects no elements (it is a number, a "
            "string or a boolean)");
        return -1;
    }
    if (w.code == XML_XPATH_MEMORY_ERROR)
        lh_seterr(why, whylen, "cannot be checked: out of memory");
    else if (w.at > 0)
        lh_seterr(why, whylen, "is not an XPath expression: %s (at "
            "character %d)", xpath_message(w.code), w.at + 1);
    else
        lh_seterr(why, whylen, "is not an XPath expression: %s",
            xpath_message(w.code));
    return -1;
}

/* The first <a href> at or under node, in document order, or NULL. */
static xmlNodePtr
first_link(xmlNodePtr node)
{
    xmlNodePtr n = node;

    while (n != NULL) {
        if (n->type == XML_ELEMENT_NODE && is_name(n->name, "a") &&
            xmlHasProp(n, (const xmlChar *)"href") != NULL)
            return n;
        if (n->children != NULL && n->type == XML_ELEMENT_NODE) {
            n = n->children;
            continue;
        }
        while (n != node && n->next == NULL)
            n = n->parent;
        if (n == node)
            break;
        n = n->next;
    }
    return NULL;
}

/*
 * The visible text under node (scripts and styles left out, the edges of
 * blocks and <br> as spaces) into b; with skip not NULL, only what comes
 * after that subtree.
 */
static int
tree_text(xmlNodePtr node, xmlNodePtr skip, struct lh_dir_buf *b)
{
    xmlNodePtr n = node;
    int after = skip == NULL;

    while (n != NULL) {
        int down = 0;

        if (n == skip) {
            after = 1;
        } else if (n->type == XML_TEXT_NODE || n->type ==
            XML_CDATA_SECTION_NODE) {
            if (after && n->content != NULL && lh_dir_buf_append(b,
                (const char *)n->content, strlen((const char *)n->content))
                == -1)
                return -1;
        } else if (n->type == XML_ELEMENT_NODE && !is_hidden(n->name)) {
            if (kind(n->name) & (K_BLOCK | K_BR))
                if (lh_dir_buf_append(b, " ", 1) == -1)
                    return -1;
            down = n->children != NULL;
        }
        if (down) {
            n = n->children;
            continue;
        }
        while (n != node && n->next == NULL) {
            n = n->parent;
            if (n != node && n->type == XML_ELEMENT_NODE &&
                is_block(n->name) && lh_dir_buf_append(b, " ", 1) == -1)
                return -1;
        }
        if (n == node)
            break;
        n = n->next;
    }
    return 0;
}

/* Normalized text under node (after skip); NULL when out of memory. */
static char *
node_text(struct lh_dir_parser *p, xmlNodePtr node, xmlNodePtr skip)
{
    p->text.len = 0;
    if (tree_text(node, skip, &p->text) == -1)
        return NULL;
    return lh_text_normalize(p->text.p != NULL ? p->text.p : "",
        p->text.len);
}

static xmlXPathObjectPtr
xpath_eval(struct lh_dir_parser *p, xmlDocPtr doc, const char *expr,
    const char *key)
{
    struct xpath_why w = { 0, 0 };
    xmlXPathObjectPtr r = quiet_eval(doc, expr, &w);

    if (r == NULL && w.code == XML_XPATH_MEMORY_ERROR) {
        lh_dir_oom(p);
        return NULL;
    }
    if (r == NULL) {
        lh_seterr(p->err, p->errlen, "%s: %s \"%s\" could not be evaluated",
            p->source, key, expr);
        return NULL;
    }
    if (r->type != XPATH_NODESET) {
        lh_seterr(p->err, p->errlen, "%s: %s \"%s\" selects no elements "
            "(it is a number, a string or a boolean)", p->source, key, expr);
        xmlXPathFreeObject(r);
        return NULL;
    }
    if (r->nodesetval != NULL)
        xmlXPathNodeSetSort(r->nodesetval);
    return r;
}

/* One node that directory_xpath selected: an organization. */
static int
xpath_entry(struct lh_dir_parser *p, xmlNodePtr node, const char *region)
{
    xmlNodePtr link;
    xmlChar *href;
    char *name = NULL, *desc = NULL;
    unsigned line;
    long l;
    int rc;

    if (node->type == XML_ATTRIBUTE_NODE)
        node = node->parent;    /* //a/@href */
    link = node != NULL && node->type == XML_ELEMENT_NODE ?
        first_link(node) : NULL;
    l = xmlGetLineNo(link != NULL ? link : node);
    line = p->line_base > 0 ? p->line_base : l > 0 ? (unsigned)l : 0;
    if (link == NULL)
        return lh_dir_skip(p, line, "", "the element that directory_xpath "
            "selects holds no link");
    if ((href = xmlGetProp(link, (const xmlChar *)"href")) == NULL)
        return lh_dir_oom(p);
    if ((name = node_text(p, link, NULL)) == NULL ||
        (desc = node_text(p, node, link)) == NULL) {
        free(name);
        xmlFree(href);
        return lh_dir_oom(p);
    }
    if (link == node) {
        desc[0] = '\0';
    }
    {
        /* The href as the walk trims it. */
        const char *s = (const char *)href;
        size_t n;
        char *url;

        while (*s != '\0' && lh_is_space_byte((unsigned char)*s))
            s++;
        n = strlen(s);
        while (n > 0 && lh_is_space_byte((unsigned char)s[n - 1]))
            n--;
        url = strndup(s, n);
        xmlFree(href);
        if (url == NULL) {
            free(name);
            free(desc);
            return lh_dir_oom(p);
        }
        rc = lh_dir_add_entry(p, line, region, url, name,
            strip_separator(desc));
        free(url);
    }
    return rc;
}

static int guarded_parse(struct guard *g);

/* The tree builder's start of an element, a tick of the guard first. */
static void
tree_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
    htmlParserCtxtPtr ctxt = ctx;
    struct guard *g = ctxt->_private;

    if (guard_tick(g) == 0)
        g->start(ctx, name, atts);
}

/*
 * The tree of the page, or NULL with the error set.  The tree builder
 * stops at a depth of 256, libxml2's xmlParserMaxDepth (html_error then
 * refuses the page): misplaced end tags cost it that much at most.
 */
static htmlDocPtr
read_tree(struct lh_dir_parser *p, const char *html, size_t len)
{
    htmlParserCtxtPtr ctxt;
    htmlDocPtr doc = NULL;
    xmlSAXHandler sax, *own;
    struct guard g;

    if ((ctxt = htmlCreateMemoryParserCtxt(html, (int)len)) == NULL) {
        lh_dir_oom(p);
        return NULL;
    }
    htmlCtxtUseOptions(ctxt, HTML_OPTIONS);
    memset(&g, 0, sizeof(g));
    g.p = p;
    g.ctxt = ctxt;
    own = ctxt->sax;
    sax = *own;
    g.start = sax.startElement;
    sax.startElement = tree_start;
    ctxt->sax = &sax;
    ctxt->_private = &g;
    if (xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8) == 0 &&
        guarded_parse(&g) == 0) {
        if ((doc = ctxt->myDoc) == NULL)
            lh_dir_oom(p);
        ctxt->myDoc = NULL;
    } else if (!g.stopped) {
        lh_dir_oom(p);
    }
    if (ctxt->myDoc != NULL)
        xmlFreeDoc(ctxt->myDoc);
    ctxt->myDoc = NULL;
    ctxt->sax = own;
    ctxt->_private = NULL;
    htmlFreeParserCtxt(ctxt);
    return doc;
}

static int
xpath_parse(struct lh_dir_parser *p, const char *html, size_t len)
{
    const char *rx = p->opt.region_xpath != NULL ? p->opt.region_xpath :
        DEFAULT_REGION_XPATH;
    xmlXPathObjectPtr entries = NULL, regions = NULL;
    xmlNodeSetPtr es, rs;
    char *region = NULL;
    htmlDocPtr doc;
    int rc = -1;
    size_t j = 0;

    if ((doc = read_tree(p, html, len)) == NULL)
        return -1;
    if ((entries = xpath_eval(p, doc, p->opt.entry_xpath,
            "directory_xpath")) == NULL ||
        (regions = xpath_eval(p, doc, rx, "region_xpath")) == NULL)
        goto done;
    es = entries->nodesetval;
    rs = regions->nodesetval;
    for (int i = 0; es != NULL && i < es->nodeNr; i++) {
        xmlNodePtr node = es->nodeTab[i];

        /* The last heading before it names its region. */
        while (rs != NULL && j < (size_t)rs->nodeNr &&
            xmlXPathCmpNodes(rs->nodeTab[j], node) == 1) {
            free(region);
            if ((region = node_text(p, rs->nodeTab[j], NULL)) == NULL) {
                lh_dir_oom(p);
                goto done;
            }
            j++;
        }
        if (xpath_entry(p, node, region != NULL ? region : "") == -1)
            goto done;
    }
    rc = 0;
done:
    free(region);
    xmlXPathFreeObject(entries);
    xmlXPathFreeObject(regions);
    xmlFreeDoc(doc);
    return rc;
}


/*
 * libxml2 2.9 reports its own allocation failures through the thread's
 * structured error handler, without the context; the HTML parser then
 * marks itself stopped but can go on looping over input it no longer
 * consumes.  xmlStopParser also empties the input, which ends the loop.
 * Parse errors pass through here as well: the meter counts misplaced
 * end tags (struct guard), the rest are ignored.
 */
static void
html_error(void *arg, xmlErrorPtr e)
{
    struct guard *g = arg;
    struct lh_dir_parser *p = g->p;

    if (e == NULL || g->stopped)
        return;
    if (e->code == XML_ERR_NO_MEMORY) {
        g->nomem = 1;
        guard_stop(g);
        return;
    }
    /* The tree builder stops at xmlParserMaxDepth and reads no further:
     * what follows would be lost without a word. */
    if (g->start != NULL && e->code == XML_ERR_INTERNAL_ERROR &&
        e->message != NULL && strstr(e->message, "Excessive depth") != NULL) {
        lh_seterr(p->err, p->errlen, "%s:%d: elements nested more than %u "
            "deep; refused, as directory_xpath and region_xpath read a tree "
            "of the page and libxml2 builds none deeper", p->source,
            guard_line(g), xmlParserMaxDepth);
        guard_stop(g);
        return;
    }
    if (lh_html_meter_add(&g->meter, e->code, g->ctxt->nameNr)) {
        lh_seterr(p->err, p->errlen, "%s:%d: %lu end tags that close no "
            "open element or not the innermost one, the last with %d "
            "elements open; refused, as libxml2's time grows with their "
            "product", p->source, guard_line(g), g->meter.misplaced,
            g->ctxt->nameNr);
        guard_stop(g);
        return;
    }
    (void)guard_tick(g);
}

/*
 * Parse the document of ctxt, with html_error as this thread's handler
 * of libxml2's errors meanwhile.  -1 when the guard stopped it (the
 * error set) or libxml2 ran out of memory (set here).
 */
static int
guarded_parse(struct guard *g)
{
    xmlStructuredErrorFunc saved = xmlStructuredError;
    void *saved_arg = xmlStructuredErrorContext;

    xmlSetStructuredErrorFunc(g, html_error);
    htmlParseDocument(g->ctxt);
    xmlSetStructuredErrorFunc(saved_arg, saved);
    if (g->nomem || (!g->stopped && g->ctxt->errNo == XML_ERR_NO_MEMORY)) {
        g->stopped = 1;
        return lh_dir_oom(g->p);
    }
    return g->stopped ? -1 : 0;
}

/* Count the newlines of s up to (not including) end. */
static unsigned
line_at(const char *s, const char *end)
{
    unsigned line = 1;

    while ((s = memchr(s, '\n', (size_t)(end - s))) != NULL) {
        line++;
        s++;
    }
    return line;
}

/* The page has no tag libxml2 would take minutes over: 0, or -1 with the
 * error set. */
static int
check_attributes(struct lh_dir_parser *p, const char *html, size_t len)
{
    size_t at = lh_html_crowded_tag(html, len);

    if (at == len)
        return 0;
    lh_seterr(p->err, p->errlen, "%s:%u: a tag with more than %d "
        "attributes; refused, as libxml2's time grows with their square",
        p->source, p->line_base > 0 ? p->line_base : line_at(html,
        html + at), LH_HTML_MAX_ATTRIBUTES);
    return -1;
}

/*
 * Walk the page as libxml2's HTML parser reads it, through SAX callbacks:
 * they see the same elements, implied and auto-closed ones included, in
 * the same order as the tree it would build.  No tree: for a 5 MiB page,
 * building one and freeing it (hundreds of thousands of small blocks,
 * then the glibc consolidation pass that a later large free pays for
 * them) was half the time of parsing with it (bench/, case (d)).
 */
int
lh_dir_html_parse(struct lh_dir_parser *p, const char *html, size_t len)
{
    htmlParserCtxtPtr ctxt;
    xmlSAXHandler sax, *own;
    struct walk w;
    int parsed = 0, rc = 0;

    if (len > INT_MAX) {
        lh_seterr(p->err, p->errlen, "%s: %zu bytes of HTML is too large to "
            "parse", p->source, len);
        return -1;
    }
    if (only_space(html, len))
        return 0;
    if (check_attributes(p, html, len) == -1)
        return -1;
    if (p->opt.entry_xpath != NULL)
        return xpath_parse(p, html, len);
    /*
     * A context by hand rather than htmlSAXParseDoc: naming "UTF-8" as
     * the encoding runs the whole input through a UTF-8 to UTF-8
     * converter into two more copies, while switching the context to
     * UTF-8 only sets how it decodes: the input is already valid UTF-8
     * (lh_directory_parse made it so).
     */
    xmlInitParser();
    if ((ctxt = htmlCreateMemoryParserCtxt(html, (int)len)) == NULL)
        return lh_dir_oom(p);
    htmlCtxtUseOptions(ctxt, HTML_OPTIONS);
    memset(&sax, 0, sizeof(sax));
    sax.startElement = start_cb;
    sax.endElement = end_cb;
    sax.characters = text_cb;
    sax.cdataBlock = cdata_cb;
    sax.comment = comment_cb;
    sax.processingInstruction = pi_cb;
    /* No SAX error or warning callbacks: nothing is printed. */
    memset(&w, 0, sizeof(w));
    w.p = p;
    w.ctxt = ctxt;
    w.g.p = p;
    w.g.ctxt = ctxt;
    w.mode = VISIT;
    if (p->opt.site != NULL)
        w.site = site_of(p->opt.site);
    own = ctxt->sax;
    ctxt->sax = &sax;
    ctxt->userData = &w;
    if (xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8) == 0) {
        (void)guarded_parse(&w.g);
        parsed = 1;
    }
    /* The context frees its own handler, and a document should one have
     * been made. */
    ctxt->sax = own;
    ctxt->userData = ctxt;
    if (ctxt->myDoc != NULL) {
        xmlFreeDoc(ctxt->myDoc);
        ctxt->myDoc = NULL;
    }
    if (w.g.stopped && !w.g.nomem) {
        rc = -1;        /* the guard's error is set */
    } else if (w.too_long > 0) {
        lh_seterr(p->err, p->errlen, "%s:%d: a text of more than %d bytes "
            "without markup; the page is not read", p->source,
            p->line_base > 0 ? (int)p->line_base : w.too_long,
            XML_MAX_TEXT_LENGTH);
        rc = -1;
    } else if (parsed && !w.failed && walk_finish(&w) == -1) {
        rc = -1;
    } else if (w.failed || w.g.nomem || ctxt->errNo == XML_ERR_NO_MEMORY) {
        rc = lh_dir_oom(p);
    } else if (!parsed) {
        lh_seterr(p->err, p->errlen, "%s: the HTML does not parse (out of "
            "memory?)", p->source);
        rc = -1;
    }
    htmlFreeParserCtxt(ctxt);
    walk_cleanup(&w);
    return rc;
}
