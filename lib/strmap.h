/*
 * strmap: a string-keyed hash map (open addressing, linear probing) for
 * the tables that grow with the directory: links by URL, hosts by name.
 * Keys are copied (unless the map was made with lh_strmap_init_borrowed);
 * values are borrowed pointers the caller owns.
 */
#ifndef LH_STRMAP_H
#define LH_STRMAP_H

#include <stddef.h>

struct lh_strmap {
    struct lh_strmap_slot *slots;
    size_t cap;         /* a power of two, or 0 */
    size_t n;           /* live entries */
    size_t used;        /* live entries and tombstones */
    int borrowed;       /* keys are the caller's, never copied or freed */
};

void lh_strmap_init(struct lh_strmap *m);
/*
 * A map that keeps the keys it is given instead of copies, for keys that
 * the caller holds anyway: each must stay allocated and unchanged until
 * it is deleted or the map is cleaned up.
 */
void lh_strmap_init_borrowed(struct lh_strmap *m);
/* Frees the keys (unless borrowed) and the table; each value goes to
 * free_value when that is not NULL. */
void lh_strmap_cleanup(struct lh_strmap *m, void (*free_value)(void *));

/* The value stored under key, or NULL. */
void *lh_strmap_get(const struct lh_strmap *m, const char *key);
/* Insert or replace.  Returns 0, or -1 when out of memory (map unchanged). */
int lh_strmap_put(struct lh_strmap *m, const char *key, void *value);
/*
 * Where key's value is stored, key being added first when absent, with
 * a NULL value for the caller to set (until then lh_strmap_get reads it
 * as absent): one lookup where get, then put would be two.  The pointer
 * is valid until the next put, ensure or del.  NULL when out of memory
 * (map unchanged).
 */
void **lh_strmap_ensure(struct lh_strmap *m, const char *key);
/* Remove; returns the value that was stored, or NULL. */
void *lh_strmap_del(struct lh_strmap *m, const char *key);

/* The one hash of linkhealthd (64-bit FNV-1a): of n bytes at p, and of
 * a string.  Stable across runs and machines: sharding depends on it. */
unsigned long long lh_hash_bytes(const void *p, size_t n);
unsigned long long lh_hash_str(const char *s);

#endif
