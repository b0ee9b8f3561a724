/* The stages of entering the sandbox, one file each; used only inside policy/. */
#ifndef KTSTR_POLICY_INTERNAL_H
#define KTSTR_POLICY_INTERNAL_H

#include <seccomp.h>
#include <stdbool.h>

#include "policy/sandbox.h"

/* fds.c */
int sandbox_close_fds(const int *keep, unsigned n, struct kerr *err);

/* namespaces.c */
int sandbox_check_userns(struct kerr *err);
int sandbox_empty_root(struct kerr *err);
const char *sandbox_userns_hint(void);

/* identity.c */
int sandbox_set_identity(const struct sandbox_spec *spec, struct kerr *err);
int sandbox_set_rlimits(const struct sandbox_spec *spec, struct kerr *err);

/* caps.c */
int sandbox_drop_bounding(struct kerr *err);
int sandbox_drop_caps(struct kerr *err);

/* seccomp.c: the common allowlist and the loader */
int sandbox_load_seccomp(const struct sandbox_spec *spec, struct kerr *err);
int seccomp_allow(scmp_filter_ctx ctx, int nr);

/* seccomp_<role>.c: what a role adds to the common allowlist (only roles that add any) */
int seccomp_rules_blk(scmp_filter_ctx ctx, const struct sandbox_spec *spec);
int seccomp_rules_initgen(scmp_filter_ctx ctx, const struct sandbox_spec *spec);

/* roles.c: one row per role */
struct sandbox_role_desc {
	const char *name;     /* as on the command line (--role) and in messages */
	const char *writes;   /* the files it writes, for the reader; NULL: none (RLIMIT_FSIZE 0) */
	int (*seccomp_rules)(scmp_filter_ctx ctx, const struct sandbox_spec *spec); /* NULL: none */
};
const struct sandbox_role_desc *sandbox_role_desc(enum sandbox_role role);

#endif
