/*
 * shard: split one directory between N instances with no coordination.
 * A link belongs to shard K of N (K from 1) when the 64-bit FNV-1a hash of
 * its URL as requested (the entry's request_url) is K - 1 modulo N, so the
 * two forms of one Unicode host name fall alike: every instance that reads
 * the same directory agrees without talking to the others.
 */
#ifndef LH_SHARD_H
#define LH_SHARD_H

#include "directory.h"

/* The shard (1..count) that url belongs to; count 0 is taken as 1. */
unsigned lh_shard_of(const char *url, unsigned count);

/*
 * Parse "K/N" (1 <= K <= N <= LH_SHARD_MAX) into *index and *count.
 * Returns 0, or -1 when s is not such a pair.
 */
#define LH_SHARD_MAX 4096
int lh_shard_parse(const char *s, unsigned *index, unsigned *count);

/*
 * Keep only the entries of dir that belong to shard index of count, in
 * their order; the others are freed.  count 0 keeps everything.  Returns
 * how many entries the directory had before.
 */
size_t lh_shard_filter(struct lh_directory *dir, unsigned index,
    unsigned count);

#endif
