/*
 * log: one place that decides where messages go: stderr in the foreground,
 * syslog(3) as a daemon, or both, each line escaped by lh_text_escape.
 * In the style of OpenBSD's log.c.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static bool log_stderr = true;
static bool log_journal;        /* stderr is the systemd journal */
static bool log_syslog;
static int log_max = LOG_INFO;

/*
 * Is stderr the journal?  systemd says so in JOURNAL_STREAM ("dev:inode"
 * of the stream it gave us); a stderr redirected since then no longer
 * matches.
 */
static bool
stderr_is_journal(void)
{
    const char *env = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;

    return env != NULL && sscanf(env, "%llu:%llu", &dev, &ino) == 2 &&
        fstat(STDERR_FILENO, &st) == 0 &&
        (unsigned long long)st.st_dev == dev &&
        (unsigned long long)st.st_ino == ino;
}

void
lh_log_init(bool to_stderr, bool use_syslog, int facility, int level)
{
    if (log_syslog)
        closelog();
    log_stderr = to_stderr;
    log_journal = to_stderr && stderr_is_journal();
    /* The journal takes stderr's lines with their priority ("<4>"; the
     * facility is the unit's SyslogFacility=); the same lines through
     * syslog would show twice. */
    log_syslog = use_syslog && !log_journal;
    log_max = level;
    if (log_syslog)
        openlog("linkhealthd", LOG_PID | LOG_NDELAY, facility);
}

void
lh_log_set_level(int level)
{
    log_max = level;
}

int
lh_log_level(void)
{
    return log_max;
}

void
lh_log_close(void)
{
    if (log_syslog)
        closelog();
    log_syslog = false;
}

static const char *
level_name(int priority)
{
    static const char *const names[] = { "emerg", "alert", "crit", "error",
        "warning", "notice", "info", "debug" };

    return names[LOG_PRI(priority)];
}

static void
vlog(int priority, const char *fmt, va_list ap)
{
    char raw[2048], buf[4096];

    if (priority > log_max)
        return;
    /* Format once so stderr and syslog carry the same line.  Names, URLs
     * and reasons come from the directory and from servers: a newline in
     * one would start a line of its own ("<0>..." to the journal), an
     * escape sequence would drive the terminal, so the whole line goes
     * through the one sanitizer. */
    vsnprintf(raw, sizeof(raw), fmt, ap);
    (void)lh_text_escape(buf, sizeof(buf), raw);
    if (log_syslog)
        syslog(priority, "%s", buf);
    if (log_journal) {
        /* A level only: journald reads <0> to <7> and takes anything
         * else for text (sd-daemon(3)). */
        fprintf(stderr, "<%d>%s\n", LOG_PRI(priority), buf);
        fflush(stderr);
    } else if (log_stderr) {
        /* The level, as syslog and the journal know it: a terminal
         * reader tells a warning from a verdict at a glance. */
        fprintf(stderr, "linkhealthd: %s: %s\n", level_name(priority), buf);
        fflush(stderr);
    }
}

void
lh_log(int priority, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(priority, fmt, ap);
    va_end(ap);
}

#define LOG_FN(fn, prio)                            \
    void                                            \
    fn(const char *fmt, ...)                        \
    {                                               \
        va_list ap;                                 \
                                                    \
        va_start(ap, fmt);                          \
        vlog(prio, fmt, ap);                        \
        va_end(ap);                                 \
    }

LOG_FN(log_warnx, LOG_WARNING)
LOG_FN(log_notice, LOG_NOTICE)
LOG_FN(log_info, LOG_INFO)
LOG_FN(log_debug, LOG_DEBUG)
LOG_FN(log_err, LOG_ERR)

void
log_warn(const char *fmt, ...)
{
    char buf[1536];
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    lh_log(LOG_WARNING, "%s: %s", buf, strerror(saved));
    errno = saved;
}
