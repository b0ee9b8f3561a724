/* ktstr-init, PID 1 inside the guest: its pieces. */
#ifndef KTSTR_GUEST_INIT_H
#define KTSTR_GUEST_INIT_H

#include <stdbool.h>

void init_say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* proc, sys, devtmpfs, tmpfs on /tmp; cgroup2, debugfs, tracefs where the kernel has them. */
void init_mount_all(void);
/* A NUL-separated argv file (initgen's /ktstr/argv); NULL when absent or malformed. */
char **init_read_argv(const char *path);
/* Loads the modules the list names, in order; returns how many loaded. Failures are said
 * on COM2 and do not stop the rest. */
int init_load_modules(const char *list, int com2);

#endif
