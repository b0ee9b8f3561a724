/* SPSC byte ring over shared memory; see ring.h for the trust model. */
#include "ipc/ring.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ipc/bell.h"
#include "ipc/memfd.h"

#define RING_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static size_t ring_map_len(uint32_t capacity)
{
	return sizeof(struct ipc_ring_shared) + capacity;
}

static bool capacity_ok(uint32_t capacity)
{
	return capacity >= 64 && capacity <= (1u << 26) && !(capacity & (capacity - 1));
}

void ipc_ring_init(struct ipc_ring *r)
{
	r->sh = NULL;
	r->memfd = r->data_bell = r->space_bell = -1;
}

static int ring_map(struct ipc_ring *r, uint32_t capacity, struct kerr *err)
{
	void *p;

	r->capacity = capacity;
	r->index = 0;
	r->map_len = ring_map_len(capacity);
	p = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->memfd, 0);
	if (p == MAP_FAILED)
		return kerr_errno(err, errno, "mmap ring of %u bytes", capacity);
	r->sh = p;
	return 0;
}

int ipc_ring_create(struct ipc_ring *r, uint32_t capacity, struct kerr *err)
{
	int rc;

	ipc_ring_init(r);
	if (!capacity_ok(capacity))
		return kerr_set(err, EINVAL, "ring capacity %u is not a power of two in 64..64Mi", capacity);
	r->memfd = memfd_create("ktstr-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (r->memfd < 0)
		return kerr_errno(err, errno, "memfd_create for ring");
	if (ftruncate(r->memfd, (off_t)ring_map_len(capacity)) < 0) {
		rc = kerr_errno(err, errno, "size ring memfd");
		goto fail;
	}
	if (fcntl(r->memfd, F_ADD_SEALS, RING_SEALS) < 0) {
		rc = kerr_errno(err, errno, "seal ring memfd");
		goto fail;
	}
	r->data_bell = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->space_bell = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->data_bell < 0 || r->space_bell < 0) {
		rc = kerr_errno(err, errno, "eventfd for ring");
		goto fail;
	}
	rc = ring_map(r, capacity, err);
	if (rc == 0)
		return 0;
fail:
	ipc_ring_destroy(r);
	return rc;
}

int ipc_ring_attach(struct ipc_ring *r, int memfd, int data_bell, int space_bell,
		    uint32_t capacity, struct kerr *err)
{
	int rc;

	r->memfd = memfd;
	r->data_bell = data_bell;
	r->space_bell = space_bell;
	r->sh = NULL;
	if (!capacity_ok(capacity)) {
		rc = kerr_set(err, EINVAL, "ring capacity %u is not a power of two in 64..64Mi", capacity);
		goto fail;
	}
	rc = ipc_memfd_check(memfd, RING_SEALS, ring_map_len(capacity), "ring", err);
	if (rc == 0)
		rc = ring_map(r, capacity, err);
	if (rc == 0)
		return 0;
fail:
	ipc_ring_destroy(r);
	return rc;
}

void ipc_ring_destroy(struct ipc_ring *r)
{
	if (r->sh)
		munmap(r->sh, r->map_len);
	if (r->memfd >= 0)
		close(r->memfd);
	if (r->data_bell >= 0)
		close(r->data_bell);
	if (r->space_bell >= 0)
		close(r->space_bell);
	ipc_ring_init(r);
}

ssize_t ipc_ring_write(struct ipc_ring *r, const void *buf, size_t len)
{
	uint32_t tail = atomic_load_explicit(&r->sh->tail, memory_order_acquire);
	uint32_t used = r->index - tail;
	uint32_t room, n, off, first;

	if (used > r->capacity)
		return -EPROTO;
	room = r->capacity - used;
	n = len < room ? (uint32_t)len : room;
	if (n == 0)
		return 0;
	off = r->index & (r->capacity - 1);
	first = r->capacity - off < n ? r->capacity - off : n;
	memcpy(r->sh->data + off, buf, first);
	memcpy(r->sh->data, (const char *)buf + first, n - first);
	r->index += n;
	atomic_store_explicit(&r->sh->head, r->index, memory_order_release);
	ipc_bell_ring(r->data_bell);
	return n;
}

ssize_t ipc_ring_read(struct ipc_ring *r, void *buf, size_t len)
{
	uint32_t head = atomic_load_explicit(&r->sh->head, memory_order_acquire);
	uint32_t avail = head - r->index;
	uint32_t n, off, first;

	if (avail > r->capacity)
		return -EPROTO;
	n = len < avail ? (uint32_t)len : avail;
	if (n == 0)
		return 0;
	off = r->index & (r->capacity - 1);
	first = r->capacity - off < n ? r->capacity - off : n;
	memcpy(buf, r->sh->data + off, first);
	memcpy((char *)buf + first, r->sh->data, n - first);
	r->index += n;
	atomic_store_explicit(&r->sh->tail, r->index, memory_order_release);
	if (atomic_load_explicit(&r->sh->producer_waiting, memory_order_seq_cst))
		ipc_bell_ring(r->space_bell);
	return n;
}

int ipc_ring_wait_space(struct ipc_ring *r, int timeout_ms)
{
	struct pollfd p = { .fd = r->space_bell, .events = POLLIN };
	uint32_t used;
	int rc;

	atomic_store_explicit(&r->sh->producer_waiting, 1, memory_order_seq_cst);
	used = r->index - atomic_load_explicit(&r->sh->tail, memory_order_seq_cst);
	if (used > r->capacity) {
		rc = -EPROTO;
	} else if (used < r->capacity) {
		rc = 1;
	} else {
		rc = poll(&p, 1, timeout_ms);
		if (rc < 0)
			rc = -errno;
		ipc_bell_ack(r->space_bell);
	}
	atomic_store_explicit(&r->sh->producer_waiting, 0, memory_order_relaxed);
	return rc;
}
