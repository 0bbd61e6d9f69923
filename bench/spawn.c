/*
 * lhb-spawn: run one command and report its own wall time, CPU time and
 * peak RSS.  Usage: lhb-spawn REPORT_FILE [-H HOSTS_FILE] COMMAND [ARG...]
 *
 * Why not wait4 from the Python runner directly: a child's ru_maxrss also
 * counts the memory image it was forked from (the kernel keeps the old
 * mm's high-water mark across exec), so a child of a 300 MB Python process
 * "peaks" at 300 MB.  Forked from this small program instead, the floor is
 * about a megabyte.  Writes "wall_ns utime_us stime_us maxrss_kib status"
 * to REPORT_FILE and exits with the command's exit code (128+signal when
 * killed).  If the runner dies, we die, and so does the command
 * (PR_SET_PDEATHSIG at both steps).
 *
 * With -H, the command runs in a private mount namespace of its own where
 * HOSTS_FILE is bind-mounted over /etc/hosts: host names resolve from that
 * file, through the resolver every tool uses anyway, instead of through
 * resolve lists the tools reload per request.  Done in the child between
 * fork and exec, so no extra process (unshare(1), mount(8)) is counted in
 * the command's figures.  Exit 126 if the namespace cannot be made (not
 * root, no CAP_SYS_ADMIN, a container that forbids it): the runner probes
 * once and falls back to resolve lists.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* In the child: /etc/hosts is hosts, for this process and its children
 * only.  The mount propagation is made private first, or the bind mount
 * would show in the namespace we came from. */
static int
private_hosts(const char *hosts)
{
    if (unshare(CLONE_NEWNS) != 0) {
        fprintf(stderr, "lhb-spawn: unshare(CLONE_NEWNS): %s\n",
            strerror(errno));
        return -1;
    }
    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        fprintf(stderr, "lhb-spawn: mount --make-rprivate /: %s\n",
            strerror(errno));
        return -1;
    }
    if (mount(hosts, "/etc/hosts", NULL, MS_BIND, NULL) != 0) {
        fprintf(stderr, "lhb-spawn: mount --bind %s /etc/hosts: %s\n",
            hosts, strerror(errno));
        return -1;
    }
    return 0;
}

static long long
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
    struct rusage ru;
    long long t0, t1;
    const char *hosts = NULL;
    pid_t parent, pid;
    int status, cmd = 2;
    FILE *f;

    if (argc > 3 && strcmp(argv[2], "-H") == 0) {
        hosts = argv[3];
        cmd = 4;
    }
    if (argc <= cmd) {
        fprintf(stderr, "usage: lhb-spawn REPORT_FILE [-H HOSTS_FILE] "
            "COMMAND [ARG...]\n");
        return 2;
    }
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
        perror("lhb-spawn: prctl");
        return 2;
    }
    parent = getpid();
    t0 = now_ns();
    pid = fork();
    if (pid < 0) {
        perror("lhb-spawn: fork");
        return 2;
    }
    if (pid == 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(127);
        if (hosts != NULL && private_hosts(hosts) == -1)
            _exit(126);
        execvp(argv[cmd], argv + cmd);
        fprintf(stderr, "lhb-spawn: %s: %s\n", argv[cmd], strerror(errno));
        _exit(127);
    }
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("lhb-spawn: wait4");
            return 2;
        }
    }
    t1 = now_ns();
    f = fopen(argv[1], "w");
    if (f == NULL) {
        perror(argv[1]);
        return 2;
    }
    fprintf(f, "%lld %lld %lld %ld %d\n", t1 - t0,
        (long long)ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec,
        (long long)ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec,
        ru.ru_maxrss, status);
    if (fclose(f) != 0) {
        perror(argv[1]);
        return 2;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
