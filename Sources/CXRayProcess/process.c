#define _GNU_SOURCE
#include "CXRayProcess.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

int xr_spawn(const char *path, char *const argv[], char *const envp[], pid_t *pid) {
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) return errno;
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0) {
        int e = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        return e;
    }
    if (child == 0) {
        /* Only async-signal-safe calls from here to execve. */
        sigset_t none;
        sigemptyset(&none);
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        for (unsigned i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaction(forwarded[i], &dfl, NULL);
        sigaction(SIGPIPE, &dfl, NULL);
        sigaction(SIGCHLD, &dfl, NULL);
        pthread_sigmask(SIG_SETMASK, &none, NULL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127); /* the parent died before prctl took effect */
        close(pipefd[0]);
        execve(path, argv, envp);
        int e = errno;
        ssize_t unused = write(pipefd[1], &e, sizeof e);
        (void)unused;
        _exit(127);
    }
    close(pipefd[1]);
    int e = 0;
    ssize_t n;
    do { n = read(pipefd[0], &e, sizeof e); } while (n < 0 && errno == EINTR);
    close(pipefd[0]);
    *pid = child;
    /* n == 0: execve succeeded and closed the pipe. */
    return n == (ssize_t)sizeof e ? e : 0;
}

void xr_block_forwarded_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    for (unsigned i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaddset(&set, forwarded[i]);
    sigaddset(&set, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int xr_wait_signal(int *from_kernel, pid_t *sender) {
    sigset_t set;
    sigemptyset(&set);
    for (unsigned i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaddset(&set, forwarded[i]);
    sigaddset(&set, SIGCHLD);
    siginfo_t info;
    int sig;
    do { sig = sigwaitinfo(&set, &info); } while (sig < 0 && errno == EINTR);
    *from_kernel = info.si_code == SI_KERNEL;
    *sender = info.si_pid;
    return sig;
}

int xr_wait_signal_timeout(int milliseconds, int *from_kernel, pid_t *sender) {
    sigset_t set;
    sigemptyset(&set);
    for (unsigned i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaddset(&set, forwarded[i]);
    sigaddset(&set, SIGCHLD);
    struct timespec timeout = {milliseconds / 1000, (long)(milliseconds % 1000) * 1000000L};
    siginfo_t info;
    int sig = sigtimedwait(&set, &info, &timeout);
    if (sig < 0) return 0;
    *from_kernel = info.si_code == SI_KERNEL;
    *sender = info.si_pid;
    return sig;
}
