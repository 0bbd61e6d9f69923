/*
 * clockshift: an LD_PRELOAD shim that sets one process's wall clock ahead
 * or back, so a test can jump the clock under a running daemon without
 * touching the machine's.
 *
 *   CLOCKSHIFT_FILE=P  the file P holds a whole number of seconds (may be
 *                      negative); it is read again at each call, so the
 *                      test jumps the clock by rewriting it.  Missing or
 *                      unreadable: no shift.
 *
 * time(), gettimeofday() and clock_gettime() of CLOCK_REALTIME and
 * CLOCK_REALTIME_COARSE are shifted, for linkhealthd and for the libraries
 * it calls through their symbols (OpenSSL judges certificate dates with
 * time()); the monotonic clocks, which libuv's and curl's timers use, are
 * left alone.  Test only: never built into or installed with linkhealthd.
 *
 * Built by tests/integration/test_clock.py:
 *   cc -shared -fPIC -o X.so X.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int (*real_clock_gettime)(clockid_t, struct timespec *);

static long long
shift(void)
{
    const char *path = getenv("CLOCKSHIFT_FILE");
    char buf[32];
    ssize_t n;
    int fd;

    if (path == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return strtoll(buf, NULL, 10);
}

static int
realtime(clockid_t id, struct timespec *ts)
{
    if (real_clock_gettime == NULL)
        real_clock_gettime = (int (*)(clockid_t, struct timespec *))
            dlsym(RTLD_NEXT, "clock_gettime");
    if (real_clock_gettime == NULL)
        return -1;
    return real_clock_gettime(id, ts);
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
    int rc = realtime(id, ts);

    if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
        ts->tv_sec += shift();
    return rc;
}

time_t
time(time_t *out)
{
    struct timespec ts;
    time_t t;

    if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
        return (time_t)-1;
    t = ts.tv_sec;
    if (out != NULL)
        *out = t;
    return t;
}

int
gettimeofday(struct timeval *tv, void *tz)
{
    struct timespec ts;

    (void)tz;
    if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
        return -1;
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
    return 0;
}
