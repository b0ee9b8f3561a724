/* How the direct-boot code (vmlinux.h) says why it cannot: a message into the caller's
 * buffer, and -1. */
#ifndef KTSTR_VMM_VMLINUX_WHY_H
#define KTSTR_VMM_VMLINUX_WHY_H

#include <stdarg.h>
#include <stdio.h>

__attribute__((format(printf, 3, 4)))
static inline int vmlinux_say(char *why, size_t whysize, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whysize, fmt, ap);
	va_end(ap);
	return -1;
}

#endif
