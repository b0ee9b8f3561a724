/* vCPU setup and run loop; see vcpu.h. */
#include "vmm/vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/cpuid.h"
#include "vmm/vcpu_fault.h"
#include "vmm/vm.h"

#define VCPU_KICK_SIGNAL SIGUSR1
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MISC_ENABLE_FAST_STRING 0x1
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_EXTINT 0x7
#define APIC_MODE_NMI 0x4
#define RESET_RIP 0xfff0          /* where a vCPU starts after RESET or INIT */
#define RESET_CS_BASE 0xffff0000u

static void kick_handler(int sig)
{
	(void)sig;   /* only there to make KVM_RUN return EINTR */
}

int vcpu_signals_init(struct kerr *err)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigemptyset(&sa.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0)
		return kerr_errno(err, errno, "sigaction for the vCPU kick signal");
	return 0;
}

static int setup_msrs(int fd, struct kerr *err)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[1];
	} m = { .hdr.nmsrs = 1, .e[0] = { .index = MSR_IA32_MISC_ENABLE,
					   .data = MISC_ENABLE_FAST_STRING } };

	if (ioctl(fd, KVM_SET_MSRS, &m) != 1)
		return kerr_errno(err, errno, "KVM_SET_MSRS");
	return 0;
}

static void set_lvt(struct kvm_lapic_state *l, int reg, uint32_t mode)
{
	uint32_t v;

	memcpy(&v, l->regs + reg, 4);
	v = (v & ~0x700u) | (mode << 8);
	memcpy(l->regs + reg, &v, 4);
}

/* LINT0 takes the legacy PIC's ExtINT, LINT1 the NMI: the wiring of a PC. */
static int setup_lapic(int fd, struct kerr *err)
{
	struct kvm_lapic_state l;

	if (ioctl(fd, KVM_GET_LAPIC, &l) < 0)
		return kerr_errno(err, errno, "KVM_GET_LAPIC");
	set_lvt(&l, APIC_LVT0, APIC_MODE_EXTINT);
	set_lvt(&l, APIC_LVT1, APIC_MODE_NMI);
	if (ioctl(fd, KVM_SET_LAPIC, &l) < 0)
		return kerr_errno(err, errno, "KVM_SET_LAPIC");
	return 0;
}

int vcpu_create(struct vcpu *v, struct vm *vm, unsigned index, uint32_t apic_id, struct kerr *err)
{
	void *run;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->index = index;
	v->apic_id = apic_id;
	v->fd = ioctl(vm->kvm.vm_fd, KVM_CREATE_VCPU, (unsigned long)apic_id);
	if (v->fd < 0)
		return kerr_errno(err, errno, "KVM_CREATE_VCPU %u (APIC ID %u)", index, apic_id);
	run = mmap(NULL, (size_t)vm->kvm.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (run == MAP_FAILED)
		return kerr_errno(err, errno, "map kvm_run of vCPU %u", index);
	v->run = run;
	if (cpuid_setup_vcpu(v->fd, vm->kvm.supported_cpuid, &vm->topo, apic_id, err) < 0 ||
	    setup_msrs(v->fd, err) < 0 || setup_lapic(v->fd, err) < 0)
		return kerr_wrap(err, "vCPU %u", index);
	return 0;
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

	/* A long `rep outs` to a port whose device is behind must not outlast the VM's end. */
	for (uint32_t i = 0; i < run->io.count && !atomic_load(&v->vm->stopping); i++, data += run->io.size)
		io_bus_access(&v->vm->pio, run->io.port, is_write, data, run->io.size);
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	io_bus_access(&v->vm->mmio, run->mmio.phys_addr, run->mmio.is_write, run->mmio.data,
			run->mmio.len);
}

static void fail(struct vcpu *v, const char *what, unsigned long long detail)
{
	struct kvm_regs regs;
	struct kerr e;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		memset(&regs, 0, sizeof(regs));
	kerr_set(&e, EIO, "vCPU %u: %s (0x%llx) at rip 0x%llx", v->index, what, detail,
		 (unsigned long long)regs.rip);
	vm_request_end(v->vm, VM_END_HOST_ERROR, &e);
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
	p = guest_memory_ptr(&v->vm->mem, t.physical_address, n);
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
		vm_request_end(v->vm, VM_END_HOST_ERROR, &why);
		return;
	}
	n = vcpu_fault_insn_from_kvm(v->run, insn);
	if (!n) {
		n = read_insn(v, &sregs, regs.rip, insn);
		src = "read from guest memory";
	}
	vcpu_fault_internal(v->run, &regs, &sregs, insn, n, src, text, sizeof(text));
	kerr_set(&why, EIO, "vCPU %u: %s", v->index, text);
	vm_request_end(v->vm, VM_END_HOST_ERROR, &why);
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
	vm_request_end(v->vm, VM_END_GUEST_RESET, &why);
}

/* Returns false when the vCPU should stop. */
static bool handle_exit(struct vcpu *v)
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
		vm_request_end(v->vm, run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ?
			       VM_END_GUEST_SHUTDOWN : VM_END_GUEST_RESET, NULL);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		fail(v, "VM entry failed", run->fail_entry.hardware_entry_failure_reason);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		report_internal_error(v);
		return false;
	default:
		fail(v, "unexpected KVM exit", run->exit_reason);
		return false;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;

	while (!atomic_load(&v->vm->stopping)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fail(v, "KVM_RUN failed", (unsigned long long)errno);
			break;
		}
		if (!handle_exit(v))
			break;
	}
	return NULL;
}

int vcpu_start(struct vcpu *v, struct kerr *err)
{
	int r = pthread_create(&v->thread, NULL, vcpu_thread, v);

	if (r != 0)
		return kerr_errno(err, r, "start the thread of vCPU %u", v->index);
	v->started = true;
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (!v->started)
		return;
	v->run->immediate_exit = 1;
	pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

void vcpu_join(struct vcpu *v)
{
	if (v->started)
		pthread_join(v->thread, NULL);
	v->started = false;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, (size_t)v->vm->kvm.run_size);
	if (v->fd > 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}
