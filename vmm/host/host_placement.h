/* --performance's placement: each virtual LLC on one host LLC held whole and exclusively
 * (host_reserve_llcs_wait), each vCPU on its own host CPU of it, and one service CPU for
 * vmm's own threads and the device processes. Pure: it reads a topology and a reservation,
 * so unit tests drive it with made-up hosts. */
#ifndef KTSTR_VMM_HOST_PLACEMENT_H
#define KTSTR_VMM_HOST_PLACEMENT_H

#include <stdbool.h>

#include "ipc/err.h"
#include "vmm/firmware/topology.h"
#include "vmm/host/host_reserve.h"
#include "vmm/host/host_topology.h"

#define HOST_PLACEMENT_NO_CPU (~0u)

struct host_placement {
	unsigned vcpu_cpu[TOPOLOGY_MAX_CPUS];       /* the host CPU of each vCPU */
	unsigned vcpu_llc[TOPOLOGY_MAX_CPUS];       /* ... and its host LLC (host_topology.llc index) */
	unsigned nvcpus;
	unsigned vnode_host_node[TOPOLOGY_MAX_NODES];   /* the host node for each virtual node's RAM */
	unsigned service_cpu;   /* a held CPU no vCPU uses; HOST_PLACEMENT_NO_CPU: none spare */
};

/* Whether this host could ever hold the VM: as many LLCs with room for a virtual LLC's
 * vCPUs as it has LLCs. The error says what the VM needs and what the host has. */
int host_placement_fits(const struct host_topology *t, const struct topology *vt, struct kerr *err);

/* Places the VM on the LLCs in llcs (whole host LLCs, as host_reserve_llcs_wait took them):
 * virtual LLC k on the k-th; a virtual core's threads on one host core's SMT siblings where
 * the VM has threads, else one vCPU per host core before any second sibling. The service CPU
 * is a held CPU left over, from the last LLC. */
int host_placement_make(const struct host_topology *t, const struct host_reservation *llcs,
			const struct topology *vt, struct host_placement *p, struct kerr *err);

#endif
