/*
 * dnsd: tests/server/dnsserver.py for the unit tests, as a child process
 * answering on 127.0.0.1 (a port of its own) from a JSON table of names
 * (see that script).  Closing its stdin stops it.
 *
 * Header-only, as httpd.h, so that the Makefile's one-source-per-test
 * rule holds.
 */
#ifndef LH_TEST_DNSD_H
#define LH_TEST_DNSD_H

#include <stdio.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define DNSD_FN         static __attribute__((unused))

struct dnsd {
    pid_t pid;              /* 0: not running */
    int in;                 /* its stdin */
    int port;               /* UDP and TCP, on 127.0.0.1 */
};

/* Start the server with table; 0, or -1.  Either way dnsd_stop ends
 * what was started. */
DNSD_FN int
dnsd_start(struct dnsd *d, const char *table)
{
    int in[2], out[2];
    char line[64];
    FILE *f;

    d->pid = 0;
    d->in = -1;
    if (pipe(in) == -1)
        return -1;
    if (pipe(out) == -1) {
        close(in[0]);
        close(in[1]);
        return -1;
    }
    if ((d->pid = fork()) == -1) {
        d->pid = 0;
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        return -1;
    }
    if (d->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execlp("python3", "python3", "tests/server/dnsserver.py", table,
            (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    d->in = in[1];
    if ((f = fdopen(out[0], "r")) == NULL) {
        close(out[0]);
        return -1;
    }
    if (fgets(line, sizeof(line), f) == NULL ||
        sscanf(line, "port %d", &d->port) != 1) {
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

/* Stop it and wait for it; harmless when it never started. */
DNSD_FN void
dnsd_stop(struct dnsd *d)
{
    if (d->pid <= 0)
        return;
    close(d->in);
    (void)waitpid(d->pid, NULL, 0);
    d->pid = 0;
}

#endif
