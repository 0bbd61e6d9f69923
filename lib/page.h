/*
 * page: what a link's page says about itself, read from a bounded prefix
 * of its HTML with libxml2's HTML parser: title, first heading, an
 * immediate refresh, a sign-in form, a parking or for-sale page, and a
 * fingerprint of its visible text.  No I/O, no curl transfers.
 */
#ifndef LH_PAGE_H
#define LH_PAGE_H

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
    size_t text_bytes;      /* bytes of visible text, spaces collapsed */
    unsigned long long text_hash;   /* lh_hash_bytes of that text */
};

void lh_page_init(struct lh_page *p);
void lh_page_cleanup(struct lh_page *p);

/*
 * Read len bytes of HTML at html (a prefix: the end may be missing) into
 * *p (initialized here), relative URLs resolved against base_url (the
 * page's own URL).  Parse errors are silent and never fatal; only running
 * out of memory is: -1, *p then empty (safe to clean up).  0 otherwise.
 */
int lh_page_parse(const char *html, size_t len, const char *base_url,
    struct lh_page *p);

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
