// Helpers shared by the child-side C files. Only async-signal-safe calls and stack buffers: the child is a
// clone of a multi-threaded Swift process.
#pragma once
#include "CSandbox.h"

size_t cs_strlen(const char *s);
void cs_copy(char *dst, size_t cap, const char *src);
/// dst = a + b (truncated to cap).
void cs_join(char *dst, size_t cap, const char *a, const char *b);
/// Writes one message to the report pipe.
void cs_send(int fd, int kind, int failure_kind, int error, const char *detail);
/// Reports a failure to start and exits the child with 127.
_Noreturn void cs_report(int fd, int kind, int error, const char *detail);

#define SETUP(call, what) do { if ((call) < 0) cs_report(report_fd, CSANDBOX_SETUP, errno, what); } while (0)

/// The container's filesystem: in-memory files, /proc, /dev, /sys (masked as docker masks them), the
/// caller's mounts. Runs in the child's private mount namespace, before pivot_root.
void cs_setup_filesystem(const struct csandbox_spec *spec, int report_fd);
