/*
 * report: the report a person reads after a check (--once): bad links
 * first, grouped by state, then a one-line summary.
 */
#ifndef LH_REPORT_H
#define LH_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "state.h"

/* Write the text report of links to f; colour uses ANSI escapes.
 * Returns 0, or -1 when writing failed. */
int lh_report_text(FILE *f, const struct lh_links *links, bool colour,
    double duration_ms);

#endif
