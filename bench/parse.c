/*
 * lhb-parse: time linkhealthd's directory parser on one file, as the
 * daemon parses a directory file (lh_directory_load_file: read, then
 * lh_directory_parse), and the freeing of what it made.
 * Usage: lhb-parse FILE FORMAT    (FORMAT: html, wordpress, list, auto)
 *
 * Prints one line, "entries warnings total_ns read_ns parse_ns free_ns",
 * on stdout: the same span xmllint --timing reports as "Parsing" (which
 * reads the file too) plus "Freeing".  Exits 0 when the parse succeeded.
 */
#include <stdio.h>
#include <stdlib.h>

#include <libxml/parser.h>
#include <uv.h>

#include "directory.h"

int
main(int argc, char **argv)
{
    struct lh_directory dir;
    enum lh_dir_format format;
    long long t0, t1, t2, t3;
    char err[1024];
    size_t len, n, nwarnings;
    char *buf;
    int rc;

    if (argc != 3 || lh_directory_format_parse(argv[2], &format) == -1) {
        fprintf(stderr, "usage: lhb-parse FILE html|wordpress|list|auto\n");
        return 2;
    }
    /* As daemon/main.c does once at startup: not part of a parse. */
    xmlInitParser();
    t0 = (long long)uv_hrtime();
    if (lh_directory_read_file(argv[1], 64u * 1024 * 1024, &buf, &len, err,
            sizeof(err)) == -1) {
        fprintf(stderr, "lhb-parse: %s\n", err);
        return 1;
    }
    t1 = (long long)uv_hrtime();
    rc = lh_directory_parse(buf, len, argv[1], format, &dir, err,
        sizeof(err));
    t2 = (long long)uv_hrtime();
    if (rc == -1) {
        fprintf(stderr, "lhb-parse: %s\n", err);
        free(buf);
        return 1;
    }
    n = dir.n;
    nwarnings = dir.nwarnings;
    for (size_t i = 0; i < dir.nwarnings && i < 5; i++)
        fprintf(stderr, "lhb-parse: warning: %s\n", dir.warnings[i]);
    lh_directory_cleanup(&dir);
    free(buf);
    t3 = (long long)uv_hrtime();
    printf("%zu %zu %lld %lld %lld %lld\n", n, nwarnings, t3 - t0, t1 - t0,
        t2 - t1, t3 - t2);
    xmlCleanupParser();
    return fflush(stdout) == 0 ? 0 : 1;
}
