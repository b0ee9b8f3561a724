/* Shared by the host check's files (host_kvm.c, host_check.c, host_report.c) only. */
#ifndef KTSTR_VMM_HOST_CHECK_INTERNAL_H
#define KTSTR_VMM_HOST_CHECK_INTERNAL_H

#include <stddef.h>

#include "vmm/host/host_check.h"

/* root + rel ("/dev/kvm"), without a doubled slash when root is "/". */
void host_path(char *buf, size_t size, const char *root, const char *rel);

/* Appends a check; detail from the format. Returns it, so a fix can be added. */
struct host_check *host_add(struct host_report *r, const char *name, enum host_status s,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void host_fix(struct host_check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The first line of root/path (newline cut) into buf; false when it cannot be read. */
bool host_read_line(const char *root, const char *path, char *buf, size_t size);

/* The device, kind, API, VM and nested checks. */
void host_check_kvm(const struct host_env *env, struct host_report *r);

#endif
