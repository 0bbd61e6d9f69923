/* Tests of shard.c: parsing K/N, the hash that splits a directory, and
 * the filter that keeps one shard's entries. */
#include <stdlib.h>
#include <string.h>

#include "shard.h"
#include "test.h"

static void
test_parse(void)
{
    static const struct {
        const char *s;
        int rc;
        unsigned index, count;
    } rows[] = {
        { "1/1", 0, 1, 1 },
        { "2/3", 0, 2, 3 },
        { "3/3", 0, 3, 3 },
        { "4096/4096", 0, 4096, 4096 },
        { "0/3", -1, 0, 0 },
        { "4/3", -1, 0, 0 },
        { "1/0", -1, 0, 0 },
        { "1/4097", -1, 0, 0 },
        { "3", -1, 0, 0 },
        { "1/", -1, 0, 0 },
        { "/3", -1, 0, 0 },
        { "-1/3", -1, 0, 0 },
        { "1/-3", -1, 0, 0 },
        { " 1/3", -1, 0, 0 },
        { "1/3 ", -1, 0, 0 },
        { "1/3/4", -1, 0, 0 },
        { "99999999999999999999/3", -1, 0, 0 },
        { "", -1, 0, 0 },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        unsigned index = 0, count = 0;
        TEST_ROW_BEGIN();

        CHECK_INT_EQ(rows[i].rc, lh_shard_parse(rows[i].s, &index, &count));
        if (rows[i].rc == 0) {
            CHECK_INT_EQ(rows[i].index, index);
            CHECK_INT_EQ(rows[i].count, count);
        }
        TEST_ROW_END(rows[i].s);
    }
}

/* FNV-1a 64 is fixed: these values hold on every machine, so instances
 * agree (values computed independently, with Python). */
static void
test_hash_is_fixed(void)
{
    CHECK_INT_EQ(1, lh_shard_of("https://example.org/", 0));
    CHECK_INT_EQ(1, lh_shard_of("https://example.org/", 1));
    /* fnv1a64("") = 0xcbf29ce484222325 */
    CHECK_INT_EQ(0xcbf29ce484222325ull % 7 + 1, lh_shard_of("", 7));
    /* fnv1a64("a") = 0xaf63dc4c8601ec8c */
    CHECK_INT_EQ(0xaf63dc4c8601ec8cull % 1000 + 1, lh_shard_of("a", 1000));
}

static void
test_filter(void)
{
    struct lh_directory dir;
    size_t total = 0;
    char url[64];

    for (unsigned k = 1; k <= 3; k++) {
        memset(&dir, 0, sizeof(dir));
        dir.entries = calloc(1000, sizeof(*dir.entries));
        CHECK(dir.entries != NULL);
        if (dir.entries == NULL)
            return;
        for (unsigned i = 0; i < 1000; i++) {
            struct lh_entry *e = &dir.entries[i];

            snprintf(url, sizeof(url), "https://site%u.test/p", i);
            e->url = strdup(url);
            e->name = strdup("n");
            e->region = strdup("");
            e->description = strdup("");
            e->line = i + 1;
        }
        dir.n = 1000;
        CHECK_INT_EQ(1000, lh_shard_filter(&dir, k, 3));
        total += dir.n;
        CHECK(dir.n > 250 && dir.n < 420);
        for (size_t i = 0; i < dir.n; i++) {
            CHECK_INT_EQ(k, lh_shard_of(dir.entries[i].url, 3));
            /* Kept in their order. */
            if (i > 0)
                CHECK(dir.entries[i - 1].line < dir.entries[i].line);
        }
        lh_directory_cleanup(&dir);
    }
    CHECK_INT_EQ(1000, total);
    /* count 0: not sharded, nothing dropped. */
    memset(&dir, 0, sizeof(dir));
    CHECK_INT_EQ(0, lh_shard_filter(&dir, 0, 0));
}

int
main(void)
{
    RUN_TEST(test_parse);
    RUN_TEST(test_hash_is_fixed);
    RUN_TEST(test_filter);
    TEST_EXIT();
}
