/* The virtio-blk role: one request queue served from the disk fd vmm opened for it, with
 * IN/OUT/FLUSH/GET_ID, read-only disks, and IOPS/bandwidth limits the guest only feels as
 * waiting. Every request is checked against the disk's size before any I/O. */
#include <errno.h>
#include <linux/virtio_blk.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devproc/chain_io.h"
#include "devproc/devproc.h"
#include "devproc/throttle.h"
#include "devproc/virtio_dev.h"

#define BLK_SECTOR      512u
#define BLK_QUEUE_SIZE  256u
#define BLK_SEG_MAX     (BLK_QUEUE_SIZE - 2)   /* the header and status take two descriptors */
#define BLK_SIZE_MAX    (1u << 20)

struct blk {
	int fd;
	bool read_only;
	uint64_t sectors;
	char id[VIRTIO_BLK_ID_BYTES];   /* GET_ID: the serial vmm gave this disk */
	struct throttle iops, bps;
	uint64_t wait_since_ns;     /* when the limits last stopped a request; 0: not waiting */
	struct ipc_device_stats st; /* bytes, bad requests and throttled time so far */
	uint64_t throttled_ns;
};

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static bool blk_ready(struct virtio_dev *d, unsigned q)
{
	struct blk *b = d->role;
	uint64_t now = now_ns();
	bool ok = throttle_ready(&b->iops, now) && throttle_ready(&b->bps, now);

	(void)q;
	if (!ok && !b->wait_since_ns)
		b->wait_since_ns = now;
	if (ok && b->wait_since_ns) {
		b->throttled_ns += now - b->wait_since_ns;
		b->wait_since_ns = 0;
	}
	return ok;
}

static int blk_wait_ms(struct virtio_dev *d)
{
	struct blk *b = d->role;
	uint64_t now = now_ns(), a = throttle_wait_ns(&b->iops, now), c = throttle_wait_ns(&b->bps, now);
	uint64_t ns = a > c ? a : c;

	if (!b->wait_since_ns || ns == 0)
		return b->wait_since_ns ? 0 : -1;
	return throttle_poll_ms(ns);
}

/* Full positioned I/O over the iovecs (a short transfer means the disk ended early). */
static int transfer(struct blk *b, bool write, struct iovec *iov, unsigned n, uint64_t off,
		    uint64_t len)
{
	while (len > 0) {
		ssize_t r = write ? pwritev(b->fd, iov, (int)n, (off_t)off) : preadv(b->fd, iov, (int)n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		off += (uint64_t)r;
		len -= (uint64_t)r;
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

/* IN or OUT: the data is whole sectors inside the disk, described by at most seg_max + 2
 * segments; anything else is an I/O error. */
static uint8_t blk_rw(struct blk *b, const struct virtq_chain *c, bool write, uint64_t sector,
		      uint64_t *data_len)
{
	struct iovec iov[VIRTQ_MAX_SIZE];
	uint64_t len = write ? c->readable_len - sizeof(struct virtio_blk_outhdr) : c->writable_len - 1;
	uint64_t off = write ? sizeof(struct virtio_blk_outhdr) : 0;
	unsigned n = chain_iov(c, !write, off, len, iov, VIRTQ_MAX_SIZE);

	*data_len = 0;
	if (write && b->read_only)
		return VIRTIO_BLK_S_IOERR;
	if (len % BLK_SECTOR || sector > b->sectors || len / BLK_SECTOR > b->sectors - sector ||
	    (len > 0 && n == 0))
		return VIRTIO_BLK_S_IOERR;
	throttle_charge(&b->bps, len);
	if (len > 0 && transfer(b, write, iov, n, sector * BLK_SECTOR, len) < 0)
		return VIRTIO_BLK_S_IOERR;
	*data_len = len;
	if (write)
		b->st.bytes_written += len;
	else
		b->st.bytes_read += len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_get_id(const struct blk *b, const struct virtq_chain *c, uint64_t *data_len)
{
	uint64_t room = c->writable_len - 1;

	*data_len = room < sizeof(b->id) ? room : sizeof(b->id);
	chain_write(c, 0, b->id, (size_t)*data_len);
	return VIRTIO_BLK_S_OK;
}

/* One request: a 16-byte header in the readable stream, the status byte last in the
 * writable one. Returns the bytes written into the chain. */
_Static_assert(VIRTIO_BLK_ID_BYTES == IPC_BLK_SERIAL_MAX, "GET_ID answers with the serial vmm sent");

static uint32_t blk_handle(struct virtio_dev *d, unsigned q, const struct virtq_chain *c)
{
	struct blk *b = d->role;
	struct virtio_blk_outhdr h;
	uint64_t data_len = 0;
	uint8_t status;

	(void)q;
	if (c->readable_len < sizeof(h) || c->writable_len < 1) {
		b->st.bad_requests++;   /* no header, or nowhere to put the status */
		return 0;
	}
	chain_read(c, 0, &h, sizeof(h));
	throttle_charge(&b->iops, 1);
	switch (h.type) {
	case VIRTIO_BLK_T_IN: status = blk_rw(b, c, false, h.sector, &data_len); break;
	case VIRTIO_BLK_T_OUT: status = blk_rw(b, c, true, h.sector, &data_len); break;
	case VIRTIO_BLK_T_FLUSH:
		status = b->read_only || fdatasync(b->fd) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID: status = blk_get_id(b, c, &data_len); break;
	default: status = VIRTIO_BLK_S_UNSUPP; break;
	}
	chain_write(c, c->writable_len - 1, &status, 1);
	return (uint32_t)((h.type == VIRTIO_BLK_T_IN || h.type == VIRTIO_BLK_T_GET_ID ? data_len : 0) + 1);
}

static void blk_stats(struct virtio_dev *d, struct ipc_device_stats *s)
{
	struct blk *b = d->role;

	s->bad_requests += b->st.bad_requests;
	s->bytes_read = b->st.bytes_read;
	s->bytes_written = b->st.bytes_written;
	s->throttled_ms = b->throttled_ns / 1000000;
}

static const struct virtio_dev_ops blk_ops = {
	.ready = blk_ready, .handle = blk_handle, .wait_ms = blk_wait_ms, .stats = blk_stats,
};

static void blk_identity(const struct blk *b, struct ipc_virtio_identity *id)
{
	struct virtio_blk_config cfg = {
		.capacity = b->sectors, .size_max = BLK_SIZE_MAX, .seg_max = BLK_SEG_MAX,
		.blk_size = BLK_SECTOR,
	};

	memset(id, 0, sizeof(*id));
	id->device_id = IPC_VIRTIO_ID_BLK;
	id->num_queues = 1;
	id->queue_num_max = BLK_QUEUE_SIZE;
	id->features = (1ull << VIRTIO_BLK_F_SIZE_MAX) | (1ull << VIRTIO_BLK_F_SEG_MAX) |
		       (1ull << VIRTIO_BLK_F_BLK_SIZE) | (1ull << VIRTIO_BLK_F_FLUSH) |
		       (1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << VIRTIO_RING_F_INDIRECT_DESC);
	if (b->read_only)
		id->features |= 1ull << VIRTIO_BLK_F_RO;
	_Static_assert(sizeof(cfg) <= IPC_VIRTIO_CONFIG_MAX, "blk config fits");
	memcpy(id->config, &cfg, sizeof(cfg));
	id->config_len = sizeof(cfg);
}

/* BLK_DISK: the disk fd (opened by vmm with the right mode) and the limits. */
static int take_disk(struct virtio_dev *d, struct blk *b)
{
	struct ipc_msg m;
	const struct ipc_blk_disk *disk = &m.body.blk_disk;
	uint64_t now = now_ns();
	off_t size;
	int r;

	if ((r = virtio_dev_expect(d, IPC_MSG_BLK_DISK, &m)) < 0)
		return r;
	b->fd = m.fds[0];
	b->read_only = disk->flags & IPC_BLK_READ_ONLY;
	memcpy(b->id, disk->serial, sizeof(b->id));
	throttle_init(&b->iops, disk->iops, disk->iops_burst, now);
	throttle_init(&b->bps, disk->bps, disk->bps_burst, now);
	size = lseek(b->fd, 0, SEEK_END);
	if (size < 0)
		return kerr_errno(d->err, errno, "the disk's size");
	if (size % BLK_SECTOR)
		return kerr_set(d->err, EINVAL, "the disk's size %lld is not a multiple of %u bytes",
				(long long)size, BLK_SECTOR);
	b->sectors = (uint64_t)size / BLK_SECTOR;
	return 0;
}

int devproc_blk_run(struct devproc_ctx *ctx, struct kerr *err)
{
	struct ipc_virtio_identity id;
	struct virtio_dev *d = calloc(1, sizeof(*d));
	struct blk *b = calloc(1, sizeof(*b));
	int r;

	if (!d || !b) {
		free(d);
		free(b);
		return kerr_set(err, ENOMEM, "blk device state");
	}
	b->fd = -1;
	virtio_dev_init(d, ctx, &blk_ops, b, err);
	if ((r = virtio_dev_map_ram(d)) == 0 && (r = take_disk(d, b)) == 0) {
		blk_identity(b, &id);
		if ((r = virtio_dev_announce(d, &id)) == 0)
			r = virtio_dev_run(d);
	}
	virtio_dev_destroy(d);
	if (b->fd >= 0)
		close(b->fd);
	free(d);
	free(b);
	return r;
}
