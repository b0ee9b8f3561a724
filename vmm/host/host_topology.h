/* The host's CPUs as this process may use them: online CPUs within its cgroup's cpuset, each
 * with its NUMA node, last-level cache, core and package, read from ROOT/sys and
 * ROOT/proc ("/" on a real host, a fake tree in tests). What pinning vCPUs and reserving
 * host CPUs for concurrent VMs build on; --check-host shows it. */
#ifndef KTSTR_VMM_HOST_TOPOLOGY_H
#define KTSTR_VMM_HOST_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc/err.h"

#define HOST_MAX_CPUS 1024

struct host_cpu {
	unsigned id;        /* the kernel's CPU number */
	unsigned node;      /* NUMA node (0 when the host has no node directories) */
	unsigned llc;       /* index into host_topology.llc */
	unsigned core;      /* core_id, within its package */
	unsigned package;   /* physical_package_id */
};

struct host_llc {
	unsigned first_cpu; /* the lowest usable CPU sharing it */
	unsigned ncpus;     /* usable CPUs sharing it */
	unsigned node;
};

struct host_topology {
	struct host_cpu cpu[HOST_MAX_CPUS];   /* usable CPUs, ascending */
	unsigned ncpus;
	struct host_llc llc[HOST_MAX_CPUS];
	unsigned nllcs;
	unsigned nnodes;                      /* nodes holding usable CPUs */
	bool smt;                             /* some usable CPU has a usable sibling */
	bool cpuset_limited;                  /* the cgroup's cpuset left out online CPUs */
	unsigned online;                      /* online CPUs, before the cpuset */
};

/* Reads the topology; an error names the file and the value that could not be read. */
int host_topology_read(const char *root, struct host_topology *t, struct kerr *err);

/* A kernel cpulist ("0-3,8,10-11") into a bitmap of HOST_MAX_CPUS bits; -EINVAL for
 * anything else (empty ranges, CPUs beyond HOST_MAX_CPUS, stray characters). */
int host_cpulist_parse(const char *s, uint64_t bits[HOST_MAX_CPUS / 64]);

/* The other way: CPUs (any order, below HOST_MAX_CPUS) as a cpulist in ascending order
 * ("0-1,4"); one that does not fit ends in "...". */
void host_cpulist_format(const unsigned *cpus, unsigned n, char *buf, size_t size);

#endif
