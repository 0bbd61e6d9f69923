/*
 * Shared by the libFuzzer targets: the entry point's prototype and checks
 * that abort (so libFuzzer keeps the input) with a message saying which
 * invariant broke.
 */
#ifndef LH_FUZZ_H
#define LH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond, ...) do {                                       \
        if (!(cond)) {                                                    \
            fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__,    \
                __LINE__, #cond);                                         \
            fprintf(stderr, __VA_ARGS__);                                 \
            fputc('\n', stderr);                                          \
            abort();                                                      \
        }                                                                 \
    } while (0)

/* Whether s (NUL-terminated) is valid UTF-8 throughout. */
static inline int
fuzz_is_utf8(const char *s)
{
    size_t n = strlen(s), i = 0, k;

    while (i < n) {
        if ((k = lh_utf8_len((const unsigned char *)s + i, n - i)) == 0)
            return 0;
        i += k;
    }
    return 1;
}

#endif
