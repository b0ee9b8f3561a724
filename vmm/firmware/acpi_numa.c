/* SRAT, SLIT and HMAT; see acpi_numa.h. Layouts from ACPI 6.5 §5.2.16, 5.2.17, 5.2.28. */
#include "vmm/firmware/acpi_numa.h"

#include <stdbool.h>

#define SRAT_ENABLED        1u
#define HMAT_DEFAULT_LATENCY_NS    100u
#define HMAT_DEFAULT_BANDWIDTH_MBS 10000u
#define HMAT_ACCESS_LATENCY   0u
#define HMAT_ACCESS_BANDWIDTH 3u

static void srat_cpu(struct acpi_writer *w, uint32_t apic_id, unsigned node)
{
	if (apic_id < 255) {
		acpi_put8(w, 0);           /* processor local APIC affinity */
		acpi_put8(w, 16);
		acpi_put8(w, (uint8_t)node);
		acpi_put8(w, (uint8_t)apic_id);
		acpi_put32(w, SRAT_ENABLED);
		acpi_put8(w, 0);           /* local SAPIC EID */
		acpi_put8(w, 0);           /* proximity domain bits 8..31 */
		acpi_put16(w, 0);
		acpi_put32(w, 0);          /* clock domain */
	} else {
		acpi_put8(w, 2);           /* processor local x2APIC affinity */
		acpi_put8(w, 24);
		acpi_put16(w, 0);
		acpi_put32(w, node);
		acpi_put32(w, apic_id);
		acpi_put32(w, SRAT_ENABLED);
		acpi_put32(w, 0);
		acpi_put32(w, 0);
	}
}

static void srat_memory(struct acpi_writer *w, const struct acpi_mem_range *m)
{
	acpi_put8(w, 1);                   /* memory affinity */
	acpi_put8(w, 40);
	acpi_put32(w, m->node);
	acpi_put16(w, 0);
	acpi_put64(w, m->gpa);
	acpi_put64(w, m->size);
	acpi_put32(w, 0);
	acpi_put32(w, SRAT_ENABLED);
	acpi_put64(w, 0);
}

uint64_t acpi_build_srat(struct acpi_writer *w, const struct acpi_config *cfg)
{
	const struct topology *t = cfg->topology;

	acpi_table_open(w, "SRAT", 3);
	acpi_put32(w, 1);                  /* reserved, 1 for compatibility */
	acpi_put64(w, 0);
	for (unsigned cpu = 0; cpu < topology_cpus(t); cpu++)
		srat_cpu(w, topology_apic_id(t, cpu), topology_node_of_cpu(t, cpu));
	for (unsigned i = 0; i < cfg->n_mem; i++)
		srat_memory(w, &cfg->mem[i]);
	return acpi_table_close(w);
}

uint64_t acpi_build_slit(struct acpi_writer *w, const struct topology *t)
{
	acpi_table_open(w, "SLIT", 1);
	acpi_put64(w, t->nodes);
	for (unsigned i = 0; i < t->nodes; i++)
		for (unsigned j = 0; j < t->nodes; j++)
			acpi_put8(w, t->distance[i][j]);
	return acpi_table_close(w);
}

/* Memory proximity domain attributes: a node with CPUs is its own memory's initiator. */
static void hmat_domain(struct acpi_writer *w, const struct topology *t, unsigned node)
{
	bool has_cpus = t->node[node].llcs > 0;

	acpi_put16(w, 0);
	acpi_put16(w, 0);
	acpi_put32(w, 40);
	acpi_put16(w, has_cpus ? 1 : 0);   /* initiator proximity domain valid */
	acpi_put16(w, 0);
	acpi_put32(w, has_cpus ? node : 0);
	acpi_put32(w, node);
	acpi_put32(w, 0);
	acpi_put64(w, 0);
	acpi_put64(w, 0);
}

/* From initiator i to target j: the target's own figure, scaled by distance / 10. */
static uint64_t hmat_value(const struct topology *t, unsigned i, unsigned j, bool latency)
{
	uint64_t d = t->distance[i][j];
	uint64_t lat = t->node[j].latency_ns ? t->node[j].latency_ns : HMAT_DEFAULT_LATENCY_NS;
	uint64_t bw = t->node[j].bandwidth_mbs ? t->node[j].bandwidth_mbs : HMAT_DEFAULT_BANDWIDTH_MBS;

	return latency ? lat * d / 10 : bw * 10 / d;
}

/* System locality latency (ns, as picoseconds x base unit) or bandwidth (MB/s) information:
 * every initiator (a node with CPUs) to every node. */
static void hmat_locality(struct acpi_writer *w, const struct topology *t, bool latency)
{
	unsigned init[TOPOLOGY_MAX_NODES], ni = 0;
	uint64_t max = 1, unit;

	for (unsigned n = 0; n < t->nodes; n++)
		if (t->node[n].llcs)
			init[ni++] = n;
	for (unsigned i = 0; i < ni; i++)
		for (unsigned j = 0; j < t->nodes; j++)
			if (hmat_value(t, init[i], j, latency) > max)
				max = hmat_value(t, init[i], j, latency);
	unit = (max + 65533) / 65534;      /* every entry fits 16 bits, 0 meaning "unknown" */
	acpi_put16(w, 1);
	acpi_put16(w, 0);
	acpi_put32(w, 32 + 4 * (ni + t->nodes) + 2 * ni * t->nodes);
	acpi_put8(w, 0);                   /* memory hierarchy: the memory itself */
	acpi_put8(w, latency ? HMAT_ACCESS_LATENCY : HMAT_ACCESS_BANDWIDTH);
	acpi_put8(w, 0);
	acpi_put8(w, 0);
	acpi_put32(w, ni);
	acpi_put32(w, t->nodes);
	acpi_put32(w, 0);
	acpi_put64(w, latency ? unit * 1000 : unit);   /* latency entries are in picoseconds */
	for (unsigned i = 0; i < ni; i++)
		acpi_put32(w, init[i]);
	for (unsigned j = 0; j < t->nodes; j++)
		acpi_put32(w, j);
	for (unsigned i = 0; i < ni; i++)
		for (unsigned j = 0; j < t->nodes; j++) {
			uint64_t v = (hmat_value(t, init[i], j, latency) + unit - 1) / unit;

			acpi_put16(w, (uint16_t)(v ? v : 1));
		}
}

/* A memory-side cache in front of a node's memory: one level, direct mapped, write-back,
 * 64-byte lines. */
static void hmat_cache(struct acpi_writer *w, unsigned node, uint32_t mib)
{
	acpi_put16(w, 2);
	acpi_put16(w, 0);
	acpi_put32(w, 32);
	acpi_put32(w, node);
	acpi_put32(w, 0);
	acpi_put64(w, (uint64_t)mib << 20);
	acpi_put32(w, 1u | (1u << 4) | (1u << 8) | (1u << 12) | (64u << 16));
	acpi_put16(w, 0);
	acpi_put16(w, 0);                  /* no SMBIOS handles */
}

uint64_t acpi_build_hmat(struct acpi_writer *w, const struct topology *t)
{
	acpi_table_open(w, "HMAT", 2);
	acpi_put32(w, 0);
	for (unsigned n = 0; n < t->nodes; n++)
		hmat_domain(w, t, n);
	hmat_locality(w, t, true);
	hmat_locality(w, t, false);
	for (unsigned n = 0; n < t->nodes; n++)
		if (t->node[n].cache_mib)
			hmat_cache(w, n, t->node[n].cache_mib);
	return acpi_table_close(w);
}
