/*
 * state: the link table and the hysteresis that turns verdicts into a
 * reported state.  Pure bookkeeping: no I/O, no clock (time comes in).
 */
#include <stdlib.h>
#include <string.h>

#include "iri.h"
#include "page.h"
#include "state.h"
#include "util.h"

static const char *const state_names[LH_STATE_COUNT] = {
    [LH_STATE_UNKNOWN] = "unknown",
    [LH_STATE_OK] = "ok",
    [LH_STATE_MOVED] = "moved",
    [LH_STATE_STALE] = "stale",
    [LH_STATE_BLOCKED] = "blocked",
    [LH_STATE_ERROR] = "error",
    [LH_STATE_UNREACHABLE] = "unreachable"
};

const char *
lh_state_name(enum lh_state s)
{
    if ((size_t)s >= LH_STATE_COUNT)
        return "unknown";
    return state_names[s];
}

int
lh_state_parse(const char *name, enum lh_state *out)
{
    if (name == NULL || out == NULL)
        return -1;
    for (size_t i = 0; i < LH_STATE_COUNT; i++) {
        if (strcmp(name, state_names[i]) == 0) {
            *out = (enum lh_state)i;
            return 0;
        }
    }
    return -1;
}

int
lh_state_is_good(enum lh_state s)
{
    return s == LH_STATE_OK || s == LH_STATE_MOVED;
}

void
lh_links_init(struct lh_links *links)
{
    memset(links, 0, sizeof(*links));
}

static uint32_t
url_hash(const char *url)
{
    unsigned long long h = lh_hash_str(url);

    return (uint32_t)(h ^ (h >> 32));
}

/* The link of v, indexed by x, whose URL is url; NULL when none. */
static struct lh_link *
index_get(const struct lh_url_index *x, struct lh_link *const *v,
    const char *url)
{
    uint32_t h;
    size_t mask = x->cap - 1;

    if (x->n == 0)
        return NULL;
    h = url_hash(url);
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint64_t s = x->slots[i];
        struct lh_link *l;

        if (s == 0)
            return NULL;
        l = v[(uint32_t)s - 1];
        if ((uint32_t)(s >> 32) == h && strcmp(l->url, url) == 0)
            return l;
    }
}

static void
index_place(uint64_t *slots, size_t cap, uint64_t s)
{
    size_t i = (size_t)(s >> 32) & (cap - 1);

    while (slots[i] != 0)
        i = (i + 1) & (cap - 1);
    slots[i] = s;
}

/* Index v[i], whose URL is not indexed yet.  0, or -1 when out of
 * memory (x unchanged). */
static int
index_put(struct lh_url_index *x, struct lh_link *const *v, size_t i)
{
    if (i >= UINT32_MAX)
        return -1;
    /* Doubled at 70% load: probes stay short. */
    if ((x->n + 1) * 10 > x->cap * 7) {
        size_t cap = x->cap ? x->cap * 2 : 16;
        uint64_t *slots = calloc(cap, sizeof(*slots));

        if (slots == NULL)
            return -1;
        for (size_t k = 0; k < x->cap; k++)
            if (x->slots[k] != 0)
                index_place(slots, cap, x->slots[k]);
        free(x->slots);
        x->slots = slots;
        x->cap = cap;
    }
    index_place(x->slots, x->cap,
        (uint64_t)url_hash(v[i]->url) << 32 | (uint64_t)(i + 1));
    x->n++;
    return 0;
}

static void
index_cleanup(struct lh_url_index *x)
{
    free(x->slots);
    memset(x, 0, sizeof(*x));
}

static void
page_free(struct lh_link *l)
{
    if (l->page != NULL) {
        lh_page_memo_cleanup(l->page);
        free(l->page);
        l->page = NULL;
    }
}

struct lh_page_memo *
lh_link_page(struct lh_link *l)
{
    if (l->page == NULL && (l->page = malloc(sizeof(*l->page))) != NULL)
        lh_page_memo_init(l->page);
    return l->page;
}

void
lh_link_free(struct lh_link *l)
{
    if (l == NULL)
        return;
    free(l->url);           /* the entry's strings too */
    free(l->new_url);
    (void)lh_link_set_reason(l, NULL);
    free(l->inconclusive);
    lh_last_cleanup(&l->last);
    page_free(l);
    free(l);
}

void
lh_links_cleanup(struct lh_links *links)
{
    for (size_t i = 0; i < links->n; i++)
        lh_link_free(links->v[i]);
    free(links->v);
    index_cleanup(&links->by_url);
    memset(links, 0, sizeof(*links));
}

size_t
lh_links_count(const struct lh_links *links, size_t count[LH_STATE_COUNT])
{
    size_t bad = 0;

    memset(count, 0, LH_STATE_COUNT * sizeof(count[0]));
    for (size_t i = 0; i < links->n; i++) {
        enum lh_state s = links->v[i]->state;

        if (links->v[i]->excluded)
            continue;
        count[(size_t)s < LH_STATE_COUNT ? s : LH_STATE_UNKNOWN]++;
        if (!lh_state_is_good(s))
            bad++;
    }
    return bad;
}

size_t
lh_links_excluded(const struct lh_links *links)
{
    size_t n = 0;

    for (size_t i = 0; i < links->n; i++)
        if (links->v[i]->excluded)
            n++;
    return n;
}

size_t
lh_links_failing(const struct lh_links *links, unsigned fail_on)
{
    size_t n = 0;

    for (size_t i = 0; i < links->n; i++) {
        const struct lh_link *l = links->v[i];

        if (l->excluded)
            continue;
        if ((size_t)l->state >= LH_STATE_COUNT ||
            l->state == LH_STATE_UNKNOWN ||
            (fail_on & (1u << (unsigned)l->state)))
            n++;
    }
    return n;
}

struct lh_link *
lh_links_find(const struct lh_links *links, const char *url)
{
    return index_get(&links->by_url, links->v, url);
}

int
lh_links_append(struct lh_links *links, struct lh_link *l)
{
    if (links->n == links->cap) {
        size_t cap = links->cap ? links->cap * 2 : 16;
        struct lh_link **grown = realloc(links->v, cap * sizeof(*grown));

        if (grown == NULL)
            return -1;
        links->v = grown;
        links->cap = cap;
    }
    links->v[links->n] = l;
    if (index_put(&links->by_url, links->v, links->n) == -1)
        return -1;
    links->n++;
    return 0;
}

/*
 * Reasons are shared: most links say the same few things ("200 OK"), and
 * a million copies of each add up.  A reason is the text of a struct
 * shared_reason, counted and found by its text; the links of every
 * table share the one pool (they live on the loop's thread).
 */
struct shared_reason {
    size_t refs;
    char text[];
};

static struct lh_strmap reasons;    /* keys: the texts, borrowed */

static struct shared_reason *
shared_of(char *text)
{
    return (struct shared_reason *)(text - offsetof(struct shared_reason,
        text));
}

static void
reason_release(char *text)
{
    struct shared_reason *r;

    if (text == NULL)
        return;
    r = shared_of(text);
    if (--r->refs > 0)
        return;
    (void)lh_strmap_del(&reasons, text);
    free(r);
    if (reasons.n == 0)
        lh_strmap_cleanup(&reasons, NULL);
}

/* The shared copy of text, counted once more; NULL when out of memory. */
static char *
reason_acquire(const char *text)
{
    struct shared_reason *r;
    size_t len;

    if ((r = lh_strmap_get(&reasons, text)) != NULL) {
        r->refs++;
        return r->text;
    }
    len = strlen(text) + 1;
    if ((r = malloc(sizeof(*r) + len)) == NULL)
        return NULL;
    r->refs = 1;
    memcpy(r->text, text, len);
    if (reasons.cap == 0)
        lh_strmap_init_borrowed(&reasons);
    if (lh_strmap_put(&reasons, r->text, r) == -1) {
        free(r);
        return NULL;
    }
    return r->text;
}

int
lh_link_set_reason(struct lh_link *l, const char *reason)
{
    char *shared = NULL;

    if (reason != NULL && l->reason != NULL && strcmp(reason, l->reason) == 0)
        return 0;
    if (reason != NULL && (shared = reason_acquire(reason)) == NULL)
        return -1;
    reason_release(l->reason);
    l->reason = shared;
    return 0;
}

/*
 * A link's block (l->url) holds its URL, request URL ("": the URL
 * itself), note ("": none), name, region and description, in this order,
 * each terminated: the URL is read most, then the request URL.
 */
enum { TEXT_URL, TEXT_REQUEST, TEXT_NOTE, TEXT_NAME, TEXT_REGION,
    TEXT_DESCRIPTION };

/* The string number k of the block. */
static const char *
text_at(const struct lh_link *l, int k)
{
    const char *p = l->url;

    while (k-- > 0)
        p += strlen(p) + 1;
    return p;
}

const char *
lh_link_request_url(const struct lh_link *l)
{
    const char *req = text_at(l, TEXT_REQUEST);

    return *req != '\0' ? req : l->url;
}

const char *
lh_link_note(const struct lh_link *l)
{
    const char *note = text_at(l, TEXT_NOTE);

    return *note != '\0' ? note : NULL;
}

const char *
lh_link_name(const struct lh_link *l)
{
    return text_at(l, TEXT_NAME);
}

const char *
lh_link_region(const struct lh_link *l)
{
    return text_at(l, TEXT_REGION);
}

const char *
lh_link_description(const struct lh_link *l)
{
    return text_at(l, TEXT_DESCRIPTION);
}

const char *
lh_link_final_url(const struct lh_link *l)
{
    const struct lh_last_extra *x = l->last.extra;

    if ((x == NULL || x->final_url == NULL) && l->last.final_is_request)
        return lh_link_request_url(l);
    return x != NULL ? x->final_url : NULL;
}

const char *
lh_last_error(const struct lh_last *last)
{
    return last->extra != NULL ? last->extra->error : NULL;
}

const struct lh_hop *
lh_last_hops(const struct lh_last *last, size_t *n)
{
    *n = last->extra != NULL ? last->extra->nhops : 0;
    return *n > 0 ? last->extra->hops : NULL;
}

void
lh_last_init(struct lh_last *last)
{
    memset(last, 0, sizeof(*last));
    last->timings.dns_ms = last->timings.connect_ms = -1;
    last->timings.tls_ms = last->timings.first_byte_ms = -1;
    last->timings.total_ms = -1;
}

static void
extra_free(struct lh_last_extra *x)
{
    if (x == NULL)
        return;
    free(x->final_url);
    free(x->error);
    for (size_t i = 0; i < x->nhops; i++) {
        free(x->hops[i].url);
        free(x->hops[i].location);
    }
    free(x->hops);
    free(x);
}

void
lh_last_cleanup(struct lh_last *last)
{
    extra_free(last->extra);
    lh_last_init(last);
}

bool
lh_last_is_empty(const struct lh_last *last)
{
    struct lh_last empty;

    lh_last_init(&empty);
    return last->extra == NULL && last->cert_expiry == 0 &&
        last->checked_at == 0 && last->http_status == 0 &&
        last->head_status == 0 && last->attempts == 0 &&
        last->retries == 0 && last->method == 0 && last->fail == 0 &&
        !last->final_is_request && !last->heard_back && !last->offline &&
        memcmp(&last->timings, &empty.timings, sizeof(empty.timings)) == 0;
}

/* last's extra, made when it has none; NULL when out of memory. */
static struct lh_last_extra *
extra_of(struct lh_last *last)
{
    if (last->extra == NULL)
        last->extra = calloc(1, sizeof(*last->extra));
    return last->extra;
}

int
lh_last_set_final_url(struct lh_last *last, const char *url)
{
    char *copy = NULL;

    if (url == NULL && last->extra == NULL)
        return 0;
    if ((url != NULL && (copy = strdup(url)) == NULL) ||
        extra_of(last) == NULL) {
        free(copy);
        return -1;
    }
    free(last->extra->final_url);
    last->extra->final_url = copy;
    return 0;
}

int
lh_last_take(struct lh_last *last, struct lh_result *r)
{
    bool final_is_request = r->final_url != NULL && r->url != NULL &&
        r->nhops == 0 && strcmp(r->final_url, r->url) == 0;
    bool heard_back = lh_result_heard_back(r);
    bool offline = lh_result_offline(r);
    struct lh_last_extra *x;

    lh_last_cleanup(last);
    if ((!final_is_request && r->final_url != NULL) || r->error != NULL ||
        r->nhops > 0) {
        if ((x = extra_of(last)) == NULL)
            return -1;
        if (!final_is_request) {
            x->final_url = r->final_url;
            r->final_url = NULL;
        }
        x->error = r->error;
        r->error = NULL;
        x->hops = r->hops;
        x->nhops = r->nhops;
        r->hops = NULL;
        r->nhops = 0;
    }
    last->final_is_request = final_is_request;
    last->heard_back = heard_back;
    last->offline = offline;
    last->timings = r->timings;
    last->cert_expiry = r->cert_expiry;
    last->checked_at = r->checked_at;
    last->http_status = r->http_status;
    last->head_status = r->head_status;
    last->attempts = r->attempts;
    last->retries = r->retries;
    last->method = (unsigned char)r->method;
    last->fail = (unsigned char)r->fail;
    return 0;
}

/* Copy s to *p, NUL included, and move *p past it. */
static void
put_text(char **p, const char *s)
{
    size_t n = strlen(s) + 1;

    memcpy(*p, s, n);
    *p += n;
}

int
lh_link_set_text(struct lh_link *l, const struct lh_link_text *t)
{
    /* A request URL that is the URL itself is not stored again. */
    const char *req = t->request_url != NULL &&
        strcmp(t->request_url, t->url) != 0 ? t->request_url : "";
    const char *s[] = {
        [TEXT_URL] = t->url,
        [TEXT_REQUEST] = req,
        [TEXT_NOTE] = t->note != NULL ? t->note : "",
        [TEXT_NAME] = t->name != NULL ? t->name : "",
        [TEXT_REGION] = t->region != NULL ? t->region : "",
        [TEXT_DESCRIPTION] = t->description != NULL ? t->description : ""
    };
    size_t len = 0;
    char *text, *p;

    for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++)
        len += strlen(s[k]) + 1;
    if ((text = p = malloc(len)) == NULL)
        return -1;
    /* t may point into the old block: copied before that goes. */
    for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++)
        put_text(&p, s[k]);
    free(l->url);
    l->url = text;
    return 0;
}

/* Replace a link's URL (url, which may be its own) and entry strings
 * with e's, all or nothing. */
static int
set_entry(struct lh_link *l, const char *url, const struct lh_entry *e)
{
    struct lh_link_text t = {
        .url = url, .request_url = e->request_url, .note = e->note,
        .name = e->name, .region = e->region,
        .description = e->description
    };

    if (lh_link_set_text(l, &t) == -1)
        return -1;
    l->line = e->line;
    return 0;
}

/* An entry's strings, once a new link has them. */
static void
free_entry_strings(struct lh_entry *e)
{
    free(e->region);
    free(e->name);
    free(e->description);
    free(e->request_url);
    free(e->note);
    e->region = e->name = e->description = e->request_url = e->note = NULL;
}

/* lh_links_sync, or with take lh_links_sync_take. */
static int
sync(struct lh_links *links, struct lh_directory *dir, bool take,
    void (*added)(const struct lh_link *, void *),
    void (*removed)(const struct lh_link *, void *), void *arg)
{
    struct lh_link **v = NULL, **fresh = NULL;
    size_t *entry = NULL;       /* v[i] comes from dir->entries[entry[i]] */
    struct lh_url_index by_url;
    size_t nfresh = 0;

    memset(&by_url, 0, sizeof(by_url));
    if (dir->n > 0 &&
        ((v = calloc(dir->n, sizeof(*v))) == NULL ||
         (entry = calloc(dir->n, sizeof(*entry))) == NULL ||
         (fresh = calloc(dir->n, sizeof(*fresh))) == NULL))
        goto fail;

    /* Build the new order without touching the old table, so a failure
     * halfway leaves it as it was. */
    for (size_t i = 0; i < dir->n; i++) {
        struct lh_entry *e = &dir->entries[i];
        struct lh_link *l = index_get(&links->by_url, links->v, e->url);

        if (index_get(&by_url, v, e->url) != NULL)
            continue;   /* the parser drops duplicates; be safe anyway */
        if (l == NULL) {
            if ((l = calloc(1, sizeof(*l))) == NULL)
                goto fail;
            fresh[nfresh++] = l;
            lh_last_init(&l->last);
            if (set_entry(l, e->url, e) == -1)
                goto fail;
            /* What was freed is what the next link is made of. */
            if (take) {
                free(e->url);
                e->url = NULL;
                free_entry_strings(e);
            }
        }
        v[by_url.n] = l;
        entry[by_url.n] = i;
        if (index_put(&by_url, v, by_url.n) == -1)
            goto fail;
    }

    /* Commit: refresh kept entries, report and drop the rest. */
    for (size_t i = 0; i < by_url.n; i++) {
        struct lh_link *l = v[i];

        /* An edited name or description; on failure the old text stays. */
        if (index_get(&links->by_url, links->v, l->url) == l)
            (void)set_entry(l, l->url, &dir->entries[entry[i]]);
    }
    for (size_t i = 0; i < nfresh; i++)
        if (added != NULL)
            added(fresh[i], arg);
    for (size_t i = 0; i < links->n; i++) {
        struct lh_link *l = links->v[i];

        if (index_get(&by_url, v, l->url) != l) {
            if (removed != NULL)
                removed(l, arg);
            lh_link_free(l);
        }
    }
    free(links->v);
    index_cleanup(&links->by_url);
    links->v = v;
    links->n = links->cap = by_url.n;
    links->by_url = by_url;
    free(entry);
    free(fresh);
    return 0;
fail:
    for (size_t i = 0; i < nfresh; i++)
        lh_link_free(fresh[i]);
    free(fresh);
    free(entry);
    free(v);
    index_cleanup(&by_url);
    return -1;
}

int
lh_links_sync(struct lh_links *links, const struct lh_directory *dir,
    void (*added)(const struct lh_link *, void *),
    void (*removed)(const struct lh_link *, void *), void *arg)
{
    /* Without take, dir is only read. */
    return sync(links, (struct lh_directory *)dir, false, added, removed,
        arg);
}

int
lh_links_sync_take(struct lh_links *links, struct lh_directory *dir,
    void (*added)(const struct lh_link *, void *),
    void (*removed)(const struct lh_link *, void *), void *arg)
{
    return sync(links, dir, true, added, removed, arg);
}

void
lh_state_history_push(struct lh_link *link, enum lh_state state,
    long long at)
{
    if (link->nhistory == LH_HISTORY_LEN) {
        memmove(link->history, link->history + 1, LH_HISTORY_LEN - 1);
        memmove(link->history_at, link->history_at + 1,
            (LH_HISTORY_LEN - 1) * sizeof(link->history_at[0]));
        link->nhistory--;
    }
    /* Four bytes a verdict, not eight: sixteen of them per link. */
    link->history_at[link->nhistory] = at > 0 && at <= (long long)UINT32_MAX ?
        (uint32_t)at : 0;
    link->history[link->nhistory++] = (unsigned char)state;
}

void
lh_state_record(struct lh_link *link, const struct lh_verdict *v,
    long long now, unsigned fail_threshold, unsigned recover_threshold,
    struct lh_transition *out)
{
    bool good = lh_state_is_good(v->state);
    enum lh_state next = link->state;

    link->verdict = v->state;
    link->checked = true;
    free(link->inconclusive);
    link->inconclusive = NULL;
    /* The verdict's reason is a terminated string of at most
     * LH_REASON_MAX bytes.  Out of memory, the old reason stays: better
     * stale than none. */
    (void)lh_link_set_reason(link, v->reason);
    free(link->new_url);
    /* The fix as an editor would paste it. */
    link->new_url = v->new_url != NULL ? lh_iri_display(v->new_url) : NULL;

    lh_state_history_push(link, v->state, now);

    if (good) {
        link->consecutive_good++;
        link->consecutive_failures = 0;
        /* Among good states (ok, moved) the newest wins at once. */
        if (link->state == LH_STATE_UNKNOWN ||
            lh_state_is_good(link->state) ||
            link->consecutive_good >= recover_threshold)
            next = v->state;
    } else {
        link->consecutive_failures++;
        link->consecutive_good = 0;
        /* Once bad, a different kind of bad is reported at once. */
        if ((link->state != LH_STATE_UNKNOWN &&
             !lh_state_is_good(link->state)) ||
            link->consecutive_failures >= fail_threshold)
            next = v->state;
    }
    out->from = link->state;
    out->to = next;
    out->changed = next != link->state;
    if (out->changed) {
        link->state = next;
        link->since = now;
    }

    /* Count good/bad changes among the last verdicts. */
    out->flap_changes = 0;
    for (unsigned i = link->nhistory > LH_FLAP_WINDOW ?
            link->nhistory - LH_FLAP_WINDOW + 1 : 1; i < link->nhistory; i++)
        if (lh_state_is_good(link->history[i]) !=
            lh_state_is_good(link->history[i - 1]))
            out->flap_changes++;
    out->flap_started = !link->flapping &&
        out->flap_changes >= LH_FLAP_CHANGES;
    out->flap_ended = link->flapping && out->flap_changes <= LH_FLAP_CLEAR;
    if (out->flap_started)
        link->flapping = true;
    if (out->flap_ended)
        link->flapping = false;
}

bool
lh_state_inconclusive(struct lh_link *link, const char *reason)
{
    bool fresh = link->inconclusive == NULL ||
        strcmp(link->inconclusive, reason) != 0;

    if (fresh)
        (void)lh_replace_string(&link->inconclusive, reason);
    return fresh;
}

void
lh_state_forget(struct lh_link *l)
{
    l->state = l->verdict = LH_STATE_UNKNOWN;
    (void)lh_link_set_reason(l, NULL);
    free(l->new_url);
    free(l->inconclusive);
    l->reason = l->new_url = l->inconclusive = NULL;
    l->since = 0;
    l->consecutive_failures = l->consecutive_good = 0;
    l->nhistory = 0;
    l->flapping = false;
    l->cert_warning = false;
    l->checked = false;
    l->accepted = 0;
    page_free(l);
}

bool
lh_state_unsettled(const struct lh_link *l)
{
    if (l->excluded || !l->checked || l->flapping ||
        l->verdict == LH_STATE_UNKNOWN)
        return false;
    return l->state == LH_STATE_UNKNOWN ||
        lh_state_is_good(l->verdict) != lh_state_is_good(l->state);
}

int
lh_state_seed(struct lh_link *dst, const struct lh_link *src)
{
    char *new_url = NULL;

    if (src->new_url != NULL && (new_url = strdup(src->new_url)) == NULL)
        return -1;
    free(dst->new_url);
    dst->new_url = new_url;
    dst->state = src->state;
    dst->since = src->since;
    dst->verdict = src->verdict;
    if (lh_link_set_reason(dst, src->reason) == -1)
        return -1;
    dst->consecutive_failures = src->consecutive_failures;
    dst->consecutive_good = src->consecutive_good;
    memcpy(dst->history, src->history, sizeof(dst->history));
    memcpy(dst->history_at, src->history_at, sizeof(dst->history_at));
    dst->nhistory = src->nhistory;
    dst->flapping = src->flapping;
    dst->cert_warning = src->cert_warning;
    dst->accepted = src->accepted;
    if (src->page == NULL) {
        page_free(dst);
        return 0;
    }
    if (lh_link_page(dst) == NULL)
        return -1;
    return lh_page_memo_copy(dst->page, src->page);
}

enum lh_cert_event
lh_state_cert(struct lh_link *link, long long now, unsigned warn_days)
{
    long long expiry = link->checked ? link->last.cert_expiry : 0;
    bool within;

    if (warn_days == 0) {
        link->cert_warning = false;
        return LH_CERT_NONE;
    }
    if (expiry == 0)
        return LH_CERT_NONE;
    within = expiry - now < (long long)warn_days * 86400;
    if (within == link->cert_warning)
        return LH_CERT_NONE;
    link->cert_warning = within;
    return within ? LH_CERT_ENTERED : LH_CERT_RENEWED;
}

void
lh_page_memo_init(struct lh_page_memo *m)
{
    memset(m, 0, sizeof(*m));
    m->content_length = -1;
}

void
lh_page_memo_cleanup(struct lh_page_memo *m)
{
    free(m->strings);
    lh_page_memo_init(m);
}

const char *
lh_page_memo_text(const struct lh_page_memo *m, enum lh_memo_text k)
{
    const char *p = m->strings;

    if (!(m->has & 1u << k))
        return NULL;
    for (unsigned i = 0; i < (unsigned)k; i++)
        if (m->has & 1u << i)
            p += strlen(p) + 1;
    return p;
}

int
lh_page_memo_set_text(struct lh_page_memo *m,
    const char *const text[LH_MEMO_NTEXT])
{
    unsigned char has = 0;
    char *block = NULL, *p = NULL;
    size_t len = 0;

    for (unsigned k = 0; k < LH_MEMO_NTEXT; k++) {
        if (text[k] != NULL) {
            len += strlen(text[k]) + 1;
            has |= (unsigned char)(1u << k);
        }
    }
    if (len > 0 && (block = p = malloc(len)) == NULL)
        return -1;
    /* text may be the old block's: copied before that goes. */
    for (unsigned k = 0; k < LH_MEMO_NTEXT; k++)
        if (text[k] != NULL)
            put_text(&p, text[k]);
    free(m->strings);
    m->strings = block;
    m->has = has;
    return 0;
}

int
lh_page_memo_copy(struct lh_page_memo *dst, const struct lh_page_memo *src)
{
    const char *text[LH_MEMO_NTEXT];

    lh_page_memo_cleanup(dst);
    for (unsigned k = 0; k < LH_MEMO_NTEXT; k++)
        text[k] = lh_page_memo_text(src, (enum lh_memo_text)k);
    *dst = *src;
    dst->strings = NULL;
    dst->has = 0;
    if (lh_page_memo_set_text(dst, text) == -1) {
        lh_page_memo_cleanup(dst);
        return -1;
    }
    return 0;
}

int
lh_page_memo_make(struct lh_page_memo *m, const struct lh_result *r,
    const struct lh_verdict *v, const char *request_url)
{
    const char *text[LH_MEMO_NTEXT];

    lh_page_memo_init(m);
    m->read_at = r->checked_at;
    m->read_mono_ms = r->checked_mono_ms;
    m->bytes = r->page->bytes;
    m->text_bytes = (uint32_t)r->page->text_bytes;
    m->text_hash = r->page->text_hash;
    m->status = (unsigned short)r->seen_status;
    m->content_length = r->content_length;
    m->state = LH_STATE_OK;
    if (v->state == LH_STATE_STALE || v->state == LH_STATE_BLOCKED)
        m->state = (unsigned char)v->state;
    text[LH_MEMO_TITLE] = r->page->title;
    /* Most pages are where they are listed: NULL says so. */
    text[LH_MEMO_FINAL_URL] = r->seen_url != NULL &&
        strcmp(r->seen_url, request_url) != 0 ? r->seen_url : NULL;
    text[LH_MEMO_ETAG] = r->etag;
    text[LH_MEMO_LAST_MODIFIED] = r->last_modified;
    text[LH_MEMO_REASON] = m->state != LH_STATE_OK ? v->reason : NULL;
    return lh_page_memo_set_text(m, text);
}

void
lh_link_set_page(struct lh_link *l, struct lh_page_memo *m)
{
    page_free(l);
    l->page = m;
}
