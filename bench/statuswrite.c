/*
 * lhb-statuswrite: time what the end of one cycle writes for N links: the
 * status file (lh_status_write: print, fsync, rename, fsync of the folder)
 * and the text report --once prints (lh_report_text, to a file).
 * Usage: lhb-statuswrite STATUS_FILE REPORT_FILE [N]   (N: 100000)
 *
 * The links are made up but shaped like a real cycle's: names, regions
 * and descriptions of directory length, every check classified by
 * lh_classify and recorded by lh_state_record over eight cycles (so
 * history, reasons and new URLs are the real ones), 88% ok, the rest
 * moved (one or two redirects), stale, blocked, error and unreachable.
 * Building them is not timed.  Prints one line on stdout:
 * "links status_ns report_ns status_bytes report_bytes".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <uv.h>

#include "classify.h"
#include "report.h"
#include "state.h"
#include "status.h"

#define CYCLES 8
#define NOW 1795000000LL            /* a fixed Unix time: same bytes */

static const char *const words[] = {
    "lesson", "study", "teachers", "research", "network", "school",
    "mathematics", "practice", "learning", "community", "university",
    "education", "classroom", "collaborative", "inquiry", "professional",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static char *
format(const char *fmt, size_t i)
{
    char buf[512];

    snprintf(buf, sizeof(buf), fmt, i, words[i % NWORDS],
        words[(i / 7) % NWORDS]);
    return strdup(buf);
}

/* About 250 bytes, as the descriptions in conf/directory.json. */
static char *
description(size_t i)
{
    char buf[512];
    size_t o = 0;

    for (size_t k = 0; o < 240; k++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
            k ? " " : "The ", words[(i * 31 + k * 7) % NWORDS]);
    snprintf(buf + o, sizeof(buf) - o, ".");
    return strdup(buf);
}

/* What a check of link i found; the mix is fixed by i % 100. */
static int
fill_result(struct lh_result *r, const char *url, size_t i)
{
    unsigned kind = (unsigned)(i % 100);
    char to[256], to2[256];

    r->url = strdup(url);
    r->method = LH_METHOD_HEAD;
    r->attempts = 1;
    r->checked_at = NOW - 60 + (long long)(i % 60);
    r->timings.dns_ms = 0.1 + (double)(i % 40);
    r->timings.connect_ms = r->timings.dns_ms + 12.3;
    r->timings.tls_ms = r->timings.connect_ms + 25.1;
    r->timings.first_byte_ms = r->timings.tls_ms + (double)(i % 300);
    r->timings.total_ms = r->timings.first_byte_ms + 1.7;
    r->cert_expiry = NOW + 86400LL * (long long)(10 + i % 80);
    snprintf(to, sizeof(to), "https://www.org%06zu.example.org/en/%s/", i,
        words[i % NWORDS]);
    snprintf(to2, sizeof(to2), "https://www.org%06zu.example.org/en/%s/"
        "index.html", i, words[i % NWORDS]);
    if (kind < 88) {                                /* ok */
        r->http_status = 200;
        r->final_url = strdup(url);
    } else if (kind < 94) {                         /* moved */
        if (lh_result_add_hop(r, url, 301, to) == -1)
            return -1;
        if (kind % 2 == 0 && lh_result_add_hop(r, to, 302, to2) == -1)
            return -1;
        r->http_status = 200;
        r->final_url = strdup(kind % 2 == 0 ? to2 : to);
        r->attempts = 1 + (int)r->nhops;
    } else if (kind < 96) {                         /* stale */
        r->http_status = 404;
        r->method = LH_METHOD_GET;
        r->head_status = 404;
        r->final_url = strdup(url);
        r->attempts = 2;
    } else if (kind < 97) {                         /* blocked */
        r->http_status = 403;
        r->challenge = true;
        r->final_url = strdup(url);
    } else if (kind < 98) {                         /* error */
        r->http_status = 500;
        r->final_url = strdup(url);
    } else if (kind < 99) {                         /* unreachable: DNS */
        r->fail = LH_FAIL_DNS;
        r->error = format("Could not resolve host: org%06zu.example.org",
            i);
        r->timings.connect_ms = r->timings.tls_ms = -1;
        r->timings.first_byte_ms = -1;
        r->cert_expiry = 0;
    } else {                                        /* unreachable: slow */
        r->fail = LH_FAIL_TIMEOUT_FIRST_BYTE;
        r->final_url = strdup(url);
        r->error = strdup("Operation timed out after 20001 milliseconds "
            "with 0 bytes received");
        r->timings.first_byte_ms = -1;
        r->timings.total_ms = 20001.0;
    }
    return 0;
}

static struct lh_link *
make_link(size_t i)
{
    struct lh_transition t;
    struct lh_verdict v;
    char *url = NULL, *name = NULL, *region = NULL, *desc = NULL;
    struct lh_result r;
    struct lh_link *l;

    if ((l = calloc(1, sizeof(*l))) == NULL)
        return NULL;
    lh_last_init(&l->last);
    lh_result_init(&r);
    url = format(i % 5 ? "https://org%06zu.example.org/%s/%s" :
        "http://org%06zu.example.org/%s/%s.html", i);
    name = format("%zu %s & %s Association", i);
    region = format("Region %zu: %s", i / 500);
    desc = description(i);
    l->line = (unsigned)(100 + 3 * i);
    if (url == NULL || name == NULL || region == NULL || desc == NULL ||
        lh_link_set_text(l, &(struct lh_link_text){ .url = url,
            .name = name, .region = region, .description = desc }) == -1 ||
        fill_result(&r, l->url, i) == -1)
        goto fail;
    free(url);
    free(name);
    free(region);
    free(desc);
    url = name = region = desc = NULL;
    /* As the scheduler does: classified, then kept as the link's last
     * check. */
    lh_classify(&r, &v);
    if (lh_last_take(&l->last, &r) == -1)
        goto fail;
    lh_result_cleanup(&r);
    for (int c = 0; c < CYCLES; c++)
        lh_state_record(l, &v, NOW - 900LL * (CYCLES - 1 - c), 2, 1, &t);
    if (l->reason == NULL)
        goto fail;
    return l;
fail:
    free(url);
    free(name);
    free(region);
    free(desc);
    lh_result_cleanup(&r);
    lh_link_free(l);
    return NULL;
}

static long long
file_size(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

int
main(int argc, char **argv)
{
    static char *const warnings[] = {
        "directory.json:214: skipped \"Foo\": URL \"ftp://x\" is not http "
        "or https",
    };
    struct lh_status_info info;
    struct lh_links links;
    long long t0, t1, t2;
    char err[1024], *end;
    size_t n = 100000;
    FILE *f;
    int rc = 1;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: lhb-statuswrite STATUS_FILE REPORT_FILE "
            "[N]\n");
        return 2;
    }
    if (argc == 4 && ((n = strtoul(argv[3], &end, 10)) == 0 || *end != '\0'
        || n > 10000000)) {
        fprintf(stderr, "lhb-statuswrite: N must be 1 to 10000000\n");
        return 2;
    }
    lh_links_init(&links);
    for (size_t i = 0; i < n; i++) {
        struct lh_link *l = make_link(i);

        if (l == NULL || lh_links_append(&links, l) == -1) {
            lh_link_free(l);
            fprintf(stderr, "lhb-statuswrite: out of memory\n");
            goto out;
        }
    }
    memset(&info, 0, sizeof(info));
    info.source = "/etc/linkhealthd/directory.json";
    info.format = "wordpress";
    info.entries = n;
    info.warnings = warnings;
    info.nwarnings = 1;
    info.cycle = 42;
    info.started_at = NOW - 61;
    info.duration_ms = 60512.3;
    info.generated_at = NOW;

    t0 = (long long)uv_hrtime();
    if (lh_status_write(argv[1], lh_status_print, &info, &links, err,
            sizeof(err)) == -1) {
        fprintf(stderr, "lhb-statuswrite: %s\n", err);
        goto out;
    }
    t1 = (long long)uv_hrtime();
    /* As --once prints it (without colour) into a file. */
    if ((f = fopen(argv[2], "w")) == NULL) {
        perror(argv[2]);
        goto out;
    }
    rc = lh_report_text(f, &links, false, info.duration_ms);
    if (fclose(f) != 0 || rc == -1) {
        rc = 1;
        fprintf(stderr, "lhb-statuswrite: %s: write failed\n", argv[2]);
        goto out;
    }
    t2 = (long long)uv_hrtime();
    printf("%zu %lld %lld %lld %lld\n", n, t1 - t0, t2 - t1,
        file_size(argv[1]), file_size(argv[2]));
    rc = fflush(stdout) == 0 ? 0 : 1;
out:
    lh_links_cleanup(&links);
    return rc;
}
