/* A test double of a guest's virtio driver: guest RAM in a memfd, the real vmm-side
 * virtio_host (register window, eventfds, status page) and the real sandboxed device
 * process behind it. The driver programs the registers as Linux does, lays out split rings
 * in guest RAM, kicks through the kick eventfd (as KVM's ioeventfd would) and waits on the
 * irqfd (as KVM's irqfd would). Raw helpers let a test write hostile rings. */
#ifndef KTSTR_TESTS_VIRTIO_DRIVER_H
#define KTSTR_TESTS_VIRTIO_DRIVER_H

#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/devhost/virtio_host.h"

#define VDRV_RAM_MIB 64

struct vdrv_queue {
	uint16_t size;
	uint64_t desc, avail, used;   /* guest physical */
	uint16_t avail_idx;           /* next free entry in the driver ring */
	uint16_t used_seen;           /* next device ring entry to read */
	uint16_t next_desc;           /* descriptors are handed out round-robin */
};

struct vdrv {
	struct guest_memory mem;
	struct virtio_host h;
	uint64_t features;            /* accepted */
	struct vdrv_queue q[IPC_VIRTIO_MAX_QUEUES];
	uint64_t heap;                /* bump allocator for buffers */
	struct ipc_device_stats stats;   /* what the device reported at its end */
	bool have_stats;
	/* Messages the device sends while the driver waits (as vmm's supervisor takes them). */
	void (*on_msg)(void *opaque, const struct ipc_msg *m);
	void *on_msg_opaque;
};

struct vdrv_buf {
	uint64_t gpa;
	uint32_t len;
	bool writable;
};

/* Starts the device (asserting it comes up) with its role's setup message; log_fd is the
 * device's log (-1: none). */
void vdrv_start(struct vdrv *d, const char *devproc_path, enum sandbox_role role,
		enum sandbox_level level, const struct virtio_host_role *r, int log_fd);

uint32_t vdrv_reg_read(struct vdrv *d, uint64_t off);
void vdrv_reg_write(struct vdrv *d, uint64_t off, uint32_t v);
uint8_t vdrv_config8(struct vdrv *d, unsigned off);
uint64_t vdrv_config64(struct vdrv *d, unsigned off);

/* Reset, feature negotiation (offered & wanted), queues of qsize, DRIVER_OK. */
void vdrv_bring_up(struct vdrv *d, unsigned nqueues, uint16_t qsize, uint64_t wanted);

uint64_t vdrv_alloc(struct vdrv *d, uint64_t len);
void *vdrv_ptr(struct vdrv *d, uint64_t gpa, uint64_t len);

/* Chains the buffers, publishes the chain and kicks; returns its head. */
uint16_t vdrv_submit(struct vdrv *d, unsigned q, const struct vdrv_buf *bufs, unsigned n);

/* Raw access for hostile rings: a descriptor, and publishing any head with a kick. */
struct vring_desc *vdrv_desc(struct vdrv *d, unsigned q, uint16_t i);
void vdrv_publish(struct vdrv *d, unsigned q, uint16_t head);

/* Waits for the next used entry; false after timeout_ms. */
bool vdrv_wait_used(struct vdrv *d, unsigned q, uint16_t *id, uint32_t *len, int timeout_ms);

/* Asks the device to finish; returns devhost_finish's result (stats are in d->h). Other
 * messages on the way go to fn (NULL: ignored). */
int vdrv_finish(struct vdrv *d, struct kerr *err);
int vdrv_finish_with(struct vdrv *d, void (*fn)(void *opaque, const struct ipc_msg *m),
		     void *opaque, struct kerr *err);
void vdrv_free(struct vdrv *d);

#endif
