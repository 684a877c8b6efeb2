// Child-side sandbox setup. Everything after clone() uses only async-signal-safe system calls and
// stack buffers: the parent is a multi-threaded Swift process.
#define _GNU_SOURCE
#include "CSandbox.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static size_t cs_strlen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }

static void cs_copy(char *dst, size_t cap, const char *src) {
    size_t i = 0;
    for (; src && src[i] && i + 1 < cap; i++) dst[i] = src[i];
    dst[i] = 0;
}

/// dst = a + b (truncated to cap).
static void cs_join(char *dst, size_t cap, const char *a, const char *b) {
    size_t n = 0;
    for (size_t i = 0; a[i] && n + 1 < cap; i++) dst[n++] = a[i];
    for (size_t i = 0; b[i] && n + 1 < cap; i++) dst[n++] = b[i];
    dst[n] = 0;
}

static void cs_report(int fd, int kind, int error, const char *detail) {
    struct csandbox_failure failure;
    memset(&failure, 0, sizeof failure);
    failure.kind = kind;
    failure.error = error;
    cs_copy(failure.detail, sizeof failure.detail, detail);
    ssize_t ignored = write(fd, &failure, sizeof failure);
    (void)ignored;
    _exit(127);
}

#define SETUP(call, what) do { if ((call) < 0) cs_report(report_fd, CSANDBOX_SETUP, errno, what); } while (0)

int csandbox_loopback_up(void) {
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) return -errno;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    cs_copy(request.ifr_name, IFNAMSIZ, "lo");
    int result = 0;
    if (ioctl(sock, SIOCGIFFLAGS, &request) < 0) result = -errno;
    else {
        request.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(sock, SIOCSIFFLAGS, &request) < 0) result = -errno;
    }
    close(sock);
    return result;
}

static void cs_mount_dev(const char *rootfs, int report_fd) {
    char path[4096];
    cs_join(path, sizeof path, rootfs, "/dev");
    SETUP(mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"), "mount /dev");
    static const struct { const char *name; unsigned major, minor; } nodes[] = {
        {"/dev/null", 1, 3}, {"/dev/zero", 1, 5}, {"/dev/full", 1, 7},
        {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
    };
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        cs_join(path, sizeof path, rootfs, nodes[i].name);
        SETUP(mknod(path, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)), nodes[i].name);
        SETUP(chmod(path, 0666), nodes[i].name);
    }
    cs_join(path, sizeof path, rootfs, "/dev/pts");
    SETUP(mkdir(path, 0755), "mkdir /dev/pts");
    SETUP(mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC,
                "newinstance,ptmxmode=0666,mode=0620,gid=5"), "mount /dev/pts");
    cs_join(path, sizeof path, rootfs, "/dev/shm");
    SETUP(mkdir(path, 01777), "mkdir /dev/shm");
    SETUP(mount("shm", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k"), "mount /dev/shm");
    cs_join(path, sizeof path, rootfs, "/dev/mqueue");
    SETUP(mkdir(path, 01777), "mkdir /dev/mqueue");
    SETUP(mount("mqueue", path, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), "mount /dev/mqueue");
    static const struct { const char *name, *target; } links[] = {
        {"/dev/fd", "/proc/self/fd"}, {"/dev/stdin", "/proc/self/fd/0"}, {"/dev/stdout", "/proc/self/fd/1"},
        {"/dev/stderr", "/proc/self/fd/2"}, {"/dev/ptmx", "pts/ptmx"}
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        cs_join(path, sizeof path, rootfs, links[i].name);
        SETUP(symlink(links[i].target, path), links[i].name);
    }
}

static void cs_bind(const char *source, const char *target, int readonly, int report_fd) {
    SETUP(mount(source, target, NULL, MS_BIND | MS_REC, NULL), target);
    if (readonly) {
        SETUP(mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL), target);
    }
}

/// Go's exec.LookPath as runc uses it: a name with a slash is checked as is, else each PATH entry.
static int cs_executable(const char *path, int *error) {
    struct stat info;
    if (stat(path, &info) < 0) { *error = errno; return CSANDBOX_STAT; }
    if (S_ISDIR(info.st_mode) || (info.st_mode & 0111) == 0) { *error = EACCES; return CSANDBOX_NOT_EXECUTABLE; }
    return 0;
}

static void cs_exec(const struct csandbox_spec *spec, int report_fd) {
    const char *name = spec->argv[0];
    int error = 0;
    for (const char *c = name; *c; c++) {
        if (*c == '/') {
            int kind = cs_executable(name, &error);
            if (kind) cs_report(report_fd, kind, error, name);
            execve(name, (char *const *)spec->argv, (char *const *)spec->envp);
            cs_report(report_fd, CSANDBOX_EXEC, errno, name);
        }
    }
    const char *dirs = spec->path_env ? spec->path_env : "";
    char candidate[4096];
    size_t start = 0, length = cs_strlen(dirs);
    while (spec->path_env && start <= length) {
        size_t end = start;
        while (end < length && dirs[end] != ':') end++;
        size_t n = 0;
        if (end == start) candidate[n++] = '.';
        for (size_t i = start; i < end && n + 2 < sizeof candidate; i++) candidate[n++] = dirs[i];
        candidate[n++] = '/';
        candidate[n] = 0;
        cs_join(candidate, sizeof candidate, candidate, name);
        if (cs_executable(candidate, &error) == 0) {
            execve(candidate, (char *const *)spec->argv, (char *const *)spec->envp);
            cs_report(report_fd, CSANDBOX_EXEC, errno, candidate);
        }
        start = end + 1;
    }
    cs_report(report_fd, CSANDBOX_NOT_IN_PATH, ENOENT, name);
}

static int cs_set_stdio(int fd, int target) {
    if (fd == target) {
        int flags = fcntl(fd, F_GETFD);
        return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    return dup2(fd, target);
}

static void cs_child(const struct csandbox_spec *spec, int report_fd) {
    // Dispositions and the mask are inherited through execve; the command starts with defaults.
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
    }
    // Only the standard streams are inherited: everything else (store files, sockets) closes on exec.
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
        for (int fd = 3; fd < 4096; fd++) if (fd != report_fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    int in = spec->stdin_fd, out = spec->stdout_fd, err = spec->stderr_fd;
    // Move the sources above 2 first so that dup2 onto 0..2 cannot clobber a later source.
    if (in >= 0 && in <= 2 && in != 0) in = fcntl(in, F_DUPFD_CLOEXEC, 3);
    if (out >= 0 && out <= 2 && out != 1) out = fcntl(out, F_DUPFD_CLOEXEC, 3);
    if (err >= 0 && err <= 2 && err != 2) err = fcntl(err, F_DUPFD_CLOEXEC, 3);
    if (in >= 0) SETUP(cs_set_stdio(in, 0), "stdin");
    if (out >= 0) SETUP(cs_set_stdio(out, 1), "stdout");
    if (err >= 0) SETUP(cs_set_stdio(err, 2), "stderr");
    SETUP(setsid(), "setsid");
    if (spec->tty) SETUP(ioctl(0, TIOCSCTTY, 0), "set controlling terminal");

    if (spec->new_network) {
        // docker's "none" network has IPv6 off, so lo carries only 127.0.0.1.
        static const char *const ipv6[] = {"/proc/sys/net/ipv6/conf/all/disable_ipv6", "/proc/sys/net/ipv6/conf/default/disable_ipv6",
                                           "/proc/sys/net/ipv6/conf/lo/disable_ipv6"};
        for (size_t i = 0; i < sizeof ipv6 / sizeof ipv6[0]; i++) {
            int fd = open(ipv6[i], O_WRONLY | O_CLOEXEC);
            if (fd >= 0) { ssize_t ignored = write(fd, "1", 1); (void)ignored; close(fd); }
        }
        SETUP(csandbox_loopback_up(), "bring up lo");
    }
    if (spec->hostname) SETUP(sethostname(spec->hostname, cs_strlen(spec->hostname)), "sethostname");

    const char *rootfs = spec->rootfs;
    char path[4096];
    SETUP(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), "make mounts private");
    SETUP(mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL), "bind rootfs");
    umask(0);
    if (spec->mount_proc_dev_sys) {
        cs_join(path, sizeof path, rootfs, "/proc");
        SETUP(mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), "mount /proc");
        cs_mount_dev(rootfs, report_fd);
        cs_join(path, sizeof path, rootfs, "/sys");
        SETUP(mount("sysfs", path, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), "mount /sys");
        // docker's read-only /proc paths
        static const char *const readonly[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
        for (size_t i = 0; i < sizeof readonly / sizeof readonly[0]; i++) {
            cs_join(path, sizeof path, rootfs, readonly[i]);
            if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) == 0) {
                mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
            }
        }
    }
    umask(022);
    for (size_t i = 0; i < spec->mount_count; i++) {
        const struct csandbox_mount *m = &spec->mounts[i];
        if (m->fstype) {
            SETUP(mount(m->source, m->target, m->fstype, m->flags | (m->readonly ? MS_RDONLY : 0), m->data), m->target);
        } else {
            cs_bind(m->source, m->target, m->readonly, report_fd);
        }
    }
    SETUP(chdir(rootfs), "chdir rootfs");
    SETUP(syscall(SYS_pivot_root, ".", "."), "pivot_root");
    SETUP(umount2(".", MNT_DETACH), "unmount old root");
    SETUP(chdir("/"), "chdir /");

    // Raw system calls: glibc's setuid/setgid/setgroups broadcast the change to every thread the parent
    // had, and in this cloned child those threads do not exist, so the wrappers wait forever.
    SETUP(syscall(SYS_setgroups, spec->group_count, spec->groups), "setgroups");
    SETUP(syscall(SYS_setgid, spec->gid), "setgid");
    SETUP(syscall(SYS_setuid, spec->uid), "setuid");
    if (chdir(spec->cwd) < 0) cs_report(report_fd, CSANDBOX_SETUP, errno, "chdir to cwd");
    cs_exec(spec, report_fd);
}

int csandbox_spawn(const struct csandbox_spec *spec, pid_t *pid, int *error_fd) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) < 0) return -errno;
    unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
    if (spec->new_network) flags |= CLONE_NEWNET;
    // A raw clone without a new stack behaves like fork(): the child continues on a copy of this stack.
    long child = syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
    if (child < 0) {
        int saved = errno;
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return -saved;
    }
    if (child == 0) {
        close(pipe_fds[0]);
        cs_child(spec, pipe_fds[1]);
        _exit(127);
    }
    close(pipe_fds[1]);
    *pid = (pid_t)child;
    *error_fd = pipe_fds[0];
    return 0;
}

int csandbox_openpty(int *master, int *slave) {
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0) return -errno;
    if (grantpt(m) < 0 || unlockpt(m) < 0) { int e = errno; close(m); return -e; }
    int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0) { int e = errno; close(m); return -e; }
    *master = m;
    *slave = s;
    return 0;
}

int csandbox_wait(pid_t pid) {
    int status = 0;
    for (;;) {
        if (waitpid(pid, &status, 0) >= 0) return status;
        if (errno != EINTR) return -errno;
    }
}

#include <sys/xattr.h>

int csandbox_is_overlay_opaque(const char *path) {
    char value[4];
    ssize_t n = lgetxattr(path, "trusted.overlay.opaque", value, sizeof value);
    return n == 1 && value[0] == 'y';
}

int csandbox_clear_overlay_opaque(const char *path) {
    return lremovexattr(path, "trusted.overlay.opaque") == 0 ? 0 : -errno;
}
