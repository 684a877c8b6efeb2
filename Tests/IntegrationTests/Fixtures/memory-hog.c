// Allocates and touches N MiB (argv[1], default 256), then says so: a memory limit below that gets it killed.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    long mib = argc > 1 ? atol(argv[1]) : 256;
    for (long i = 0; i < mib; i++) {
        char *block = malloc(1 << 20);
        if (!block) { puts("malloc failed"); return 2; }
        memset(block, 1, 1 << 20);
    }
    printf("allocated %ld MiB\n", mib);
    return 0;
}
