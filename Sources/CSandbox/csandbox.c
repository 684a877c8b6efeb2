// Child-side sandbox setup: a holder process that ties the container's life to Strata's, and the container's
// PID 1, confined as docker confines it (capabilities, seccomp, no_new_privs), then execve. Everything after
// clone() uses only async-signal-safe system calls and stack buffers: the parent is a multi-threaded Swift process.
#define _GNU_SOURCE
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

size_t cs_strlen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }

void cs_copy(char *dst, size_t cap, const char *src) {
    size_t i = 0;
    for (; src && src[i] && i + 1 < cap; i++) dst[i] = src[i];
    dst[i] = 0;
}

void cs_join(char *dst, size_t cap, const char *a, const char *b) {
    size_t n = 0;
    for (size_t i = 0; a[i] && n + 1 < cap; i++) dst[n++] = a[i];
    for (size_t i = 0; b[i] && n + 1 < cap; i++) dst[n++] = b[i];
    dst[n] = 0;
}

void cs_send(int fd, int kind, int failure_kind, int error, const char *detail) {
    struct csandbox_message message;
    memset(&message, 0, sizeof message);
    message.kind = kind;
    message.failure_kind = failure_kind;
    message.error = error;
    cs_copy(message.detail, sizeof message.detail, detail);
    for (;;) {
        ssize_t n = write(fd, &message, sizeof message);
        if (n < 0 && errno == EINTR) continue;
        break;
    }
}

_Noreturn void cs_report(int fd, int kind, int error, const char *detail) {
    cs_send(fd, CSANDBOX_MESSAGE_FAILURE, kind, error, detail);
    _exit(127);
}

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


/// The read end of a pipe whose only write end the holder keeps: POLLHUP means the holder is gone, and with it
/// whoever would have killed this process (PR_SET_PDEATHSIG set after the holder died never fires).
static int cs_lifeline = -1;

static void cs_die_with_holder(int report_fd) {
    SETUP(prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "parent death signal");
    struct pollfd watch = {.fd = cs_lifeline, .events = POLLIN};
    if (cs_lifeline >= 0 && poll(&watch, 1, 0) > 0 && (watch.revents & (POLLHUP | POLLERR))) _exit(137);
}

/// Installs the seccomp filter (a struct sock_filter array prepared by the parent).
static void cs_install_seccomp(const struct csandbox_spec *spec, int report_fd) {
    struct sock_fprog program = {
        .len = spec->seccomp_length,
        .filter = (struct sock_filter *)spec->seccomp_filter,
    };
    SETUP(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program), "install seccomp filter");
}

/// The user, the capability sets and the filter, in runc's order: without no_new_privs the filter goes in while
/// CAP_SYS_ADMIN is still held; with it, last, right before execve.
static void cs_confine(const struct csandbox_spec *spec, int report_fd) {
    int seccomp = spec->seccomp_filter != NULL && spec->seccomp_length > 0;
    if (seccomp && !spec->no_new_privs) cs_install_seccomp(spec, report_fd);
    // Every capability the kernel knows (PR_CAPBSET_READ fails past the last), not only those Strata names.
    for (int cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
        if ((spec->capabilities >> cap) & 1) continue;
        SETUP(prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "drop capability from bounding set");
    }
    SETUP(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "keep capabilities");
    // Raw system calls: glibc's setuid/setgid/setgroups broadcast the change to every thread the parent
    // had, and in this cloned child those threads do not exist, so the wrappers wait forever.
    SETUP(syscall(SYS_setgroups, spec->group_count, spec->groups), "setgroups");
    SETUP(syscall(SYS_setgid, spec->gid), "setgid");
    SETUP(syscall(SYS_setuid, spec->uid), "setuid");
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    data[0].effective = data[0].permitted = (uint32_t)spec->capabilities;
    data[1].effective = data[1].permitted = (uint32_t)(spec->capabilities >> 32);
    SETUP(syscall(SYS_capset, &header, data), "set capabilities");
    SETUP(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "keep capabilities");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
        cs_report(report_fd, CSANDBOX_SETUP, errno, "clear ambient capabilities");
    }
    if (spec->no_new_privs) SETUP(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs");
    // A change of credentials clears the parent-death signal: set it again for the command.
    cs_die_with_holder(report_fd);
    if (chdir(spec->cwd) < 0) cs_report(report_fd, CSANDBOX_SETUP, errno, "chdir to cwd");
    if (seccomp && spec->no_new_privs) cs_install_seccomp(spec, report_fd);
}

/// `-t`: a pty of the container's own devpts instance (as runc makes it), so `tty` and `ps` inside name it. It becomes
/// stdio and the controlling terminal; the master side goes back to Strata over the console socket.
static void cs_open_console(const struct csandbox_spec *spec, int report_fd) {
    int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) cs_report(report_fd, CSANDBOX_SETUP, errno, "open /dev/pts/ptmx");
    // The standard streams are closed here until the pty takes them: keep the master clear of 0..2.
    if (master <= 2) {
        int moved = fcntl(master, F_DUPFD_CLOEXEC, 3);
        if (moved < 0) cs_report(report_fd, CSANDBOX_SETUP, errno, "move the pty");
        close(master);
        master = moved;
    }
    int unlock = 0;
    SETUP(ioctl(master, TIOCSPTLCK, &unlock), "unlock the pty");
    int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    if (slave < 0) cs_report(report_fd, CSANDBOX_SETUP, errno, "open the pty's terminal side");
    if (fchown(slave, spec->uid, (gid_t)-1) < 0) { /* root keeps it; the mode still lets the user write */ }
    if (spec->tty_rows > 0 && spec->tty_cols > 0) {
        struct winsize size = {.ws_row = spec->tty_rows, .ws_col = spec->tty_cols};
        ioctl(slave, TIOCSWINSZ, &size);
    }
    for (int fd = 0; fd <= 2; fd++) SETUP(dup2(slave, fd), "pty stdio");
    if (slave > 2) close(slave);
    SETUP(ioctl(0, TIOCSCTTY, 0), "set controlling terminal");
    char token = 0;
    struct iovec data = {.iov_base = &token, .iov_len = 1};
    union { struct cmsghdr header; char space[CMSG_SPACE(sizeof(int))]; } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = {.msg_iov = &data, .msg_iovlen = 1, .msg_control = control.space,
                             .msg_controllen = sizeof control.space};
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &master, sizeof(int));
    ssize_t sent;
    do { sent = sendmsg(spec->console_socket, &message, MSG_NOSIGNAL); } while (sent < 0 && errno == EINTR);
    if (sent < 0) cs_report(report_fd, CSANDBOX_SETUP, errno, "send the pty to strata");
    close(master);
    close(spec->console_socket);
}

/// Joins the container's cgroup (the parent made it and set its limits) and makes it the root of a new cgroup
/// namespace, so that the cgroup filesystem mounted later shows the container's own cgroup at its top.
static void cs_join_cgroup(const struct csandbox_spec *spec, int report_fd) {
    if (!spec->join_cgroup) return;
    for (;;) {
        ssize_t n = write(spec->cgroup_procs_fd, "0", 1);
        if (n == 1) break;
        if (n < 0 && errno == EINTR) continue;
        cs_report(report_fd, CSANDBOX_SETUP, n < 0 ? errno : EIO, "join the container's cgroup");
    }
    close(spec->cgroup_procs_fd);
    SETUP(unshare(CLONE_NEWCGROUP), "new cgroup namespace");
}

/// `--ulimit`: set while the process may still raise hard limits (runc sets them before the capabilities go).
static void cs_set_rlimits(const struct csandbox_spec *spec, int report_fd) {
    char number[16];
    for (size_t i = 0; i < spec->rlimit_count; i++) {
        const struct csandbox_rlimit *limit = &spec->rlimits[i];
        struct rlimit value = {.rlim_cur = (rlim_t)limit->soft, .rlim_max = (rlim_t)limit->hard};
        if (setrlimit(limit->resource, &value) < 0) {
            int saved = errno;
            snprintf(number, sizeof number, "%d", limit->resource);
            cs_report(report_fd, CSANDBOX_RLIMIT, saved, number);
        }
    }
}

static void cs_child(const struct csandbox_spec *spec, int report_fd) {
    // Dispositions and the mask are inherited through execve; the command starts with defaults (handlers first,
    // then the mask, so that nothing pending runs the holder's handler here).
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
    }
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    // The container dies with its holder (which dies with Strata).
    cs_die_with_holder(report_fd);
    // A session keyring of its own, as runc gives every container (else it would share Strata's).
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS) {
        cs_report(report_fd, CSANDBOX_SETUP, errno, "join session keyring");
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
    if (spec->tty && spec->console_socket < 0) SETUP(ioctl(0, TIOCSCTTY, 0), "set controlling terminal");
    cs_join_cgroup(spec, report_fd);

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

    cs_setup_filesystem(spec, report_fd);
    SETUP(chdir(spec->rootfs), "chdir rootfs");
    SETUP(syscall(SYS_pivot_root, ".", "."), "pivot_root");
    SETUP(umount2(".", MNT_DETACH), "unmount old root");
    SETUP(chdir("/"), "chdir /");
    if (spec->tty && spec->console_socket >= 0) cs_open_console(spec, report_fd);
    cs_set_rlimits(spec, report_fd);
    cs_confine(spec, report_fd);
    cs_exec(spec, report_fd);
}

int csandbox_receive_fd(int socket_fd) {
    char token;
    struct iovec data = {.iov_base = &token, .iov_len = 1};
    union { struct cmsghdr header; char space[CMSG_SPACE(sizeof(int))]; } control;
    struct msghdr message = {.msg_iov = &data, .msg_iovlen = 1, .msg_control = control.space,
                             .msg_controllen = sizeof control.space};
    ssize_t received;
    do { received = recvmsg(socket_fd, &message, MSG_CMSG_CLOEXEC); } while (received < 0 && errno == EINTR);
    if (received <= 0) return received < 0 ? -errno : -EPIPE;
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    if (!header || header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) return -EBADMSG;
    int fd;
    memcpy(&fd, CMSG_DATA(header), sizeof(int));
    return fd;
}

/// The holder's view of its container and parent, for the parent-death handler.
static volatile pid_t cs_container = 0;
static volatile pid_t cs_parent = 0;

static void cs_on_parent_death(int sig) {
    (void)sig;
    // Only a real parent death counts (the kernel reparents before it signals); a stray signal is ignored.
    if (getppid() == cs_parent) return;
    if (cs_container > 0) kill(cs_container, SIGKILL);
    _exit(137);
}

/// Closes every descriptor but the listed ones (the holder keeps only what the container needs).
static void cs_close_all_but(const int *keep, size_t count) {
    int sorted[8];
    size_t n = 0;
    for (size_t i = 0; i < count && n < 8; i++) if (keep[i] >= 0) sorted[n++] = keep[i];
    for (size_t i = 1; i < n; i++) {
        for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) { int t = sorted[j]; sorted[j] = sorted[j - 1]; sorted[j - 1] = t; }
    }
    unsigned int low = 0;
    for (size_t i = 0; i <= n; i++) {
        unsigned int high = i < n ? (unsigned int)sorted[i] : ~0U;
        if (high > low) {
            if (syscall(SYS_close_range, low, high - 1, 0) < 0) {
                for (unsigned int fd = low; fd < high && fd < 4096; fd++) close((int)fd);
            }
        }
        if (i < n) low = (unsigned int)sorted[i] + 1;
    }
}

/// The holder: dies with the thread that started it (PR_SET_PDEATHSIG) and then kills the container's PID 1,
/// which takes the whole PID namespace down. Reports the container's PID and wait status.
static _Noreturn void cs_holder(const struct csandbox_spec *spec, int report_fd, pid_t parent, int death_signal) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    cs_parent = parent;
    prctl(PR_SET_NAME, "strata-holder", 0, 0, 0);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = SIG_IGN;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD) sigaction(sig, &action, NULL);
    }
    action.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &action, NULL);
    // A real-time signal nobody sends by accident: `timeout`, CI cancellation and `kill -TERM -PGID` reach the
    // holder too, and must not kill the container behind Strata's back (Strata forwards what it receives).
    action.sa_handler = cs_on_parent_death;
    sigaction(death_signal, &action, NULL);
    if (prctl(PR_SET_PDEATHSIG, death_signal, 0, 0, 0) < 0 || getppid() != parent) _exit(137);
    int lifeline[2];
    if (pipe2(lifeline, O_CLOEXEC) < 0) {
        cs_send(report_fd, CSANDBOX_MESSAGE_FAILURE, CSANDBOX_SETUP, errno, "pipe");
        _exit(127);
    }
    int keep[] = {spec->stdin_fd, spec->stdout_fd, spec->stderr_fd, report_fd, lifeline[0], lifeline[1], spec->console_socket,
                  spec->join_cgroup ? spec->cgroup_procs_fd : -1};
    cs_close_all_but(keep, sizeof keep / sizeof keep[0]);

    unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
    if (spec->new_network) flags |= CLONE_NEWNET;
    // A raw clone without a new stack behaves like fork(): the child continues on a copy of this stack.
    long child = syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
    if (child == 0) {
        close(lifeline[1]);
        cs_lifeline = lifeline[0];
        cs_child(spec, report_fd);
        _exit(127);
    }
    close(lifeline[0]);
    if (child < 0) {
        cs_send(report_fd, CSANDBOX_MESSAGE_FAILURE, CSANDBOX_SETUP, errno, "clone");
        _exit(127);
    }
    cs_container = (pid_t)child;
    cs_send(report_fd, CSANDBOX_MESSAGE_PID, 0, (int)child, "");
    // Only the parent-death signal gets through from here on.
    sigset_t death;
    sigfillset(&death);
    sigdelset(&death, death_signal);
    sigprocmask(SIG_SETMASK, &death, NULL);
    int keep_open[] = {report_fd, lifeline[1]};
    cs_close_all_but(keep_open, 2);
    // Wait without reaping, so the handler never kills a PID that was reaped and reused; then reap.
    siginfo_t info;
    for (;;) {
        memset(&info, 0, sizeof info);
        if (waitid(P_PID, (id_t)child, &info, WEXITED | WNOWAIT) >= 0) break;
        if (errno != EINTR) break;
    }
    sigprocmask(SIG_BLOCK, &all, NULL);
    cs_container = 0;
    int status = 0;
    for (;;) {
        if (waitpid((pid_t)child, &status, 0) >= 0) break;
        if (errno != EINTR) {
            cs_send(report_fd, CSANDBOX_MESSAGE_FAILURE, CSANDBOX_SETUP, errno, "wait for the container");
            _exit(127);
        }
    }
    cs_send(report_fd, CSANDBOX_MESSAGE_STATUS, 0, status, "");
    _exit(0);
}

int csandbox_spawn(const struct csandbox_spec *spec, pid_t *holder, int *report_fd) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) < 0) return -errno;
    pid_t parent = getpid();
    int death_signal = SIGRTMAX - 1;
    long child = syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
    if (child < 0) {
        int saved = errno;
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return -saved;
    }
    if (child == 0) {
        close(pipe_fds[0]);
        cs_holder(spec, pipe_fds[1], parent, death_signal);
    }
    close(pipe_fds[1]);
    *holder = (pid_t)child;
    *report_fd = pipe_fds[0];
    return 0;
}

int csandbox_spawn_tethered(const char *path, const char *const *argv, const char *const *envp,
                            int stdin_fd, int stdout_fd, int stderr_fd, int new_session, pid_t *pid) {
    pid_t parent = getpid();
    long child = syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
    if (child < 0) return -errno;
    if (child == 0) {
        for (int sig = 1; sig < NSIG; sig++) {
            if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent) _exit(127);
        int fds[3] = {stdin_fd, stdout_fd, stderr_fd};
        // Sources above 2 first, so that dup2 onto 0..2 cannot clobber a later source.
        for (int i = 0; i < 3; i++) if (fds[i] >= 0 && fds[i] <= 2 && fds[i] != i) fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
        for (int i = 0; i < 3; i++) {
            if (fds[i] < 0) { close(i); continue; }
            if (cs_set_stdio(fds[i], i) < 0) _exit(127);
        }
        if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
            for (int fd = 3; fd < 4096; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
        }
        if (new_session && setsid() < 0) _exit(127);
        execve(path, (char *const *)argv, (char *const *)envp);
        _exit(127);
    }
    *pid = (pid_t)child;
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
#include <sys/vfs.h>

long csandbox_filesystem_type(const char *path) {
    struct statfs info;
    if (statfs(path, &info) < 0) return -errno;
    return (long)info.f_type;
}

int csandbox_is_overlay_opaque(const char *path) {
    char value[4];
    ssize_t n = lgetxattr(path, "trusted.overlay.opaque", value, sizeof value);
    return n == 1 && value[0] == 'y';
}

int csandbox_clear_overlay_opaque(const char *path) {
    return lremovexattr(path, "trusted.overlay.opaque") == 0 ? 0 : -errno;
}
