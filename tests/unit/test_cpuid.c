/* APIC ID packing and the CPUID leaves the guest derives its topology from, built from a
 * made-up "supported" table the way KVM_GET_SUPPORTED_CPUID would return one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/firmware/cpuid.h"
#include "vmm/firmware/topology.h"

static const struct kvm_cpuid_entry2 *leaf(const struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	fail_msg("leaf 0x%x.%u missing", fn, idx);
	return NULL;
}

static unsigned count_leaf(const struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < c->nent; i++)
		n += c->entries[i].function == fn && c->entries[i].index == idx;
	return n;
}

static struct kvm_cpuid2 *supported_table(uint32_t max_leaf)
{
	static const struct kvm_cpuid_entry2 base[] = {
		{ .function = 0, .eax = 0 },
		{ .function = 1, .ebx = 0x00000800, .edx = 1u << 28 },
		{ .function = 0xb, .index = 0, .eax = 9, .ebx = 9 },   /* stale values to replace */
		{ .function = 0x80000000, .eax = 0x80000008 },
		{ .function = 0x80000001, .ecx = 0 },
		{ .function = 0x80000008, .ecx = 0xffff },
		{ .function = 0x8000001e, .eax = 99 },
	};
	size_t n = sizeof(base) / sizeof(base[0]);
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(base[0]));

	assert_non_null(c);
	c->nent = (uint32_t)n;
	memcpy(c->entries, base, sizeof(base));
	c->entries[0].eax = max_leaf;
	return c;
}

/* --performance's hint goes into the KVM features leaf, and only there; no leaf, no hint. */
static void test_realtime_hint(void **state)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 2 * sizeof(struct kvm_cpuid_entry2));
	struct topology t = { .llcs = 1, .cores_per_llc = 1, .threads_per_core = 1 };
	struct kvm_cpuid2 *built;

	(void)state;
	assert_non_null(c);
	c->nent = 1;
	c->entries[0] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 0xd };
	assert_false(cpuid_set_realtime_hint(c));
	c->entries[c->nent++] = (struct kvm_cpuid_entry2){ .function = 0x40000001, .eax = 0x7ff, .edx = 0 };
	assert_true(cpuid_set_realtime_hint(c));
	assert_int_equal(leaf(c, 0x40000001, 0)->edx, 1);
	assert_int_equal(leaf(c, 0x40000001, 0)->eax, 0x7ff);   /* the features stay */
	built = cpuid_build(c, &t, 0);   /* every vCPU's table starts from the changed one */
	assert_int_equal(leaf(built, 0x40000001, 0)->edx, 1);
	free(built);
	free(c);
}

static void test_apic_id_packing(void **state)
{
	struct topology t = { .llcs = 2, .cores_per_llc = 3, .threads_per_core = 2 };

	(void)state;
	assert_int_equal(topology_cpus(&t), 12);
	assert_int_equal(topology_thread_bits(&t), 1);
	assert_int_equal(topology_core_bits(&t), 2);    /* 3 cores need 2 bits */
	assert_int_equal(topology_llc_bits(&t), 1);
	assert_int_equal(topology_apic_id(&t, 0), 0);
	assert_int_equal(topology_apic_id(&t, 1), 1);   /* second thread of core 0 */
	assert_int_equal(topology_apic_id(&t, 2), 2);   /* core 1 */
	assert_int_equal(topology_apic_id(&t, 5), 5);   /* core 2, thread 1 */
	assert_int_equal(topology_apic_id(&t, 6), 8);   /* LLC 1 starts at bit 3 */
	assert_int_equal(topology_apic_id(&t, 11), 13);
}

static void test_leaves_for_one_cpu(void **state)
{
	struct topology t = { .llcs = 1, .cores_per_llc = 1, .threads_per_core = 1, .nodes = 1 };
	struct kvm_cpuid2 *s = supported_table(0xd), *c;

	(void)state;
	c = cpuid_build(s, &t, 0);
	assert_non_null(c);
	assert_int_equal(leaf(c, 1, 0)->edx & (1u << 28), 0);     /* no HTT */
	assert_true(leaf(c, 1, 0)->ecx & (1u << 31));             /* hypervisor bit */
	assert_int_equal(leaf(c, 0xb, 0)->ebx, 1);
	assert_int_equal(count_leaf(c, 0xb, 0), 1);               /* replaced, not duplicated */
	assert_int_equal(leaf(c, 0x80000008, 0)->ecx & 0xff, 0);
	free(c);
	free(s);
}

static void test_leaves_for_smp(void **state)
{
	struct topology t = { .llcs = 2, .cores_per_llc = 2, .threads_per_core = 2 };
	struct kvm_cpuid2 *s = supported_table(0x1f), *c;
	uint32_t apic = topology_apic_id(&t, 7);   /* 7: llc 1, core 1, thread 1 */

	(void)state;
	assert_int_equal(apic, 7);
	c = cpuid_build(s, &t, apic);
	assert_non_null(c);
	assert_int_equal(leaf(c, 1, 0)->ebx >> 24, 7);            /* initial APIC ID */
	assert_int_equal((leaf(c, 1, 0)->ebx >> 16) & 0xff, 8);   /* logical CPUs per package */
	assert_int_equal(leaf(c, 1, 0)->ebx & 0xffff, 0x0800);    /* the rest kept */
	assert_true(leaf(c, 1, 0)->edx & (1u << 28));
	for (uint32_t fn = 0xb; fn <= 0x1f; fn += 0x1f - 0xb) {
		assert_int_equal(leaf(c, fn, 0)->eax, 1);             /* SMT shift */
		assert_int_equal(leaf(c, fn, 0)->ebx, 2);
		assert_int_equal((leaf(c, fn, 0)->ecx >> 8) & 0xff, 1);
		assert_int_equal(leaf(c, fn, 0)->edx, 7);
		assert_int_equal(leaf(c, fn, 1)->eax, 3);             /* package shift */
		assert_int_equal(leaf(c, fn, 1)->ebx, 8);
		assert_int_equal((leaf(c, fn, 1)->ecx >> 8) & 0xff, 2);
		assert_int_equal((leaf(c, fn, 2)->ecx >> 8) & 0xff, 0);   /* end of levels */
	}
	assert_int_equal(leaf(c, 0x80000008, 0)->ecx & 0xff, 7);      /* cores - 1 */
	assert_int_equal((leaf(c, 0x80000008, 0)->ecx >> 12) & 0xf, 3);
	assert_int_equal(leaf(c, 0x8000001e, 0)->eax, 99);            /* not AMD: left alone */
	free(c);
	free(s);
}

/* Leaf 4: L1d, L1i, L2 shared by one core's threads, L3 by the LLC's; then the end. */
static void test_cache_leaves(void **state)
{
	struct topology t = { .llcs = 2, .cores_per_llc = 3, .threads_per_core = 2, .nodes = 1 };
	struct kvm_cpuid2 *s = supported_table(0x1f), *c;

	(void)state;
	c = cpuid_build(s, &t, topology_apic_id(&t, 7));
	assert_non_null(c);
	assert_int_equal(count_leaf(c, 4, 0), 1);
	assert_int_equal(leaf(c, 4, 0)->eax & 0x1f, 1);                    /* data */
	assert_int_equal((leaf(c, 4, 2)->eax >> 5) & 7, 2);                /* L2 */
	assert_int_equal((leaf(c, 4, 2)->eax >> 14) & 0xfff, 1);           /* 2 threads share it */
	assert_int_equal((leaf(c, 4, 3)->eax >> 5) & 7, 3);                /* L3 */
	assert_int_equal((leaf(c, 4, 3)->eax >> 14) & 0xfff, 7);           /* 4 cores x 2 threads of APIC IDs */
	assert_int_equal(leaf(c, 4, 3)->eax >> 26, 7);                     /* 8 core IDs in the package */
	assert_int_equal(leaf(c, 4, 3)->ecx + 1, 32768);                   /* 32 MiB, 16 ways, 64 B lines */
	assert_int_equal(leaf(c, 4, 4)->eax & 0x1f, 0);                    /* no more caches */
	free(c);
	free(s);
}

/* On AMD: TOPOEXT on, 0x8000001E with the APIC ID, core and LLC ("node"), and the cache
 * leaves in 0x8000001D too, the extended maximum raised to reach them. */
static void test_amd_topoext(void **state)
{
	struct topology t = { .llcs = 2, .cores_per_llc = 2, .threads_per_core = 2, .nodes = 1 };
	struct kvm_cpuid2 *s = supported_table(0x1f), *c;

	(void)state;
	s->entries[0].ebx = 0x68747541;   /* "AuthenticAMD" */
	s->entries[0].edx = 0x69746e65;
	s->entries[0].ecx = 0x444d4163;
	c = cpuid_build(s, &t, 7);        /* LLC 1, core 1, thread 1 */
	assert_non_null(c);
	assert_int_equal(leaf(c, 0x80000000, 0)->eax, 0x8000001e);
	assert_true(leaf(c, 0x80000001, 0)->ecx & (1u << 22));
	assert_int_equal(leaf(c, 0x8000001e, 0)->eax, 7);
	assert_int_equal(leaf(c, 0x8000001e, 0)->ebx, (1u << 8) | 3);   /* 2 threads/core, core 3 */
	assert_int_equal(leaf(c, 0x8000001e, 0)->ecx, (1u << 8) | 1);   /* LLC 1 of 2 */
	assert_int_equal((leaf(c, 0x8000001d, 3)->eax >> 14) & 0xfff, 3);   /* L3: 4 APIC IDs */
	assert_int_equal((leaf(c, 0x8000001d, 2)->eax >> 14) & 0xfff, 1);   /* L2: the 2 threads */
	assert_int_equal(leaf(c, 0x8000001d, 4)->eax & 0x1f, 0);
	free(c);
	free(s);
}

/* Every CPU of several topologies: its own APIC ID in leaves 0x1, 0xB and 0x8000001E, the
 * same package-wide counts, and the LLC ("node") of 0x8000001E equal to the APIC ID's LLC. */
static void test_every_cpu(void **state)
{
	static const unsigned shapes[][3] = { { 1, 2, 1 }, { 2, 2, 2 }, { 4, 3, 2 }, { 3, 5, 1 } };
	struct kvm_cpuid2 *s = supported_table(0x1f);

	(void)state;
	s->entries[0].ebx = 0x68747541;
	s->entries[0].edx = 0x69746e65;
	s->entries[0].ecx = 0x444d4163;
	for (unsigned k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		struct topology t = { .llcs = shapes[k][0], .cores_per_llc = shapes[k][1],
				      .threads_per_core = shapes[k][2], .nodes = 1 };
		unsigned tb = topology_thread_bits(&t), cb = topology_core_bits(&t);

		for (unsigned cpu = 0; cpu < topology_cpus(&t); cpu++) {
			uint32_t apic = topology_apic_id(&t, cpu);
			struct kvm_cpuid2 *c = cpuid_build(s, &t, apic);

			assert_non_null(c);
			assert_int_equal(leaf(c, 1, 0)->ebx >> 24, apic);
			assert_int_equal(leaf(c, 0xb, 0)->edx, apic);
			assert_int_equal(leaf(c, 0xb, 1)->edx, apic);
			assert_int_equal(leaf(c, 0xb, 1)->ebx, topology_cpus(&t));
			assert_int_equal(leaf(c, 0x8000001e, 0)->eax, apic);
			assert_int_equal(leaf(c, 0x8000001e, 0)->ecx & 0xff, apic >> (tb + cb));
			assert_int_equal(apic >> (tb + cb), cpu / (t.cores_per_llc * t.threads_per_core));
			free(c);
		}
	}
	free(s);
}

static void test_old_max_leaf_raised_for_0xb(void **state)
{
	struct topology t = { .llcs = 1, .cores_per_llc = 2, .threads_per_core = 1, .nodes = 1 };
	struct kvm_cpuid2 *s = supported_table(0x7), *c;

	(void)state;
	c = cpuid_build(s, &t, 1);
	assert_non_null(c);
	assert_int_equal(leaf(c, 0, 0)->eax, 0xb);
	assert_int_equal(count_leaf(c, 0x1f, 0), 0);   /* not offered when the CPU lacks it */
	assert_int_equal(leaf(c, 0xb, 1)->ebx, 2);
	free(c);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apic_id_packing),
		cmocka_unit_test(test_leaves_for_one_cpu),
		cmocka_unit_test(test_leaves_for_smp),
		cmocka_unit_test(test_old_max_leaf_raised_for_0xb),
		cmocka_unit_test(test_cache_leaves),
		cmocka_unit_test(test_amd_topoext),
		cmocka_unit_test(test_every_cpu),
		cmocka_unit_test(test_realtime_hint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
