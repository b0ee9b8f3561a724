/* Where each NUMA node's memory lies in guest RAM: node 0 takes the first mem_mib of RAM (in
 * address order, around the 32-bit hole), node 1 the next, and so on. A node that straddles
 * the hole gets two pieces. The pieces are the KVM memory slots and the SRAT entries. */
#ifndef KTSTR_VMM_NUMA_LAYOUT_H
#define KTSTR_VMM_NUMA_LAYOUT_H

#include "vmm/firmware/acpi.h"
#include "vmm/guest_memory.h"
#include "vmm/firmware/topology.h"

int numa_layout(const struct topology *t, const struct guest_memory *mem,
		struct acpi_mem_range *out, unsigned max, unsigned *n, struct kerr *err);

#endif
