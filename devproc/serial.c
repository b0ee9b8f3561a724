/* The serial device role: drains the COM1/COM2 rings, writes COM1 to the console log, parses
 * both streams and sends vmm only the parsed outcome (exit status, panic and result text). */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "devproc/devproc.h"
#include "devproc/serial_parser.h"

#define DRAIN_CHUNK 4096

struct serial_dev {
	struct devproc_ctx *ctx;
	struct ipc_ring ring[2];       /* COM1, COM2 */
	bool attached[2];
	struct serial_parser parser;
	struct ipc_guest_text pending[IPC_TEXT_KIND_END];
	struct kerr *err;
	int send_failed;
};

static void send_msg(struct serial_dev *s, enum ipc_msg_type type, const void *body)
{
	if (s->send_failed)
		return;
	if (ipc_send(&s->ctx->ipc, type, body, NULL, s->err) < 0)
		s->send_failed = 1;
}

static void sink_exit(void *opaque, int status)
{
	struct ipc_guest_exit m = { .status = status };

	send_msg(opaque, IPC_MSG_GUEST_EXIT, &m);
}

static void sink_milestone(void *opaque, enum ipc_milestone milestone)
{
	struct ipc_guest_milestone m = { .milestone = milestone };

	send_msg(opaque, IPC_MSG_GUEST_MILESTONE, &m);
}

/* Text is batched into chunks; a chunk goes out when full or when its piece ends. */
static void sink_text(void *opaque, enum ipc_text_kind kind, const char *data, size_t len, bool last)
{
	struct serial_dev *s = opaque;
	struct ipc_guest_text *t = &s->pending[kind];

	t->kind = kind;
	while (len > 0) {
		size_t n = sizeof(t->data) - t->len;

		if (n > len)
			n = len;
		memcpy(t->data + t->len, data, n);
		t->len += (uint32_t)n;
		data += n;
		len -= n;
		if (t->len == sizeof(t->data)) {
			t->flags = 0;
			send_msg(s, IPC_MSG_GUEST_TEXT, t);
			t->len = 0;
		}
	}
	if (last) {
		t->flags = IPC_TEXT_LAST;
		send_msg(s, IPC_MSG_GUEST_TEXT, t);
		t->len = 0;
	}
}

/* Reads one ring until it is empty. */
static int drain(struct serial_dev *s, int port)
{
	uint8_t buf[DRAIN_CHUNK];
	ssize_t n;

	if (!s->attached[port])
		return 0;
	while ((n = ipc_ring_read(&s->ring[port], buf, sizeof(buf))) > 0) {
		if (port == 0) {
			devproc_log(s->ctx, buf, (size_t)n);
			serial_parser_com1(&s->parser, buf, (size_t)n);
		} else {
			serial_parser_com2(&s->parser, buf, (size_t)n);
		}
	}
	if (n < 0)
		return kerr_set(s->err, EPROTO, "COM%d ring: vmm wrote an impossible index", port + 1);
	return 0;
}

static int attach(struct serial_dev *s, const struct ipc_msg *m)
{
	int port = m->body.ring_attach.ring_id == IPC_RING_COM1_TX ? 0 :
		   m->body.ring_attach.ring_id == IPC_RING_COM2_TX ? 1 : -1;

	if (port < 0 || s->attached[port]) {
		return kerr_set(s->err, EPROTO, "ring %u is not a serial ring or came twice",
				m->body.ring_attach.ring_id);
	}
	if (ipc_ring_attach(&s->ring[port], m->fds[0], m->fds[1], m->fds[2],
			    m->body.ring_attach.capacity, s->err) < 0)
		return -s->err->code;
	s->attached[port] = true;
	return 0;
}

/* One message from vmm: a ring to attach, or the request to finish. Returns 1 when done. */
static int handle_ipc(struct serial_dev *s)
{
	struct ipc_empty done = { 0 };
	struct ipc_msg m;
	int r;

	if ((r = ipc_recv(&s->ctx->ipc, &m, s->err)) < 0)
		return r;
	switch (m.type) {
	case IPC_MSG_RING_ATTACH:
		r = attach(s, &m);
		if (r < 0)
			ipc_msg_close_fds(&m);
		return r;
	case IPC_MSG_SHUTDOWN:
		if ((r = drain(s, 0)) < 0 || (r = drain(s, 1)) < 0)
			return r;
		serial_parser_finish(&s->parser);
		send_msg(s, IPC_MSG_DONE, &done);
		return s->send_failed ? -s->err->code : 1;
	default:
		ipc_msg_close_fds(&m);
		return kerr_set(s->err, EPROTO, "unexpected %s message", ipc_msg_name(m.type));
	}
}

static int serve(struct serial_dev *s)
{
	for (;;) {
		struct pollfd p[3] = { { .fd = s->ctx->ipc.fd, .events = POLLIN } };
		int n = 1, r;

		for (int i = 0; i < 2; i++)
			if (s->attached[i])
				p[n++] = (struct pollfd){ .fd = s->ring[i].data_bell, .events = POLLIN };
		if (poll(p, (nfds_t)n, -1) < 0 && errno != EINTR)
			return kerr_errno(s->err, errno, "poll");
		for (int i = 0; i < 2; i++) {
			if (!s->attached[i])
				continue;
			ipc_bell_ack(s->ring[i].data_bell);   /* then read until empty */
			if ((r = drain(s, i)) < 0)
				return r;
		}
		if (s->send_failed)
			return -s->err->code;
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((r = handle_ipc(s)) != 0)
				return r < 0 ? r : 0;
		}
	}
}

int devproc_serial_run(struct devproc_ctx *ctx, struct kerr *err)
{
	static struct serial_dev s;   /* large (pending text chunks); one per process */
	struct serial_sink sink = { .exit_status = sink_exit, .milestone = sink_milestone,
				    .text = sink_text, .opaque = &s };

	memset(&s, 0, sizeof(s));
	s.ctx = ctx;
	s.err = err;
	for (int i = 0; i < 2; i++)
		ipc_ring_init(&s.ring[i]);
	serial_parser_init(&s.parser, &sink);
	return serve(&s);
}
