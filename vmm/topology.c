/* APIC ID packing for a topology; see topology.h. */
#include "vmm/topology.h"

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
