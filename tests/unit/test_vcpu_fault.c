/* What a KVM internal error report says: the suberror by name, the vCPU's mode, the
 * instruction bytes (KVM's own, else those read from guest memory) and the other data
 * words, with every length KVM gives clamped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/vcpu_fault.h"

static const uint8_t shlx[] = { 0xc4, 0x42, 0x69, 0xf7, 0xc0 };

static struct kvm_sregs long_mode(void)
{
	struct kvm_sregs s = { .cr0 = 0x80050033, .efer = 0xd01 };

	s.cs.l = 1;
	s.cs.selector = 0x10;
	return s;
}

static void test_modes(void **state)
{
	struct kvm_sregs s = { 0 };
	char buf[64];

	(void)state;
	vcpu_fault_mode(&s, buf, sizeof(buf));
	assert_string_equal(buf, "real mode");
	s.cr0 = 1;
	s.cs.db = 1;
	s.cs.selector = 0x23;
	vcpu_fault_mode(&s, buf, sizeof(buf));
	assert_string_equal(buf, "32-bit protected mode, CPL 3, paging off");
	s = long_mode();
	vcpu_fault_mode(&s, buf, sizeof(buf));
	assert_string_equal(buf, "64-bit mode, CPL 0, paging on");
	s.cs.l = 0;
	vcpu_fault_mode(&s, buf, sizeof(buf));
	assert_string_equal(buf, "compatibility mode, CPL 0, paging on");
}

static void emulation_failure(struct kvm_run *run, uint8_t insn_size)
{
	memset(run, 0, sizeof(*run));
	run->emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->emulation_failure.ndata = 4;
	run->emulation_failure.flags = KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
	run->emulation_failure.insn_size = insn_size;
	memset(run->emulation_failure.insn_bytes, 0x90, sizeof(run->emulation_failure.insn_bytes));
	memcpy(run->emulation_failure.insn_bytes, shlx, sizeof(shlx));
	run->internal.data[3] = 0x1000;
}

/* As a PVM host reports a stock kernel's decompressor (seen on one: SHLX at 0x474221d). */
static void test_emulation_failure_with_kvm_bytes(void **state)
{
	struct kvm_run run;
	struct kvm_regs regs = { .rip = 0x474221d };
	struct kvm_sregs sregs = long_mode();
	uint8_t insn[VCPU_FAULT_INSN_MAX];
	char out[512];
	size_t n;

	(void)state;
	emulation_failure(&run, sizeof(shlx));
	n = vcpu_fault_insn_from_kvm(&run, insn);
	assert_int_equal(n, sizeof(shlx));
	assert_memory_equal(insn, shlx, sizeof(shlx));
	vcpu_fault_internal(&run, &regs, &sregs, insn, n, "from KVM", out, sizeof(out));
	assert_string_equal(out, "KVM internal error, suberror 1 (emulation failure: KVM could not "
			    "emulate an instruction), at rip 0x474221d in 64-bit mode, CPL 0, paging on; "
			    "instruction bytes (from KVM): c4 42 69 f7 c0; further data: 0x1000");
}

/* KVM's lengths are clamped: an instruction is at most 15 bytes, data at most 16 words. */
static void test_lengths_clamped(void **state)
{
	struct kvm_run run;
	struct kvm_regs regs = { 0 };
	struct kvm_sregs sregs = { 0 };
	uint8_t insn[VCPU_FAULT_INSN_MAX];
	char out[1024];

	(void)state;
	emulation_failure(&run, 200);
	assert_int_equal(vcpu_fault_insn_from_kvm(&run, insn), VCPU_FAULT_INSN_MAX);
	run.internal.ndata = 1000;
	vcpu_fault_internal(&run, &regs, &sregs, insn, VCPU_FAULT_INSN_MAX, "from KVM", out, sizeof(out));
	assert_non_null(strstr(out, "c4 42 69 f7 c0 90 90 90 90 90 90 90 90 90 90;"));
	/* Words 3..15: thirteen of them. */
	assert_non_null(strstr(out, "further data: 0x1000 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0"));
	assert_null(strstr(out, "0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0"));
}

/* No bytes from KVM (older kernels, other suberrors): the flags word is not trusted, and the
 * bytes read from guest memory are named as such. */
static void test_other_suberrors(void **state)
{
	struct kvm_run run;
	struct kvm_regs regs = { .rip = 0xfff0 };
	struct kvm_sregs sregs = { 0 };
	uint8_t insn[VCPU_FAULT_INSN_MAX];
	char out[512];

	(void)state;
	memset(&run, 0, sizeof(run));
	run.internal.suberror = KVM_INTERNAL_ERROR_DELIVERY_EV;
	run.internal.ndata = 2;
	run.internal.data[0] = 0x80000b0e;
	run.internal.data[1] = 0x7;
	assert_int_equal(vcpu_fault_insn_from_kvm(&run, insn), 0);
	vcpu_fault_internal(&run, &regs, &sregs, shlx, 2, "read from guest memory", out, sizeof(out));
	assert_string_equal(out, "KVM internal error, suberror 3 (unexpected exit while delivering an "
			    "event), at rip 0xfff0 in real mode; instruction bytes (read from guest "
			    "memory): c4 42; data: 0x80000b0e 0x7");
	run.internal.suberror = 99;
	run.internal.ndata = 0;
	vcpu_fault_internal(&run, &regs, &sregs, NULL, 0, "", out, sizeof(out));
	assert_string_equal(out, "KVM internal error, suberror 99 (not one KVM documents), at rip "
			    "0xfff0 in real mode; instruction bytes not available");
}

/* A short buffer cuts the text and stays terminated. */
static void test_short_buffer(void **state)
{
	struct kvm_run run;
	struct kvm_regs regs = { 0 };
	struct kvm_sregs sregs = long_mode();
	char out[24];

	(void)state;
	emulation_failure(&run, sizeof(shlx));
	run.internal.ndata = 16;
	vcpu_fault_internal(&run, &regs, &sregs, shlx, sizeof(shlx), "from KVM", out, sizeof(out));
	assert_string_equal(out, "KVM internal error, sub");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_emulation_failure_with_kvm_bytes),
		cmocka_unit_test(test_lengths_clamped),
		cmocka_unit_test(test_other_suberrors),
		cmocka_unit_test(test_short_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
