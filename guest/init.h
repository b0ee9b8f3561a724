/* ktstr-init, PID 1 inside the guest: its pieces. */
#ifndef KTSTR_GUEST_INIT_H
#define KTSTR_GUEST_INIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

void init_say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* proc, sys, devtmpfs, tmpfs on /tmp; cgroup2, debugfs, tracefs where the kernel has them. */
void init_mount_all(void);
/* A NUL-separated argv file (initgen's /ktstr/argv); NULL when absent or malformed. */
char **init_read_argv(const char *path);
/* Loads the modules the list names, in order; returns how many loaded. Failures are said
 * on COM2 and do not stop the rest. */
int init_load_modules(const char *list, int com2);

/* init.c: fork and exec argv (-1 when fork fails); how a wait status ended, in words. */
pid_t init_start(char **argv);
void init_describe(int status, char *buf, size_t size);
const char *init_signame(int sig);

/* init_sched.c: starts /scheduler and waits until sched_ext says it is enabled; on failure
 * says `PANIC: SchedulerNotAttached: why` on COM2 and returns -1. */
pid_t init_start_scheduler(int com2);
/* The scheduler ended while the payload ran: how, and the kernel's reason, as an SCDX frame
 * and a KTSTR_LIFECYCLE line on COM2. */
void init_scheduler_exited(int com2, int status);

#endif
