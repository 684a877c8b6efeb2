// `ssh-add -l` for a busybox image: asks the agent at $SSH_AUTH_SOCK for its identities (SSH2_AGENTC_REQUEST_IDENTITIES)
// and prints their count and comments.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static unsigned be32(const unsigned char *p) { return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3]; }

int main(void) {
    const char *path = getenv("SSH_AUTH_SOCK");
    if (!path) { puts("no SSH_AUTH_SOCK"); return 2; }
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strncpy(address.sun_path, path, sizeof address.sun_path - 1);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) { perror("connect"); return 3; }
    const unsigned char request[5] = {0, 0, 0, 1, 11};
    if (write(fd, request, sizeof request) != sizeof request) { perror("write"); return 4; }
    static unsigned char reply[65536];
    size_t got = 0;
    while (got < 4 || got < 4 + (size_t)be32(reply)) {
        ssize_t n = read(fd, reply + got, sizeof reply - got);
        if (n <= 0) { puts("short reply"); return 5; }
        got += (size_t)n;
    }
    if (reply[4] != 12) { printf("reply type %d\n", reply[4]); return 6; }
    unsigned count = be32(reply + 5), offset = 9;
    printf("%u identities\n", count);
    for (unsigned i = 0; i < count && offset + 4 <= got; i++) {
        offset += 4 + be32(reply + offset);
        unsigned length = be32(reply + offset);
        offset += 4;
        printf("%.*s\n", (int)length, reply + offset);
        offset += length;
    }
    return 0;
}
