/* The host check, driven from fake /dev, /sys/module and /proc trees: which KVM backs
 * /dev/kvm (PVM among them), whether a stock kernel can boot, what a run refuses and why,
 * the user namespace limits, the initial ramfs, hugepages; the report in text and JSON. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "vmm/host/host_check.h"

struct tree {
	char root[64];
};

static void put(struct tree *t, const char *rel, const char *content)
{
	fake_tree_put(t->root, rel, content);
}

/* A /dev/kvm that is a character device but no KVM: the real /dev/null. */
static void put_dev_kvm(struct tree *t, const char *target)
{
	char path[PATH_MAX];

	put(t, "/dev", NULL);
	snprintf(path, sizeof(path), "%s/dev/kvm", t->root);
	assert_int_equal(symlink(target, path), 0);
}

static int tree_new(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	char cache[PATH_MAX];

	assert_non_null(t);
	snprintf(t->root, sizeof(t->root), "/tmp/ktstr-host-XXXXXX");
	assert_non_null(mkdtemp(t->root));
	/* The cache check makes the cache directory: keep it inside the tree. */
	snprintf(cache, sizeof(cache), "%s/cache", t->root);
	setenv("XDG_CACHE_HOME", cache, 1);
	*state = t;
	return 0;
}

static int tree_free(void **state)
{
	struct tree *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

static const struct host_check *find(const struct host_report *r, const char *name)
{
	for (unsigned i = 0; i < r->n; i++)
		if (strcmp(r->checks[i].name, name) == 0)
			return &r->checks[i];
	fail_msg("no check named %s", name);
	return NULL;
}

static void run(struct tree *t, struct host_report *r)
{
	const struct host_env env = { .root = t->root, .live = false };

	host_check_run(&env, r);
}

static void test_no_kvm(void **state)
{
	struct tree *t = *state;
	struct host_report r;
	struct host_kvm kvm;
	struct kerr err = { 0 };

	put(t, "/proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme vmx sse\n");
	host_kvm_identify(t->root, &kvm);
	assert_int_equal(kvm.kind, HOST_KVM_NONE);
	assert_false(kvm.stock_kernels);
	assert_true(kvm.cpu_vmx);
	assert_int_equal(host_refuse_unbootable(&kvm, &err), -ENODEV);
	assert_non_null(strstr(err.msg, "no /dev/kvm"));
	assert_non_null(strstr(err.msg, "modprobe kvm_intel"));
	assert_non_null(strstr(err.msg, "scripts/nested-kvm"));
	run(t, &r);
	assert_false(r.native_boot);
	assert_int_equal(find(&r, "kvm-device")->status, HOST_FAIL);
	assert_int_equal(find(&r, "kvm-kind")->status, HOST_FAIL);
	assert_non_null(strstr(find(&r, "kvm-kind")->fix, "modprobe kvm_intel"));
}

/* This project's own kind of machine: /dev/kvm from kvm_pvm, no vmx flag. */
static void test_pvm(void **state)
{
	struct tree *t = *state;
	struct host_report r;
	struct host_kvm kvm;
	struct kerr err = { 0 };

	put_dev_kvm(t, "/dev/null");
	put(t, "/sys/module/kvm/parameters/halt_poll_ns", "200000\n");
	put(t, "/sys/module/kvm_pvm", NULL);
	put(t, "/proc/cpuinfo", "flags\t\t: fpu sse hypervisor\n");
	host_kvm_identify(t->root, &kvm);
	assert_int_equal(kvm.kind, HOST_KVM_PVM);
	assert_false(kvm.stock_kernels);
	assert_int_equal(host_refuse_unbootable(&kvm, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "PVM (kvm_pvm)"));
	assert_non_null(strstr(err.msg, "KVM internal error"));
	assert_non_null(strstr(err.msg, "nested harness (scripts/nested-kvm"));
	assert_non_null(strstr(err.msg, "--no-host-check"));
	run(t, &r);
	assert_false(r.native_boot);
	assert_int_equal(find(&r, "kvm-device")->status, HOST_OK);
	assert_int_equal(find(&r, "kvm-kind")->status, HOST_FAIL);
	assert_non_null(strstr(find(&r, "kvm-kind")->detail, "PVM-enabled guest kernels"));
	assert_non_null(strstr(find(&r, "kvm-kind")->fix, "nested harness"));
	/* /dev/null answers no KVM ioctl. */
	assert_int_equal(find(&r, "kvm-api")->status, HOST_FAIL);
	assert_non_null(strstr(find(&r, "kvm-nested")->detail, "itself a virtual machine"));
}

/* PVM wins over a stray kvm_intel entry: a stock kernel is what must not be promised. */
static void test_pvm_beside_intel(void **state)
{
	struct tree *t = *state;
	struct host_kvm kvm;

	put_dev_kvm(t, "/dev/null");
	put(t, "/sys/module/kvm_pvm", NULL);
	put(t, "/sys/module/kvm_intel", NULL);
	host_kvm_identify(t->root, &kvm);
	assert_int_equal(kvm.kind, HOST_KVM_PVM);
	assert_false(kvm.stock_kernels);
}

static void test_hardware_kvm(void **state)
{
	struct tree *t = *state;
	struct host_report r;
	struct host_kvm kvm;
	struct kerr err = { 0 };

	put_dev_kvm(t, "/dev/null");
	put(t, "/sys/module/kvm_amd/parameters/nested", "1\n");
	host_kvm_identify(t->root, &kvm);
	assert_int_equal(kvm.kind, HOST_KVM_AMD);
	assert_true(kvm.stock_kernels);
	assert_int_equal(host_refuse_unbootable(&kvm, &err), 0);
	run(t, &r);
	assert_int_equal(find(&r, "kvm-kind")->status, HOST_OK);
	assert_non_null(strstr(find(&r, "kvm-nested")->detail, "kvm_amd nested=1: KVM offers"));
}

static void test_intel_without_nesting(void **state)
{
	struct tree *t = *state;
	struct host_report r;

	put_dev_kvm(t, "/dev/null");
	put(t, "/sys/module/kvm_intel/parameters/nested", "N\n");
	run(t, &r);
	assert_int_equal(r.kvm.kind, HOST_KVM_INTEL);
	assert_true(r.kvm.stock_kernels);
	assert_int_equal(find(&r, "kvm-kind")->status, HOST_OK);
	assert_non_null(strstr(find(&r, "kvm-nested")->detail, "kvm_intel nested=N: KVM does not offer"));
}

/* No module we know: the CPU's flags decide, matched as whole words. */
static void test_unknown_module(void **state)
{
	struct tree *t = *state;
	struct host_report r;
	struct host_kvm kvm;
	struct kerr err = { 0 };

	put_dev_kvm(t, "/dev/null");
	put(t, "/proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu svmx vmxe\n");
	host_kvm_identify(t->root, &kvm);
	assert_int_equal(kvm.kind, HOST_KVM_UNKNOWN);
	assert_false(kvm.cpu_vmx || kvm.cpu_svm);
	assert_false(kvm.stock_kernels);
	assert_int_equal(host_refuse_unbootable(&kvm, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "neither VT-x nor SVM"));
	run(t, &r);
	assert_int_equal(find(&r, "kvm-kind")->status, HOST_FAIL);
	put(t, "/proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu svm\nprocessor\t: 1\n");
	host_kvm_identify(t->root, &kvm);
	assert_true(kvm.cpu_svm);
	assert_true(kvm.stock_kernels);
	assert_int_equal(host_refuse_unbootable(&kvm, &err), 0);
	run(t, &r);
	assert_int_equal(find(&r, "kvm-kind")->status, HOST_WARN);
}

/* With the host's own /dev/kvm behind a tree that says kvm_intel, every KVM check runs for
 * real and the verdict is a native boot: the path a hardware host takes. */
static void test_real_kvm_passes(void **state)
{
	struct tree *t = *state;
	struct host_report r;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		skip();
	close(fd);
	put_dev_kvm(t, "/dev/kvm");
	put(t, "/sys/module/kvm_intel", NULL);
	run(t, &r);
	assert_int_equal(find(&r, "kvm-api")->status, HOST_OK);
	assert_int_equal(find(&r, "kvm-vm")->status, HOST_OK);
	assert_non_null(strstr(find(&r, "kvm-vm")->detail, "CPUID leaves"));
	assert_int_equal(find(&r, "seccomp")->status, HOST_OK);
	assert_true(r.native_boot);
}

static void test_userns_limits(void **state)
{
	struct tree *t = *state;
	struct host_report r;
	const struct host_check *c;

	put(t, "/proc/sys/user/max_user_namespaces", "0\n");
	run(t, &r);
	c = find(&r, "userns");
	assert_int_equal(c->status, HOST_WARN);
	assert_non_null(strstr(c->detail, "user.max_user_namespaces is 0"));
	assert_non_null(strstr(c->fix, "--sandbox standard"));
	put(t, "/proc/sys/user/max_user_namespaces", "1000\n");
	put(t, "/proc/self/mountinfo", "1 1 0:2 / / rw - rootfs rootfs rw\n");
	run(t, &r);
	c = find(&r, "userns");
	if (geteuid() == 0) {
		assert_int_equal(c->status, HOST_OK);
		assert_non_null(strstr(c->detail, "/ is the initial ramfs"));
	}
	put(t, "/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1\n");
	put(t, "/proc/self/mountinfo", "22 1 254:1 / / rw - ext4 /dev/vda rw\n");
	run(t, &r);
	c = find(&r, "userns");
	if (geteuid() != 0) {
		assert_int_equal(c->status, HOST_WARN);
		assert_non_null(strstr(c->detail, "apparmor_restrict_unprivileged_userns is 1"));
	} else {
		assert_int_equal(c->status, HOST_OK);   /* root is not restricted by it */
		assert_null(strstr(c->detail, "initial ramfs"));
	}
}

static void test_cache_and_hugepages(void **state)
{
	struct tree *t = *state;
	struct host_report r;
	char dir[PATH_MAX];
	struct stat st;

	put(t, "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "3\n");
	put(t, "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "8\n");
	put(t, "/sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
	run(t, &r);
	assert_non_null(strstr(find(&r, "hugepages")->detail, "3 free of 8; transparent hugepages: madvise"));
	assert_int_equal(find(&r, "cache-dir")->status, HOST_OK);
	snprintf(dir, sizeof(dir), "%s/cache/ktstr-vmm/initramfs", t->root);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_non_null(strstr(find(&r, "cache-dir")->detail, dir));
	/* A cache that cannot be made is a warning: runs then build without it. */
	setenv("XDG_CACHE_HOME", "/proc/ktstr-no-such-cache", 1);
	run(t, &r);
	assert_int_equal(find(&r, "cache-dir")->status, HOST_WARN);
	assert_non_null(strstr(find(&r, "cache-dir")->detail, "/proc/ktstr-no-such-cache"));
}

/* The CPUs a run may use, from the tree's /sys (test_host_topology covers the reader): a
 * warning naming the file when it cannot be read, never a failure. */
static void test_host_cpus(void **state)
{
	struct tree *t = *state;
	struct host_report r;

	run(t, &r);
	assert_int_equal(find(&r, "host-cpus")->status, HOST_WARN);
	assert_non_null(strstr(find(&r, "host-cpus")->detail, "/sys/devices/system/cpu/online"));
	put(t, "/sys/devices/system/cpu/online", "0-1\n");
	put(t, "/sys/devices/system/cpu/cpu0/topology/thread_siblings_list", "0-1\n");
	put(t, "/sys/devices/system/cpu/cpu1/topology/thread_siblings_list", "0-1\n");
	run(t, &r);
	assert_int_equal(find(&r, "host-cpus")->status, HOST_OK);
	assert_string_equal(find(&r, "host-cpus")->detail,
			    "2 usable CPUs in 1 last-level cache on 1 NUMA node, SMT on");
}

static void test_report_text_and_json(void **state)
{
	struct tree *t = *state;
	struct host_report r;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	put_dev_kvm(t, "/dev/null");
	put(t, "/sys/module/kvm_pvm", NULL);
	run(t, &r);
	f = open_memstream(&text, &len);
	host_report_print(&r, f);
	fclose(f);
	assert_non_null(strstr(text, "ok   kvm-device "));
	assert_non_null(strstr(text, "fail kvm-kind   kvm_pvm (PVM)"));
	assert_non_null(strstr(text, " -- fix: boot through the nested harness"));
	assert_non_null(strstr(text, "verdict: no native boot here (kvm-kind failed; KVM: kvm_pvm)"));
	free(text);
	f = open_memstream(&text, &len);
	host_report_print_json(&r, f);
	fclose(f);
	assert_non_null(strstr(text, "\"native_boot\": false"));
	assert_non_null(strstr(text, "\"kvm\": \"kvm_pvm\""));
	assert_non_null(strstr(text, "{\"name\": \"kvm-kind\", \"status\": \"fail\", \"detail\": \"kvm_pvm"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_kvm, tree_new, tree_free),
		cmocka_unit_test_setup_teardown(test_pvm, tree_new, tree_free),
		cmocka_unit_test_setup_teardown(test_pvm_beside_intel, tree_new, tree_free),
		cmocka_unit_test_setup_teardown(test_hardware_kvm, tree_new, tree_free),
		cmocka_unit_test_setup_teardown(test_intel_without_nesting, tree_new, tree_free),
		cmocka_unit_test_setup_teardown(test_unknown_module, tree_new, tree_free),
		cmocka_unit_test_setup_teardown(test_real_kvm_passes, tree_new, tree_free),
		cmocka_unit_test_setup_teardown(test_userns_limits, tree_new, tree_free),
		cmocka_unit_test_setup_teardown(test_cache_and_hugepages, tree_new, tree_free),
		cmocka_unit_test_setup_teardown(test_host_cpus, tree_new, tree_free),
		cmocka_unit_test_setup_teardown(test_report_text_and_json, tree_new, tree_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
