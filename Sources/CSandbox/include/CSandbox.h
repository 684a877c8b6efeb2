// C entry points for the sandbox: namespace setup must run between clone() and execve(),
// where Swift code (runtime locks, allocation) is not safe.
#pragma once
#include <stddef.h>
#include <sys/types.h>

/// One mount made in the child before pivot_root. `target` is an absolute host path inside the
/// rootfs, already resolved (symlinks scoped to the rootfs) and created by the caller.
struct csandbox_mount {
    const char *source;      // host path (bind) or fs name
    const char *target;
    const char *fstype;      // NULL for a bind mount
    const char *data;        // mount data (NULL for none)
    unsigned long flags;     // extra MS_* flags
    int readonly;            // bind: remount read-only afterwards
};

/// Everything the child needs, prepared in the parent: the child only makes system calls.
struct csandbox_spec {
    const char *const *argv;   // NULL-terminated; argv[0] is looked up in PATH inside the rootfs
    const char *const *envp;   // NULL-terminated
    const char *path_env;      // the PATH value used for the lookup (NULL: none)
    const char *rootfs;        // host path of the prepared root filesystem
    const char *cwd;           // inside the container
    const char *hostname;      // NULL: keep
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    size_t group_count;
    const struct csandbox_mount *mounts;  // made after /proc, /dev and /sys
    size_t mount_count;
    int stdin_fd, stdout_fd, stderr_fd;
    int tty;                   // stdin_fd is a pty slave: make it the controlling terminal
    int new_network;           // CLONE_NEWNET with only lo up
    int mount_proc_dev_sys;    // standard /proc, /dev (tmpfs with nodes, pts, shm, mqueue), /sys
};

/// What went wrong in the child before execve succeeded (read from the error pipe).
enum csandbox_failure_kind {
    CSANDBOX_SETUP = 1,        // a setup step failed: `detail` names it, `error` is errno
    CSANDBOX_NOT_IN_PATH = 2,  // no executable `detail` in $PATH
    CSANDBOX_STAT = 3,         // stat of `detail` failed with `error`
    CSANDBOX_NOT_EXECUTABLE = 4, // `detail` is a directory or has no exec bit
    CSANDBOX_EXEC = 5,         // execve of `detail` failed with `error`
};

struct csandbox_failure {
    int kind;
    int error;
    char detail[512];
};

/// Clones the child into new mount, pid, uts, ipc (and optionally net) namespaces and starts the
/// command as its PID 1. Returns 0 and sets `*pid` and `*error_fd` (read end of a CLOEXEC pipe: EOF
/// means execve succeeded, else one `struct csandbox_failure`); returns -errno when clone fails.
int csandbox_spawn(const struct csandbox_spec *spec, pid_t *pid, int *error_fd);

/// Brings the loopback interface up in the current network namespace (0 or -errno).
int csandbox_loopback_up(void);

/// Opens a new pseudo-terminal pair; returns 0 and both fds (CLOEXEC), or -errno.
int csandbox_openpty(int *master, int *slave);

/// waitpid(pid, &status, 0) retried on EINTR; returns the raw status or -errno.
int csandbox_wait(pid_t pid);

/// Whether `path` (not followed) carries trusted.overlay.opaque=y.
int csandbox_is_overlay_opaque(const char *path);

/// Removes the trusted.overlay.opaque attribute from `path` (0 or -errno).
int csandbox_clear_overlay_opaque(const char *path);
