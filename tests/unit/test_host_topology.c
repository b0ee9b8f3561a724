/* The host topology reader (vmm/host/host_topology.c) on fake /sys and /proc trees: one node
 * and one LLC, two nodes with SMT, offline CPUs, a cgroup cpuset, no cache information, bad
 * files; and on this very host. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/support/fake_tree.h"
#include "vmm/host/host_topology.h"

static char root[64];

static void put(const char *rel, const char *text)
{
	fake_tree_put(root, rel, text);
}

/* CPU c: its core, package, SMT siblings and LLC (an L1 at index0, the LLC at index3). */
static void put_cpu(unsigned c, unsigned core, unsigned pkg, const char *siblings, const char *llc)
{
	char rel[128], v[32];

	snprintf(rel, sizeof(rel), "/sys/devices/system/cpu/cpu%u/topology/core_id", c);
	snprintf(v, sizeof(v), "%u\n", core);
	put(rel, v);
	snprintf(rel, sizeof(rel), "/sys/devices/system/cpu/cpu%u/topology/physical_package_id", c);
	snprintf(v, sizeof(v), "%u\n", pkg);
	put(rel, v);
	snprintf(rel, sizeof(rel), "/sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", c);
	put(rel, siblings);
	if (!llc)
		return;
	snprintf(rel, sizeof(rel), "/sys/devices/system/cpu/cpu%u/cache/index0/level", c);
	put(rel, "1\n");
	snprintf(rel, sizeof(rel), "/sys/devices/system/cpu/cpu%u/cache/index0/shared_cpu_list", c);
	put(rel, siblings);
	snprintf(rel, sizeof(rel), "/sys/devices/system/cpu/cpu%u/cache/index3/level", c);
	put(rel, "3\n");
	snprintf(rel, sizeof(rel), "/sys/devices/system/cpu/cpu%u/cache/index3/shared_cpu_list", c);
	put(rel, llc);
}

/* CPUs 0-3 online, one thread per core, in `packages` packages of equal size, each CPU's LLC
 * the given list (NULL: no cache information). */
static void put_four_single_threaded(unsigned packages, const char *llc)
{
	put("/sys/devices/system/cpu/online", "0-3\n");
	for (unsigned c = 0; c < 4; c++) {
		char sib[8];

		snprintf(sib, sizeof(sib), "%u\n", c);
		put_cpu(c, c % (4 / packages), c / (4 / packages), sib, llc);
	}
}

static int tree_new(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/ktstr-hosttopo-XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int tree_free(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

static void test_one_node_one_llc(void **state)
{
	struct host_topology *t = malloc(sizeof(*t));
	struct kerr err = { 0 };

	(void)state;
	put_four_single_threaded(1, "0-3\n");
	if (host_topology_read(root, t, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(t->ncpus, 4);
	assert_int_equal(t->nllcs, 1);
	assert_int_equal(t->llc[0].ncpus, 4);
	assert_int_equal(t->nnodes, 1);
	assert_false(t->smt);
	assert_false(t->cpuset_limited);
	free(t);
}

/* Two packages, each one node and one LLC of two cores with two threads. */
static void test_two_nodes_smt(void **state)
{
	static const char *const sib[] = { "0,4\n", "1,5\n", "2,6\n", "3,7\n" };
	struct host_topology *t = malloc(sizeof(*t));
	struct kerr err = { 0 };

	(void)state;
	put("/sys/devices/system/cpu/online", "0-7\n");
	put("/sys/devices/system/node/possible", "0-1\n");
	put("/sys/devices/system/node/node0/cpulist", "0-1,4-5\n");
	put("/sys/devices/system/node/node1/cpulist", "2-3,6-7\n");
	for (unsigned c = 0; c < 8; c++)
		put_cpu(c, c % 2, (c % 4) / 2, sib[c % 4], (c % 4) < 2 ? "0-1,4-5\n" : "2-3,6-7\n");
	if (host_topology_read(root, t, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(t->ncpus, 8);
	assert_int_equal(t->nllcs, 2);
	assert_int_equal(t->nnodes, 2);
	assert_true(t->smt);
	assert_int_equal(t->cpu[5].node, 0);
	assert_int_equal(t->cpu[6].node, 1);
	assert_int_equal(t->cpu[6].llc, t->cpu[2].llc);
	assert_int_not_equal(t->cpu[6].llc, t->cpu[1].llc);
	assert_int_equal(t->llc[t->cpu[6].llc].first_cpu, 2);
	assert_int_equal(t->llc[t->cpu[6].llc].ncpus, 4);
	assert_int_equal(t->llc[t->cpu[6].llc].node, 1);
	free(t);
}

/* cpu2 is offline (its directory stays); its sibling cpu3 then has no usable sibling. */
static void test_offline_cpus(void **state)
{
	struct host_topology *t = malloc(sizeof(*t));
	struct kerr err = { 0 };

	(void)state;
	put("/sys/devices/system/cpu/online", "0-1,3\n");
	put_cpu(0, 0, 0, "0-1\n", "0-3\n");
	put_cpu(1, 0, 0, "0-1\n", "0-3\n");
	put_cpu(2, 1, 0, "2-3\n", "0-3\n");
	put_cpu(3, 1, 0, "2-3\n", "0-3\n");
	if (host_topology_read(root, t, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(t->ncpus, 3);
	assert_int_equal(t->online, 3);
	assert_int_equal(t->cpu[2].id, 3);
	assert_int_equal(t->llc[0].ncpus, 3);
	assert_true(t->smt);   /* 0 and 1 still are */
	free(t);
}

/* A cgroup v2 cpuset keeps the process to CPUs 2-3 of 0-3 (a v1 line comes first). */
static void test_cgroup_cpuset(void **state)
{
	struct host_topology *t = malloc(sizeof(*t));
	struct kerr err = { 0 };

	(void)state;
	put("/sys/devices/system/cpu/online", "0-3\n");
	for (unsigned c = 0; c < 4; c++)
		put_cpu(c, c, 0, c < 2 ? "0\n" : "2\n", c < 2 ? "0-1\n" : "2-3\n");
	put("/proc/self/cgroup", "1:name=systemd:/x\n0::/ci.slice/job-7\n");
	put("/sys/fs/cgroup/ci.slice/job-7/cpuset.cpus.effective", "2-3\n");
	if (host_topology_read(root, t, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(t->ncpus, 2);
	assert_int_equal(t->cpu[0].id, 2);
	assert_true(t->cpuset_limited);
	assert_int_equal(t->online, 4);
	assert_int_equal(t->nllcs, 1);
	assert_int_equal(t->llc[0].first_cpu, 2);
	/* a cpuset that leaves nothing online is an error, not an empty host */
	put("/sys/fs/cgroup/ci.slice/job-7/cpuset.cpus.effective", "9\n");
	assert_int_equal(host_topology_read(root, t, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "no online CPU is in this process's cpuset"));
	free(t);
}

/* Without cache information (some VMs), a package is one LLC. */
static void test_no_cache_info(void **state)
{
	struct host_topology *t = malloc(sizeof(*t));
	struct kerr err = { 0 };

	(void)state;
	put_four_single_threaded(2, NULL);
	if (host_topology_read(root, t, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(t->nllcs, 2);
	assert_int_equal(t->cpu[3].llc, t->cpu[2].llc);
	assert_int_equal(t->llc[t->cpu[3].llc].first_cpu, 2);
	free(t);
}

static void test_bad_files_named(void **state)
{
	struct host_topology *t = malloc(sizeof(*t));
	struct kerr err = { 0 };

	(void)state;
	assert_true(host_topology_read(root, t, &err) < 0);   /* no online file at all */
	assert_non_null(strstr(err.msg, "/sys/devices/system/cpu/online"));
	put("/sys/devices/system/cpu/online", "0-x\n");
	assert_int_equal(host_topology_read(root, t, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "\"0-x\" is not a CPU list"));
	put("/sys/devices/system/cpu/online", "0-4096\n");
	assert_int_equal(host_topology_read(root, t, &err), -EINVAL);
	free(t);
}

static void test_cpulist_syntax(void **state)
{
	uint64_t b[HOST_MAX_CPUS / 64];

	(void)state;
	assert_int_equal(host_cpulist_parse("0-3,8,10-11", b), 0);
	assert_true(b[0] == 0xd0full);
	assert_int_equal(host_cpulist_parse("1023", b), 0);
	assert_true(b[15] == 1ull << 63);
	assert_int_equal(host_cpulist_parse("", b), -EINVAL);
	assert_int_equal(host_cpulist_parse("3-1", b), -EINVAL);
	assert_int_equal(host_cpulist_parse("1,,2", b), -EINVAL);
	assert_int_equal(host_cpulist_parse("1-", b), -EINVAL);
	assert_int_equal(host_cpulist_parse("-1", b), -EINVAL);
	assert_int_equal(host_cpulist_parse("1024", b), -EINVAL);
	assert_int_equal(host_cpulist_parse("2 ", b), -EINVAL);
}

static void test_cpulist_format(void **state)
{
	static const unsigned cpus[] = { 11, 0, 1, 3, 10, 9, 1023 };
	uint64_t b[HOST_MAX_CPUS / 64];
	char buf[64], tiny[8];

	(void)state;
	host_cpulist_format(cpus, 7, buf, sizeof(buf));
	assert_string_equal(buf, "0-1,3,9-11,1023");
	assert_int_equal(host_cpulist_parse(buf, b), 0);   /* what it writes parses back */
	assert_true(b[0] == 0xe0bull && b[15] == 1ull << 63);
	host_cpulist_format(cpus, 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	host_cpulist_format(cpus, 7, tiny, sizeof(tiny));   /* cut, and saying so */
	assert_string_equal(tiny, "0-1,...");
}

/* This host: at least one usable CPU, each in an LLC and a node that exist. */
static void test_this_host(void **state)
{
	struct host_topology *t = malloc(sizeof(*t));
	struct kerr err = { 0 };
	unsigned in_llcs = 0;

	(void)state;
	if (host_topology_read("/", t, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(t->ncpus >= 1 && t->ncpus <= t->online);
	for (unsigned i = 0; i < t->nllcs; i++)
		in_llcs += t->llc[i].ncpus;
	assert_int_equal(in_llcs, t->ncpus);
	for (unsigned i = 0; i < t->ncpus; i++)
		assert_true(t->cpu[i].llc < t->nllcs);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpulist_syntax),
		cmocka_unit_test(test_cpulist_format),
		cmocka_unit_test_setup_teardown(test_one_node_one_llc, tree_new, tree_free),
		cmocka_unit_test_setup_teardown(test_two_nodes_smt, tree_new, tree_free),
		cmocka_unit_test_setup_teardown(test_offline_cpus, tree_new, tree_free),
		cmocka_unit_test_setup_teardown(test_cgroup_cpuset, tree_new, tree_free),
		cmocka_unit_test_setup_teardown(test_no_cache_info, tree_new, tree_free),
		cmocka_unit_test_setup_teardown(test_bad_files_named, tree_new, tree_free),
		cmocka_unit_test(test_this_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
