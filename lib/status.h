/*
 * status: the JSON status document (schema version LH_STATUS_VERSION,
 * described in the README), written atomically: a temporary file in the
 * same folder, fsync, rename, fsync of the folder.  Knows nothing of the
 * check engine.
 */
#ifndef LH_STATUS_H
#define LH_STATUS_H

#include <stdio.h>

#include "state.h"

#define LH_STATUS_VERSION 2

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
};

/* Write the document to f.  Returns 0, or -1 when a write failed. */
int lh_status_print(FILE *f, const struct lh_status_info *info,
    const struct lh_links *links);

/*
 * Replace path atomically with the document.  On failure returns -1, the
 * previous file is untouched, no temporary file is left behind, and err
 * names the file and the failing step.
 */
int lh_status_write(const char *path, const struct lh_status_info *info,
    const struct lh_links *links, char *err, size_t errlen);

/*
 * Read a previous status document into *seed (initialized here): one link
 * per entry with its url, name, region, reported state, since, history,
 * counters and last verdict, for lh_state_seed.  A missing file is not an
 * error (empty table).  Returns -1 with err for a file that cannot be read
 * or is not a linkhealthd status document of a version we know.
 */
int lh_status_load(const char *path, size_t max_bytes, struct lh_links *seed,
    char *err, size_t errlen);

/*
 * As lh_status_load, for the len bytes at buf (not NUL-terminated) that
 * lh_status_load read from a file; name stands for the file in messages.
 * Returns 0 with *seed filled (initialized here; the caller cleans it up
 * with lh_links_cleanup), or -1 with err and *seed empty.
 */
int lh_status_parse(const char *buf, size_t len, const char *name,
    struct lh_links *seed, char *err, size_t errlen);

/*
 * For a report of an existing file (--show): as lh_status_load, but a
 * missing file is an error too, each link also carries what its last
 * check saw (http_status, response time, certificate expiry) in its
 * result, and *duration_ms is the cycle's duration.
 */
int lh_status_read(const char *path, size_t max_bytes, struct lh_links *links,
    double *duration_ms, char *err, size_t errlen);

/* Format Unix time t as RFC 3339 UTC ("2026-11-23T09:18:32Z"). */
void lh_rfc3339(long long t, char *buf, size_t len);
/* Parse what lh_rfc3339 writes; 0, or -1 when s is not such a time. */
int lh_rfc3339_parse(const char *s, long long *out);

#endif
