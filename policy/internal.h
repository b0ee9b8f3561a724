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

/* seccomp_<role>.c: what each role adds to the common allowlist */
int seccomp_rules_blk(scmp_filter_ctx ctx, const struct sandbox_spec *spec);
int seccomp_rules_net(scmp_filter_ctx ctx, const struct sandbox_spec *spec);
int seccomp_rules_console(scmp_filter_ctx ctx, const struct sandbox_spec *spec);
int seccomp_rules_serial(scmp_filter_ctx ctx, const struct sandbox_spec *spec);
int seccomp_rules_initgen(scmp_filter_ctx ctx, const struct sandbox_spec *spec);

#endif
