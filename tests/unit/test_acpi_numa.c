/* NUMA tables for a three-node topology (two nodes with CPUs, one memory-only; node 1's
 * memory straddles the 32-bit hole), decompiled by iasl -d and asserted field by field: SRAT
 * CPU and memory affinity, SLIT distances, HMAT domains, latencies and bandwidths. Also the
 * memory placement behind them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/support/iasl.h"
#include "vmm/firmware/acpi.h"
#include "vmm/firmware/numa_layout.h"
#include "vmm/topology_opt.h"

struct built {
	struct topology topo;
	struct guest_memory mem;
	struct acpi_mem_range ranges[ACPI_MAX_MEM_RANGES];
	unsigned n;
	struct acpi_tables t;
};

static void build(struct built *b)
{
	struct topology_opts o = { 0 };
	struct acpi_config cfg = { 0 };
	struct kerr err;
	uint64_t mem = 0;

	assert_int_equal(topology_opt_counts(&o, "3,3,2,2", &err), 0);
	assert_int_equal(topology_opt_node(&o, "llcs=2,mem=256,latency_ns=90,bandwidth_mbs=20000", &err), 0);
	assert_int_equal(topology_opt_node(&o, "llcs=1,mem=3000", &err), 0);
	assert_int_equal(topology_opt_node(&o, "llcs=0,mem=512,latency_ns=300,bandwidth_mbs=5000,cache_mib=64", &err), 0);
	assert_int_equal(topology_opt_distances(&o, "10,21,30;21,10,30;30,30,10", &err), 0);
	if (topology_opt_finish(&o, 0, &mem, false, &b->topo, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(guest_memory_create(&b->mem, mem << 20, &err), 0);
	if (numa_layout(&b->topo, &b->mem, b->ranges, ACPI_MAX_MEM_RANGES, &b->n, &err) < 0)
		fail_msg("%s", err.msg);
	cfg.topology = &b->topo;
	cfg.mem = b->ranges;
	cfg.n_mem = b->n;
	if (acpi_build(&b->mem, &cfg, &b->t, &err) < 0)
		fail_msg("%s", err.msg);
}

static void test_layout(void **state)
{
	struct built b;

	(void)state;
	build(&b);
	assert_int_equal(b.n, 4);
	assert_true(b.ranges[0].gpa == 0 && b.ranges[0].size == 256ull << 20 && b.ranges[0].node == 0);
	assert_true(b.ranges[1].gpa == 256ull << 20 && b.ranges[1].size == (3072ull - 256) << 20);
	assert_true(b.ranges[2].gpa == 1ull << 32 && b.ranges[2].size == 184ull << 20);
	assert_true(b.ranges[1].node == 1 && b.ranges[2].node == 1);
	assert_true(b.ranges[3].gpa == (1ull << 32) + (184ull << 20) && b.ranges[3].node == 2);
	assert_int_equal(b.ranges[3].size, 512ull << 20);
	/* Where each piece sits in the memfd (its KVM slot): one after another, across the hole. */
	assert_int_equal(b.ranges[0].offset, 0);
	assert_int_equal(b.ranges[1].offset, 256ull << 20);
	assert_int_equal(b.ranges[2].offset, 3072ull << 20);
	assert_int_equal(b.ranges[3].offset, (3072ull + 184) << 20);
	assert_int_equal(b.t.count, 7);   /* DSDT FACP APIC SRAT SLIT HMAT XSDT */
	for (unsigned i = 0; i < b.t.count; i++)
		assert_int_equal(acpi_checksum(guest_memory_ptr(&b.mem, b.t.table[i].gpa, b.t.table[i].length),
					       b.t.table[i].length), 0);
	guest_memory_destroy(&b.mem);
}

static char *disassemble(struct built *b, const char *sig)
{
	for (unsigned i = 0; i < b->t.count; i++)
		if (strcmp(b->t.table[i].signature, sig) == 0)
			return iasl_disassemble(guest_memory_ptr(&b->mem, b->t.table[i].gpa, b->t.table[i].length),
						b->t.table[i].length, sig);
	fail_msg("no %s table", sig);
	return NULL;
}

/* Each string must appear, in this order. */
static void expect_in_order(const char *text, const char *const *want, unsigned n)
{
	const char *p = text;

	for (unsigned i = 0; i < n; i++) {
		const char *q = strstr(p, want[i]);

		if (!q)
			fail_msg("\"%s\" is missing (or out of order) in:\n%s", want[i], text);
		p = q + strlen(want[i]);
	}
}

#define EXPECT_IN_ORDER(text, ...) do { \
		static const char *const w_[] = { __VA_ARGS__ }; \
		expect_in_order(text, w_, sizeof(w_) / sizeof(w_[0])); \
	} while (0)

static void test_srat(void **state)
{
	struct built b;
	char *s;

	(void)state;
	build(&b);
	s = disassemble(&b, "SRAT");
	/* 12 CPUs: APIC IDs 0..7 on node 0 (two LLCs of 2 cores x 2 threads), 8..11 on node 1. */
	EXPECT_IN_ORDER(s, "Proximity Domain Low(8) : 00", "Apic ID : 00",
			"Proximity Domain Low(8) : 00", "Apic ID : 07",
			"Proximity Domain Low(8) : 01", "Apic ID : 08",
			"Proximity Domain Low(8) : 01", "Apic ID : 0B",
			"Memory Affinity", "Proximity Domain : 00000000",
			"Base Address : 0000000000000000", "Address Length : 0000000010000000",
			"Memory Affinity", "Proximity Domain : 00000001",
			"Base Address : 0000000010000000", "Address Length : 00000000B0000000",
			"Memory Affinity", "Proximity Domain : 00000001",
			"Base Address : 0000000100000000", "Address Length : 000000000B800000",
			"Memory Affinity", "Proximity Domain : 00000002",
			"Base Address : 000000010B800000", "Address Length : 0000000020000000");
	assert_null(strstr(s, "Apic ID : 0C"));
	free(s);
	guest_memory_destroy(&b.mem);
}

static void test_slit(void **state)
{
	struct built b;
	char *s;

	(void)state;
	build(&b);
	s = disassemble(&b, "SLIT");
	EXPECT_IN_ORDER(s, "Localities : 0000000000000003", "Locality   0 : 0A 15 1E",
			"Locality   1 : 15 0A 1E", "Locality   2 : 1E 1E 0A");
	free(s);
	guest_memory_destroy(&b.mem);
}

/* Latency from initiator i to target j is the target's own (default 100 ns) times the
 * distance / 10; bandwidth the target's (default 10000 MB/s) times 10 / distance. Node 2 has
 * no CPUs: it is a target only, with no attached initiator. */
static void test_hmat(void **state)
{
	struct built b;
	char *s;

	(void)state;
	build(&b);
	s = disassemble(&b, "HMAT");
	EXPECT_IN_ORDER(s, "Memory Proximity Domain Attributes", "Processor Proximity Domain Valid : 1",
			"Attached Initiator Proximity Domain : 00000000", "Memory Proximity Domain : 00000000",
			"Memory Proximity Domain Attributes", "Processor Proximity Domain Valid : 1",
			"Attached Initiator Proximity Domain : 00000001", "Memory Proximity Domain : 00000001",
			"Memory Proximity Domain Attributes", "Processor Proximity Domain Valid : 0",
			"Memory Proximity Domain : 00000002",
			/* access latency in ns (base unit 1000 ps): 90 210 900 / 189 100 900 */
			"Data Type : 00", "Initiator Proximity Domains # : 00000002",
			"Target Proximity Domains # : 00000003", "Entry Base Unit : 00000000000003E8",
			"Entry : 005A", "Entry : 00D2", "Entry : 0384",
			"Entry : 00BD", "Entry : 0064", "Entry : 0384",
			/* access bandwidth in MB/s: 20000 4761 1666 / 9523 10000 1666 */
			"Data Type : 03", "Entry Base Unit : 0000000000000001",
			"Entry : 4E20", "Entry : 1299", "Entry : 0682",
			"Entry : 2533", "Entry : 2710", "Entry : 0682",
			/* node 2's memory-side cache: 64 MiB, 1 level, direct mapped, write-back, 64 B */
			"Memory Side Cache Information]", "Memory Proximity Domain : 00000002",
			"Memory Side Cache Size : 0000000004000000", "Cache Attributes (decoded below) : 00401111");
	free(s);
	guest_memory_destroy(&b.mem);
}

/* Several topologies (up to 256 CPUs, so x2APIC entries from APIC ID 255): every table
 * decompiles cleanly, checksums hold, and MADT and SRAT name every CPU once. */
static void test_several_topologies(void **state)
{
	static const unsigned shapes[][4] = { { 1, 1, 2, 1 }, { 1, 2, 2, 2 }, { 2, 2, 2, 1 },
					      { 4, 8, 4, 2 }, { 2, 64, 2, 1 } };

	(void)state;
	for (unsigned k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		struct topology t;
		struct guest_memory mem;
		struct acpi_mem_range r[ACPI_MAX_MEM_RANGES];
		struct acpi_config cfg = { .topology = &t, .mem = r };
		struct acpi_tables out;
		struct kerr err;
		unsigned cpus;

		assert_int_equal(topology_uniform(&t, shapes[k][0], shapes[k][1], shapes[k][2], shapes[k][3],
						  512, &err), 0);
		cpus = topology_cpus(&t);
		assert_int_equal(guest_memory_create(&mem, 512ull << 20, &err), 0);
		assert_int_equal(numa_layout(&t, &mem, r, ACPI_MAX_MEM_RANGES, &cfg.n_mem, &err), 0);
		if (acpi_build(&mem, &cfg, &out, &err) < 0)
			fail_msg("%u CPUs: %s", cpus, err.msg);
		for (unsigned i = 0; i < out.count; i++) {
			const void *tab = guest_memory_ptr(&mem, out.table[i].gpa, out.table[i].length);
			char *dsl = iasl_disassemble(tab, out.table[i].length, out.table[i].signature);
			unsigned n = 0;
			const char *p;

			assert_int_equal(acpi_checksum(tab, out.table[i].length), 0);
			if (!strcmp(out.table[i].signature, "APIC") || !strcmp(out.table[i].signature, "SRAT")) {
				for (p = dsl; (p = strstr(p, "Subtable Type : ")); p++)
					n += !strncmp(p + 16, "00 [Processor Local APIC", 24) ||
					     !strncmp(p + 16, "09 [Processor Local x2APIC", 26) ||
					     !strncmp(p + 16, "02 [Processor Local x2APIC", 26);
				if (n != cpus)
					fail_msg("%s lists %u CPUs of %u", out.table[i].signature, n, cpus);
			}
			free(dsl);
		}
		guest_memory_destroy(&mem);
	}
}

/* One node: no NUMA tables at all; checksums of every table hold. */
static void test_single_node_has_none(void **state)
{
	struct topology t;
	struct guest_memory mem;
	struct acpi_mem_range r[ACPI_MAX_MEM_RANGES];
	struct acpi_config cfg = { .topology = &t, .mem = r };
	struct acpi_tables out;
	struct kerr err;

	(void)state;
	assert_int_equal(topology_uniform(&t, 1, 1, 4, 1, 256, &err), 0);
	assert_int_equal(guest_memory_create(&mem, 256ull << 20, &err), 0);
	assert_int_equal(numa_layout(&t, &mem, r, ACPI_MAX_MEM_RANGES, &cfg.n_mem, &err), 0);
	assert_int_equal(acpi_build(&mem, &cfg, &out, &err), 0);
	assert_int_equal(out.count, 4);
	for (unsigned i = 0; i < out.count; i++)
		assert_int_equal(acpi_checksum(guest_memory_ptr(&mem, out.table[i].gpa, out.table[i].length),
					       out.table[i].length), 0);
	guest_memory_destroy(&mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_srat),
		cmocka_unit_test(test_slit),
		cmocka_unit_test(test_hmat),
		cmocka_unit_test(test_single_node_has_none),
		cmocka_unit_test(test_several_topologies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
