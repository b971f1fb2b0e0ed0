#define _GNU_SOURCE
#include "CXRayProcess.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

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
        sigaction(SIGTSTP, &dfl, NULL);
        sigaction(SIGCONT, &dfl, NULL);
        pthread_sigmask(SIG_SETMASK, &none, NULL);
        if (new_group) setpgid(0, 0);
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
    /* Also from the parent, so the group exists before anyone signals it (fails harmlessly after execve). */
    if (new_group) setpgid(child, child);
    /* The reaper starts before the command can run far: one started after execve left a window in which a
     * SIGKILL of xray run left the command's group alive. */
    *reaper = new_group ? xr_start_reaper(child) : -1;
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

pid_t xr_start_reaper(pid_t group) {
    pid_t parent = getpid();
    pid_t reaper = fork();
    if (reaper != 0) return reaper;
    /* Only async-signal-safe calls: wait for the parent's death, then kill the command's whole group. */
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    prctl(PR_SET_PDEATHSIG, SIGUSR1);
    if (getppid() == parent) {
        sigset_t death;
        sigemptyset(&death);
        sigaddset(&death, SIGUSR1);
        siginfo_t info;
        while (sigwaitinfo(&death, &info) < 0 && errno == EINTR) {}
    }
    kill(-group, SIGKILL);
    _exit(0);
}

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
