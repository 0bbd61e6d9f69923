/*
 * A libcurl 7.88 out-of-memory bug, on its own: why lib/check.c makes a
 * fresh easy handle for every request instead of curl_easy_reset().
 *
 * curl_easy_reset() returns void and ignores a failure of
 * Curl_init_userdefined(), which returns early when its strdup of the
 * default CA bundle fails.  Everything it sets after that point stays
 * zero, set.buffer_size among them.  The next transfer's Curl_preconnect()
 * then allocates a receive buffer of buffer_size + 1 = 1 byte.  When that
 * transfer ends before it has a connection (no multi_done(), which is what
 * frees state.buffer), the 1-byte buffer survives; after the next, good,
 * reset (buffer_size 16384) Curl_preconnect() keeps it and the response is
 * recv()ed 16 KiB at a time into 1 byte: heap corruption.
 *
 *   cc -g -o curl_reset_oom curl_reset_oom.c -lcurl
 *   ./curl_reset_oom http://127.0.0.1:PORT/ 1    # the bug: valgrind shows
 *                                                # recv() into a 1-byte block
 *   ./curl_reset_oom http://127.0.0.1:PORT/ 0    # control: clean
 *
 * Every call is used as documented; the only fault is the strdup made to
 * fail (through curl_global_init_mem) during the first reset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

static int fail_strdup;

static void *
m(size_t n)
{
    return malloc(n);
}

static void
f(void *p)
{
    free(p);
}

static void *
r(void *p, size_t n)
{
    return realloc(p, n);
}

static void *
c(size_t a, size_t b)
{
    return calloc(a, b);
}

static char *
s(const char *p)
{
    if (fail_strdup > 0) {
        fail_strdup--;
        return NULL;
    }
    return strdup(p);
}

static size_t
sink(char *b, size_t a, size_t n, void *u)
{
    (void)b;
    (void)u;
    return a * n;
}

static int
transfer(CURL *e, int fails, const char *url)
{
    CURLcode rc;

    fail_strdup = fails;
    curl_easy_reset(e);     /* void: the failure cannot be seen */
    fail_strdup = 0;
    if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink) != CURLE_OK)
        return -1;
    rc = curl_easy_perform(e);
    printf("%s: %d %s\n", url, (int)rc, curl_easy_strerror(rc));
    return 0;
}

int
main(int argc, char **argv)
{
    CURL *e;
    int fails = argc > 2 ? atoi(argv[2]) : 1;

    if (argc < 2) {
        fprintf(stderr, "usage: %s URL [FAILS]\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, m, f, r, s, c) != 0 ||
        (e = curl_easy_init()) == NULL)
        return 2;
    printf("%s\n", curl_version());
    /* Ends before a connection is attached; any early error will do (in
     * linkhealthd it was an out-of-memory in Curl_connect). */
    if (transfer(e, fails, "nosuchscheme://127.0.0.1/") == -1 ||
        transfer(e, 0, argv[1]) == -1)
        return 2;
    curl_easy_cleanup(e);
    curl_global_cleanup();
    return 0;
}
