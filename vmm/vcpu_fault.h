/* Words for a vCPU that KVM could not run on: its mode, and what a KVM internal error
 * reported (suberror, the instruction bytes at rip, the extra data words). */
#ifndef KTSTR_VMM_VCPU_FAULT_H
#define KTSTR_VMM_VCPU_FAULT_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#define VCPU_FAULT_INSN_MAX 15   /* the longest x86 instruction */

/* "64-bit mode, CPL 0, paging on" and the like. */
void vcpu_fault_mode(const struct kvm_sregs *s, char *buf, size_t size);

/* The instruction bytes KVM put in an emulation failure, if it did: how many (0: none). */
size_t vcpu_fault_insn_from_kvm(const struct kvm_run *run, uint8_t insn[VCPU_FAULT_INSN_MAX]);

/* The whole report of a KVM_EXIT_INTERNAL_ERROR. insn/n_insn: the bytes at rip (from KVM or
 * read from guest memory; insn_src says which), n_insn 0 when neither had them. */
void vcpu_fault_internal(const struct kvm_run *run, const struct kvm_regs *regs,
			 const struct kvm_sregs *sregs, const uint8_t *insn, size_t n_insn,
			 const char *insn_src, char *out, size_t size);

#endif
