/* The vCPU exit dispatch (vmm/vcpu_exit.c) on a kvm_run of the test's own, with fake buses:
 * port and MMIO exits reach the right handler with the right bytes, a `rep outs` stops at
 * the VM's end, and each way a vCPU can end the VM ends it once, with the reason and what
 * KVM said. The vCPU has no fd here (-1): what needs its registers says they could not be
 * read, as it would if KVM refused. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/vcpu.h"

struct recorder {
	unsigned accesses;
	uint64_t last_offset;
	bool last_write;
	uint8_t bytes[64];
	unsigned nbytes;
	atomic_bool *stop_after;       /* set stopping after this many accesses */
	unsigned stop_at;
	unsigned ends;
	enum vm_end_reason reason;
	char why[KERR_MSG_MAX];
};

struct fixture {
	struct io_bus pio, mmio;
	atomic_bool stopping;
	struct vcpu_env env;
	struct vcpu v;
	struct recorder rec;
	union {
		struct kvm_run run;
		uint8_t page[4096];
	} *run;
};

static void record(void *opaque, uint64_t offset, bool is_write, uint8_t *data, unsigned size)
{
	struct recorder *r = opaque;

	r->accesses++;
	r->last_offset = offset;
	r->last_write = is_write;
	if (!is_write)
		memset(data, 0x5a, size);
	else if (r->nbytes + size <= sizeof(r->bytes)) {
		memcpy(r->bytes + r->nbytes, data, size);
		r->nbytes += size;
	}
	if (r->stop_after && r->accesses == r->stop_at)
		atomic_store(r->stop_after, true);
}

static void on_end(void *opaque, enum vm_end_reason reason, const struct kerr *why)
{
	struct recorder *r = opaque;

	r->ends++;
	r->reason = reason;
	snprintf(r->why, sizeof(r->why), "%s", why ? why->msg : "");
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->run = calloc(1, sizeof(*f->run));
	assert_int_equal(io_bus_add(&f->pio, 0x3f8, 8, record, &f->rec), 0);
	assert_int_equal(io_bus_add(&f->mmio, 0xc0000000ull, 0x1000, record, &f->rec), 0);
	f->env = (struct vcpu_env){ .pio = &f->pio, .mmio = &f->mmio, .stopping = &f->stopping,
				    .end = on_end, .opaque = &f->rec };
	f->v = (struct vcpu){ .env = &f->env, .index = 3, .fd = -1, .run = &f->run->run };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->run);
	free(f);
	return 0;
}

/* `rep outsb` of three bytes to COM1's data port + 1: three accesses, in order. */
static void test_port_out(void **state)
{
	struct fixture *f = *state;
	struct kvm_run *run = &f->run->run;

	run->exit_reason = KVM_EXIT_IO;
	run->io = (typeof(run->io)){ .direction = KVM_EXIT_IO_OUT, .size = 1, .port = 0x3f9,
				     .count = 3, .data_offset = 256 };
	memcpy(f->run->page + 256, "abc", 3);
	assert_true(vcpu_handle_exit(&f->v));
	assert_int_equal(f->rec.accesses, 3);
	assert_int_equal(f->rec.last_offset, 1);
	assert_true(f->rec.last_write);
	assert_memory_equal(f->rec.bytes, "abc", 3);
	assert_int_equal(f->rec.ends, 0);
}

/* A port read fills KVM's data area; a port nobody serves reads as all ones. */
static void test_port_in(void **state)
{
	struct fixture *f = *state;
	struct kvm_run *run = &f->run->run;

	run->exit_reason = KVM_EXIT_IO;
	run->io = (typeof(run->io)){ .direction = KVM_EXIT_IO_IN, .size = 2, .port = 0x3fa,
				     .count = 1, .data_offset = 512 };
	assert_true(vcpu_handle_exit(&f->v));
	assert_int_equal(f->run->page[512], 0x5a);
	assert_int_equal(f->run->page[513], 0x5a);
	run->io.port = 0x80;
	assert_true(vcpu_handle_exit(&f->v));
	assert_int_equal(f->run->page[512], 0xff);
	assert_int_equal(f->rec.accesses, 1);
}

/* A long `rep outs` stops as soon as the VM is ending. */
static void test_rep_outs_stops_at_the_end(void **state)
{
	struct fixture *f = *state;
	struct kvm_run *run = &f->run->run;

	f->rec.stop_after = &f->stopping;
	f->rec.stop_at = 5;
	run->exit_reason = KVM_EXIT_IO;
	run->io = (typeof(run->io)){ .direction = KVM_EXIT_IO_OUT, .size = 1, .port = 0x3f8,
				     .count = 1000, .data_offset = 256 };
	vcpu_handle_exit(&f->v);
	assert_int_equal(f->rec.accesses, 5);
}

static void test_mmio(void **state)
{
	struct fixture *f = *state;
	struct kvm_run *run = &f->run->run;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = 0xc0000070ull;
	run->mmio.is_write = 1;
	run->mmio.len = 4;
	memcpy(run->mmio.data, "\x0f\0\0\0", 4);
	assert_true(vcpu_handle_exit(&f->v));
	assert_int_equal(f->rec.last_offset, 0x70);
	assert_memory_equal(f->rec.bytes, "\x0f\0\0\0", 4);
	run->mmio.phys_addr = 0xd0000000ull;   /* outside every window: ignored */
	assert_true(vcpu_handle_exit(&f->v));
	assert_int_equal(f->rec.accesses, 1);
	run->exit_reason = KVM_EXIT_INTR;      /* a kick: back into KVM_RUN */
	assert_true(vcpu_handle_exit(&f->v));
	assert_int_equal(f->rec.ends, 0);
}

static void expect_end(struct fixture *f, uint32_t exit_reason, enum vm_end_reason reason,
		       const char *says)
{
	f->rec.ends = 0;
	f->run->run.exit_reason = exit_reason;
	assert_false(vcpu_handle_exit(&f->v));
	assert_int_equal(f->rec.ends, 1);
	assert_int_equal(f->rec.reason, reason);
	if (says && !strstr(f->rec.why, says))
		fail_msg("exit %u: \"%s\" does not say \"%s\"", exit_reason, f->rec.why, says);
}

static void test_how_a_vcpu_ends_the_vm(void **state)
{
	struct fixture *f = *state;
	struct kvm_run *run = &f->run->run;

	expect_end(f, KVM_EXIT_SHUTDOWN, VM_END_GUEST_RESET, "triple fault on vCPU 3");
	run->system_event.type = KVM_SYSTEM_EVENT_SHUTDOWN;
	expect_end(f, KVM_EXIT_SYSTEM_EVENT, VM_END_GUEST_SHUTDOWN, NULL);
	run->system_event.type = KVM_SYSTEM_EVENT_RESET;
	expect_end(f, KVM_EXIT_SYSTEM_EVENT, VM_END_GUEST_RESET, NULL);
	run->fail_entry.hardware_entry_failure_reason = 0x21;
	expect_end(f, KVM_EXIT_FAIL_ENTRY, VM_END_HOST_ERROR, "vCPU 3: VM entry failed (0x21)");
	run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	expect_end(f, KVM_EXIT_INTERNAL_ERROR, VM_END_HOST_ERROR,
		   "vCPU 3: KVM internal error, suberror 1 (its registers could not be read)");
	expect_end(f, KVM_EXIT_HYPERCALL, VM_END_HOST_ERROR, "vCPU 3: unexpected KVM exit (0x3)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_port_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_in, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rep_outs_stops_at_the_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_how_a_vcpu_ends_the_vm, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
