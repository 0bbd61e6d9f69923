/*
 * page: what a link's page says about itself, read from a bounded prefix
 * of its HTML with libxml2's HTML parser: title, first heading, an
 * immediate refresh, a sign-in form, a parking or for-sale page, and a
 * fingerprint of its visible text.  No I/O, no curl transfers.
 */
#ifndef LH_PAGE_H
#define LH_PAGE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* Bytes kept of the title and of the first h1 (cut at a UTF-8 boundary). */
#define LH_PAGE_TEXT_MAX 300

struct lh_page {
    char *title;            /* whitespace collapsed; NULL when none */
    char *h1;               /* the first h1, the same way; NULL when none */
    int refresh_delay;      /* seconds of a meta refresh; -1 when none */
    char *refresh_url;      /* its target, absolute; NULL when none */
    bool signin_form;       /* a password field and a sign-in title or
                               heading: the page is a sign-in page */
    bool parked;            /* a parking or domain-sale page */
    size_t bytes;           /* bytes of HTML read */
    const char *cut;        /* why the reading stopped before the end of
                               the bytes given, or NULL (static text) */
    size_t text_bytes;      /* bytes of visible text, spaces collapsed */
    unsigned long long text_hash;   /* lh_hash_bytes of that text */
};

void lh_page_init(struct lh_page *p);
void lh_page_cleanup(struct lh_page *p);

/* What may stop a parse early (lh_page_parse); all optional. */
struct lh_page_bounds {
    unsigned timeout_ms;        /* a parse still running after this long
                                   stops; 0: no limit */
    const atomic_int *cancel;   /* when another thread sets it, the parse
                                   stops soon; or NULL */
};

/* The time a content check's parse may take: a page of 16 MiB,
 * max_body_bytes' largest, takes a few hundred milliseconds. */
#define LH_PAGE_PARSE_MS 2000

/*
 * Read len bytes of HTML at html (a prefix: the end may be missing) into
 * *p (initialized here), relative URLs resolved against base_url (the
 * page's own URL).  Parse errors are silent and never fatal; only running
 * out of memory is: -1, *p then empty (safe to clean up).  0 otherwise.
 * What would take libxml2 2.9 seconds (lib/htmlguard.h), the time limit
 * and the cancel flag of bounds (may be NULL) end the reading early: what
 * was read until then is the page, p->bytes counts it and p->cut says
 * why.  May run on any thread: it touches no shared state but libxml2's.
 */
int lh_page_parse(const char *html, size_t len, const char *base_url,
    const struct lh_page_bounds *bounds, struct lh_page *p);

/*
 * A refresh instruction, as in <meta http-equiv="refresh" content="...">
 * or a Refresh header: "5", "0; url=/next", "0;URL='x'".  *delay gets the
 * seconds (fractions dropped), *url the target resolved against base_url
 * (malloc'd, the caller frees it) or NULL when there is none or it is
 * the page itself.  0, or -1 when value is no refresh (*url NULL) or
 * memory ran out.
 */
int lh_page_refresh_parse(const char *value, const char *base_url,
    int *delay, char **url);

#endif
