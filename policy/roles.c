/* The role table: one row per sandboxed process kind, naming it, saying what files it
 * writes (none: RLIMIT_FSIZE 0) and what it adds to the common seccomp allowlist (none:
 * the common rules cover it). Adding a role is one row here and, where it needs more
 * syscalls, its seccomp_<role>.c. */
#include <errno.h>
#include <string.h>

#include "policy/internal.h"

static const struct sandbox_role_desc roles[SANDBOX_ROLE_END] = {
	[SANDBOX_ROLE_BLK] = {
		.name = "blk",
		.writes = "its disk",
		.seccomp_rules = seccomp_rules_blk,
	},
	[SANDBOX_ROLE_NET] = {
		/* virtqueues in guest RAM and an in-process L2 loopback: no socket, no tap */
		.name = "net",
		.writes = NULL,
		.seccomp_rules = NULL,
	},
	[SANDBOX_ROLE_CONSOLE] = {
		/* virtqueues in guest RAM, the console log, parsed TLV frames over ipc */
		.name = "console",
		.writes = "the console log",
		.seccomp_rules = NULL,
	},
	[SANDBOX_ROLE_SERIAL] = {
		/* the COM rings (shared memory), the console log, parsed outcomes over ipc */
		.name = "serial",
		.writes = "the console log",
		.seccomp_rules = NULL,
	},
	[SANDBOX_ROLE_INITGEN] = {
		.name = "initgen",
		.writes = "the archive memfd",
		.seccomp_rules = seccomp_rules_initgen,
	},
};

const struct sandbox_role_desc *sandbox_role_desc(enum sandbox_role role)
{
	if (role <= 0 || role >= SANDBOX_ROLE_END)
		return NULL;
	return &roles[role];
}

const char *sandbox_role_name(enum sandbox_role role)
{
	const struct sandbox_role_desc *d = sandbox_role_desc(role);

	return d ? d->name : "?";
}

int sandbox_role_parse(const char *s, enum sandbox_role *role)
{
	for (int i = 1; i < SANDBOX_ROLE_END; i++) {
		if (strcmp(s, roles[i].name) == 0) {
			*role = (enum sandbox_role)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool sandbox_role_writes_files(enum sandbox_role role)
{
	const struct sandbox_role_desc *d = sandbox_role_desc(role);

	return d && d->writes;
}
