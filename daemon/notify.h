/*
 * notify: systemd's readiness protocol without libsystemd: one datagram
 * per state to $NOTIFY_SOCKET ("READY=1", "STATUS=...", "RELOADING=1",
 * "STOPPING=1").  Without $NOTIFY_SOCKET it does nothing.
 */
#ifndef LH_NOTIFY_H
#define LH_NOTIFY_H

/* Send one message; 0 when sent or when there is nobody to tell, -1 (with
 * errno) when sending failed. */
int lh_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
