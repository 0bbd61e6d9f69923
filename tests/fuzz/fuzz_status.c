/*
 * libFuzzer target for the previous-status loader (lh_status_parse, what
 * lh_status_read runs on a file's bytes).  A document that loads is
 * written again with lh_status_print, and that must load to the same
 * links: what we write, we can read.
 */
#include "fuzz.h"
#include "status.h"

#define NAME "fuzz-status.json"

static void
check_links(const struct lh_links *seed)
{
    for (size_t i = 0; i < seed->n; i++) {
        const struct lh_link *l = seed->v[i];

        FUZZ_ASSERT(l != NULL && l->url != NULL &&
            lh_link_name(l) != NULL && lh_link_region(l) != NULL &&
            lh_link_description(l) != NULL,
            "link %zu has a NULL string", i);
        FUZZ_ASSERT(lh_links_find(seed, l->url) == l, "url \"%s\"", l->url);
        FUZZ_ASSERT((unsigned)l->state < LH_STATE_COUNT, "state %d",
            (int)l->state);
        FUZZ_ASSERT(l->nhistory <= LH_HISTORY_LEN, "nhistory %u",
            l->nhistory);
        for (unsigned h = 0; h < l->nhistory; h++)
            FUZZ_ASSERT(l->history[h] < LH_STATE_COUNT, "history %u", h);
        FUZZ_ASSERT(l->consecutive_good <= l->nhistory, "good %u of %u",
            l->consecutive_good, l->nhistory);
    }
}

static int
all_utf8(const struct lh_links *seed)
{
    for (size_t i = 0; i < seed->n; i++)
        if (!fuzz_is_utf8(seed->v[i]->url) ||
            !fuzz_is_utf8(lh_link_name(seed->v[i])) ||
            !fuzz_is_utf8(lh_link_region(seed->v[i])))
            return 0;
    return 1;
}

/* Print seed as a status document and load that again. */
static void
round_trip(const struct lh_links *seed)
{
    struct lh_status_info info = {
        .source = "fuzz.dir", .format = "list", .entries = seed->n,
        .cycle = 1, .started_at = 1700000000, .duration_ms = 1.5,
        .generated_at = 1700000001,
    };
    struct lh_links again;
    char *doc = NULL, err[1024];
    size_t len = 0;
    FILE *f;

    if ((f = open_memstream(&doc, &len)) == NULL)
        abort();
    FUZZ_ASSERT(lh_status_print(f, &info, seed) == 0, "print failed");
    if (fclose(f) != 0)
        abort();
    FUZZ_ASSERT(lh_status_parse(doc, len, "printed", &again, NULL, err,
        sizeof(err)) == 0, "our own document does not load: %s\n%s", err,
        doc);
    /* Bytes that are not UTF-8 are written as U+FFFD, which may make two
     * URLs one; otherwise every link comes back. */
    if (all_utf8(seed)) {
        FUZZ_ASSERT(again.n == seed->n, "%zu links, %zu again", seed->n,
            again.n);
        for (size_t i = 0; i < seed->n; i++) {
            const struct lh_link *a = seed->v[i], *b = again.v[i];

            FUZZ_ASSERT(strcmp(a->url, b->url) == 0 &&
                strcmp(lh_link_name(a), lh_link_name(b)) == 0 &&
                strcmp(lh_link_region(a), lh_link_region(b)) == 0,
                "link %zu: \"%s\" "
                "became \"%s\"", i, a->url, b->url);
            FUZZ_ASSERT(a->state == b->state && a->nhistory == b->nhistory &&
                memcmp(a->history, b->history, a->nhistory) == 0 &&
                a->consecutive_failures == b->consecutive_failures &&
                a->flapping == b->flapping, "link %zu (%s) changed", i,
                a->url);
            FUZZ_ASSERT(a->since <= 0 || a->since == b->since,
                "link %zu: since %lld became %lld", i, a->since, b->since);
        }
    }
    lh_links_cleanup(&again);
    free(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lh_links seed;
    char err[1024];
    int rc;

    memset(err, 'x', sizeof(err));
    rc = lh_status_parse((const char *)data, size, NAME, &seed, NULL, err,
        sizeof(err));
    FUZZ_ASSERT(rc == 0 || rc == -1, "rc %d", rc);
    if (rc == 0) {
        check_links(&seed);
        round_trip(&seed);
    } else {
        FUZZ_ASSERT(seed.n == 0 && seed.v == NULL, "failure left %zu links",
            seed.n);
        FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL,
            "error not terminated");
        FUZZ_ASSERT(strncmp(err, NAME, strlen(NAME)) == 0, "error \"%s\"",
            err);
    }
    lh_links_cleanup(&seed);
    return 0;
}
