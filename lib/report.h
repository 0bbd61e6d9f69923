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

/*
 * Write a Markdown table of links to f, for pasting into an issue: the
 * links that need attention first (as in the text report), each with the
 * fix an editor can make (the new URL for a moved one).  Returns 0, or -1
 * when writing failed.
 */
int lh_report_markdown(FILE *f, const struct lh_links *links,
    double duration_ms);

/* What an editor should do about a link in its reported state: a
 * sentence, "" for a good one, or NULL for a moved one (the fix is its
 * new_url).  Static text. */
const char *lh_report_fix(const struct lh_link *l);

#endif
