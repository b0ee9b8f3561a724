/* Per-vCPU CPUID: KVM's supported table with the topology written into the leaves the
 * guest reads it from (0x1, 0x4, 0xB, 0x1F, 0x80000008, 0x8000001D, 0x8000001E). */
#ifndef KTSTR_VMM_CPUID_H
#define KTSTR_VMM_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "ipc/err.h"
#include "vmm/firmware/topology.h"

/* Builds the table for the vCPU with this APIC ID and applies it with KVM_SET_CPUID2. */
int cpuid_setup_vcpu(int vcpu_fd, const struct kvm_cpuid2 *supported, const struct topology *t,
		     uint32_t apic_id, struct kerr *err);

/* The same table without applying it (for tests). Returns a malloc'd table. */
struct kvm_cpuid2 *cpuid_build(const struct kvm_cpuid2 *supported, const struct topology *t,
			       uint32_t apic_id);

/* Sets KVM_HINTS_REALTIME (EDX bit 0 of the KVM features leaf, 0x40000001): "vCPUs are never
 * preempted for long". False when the table has no such leaf. */
bool cpuid_set_realtime_hint(struct kvm_cpuid2 *c);

#endif
