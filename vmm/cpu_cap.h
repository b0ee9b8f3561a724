/* --cpu-cap N: the host CPUs one run uses, reserved for its life (vmm/host/host_reserve.h)
 * and made the process's affinity before anything starts, so that vCPU threads, vmm's own
 * threads and every device process (which inherit it) stay on them. */
#ifndef KTSTR_VMM_CPU_CAP_H
#define KTSTR_VMM_CPU_CAP_H

#include "vmm/cli.h"
#include "vmm/host/host_reserve.h"
#include "vmm/outcome.h"

/* Reserves cfg->cpu_cap host CPUs (waiting up to --wait-for-cpus) and pins this process to
 * them; *res stays NULL without --cpu-cap. Too few free: -EBUSY, outcome->resources_busy. The
 * CPUs go into outcome->host_cpus. */
int cpu_cap_take(const struct vmm_config *cfg, struct host_reservation **res,
		 struct outcome *outcome, struct kerr *err);

void cpu_cap_drop(struct host_reservation *res);

#endif
