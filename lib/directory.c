/*
 * directory: the directory parser's front and its entries.  Picks the
 * format and makes the input valid UTF-8 (lh_directory_parse), reads a
 * file when asked to; keeps the parser state that the readers (dir_html.c,
 * dir_wpjson.c, dir_list.c, dir_md.c) fill: entries, their URL checks,
 * repeated URLs and warnings.  Fetching over HTTP and logging belong to
 * others.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "dir_internal.h"
#include "directory.h"
#include "file.h"
#include "iri.h"
#include "strmap.h"
#include "util.h"

/* A page with thousands of bad links must not make thousands of lines. */
#define MAX_WARNINGS 100

/* A URL listed more than once (rare, so kept apart from the URL table). */
struct repeat {
    size_t warning;     /* index + 1 of its warning, or 0 over the cap */
    size_t baselen;     /* length of that warning before the count */
    size_t count;       /* times the URL was listed */
};

static int
warn(struct lh_dir_parser *p, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int
warn_at(struct lh_dir_parser *p, unsigned line, unsigned col,
    const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int
warn_summary(struct lh_dir_parser *p, const char *fmt, ...)
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

const char *
lh_dir_clip(char *buf, const char *s)
{
    size_t len = strlen(s), n = utf8_prefix(s, len, LH_DIR_CLIP_BYTES);

    memcpy(buf, s, n);
    if (n < len)
        memcpy(buf + n, "...", 4);
    else
        buf[n] = '\0';
    return buf;
}

int
lh_dir_buf_append(struct lh_dir_buf *b, const char *s, size_t n)
{
    size_t cap;
    char *q;

    if (n > b->cap - b->len) {
        if (n > SIZE_MAX / 2 - b->len)
            return -1;
        cap = b->cap ? b->cap : 256;
        while (cap - b->len < n)
            cap *= 2;
        if ((q = realloc(b->p, cap)) == NULL)
            return -1;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

int
lh_dir_interrupted(struct lh_dir_parser *p)
{
    if (p->opt.cancel != NULL &&
        atomic_load_explicit(p->opt.cancel, memory_order_relaxed)) {
        lh_seterr(p->err, p->errlen, "%s: the parse was cancelled",
            p->source);
        return -1;
    }
    if (p->deadline_ms > 0 && now_ms() > p->deadline_ms) {
        lh_seterr(p->err, p->errlen, "%s: the parse took longer than %g s "
            "(directory_parse_timeout) and was stopped", p->source,
            p->opt.timeout_ms / 1000.0);
        return -1;
    }
    return 0;
}

int
lh_dir_oom(struct lh_dir_parser *p)
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
vwarn(struct lh_dir_parser *p, int capped, unsigned line, unsigned col,
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
            return lh_dir_oom(p);
        p->dir.warnings = v;
        p->wcap = cap;
    }
    if ((msg = vformat(fmt, ap)) == NULL)
        return lh_dir_oom(p);
    if (line > 0 && col > 0)
        snprintf(where, sizeof(where), ":%u:%u", line, col);
    else if (line > 0)
        snprintf(where, sizeof(where), ":%u", line);
    n = strlen(p->source) + strlen(where) + 2 + strlen(msg) + 1;
    if ((full = malloc(n)) == NULL) {
        free(msg);
        return lh_dir_oom(p);
    }
    snprintf(full, n, "%s%s: %s", p->source, where, msg);
    free(msg);
    p->dir.warnings[p->dir.nwarnings++] = full;
    return 0;
}

static int
warn(struct lh_dir_parser *p, unsigned line, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vwarn(p, 1, line, 0, fmt, ap);
    va_end(ap);
    return rc;
}

static int
warn_at(struct lh_dir_parser *p, unsigned line, unsigned col,
    const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vwarn(p, 1, line, col, fmt, ap);
    va_end(ap);
    return rc;
}

static int
warn_summary(struct lh_dir_parser *p, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vwarn(p, 0, 0, 0, fmt, ap);
    va_end(ap);
    return rc;
}

/*
 * Check that url (the request form of shown, which the reasons quote) is
 * an absolute http or https URL with a host.  Returns 0, setting *host
 * (malloc'd) when host is not NULL; -1 with the reason in why; -2 when
 * out of memory.
 */
static int
check_url(struct lh_dir_parser *p, const char *shown, const char *url,
    char **host, char *why, size_t whylen)
{
    char q[LH_DIR_CLIP_BYTES + 4], *part = NULL;
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
            "http or https URL", lh_dir_clip(q, shown));
        return -1;
    }
    if (!(i == 4 && strncasecmp(url, "http", 4) == 0) &&
        !(i == 5 && strncasecmp(url, "https", 5) == 0)) {
        snprintf(why, whylen, "URL \"%s\" is not http or https",
            lh_dir_clip(q, shown));
        return -1;
    }
    /* libcurl also takes "http:/x" and "http:x" for http://x. */
    if (url[i + 1] != '/' || url[i + 2] != '/') {
        snprintf(why, whylen, "URL \"%s\" does not have // after the "
            "scheme", lh_dir_clip(q, shown));
        return -1;
    }
    if (p->curlu == NULL && (p->curlu = curl_url()) == NULL)
        return -2;
    if ((rc = curl_url_set(p->curlu, CURLUPART_URL, url, 0)) != CURLUE_OK) {
        if (rc == CURLUE_OUT_OF_MEMORY)
            return -2;
        snprintf(why, whylen, "URL \"%s\" does not parse: %s",
            lh_dir_clip(q, shown), curl_url_strerror(rc));
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
            lh_dir_clip(q, shown));
        return -1;
    }
    rc = curl_url_get(p->curlu, CURLUPART_HOST, &part, 0);
    if (rc == CURLUE_OUT_OF_MEMORY)
        return -2;
    if (rc != CURLUE_OK || part == NULL || part[0] == '\0') {
        curl_free(part);
        snprintf(why, whylen, "URL \"%s\" has no host", lh_dir_clip(q, shown));
        return -1;
    }
    if (host != NULL && (*host = strdup(part)) == NULL) {
        curl_free(part);
        return -2;
    }
    curl_free(part);
    return 0;
}

/*
 * A URL that is not kept: one warning.  The first of them explains a
 * directory in which none was kept.
 */
int
lh_dir_skip(struct lh_dir_parser *p, unsigned line, const char *name,
    const char *why)
{
    char q[LH_DIR_CLIP_BYTES + 4];
    int rc;

    if (name[0] != '\0')
        rc = warn(p, line, "skipped \"%s\": %s", lh_dir_clip(q, name), why);
    else
        rc = warn(p, line, "skipped: %s", why);
    if (rc == 0 && p->nskipped++ == 0 && p->unshown == 0)
        p->first_skip = p->dir.nwarnings;
    return rc;
}

/*
 * A URL listed a second time: the entry that has it stays, this one goes,
 * with a warning naming both that later listings of the URL count in.
 */
static int
first_repeat(struct lh_dir_parser *p, unsigned line, const char *url,
    const char *name, const struct lh_entry *kept)
{
    char q1[LH_DIR_CLIP_BYTES + 4], q2[LH_DIR_CLIP_BYTES + 4];
    char q3[LH_DIR_CLIP_BYTES + 4];
    struct repeat *r;
    int rc;

    if ((r = calloc(1, sizeof(*r))) == NULL)
        return lh_dir_oom(p);
    if (lh_strmap_put(&p->repeats, kept->request_url != NULL ?
            kept->request_url : kept->url, r) == -1) {
        free(r);
        return lh_dir_oom(p);
    }
    r->count = 2;
    if (kept->line > 0)
        rc = warn(p, line, "dropped \"%s\": URL \"%s\" is already listed "
            "for \"%s\" (line %u)", lh_dir_clip(q1, name),
            lh_dir_clip(q2, url), lh_dir_clip(q3, kept->name), kept->line);
    else
        rc = warn(p, line, "dropped \"%s\": URL \"%s\" is already listed "
            "for \"%s\"", lh_dir_clip(q1, name), lh_dir_clip(q2, url),
            lh_dir_clip(q3, kept->name));
    if (rc == 0 && p->unshown == 0) {
        r->warning = p->dir.nwarnings;
        r->baselen = strlen(p->dir.warnings[p->dir.nwarnings - 1]);
    }
    return rc;
}

/* A third or later listing of a URL: its warning says how many in all. */
static int
count_repeat(struct lh_dir_parser *p, struct repeat *r)
{
    char **w, *msg;
    size_t n;

    r->count++;
    if (r->warning == 0)
        return 0;       /* the warning was over MAX_WARNINGS */
    w = &p->dir.warnings[r->warning - 1];
    n = r->baselen + 64;
    if ((msg = malloc(n)) == NULL)
        return lh_dir_oom(p);
    snprintf(msg, n, "%.*s; listed %zu times in all", (int)r->baselen, *w,
        r->count);
    free(*w);
    *w = msg;
    return 0;
}

/* Room in dir.entries for one more. */
static int
grow_entries(struct lh_dir_parser *p)
{
    size_t cap = p->cap ? p->cap * 2 : 16;
    struct lh_entry *v;

    if (p->dir.n < p->cap)
        return 0;
    if (cap > SIZE_MAX / sizeof(*v) ||
        (v = realloc(p->dir.entries, cap * sizeof(*v))) == NULL)
        return -1;
    p->dir.entries = v;
    p->cap = cap;
    return 0;
}

/*
 * An organization with a good URL: kept when the address it requests is
 * new (so "例え.example" and "xn--r8jz45g.example" are listed once), with
 * region and url copied and *name, *desc and *req taken over; else only a
 * warning.
 */
static int
keep_entry(struct lh_dir_parser *p, unsigned line, const char *region,
    const char *url, char **req, char **name, char **desc)
{
    char note[512];
    struct lh_entry *e;
    struct repeat *r;
    void **seen;
    char *u, *key;

    /* The entry's request form is the key: one string, one lookup.  Most
     * URLs are their own request form: that is not kept twice (the key
     * is then the entry's url, and request_url NULL). */
    if (grow_entries(p) == -1 || (u = strdup(url)) == NULL)
        return lh_dir_oom(p);
    key = strcmp(*req, u) == 0 ? u : *req;
    if ((seen = lh_strmap_ensure(&p->urls, key)) == NULL) {
        free(u);
        return lh_dir_oom(p);
    }
    if (*seen != NULL) {
        free(u);
        if ((r = lh_strmap_get(&p->repeats, *req)) != NULL)
            return count_repeat(p, r);
        return first_repeat(p, line, url, *name,
            &p->dir.entries[(uintptr_t)*seen - 1]);
    }
    e = &p->dir.entries[p->dir.n];
    memset(e, 0, sizeof(*e));
    if ((e->region = strdup(region)) == NULL) {
        lh_strmap_del(&p->urls, key);
        free(u);
        return lh_dir_oom(p);
    }
    e->url = u;
    if (key == u) {
        free(*req);
    } else {
        e->request_url = *req;
    }
    e->name = *name;
    e->description = *desc;
    e->line = line;
    *req = *name = *desc = NULL;
    *seen = (void *)(uintptr_t)++p->dir.n;
    /* A look-alike host is worth a word, not a verdict. */
    if (lh_iri_mixed_scripts(key, note, sizeof(note)) == 1 &&
        ((e->note = strdup(note)) == NULL ||
        warn(p, line, "%s", note) == -1))
        return lh_dir_oom(p);
    return 0;
}

/* The host of a link without text, as a person reads it. */
static int
host_name(const char *host, char **name)
{
    char *url, *shown;

    if (asprintf(&url, "http://%s", host) < 0)
        return -2;
    shown = lh_iri_display(url);
    free(url);
    if (shown == NULL)
        return -2;
    *name = strdup(shown + 7);
    free(shown);
    return *name == NULL ? -2 : 0;
}

int
lh_dir_add_entry(struct lh_dir_parser *p, unsigned line, const char *region,
    const char *url, char *name, char *desc)
{
    char why[3 * LH_DIR_CLIP_BYTES], q[LH_DIR_CLIP_BYTES + 4];
    char *host = NULL, *req = NULL;
    const char *idn_why = NULL;
    int rc;

    rc = lh_iri_to_uri(url, &req, &idn_why);
    if (rc == -1) {
        snprintf(why, sizeof(why), "URL \"%s\": %s", lh_dir_clip(q, url),
            idn_why);
    } else if (rc == 0) {
        rc = check_url(p, url, req, name[0] == '\0' ? &host : NULL, why,
            sizeof(why));
        if (rc == 0 && host != NULL) {
            /* No link text: the host names it. */
            free(name);
            name = NULL;
            rc = host_name(host, &name);
        }
    }
    if (rc == -2)
        rc = lh_dir_oom(p);
    else if (rc == -1)
        rc = lh_dir_skip(p, line, name, why);
    else
        rc = keep_entry(p, line, region, url, &req, &name, &desc);
    free(req);
    free(name);
    free(desc);
    free(host);
    return rc;
}

/* Does s start with http:// or https://, in any case? */
static int
starts_http(const char *s, size_t n)
{
    return (n >= 7 && strncasecmp(s, "http://", 7) == 0) ||
        (n >= 8 && strncasecmp(s, "https://", 8) == 0);
}

/*
 * A line of a Markdown list of links: a bullet ("-", "*", "+") or a number
 * and "." or ")", a space, then a link ("[...](") to http or https.  Only
 * a hint for detection: cmark reads the document.
 */
static int
is_md_item(const char *s, size_t n)
{
    size_t i = 0;
    const char *close;

    if (n > 0 && (s[0] == '-' || s[0] == '*' || s[0] == '+')) {
        i = 1;
    } else {
        while (i < n && i < 9 && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == 0 || i == n || (s[i] != '.' && s[i] != ')'))
            return 0;
        i++;
    }
    if (i == n || (s[i] != ' ' && s[i] != '\t'))
        return 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i == n || s[i] != '[')
        return 0;
    for (close = memchr(s + i, ']', n - i); close != NULL;
        close = memchr(close + 1, ']', n - (size_t)(close + 1 - s))) {
        size_t at = (size_t)(close - s) + 1;

        if (at < n && s[at] == '(') {
            at++;
            if (at < n && s[at] == '<')
                at++;
            if (starts_http(s + at, n - at))
                return 1;
        }
    }
    return 0;
}

/* What the lines of text suggest: a Markdown item, a line with a URL. */
static void
sniff_lines(const char *text, size_t start, size_t len, int *md_item,
    int *url_line)
{
    *md_item = *url_line = 0;
    for (size_t pos = start; pos < len && !(*url_line && *md_item); ) {
        const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - pos, i = 0;

        pos += n + (nl != NULL);
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
            i++;
        if (starts_http(s + i, n - i))
            *url_line = 1;
        else if (!*md_item && is_md_item(s + i, n - i))
            *md_item = 1;
    }
}

/* Does the source's name (a path or URL) end in .md or .markdown? */
static int
md_name(const char *source)
{
    size_t n = strcspn(source, "?#");

    return (n >= 3 && strncasecmp(source + n - 3, ".md", 3) == 0) ||
        (n >= 9 && strncasecmp(source + n - 9, ".markdown", 9) == 0);
}

/* Is text[i] (just after a '[') the start of a JSON array? */
static int
json_array(const char *text, size_t i, size_t len)
{
    while (i < len && lh_is_space_byte((unsigned char)text[i]))
        i++;
    return i == len || text[i] == '{' || text[i] == '[' || text[i] == ']';
}

/*
 * What the content suggests, from its first byte that is not space (at
 * start) and its lines; directory.h has the rules.  *plain_list is set
 * when the content is plainly a list.
 */
static enum lh_dir_format
detect(const char *text, size_t start, size_t len, int *plain_list)
{
    char c = text[start];
    int md_item, url_line;

    sniff_lines(text, start, len, &md_item, &url_line);
    *plain_list = url_line && !md_item;
    if (c == '{' || (c == '[' && json_array(text, start + 1, len)))
        return LH_DIR_WPJSON;
    if (c == '<')
        return LH_DIR_HTML;
    if (md_item && !url_line)
        return LH_DIR_MARKDOWN;
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
    case LH_DIR_MARKDOWN:
        return "Markdown";
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
clean_input(struct lh_dir_parser *p, const char *buf, size_t len,
    const char **text, size_t *textlen, char **owned)
{
    size_t first = 0, bad = lh_utf8_invalid(buf, len, &first);
    unsigned line, col;
    char *copy;

    *owned = NULL;
    if (bad == 0) {
        *text = buf;
        *textlen = len;
        return 0;
    }
    if ((copy = lh_utf8_replace_invalid(buf, len, textlen)) == NULL)
        return lh_dir_oom(p);
    lh_text_line_col(buf, first, &line, &col);
    if (warn_at(p, line, col, "invalid UTF-8; %zu byte%s replaced with "
            "U+FFFD", bad, bad == 1 ? "" : "s") == -1) {
        free(copy);
        return -1;
    }
    *text = copy;
    *owned = copy;
    return 0;
}

static void
parser_cleanup(struct lh_dir_parser *p)
{
    /* The URL tables borrow their keys from the entries: they go first. */
    lh_strmap_cleanup(&p->urls, NULL);
    lh_strmap_cleanup(&p->repeats, free);
    lh_directory_cleanup(&p->dir);
    free(p->text.p);
    if (p->curlu != NULL)
        curl_url_cleanup(p->curlu);
}

int
lh_directory_parse(const char *buf, size_t len, const char *source,
    enum lh_dir_format format, struct lh_directory *out, char *err,
    size_t errlen)
{
    struct lh_dir_options opt;

    memset(&opt, 0, sizeof(opt));
    opt.format = format;
    return lh_directory_parse_opts(buf, len, source, &opt, out, err, errlen);
}

int
lh_directory_parse_opts(const char *buf, size_t len, const char *source,
    const struct lh_dir_options *opt, struct lh_directory *out, char *err,
    size_t errlen)
{
    enum lh_dir_format format = opt->format;
    struct lh_dir_parser p;
    enum lh_dir_format seen;
    const char *text;
    char *owned = NULL;
    size_t start = 0, n = 0;
    int rc, plain_list;

    memset(out, 0, sizeof(*out));
    memset(&p, 0, sizeof(p));
    lh_strmap_init_borrowed(&p.urls);
    lh_strmap_init_borrowed(&p.repeats);
    p.source = source != NULL ? source : "directory";
    p.opt = *opt;
    if (opt->timeout_ms > 0)
        p.deadline_ms = now_ms() + opt->timeout_ms;
    p.err = err;
    p.errlen = errlen;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if ((int)format < (int)LH_DIR_AUTO ||
        (int)format > (int)LH_DIR_MARKDOWN) {
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
    while (start < n && lh_is_space_byte((unsigned char)text[start]))
        start++;
    if (start == n) {
        lh_seterr(err, errlen, "%s: the directory is empty", p.source);
        goto fail;
    }
    seen = detect(text, start, n, &plain_list);
    /* HTML may begin with text, Markdown with anything. */
    if (format != LH_DIR_AUTO && format != seen &&
        format != LH_DIR_MARKDOWN &&
        !(format == LH_DIR_HTML &&
        (seen == LH_DIR_LIST || seen == LH_DIR_MARKDOWN))) {
        lh_seterr(err, errlen, "%s: this looks like %s, not %s (the format "
            "is set to \"%s\")", p.source, format_noun(seen),
            format_noun(format), lh_directory_format_name(format));
        goto fail;
    }
    p.dir.format = format != LH_DIR_AUTO ? format : seen;
    if (format == LH_DIR_AUTO && md_name(p.source) && !plain_list)
        p.dir.format = LH_DIR_MARKDOWN;
    switch (p.dir.format) {
    case LH_DIR_WPJSON:
        rc = lh_dir_wpjson_parse(&p, text, start, n);
        break;
    case LH_DIR_HTML:
        /* All of it, so that libxml2 counts lines from the top. */
        rc = lh_dir_html_parse(&p, text, n);
        break;
    case LH_DIR_MARKDOWN:
        /* All of it, so that cmark counts lines from the top. */
        rc = lh_dir_md_parse(&p, text, n);
        break;
    default:
        rc = lh_dir_list_parse(&p, text, start, n);
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
lh_directory_drop_entries(struct lh_directory *dir)
{
    for (size_t i = 0; i < dir->n; i++) {
        free(dir->entries[i].region);
        free(dir->entries[i].name);
        free(dir->entries[i].url);
        free(dir->entries[i].request_url);
        free(dir->entries[i].note);
        free(dir->entries[i].description);
    }
    free(dir->entries);
    dir->entries = NULL;
    dir->n = 0;
}

void
lh_directory_cleanup(struct lh_directory *dir)
{
    if (dir == NULL)
        return;
    lh_directory_drop_entries(dir);
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
    case LH_DIR_MARKDOWN:
        return "markdown";
    }
    return "unknown";
}

int
lh_directory_format_parse(const char *name, enum lh_dir_format *out)
{
    static const enum lh_dir_format all[] = {
        LH_DIR_AUTO, LH_DIR_WPJSON, LH_DIR_HTML, LH_DIR_LIST,
        LH_DIR_MARKDOWN,
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
