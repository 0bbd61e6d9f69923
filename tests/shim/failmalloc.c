/*
 * failmalloc: an LD_PRELOAD shim that makes allocations fail on purpose,
 * so tests can check that an out-of-memory during a cycle fails that check
 * (or that cycle), never the process.
 *
 *   FAIL_AFTER=K  let the first K counted calls through
 *   FAIL_EVERY=N  then make every Nth counted call return NULL (ENOMEM)
 *
 * Only malloc, calloc and realloc on the main thread are counted and
 * failed (gettid() == getpid()): other threads (libcurl's resolver) run
 * at their own pace, so counting them would make runs nondeterministic.
 * realloc(p, 0) and free() are passed through.
 *
 * Built by tests/integration/test_oom.py: cc -shared -fPIC -o X.so X.c -ldl
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static unsigned long calls, every, after;
static int ready;
static pid_t main_pid;

static unsigned long
env_ulong(const char *name)
{
	const char *s = getenv(name);	/* getenv does not allocate */

	return s ? strtoul(s, NULL, 10) : 0;
}

static int
should_fail(void)
{
	if (!ready) {
		ready = 1;	/* before getenv, in case anything recurses */
		every = env_ulong("FAIL_EVERY");
		after = env_ulong("FAIL_AFTER");
		main_pid = getpid();
	}
	if (every == 0 || (pid_t)syscall(SYS_gettid) != main_pid)
		return 0;
	calls++;
	if (calls > after && calls % every == 0) {
		errno = ENOMEM;
		return 1;
	}
	return 0;
}

void *
malloc(size_t n)
{
	return should_fail() ? NULL : __libc_malloc(n);
}

void *
calloc(size_t a, size_t b)
{
	return should_fail() ? NULL : __libc_calloc(a, b);
}

void *
realloc(void *p, size_t n)
{
	if (p != NULL && n == 0)
		return __libc_realloc(p, n);
	return should_fail() ? NULL : __libc_realloc(p, n);
}
