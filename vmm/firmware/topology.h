/* The guest's topology: NUMA nodes, each with its LLCs (0 for a memory-only node) and its
 * memory; cores per LLC and threads per core; the distance matrix and, per node, the
 * latency and bandwidth HMAT reports. CPUs are numbered LLC-major (node 0's LLCs first),
 * then core, then thread; APIC IDs pack (llc, core, thread) in power-of-two fields. */
#ifndef KTSTR_VMM_TOPOLOGY_H
#define KTSTR_VMM_TOPOLOGY_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc/err.h"

#define TOPOLOGY_MAX_CPUS  1024
#define TOPOLOGY_MAX_NODES 16
#define TOPOLOGY_LOCAL_DISTANCE  10
#define TOPOLOGY_REMOTE_DISTANCE 20

struct topology_node {
	unsigned llcs;             /* 0: a memory-only (CXL-like) node */
	uint64_t mem_mib;
	uint32_t latency_ns;       /* HMAT: access latency from its own CPUs; 0: default */
	uint32_t bandwidth_mbs;    /* HMAT: access bandwidth; 0: default */
	uint32_t cache_mib;        /* HMAT: a memory-side cache in front of it; 0: none */
};

struct topology {
	unsigned llcs;             /* in all nodes */
	unsigned cores_per_llc;
	unsigned threads_per_core;
	unsigned nodes;
	struct topology_node node[TOPOLOGY_MAX_NODES];
	uint8_t distance[TOPOLOGY_MAX_NODES][TOPOLOGY_MAX_NODES];
};

/* NUMA nodes, LLCs in all, cores per LLC, threads per core; LLCs and memory spread evenly
 * (memory in whole MiB, the remainder to the first nodes), distances 10 and 20. */
int topology_uniform(struct topology *t, unsigned nodes, unsigned llcs, unsigned cores,
		     unsigned threads, uint64_t mem_mib, struct kerr *err);

/* Checks a topology built by hand (explicit nodes and distances); every message names the
 * bad value. */
int topology_validate(const struct topology *t, struct kerr *err);

unsigned topology_cpus(const struct topology *t);
uint64_t topology_mem_mib(const struct topology *t);

/* Bits of the APIC ID below each level: thread field, then core, then LLC. */
unsigned topology_thread_bits(const struct topology *t);
unsigned topology_core_bits(const struct topology *t);
unsigned topology_llc_bits(const struct topology *t);

/* CPU index (llc-major, then core, then thread) to its APIC ID. */
uint32_t topology_apic_id(const struct topology *t, unsigned cpu);

/* The node an LLC, or a CPU, belongs to. */
unsigned topology_node_of_llc(const struct topology *t, unsigned llc);
unsigned topology_node_of_cpu(const struct topology *t, unsigned cpu);

#endif
