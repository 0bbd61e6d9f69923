/*
 * htmlguard: limits on HTML that real pages never reach, where libxml2
 * 2.9's HTML parser takes time that grows with a square, and the checks
 * that find a page past them.  Shared by the directory reader
 * (dir_html.c), which refuses such a page naming the line, and the
 * content checks (page.c), which read the page only up to that point.
 */
#ifndef LH_HTMLGUARD_H
#define LH_HTMLGUARD_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/xmlerror.h>

/* Attributes of one tag: libxml2 compares each with those before it. */
#define LH_HTML_MAX_ATTRIBUTES 256
/* End tags that close no open element, or not the innermost, each
 * weighed by the elements open then (libxml2 compares it with every one):
 * a tenth of a second or so; a real page weighs some thousands. */
#define LH_HTML_MAX_MISPLACED_COST 100000000ull

/*
 * libxml2 2.9 compares each attribute of a start tag with every one
 * before it, inside one call that no callback interrupts: one tag of
 * 50,000 attributes holds it for seconds, a page of them for minutes.
 * This looks the bytes over for a tag with more than
 * LH_HTML_MAX_ATTRIBUTES, as far as a quick look tells tags: '<' and a
 * letter, then names (with = and a value, quoted or not) up to a '>';
 * comments and the content of scripts and styles are passed over.
 * Returns the offset of such a tag's '<', or len.
 */
size_t lh_html_crowded_tag(const char *s, size_t len);

/*
 * The misplaced-tag meter: fed each error libxml2 reports (its code) with
 * the number of elements open at the time (the context's nameNr).  True
 * once the weight passes LH_HTML_MAX_MISPLACED_COST: stop the parse.
 */
struct lh_html_meter {
    unsigned long misplaced;        /* end tags reported */
    unsigned long long cost;        /* open elements at each, summed */
};

bool lh_html_meter_add(struct lh_html_meter *m, int code, int open);

#endif
