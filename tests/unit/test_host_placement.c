/* --performance's placement (vmm/host/host_placement.c) on a made-up host of two nodes, each
 * one LLC of two cores with two SMT threads (siblings numbered apart, as Linux does:
 * 0/8 and 1/9 in node 0, 2/10 and 3/11 in node 1): whole LLCs per virtual LLC, siblings
 * paired only when the VM has threads, the service CPU a spare, RAM on the right node. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/host/host_placement.h"

static struct host_topology host;
static struct host_reservation held;
static struct host_placement place;

static void make_host(void)
{
	static const unsigned ids[] = { 0, 1, 2, 3, 8, 9, 10, 11 };

	memset(&host, 0, sizeof(host));
	for (unsigned i = 0; i < 8; i++) {
		unsigned id = ids[i], node = (id % 8) / 2;

		host.cpu[i] = (struct host_cpu){ .id = id, .node = node, .llc = node, .core = id % 8 };
	}
	host.ncpus = 8;
	host.nllcs = host.nnodes = 2;
	host.llc[0] = (struct host_llc){ .first_cpu = 0, .ncpus = 4, .node = 0 };
	host.llc[1] = (struct host_llc){ .first_cpu = 2, .ncpus = 4, .node = 1 };
	host.smt = true;
}

/* What host_reserve_llcs_wait leaves for these LLCs: each one's CPUs, in id order. */
static void hold(const unsigned *llcs, unsigned n)
{
	held.ncpus = 0;
	for (unsigned k = 0; k < n; k++)
		for (unsigned i = 0; i < host.ncpus; i++)
			if (host.cpu[i].llc == llcs[k])
				held.cpu[held.ncpus++] = host.cpu[i].id;
}

static void vm(struct topology *t, unsigned nodes, unsigned llcs, unsigned cores, unsigned threads)
{
	struct kerr err = { 0 };

	assert_int_equal(topology_uniform(t, nodes, llcs, cores, threads, 256 * nodes, &err), 0);
}

static void test_one_vcpu_per_core_without_threads(void **state)
{
	static const unsigned both[] = { 0, 1 };
	struct kerr err = { 0 };
	struct topology t;

	(void)state;
	make_host();
	vm(&t, 2, 2, 2, 1);
	assert_int_equal(host_placement_fits(&host, &t, &err), 0);
	hold(both, 2);
	assert_int_equal(host_placement_make(&host, &held, &t, &place, &err), 0);
	assert_int_equal(place.nvcpus, 4);
	assert_int_equal(place.vcpu_cpu[0], 0);   /* core 0's first thread, then core 1's */
	assert_int_equal(place.vcpu_cpu[1], 1);
	assert_int_equal(place.vcpu_cpu[2], 2);
	assert_int_equal(place.vcpu_cpu[3], 3);
	assert_int_equal(place.vcpu_llc[3], 1);
	assert_int_equal(place.service_cpu, 11);  /* a spare of the last LLC (every core has a vCPU) */
	assert_int_equal(place.vnode_host_node[0], 0);
	assert_int_equal(place.vnode_host_node[1], 1);
}

static void test_threads_on_siblings(void **state)
{
	static const unsigned second[] = { 1 };
	struct kerr err = { 0 };
	struct topology t;

	(void)state;
	make_host();
	vm(&t, 1, 1, 2, 2);
	hold(second, 1);
	assert_int_equal(host_placement_make(&host, &held, &t, &place, &err), 0);
	assert_int_equal(place.vcpu_cpu[0], 2);   /* virtual core 0 on host core 2: 2 and 10 */
	assert_int_equal(place.vcpu_cpu[1], 10);
	assert_int_equal(place.vcpu_cpu[2], 3);
	assert_int_equal(place.vcpu_cpu[3], 11);
	assert_int_equal(place.service_cpu, HOST_PLACEMENT_NO_CPU);   /* all four taken */
	assert_int_equal(place.vnode_host_node[0], 1);
}

static void test_service_cpu_is_a_spare(void **state)
{
	static const unsigned first[] = { 0 };
	struct kerr err = { 0 };
	struct topology t;

	(void)state;
	make_host();
	vm(&t, 1, 1, 1, 1);
	hold(first, 1);
	assert_int_equal(host_placement_make(&host, &held, &t, &place, &err), 0);
	assert_int_equal(place.nvcpus, 1);
	assert_int_equal(place.vcpu_cpu[0], 0);
	assert_int_equal(place.service_cpu, 1);   /* a core the vCPU is not on, not its sibling 8 */
}

static void test_what_does_not_fit(void **state)
{
	static const unsigned first[] = { 0 };
	struct kerr err = { 0 };
	struct topology t;

	(void)state;
	make_host();
	vm(&t, 1, 3, 1, 1);
	assert_int_equal(host_placement_fits(&host, &t, &err), -ERANGE);
	assert_non_null(strstr(err.msg, "VM's 3 LLCs"));
	assert_non_null(strstr(err.msg, "this host has 2 such LLCs"));
	vm(&t, 1, 1, 5, 1);
	assert_int_equal(host_placement_fits(&host, &t, &err), -ERANGE);
	assert_non_null(strstr(err.msg, "at least 5 CPUs"));
	assert_non_null(strstr(err.msg, "largest with 4 usable CPUs"));
	vm(&t, 1, 2, 4, 1);   /* room for the vCPUs, none for vmm and its devices */
	assert_int_equal(host_placement_fits(&host, &t, &err), -ERANGE);
	assert_non_null(strstr(err.msg, "VM's 8 vCPUs a host CPU each and vmm and its devices one more; "
				       "this host has 8 usable CPUs"));
	/* a reservation that does not match the VM is refused, not half used */
	vm(&t, 1, 2, 1, 1);
	hold(first, 1);
	assert_int_equal(host_placement_make(&host, &held, &t, &place, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "1 host LLCs held for 2"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_vcpu_per_core_without_threads),
		cmocka_unit_test(test_threads_on_siblings),
		cmocka_unit_test(test_service_cpu_is_a_spare),
		cmocka_unit_test(test_what_does_not_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
