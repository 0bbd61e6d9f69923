/*
 * hook: uv_spawn of the on_change program with a pipe on its standard
 * input, a timer for its time limit (SIGTERM, then SIGKILL after
 * KILL_AFTER_MS, to its whole process group), and at most one run at a
 * time: what comes meanwhile waits, the latest only.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "hook.h"
#include "log.h"
#include "notice.h"
#include "util.h"

extern char **environ;

/* After SIGTERM, this long before SIGKILL. */
#define KILL_AFTER_MS 5000

struct lh_hook {
    uv_loop_t *loop;
    uv_timer_t timer;
    uv_process_t proc;
    uv_pipe_t in;
    uv_write_t write;
    char *path;
    unsigned timeout_ms;
    char *writing;              /* the document being written */
    char *waiting;              /* the next run's, or NULL */
    unsigned long long skipped; /* replaced while waiting */
    unsigned handles;           /* of the run: process and pipe */
    bool running, termed, in_open, proc_open;
    bool closing;
    unsigned open;              /* the timer, and a run's handles */
    void (*closed)(void *);
    void *closed_arg;
};

static void start(struct lh_hook *h);

static void
maybe_closed(struct lh_hook *h)
{
    void (*closed)(void *) = h->closed;
    void *arg = h->closed_arg;

    if (!h->closing || h->open > 0)
        return;
    free(h->path);
    free(h->writing);
    free(h->waiting);
    free(h);
    if (closed != NULL)
        closed(arg);
}

/* A handle of the run is closed; when both are, the next may start. */
static void
run_handle_closed_cb(uv_handle_t *handle)
{
    struct lh_hook *h = handle->data;

    h->open--;
    if (--h->handles > 0)
        return;
    h->running = false;
    free(h->writing);
    h->writing = NULL;
    if (h->closing) {
        maybe_closed(h);
        return;
    }
    if (h->waiting != NULL)
        start(h);
}

static void
close_in(struct lh_hook *h)
{
    if (h->in_open) {
        h->in_open = false;
        uv_close((uv_handle_t *)&h->in, run_handle_closed_cb);
    }
}

static void
close_proc(struct lh_hook *h)
{
    close_in(h);
    if (h->proc_open) {
        h->proc_open = false;
        uv_close((uv_handle_t *)&h->proc, run_handle_closed_cb);
    }
}

static void
write_cb(uv_write_t *req, int status)
{
    struct lh_hook *h = req->data;

    /* A program that does not read its input is its own business. */
    if (status != 0 && status != UV_ECANCELED && status != UV_EPIPE)
        log_debug("on_change %s: writing its input: %s", h->path,
            uv_strerror(status));
    close_in(h);        /* the end of its input */
}

static void
exit_cb(uv_process_t *proc, int64_t status, int sig)
{
    struct lh_hook *h = proc->data;

    uv_timer_stop(&h->timer);
    if (sig != 0)
        log_warnx("on_change %s: killed by signal %d (%s)", h->path, sig,
            strsignal(sig));
    else if (status != 0)
        log_warnx("on_change %s: exit status %lld", h->path,
            (long long)status);
    close_proc(h);
}

/* The program and whatever it started: it runs in a session of its own,
 * so a script's children do not outlive its time limit. */
static void
kill_group(struct lh_hook *h, int sig)
{
    if (uv_kill(-h->proc.pid, sig) != 0)
        (void)uv_process_kill(&h->proc, sig);
}

static void
timeout_cb(uv_timer_t *timer)
{
    struct lh_hook *h = timer->data;

    if (!h->termed) {
        log_warnx("on_change %s: still running after %.0f s "
            "(on_change_timeout): SIGTERM", h->path,
            h->timeout_ms / 1000.0);
        kill_group(h, SIGTERM);
        h->termed = true;
        uv_timer_start(&h->timer, timeout_cb, KILL_AFTER_MS, 0);
        return;
    }
    log_warnx("on_change %s: still running %d s after SIGTERM: SIGKILL",
        h->path, KILL_AFTER_MS / 1000);
    kill_group(h, SIGKILL);
}

/*
 * Mark every descriptor above 2 close-on-exec before a spawn: libcurl
 * 7.88 makes some without the flag (a multi handle's wake-up socket pair,
 * the connections of the opensocket callback), and the program must not
 * hold a webhook's connection or a check's.  We never exec otherwise.
 */
static void
cloexec_all(void)
{
    struct dirent *e;
    DIR *d;
    int fd, flags;

    if ((d = opendir("/proc/self/fd")) == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long v = strtol(e->d_name, &end, 10);

        if (*end != '\0' || end == e->d_name || v <= 2 || v == dirfd(d))
            continue;
        fd = (int)v;
        if ((flags = fcntl(fd, F_GETFD)) != -1 && !(flags & FD_CLOEXEC))
            (void)fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    }
    closedir(d);
}

/* Run the program for the waiting document. */
static void
start(struct lh_hook *h)
{
    uv_process_options_t opt;
    uv_stdio_container_t stdio[3];
    char *args[2];
    char **env;
    uv_buf_t buf;
    int rc;

    h->writing = h->waiting;
    h->waiting = NULL;
    if (h->path == NULL || (env = lh_notice_env(h->writing, environ,
            h->skipped)) == NULL) {
        if (h->path != NULL)
            log_warnx("on_change %s: out of memory; not run", h->path);
        free(h->writing);
        h->writing = NULL;
        return;
    }
    h->skipped = 0;
    if ((rc = uv_pipe_init(h->loop, &h->in, 0)) != 0) {
        log_warnx("on_change %s: %s; not run", h->path, uv_strerror(rc));
        lh_notice_env_free(env);
        free(h->writing);
        h->writing = NULL;
        return;
    }
    h->in.data = h;
    h->in_open = true;
    h->open++;
    h->handles = 1;
    h->running = true;
    h->termed = false;
    memset(&opt, 0, sizeof(opt));
    args[0] = h->path;
    args[1] = NULL;
    stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
    stdio[0].data.stream = (uv_stream_t *)&h->in;
    /* Its output goes where ours does: the journal under systemd. */
    stdio[1].flags = UV_INHERIT_FD;
    stdio[1].data.fd = 1;
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = 2;
    opt.file = h->path;
    opt.args = args;
    opt.env = env;
    opt.stdio = stdio;
    opt.stdio_count = 3;
    opt.exit_cb = exit_cb;
    opt.flags = UV_PROCESS_DETACHED;    /* its own process group */
    h->proc.data = h;
    cloexec_all();
    rc = uv_spawn(h->loop, &h->proc, &opt);
    lh_notice_env_free(env);
    /* Closed even when the spawn failed (libuv's rule). */
    h->open++;
    h->handles++;
    h->proc_open = true;
    if (rc != 0) {
        log_warnx("on_change %s: %s; not run", h->path, uv_strerror(rc));
        close_proc(h);
        return;
    }
    log_debug("on_change %s: started, pid %d", h->path, h->proc.pid);
    buf = uv_buf_init(h->writing, (unsigned)strlen(h->writing));
    h->write.data = h;
    if ((rc = uv_write(&h->write, (uv_stream_t *)&h->in, &buf, 1,
            write_cb)) != 0) {
        log_debug("on_change %s: writing its input: %s", h->path,
            uv_strerror(rc));
        close_in(h);
    }
    uv_timer_start(&h->timer, timeout_cb, h->timeout_ms, 0);
}

struct lh_hook *
lh_hook_new(struct uv_loop_s *loop)
{
    struct lh_hook *h;

    if ((h = calloc(1, sizeof(*h))) == NULL)
        return NULL;
    if (uv_timer_init(loop, &h->timer) != 0) {
        free(h);
        return NULL;
    }
    h->loop = loop;
    h->timer.data = h;
    h->open = 1;
    return h;
}

void
lh_hook_configure(struct lh_hook *h, const char *path, unsigned timeout_ms)
{
    char *copy = NULL;

    if (path != NULL && (copy = strdup(path)) == NULL) {
        log_warnx("on_change %s: out of memory; the previous one is kept",
            path);
        return;
    }
    /* A running program keeps its own path: args hold the copy in use
     * only during uv_spawn. */
    free(h->path);
    h->path = copy;
    h->timeout_ms = timeout_ms;
}

void
lh_hook_run(struct lh_hook *h, const char *doc)
{
    char *copy;

    if (h->path == NULL || h->closing)
        return;
    if ((copy = strdup(doc)) == NULL) {
        log_warnx("on_change %s: out of memory; not run", h->path);
        return;
    }
    if (h->waiting != NULL) {
        free(h->waiting);
        h->skipped++;
    }
    h->waiting = copy;
    if (h->running) {
        log_info("on_change %s: still running; the next run waits",
            h->path);
        return;
    }
    start(h);
}

static void
timer_closed_cb(uv_handle_t *handle)
{
    struct lh_hook *h = handle->data;

    h->open--;
    maybe_closed(h);
}

void
lh_hook_close(struct lh_hook *h, void (*closed)(void *), void *arg)
{
    h->closing = true;
    h->closed = closed;
    h->closed_arg = arg;
    if (h->proc_open) {
        kill_group(h, SIGTERM);
        close_proc(h);
    }
    uv_timer_stop(&h->timer);
    uv_close((uv_handle_t *)&h->timer, timer_closed_cb);
}
