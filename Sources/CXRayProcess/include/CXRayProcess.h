#ifndef CXRAYPROCESS_H
#define CXRAYPROCESS_H
#include <sys/types.h>

/// 1 when standard input is a terminal whose foreground process group is ours: an interactive run, where the
/// command stays in our process group so the terminal's job control (Ctrl-C, Ctrl-Z, fg) covers both.
int xr_is_terminal_foreground(void);

/// Starts `path` with `argv` and `envp` (NULL-terminated) in a child that has every signal unblocked and
/// default, and dies with SIGKILL if its parent dies first (so killing xray never orphans the command).
/// With `new_group` the child leads a process group of its own (pgid = its pid), so the whole group (the
/// command and everything it starts) can be signalled and killed; otherwise it keeps the parent's group.
/// It keeps stdin, stdout, stderr and the terminal.
/// Returns 0 and sets *pid, or returns the errno that fork or execve failed with (ENOENT, EACCES, ...).
/// With new_group, *reaper is the xr_start_reaper helper for the new group, started before the command runs
/// far (-1 otherwise, or when execve failed). Without PR_SET_PDEATHSIG (not Linux, or -DXRAY_POSIX_FALLBACK)
/// a child without a group of its own also gets a helper, which kills just the child, in *reaper.
int xr_spawn(const char *path, char *const argv[], char *const envp[], int new_group, pid_t *pid, pid_t *reaper);

/// Forks a helper that waits for this process to die (PR_SET_PDEATHSIG, or by polling getppid() every
/// 100 ms where that is missing) and then SIGKILLs process group `group`, so that a SIGKILL of xray still
/// ends the command's grandchildren. Returns its pid, or -1.
pid_t xr_start_reaper(pid_t group);

/// Ends the helper without it touching the group (the run finished normally) and reaps it.
void xr_stop_reaper(pid_t reaper);

/// Blocks the signals xray forwards (INT, TERM, HUP, QUIT, USR1, USR2, WINCH, with `job_control` also TSTP
/// and CONT) and SIGCHLD in the calling thread, so that threads started afterwards inherit the mask and only
/// a `xr_wait_signal` thread receives them.
void xr_block_forwarded_signals(int job_control);

/// Waits for one of the forwarded signals or SIGCHLD. Returns the signal number; *from_kernel is 1 when the
/// kernel sent it (a terminal key, already delivered to the whole foreground process group) and *sender is
/// the sending pid for signals sent with kill(2).
int xr_wait_signal(int job_control, int *from_kernel, pid_t *sender);

/// Like xr_wait_signal, giving up after `milliseconds`; returns 0 on timeout.
int xr_wait_signal_timeout(int job_control, int milliseconds, int *from_kernel, pid_t *sender);
#endif
