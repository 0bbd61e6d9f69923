/*
 * status: a streaming JSON writer for the status document (linear in the
 * number of links, constant memory) and the atomic replace of the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "file.h"
#include "status.h"
#include "util.h"

void
lh_rfc3339(long long t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL ||
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "1970-01-01T00:00:00Z");
}

/*
 * The emitter: the document is formatted into a buffer of its own and
 * handed to stdio in large blocks.  A million links make some sixty
 * million fields; stdio's per-call locking and printf's format parsing
 * would cost more than the disk.  Timestamps repeat (a cycle's checks
 * end within a few seconds of each other), so each formatted one is
 * kept in a small cache by its second.
 */
#define EMIT_BUF (256 * 1024)
#define TIME_CACHE 64           /* a power of two */

struct emit {
    FILE *f;
    char *buf;
    size_t len;
    bool failed;
    struct {
        long long t;            /* 0: empty */
        char s[24];             /* "2026-11-23T09:18:32Z" */
    } times[TIME_CACHE];
};

static void
flush(struct emit *e)
{
    if (e->len > 0 && !e->failed &&
        fwrite(e->buf, 1, e->len, e->f) != e->len)
        e->failed = true;
    e->len = 0;
}

/* Make room for n more bytes (n <= EMIT_BUF). */
static inline char *
room(struct emit *e, size_t n)
{
    if (EMIT_BUF - e->len < n)
        flush(e);
    return e->buf + e->len;
}

static void
put_mem(struct emit *e, const char *s, size_t n)
{
    while (n > 0) {
        size_t k;

        if (e->len == EMIT_BUF)
            flush(e);
        k = EMIT_BUF - e->len < n ? EMIT_BUF - e->len : n;
        memcpy(e->buf + e->len, s, k);
        e->len += k;
        s += k;
        n -= k;
    }
}

/* A string literal, its length known at compile time. */
#define PUT(e, lit) put_mem((e), "" lit, sizeof(lit) - 1)

static inline void
put_char(struct emit *e, char c)
{
    *room(e, 1) = c;
    e->len++;
}

static void
put_cstr(struct emit *e, const char *s)
{
    put_mem(e, s, strlen(s));
}

/* An unsigned number in decimal, as printf's %llu. */
static void
put_ull(struct emit *e, unsigned long long v)
{
    char tmp[LH_ULL_DIGITS];

    put_mem(e, tmp, lh_ull_text(tmp, v));
}

/* A signed number, as printf's %lld. */
static void
put_ll(struct emit *e, long long v)
{
    if (v < 0) {
        put_char(e, '-');
        put_ull(e, 0ull - (unsigned long long)v);
    } else {
        put_ull(e, (unsigned long long)v);
    }
}

/* 16 hex digits, as printf's %016llx. */
static void
put_hex16(struct emit *e, unsigned long long v)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[16];

    for (int i = 15; i >= 0; i--, v >>= 4)
        tmp[i] = hex[v & 15];
    put_mem(e, tmp, sizeof(tmp));
}

/* What snprintf writes (rare fields only). */
static void __attribute__((format(printf, 2, 3)))
put_fmt(struct emit *e, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        e->failed = true;
    else
        put_mem(e, tmp, (size_t)n < sizeof(tmp) ? (size_t)n :
            sizeof(tmp) - 1);
}

/* A JSON string; invalid UTF-8 becomes U+FFFD, so the file always parses. */
static void
put_str(struct emit *e, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    if (s == NULL) {
        PUT(e, "null");
        return;
    }
    put_char(e, '"');
    for (;;) {
        const unsigned char *run = p;
        size_t n;

        /* Bytes that need no escape go out in one copy. */
        for (;;) {
            if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
                p++;
            else if (*p >= 0x80 && (n = lh_utf8_len(p, 4)) > 0)
                p += n;
            else
                break;
        }
        if (p > run)
            put_mem(e, (const char *)run, (size_t)(p - run));
        switch (*p) {
        case '\0': put_char(e, '"'); return;
        case '"': PUT(e, "\\\""); break;
        case '\\': PUT(e, "\\\\"); break;
        case '\n': PUT(e, "\\n"); break;
        case '\r': PUT(e, "\\r"); break;
        case '\t': PUT(e, "\\t"); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                static const char hex[] = "0123456789abcdef";
                char u[6] = { '\\', 'u', '0', '0', hex[*p >> 4],
                    hex[*p & 15] };

                put_mem(e, u, sizeof(u));
            } else {            /* not UTF-8 */
                PUT(e, "\xef\xbf\xbd");
            }
            break;
        }
        p++;
    }
}

/* lh_rfc3339's text of t, from the cache when t was seen lately. */
static const char *
cached_time(struct emit *e, long long t)
{
    size_t i = (size_t)((unsigned long long)t & (TIME_CACHE - 1));

    if (e->times[i].t != t) {
        lh_rfc3339(t, e->times[i].s, sizeof(e->times[i].s));
        e->times[i].t = t;
    }
    return e->times[i].s;
}

static void
put_time(struct emit *e, long long t)
{
    if (t <= 0) {
        PUT(e, "null");
        return;
    }
    put_char(e, '"');
    put_cstr(e, cached_time(e, t));
    put_char(e, '"');
}

/*
 * ms as printf's "%.1f" writes it.  Scaled by ten and rounded, a double
 * errs by an ulp at most, which only matters when the tenths land
 * within a hair of a half: those, and numbers too large for the fast
 * way, go through snprintf.
 */
static void
put_ms(struct emit *e, double ms)
{
    double x, r;
    unsigned long long n;

    if (ms < 0) {
        PUT(e, "null");
        return;
    }
    x = ms * 10.0;
    r = floor(x);
    if (!(x < 1e15) || signbit(x) || (x - r > 0.4999 && x - r < 0.5001)) {
        put_fmt(e, "%.1f", ms);
        return;
    }
    n = (unsigned long long)r + (x - r > 0.5);
    put_ull(e, n / 10);
    put_char(e, '.');
    put_char(e, (char)('0' + n % 10));
}

static void
put_bool(struct emit *e, bool b)
{
    if (b)
        PUT(e, "true");
    else
        PUT(e, "false");
}

/* The link's warnings: its entry's note (a host that mixes scripts) and
 * its certificate's coming expiry. */
static void
put_warnings(struct emit *e, const struct lh_link *l, long long now)
{
    const char *note = lh_link_note(l);
    long long expiry = l->last.cert_expiry;
    char when[32], text[96];

    PUT(e, ",\n      \"warnings\": [");
    if (note != NULL)
        put_str(e, note);
    if (l->cert_warning && expiry > 0) {
        lh_rfc3339(expiry, when, sizeof(when));
        if (expiry <= now)
            snprintf(text, sizeof(text), "%s %s", LH_CERT_WARNING_EXPIRED,
                when);
        else
            snprintf(text, sizeof(text), "%s %lld days (%s)",
                LH_CERT_WARNING_EXPIRES, (expiry - now) / 86400, when);
        if (note != NULL)
            PUT(e, ", ");
        put_str(e, text);
    }
    put_char(e, ']');
}

/* The page's fingerprint from its last reading, and the answer and
 * verdict it had then: what the next checks compare. */
static void
put_page(struct emit *e, const struct lh_page_memo *m, const char *url)
{
    const char *final_url;

    PUT(e, ",\n      \"page\": ");
    if (m == NULL || m->read_at <= 0) {
        PUT(e, "null");
        return;
    }
    PUT(e, "{\"read_at\": ");
    put_time(e, m->read_at);
    PUT(e, ", \"title\": ");
    put_str(e, lh_page_memo_text(m, LH_MEMO_TITLE));
    PUT(e, ", \"bytes\": ");
    put_ull(e, m->bytes);
    PUT(e, ", \"text_bytes\": ");
    put_ull(e, m->text_bytes);
    PUT(e, ", \"text_hash\": \"");
    put_hex16(e, m->text_hash);
    PUT(e, "\", \"status\": ");
    put_ll(e, m->status);
    PUT(e, ", \"final_url\": ");
    final_url = lh_page_memo_text(m, LH_MEMO_FINAL_URL);
    put_str(e, final_url != NULL ? final_url : url);
    PUT(e, ", \"etag\": ");
    put_str(e, lh_page_memo_text(m, LH_MEMO_ETAG));
    PUT(e, ", \"last_modified\": ");
    put_str(e, lh_page_memo_text(m, LH_MEMO_LAST_MODIFIED));
    PUT(e, ", \"content_length\": ");
    if (m->content_length >= 0)
        put_ll(e, m->content_length);
    else
        PUT(e, "null");
    PUT(e, ", \"verdict\": ");
    put_str(e, lh_state_name(m->state));
    PUT(e, ", \"reason\": ");
    put_str(e, lh_page_memo_text(m, LH_MEMO_REASON));
    put_char(e, '}');
}

/* A positive number, or null. */
static void
put_positive(struct emit *e, bool known, long long v)
{
    if (known && v > 0)
        put_ll(e, v);
    else
        PUT(e, "null");
}

static void
put_link(struct emit *e, const struct lh_link *l, long long now)
{
    const struct lh_last *r = &l->last;
    size_t nhops;
    const struct lh_hop *hops = lh_last_hops(r, &nhops);
    bool c = l->checked;

    PUT(e, "    {\n      \"name\": ");
    put_str(e, lh_link_name(l));
    PUT(e, ",\n      \"region\": ");
    put_str(e, lh_link_region(l));
    PUT(e, ",\n      \"url\": ");
    put_str(e, l->url);
    PUT(e, ",\n      \"request_url\": ");
    put_str(e, lh_link_request_url(l));
    PUT(e, ",\n      \"description\": ");
    put_str(e, lh_link_description(l));
    PUT(e, ",\n      \"state\": ");
    put_str(e, lh_state_name(l->state));
    PUT(e, ",\n      \"verdict\": ");
    /* A resumed link keeps its last verdict until it is checked again. */
    put_str(e, l->reason != NULL ? lh_state_name(l->verdict) : NULL);
    PUT(e, ",\n      \"reason\": ");
    if (l->excluded) {
        PUT(e, "\"excluded by rule ");
        put_ull(e, l->excluded);
        PUT(e, ", not checked\"");
    } else {
        put_str(e, l->reason != NULL ? l->reason : "not checked yet");
    }
    PUT(e, ",\n      \"excluded\": ");
    put_bool(e, l->excluded);
    PUT(e, ",\n      \"accepted\": ");
    put_bool(e, !l->excluded && l->accepted);
    PUT(e, ",\n      \"rule\": ");
    put_positive(e, true, l->excluded ? l->excluded : l->accepted);
    PUT(e, ",\n      \"http_status\": ");
    put_positive(e, c, r->http_status);
    PUT(e, ",\n      \"final_url\": ");
    put_str(e, c ? lh_link_final_url(l) : NULL);
    PUT(e, ",\n      \"new_url\": ");
    put_str(e, l->new_url);
    PUT(e, ",\n      \"redirects\": ");
    put_ull(e, c ? nhops : 0);
    PUT(e, ",\n      \"redirect_chain\": [");
    for (size_t i = 0; c && i < nhops; i++) {
        if (i > 0)
            PUT(e, ", ");
        PUT(e, "{\"url\": ");
        put_str(e, hops[i].url);
        PUT(e, ", \"status\": ");
        put_ll(e, hops[i].status);
        PUT(e, ", \"location\": ");
        put_str(e, hops[i].location);
        put_char(e, '}');
    }
    PUT(e, "],\n      \"method\": ");
    put_str(e, c ? lh_method_name((enum lh_method)r->method) : NULL);
    PUT(e, ",\n      \"head_status\": ");
    put_positive(e, c, r->head_status);
    PUT(e, ",\n      \"error\": ");
    put_str(e, c ? lh_last_error(r) : NULL);
    PUT(e, ",\n      \"failure\": ");
    put_str(e, c && r->fail != LH_FAIL_NONE ? lh_fail_name((enum lh_fail)r->fail) : NULL);
    PUT(e, ",\n      \"attempts\": ");
    put_ll(e, c ? r->attempts : 0);
    PUT(e, ",\n      \"retries\": ");
    put_ll(e, c ? r->retries : 0);
    PUT(e, ",\n      \"inconclusive\": ");
    put_str(e, l->inconclusive);
    PUT(e, ",\n      \"checked_at\": ");
    put_time(e, c ? r->checked_at : 0);
    PUT(e, ",\n      \"since\": ");
    put_time(e, l->since);
    PUT(e, ",\n      \"response_ms\": ");
    put_ms(e, c ? r->timings.total_ms : -1);
    PUT(e, ",\n      \"consecutive_failures\": ");
    put_ull(e, l->consecutive_failures);
    PUT(e, ",\n      \"flapping\": ");
    put_bool(e, l->flapping);
    PUT(e, ",\n      \"history\": [");
    for (unsigned i = 0; i < l->nhistory; i++) {
        if (i > 0)
            PUT(e, ", ");
        put_str(e, lh_state_name((enum lh_state)l->history[i]));
    }
    PUT(e, "],\n      \"history_at\": [");
    for (unsigned i = 0; i < l->nhistory; i++) {
        if (i > 0)
            PUT(e, ", ");
        put_time(e, l->history_at[i]);
    }
    PUT(e, "],\n      \"timings\": {\"dns_ms\": ");
    put_ms(e, c ? r->timings.dns_ms : -1);
    PUT(e, ", \"connect_ms\": ");
    put_ms(e, c ? r->timings.connect_ms : -1);
    PUT(e, ", \"tls_ms\": ");
    put_ms(e, c ? r->timings.tls_ms : -1);
    PUT(e, ", \"first_byte_ms\": ");
    put_ms(e, c ? r->timings.first_byte_ms : -1);
    PUT(e, ", \"total_ms\": ");
    put_ms(e, c ? r->timings.total_ms : -1);
    PUT(e, "},\n      \"cert_expires_at\": ");
    /* Kept from the previous run too, as its warning is. */
    put_time(e, r->cert_expiry);
    put_warnings(e, l, now);
    put_page(e, l->page, lh_link_request_url(l));
    PUT(e, "\n    }");
}

static void
put_document(struct emit *e, const struct lh_status_info *info,
    const struct lh_links *links)
{
    size_t count[LH_STATE_COUNT];

    (void)lh_links_count(links, count);
    PUT(e, "{\n  \"version\": ");
    put_ull(e, LH_STATUS_VERSION);
    PUT(e, ",\n  \"generated_at\": ");
    put_time(e, info->generated_at);
    PUT(e, ",\n  \"directory\": {\n    \"source\": ");
    put_str(e, info->source);
    PUT(e, ",\n    \"format\": ");
    put_str(e, info->format);
    PUT(e, ",\n    \"entries\": ");
    put_ull(e, info->entries);
    PUT(e, ",\n    \"error\": ");
    put_str(e, info->directory_error);
    PUT(e, ",\n    \"warnings\": [");
    for (size_t i = 0; i < info->nwarnings; i++) {
        if (i > 0)
            put_char(e, ',');
        PUT(e, "\n      ");
        put_str(e, info->warnings[i]);
    }
    if (info->nwarnings)
        PUT(e, "\n    ]\n  },\n");
    else
        PUT(e, "]\n  },\n");
    if (info->shard_count > 0) {
        PUT(e, "  \"shard\": {\"index\": ");
        put_ull(e, info->shard_index);
        PUT(e, ", \"count\": ");
        put_ull(e, info->shard_count);
        PUT(e, "},\n");
    } else {
        PUT(e, "  \"shard\": null,\n");
    }
    /* What fails a run: the configured states, and a link with no
     * verdict, always (lh_links_failing). */
    PUT(e, "  \"fail_on\": [");
    for (int s = 1, n = 0; s <= LH_STATE_COUNT; s++) {
        enum lh_state st = (enum lh_state)(s % LH_STATE_COUNT);

        if (st != LH_STATE_UNKNOWN &&
            (info->fail_on & (1u << (unsigned)st)) == 0)
            continue;
        if (n++ > 0)
            PUT(e, ", ");
        put_char(e, '"');
        put_cstr(e, lh_state_name(st));
        put_char(e, '"');
    }
    PUT(e, "],\n");
    PUT(e, "  \"cycle\": {\n    \"number\": ");
    put_ull(e, info->cycle);
    PUT(e, ",\n    \"started_at\": ");
    put_time(e, info->started_at);
    PUT(e, ",\n    \"duration_ms\": ");
    put_ms(e, info->duration_ms);
    PUT(e, ",\n    \"inconclusive\": ");
    put_str(e, info->inconclusive);
    PUT(e, ",\n    \"partial\": ");
    put_bool(e, info->partial);
    PUT(e, "\n  },\n  \"summary\": {");
    for (int s = 1; s <= LH_STATE_COUNT; s++) {
        enum lh_state st = (enum lh_state)(s % LH_STATE_COUNT);

        if (s > 1)
            put_char(e, ',');
        PUT(e, "\n    \"");
        put_cstr(e, lh_state_name(st));
        PUT(e, "\": ");
        put_ull(e, count[st]);
    }
    PUT(e, ",\n    \"excluded\": ");
    put_ull(e, lh_links_excluded(links));
    PUT(e, "\n  },\n  \"links\": [");
    for (size_t i = 0; i < links->n; i++) {
        if (i > 0)
            put_char(e, ',');
        put_char(e, '\n');
        put_link(e, links->v[i], info->generated_at);
    }
    if (links->n)
        PUT(e, "\n  ]\n}\n");
    else
        PUT(e, "]\n}\n");
}

int
lh_status_print(FILE *f, const struct lh_status_info *info,
    const struct lh_links *links)
{
    struct emit *e;

    if ((e = calloc(1, sizeof(*e))) == NULL ||
        (e->buf = malloc(EMIT_BUF)) == NULL) {
        free(e);
        errno = ENOMEM;
        return -1;
    }
    e->f = f;
    put_document(e, info, links);
    flush(e);
    free(e->buf);
    if (e->failed || ferror(f)) {
        free(e);
        return -1;
    }
    free(e);
    return 0;
}

struct print_args {
    lh_status_printer print;
    const struct lh_status_info *info;
    const struct lh_links *links;
};

static int
print_cb(FILE *f, void *arg)
{
    struct print_args *pa = arg;

    return pa->print(f, pa->info, pa->links);
}

int
lh_status_write(const char *path, lh_status_printer print,
    const struct lh_status_info *info, const struct lh_links *links,
    char *err, size_t errlen)
{
    struct print_args pa = { print, info, links };

    return lh_file_write_atomic(path, print_cb, &pa, err, errlen);
}

int
lh_rfc3339_parse(const char *s, long long *out)
{
    struct tm tm;
    const char *end;
    time_t t;

    memset(&tm, 0, sizeof(tm));
    if (s == NULL || (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) ==
        NULL || *end != '\0')
        return -1;
    if ((t = timegm(&tm)) == (time_t)-1)
        return -1;
    *out = (long long)t;
    return 0;
}

static const char *
json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static long long
json_time(const cJSON *obj, const char *key)
{
    long long t = 0;

    if (lh_rfc3339_parse(json_str(obj, key), &t) == -1)
        return 0;
    return t;
}

/* What the last check saw, for a report of the file (--show); a resumed
 * link is not "checked", so none of it is written back. */
static void
seed_last_check(struct lh_link *l, const cJSON *item)
{
    const cJSON *n;

    n = cJSON_GetObjectItemCaseSensitive(item, "http_status");
    if (cJSON_IsNumber(n) && n->valuedouble >= 100 && n->valuedouble < 1000)
        l->last.http_status = (int)n->valuedouble;
    n = cJSON_GetObjectItemCaseSensitive(item, "response_ms");
    if (cJSON_IsNumber(n) && n->valuedouble >= 0 && n->valuedouble < 1e9)
        l->last.timings.total_ms = n->valuedouble;
    l->last.cert_expiry = json_time(item, "cert_expires_at");
}

static bool
is_cert_warning(const char *s)
{
    return strncmp(s, LH_CERT_WARNING_EXPIRES,
        strlen(LH_CERT_WARNING_EXPIRES)) == 0 ||
        strncmp(s, LH_CERT_WARNING_EXPIRED,
        strlen(LH_CERT_WARNING_EXPIRED)) == 0;
}

/* Counters, flapping, the certificate warning and the verdict history
 * (the newest LH_HISTORY_LEN, unknown names skipped) with the time of
 * each verdict from the parallel "history_at" (version 4; unknown before). */
static void
seed_history(struct lh_link *l, const cJSON *item)
{
    const cJSON *n, *h, *at;
    enum lh_state st;
    long long t;

    n = cJSON_GetObjectItemCaseSensitive(item, "consecutive_failures");
    if (cJSON_IsNumber(n) && n->valuedouble >= 0 && n->valuedouble < 1e9)
        l->consecutive_failures = (unsigned)n->valuedouble;
    n = cJSON_GetObjectItemCaseSensitive(item, "flapping");
    l->flapping = cJSON_IsTrue(n);
    h = cJSON_GetObjectItemCaseSensitive(item, "warnings");
    cJSON_ArrayForEach(n, h)
        if (cJSON_IsString(n) && is_cert_warning(n->valuestring))
            l->cert_warning = true;
    h = cJSON_GetObjectItemCaseSensitive(item, "history");
    at = cJSON_GetObjectItemCaseSensitive(item, "history_at");
    at = cJSON_IsArray(at) ? at->child : NULL;
    /* Walk both arrays together, so a skipped verdict skips its time. */
    cJSON_ArrayForEach(n, h) {
        const cJSON *when = at;

        at = at != NULL ? at->next : NULL;
        if (!cJSON_IsString(n) || lh_state_parse(n->valuestring, &st) == -1)
            continue;
        t = 0;
        if (cJSON_IsString(when) &&
            lh_rfc3339_parse(when->valuestring, &t) == -1)
            t = 0;
        lh_state_history_push(l, st, t > 0 ? t : 0);
    }
    /* Good verdicts in a row, from the end of the history. */
    for (unsigned i = l->nhistory; i > 0 && lh_state_is_good(
            (enum lh_state)l->history[i - 1]); i--)
        l->consecutive_good++;
}

static bool
same_url(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/*
 * The page's memo ("page"), so that a restart neither reads every page
 * again nor forgets what a page said.  A memo that is not whole (no
 * read time, a bad hash) is dropped: the page is then read again.  0, or
 * -1 when out of memory.
 */
static int
seed_page(struct lh_link *l, const cJSON *item)
{
    const cJSON *pg = cJSON_GetObjectItemCaseSensitive(item, "page"), *n;
    struct lh_page_memo memo, *m = &memo;
    const char *hash = json_str(pg, "text_hash");
    const char *text[LH_MEMO_NTEXT];
    enum lh_state st;
    char *end;

    lh_page_memo_init(m);
    if (!cJSON_IsObject(pg) || hash == NULL ||
        (m->read_at = json_time(pg, "read_at")) == 0)
        goto drop;
    errno = 0;
    m->text_hash = strtoull(hash, &end, 16);
    if (errno != 0 || end == hash || *end != '\0')
        goto drop;
    n = cJSON_GetObjectItemCaseSensitive(pg, "bytes");
    if (cJSON_IsNumber(n) && n->valuedouble >= 0 && n->valuedouble < 1e12)
        m->bytes = (size_t)n->valuedouble;
    n = cJSON_GetObjectItemCaseSensitive(pg, "text_bytes");
    /* Never more than max_body_bytes (16 MiB) written. */
    if (cJSON_IsNumber(n) && n->valuedouble >= 0 &&
        n->valuedouble <= UINT32_MAX)
        m->text_bytes = (uint32_t)n->valuedouble;
    n = cJSON_GetObjectItemCaseSensitive(pg, "status");
    if (cJSON_IsNumber(n) && n->valuedouble >= 100 && n->valuedouble < 1000)
        m->status = (unsigned short)n->valuedouble;
    n = cJSON_GetObjectItemCaseSensitive(pg, "content_length");
    if (cJSON_IsNumber(n) && n->valuedouble >= 0 && n->valuedouble < 1e15)
        m->content_length = (long long)n->valuedouble;
    m->state = LH_STATE_OK;
    if (lh_state_parse(json_str(pg, "verdict"), &st) == 0 &&
        (st == LH_STATE_STALE || st == LH_STATE_BLOCKED) &&
        json_str(pg, "reason") != NULL)
        m->state = st;
    text[LH_MEMO_TITLE] = json_str(pg, "title");
    text[LH_MEMO_FINAL_URL] = json_str(pg, "final_url");
    if (same_url(text[LH_MEMO_FINAL_URL], lh_link_request_url(l)))
        text[LH_MEMO_FINAL_URL] = NULL;
    text[LH_MEMO_ETAG] = json_str(pg, "etag");
    text[LH_MEMO_LAST_MODIFIED] = json_str(pg, "last_modified");
    text[LH_MEMO_REASON] = m->state != LH_STATE_OK ?
        json_str(pg, "reason") : NULL;
    if (lh_page_memo_set_text(m, text) == -1) {
        lh_page_memo_cleanup(m);
        return -1;
    }
    if (lh_link_page(l) == NULL) {
        lh_page_memo_cleanup(m);
        return -1;
    }
    *l->page = memo;
    return 0;
drop:
    lh_page_memo_cleanup(m);
    return 0;
}

/*
 * One entry of "links" into a link of *links.  An entry without a url or
 * a known state, or with a url already seen, is skipped.  0, or -1 when
 * out of memory.
 */
static int
seed_link(struct lh_links *links, const cJSON *item)
{
    const char *url = json_str(item, "url");
    const char *reason = json_str(item, "reason");
    const char *verdict = json_str(item, "verdict");
    const char *new_url = json_str(item, "new_url");
    const char *req = json_str(item, "request_url");
    struct lh_link_text text;
    const cJSON *n;
    struct lh_link *l;
    enum lh_state st;
    unsigned rule;

    if (url == NULL || lh_state_parse(json_str(item, "state"), &st) == -1)
        return 0;   /* not ours to judge: skip the entry */
    if (lh_links_find(links, url) != NULL)
        return 0;
    if ((l = calloc(1, sizeof(*l))) == NULL)
        return -1;
    lh_last_init(&l->last);
    memset(&text, 0, sizeof(text));     /* no note: it is the entry's */
    text.url = url;
    /* Version 5; before, a link was requested as listed. */
    text.request_url = req;
    text.name = json_str(item, "name");
    text.region = json_str(item, "region");
    text.description = json_str(item, "description");
    if (lh_link_set_text(l, &text) == -1 ||
        (new_url != NULL && (l->new_url = strdup(new_url)) == NULL) ||
        lh_link_set_reason(l, reason) == -1)
        goto nomem;
    l->state = st;
    /* Version 4: the rule that excluded the link or accepted its last
     * verdict.  An excluded link's reason is the rule's, not a verdict. */
    n = cJSON_GetObjectItemCaseSensitive(item, "rule");
    rule = cJSON_IsNumber(n) && n->valuedouble >= 1 &&
        n->valuedouble < 1e9 ? (unsigned)n->valuedouble : 1;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "excluded"))) {
        l->excluded = rule;
        (void)lh_link_set_reason(l, NULL);
    } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item,
            "accepted"))) {
        l->accepted = rule;
    }
    l->since = json_time(item, "since");
    if (verdict != NULL && lh_state_parse(verdict, &st) == 0)
        l->verdict = st;
    seed_last_check(l, item);
    seed_history(l, item);
    if (seed_page(l, item) == -1)
        goto nomem;
    if (lh_links_append(links, l) == -1)
        goto nomem;
    return 0;
nomem:
    lh_link_free(l);
    return -1;
}

int
lh_status_parse(const char *buf, size_t len, const char *name,
    struct lh_links *seed, double *duration_ms, char *err, size_t errlen)
{
    cJSON *root = NULL;
    const cJSON *version, *links, *item, *cycle, *d;

    lh_links_init(seed);
    root = cJSON_ParseWithLength(buf, len);
    if (root == NULL || !cJSON_IsObject(root)) {
        lh_seterr(err, errlen, "%s: not a JSON object", name);
        goto fail;
    }
    version = cJSON_GetObjectItemCaseSensitive(root, "version");
    links = cJSON_GetObjectItemCaseSensitive(root, "links");
    if (!cJSON_IsNumber(version) || !cJSON_IsArray(links) ||
        json_str(root, "generated_at") == NULL) {
        lh_seterr(err, errlen, "%s: not a linkhealthd status file", name);
        goto fail;
    }
    /* Each version lacks only what a later one added: version 2 shard
     * and warnings, version 3 page, version 4 excluded, accepted, rule
     * and history_at, version 5 request_url, version 6 fail_on. */
    if (version->valuedouble < 1 ||
        version->valuedouble > LH_STATUS_VERSION ||
        version->valuedouble != (int)version->valuedouble) {
        lh_seterr(err, errlen, "%s: status file version %g, expected 1 to "
            "%d", name, version->valuedouble, LH_STATUS_VERSION);
        goto fail;
    }
    cycle = cJSON_GetObjectItemCaseSensitive(root, "cycle");
    d = cJSON_GetObjectItemCaseSensitive(cycle, "duration_ms");
    if (duration_ms != NULL)
        *duration_ms = cJSON_IsNumber(d) && d->valuedouble >= 0 ?
            d->valuedouble : 0;
    cJSON_ArrayForEach(item, links) {
        if (cJSON_IsObject(item) && seed_link(seed, item) == -1) {
            lh_seterr(err, errlen, "%s: out of memory", name);
            goto fail;
        }
    }
    cJSON_Delete(root);
    return 0;
fail:
    cJSON_Delete(root);
    lh_links_cleanup(seed);
    lh_links_init(seed);
    return -1;
}

int
lh_status_read(const char *path, size_t max_bytes, bool missing_ok,
    struct lh_links *links, double *duration_ms, char *err, size_t errlen)
{
    char *buf;
    size_t len;
    int rc;

    lh_links_init(links);
    if (duration_ms != NULL)
        *duration_ms = 0;
    if (lh_file_read(path, max_bytes, NULL, &buf, &len, err, errlen) == -1) {
        if (!missing_ok || errno != ENOENT)
            return -1;
        if (errlen > 0)
            err[0] = '\0';
        return 0;
    }
    rc = lh_status_parse(buf, len, path, links, duration_ms, err, errlen);
    free(buf);
    return rc;
}
