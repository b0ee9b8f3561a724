/* The guest's CPU topology: LLCs, cores per LLC, threads per core (one package), and the
 * APIC IDs packed from (llc, core, thread) with power-of-two field widths. */
#ifndef KTSTR_VMM_TOPOLOGY_H
#define KTSTR_VMM_TOPOLOGY_H

#include <stdint.h>

#define TOPOLOGY_MAX_CPUS 1024

struct topology {
	unsigned llcs;
	unsigned cores_per_llc;
	unsigned threads_per_core;
};

unsigned topology_cpus(const struct topology *t);

/* Bits of the APIC ID below each level: thread field, then core, then LLC. */
unsigned topology_thread_bits(const struct topology *t);
unsigned topology_core_bits(const struct topology *t);
unsigned topology_llc_bits(const struct topology *t);

/* CPU index (llc-major, then core, then thread) to its APIC ID. */
uint32_t topology_apic_id(const struct topology *t, unsigned cpu);

#endif
