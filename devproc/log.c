/* The console log a device process writes (COM1, /dev/hvc0); see devproc.h. */
#include <errno.h>
#include <unistd.h>

#include "devproc/devproc.h"

#define VISIBLE_CHUNK 2048   /* guest bytes made visible per write to a terminal */

static void write_all(struct devproc_ctx *ctx, const char *p, size_t len)
{
	while (ctx->log_fd >= 0 && len > 0) {
		ssize_t n = write(ctx->log_fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ctx->log_fd = -1;   /* the log is gone or full; the device goes on without it */
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

void devproc_log(struct devproc_ctx *ctx, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	char visible[2 * VISIBLE_CHUNK];

	if (!ctx->log_terminal) {
		write_all(ctx, buf, len);
		return;
	}
	while (len > 0) {
		size_t n = len < VISIBLE_CHUNK ? len : VISIBLE_CHUNK;

		write_all(ctx, visible, ipc_visible(p, n, visible));
		p += n;
		len -= n;
	}
}
