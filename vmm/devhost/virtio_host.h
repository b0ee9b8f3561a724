/* vmm's side of one virtio device: its sandboxed device process, the virtio-mmio register
 * window the guest programs, the kick eventfds (KVM_IOEVENTFD on QueueNotify, one per
 * queue), the interrupt eventfd (KVM_IRQFD) and the page the device sets InterruptStatus
 * in. vmm parses nothing the guest puts in its queues; it only relays the register state. */
#ifndef KTSTR_VMM_VIRTIO_HOST_H
#define KTSTR_VMM_VIRTIO_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "ipc/ipc.h"
#include "vmm/devhost/devhost.h"
#include "vmm/guest_memory.h"
#include "vmm/devices/io_bus.h"
#include "vmm/kvm.h"
#include "vmm/devices/virtio_mmio.h"

#define VIRTIO_MMIO_BASE 0xC0000000ull   /* window n at base + n * VIRTIO_MMIO_WINDOW */

struct virtio_host {
	struct devhost dev;
	struct virtio_mmio regs;
	bool regs_ready;
	/* What the driver did, for the device: vCPU threads post it, the supervisor sends it
	 * (virtio_host_flush), so no vCPU ever waits on a device that stopped reading. Coalesced:
	 * the latest START, after a RESET if one came since the last send. */
	pthread_mutex_t pending_lock;
	bool pending_reset, pending_start;
	struct ipc_virtio_start pending_msg;
	int wake_fd;                     /* rung when something is posted; -1: nobody to wake */
	int kick[IPC_VIRTIO_MAX_QUEUES];
	int irqfd;
	int status_memfd;
	void *status_page;
	bool stats_reported;             /* its DEVICE_STATS was taken (once per device) */
};

/* What the role is and the message that sets it up (e.g. BLK_DISK and the disk fd). */
struct virtio_host_role {
	uint32_t device_id;              /* IPC_VIRTIO_ID_*: the identity must say the same */
	enum ipc_msg_type setup_type;
	const void *setup_body;
	const int *setup_fds;
	enum ipc_msg_type extra_type;    /* a second setup message, or 0 */
	const void *extra_body;
	const int *extra_fds;
};

void virtio_host_init(struct virtio_host *h);

/* With the device process started (devhost_spawn on h->dev): waits for its hello, hands it
 * guest RAM and its setup, takes its identity and gives it the kick and interrupt eventfds. */
int virtio_host_setup(struct virtio_host *h, const struct guest_memory *mem,
		      const struct virtio_host_role *role, int timeout_ms, struct kerr *err);


/* Plugs the device into the VM: its window at base on the MMIO bus, ioeventfds on
 * QueueNotify, the irqfd on gsi. */
int virtio_host_wire(struct virtio_host *h, struct kvm_vm *kvm, struct io_bus *mmio, uint64_t base,
		     unsigned gsi, struct kerr *err);

/* Sends what vCPUs posted, without waiting: 0 when nothing is left, 1 when the device has
 * no room yet (poll its channel for POLLOUT and call again), <0 when the channel failed. */
int virtio_host_flush(struct virtio_host *h, struct kerr *err);
bool virtio_host_pending(struct virtio_host *h);

/* Whether to record these stats: the first report of this device, for its own role. A
 * device the guest took over cannot crowd the others out of the outcome with more. */
bool virtio_host_accept_stats(struct virtio_host *h, const struct ipc_device_stats *s);

void virtio_host_destroy(struct virtio_host *h);

#endif
