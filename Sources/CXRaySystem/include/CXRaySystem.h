#ifndef CXRAYSYSTEM_H
#define CXRAYSYSTEM_H

/*
 * System calls that Swift cannot see or call directly, for the XRaySystem module. On Linux, glibc declares
 * recvmmsg and struct mmsghdr only under _GNU_SOURCE, and the Glibc module is built without it, so this
 * header declares nothing that needs _GNU_SOURCE; shim.c defines it and checks the mirrors. Everything
 * Linux-only is inside `#ifdef __linux__`; the rest is POSIX.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __linux__
#include <sys/epoll.h>

/// Mirror of glibc's `struct mmsghdr` (checked by _Static_assert in shim.c).
typedef struct xr_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} xr_mmsghdr;

/// MSG_WAITFORONE: after the first datagram, return what is queued instead of waiting for `vlen`.
#define XR_MSG_WAITFORONE 0x10000
/// MSG_TRUNC in msg_flags: the datagram was longer than the buffer.
#define XR_MSG_TRUNC 0x20
/// MSG_DONTWAIT and MSG_NOSIGNAL (glibc exposes them to Swift only as enum cases of a GNU type).
#define XR_MSG_DONTWAIT 0x40
#define XR_MSG_NOSIGNAL 0x4000
/// SO_RXQ_OVFL: ask the kernel for its per-socket drop counter as ancillary data.
#define XR_SO_RXQ_OVFL 40

/// recvmmsg(2) without a timeout. Returns the number of datagrams received, or -1 with errno set.
int xr_recvmmsg(int fd, xr_mmsghdr *msgs, unsigned int vlen, int flags);

/// Reads the SO_RXQ_OVFL counter from a received message's control data; returns -1 when absent.
int64_t xr_rxq_ovfl(const struct msghdr *msg);

/// Space to reserve for the SO_RXQ_OVFL control message of one datagram.
size_t xr_rxq_ovfl_space(void);

/// eventfd(2) with EFD_CLOEXEC and EFD_NONBLOCK: how worker threads wake the event loop.
int xr_eventfd(void);
#else
#define XR_MSG_TRUNC MSG_TRUNC
#define XR_MSG_DONTWAIT MSG_DONTWAIT
/* Systems without MSG_NOSIGNAL need SO_NOSIGPIPE on the socket instead (not done yet). */
#ifdef MSG_NOSIGNAL
#define XR_MSG_NOSIGNAL MSG_NOSIGNAL
#else
#define XR_MSG_NOSIGNAL 0
#endif
#endif

/// Names the calling thread (pthread_setname_np, whose signature differs per system); names longer than
/// 15 bytes are cut.
void xr_set_thread_name(const char *name);

/// accept(2) of a descriptor that is close-on-exec (spawned processes never inherit client sockets) and
/// non-blocking (the event loop): accept4 on Linux, accept and fcntl elsewhere.
int xr_accept_nonblocking(int fd, struct sockaddr *address, socklen_t *length);

/// Sets O_NONBLOCK on a descriptor (fcntl is variadic, which Swift cannot call). Returns 0 or -1.
int xr_set_nonblocking(int fd);

/// pipe(2) with both ends close-on-exec and non-blocking: the wake-up descriptor where eventfd is missing.
/// Returns 0, or -1 with errno set.
int xr_pipe_nonblocking(int fds[2]);

/// Raises the soft RLIMIT_NOFILE towards `wanted` (at most the hard limit) and returns the soft limit now in
/// force, capped at `wanted` (-1 on error). Never lowers it. Bounded rather than raised all the way to the
/// hard limit because `xray run`'s child inherits it, and programs that close every descriptor up to the
/// limit before exec get slow with a limit in the millions.
long xr_raise_nofile_limit(long wanted);

#endif
