/* vmm's side of one device process: spawn it sandboxed (fork+exec of ktstr-devproc), wait
 * for its hello, exchange messages, and at the end ask it to drain, collect what it reports
 * and reap it. A device that misbehaves is reported, never trusted. */
#ifndef KTSTR_VMM_DEVHOST_H
#define KTSTR_VMM_DEVHOST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipc/ipc.h"
#include "policy/sandbox.h"

#define DEVHOST_NAME_MAX 16

struct devhost {
	enum sandbox_role role;
	char name[DEVHOST_NAME_MAX];   /* in messages: the role, or "blk vdb" */
	pid_t pid;
	int pidfd;               /* readable once the process has exited */
	int err_fd;              /* its stderr (a pipe, never the user's terminal); -1: none */
	struct ipc_channel ch;
	bool reaped;
	int wait_status;
};

struct devhost_spawn {
	const char *devproc_path;
	enum sandbox_role role;
	const char *name;        /* in messages, when the role alone does not say which; or NULL */
	enum sandbox_level level;
	uid_t uid;
	gid_t gid;
	int log_fd;              /* -1: the role has no log */
	uint64_t log_limit;      /* bytes the log file may reach (RLIMIT_FSIZE); 0: no limit */
	bool log_terminal;       /* the log is a terminal: the device writes control bytes visibly */
};

/* The one way a spawn is configured: this role at this level, as the sandbox's default
 * identity (nobody when root, else the caller), with no log. Callers then set what differs
 * (an identity the user chose, a log, a name). */
void devhost_spawn_config(struct devhost_spawn *sp, const char *devproc_path,
			  enum sandbox_role role, enum sandbox_level level);

/* No process yet, nothing open: what devhost_kill and devhost_finish accept. */
void devhost_init(struct devhost *d);

int devhost_spawn(struct devhost *d, const struct devhost_spawn *s, struct kerr *err);

/* Sends a message, waiting at most DEVHOST_SEND_MS for a device that does not read; the
 * error names the device. The only way vmm sends to a device process. */
#define DEVHOST_SEND_MS 2000
int devhost_send(struct devhost *d, enum ipc_msg_type type, const void *body, const int *fds,
		 struct kerr *err);

/* Waits up to timeout_ms for the next message, which must be of this type; an IPC_MSG_ERROR
 * instead is returned as the error, any other type as EPROTO. On success m owns its fds. */
int devhost_expect(struct devhost *d, enum ipc_msg_type type, int timeout_ms, struct ipc_msg *m,
		   struct kerr *err);

/* Waits for IPC_MSG_HELLO from the role that was started. */
int devhost_wait_hello(struct devhost *d, int timeout_ms, struct kerr *err);

typedef void (*devhost_msg_fn)(void *opaque, const struct ipc_msg *msg);

/* Receives one message and hands it to fn (fds closed afterwards). An IPC_MSG_ERROR from
 * the device, a protocol error or EOF is returned as an error. */
int devhost_pump(struct devhost *d, devhost_msg_fn fn, void *opaque, struct kerr *err);

/* Sends SHUTDOWN, passes messages to fn until DONE (or timeout), then reaps the process
 * (killing it past the timeout). */
int devhost_finish(struct devhost *d, int timeout_ms, devhost_msg_fn fn, void *opaque,
		   struct kerr *err);

/* What the device wrote to its stderr (usage errors, sanitizer reports), relayed to vmm's
 * with its role named and control bytes made visible; done when the process is reaped. */
#define DEVHOST_STDERR_MAX 16384

/* Kills and reaps without asking (error paths). */
void devhost_kill(struct devhost *d);

/* How the process ended, in words ("exited 0", "killed by SIGSYS (seccomp)"). */
void devhost_describe_exit(const struct devhost *d, char *buf, size_t size);

#endif
