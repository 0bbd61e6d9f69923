/*
 * log: stderr in the foreground, syslog(3) as a daemon (or both).  Knows
 * nothing of the rest of linkhealthd.
 */
#ifndef LH_LOG_H
#define LH_LOG_H

#include <stdbool.h>
#include <syslog.h>

/*
 * to_stderr: also copy every message to stderr.  use_syslog: openlog()
 * with facility.  Messages above level (a LOG_* priority) are dropped.
 */
void lh_log_init(bool to_stderr, bool use_syslog, int facility, int level);
void lh_log_set_level(int level);
int lh_log_level(void);
void lh_log_close(void);

void lh_log(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* log_warn appends ": strerror(errno)". */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
