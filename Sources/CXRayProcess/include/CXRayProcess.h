#ifndef CXRAYPROCESS_H
#define CXRAYPROCESS_H
#include <sys/types.h>

/// Starts `path` with `argv` and `envp` (NULL-terminated) in a child that has every signal unblocked and
/// default, and dies with SIGKILL if its parent dies first (so killing xray never orphans the command).
/// The child keeps the parent's process group, stdin, stdout, stderr and terminal.
/// Returns 0 and sets *pid, or returns the errno that fork or execve failed with (ENOENT, EACCES, ...).
int xr_spawn(const char *path, char *const argv[], char *const envp[], pid_t *pid);

/// Blocks the signals xray forwards (INT, TERM, HUP, QUIT, USR1, USR2, WINCH) in the calling thread, so that
/// threads started afterwards inherit the mask and only a `xr_wait_signal` thread receives them.
void xr_block_forwarded_signals(void);

/// Waits for one of the forwarded signals or SIGCHLD. Returns the signal number; *from_kernel is 1 when the
/// kernel sent it (a terminal key, already delivered to the whole foreground process group) and *sender is
/// the sending pid for signals sent with kill(2).
int xr_wait_signal(int *from_kernel, pid_t *sender);


/// Like xr_wait_signal, giving up after `milliseconds`; returns 0 on timeout.
int xr_wait_signal_timeout(int milliseconds, int *from_kernel, pid_t *sender);
#endif
