/* sandbox_enter(): the stages in order, and the names of levels. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "policy/internal.h"

static const char *const level_names[] = {
	[SANDBOX_OFF] = "off", [SANDBOX_AUDIT] = "audit",
	[SANDBOX_STANDARD] = "standard", [SANDBOX_STRICT] = "strict",
};

const char *sandbox_level_name(enum sandbox_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "?";
	return level_names[level];
}

int sandbox_level_parse(const char *s, enum sandbox_level *level)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*level = (enum sandbox_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void sandbox_spec_init(struct sandbox_spec *spec, enum sandbox_role role, enum sandbox_level level)
{
	memset(spec, 0, sizeof(*spec));
	spec->role = role;
	spec->level = level;
	spec->ipc_fd = -1;
	spec->fsize_limit = sandbox_role_writes_files(role) ? UINT64_MAX : 0;
	if (geteuid() == 0) {
		spec->uid = SANDBOX_DEFAULT_ID;
		spec->gid = SANDBOX_DEFAULT_ID;
	} else {
		spec->uid = getuid();
		spec->gid = getgid();
	}
}

static int set_no_new_privs(struct kerr *err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return kerr_errno(err, errno, "PR_SET_NO_NEW_PRIVS");
	return 0;
}

/* After the identity change: changing uid resets "dumpable" to fs.suid_dumpable, which may
 * be 1, and a dumpable process can be ptraced by any other of its uid. */
static int set_not_dumpable(struct kerr *err)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return kerr_errno(err, errno, "PR_SET_DUMPABLE 0");
	return 0;
}

static int enter_stages(const struct sandbox_spec *spec, struct kerr *err)
{
	int r;

	if ((r = sandbox_close_fds(spec->keep_fds, spec->n_keep_fds, err)) < 0)
		return r;
	if (spec->level == SANDBOX_STRICT) {
		if ((r = sandbox_check_userns(err)) < 0 || (r = sandbox_empty_root(err)) < 0)
			return r;
	}
	if ((r = set_no_new_privs(err)) < 0 ||
	    (r = sandbox_drop_bounding(err)) < 0 ||
	    (r = sandbox_set_identity(spec, err)) < 0 ||
	    (r = sandbox_drop_caps(err)) < 0 ||
	    (r = set_not_dumpable(err)) < 0 ||
	    (r = sandbox_set_rlimits(spec, err)) < 0)
		return r;
	return sandbox_load_seccomp(spec, err);
}

int sandbox_enter(const struct sandbox_spec *spec, struct kerr *err)
{
	int r;

	if (spec->level == SANDBOX_OFF) {
		fprintf(stderr, "%s[%s]: WARNING: --sandbox off: this process handles "
			"guest data with no sandbox at all (debugging only)\n", program_invocation_short_name,
			sandbox_role_name(spec->role));
		return 0;
	}
	r = enter_stages(spec, err);
	if (r < 0)
		return kerr_wrap(err, "%s sandbox for %s", sandbox_level_name(spec->level),
				 sandbox_role_name(spec->role));
	return 0;
}
