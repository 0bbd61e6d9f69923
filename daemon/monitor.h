/*
 * monitor: the life of linkhealthd on a libuv loop.  Each cycle re-reads
 * the directory (a file, re-parsed only when its bytes changed, or a URL
 * fetched with a conditional request), merges it into the link table,
 * checks every link, logs what changed and writes the status file; then
 * sleeps on one timer until the next cycle (or, while some link's verdict
 * waits to be confirmed, a retry round of those links).  A directory that
 * fails to load keeps the last good one.  The library does the work; this
 * module decides what is logged and at which priority, and the exit code
 * of --once.  Knows nothing of curl or parsing details.
 */
#ifndef LH_MONITOR_H
#define LH_MONITOR_H

#include <stdbool.h>

#include "config.h"
#include "directory.h"
#include "state.h"
#include "status.h"

struct uv_loop_s;
struct lh_monitor;

enum lh_monitor_mode {
    LH_MONITOR_DAEMON,      /* cycles forever, until lh_monitor_stop */
    LH_MONITOR_ONCE,        /* one cycle, then stops by itself */
    LH_MONITOR_LIST         /* load the directory, then stops */
};

struct lh_monitor_hooks {
    /* After each cycle, once the status file is written: what it holds
     * (info borrowed for the call). */
    void (*cycle_done)(const struct lh_links *links,
        const struct lh_status_info *info, void *arg);
    /* LH_MONITOR_LIST: the directory as loaded, and the configuration
     * it is checked under (its rules). */
    void (*listed)(const struct lh_directory *dir,
        const struct lh_config *cfg, void *arg);
    /* Each cycle, once the directory was read (or failed to be): error is
     * NULL or the load error; links is the table now being checked. */
    void (*loaded)(const struct lh_links *links, const char *error,
        void *arg);
    /* When the monitor has stopped and closed all its handles. */
    void (*stopped)(int exit_code, void *arg);
    void *arg;
};

/*
 * Take over *cfg (moved: the caller's struct is zeroed) and start: the
 * previous status file seeds the link table, the first cycle starts at
 * once.  Returns NULL with err when the loop refuses a handle.
 */
struct lh_monitor *lh_monitor_start(struct uv_loop_s *loop,
    struct lh_config *cfg, enum lh_monitor_mode mode,
    const struct lh_monitor_hooks *hooks, char *err, size_t errlen);

/* Use *cfg (moved) from the next cycle on, and start that cycle now (or
 * as soon as the running one ends): SIGHUP. */
void lh_monitor_reload(struct lh_monitor *m, struct lh_config *cfg);

/* Start a cycle now unless one is running: SIGUSR1.  Returns false when
 * the request was ignored. */
bool lh_monitor_cycle_now(struct lh_monitor *m);

/* Cancel in-flight work, write the status file, close every handle, then
 * call hooks->stopped: SIGTERM, SIGINT. */
void lh_monitor_stop(struct lh_monitor *m);

#endif
