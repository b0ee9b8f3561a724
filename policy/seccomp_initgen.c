/* The initramfs builder's allowlist: it reads the input fds it was handed and writes
 * the archive into the one output fd (see initgen/serve.c). No open, no stat: it can reach
 * no file it was not given. */
#include "policy/internal.h"

int seccomp_rules_initgen(scmp_filter_ctx ctx, const struct sandbox_spec *spec)
{
	int r = 0;

	(void)spec;
	r |= seccomp_allow(ctx, SCMP_SYS(pread64));   /* reading an input file (archive, ELF) */
	r |= seccomp_allow(ctx, SCMP_SYS(pwrite64));  /* writing the archive */
	return r;
}
