/* policy/: the sandbox every ktstr helper process enters. The front door.
 *
 * A helper is started with sandbox_spawn() (fork+exec; in `strict` the child is born in
 * fresh user, PID, mount, network, IPC and UTS namespaces), and its first act after exec
 * is sandbox_enter(), which closes stray fds, makes an empty root its root (strict: pivot_root,
 * or switch_root's way on the initial ramfs, which cannot be pivoted from), sets
 * no_new_privs and no-dump, switches identity, drops every capability, applies rlimits
 * and loads the role's seccomp allowlist. */
#ifndef KTSTR_POLICY_SANDBOX_H
#define KTSTR_POLICY_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipc/err.h"
#include "ipc/msg.h"

enum sandbox_level {
	SANDBOX_OFF,       /* no sandbox at all: debugging only, warned about loudly */
	SANDBOX_AUDIT,     /* standard, but seccomp logs what it would deny instead of killing */
	SANDBOX_STANDARD,  /* fds, no_new_privs, no-dump, identity, capabilities, rlimits, seccomp */
	SANDBOX_STRICT,    /* standard plus namespaces and an empty read-only root */
};

/* A role is the peer its process is on ipc channels (the message table says what each sends). */
enum sandbox_role {
	SANDBOX_ROLE_BLK = IPC_PEER_BLK,
	SANDBOX_ROLE_NET = IPC_PEER_NET,
	SANDBOX_ROLE_CONSOLE = IPC_PEER_CONSOLE,
	SANDBOX_ROLE_SERIAL = IPC_PEER_SERIAL,
	SANDBOX_ROLE_INITGEN = IPC_PEER_INITGEN,
	SANDBOX_ROLE_END = IPC_PEER_END
};

#define SANDBOX_DEFAULT_ID 65534u  /* nobody/nogroup: the identity taken when started as root */
#define SANDBOX_DATA_LIMIT_DEVICE  (256ull << 20)    /* RLIMIT_DATA of a device role */
#define SANDBOX_DATA_LIMIT_INITGEN (1536ull << 20)   /* and of initgen */

struct sandbox_spec {
	enum sandbox_role role;
	enum sandbox_level level;
	const int *keep_fds;     /* every fd the process keeps; all others are closed */
	unsigned n_keep_fds;
	int ipc_fd;              /* the only fd sendmsg/recvmsg may use; -1 for none */
	uid_t uid;               /* identity to run as (see sandbox_spec_init) */
	gid_t gid;
	uint64_t fsize_limit;    /* RLIMIT_FSIZE: 0 for roles that write no file, UINT64_MAX none */
};

/* An fd the child gets: `from` in the parent becomes `to` in the child. */
struct sandbox_fd_map {
	int from;
	int to;
};

/* Whether the role writes any file at all (else RLIMIT_FSIZE is 0). */
bool sandbox_role_writes_files(enum sandbox_role role);

/* Fills a spec with defaults: identity SANDBOX_DEFAULT_ID when root, else the caller's own;
 * no file-size limit for roles that write files (a caller may lower it), 0 for others. */
void sandbox_spec_init(struct sandbox_spec *spec, enum sandbox_role role, enum sandbox_level level);

/* Starts `path` with `argv` in a child that owns exactly the mapped fds (others closed or
 * close-on-exec) and a minimal environment. In strict, the child is created in new
 * namespaces, its uid/gid maps written by the parent. */
int sandbox_spawn(const struct sandbox_spec *spec, const char *path, char *const argv[],
		  const struct sandbox_fd_map *fds, unsigned nfds, pid_t *pid, struct kerr *err);

/* Enters the sandbox; call first thing after exec. */
int sandbox_enter(const struct sandbox_spec *spec, struct kerr *err);

const char *sandbox_level_name(enum sandbox_level level);
int sandbox_level_parse(const char *s, enum sandbox_level *level);
const char *sandbox_role_name(enum sandbox_role role);
int sandbox_role_parse(const char *s, enum sandbox_role *role);

#endif
