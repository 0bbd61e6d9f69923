/*
 * scheduler: the scheduler of one cycle's checks.  Links are grouped by host;
 * hosts with work and a free per-host slot wait in a ready ring; whenever
 * a global slot is free the next ready host starts its next link.  Every
 * structure is sized once at the start: hosts to the hosts, jobs to the
 * checks in flight (concurrency), and per link one pointer and one queue
 * index, so 1,000,000 links cost some 16 MB here.
 *
 * A finished check is classified at once and its result, reduced to
 * what a link keeps of it (lh_last), goes into its link; the link's
 * previous one is put aside with the verdict (and the page memo) until
 * the cycle is judged: whether a verdict stands depends on every other
 * check (lh_classify_cycle), and an inconclusive cycle gives each link its
 * previous check back.  A full lh_result lives only while its check runs:
 * a million links cannot each hold one until the cycle ends.  Nothing
 * reads a link's last check before the cycle is judged (the status is
 * written after).
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

/*
 * A finished check's verdict, and the link's previous check, put aside
 * until the cycle is judged.  One allocation with the reason for a link
 * checked the first time.
 */
struct held {
    struct lh_last *prev;       /* the link's previous check; NULL: none */
    struct lh_page_memo *page;  /* the page the check read, for the link
                                   once the verdict stands */
    char *new_url;              /* moved: where to; else NULL */
    unsigned char state;        /* the verdict (enum lh_state) */
    bool local;                 /* the monitor's own failure
                                   (lh_result_local): no verdict */
    bool page_read;             /* the check read the page (page NULL:
                                   no memory for its memo) */
    char reason[];              /* the verdict's */
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
    /* Per link, once its check finished: its verdict and previous check
     * (NOMEM: none could be put aside, the new check was dropped and the
     * link's last check is still the previous one).  NULL while not
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

static struct held nomem_mark, inplace_mark;
#define NOMEM (&nomem_mark)
/* A link that had nothing to give back (never checked, nothing resumed)
 * holds its verdict, reason and page memo itself until the cycle is
 * judged: no struct held, and no second copy of the reason. */
#define INPLACE (&inplace_mark)

static void
held_free(struct held *h)
{
    if (h->prev != NULL) {
        lh_last_cleanup(h->prev);
        free(h->prev);
    }
    if (h->page != NULL) {
        lh_page_memo_cleanup(h->page);
        free(h->page);
    }
    free(h->new_url);
    free(h);
}

/* Give link i its previous check back: its check does not count. */
static void
restore(struct lh_scheduler *s, size_t i)
{
    struct lh_link *l = s->links->v[i];
    struct held *held = s->prev[i];

    s->prev[i] = NULL;
    if (held == NULL || held == NOMEM)
        return;
    lh_last_cleanup(&l->last);
    if (held == INPLACE) {
        (void)lh_link_set_reason(l, NULL);
        l->verdict = LH_STATE_UNKNOWN;
        lh_link_set_page(l, NULL);
        return;
    }
    if (held->prev != NULL) {
        l->last = *held->prev;
        free(held->prev);
        held->prev = NULL;
    }
    held_free(held);
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
    seen->final_url = lh_page_memo_text(m, LH_MEMO_FINAL_URL);
    if (seen->final_url == NULL)
        seen->final_url = lh_link_request_url(l);
    seen->etag = lh_page_memo_text(m, LH_MEMO_ETAG);
    seen->last_modified = lh_page_memo_text(m, LH_MEMO_LAST_MODIFIED);
    seen->content_length = m->content_length;
}

/*
 * The page was not read this time and its answer has not changed since
 * it was: the verdict the page had then is the classifier's to keep
 * (classify_page.c, rule C6).
 */
static void
keep_page_verdict(const struct lh_link *l, struct lh_result *r)
{
    struct lh_page_seen seen;

    if (r->page != NULL || l->page == NULL || l->page->read_at == 0 ||
        l->page->state == LH_STATE_OK ||
        lh_page_memo_text(l->page, LH_MEMO_REASON) == NULL ||
        r->seen_status == 0)
        return;
    page_seen(l, &seen);
    if (lh_check_answer_changed(&seen, r))
        return;
    if ((r->kept_reason = strdup(lh_page_memo_text(l->page,
            LH_MEMO_REASON))) != NULL)
        r->kept_state = (int)l->page->state;
}

/* The link's memo of the page r read, allocated; NULL when out of
 * memory (the page is then read again). */
static struct lh_page_memo *
memo_of(const struct lh_link *l, const struct lh_result *r,
    const struct lh_verdict *v)
{
    struct lh_page_memo *m;

    if ((m = malloc(sizeof(*m))) != NULL &&
        lh_page_memo_make(m, r, v, lh_link_request_url(l)) == -1) {
        free(m);
        m = NULL;
    }
    return m;
}

/* hold for a link with nothing to give back: see INPLACE. */
static struct held *
hold_in_place(struct lh_link *l, const struct lh_result *r,
    const struct lh_verdict *v)
{
    if (lh_link_set_reason(l, v->reason) == -1)
        return NULL;
    l->verdict = v->state;
    if (r->page != NULL)
        l->page = memo_of(l, r, v);
    return INPLACE;
}

/*
 * Link l's check r finished: its verdict, and what the link keeps of the
 * page it read, put aside; its previous check too, when it had one.
 * NULL when out of memory.
 */
static struct held *
hold(struct lh_link *l, const struct lh_result *r,
    const struct lh_verdict *v)
{
    struct held *h;
    size_t len = strlen(v->reason) + 1;

    if (!l->checked && lh_last_is_empty(&l->last) && l->reason == NULL &&
        l->verdict == LH_STATE_UNKNOWN && l->page == NULL &&
        l->new_url == NULL && v->new_url == NULL && !lh_result_local(r))
        return hold_in_place(l, r, v);
    if ((h = malloc(sizeof(*h) + len)) == NULL)
        return NULL;
    memset(h, 0, sizeof(*h));
    memcpy(h->reason, v->reason, len);
    h->state = (unsigned char)v->state;
    h->local = lh_result_local(r);
    if (v->new_url != NULL && (h->new_url = strdup(v->new_url)) == NULL)
        goto nomem;
    if ((l->checked || !lh_last_is_empty(&l->last)) &&
        (h->prev = malloc(sizeof(*h->prev))) == NULL)
        goto nomem;
    if (r->page != NULL && !h->local) {
        /* Without memory for its memo the page is read again. */
        h->page_read = true;
        h->page = memo_of(l, r, v);
    }
    return h;
nomem:
    held_free(h);
    return NULL;
}

/* Verdict, state, report of link i, whose check finished, in a
 * conclusive cycle. */
static void
record(struct lh_scheduler *s, size_t i)
{
    struct lh_link *l = s->links->v[i];
    struct held *held = s->prev[i];
    struct lh_verdict v, reported;
    struct lh_transition t;
    struct lh_result oom;

    if (held == NOMEM || (held != INPLACE && held->local)) {
        /* The monitor's own failure: no verdict, the link keeps its last
         * check; the reason is kept beside it. */
        memset(&t, 0, sizeof(t));
        t.from = t.to = l->state;
        t.inconclusive = true;
        if (held == NOMEM) {
            nomem_result(&oom);
            oom.url = (char *)lh_link_request_url(l);
            lh_classify(&oom, &v);
            t.inconclusive_new = lh_state_inconclusive(l, v.reason);
        } else {
            t.inconclusive_new = lh_state_inconclusive(l, held->reason);
        }
        restore(s, i);
        if (s->link_cb != NULL)
            s->link_cb(l, &t, s->arg);
        return;
    }
    s->prev[i] = NULL;
    memset(&v, 0, sizeof(v));
    if (held == INPLACE) {
        v.state = l->verdict;
        snprintf(v.reason, sizeof(v.reason), "%s", l->reason);
    } else {
        v.state = (enum lh_state)held->state;
        snprintf(v.reason, sizeof(v.reason), "%s", held->reason);
        v.new_url = held->new_url;
    }
    /* An accept rule changes what is reported, not what the page said:
     * the page memo keeps the classifier's verdict (rule C6 then keeps
     * it, and the rule accepts it again). */
    reported = v;
    l->accepted = s->p.rules == NULL ? 0 : lh_rules_accept(s->p.rules,
        l->url, l->last.http_status, &reported);
    lh_state_record(l, &reported, l->last.checked_at,
        s->p.fail_threshold, s->p.recover_threshold, &t);
    if (held != INPLACE) {
        if (held->page_read) {
            lh_link_set_page(l, held->page);
            held->page = NULL;
        }
        held_free(held);    /* the previous check goes */
    }
    t.cert = lh_state_cert(l, l->last.checked_at, s->p.cert_warn_days);
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
        const struct lh_last *last = &s->links->v[i]->last;

        if (s->prev[i] == NULL)
            continue;
        if (s->prev[i] == NOMEM)
            lh_cycle_tally_add(&tally, &oom);
        else
            lh_cycle_tally_count(&tally, last->heard_back, last->offline,
                (enum lh_fail)last->fail, lh_last_error(last));
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
 * The check of j is over: it is classified, and goes into its link, the
 * link's previous check aside; the job is free again; then the next
 * check.
 */
static void
complete(struct job *j)
{
    struct lh_scheduler *s = j->sched;
    struct lh_link *l = s->links->v[j->index];
    struct lh_result *r = &j->result;
    struct host *h = j->host;
    struct lh_verdict v;
    struct held *held;
    char *own_url = r->url;

    /* The classifier reads the URL asked as the link has it: the
     * request URL (the check's own copy is the same string, or NULL
     * when it never started). */
    r->url = (char *)lh_link_request_url(l);
    keep_page_verdict(l, r);
    lh_classify(r, &v);
    if ((held = hold(l, r, &v)) == NULL) {
        /* Nowhere to put the previous check: the link keeps it, and
         * this check is the monitor's own failure. */
        s->prev[j->index] = NOMEM;
    } else {
        if (held != INPLACE && held->prev != NULL) {
            *held->prev = l->last;
            lh_last_init(&l->last);
        }
        s->prev[j->index] = held;
        if (lh_last_take(&l->last, r) == -1) {
            /* No room for its chain or error: as if none for held. */
            restore(s, j->index);
            s->prev[j->index] = NOMEM;
        }
    }
    r->url = own_url;
    lh_result_cleanup(r);
    lh_result_init(r);
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
