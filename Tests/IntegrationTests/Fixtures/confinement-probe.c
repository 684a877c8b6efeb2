// Confinement probe for the integration tests, compiled statically by the test and run inside containers and
// RUN steps (by Strata and by docker, for comparison). Each mode prints lines that say what the kernel allowed.
//   handle PATH         (on the host) print PATH's file handle: "TYPE HEX"
//   scan TYPE HEX       open_by_handle_at against every mount point: "escaped via MP: CONTENT" or "no escape"
//   caps                effective and permitted capabilities of this process (run it setuid to test bounding)
//   probe               privileged system calls: mount, unshare, init_module, keyctl, open_by_handle_at
//   session-keyring     the id of this process's session keyring
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *outcome(long result) { return result >= 0 ? "allowed" : strerror(errno); }

static int handle(const char *path) {
    struct file_handle *h = malloc(sizeof *h + MAX_HANDLE_SZ);
    h->handle_bytes = MAX_HANDLE_SZ;
    int mount_id;
    if (name_to_handle_at(AT_FDCWD, path, h, &mount_id, 0) < 0) { perror("name_to_handle_at"); return 1; }
    printf("%d ", h->handle_type);
    for (unsigned i = 0; i < h->handle_bytes; i++) printf("%02x", h->f_handle[i]);
    printf("\n");
    return 0;
}

static int scan(const char *type, const char *hex) {
    size_t n = strlen(hex) / 2;
    struct file_handle *h = malloc(sizeof *h + n);
    h->handle_bytes = (unsigned)n;
    h->handle_type = atoi(type);
    for (size_t i = 0; i < n; i++) sscanf(hex + 2 * i, "%2hhx", &h->f_handle[i]);
    FILE *mounts = fopen("/proc/self/mountinfo", "r");
    if (!mounts) { perror("mountinfo"); return 1; }
    char line[4096], point[4096];
    int escaped = 0, tried = 0;
    while (fgets(line, sizeof line, mounts)) {
        if (sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1) continue;
        int fd = open(point, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        tried++;
        int target = open_by_handle_at(fd, h, O_RDONLY);
        if (target >= 0) {
            char content[256] = {0};
            ssize_t got = read(target, content, sizeof content - 1);
            if (got > 0 && content[got - 1] == '\n') content[got - 1] = 0;
            printf("escaped via %s: %s\n", point, content);
            escaped = 1;
            close(target);
        }
        close(fd);
    }
    if (!escaped) printf("no escape (%s)\n", tried > 0 ? "every mount tried" : "no mount tried");
    return 0;
}

static int caps(void) {
    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    while (status && fgets(line, sizeof line, status)) {
        if (!strncmp(line, "CapEff", 6) || !strncmp(line, "CapPrm", 6) || !strncmp(line, "CapBnd", 6)) fputs(line, stdout);
    }
    printf("uid=%d euid=%d\n", getuid(), geteuid());
    return 0;
}

static int probe(void) {
    printf("mount tmpfs: %s\n", outcome(mount("none", "/tmp", "tmpfs", 0, NULL)));
    printf("unshare mount namespace: %s\n", outcome(unshare(CLONE_NEWNS)));
    printf("unshare network namespace: %s\n", outcome(unshare(CLONE_NEWNET)));
    printf("init_module: %s\n", outcome(syscall(SYS_init_module, NULL, 0, "")));
    printf("keyctl: %s\n", outcome(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0)));
    printf("open_by_handle_at: %s\n", outcome(open_by_handle_at(AT_FDCWD, &(struct file_handle){0}, O_RDONLY)));
    return 0;
}

static int session_keyring(void) {
    long id = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0);
    if (id < 0) { perror("keyctl"); return 1; }
    printf("%ld\n", id);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 3 && !strcmp(argv[1], "handle")) return handle(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "scan")) return scan(argv[2], argv[3]);
    if (argc == 2 && !strcmp(argv[1], "caps")) return caps();
    if (argc == 2 && !strcmp(argv[1], "probe")) return probe();
    if (argc == 2 && !strcmp(argv[1], "session-keyring")) return session_keyring();
    fprintf(stderr, "usage: probe handle PATH | scan TYPE HEX | caps | probe\n");
    return 2;
}
