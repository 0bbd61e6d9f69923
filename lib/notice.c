/*
 * notice: a cycle's notification as a JSON document (cJSON), its chat
 * bodies and hook environment, and the queue of documents waiting for
 * delivery.  The document is the one form kept: the chat bodies are made
 * from it at each delivery, so a queue read back after a restart gives
 * the same messages.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "notice.h"
#include "report.h"
#include "status.h"
#include "util.h"

struct lh_notice {
    cJSON *changes;             /* array of transitions */
    size_t count;               /* added, omitted ones included */
};

static const char *const format_names[] = { "json", "slack", "discord" };

int
lh_notice_format_parse(const char *name, enum lh_notice_format *out)
{
    for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]);
        i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (enum lh_notice_format)i;
            return 0;
        }
    }
    return -1;
}

const char *
lh_notice_format_name(enum lh_notice_format f)
{
    return (size_t)f < sizeof(format_names) / sizeof(format_names[0]) ?
        format_names[f] : "json";
}

struct lh_notice *
lh_notice_new(void)
{
    struct lh_notice *n;

    if ((n = calloc(1, sizeof(*n))) == NULL)
        return NULL;
    if ((n->changes = cJSON_CreateArray()) == NULL) {
        free(n);
        return NULL;
    }
    return n;
}

void
lh_notice_free(struct lh_notice *n)
{
    if (n == NULL)
        return;
    cJSON_Delete(n->changes);
    free(n);
}

size_t
lh_notice_count(const struct lh_notice *n)
{
    return n->count;
}

/* A string member; text that is not UTF-8 has its bad bytes replaced, so
 * the document always parses.  NULL is null. */
static bool
add_text(cJSON *obj, const char *key, const char *s)
{
    char *fixed = NULL;
    size_t first, len;
    bool ok;

    if (s == NULL)
        return cJSON_AddNullToObject(obj, key) != NULL;
    if (lh_utf8_invalid(s, strlen(s), &first) > 0 &&
        (s = fixed = lh_utf8_replace_invalid(s, strlen(s), &len)) == NULL)
        return false;
    ok = cJSON_AddStringToObject(obj, key, s) != NULL;
    free(fixed);
    return ok;
}

int
lh_notice_add(struct lh_notice *n, const struct lh_link *l,
    enum lh_state from, enum lh_state to)
{
    const char *fix = lh_report_fix(l);
    char movefix[4096];
    cJSON *t;

    n->count++;
    if ((size_t)cJSON_GetArraySize(n->changes) >= LH_NOTICE_MAX_CHANGES)
        return 0;
    if (fix == NULL && l->new_url != NULL) {
        snprintf(movefix, sizeof(movefix), "change the link to %s",
            l->new_url);
        fix = movefix;
    }
    if ((t = cJSON_CreateObject()) == NULL)
        return -1;
    if (!add_text(t, "organization", lh_link_name(l)) ||
        !add_text(t, "region", lh_link_region(l)) ||
        !add_text(t, "url", l->url) ||
        !add_text(t, "from", lh_state_name(from)) ||
        !add_text(t, "to", lh_state_name(to)) ||
        !add_text(t, "reason", l->reason) ||
        !add_text(t, "fix", fix != NULL && *fix != '\0' ? fix : NULL) ||
        !add_text(t, "new_url", to == LH_STATE_MOVED ? l->new_url : NULL) ||
        !cJSON_AddItemToArray(n->changes, t)) {
        cJSON_Delete(t);
        return -1;
    }
    return 0;
}

char *
lh_notice_document(const struct lh_notice *n,
    const struct lh_notice_cycle *c, long long now)
{
    char id[64], started[32], generated[32];
    cJSON *root, *summary, *changes = NULL;
    size_t listed = (size_t)cJSON_GetArraySize(n->changes);
    char *text = NULL;
    bool ok;

    snprintf(id, sizeof(id), "%lld-%llu", c->started_at, c->number);
    lh_rfc3339(c->started_at, started, sizeof(started));
    lh_rfc3339(now, generated, sizeof(generated));
    if ((root = cJSON_CreateObject()) == NULL)
        return NULL;
    ok = cJSON_AddNumberToObject(root, "version", LH_NOTICE_VERSION) &&
        add_text(root, "id", id) &&
        cJSON_AddNumberToObject(root, "cycle", (double)c->number) &&
        add_text(root, "started_at", started) &&
        add_text(root, "generated_at", generated) &&
        add_text(root, "source", c->source) &&
        add_text(root, "inconclusive", c->inconclusive) &&
        cJSON_AddBoolToObject(root, "conclusive_again",
            c->conclusive_again) &&
        (summary = cJSON_AddObjectToObject(root, "summary")) != NULL &&
        cJSON_AddNumberToObject(summary, "links", (double)c->links);
    for (size_t s = 0; ok && s < LH_STATE_COUNT; s++)
        ok = cJSON_AddNumberToObject(summary, lh_state_name(s),
            (double)c->count[s]) != NULL;
    if (ok && (changes = cJSON_Duplicate(n->changes, 1)) != NULL &&
        cJSON_AddItemToObject(root, "transitions", changes)) {
        changes = NULL;
        ok = cJSON_AddNumberToObject(root, "omitted",
            (double)(n->count - listed)) != NULL;
    } else {
        ok = false;
    }
    if (ok)
        text = cJSON_PrintUnformatted(root);
    cJSON_Delete(changes);
    cJSON_Delete(root);
    return text;
}

/* --- chat bodies ------------------------------------------------------ */

static const char *
str_of(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double
num_of(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* The services' length limits, in bytes, with room for "and N more". */
#define SLACK_TEXT_MAX 38000
#define DISCORD_CONTENT_MAX 1900

/*
 * Text for a chat message: Slack's three specials become entities (its
 * rule for text, so that "<!channel>" in an organization's name is text,
 * not a mention); every control is escaped by the one sanitizer.
 */
static void
put_chat(FILE *f, const char *s, enum lh_notice_format fmt)
{
    char *safe = lh_text_escape_dup(s != NULL ? s : "");

    for (const char *p = safe; p != NULL && *p != '\0'; p++) {
        if (fmt == LH_NOTICE_SLACK && *p == '&')
            fputs("&amp;", f);
        else if (fmt == LH_NOTICE_SLACK && *p == '<')
            fputs("&lt;", f);
        else if (fmt == LH_NOTICE_SLACK && *p == '>')
            fputs("&gt;", f);
        else
            putc(*p, f);
    }
    free(safe);
}

/* One transition's line into a fresh string (NULL: out of memory). */
static char *
chat_line(const cJSON *t, enum lh_notice_format fmt)
{
    const char *region = str_of(t, "region"), *reason = str_of(t, "reason"),
        *fix = str_of(t, "fix");
    char *line = NULL;
    size_t len = 0;
    FILE *f;

    if ((f = open_memstream(&line, &len)) == NULL)
        return NULL;
    fputs("\n- ", f);
    put_chat(f, str_of(t, "organization"), fmt);
    if (region != NULL && *region != '\0') {
        fputs(" [", f);
        put_chat(f, region, fmt);
        putc(']', f);
    }
    putc(' ', f);
    put_chat(f, str_of(t, "url"), fmt);
    fputs(": ", f);
    put_chat(f, str_of(t, "from"), fmt);
    fputs(" -> ", f);
    put_chat(f, str_of(t, "to"), fmt);
    if (reason != NULL) {
        fputs(" (", f);
        put_chat(f, reason, fmt);
        putc(')', f);
    }
    if (fix != NULL) {
        fputs(". Fix: ", f);
        put_chat(f, fix, fmt);
    }
    if (fclose(f) != 0) {
        free(line);
        return NULL;
    }
    return line;
}

/* The message of a document, at most max bytes and
 * LH_NOTICE_CHAT_CHANGES transitions. */
static char *
chat_text(const cJSON *doc, enum lh_notice_format fmt, size_t max)
{
    const cJSON *changes = cJSON_GetObjectItemCaseSensitive(doc,
        "transitions"), *summary = cJSON_GetObjectItemCaseSensitive(doc,
        "summary"), *t;
    const char *inconclusive = str_of(doc, "inconclusive");
    size_t total = (size_t)cJSON_GetArraySize(changes) +
        (size_t)num_of(doc, "omitted"), shown = 0, len = 0;
    char *text = NULL, *line;
    FILE *f;

    if ((f = open_memstream(&text, &len)) == NULL)
        return NULL;
    fprintf(f, "linkhealthd, cycle %.0f:", num_of(doc, "cycle"));
    if (total > 0)
        fprintf(f, " %zu link%s changed state.", total,
            total == 1 ? "" : "s");
    if (inconclusive != NULL) {
        fputs(" Checks inconclusive, every link keeps its state: ", f);
        put_chat(f, inconclusive, fmt);
        putc('.', f);
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc,
            "conclusive_again")))
        fputs(" Checks conclusive again.", f);
    fprintf(f, " %.0f links:", num_of(summary, "links"));
    for (size_t s = 0, first = 1; s < LH_STATE_COUNT; s++) {
        double v = num_of(summary, lh_state_name(s));

        if (v > 0 || s == LH_STATE_OK) {
            fprintf(f, "%s %.0f %s", first ? "" : ",", v, lh_state_name(s));
            first = 0;
        }
    }
    putc('.', f);
    cJSON_ArrayForEach(t, changes) {
        if (shown == LH_NOTICE_CHAT_CHANGES)
            break;
        if ((line = chat_line(t, fmt)) == NULL)
            break;
        fflush(f);
        if (len + strlen(line) > max) {
            free(line);
            break;
        }
        fputs(line, f);
        free(line);
        shown++;
    }
    if (shown < total)
        fprintf(f, "\n... and %zu more (all in the status file)",
            total - shown);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

char *
lh_notice_body(const char *doc, enum lh_notice_format f, char *err,
    size_t errlen)
{
    cJSON *root, *body = NULL, *mentions;
    char *text = NULL, *out = NULL;
    bool ok;

    if (f == LH_NOTICE_JSON) {
        if ((out = strdup(doc)) == NULL)
            lh_seterr(err, errlen, "out of memory");
        return out;
    }
    if ((root = cJSON_Parse(doc)) == NULL || !cJSON_IsObject(root)) {
        lh_seterr(err, errlen, "a queued notification is not JSON");
        cJSON_Delete(root);
        return NULL;
    }
    text = chat_text(root, f, f == LH_NOTICE_DISCORD ? DISCORD_CONTENT_MAX :
        SLACK_TEXT_MAX);
    ok = text != NULL && (body = cJSON_CreateObject()) != NULL;
    if (ok && f == LH_NOTICE_SLACK)
        ok = cJSON_AddStringToObject(body, "text", text) != NULL;
    /* A directory's "@everyone" stays text: no mention is parsed. */
    if (ok && f == LH_NOTICE_DISCORD)
        ok = cJSON_AddStringToObject(body, "content", text) != NULL &&
            (mentions = cJSON_AddObjectToObject(body,
                "allowed_mentions")) != NULL &&
            cJSON_AddArrayToObject(mentions, "parse") != NULL;
    if (ok)
        out = cJSON_PrintUnformatted(body);
    if (out == NULL)
        lh_seterr(err, errlen, "out of memory");
    free(text);
    cJSON_Delete(body);
    cJSON_Delete(root);
    return out;
}

/* --- the hook's environment ------------------------------------------- */

void
lh_notice_env_free(char **env)
{
    for (size_t i = 0; env != NULL && env[i] != NULL; i++)
        free(env[i]);
    free(env);
}

static int
env_add(char ***env, size_t *n, const char *name, const char *value)
{
    char **grown;

    if ((grown = realloc(*env, (*n + 2) * sizeof(*grown))) == NULL)
        return -1;
    *env = grown;
    grown[*n + 1] = NULL;
    if (value == NULL)
        grown[*n] = strdup(name);
    else if (asprintf(&grown[*n], "%s=%s", name, value) == -1)
        grown[*n] = NULL;
    if (grown[*n] == NULL)
        return -1;
    (*n)++;
    return 0;
}

static int
env_num(char ***env, size_t *n, const char *name, double v)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%.0f", v);
    return env_add(env, n, name, buf);
}

char **
lh_notice_env(const char *doc, char *const *base, unsigned long long skipped)
{
    cJSON *root = cJSON_Parse(doc);
    const cJSON *summary = cJSON_GetObjectItemCaseSensitive(root, "summary");
    const char *inc = str_of(root, "inconclusive");
    char **env = NULL, name[64];
    size_t n = 0;
    int rc = 0;

    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return NULL;
    }
    /* The daemon's channel to systemd is not the program's. */
    for (size_t i = 0; base != NULL && base[i] != NULL && rc == 0; i++)
        if (strncmp(base[i], "LINKHEALTHD_", 12) != 0 &&
            strncmp(base[i], "NOTIFY_SOCKET=", 14) != 0)
            rc = env_add(&env, &n, base[i], NULL);
    if (rc == 0)
        rc = env_add(&env, &n, "LINKHEALTHD_ID", str_of(root, "id")) |
            env_num(&env, &n, "LINKHEALTHD_CYCLE", num_of(root, "cycle")) |
            env_num(&env, &n, "LINKHEALTHD_TRANSITIONS",
                cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root,
                "transitions")) + num_of(root, "omitted")) |
            env_add(&env, &n, "LINKHEALTHD_INCONCLUSIVE",
                inc != NULL ? inc : "") |
            env_add(&env, &n, "LINKHEALTHD_CONCLUSIVE_AGAIN",
                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root,
                "conclusive_again")) ? "1" : "0") |
            env_num(&env, &n, "LINKHEALTHD_LINKS", num_of(summary, "links")) |
            env_num(&env, &n, "LINKHEALTHD_SKIPPED", (double)skipped);
    for (size_t s = 0; s < LH_STATE_COUNT && rc == 0; s++) {
        const char *sn = lh_state_name(s);
        size_t k;

        snprintf(name, sizeof(name), "LINKHEALTHD_%s", sn);
        for (k = 12; name[k] != '\0'; k++)
            if (name[k] >= 'a' && name[k] <= 'z')
                name[k] = (char)(name[k] - 'a' + 'A');
        rc = env_num(&env, &n, name, num_of(summary, sn));
    }
    cJSON_Delete(root);
    if (rc != 0 || env == NULL) {
        lh_notice_env_free(env);
        return NULL;
    }
    return env;
}

/* --- the queue -------------------------------------------------------- */

void
lh_notice_queue_init(struct lh_notice_queue *q)
{
    memset(q, 0, sizeof(*q));
}

static void
entry_cleanup(struct lh_notice_entry *e)
{
    free(e->doc);
    for (size_t i = 0; i < e->nowed; i++)
        free(e->owed[i]);
    free(e->owed);
    memset(e, 0, sizeof(*e));
}

void
lh_notice_queue_cleanup(struct lh_notice_queue *q)
{
    for (size_t i = 0; i < q->n; i++)
        entry_cleanup(&q->v[i]);
    free(q->v);
    lh_notice_queue_init(q);
}

static void
queue_remove(struct lh_notice_queue *q, size_t i)
{
    entry_cleanup(&q->v[i]);
    memmove(&q->v[i], &q->v[i + 1], (q->n - i - 1) * sizeof(q->v[0]));
    q->n--;
}

/* Fill e with copies of doc and urls.  0, or -1 (e then cleaned). */
static int
entry_init(struct lh_notice_entry *e, const char *doc, char *const *urls,
    size_t nurls)
{
    memset(e, 0, sizeof(*e));
    if ((e->doc = strdup(doc)) == NULL ||
        (e->owed = calloc(nurls > 0 ? nurls : 1, sizeof(char *))) == NULL)
        goto fail;
    for (; e->nowed < nurls; e->nowed++)
        if ((e->owed[e->nowed] = strdup(urls[e->nowed])) == NULL)
            goto fail;
    return 0;
fail:
    entry_cleanup(e);
    return -1;
}

int
lh_notice_queue_push(struct lh_notice_queue *q, const char *doc,
    char *const *urls, size_t nurls, size_t max, size_t *dropped)
{
    struct lh_notice_entry e, *grown;
    size_t gone = 0;

    if (entry_init(&e, doc, urls, nurls) == -1)
        return -1;
    if ((grown = realloc(q->v, (q->n + 1) * sizeof(*grown))) == NULL) {
        entry_cleanup(&e);
        return -1;
    }
    q->v = grown;
    e.seq = ++q->last_seq;
    q->v[q->n++] = e;
    while (q->n > max && q->n > 1) {
        queue_remove(q, 0);
        gone++;
    }
    q->dropped += gone;
    if (dropped != NULL)
        *dropped = gone;
    return 0;
}

static long
owed_index(const struct lh_notice_entry *e, const char *url)
{
    for (size_t i = 0; i < e->nowed; i++)
        if (strcmp(e->owed[i], url) == 0)
            return (long)i;
    return -1;
}

long
lh_notice_queue_find(const struct lh_notice_queue *q, unsigned long long seq)
{
    for (size_t i = 0; i < q->n; i++)
        if (q->v[i].seq == seq)
            return (long)i;
    return -1;
}

long
lh_notice_queue_next(const struct lh_notice_queue *q, const char *url)
{
    for (size_t i = 0; i < q->n; i++)
        if (owed_index(&q->v[i], url) >= 0)
            return (long)i;
    return -1;
}

void
lh_notice_queue_done(struct lh_notice_queue *q, size_t i, const char *url)
{
    struct lh_notice_entry *e;
    long k;

    if (i >= q->n)
        return;
    e = &q->v[i];
    if ((k = owed_index(e, url)) < 0)
        return;
    free(e->owed[k]);
    e->owed[k] = e->owed[--e->nowed];
    if (e->nowed == 0)
        queue_remove(q, i);
}

size_t
lh_notice_queue_retain(struct lh_notice_queue *q, char *const *urls,
    size_t nurls)
{
    size_t gone = 0;

    for (size_t i = q->n; i-- > 0;) {
        struct lh_notice_entry *e = &q->v[i];

        for (size_t k = e->nowed; k-- > 0;) {
            bool kept = false;

            for (size_t u = 0; u < nurls && !kept; u++)
                kept = strcmp(e->owed[k], urls[u]) == 0;
            if (!kept) {
                free(e->owed[k]);
                e->owed[k] = e->owed[--e->nowed];
            }
        }
        if (e->nowed == 0) {
            queue_remove(q, i);
            gone++;
        }
    }
    return gone;
}

/* A JSON string of s (our own URLs: valid UTF-8, checked by config). */
static int
put_json_string(FILE *f, const char *s)
{
    cJSON *v = cJSON_CreateString(s);
    char *text = v != NULL ? cJSON_PrintUnformatted(v) : NULL;
    int rc = text != NULL && fputs(text, f) >= 0 ? 0 : -1;

    cJSON_free(text);
    cJSON_Delete(v);
    return rc;
}

int
lh_notice_queue_print(FILE *f, const struct lh_notice_queue *q)
{
    int rc = 0;

    fprintf(f, "{\"version\":%d,\"dropped\":%llu,\"pending\":[",
        LH_NOTICE_VERSION, q->dropped);
    for (size_t i = 0; i < q->n && rc == 0; i++) {
        const struct lh_notice_entry *e = &q->v[i];

        fprintf(f, "%s\n{\"owed\":[", i > 0 ? "," : "");
        for (size_t k = 0; k < e->nowed && rc == 0; k++) {
            if (k > 0)
                putc(',', f);
            rc = put_json_string(f, e->owed[k]);
        }
        /* The document is ours, JSON already. */
        fprintf(f, "],\"notice\":%s}", e->doc);
    }
    fputs("]}\n", f);
    return rc == 0 && !ferror(f) ? 0 : -1;
}

/* Entry from {"owed": [...], "notice": {...}}. */
static int
parse_entry(struct lh_notice_queue *q, const cJSON *item)
{
    const cJSON *owed = cJSON_GetObjectItemCaseSensitive(item, "owed"),
        *notice = cJSON_GetObjectItemCaseSensitive(item, "notice"), *u;
    char **urls = NULL, *doc = NULL;
    size_t n = 0;
    int rc = -1;

    if (!cJSON_IsArray(owed) || !cJSON_IsObject(notice))
        return -1;
    if ((urls = calloc((size_t)cJSON_GetArraySize(owed) + 1,
            sizeof(*urls))) == NULL)
        return -1;
    cJSON_ArrayForEach(u, owed) {
        if (!cJSON_IsString(u))
            goto done;
        urls[n++] = u->valuestring;     /* borrowed: copied by push */
    }
    if ((doc = cJSON_PrintUnformatted(notice)) == NULL)
        goto done;
    rc = n == 0 ? 0 : lh_notice_queue_push(q, doc, urls, n, SIZE_MAX, NULL);
done:
    cJSON_free(doc);
    free(urls);
    return rc;
}

int
lh_notice_queue_parse(struct lh_notice_queue *q, const char *buf,
    size_t len, const char *name, char *err, size_t errlen)
{
    cJSON *root = cJSON_ParseWithLength(buf, len);
    const cJSON *pending, *item, *dropped;

    lh_notice_queue_init(q);
    pending = cJSON_GetObjectItemCaseSensitive(root, "pending");
    dropped = cJSON_GetObjectItemCaseSensitive(root, "dropped");
    if (!cJSON_IsObject(root) || num_of(root, "version") !=
        LH_NOTICE_VERSION || !cJSON_IsArray(pending)) {
        lh_seterr(err, errlen, "%s: not a linkhealthd notification queue "
            "of version %d", name, LH_NOTICE_VERSION);
        goto fail;
    }
    if (cJSON_IsNumber(dropped) && dropped->valuedouble >= 0)
        q->dropped = (unsigned long long)dropped->valuedouble;
    cJSON_ArrayForEach(item, pending) {
        if (parse_entry(q, item) == -1) {
            lh_seterr(err, errlen, "%s: a pending notification is not "
                "{\"owed\": [URLs], \"notice\": {...}} (or memory ran out)",
                name);
            goto fail;
        }
    }
    cJSON_Delete(root);
    return 0;
fail:
    cJSON_Delete(root);
    lh_notice_queue_cleanup(q);
    return -1;
}
