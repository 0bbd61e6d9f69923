/*
 * libFuzzer target for lh_directory_parse_opts, every format: the first
 * byte of the input picks the format (auto, wordpress, html, list,
 * markdown: the byte modulo 5) and, from the byte divided by 5, whether
 * the directory has a site of its own (bit 0), keeps its links (bit 1)
 * and reads HTML by XPath (bit 2); the rest is the document.  Checks the
 * contract of directory.h on each result.
 */
#include <strings.h>

#include "directory.h"
#include "fuzz.h"

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_http_url(const char *u)
{
    /* The scheme is case-insensitive, and the URL is kept as listed. */
    return strncasecmp(u, "http://", 7) == 0 ||
        strncasecmp(u, "https://", 8) == 0;
}

static void
check_ok(const struct lh_directory *d, enum lh_dir_format format)
{
    char **urls;

    FUZZ_ASSERT(d->n > 0 && d->entries != NULL, "n %zu", d->n);
    FUZZ_ASSERT(d->format != LH_DIR_AUTO, "format %d", (int)d->format);
    FUZZ_ASSERT(format == LH_DIR_AUTO || d->format == format,
        "asked %d, got %d", (int)format, (int)d->format);
    /* 100 warnings, then one "N more warnings not shown". */
    FUZZ_ASSERT(d->nwarnings <= 101, "%zu warnings", d->nwarnings);
    for (size_t i = 0; i < d->nwarnings; i++) {
        FUZZ_ASSERT(d->warnings[i] != NULL && d->warnings[i][0] != '\0',
            "warning %zu", i);
        FUZZ_ASSERT(fuzz_is_utf8(d->warnings[i]), "warning \"%s\"",
            d->warnings[i]);
    }
    if ((urls = malloc(d->n * sizeof(*urls))) == NULL)
        abort();
    for (size_t i = 0; i < d->n; i++) {
        const struct lh_entry *e = &d->entries[i];

        FUZZ_ASSERT(e->region != NULL && e->name != NULL && e->url != NULL &&
            e->description != NULL, "entry %zu has a NULL string", i);
        FUZZ_ASSERT(is_http_url(e->url), "url \"%s\"", e->url);
        FUZZ_ASSERT(fuzz_is_utf8(e->url), "url \"%s\"", e->url);
        FUZZ_ASSERT(fuzz_is_utf8(e->name), "name \"%s\"", e->name);
        FUZZ_ASSERT(fuzz_is_utf8(e->region), "region \"%s\"", e->region);
        FUZZ_ASSERT(fuzz_is_utf8(e->description), "description \"%s\"",
            e->description);
        FUZZ_ASSERT(e->name[0] != '\0', "entry %zu (%s) has no name", i,
            e->url);
        urls[i] = e->url;
    }
    /* A URL listed again keeps only its first entry. */
    qsort(urls, d->n, sizeof(*urls), cmp_str);
    for (size_t i = 1; i < d->n; i++)
        FUZZ_ASSERT(strcmp(urls[i - 1], urls[i]) != 0, "url \"%s\" twice",
            urls[i]);
    free(urls);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum lh_dir_format formats[] = {
        LH_DIR_AUTO, LH_DIR_WPJSON, LH_DIR_HTML, LH_DIR_LIST,
        LH_DIR_MARKDOWN,
    };
    const size_t nformats = sizeof(formats) / sizeof(formats[0]);
    struct lh_dir_options opt;
    struct lh_directory d;
    enum lh_dir_format format;
    char err[1024];
    int rc;

    if (size == 0)
        return 0;
    format = formats[data[0] % nformats];
    memset(&opt, 0, sizeof(opt));
    opt.format = format;
    if ((data[0] / nformats) & 1)
        opt.site = "https://www.example.org/directory/";
    opt.own_site_links = ((data[0] / nformats) & 2) != 0;
    if ((data[0] / nformats) & 4) {
        opt.entry_xpath = "//li|//tr|//p/a|//a/@href";
        opt.region_xpath = "//h2|//b";
    }
    memset(err, 'x', sizeof(err));
    rc = lh_directory_parse_opts((const char *)data + 1, size - 1,
        "fuzz.dir", &opt, &d, err, sizeof(err));
    FUZZ_ASSERT(rc == 0 || rc == -1, "rc %d", rc);
    if (rc == 0) {
        check_ok(&d, format);
    } else {
        FUZZ_ASSERT(d.n == 0 && d.entries == NULL && d.nwarnings == 0 &&
            d.warnings == NULL, "failure left %zu entries", d.n);
        FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL,
            "error not terminated");
        FUZZ_ASSERT(err[0] != '\0', "empty error");
        FUZZ_ASSERT(strncmp(err, "fuzz.dir", 8) == 0, "error \"%s\"", err);
        FUZZ_ASSERT(fuzz_is_utf8(err), "error \"%s\"", err);
    }
    lh_directory_cleanup(&d);
    return 0;
}
