// C entry points for the sandbox: namespace and confinement setup must run between clone() and execve(),
// where Swift code (runtime locks, allocation) is not safe.
#pragma once
#include <stddef.h>
#include <stdint.h>
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

/// A file made from memory (/etc/hosts, secrets): written into a tmpfs that exists only in the child's mount
/// namespace and bind-mounted over `target` (an existing file in the rootfs). Nothing of it touches a disk.
struct csandbox_file {
    const char *target;
    const void *contents;
    size_t size;
    unsigned int mode;
    uid_t uid;
    gid_t gid;
    int readonly;
    int in_dev;              // target is a path below the container's /dev, written there once /dev is made
};

/// A device node for --privileged (docker gives such a container every host device).
struct csandbox_device {
    const char *path;        // relative to /dev, e.g. "loop0" or "net/tun"
    unsigned int mode;       // type and permission bits
    dev_t rdev;
    uid_t uid;
    gid_t gid;
};

/// One resource limit set with setrlimit before execve (`--ulimit`).
struct csandbox_rlimit {
    int resource;            // RLIMIT_*
    uint64_t soft;
    uint64_t hard;
};

/// What the container sees at /sys/fs/cgroup once it has joined its cgroup.
enum csandbox_cgroup_mount {
    CSANDBOX_CGROUP_NONE = 0,
    CSANDBOX_CGROUP_V1_MEMORY = 1, // a tmpfs with the v1 memory hierarchy at memory/, read-only
    CSANDBOX_CGROUP_V2 = 2,        // the cgroup2 hierarchy, read-only
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
    const struct csandbox_file *files;    // bound before /proc, /dev and /sys
    size_t file_count;
    const struct csandbox_mount *mounts;  // made after /proc, /dev and /sys, in this order
    size_t mount_count;
    int stdin_fd, stdout_fd, stderr_fd;
    int tty;                   // stdin_fd is a pty slave: make it the controlling terminal
    // With tty: a unix socket (else -1). The container opens a pty in its own /dev/pts (so `tty` names it), makes
    // it its stdio and controlling terminal, and sends the master side back over this socket (SCM_RIGHTS).
    int console_socket;
    unsigned short tty_rows, tty_cols; // the new pty's window size (0: leave)
    int new_network;           // CLONE_NEWNET with only lo up
    int mount_proc_dev_sys;    // standard /proc, /dev (tmpfs with nodes, pts, shm, mqueue), /sys

    // Confinement (docker's defaults unless the caller relaxes them).
    uint64_t capabilities;     // bounding, permitted and effective set (bit n = capability n)
    int no_new_privs;          // PR_SET_NO_NEW_PRIVS before execve
    const void *seccomp_filter; // struct sock_filter[seccomp_length]; NULL: unconfined
    unsigned short seccomp_length;
    int unmasked_paths;        // keep /proc and /sys unmasked and writable (--privileged, systempaths=unconfined)
    int writable_sysfs;        // /sys read-write (--privileged)
    const struct csandbox_device *devices; // extra /dev nodes (--privileged)
    size_t device_count;
    // Device access (--privileged). Otherwise every filesystem the container can reach is mounted nodev and /dev
    // gets the host's null, zero, full, random, urandom and tty bound in: what docker's devices cgroup allows.
    int allow_devices;

    // Resources (--shm-size, --ulimit, --memory).
    uint64_t shm_size;         // size of the /dev/shm tmpfs in bytes; 0: docker's 64 MiB
    const struct csandbox_rlimit *rlimits; // set after the filesystem, before the capabilities are dropped
    size_t rlimit_count;
    int join_cgroup;           // write "0" to cgroup_procs_fd (the container's cgroup.procs), then a new cgroup namespace
    int cgroup_procs_fd;
    int cgroup_mount;          // enum csandbox_cgroup_mount
};

/// What went wrong in the child before execve succeeded.
enum csandbox_failure_kind {
    CSANDBOX_SETUP = 1,        // a setup step failed: `detail` names it, `error` is errno
    CSANDBOX_NOT_IN_PATH = 2,  // no executable `detail` in $PATH
    CSANDBOX_STAT = 3,         // stat of `detail` failed with `error`
    CSANDBOX_NOT_EXECUTABLE = 4, // `detail` is a directory or has no exec bit
    CSANDBOX_EXEC = 5,         // execve of `detail` failed with `error`
    CSANDBOX_RLIMIT = 6,       // setrlimit of resource number `detail` failed with `error`
};

/// One message on the report pipe (each is written whole: it is smaller than PIPE_BUF).
enum csandbox_message_kind {
    CSANDBOX_MESSAGE_PID = 1,     // `error` holds the container's PID 1, as the host sees it
    CSANDBOX_MESSAGE_FAILURE = 2, // `failure_kind`, `error` and `detail` say why the command never started
    CSANDBOX_MESSAGE_STATUS = 3,  // `error` holds the container's raw wait status
};

struct csandbox_message {
    int kind;
    int failure_kind;
    int error;
    char detail[500];
};

/// Starts the command confined in new mount, pid, uts, ipc (and optionally net) namespaces as PID 1 of its
/// namespace. A small holder process sits between this process and the container: it dies with this process
/// (PR_SET_PDEATHSIG, whichever thread called) and takes the whole container with it, so nothing is orphaned.
/// Returns 0 and sets `*holder` and `*report_fd` (read end of the report pipe: a PID message, perhaps a
/// FAILURE, then a STATUS, then EOF); returns -errno when the holder cannot be started.
int csandbox_spawn(const struct csandbox_spec *spec, pid_t *holder, int *report_fd);

/// Starts `path` with `argv` and `envp` in a child that is killed (SIGKILL) when the calling thread ends, so the
/// caller must be a thread that lives as long as the child (it waits for it). The child gets the three descriptors
/// as its standard streams (-1: /dev/null is not opened for it, the stream is closed) and nothing else; with
/// `new_session` it has no controlling terminal. Returns 0 and sets `*pid`, or -errno.
int csandbox_spawn_tethered(const char *path, const char *const *argv, const char *const *envp,
                            int stdin_fd, int stdout_fd, int stderr_fd, int new_session, pid_t *pid);

/// The filesystem type (statfs f_type) of `path`, or -errno.
long csandbox_filesystem_type(const char *path);

/// Brings the loopback interface up in the current network namespace (0 or -errno).
int csandbox_loopback_up(void);

/// Receives one descriptor sent with SCM_RIGHTS (the container's pty master); -errno, or -EPIPE when the sender
/// closed without sending.
int csandbox_receive_fd(int socket_fd);

/// waitpid(pid, &status, 0) retried on EINTR; returns the raw status or -errno.
int csandbox_wait(pid_t pid);

/// Whether `path` (not followed) carries trusted.overlay.opaque=y.
int csandbox_is_overlay_opaque(const char *path);

/// Removes the trusted.overlay.opaque attribute from `path` (0 or -errno).
int csandbox_clear_overlay_opaque(const char *path);
