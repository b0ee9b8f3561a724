/* struct kerr: errors carried up with their context. A message too long for the buffer
 * ends in "..." rather than being cut silently. */
#include "ipc/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void mark_if_truncated(struct kerr *e, int wanted)
{
	if (wanted >= (int)sizeof(e->msg))
		memcpy(e->msg + sizeof(e->msg) - 4, "...", 4);
}

static void kerr_vformat(struct kerr *e, int code, const char *fmt, va_list ap)
{
	e->code = code > 0 ? code : -code;
	mark_if_truncated(e, vsnprintf(e->msg, sizeof(e->msg), fmt, ap));
}

int kerr_set(struct kerr *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kerr_vformat(e, code, fmt, ap);
	va_end(ap);
	return -e->code;
}

int kerr_errno(struct kerr *e, int code, const char *fmt, ...)
{
	va_list ap;
	size_t used;
	int n;

	va_start(ap, fmt);
	kerr_vformat(e, code, fmt, ap);
	va_end(ap);
	used = strlen(e->msg);
	n = snprintf(e->msg + used, sizeof(e->msg) - used, ": %s", strerror(e->code));
	mark_if_truncated(e, (int)used + n);
	return -e->code;
}

int kerr_wrap(struct kerr *e, const char *fmt, ...)
{
	char old[KERR_MSG_MAX];
	va_list ap;
	int n, m;

	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(e->msg)) {
		mark_if_truncated(e, (int)sizeof(e->msg));
		return -e->code;
	}
	m = snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, ": %s", old);
	mark_if_truncated(e, n + m);
	return -e->code;
}
