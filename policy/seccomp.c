/* The seccomp allowlist every role starts from, and the loader. Each allowed syscall says
 * which code path needs it; what a role adds is named by its row in roles.c. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "policy/internal.h"

int seccomp_allow(scmp_filter_ctx ctx, int nr)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
}

/* Memory: malloc and the guest-RAM/ring mappings. Never executable memory. */
static int allow_memory(scmp_filter_ctx ctx)
{
	const struct scmp_arg_cmp no_exec = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	int r = 0;

	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, no_exec);
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, no_exec);
	r |= seccomp_allow(ctx, SCMP_SYS(munmap));
	r |= seccomp_allow(ctx, SCMP_SYS(mremap));    /* realloc of large blocks */
	r |= seccomp_allow(ctx, SCMP_SYS(brk));       /* malloc's main arena */
	r |= seccomp_allow(ctx, SCMP_SYS(madvise));   /* free() returning pages */
	return r;
}

/* fcntl: the ring's seal check and checking that fds came non-blocking. Never F_SETFL: file
 * status flags belong to the open file vmm shares, so a device that cleared O_NONBLOCK on an
 * eventfd or socket vmm writes could make vmm block (vmm sets the flags before handing fds
 * over). F_GETFD/F_SETFD touch only this process's own fd table. */
static int allow_fcntl(scmp_filter_ctx ctx)
{
	static const int cmds[] = { F_GET_SEALS, F_GETFL, F_GETFD, F_SETFD };
	int r = 0;

	for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
				      SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)cmds[i]));
	return r;
}

/* The ipc channel: messages on the one socket we were given, nowhere else. */
static int allow_ipc(scmp_filter_ctx ctx, int ipc_fd)
{
	const struct scmp_arg_cmp on_ipc = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)ipc_fd);
	int r = 0;

	if (ipc_fd < 0)
		return 0;
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1, on_ipc);
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(recvmsg), 1, on_ipc);
	return r;
}

static int allow_common(scmp_filter_ctx ctx, const struct sandbox_spec *spec)
{
	int r = allow_memory(ctx) | allow_fcntl(ctx) | allow_ipc(ctx, spec->ipc_fd);

	r |= seccomp_allow(ctx, SCMP_SYS(read));          /* eventfd bells, ring setup */
	r |= seccomp_allow(ctx, SCMP_SYS(write));         /* eventfd bells, logs, stderr */
	r |= seccomp_allow(ctx, SCMP_SYS(close));         /* fds received and released */
	r |= seccomp_allow(ctx, SCMP_SYS(lseek));         /* ring/guest memfd size checks */
	r |= seccomp_allow(ctx, SCMP_SYS(poll));          /* the device event loop */
	r |= seccomp_allow(ctx, SCMP_SYS(ppoll));         /* the device event loop */
	r |= seccomp_allow(ctx, SCMP_SYS(clock_gettime)); /* timestamps when the vDSO is absent */
	r |= seccomp_allow(ctx, SCMP_SYS(futex));         /* libc internal locks */
	r |= seccomp_allow(ctx, SCMP_SYS(rt_sigreturn));  /* return from a signal handler */
	r |= seccomp_allow(ctx, SCMP_SYS(rt_sigprocmask));/* libc blocks signals around exit */
	r |= seccomp_allow(ctx, SCMP_SYS(restart_syscall));
	r |= seccomp_allow(ctx, SCMP_SYS(getpid));        /* libc, and the hello message */
	r |= seccomp_allow(ctx, SCMP_SYS(exit));
	r |= seccomp_allow(ctx, SCMP_SYS(exit_group));
	return r;
}

int sandbox_load_seccomp(const struct sandbox_spec *spec, struct kerr *err)
{
	uint32_t deny = spec->level == SANDBOX_AUDIT ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS;
	scmp_filter_ctx ctx;
	int r;

	const struct sandbox_role_desc *role = sandbox_role_desc(spec->role);

	if (!role)
		return kerr_set(err, EINVAL, "seccomp: unknown role %d", spec->role);
	ctx = seccomp_init(deny);
	if (!ctx)
		return kerr_set(err, ENOMEM, "seccomp_init");
	/* A binary search over syscall numbers instead of a linear list: every syscall of the
	 * data path (poll, read, write, preadv) passes the filter, so its length is per-request
	 * cost. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	r |= allow_common(ctx, spec);
	if (role->seccomp_rules)
		r |= role->seccomp_rules(ctx, spec);
	if (r != 0) {
		seccomp_release(ctx);
		return kerr_set(err, EINVAL, "seccomp: building the %s allowlist failed",
				sandbox_role_name(spec->role));
	}
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return kerr_errno(err, -r, "seccomp: loading the %s allowlist", sandbox_role_name(spec->role));
	return 0;
}
