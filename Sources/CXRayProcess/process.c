#ifdef __linux__
#define _GNU_SOURCE
#endif
#include "CXRayProcess.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/*
 * How a process learns that its parent died. Linux: PR_SET_PDEATHSIG (prctl(2)) has the kernel send a
 * signal. Elsewhere, or built with -DXRAY_POSIX_FALLBACK: the process polls getppid(), which changes when
 * the parent dies and the process is re-parented (to init or a subreaper), every 100 ms.
 */
#if defined(__linux__) && !defined(XRAY_POSIX_FALLBACK)
#define XR_PDEATHSIG 1
#include <sys/prctl.h>
#else
#define XR_PDEATHSIG 0
#endif

/* A pipe whose ends are closed on exec: pipe2 on Linux, pipe and fcntl (not atomic with a concurrent
 * fork, which xray run does not have while spawning) elsewhere. */
static int cloexec_pipe(int fds[2]) {
#if defined(__linux__) && !defined(XRAY_POSIX_FALLBACK)
    return pipe2(fds, O_CLOEXEC);
#else
    if (pipe(fds) != 0) return -1;
    for (int i = 0; i < 2; i++) {
        if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0) {
            int e = errno;
            close(fds[0]);
            close(fds[1]);
            errno = e;
            return -1;
        }
    }
    return 0;
#endif
}

/* Blocks (async-signal-safely) until the process's parent, `parent`, has died. */
static void wait_for_parent_death(pid_t parent) {
#if XR_PDEATHSIG
    prctl(PR_SET_PDEATHSIG, SIGUSR1);
    if (getppid() != parent) return; /* the parent died before prctl took effect */
    sigset_t death;
    sigemptyset(&death);
    sigaddset(&death, SIGUSR1);
    siginfo_t info;
    while (sigwaitinfo(&death, &info) < 0 && errno == EINTR) {}
#else
    struct timespec interval = {0, 100 * 1000 * 1000};
    while (getppid() == parent) nanosleep(&interval, NULL);
#endif
}

/* Forks a helper that SIGKILLs `target` (a pid, or a process group as -pgid) once this process dies. */
static pid_t start_killer(pid_t target) {
    pid_t parent = getpid();
    pid_t helper = fork();
    if (helper != 0) return helper;
    /* Only async-signal-safe calls from here on. */
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    wait_for_parent_death(parent);
    kill(target, SIGKILL);
    _exit(0);
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

/* The signals xray takes over: the forwarded ones, SIGCHLD, and with job control SIGTSTP and SIGCONT. */
static void watched_set(sigset_t *set, int job_control) {
    sigemptyset(set);
    for (unsigned i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaddset(set, forwarded[i]);
    sigaddset(set, SIGCHLD);
    if (job_control) {
        sigaddset(set, SIGTSTP);
        sigaddset(set, SIGCONT);
    }
}

int xr_is_terminal_foreground(void) {
    return isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
}

int xr_spawn(const char *path, char *const argv[], char *const envp[], int new_group, pid_t *pid, pid_t *reaper) {
    int pipefd[2];
    if (cloexec_pipe(pipefd) != 0) return errno;
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
        sigaction(SIGTSTP, &dfl, NULL);
        sigaction(SIGCONT, &dfl, NULL);
        pthread_sigmask(SIG_SETMASK, &none, NULL);
        if (new_group) setpgid(0, 0);
#if XR_PDEATHSIG
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        if (getppid() != parent) _exit(127); /* the parent died before prctl took effect (or, without it, already) */
        close(pipefd[0]);
        execve(path, argv, envp);
        int e = errno;
        ssize_t unused = write(pipefd[1], &e, sizeof e);
        (void)unused;
        _exit(127);
    }
    close(pipefd[1]);
    /* Also from the parent, so the group exists before anyone signals it (fails harmlessly after execve). */
    if (new_group) setpgid(child, child);
    /* The reaper starts before the command can run far: one started after execve left a window in which a
     * SIGKILL of xray run left the command's group alive. */
#if XR_PDEATHSIG
    *reaper = new_group ? xr_start_reaper(child) : -1;
#else
    /* No death signal for the command itself: without a group of its own, a helper kills just it. */
    *reaper = new_group ? xr_start_reaper(child) : start_killer(child);
#endif
    int e = 0;
    ssize_t n;
    do { n = read(pipefd[0], &e, sizeof e); } while (n < 0 && errno == EINTR);
    close(pipefd[0]);
    *pid = child;
    /* n == 0: execve succeeded and closed the pipe. */
    if (n == (ssize_t)sizeof e) {
        if (*reaper > 0) xr_stop_reaper(*reaper);
        *reaper = -1;
        return e;
    }
    return 0;
}

pid_t xr_start_reaper(pid_t group) { return start_killer(-group); }

void xr_stop_reaper(pid_t reaper) {
    kill(reaper, SIGKILL);
    int status;
    while (waitpid(reaper, &status, 0) < 0 && errno == EINTR) {}
}

void xr_block_forwarded_signals(int job_control) {
    sigset_t set;
    watched_set(&set, job_control);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int xr_wait_signal(int job_control, int *from_kernel, pid_t *sender) {
    sigset_t set;
    watched_set(&set, job_control);
    siginfo_t info;
    int sig;
    do { sig = sigwaitinfo(&set, &info); } while (sig < 0 && errno == EINTR);
    *from_kernel = info.si_code == SI_KERNEL;
    *sender = info.si_pid;
    return sig;
}

int xr_wait_signal_timeout(int job_control, int milliseconds, int *from_kernel, pid_t *sender) {
    sigset_t set;
    watched_set(&set, job_control);
    struct timespec timeout = {milliseconds / 1000, (long)(milliseconds % 1000) * 1000000L};
    siginfo_t info;
    int sig = sigtimedwait(&set, &info, &timeout);
    if (sig < 0) return 0;
    *from_kernel = info.si_code == SI_KERNEL;
    *sender = info.si_pid;
    return sig;
}
