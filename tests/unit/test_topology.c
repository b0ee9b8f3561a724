/* Topologies from the command-line options: uniform spreads, explicit nodes (memory-only
 * ones too), distance matrices, and every invalid combination refused with a message that
 * names the bad value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/topology_opt.h"

static void expect_error(int r, const struct kerr *err, const char *says)
{
	assert_true(r < 0);
	if (!strstr(err->msg, says))
		fail_msg("error \"%s\" does not say \"%s\"", err->msg, says);
}

static void test_uniform(void **state)
{
	struct topology_opts o = { 0 };
	struct topology t;
	struct kerr err;
	uint64_t mem = 512;

	(void)state;
	assert_int_equal(topology_opt_counts(&o, "2,4,2,2", &err), 0);
	assert_int_equal(topology_opt_finish(&o, 0, &mem, false, &t, &err), 0);
	assert_int_equal(t.nodes, 2);
	assert_int_equal(topology_cpus(&t), 16);
	assert_int_equal(t.node[0].llcs, 2);
	assert_int_equal(t.node[1].mem_mib, 256);
	/* CPU 9: LLC 2 (node 1), core 0, thread 1; APIC ID (2 << 2) | (0 << 1) | 1. */
	assert_int_equal(topology_node_of_cpu(&t, 9), 1);
	assert_int_equal(topology_node_of_cpu(&t, 7), 0);
	assert_int_equal(topology_apic_id(&t, 9), 9);
	assert_int_equal(t.distance[0][1], 20);
	assert_int_equal(t.distance[1][1], 10);
	/* 512 MiB over 3 nodes: whole MiB, the remainder to the first. */
	memset(&o, 0, sizeof(o));
	assert_int_equal(topology_opt_counts(&o, "3,3,1,1", &err), 0);
	assert_int_equal(topology_opt_finish(&o, 0, &mem, false, &t, &err), 0);
	assert_int_equal(t.node[0].mem_mib, 171);
	assert_int_equal(t.node[2].mem_mib, 170);
	assert_int_equal(topology_mem_mib(&t), 512);
	/* --cpus alone: one node, one LLC, N cores. */
	memset(&o, 0, sizeof(o));
	assert_int_equal(topology_opt_finish(&o, 6, &mem, false, &t, &err), 0);
	assert_int_equal(t.cores_per_llc, 6);
	assert_int_equal(t.nodes, 1);
}

static void test_explicit_nodes_and_distances(void **state)
{
	struct topology_opts o = { 0 };
	struct topology t;
	struct kerr err;
	uint64_t mem = 512;

	(void)state;
	assert_int_equal(topology_opt_counts(&o, "3,3,2,1", &err), 0);
	assert_int_equal(topology_opt_node(&o, "llcs=2,mem=256,latency_ns=80,bandwidth_mbs=20000", &err), 0);
	assert_int_equal(topology_opt_node(&o, "llcs=1,mem=128", &err), 0);
	assert_int_equal(topology_opt_node(&o, "llcs=0,mem=512,latency_ns=250", &err), 0);   /* CXL-like */
	assert_int_equal(topology_opt_distances(&o, "10,21,30;21,10,30;30,30,10", &err), 0);
	assert_int_equal(topology_opt_finish(&o, 0, &mem, false, &t, &err), 0);
	assert_int_equal(mem, 896);
	assert_int_equal(topology_cpus(&t), 6);
	assert_int_equal(t.node[0].latency_ns, 80);
	assert_int_equal(t.node[2].llcs, 0);
	assert_int_equal(topology_node_of_llc(&t, 2), 1);
	assert_int_equal(t.distance[1][0], 21);
	assert_int_equal(t.distance[2][1], 30);
}

static void test_invalid(void **state)
{
	struct topology_opts o;
	struct topology t;
	struct kerr err;
	uint64_t mem = 512;

	(void)state;
	memset(&o, 0, sizeof(o));
	expect_error(topology_opt_counts(&o, "1,2,3", &err), &err, "is not NUMA,LLCS");
	expect_error(topology_opt_counts(&o, "1,2,3,4,5", &err), &err, "is not NUMA,LLCS");
	expect_error(topology_opt_counts(&o, "1,0,1,1", &err), &err, "LLCS is 0");
	expect_error(topology_opt_counts(&o, "1,x,1,1", &err), &err, "LLCS \"x\" is not a number");
	assert_int_equal(topology_opt_counts(&o, "2,3,1,1", &err), 0);
	expect_error(topology_opt_finish(&o, 0, &mem, false, &t, &err), &err,
		     "3 LLCs do not spread evenly over 2 NUMA nodes");
	expect_error(topology_opt_finish(&o, 4, &mem, false, &t, &err), &err, "--cpus cannot");
	memset(&o, 0, sizeof(o));
	assert_int_equal(topology_opt_counts(&o, "1,64,8,4", &err), 0);
	expect_error(topology_opt_finish(&o, 0, &mem, false, &t, &err), &err, "more than 1024 CPUs");
	memset(&o, 0, sizeof(o));
	expect_error(topology_opt_node(&o, "llcs=1", &err), &err, "non-zero mem= are required");
	expect_error(topology_opt_node(&o, "llcs=1,mem=64,cache=3", &err), &err, "unknown field \"cache\"");
	expect_error(topology_opt_node(&o, "llcs=1,mem=64,cache_mib=x", &err), &err, "cache_mib \"x\"");
	expect_error(topology_opt_node(&o, "llcs", &err), &err, "not key=value");
	assert_int_equal(topology_opt_node(&o, "llcs=0,mem=256", &err), 0);
	expect_error(topology_opt_finish(&o, 0, &mem, false, &t, &err), &err, "at least one CPU");
	assert_int_equal(topology_opt_node(&o, "llcs=1,mem=256", &err), 0);
	mem = 1000;
	expect_error(topology_opt_finish(&o, 0, &mem, true, &t, &err), &err,
		     "--memory 1000 differs from the 512 MiB of the --numa-node options");
	assert_int_equal(mem, 1000);   /* untouched by a failure */
	mem = 1024;
	assert_int_equal(topology_opt_counts(&o, "2,2,1,1", &err), 0);
	expect_error(topology_opt_finish(&o, 0, &mem, false, &t, &err), &err,
		     "--topology says 2 nodes and 2 LLCs, the --numa-node options 2 and 1");
}

static void test_bad_distances(void **state)
{
	struct topology_opts o;
	struct topology t;
	struct kerr err;
	uint64_t mem = 512;

	(void)state;
	memset(&o, 0, sizeof(o));
	expect_error(topology_opt_distances(&o, "10,20;20", &err), &err, "row 1 has 1 entries");
	expect_error(topology_opt_distances(&o, "10,20,30;20,10,30", &err), &err, "not square");
	expect_error(topology_opt_distances(&o, "10,x;20,10", &err), &err, "entry \"x\"");
	assert_int_equal(topology_opt_counts(&o, "2,2,1,1", &err), 0);
	assert_int_equal(topology_opt_distances(&o, "10,20;25,10", &err), 0);
	expect_error(topology_opt_finish(&o, 0, &mem, false, &t, &err), &err,
		     "entry (0,1) is 20 but (1,0) is 25");
	assert_int_equal(topology_opt_distances(&o, "11,20;20,10", &err), 0);
	expect_error(topology_opt_finish(&o, 0, &mem, false, &t, &err), &err, "entry (0,0) is 11");
	assert_int_equal(topology_opt_distances(&o, "10,10;10,10", &err), 0);
	expect_error(topology_opt_finish(&o, 0, &mem, false, &t, &err), &err,
		     "entry (0,1) is 10; between two nodes it must be more than 10");
	assert_int_equal(topology_opt_distances(&o, "10,20,20;20,10,20;20,20,10", &err), 0);
	expect_error(topology_opt_finish(&o, 0, &mem, false, &t, &err), &err, "a 3x3 matrix for 2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_explicit_nodes_and_distances),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_bad_distances),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
