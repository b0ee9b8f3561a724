/* The VM's virtio devices: which slots exist (fixed windows and GSIs), starting their device
 * processes, plugging them into KVM, and announcing them in ACPI. */
#ifndef KTSTR_VMM_VM_VIRTIO_H
#define KTSTR_VMM_VM_VIRTIO_H

#include <stdbool.h>

#include "vmm/acpi.h"
#include "vmm/virtio_host.h"

/* Window n at VIRTIO_MMIO_BASE + n * 0x1000: console GSI 5, blk GSI 6, net GSI 7. */
enum vm_virtio_slot { VM_VIRTIO_CONSOLE, VM_VIRTIO_BLK, VM_VIRTIO_NET, VM_VIRTIO_SLOTS };

struct vm_virtio {
	bool used;
	struct virtio_host host;
};

struct vm;

void vm_virtio_init(struct vm *vm);

/* Starts the device process of every configured device (before the guest is loaded). */
int vm_virtio_spawn(struct vm *vm, struct kerr *err);

/* Waits for each device's hello and sets it up (guest RAM, its role's setup, eventfds). */
int vm_virtio_setup(struct vm *vm, struct kerr *err);

/* The ACPI description of the devices started; returns how many. */
unsigned vm_virtio_acpi(const struct vm *vm, struct acpi_virtio *out, unsigned max);

/* ioeventfds, irqfds and register windows (after the irqchip exists). */
int vm_virtio_wire(struct vm *vm, struct kerr *err);

void vm_virtio_destroy(struct vm *vm);

#endif
