/*
 * dir_internal: what the directory parser's files share, and nothing
 * else includes: the parser state (directory.c) and the readers that feed
 * it entries (dir_html.c, dir_wpjson.c, dir_list.c, dir_md.c).
 */
#ifndef LH_DIR_INTERNAL_H
#define LH_DIR_INTERNAL_H

#include <stddef.h>

#include <curl/curl.h>

#include "directory.h"
#include "strmap.h"

/* Names and URLs quoted in messages are cut to about this many bytes. */
#define LH_DIR_CLIP_BYTES 200

/* A growing byte buffer. */
struct lh_dir_buf {
    char *p;
    size_t len, cap;
};

/* One parse; lh_directory_parse makes it, the readers fill it. */
struct lh_dir_parser {
    const char *source;         /* names the input in messages */
    struct lh_directory dir;    /* the result, handed over on success */
    size_t cap;                 /* allocated dir.entries */
    size_t wcap;                /* allocated dir.warnings */
    size_t unshown;             /* warnings over the cap */
    size_t nskipped;            /* entries skipped for their URL */
    size_t first_skip;          /* index + 1 of the first such warning */
    struct lh_strmap urls;      /* URL -> index + 1 into dir.entries; the
                                   keys are the entries' own url strings */
    struct lh_strmap repeats;   /* URL listed again -> its count (owned);
                                   the keys are the entries' too */
    CURLU *curlu;               /* reused for every URL */
    struct lh_dir_buf text;     /* the HTML reader's scratch for text,
                                   kept across the pages of a JSON array */
    struct lh_dir_options opt;  /* borrowed strings */
    unsigned line_base;         /* not 0: the line of every entry (the
                                   JSON line holding content.rendered) */
    double deadline_ms;         /* monotonic: opt.timeout_ms after the
                                   start, or 0 */
    char *err;                  /* the caller's error buffer */
    size_t errlen;
};

/*
 * directory.c: add one organization.  region and url are borrowed and
 * copied; name and desc are malloc'd strings taken over (kept or freed).
 * A bad URL or a repeated one only makes a warning.  Returns -1 only when
 * out of memory (the error is set).
 */
int lh_dir_add_entry(struct lh_dir_parser *p, unsigned line,
    const char *region, const char *url, char *name, char *desc);

/*
 * directory.c: skip an organization with a warning naming the line, the
 * name (may be "") and why.  Returns -1 only when out of memory.
 */
int lh_dir_skip(struct lh_dir_parser *p, unsigned line, const char *name,
    const char *why);

/* directory.c: append n bytes of s to b; -1 when out of memory. */
int lh_dir_buf_append(struct lh_dir_buf *b, const char *s, size_t n);

/*
 * directory.c: 0 while the parse may go on; -1 once it is cancelled or
 * past its deadline, with the error set.  Cheap enough for every few
 * hundred events of a parse.
 */
int lh_dir_interrupted(struct lh_dir_parser *p);

/* directory.c: set the error to "source: out of memory"; returns -1. */
int lh_dir_oom(struct lh_dir_parser *p);

/*
 * directory.c: copy s into buf (LH_DIR_CLIP_BYTES + 4 bytes), cut on a
 * character with "..." when longer; returns buf.
 */
const char *lh_dir_clip(char *buf, const char *s);

/*
 * The readers.  Each adds what it finds with lh_dir_add_entry and returns
 * 0, or -1 with the error set.
 */

/* dir_html.c: a whole HTML page, or a fragment (content.rendered). */
int lh_dir_html_parse(struct lh_dir_parser *p, const char *html,
    size_t len);
/* dir_wpjson.c: WordPress REST JSON in text[start..len), start being its
 * first byte that is not space; messages count lines from text. */
int lh_dir_wpjson_parse(struct lh_dir_parser *p, const char *text,
    size_t start, size_t len);
/* dir_list.c: a plain list in text[start..len), as for JSON. */
int lh_dir_list_parse(struct lh_dir_parser *p, const char *text,
    size_t start, size_t len);
/* dir_md.c: a whole Markdown file; lines count from text. */
int lh_dir_md_parse(struct lh_dir_parser *p, const char *text, size_t len);

#endif
