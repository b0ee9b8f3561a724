/* The topology options, parsed and turned into a checked topology before any VM exists:
 *   --topology NUMA,LLCS,CORES_PER_LLC,THREADS_PER_CORE   (uniform; default 1,1,1,1)
 *   --numa-node llcs=N,mem=MIB[,latency_ns=N][,bandwidth_mbs=N][,cache_mib=N]  (repeated)
 *   --numa-distances "10,20;20,10"                         (rows by ';', entries by ',') */
#ifndef KTSTR_VMM_TOPOLOGY_OPT_H
#define KTSTR_VMM_TOPOLOGY_OPT_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/firmware/topology.h"

struct topology_opts {
	bool have_counts;
	unsigned counts[4];                        /* --topology */
	unsigned n_nodes;
	struct topology_node node[TOPOLOGY_MAX_NODES];   /* --numa-node, in order */
	bool have_distances;
	unsigned distance_rows;
	uint8_t distance[TOPOLOGY_MAX_NODES][TOPOLOGY_MAX_NODES];
};

int topology_opt_counts(struct topology_opts *o, const char *s, struct kerr *err);
int topology_opt_node(struct topology_opts *o, const char *s, struct kerr *err);
int topology_opt_distances(struct topology_opts *o, const char *s, struct kerr *err);

/* The topology the options describe. cpus: --cpus (0: not given); *mem_mib: --memory
 * (mem_given says whether it was given) becomes the nodes' sum with explicit nodes. */
int topology_opt_finish(const struct topology_opts *o, unsigned cpus, uint64_t *mem_mib,
			bool mem_given, struct topology *t, struct kerr *err);

#endif
