/*
 * shard: which links an instance of a sharded set checks.
 */
#include <errno.h>
#include <stdlib.h>

#include "shard.h"
#include "strmap.h"

unsigned
lh_shard_of(const char *url, unsigned count)
{
    if (count <= 1)
        return 1;
    return (unsigned)(lh_hash_str(url) % count) + 1;
}

int
lh_shard_parse(const char *s, unsigned *index, unsigned *count)
{
    unsigned long k, n;
    char *end;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    k = strtoul(s, &end, 10);
    if (errno != 0 || *end != '/' || end[1] < '0' || end[1] > '9')
        return -1;
    n = strtoul(end + 1, &end, 10);
    if (errno != 0 || *end != '\0' || k < 1 || n < 1 || k > n ||
        n > LH_SHARD_MAX)
        return -1;
    *index = (unsigned)k;
    *count = (unsigned)n;
    return 0;
}

size_t
lh_shard_filter(struct lh_directory *dir, unsigned index, unsigned count)
{
    size_t before = dir->n, kept = 0;

    if (count == 0)
        return before;
    for (size_t i = 0; i < dir->n; i++) {
        struct lh_entry *e = &dir->entries[i];

        /* By the address requested, as the scheduler groups. */
        if (lh_shard_of(e->request_url != NULL ? e->request_url : e->url,
                count) == index) {
            dir->entries[kept++] = *e;
            continue;
        }
        free(e->region);
        free(e->name);
        free(e->url);
        free(e->request_url);
        free(e->note);
        free(e->description);
    }
    dir->n = kept;
    return before;
}
