/*
 * Tests of file.c: only regular files are read or replaced.  A FIFO (with
 * no writer, or with one that never writes), a device, a socket or a
 * folder at a configured path is refused with its kind named, at once;
 * a regular file and a symbolic link to one are the controls that must
 * go on working.  alarm() bounds every case: a read that blocks kills
 * the test instead of hanging it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "file.h"
#include "test.h"

static char dir[] = "/tmp/lh-test-file-XXXXXX";

static const char *
at(const char *name)
{
    static char buf[4][256];
    static unsigned i;

    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
    return buf[i];
}

static int
print_hello(FILE *f, void *arg)
{
    (void)arg;
    return fputs("hello\n", f) == EOF ? -1 : 0;
}

/* Names in dir other than the ones given: a temporary file left over. */
static int
leftovers(void)
{
    char cmd[512];
    int rc;

    snprintf(cmd, sizeof(cmd), "ls -A %s | grep -q '\\.......$'", dir);
    rc = system(cmd);
    return rc == 0;
}

static void
read_refused(const char *path, const char *want)
{
    char err[512] = "", *buf = (char *)"sentinel";
    size_t len = 7;

    alarm(10);
    CHECK_INT_EQ(-1, lh_file_read(path, 1 << 20, "directory_max_bytes",
        &buf, &len, err, sizeof(err)));
    alarm(0);
    CHECK_STR_EQ(want, err);
    CHECK(buf == NULL && len == 0);
}

static void
test_read_not_regular(void)
{
    char want[512];
    int rfd, wfd;

    /* A FIFO without a writer. */
    CHECK_INT_EQ(0, mkfifo(at("fifo"), 0600));
    snprintf(want, sizeof(want), "%s: is a FIFO, not a regular file",
        at("fifo"));
    read_refused(at("fifo"), want);
    /* With a writer that never writes: the read used to wait for it. */
    rfd = open(at("fifo"), O_RDONLY | O_NONBLOCK);
    wfd = open(at("fifo"), O_WRONLY | O_NONBLOCK);
    CHECK(rfd != -1 && wfd != -1);
    read_refused(at("fifo"), want);
    close(wfd);
    close(rfd);

    /* Devices: /dev/zero never ends, /dev/null read as an empty file. */
    read_refused("/dev/zero",
        "/dev/zero: is a character device, not a regular file");
    read_refused("/dev/null",
        "/dev/null: is a character device, not a regular file");
    snprintf(want, sizeof(want), "%s: is a directory, not a regular file",
        dir);
    read_refused(dir, want);
    CHECK_INT_EQ(EISDIR, errno);

    /* Through a symbolic link the target is judged. */
    CHECK_INT_EQ(0, symlink("/dev/zero", at("zero-link")));
    snprintf(want, sizeof(want), "%s: is a character device, not a "
        "regular file", at("zero-link"));
    read_refused(at("zero-link"), want);
    unlink(at("zero-link"));
    unlink(at("fifo"));
}

/* The controls: a regular file, directly and through a symbolic link. */
static void
test_read_regular(void)
{
    char err[512] = "", *buf = NULL;
    size_t len = 0;
    FILE *f;

    CHECK((f = fopen(at("plain"), "w")) != NULL);
    if (f == NULL)
        return;
    fputs("hello\n", f);
    fclose(f);
    CHECK_INT_EQ(0, lh_file_read(at("plain"), 64, NULL, &buf, &len, err,
        sizeof(err)));
    CHECK(len == 6 && buf != NULL && memcmp(buf, "hello\n", 6) == 0);
    free(buf);
    CHECK_INT_EQ(0, symlink(at("plain"), at("link")));
    buf = NULL;
    CHECK_INT_EQ(0, lh_file_read(at("link"), 64, NULL, &buf, &len, err,
        sizeof(err)));
    CHECK(len == 6 && buf != NULL && memcmp(buf, "hello\n", 6) == 0);
    free(buf);
    /* The size limit still holds for a regular file. */
    CHECK_INT_EQ(-1, lh_file_read(at("plain"), 5, NULL, &buf, &len, err,
        sizeof(err)));
    CHECK_INT_EQ(EFBIG, errno);
    unlink(at("link"));
    unlink(at("plain"));
}

static void
write_refused(const char *path, const char *kind, mode_t type)
{
    char err[512] = "", want[512];
    struct stat st;

    snprintf(want, sizeof(want), "%s: is %s, not a regular file", path,
        kind);
    alarm(10);
    CHECK_INT_EQ(-1, lh_file_write_atomic(path, print_hello, NULL, err,
        sizeof(err)));
    alarm(0);
    CHECK_STR_EQ(want, err);
    /* Still there, still what it was, and no temporary file beside it. */
    CHECK(lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == type);
    CHECK(!leftovers());
}

static void
test_write_not_regular(void)
{
    struct sockaddr_un sa;
    int s, wfd, rfd;

    CHECK_INT_EQ(0, mkfifo(at("fifo"), 0600));
    write_refused(at("fifo"), "a FIFO", S_IFIFO);
    /* A reader waiting on it changes nothing. */
    rfd = open(at("fifo"), O_RDONLY | O_NONBLOCK);
    wfd = open(at("fifo"), O_WRONLY | O_NONBLOCK);
    write_refused(at("fifo"), "a FIFO", S_IFIFO);
    close(wfd);
    close(rfd);
    unlink(at("fifo"));

    CHECK_INT_EQ(0, mkdir(at("folder"), 0700));
    write_refused(at("folder"), "a directory", S_IFDIR);
    rmdir(at("folder"));

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", at("sock"));
    s = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(s != -1 && bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    write_refused(at("sock"), "a socket", S_IFSOCK);
    close(s);
    unlink(at("sock"));

    /* A device node of our own (as root): the 1,3 of /dev/null. */
    if (mknod(at("null"), S_IFCHR | 0600, makedev(1, 3)) == 0) {
        write_refused(at("null"), "a character device", S_IFCHR);
        unlink(at("null"));
    } else {
        printf("     (no device node: %s; that row skipped)\n",
            strerror(errno));
    }
}

/* The controls: a regular file is replaced; a symbolic link is replaced
 * by the file, its target untouched (as before). */
static void
test_write_regular(void)
{
    char err[512] = "", *buf = NULL;
    size_t len = 0;
    struct stat st;
    FILE *f;

    CHECK((f = fopen(at("old"), "w")) != NULL);
    if (f == NULL)
        return;
    fputs("old\n", f);
    fclose(f);
    CHECK_INT_EQ(0, lh_file_write_atomic(at("old"), print_hello, NULL, err,
        sizeof(err)));
    CHECK_INT_EQ(0, lh_file_read(at("old"), 64, NULL, &buf, &len, err,
        sizeof(err)));
    CHECK(len == 6 && buf != NULL && memcmp(buf, "hello\n", 6) == 0);
    free(buf);
    buf = NULL;

    CHECK_INT_EQ(0, symlink(at("target"), at("link")));
    CHECK((f = fopen(at("target"), "w")) != NULL);
    if (f != NULL) {
        fputs("target\n", f);
        fclose(f);
    }
    CHECK_INT_EQ(0, lh_file_write_atomic(at("link"), print_hello, NULL,
        err, sizeof(err)));
    CHECK(lstat(at("link"), &st) == 0 && S_ISREG(st.st_mode));
    CHECK_INT_EQ(0, lh_file_read(at("target"), 64, NULL, &buf, &len, err,
        sizeof(err)));
    CHECK(len == 7 && buf != NULL && memcmp(buf, "target\n", 7) == 0);
    free(buf);
    /* A new file where there was none. */
    CHECK_INT_EQ(0, lh_file_write_atomic(at("new"), print_hello, NULL, err,
        sizeof(err)));
    CHECK(!leftovers());
    unlink(at("old"));
    unlink(at("target"));
    unlink(at("link"));
    unlink(at("new"));
}

static void
test_check_regular(void)
{
    char err[512] = "", want[512];

    CHECK_INT_EQ(0, lh_file_check_regular(at("missing"), err, sizeof(err)));
    CHECK_INT_EQ(-1, lh_file_check_regular("/dev/zero", err, sizeof(err)));
    CHECK_STR_EQ("/dev/zero: is a character device, not a regular file",
        err);
    CHECK_INT_EQ(0, mkfifo(at("fifo"), 0600));
    snprintf(want, sizeof(want), "%s: is a FIFO, not a regular file",
        at("fifo"));
    CHECK_INT_EQ(-1, lh_file_check_regular(at("fifo"), err, sizeof(err)));
    CHECK_STR_EQ(want, err);
    unlink(at("fifo"));
    CHECK_INT_EQ(0, lh_file_check_regular(LH_FIXTURES "/status/once.json",
        err, sizeof(err)));
}

int
main(void)
{
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }
    RUN_TEST(test_read_not_regular);
    RUN_TEST(test_read_regular);
    RUN_TEST(test_write_not_regular);
    RUN_TEST(test_write_regular);
    RUN_TEST(test_check_regular);
    rmdir(dir);
    TEST_EXIT();
}
