/*
 * status: a streaming JSON writer for the status document (linear in the
 * number of links, constant memory) and the atomic replace of the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
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

/* A JSON string; invalid UTF-8 becomes U+FFFD, so the file always parses. */
static void
put_str(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    if (s == NULL) {
        fputs("null", f);
        return;
    }
    putc('"', f);
    for (;;) {
        const unsigned char *run = p;
        size_t n;

        /* Bytes that need no escape go out in one write. */
        for (;;) {
            if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
                p++;
            else if (*p >= 0x80 && (n = lh_utf8_len(p, 4)) > 0)
                p += n;
            else
                break;
        }
        if (p > run)
            fwrite(run, 1, (size_t)(p - run), f);
        switch (*p) {
        case '\0': putc('"', f); return;
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(f, "\\u%04x", *p);
            else                /* not UTF-8 */
                fputs("\xef\xbf\xbd", f);
            break;
        }
        p++;
    }
}

static void
put_time(FILE *f, long long t)
{
    char buf[32];

    if (t <= 0) {
        fputs("null", f);
        return;
    }
    lh_rfc3339(t, buf, sizeof(buf));
    put_str(f, buf);
}

static void
put_ms(FILE *f, double ms)
{
    if (ms < 0)
        fputs("null", f);
    else
        fprintf(f, "%.1f", ms);
}

/* The link's warnings: its entry's note (a host that mixes scripts) and
 * its certificate's coming expiry. */
static void
put_warnings(FILE *f, const struct lh_link *l, long long now)
{
    long long expiry = l->result.cert_expiry;
    char when[32], text[96];

    fputs(",\n      \"warnings\": [", f);
    if (l->note != NULL)
        put_str(f, l->note);
    if (l->cert_warning && expiry > 0) {
        lh_rfc3339(expiry, when, sizeof(when));
        if (expiry <= now)
            snprintf(text, sizeof(text), "%s %s", LH_CERT_WARNING_EXPIRED,
                when);
        else
            snprintf(text, sizeof(text), "%s %lld days (%s)",
                LH_CERT_WARNING_EXPIRES, (expiry - now) / 86400, when);
        if (l->note != NULL)
            fputs(", ", f);
        put_str(f, text);
    }
    putc(']', f);
}

/* The page's fingerprint from its last reading, and the answer and
 * verdict it had then: what the next checks compare. */
static void
put_page(FILE *f, const struct lh_page_memo *m, const char *url)
{
    fputs(",\n      \"page\": ", f);
    if (m->read_at <= 0) {
        fputs("null", f);
        return;
    }
    fputs("{\"read_at\": ", f);
    put_time(f, m->read_at);
    fputs(", \"title\": ", f);
    put_str(f, m->title);
    fprintf(f, ", \"bytes\": %zu, \"text_bytes\": %zu, "
        "\"text_hash\": \"%016llx\", \"status\": %d, \"final_url\": ",
        m->bytes, m->text_bytes, m->text_hash, m->status);
    put_str(f, m->final_url != NULL ? m->final_url : url);
    fputs(", \"etag\": ", f);
    put_str(f, m->etag);
    fputs(", \"last_modified\": ", f);
    put_str(f, m->last_modified);
    fputs(", \"content_length\": ", f);
    if (m->content_length >= 0)
        fprintf(f, "%lld", m->content_length);
    else
        fputs("null", f);
    fputs(", \"verdict\": ", f);
    put_str(f, lh_state_name(m->state));
    fputs(", \"reason\": ", f);
    put_str(f, m->reason);
    putc('}', f);
}

static void
put_link(FILE *f, const struct lh_link *l, long long now)
{
    const struct lh_result *r = &l->result;

    fputs("    {\n      \"name\": ", f);
    put_str(f, l->name);
    fputs(",\n      \"region\": ", f);
    put_str(f, l->region);
    fputs(",\n      \"url\": ", f);
    put_str(f, l->url);
    fputs(",\n      \"request_url\": ", f);
    put_str(f, lh_link_request_url(l));
    fputs(",\n      \"description\": ", f);
    put_str(f, l->description);
    fputs(",\n      \"state\": ", f);
    put_str(f, lh_state_name(l->state));
    fputs(",\n      \"verdict\": ", f);
    /* A resumed link keeps its last verdict until it is checked again. */
    put_str(f, l->reason != NULL ? lh_state_name(l->verdict) : NULL);
    fputs(",\n      \"reason\": ", f);
    if (l->excluded) {
        char why[64];

        snprintf(why, sizeof(why), "excluded by rule %u, not checked",
            l->excluded);
        put_str(f, why);
    } else {
        put_str(f, l->reason != NULL ? l->reason : "not checked yet");
    }
    fprintf(f, ",\n      \"excluded\": %s,\n      \"accepted\": %s"
        ",\n      \"rule\": ", l->excluded ? "true" : "false",
        !l->excluded && l->accepted ? "true" : "false");
    if (l->excluded || l->accepted)
        fprintf(f, "%u", l->excluded ? l->excluded : l->accepted);
    else
        fputs("null", f);
    fputs(",\n      \"http_status\": ", f);
    if (l->checked && r->http_status > 0)
        fprintf(f, "%d", r->http_status);
    else
        fputs("null", f);
    fputs(",\n      \"final_url\": ", f);
    put_str(f, l->checked ? r->final_url : NULL);
    fputs(",\n      \"new_url\": ", f);
    put_str(f, l->new_url);
    fprintf(f, ",\n      \"redirects\": %zu", l->checked ? r->nhops : 0);
    fputs(",\n      \"redirect_chain\": [", f);
    for (size_t i = 0; l->checked && i < r->nhops; i++) {
        fputs(i ? ", " : "", f);
        fprintf(f, "{\"url\": ");
        put_str(f, r->hops[i].url);
        fprintf(f, ", \"status\": %d, \"location\": ", r->hops[i].status);
        put_str(f, r->hops[i].location);
        putc('}', f);
    }
    fputs("],\n      \"method\": ", f);
    put_str(f, l->checked ? lh_method_name(r->method) : NULL);
    fputs(",\n      \"head_status\": ", f);
    if (l->checked && r->head_status > 0)
        fprintf(f, "%d", r->head_status);
    else
        fputs("null", f);
    fputs(",\n      \"error\": ", f);
    put_str(f, l->checked ? r->error : NULL);
    fputs(",\n      \"failure\": ", f);
    put_str(f, l->checked && r->fail != LH_FAIL_NONE ?
        lh_fail_name(r->fail) : NULL);
    fprintf(f, ",\n      \"attempts\": %d", l->checked ? r->attempts : 0);
    fprintf(f, ",\n      \"retries\": %d", l->checked ? r->retries : 0);
    fputs(",\n      \"inconclusive\": ", f);
    put_str(f, l->inconclusive);
    fputs(",\n      \"checked_at\": ", f);
    put_time(f, l->checked ? r->checked_at : 0);
    fputs(",\n      \"since\": ", f);
    put_time(f, l->since);
    fputs(",\n      \"response_ms\": ", f);
    put_ms(f, l->checked ? r->timings.total_ms : -1);
    fprintf(f, ",\n      \"consecutive_failures\": %u",
        l->consecutive_failures);
    fprintf(f, ",\n      \"flapping\": %s", l->flapping ? "true" : "false");
    fputs(",\n      \"history\": [", f);
    for (unsigned i = 0; i < l->nhistory; i++) {
        fputs(i ? ", " : "", f);
        put_str(f, lh_state_name((enum lh_state)l->history[i]));
    }
    fputs("],\n      \"history_at\": [", f);
    for (unsigned i = 0; i < l->nhistory; i++) {
        fputs(i ? ", " : "", f);
        put_time(f, l->history_at[i]);
    }
    fputs("],\n      \"timings\": {\"dns_ms\": ", f);
    put_ms(f, l->checked ? r->timings.dns_ms : -1);
    fputs(", \"connect_ms\": ", f);
    put_ms(f, l->checked ? r->timings.connect_ms : -1);
    fputs(", \"tls_ms\": ", f);
    put_ms(f, l->checked ? r->timings.tls_ms : -1);
    fputs(", \"first_byte_ms\": ", f);
    put_ms(f, l->checked ? r->timings.first_byte_ms : -1);
    fputs(", \"total_ms\": ", f);
    put_ms(f, l->checked ? r->timings.total_ms : -1);
    fputs("},\n      \"cert_expires_at\": ", f);
    /* Kept from the previous run too, as its warning is. */
    put_time(f, r->cert_expiry);
    put_warnings(f, l, now);
    put_page(f, &l->page, lh_link_request_url(l));
    fputs("\n    }", f);
}

int
lh_status_print(FILE *f, const struct lh_status_info *info,
    const struct lh_links *links)
{
    size_t count[LH_STATE_COUNT];

    (void)lh_links_count(links, count);
    fprintf(f, "{\n  \"version\": %d,\n  \"generated_at\": ",
        LH_STATUS_VERSION);
    put_time(f, info->generated_at);
    fputs(",\n  \"directory\": {\n    \"source\": ", f);
    put_str(f, info->source);
    fputs(",\n    \"format\": ", f);
    put_str(f, info->format);
    fprintf(f, ",\n    \"entries\": %zu,\n    \"error\": ", info->entries);
    put_str(f, info->directory_error);
    fputs(",\n    \"warnings\": [", f);
    for (size_t i = 0; i < info->nwarnings; i++) {
        fputs(i ? ",\n      " : "\n      ", f);
        put_str(f, info->warnings[i]);
    }
    fputs(info->nwarnings ? "\n    ]\n  },\n" : "]\n  },\n", f);
    if (info->shard_count > 0)
        fprintf(f, "  \"shard\": {\"index\": %u, \"count\": %u},\n",
            info->shard_index, info->shard_count);
    else
        fputs("  \"shard\": null,\n", f);
    fprintf(f, "  \"cycle\": {\n    \"number\": %llu,\n    \"started_at\": ",
        info->cycle);
    put_time(f, info->started_at);
    fputs(",\n    \"duration_ms\": ", f);
    put_ms(f, info->duration_ms);
    fputs(",\n    \"inconclusive\": ", f);
    put_str(f, info->inconclusive);
    fprintf(f, ",\n    \"partial\": %s", info->partial ? "true" : "false");
    fputs("\n  },\n  \"summary\": {", f);
    for (int s = 1; s <= LH_STATE_COUNT; s++) {
        enum lh_state st = (enum lh_state)(s % LH_STATE_COUNT);

        fprintf(f, "%s\n    \"%s\": %zu", s > 1 ? "," : "",
            lh_state_name(st), count[st]);
    }
    fprintf(f, ",\n    \"excluded\": %zu", lh_links_excluded(links));
    fputs("\n  },\n  \"links\": [", f);
    for (size_t i = 0; i < links->n; i++) {
        fputs(i ? ",\n" : "\n", f);
        put_link(f, links->v[i], info->generated_at);
    }
    fputs(links->n ? "\n  ]\n}\n" : "]\n}\n", f);
    return ferror(f) ? -1 : 0;
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

/* A copy of s, or of "" for NULL; NULL only when out of memory. */
static char *
dup_text(const char *s)
{
    return strdup(s != NULL ? s : "");
}

/* What the last check saw, for a report of the file (--show); a resumed
 * link is not "checked", so none of it is written back. */
static void
seed_last_check(struct lh_link *l, const cJSON *item)
{
    const cJSON *n;

    n = cJSON_GetObjectItemCaseSensitive(item, "http_status");
    if (cJSON_IsNumber(n) && n->valuedouble >= 100 && n->valuedouble < 1000)
        l->result.http_status = (int)n->valuedouble;
    n = cJSON_GetObjectItemCaseSensitive(item, "response_ms");
    if (cJSON_IsNumber(n) && n->valuedouble >= 0 && n->valuedouble < 1e9)
        l->result.timings.total_ms = n->valuedouble;
    l->result.cert_expiry = json_time(item, "cert_expires_at");
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

static int
dup_opt(char **dst, const char *s)
{
    return s != NULL && (*dst = strdup(s)) == NULL ? -1 : 0;
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
    struct lh_page_memo *m = &l->page;
    const char *hash = json_str(pg, "text_hash");
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
    if (cJSON_IsNumber(n) && n->valuedouble >= 0 && n->valuedouble < 1e12)
        m->text_bytes = (size_t)n->valuedouble;
    n = cJSON_GetObjectItemCaseSensitive(pg, "status");
    if (cJSON_IsNumber(n) && n->valuedouble >= 100 && n->valuedouble < 1000)
        m->status = (int)n->valuedouble;
    n = cJSON_GetObjectItemCaseSensitive(pg, "content_length");
    if (cJSON_IsNumber(n) && n->valuedouble >= 0 && n->valuedouble < 1e15)
        m->content_length = (long long)n->valuedouble;
    m->state = LH_STATE_OK;
    if (lh_state_parse(json_str(pg, "verdict"), &st) == 0 &&
        (st == LH_STATE_STALE || st == LH_STATE_BLOCKED) &&
        json_str(pg, "reason") != NULL)
        m->state = st;
    if (dup_opt(&m->title, json_str(pg, "title")) == -1 ||
        (!same_url(json_str(pg, "final_url"), lh_link_request_url(l)) &&
            dup_opt(&m->final_url, json_str(pg, "final_url")) == -1) ||
        dup_opt(&m->etag, json_str(pg, "etag")) == -1 ||
        dup_opt(&m->last_modified, json_str(pg, "last_modified")) == -1 ||
        (m->state != LH_STATE_OK &&
            dup_opt(&m->reason, json_str(pg, "reason")) == -1)) {
        lh_page_memo_cleanup(m);
        return -1;
    }
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
    lh_result_init(&l->result);
    if ((l->url = strdup(url)) == NULL ||
        /* Version 5; before, a link was requested as listed. */
        (l->request_url = strdup(req != NULL ? req : url)) == NULL ||
        (l->name = dup_text(json_str(item, "name"))) == NULL ||
        (l->region = dup_text(json_str(item, "region"))) == NULL ||
        (l->description = dup_text(json_str(item, "description"))) ==
            NULL ||
        (new_url != NULL && (l->new_url = strdup(new_url)) == NULL) ||
        (reason != NULL && (l->reason = strdup(reason)) == NULL))
        goto nomem;
    l->state = st;
    /* Version 4: the rule that excluded the link or accepted its last
     * verdict.  An excluded link's reason is the rule's, not a verdict. */
    n = cJSON_GetObjectItemCaseSensitive(item, "rule");
    rule = cJSON_IsNumber(n) && n->valuedouble >= 1 &&
        n->valuedouble < 1e9 ? (unsigned)n->valuedouble : 1;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "excluded"))) {
        l->excluded = rule;
        free(l->reason);
        l->reason = NULL;
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
     * and history_at, version 5 request_url. */
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
