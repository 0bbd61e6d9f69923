/*
 * signals: uv_signal_t wiring, so that signals arrive as callbacks in loop
 * context: SIGHUP reload, SIGUSR1 check now, SIGTERM and SIGINT stop.
 */
#ifndef LH_SIGNALS_H
#define LH_SIGNALS_H

#include <stdbool.h>

#include <uv.h>

struct lh_signal_hooks {
    void (*reload)(void *arg);          /* SIGHUP */
    void (*check_now)(void *arg);       /* SIGUSR1 */
    void (*stop)(int signum, void *arg);/* SIGTERM, SIGINT */
    void *arg;
};

struct lh_signals {
    uv_signal_t sig[4];     /* SIGTERM, SIGINT, SIGHUP, SIGUSR1 */
    bool open[4];
    struct lh_signal_hooks hooks;
};

/* Watch the signals (reload and check_now only when daemon is true).
 * Returns 0, or a negative uv error. */
int lh_signals_start(uv_loop_t *loop, struct lh_signals *s, bool daemon,
    const struct lh_signal_hooks *hooks);
/* Close every signal handle; safe to call twice. */
void lh_signals_close(struct lh_signals *s);

#endif
