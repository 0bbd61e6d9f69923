/*
 * util: small helpers every module uses: error sentences into a caller's
 * buffer, UTF-8 checks, owned-string replacement.  No I/O.
 */
#ifndef LH_UTIL_H
#define LH_UTIL_H

#include <stddef.h>

/*
 * Write a sentence into err (errlen bytes; NULL or 0: nothing).  A message
 * that does not fit is cut on a character boundary, so it stays valid
 * UTF-8 (it may go into JSON).
 */
void lh_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Length of the valid UTF-8 sequence at s, with n bytes available, or 0
 * when there is none: overlong forms, surrogates, code points above
 * U+10FFFF and NUL are not valid.
 */
size_t lh_utf8_len(const unsigned char *s, size_t n);

/* len, or less, so that s[0..len) does not end inside a character. */
size_t lh_utf8_complete(const char *s, size_t len);

/* Replace *slot with a copy of s (NULL: free and clear).  0, or -1 when
 * out of memory (then *slot is unchanged). */
int lh_replace_string(char **slot, const char *s);

#endif
