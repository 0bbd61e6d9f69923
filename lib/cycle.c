/*
 * cycle: the scheduler.  Links are grouped by host; hosts with work and a
 * free per-host slot wait in a ready ring; whenever a global slot is free
 * the next ready host starts its next link.  Every structure is sized
 * once at the start, so a cycle of 100,000 links allocates a few arrays.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cycle.h"
#include "util.h"

struct host {
    size_t *pending;        /* link indexes, in directory order */
    size_t npending, next;
    unsigned active;
    bool ready;             /* in the ready ring */
};

struct job {
    struct lh_cycle *cy;
    struct lh_link *link;
    struct host *host;
    struct lh_check *check; /* in flight, or NULL */
    struct lh_result result;
};

struct lh_cycle {
    struct lh_checker *ck;
    struct lh_links *links;
    struct lh_cycle_params p;
    lh_cycle_link_cb link_cb;
    lh_cycle_done_cb done_cb;
    void *arg;
    struct job *jobs;       /* one per link */
    struct host *hosts;
    size_t nhosts;
    size_t *slots;          /* all hosts' pending arrays, in one block */
    struct host **ring;     /* ready hosts, nhosts long */
    size_t ring_head, ring_len;
    unsigned active;
    size_t done;
    bool filling;
    bool starting;          /* inside lh_cycle_start: never finish */
};

static void
cycle_free(struct lh_cycle *cy)
{
    if (cy == NULL)
        return;
    if (cy->jobs != NULL)
        for (size_t i = 0; i < cy->links->n; i++)
            lh_result_cleanup(&cy->jobs[i].result);
    free(cy->jobs);
    free(cy->hosts);
    free(cy->slots);
    free(cy->ring);
    free(cy);
}

static void
ring_push(struct lh_cycle *cy, struct host *h)
{
    if (h->ready || h->next == h->npending ||
        h->active >= cy->p.per_host_concurrency)
        return;
    h->ready = true;
    cy->ring[(cy->ring_head + cy->ring_len++) % cy->nhosts] = h;
}

static struct host *
ring_pop(struct lh_cycle *cy)
{
    struct host *h;

    if (cy->ring_len == 0)
        return NULL;
    h = cy->ring[cy->ring_head];
    cy->ring_head = (cy->ring_head + 1) % cy->nhosts;
    cy->ring_len--;
    h->ready = false;
    return h;
}

static void fill(struct lh_cycle *cy);
static void start_next(struct lh_cycle *cy, struct host *h);
static void finish_if_done(struct lh_cycle *cy);

/* Verdict, state, report; then the next check. */
static void
complete(struct job *j)
{
    struct lh_cycle *cy = j->cy;
    struct lh_link *l = j->link;
    struct lh_verdict v;
    struct lh_transition t;

    j->check = NULL;
    j->host->active--;
    cy->active--;
    /* The link keeps the newest result; the old one goes. */
    lh_result_cleanup(&l->result);
    l->result = j->result;
    lh_result_init(&j->result);
    lh_classify(&l->result, &v);
    /* new_url is borrowed from the result the link now owns. */
    lh_state_record(l, &v, l->result.checked_at, cy->p.fail_threshold,
        cy->p.recover_threshold, &t);
    cy->done++;
    if (cy->link_cb != NULL)
        cy->link_cb(l, &t, cy->arg);
    /* The freed slot stays with its host while the host has work: the
     * connection just used is then reused, not closed to make room for
     * one to another host. */
    if (!cy->filling && j->host->next < j->host->npending)
        start_next(cy, j->host);    /* a failed start re-queues the host */
    else
        ring_push(cy, j->host);
    fill(cy);
}

static void
check_done_cb(struct lh_result *result, void *arg)
{
    struct job *j = arg;

    (void)result;
    complete(j);
}

static void
finish_if_done(struct lh_cycle *cy)
{
    lh_cycle_done_cb cb;
    void *arg;

    if (cy->done < cy->links->n || cy->filling || cy->starting)
        return;
    cb = cy->done_cb;
    arg = cy->arg;
    cycle_free(cy);
    cb(arg);
}

/* Start the next link of host h in a free slot. */
static void
start_next(struct lh_cycle *cy, struct host *h)
{
    struct job *j = &cy->jobs[h->pending[h->next++]];
    char err[256];
    bool was_filling = cy->filling;

    h->active++;
    cy->active++;
    j->check = lh_check_start(cy->ck, j->link->url, &j->result,
        check_done_cb, j, err, sizeof(err));
    if (j->check == NULL) {
        /* The result says what failed; it is this link's verdict. */
        if (j->result.fail == LH_FAIL_NONE)
            j->result.fail = LH_FAIL_OTHER;
        if (j->result.error == NULL)
            j->result.error = strdup(err);
        j->result.checked_at = (long long)time(NULL);
        cy->filling = true;     /* no recursion: fill() goes on */
        complete(j);
        cy->filling = was_filling;
        return;
    }
    ring_push(cy, h);
}

static void
fill(struct lh_cycle *cy)
{
    struct host *h;

    if (cy->filling)
        return;
    cy->filling = true;
    while (cy->active < cy->p.concurrency && (h = ring_pop(cy)) != NULL) {
        /* A host can drain while it waits in the ring (its slots took
         * its links); skip it then. */
        if (h->next < h->npending &&
            h->active < cy->p.per_host_concurrency)
            start_next(cy, h);
    }
    cy->filling = false;
    finish_if_done(cy);
}

struct lh_cycle *
lh_cycle_start(struct lh_checker *ck, struct lh_links *links,
    const struct lh_cycle_params *params, lh_cycle_link_cb link_cb,
    lh_cycle_done_cb done_cb, void *arg, char *err, size_t errlen)
{
    struct lh_cycle *cy;
    struct lh_strmap index;     /* host name -> host number + 1 */
    size_t *hostof = NULL, off;
    char name[256];

    if (links->n == 0) {
        lh_seterr(err, errlen, "no links to check");
        return NULL;
    }
    lh_strmap_init(&index);
    if ((cy = calloc(1, sizeof(*cy))) == NULL)
        goto nomem;
    cy->ck = ck;
    cy->links = links;
    cy->p = *params;
    if (cy->p.concurrency == 0)
        cy->p.concurrency = 1;
    if (cy->p.per_host_concurrency == 0)
        cy->p.per_host_concurrency = 1;
    cy->link_cb = link_cb;
    cy->done_cb = done_cb;
    cy->arg = arg;
    if ((cy->jobs = calloc(links->n, sizeof(*cy->jobs))) == NULL ||
        (hostof = calloc(links->n, sizeof(*hostof))) == NULL ||
        (cy->hosts = calloc(links->n, sizeof(*cy->hosts))) == NULL ||
        (cy->slots = calloc(links->n, sizeof(*cy->slots))) == NULL)
        goto nomem;

    /* Group the links by host (an unparsable URL is a host of its own). */
    for (size_t i = 0; i < links->n; i++) {
        uintptr_t k;

        cy->jobs[i].cy = cy;
        cy->jobs[i].link = links->v[i];
        lh_result_init(&cy->jobs[i].result);
        if (lh_url_host(links->v[i]->url, name, sizeof(name)) == -1)
            snprintf(name, sizeof(name), "\x01%zu", i);
        k = (uintptr_t)lh_strmap_get(&index, name);
        if (k == 0) {
            k = ++cy->nhosts;
            if (lh_strmap_put(&index, name, (void *)k) == -1)
                goto nomem;
        }
        hostof[i] = k - 1;
        cy->hosts[k - 1].npending++;
    }
    off = 0;
    for (size_t h = 0; h < cy->nhosts; h++) {
        cy->hosts[h].pending = cy->slots + off;
        off += cy->hosts[h].npending;
        cy->hosts[h].npending = 0;
    }
    for (size_t i = 0; i < links->n; i++) {
        struct host *h = &cy->hosts[hostof[i]];

        h->pending[h->npending++] = i;
        cy->jobs[i].host = h;
    }
    if ((cy->ring = calloc(cy->nhosts, sizeof(*cy->ring))) == NULL)
        goto nomem;
    for (size_t h = 0; h < cy->nhosts; h++)
        ring_push(cy, &cy->hosts[h]);
    free(hostof);
    lh_strmap_cleanup(&index, NULL);

    lh_checker_new_cycle(ck);
    cy->starting = true;
    fill(cy);
    cy->starting = false;
    if (cy->done == links->n) {
        /* Every check failed to start (out of memory, say): each link
         * has its verdict, but done_cb must not run before we return. */
        lh_seterr(err, errlen, "no check could start");
        cycle_free(cy);
        return NULL;
    }
    return cy;
nomem:
    lh_seterr(err, errlen, "out of memory");
    free(hostof);
    lh_strmap_cleanup(&index, NULL);
    cycle_free(cy);
    return NULL;
}

void
lh_cycle_cancel(struct lh_cycle *cy)
{
    for (size_t i = 0; i < cy->links->n; i++)
        if (cy->jobs[i].check != NULL)
            lh_check_cancel(cy->jobs[i].check);
    cycle_free(cy);
}

size_t
lh_cycle_done(const struct lh_cycle *cy)
{
    return cy->done;
}

size_t
lh_cycle_total(const struct lh_cycle *cy)
{
    return cy->links->n;
}
