/*
 * failmalloc: an LD_PRELOAD shim that makes allocations fail on purpose,
 * so tests can check that an out-of-memory during a cycle fails that check
 * (or that cycle), never the process.
 *
 *   FAIL_AFTER=K  let the first K counted calls through
 *   FAIL_EVERY=N  then make every Nth counted call return NULL (ENOMEM)
 *   FAIL_TIMES=M  fail at most M calls (unset or 0: no limit); with
 *                 FAIL_EVERY=1 and FAIL_TIMES=1 exactly call K+1 fails
 *   FAIL_FROM=F   count only from F on, where F is one of
 *                   xmlInitParser  its return (main.c loads the config next)
 *                   uv_run         its first call (the loop starts)
 *                 unset: from the start of the process
 *   FAIL_UNTIL=U  stop counting (and failing) at the first call of U,
 *                 uv_loop_init or uv_run
 *   FAIL_STATS=P  at exit, write "CALLS FAILED" (calls counted, calls made
 *                 to fail) to the file P, so a test can tell whether it
 *                 injected anything at all
 *
 * Only malloc, calloc and realloc on the main thread are counted and
 * failed (gettid() == getpid()): other threads (libcurl's resolver) run
 * at their own pace, so counting them would make runs nondeterministic.
 * Calls made by libuv itself are neither counted nor failed: libuv 1.44
 * answers a failed allocation of its own (its table of watched
 * descriptors, say) with abort(), by design, so failing them would test
 * libuv's choice, not linkhealthd.  (What linkhealthd allocates for its
 * handles is its own, and fails.)
 * realloc(p, 0) and free() are passed through.  The markers are found
 * with dlsym(RTLD_NEXT) while nothing is counted.
 *
 * Built by tests/integration/test_oom.py: cc -shared -fPIC -o X.so X.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

enum mark { MARK_NONE, MARK_XML_INIT, MARK_LOOP_INIT, MARK_RUN };

static unsigned long calls, failed, every, after, times;
static int ready, armed, disarmed;
static enum mark from, until;
static pid_t main_pid;
static uintptr_t uv_lo, uv_hi;  /* libuv's code, once uv_loop_init ran */

static unsigned long
env_ulong(const char *name)
{
    const char *s = getenv(name);   /* getenv does not allocate */

    return s ? strtoul(s, NULL, 10) : 0;
}

static enum mark
env_mark(const char *name)
{
    const char *s = getenv(name);

    if (s == NULL)
        return MARK_NONE;
    if (strcmp(s, "xmlInitParser") == 0)
        return MARK_XML_INIT;
    if (strcmp(s, "uv_loop_init") == 0)
        return MARK_LOOP_INIT;
    if (strcmp(s, "uv_run") == 0)
        return MARK_RUN;
    return MARK_NONE;
}

static void
setup(void)
{
    if (ready)
        return;
    ready = 1;      /* before getenv, in case anything recurses */
    every = env_ulong("FAIL_EVERY");
    after = env_ulong("FAIL_AFTER");
    times = env_ulong("FAIL_TIMES");
    from = env_mark("FAIL_FROM");
    until = env_mark("FAIL_UNTIL");
    armed = from == MARK_NONE;
    main_pid = getpid();
}

static int
is_main(void)
{
    return (pid_t)syscall(SYS_gettid) == main_pid;
}

/* Find libuv's loaded segments from the address of one of its functions
 * (called outside malloc: dladdr and dl_iterate_phdr are not counted). */
static int
segment_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    uintptr_t base = (uintptr_t)arg;

    (void)size;
    if (info->dlpi_addr != base)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

        if (ph->p_type != PT_LOAD)
            continue;
        if (uv_lo == 0 || lo < uv_lo)
            uv_lo = lo;
        if (lo + ph->p_memsz > uv_hi)
            uv_hi = lo + ph->p_memsz;
    }
    return 1;
}

static void
find_libuv(void *fn)
{
    Dl_info di;
    int was = disarmed;

    disarmed = 1;
    if (uv_lo == 0 && dladdr(fn, &di) != 0 && di.dli_fbase != NULL)
        dl_iterate_phdr(segment_cb, di.dli_fbase);
    disarmed = was;
}

static int
from_libuv(const void *caller)
{
    return (uintptr_t)caller >= uv_lo && (uintptr_t)caller < uv_hi;
}

static int
should_fail(const void *caller)
{
    setup();
    if (every == 0 || !armed || disarmed || !is_main() ||
        from_libuv(caller))
        return 0;
    calls++;
    if (calls > after && calls % every == 0 &&
        (times == 0 || failed < times)) {
        failed++;
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

/* The main thread is at marker m: entering it, or (returned) leaving it. */
static void
mark(enum mark m, int returned)
{
    setup();
    if (!is_main())
        return;
    if (m == until && !returned)
        disarmed = 1;
    else if (m == from && returned == (m == MARK_XML_INIT))
        armed = 1;
}

static void *
next(const char *name)
{
    int was = disarmed;
    void *f;

    disarmed = 1;   /* dlsym may allocate: never fail it */
    f = dlsym(RTLD_NEXT, name);
    disarmed = was;
    if (f == NULL)
        abort();
    return f;
}

void *
malloc(size_t n)
{
    return should_fail(__builtin_return_address(0)) ? NULL :
        __libc_malloc(n);
}

void *
calloc(size_t a, size_t b)
{
    return should_fail(__builtin_return_address(0)) ? NULL :
        __libc_calloc(a, b);
}

void *
realloc(void *p, size_t n)
{
    if (p != NULL && n == 0)
        return __libc_realloc(p, n);
    return should_fail(__builtin_return_address(0)) ? NULL :
        __libc_realloc(p, n);
}

void
xmlInitParser(void)
{
    static void (*real)(void);

    if (real == NULL)
        real = (void (*)(void))next("xmlInitParser");
    real();
    mark(MARK_XML_INIT, 1);
}

int
uv_loop_init(void *loop)
{
    static int (*real)(void *);

    if (real == NULL)
        real = (int (*)(void *))next("uv_loop_init");
    find_libuv((void *)real);
    mark(MARK_LOOP_INIT, 0);
    return real(loop);
}

int
uv_run(void *loop, int mode)
{
    static int (*real)(void *, int);

    if (real == NULL)
        real = (int (*)(void *, int))next("uv_run");
    mark(MARK_RUN, 0);
    return real(loop, mode);
}

__attribute__((destructor)) static void
write_stats(void)
{
    const char *path = getenv("FAIL_STATS");
    char line[64];
    int fd, n;

    if (path == NULL || !ready || !is_main())
        return;
    n = snprintf(line, sizeof(line), "%lu %lu\n", calls, failed);
    if (n <= 0 || (size_t)n >= sizeof(line) ||
        (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
        return;
    if (write(fd, line, (size_t)n) != n)
        (void)unlink(path);
    close(fd);
}
