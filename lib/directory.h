/*
 * directory: turn the bytes of a directory (WordPress REST page JSON, an
 * HTML page, a Markdown file or a plain list of URLs) into a list of
 * entries.  Knows nothing of where the bytes came from.
 *
 * An HTML page is read as a person reads it (dir_html.c says how): a
 * heading sets the region for what follows; the first link of an item (a
 * list item, a table row, a dt or dd, a paragraph or a line of one) is an
 * organization, the rest of the item or the next block its description;
 * navigation, headers, footers, menus, links in sentences and links to
 * the directory's own site are not organizations.  Options may select the
 * organizations and regions by XPath instead.  WordPress JSON is one page
 * object or an array of them; content.rendered of each is such HTML.
 *
 * The plain list: one URL per line, then an optional name; blank lines and
 * lines whose first non-space character is '#' are skipped ('#' later on a
 * line is part of the URL or name).  Names are plain text, not HTML.  A
 * line "[Region name]" (a '[' first and a ']' last, nothing else) sets the
 * region of the lines after it, "[]" ends it; no line of a list without
 * regions can be mistaken for one, as list lines begin with a URL.
 *
 * Markdown (CommonMark, parsed by cmark; the "awesome list" form): a
 * heading sets the region of the items that follow, except the document's
 * title, its one level-1 heading when it also has deeper headings (items
 * under the title and before the next heading have no region).  A list
 * item is an organization when its first link is: the name is the link's
 * text (markup flattened), the URL its destination, the description the
 * item's text after the link, with a leading "-", "–" or "—"
 * (before a space) or ":" removed.  A link that shows only an image (a
 * badge) is passed over; an item whose first link is an in-page anchor
 * ("#...", as in a table of contents) is not an organization, silently;
 * a first link that is not an absolute http or https URL is skipped with
 * a warning.  Links outside list items (paragraphs, the badges under the
 * title), images, code spans and blocks, raw HTML and tables (a GitHub
 * extension, paragraphs to CommonMark) are never organizations.  Lines are the Markdown file's own: the line on which
 * the link's paragraph has the link.
 *
 * Text: every string in an entry or warning is valid UTF-8.  Input bytes
 * that are not UTF-8 (or NUL) become U+FFFD with one warning,
 * "source:line:col: invalid UTF-8; N bytes replaced with U+FFFD"; columns
 * count characters.
 */
#ifndef LH_DIRECTORY_H
#define LH_DIRECTORY_H

#include <stdatomic.h>
#include <stddef.h>

enum lh_dir_format {
    LH_DIR_AUTO = 0,    /* detect from the content */
    LH_DIR_WPJSON,      /* WordPress REST page object or array of pages */
    LH_DIR_HTML,        /* an HTML page of the same structure */
    LH_DIR_LIST,        /* one URL per line, optional name after it */
    LH_DIR_MARKDOWN     /* CommonMark: headings, lists of links */
};

/*
 * One organization.  All strings are owned by the directory and never NULL.
 * Text is taken with nested markup, entities decoded, runs of whitespace
 * and NBSP collapsed to one space and trimmed (so a trailing <br> goes).
 * A link without text, or a list line without a name, is named after the
 * URL's host.
 */
struct lh_entry {
    char *region;       /* the heading above it, the list's [Region]
                           line; "" when there is none */
    char *name;         /* link text, entities decoded, whitespace collapsed */
    char *url;          /* as listed, trimmed (only http and https are kept) */
    char *description;  /* the text after the link, "" when none */
    unsigned line;      /* line of the file where it was found, or 0 (for
                           WordPress JSON, the line holding the page's
                           content.rendered) */
    char *request_url;  /* what is requested (lh_iri_to_uri: A-labels,
                           percent-encoded, no fragment): what checks,
                           schedules, shards and duplicates go by; NULL
                           means url (most URLs are their own request
                           form, and entries made by hand) */
    char *note;         /* a sentence about the URL that changes no
                           verdict (a host that mixes scripts), or NULL */
};

struct lh_directory {
    struct lh_entry *entries;
    size_t n;           /* never 0 after a successful parse */
    char **warnings;    /* whole sentences naming the source; at most 100
                           and then one "N more warnings not shown" */
    size_t nwarnings;
    enum lh_dir_format format;  /* the format actually parsed */
};

#define LH_DIRECTORY_MAX_BYTES_DEFAULT (8u * 1024 * 1024)

/* How to read a directory; all strings borrowed, NULL when unset. */
struct lh_dir_options {
    enum lh_dir_format format;
    const char *site;           /* the directory's own URL: links to its
                                   host are not organizations */
    int own_site_links;         /* ... unless this is set */
    const char *entry_xpath;    /* HTML: XPath of the organizations */
    const char *region_xpath;   /* HTML: XPath of the region headings */
    unsigned timeout_ms;        /* HTML: a parse still running after this
                                   long is stopped, an error; 0: no limit */
    const atomic_int *cancel;   /* HTML: when another thread sets it, the
                                   parse stops soon, an error; or NULL */
};

/*
 * 0 when expr compiles as an XPath expression (directory_xpath,
 * region_xpath); otherwise -1 with a phrase in why ("is not an XPath
 * expression: Invalid expression").
 */
int lh_dir_xpath_check(const char *expr, char *why, size_t whylen);

/* lh_directory_parse with options: opt->format is the format. */
int lh_directory_parse_opts(const char *buf, size_t len, const char *source,
    const struct lh_dir_options *opt, struct lh_directory *out, char *err,
    size_t errlen);

/*
 * Parse len bytes of buf (need not be NUL-terminated).  source names the
 * input in messages ("directory.json", "https://…").  On success returns 0
 * and fills *out (call lh_directory_cleanup); entries whose URL is not an
 * absolute http or https URL with a host (checked with libcurl's URL API)
 * are skipped with a warning ("directory.json:214: skipped "Foo": URL
 * "ftp://x" is not http or https"), and a URL listed again (same string)
 * keeps its first entry, with one warning per repeated URL naming both.
 * On failure returns -1, leaves *out empty and writes a sentence such as
 * "directory.json:1:5032: invalid JSON", "directory.json: no
 * content.rendered", "directory.json: no organizations found" or
 * "directory.json: the directory is empty" into err.
 *
 * LH_DIR_AUTO picks the format.  A source whose name (before any '?' or
 * '#') ends in ".md" or ".markdown", in any case, is Markdown unless its
 * content is plainly a list (below, "a URL line" and no "Markdown item").
 * Otherwise the first byte that is not space decides: '{' is JSON, and so
 * is '[' followed (after spaces) by '{', '[', ']' or the end; '<' is
 * HTML; anything else is Markdown when some line is a Markdown item (a
 * list item whose text starts with a link to http or https, such as
 * "- [Name](https://...") and no line is a URL line (one that begins,
 * after spaces, with http:// or https://), else a list.  A list that
 * yields organizations has URL lines, so it is never read as Markdown;
 * Markdown without a URL line is never read as a list.  A forced format
 * that the content plainly is not (HTML forced as a list, a list forced
 * as JSON, Markdown forced as a list, ...) is an error saying so; HTML
 * may begin with text, and Markdown with anything.
 * *out is overwritten, not freed: pass an empty or cleaned-up one.
 */
int lh_directory_parse(const char *buf, size_t len, const char *source,
    enum lh_dir_format format, struct lh_directory *out, char *err,
    size_t errlen);

/*
 * Read and parse a file; path is the source in messages.  Files above
 * max_bytes (0 means LH_DIRECTORY_MAX_BYTES_DEFAULT) are refused before
 * reading, and reading stops at the limit if the file grows meanwhile:
 * "directory.json: 9437184 bytes is over the 8388608-byte limit
 * (directory_max_bytes)".  A missing file is "directory.json: No such file
 * or directory".  Otherwise as lh_directory_parse.
 */
int lh_directory_load_file(const char *path, size_t max_bytes,
    enum lh_dir_format format, struct lh_directory *out, char *err,
    size_t errlen);

/*
 * Read a whole file of at most max_bytes (0: the default) into a new
 * buffer (*out, *outlen; the caller frees it), without parsing.  Refuses
 * a larger file, or one that grows past the limit while read, with an
 * error naming the file and the limit.
 */
int lh_directory_read_file(const char *path, size_t max_bytes, char **out,
    size_t *outlen, char *err, size_t errlen);

/* Frees everything and zeroes *dir; safe on a zeroed struct and on NULL. */
void lh_directory_cleanup(struct lh_directory *dir);
/* Free the entries (n becomes 0) and keep the warnings and the format:
 * what is still shown of a directory once merged into the links. */
void lh_directory_drop_entries(struct lh_directory *dir);

/* "auto", "wordpress", "html", "list", "markdown"; names for messages. */
const char *lh_directory_format_name(enum lh_dir_format format);
/* Returns 0 and sets *out for a known name (any case), -1 otherwise. */
int lh_directory_format_parse(const char *name, enum lh_dir_format *out);

#endif
