/* The virtio-net role: an RX and a TX queue and an in-process L2 loopback. A frame the guest
 * transmits comes back to it on RX; nothing ever reaches a host network (this process has
 * no socket, and under strict not even a network namespace with a link). */
#include <errno.h>
#include <linux/virtio_net.h>
#include <stdlib.h>
#include <string.h>

#include "devproc/chain_io.h"
#include "devproc/devproc.h"
#include "devproc/virtio_dev.h"

#define NET_RXQ         0u
#define NET_TXQ         1u
#define NET_QUEUE_SIZE  256u
#define NET_HDR_LEN     sizeof(struct virtio_net_hdr_v1)   /* VERSION_1: num_buffers too */
#define NET_ETH_HLEN    14u
#define NET_MAX_FRAME   1518u   /* Ethernet with a VLAN tag; no segmentation offloads */
#define NET_PENDING     64u     /* frames waiting for RX buffers */

struct net_frame {
	uint32_t len;
	uint8_t data[NET_MAX_FRAME];
};

struct net {
	uint8_t mac[6];
	struct net_frame pending[NET_PENDING];
	unsigned head, count;
	struct virtq_chain rx_chain;   /* an RX buffer taken while a TX chain is being served */
	uint64_t bad, dropped, bytes_rx, bytes_tx;
};

/* Writes the oldest pending frame into an RX chain (a chain too small for it loses it). */
static uint32_t fill_rx(struct net *n, const struct virtq_chain *c)
{
	struct net_frame *f = &n->pending[n->head];
	struct virtio_net_hdr_v1 hdr = { .num_buffers = 1 };
	uint32_t len = 0;

	if (c->writable_len >= NET_HDR_LEN + f->len) {
		chain_write(c, 0, &hdr, sizeof(hdr));
		chain_write(c, NET_HDR_LEN, f->data, f->len);
		n->bytes_rx += f->len;
		len = (uint32_t)(NET_HDR_LEN + f->len);
	} else {
		n->dropped++;
	}
	n->head = (n->head + 1) % NET_PENDING;
	n->count--;
	return len;
}

/* Hands pending frames to the RX buffers the driver has posted. */
static void deliver(struct virtio_dev *d, struct net *n)
{
	struct virtq *rx = &d->q[NET_RXQ];
	struct kerr why;

	while (n->count > 0 && d->live[NET_RXQ]) {
		int r = virtq_pop(rx, &n->rx_chain, &why);

		if (r == 0) {
			if (!virtq_arm_and_check(rx))
				break;   /* the driver kicks RX when it posts buffers */
			continue;
		}
		if (r == -EPROTO) {
			d->live[NET_RXQ] = false;
			d->bad_queues++;
			break;
		}
		virtq_push(rx, n->rx_chain.head, r == 1 ? fill_rx(n, &n->rx_chain) : 0);
	}
	virtio_dev_interrupt(d, NET_RXQ);
}

static uint32_t transmit(struct virtio_dev *d, struct net *n, const struct virtq_chain *c)
{
	uint64_t len = c->readable_len - NET_HDR_LEN;
	struct net_frame *f;

	if (c->readable_len < NET_HDR_LEN + NET_ETH_HLEN || len > NET_MAX_FRAME) {
		n->bad++;
		return 0;
	}
	if (n->count == NET_PENDING) {
		n->dropped++;
		return 0;
	}
	f = &n->pending[(n->head + n->count) % NET_PENDING];
	f->len = (uint32_t)chain_read(c, NET_HDR_LEN, f->data, (size_t)len);
	n->count++;
	n->bytes_tx += len;
	deliver(d, n);
	return 0;
}

static bool net_ready(struct virtio_dev *d, unsigned q)
{
	struct net *n = d->role;

	return q == NET_TXQ || n->count > 0;   /* RX buffers are taken only for a frame */
}

static uint32_t net_handle(struct virtio_dev *d, unsigned q, const struct virtq_chain *c)
{
	struct net *n = d->role;

	return q == NET_TXQ ? transmit(d, n, c) : fill_rx(n, c);
}

static void net_reset(struct virtio_dev *d)
{
	struct net *n = d->role;

	n->head = n->count = 0;
}

static void net_stats(struct virtio_dev *d, struct ipc_device_stats *s)
{
	struct net *n = d->role;

	s->bad_requests += n->bad;
	s->dropped = n->dropped;
	s->bytes_read = n->bytes_rx;
	s->bytes_written = n->bytes_tx;
}

static const struct virtio_dev_ops net_ops = {
	.ready = net_ready, .handle = net_handle, .reset = net_reset, .stats = net_stats,
};

static void net_identity(const struct net *n, struct ipc_virtio_identity *id)
{
	struct virtio_net_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.mac, n->mac, sizeof(cfg.mac));
	memset(id, 0, sizeof(*id));
	id->device_id = IPC_VIRTIO_ID_NET;
	id->num_queues = 2;
	id->queue_num_max = NET_QUEUE_SIZE;
	id->features = (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_RING_F_EVENT_IDX) |
		       (1ull << VIRTIO_RING_F_INDIRECT_DESC);
	_Static_assert(sizeof(cfg) <= IPC_VIRTIO_CONFIG_MAX, "net config fits");
	memcpy(id->config, &cfg, sizeof(cfg));
	id->config_len = sizeof(cfg);
}

int devproc_net_run(struct devproc_ctx *ctx, struct kerr *err)
{
	struct ipc_virtio_identity id;
	struct virtio_dev *d = calloc(1, sizeof(*d));
	struct net *n = calloc(1, sizeof(*n));
	struct ipc_msg m;
	int r;

	if (!d || !n) {
		free(d);
		free(n);
		return kerr_set(err, ENOMEM, "net device state");
	}
	virtio_dev_init(d, ctx, &net_ops, n, err);
	if ((r = virtio_dev_map_ram(d)) == 0 && (r = virtio_dev_expect(d, IPC_MSG_NET_SETUP, &m)) == 0) {
		memcpy(n->mac, m.body.net_setup.mac, sizeof(n->mac));
		net_identity(n, &id);
		if ((r = virtio_dev_announce(d, &id)) == 0)
			r = virtio_dev_run(d);
	}
	virtio_dev_destroy(d);
	free(d);
	free(n);
	return r;
}
