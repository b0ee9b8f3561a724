/* The initramfs builder's allowlist: it reads the input fds it was handed and writes
 * the archive into a memfd it grows as it goes. */
#include "policy/internal.h"

int seccomp_rules_initgen(scmp_filter_ctx ctx, const struct sandbox_spec *spec)
{
	int r = 0;

	(void)spec;
	r |= seccomp_allow(ctx, SCMP_SYS(pread64));   /* reading an input file */
	r |= seccomp_allow(ctx, SCMP_SYS(pwrite64));  /* writing the archive */
	r |= seccomp_allow(ctx, SCMP_SYS(ftruncate)); /* growing the archive memfd */
	return r;
}
