/*
 * notify: sd_notify(3)'s wire format is a datagram of "KEY=value" lines
 * sent to the AF_UNIX socket named in $NOTIFY_SOCKET; a name starting
 * with '@' is in the abstract namespace.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

int
lh_notify(const char *fmt, ...)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sun;
    char msg[1024];
    socklen_t len;
    size_t plen;
    va_list ap;
    int fd, n, saved;
    ssize_t sent;

    if (path == NULL || *path == '\0')
        return 0;
    plen = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sun.sun_path)) {
        errno = EINVAL;
        return -1;
    }
    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(msg)) {
        errno = EMSGSIZE;
        return -1;
    }
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, plen);
    if (path[0] == '@')
        sun.sun_path[0] = '\0';
    len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen +
        (path[0] == '@' ? 0 : 1));
    if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
        return -1;
    sent = sendto(fd, msg, (size_t)n, MSG_NOSIGNAL,
        (struct sockaddr *)&sun, len);
    saved = errno;
    close(fd);
    errno = saved;
    return sent == n ? 0 : -1;
}
