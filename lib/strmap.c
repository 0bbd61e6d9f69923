/*
 * strmap: open addressing with linear probing and tombstones; the table
 * doubles at 70% load so lookups stay O(1) at 100,000 links.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

struct lh_strmap_slot {
    char *key;          /* NULL: empty; TOMBSTONE: deleted */
    unsigned long long hash;
    void *value;
};

static char tombstone;
#define TOMBSTONE (&tombstone)

unsigned long long
lh_hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    unsigned long long h = 14695981039346656037ull;

    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ull;
    }
    return h;
}

unsigned long long
lh_hash_str(const char *s)
{
    return lh_hash_bytes(s, strlen(s));
}

void
lh_strmap_init(struct lh_strmap *m)
{
    memset(m, 0, sizeof(*m));
}

void
lh_strmap_init_borrowed(struct lh_strmap *m)
{
    lh_strmap_init(m);
    m->borrowed = 1;
}

void
lh_strmap_cleanup(struct lh_strmap *m, void (*free_value)(void *))
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key != NULL && m->slots[i].key != TOMBSTONE) {
            if (!m->borrowed)
                free(m->slots[i].key);
            if (free_value != NULL)
                free_value(m->slots[i].value);
        }
    }
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

/* The slot holding key, or the first free one on its probe path. */
static struct lh_strmap_slot *
find(const struct lh_strmap *m, const char *key, unsigned long long h)
{
    struct lh_strmap_slot *grave = NULL;
    size_t mask = m->cap - 1;

    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct lh_strmap_slot *s = &m->slots[i];

        if (s->key == NULL)
            return grave != NULL ? grave : s;
        if (s->key == TOMBSTONE) {
            if (grave == NULL)
                grave = s;
        } else if (s->hash == h && strcmp(s->key, key) == 0) {
            return s;
        }
    }
}

static int
grow(struct lh_strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    struct lh_strmap_slot *old = m->slots;
    size_t oldcap = m->cap;

    /* Only tombstones to sweep: rehash at the same size. */
    if (m->n * 10 < m->cap * 4 && m->cap != 0)
        cap = m->cap;
    if ((m->slots = calloc(cap, sizeof(*m->slots))) == NULL) {
        m->slots = old;
        return -1;
    }
    m->cap = cap;
    m->used = m->n;
    for (size_t i = 0; i < oldcap; i++) {
        if (old[i].key != NULL && old[i].key != TOMBSTONE) {
            struct lh_strmap_slot *s = find(m, old[i].key, old[i].hash);
            *s = old[i];
        }
    }
    free(old);
    return 0;
}

void *
lh_strmap_get(const struct lh_strmap *m, const char *key)
{
    struct lh_strmap_slot *s;

    if (m->n == 0)
        return NULL;
    s = find(m, key, lh_hash_str(key));
    return s->key != NULL && s->key != TOMBSTONE ? s->value : NULL;
}

void **
lh_strmap_ensure(struct lh_strmap *m, const char *key)
{
    unsigned long long h = lh_hash_str(key);
    struct lh_strmap_slot *s;
    char *kept;

    if ((m->used + 1) * 10 > m->cap * 7 && grow(m) == -1)
        return NULL;
    s = find(m, key, h);
    if (s->key != NULL && s->key != TOMBSTONE)
        return &s->value;
    if (m->borrowed)
        kept = (char *)key;
    else if ((kept = strdup(key)) == NULL)
        return NULL;
    if (s->key == NULL)
        m->used++;
    s->key = kept;
    s->hash = h;
    s->value = NULL;
    m->n++;
    return &s->value;
}

int
lh_strmap_put(struct lh_strmap *m, const char *key, void *value)
{
    void **slot = lh_strmap_ensure(m, key);

    if (slot == NULL)
        return -1;
    *slot = value;
    return 0;
}

void *
lh_strmap_del(struct lh_strmap *m, const char *key)
{
    struct lh_strmap_slot *s;
    void *value;

    if (m->n == 0)
        return NULL;
    s = find(m, key, lh_hash_str(key));
    if (s->key == NULL || s->key == TOMBSTONE)
        return NULL;
    value = s->value;
    if (!m->borrowed)
        free(s->key);
    s->key = TOMBSTONE;
    s->value = NULL;
    m->n--;
    return value;
}
