/* A single-producer/single-consumer byte ring in a sealed memfd, with eventfd bells.
 * Each side keeps its own index privately and reads the other's once per call,
 * validated, so a hostile peer can stall the stream but never move a reader out of bounds. */
#ifndef KTSTR_IPC_RING_H
#define KTSTR_IPC_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipc/err.h"

struct ipc_ring_shared {
	_Atomic uint32_t head;              /* bytes ever written (producer) */
	_Atomic uint32_t producer_waiting;  /* producer sleeps on the space bell */
	char pad0[56];
	_Atomic uint32_t tail;              /* bytes ever read (consumer) */
	char pad1[60];
	unsigned char data[];
};

struct ipc_ring {
	struct ipc_ring_shared *sh;
	size_t map_len;
	uint32_t capacity;   /* power of two; our own copy, never read from shared memory */
	uint32_t index;      /* our own head (producer) or tail (consumer) */
	int memfd;
	int data_bell;       /* producer → consumer: bytes are there */
	int space_bell;      /* consumer → producer: room was made while the producer waited */
};

/* Nothing mapped, nothing open: what ipc_ring_destroy accepts. */
void ipc_ring_init(struct ipc_ring *r);

/* Creates a ring: memfd sealed against shrink/grow, both bells non-blocking. */
int ipc_ring_create(struct ipc_ring *r, uint32_t capacity, struct kerr *err);

/* Maps a ring received from the peer. Takes ownership of the three fds, even on error. */
int ipc_ring_attach(struct ipc_ring *r, int memfd, int data_bell, int space_bell,
		    uint32_t capacity, struct kerr *err);

void ipc_ring_destroy(struct ipc_ring *r);

/* Producer: copies as much as fits, rings the data bell if anything was written.
 * Returns the bytes written, or -EPROTO when the consumer's index is impossible. */
ssize_t ipc_ring_write(struct ipc_ring *r, const void *buf, size_t len);

/* Producer: waits up to timeout_ms for the consumer to make room. Returns >0 when there
 * is room, 0 on timeout, negative on error. */
int ipc_ring_wait_space(struct ipc_ring *r, int timeout_ms);

/* Consumer: copies out up to len bytes. Returns the bytes read (0: empty), or -EPROTO
 * when the producer's index is impossible. */
ssize_t ipc_ring_read(struct ipc_ring *r, void *buf, size_t len);

#endif
