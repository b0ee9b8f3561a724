/* A vCPU's failure in words; see vcpu_fault.h. Pure formatting, so it is unit-tested on
 * made-up kvm_run contents. */
#include "vmm/vcpu_fault.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CR0_PE   (1ull << 0)
#define CR0_PG   (1ull << 31)
#define EFER_LMA (1ull << 10)

void vcpu_fault_mode(const struct kvm_sregs *s, char *buf, size_t size)
{
	const char *mode;

	if (!(s->cr0 & CR0_PE)) {
		snprintf(buf, size, "real mode");
		return;
	}
	if (s->efer & EFER_LMA)
		mode = s->cs.l ? "64-bit mode" : "compatibility mode";
	else
		mode = s->cs.db ? "32-bit protected mode" : "16-bit protected mode";
	snprintf(buf, size, "%s, CPL %u, paging %s", mode, (unsigned)(s->cs.selector & 3),
		 s->cr0 & CR0_PG ? "on" : "off");
}

size_t vcpu_fault_insn_from_kvm(const struct kvm_run *run, uint8_t insn[VCPU_FAULT_INSN_MAX])
{
	size_t n;

	/* ndata counts data[] words: flags, then two words of insn_size + insn_bytes. */
	if (run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION || run->emulation_failure.ndata < 3 ||
	    !(run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES))
		return 0;
	n = run->emulation_failure.insn_size;
	if (n > VCPU_FAULT_INSN_MAX)
		n = VCPU_FAULT_INSN_MAX;
	memcpy(insn, run->emulation_failure.insn_bytes, n);
	return n;
}

static const char *suberror_name(uint32_t sub)
{
	switch (sub) {
	case KVM_INTERNAL_ERROR_EMULATION: return "emulation failure: KVM could not emulate an instruction";
	case KVM_INTERNAL_ERROR_SIMUL_EX: return "simultaneous exceptions";
	case KVM_INTERNAL_ERROR_DELIVERY_EV: return "unexpected exit while delivering an event";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON: return "unexpected exit reason from hardware";
	default: return "not one KVM documents";
	}
}

static size_t append(char *out, size_t size, size_t used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static size_t append(char *out, size_t size, size_t used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (used >= size)
		return used;
	va_start(ap, fmt);
	n = vsnprintf(out + used, size - used, fmt, ap);
	va_end(ap);
	return n < 0 ? used : used + (size_t)n;
}

void vcpu_fault_internal(const struct kvm_run *run, const struct kvm_regs *regs,
			 const struct kvm_sregs *sregs, const uint8_t *insn, size_t n_insn,
			 const char *insn_src, char *out, size_t size)
{
	uint32_t ndata = run->internal.ndata, first = 0;
	uint8_t kvm_insn[VCPU_FAULT_INSN_MAX];
	char mode[64];
	size_t used;

	vcpu_fault_mode(sregs, mode, sizeof(mode));
	used = append(out, size, 0, "KVM internal error, suberror %u (%s), at rip 0x%llx in %s",
		      run->internal.suberror, suberror_name(run->internal.suberror),
		      (unsigned long long)regs->rip, mode);
	if (n_insn) {
		used = append(out, size, used, "; instruction bytes (%s):", insn_src);
		for (size_t i = 0; i < n_insn; i++)
			used = append(out, size, used, " %02x", insn[i]);
	} else {
		used = append(out, size, used, "; instruction bytes not available");
	}
	if (ndata > sizeof(run->internal.data) / sizeof(run->internal.data[0]))
		ndata = sizeof(run->internal.data) / sizeof(run->internal.data[0]);
	/* The flags and instruction words are already said above. */
	if (vcpu_fault_insn_from_kvm(run, kvm_insn))
		first = 3;
	if (ndata > first)
		used = append(out, size, used, "; %s:", first ? "further data" : "data");
	for (uint32_t i = first; i < ndata; i++)
		used = append(out, size, used, " 0x%llx", (unsigned long long)run->internal.data[i]);
}
