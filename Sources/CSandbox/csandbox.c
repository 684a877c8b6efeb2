#include "CSandbox.h"
int csandbox_placeholder(void) { return 0; }
