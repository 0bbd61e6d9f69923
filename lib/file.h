/*
 * file: whole-file I/O with the two guarantees every other module relies
 * on: a read is bounded before anything is allocated, and a write replaces
 * the file atomically or leaves it as it was.
 */
#ifndef LH_FILE_H
#define LH_FILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct stat;

/*
 * Every file linkhealthd reads by a configured path is a regular file: a
 * FIFO would block the loop (a writer that never writes), a device would
 * be read without end (/dev/zero), a directory makes no sense.
 */

/* What mode is, in words for an error: "a FIFO", "a character device"... */
const char *lh_file_kind(mode_t mode);

/*
 * Open path for reading without blocking (a FIFO, with a writer or not,
 * cannot hang the open) or taking a terminal, close-on-exec, and refuse
 * it unless what was opened is a regular file.  Returns the descriptor,
 * in blocking mode, with *st filled; or -1 with err naming the path and
 * what it is ("status.json: is a FIFO, not a regular file"; errno EINVAL,
 * EISDIR for a directory) or why it could not be opened (errno: ENOENT
 * for a missing file).
 */
int lh_file_open_regular(const char *path, struct stat *st, char *err,
    size_t errlen);

/* For a path opened by others (curl's ca_file): 0 when it is a regular
 * file or missing, else -1 with err as lh_file_open_regular's. */
int lh_file_check_regular(const char *path, char *err, size_t errlen);

/*
 * Read the regular file path (lh_file_open_regular) into a malloc'ed
 * buffer (*out, *outlen; the caller frees it), refusing more than
 * max_bytes: from its size before any read, or once a growing file passes
 * the limit.  limit_name names the setting in the message
 * ("directory_max_bytes"); NULL leaves it out.  Returns 0, or -1 with err
 * naming the file; errno is then the cause (ENOENT for a missing file,
 * EFBIG for one over the limit, EINVAL or EISDIR for one that is not a
 * regular file).
 */
int lh_file_read(const char *path, size_t max_bytes, const char *limit_name,
    char **out, size_t *outlen, char *err, size_t errlen);

/*
 * Replace path atomically with what print writes to its stream: a
 * temporary file beside it (mode 0644), fsync, rename, fsync of the folder.
 * print returns 0, or -1 when a write failed.  Only a regular file (or a
 * symbolic link, itself replaced) is replaced: anything else at path is
 * refused as lh_file_open_regular says, and left as it is.  On failure
 * returns -1, the previous file is untouched, no temporary file is left,
 * and err names the file and the failing step.
 */
int lh_file_write_atomic(const char *path, int (*print)(FILE *, void *),
    void *arg, char *err, size_t errlen);

#endif
