/* A split virtqueue (virtio 1.2 §2.7) served from inside a device process. The rings live in
 * guest RAM that the guest may rewrite at any moment: every index, address and length is
 * read once, copied, and checked before use; a descriptor chain is walked in bounded steps
 * (no loops, never longer than the queue, indirect tables only where negotiated and never
 * nested) and comes out as host segments that lie wholly inside guest RAM. */
#ifndef KTSTR_DEVPROC_VIRTQ_H
#define KTSTR_DEVPROC_VIRTQ_H

#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stdint.h>

#include "devproc/guest_ram.h"
#include "ipc/err.h"

#define VIRTQ_MAX_SIZE 1024u

struct virtq_seg {
	uint8_t *host;            /* inside guest RAM, len bytes */
	uint32_t len;
	bool writable;            /* device-writable (the driver set VRING_DESC_F_WRITE) */
};

/* One chain popped from the available ring: its readable segments, then its writable ones. */
struct virtq_chain {
	uint16_t head;
	unsigned nseg;
	unsigned n_readable;
	uint64_t readable_len, writable_len;
	struct virtq_seg seg[VIRTQ_MAX_SIZE];
};

struct virtq_layout {
	uint16_t size;             /* a power of two, 1..VIRTQ_MAX_SIZE */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool event_idx;            /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;             /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
};

struct virtq_stats {
	uint64_t chains;           /* chains served */
	uint64_t bad_chains;       /* malformed chains returned unused */
};

struct virtq {
	const struct guest_ram *ram;
	struct virtq_layout l;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail;       /* next available entry to take */
	uint16_t used_idx;         /* our copy of used->idx */
	uint16_t signalled_used;   /* used_idx when the driver was last interrupted */
	bool broken;               /* the ring itself is corrupt: nothing more is served */
	struct virtq_stats stats;
};

/* Checks the layout against guest RAM (sizes, alignment, every ring inside one region). */
int virtq_init(struct virtq *q, const struct guest_ram *ram, const struct virtq_layout *l,
	       struct kerr *err);

/* 1: a chain in *c; 0: nothing available; -EBADMSG: the chain at c->head is malformed (err
 * says how; return it with virtq_push(q, c->head, 0)); -EPROTO: the ring is corrupt and the
 * queue is now broken. */
int virtq_pop(struct virtq *q, struct virtq_chain *c, struct kerr *err);

/* Returns a chain to the driver with the number of bytes written into it. */
void virtq_push(struct virtq *q, uint16_t head, uint32_t written);

/* After a batch of pushes: whether the driver wants an interrupt now (EVENT_IDX's used_event,
 * else VRING_AVAIL_F_NO_INTERRUPT). */
bool virtq_need_interrupt(struct virtq *q);

/* Before sleeping: tells the driver (EVENT_IDX's avail_event) to kick for the next entry,
 * then says whether more arrived meanwhile (if so, do not sleep). */
bool virtq_arm_and_check(struct virtq *q);

#endif
