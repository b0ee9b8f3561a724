/* The console log a device process writes (COM1, /dev/hvc0); see devproc.h. */
#include <errno.h>
#include <unistd.h>

#include "devproc/devproc.h"

void devproc_log(struct devproc_ctx *ctx, const void *buf, size_t len)
{
	const char *p = buf;

	while (ctx->log_fd >= 0 && len > 0) {
		ssize_t n = write(ctx->log_fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ctx->log_fd = -1;   /* the log is gone; the device goes on without it */
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}
