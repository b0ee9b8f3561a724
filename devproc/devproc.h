/* devproc/: one sandboxed process per device. The front door: the process's context and
 * the role entry points main() dispatches to. */
#ifndef KTSTR_DEVPROC_H
#define KTSTR_DEVPROC_H

#include "ipc/ipc.h"
#include "policy/sandbox.h"

/* Fixed fd numbers a device process is started with (the spawner maps them). */
#define DEVPROC_FD_IPC 3
#define DEVPROC_FD_LOG 4   /* serial/console: where the console log goes */

struct devproc_ctx {
	struct sandbox_spec spec;
	int keep_fds[4];       /* what spec.keep_fds points at */
	struct ipc_channel ipc;
	int log_fd;            /* -1 when the role has none */
};

typedef int (*devproc_role_fn)(struct devproc_ctx *ctx, struct kerr *err);

#endif
