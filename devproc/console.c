/* The virtio-console role: multiport (three ports, eight queues) with the control protocol.
 * Port 0 is the interactive console (/dev/hvc0), written to the console log. Port 1
 * ("ktstr.tlv") carries the payload's TLV result frames, parsed here and sent to vmm.
 * Port 2 ("ktstr.stats", only when vmm wired --stats-socket) relays bytes both ways between
 * the guest and the host socket, through bounded buffers so a slow peer stalls only itself. */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_console.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devproc/chain_io.h"
#include "devproc/devproc.h"
#include "devproc/tlv_parser.h"
#include "devproc/virtio_dev.h"

#define CON_PORTS       3u
#define CON_QUEUE_SIZE  128u
#define Q_CTRL_RX       2u      /* device -> driver control messages */
#define Q_CTRL_TX       3u      /* driver -> device control messages */
#define CTRL_PENDING    32u
#define CTRL_MSG_MAX    (sizeof(struct virtio_console_control) + 32u)
#define RELAY_BUF       65536u
#define CHUNK           4096u

static const char *const port_names[CON_PORTS] = { NULL, "ktstr.tlv", "ktstr.stats" };

/* Queue numbers (virtio 1.2 §5.3.2): port 0 in/out, control in/out, then a pair per port. */
static unsigned q_rx(unsigned port) { return port == 0 ? 0 : 2 + 2 * port; }
static unsigned q_tx(unsigned port) { return port == 0 ? 1 : 3 + 2 * port; }

struct ctrl_msg {
	uint32_t len;
	uint8_t data[CTRL_MSG_MAX];
};

struct relay {
	int fd;                      /* -1: port 2 is not wired */
	bool eof;                    /* the host side closed or failed */
	uint8_t in[RELAY_BUF];       /* host -> guest, waiting for RX buffers */
	size_t in_len, in_off;
	uint8_t out[RELAY_BUF];      /* guest -> host, waiting for the socket */
	size_t out_len, out_off;
};

struct console {
	struct devproc_ctx *ctx;
	struct kerr *err;
	struct ctrl_msg ctrl[CTRL_PENDING];
	unsigned ctrl_head, ctrl_count;
	bool guest_open[CON_PORTS];
	struct relay relay;
	struct tlv_parser tlv;
	struct ipc_guest_frame frame;
	bool send_failed;
	uint64_t bad, dropped, to_host, to_guest;
};

static void queue_ctrl(struct console *c, uint32_t id, uint16_t event, uint16_t value, const char *name)
{
	struct virtio_console_control m = { .id = id, .event = event, .value = value };
	struct ctrl_msg *slot;
	size_t nlen = name ? strlen(name) : 0;

	if (c->ctrl_count == CTRL_PENDING || sizeof(m) + nlen > CTRL_MSG_MAX) {
		c->dropped++;
		return;
	}
	slot = &c->ctrl[(c->ctrl_head + c->ctrl_count++) % CTRL_PENDING];
	memcpy(slot->data, &m, sizeof(m));
	if (nlen)
		memcpy(slot->data + sizeof(m), name, nlen);
	slot->len = (uint32_t)(sizeof(m) + nlen);
}

static unsigned ports_in_use(const struct console *c)
{
	return c->relay.fd >= 0 ? CON_PORTS : CON_PORTS - 1;
}

/* A port the driver made ready is announced: the console, or a named port whose host side
 * is connected (a guest write to an unconnected port would block). */
static void port_ready(struct console *c, uint32_t id)
{
	if (id == 0) {
		queue_ctrl(c, 0, VIRTIO_CONSOLE_CONSOLE_PORT, 1, NULL);
		queue_ctrl(c, 0, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL);
		return;
	}
	queue_ctrl(c, id, VIRTIO_CONSOLE_PORT_NAME, 1, port_names[id]);
	if (id != 2 || !c->relay.eof)
		queue_ctrl(c, id, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL);
}

static uint32_t control_from_driver(struct console *c, const struct virtq_chain *ch)
{
	struct virtio_console_control m;

	if (chain_read(ch, 0, &m, sizeof(m)) != sizeof(m)) {
		c->bad++;
		return 0;
	}
	if (m.event == VIRTIO_CONSOLE_DEVICE_READY && m.value == 1) {
		for (uint32_t id = 0; id < ports_in_use(c); id++)
			queue_ctrl(c, id, VIRTIO_CONSOLE_PORT_ADD, 0, NULL);
	} else if (m.event == VIRTIO_CONSOLE_PORT_READY && m.id < ports_in_use(c)) {
		if (m.value == 1)
			port_ready(c, m.id);
	} else if (m.event == VIRTIO_CONSOLE_PORT_OPEN && m.id < ports_in_use(c)) {
		c->guest_open[m.id] = m.value != 0;
	} else if (m.event != VIRTIO_CONSOLE_DEVICE_READY) {
		c->bad++;
	}
	return 0;
}

static uint32_t control_to_driver(struct console *c, const struct virtq_chain *ch)
{
	struct ctrl_msg *m = &c->ctrl[c->ctrl_head];
	uint32_t len = 0;

	if (ch->writable_len >= m->len)
		len = (uint32_t)chain_write(ch, 0, m->data, m->len);
	else
		c->dropped++;
	c->ctrl_head = (c->ctrl_head + 1) % CTRL_PENDING;
	c->ctrl_count--;
	return len;
}

/* TLV frames go to vmm in chunks; the last chunk says so. */
static void send_frame(void *opaque, uint32_t type, const uint8_t *data, size_t len, bool ok)
{
	struct console *c = opaque;
	size_t off = 0;

	do {
		size_t n = len - off < sizeof(c->frame.data) ? len - off : sizeof(c->frame.data);

		c->frame.type = type;
		c->frame.len = (uint32_t)n;
		c->frame.flags = (ok ? 0 : IPC_FRAME_CRC_BAD) | (off + n == len ? IPC_FRAME_LAST : 0);
		memcpy(c->frame.data, data + off, n);
		if (!c->send_failed && ipc_send(&c->ctx->ipc, IPC_MSG_GUEST_FRAME, &c->frame, NULL, c->err) < 0)
			c->send_failed = true;
		off += n;
	} while (off < len);
}

static void relay_closed(struct console *c)
{
	if (!c->relay.eof)
		queue_ctrl(c, 2, VIRTIO_CONSOLE_PORT_OPEN, 0, NULL);   /* host disconnected */
	c->relay.eof = true;
	c->dropped += c->relay.out_len - c->relay.out_off;
	c->relay.out_len = c->relay.out_off = 0;
}

static void relay_flush(struct console *c)
{
	struct relay *r = &c->relay;

	while (r->out_off < r->out_len && !r->eof) {
		ssize_t n = write(r->fd, r->out + r->out_off, r->out_len - r->out_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			relay_closed(c);
			return;
		}
		r->out_off += (size_t)n;
	}
	r->out_len = r->out_off = 0;
}

/* Bytes the guest wrote on a port: log, TLV parser or relay. */
static uint32_t from_guest(struct console *c, unsigned port, const struct virtq_chain *ch)
{
	uint8_t buf[CHUNK];

	c->to_host += ch->readable_len;
	if (port == 2) {
		struct relay *r = &c->relay;
		size_t n = chain_read(ch, 0, r->out, sizeof(r->out));

		if (r->eof) {
			c->dropped += ch->readable_len;
			return 0;
		}
		c->dropped += ch->readable_len - n;
		r->out_len = n;
		r->out_off = 0;
		relay_flush(c);
		return 0;
	}
	for (uint64_t off = 0; off < ch->readable_len; off += CHUNK) {
		size_t n = chain_read(ch, off, buf, sizeof(buf));

		if (port == 1)
			tlv_parser_feed(&c->tlv, buf, n);
		else
			devproc_log(c->ctx, buf, n);
	}
	return 0;
}

static uint32_t to_guest(struct console *c, const struct virtq_chain *ch)
{
	struct relay *r = &c->relay;
	size_t n = chain_write(ch, 0, r->in + r->in_off, r->in_len - r->in_off);

	r->in_off += n;
	if (r->in_off == r->in_len)
		r->in_len = r->in_off = 0;
	c->to_guest += n;
	return (uint32_t)n;
}

static bool con_ready(struct virtio_dev *d, unsigned q)
{
	struct console *c = d->role;

	if (q == Q_CTRL_RX)
		return c->ctrl_count > 0;
	if (q == q_rx(2))
		return c->relay.in_len > c->relay.in_off;
	if (q == q_tx(2))
		return c->relay.out_len == 0;
	return q == Q_CTRL_TX || q == q_tx(0) || q == q_tx(1);
}

static uint32_t con_handle(struct virtio_dev *d, unsigned q, const struct virtq_chain *ch)
{
	struct console *c = d->role;

	if (q == Q_CTRL_TX)
		return control_from_driver(c, ch);
	if (q == Q_CTRL_RX)
		return control_to_driver(c, ch);
	if (q == q_rx(2))
		return to_guest(c, ch);
	return from_guest(c, q == q_tx(0) ? 0 : q == q_tx(1) ? 1 : 2, ch);
}

static int con_backend_fd(struct virtio_dev *d, short *events)
{
	struct console *c = d->role;
	const struct relay *r = &c->relay;

	if (r->fd < 0 || r->eof)
		return -1;
	*events = (short)((r->in_len == 0 ? POLLIN : 0) | (r->out_len > r->out_off ? POLLOUT : 0));
	return *events ? r->fd : -1;
}

static void con_backend_ready(struct virtio_dev *d, short revents)
{
	struct console *c = d->role;
	struct relay *r = &c->relay;

	if (revents & POLLOUT)
		relay_flush(c);
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && r->in_len == 0 && !r->eof) {
		ssize_t n = read(r->fd, r->in, sizeof(r->in));

		if (n > 0)
			r->in_len = (size_t)n, r->in_off = 0;
		else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			relay_closed(c);
	}
}

static void con_reset(struct virtio_dev *d)
{
	struct console *c = d->role;

	c->ctrl_head = c->ctrl_count = 0;
	memset(c->guest_open, 0, sizeof(c->guest_open));
}

static void con_finish(struct virtio_dev *d)
{
	struct console *c = d->role;

	tlv_parser_finish(&c->tlv);
	relay_flush(c);
}

static void con_stats(struct virtio_dev *d, struct ipc_device_stats *s)
{
	struct console *c = d->role;

	s->bad_requests += c->bad;
	s->dropped = c->dropped;
	s->bytes_written = c->to_host;
	s->bytes_read = c->to_guest;
	s->tlv_frames = c->tlv.stats.frames;
	s->tlv_crc_errors = c->tlv.stats.crc_errors;
	s->tlv_garbage = c->tlv.stats.garbage_bytes;
}

static const struct virtio_dev_ops con_ops = {
	.ready = con_ready, .handle = con_handle, .reset = con_reset, .stats = con_stats,
	.backend_fd = con_backend_fd, .backend_ready = con_backend_ready, .finish = con_finish,
};

static void con_identity(struct ipc_virtio_identity *id)
{
	struct virtio_console_config cfg = { .max_nr_ports = CON_PORTS };

	memset(id, 0, sizeof(*id));
	id->device_id = IPC_VIRTIO_ID_CONSOLE;
	id->num_queues = 2 + 2 * CON_PORTS;
	id->queue_num_max = CON_QUEUE_SIZE;
	id->features = (1ull << VIRTIO_CONSOLE_F_MULTIPORT) | (1ull << VIRTIO_RING_F_EVENT_IDX) |
		       (1ull << VIRTIO_RING_F_INDIRECT_DESC);
	memcpy(id->config, &cfg, sizeof(cfg));
	id->config_len = sizeof(cfg);
}

/* CONSOLE_SETUP, and the relay socket when vmm wired one. */
static int take_setup(struct virtio_dev *d, struct console *c)
{
	struct ipc_msg m;
	int r;

	if ((r = virtio_dev_expect(d, IPC_MSG_CONSOLE_SETUP, &m)) < 0)
		return r;
	if (!(m.body.console_setup.flags & IPC_CONSOLE_RELAY))
		return 0;
	if ((r = virtio_dev_expect(d, IPC_MSG_CONSOLE_RELAY, &m)) < 0)
		return r;
	c->relay.fd = m.fds[0];
	if (!(fcntl(c->relay.fd, F_GETFL) & O_NONBLOCK))
		return kerr_set(d->err, EINVAL, "the stats socket arrived blocking");
	return 0;
}

int devproc_console_run(struct devproc_ctx *ctx, struct kerr *err)
{
	struct ipc_virtio_identity id;
	struct virtio_dev *d = calloc(1, sizeof(*d));
	struct console *c = calloc(1, sizeof(*c));
	struct tlv_sink sink = { send_frame, c };
	int r;

	if (!d || !c || tlv_parser_init(&c->tlv, &sink) < 0) {
		free(d);
		free(c);
		return kerr_set(err, ENOMEM, "console device state");
	}
	c->relay.fd = -1;
	c->ctx = ctx;
	c->err = err;
	virtio_dev_init(d, ctx, &con_ops, c, err);
	if ((r = virtio_dev_map_ram(d)) == 0 && (r = take_setup(d, c)) == 0) {
		con_identity(&id);
		if ((r = virtio_dev_announce(d, &id)) == 0)
			r = virtio_dev_run(d);
	}
	if (r == 0 && c->send_failed)
		r = -err->code;
	virtio_dev_destroy(d);
	if (c->relay.fd >= 0)
		close(c->relay.fd);
	tlv_parser_destroy(&c->tlv);
	free(d);
	free(c);
	return r;
}
