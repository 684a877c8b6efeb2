// DefaultSeccompProfile.swift — docker 20.10.24's default seccomp profile (moby profiles/seccomp, the public
// default.json / default_linux.go of that release) written out as a `SeccompProfile` value: every container gets it
// unless run with `--security-opt seccomp=unconfined` or another profile. Default action: SCMP_ACT_ERRNO (EPERM).
// The names and conditions below are those public facts, in the release's rule order.

extension SeccompProfile {
    /// docker 20.10.24's default profile.
    public static let dockerDefault = SeccompProfile(
        defaultAction: .errno,
        archMap: [
            Architecture("SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]),
            Architecture("SCMP_ARCH_AARCH64", subArchitectures: ["SCMP_ARCH_ARM"]),
            Architecture("SCMP_ARCH_MIPS64", subArchitectures: ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"]),
            Architecture("SCMP_ARCH_MIPS64N32", subArchitectures: ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"]),
            Architecture("SCMP_ARCH_MIPSEL64", subArchitectures: ["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"]),
            Architecture("SCMP_ARCH_MIPSEL64N32", subArchitectures: ["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"]),
            Architecture("SCMP_ARCH_S390X", subArchitectures: ["SCMP_ARCH_S390"]),
        ],
        syscalls: dockerDefaultRules)

    /// System calls every container may make, whatever its capabilities.
    static let dockerAlwaysAllowed = [
        "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset", "chdir", "chmod",
        "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64",
        "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range",
        "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl",
        "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
        "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64",
        "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown", "fchown32", "fchownat", "fcntl",
        "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat",
        "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_time64",
        "futex_waitv", "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid",
        "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid",
        "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid",
        "getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt",
        "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch",
        "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents",
        "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup", "io_submit",
        "io_uring_enter", "io_uring_register", "io_uring_setup", "ipc", "kill", "landlock_add_rule",
        "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat",
        "listen", "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64",
        "madvise", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat",
        "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
        "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap",
        "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap", "nanosleep", "newfstatat",
        "_newselect", "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
        "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease",
        "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
        "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages",
        "removexattr", "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction",
        "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
        "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam",
        "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
        "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler",
        "sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
        "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32",
        "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid",
        "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit",
        "set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32",
        "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
        "sigprocmask", "sigreturn", "socket", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs",
        "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill",
        "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64",
        "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
        "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask",
        "uname", "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice",
        "wait4", "waitid", "waitpid", "write", "writev",
    ]

    /// `personality(2)` personas docker allows: PER_LINUX, UNAME26, PER_LINUX32, UNAME26|PER_LINUX32, and the
    /// 0xffffffff query.
    static let dockerPersonalities: [UInt64] = [0x0, 0x0008, 0x20000, 0x20008, 0xffff_ffff]

    /// `clone(2)` flags a container without CAP_SYS_ADMIN may not pass: CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
    /// CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP.
    static let dockerNamespaceFlags: UInt64 = 0x7E02_0000

    private static func allow(_ names: [String], caps: [String] = [], arches: [String] = []) -> Syscall {
        Syscall(names: names, action: .allow, includes: Filter(caps: caps, arches: arches))
    }

    static let dockerDefaultRules: [Syscall] = [
        allow(dockerAlwaysAllowed),
        Syscall(names: ["ptrace"], action: .allow, includes: Filter(minKernel: KernelVersion(4, 8))),
    ] + dockerPersonalities.map { persona in
        Syscall(names: ["personality"], action: .allow, args: [Argument(index: 0, value: persona, op: .equal)])
    } + [
        allow(["sync_file_range2"], arches: ["ppc64le"]),
        allow(["arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls"],
              arches: ["arm", "arm64"]),
        allow(["arch_prctl"], arches: ["amd64", "x32"]),
        allow(["modify_ldt"], arches: ["amd64", "x32", "x86"]),
        allow(["s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"], arches: ["s390", "s390x"]),
        allow(["open_by_handle_at"], caps: ["CAP_DAC_READ_SEARCH"]),
        allow(["bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie",
               "mount", "mount_setattr", "move_mount", "name_to_handle_at", "open_tree", "perf_event_open",
               "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2",
               "unshare"],
              caps: ["CAP_SYS_ADMIN"]),
        Syscall(names: ["clone"], action: .allow,
                args: [Argument(index: 0, value: dockerNamespaceFlags, op: .maskedEqual)],
                excludes: Filter(caps: ["CAP_SYS_ADMIN"], arches: ["s390", "s390x"])),
        Syscall(names: ["clone"], action: .allow,
                args: [Argument(index: 1, value: dockerNamespaceFlags, op: .maskedEqual)],
                comment: "s390 parameter ordering for clone is different",
                includes: Filter(arches: ["s390", "s390x"]), excludes: Filter(caps: ["CAP_SYS_ADMIN"])),
        // ENOSYS, not EPERM, so that glibc falls back to clone(2), which the rule above can inspect.
        Syscall(names: ["clone3"], action: .errno, errnoRet: 38, excludes: Filter(caps: ["CAP_SYS_ADMIN"])),
        allow(["reboot"], caps: ["CAP_SYS_BOOT"]),
        allow(["chroot"], caps: ["CAP_SYS_CHROOT"]),
        allow(["delete_module", "init_module", "finit_module"], caps: ["CAP_SYS_MODULE"]),
        allow(["acct"], caps: ["CAP_SYS_PACCT"]),
        allow(["kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"],
              caps: ["CAP_SYS_PTRACE"]),
        allow(["iopl", "ioperm"], caps: ["CAP_SYS_RAWIO"]),
        allow(["settimeofday", "stime", "clock_settime"], caps: ["CAP_SYS_TIME"]),
        allow(["vhangup"], caps: ["CAP_SYS_TTY_CONFIG"]),
        allow(["get_mempolicy", "mbind", "set_mempolicy"], caps: ["CAP_SYS_NICE"]),
        allow(["syslog"], caps: ["CAP_SYSLOG"]),
    ]
}
