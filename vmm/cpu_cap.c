/* --cpu-cap; see cpu_cap.h. */
#include "vmm/cpu_cap.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cpu_cap_take(const struct vmm_config *cfg, struct host_reservation **res,
		 struct outcome *outcome, struct kerr *err)
{
	struct host_topology *t;
	int r;

	*res = NULL;
	if (!cfg->cpu_cap)
		return 0;
	t = malloc(sizeof(*t));
	*res = calloc(1, sizeof(**res));
	if (!t || !*res) {
		free(t);
		return kerr_set(err, ENOMEM, "--cpu-cap");
	}
	r = host_topology_read("/", t, err);
	if (r == 0)
		r = host_reserve_wait(host_lock_dir(), t, cfg->cpu_cap, HOST_RESERVE_SHARED, cfg->wait_for_cpus_s,
				      *res, err);
	free(t);
	outcome->resources_busy = r == -EBUSY;
	if (r == 0 && (r = host_pin_to((*res)->cpu, (*res)->ncpus, err)) == 0)
		host_cpulist_format((*res)->cpu, (*res)->ncpus, outcome->host_cpus, sizeof(outcome->host_cpus));
	return r < 0 ? kerr_wrap(err, "--cpu-cap %u", cfg->cpu_cap) : 0;
}

void cpu_cap_drop(struct host_reservation *res)
{
	if (!res)
		return;
	host_release(res);
	free(res);
}
