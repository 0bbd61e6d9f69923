/*
 * metrics: a streaming writer of the Prometheus text format (one pass over
 * the links per metric family, constant memory besides one label buffer).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "util.h"

/*
 * The shard is a label on every series, not a linkhealthd_shard_info
 * metric: the N instances of a sharded directory may share one host (one
 * node_exporter, one textfile directory) or reach one Prometheus through
 * federation with honor_labels, and without the label their per-instance
 * series (linkhealthd_links, the cycle and directory ones) would be the
 * same series: node_exporter drops duplicates with an error, federation
 * overwrites one shard with another.  With it they stay apart, `sum
 * without (shard)` adds the shards up, no query needs a join on an info
 * metric, and the shard of a failing link is on its alert.  An instance
 * that is not sharded has no shard label at all.
 */

/* The label pairs of one link, escaped, without braces: built once per
 * link and family, then written beside every sample of that family. */
struct labels {
    char *p;
    size_t len, cap;
};

struct out {
    FILE *f;
    char shard[48];     /* shard="K/N", or "" */
    struct labels lb;
};

/* Room for more bytes in lb.  -1 when out of memory (errno ENOMEM). */
static int
labels_reserve(struct labels *lb, size_t more)
{
    size_t cap = lb->cap ? lb->cap : 256;
    char *p;

    if (lb->p != NULL && more <= lb->cap - lb->len)
        return 0;
    if (more > SIZE_MAX / 4 || lb->len > SIZE_MAX / 4 - more) {
        errno = ENOMEM;
        return -1;
    }
    while (cap < lb->len + more)
        cap *= 2;
    if ((p = realloc(lb->p, cap)) == NULL)
        return -1;
    lb->p = p;
    lb->cap = cap;
    return 0;
}

/*
 * Append key="value" (after a comma unless first).  The value is first
 * made safe by the one sanitizer (lh_text_escape: no control, override or
 * invalid byte, so it is one line of UTF-8), then the exposition format's
 * own escapes apply: backslash, double quote and newline (the sanitizer
 * leaves none of the last, the format asks for it all the same).  So a
 * name with an escape in it reads "Foo\\x1b" in the file and "Foo\x1b"
 * once Prometheus has read it, as in the log.  -1 when out of memory.
 */
static int
labels_add(struct labels *lb, const char *key, const char *value)
{
    char *safe = lh_text_escape_dup(value);
    const char *s = safe;
    size_t klen = strlen(key), vlen;
    char *o;

    if (safe == NULL)
        return -1;
    vlen = strlen(safe);
    if (labels_reserve(lb, klen + 2 * vlen + 4) == -1) {
        free(safe);
        return -1;
    }
    o = lb->p + lb->len;
    if (lb->len > 0)
        *o++ = ',';
    memcpy(o, key, klen);
    o += klen;
    *o++ = '=';
    *o++ = '"';
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '\\': *o++ = '\\'; *o++ = '\\'; break;
        case '"': *o++ = '\\'; *o++ = '"'; break;
        case '\n': *o++ = '\\'; *o++ = 'n'; break;
        default: *o++ = *s; break;
        }
    }
    *o++ = '"';
    lb->len = (size_t)(o - lb->p);
    free(safe);
    return 0;
}

/* The identity labels of a link (and the shard) into o->lb. */
static int
link_labels(struct out *o, const struct lh_link *l)
{
    o->lb.len = 0;
    if (labels_add(&o->lb, "region", lh_link_region(l)) == -1 ||
        labels_add(&o->lb, "name", lh_link_name(l)) == -1 ||
        labels_add(&o->lb, "url", l->url) == -1)
        return -1;
    if (o->shard[0] != '\0') {
        if (labels_reserve(&o->lb, strlen(o->shard) + 1) == -1)
            return -1;
        o->lb.p[o->lb.len++] = ',';
        memcpy(o->lb.p + o->lb.len, o->shard, strlen(o->shard));
        o->lb.len += strlen(o->shard);
    }
    return 0;
}

static void
family(struct out *o, const char *name, const char *type, const char *help)
{
    fprintf(o->f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * One sample: name{labels,key="val"} value.  labels is o->lb for a link's
 * series, or just the shard for the instance's own; key is a label of
 * ours whose value (a state or phase name) needs no escaping.
 */
static void
sample(struct out *o, const char *name, const char *labels, size_t len,
    const char *key, const char *val, const char *value)
{
    FILE *f = o->f;

    fputs_unlocked(name, f);
    if (len > 0 || key != NULL) {
        fputc_unlocked('{', f);
        fwrite_unlocked(labels, 1, len, f);
        if (key != NULL)
            fprintf(f, "%s%s=\"%s\"", len > 0 ? "," : "", key, val);
        fputc_unlocked('}', f);
    }
    fputc_unlocked(' ', f);
    fputs_unlocked(value, f);
    fputc_unlocked('\n', f);
}

static void
own_sample(struct out *o, const char *name, const char *key, const char *val,
    const char *value)
{
    sample(o, name, o->shard, strlen(o->shard), key, val, value);
}

/* States in the order of the status file's summary: ok first. */
static enum lh_state
nth_state(int i)
{
    return (enum lh_state)((i + 1) % LH_STATE_COUNT);
}

/* What one family says of one link. */
typedef int (*link_fn)(struct out *, const struct lh_link *);

static int
link_sample(struct out *o, const char *name, const char *key,
    const char *val, const char *value)
{
    sample(o, name, o->lb.p, o->lb.len, key, val, value);
    return 0;
}

static int
link_up(struct out *o, const struct lh_link *l)
{
    if (link_labels(o, l) == -1)
        return -1;
    return link_sample(o, "linkhealthd_link_up", NULL, NULL,
        l->state == LH_STATE_OK || l->state == LH_STATE_MOVED ? "1" : "0");
}

static int
link_state(struct out *o, const struct lh_link *l)
{
    if (link_labels(o, l) == -1)
        return -1;
    for (int i = 0; i < LH_STATE_COUNT; i++)
        link_sample(o, "linkhealthd_link_state", "state",
            lh_state_name(nth_state(i)), l->state == nth_state(i) ? "1" : "0");
    return 0;
}

/* A link resumed from a previous run has no check of its own yet: its
 * result is not reported, only its state and since. */
static int
link_http_status(struct out *o, const struct lh_link *l)
{
    char v[16];

    if (!l->checked || l->last.http_status <= 0)
        return 0;
    if (link_labels(o, l) == -1)
        return -1;
    snprintf(v, sizeof(v), "%d", l->last.http_status);
    return link_sample(o, "linkhealthd_link_http_status", NULL, NULL, v);
}

static int
link_duration(struct out *o, const struct lh_link *l)
{
    const struct lh_timings *t = &l->last.timings;
    const struct {
        const char *phase;
        double ms;
    } phases[] = {
        { "dns", t->dns_ms },
        { "connect", t->connect_ms },
        { "tls", t->tls_ms },
        { "first_byte", t->first_byte_ms },
        { "total", t->total_ms },
    };
    bool labelled = false;
    char v[48];

    if (!l->checked)
        return 0;
    for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
        /* Negative is unknown; the comparison also drops a NaN. */
        if (!(phases[i].ms >= 0))
            continue;
        if (!labelled && link_labels(o, l) == -1)
            return -1;
        labelled = true;
        snprintf(v, sizeof(v), "%.6f", phases[i].ms / 1000.0);
        link_sample(o, "linkhealthd_link_duration_seconds", "phase",
            phases[i].phase, v);
    }
    return 0;
}

static int
link_cert_expiry(struct out *o, const struct lh_link *l)
{
    char v[32];

    if (!l->checked || l->last.cert_expiry <= 0)
        return 0;
    if (link_labels(o, l) == -1)
        return -1;
    snprintf(v, sizeof(v), "%lld", l->last.cert_expiry);
    return link_sample(o, "linkhealthd_link_cert_expiry_timestamp_seconds",
        NULL, NULL, v);
}

static int
link_since(struct out *o, const struct lh_link *l)
{
    char v[32];

    if (l->since <= 0)
        return 0;
    if (link_labels(o, l) == -1)
        return -1;
    snprintf(v, sizeof(v), "%lld", l->since);
    return link_sample(o, "linkhealthd_link_state_since_timestamp_seconds",
        NULL, NULL, v);
}

static const struct {
    const char *name;
    const char *help;
    link_fn fn;
} link_families[] = {
    { "linkhealthd_link_up",
        "1 when the link answers as listed or with a permanent redirect "
        "(reported state ok or moved), 0 otherwise (stale, blocked, error, "
        "unreachable, or unknown: not judged yet).", link_up },
    { "linkhealthd_link_state",
        "The link's reported state, after hysteresis: 1 for the state it "
        "is in, 0 for the others.", link_state },
    { "linkhealthd_link_http_status",
        "HTTP status of the final answer of the link's last check; absent "
        "when that check got no HTTP answer.", link_http_status },
    { "linkhealthd_link_duration_seconds",
        "Timings of the link's last check. dns, connect, tls and first_byte "
        "are curl's cumulative times, from the start of the deciding request "
        "to the end of that phase; total is the whole check, every redirect, "
        "fallback and retry included. A phase not reached is absent.",
        link_duration },
    { "linkhealthd_link_cert_expiry_timestamp_seconds",
        "Unix time the leaf certificate seen by the link's last check "
        "expires; absent when that check saw none.", link_cert_expiry },
    { "linkhealthd_link_state_since_timestamp_seconds",
        "Unix time the link's reported state began.", link_since },
};

int
lh_metrics_print(FILE *f, const struct lh_status_info *info,
    const struct lh_links *links)
{
    struct out o = { f, "", { NULL, 0, 0 } };
    size_t count[LH_STATE_COUNT];
    char v[48];
    int rc = -1;

    if (info->shard_count > 0)
        snprintf(o.shard, sizeof(o.shard), "shard=\"%u/%u\"",
            info->shard_index, info->shard_count);
    /* Unlocked stdio for the many small writes of a large table. */
    flockfile(f);
    for (size_t k = 0; k < sizeof(link_families) / sizeof(link_families[0]);
        k++) {
        family(&o, link_families[k].name, "gauge", link_families[k].help);
        for (size_t i = 0; i < links->n; i++)
            if (link_families[k].fn(&o, links->v[i]) == -1)
                goto out;
    }

    (void)lh_links_count(links, count);
    family(&o, "linkhealthd_links", "gauge", "Links in each reported state.");
    for (int i = 0; i < LH_STATE_COUNT; i++) {
        snprintf(v, sizeof(v), "%zu", count[nth_state(i)]);
        own_sample(&o, "linkhealthd_links", "state",
            lh_state_name(nth_state(i)), v);
    }

    /* Before a first cycle there is no cycle to describe. */
    family(&o, "linkhealthd_cycle_duration_seconds", "gauge",
        "Duration of the last check cycle.");
    if (info->cycle > 0 && info->duration_ms >= 0) {
        snprintf(v, sizeof(v), "%.3f", info->duration_ms / 1000.0);
        own_sample(&o, "linkhealthd_cycle_duration_seconds", NULL, NULL, v);
    }
    family(&o, "linkhealthd_last_cycle_timestamp_seconds", "gauge",
        "Unix time the last check cycle finished.");
    if (info->cycle > 0 && info->started_at > 0 && info->duration_ms >= 0) {
        snprintf(v, sizeof(v), "%lld", info->started_at +
            (long long)(info->duration_ms / 1000.0 + 0.5));
        own_sample(&o, "linkhealthd_last_cycle_timestamp_seconds", NULL,
            NULL, v);
    }
    family(&o, "linkhealthd_cycle_inconclusive", "gauge",
        "1 when the last cycle's checks were inconclusive (the monitor "
        "could not reach the network; no link changed state), else 0.");
    if (info->cycle > 0)
        own_sample(&o, "linkhealthd_cycle_inconclusive", NULL, NULL,
            info->inconclusive != NULL ? "1" : "0");

    family(&o, "linkhealthd_directory_entries", "gauge",
        "Entries in the last directory loaded successfully, the whole "
        "directory even when this instance checks one shard of it.");
    snprintf(v, sizeof(v), "%zu", info->entries);
    own_sample(&o, "linkhealthd_directory_entries", NULL, NULL, v);
    family(&o, "linkhealthd_directory_load_success", "gauge",
        "1 when the last load of the directory succeeded, 0 when it failed "
        "(the last good directory is still checked).");
    own_sample(&o, "linkhealthd_directory_load_success", NULL, NULL,
        info->directory_error == NULL ? "1" : "0");
    rc = 0;
out:
    funlockfile(f);
    free(o.lb.p);
    if (rc == 0 && ferror(f))
        rc = -1;
    return rc;
}
