/*
 * scheduler: the scheduler of one cycle's checks.  Links are grouped by host;
 * hosts with work and a free per-host slot wait in a ready ring; whenever
 * a global slot is free the next ready host starts its next link.  Every
 * structure is sized once at the start: hosts to the hosts, jobs to the
 * checks in flight (concurrency), and per link one pointer and one queue
 * index, so 1,000,000 links cost some 16 MB here.
 *
 * A finished check's result goes into its link at once, and the link's
 * previous result is put aside (nothing, for a link never checked) until
 * the cycle is judged: whether a verdict stands depends on every other
 * check (lh_classify_cycle), and an inconclusive cycle gives each link its
 * previous result back.  Holding results in the links rather than in a
 * job per link keeps one result per link, not two; nothing reads a link's
 * result before the cycle is judged (the status is written after).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scheduler.h"
#include "url.h"
#include "util.h"

struct host {
    size_t *pending;        /* link indexes, in directory order */
    size_t npending, next;
    unsigned active;
    bool ready;             /* in the ready ring */
};

/* A link's previous result, put aside while the cycle is judged. */
struct held {
    struct lh_result r;
    bool final_is_request;
};

/* A check in flight. */
struct job {
    struct lh_scheduler *sched;
    size_t index;           /* of its link */
    struct host *host;
    struct lh_check *check; /* in flight, or NULL */
    struct lh_result result;
    struct job *next_free;
};

struct lh_scheduler {
    struct lh_checker *ck;
    struct lh_links *links;
    struct lh_scheduler_params p;
    lh_scheduler_link_cb link_cb;
    lh_scheduler_done_cb done_cb;
    void *arg;
    struct job *jobs;       /* concurrency of them */
    size_t njobs;
    struct job *free_jobs;
    /* Per link, once its check finished: its previous result (FRESH: it
     * had none; NOMEM: none could be put aside, the new one was dropped
     * and the link's result is still the previous one).  NULL while not
     * finished. */
    struct held **prev;
    struct host *hosts;
    size_t nhosts;
    size_t *slots;          /* all hosts' pending arrays, in one block */
    struct host **ring;     /* ready hosts, nhosts long */
    size_t ring_head, ring_len;
    unsigned active;
    size_t done;
    bool filling;
    bool starting;          /* inside lh_scheduler_start: never finish */
};

static struct held fresh_mark, nomem_mark;
#define FRESH (&fresh_mark)
#define NOMEM (&nomem_mark)

/*
 * A finished result shares its link's URL: result.url is the request
 * URL the check was given, and the final URL of a check that asked that
 * URL alone is the same string.  Both copies go as the check finishes
 * (a million links would hold them until the cycle is judged); the
 * request URL is lent back to the result for the classifier, which reads
 * url and final_url (lh_classify_final_url gives url for a chain without
 * hops and no final_url), and the status shows it as the final URL
 * (lh_link_final_url).
 */
static void
share_urls(struct lh_link *l)
{
    struct lh_result *r = &l->result;

    l->final_is_request = r->final_url != NULL && r->url != NULL &&
        r->nhops == 0 && strcmp(r->final_url, r->url) == 0;
    if (l->final_is_request) {
        free(r->final_url);
        r->final_url = NULL;
    }
    free(r->url);
    r->url = NULL;
}

/* Lend the link's request URL to its result; unlend_url before the
 * result is cleaned up or kept. */
static void
lend_url(struct lh_link *l)
{
    l->result.url = (char *)lh_link_request_url(l);
}

static void
unlend_url(struct lh_link *l)
{
    l->result.url = NULL;
}

/* Give link i its previous result back: its check does not count. */
static void
restore(struct lh_scheduler *s, size_t i)
{
    struct lh_link *l = s->links->v[i];
    struct held *prev = s->prev[i];

    s->prev[i] = NULL;
    if (prev == NULL || prev == NOMEM)
        return;
    lh_result_cleanup(&l->result);
    if (prev == FRESH) {
        lh_result_init(&l->result);
        l->final_is_request = false;
    } else {
        l->result = prev->r;
        l->final_is_request = prev->final_is_request;
        free(prev);
    }
}

/* The check of link i stands: its previous result goes. */
static void
forget_prev(struct lh_scheduler *s, size_t i)
{
    struct held *prev = s->prev[i];

    s->prev[i] = NULL;
    if (prev != NULL && prev != FRESH && prev != NOMEM) {
        lh_result_cleanup(&prev->r);
        free(prev);
    }
}

/* What stands for a check whose result could not be kept. */
static void
nomem_result(struct lh_result *r)
{
    static char text[] = "out of memory";

    lh_result_init(r);
    r->fail = LH_FAIL_LOCAL;
    r->error = text;        /* never freed: r is never cleaned up */
    r->attempts = 1;
}

/* A result as lh_result_init leaves it, and no more. */
static bool
result_is_fresh(const struct lh_result *r)
{
    struct lh_result fresh;

    lh_result_init(&fresh);
    return memcmp(r, &fresh, sizeof(fresh)) == 0;
}

static void
scheduler_free(struct lh_scheduler *s)
{
    if (s == NULL)
        return;
    if (s->prev != NULL)
        for (size_t i = 0; i < s->links->n; i++)
            restore(s, i);
    if (s->jobs != NULL)
        for (size_t i = 0; i < s->njobs; i++)
            lh_result_cleanup(&s->jobs[i].result);
    free(s->jobs);
    free(s->prev);
    free(s->hosts);
    free(s->slots);
    free(s->ring);
    free(s);
}

static void
ring_push(struct lh_scheduler *s, struct host *h)
{
    if (h->ready || h->next == h->npending ||
        h->active >= s->p.per_host_concurrency)
        return;
    h->ready = true;
    s->ring[(s->ring_head + s->ring_len++) % s->nhosts] = h;
}

static struct host *
ring_pop(struct lh_scheduler *s)
{
    struct host *h;

    if (s->ring_len == 0)
        return NULL;
    h = s->ring[s->ring_head];
    s->ring_head = (s->ring_head + 1) % s->nhosts;
    s->ring_len--;
    h->ready = false;
    return h;
}

static void fill(struct lh_scheduler *s);
static void start_next(struct lh_scheduler *s, struct host *h);
static void finish_if_done(struct lh_scheduler *s);

/* What is known of the link's page, for its content check. */
static void
page_seen(const struct lh_link *l, struct lh_page_seen *seen)
{
    struct lh_page_memo none;
    const struct lh_page_memo *m = l->page;

    if (m == NULL) {
        lh_page_memo_init(&none);
        m = &none;
    }

    seen->read_at = m->read_at;
    seen->read_mono_ms = m->read_mono_ms;
    seen->status = m->status;
    seen->final_url = m->final_url != NULL ? m->final_url :
        lh_link_request_url(l);
    seen->etag = m->etag;
    seen->last_modified = m->last_modified;
    seen->content_length = m->content_length;
}

/*
 * The page was not read this time and its answer has not changed since
 * it was: the verdict the page had then is the classifier's to keep
 * (classify_page.c, rule C6).
 */
static void
keep_page_verdict(struct lh_link *l)
{
    struct lh_result *r = &l->result;
    struct lh_page_seen seen;

    if (r->page != NULL || l->page == NULL || l->page->read_at == 0 ||
        l->page->state == LH_STATE_OK || l->page->reason == NULL ||
        r->seen_status == 0)
        return;
    page_seen(l, &seen);
    if (lh_check_answer_changed(&seen, r))
        return;
    if ((r->kept_reason = strdup(l->page->reason)) != NULL)
        r->kept_state = (int)l->page->state;
}

/* Verdict, state, report of link i, whose check finished, in a
 * conclusive cycle. */
static void
record(struct lh_scheduler *s, size_t i)
{
    struct lh_link *l = s->links->v[i];
    struct lh_verdict v, reported;
    struct lh_transition t;
    struct lh_result oom;

    if (s->prev[i] == NOMEM || lh_result_local(&l->result)) {
        /* The monitor's own failure: no verdict, the link keeps its last
         * result; the reason is kept beside it. */
        nomem_result(&oom);
        lend_url(l);
        lh_classify(s->prev[i] == NOMEM ? &oom : &l->result, &v);
        unlend_url(l);
        restore(s, i);
        memset(&t, 0, sizeof(t));
        t.from = t.to = l->state;
        t.inconclusive = true;
        t.inconclusive_new = lh_state_inconclusive(l, v.reason);
        if (s->link_cb != NULL)
            s->link_cb(l, &t, s->arg);
        return;
    }
    /* The link keeps the newest result; the old one goes. */
    forget_prev(s, i);
    lend_url(l);
    keep_page_verdict(l);
    lh_classify(&l->result, &v);
    /* An accept rule changes what is reported, not what the page said:
     * the page memo keeps the classifier's verdict (rule C6 then keeps
     * it, and the rule accepts it again). */
    reported = v;
    l->accepted = s->p.rules == NULL ? 0 : lh_rules_accept(s->p.rules,
        l->url, l->result.http_status, &reported);
    /* new_url is borrowed from the result the link now owns. */
    lh_state_record(l, &reported, l->result.checked_at,
        s->p.fail_threshold, s->p.recover_threshold, &t);
    (void)lh_state_page(l, &v);     /* a failure: the page is read again */
    lh_result_drop_page(&l->result);
    t.cert = lh_state_cert(l, l->result.checked_at, s->p.cert_warn_days);
    unlend_url(l);
    t.inconclusive = t.inconclusive_new = false;
    if (s->link_cb != NULL)
        s->link_cb(l, &t, s->arg);
}

/* Judge the finished checks together; record them when they stand. */
static void
judge(struct lh_scheduler *s, struct lh_scheduler_outcome *o)
{
    struct lh_cycle_tally tally;
    struct lh_result oom;

    memset(o, 0, sizeof(*o));
    nomem_result(&oom);
    lh_cycle_tally_init(&tally);
    for (size_t i = 0; i < s->links->n; i++) {
        struct lh_link *l = s->links->v[i];

        if (s->prev[i] == NULL)
            continue;
        lend_url(l);
        lh_cycle_tally_add(&tally, s->prev[i] == NOMEM ? &oom : &l->result);
        unlend_url(l);
    }
    o->checks = tally.checks;
    o->heard = tally.heard;
    o->inconclusive = lh_classify_cycle(&tally, o->reason,
        sizeof(o->reason), &o->kind);
    for (size_t i = 0; i < s->links->n; i++) {
        if (s->prev[i] == NULL)
            continue;
        if (o->inconclusive)
            restore(s, i);
        else
            record(s, i);
    }
}

/*
 * The check of j is over: its result goes into its link, the link's
 * previous one aside; the job is free again; then the next check.
 */
static void
complete(struct job *j)
{
    struct lh_scheduler *s = j->sched;
    struct lh_link *l = s->links->v[j->index];
    struct host *h = j->host;
    struct held *prev = FRESH;

    if (l->checked || !result_is_fresh(&l->result)) {
        if ((prev = malloc(sizeof(*prev))) != NULL) {
            prev->r = l->result;
            prev->final_is_request = l->final_is_request;
        }
    }
    if (prev == NULL) {
        /* Nowhere to put the previous result: the link keeps it, and
         * this check is the monitor's own failure. */
        s->prev[j->index] = NOMEM;
        lh_result_cleanup(&j->result);
    } else {
        s->prev[j->index] = prev;
        l->result = j->result;
        share_urls(l);
    }
    lh_result_init(&j->result);
    j->check = NULL;
    j->next_free = s->free_jobs;
    s->free_jobs = j;
    h->active--;
    s->active--;
    s->done++;
    /* The freed slot stays with its host while the host has work: the
     * connection just used is then reused, not closed to make room for
     * one to another host. */
    if (!s->filling && h->next < h->npending)
        start_next(s, h);    /* a failed start re-queues the host */
    else
        ring_push(s, h);
    fill(s);
}

static void
check_done_cb(struct lh_result *result, void *arg)
{
    struct job *j = arg;

    (void)result;
    complete(j);
}

static void
finish_if_done(struct lh_scheduler *s)
{
    lh_scheduler_done_cb cb;
    struct lh_scheduler_outcome o;
    void *arg;

    if (s->done < s->links->n || s->filling || s->starting)
        return;
    cb = s->done_cb;
    arg = s->arg;
    judge(s, &o);
    scheduler_free(s);
    cb(&o, arg);
}

/* Start the next link of host h in a free slot. */
static void
start_next(struct lh_scheduler *s, struct host *h)
{
    struct job *j = s->free_jobs;
    struct lh_link *l;
    struct lh_page_seen seen;
    char err[256];
    bool was_filling = s->filling;

    s->free_jobs = j->next_free;
    j->index = h->pending[h->next++];
    j->host = h;
    l = s->links->v[j->index];
    h->active++;
    s->active++;
    page_seen(l, &seen);
    j->check = lh_check_start_page(s->ck, lh_link_request_url(l),
        &seen, &j->result, check_done_cb, j, err, sizeof(err));
    if (j->check == NULL) {
        /* The result says what failed; it is this link's verdict. */
        if (j->result.fail == LH_FAIL_NONE)
            j->result.fail = LH_FAIL_LOCAL;
        if (j->result.error == NULL)
            j->result.error = strdup(err);
        j->result.checked_at = (long long)time(NULL);
        j->result.checked_mono_ms = lh_check_now_ms();
        s->filling = true;     /* no recursion: fill() goes on */
        complete(j);
        s->filling = was_filling;
        return;
    }
    ring_push(s, h);
}

static void
fill(struct lh_scheduler *s)
{
    struct host *h;

    if (s->filling)
        return;
    s->filling = true;
    while (s->active < s->p.concurrency && (h = ring_pop(s)) != NULL) {
        /* A host can drain while it waits in the ring (its slots took
         * its links); skip it then. */
        if (h->next < h->npending &&
            h->active < s->p.per_host_concurrency)
            start_next(s, h);
    }
    s->filling = false;
    finish_if_done(s);
}

struct lh_scheduler *
lh_scheduler_start(struct lh_checker *ck, struct lh_links *links,
    const struct lh_scheduler_params *params, lh_scheduler_link_cb link_cb,
    lh_scheduler_done_cb done_cb, void *arg, char *err, size_t errlen)
{
    struct lh_scheduler *s;
    struct lh_strmap index;     /* host name -> host number + 1 */
    size_t *hostof = NULL, off, nchecks = 0;
    char name[256];

    if (links->n == lh_links_excluded(links)) {
        lh_seterr(err, errlen, links->n == 0 ? "no links to check" :
            "no links to check: every link is excluded");
        return NULL;
    }
    lh_strmap_init(&index);
    if ((s = calloc(1, sizeof(*s))) == NULL)
        goto nomem;
    s->ck = ck;
    s->links = links;
    s->p = *params;
    if (s->p.concurrency == 0)
        s->p.concurrency = 1;
    if (s->p.per_host_concurrency == 0)
        s->p.per_host_concurrency = 1;
    s->link_cb = link_cb;
    s->done_cb = done_cb;
    s->arg = arg;
    if ((s->prev = calloc(links->n, sizeof(*s->prev))) == NULL ||
        (hostof = calloc(links->n, sizeof(*hostof))) == NULL)
        goto nomem;

    /* Number the hosts (an unparsable URL is a host of its own).  An
     * excluded link is done before it starts: no job, no verdict. */
    for (size_t i = 0; i < links->n; i++) {
        uintptr_t k;

        if (links->v[i]->excluded) {
            s->done++;
            continue;
        }
        nchecks++;
        if (lh_url_host(lh_link_request_url(links->v[i]), name,
                sizeof(name)) == -1)
            snprintf(name, sizeof(name), "\x01%zu", i);
        k = (uintptr_t)lh_strmap_get(&index, name);
        if (k == 0) {
            k = ++s->nhosts;
            if (lh_strmap_put(&index, name, (void *)k) == -1)
                goto nomem;
        }
        hostof[i] = k - 1;
    }
    lh_strmap_cleanup(&index, NULL);
    s->njobs = s->p.concurrency < nchecks ? s->p.concurrency : nchecks;
    if ((s->hosts = calloc(s->nhosts, sizeof(*s->hosts))) == NULL ||
        (s->slots = calloc(nchecks, sizeof(*s->slots))) == NULL ||
        (s->ring = calloc(s->nhosts, sizeof(*s->ring))) == NULL ||
        (s->jobs = calloc(s->njobs, sizeof(*s->jobs))) == NULL)
        goto nomem;
    for (size_t i = s->njobs; i-- > 0;) {
        s->jobs[i].sched = s;
        lh_result_init(&s->jobs[i].result);
        s->jobs[i].next_free = s->free_jobs;
        s->free_jobs = &s->jobs[i];
    }
    /* Each host's queue, in directory order. */
    for (size_t i = 0; i < links->n; i++)
        if (!links->v[i]->excluded)
            s->hosts[hostof[i]].npending++;
    off = 0;
    for (size_t h = 0; h < s->nhosts; h++) {
        s->hosts[h].pending = s->slots + off;
        off += s->hosts[h].npending;
        s->hosts[h].npending = 0;
    }
    for (size_t i = 0; i < links->n; i++) {
        struct host *h;

        if (links->v[i]->excluded)
            continue;
        h = &s->hosts[hostof[i]];
        h->pending[h->npending++] = i;
    }
    for (size_t h = 0; h < s->nhosts; h++)
        ring_push(s, &s->hosts[h]);
    free(hostof);

    lh_checker_new_cycle(ck);
    s->starting = true;
    fill(s);
    s->starting = false;
    if (s->done == links->n) {
        /* Every check failed to start (out of memory, say): they are
         * judged now, since done_cb must not run before we return. */
        struct lh_scheduler_outcome o;

        judge(s, &o);
        if (o.inconclusive)
            lh_seterr(err, errlen, "no check could start: %s", o.reason);
        else
            lh_seterr(err, errlen, "no check could start");
        scheduler_free(s);
        return NULL;
    }
    return s;
nomem:
    lh_seterr(err, errlen, "out of memory");
    free(hostof);
    lh_strmap_cleanup(&index, NULL);
    scheduler_free(s);
    return NULL;
}

void
lh_scheduler_cancel(struct lh_scheduler *s)
{
    struct lh_scheduler_outcome o;

    for (size_t i = 0; i < s->njobs; i++)
        if (s->jobs[i].check != NULL)
            lh_check_cancel(s->jobs[i].check);
    /* What was checked before the stop is kept, if it stands. */
    judge(s, &o);
    scheduler_free(s);
}
