/* The virtio half every virtio device process shares: guest RAM, the identity it declares
 * to vmm, its kick eventfds and interrupt path, the queues the driver set up, and the event
 * loop that serves them. A role supplies what one request means (blk, net, console). */
#ifndef KTSTR_DEVPROC_VIRTIO_DEV_H
#define KTSTR_DEVPROC_VIRTIO_DEV_H

#include <linux/virtio_config.h>   /* VIRTIO_F_VERSION_1 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "devproc/devproc.h"
#include "devproc/guest_ram.h"
#include "devproc/virtq.h"

struct virtio_dev;

struct virtio_dev_ops {
	/* May queue q take another chain now? (false: throttled; wait_ms says how long) */
	bool (*ready)(struct virtio_dev *d, unsigned q);
	/* Serves one well-formed chain; returns the bytes written into it for the used ring. */
	uint32_t (*handle)(struct virtio_dev *d, unsigned q, const struct virtq_chain *c);
	/* Milliseconds until a throttled role can go on; -1 when nothing waits. */
	int (*wait_ms)(struct virtio_dev *d);
	/* The driver reset the device, or it was started again: forget per-run state. */
	void (*reset)(struct virtio_dev *d);
	/* Fills the role's figures into the stats sent at shutdown. */
	void (*stats)(struct virtio_dev *d, struct ipc_device_stats *s);
	/* A backend fd the loop should poll too (-1: none) and for which events. */
	int (*backend_fd)(struct virtio_dev *d, short *events);
	/* The backend fd is ready (revents as poll returned them). */
	void (*backend_ready)(struct virtio_dev *d, short revents);
	/* Before the stats at shutdown: flush what the role still holds. */
	void (*finish)(struct virtio_dev *d);
};

struct virtio_dev {
	struct devproc_ctx *ctx;
	struct kerr *err;
	const struct virtio_dev_ops *ops;
	void *role;                           /* the role's own state */
	struct guest_ram ram;
	struct ipc_virtio_identity id;
	uint64_t features;                    /* negotiated; valid while started */
	bool started;
	int irqfd;
	void *status_page;                    /* shared with vmm: InterruptStatus */
	_Atomic uint32_t *int_status;
	int kick[IPC_VIRTIO_MAX_QUEUES];
	struct virtq q[IPC_VIRTIO_MAX_QUEUES];
	bool live[IPC_VIRTIO_MAX_QUEUES];     /* started, ready, and laid out inside guest RAM */
	struct virtq_chain chain;             /* the chain being served (large: not on the stack) */
	uint64_t bad_queues;                  /* queues refused at start for their layout */
	struct virtq_stats retired;           /* what queues served before a restart laid them out anew */
};

void virtio_dev_init(struct virtio_dev *d, struct devproc_ctx *ctx, const struct virtio_dev_ops *ops,
		     void *role, struct kerr *err);
void virtio_dev_destroy(struct virtio_dev *d);

/* Receives the next message, which must be of the given type (else a protocol error). */
int virtio_dev_expect(struct virtio_dev *d, enum ipc_msg_type type, struct ipc_msg *m);

/* Receives GUEST_RAM and maps it. */
int virtio_dev_map_ram(struct virtio_dev *d);

/* Declares the device to vmm and receives its interrupt path and one kick per queue. */
int virtio_dev_announce(struct virtio_dev *d, const struct ipc_virtio_identity *id);

/* Serves the queues until vmm says SHUTDOWN; then sends the stats and DONE. */
int virtio_dev_run(struct virtio_dev *d);

/* After pushes a role made itself (outside handle()): interrupts the driver if it wants. */
void virtio_dev_interrupt(struct virtio_dev *d, unsigned q);

/* Whether the driver accepted a feature bit. */
bool virtio_dev_has(const struct virtio_dev *d, unsigned bit);

#endif
