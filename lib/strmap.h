/*
 * strmap: a string-keyed hash map (open addressing, linear probing) for
 * the tables that grow with the directory: links by URL, hosts by name.
 * Keys are copied; values are borrowed pointers the caller owns.
 */
#ifndef LH_STRMAP_H
#define LH_STRMAP_H

#include <stddef.h>

struct lh_strmap {
    struct lh_strmap_slot *slots;
    size_t cap;         /* a power of two, or 0 */
    size_t n;           /* live entries */
    size_t used;        /* live entries and tombstones */
};

void lh_strmap_init(struct lh_strmap *m);
/* Frees the keys and the table; each value goes to free_value when that
 * is not NULL. */
void lh_strmap_cleanup(struct lh_strmap *m, void (*free_value)(void *));

/* The value stored under key, or NULL. */
void *lh_strmap_get(const struct lh_strmap *m, const char *key);
/* Insert or replace.  Returns 0, or -1 when out of memory (map unchanged). */
int lh_strmap_put(struct lh_strmap *m, const char *key, void *value);
/* Remove; returns the value that was stored, or NULL. */
void *lh_strmap_del(struct lh_strmap *m, const char *key);

/* The one hash of linkhealthd (64-bit FNV-1a): of n bytes at p, and of
 * a string.  Stable across runs and machines: sharding depends on it. */
unsigned long long lh_hash_bytes(const void *p, size_t n);
unsigned long long lh_hash_str(const char *s);

#endif
