/* The serial device's allowlist: it reads the COM rings (shared memory, already mapped by
 * the common rules), writes the console log and sends parsed outcomes over ipc. The
 * common allowlist covers all of that; nothing is added. */
#include "policy/internal.h"

int seccomp_rules_serial(scmp_filter_ctx ctx, const struct sandbox_spec *spec)
{
	(void)ctx;
	(void)spec;
	return 0;
}
