/*
 * file: bounded whole-file reads and atomic replacement of a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "util.h"

/* err gets "path: why (limit)"; errno is left at e for the caller. */
static int
read_fail(const char *path, int e, const char *why, const char *limit_name,
    char *err, size_t errlen)
{
    if (limit_name != NULL && e == EFBIG)
        lh_seterr(err, errlen, "%s: %s (%s)", path, why, limit_name);
    else
        lh_seterr(err, errlen, "%s: %s", path, why);
    errno = e;
    return -1;
}

const char *
lh_file_kind(mode_t mode)
{
    if (S_ISREG(mode))
        return "a regular file";
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISLNK(mode))
        return "a symbolic link";
    return "a file of an unknown kind";
}

/* err gets "path: is a FIFO, not a regular file"; errno is EINVAL, or
 * EISDIR for a directory. */
static int
not_regular(const char *path, mode_t mode, char *err, size_t errlen)
{
    lh_seterr(err, errlen, "%s: is %s, not a regular file", path,
        lh_file_kind(mode));
    errno = S_ISDIR(mode) ? EISDIR : EINVAL;
    return -1;
}

int
lh_file_open_regular(const char *path, struct stat *st, char *err,
    size_t errlen)
{
    int fd, flags, e;

    /*
     * O_NONBLOCK: a FIFO without a writer would block the open, and one
     * with a silent writer the read; O_NOCTTY: a terminal must not become
     * ours.  The file is judged by what was opened, not by a stat of the
     * name that might have changed in between.
     */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd == -1) {
        e = errno;
        lh_seterr(err, errlen, "%s: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    if (fstat(fd, st) == -1)
        goto fail;
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return not_regular(path, st->st_mode, err, errlen);
    }
    /* A regular file never blocks; blocking reads keep EAGAIN away. */
    if ((flags = fcntl(fd, F_GETFL)) == -1 ||
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1)
        goto fail;
    return fd;
fail:
    e = errno;
    close(fd);
    lh_seterr(err, errlen, "%s: %s", path, strerror(e));
    errno = e;
    return -1;
}

int
lh_file_check_regular(const char *path, char *err, size_t errlen)
{
    struct stat st;

    if (stat(path, &st) == -1) {
        if (errno == ENOENT)
            return 0;
        lh_seterr(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode))
        return not_regular(path, st.st_mode, err, errlen);
    return 0;
}

int
lh_file_read(const char *path, size_t max_bytes, const char *limit_name,
    char **out, size_t *outlen, char *err, size_t errlen)
{
    char why[96];
    struct stat st;
    char *buf = NULL, *nbuf;
    size_t cap, len = 0;
    ssize_t r;
    int fd, e;

    *out = NULL;
    *outlen = 0;
    if (max_bytes > SIZE_MAX / 2)
        max_bytes = SIZE_MAX / 2;
    if ((fd = lh_file_open_regular(path, &st, err, errlen)) == -1)
        return -1;
    if ((uintmax_t)st.st_size > max_bytes) {
        snprintf(why, sizeof(why), "%jd bytes is over the %zu-byte limit",
            (intmax_t)st.st_size, max_bytes);
        close(fd);
        return read_fail(path, EFBIG, why, limit_name, err, errlen);
    }
    /* One byte more than expected, to see the end (or a growing file). */
    cap = (size_t)st.st_size + 1;
    if (cap > max_bytes + 1)
        cap = max_bytes + 1;
    if ((buf = malloc(cap)) == NULL)
        goto fail_errno;
    for (;;) {
        if (len == cap) {
            if (cap == max_bytes + 1) {
                snprintf(why, sizeof(why), "more than %zu bytes is over the "
                    "%zu-byte limit", max_bytes, max_bytes);
                free(buf);
                close(fd);
                return read_fail(path, EFBIG, why, limit_name, err, errlen);
            }
            cap = cap > (max_bytes + 1) / 2 ? max_bytes + 1 : cap * 2;
            if ((nbuf = realloc(buf, cap)) == NULL)
                goto fail_errno;
            buf = nbuf;
        }
        r = read(fd, buf + len, cap - len);
        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1)
            goto fail_errno;
        if (r == 0)
            break;
        len += (size_t)r;
    }
    if (close(fd) == -1) {
        fd = -1;
        goto fail_errno;
    }
    *out = buf;
    *outlen = len;
    return 0;
fail_errno:
    e = errno;
    free(buf);
    if (fd != -1)
        close(fd);
    return read_fail(path, e, strerror(e), NULL, err, errlen);
}

int
lh_file_write_atomic(const char *path, int (*print)(FILE *, void *),
    void *arg, char *err, size_t errlen)
{
    char *tmp = NULL, *dircopy = NULL;
    FILE *f = NULL;
    int fd = -1, dfd = -1;
    const char *step;
    struct stat st;

    /*
     * Only a regular file is replaced: renaming over a FIFO, a device or
     * a socket someone put at this path would destroy it (a status_file
     * of /dev/null, as root).  A symbolic link is replaced by the file,
     * never written through.
     */
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode) &&
        !S_ISLNK(st.st_mode)) {
        not_regular(path, st.st_mode, err, errlen);
        return -1;
    }
    if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
        tmp = NULL;
        step = "out of memory";
        errno = ENOMEM;
        goto fail;
    }
    step = "create temporary file";
    if ((fd = mkstemp(tmp)) == -1)
        goto fail;
    step = "fchmod";
    if (fchmod(fd, 0644) == -1)
        goto fail;
    step = "fdopen";
    if ((f = fdopen(fd, "w")) == NULL)
        goto fail;
    fd = -1;
    step = "write";
    errno = 0;
    if (print(f, arg) == -1 || fflush(f) == EOF)
        goto fail;
    step = "fsync";
    if (fsync(fileno(f)) == -1)
        goto fail;
    step = "close";
    if (fclose(f) == EOF) {
        f = NULL;
        goto fail;
    }
    f = NULL;
    step = "rename";
    if (rename(tmp, path) == -1)
        goto fail;
    /* Make the rename itself durable. */
    if ((dircopy = strdup(path)) != NULL &&
        (dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC |
        O_NONBLOCK)) != -1) {
        (void)fsync(dfd);
        close(dfd);
    }
    free(dircopy);
    free(tmp);
    return 0;
fail:
    lh_seterr(err, errlen, "%s: %s: %s", path, step,
        errno ? strerror(errno) : "write error");
    if (f != NULL)
        fclose(f);
    if (fd != -1)
        close(fd);
    if (tmp != NULL) {
        unlink(tmp);
        free(tmp);
    }
    return -1;
}
