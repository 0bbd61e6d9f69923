/*
 * metrics: the links and the last cycle as a Prometheus text file (format
 * 0.0.4) for node_exporter's textfile collector.  Knows nothing of the
 * check engine; the metrics are listed in doc/prometheus.md.
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
 * Written with lh_status_write(path, lh_metrics_print, …): the temporary
 * file beside it is named path.XXXXXX, which the textfile collector
 * ignores as it reads only *.prom.
 */

#endif
