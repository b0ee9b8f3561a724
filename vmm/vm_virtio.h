/* The VM's virtio devices: the slot table (which device sits in which register window, on
 * which GSI), starting their device processes, plugging them into KVM, and announcing them
 * in ACPI. Adding a device is a row in the slot table (vm_virtio.c), a row in policy's role
 * table and its devproc file. */
#ifndef KTSTR_VMM_VM_VIRTIO_H
#define KTSTR_VMM_VM_VIRTIO_H

#include <stdbool.h>

#include "vmm/firmware/acpi.h"
#include "vmm/disk.h"
#include "vmm/devhost/virtio_host.h"

/* The console, one slot per possible disk, and the net device. Slot n's registers are the
 * window at VIRTIO_MMIO_BASE + n * VIRTIO_MMIO_WINDOW. */
#define VM_VIRTIO_SLOTS (2 + DISK_MAX)

struct vm_virtio {
	bool used;
	struct virtio_host host;
};

/* A --disk, opened before anything else. */
struct vm_disk {
	int fd;                     /* -1 once its device process holds it */
	struct ipc_blk_disk msg;
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
