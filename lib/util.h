/*
 * util: small helpers every module uses: error sentences into a caller's
 * buffer, UTF-8 checks and repair, text normalization, owned-string
 * replacement.  No I/O.
 */
#ifndef LH_UTIL_H
#define LH_UTIL_H

#include <stddef.h>
#include <stdio.h>

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

/*
 * How many bytes of s[0..len) are not part of a valid UTF-8 sequence (as
 * lh_utf8_len decides, so NUL is one); when there are some, *first is the
 * offset of the first.
 */
size_t lh_utf8_invalid(const char *s, size_t len, size_t *first);

/*
 * A new NUL-terminated copy of s[0..len) in which each byte that
 * lh_utf8_invalid counts became U+FFFD; its length goes to *outlen.  The
 * caller frees it.  NULL when out of memory.
 */
char *lh_utf8_replace_invalid(const char *s, size_t len, size_t *outlen);

/*
 * Line (1-based) and column (1-based, in characters) of byte offset in
 * text, which holds at least offset bytes of UTF-8.
 */
void lh_text_line_col(const char *text, size_t offset, unsigned *line,
    unsigned *col);

/* ASCII whitespace, the other C0 controls (NUL included) and DEL. */
static inline int
lh_is_space_byte(unsigned char c)
{
    return c <= 0x20 || c == 0x7f;
}

/*
 * A new string from n bytes of s: runs of whitespace, control characters
 * and NBSP become one space, the ends are trimmed, and any byte that is
 * not valid UTF-8 (NUL included) becomes U+FFFD.  The caller frees it.
 * NULL when out of memory.
 */
char *lh_text_normalize(const char *s, size_t n);

/*
 * The one sanitizer for text from outside (a directory, a server, a status
 * file) on its way to a reader: the log (stderr, syslog, the journal), the
 * reports, --show, --check-config and the metrics file's labels.  Nothing
 * that moves a terminal or a log line passes through raw; it is shown
 * escaped, in the form of a C string:
 *   newline, carriage return, tab       \n \r \t
 *   other C0 controls and DEL           \x1b \x7f
 *   a byte that is not UTF-8            \xff (the byte)
 *   C1 controls (U+0080 to U+009F)      \u0085
 *   bidirectional embeddings, overrides and isolates (U+202A to U+202E,
 *   U+2066 to U+2069), line and paragraph separators (U+2028, U+2029)
 *                                       \u202e
 * Everything else, backslash included, is copied as it is: Japanese,
 * accented letters and emoji read as written.  (So a literal "\x1b" in a
 * name looks like an escaped ESC; it is the ESC that must never pass.)
 * s NULL is "".
 *
 * lh_text_escape writes into dst (size bytes, always NUL-terminated
 * when size > 0; an escape or character that does not fit whole is left
 * out with all after it) and returns the length of the whole escaped text,
 * as snprintf does.  lh_text_escape_file writes it to f: 0, or -1 when
 * writing failed.  lh_text_escape_dup returns a copy the caller frees, or
 * NULL when out of memory.
 */
size_t lh_text_escape(char *dst, size_t size, const char *s);
/*
 * The same judgement for a JSON document on its way to a terminal
 * (--show --format json): len bytes of JSON text s go to f unchanged but
 * that each character lh_text_escape would escape is written in JSON's
 * own escape ("\u001b", "\u202e"; a byte that is not UTF-8 as "\ufffd"),
 * except newline, return and tab between tokens, which are JSON's
 * whitespace.  The document means what it meant.  0, or -1 when writing
 * failed.
 */
int lh_text_escape_json_file(FILE *f, const char *s, size_t len);
int lh_text_escape_file(FILE *f, const char *s);
char *lh_text_escape_dup(const char *s);

/* Replace *slot with a copy of s (NULL: free and clear).  0, or -1 when
 * out of memory (then *slot is unchanged). */
int lh_replace_string(char **slot, const char *s);

/* v in decimal, as printf's %llu, into buf (at least LH_ULL_DIGITS
 * bytes), NUL-terminated; its length.  For hot paths that would
 * otherwise printf a number. */
#define LH_ULL_DIGITS 21
size_t lh_ull_text(char *buf, unsigned long long v);

/*
 * The next word of a list whose words are separated by commas, spaces or
 * tabs ("10.0.0.0/8, 192.168.0.0/16"): copied from *s into word (size
 * bytes) and *s moved past it.  Its length; 0 when no word is left; -1
 * when it does not fit in word (then *s points at it).
 */
int lh_list_next(const char **s, char *word, size_t size);

#endif
