/* The KVM VM: /dev/kvm, the VM fd, in-kernel irqchip and PIT, memory slots. */
#ifndef KTSTR_VMM_KVM_H
#define KTSTR_VMM_KVM_H

#include <linux/kvm.h>
#include <stdint.h>

#include "ipc/err.h"
#include "vmm/guest_memory.h"

struct kvm_vm {
	int kvm_fd;
	int vm_fd;
	int run_size;                       /* bytes of each vCPU's kvm_run mapping */
	struct kvm_cpuid2 *supported_cpuid; /* KVM_GET_SUPPORTED_CPUID, owned */
	unsigned max_vcpu_id;
};

int kvm_vm_create(struct kvm_vm *vm, struct kerr *err);
/* The same on a KVM fd the caller opened (kvm_vm_destroy closes it). */
int kvm_vm_create_on(struct kvm_vm *vm, int kvm_fd, struct kerr *err);
void kvm_vm_destroy(struct kvm_vm *vm);

/* One KVM memory slot per piece of guest RAM (a region, or a NUMA node's part of one). */
int kvm_vm_map_memory(struct kvm_vm *vm, const struct guest_memory *mem,
		      const struct guest_region *pieces, unsigned n, struct kerr *err);

/* Drives an ISA/IOAPIC interrupt line of the in-kernel irqchip. */
int kvm_vm_irq_line(struct kvm_vm *vm, unsigned gsi, int level);

/* A 4-byte MMIO write of `datamatch` at addr signals fd in the kernel (no exit). */
int kvm_vm_ioeventfd(struct kvm_vm *vm, uint64_t addr, uint32_t datamatch, int fd, struct kerr *err);

/* A write to fd raises the edge GSI in the in-kernel irqchip. */
int kvm_vm_irqfd(struct kvm_vm *vm, int fd, unsigned gsi, struct kerr *err);

#endif
