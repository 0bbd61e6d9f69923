/*
 * metrics: the links and the last cycle as a Prometheus text file (format
 * 0.0.4) for node_exporter's textfile collector, written atomically.
 * Knows nothing of the check engine; the metrics are listed in the README.
 */
#ifndef LH_METRICS_H
#define LH_METRICS_H

#include <stddef.h>
#include <stdio.h>

#include "status.h"

/*
 * Write the metrics to f in the Prometheus text format 0.0.4: each family
 * once, HELP and TYPE first, then all of its samples; a sample whose value
 * is unknown is left out.  Label values are escaped and invalid UTF-8 is
 * replaced by U+FFFD.  When info->shard_count is not 0 every sample carries
 * shard="K/N".  Time and memory are linear in the number of links.
 * Returns 0, or -1 when a write failed (or memory ran out: errno ENOMEM).
 */
int lh_metrics_print(FILE *f, const struct lh_status_info *info,
    const struct lh_links *links);

/*
 * Replace path atomically with the metrics (lh_file_write_atomic: the
 * temporary file beside it is named path.XXXXXX, which the textfile
 * collector ignores as it reads only *.prom).  On failure returns -1, the
 * previous file is untouched, no temporary file is left behind, and err
 * names the file and the failing step.
 */
int lh_metrics_write(const char *path, const struct lh_status_info *info,
    const struct lh_links *links, char *err, size_t errlen);

#endif
