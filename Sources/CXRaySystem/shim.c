#ifdef __linux__
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif
#include "CXRaySystem.h"

#ifdef __linux__
_Static_assert(sizeof(xr_mmsghdr) == sizeof(struct mmsghdr), "xr_mmsghdr must mirror struct mmsghdr");
_Static_assert(offsetof(xr_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "msg_len offset");
_Static_assert(XR_MSG_WAITFORONE == MSG_WAITFORONE, "MSG_WAITFORONE");
_Static_assert(XR_MSG_TRUNC == MSG_TRUNC, "MSG_TRUNC");
_Static_assert(XR_MSG_DONTWAIT == MSG_DONTWAIT, "MSG_DONTWAIT");
_Static_assert(XR_MSG_NOSIGNAL == MSG_NOSIGNAL, "MSG_NOSIGNAL");
_Static_assert(XR_SO_RXQ_OVFL == SO_RXQ_OVFL, "SO_RXQ_OVFL");

int xr_recvmmsg(int fd, xr_mmsghdr *msgs, unsigned int vlen, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)msgs, vlen, flags, NULL);
}

int64_t xr_rxq_ovfl(const struct msghdr *msg) {
    if (msg->msg_control == NULL || msg->msg_controllen == 0) return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)msg); c != NULL; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
            uint32_t value;
            memcpy(&value, CMSG_DATA(c), sizeof value);
            return (int64_t)value;
        }
    }
    return -1;
}

size_t xr_rxq_ovfl_space(void) { return CMSG_SPACE(sizeof(uint32_t)); }

int xr_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }
#endif

void xr_set_thread_name(const char *name) {
    char cut[16];
    strncpy(cut, name, sizeof cut - 1);
    cut[sizeof cut - 1] = 0;
#ifdef __APPLE__
    pthread_setname_np(cut);
#else
    pthread_setname_np(pthread_self(), cut);
#endif
}

static int set_flags(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return -1;
    int fdflags = fcntl(fd, F_GETFD);
    if (fdflags < 0 || fcntl(fd, F_SETFD, fdflags | FD_CLOEXEC) != 0) return -1;
    return 0;
}

int xr_accept_nonblocking(int fd, struct sockaddr *address, socklen_t *length) {
#ifdef __linux__
    return accept4(fd, address, length, SOCK_CLOEXEC | SOCK_NONBLOCK);
#else
    int client = accept(fd, address, length);
    if (client < 0) return -1;
    if (set_flags(client) != 0) {
        int e = errno;
        close(client);
        errno = e;
        return -1;
    }
    return client;
#endif
}

int xr_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int xr_pipe_nonblocking(int fds[2]) {
    if (pipe(fds) != 0) return -1;
    if (set_flags(fds[0]) != 0 || set_flags(fds[1]) != 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        errno = e;
        return -1;
    }
    return 0;
}

long xr_raise_nofile_limit(long wanted) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    rlim_t target = limit.rlim_max == RLIM_INFINITY || (rlim_t)wanted < limit.rlim_max ? (rlim_t)wanted : limit.rlim_max;
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < target) {
        limit.rlim_cur = target;
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0 && getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    }
    return limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > (rlim_t)wanted ? wanted : (long)limit.rlim_cur;
}
