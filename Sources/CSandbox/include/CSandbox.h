// C entry points for the sandbox: namespace setup must run between clone() and execve(),
// where Swift code (runtime locks, allocation) is not safe.
#pragma once
int csandbox_placeholder(void);
