/*
 * status: the JSON status document (schema version LH_STATUS_VERSION,
 * described in doc/status.md beside doc/status.schema.json): printed,
 * written atomically through lh_file_write_atomic (file.c), and read back
 * for a restart or a report.  Knows nothing of the check engine.
 */
#ifndef LH_STATUS_H
#define LH_STATUS_H

#include <stdbool.h>
#include <stdio.h>

#include "state.h"

#define LH_STATUS_VERSION 6
/* The largest status file read back: 256 MiB, a million links and more. */
#define LH_STATUS_MAX_BYTES (256u * 1024 * 1024)

/* How a link's certificate warning begins, in its "warnings". */
#define LH_CERT_WARNING_EXPIRES "certificate expires in"
#define LH_CERT_WARNING_EXPIRED "certificate expired at"

struct lh_status_info {
    const char *source;         /* directory path or URL */
    const char *format;         /* directory format actually parsed */
    size_t entries;             /* entries in the directory */
    const char *directory_error;/* NULL, or the last load error */
    char *const *warnings;      /* directory warnings */
    size_t nwarnings;
    unsigned long long cycle;   /* cycle number, from 1 */
    long long started_at;       /* Unix time the cycle started */
    double duration_ms;
    long long generated_at;     /* Unix time of writing */
    unsigned shard_index;       /* this instance's shard, from 1 */
    unsigned shard_count;       /* 0: not sharded */
    unsigned fail_on;           /* the states that fail a run: bits
                                   LH_STATE_BIT(state), rules.h */
    const char *inconclusive;   /* NULL, or why the last cycle's checks
                                   were inconclusive */
    bool partial;               /* stopped before every check finished */
};

/* Write the document to f.  Returns 0, or -1 when a write failed. */
int lh_status_print(FILE *f, const struct lh_status_info *info,
    const struct lh_links *links);

/* What prints a document of the links: lh_status_print, or another
 * format of the same data (lh_metrics_print). */
typedef int (*lh_status_printer)(FILE *f, const struct lh_status_info *info,
    const struct lh_links *links);

/*
 * Replace path atomically with what print writes (lh_file_write_atomic).
 * On failure returns -1, the previous file is untouched, no temporary
 * file is left behind, and err names the file and the failing step.
 */
int lh_status_write(const char *path, lh_status_printer print,
    const struct lh_status_info *info, const struct lh_links *links,
    char *err, size_t errlen);

/*
 * Read a status document back, for a restart (lh_state_seed) and for a
 * report of the file (--show): one link per entry with its url, name,
 * region, description, reported state, since, history, counters, last
 * verdict, reason and new_url, and in its result what its last check saw
 * (http_status, response time, certificate expiry).  *duration_ms (when
 * not NULL) is the last cycle's duration.  Entries without a url or a
 * known state are skipped.
 *
 * lh_status_read reads path, at most max_bytes; with missing_ok a file
 * that does not exist is an empty table, not an error.  lh_status_parse
 * reads the len bytes at buf (not NUL-terminated); name stands for them
 * in messages.  Both return 0 with *links filled (initialized here; the
 * caller cleans it up with lh_links_cleanup), or -1 with err naming the
 * file and *links empty: a file that cannot be read, or that is not a
 * linkhealthd status document of a version we know.
 */
int lh_status_read(const char *path, size_t max_bytes, bool missing_ok,
    struct lh_links *links, double *duration_ms, char *err, size_t errlen);
int lh_status_parse(const char *buf, size_t len, const char *name,
    struct lh_links *links, double *duration_ms, char *err, size_t errlen);

/* Format Unix time t as RFC 3339 UTC ("2026-11-23T09:18:32Z"). */
void lh_rfc3339(long long t, char *buf, size_t len);
/* Parse what lh_rfc3339 writes; 0, or -1 when s is not such a time. */
int lh_rfc3339_parse(const char *s, long long *out);

#endif
