/* NUMA memory placement; see numa_layout.h. */
#include "vmm/firmware/numa_layout.h"

#include <errno.h>

int numa_layout(const struct topology *t, const struct guest_memory *mem,
		struct acpi_mem_range *out, unsigned max, unsigned *n, struct kerr *err)
{
	uint64_t off = 0;

	*n = 0;
	for (unsigned node = 0; node < t->nodes; node++) {
		struct guest_region piece[GUEST_MAX_REGIONS];
		uint64_t len = t->node[node].mem_mib << 20;
		unsigned k = guest_memory_slice(mem, off, len, piece, GUEST_MAX_REGIONS);

		if (k == 0 || *n + k > max)
			return kerr_set(err, EINVAL, "NUMA node %u's %llu MiB do not fit guest RAM", node,
					(unsigned long long)t->node[node].mem_mib);
		for (unsigned i = 0; i < k; i++)
			out[(*n)++] = (struct acpi_mem_range){ piece[i].gpa, piece[i].size, node,
							     piece[i].offset };
		off += len;
	}
	return 0;
}
