/* What a vCPU does with each KVM exit: port and MMIO accesses go to the environment's buses;
 * a shutdown, reset, failed entry or internal error ends the VM through its end callback,
 * with what KVM reported. No struct vm here: tests drive it with a kvm_run of their own. */
#include "vmm/vcpu.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/vcpu_fault.h"

#define RESET_RIP 0xfff0          /* where a vCPU starts after RESET or INIT */
#define RESET_CS_BASE 0xffff0000u

static void end(struct vcpu *v, enum vm_end_reason reason, const struct kerr *why)
{
	v->env->end(v->env->opaque, reason, why);
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

	/* A long `rep outs` to a port whose device is behind must not outlast the VM's end. */
	for (uint32_t i = 0; i < run->io.count && !atomic_load(v->env->stopping); i++, data += run->io.size)
		io_bus_access(v->env->pio, run->io.port, is_write, data, run->io.size);
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	io_bus_access(v->env->mmio, run->mmio.phys_addr, run->mmio.is_write, run->mmio.data,
			run->mmio.len);
}

void vcpu_fail(struct vcpu *v, const char *what, unsigned long long detail)
{
	struct kvm_regs regs;
	struct kerr e;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		memset(&regs, 0, sizeof(regs));
	kerr_set(&e, EIO, "vCPU %u: %s (0x%llx) at rip 0x%llx", v->index, what, detail,
		 (unsigned long long)regs.rip);
	end(v, VM_END_HOST_ERROR, &e);
}

/* The bytes at rip from guest memory, up to the end of their page, when KVM gave none. */
static size_t read_insn(struct vcpu *v, const struct kvm_sregs *sregs, uint64_t rip,
			uint8_t insn[VCPU_FAULT_INSN_MAX])
{
	struct kvm_translation t = { .linear_address = sregs->cs.base + rip };
	size_t n = VCPU_FAULT_INSN_MAX;
	const uint8_t *p;

	if (ioctl(v->fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
		return 0;
	if (4096 - (t.physical_address & 4095) < n)
		n = 4096 - (t.physical_address & 4095);
	p = guest_memory_ptr(v->env->mem, t.physical_address, n);
	if (!p)
		return 0;
	memcpy(insn, p, n);
	return n;
}

static void report_internal_error(struct vcpu *v)
{
	struct kvm_regs regs = { 0 };
	struct kvm_sregs sregs = { 0 };
	uint8_t insn[VCPU_FAULT_INSN_MAX];
	const char *src = "from KVM";
	char text[KERR_MSG_MAX - 16];
	size_t n;
	struct kerr why;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0 || ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0) {
		kerr_set(&why, EIO, "vCPU %u: KVM internal error, suberror %u (its registers could not "
			 "be read)", v->index, v->run->internal.suberror);
		end(v, VM_END_HOST_ERROR, &why);
		return;
	}
	n = vcpu_fault_insn_from_kvm(v->run, insn);
	if (!n) {
		n = read_insn(v, &sregs, regs.rip, insn);
		src = "read from guest memory";
	}
	vcpu_fault_internal(v->run, &regs, &sregs, insn, n, src, text, sizeof(text));
	kerr_set(&why, EIO, "vCPU %u: %s", v->index, text);
	end(v, VM_END_HOST_ERROR, &why);
}

/* On AMD, KVM has already reset the vCPU (INIT state) when it reports the shutdown, so its
 * registers then say nothing about where it faulted: the message says so instead of
 * printing the reset vector as if the guest had been there. */
static void report_triple_fault(struct vcpu *v)
{
	struct kvm_regs regs = { 0 };
	struct kvm_sregs sregs = { 0 };
	struct kerr why;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0 || ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		kerr_set(&why, EIO, "triple fault on vCPU %u (its registers could not be read)",
			 v->index);
	else if (regs.rip == RESET_RIP && sregs.cs.base == RESET_CS_BASE)
		kerr_set(&why, EIO, "triple fault on vCPU %u (where is unknown: KVM had already "
			 "reset the vCPU, as it does on AMD)", v->index);
	else
		kerr_set(&why, EIO, "triple fault on vCPU %u at rip 0x%llx (cr0 0x%llx, cr3 0x%llx)",
			 v->index, (unsigned long long)regs.rip, (unsigned long long)sregs.cr0,
			 (unsigned long long)sregs.cr3);
	end(v, VM_END_GUEST_RESET, &why);
}

bool vcpu_handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO: handle_io(v); return true;
	case KVM_EXIT_MMIO: handle_mmio(v); return true;
	case KVM_EXIT_INTR: return true;
	case KVM_EXIT_SHUTDOWN:   /* a triple fault: how a PC resets when nothing else works */
		report_triple_fault(v);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		end(v, run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ?
			       VM_END_GUEST_SHUTDOWN : VM_END_GUEST_RESET, NULL);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		vcpu_fail(v, "VM entry failed", run->fail_entry.hardware_entry_failure_reason);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		report_internal_error(v);
		return false;
	default:
		vcpu_fail(v, "unexpected KVM exit", run->exit_reason);
		return false;
	}
}
