/*
 * monitor: cycles, directory re-reads, transitions to the log, status
 * writes, reloads and a clean stop.  One uv_timer_t schedules cycles.
 * One http engine (one curl multi handle) serves the whole run: the
 * directory download, every cycle's checks and the webhooks' POSTs, so
 * connections are reused across them; it is closed at the stop.  Between
 * cycles it holds kept-alive connections and no timer: the process wakes
 * only when a server closes one of them, once for each.  What must be new
 * each cycle is the checker's (check.h: TLS sessions, a fresh connection
 * for each server's first request, none kept from an earlier cycle after
 * that).
 */
#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "check.h"
#include "scheduler.h"
#include "url.h"
#include "fetch.h"
#include "hook.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "monitor.h"
#include "notice.h"
#include "util.h"
#include "shard.h"
#include "status.h"
#include "strmap.h"
#include "webhook.h"

struct parse_job;

struct lh_monitor {
    uv_loop_t *loop;
    enum lh_monitor_mode mode;
    struct lh_monitor_hooks hooks;
    struct lh_config cfg;
    struct lh_config next_cfg;      /* from a reload, for the next cycle */
    bool have_next_cfg;
    uv_timer_t timer;

    struct lh_http *http;           /* from start to stop */
    struct lh_checker *checker;     /* during a cycle only */
    struct lh_fetch *fetch;
    struct lh_scheduler *sched;     /* the checks of the running cycle */

    struct lh_links links;
    struct lh_links seed;           /* previous run, until the first sync */
    struct lh_directory dir;        /* last good: its format and warnings;
                                       its entries are in links (and in
                                       dir only in LH_MONITOR_LIST) */
    size_t dir_n;                   /* its entries (of this shard) */
    bool have_dir;
    char *dir_error;                /* last load error, NULL when fine */
    unsigned long long dir_hash;    /* of the bytes last parsed */
    size_t dir_entries;             /* in it, this shard's and others' */
    size_t dir_len;
    struct parse_job *parse;        /* the directory parse in flight */
    char *bad_error;                /* the last parse failed: why, */
    unsigned long long bad_hash;    /* and the hash and length of its */
    size_t bad_len;                 /* bytes, not parsed again */
    char *etag, *last_modified;     /* of the last good URL answer */
    char *status_error;             /* last status write error */
    char *metrics_error;            /* last metrics write error */

    /* This cycle's checks were inconclusive (lh_classify_cycle): the
     * reason, the commonest failure, and whether a warning is out. */
    bool inconclusive;
    char *inconclusive_reason;
    enum lh_fail inconclusive_kind;
    bool inconclusive_warned;
    bool partial;                   /* the cycle was cut short by a stop */

    /* What this cycle has to tell the webhooks and on_change: its
     * transitions, and news of inconclusive checks. */
    struct lh_notice *notice;
    bool inconclusive_news, conclusive_again;
    struct lh_webhooks *webhooks;   /* LH_MONITOR_DAEMON only */
    struct lh_hook *hook;

    unsigned long long cycle_no;
    long long cycle_started;        /* Unix time */
    double cycle_started_ms;        /* loop clock */
    double last_cycle_ms;
    /* Between full cycles, retry rounds check the unsettled links again
     * after retry_interval: the next cycle is one when retry is set. */
    double full_started_ms;         /* loop clock, the last full cycle */
    double full_wait_ms;            /* from it to the next, jitter drawn */
    bool retry;
    struct lh_links retry_links;    /* this round's: borrowed links */
    unsigned concurrency;           /* this cycle's, within the fd limit */
    unsigned fd_clamp_logged;       /* the clamp last logged, or 0 */
    bool busy;                      /* a cycle (fetch or checks) runs */
    bool again;                     /* start another cycle when it ends */
    bool stopping;
    int exit_code;
    unsigned open_handles;          /* uv and http handles to close */
};

static void cycle_begin(struct lh_monitor *m);
static void maybe_stopped(struct lh_monitor *m);

static double
loop_ms(struct lh_monitor *m)
{
    uv_update_time(m->loop);
    return (double)uv_now(m->loop);
}

/* --- status ----------------------------------------------------------- */

static void
status_info(const struct lh_monitor *m, struct lh_status_info *info)
{
    memset(info, 0, sizeof(*info));
    info->source = m->cfg.directory;
    info->format = m->have_dir ? lh_directory_format_name(m->dir.format) :
        NULL;
    info->entries = m->have_dir ? m->dir_entries : 0;
    info->shard_index = m->cfg.shard_index;
    info->shard_count = m->cfg.shard_count;
    info->fail_on = m->cfg.fail_on;
    info->directory_error = m->dir_error;
    info->warnings = m->dir.warnings;
    info->nwarnings = m->dir.nwarnings;
    info->cycle = m->cycle_no;
    info->started_at = m->cycle_started;
    info->duration_ms = m->last_cycle_ms;
    info->generated_at = (long long)time(NULL);
    info->partial = m->partial;
    info->inconclusive = m->inconclusive ? (m->inconclusive_reason != NULL ?
        m->inconclusive_reason : "out of memory") : NULL;
}

/* The links a status document shows: before a first good directory the
 * previous run's links are all we know, and writing none would erase them
 * for the next start. */
static const struct lh_links *
status_links(const struct lh_monitor *m)
{
    return m->have_dir ? &m->links : &m->seed;
}

/*
 * The outcome of writing a file after a cycle: a failure is said once and
 * again only when the reason changes (a full disk would otherwise log
 * every cycle), a recovery once.  *last holds the failure being reported.
 */
static void
written(struct lh_monitor *m, const char *path, int rc, const char *err,
    char **last)
{
    if (rc == -1) {
        if (*last == NULL || strcmp(*last, err) != 0)
            log_err("%s", err);
        lh_replace_string(last, err);
        if (m->mode == LH_MONITOR_ONCE)
            m->exit_code = 2;
    } else if (*last != NULL) {
        log_notice("%s: written again", path);
        lh_replace_string(last, NULL);
    }
}

static void
write_status(struct lh_monitor *m)
{
    struct lh_status_info info;
    char err[1024];
    int rc;

    status_info(m, &info);
    if (m->cfg.status_file != NULL) {
        rc = lh_status_write(m->cfg.status_file, lh_status_print, &info,
            status_links(m), err, sizeof(err));
        written(m, m->cfg.status_file, rc, err, &m->status_error);
    }
    if (m->cfg.metrics_file != NULL) {
        rc = lh_status_write(m->cfg.metrics_file, lh_metrics_print, &info,
            status_links(m), err, sizeof(err));
        written(m, m->cfg.metrics_file, rc, err, &m->metrics_error);
    }
}

/* A previous status file gives each link its state back after a restart;
 * a regular file we cannot use is set aside, never deleted.  Anything else
 * at that path (a FIFO, a device, a directory) is not ours to move: it is
 * left where it is, and each status write will say it is refused. */
static void
load_seed(struct lh_monitor *m)
{
    char err[1024], aside[4096];
    struct stat st;

    if (lh_status_read(m->cfg.status_file, LH_STATUS_MAX_BYTES, true,
            &m->seed, NULL, err, sizeof(err)) == 0) {
        if (m->seed.n > 0)
            log_info("%s: resuming the state of %zu links",
                m->cfg.status_file, m->seed.n);
        return;
    }
    if (stat(m->cfg.status_file, &st) == -1 || !S_ISREG(st.st_mode)) {
        log_warnx("%s; not set aside", err);
        return;
    }
    snprintf(aside, sizeof(aside), "%s.unusable-%lld", m->cfg.status_file,
        (long long)time(NULL));
    if (rename(m->cfg.status_file, aside) == -1)
        log_warn("%s (and it cannot be set aside)", err);
    else
        log_warnx("%s; set aside as %s", err, aside);
}

/* --- links and transitions -------------------------------------------- */

/* A link as the log names it: "%s [%s] %s", its name, region and URL. */
#define WHO(l) lh_link_name(l), lh_link_region(l), (l)->url

static void
added_cb(const struct lh_link *l, void *arg)
{
    struct lh_monitor *m = arg;

    if (m->have_dir)
        log_info("added: %s [%s] %s", WHO(l));
}

static void
removed_cb(const struct lh_link *l, void *arg)
{
    (void)arg;
    log_info("removed: %s [%s] %s", WHO(l));
}

static void
link_cb(struct lh_link *l, const struct lh_transition *t, void *arg)
{
    struct lh_monitor *m = arg;
    char when[32];
    int prio;

    if (t->inconclusive) {
        /* The monitor's own failure on this check: said once per reason. */
        lh_log(t->inconclusive_new ? LOG_WARNING : LOG_DEBUG,
            "%s [%s] %s: no verdict, %s", WHO(l),
            l->inconclusive != NULL ? l->inconclusive : "inconclusive");
        return;
    }
    lh_rfc3339(l->last.cert_expiry, when, sizeof(when));
    switch (t->cert) {
    case LH_CERT_ENTERED:
        log_warnx("%s [%s] %s: the certificate expires at %s, in %lld days "
            "(cert_warn_days %u)", WHO(l), when,
            (l->last.cert_expiry - l->last.checked_at) / 86400,
            m->cfg.cert_warn_days);
        break;
    case LH_CERT_RENEWED:
        log_notice("%s [%s] %s: the certificate was renewed, it now expires "
            "at %s", WHO(l), when);
        break;
    case LH_CERT_NONE:
        break;
    }
    if (t->flap_started) {
        log_warnx("%s [%s] %s: flapping (%u changes between good and bad "
            "in the last %d checks), now %s (%s)", WHO(l), t->flap_changes,
            LH_FLAP_WINDOW, lh_state_name(l->verdict), l->reason);
        return;
    }
    if (t->flap_ended) {
        log_notice("%s [%s] %s: no longer flapping, %s (%s)", WHO(l),
            lh_state_name(l->state), l->reason);
        return;
    }
    if (!t->changed || l->flapping) {
        lh_log(LOG_DEBUG, "%s [%s] %s: %s (%s)", WHO(l),
            lh_state_name(l->verdict), l->reason);
        return;
    }
    /* Bad news is a warning, first verdicts included: a link dead on the
     * day the service starts is news too.  --once reports every verdict
     * on stdout; its stderr keeps to what went wrong with the run. */
    if (t->from == LH_STATE_UNKNOWN && m->mode == LH_MONITOR_ONCE)
        prio = LOG_INFO;
    else if (!lh_state_is_good(t->to))
        prio = LOG_WARNING;
    else if (t->from == LH_STATE_UNKNOWN)
        prio = LOG_INFO;
    else
        prio = LOG_NOTICE;
    lh_log(prio, "%s [%s] %s: %s -> %s (%s)", WHO(l),
        lh_state_name(t->from), lh_state_name(t->to), l->reason);
    /* A first good verdict is no news to send (a start would send every
     * link); a first bad one is. */
    if (m->notice != NULL && (t->from != LH_STATE_UNKNOWN ||
        !lh_state_is_good(t->to)) &&
        lh_notice_add(m->notice, l, t->from, t->to) == -1)
        log_warnx("out of memory: %s left out of the notification", l->url);
}

/*
 * Mark the links the exclude rules name, after each directory merge and
 * each reload.  A link excluded now forgets its verdicts (it will have
 * none); one no longer excluded is checked from the next cycle, as new.
 * Never while a cycle's checks run: the scheduler borrows the table.
 */
static void
apply_rules(struct lh_monitor *m)
{
    size_t first = 0;

    for (size_t i = 0; i < m->links.n; i++) {
        struct lh_link *l = m->links.v[i];
        unsigned rule = lh_rules_excluded(&m->cfg.rules, l->url);

        if (rule != 0 && l->excluded == 0) {
            lh_log(m->have_dir ? LOG_INFO : LOG_DEBUG, "%s [%s] %s: "
                "excluded by rule %u, not checked", WHO(l), rule);
            lh_state_forget(l);
            first++;
        } else if (rule == 0 && l->excluded != 0) {
            log_info("%s [%s] %s: no longer excluded, checked from now on",
                WHO(l));
        }
        l->excluded = rule;
    }
    if (!m->have_dir && first > 0)
        log_info("%zu links excluded by rules, not checked", first);
}

/* --- the cycle -------------------------------------------------------- */

static void
http_closed_cb(void *arg)
{
    struct lh_monitor *m = arg;

    m->open_handles--;
    maybe_stopped(m);
}

/* The cycle's checker goes; the engine stays. */
static void
checker_end(struct lh_monitor *m)
{
    lh_checker_free(m->checker);
    m->checker = NULL;
}

/*
 * The engine's connection cap: the cycle's checks (its concurrency,
 * within the descriptor limit) and one POST per webhook beside them, so
 * that neither ever waits in curl's queue for the other (a check that
 * waited would time out for our own reason).  No cap per host: the
 * scheduler caps hosts, and a curl cap would also queue redirect hops
 * to a busy host, where they time out as "no connection".
 */
static void
engine_limits(struct lh_monitor *m)
{
    long total = (long)(m->concurrency > 0 ? m->concurrency :
        m->cfg.concurrency) + (long)m->cfg.nwebhooks;

    if (m->http != NULL && lh_http_set_limits(m->http, 0, total) == -1)
        log_warnx("out of memory: the connection cap stays as it was");
}

static void timer_cb(uv_timer_t *timer);

/*
 * Full cycles start every interval (plus jitter) from the start of the
 * last one; one that overran is followed at once, never overlapped.  In
 * between, while some link is unsettled (a bad verdict not confirmed yet,
 * or a good one after a bad state), a retry round checks those links
 * again every retry_interval: bad news is confirmed in minutes, not
 * intervals.
 */
static void
schedule_next(struct lh_monitor *m)
{
    double wait = m->full_wait_ms - (loop_ms(m) - m->full_started_ms);
    size_t unsettled = 0;

    for (size_t i = 0; i < m->links.n && m->cfg.retry_interval_ms > 0; i++)
        if (lh_state_unsettled(m->links.v[i]))
            unsettled++;
    m->retry = unsettled > 0 && (double)m->cfg.retry_interval_ms < wait;
    if (m->retry)
        wait = (double)m->cfg.retry_interval_ms;
    if (wait < 0)
        wait = 0;
    uv_timer_start(&m->timer, timer_cb, (uint64_t)wait, 0);
}

/* The links of a retry round, borrowed from the table (which does not
 * change until the round ends: no directory is read in it).  0, or -1
 * when there are none or memory ran out: then a full cycle runs. */
static int
retry_links(struct lh_monitor *m)
{
    size_t n = 0;

    free(m->retry_links.v);
    memset(&m->retry_links, 0, sizeof(m->retry_links));
    for (size_t i = 0; i < m->links.n; i++)
        n += lh_state_unsettled(m->links.v[i]);
    if (n == 0 ||
        (m->retry_links.v = calloc(n, sizeof(*m->retry_links.v))) == NULL)
        return -1;
    for (size_t i = 0; i < m->links.n; i++)
        if (lh_state_unsettled(m->links.v[i]))
            m->retry_links.v[m->retry_links.n++] = m->links.v[i];
    return 0;
}

static bool
same_string(const char *a, const char *b)
{
    return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static bool
same_strings(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

/* Take *cfg (moved).  Another directory or format: the old one's
 * validators and byte hash must not stand for the new one; other
 * settings of the reading: the same bytes may read otherwise.  A parse
 * that failed is tried again on any reload (a longer time allowed, or
 * a page fixed in place). */
static void
use_config(struct lh_monitor *m, struct lh_config *cfg)
{
    if (strcmp(m->cfg.directory, cfg->directory) != 0 ||
        m->cfg.directory_format != cfg->directory_format) {
        free(m->etag);
        free(m->last_modified);
        m->etag = m->last_modified = NULL;
        m->dir_len = SIZE_MAX;      /* no byte string matches: re-parse */
    }
    if (!same_string(m->cfg.directory_xpath, cfg->directory_xpath) ||
        !same_string(m->cfg.region_xpath, cfg->region_xpath) ||
        m->cfg.directory_own_links != cfg->directory_own_links)
        m->dir_len = SIZE_MAX;
    lh_replace_string(&m->bad_error, NULL);
    if (m->cfg.shard_index != cfg->shard_index ||
        m->cfg.shard_count != cfg->shard_count) {
        log_info("now shard %u/%u of the directory", cfg->shard_index,
            cfg->shard_count);
        m->dir_len = SIZE_MAX;      /* same bytes, other links: re-parse */
    }
    /* The engine's curl keeps the resolve entries it was given: one
     * removed must not answer for its name any longer. */
    if (m->http != NULL && !same_strings(m->cfg.resolve, m->cfg.nresolve,
            cfg->resolve, cfg->nresolve))
        lh_http_forget(m->http);
    lh_config_cleanup(&m->cfg);
    m->cfg = *cfg;
    memset(cfg, 0, sizeof(*cfg));
    lh_log_set_level(m->cfg.log_level);
    engine_limits(m);
    if (m->webhooks != NULL)
        lh_webhooks_configure(m->webhooks, &m->cfg);
    if (m->hook != NULL)
        lh_hook_configure(m->hook, m->cfg.on_change,
            m->cfg.on_change_timeout_ms);
    apply_rules(m);
}

/*
 * What the cycle's checks came to: an inconclusive cycle is said once
 * (again when its commonest failure changes), and the first conclusive
 * one after it once.
 */
static void
cycle_judged(struct lh_monitor *m, bool inconclusive, enum lh_fail kind,
    const char *reason, size_t heard, size_t checks)
{
    m->inconclusive = inconclusive;
    if (inconclusive) {
        if (!m->inconclusive_warned || m->inconclusive_kind != kind) {
            log_warnx("checks inconclusive: %s", reason);
            m->inconclusive_news = true;
        }
        m->inconclusive_warned = true;
        m->inconclusive_kind = kind;
        (void)lh_replace_string(&m->inconclusive_reason, reason);
        return;
    }
    (void)lh_replace_string(&m->inconclusive_reason, NULL);
    if (m->inconclusive_warned) {
        log_notice("checks conclusive again: %zu of %zu checks heard back",
            heard, checks);
        m->conclusive_again = true;
    }
    m->inconclusive_warned = false;
}

/* Tell the webhooks and on_change what the cycle changed, if anything. */
static void
notify(struct lh_monitor *m)
{
    struct lh_notice_cycle c;
    char *doc;

    if (m->notice == NULL || (lh_notice_count(m->notice) == 0 &&
        !m->inconclusive_news && !m->conclusive_again))
        return;
    memset(&c, 0, sizeof(c));
    c.number = m->cycle_no;
    c.started_at = m->cycle_started;
    c.source = m->cfg.directory;
    c.inconclusive = m->inconclusive_news ? m->inconclusive_reason : NULL;
    c.conclusive_again = m->conclusive_again;
    c.links = m->links.n;
    (void)lh_links_count(&m->links, c.count);
    if ((doc = lh_notice_document(m->notice, &c, (long long)time(NULL))) ==
        NULL) {
        log_warnx("cycle %llu: out of memory; no notification",
            m->cycle_no);
        return;
    }
    if (m->webhooks != NULL)
        lh_webhooks_send(m->webhooks, doc);
    if (m->hook != NULL)
        lh_hook_run(m->hook, doc);
    free(doc);
}

static void
cycle_end(struct lh_monitor *m)
{
    size_t count[LH_STATE_COUNT];

    m->busy = false;
    m->last_cycle_ms = loop_ms(m) - m->cycle_started_ms;
    checker_end(m);
    if (m->mode == LH_MONITOR_LIST) {
        lh_monitor_stop(m);
        return;
    }
    if (m->have_dir) {
        char what[64] = "";

        if (m->retry)
            snprintf(what, sizeof(what), " (a retry of %zu unsettled)",
                m->retry_links.n);
        (void)lh_links_count(&m->links, count);
        log_info("cycle %llu%s%s: %zu links: %zu ok, %zu moved, %zu stale, "
            "%zu blocked, %zu error, %zu unreachable, %zu unknown "
            "(%.1f s)", m->cycle_no, what, m->inconclusive ?
            " inconclusive, every link keeps its state" : "",
            m->links.n, count[LH_STATE_OK],
            count[LH_STATE_MOVED], count[LH_STATE_STALE],
            count[LH_STATE_BLOCKED], count[LH_STATE_ERROR],
            count[LH_STATE_UNREACHABLE], count[LH_STATE_UNKNOWN],
            m->last_cycle_ms / 1000.0);
    }
    write_status(m);
    notify(m);
    if (m->hooks.cycle_done != NULL) {
        struct lh_status_info info;

        status_info(m, &info);
        m->hooks.cycle_done(status_links(m), &info, m->hooks.arg);
    }
    if (m->mode == LH_MONITOR_ONCE) {
        if (!m->have_dir) {
            m->exit_code = 2;
        } else if (m->exit_code == 0 && m->inconclusive) {
            m->exit_code = 3;   /* no verdict at all: not the links' fault */
        } else if (m->exit_code == 0 &&
            lh_links_failing(&m->links, m->cfg.fail_on) > 0) {
            m->exit_code = 1;
        }
        lh_monitor_stop(m);
        return;
    }
    if (m->stopping)
        return;
    if (m->have_next_cfg) {
        use_config(m, &m->next_cfg);
        m->have_next_cfg = false;
    }
    if (m->again) {
        m->again = false;
        m->retry = false;
        uv_timer_start(&m->timer, timer_cb, 0, 0);
        return;
    }
    schedule_next(m);
}

static void
scheduler_done_cb(const struct lh_scheduler_outcome *o, void *arg)
{
    struct lh_monitor *m = arg;

    m->sched = NULL;
    cycle_judged(m, o->inconclusive, o->kind, o->reason, o->heard,
        o->checks);
    cycle_end(m);
}

static void
checks_begin(struct lh_monitor *m)
{
    struct lh_scheduler_params p;
    char err[1024];

    if (m->hooks.loaded != NULL)
        m->hooks.loaded(&m->links, m->dir_error, m->hooks.arg);
    /* Every link excluded: nothing to check, nothing inconclusive. */
    if (!m->have_dir || m->links.n == lh_links_excluded(&m->links) ||
        m->mode == LH_MONITOR_LIST) {
        cycle_end(m);
        return;
    }
    p.concurrency = m->concurrency;
    p.per_host_concurrency = m->cfg.per_host_concurrency < m->concurrency ?
        m->cfg.per_host_concurrency : m->concurrency;
    p.fail_threshold = m->mode == LH_MONITOR_ONCE ? 1 :
        m->cfg.fail_threshold;
    p.recover_threshold = m->cfg.recover_threshold;
    p.cert_warn_days = m->cfg.cert_warn_days;
    p.rules = &m->cfg.rules;    /* m->cfg changes only between cycles */
    if ((m->checker = lh_checker_new(m->http, &m->cfg, err,
            sizeof(err))) == NULL ||
        (m->sched = lh_scheduler_start(m->checker, m->retry ?
            &m->retry_links : &m->links, &p, link_cb, scheduler_done_cb, m,
            err, sizeof(err))) == NULL) {
        log_err("cycle %llu: %s", m->cycle_no, err);
        /* No check could be made: the monitor's failure, not the links'. */
        cycle_judged(m, true, LH_FAIL_LOCAL, err, 0, 0);
        cycle_end(m);
    }
}

static void
seed_links(struct lh_monitor *m)
{
    for (size_t i = 0; i < m->seed.n; i++) {
        struct lh_link *old = m->seed.v[i];
        struct lh_link *l = lh_links_find(&m->links, old->url);

        if (l != NULL && lh_state_seed(l, old) == -1)
            log_warnx("out of memory while resuming %s", old->url);
        /* A warning from a run with another cert_warn_days is not ours. */
        if (l != NULL && m->cfg.cert_warn_days == 0)
            l->cert_warning = false;
    }
    lh_links_cleanup(&m->seed);
    lh_links_init(&m->seed);
}

/*
 * A parse of the directory's bytes, on libuv's work queue: libxml2 may
 * take a while over a large or hostile page, and the loop must go on
 * answering signals meanwhile.  The worker touches the job only: its
 * bytes (owned), options borrowed from m->cfg (which changes only
 * between cycles, and the monitor outlives the job, counted among its
 * open handles) and the cancel flag, which a stop or a reload sets.
 * What it made is merged on the loop, in parse_done.
 */
struct parse_job {
    uv_work_t req;
    struct lh_monitor *m;           /* not for the worker */
    const char *source;             /* m->cfg.directory */
    char *buf;
    size_t len;
    unsigned long long hash;
    char *etag, *last_modified;     /* of the answer: kept if it parses */
    struct lh_dir_options opt;
    unsigned shard_index, shard_count;
    atomic_int cancel;
    int rc;
    size_t entries;                 /* before the shard filter */
    double took_ms;
    struct lh_directory dir;
    char err[1024];
};

static void
job_free(struct parse_job *j)
{
    lh_directory_cleanup(&j->dir);
    free(j->buf);
    free(j->etag);
    free(j->last_modified);
    free(j);
}

/* On a worker thread. */
static void
parse_work(uv_work_t *req)
{
    struct parse_job *j = req->data;
    uint64_t t0 = uv_hrtime();

    j->rc = lh_directory_parse_opts(j->buf, j->len, j->source, &j->opt,
        &j->dir, j->err, sizeof(j->err));
    if (j->rc == 0)
        j->entries = lh_shard_filter(&j->dir, j->shard_index,
            j->shard_count);
    j->took_ms = (double)(uv_hrtime() - t0) / 1e6;
    /* Parsed, the bytes are only their hash and length (kept in j): they
     * go before the merge, which is when memory peaks. */
    free(j->buf);
    j->buf = NULL;
}

/* Stop the parse in flight: before it starts, or soon after (the parser
 * looks at the flag every few hundred events). */
static void
parse_cancel(struct lh_monitor *m)
{
    if (m->parse == NULL)
        return;
    atomic_store(&m->parse->cancel, 1);
    (void)uv_cancel((uv_req_t *)&m->parse->req);
}

/* A load failed: keep the last good directory, say so once. */
static void
directory_failed(struct lh_monitor *m, const char *err)
{
    if (m->dir_error == NULL || strcmp(m->dir_error, err) != 0)
        log_err("%s%s", err, m->have_dir ?
            " (still watching the last good directory)" : "");
    lh_replace_string(&m->dir_error, err);
}

/* Keep the validators of the answer that brought the directory in use. */
static void
keep_validators(struct lh_monitor *m, char **etag, char **last_modified)
{
    free(m->etag);
    free(m->last_modified);
    m->etag = *etag;
    m->last_modified = *last_modified;
    *etag = *last_modified = NULL;
}

/* The parse of j ended: the new directory in use, or its error. */
static void
directory_parsed(struct lh_monitor *m, struct parse_job *j)
{
    struct lh_directory *fresh = &j->dir;

    lh_log(LOG_DEBUG, "%s: %zu bytes parsed in %.0f ms", m->cfg.directory,
        j->len, j->took_ms);
    if (j->rc == -1) {
        /* The same bytes would fail the same way: not parsed again. */
        lh_replace_string(&m->bad_error, j->err);
        m->bad_hash = j->hash;
        m->bad_len = j->len;
        directory_failed(m, j->err);
        return;
    }
    lh_replace_string(&m->bad_error, NULL);
    for (size_t i = 0; i < fresh->nwarnings; i++)
        log_warnx("%s", fresh->warnings[i]);
    if (m->mode != LH_MONITOR_LIST &&
        lh_links_sync_take(&m->links, fresh, added_cb, removed_cb, m) ==
        -1) {
        directory_failed(m, "out of memory while merging the directory");
        return;
    }
    m->dir_entries = j->entries;
    if (m->dir_error != NULL)
        log_notice("%s: loaded again (%zu organizations)", m->cfg.directory,
            fresh->n);
    else if (!m->have_dir && m->cfg.shard_count > 0)
        log_info("%s: %zu organizations (%s), %zu of them in shard %u/%u",
            m->cfg.directory, m->dir_entries,
            lh_directory_format_name(fresh->format), fresh->n,
            m->cfg.shard_index, m->cfg.shard_count);
    else if (!m->have_dir)
        log_info("%s: %zu organizations (%s)", m->cfg.directory, fresh->n,
            lh_directory_format_name(fresh->format));
    lh_replace_string(&m->dir_error, NULL);
    lh_directory_cleanup(&m->dir);
    m->dir = *fresh;
    memset(fresh, 0, sizeof(*fresh));
    m->dir_hash = j->hash;
    m->dir_len = j->len;
    keep_validators(m, &j->etag, &j->last_modified);
    if (!m->have_dir)
        seed_links(m);
    apply_rules(m);
    m->have_dir = true;
    m->dir_n = m->dir.n;
    if (m->mode == LH_MONITOR_LIST && m->hooks.listed != NULL)
        m->hooks.listed(&m->dir, &m->cfg, m->hooks.arg);
    /* Merged, the entries are in the links: a second copy of every
     * URL and name would only cost memory (the bytes' hash and length
     * are what tell an unchanged directory). */
    if (m->mode != LH_MONITOR_LIST)
        lh_directory_drop_entries(&m->dir);
}

/* Back on the loop after parse_work, or after a cancel before it ran. */
static void
parse_done(uv_work_t *req, int status)
{
    struct parse_job *j = req->data;
    struct lh_monitor *m = j->m;
    bool cancelled = status != 0 || atomic_load(&j->cancel);

    m->parse = NULL;
    m->open_handles--;
    if (!cancelled) {
        directory_parsed(m, j);
        job_free(j);
        checks_begin(m);
        return;
    }
    job_free(j);
    lh_log(LOG_DEBUG, "%s: parse cancelled", m->cfg.directory);
    if (m->stopping)
        maybe_stopped(m);
    else
        cycle_end(m);   /* a reload: its cycle begins at once */
}

/*
 * Bytes of the directory arrived (buf and the validators taken over).
 * Returns true when a parse began, whose end begins the checks; false
 * when there was nothing to parse: the bytes are those in use, or those
 * that failed last time, with the same settings (use_config forgets
 * them on a change).
 */
static bool
directory_bytes(struct lh_monitor *m, char *buf, size_t len, char *etag,
    char *last_modified)
{
    struct parse_job *j;
    unsigned long long hash = lh_hash_bytes(buf, len);
    int rc;

    if (m->have_dir && hash == m->dir_hash && len == m->dir_len) {
        lh_log(LOG_DEBUG, "%s: unchanged, not parsed again",
            m->cfg.directory);
        if (m->dir_error != NULL)
            log_notice("%s: loaded again (%zu organizations)",
                m->cfg.directory, m->dir_n);
        lh_replace_string(&m->dir_error, NULL);
        keep_validators(m, &etag, &last_modified);
        free(buf);
        return false;
    }
    if (m->bad_error != NULL && hash == m->bad_hash && len == m->bad_len) {
        lh_log(LOG_DEBUG, "%s: unchanged since its parse failed, not "
            "parsed again", m->cfg.directory);
        directory_failed(m, m->bad_error);
        free(buf);
        free(etag);
        free(last_modified);
        return false;
    }
    if ((j = calloc(1, sizeof(*j))) == NULL) {
        free(buf);
        free(etag);
        free(last_modified);
        directory_failed(m, "out of memory for the directory's parse");
        return false;
    }
    j->req.data = j;
    j->m = m;
    j->source = m->cfg.directory;
    j->buf = buf;
    j->len = len;
    j->hash = hash;
    j->etag = etag;
    j->last_modified = last_modified;
    j->opt.format = m->cfg.directory_format;
    j->opt.site = lh_url_is_http(m->cfg.directory) ? m->cfg.directory :
        NULL;
    j->opt.own_site_links = m->cfg.directory_own_links;
    j->opt.entry_xpath = m->cfg.directory_xpath;
    j->opt.region_xpath = m->cfg.region_xpath;
    j->opt.timeout_ms = m->cfg.directory_parse_timeout_ms;
    j->opt.cancel = &j->cancel;
    j->shard_index = m->cfg.shard_index;
    j->shard_count = m->cfg.shard_count;
    atomic_init(&j->cancel, 0);
    if ((rc = uv_queue_work(m->loop, &j->req, parse_work, parse_done)) !=
        0) {
        char err[256];

        snprintf(err, sizeof(err), "%s: the parse cannot start: %s",
            m->cfg.directory, uv_strerror(rc));
        job_free(j);
        directory_failed(m, err);
        return false;
    }
    lh_log(LOG_DEBUG, "%s: parsing %zu bytes", m->cfg.directory, len);
    m->parse = j;
    m->open_handles++;
    return true;
}

static void
fetch_done_cb(struct lh_fetch_result *res, void *arg)
{
    struct lh_monitor *m = arg;

    m->fetch = NULL;
    if (res->status == 304) {
        lh_log(LOG_DEBUG, "%s: not modified", m->cfg.directory);
        lh_replace_string(&m->dir_error, NULL);     /* last good is current */
    } else if (res->status == 200) {
        /* The validators are kept only with a directory that parsed. */
        char *body = res->body, *etag = res->etag, *lm = res->last_modified;

        res->body = res->etag = res->last_modified = NULL;
        if (directory_bytes(m, body, res->len, etag, lm))
            return;
    } else {
        directory_failed(m, res->error);
    }
    checks_begin(m);
}

/* Returns true when a parse began (see directory_bytes). */
static bool
read_directory_file(struct lh_monitor *m)
{
    char *buf = NULL;
    size_t len = 0;
    char err[1024];

    if (lh_directory_read_file(m->cfg.directory, m->cfg.directory_max_bytes,
            &buf, &len, err, sizeof(err)) == -1) {
        directory_failed(m, err);
        return false;
    }
    return directory_bytes(m, buf, len, NULL, NULL);
}

/*
 * Checks in flight, within what the descriptor limit allows: a check may
 * hold a socket, and a name lookup a socket pair, so each gets 3, after
 * what is open already, a socket per webhook and a reserve.  The
 * connections the engine keeps alive from earlier cycles are not counted
 * as open: curl reuses them, or closes them to make room (its cap).
 * Running out of descriptors would make our own limit look like dead
 * links.
 */
static unsigned
fd_budget(struct lh_monitor *m)
{
    struct rlimit rl;
    unsigned long long used;
    unsigned open_fds = 0, kept, budget;
    DIR *d;

    if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
        return m->cfg.concurrency;
    if ((d = opendir("/proc/self/fd")) != NULL) {
        while (readdir(d) != NULL)
            open_fds++;
        closedir(d);
    } else {
        open_fds = 16;
    }
    kept = lh_http_sockets(m->http);
    used = (unsigned long long)(open_fds > kept ? open_fds - kept : 0) +
        16 + (m->webhooks != NULL ? m->cfg.nwebhooks : 0);
    budget = rl.rlim_cur > used ? (unsigned)((rl.rlim_cur - used) / 3) : 0;
    if (budget < 1)
        budget = 1;
    if (budget >= m->cfg.concurrency)
        return m->cfg.concurrency;
    if (m->fd_clamp_logged != budget) {
        log_notice("descriptor limit %llu: %u checks at once instead of %u",
            (unsigned long long)rl.rlim_cur, budget, m->cfg.concurrency);
        m->fd_clamp_logged = budget;
    }
    return budget;
}

static void
cycle_begin(struct lh_monitor *m)
{
    char err[1024];

    if (m->busy || m->stopping)
        return;
    m->busy = true;
    m->inconclusive = false;
    m->inconclusive_news = m->conclusive_again = false;
    lh_notice_free(m->notice);
    /* Only the daemon notifies (--once reports on stdout), and only when
     * someone listens. */
    m->notice = m->mode == LH_MONITOR_DAEMON && (m->cfg.nwebhooks > 0 ||
        m->cfg.on_change != NULL) ? lh_notice_new() : NULL;
    m->cycle_no++;
    m->cycle_started = (long long)time(NULL);
    m->cycle_started_ms = loop_ms(m);
    m->concurrency = fd_budget(m);
    if (m->retry && retry_links(m) == -1)
        m->retry = false;
    if (!m->retry) {
        m->full_started_ms = m->cycle_started_ms;
        m->full_wait_ms = (double)m->cfg.interval_ms;
        if (m->cfg.jitter_ms > 0)
            m->full_wait_ms += (double)(random() %
                ((long)m->cfg.jitter_ms + 1));
    }
    engine_limits(m);
    if (m->retry) {
        /* A few links checked again: the directory waits for the next
         * full cycle. */
        checks_begin(m);
        return;
    }
    if (lh_url_is_http(m->cfg.directory)) {
        /* Validators only make sense for the directory they came from. */
        m->fetch = lh_fetch_start(m->http, m->cfg.directory,
            m->have_dir ? m->etag : NULL,
            m->have_dir ? m->last_modified : NULL, &m->cfg, fetch_done_cb,
            m, err, sizeof(err));
        if (m->fetch == NULL) {
            directory_failed(m, err);
            checks_begin(m);
        }
        return;
    }
    if (!read_directory_file(m))
        checks_begin(m);
}

static void
timer_cb(uv_timer_t *timer)
{
    cycle_begin(timer->data);
}

/* --- start, reload, stop ---------------------------------------------- */

struct lh_monitor *
lh_monitor_start(struct uv_loop_s *loop, struct lh_config *cfg,
    enum lh_monitor_mode mode, const struct lh_monitor_hooks *hooks,
    char *err, size_t errlen)
{
    struct lh_monitor *m;
    int rc;

    if ((m = calloc(1, sizeof(*m))) == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->loop = loop;
    m->mode = mode;
    m->hooks = *hooks;
    lh_links_init(&m->links);
    lh_links_init(&m->seed);
    /* Bounds for the first cycle; each cycle sets its own. */
    if ((m->http = lh_http_new(loop, 0, (long)cfg->concurrency +
            (long)cfg->nwebhooks, err, errlen)) == NULL) {
        free(m);
        return NULL;
    }
    if ((rc = uv_timer_init(loop, &m->timer)) != 0) {
        snprintf(err, errlen, "uv_timer_init: %s", uv_strerror(rc));
        lh_http_close(m->http, NULL, NULL);     /* frees itself */
        free(m);
        return NULL;
    }
    m->timer.data = m;
    m->open_handles = 2;    /* the timer and the engine */
    m->cfg = *cfg;
    memset(cfg, 0, sizeof(*cfg));
    srandom((unsigned)time(NULL) ^ (unsigned)getpid());
    if (mode == LH_MONITOR_DAEMON) {
        load_seed(m);
        if ((m->webhooks = lh_webhooks_new(loop, m->http,
                &m->cfg)) == NULL ||
            (m->hook = lh_hook_new(loop)) == NULL)
            log_warnx("out of memory: no webhook or on_change");
        if (m->webhooks != NULL)
            m->open_handles++;
        if (m->hook != NULL) {
            m->open_handles++;
            lh_hook_configure(m->hook, m->cfg.on_change,
                m->cfg.on_change_timeout_ms);
        }
    }
    uv_timer_start(&m->timer, timer_cb, 0, 0);
    return m;
}

void
lh_monitor_reload(struct lh_monitor *m, struct lh_config *cfg)
{
    if (m->have_next_cfg)
        lh_config_cleanup(&m->next_cfg);
    m->next_cfg = *cfg;
    memset(cfg, 0, sizeof(*cfg));
    m->have_next_cfg = true;
    if (m->busy) {
        m->again = true;
        parse_cancel(m);    /* parsed again under the new settings */
        return;
    }
    use_config(m, &m->next_cfg);
    m->have_next_cfg = false;
    m->retry = false;
    uv_timer_start(&m->timer, timer_cb, 0, 0);
}

bool
lh_monitor_cycle_now(struct lh_monitor *m)
{
    if (m->busy || m->stopping)
        return false;
    m->retry = false;       /* everything, directory included */
    uv_timer_start(&m->timer, timer_cb, 0, 0);
    return true;
}

static void
monitor_free(struct lh_monitor *m)
{
    free(m->retry_links.v);         /* borrowed links: not freed here */
    lh_links_cleanup(&m->links);
    lh_links_cleanup(&m->seed);
    lh_directory_cleanup(&m->dir);
    lh_config_cleanup(&m->cfg);
    if (m->have_next_cfg)
        lh_config_cleanup(&m->next_cfg);
    free(m->dir_error);
    free(m->bad_error);
    free(m->etag);
    free(m->last_modified);
    free(m->status_error);
    free(m->metrics_error);
    free(m->inconclusive_reason);
    lh_notice_free(m->notice);
    free(m);
}

static void
maybe_stopped(struct lh_monitor *m)
{
    void (*stopped)(int, void *);
    void *arg;
    int code;

    if (!m->stopping || m->open_handles > 0)
        return;
    stopped = m->hooks.stopped;
    arg = m->hooks.arg;
    code = m->exit_code;
    monitor_free(m);
    if (stopped != NULL)
        stopped(code, arg);
}

static void
notifier_closed_cb(void *arg)
{
    struct lh_monitor *m = arg;

    m->open_handles--;
    maybe_stopped(m);
}

static void
timer_closed_cb(uv_handle_t *handle)
{
    struct lh_monitor *m = handle->data;

    m->open_handles--;
    maybe_stopped(m);
}

void
lh_monitor_stop(struct lh_monitor *m)
{
    bool interrupted = m->busy;

    if (m->stopping)
        return;
    m->stopping = true;
    if (m->fetch != NULL) {
        lh_fetch_cancel(m->fetch);
        m->fetch = NULL;
    }
    if (m->sched != NULL) {
        lh_scheduler_cancel(m->sched);
        m->sched = NULL;
    }
    parse_cancel(m);        /* freed in parse_done */
    checker_end(m);
    /* What was checked before the stop is kept. */
    if (interrupted && m->have_dir && m->mode != LH_MONITOR_LIST) {
        m->busy = false;
        m->partial = true;
        m->last_cycle_ms = loop_ms(m) - m->cycle_started_ms;
        write_status(m);
    }
    /* --once promised a verdict on every link; 0 would say all are good. */
    if (interrupted && m->mode == LH_MONITOR_ONCE && m->exit_code == 0)
        m->exit_code = 1;
    if (m->webhooks != NULL) {
        lh_webhooks_close(m->webhooks, notifier_closed_cb, m);
        m->webhooks = NULL;
    }
    if (m->hook != NULL) {
        lh_hook_close(m->hook, notifier_closed_cb, m);
        m->hook = NULL;
    }
    /* Last: the webhooks' POSTs were on it.  It cancels what is left and
     * closes its connections. */
    lh_http_close(m->http, http_closed_cb, m);
    m->http = NULL;
    uv_timer_stop(&m->timer);
    uv_close((uv_handle_t *)&m->timer, timer_closed_cb);
}
