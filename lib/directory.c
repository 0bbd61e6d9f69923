/*
 * directory: the bytes of a directory (WordPress REST page JSON, an HTML
 * page, or a plain list of URLs) into struct lh_entry values.  Reads a file
 * when asked to; fetching over HTTP and logging belong to others.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "directory.h"
#include "file.h"
#include "util.h"

/*
 * IGNORE_ENC keeps a <meta charset> from switching the decoder away from
 * UTF-8: the input has been made valid UTF-8 before it gets here.  Line
 * numbers come from the parser's input as it reads (an int, so past
 * 65535 too), not from tree nodes.
 */
#define HTML_OPTIONS (HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |         \
    HTML_PARSE_NONET | HTML_PARSE_RECOVER | HTML_PARSE_IGNORE_ENC)

/* A page with thousands of bad links must not make thousands of lines. */
#define MAX_WARNINGS 100
/* Names and URLs quoted in messages are cut to about this many bytes. */
#define CLIP_BYTES 200

static const char replacement_char[] = "\xef\xbf\xbd";     /* U+FFFD */

struct sbuf {
    char *p;
    size_t len, cap;
};

/* One slot of the URL table (open addressing, linear probing). */
struct slot {
    uint64_t hash;      /* of the URL, so probing and growing skip it */
    size_t entry;       /* index + 1 into dir.entries; 0 when empty */
    size_t dup;         /* index + 1 into dups once the URL repeats */
};

/* A URL listed more than once (rare, so kept out of the slots). */
struct dup {
    size_t warning;     /* index + 1 of its warning, or 0 over the cap */
    size_t baselen;     /* length of that warning before the count */
    size_t count;       /* times the URL was listed */
};

struct parser {
    const char *source;
    struct lh_directory dir;
    size_t cap;                 /* allocated dir.entries */
    size_t wcap;                /* allocated dir.warnings */
    size_t unshown;             /* warnings over MAX_WARNINGS */
    size_t nskipped;            /* entries skipped for their URL */
    size_t first_skip;          /* index + 1 of the first such warning */
    struct slot *slots;
    size_t nslots;              /* a power of two, or 0 */
    struct dup *dups;
    size_t ndups, dupscap;
    CURLU *curlu;               /* reused for every URL */
    struct sbuf text;           /* scratch for text content */
    char *err;
    size_t errlen;
};

static int
warn(struct parser *p, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int
warn_at(struct parser *p, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int
warn_summary(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The longest prefix of s, at most max bytes, that ends on a character. */
static size_t
utf8_prefix(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
        max--;
    return max;
}

/* Copy s into buf (CLIP_BYTES + 4), cut on a character with "...". */
static const char *
clip(char *buf, const char *s)
{
    size_t len = strlen(s), n = utf8_prefix(s, len, CLIP_BYTES);

    memcpy(buf, s, n);
    if (n < len)
        memcpy(buf + n, "...", 4);
    else
        buf[n] = '\0';
    return buf;
}

/* Line (1-based) and column (1-based, in characters) of offset in text. */
static void
line_col(const char *text, size_t offset, unsigned *line, unsigned *col)
{
    size_t start = 0;
    unsigned l = 1, c = 1;

    for (size_t i = 0; i < offset; i++)
        if (text[i] == '\n') {
            l++;
            start = i + 1;
        }
    for (size_t i = start; i < offset; i++)
        if (((unsigned char)text[i] & 0xc0) != 0x80)
            c++;
    *line = l;
    *col = c;
}

static int
sbuf_reserve(struct sbuf *b, size_t more)
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
sbuf_append(struct sbuf *b, const char *s, size_t n)
{
    if (sbuf_reserve(b, n) == -1)
        return -1;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

/* ASCII whitespace and other C0 controls; NUL never gets here. */
static int
is_space_byte(unsigned char c)
{
    return c <= 0x20 || c == 0x7f;
}

/*
 * A new string from n bytes of s: runs of whitespace, control characters
 * and NBSP become one space, the ends are trimmed, and any byte that is
 * not valid UTF-8 becomes U+FFFD.  NULL when out of memory.
 */
static char *
normalize(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, o = 0, cap = n + 1, k;
    int space = 0;
    char *out, *bigger;

    if ((out = malloc(cap)) == NULL)
        return NULL;
    while (i < n) {
        unsigned char c = u[i];

        if (c > 0x20 && c < 0x7f) {
            if (space && o > 0)
                out[o++] = ' ';
            space = 0;
            out[o++] = (char)c;
            i++;
            continue;
        }
        if (c != 0 && is_space_byte(c)) {
            space = 1;
            i++;
            continue;
        }
        if (c == 0xc2 && i + 1 < n && u[i + 1] == 0xa0) {
            space = 1;
            i += 2;
            continue;
        }
        if (space && o > 0)
            out[o++] = ' ';
        space = 0;
        if ((k = lh_utf8_len(u + i, n - i)) > 0) {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
            continue;
        }
        /*
         * One byte in, three out.  Until now o <= i; make room for all
         * the rest to be replacements, so this grows at most once.
         */
        if (cap - o < 3 * (n - i) + 1) {
            if (n > (SIZE_MAX - 16) / 3)
                goto fail;
            cap = o + 3 * (n - i) + 1;
            if ((bigger = realloc(out, cap)) == NULL)
                goto fail;
            out = bigger;
        }
        memcpy(out + o, replacement_char, 3);
        o += 3;
        i++;
    }
    out[o] = '\0';
    return out;
fail:
    free(out);
    return NULL;
}

static int
oom(struct parser *p)
{
    lh_seterr(p->err, p->errlen, "%s: out of memory", p->source);
    return -1;
}

/* A new string from a printf format; NULL when out of memory. */
static char *
vformat(const char *fmt, va_list ap)
{
    va_list copy;
    char *s;
    int n;

    va_copy(copy, ap);
    n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
        return NULL;
    if (vsnprintf(s, (size_t)n + 1, fmt, ap) != n) {
        free(s);
        return NULL;
    }
    return s;
}

/*
 * Append "source:line:col: message", leaving out a line or column of 0.
 * Past MAX_WARNINGS only counts, unless capped is 0 (the closing summary).
 */
static int
vwarn(struct parser *p, int capped, unsigned line, unsigned col,
    const char *fmt, va_list ap)
{
    char where[32] = "";
    char *msg, *full;
    size_t n;

    if (capped && p->dir.nwarnings >= MAX_WARNINGS) {
        p->unshown++;
        return 0;
    }
    if (p->dir.nwarnings == p->wcap) {
        size_t cap = p->wcap ? p->wcap * 2 : 8;
        char **v = realloc(p->dir.warnings, cap * sizeof(*v));

        if (v == NULL)
            return oom(p);
        p->dir.warnings = v;
        p->wcap = cap;
    }
    if ((msg = vformat(fmt, ap)) == NULL)
        return oom(p);
    if (line > 0 && col > 0)
        snprintf(where, sizeof(where), ":%u:%u", line, col);
    else if (line > 0)
        snprintf(where, sizeof(where), ":%u", line);
    n = strlen(p->source) + strlen(where) + 2 + strlen(msg) + 1;
    if ((full = malloc(n)) == NULL) {
        free(msg);
        return oom(p);
    }
    snprintf(full, n, "%s%s: %s", p->source, where, msg);
    free(msg);
    p->dir.warnings[p->dir.nwarnings++] = full;
    return 0;
}

static int
warn(struct parser *p, unsigned line, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vwarn(p, 1, line, 0, fmt, ap);
    va_end(ap);
    return rc;
}

static int
warn_at(struct parser *p, unsigned line, unsigned col, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vwarn(p, 1, line, col, fmt, ap);
    va_end(ap);
    return rc;
}

static int
warn_summary(struct parser *p, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vwarn(p, 0, 0, 0, fmt, ap);
    va_end(ap);
    return rc;
}

static uint64_t
hash_str(const char *s)
{
    uint64_t h = 14695981039346656037ull;

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* The slot holding url, or the empty slot where it would go. */
static struct slot *
table_find(struct parser *p, const char *url, uint64_t hash)
{
    size_t mask = p->nslots - 1, i = (size_t)hash & mask;

    while (p->slots[i].entry != 0 && (p->slots[i].hash != hash ||
        strcmp(p->dir.entries[p->slots[i].entry - 1].url, url) != 0))
        i = (i + 1) & mask;
    return &p->slots[i];
}

/* Keep the table at most half full for one more entry. */
static int
table_reserve(struct parser *p)
{
    struct slot *old = p->slots;
    size_t oldn = p->nslots, n = oldn ? oldn : 64, mask, j;

    while (p->dir.n + 1 > n / 2) {
        if (n > SIZE_MAX / 2 / sizeof(*old))
            return -1;
        n *= 2;
    }
    if (n == oldn)
        return 0;
    if ((p->slots = calloc(n, sizeof(*old))) == NULL) {
        p->slots = old;
        return -1;
    }
    p->nslots = n;
    mask = n - 1;
    /* URLs are unique in the table: no need to compare them here. */
    for (size_t i = 0; i < oldn; i++) {
        if (old[i].entry == 0)
            continue;
        for (j = (size_t)old[i].hash & mask; p->slots[j].entry != 0;
            j = (j + 1) & mask)
            ;
        p->slots[j] = old[i];
    }
    free(old);
    return 0;
}

/*
 * Check that url is an absolute http or https URL with a host.  Returns 0,
 * setting *host (malloc'd) when host is not NULL; -1 with the reason in
 * why; -2 when out of memory.
 */
static int
check_url(struct parser *p, const char *url, char **host, char *why,
    size_t whylen)
{
    char q[CLIP_BYTES + 4], *part = NULL;
    size_t i = 0;
    CURLUcode rc;
    int ok;

    /* RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
    while ((url[i] >= 'a' && url[i] <= 'z') ||
        (url[i] >= 'A' && url[i] <= 'Z') ||
        (i > 0 && ((url[i] >= '0' && url[i] <= '9') || url[i] == '+' ||
        url[i] == '-' || url[i] == '.')))
        i++;
    if (i == 0 || url[i] != ':') {
        snprintf(why, whylen, "URL \"%s\" is relative, not an absolute "
            "http or https URL", clip(q, url));
        return -1;
    }
    if (!(i == 4 && strncasecmp(url, "http", 4) == 0) &&
        !(i == 5 && strncasecmp(url, "https", 5) == 0)) {
        snprintf(why, whylen, "URL \"%s\" is not http or https",
            clip(q, url));
        return -1;
    }
    /* libcurl also takes "http:/x" and "http:x" for http://x. */
    if (url[i + 1] != '/' || url[i + 2] != '/') {
        snprintf(why, whylen, "URL \"%s\" does not have // after the "
            "scheme", clip(q, url));
        return -1;
    }
    if (p->curlu == NULL && (p->curlu = curl_url()) == NULL)
        return -2;
    if ((rc = curl_url_set(p->curlu, CURLUPART_URL, url, 0)) != CURLUE_OK) {
        if (rc == CURLUE_OUT_OF_MEMORY)
            return -2;
        snprintf(why, whylen, "URL \"%s\" does not parse: %s",
            clip(q, url), curl_url_strerror(rc));
        return -1;
    }
    rc = curl_url_get(p->curlu, CURLUPART_SCHEME, &part, 0);
    if (rc == CURLUE_OUT_OF_MEMORY)
        return -2;
    ok = rc == CURLUE_OK && (strcasecmp(part, "http") == 0 ||
        strcasecmp(part, "https") == 0);
    curl_free(part);
    part = NULL;
    if (!ok) {
        snprintf(why, whylen, "URL \"%s\" is not http or https",
            clip(q, url));
        return -1;
    }
    rc = curl_url_get(p->curlu, CURLUPART_HOST, &part, 0);
    if (rc == CURLUE_OUT_OF_MEMORY)
        return -2;
    if (rc != CURLUE_OK || part == NULL || part[0] == '\0') {
        curl_free(part);
        snprintf(why, whylen, "URL \"%s\" has no host", clip(q, url));
        return -1;
    }
    if (host != NULL && (*host = strdup(part)) == NULL) {
        curl_free(part);
        return -2;
    }
    curl_free(part);
    return 0;
}

/* A third or later listing of a URL: say how many times in all. */
static int
count_duplicate(struct parser *p, const struct dup *d)
{
    char **w, *msg;
    size_t n;

    if (d->warning == 0)
        return 0;       /* the warning was over MAX_WARNINGS */
    w = &p->dir.warnings[d->warning - 1];
    n = d->baselen + 64;
    if ((msg = malloc(n)) == NULL)
        return oom(p);
    snprintf(msg, n, "%.*s; listed %zu times in all", (int)d->baselen, *w,
        d->count);
    free(*w);
    *w = msg;
    return 0;
}

/*
 * Add one organization: region and url are copied, name and desc are taken
 * over (kept or freed).  A bad URL or a repeated one only makes a warning.
 * Returns -1 only when out of memory.
 */
static int
add_entry(struct parser *p, unsigned line, const char *region,
    const char *url, char *name, char *desc)
{
    char why[3 * CLIP_BYTES], q1[CLIP_BYTES + 4], q2[CLIP_BYTES + 4];
    char q3[CLIP_BYTES + 4], *host = NULL;
    struct lh_entry *e;
    struct slot *s;
    struct dup *d;
    uint64_t hash;
    int rc;

    rc = check_url(p, url, name[0] == '\0' ? &host : NULL, why,
        sizeof(why));
    if (rc == -2)
        goto nomem;
    if (rc == -1) {
        if (name[0] != '\0')
            rc = warn(p, line, "skipped \"%s\": %s", clip(q1, name), why);
        else
            rc = warn(p, line, "skipped: %s", why);
        if (rc == 0 && p->nskipped++ == 0 && p->unshown == 0)
            p->first_skip = p->dir.nwarnings;
        goto out;
    }
    if (host != NULL) {
        /* No link text: the host names it. */
        free(name);
        name = host;
        host = NULL;
    }
    if (table_reserve(p) == -1)
        goto nomem;
    hash = hash_str(url);
    s = table_find(p, url, hash);
    if (s->entry != 0 && s->dup != 0) {
        d = &p->dups[s->dup - 1];
        d->count++;
        rc = count_duplicate(p, d);
        goto out;
    }
    if (s->entry != 0) {
        if (p->ndups == p->dupscap) {
            size_t cap = p->dupscap ? p->dupscap * 2 : 8;

            if (cap > SIZE_MAX / sizeof(*d) ||
                (d = realloc(p->dups, cap * sizeof(*d))) == NULL)
                goto nomem;
            p->dups = d;
            p->dupscap = cap;
        }
        d = &p->dups[p->ndups];
        memset(d, 0, sizeof(*d));
        d->count = 2;
        s->dup = ++p->ndups;
        e = &p->dir.entries[s->entry - 1];
        if (e->line > 0)
            rc = warn(p, line, "dropped \"%s\": URL \"%s\" is already "
                "listed for \"%s\" (line %u)", clip(q1, name), clip(q2, url),
                clip(q3, e->name), e->line);
        else
            rc = warn(p, line, "dropped \"%s\": URL \"%s\" is already "
                "listed for \"%s\"", clip(q1, name), clip(q2, url),
                clip(q3, e->name));
        if (rc == 0 && p->unshown == 0) {
            d->warning = p->dir.nwarnings;
            d->baselen = strlen(p->dir.warnings[p->dir.nwarnings - 1]);
        }
        goto out;
    }
    if (p->dir.n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        struct lh_entry *v;

        if (cap > SIZE_MAX / sizeof(*v))
            goto nomem;
        if ((v = realloc(p->dir.entries, cap * sizeof(*v))) == NULL)
            goto nomem;
        p->dir.entries = v;
        p->cap = cap;
    }
    e = &p->dir.entries[p->dir.n];
    memset(e, 0, sizeof(*e));
    if ((e->region = strdup(region)) == NULL ||
        (e->url = strdup(url)) == NULL) {
        free(e->region);
        goto nomem;
    }
    e->name = name;
    e->description = desc;
    e->line = line;
    name = desc = NULL;
    s->hash = hash;
    s->entry = ++p->dir.n;
    rc = 0;
    goto out;
nomem:
    rc = oom(p);
out:
    free(name);
    free(desc);
    free(host);
    return rc;
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

        while (*s != '\0' && is_space_byte((unsigned char)*s))
            s++;
        while (s[k] != '\0' && !is_space_byte((unsigned char)s[k]))
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
    struct parser *p;
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
    if (sbuf_append(&w->p->text, s, n) == -1)
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
    while (*s != '\0' && is_space_byte((unsigned char)*s))
        s++;
    if (*s == '#' || w->in_p == 0 || w->in_li > 0) {
        begin(w, SKIP);
        return;
    }
    drop_pending(w);
    n = strlen(s);
    while (n > 0 && is_space_byte((unsigned char)s[n - 1]))
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
    struct sbuf *b = &w->p->text;
    char *text = normalize(b->p != NULL ? b->p : "", b->len), *url;

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
        /* add_entry takes the name and the description over. */
        url = w->url;
        w->url = NULL;
        if (add_entry(w->p, w->line, w->region != NULL ? w->region : "",
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
        if (!is_space_byte((unsigned char)s[i]))
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
static int
parse_html(struct parser *p, const char *html, size_t len)
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
     * (clean_input).
     */
    xmlInitParser();
    if ((ctxt = htmlCreateMemoryParserCtxt(html, (int)len)) == NULL)
        return oom(p);
    htmlCtxtUseOptions(ctxt, HTML_OPTIONS);
    memset(&sax, 0, sizeof(sax));
    sax.startElement = start_cb;
    sax.endElement = end_cb;
    sax.characters = text_cb;
    sax.cdataBlock = cdata_cb;
    sax.comment = comment_cb;
    sax.processingInstruction = pi_cb;
    /* No error or warning callbacks: nothing is printed. */
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
        rc = oom(p);
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

/* content.rendered of one page object, or NULL. */
static const char *
page_rendered(const cJSON *page)
{
    const cJSON *content, *rendered;

    if (!cJSON_IsObject(page))
        return NULL;
    content = cJSON_GetObjectItemCaseSensitive(page, "content");
    rendered = cJSON_GetObjectItemCaseSensitive(content, "rendered");
    if (!cJSON_IsString(rendered) || rendered->valuestring == NULL)
        return NULL;
    return rendered->valuestring;
}

/*
 * What a cJSON failure most likely means: JSON that stops inside a string
 * or with containers still open is what a truncated file looks like.
 */
static const char *
json_hint(const char *text, size_t start, size_t len)
{
    size_t depth = 0;
    int in_string = 0;

    for (size_t i = start; i < len; i++) {
        char c = text[i];

        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    if (in_string)
        return ": a string that never ends (is the file truncated?)";
    if (depth > 0)
        return ": it ends too early (is the file truncated?)";
    return "";
}

static int
parse_wpjson(struct parser *p, const char *text, size_t start, size_t len)
{
    const char *end = NULL, *html;
    const cJSON *page, *message;
    cJSON *root;
    unsigned line, col;
    size_t pages = 0;
    int rc = -1;

    root = cJSON_ParseWithLengthOpts(text + start, len - start, &end, 0);
    if (root == NULL) {
        size_t off = end != NULL && end >= text + start &&
            end <= text + len ? (size_t)(end - text) : start;

        line_col(text, off, &line, &col);
        lh_seterr(p->err, p->errlen, "%s:%u:%u: invalid JSON%s", p->source,
            line, col, json_hint(text, start, len));
        return -1;
    }
    while (end < text + len && is_space_byte((unsigned char)*end))
        end++;
    if (end < text + len) {
        line_col(text, (size_t)(end - text), &line, &col);
        lh_seterr(p->err, p->errlen, "%s:%u:%u: invalid JSON: more data "
            "after the end", p->source, line, col);
        goto fail;
    }
    if (cJSON_IsArray(root)) {
        if (cJSON_GetArraySize(root) == 0) {
            lh_seterr(p->err, p->errlen, "%s: no pages (an empty JSON array; "
                "is the slug right?)", p->source);
            goto fail;
        }
        cJSON_ArrayForEach(page, root) {
            if ((html = page_rendered(page)) == NULL)
                continue;
            pages++;
            if (parse_html(p, html, strlen(html)) == -1)
                goto fail;
        }
    } else if ((html = page_rendered(root)) != NULL) {
        pages++;
        if (parse_html(p, html, strlen(html)) == -1)
            goto fail;
    }
    if (pages == 0) {
        /* A WordPress error answer says what went wrong. */
        message = cJSON_GetObjectItemCaseSensitive(root, "message");
        if (cJSON_IsString(message) && message->valuestring != NULL) {
            char q[CLIP_BYTES + 4];
            char *m = normalize(message->valuestring,
                strlen(message->valuestring));

            if (m == NULL) {
                oom(p);
                goto fail;
            }
            lh_seterr(p->err, p->errlen, "%s: no content.rendered (the "
                "answer says \"%s\")", p->source, clip(q, m));
            free(m);
        } else {
            lh_seterr(p->err, p->errlen, "%s: no content.rendered",
                p->source);
        }
        goto fail;
    }
    rc = 0;
fail:
    cJSON_Delete(root);
    return rc;
}

/* One URL per line, an optional name after it; '#' starts a comment. */
static int
parse_list(struct parser *p, const char *text, size_t start, size_t len)
{
    unsigned line = 1;

    /* Count the lines before start (only whitespace is there). */
    for (size_t i = 0; i < start; i++)
        if (text[i] == '\n')
            line++;
    for (size_t pos = start; pos < len; line++) {
        const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - pos, i = 0, u;
        char *url = NULL, *name = NULL, *desc = NULL;

        pos += n + (nl != NULL);
        while (i < n && is_space_byte((unsigned char)s[i]))
            i++;
        if (i == n || s[i] == '#')
            continue;
        for (u = i; u < n && !is_space_byte((unsigned char)s[u]); u++)
            ;
        if ((url = strndup(s + i, u - i)) == NULL ||
            (name = normalize(s + u, n - u)) == NULL ||
            (desc = strdup("")) == NULL) {
            free(url);
            free(name);
            return oom(p);
        }
        if (add_entry(p, line, "", url, name, desc) == -1) {
            free(url);
            return -1;
        }
        free(url);
    }
    return 0;
}

/* What the first byte that is not space suggests. */
static enum lh_dir_format
detect(char c)
{
    if (c == '{' || c == '[')
        return LH_DIR_WPJSON;
    if (c == '<')
        return LH_DIR_HTML;
    return LH_DIR_LIST;
}

static const char *
format_noun(enum lh_dir_format f)
{
    switch (f) {
    case LH_DIR_WPJSON:
        return "WordPress JSON";
    case LH_DIR_HTML:
        return "HTML";
    case LH_DIR_LIST:
        return "a list of URLs";
    default:
        return "unknown";
    }
}

/*
 * The input as valid UTF-8: buf itself when it is (the common case, no
 * copy), else a copy in *owned in which every byte that is not valid
 * UTF-8 (or is NUL) became U+FFFD, with one warning for them all.
 */
static int
clean_input(struct parser *p, const char *buf, size_t len,
    const char **text, size_t *textlen, char **owned)
{
    const unsigned char *u = (const unsigned char *)buf;
    size_t bad = 0, first = 0, i = 0, k, o;
    unsigned line, col;
    char *copy;

    *owned = NULL;
    while (i < len) {
        if (u[i] > 0 && u[i] < 0x80) {
            i++;
            continue;
        }
        if ((k = lh_utf8_len(u + i, len - i)) == 0) {
            if (bad++ == 0)
                first = i;
            k = 1;
        }
        i += k;
    }
    if (bad == 0) {
        *text = buf;
        *textlen = len;
        return 0;
    }
    if (len > SIZE_MAX / 3 - 1 || (copy = malloc(len + 2 * bad + 1)) ==
        NULL)
        return oom(p);
    for (i = o = 0; i < len; i += k) {
        if ((k = lh_utf8_len(u + i, len - i)) == 0) {
            memcpy(copy + o, replacement_char, 3);
            o += 3;
            k = 1;
        } else {
            memcpy(copy + o, buf + i, k);
            o += k;
        }
    }
    copy[o] = '\0';
    line_col(buf, first, &line, &col);
    if (warn_at(p, line, col, "invalid UTF-8; %zu byte%s replaced with "
            "U+FFFD", bad, bad == 1 ? "" : "s") == -1) {
        free(copy);
        return -1;
    }
    *text = copy;
    *textlen = o;
    *owned = copy;
    return 0;
}

static void
parser_cleanup(struct parser *p)
{
    lh_directory_cleanup(&p->dir);
    free(p->slots);
    free(p->dups);
    free(p->text.p);
    if (p->curlu != NULL)
        curl_url_cleanup(p->curlu);
}

int
lh_directory_parse(const char *buf, size_t len, const char *source,
    enum lh_dir_format format, struct lh_directory *out, char *err,
    size_t errlen)
{
    struct parser p;
    enum lh_dir_format seen;
    const char *text;
    char *owned = NULL;
    size_t start = 0, n = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&p, 0, sizeof(p));
    p.source = source != NULL ? source : "directory";
    p.err = err;
    p.errlen = errlen;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if ((int)format < (int)LH_DIR_AUTO || (int)format > (int)LH_DIR_LIST) {
        lh_seterr(err, errlen, "%s: unknown directory format %d", p.source,
            (int)format);
        goto fail;
    }
    if (buf == NULL && len > 0) {
        lh_seterr(err, errlen, "%s: no data", p.source);
        goto fail;
    }
    if (clean_input(&p, buf != NULL ? buf : "", len, &text, &n, &owned) ==
        -1)
        goto fail;
    if (n >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        start = 3;      /* a byte order mark */
    while (start < n && is_space_byte((unsigned char)text[start]))
        start++;
    if (start == n) {
        lh_seterr(err, errlen, "%s: the directory is empty", p.source);
        goto fail;
    }
    seen = detect(text[start]);
    /* HTML may begin with text; no other format looks like another. */
    if (format != LH_DIR_AUTO && format != seen &&
        !(format == LH_DIR_HTML && seen == LH_DIR_LIST)) {
        lh_seterr(err, errlen, "%s: this looks like %s, not %s (the format "
            "is set to \"%s\")", p.source, format_noun(seen),
            format_noun(format), lh_directory_format_name(format));
        goto fail;
    }
    p.dir.format = format != LH_DIR_AUTO ? format : seen;
    switch (p.dir.format) {
    case LH_DIR_WPJSON:
        rc = parse_wpjson(&p, text, start, n);
        break;
    case LH_DIR_HTML:
        /* All of it, so that libxml2 counts lines from the top. */
        rc = parse_html(&p, text, n);
        break;
    default:
        rc = parse_list(&p, text, start, n);
        break;
    }
    if (rc == -1)
        goto fail;
    if (p.dir.n == 0) {
        if (p.first_skip > 0)
            lh_seterr(err, errlen, "%s: no organizations found; %zu skipped, "
                "the first: %s", p.source, p.nskipped,
                p.dir.warnings[p.first_skip - 1]);
        else
            lh_seterr(err, errlen, "%s: no organizations found", p.source);
        goto fail;
    }
    if (p.unshown > 0 && warn_summary(&p, "%zu more warnings not shown",
            p.unshown) == -1)
        goto fail;
    *out = p.dir;
    memset(&p.dir, 0, sizeof(p.dir));
    parser_cleanup(&p);
    free(owned);
    return 0;
fail:
    parser_cleanup(&p);
    free(owned);
    memset(out, 0, sizeof(*out));
    return -1;
}

int
lh_directory_read_file(const char *path, size_t max_bytes, char **out,
    size_t *outlen, char *err, size_t errlen)
{
    if (max_bytes == 0)
        max_bytes = LH_DIRECTORY_MAX_BYTES_DEFAULT;
    return lh_file_read(path, max_bytes, "directory_max_bytes", out, outlen,
        err, errlen);
}

int
lh_directory_load_file(const char *path, size_t max_bytes,
    enum lh_dir_format format, struct lh_directory *out, char *err,
    size_t errlen)
{
    char *buf;
    size_t len;
    int rc;

    memset(out, 0, sizeof(*out));
    if (lh_directory_read_file(path, max_bytes, &buf, &len, err, errlen) ==
        -1)
        return -1;
    rc = lh_directory_parse(buf, len, path, format, out, err, errlen);
    free(buf);
    return rc;
}

void
lh_directory_cleanup(struct lh_directory *dir)
{
    if (dir == NULL)
        return;
    for (size_t i = 0; i < dir->n; i++) {
        free(dir->entries[i].region);
        free(dir->entries[i].name);
        free(dir->entries[i].url);
        free(dir->entries[i].description);
    }
    free(dir->entries);
    for (size_t i = 0; i < dir->nwarnings; i++)
        free(dir->warnings[i]);
    free(dir->warnings);
    memset(dir, 0, sizeof(*dir));
}

const char *
lh_directory_format_name(enum lh_dir_format format)
{
    switch (format) {
    case LH_DIR_AUTO:
        return "auto";
    case LH_DIR_WPJSON:
        return "wordpress";
    case LH_DIR_HTML:
        return "html";
    case LH_DIR_LIST:
        return "list";
    }
    return "unknown";
}

int
lh_directory_format_parse(const char *name, enum lh_dir_format *out)
{
    static const enum lh_dir_format all[] = {
        LH_DIR_AUTO, LH_DIR_WPJSON, LH_DIR_HTML, LH_DIR_LIST,
    };

    if (name == NULL)
        return -1;
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (strcasecmp(name, lh_directory_format_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    return -1;
}
