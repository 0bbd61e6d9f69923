/* Tests of util.c's sanitizer: what is escaped and how, what passes as it
 * is, and where a short buffer cuts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "util.h"

static void
test_text_escape(void)
{
    static const struct {
        const char *in, *out;
    } rows[] = {
        /* A forged log line: a newline and a journal priority. */
        { "Foo\n<0>linkhealthd: emerg: pwned", "Foo\\n<0>linkhealthd: "
            "emerg: pwned" },
        { "a\r\nb", "a\\r\\nb" },
        { "a\tb", "a\\tb" },
        /* C0 controls and DEL: terminal escapes, bell, backspace. */
        { "\x1b[2J\x1b]0;title\x07", "\\x1b[2J\\x1b]0;title\\x07" },
        { "x\x01\x08\x0b\x0c\x1f\x7fy", "x\\x01\\x08\\x0b\\x0c\\x1f\\x7fy" },
        /* C1 controls, written as UTF-8: CSI, NEL, U+009F. */
        { "a\xc2\x9b" "2Jb", "a\\u009b2Jb" },
        { "\xc2\x85\xc2\x80\xc2\x9f", "\\u0085\\u0080\\u009f" },
        /* Bidirectional overrides, embeddings, isolates; separators. */
        { "evil\xe2\x80\xaegpj.exe", "evil\\u202egpj.exe" },
        { "\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad",
            "\\u202a\\u202b\\u202c\\u202d" },
        { "\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9",
            "\\u2066\\u2067\\u2068\\u2069" },
        { "a\xe2\x80\xa8" "b\xe2\x80\xa9", "a\\u2028b\\u2029" },
        /* Not UTF-8: a lone continuation, a cut sequence, overlong,
         * a surrogate, beyond U+10FFFF. */
        { "a\x80z", "a\\x80z" },
        { "\xe6\x97", "\\xe6\\x97" },
        { "\xc0\xaf", "\\xc0\\xaf" },
        { "\xed\xa0\x80", "\\xed\\xa0\\x80" },
        { "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },
        { "\xff", "\\xff" },
        /* Look-alikes that pass as they are. */
        { "", "" },
        { "https://example.org/a?b=c&d=e#f", "https://example.org/a?b=c&d=e"
            "#f" },
        { "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe5\x9b\xa3"
            "\xe4\xbd\x93", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81"
            "\xae\xe5\x9b\xa3\xe4\xbd\x93" },          /* 日本語の団体 */
        { "Associa\xc3\xa7\xc3\xa3o Cr\xc3\xa8" "che M\xc3\xbcller",
            "Associa\xc3\xa7\xc3\xa3o Cr\xc3\xa8" "che M\xc3\xbcller" },
        { "\xf0\x9f\x8c\x8d \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",
            "\xf0\x9f\x8c\x8d \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd" },  /* emoji */
        { "C:\\dir\\x1b", "C:\\dir\\x1b" },     /* a literal backslash */
        /* Just after the C1 range: NBSP, copyright, inverted question. */
        { "\xc2\xa0\xc2\xa9\xc2\xbf", "\xc2\xa0\xc2\xa9\xc2\xbf" },
        /* Neighbours of the bidi ranges, and Arabic and Hebrew. */
        { "\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa",
            "\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa" },
        { "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd8\xb3\xd9\x84\xd8\xa7\xd9\x85",
            "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd8\xb3\xd9\x84\xd8\xa7\xd9"
            "\x85" },
        { "~ !\"#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}",
            "~ !\"#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}" },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char buf[256], *dup, *mem = NULL;
        size_t memlen = 0;
        FILE *f;
        TEST_ROW_BEGIN();

        CHECK_INT_EQ(strlen(rows[i].out), lh_text_escape(buf, sizeof(buf),
            rows[i].in));
        CHECK_STR_EQ(rows[i].out, buf);
        CHECK_INT_EQ(strlen(rows[i].out), lh_text_escape(NULL, 0,
            rows[i].in));
        dup = lh_text_escape_dup(rows[i].in);
        CHECK_STR_EQ(rows[i].out, dup);
        free(dup);
        if ((f = open_memstream(&mem, &memlen)) != NULL) {
            CHECK_INT_EQ(0, lh_text_escape_file(f, rows[i].in));
            fclose(f);
            CHECK_STR_EQ(rows[i].out, mem);
        }
        free(mem);
        TEST_ROW_END(rows[i].out);
    }
    {
        char *empty = lh_text_escape_dup(NULL);

        CHECK_STR_EQ("", empty);
        free(empty);
    }
}

/* Every byte value alone: what comes out is printable ASCII or valid
 * UTF-8 with no control, and never the byte itself when it is one. */
static void
test_every_byte(void)
{
    for (int c = 1; c < 256; c++) {
        char in[2] = { (char)c, '\0' }, out[16];
        size_t n = lh_text_escape(out, sizeof(out), in);
        int raw = c >= 0x20 && c < 0x7f;

        CHECK_INT_EQ(raw ? 1 : c == '\n' || c == '\r' || c == '\t' ? 2 :
            4, n);
        if (!raw && out[0] != '\\')
            TEST_FAIL_AT("byte 0x%02x passed through", c);
        for (size_t j = 0; j < n; j++)
            if ((unsigned char)out[j] < 0x20 ||
                (unsigned char)out[j] >= 0x7f)
                TEST_FAIL_AT("byte 0x%02x gave 0x%02x", c,
                    (unsigned char)out[j]);
    }
}

/* A short buffer takes whole escapes and whole characters only. */
static void
test_text_escape_cut(void)
{
    char buf[8];

    CHECK_INT_EQ(10, lh_text_escape(buf, sizeof(buf), "abcde\x1b" "f"));
    CHECK_STR_EQ("abcde", buf);                 /* not "abcde\\x" */
    CHECK_INT_EQ(12, lh_text_escape(buf, sizeof(buf),
        "abcdef\xe6\x97\xa5\xe6\x9c\xac"));
    CHECK_STR_EQ("abcdef", buf);                /* no half character */
    CHECK_INT_EQ(7, lh_text_escape(buf, sizeof(buf), "abcdefg"));
    CHECK_STR_EQ("abcdefg", buf);
    /* Nothing after the cut, not even what would fit. */
    CHECK_INT_EQ(10, lh_text_escape(buf, sizeof(buf), "abc\xe2\x80\xae" "d"));
    CHECK_STR_EQ("abc", buf);
    CHECK_INT_EQ(1, lh_text_escape(buf, 1, "a"));
    CHECK_STR_EQ("", buf);
}

/* A JSON document on its way to a terminal: JSON's escapes, same data. */
static void
test_text_escape_json(void)
{
    static const struct {
        const char *in, *out;
    } rows[] = {
        { "{\n\t\"a\": \"b\"\r\n}", "{\n\t\"a\": \"b\"\r\n}" },
        { "[\"\x1b[2J\"]", "[\"\\u001b[2J\"]" },
        { "[\"a\nb\tc\"]", "[\"a\\u000ab\\u0009c\"]" },
        { "[\"\xe2\x80\xae\xc2\x85\x7f\"]",
            "[\"\\u202e\\u0085\\u007f\"]" },
        { "[\"caf\xe9\"]", "[\"caf\\ufffd\"]" },
        /* Escaped quotes and backslashes keep the string open. */
        { "[\"q\\\"\x1b\\\\\", \"\\u001b\"]\n",
            "[\"q\\\"\\u001b\\\\\", \"\\u001b\"]\n" },
        { "[\"\xe6\x97\xa5\xf0\x9f\x8c\x8d\\\\x\"]",
            "[\"\xe6\x97\xa5\xf0\x9f\x8c\x8d\\\\x\"]" },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char *mem = NULL;
        size_t memlen = 0;
        FILE *f;
        TEST_ROW_BEGIN();

        if ((f = open_memstream(&mem, &memlen)) != NULL) {
            CHECK_INT_EQ(0, lh_text_escape_json_file(f, rows[i].in,
                strlen(rows[i].in)));
            fclose(f);
            CHECK_STR_EQ(rows[i].out, mem);
        }
        free(mem);
        TEST_ROW_END(rows[i].out);
    }
}

/* Numbers in decimal, as printf's %llu, at both ends of the range. */
static void
test_ull_text(void)
{
    static const unsigned long long v[] = { 0, 7, 10, 65535,
        18446744073709551615ull };
    char buf[LH_ULL_DIGITS], want[32];

    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        snprintf(want, sizeof(want), "%llu", v[i]);
        CHECK_INT_EQ((int)strlen(want), (int)lh_ull_text(buf, v[i]));
        CHECK_STR_EQ(want, buf);
    }
}

int
main(void)
{
    RUN_TEST(test_text_escape);
    RUN_TEST(test_every_byte);
    RUN_TEST(test_text_escape_cut);
    RUN_TEST(test_text_escape_json);
    RUN_TEST(test_ull_text);
    TEST_EXIT();
}
