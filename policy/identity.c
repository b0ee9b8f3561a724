/* Identity and resource limits. */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "policy/internal.h"

/* Enough for the fds a device keeps and the few it receives at setup. */
#define SANDBOX_NOFILE 64

int sandbox_set_identity(const struct sandbox_spec *spec, struct kerr *err)
{
	/* Root (or a strict child, whose in-namespace ids are not yet its own) drops every
	 * supplementary group. Where setgroups is denied (an unprivileged user's namespace)
	 * there were none we could have dropped. */
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		return kerr_errno(err, errno, "setgroups(0)");
	/* Unconditionally: in a strict child an unmapped host uid 0 reads back as the overflow
	 * id, which may equal the target, so "already there" cannot be judged from inside. */
	if (setresgid(spec->gid, spec->gid, spec->gid) < 0)
		return kerr_errno(err, errno, "setresgid(%u)", (unsigned)spec->gid);
	if (setresuid(spec->uid, spec->uid, spec->uid) < 0)
		return kerr_errno(err, errno, "setresuid(%u)", (unsigned)spec->uid);
	if (geteuid() == 0 || getuid() == 0)
		return kerr_set(err, EPERM, "still uid 0 after switching identity");
	return 0;
}

static int set_limit(int resource, rlim_t value, const char *name, struct kerr *err)
{
	struct rlimit rl = { .rlim_cur = value, .rlim_max = value };

	if (setrlimit(resource, &rl) < 0)
		return kerr_errno(err, errno, "setrlimit(%s, %llu)", name, (unsigned long long)value);
	return 0;
}

/* Private memory (heap, anonymous mappings) a role may hold, far above what its code
 * allocates (initgen reads a file of up to 512 MiB whole), so that a device tricked into
 * allocating without end stops there instead of pressing the host. Not RLIMIT_AS: every
 * device maps the whole guest RAM, whose size the sandbox does not know. AddressSanitizer's
 * shadow memory alone is terabytes of such mappings, so sanitizer builds go without it. */
static rlim_t data_limit(enum sandbox_role role)
{
#if defined(__SANITIZE_ADDRESS__)
	(void)role;
	return RLIM_INFINITY;
#else
	return role == SANDBOX_ROLE_INITGEN ? SANDBOX_DATA_LIMIT_INITGEN : SANDBOX_DATA_LIMIT_DEVICE;
#endif
}

int sandbox_set_rlimits(const struct sandbox_spec *spec, struct kerr *err)
{
	rlim_t fsize = spec->fsize_limit == UINT64_MAX ? RLIM_INFINITY : (rlim_t)spec->fsize_limit;
	int r;

	/* Past the limit a write fails with EFBIG instead of killing the process unheard. */
	signal(SIGXFSZ, SIG_IGN);
	if ((r = set_limit(RLIMIT_NPROC, 0, "NPROC", err)) < 0 ||
	    (r = set_limit(RLIMIT_CORE, 0, "CORE", err)) < 0 ||
	    (r = set_limit(RLIMIT_NOFILE, SANDBOX_NOFILE, "NOFILE", err)) < 0 ||
	    (r = set_limit(RLIMIT_FSIZE, fsize, "FSIZE", err)) < 0 ||
	    (r = set_limit(RLIMIT_DATA, data_limit(spec->role), "DATA", err)) < 0)
		return r;
	return 0;
}
