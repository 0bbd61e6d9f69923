/*
 * file: whole-file I/O with the two guarantees every other module relies
 * on: a read is bounded before anything is allocated, and a write replaces
 * the file atomically or leaves it as it was.
 */
#ifndef LH_FILE_H
#define LH_FILE_H

#include <stddef.h>
#include <stdio.h>

/*
 * Read path into a malloc'ed buffer (*out, *outlen; the caller frees it),
 * refusing more than max_bytes: a regular file is refused from its size
 * before any read, a pipe or device once it passes the limit.  limit_name
 * names the setting in the message ("directory_max_bytes"); NULL leaves it
 * out.  A FIFO without a writer does not block the open.  Returns 0, or -1
 * with err naming the file; errno is then the cause (ENOENT for a missing
 * file, EFBIG for one over the limit).
 */
int lh_file_read(const char *path, size_t max_bytes, const char *limit_name,
    char **out, size_t *outlen, char *err, size_t errlen);

/*
 * Replace path atomically with what print writes to its stream: a
 * temporary file beside it (mode 0644), fsync, rename, fsync of the folder.
 * print returns 0, or -1 when a write failed.  On failure returns -1, the
 * previous file is untouched, no temporary file is left, and err names the
 * file and the failing step.
 */
int lh_file_write_atomic(const char *path, int (*print)(FILE *, void *),
    void *arg, char *err, size_t errlen);

#endif
