/* Shared by the host check's files (host_kvm.c, host_check.c, host_report.c) only. */
#ifndef KTSTR_VMM_HOST_CHECK_INTERNAL_H
#define KTSTR_VMM_HOST_CHECK_INTERNAL_H

#include <stddef.h>

#include "vmm/host/host_check.h"
#include "vmm/host/host_files.h"

/* Appends a check; detail from the format. Returns it, so a fix can be added. */
struct host_check *host_add(struct host_report *r, const char *name, enum host_status s,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void host_fix(struct host_check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The device, kind, API, VM and nested checks. */
void host_check_kvm(const struct host_env *env, struct host_report *r);

#endif
