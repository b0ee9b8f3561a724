/* --performance's settings (vmm/performance.c, performance_memory.c, perf_report.c): the
 * report and its JSON, the TSC check on made-up /sys and /proc trees, guest RAM that cannot
 * go on huge pages, binding and prefaulting, and the KVM settings on this host's KVM when it
 * has one (skipped without /dev/kvm; they need no guest). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/mempolicy.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/support/fake_tree.h"
#include "vmm/performance.h"

static char root[64];

static void put(const char *rel, const char *text)
{
	fake_tree_put(root, rel, text);
}

static void test_report(void **state)
{
	struct perf_report r = { .requested = true };
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	perf_note(&r, "hugepages", false, "%d 2 MiB pages needed", 128);
	perf_note(&r, "tsc", true, "stable");
	perf_note(&r, "hugepages", true, "on \"2 MiB\" pages");   /* replaces, keeps its place */
	assert_int_equal(r.n, 2);
	assert_true(perf_find(&r, "hugepages")->applied);
	assert_null(perf_find(&r, "mbind"));
	for (unsigned i = 0; i < 2 * PERF_MAX_SETTINGS; i++)     /* full: more names are dropped */
		perf_note(&r, i & 1 ? "a" : "b", true, "%u", i);
	assert_int_equal(r.n, 4);
	assert_non_null(f = open_memstream(&text, &len));
	perf_write_json(f, &r);
	fclose(f);
	assert_non_null(strstr(text, "\"performance\": { \"requested\": true, \"settings\": {\n"
				     "    \"hugepages\": { \"applied\": true, \"detail\": \"on \\\"2 MiB\\\" pages\" },\n"
				     "    \"tsc\": { \"applied\": true, \"detail\": \"stable\" },"));
	free(text);
	perf_note(&r, "tsc", false, "hpet");
	assert_non_null(f = open_memstream(&text, &len));
	perf_print_refusals(&r, f);
	fclose(f);
	assert_string_equal(text, "ktstr-vmm: --performance: tsc refused: hpet\n");
	free(text);
	r = (struct perf_report){ 0 };   /* nothing noted, nothing asked: no block at all */
	assert_non_null(f = open_memstream(&text, &len));
	perf_write_json(f, &r);
	fclose(f);
	assert_string_equal(text, "");
	free(text);
}

static void tsc_host(const char *source, const char *flags)
{
	char cpuinfo[256];

	put("/sys/devices/system/clocksource/clocksource0/current_clocksource", source);
	snprintf(cpuinfo, sizeof(cpuinfo), "processor\t: 0\nflags\t\t: fpu %s\n\nprocessor\t: 1\n"
		 "flags\t\t: fpu\n", flags);
	put("/proc/cpuinfo", cpuinfo);
}

static void test_tsc(void **state)
{
	struct perf_report r = { 0 };
	char path[256];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/ktstr-perf-XXXXXX");
	assert_non_null(mkdtemp(root));
	tsc_host("tsc\n", "constant_tsc nonstop_tsc");
	performance_check_tsc(root, &r);
	assert_true(perf_find(&r, "tsc")->applied);
	tsc_host("hpet\n", "constant_tsc nonstop_tsc");
	performance_check_tsc(root, &r);
	assert_false(perf_find(&r, "tsc")->applied);
	assert_non_null(strstr(perf_find(&r, "tsc")->detail, "the host clocksource is hpet;"));
	tsc_host("tsc\n", "constant_tsc nonstop_tsc_s");   /* a longer flag is not the flag */
	performance_check_tsc(root, &r);
	assert_false(perf_find(&r, "tsc")->applied);
	assert_non_null(strstr(perf_find(&r, "tsc")->detail, "is tsc, no nonstop_tsc"));
	snprintf(path, sizeof(path), "%s/sys/devices/system/clocksource/clocksource0/current_clocksource", root);
	assert_int_equal(unlink(path), 0);
	performance_check_tsc(root, &r);
	assert_non_null(strstr(perf_find(&r, "tsc")->detail, "clocksource is unknown"));
	snprintf(path, sizeof(path), "rm -rf %s", root);
	assert_int_equal(system(path), 0);
}

/* RAM that cannot be on 2 MiB pages still boots on 4 KiB ones, saying why; then it is bound
 * to this host's node 0 and faulted in. */
static void test_memory(void **state)
{
	static struct vmm_config cfg;
	struct performance p;
	struct perf_report r = { 0 };
	struct guest_memory m;
	struct acpi_mem_range range = { .gpa = 0, .size = 65ull << 20, .node = 0, .offset = 0 };
	struct kerr err = { 0 };

	(void)state;
	performance_init(&p);
	p.on = true;
	cfg.memory_mib = 65;
	assert_int_equal(topology_uniform(&cfg.topo, 1, 1, 1, 1, 65, &err), 0);
	assert_int_equal(performance_create_memory(&p, &cfg, &m, &r, &err), 0);
	assert_false(m.huge);
	assert_false(perf_find(&r, "hugepages")->applied);
	assert_string_equal(perf_find(&r, "hugepages")->detail,
			    "65 MiB is not a whole number of 2 MiB pages: guest RAM on 4 KiB pages");
	guest_memory_destroy(&m);
	/* even in all, odd per node: mbind would split a 2 MiB page at the border */
	cfg.memory_mib = 258;
	assert_int_equal(topology_uniform(&cfg.topo, 3, 3, 1, 1, 258, &err), 0);   /* 86 86 86 */
	cfg.topo.node[0].mem_mib = 87;
	cfg.topo.node[1].mem_mib = 85;
	assert_int_equal(performance_create_memory(&p, &cfg, &m, &r, &err), 0);
	assert_string_equal(perf_find(&r, "hugepages")->detail, "NUMA node 0's 87 MiB is not a whole "
			    "number of 2 MiB pages: guest RAM on 4 KiB pages");
	guest_memory_destroy(&m);
	cfg.memory_mib = 65;
	assert_int_equal(topology_uniform(&cfg.topo, 1, 1, 1, 1, 65, &err), 0);
	assert_int_equal(performance_create_memory(&p, &cfg, &m, &r, &err), 0);
	assert_int_equal(performance_bind_memory(&p, &m, &range, 1, &r, &err), 0);
	if (perf_find(&r, "mbind")->applied) {   /* the kernel holds the policy for that RAM */
		int mode = -1;
		unsigned long mask = 0;

		assert_int_equal(syscall(SYS_get_mempolicy, &mode, &mask, 65, m.base + (32 << 20), MPOL_F_ADDR), 0);
		assert_int_equal(mode, MPOL_BIND);
		assert_int_equal(mask, 1);
	} else {                                 /* a kernel without NUMA says ENOSYS */
		assert_non_null(strstr(perf_find(&r, "mbind")->detail, "Function not implemented"));
	}
	assert_true(perf_find(&r, "prefault")->applied);
	assert_non_null(strstr(perf_find(&r, "prefault")->detail, "65 MiB faulted in"));
	guest_memory_destroy(&m);
	p.on = false;   /* without --performance: plain RAM, nothing noted */
	r = (struct perf_report){ 0 };
	assert_int_equal(performance_create_memory(&p, &cfg, &m, &r, &err), 0);
	assert_int_equal(performance_bind_memory(&p, &m, &range, 1, &r, &err), 0);
	assert_int_equal(r.n, 0);
	guest_memory_destroy(&m);
}

/* On this host's KVM (PVM included: no guest runs): every setting either applied or refused
 * with a reason, the hint in the table every vCPU starts from; without --performance only
 * halt polling, and only when the vCPUs outnumber the CPUs. */
static void test_kvm_settings(void **state)
{
	struct performance p;
	struct perf_report r = { .requested = true };
	struct kvm_vm kvm;
	struct kerr err = { 0 };
	const char *names[] = { "halt_poll", "disable_exits", "realtime_hint" };
	int offered, want, vcpu;

	(void)state;
	if (access("/dev/kvm", R_OK | W_OK) < 0)
		skip();
	assert_int_equal(kvm_vm_create(&kvm, &err), 0);
	performance_init(&p);
	p.on = true;
	performance_kvm(&p, &kvm, 1, &r);
	for (unsigned i = 0; i < 3; i++) {
		const struct perf_setting *s = perf_find(&r, names[i]);

		assert_non_null(s);
		assert_true(strlen(s->detail) > 10);
		print_message("%s: %s: %s\n", names[i], s->applied ? "applied" : "refused", s->detail);
	}
	offered = ioctl(kvm.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_DISABLE_EXITS);
	want = KVM_X86_DISABLE_EXITS_HLT | KVM_X86_DISABLE_EXITS_PAUSE;
	assert_int_equal(perf_find(&r, "disable_exits")->applied, offered > 0 && (offered & want) == want);
	if (perf_find(&r, "disable_exits")->applied)   /* then there is no halt to poll on */
		assert_non_null(strstr(perf_find(&r, "halt_poll")->detail, "not needed"));
	if (perf_find(&r, "realtime_hint")->applied)
		for (unsigned i = 0; i < kvm.supported_cpuid->nent; i++)
			if (kvm.supported_cpuid->entries[i].function == 0x40000001)
				assert_int_equal(kvm.supported_cpuid->entries[i].edx & 1, 1);
	kvm_vm_destroy(&kvm);

	/* too late, once a vCPU exists: KVM refuses, and the report says so */
	assert_int_equal(kvm_vm_create(&kvm, &err), 0);
	vcpu = ioctl(kvm.vm_fd, KVM_CREATE_VCPU, 0ul);
	assert_true(vcpu >= 0);
	r = (struct perf_report){ .requested = true };
	performance_kvm(&p, &kvm, 1, &r);
	if (offered > 0) {
		assert_false(perf_find(&r, "disable_exits")->applied);
		assert_non_null(strstr(perf_find(&r, "disable_exits")->detail, "KVM_ENABLE_CAP"));
	}
	close(vcpu);
	kvm_vm_destroy(&kvm);

	assert_int_equal(kvm_vm_create(&kvm, &err), 0);
	p.on = false;
	r = (struct perf_report){ 0 };
	performance_kvm(&p, &kvm, 1, &r);
	assert_int_equal(r.n, 0);
	performance_kvm(&p, &kvm, 4096, &r);
	assert_non_null(perf_find(&r, "halt_poll"));
	assert_non_null(strstr(perf_find(&r, "halt_poll")->detail, "off: 4096 vCPUs on"));
	kvm_vm_destroy(&kvm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_tsc),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_kvm_settings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
