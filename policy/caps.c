/* Capabilities: the bounding set first (needs CAP_SETPCAP), then every set to empty. */
#include <errno.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "policy/internal.h"

static bool have_cap(cap_value_t cap)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t c = cap_get_proc();

	if (!c)
		return false;
	cap_get_flag(c, cap, CAP_EFFECTIVE, &v);
	cap_free(c);
	return v == CAP_SET;
}

/* Without CAP_SETPCAP (an ordinary user, standard level) the bounding set cannot be
 * lowered; with no_new_privs, no execve and empty permitted/ambient sets, nothing in it
 * can ever be gained, so it is left as it is rather than failing. */
int sandbox_drop_bounding(struct kerr *err)
{
	int last = (int)cap_max_bits() - 1;

	if (!have_cap(CAP_SETPCAP))
		return 0;
	for (int c = 0; c <= last; c++)
		if (cap_drop_bound((cap_value_t)c) < 0 && errno != EINVAL)
			return kerr_errno(err, errno, "drop capability %d from the bounding set", c);
	return 0;
}

int sandbox_drop_caps(struct kerr *err)
{
	cap_t none = cap_init();
	int r = 0;

	if (!none)
		return kerr_errno(err, errno, "cap_init");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		r = kerr_errno(err, errno, "clear ambient capabilities");
	else if (cap_set_proc(none) < 0)
		r = kerr_errno(err, errno, "clear capabilities");
	cap_free(none);
	return r;
}
