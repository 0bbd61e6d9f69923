/*
 * signals: the four signals linkhealthd answers, as uv_signal_t handles.
 * The handles are embedded in struct lh_signals, which must outlive their
 * close callbacks (it lives in main's frame until uv_run returns).
 */
#include <signal.h>
#include <string.h>

#include "signals.h"

/* In the order of struct lh_signals' sig[]. */
static const int signums[4] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };

static void
signal_cb(uv_signal_t *handle, int signum)
{
    struct lh_signals *s = handle->data;

    switch (signum) {
    case SIGHUP:
        if (s->hooks.reload != NULL)
            s->hooks.reload(s->hooks.arg);
        break;
    case SIGUSR1:
        if (s->hooks.check_now != NULL)
            s->hooks.check_now(s->hooks.arg);
        break;
    default:
        if (s->hooks.stop != NULL)
            s->hooks.stop(signum, s->hooks.arg);
        break;
    }
}

int
lh_signals_start(uv_loop_t *loop, struct lh_signals *s, bool daemon,
    const struct lh_signal_hooks *hooks)
{
    int rc;

    memset(s, 0, sizeof(*s));
    s->hooks = *hooks;
    for (int i = 0; i < (daemon ? 4 : 2); i++) {
        if ((rc = uv_signal_init(loop, &s->sig[i])) != 0)
            return rc;
        s->open[i] = true;
        s->sig[i].data = s;
        if ((rc = uv_signal_start(&s->sig[i], signal_cb, signums[i])) != 0)
            return rc;
    }
    /* A closed pipe, or a file size limit, is an error to report (EPIPE,
     * EFBIG), not a reason to die. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    return 0;
}

void
lh_signals_close(struct lh_signals *s)
{
    for (int i = 0; i < 4; i++) {
        if (s->open[i]) {
            uv_close((uv_handle_t *)&s->sig[i], NULL);
            /* libuv restores the default action, which for these is to
             * die: a second SIGTERM while we finish must not kill us. */
            signal(signums[i], SIG_IGN);
        }
        s->open[i] = false;
    }
}
