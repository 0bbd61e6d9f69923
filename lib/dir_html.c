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

#include "dir_internal.h"
#include "util.h"

/*
 * IGNORE_ENC keeps a <meta charset> from switching the decoder away from
 * UTF-8: the input has been made valid UTF-8 before it gets here.  Line
 * numbers come from the parser's input as it reads (an int, so past
 * 65535 too), not from tree nodes.
 */
#define HTML_OPTIONS (HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |         \
    HTML_PARSE_NONET | HTML_PARSE_RECOVER | HTML_PARSE_IGNORE_ENC)

/* Room for more bytes after the len held; -1 when out of memory. */
static int
buf_reserve(struct lh_dir_buf *b, size_t more)
{
    size_t cap;
    char *p;

    if (more <= b->cap - b->len)
        return 0;
    if (more > SIZE_MAX / 2 - b->len)
        return -1;
    cap = b->cap ? b->cap : 256;
    while (cap - b->len < more)
        cap *= 2;
    if ((p = realloc(b->p, cap)) == NULL)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int
buf_append(struct lh_dir_buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n) == -1)
        return -1;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

/* Is the element name (lower case, as the parser gives it) name? */
static int
is_name(const xmlChar *n, const char *name)
{
    /* The first byte settles most comparisons without a call. */
    return n != NULL && n[0] == (unsigned char)name[0] &&
        strcmp((const char *)n, name) == 0;
}

/* Elements whose edges separate words in the text content. */
static int
is_block(const xmlChar *n)
{
    static const char *const blocks[] = {
        "address", "article", "aside", "blockquote", "dd", "div", "dl",
        "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hr", "li", "nav", "ol", "p", "pre",
        "section", "table", "td", "th", "tr", "ul",
    };

    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
        if (is_name(n, blocks[i]))
            return 1;
    return 0;
}

/* Elements whose content is never text a reader sees. */
static int
is_hidden(const xmlChar *n)
{
    return is_name(n, "script") || is_name(n, "style") ||
        is_name(n, "template") || is_name(n, "head");
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
 * The walk follows the parser's events (start, end, text) in document
 * order; it never sees a tree.  It is either visiting elements, passing
 * over a subtree, or taking the text of one element (an <h2>, an
 * organization's <a>, its description <div>).
 */
enum mode {
    VISIT,
    SKIP,
    TAKE_REGION,
    TAKE_NAME,
    TAKE_DESC
};

/* Per-document state of the walk. */
struct walk {
    struct lh_dir_parser *p;
    htmlParserCtxtPtr ctxt;     /* where the parser is: line numbers */
    enum mode mode;
    size_t run;                 /* bytes of text (or of script) since the
                                   last element edge, comment or PI, or
                                   change between the two: one node */
    int run_cdata;              /* that run is script, not text */
    size_t depth;               /* open elements of the subtree skipped or
                                   taken, its top included */
    size_t hidden;              /* open elements of a script (etc.) inside
                                   the element taken, its top included */
    unsigned in_p, in_li;       /* open <p> and <li> around the element */
    char *region;               /* text of the last <h2>, owned */
    char *url;                  /* a link in a <p> awaiting its description:
                                   its href, trimmed, or NULL; owned */
    char *name;                 /* its text, once its </a> is seen; owned */
    unsigned line;              /* its line */
    int failed;                 /* out of memory: the parser was stopped */
};

static void
walk_fail(struct walk *w)
{
    w->failed = 1;
    xmlStopParser(w->ctxt);
}

/* The pending link is dropped (an <h2>) or replaced (another link). */
static void
drop_pending(struct walk *w)
{
    free(w->url);
    free(w->name);
    w->url = w->name = NULL;
}

static void
begin(struct walk *w, enum mode mode)
{
    w->mode = mode;
    w->depth = 1;
    w->hidden = 0;
    w->p->text.len = 0;
}

static void
take_text(struct walk *w, const char *s, size_t n)
{
    if (buf_append(&w->p->text, s, n) == -1)
        walk_fail(w);
}

/*
 * A link: in a <p> and not in a menu (<li>), and not an in-page anchor,
 * it is an organization once a description follows; its text is taken.
 * Any other link with an href is passed over, its content included; one
 * without an href is walked into.
 */
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
    if (*s == '#' || w->in_p == 0 || w->in_li > 0) {
        begin(w, SKIP);
        return;
    }
    drop_pending(w);
    n = strlen(s);
    while (n > 0 && lh_is_space_byte((unsigned char)s[n - 1]))
        n--;
    if ((w->url = strndup(s, n)) == NULL) {
        walk_fail(w);
        return;
    }
    line = w->ctxt->input != NULL ? w->ctxt->input->line : 0;
    w->line = line > 0 ? (unsigned)line : 0;
    begin(w, TAKE_NAME);
}

static void
visit(struct walk *w, const xmlChar *name, const xmlChar **atts)
{
    if (is_name(name, "h2")) {
        drop_pending(w);
        begin(w, TAKE_REGION);
    } else if (is_name(name, "a")) {
        visit_link(w, atts);
    } else if (is_name(name, "div") &&
        has_class(attr(atts, "class"), "text-subtext")) {
        /* Without a link before it, it describes nothing. */
        begin(w, w->url != NULL && w->name != NULL ? TAKE_DESC : SKIP);
    } else if (is_hidden(name)) {
        begin(w, SKIP);
    } else if (is_name(name, "p")) {
        w->in_p++;
    } else if (is_name(name, "li")) {
        w->in_li++;
    }
}

/* The element taken ends: its text, normalized, is complete. */
static void
taken(struct walk *w, enum mode mode)
{
    struct lh_dir_buf *b = &w->p->text;
    char *text = lh_text_normalize(b->p != NULL ? b->p : "", b->len), *url;

    if (text == NULL) {
        walk_fail(w);
        return;
    }
    switch (mode) {
    case TAKE_REGION:
        free(w->region);
        w->region = text;
        break;
    case TAKE_NAME:
        free(w->name);
        w->name = text;
        break;
    default:
        /* lh_dir_add_entry takes the name and the description over. */
        url = w->url;
        w->url = NULL;
        if (lh_dir_add_entry(w->p, w->line, w->region != NULL ? w->region : "",
                url, w->name, text) == -1)
            walk_fail(w);
        w->name = NULL;
        free(url);
        break;
    }
}

/*
 * Text is taken with nested markup, <br> and the edges of blocks as
 * spaces, scripts, styles and templates left out.
 */
static void
start_cb(void *arg, const xmlChar *name, const xmlChar **atts)
{
    struct walk *w = arg;

    if (w->failed)
        return;
    w->run = 0;
    if (w->mode == VISIT) {
        visit(w, name, atts);
        return;
    }
    w->depth++;
    if (w->mode == SKIP)
        return;
    if (w->hidden > 0 || is_hidden(name))
        w->hidden++;
    else if (is_name(name, "br") || is_block(name))
        take_text(w, " ", 1);
}

static void
end_cb(void *arg, const xmlChar *name)
{
    struct walk *w = arg;
    enum mode mode = w->mode;

    if (w->failed)
        return;
    w->run = 0;
    if (mode == VISIT) {
        if (is_name(name, "p") && w->in_p > 0)
            w->in_p--;
        else if (is_name(name, "li") && w->in_li > 0)
            w->in_li--;
        return;
    }
    if (--w->depth == 0) {
        w->mode = VISIT;
        if (mode != SKIP)
            taken(w, mode);
        return;
    }
    if (mode == SKIP)
        return;
    if (w->hidden > 0)
        w->hidden--;
    else if (is_block(name))
        take_text(w, " ", 1);
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
    if (w->failed || len <= 0)
        return;
    if (w->run_cdata != cdata) {
        w->run = 0;
        w->run_cdata = cdata;
    }
    if (w->run > 0 && (size_t)len > XML_MAX_TEXT_LENGTH - w->run) {
        xmlStopParser(w->ctxt);
        return;
    }
    w->run += (size_t)len;
    if (w->mode == VISIT || w->mode == SKIP || w->hidden > 0)
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

static int
only_space(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!lh_is_space_byte((unsigned char)s[i]))
            return 0;
    return 1;
}

/*
 * libxml2 2.9 reports its own allocation failures through the thread's
 * structured error handler, without the context; the HTML parser then
 * marks itself stopped but can go on looping over input it no longer
 * consumes.  xmlStopParser also empties the input, which ends the loop.
 * Parse errors pass through here as well and are ignored.
 */
static void
html_error(void *arg, xmlErrorPtr e)
{
    struct walk *w = arg;

    if (e != NULL && e->code == XML_ERR_NO_MEMORY && !w->failed)
        walk_fail(w);
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
    w.mode = VISIT;
    own = ctxt->sax;
    ctxt->sax = &sax;
    ctxt->userData = &w;
    if (xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8) == 0) {
        xmlStructuredErrorFunc saved = xmlStructuredError;
        void *saved_arg = xmlStructuredErrorContext;

        xmlSetStructuredErrorFunc(&w, html_error);
        htmlParseDocument(ctxt);
        xmlSetStructuredErrorFunc(saved_arg, saved);
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
    if (w.failed || ctxt->errNo == XML_ERR_NO_MEMORY) {
        rc = lh_dir_oom(p);
    } else if (!parsed) {
        lh_seterr(p->err, p->errlen, "%s: the HTML does not parse (out of "
            "memory?)", p->source);
        rc = -1;
    }
    htmlFreeParserCtxt(ctxt);
    drop_pending(&w);
    free(w.region);
    return rc;
}
