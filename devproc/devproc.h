/* devproc/: one sandboxed process per device. The front door: the process's context and
 * the role entry points main() dispatches to. */
#ifndef KTSTR_DEVPROC_H
#define KTSTR_DEVPROC_H

#include "ipc/ipc.h"
#include "policy/sandbox.h"

struct devproc_ctx {
	struct sandbox_spec spec;
	int keep_fds[4];       /* what spec.keep_fds points at */
	struct ipc_channel ipc;
	int log_fd;            /* -1 when the role has none */
	bool log_terminal;     /* the log is a terminal: control bytes are written visibly */
};

/* Appends to the console log, all of it (a short write is retried); the first failure
 * (past its RLIMIT_FSIZE: the log's limit) closes the log for good (log_fd -1) and the
 * device goes on. No log: nothing happens. To a terminal, control bytes go as ^X. */
void devproc_log(struct devproc_ctx *ctx, const void *buf, size_t len);

typedef int (*devproc_role_fn)(struct devproc_ctx *ctx, struct kerr *err);

int devproc_serial_run(struct devproc_ctx *ctx, struct kerr *err);
int devproc_blk_run(struct devproc_ctx *ctx, struct kerr *err);
int devproc_net_run(struct devproc_ctx *ctx, struct kerr *err);
int devproc_console_run(struct devproc_ctx *ctx, struct kerr *err);

#endif
