/* Topology: building, checking, APIC ID packing; see topology.h. */
#include "vmm/firmware/topology.h"

#include <errno.h>
#include <string.h>

/* ceil(log2(n)) for n >= 1 */
static unsigned bits_for(unsigned n)
{
	unsigned b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

unsigned topology_cpus(const struct topology *t)
{
	return t->llcs * t->cores_per_llc * t->threads_per_core;
}

uint64_t topology_mem_mib(const struct topology *t)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < t->nodes; i++)
		sum += t->node[i].mem_mib;
	return sum;
}

unsigned topology_thread_bits(const struct topology *t)
{
	return bits_for(t->threads_per_core);
}

unsigned topology_core_bits(const struct topology *t)
{
	return bits_for(t->cores_per_llc);
}

unsigned topology_llc_bits(const struct topology *t)
{
	return bits_for(t->llcs);
}

uint32_t topology_apic_id(const struct topology *t, unsigned cpu)
{
	unsigned thread = cpu % t->threads_per_core;
	unsigned core = (cpu / t->threads_per_core) % t->cores_per_llc;
	unsigned llc = cpu / (t->threads_per_core * t->cores_per_llc);
	unsigned tb = topology_thread_bits(t), cb = topology_core_bits(t);

	return (uint32_t)((llc << (cb + tb)) | (core << tb) | thread);
}

unsigned topology_node_of_llc(const struct topology *t, unsigned llc)
{
	for (unsigned n = 0; n < t->nodes; n++) {
		if (llc < t->node[n].llcs)
			return n;
		llc -= t->node[n].llcs;
	}
	return t->nodes ? t->nodes - 1 : 0;
}

unsigned topology_node_of_cpu(const struct topology *t, unsigned cpu)
{
	return topology_node_of_llc(t, cpu / (t->threads_per_core * t->cores_per_llc));
}

static void default_distances(struct topology *t)
{
	for (unsigned i = 0; i < TOPOLOGY_MAX_NODES; i++)
		for (unsigned j = 0; j < TOPOLOGY_MAX_NODES; j++)
			t->distance[i][j] = i == j ? TOPOLOGY_LOCAL_DISTANCE : TOPOLOGY_REMOTE_DISTANCE;
}

int topology_uniform(struct topology *t, unsigned nodes, unsigned llcs, unsigned cores,
		     unsigned threads, uint64_t mem_mib, struct kerr *err)
{
	memset(t, 0, sizeof(*t));
	if (nodes == 0 || nodes > TOPOLOGY_MAX_NODES)
		return kerr_set(err, EINVAL, "--topology: %u NUMA nodes (1..%d)", nodes, TOPOLOGY_MAX_NODES);
	if (llcs == 0 || llcs % nodes)
		return kerr_set(err, EINVAL, "--topology: %u LLCs do not spread evenly over %u NUMA nodes",
				llcs, nodes);
	t->nodes = nodes;
	t->llcs = llcs;
	t->cores_per_llc = cores;
	t->threads_per_core = threads;
	for (unsigned i = 0; i < nodes; i++) {
		t->node[i].llcs = llcs / nodes;
		t->node[i].mem_mib = mem_mib / nodes + (i < mem_mib % nodes ? 1 : 0);
	}
	default_distances(t);
	return topology_validate(t, err);
}

static int validate_distances(const struct topology *t, struct kerr *err)
{
	for (unsigned i = 0; i < t->nodes; i++) {
		for (unsigned j = 0; j < t->nodes; j++) {
			unsigned d = t->distance[i][j];

			if (i == j && d != TOPOLOGY_LOCAL_DISTANCE)
				return kerr_set(err, EINVAL, "--numa-distances: entry (%u,%u) is %u; a node's "
						"distance to itself must be 10", i, j, d);
			if (i != j && d <= TOPOLOGY_LOCAL_DISTANCE)
				return kerr_set(err, EINVAL, "--numa-distances: entry (%u,%u) is %u; between "
						"two nodes it must be more than 10", i, j, d);
			if (d != t->distance[j][i])
				return kerr_set(err, EINVAL, "--numa-distances: entry (%u,%u) is %u but (%u,%u) "
						"is %u; the matrix must be symmetric", i, j, d, j, i,
						t->distance[j][i]);
		}
	}
	return 0;
}

int topology_validate(const struct topology *t, struct kerr *err)
{
	unsigned llcs = 0;

	if (t->nodes == 0 || t->nodes > TOPOLOGY_MAX_NODES)
		return kerr_set(err, EINVAL, "%u NUMA nodes (1..%d)", t->nodes, TOPOLOGY_MAX_NODES);
	if (t->cores_per_llc == 0 || t->threads_per_core == 0)
		return kerr_set(err, EINVAL, "--topology: %u cores per LLC and %u threads per core; "
				"both must be at least 1", t->cores_per_llc, t->threads_per_core);
	for (unsigned i = 0; i < t->nodes; i++) {
		if (t->node[i].mem_mib == 0)
			return kerr_set(err, EINVAL, "NUMA node %u has no memory", i);
		llcs += t->node[i].llcs;
	}
	if (llcs != t->llcs || llcs == 0)
		return kerr_set(err, EINVAL, "the NUMA nodes hold %u LLCs in all; a guest needs at least "
				"one CPU", llcs);
	if ((uint64_t)t->llcs * t->cores_per_llc * t->threads_per_core > TOPOLOGY_MAX_CPUS)
		return kerr_set(err, ERANGE, "%u LLCs x %u cores x %u threads is more than %d CPUs",
				t->llcs, t->cores_per_llc, t->threads_per_core, TOPOLOGY_MAX_CPUS);
	if (topology_llc_bits(t) + topology_core_bits(t) + topology_thread_bits(t) > 16)
		return kerr_set(err, ERANGE, "the APIC IDs of this topology need more than 16 bits");
	return validate_distances(t, err);
}
