/*
 * A small test harness in the spirit of libuv's test/task.h: typed checks
 * that print the expected and the actual value, one process per test file,
 * and the closing line "N passed, N failed" that tests/run.sh adds up.
 */
#ifndef LH_TEST_H
#define LH_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failed_checks;   /* failed checks in the current case */
static int test_cases_passed, test_cases_failed;

#define TEST_FAIL_AT(fmt, ...) do {                                       \
        fprintf(stderr, "    %s:%d: " fmt "\n", __FILE__, __LINE__,       \
            __VA_ARGS__);                                                 \
        test_failed_checks++;                                             \
    } while (0)

#define CHECK(cond) do {                                                  \
        if (!(cond))                                                      \
            TEST_FAIL_AT("check failed: %s", #cond);                      \
    } while (0)

#define CHECK_INT_EQ(expected, actual) do {                               \
        intmax_t e_ = (intmax_t)(expected), a_ = (intmax_t)(actual);      \
        if (e_ != a_)                                                     \
            TEST_FAIL_AT("%s: expected %jd, got %jd", #actual, e_, a_);   \
    } while (0)

#define CHECK_STR_EQ(expected, actual) do {                               \
        const char *e_ = (expected), *a_ = (actual);                      \
        if (e_ == NULL || a_ == NULL ? e_ != a_ : strcmp(e_, a_) != 0)    \
            TEST_FAIL_AT("%s: expected \"%s\", got \"%s\"", #actual,      \
                e_ ? e_ : "(null)", a_ ? a_ : "(null)");                  \
    } while (0)

#define CHECK_STR_CONTAINS(needle, haystack) do {                         \
        const char *n_ = (needle), *h_ = (haystack);                      \
        if (h_ == NULL || strstr(h_, n_) == NULL)                         \
            TEST_FAIL_AT("%s: expected to contain \"%s\", got \"%s\"",    \
                #haystack, n_, h_ ? h_ : "(null)");                       \
    } while (0)

/* Run one case: a function taking no arguments. */
#define RUN_TEST(fn) do {                                                 \
        test_failed_checks = 0;                                           \
        fn();                                                             \
        if (test_failed_checks == 0) {                                    \
            test_cases_passed++;                                          \
            printf("ok   %s\n", #fn);                                     \
        } else {                                                          \
            test_cases_failed++;                                          \
            printf("FAIL %s (%d checks)\n", #fn, test_failed_checks);     \
        }                                                                 \
        fflush(stdout);                                                   \
    } while (0)

/* Table rows report under their own name. */
#define TEST_ROW_BEGIN() int row_failed_before_ = test_failed_checks
#define TEST_ROW_END(name) do {                                           \
        if (test_failed_checks != row_failed_before_)                     \
            fprintf(stderr, "    (in row \"%s\")\n", (name));             \
    } while (0)

#define TEST_EXIT() do {                                                  \
        printf("%d passed, %d failed\n", test_cases_passed,               \
            test_cases_failed);                                           \
        return test_cases_failed ? EXIT_FAILURE : EXIT_SUCCESS;           \
    } while (0)

#endif
