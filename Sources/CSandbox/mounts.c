// Child-side filesystem setup for the sandbox: what runc does for docker's default spec, written for
// Strata (mount order, docker 20.10's masked and read-only /proc paths, host devices for --privileged).
#define _GNU_SOURCE
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/// Remounts a bind mount with `flags` added (MS_NODEV, MS_RDONLY), keeping the flags the kernel insists stay set.
static int cs_remount_adding(const char *target, unsigned long flags) {
    struct statvfs info;
    unsigned long all = MS_BIND | MS_REMOUNT | flags;
    if (statvfs(target, &info) == 0) {
        if (info.f_flag & ST_NOSUID) all |= MS_NOSUID;
        if (info.f_flag & ST_NODEV) all |= MS_NODEV;
        if (info.f_flag & ST_NOEXEC) all |= MS_NOEXEC;
        if (info.f_flag & ST_RDONLY) all |= MS_RDONLY;
    }
    return mount(NULL, target, NULL, all, NULL);
}

static int cs_remount_readonly(const char *target, unsigned long extra) {
    return cs_remount_adding(target, MS_RDONLY | extra);
}

/// A bind mount; unless the container may use devices, nodev: docker's devices cgroup refuses every device but
/// its short list, and without a cgroup a node made with CAP_MKNOD (or shipped in a layer, or bound in with
/// `-v /dev:/dev`) would open the host's disk.
static void cs_bind(const struct csandbox_spec *spec, const char *source, const char *target, int readonly, int report_fd) {
    SETUP(mount(source, target, NULL, MS_BIND | MS_REC, NULL), target);
    if (readonly) SETUP(cs_remount_readonly(target, spec->allow_devices ? 0 : MS_NODEV), target);
    else if (!spec->allow_devices) SETUP(cs_remount_adding(target, MS_NODEV), target);
}

static int cs_write_all(int fd, const unsigned char *bytes, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, bytes + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    return 0;
}

/// In-memory files: a tmpfs is mounted on the rootfs's /dev (still empty), the files are written there and
/// bound over their targets, then the tmpfs is detached: only the binds keep it, and it dies with them.
static void cs_mount_files(const struct csandbox_spec *spec, int report_fd) {
    if (spec->file_count == 0) return;
    char staging[4096], path[4096], options[64];
    cs_join(staging, sizeof staging, spec->rootfs, "/dev");
    size_t total = 65536;
    for (size_t i = 0; i < spec->file_count; i++) total += spec->files[i].size + 4096;
    snprintf(options, sizeof options, "mode=700,size=%zu", total);
    SETUP(mount("tmpfs", staging, "tmpfs", 0, options), "mount file staging");
    for (size_t i = 0; i < spec->file_count; i++) {
        const struct csandbox_file *file = &spec->files[i];
        if (file->in_dev) continue;
        snprintf(path, sizeof path, "%s/f%zu", staging, i);
        int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) cs_report(report_fd, CSANDBOX_SETUP, errno, file->target);
        if (cs_write_all(fd, file->contents, file->size) < 0 || fchown(fd, file->uid, file->gid) < 0
            || fchmod(fd, file->mode & 07777) < 0) {
            cs_report(report_fd, CSANDBOX_SETUP, errno, file->target);
        }
        close(fd);
        SETUP(mount(path, file->target, NULL, MS_BIND, NULL), file->target);
        if (file->readonly) SETUP(cs_remount_readonly(file->target, MS_NOSUID | MS_NODEV | MS_NOEXEC), file->target);
    }
    SETUP(umount2(staging, MNT_DETACH), "detach file staging");
}

/// Files whose target is in the container's /dev (BuildKit's /dev/pipes/NAME for a RUN heredoc with a shebang,
/// a secret mounted there): written into the fresh /dev tmpfs, every directory opened without following links;
/// a read-only one is bound onto itself read-only (and stays executable).
static void cs_write_dev_files(const struct csandbox_spec *spec, int report_fd) {
    char dev[4096], relative[4096], path[4096];
    cs_join(dev, sizeof dev, spec->rootfs, "/dev");
    for (size_t i = 0; i < spec->file_count; i++) {
        const struct csandbox_file *file = &spec->files[i];
        if (!file->in_dev) continue;
        snprintf(relative, sizeof relative, "%s", file->target);
        int directory = open(dev, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (directory < 0) cs_report(report_fd, CSANDBOX_SETUP, errno, "/dev");
        char *name = relative;
        for (char *slash = strchr(name, '/'); slash; slash = strchr(name, '/')) {
            *slash = 0;
            if (mkdirat(directory, name, 0755) < 0 && errno != EEXIST) cs_report(report_fd, CSANDBOX_SETUP, errno, file->target);
            int next = openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (next < 0) cs_report(report_fd, CSANDBOX_SETUP, errno, file->target);
            close(directory);
            directory = next;
            name = slash + 1;
        }
        int fd = openat(directory, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) cs_report(report_fd, CSANDBOX_SETUP, errno, file->target);
        if (cs_write_all(fd, file->contents, file->size) < 0 || fchown(fd, file->uid, file->gid) < 0
            || fchmod(fd, file->mode & 07777) < 0) {
            cs_report(report_fd, CSANDBOX_SETUP, errno, file->target);
        }
        close(fd);
        close(directory);
        if (file->readonly) {
            snprintf(path, sizeof path, "%s/%s", dev, file->target);
            SETUP(mount(path, path, NULL, MS_BIND, NULL), file->target);
            SETUP(cs_remount_readonly(path, 0), file->target);
        }
    }
}

static void cs_make_parents(char *path) {
    for (char *c = path + 1; *c; c++) {
        if (*c != '/') continue;
        *c = 0;
        mkdir(path, 0755);
        *c = '/';
    }
}

static void cs_mount_dev(const struct csandbox_spec *spec, int report_fd) {
    const char *rootfs = spec->rootfs;
    char path[4096];
    cs_join(path, sizeof path, rootfs, "/dev");
    unsigned long dev_flags = MS_NOSUID | MS_STRICTATIME | (spec->allow_devices ? 0 : MS_NODEV);
    SETUP(mount("tmpfs", path, "tmpfs", dev_flags, "mode=755,size=65536k"), "mount /dev");
    static const struct { const char *name; unsigned major, minor; } nodes[] = {
        {"/dev/null", 1, 3}, {"/dev/zero", 1, 5}, {"/dev/full", 1, 7},
        {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
    };
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        cs_join(path, sizeof path, rootfs, nodes[i].name);
        if (spec->allow_devices) {
            SETUP(mknod(path, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)), nodes[i].name);
            SETUP(chmod(path, 0666), nodes[i].name);
            continue;
        }
        // A nodev /dev: the host's own node is bound over an empty file (as rootless runc does), and only these.
        int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0666);
        if (fd < 0) cs_report(report_fd, CSANDBOX_SETUP, errno, nodes[i].name);
        close(fd);
        SETUP(mount(nodes[i].name, path, NULL, MS_BIND, NULL), nodes[i].name);
    }
    // --privileged: every host device, as docker creates them (same numbers, mode and owner).
    for (size_t i = 0; i < spec->device_count; i++) {
        const struct csandbox_device *device = &spec->devices[i];
        snprintf(path, sizeof path, "%s/dev/%s", rootfs, device->path);
        cs_make_parents(path);
        if (mknod(path, device->mode, device->rdev) < 0) {
            if (errno == EEXIST) continue;
            cs_report(report_fd, CSANDBOX_SETUP, errno, device->path);
        }
        chmod(path, device->mode & 07777);
        if (chown(path, device->uid, device->gid) < 0) { /* keep root's */ }
    }
    cs_join(path, sizeof path, rootfs, "/dev/pts");
    SETUP(mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0, "mkdir /dev/pts");
    SETUP(mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC,
                "newinstance,ptmxmode=0666,mode=0620,gid=5"), "mount /dev/pts");
    cs_join(path, sizeof path, rootfs, "/dev/shm");
    SETUP(mkdir(path, 01777) < 0 && errno != EEXIST ? -1 : 0, "mkdir /dev/shm");
    // --shm-size, in bytes as dockerd passes it (default 64 MiB).
    char shm_options[64];
    snprintf(shm_options, sizeof shm_options, "mode=1777,size=%llu",
             (unsigned long long)(spec->shm_size ? spec->shm_size : 64ULL << 20));
    SETUP(mount("shm", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, shm_options), "mount /dev/shm");
    cs_join(path, sizeof path, rootfs, "/dev/mqueue");
    SETUP(mkdir(path, 01777) < 0 && errno != EEXIST ? -1 : 0, "mkdir /dev/mqueue");
    SETUP(mount("mqueue", path, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), "mount /dev/mqueue");
    static const struct { const char *name, *target; } links[] = {
        {"/dev/fd", "/proc/self/fd"}, {"/dev/stdin", "/proc/self/fd/0"}, {"/dev/stdout", "/proc/self/fd/1"},
        {"/dev/stderr", "/proc/self/fd/2"}, {"/dev/ptmx", "pts/ptmx"}
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        cs_join(path, sizeof path, rootfs, links[i].name);
        if (symlink(links[i].target, path) < 0 && errno != EEXIST) cs_report(report_fd, CSANDBOX_SETUP, errno, links[i].name);
    }
}

/// The container's cgroup at /sys/fs/cgroup (it joined the cgroup and a cgroup namespace rooted there): cgroup v2
/// as runc mounts it, or for cgroup v1 a tmpfs holding the memory hierarchy, the one controller Strata sets.
/// Read-only unless the container is privileged, as docker mounts them.
static void cs_mount_cgroup(const struct csandbox_spec *spec, int report_fd) {
    if (spec->cgroup_mount == CSANDBOX_CGROUP_NONE) return;
    char path[4096];
    unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | (spec->allow_devices ? 0 : MS_RDONLY);
    cs_join(path, sizeof path, spec->rootfs, "/sys/fs/cgroup");
    if (spec->cgroup_mount == CSANDBOX_CGROUP_V2) {
        SETUP(mount("cgroup2", path, "cgroup2", flags, NULL), "mount /sys/fs/cgroup");
        return;
    }
    SETUP(mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755"), "mount /sys/fs/cgroup");
    cs_join(path, sizeof path, spec->rootfs, "/sys/fs/cgroup/memory");
    SETUP(mkdir(path, 0755), "mkdir /sys/fs/cgroup/memory");
    SETUP(mount("cgroup", path, "cgroup", flags, "memory"), "mount /sys/fs/cgroup/memory");
}

/// docker 20.10's masked paths (oci/defaults.go): a directory gets an empty read-only tmpfs, a file /dev/null.
/// Paths this kernel lacks are skipped, as runc skips them.
static void cs_mask_paths(const char *rootfs, int report_fd) {
    static const char *const masked[] = {
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
    };
    char path[4096], null_device[4096];
    cs_join(null_device, sizeof null_device, rootfs, "/dev/null");
    for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++) {
        cs_join(path, sizeof path, rootfs, masked[i]);
        struct stat info;
        if (lstat(path, &info) < 0) continue;
        if (S_ISDIR(info.st_mode)) {
            SETUP(mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL), masked[i]);
        } else {
            SETUP(mount(null_device, path, NULL, MS_BIND, NULL), masked[i]);
        }
    }
    // docker's read-only /proc paths
    static const char *const readonly[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
    for (size_t i = 0; i < sizeof readonly / sizeof readonly[0]; i++) {
        cs_join(path, sizeof path, rootfs, readonly[i]);
        if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
            if (errno == ENOENT) continue;
            cs_report(report_fd, CSANDBOX_SETUP, errno, readonly[i]);
        }
        SETUP(cs_remount_readonly(path, MS_NOSUID | MS_NODEV | MS_NOEXEC), readonly[i]);
    }
}

void cs_setup_filesystem(const struct csandbox_spec *spec, int report_fd) {
    const char *rootfs = spec->rootfs;
    char path[4096];
    SETUP(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), "make mounts private");
    SETUP(mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL), "bind rootfs");
    if (!spec->allow_devices) SETUP(cs_remount_adding(rootfs, MS_NODEV), "remount rootfs nodev");
    cs_mount_files(spec, report_fd);
    umask(0);
    if (spec->mount_proc_dev_sys) {
        cs_join(path, sizeof path, rootfs, "/proc");
        SETUP(mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), "mount /proc");
        cs_mount_dev(spec, report_fd);
        cs_write_dev_files(spec, report_fd);
        cs_join(path, sizeof path, rootfs, "/sys");
        unsigned long sys_flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | (spec->writable_sysfs ? 0 : MS_RDONLY);
        SETUP(mount("sysfs", path, "sysfs", sys_flags, NULL), "mount /sys");
        cs_mount_cgroup(spec, report_fd);
        if (!spec->unmasked_paths) cs_mask_paths(rootfs, report_fd);
    }
    umask(022);
    for (size_t i = 0; i < spec->mount_count; i++) {
        const struct csandbox_mount *m = &spec->mounts[i];
        if (m->fstype) {
            SETUP(mount(m->source, m->target, m->fstype, m->flags | (m->readonly ? MS_RDONLY : 0), m->data), m->target);
        } else {
            cs_bind(spec, m->source, m->target, m->readonly, report_fd);
        }
    }
}
