/*
 * check_page: the content check of lh_check_start_page.  After a 2xx
 * answer the page is read when due (a GET whose body is kept), an
 * immediate refresh followed as a hop, and the server's answer to a
 * random path (the probe) read once per server per cycle to compare.
 * What a page says is page.c's; the requests are check.c's.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <uv.h>

#include "check_internal.h"
#include "http.h"
#include "page.h"
#include "strmap.h"
#include "url.h"
#include "util.h"

/*
 * The answer of a server to a random path on it, read once per server per
 * cycle by the first check whose page needs it (the prober); the others
 * that need it meanwhile wait in waiters.
 */
struct probe {
    bool done;
    bool ok;                /* an answer came, and it is recorded */
    int status;
    char *final_url;
    char *title;
    size_t text_bytes;
    unsigned long long text_hash;
    struct lh_check *prober;
    struct lh_check **waiters;
    size_t nwaiters, cap;
};

void
lh_check_probe_free(void *arg)
{
    struct probe *pb = arg;

    free(pb->final_url);
    free(pb->title);
    free(pb->waiters);
    free(pb);
}

static bool
same_str(const char *a, const char *b)
{
    if (a == NULL || a[0] == '\0')
        return b == NULL || b[0] == '\0';
    return b != NULL && strcmp(a, b) == 0;
}

/*
 * A page is parsed on libuv's work queue, never on the loop: a page of
 * max_body_bytes takes libxml2 up to some hundreds of milliseconds (and
 * lib/htmlguard.h's limits and LH_PAGE_PARSE_MS bound a hostile one).
 * The check waits meanwhile; cancelled, it hands the bytes over to the
 * work, which frees them when it ends.
 */
typedef void page_parsed_fn(struct lh_check *c, struct lh_page *pg, int rc,
    long status);
static page_parsed_fn page_parsed, probe_parsed;
static bool probe_step(struct lh_check *c);

struct page_work {
    uv_work_t req;
    struct lh_check *c;         /* NULL once cancelled */
    page_parsed_fn *done;
    const char *html;           /* c->page_buf */
    size_t len;
    char *base;
    char *orphan;               /* the bytes, once c is gone */
    atomic_int cancel;
    struct lh_page page;
    int rc;
    long status;                /* of the answer the page came with */
};

static void
parse_work_cb(uv_work_t *req)
{
    struct page_work *pw = req->data;
    struct lh_page_bounds bounds = { LH_PAGE_PARSE_MS, &pw->cancel };

    if (atomic_load(&pw->cancel))
        return;
    pw->rc = lh_page_parse(pw->html, pw->len, pw->base, &bounds, &pw->page);
}

static void
parse_after_cb(uv_work_t *req, int status)
{
    struct page_work *pw = req->data;
    struct lh_check *c = pw->c;

    if (c != NULL) {
        c->parsing = NULL;
        pw->done(c, &pw->page, status == 0 ? pw->rc : -1, pw->status);
    }
    lh_page_cleanup(&pw->page);
    free(pw->orphan);
    free(pw->base);
    free(pw);
}

/* Parse the page read (c->page_buf) as at base; done is called on the
 * loop with it (rc -1: out of memory).  -1 when it could not be queued. */
static int
parse_page(struct lh_check *c, const char *base, long status,
    page_parsed_fn *done)
{
    struct page_work *pw = calloc(1, sizeof(*pw));

    if (pw == NULL || (base != NULL && (pw->base = strdup(base)) == NULL)) {
        free(pw);
        return -1;
    }
    pw->req.data = pw;
    pw->c = c;
    pw->done = done;
    pw->status = status;
    pw->html = c->page_buf != NULL ? c->page_buf : "";
    pw->len = c->page_buf != NULL ? c->npage : 0;
    atomic_init(&pw->cancel, 0);
    lh_page_init(&pw->page);
    if (uv_queue_work(lh_http_loop(c->ck->http), &pw->req, parse_work_cb,
            parse_after_cb) != 0) {
        free(pw->base);
        free(pw);
        return -1;
    }
    c->parsing = pw;
    return 0;
}

void
lh_check_page_cancel(struct lh_check *c)
{
    struct page_work *pw = c->parsing;

    if (pw == NULL)
        return;
    atomic_store(&pw->cancel, 1);
    (void)uv_cancel((uv_req_t *)&pw->req);  /* if it has not started */
    pw->c = NULL;
    pw->orphan = c->page_buf;
    c->page_buf = NULL;
    c->parsing = NULL;
}

bool
lh_check_page_due(const struct lh_page_seen *seen,
    unsigned long long interval_ms, long long now, double now_mono_ms)
{
    if (seen == NULL || seen->read_at <= 0 || interval_ms == 0)
        return true;
    if (seen->read_mono_ms > 0)
        return now_mono_ms - seen->read_mono_ms >= (double)interval_ms;
    /* From the status file: the wall clock is all there is. */
    if (now < seen->read_at)
        return true;
    return (unsigned long long)(now - seen->read_at) >= interval_ms / 1000 +
        (interval_ms % 1000 != 0);
}

bool
lh_check_answer_changed(const struct lh_page_seen *seen,
    const struct lh_result *r)
{
    if (r->seen_status < 200 || r->seen_status > 299)
        return false;
    if (seen == NULL || seen->read_at == 0)
        return true;
    return seen->status != r->seen_status ||
        !same_str(seen->final_url, r->seen_url) ||
        !same_str(seen->etag, r->etag) ||
        !same_str(seen->last_modified, r->last_modified) ||
        seen->content_length != r->content_length;
}

/* The 2xx answer reached, before any reading: what the next check
 * compares.  0, or -1 when out of memory. */
static int
record_seen(struct lh_check *c, long status)
{
    struct lh_result *r = c->r;

    r->seen_status = (int)status;
    r->content_length = c->clen;
    if (lh_replace_string(&r->seen_url, c->url) == -1 ||
        lh_replace_string(&r->etag, c->etag[0] ? c->etag : NULL) == -1 ||
        lh_replace_string(&r->last_modified,
            c->last_modified[0] ? c->last_modified : NULL) == -1)
        return -1;
    return 0;
}

/* Read the page at c->url: a GET whose body is kept.  True (it took the
 * check over). */
static bool
start_reading(struct lh_check *c)
{
    struct lh_result *r = c->r;

    if (c->page_buf == NULL &&
        (c->page_buf = malloc(c->ck->max_body_bytes)) == NULL) {
        lh_check_finish_oom(c);
        return true;
    }
    c->reading = true;
    c->saved_nhops = r->nhops;
    c->saved_status = r->http_status;
    c->saved_method = r->method;
    c->method = LH_METHOD_GET;
    if (lh_check_request(c, 0) == -1)
        lh_check_finish(c);
    return true;
}

/* The reading failed: the answer is what it was before it, without a
 * page.  Hops the reading added go. */
static void
restore_answer(struct lh_check *c)
{
    struct lh_result *r = c->r;

    while (r->nhops > c->saved_nhops) {
        r->nhops--;
        free(r->hops[r->nhops].url);
        free(r->hops[r->nhops].location);
    }
    if (r->nhops == 0) {
        free(r->hops);
        r->hops = NULL;
    }
    (void)lh_replace_string(&r->final_url, r->seen_url);
    r->http_status = c->saved_status;
    r->method = c->saved_method;
    r->fail = LH_FAIL_NONE;
    lh_check_set_error(r, NULL);
    c->reading = false;
}

/*
 * The answer is not HTML (a PDF, an image): nothing to read in it, but a
 * page with no title or text stands for it, so that the link counts as
 * read until the answer changes or content_interval passes.  Its bytes
 * are what was read (0 when only HEAD was asked).  No probe.  True (it
 * took the check over).
 */
static bool
not_a_page(struct lh_check *c)
{
    struct lh_result *r = c->r;
    bool got_body = c->method == LH_METHOD_GET && c->page_buf != NULL;

    if ((r->page = malloc(sizeof(*r->page))) == NULL) {
        lh_check_finish_oom(c);
        return true;
    }
    lh_page_init(r->page);
    r->page->bytes = got_body ? c->npage : 0;
    r->page->text_hash = lh_hash_bytes(got_body ? c->page_buf : "",
        got_body ? c->npage : 0);
    c->reading = false;
    lh_check_finish(c);
    return true;
}

/*
 * The GET that was to read the page at once was refused or failed: check
 * the link as without a content check, HEAD first, and read the page
 * after a 2xx then.  True (it took the check over).
 */
static bool
ask_head_first(struct lh_check *c)
{
    c->get_first = false;
    c->saved_nhops = 0;
    c->saved_status = 0;
    c->saved_method = LH_METHOD_HEAD;
    restore_answer(c);
    (void)lh_replace_string(&c->r->final_url, NULL);
    if (lh_check_aim(c, c->r->url, false) == -1)
        lh_check_finish_oom(c);
    else if (lh_check_request(c, 0) == -1)
        lh_check_finish(c);
    return true;
}

/* A refresh of at most LH_CHECK_REFRESH_MAX seconds to another URL: the
 * Refresh header first, then the page's meta refresh.  The target is
 * malloc'd; NULL when none. */
static char *
refresh_target(struct lh_check *c, const struct lh_page *pg)
{
    int delay;
    char *url = NULL;

    /* Only to http(s): a refresh to javascript: or mailto: goes nowhere
     * a browser would show as a page. */
    if (c->refresh[0] != '\0' &&
        lh_page_refresh_parse(c->refresh, c->url, &delay, &url) == 0 &&
        url != NULL && delay <= LH_CHECK_REFRESH_MAX && lh_url_is_http(url))
        return url;
    free(url);
    if (pg->refresh_url != NULL && pg->refresh_delay >= 0 &&
        pg->refresh_delay <= LH_CHECK_REFRESH_MAX &&
        lh_url_is_http(pg->refresh_url))
        return strdup(pg->refresh_url);
    return NULL;
}

static bool probe_step(struct lh_check *c);

/*
 * After the chain's answer (no redirect to follow): start reading the
 * page when it is due, or take the page read.  True when it took the
 * check over.
 */
bool
lh_check_content_step(struct lh_check *c, long status)
{
    struct lh_result *r = c->r;

    if (!c->page_on)
        return false;
    if (!c->reading) {
        if (r->fail != LH_FAIL_NONE || status < 200 || status > 299)
            return false;
        if (record_seen(c, status) == -1) {
            lh_check_finish_oom(c);
            return true;
        }
        if (!c->page_due && !lh_check_answer_changed(&c->seen, r))
            return false;
        if (c->not_html && c->method != LH_METHOD_GET)
            return not_a_page(c);
        if (c->method != LH_METHOD_GET || c->page_buf == NULL)
            return start_reading(c);
        /* The answer was a GET (HEAD refused): its body is the page. */
        c->reading = true;
        c->saved_nhops = r->nhops;
        c->saved_status = r->http_status;
        c->saved_method = r->method;
    }
    /* A GET that fails or is refused where HEAD was answered says
     * nothing of the page; gone (404, 410) it does say. */
    if (r->fail != LH_FAIL_NONE || !((status >= 200 && status <= 299) ||
            status == 404 || status == 410)) {
        /* A GET asked first and refused: ask as without a content check.
         * One that failed (a timeout, a reset) failed as a HEAD would
         * have: that is the link's answer, with the time it had. */
        if (c->get_first && r->fail == LH_FAIL_NONE)
            return ask_head_first(c);
        if (c->get_first) {
            c->get_first = false;
            c->reading = false;
            return false;
        }
        restore_answer(c);
        return false;
    }
    c->get_first = false;
    if (r->seen_status == 0 && status <= 299 &&
        record_seen(c, status) == -1) {
        lh_check_finish_oom(c);
        return true;
    }
    if (status > 299)
        return false;
    if (c->not_html)
        return not_a_page(c);
    if (parse_page(c, c->url, status, page_parsed) == -1)
        lh_check_finish_oom(c);
    return true;
}

/* The page is parsed: follow its immediate refresh, or keep it and
 * compare it with the probe. */
static void
page_parsed(struct lh_check *c, struct lh_page *parsed, int rc, long status)
{
    struct lh_page *pg;
    char *target;

    if (rc == -1 || (pg = malloc(sizeof(*pg))) == NULL) {
        lh_check_finish_oom(c);
        return;
    }
    *pg = *parsed;          /* its strings change hands */
    lh_page_init(parsed);
    if ((target = refresh_target(c, pg)) != NULL) {
        lh_page_cleanup(pg);
        free(pg);
        lh_check_follow(c, (int)status, target, true, true);
        free(target);
        return;
    }
    c->r->page = pg;
    c->reading = false;
    (void)probe_step(c);
}

/* Can the page not be told from the probe's answer?  Same end, or the
 * same title and the same text (or nearly: a page may echo the path). */
static bool
like_probe(const struct probe *pb, const struct lh_result *r)
{
    const struct lh_page *pg = r->page;
    size_t a, b, diff;

    if (!pb->ok || pb->status < 200 || pb->status > 299 || pg == NULL)
        return false;
    if (pb->final_url != NULL && r->final_url != NULL &&
        strcmp(pb->final_url, r->final_url) == 0)
        return true;
    /* Two pages with no title and no text cannot be told apart, nor
     * told to be the same page: say nothing. */
    if (pg->title == NULL && pg->text_bytes == 0)
        return false;
    if (!same_str(pb->title, pg->title))
        return false;
    if (pb->text_hash == pg->text_hash && pb->text_bytes == pg->text_bytes)
        return true;
    a = pb->text_bytes;
    b = pg->text_bytes;
    diff = a > b ? a - b : b - a;
    return diff <= (a > b ? a : b) / 100 + 32;
}

/* The probe is over (or failed to start): compare and finish every
 * check that waited for it. */
static void
probe_release(struct probe *pb)
{
    struct lh_check **w = pb->waiters;
    size_t n = pb->nwaiters;

    pb->done = true;
    pb->prober = NULL;
    pb->waiters = NULL;
    pb->nwaiters = pb->cap = 0;
    for (size_t i = 0; i < n; i++) {
        w[i]->waiting = NULL;
        w[i]->r->same_as_probe = like_probe(pb, w[i]->r);
        lh_check_finish(w[i]);
    }
    free(w);
}

/* Point c at a random path of its own server and ask it, following
 * redirects; c->url is kept in page_url meanwhile.  0, or -1. */
static int
probe_start(struct lh_check *c)
{
    struct lh_checker *ck = c->ck;
    unsigned long long seed[3];
    char url[400];

    seed[0] = (unsigned long long)time(NULL);
    seed[1] = (unsigned long long)lh_check_now_ms();
    seed[2] = ++ck->probe_serial;
    if (snprintf(url, sizeof(url), "%s/%016llx-linkhealthd-probe", c->site,
            lh_hash_bytes(seed, sizeof(seed))) >= (int)sizeof(url))
        return -1;
    c->page_url = c->url;
    if ((c->url = strdup(url)) == NULL) {
        c->url = c->page_url;
        c->page_url = NULL;
        return -1;
    }
    c->probing = true;
    c->method = LH_METHOD_GET;
    c->started = lh_check_now_ms();
    if (lh_check_request(c, 0) == -1) {
        free(c->url);
        c->url = c->page_url;
        c->page_url = NULL;
        c->probing = false;
        /* Not this link's failure: it has its answer. */
        c->r->fail = LH_FAIL_NONE;
        lh_check_set_error(c->r, NULL);
        return -1;
    }
    return 0;
}

/*
 * The page is read: compare it with its server's probe, asking the probe
 * first if no check has this cycle, or waiting for the check that does.
 * A home page needs none (a site's front door may well answer every
 * path).  True: it took the check over (always).
 */
static bool
probe_step(struct lh_check *c)
{
    struct lh_checker *ck = c->ck;
    struct lh_result *r = c->r;
    struct probe *pb;

    if (c->site[0] == '\0' || lh_url_is_home(r->url) ||
        lh_url_is_home(c->url)) {
        lh_check_finish(c);
        return true;
    }
    pb = lh_strmap_get(&ck->probes, c->site);
    if (pb != NULL && pb->done) {
        r->same_as_probe = like_probe(pb, r);
        lh_check_finish(c);
        return true;
    }
    if (pb != NULL) {
        if (pb->nwaiters == pb->cap) {
            size_t cap = pb->cap ? pb->cap * 2 : 4;
            struct lh_check **grown = realloc(pb->waiters,
                cap * sizeof(*grown));

            if (grown == NULL) {
                lh_check_finish(c);      /* judged without the probe */
                return true;
            }
            pb->waiters = grown;
            pb->cap = cap;
        }
        pb->waiters[pb->nwaiters++] = c;
        c->waiting = pb;
        return true;
    }
    if ((pb = calloc(1, sizeof(*pb))) == NULL ||
        lh_strmap_put(&ck->probes, c->site, pb) == -1) {
        free(pb);
        lh_check_finish(c);
        return true;
    }
    pb->prober = c;
    if (probe_start(c) == -1) {
        pb->prober = NULL;
        pb->done = true;
        lh_check_finish(c);
    }
    return true;
}

/* The probe is recorded (or could not be): judge c by it, finish it and
 * its waiters. */
static void
probe_end(struct lh_check *c, struct probe *pb)
{
    c->probing = false;
    c->r->same_as_probe = like_probe(pb, c->r);
    probe_release(pb);
    lh_check_finish(c);
}

/* What the server answered (its final URL is pb's already), the page
 * read with it (NULL: none); false when out of memory. */
static bool
probe_record(struct probe *pb, long status, const struct lh_page *pg)
{
    pb->status = (int)status;
    if (pg != NULL) {
        pb->text_bytes = pg->text_bytes;
        pb->text_hash = pg->text_hash;
        if (pg->title != NULL && (pb->title = strdup(pg->title)) == NULL)
            return false;
    }
    return true;
}

static void
probe_parsed(struct lh_check *c, struct lh_page *pg, int rc, long status)
{
    struct probe *pb = lh_strmap_get(&c->ck->probes, c->site);

    if (pb == NULL) {       /* cannot be: the cycle holds it */
        c->probing = false;
        lh_check_finish(c);
        return;
    }
    pb->ok = rc == 0 && probe_record(pb, status, pg);
    probe_end(c, pb);
}

/* The prober's request is over: give the check its page URL back, read
 * the server's answer (a 2xx's page off the loop, c->probing meanwhile:
 * a cancel hands the probe on), record it, and finish the check and its
 * waiters. */
void
lh_check_probe_done(struct lh_check *c, CURLcode code)
{
    struct probe *pb = lh_strmap_get(&c->ck->probes, c->site);
    long status = 0;
    char *eff = NULL;

    c->r->attempts--;       /* not the link's request */
    free(c->url);
    c->url = c->page_url;
    c->page_url = NULL;
    if (pb == NULL) {       /* cannot be: the cycle holds it */
        c->probing = false;
        lh_check_finish(c);
        return;
    }
    if (code == CURLE_WRITE_ERROR && c->body_capped)
        code = CURLE_OK;
    if (code == CURLE_OK &&
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status) ==
            CURLE_OK &&
        curl_easy_getinfo(c->easy, CURLINFO_EFFECTIVE_URL, &eff) ==
            CURLE_OK && eff != NULL &&
        (pb->final_url = strdup(eff)) != NULL) {
        if (status < 200 || status > 299)
            pb->ok = probe_record(pb, status, NULL);
        else if (parse_page(c, eff, status, probe_parsed) == 0)
            return;
    }
    probe_end(c, pb);
}

/* Cancelling a check that a probe concerns: a waiter leaves the list; a
 * prober hands the probe to its first waiter, or drops it. */
void
lh_check_probe_cancel(struct lh_check *c)
{
    struct probe *pb = c->waiting;

    if (pb != NULL) {
        for (size_t i = 0; i < pb->nwaiters; i++)
            if (pb->waiters[i] == c) {
                memmove(pb->waiters + i, pb->waiters + i + 1,
                    (pb->nwaiters - i - 1) * sizeof(*pb->waiters));
                pb->nwaiters--;
                break;
            }
        c->waiting = NULL;
        return;
    }
    if (!c->probing ||
        (pb = lh_strmap_get(&c->ck->probes, c->site)) == NULL)
        return;
    while (pb->nwaiters > 0) {
        struct lh_check *w = pb->waiters[0];

        memmove(pb->waiters, pb->waiters + 1,
            (pb->nwaiters - 1) * sizeof(*pb->waiters));
        pb->nwaiters--;
        w->waiting = NULL;
        pb->prober = w;
        if (probe_start(w) == 0)
            return;
        /* Judged without the probe. */
        pb->prober = NULL;
        lh_check_finish(w);
    }
    lh_check_probe_free(lh_strmap_del(&c->ck->probes, c->site));
}

/* Copy what is known of the page into c.  0, or -1 when out of memory. */
int
lh_check_content_init(struct lh_check *c, const struct lh_page_seen *seen)
{
    struct lh_checker *ck = c->ck;

    c->page_on = ck->content_checks && ck->max_body_bytes > 0;
    c->clen = -1;
    if (!c->page_on)
        return 0;
    if (seen != NULL) {
        c->seen = *seen;
        if ((seen->final_url != NULL &&
                (c->seen_strs[0] = strdup(seen->final_url)) == NULL) ||
            (seen->etag != NULL &&
                (c->seen_strs[1] = strdup(seen->etag)) == NULL) ||
            (seen->last_modified != NULL &&
                (c->seen_strs[2] = strdup(seen->last_modified)) == NULL))
            return -1;
        c->seen.final_url = c->seen_strs[0];
        c->seen.etag = c->seen_strs[1];
        c->seen.last_modified = c->seen_strs[2];
    }
    c->page_due = lh_check_page_due(seen, ck->content_interval_ms,
        (long long)time(NULL), lh_check_now_ms());
    return 0;
}
