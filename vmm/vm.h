/* One virtual machine and its lifetime: build it, run it, supervise it, end it. */
#ifndef KTSTR_VMM_VM_H
#define KTSTR_VMM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "ipc/err.h"
#include "vmm/cli.h"
#include "vmm/host/host_reserve.h"
#include "vmm/guest_memory.h"
#include "vmm/devices/i8042.h"
#include "vmm/devices/io_bus.h"
#include "vmm/kvm.h"
#include "vmm/outcome.h"
#include "vmm/performance.h"
#include "vmm/devhost/serial_host.h"
#include "vmm/boot/initramfs.h"
#include "vmm/firmware/topology.h"
#include "vmm/vcpu.h"
#include "vmm/vm_virtio.h"


struct vm {
	const struct vmm_config *cfg;
	struct kvm_vm kvm;
	struct guest_memory mem;
	struct topology topo;
	struct acpi_mem_range mem_ranges[ACPI_MAX_MEM_RANGES];   /* RAM per NUMA node, in order */
	unsigned n_mem_ranges;
	struct io_bus pio;         /* port I/O */
	struct io_bus mmio;
	struct serial_host serial;
	struct i8042 kbd;              /* the reset line */
	struct vm_virtio virtio[VM_VIRTIO_SLOTS];
	struct host_reservation *cpus; /* --cpu-cap's host CPUs, held until the end; NULL: none */
	struct performance perf;       /* --performance's LLCs and placement, held until the end */
	struct vm_disk disks[DISK_MAX];   /* --disk, opened before anything else; fd -1: none */
	int stats_fd;                  /* --stats-socket, connected before anything else */
	int console_log_fd;            /* --console-log or stderr: serial and console write it */
	struct initramfs initrd;       /* --initrd opened, or the one built; fd -1: none */
	struct vcpu_env vcpu_env;      /* what the vCPU threads see of this VM */
	struct vcpu *vcpus;
	unsigned nvcpus;
	atomic_bool stopping;          /* every vCPU leaves KVM_RUN and exits its thread */
	atomic_int end_reason;         /* enum vm_end_reason; the first one wins */
	pthread_mutex_t end_lock;
	struct kerr end_err;           /* what went wrong, for VM_END_HOST_ERROR */
	int end_event;                 /* eventfd: wakes the supervisor */
	int work_event;                /* eventfd: a vCPU posted something for a device */
	struct outcome outcome;
};

/* The console log for a device that writes it: the fd, its size limit, whether a terminal. */
void vm_spawn_log(const struct vm *vm, struct devhost_spawn *sp);

/* Records why the VM ends (the first caller wins) and wakes the supervisor. */
void vm_request_end(struct vm *vm, enum vm_end_reason reason, const struct kerr *why);

/* Runs a VM for the config to its end; fills the outcome. Returns <0 only when the VM could
 * not be built (err says why); an error while running is in the outcome. */
int vm_run(const struct vmm_config *cfg, struct outcome *outcome, struct kerr *err);

#endif
