/*
 * A libcurl 7.88 out-of-memory bug, on its own: why lib/http.c replaces
 * its multi handle when curl_multi_socket_action returns
 * CURLM_OUT_OF_MEMORY.
 *
 * multi.c singlesocket(): when adding the transfer to the transfer hash of
 * a socket-hash entry fails, it calls Curl_hash_destroy(&entry->transfers)
 * (slots = 0) but leaves the entry in multi->sockhash, and returns
 * CURLM_OUT_OF_MEMORY.  The transfer's socket list is not updated, so the
 * next singlesocket() for that socket adds to the destroyed hash again and
 * trhash() computes a key modulo 0: SIGFPE.  The same happens to any later
 * transfer on a socket with that number.
 *
 *   cc -g -o curl_sockhash_oom curl_sockhash_oom.c -lcurl
 *   for n in $(seq 1 80); do ./curl_sockhash_oom http://127.0.0.1:PORT/ $n \
 *       || echo "N=$n: $?"; done         # the bug: some N die with 136
 *   ./curl_sockhash_oom URL N renew      # the workaround: all N finish
 *
 * N: fail only the Nth libcurl allocation made inside
 * curl_multi_socket_action (0: none).  One transfer, a plain poll() loop,
 * every return code checked.  Without "renew" the program goes on calling
 * curl_multi_socket_action after CURLM_OUT_OF_MEMORY; with it, it takes
 * the transfer out, cleans the multi handle up and starts the transfer
 * again on a new one.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

static long countdown = -1;     /* > 0: counting; hits 0: fail once */
static int in_action;
static struct pollfd pfd[8];
static int npfd;
static long timeout_ms = -1;

static int
failnow(void)
{
    if (!in_action || countdown <= 0)
        return 0;
    return --countdown == 0;
}

static void *
m(size_t n)
{
    return failnow() ? NULL : malloc(n);
}

static void
f(void *p)
{
    free(p);
}

static void *
r(void *p, size_t n)
{
    return failnow() ? NULL : realloc(p, n);
}

static void *
c(size_t a, size_t b)
{
    return failnow() ? NULL : calloc(a, b);
}

static char *
s(const char *p)
{
    return failnow() ? NULL : strdup(p);
}

static int
sock_cb(CURL *e, curl_socket_t fd, int what, void *u, void *sp)
{
    int i;

    (void)e;
    (void)u;
    (void)sp;
    for (i = 0; i < npfd && pfd[i].fd != fd; i++)
        ;
    if (what == CURL_POLL_REMOVE) {
        if (i < npfd)
            pfd[i] = pfd[--npfd];
        return 0;
    }
    if (i == npfd) {
        if (npfd == 8)
            return -1;
        npfd++;
    }
    pfd[i].fd = fd;
    pfd[i].events = (what & CURL_POLL_IN ? POLLIN : 0) |
        (what & CURL_POLL_OUT ? POLLOUT : 0);
    return 0;
}

static int
timer_cb(CURLM *mh, long ms, void *u)
{
    (void)mh;
    (void)u;
    timeout_ms = ms;
    return 0;
}

static size_t
sink(char *b, size_t a, size_t n, void *u)
{
    (void)b;
    (void)u;
    return a * n;
}

static CURLM *
multi_new(void)
{
    CURLM *mh = curl_multi_init();

    if (mh == NULL ||
        curl_multi_setopt(mh, CURLMOPT_SOCKETFUNCTION, sock_cb) ||
        curl_multi_setopt(mh, CURLMOPT_TIMERFUNCTION, timer_cb))
        exit(2);
    return mh;
}

static CURLMcode
action(CURLM *mh, curl_socket_t fd, int ev, int *running)
{
    CURLMcode mc;

    in_action = 1;
    mc = curl_multi_socket_action(mh, fd, ev, running);
    in_action = 0;
    if (mc != CURLM_OK)
        printf("curl_multi_socket_action: %s\n", curl_multi_strerror(mc));
    return mc;
}

int
main(int argc, char **argv)
{
    CURLM *mh;
    CURL *e;
    CURLMsg *msg;
    int running = 1, left, rounds = 0, renew;

    if (argc < 3) {
        fprintf(stderr, "usage: %s URL N [renew]\n", argv[0]);
        return 2;
    }
    renew = argc > 3 && strcmp(argv[3], "renew") == 0;
    setvbuf(stdout, NULL, _IONBF, 0);
    if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, m, f, r, s, c) != 0 ||
        (e = curl_easy_init()) == NULL)
        return 2;
    mh = multi_new();
    if (curl_easy_setopt(e, CURLOPT_URL, argv[1]) ||
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink) ||
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 3000L) ||
        curl_multi_add_handle(mh, e))
        return 2;
    countdown = atol(argv[2]);
    while (running && rounds++ < 1000) {
        int n = poll(pfd, npfd, timeout_ms < 0 ? 100 : (int)timeout_ms);
        CURLMcode mc = CURLM_OK;

        if (n <= 0) {
            mc = action(mh, CURL_SOCKET_TIMEOUT, 0, &running);
        } else {
            for (int i = 0; i < npfd; i++) {
                int ev = 0;

                if (pfd[i].revents & POLLIN)
                    ev |= CURL_CSELECT_IN;
                if (pfd[i].revents & POLLOUT)
                    ev |= CURL_CSELECT_OUT;
                if (pfd[i].revents & (POLLERR | POLLHUP))
                    ev |= CURL_CSELECT_ERR;
                if (ev) {
                    mc = action(mh, pfd[i].fd, ev, &running);
                    break;      /* pfd may have changed */
                }
            }
        }
        if (mc != CURLM_OUT_OF_MEMORY || !renew)
            continue;
        if (curl_multi_remove_handle(mh, e) != CURLM_OK ||
            curl_multi_cleanup(mh) != CURLM_OK)
            return 2;
        printf("renewed the multi handle\n");
        npfd = 0;
        timeout_ms = -1;
        mh = multi_new();
        if (curl_multi_add_handle(mh, e) != CURLM_OK)
            return 2;
        running = 1;
    }
    while ((msg = curl_multi_info_read(mh, &left)) != NULL)
        if (msg->msg == CURLMSG_DONE)
            printf("done: %s\n", curl_easy_strerror(msg->data.result));
    if (curl_multi_remove_handle(mh, e) != CURLM_OK)
        return 2;
    curl_easy_cleanup(e);
    if (curl_multi_cleanup(mh) != CURLM_OK)
        return 2;
    curl_global_cleanup();
    return 0;
}
