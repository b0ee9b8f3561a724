/* The virtio device engine shared by the blk, net and console roles; see virtio_dev.h. */
#include "devproc/virtio_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ipc/memfd.h"

void virtio_dev_init(struct virtio_dev *d, struct devproc_ctx *ctx, const struct virtio_dev_ops *ops,
		     void *role, struct kerr *err)
{
	memset(d, 0, sizeof(*d));
	d->ctx = ctx;
	d->ops = ops;
	d->role = role;
	d->err = err;
	d->irqfd = -1;
	for (unsigned i = 0; i < IPC_VIRTIO_MAX_QUEUES; i++)
		d->kick[i] = -1;
}

void virtio_dev_destroy(struct virtio_dev *d)
{
	for (unsigned i = 0; i < IPC_VIRTIO_MAX_QUEUES; i++)
		if (d->kick[i] >= 0)
			close(d->kick[i]);
	if (d->irqfd >= 0)
		close(d->irqfd);
	if (d->status_page)
		munmap(d->status_page, IPC_VIRTIO_STATUS_PAGE);
	guest_ram_detach(&d->ram);
}

bool virtio_dev_has(const struct virtio_dev *d, unsigned bit)
{
	return d->features & (1ull << bit);
}

int virtio_dev_expect(struct virtio_dev *d, enum ipc_msg_type type, struct ipc_msg *m)
{
	int r = ipc_recv(&d->ctx->ipc, m, d->err);

	if (r < 0)
		return r;
	if (m->type != type) {
		ipc_msg_close_fds(m);
		return kerr_set(d->err, EPROTO, "expected %s, got %s", ipc_msg_name(type),
				ipc_msg_name(m->type));
	}
	return 0;
}

int virtio_dev_map_ram(struct virtio_dev *d)
{
	struct ipc_msg m;
	int r;

	if ((r = virtio_dev_expect(d, IPC_MSG_GUEST_RAM, &m)) < 0)
		return r;
	r = guest_ram_attach(&d->ram, m.fds[0], &m.body.guest_ram, d->err);
	ipc_msg_close_fds(&m);   /* the mapping stays; the fd is not needed */
	return r;
}

static int map_status_page(struct virtio_dev *d, int memfd)
{
	void *p;

	if (ipc_memfd_check(memfd, F_SEAL_SHRINK | F_SEAL_GROW, IPC_VIRTIO_STATUS_PAGE,
			    "status page", d->err) < 0)
		return -d->err->code;
	p = mmap(NULL, IPC_VIRTIO_STATUS_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (p == MAP_FAILED)
		return kerr_errno(d->err, errno, "map the status page");
	d->status_page = p;
	d->int_status = p;
	return 0;
}

int virtio_dev_announce(struct virtio_dev *d, const struct ipc_virtio_identity *id)
{
	struct ipc_msg m;
	int r;

	d->id = *id;
	if ((r = ipc_send(&d->ctx->ipc, IPC_MSG_VIRTIO_IDENTITY, id, NULL, d->err)) < 0 ||
	    (r = virtio_dev_expect(d, IPC_MSG_VIRTIO_IRQ, &m)) < 0)
		return r;
	d->irqfd = m.fds[0];
	r = map_status_page(d, m.fds[1]);
	close(m.fds[1]);
	if (r < 0)
		return r;
	for (unsigned q = 0; q < id->num_queues; q++) {
		if ((r = virtio_dev_expect(d, IPC_MSG_VIRTIO_KICK, &m)) < 0)
			return r;
		if (m.body.virtio_kick.queue != q) {
			ipc_msg_close_fds(&m);
			return kerr_set(d->err, EPROTO, "kick for queue %u, expected queue %u",
					m.body.virtio_kick.queue, q);
		}
		d->kick[q] = m.fds[0];
	}
	return 0;
}

/* The used-buffer interrupt, when the driver asked for one. */
void virtio_dev_interrupt(struct virtio_dev *d, unsigned q)
{
	if (!virtq_need_interrupt(&d->q[q]))
		return;
	atomic_fetch_or(d->int_status, IPC_VIRTIO_INT_USED_BUFFER);
	ipc_bell_ring(d->irqfd);
}

/* Pops and serves chains until the queue is empty or the role must wait. A malformed chain
 * is returned unused; a corrupt ring stops the queue until the driver resets the device.
 * Returns whether any chain was served. */
static bool serve_queue(struct virtio_dev *d, unsigned q)
{
	struct virtq *vq = &d->q[q];
	bool served = false;
	struct kerr why;

	for (;;) {
		while (d->ops->ready(d, q)) {
			int r = virtq_pop(vq, &d->chain, &why);

			if (r == 0)
				break;
			if (r == -EPROTO) {
				d->live[q] = false;
				d->bad_queues++;
				break;
			}
			virtq_push(vq, d->chain.head, r == 1 ? d->ops->handle(d, q, &d->chain) : 0);
			served = true;
		}
		virtio_dev_interrupt(d, q);
		if (!d->live[q] || !d->ops->ready(d, q) || !virtq_arm_and_check(vq))
			return served;
	}
}

/* Serving one queue can give another work (a control request queues a reply): go round
 * until a pass serves nothing. */
static void serve_all(struct virtio_dev *d)
{
	bool progress = d->started;

	while (progress) {
		progress = false;
		for (unsigned q = 0; q < d->id.num_queues; q++)
			if (d->started && d->live[q])
				progress |= serve_queue(d, q);
	}
}

static void stop_queues(struct virtio_dev *d)
{
	d->started = false;
	memset(d->live, 0, sizeof(d->live));
	if (d->ops->reset)
		d->ops->reset(d);
}

/* DRIVER_OK: lay out each ready queue; one outside guest RAM is refused (and counted). */
static int start(struct virtio_dev *d, const struct ipc_virtio_start *s)
{
	uint64_t offered = d->id.features | (1ull << VIRTIO_F_VERSION_1);

	if (s->features & ~offered)
		return kerr_set(d->err, EPROTO, "started with features 0x%llx that were not offered",
				(unsigned long long)(s->features & ~offered));
	stop_queues(d);
	/* virtq_init starts a queue's counts over: keep what it served before the restart. */
	for (unsigned i = 0; i < d->id.num_queues; i++) {
		d->retired.chains += d->q[i].stats.chains;
		d->retired.bad_chains += d->q[i].stats.bad_chains;
		d->q[i].stats = (struct virtq_stats){ 0 };
	}
	d->features = s->features;
	for (unsigned i = 0; i < s->nqueues && i < d->id.num_queues; i++) {
		const struct ipc_virtq_setup *qs = &s->queue[i];
		struct virtq_layout l = {
			.size = (uint16_t)qs->size, .desc_gpa = qs->desc, .avail_gpa = qs->driver,
			.used_gpa = qs->device, .event_idx = virtio_dev_has(d, VIRTIO_RING_F_EVENT_IDX),
			.indirect = virtio_dev_has(d, VIRTIO_RING_F_INDIRECT_DESC),
		};
		struct kerr why;

		if (!qs->ready)
			continue;
		if (qs->size > d->id.queue_num_max || virtq_init(&d->q[i], &d->ram, &l, &why) < 0)
			d->bad_queues++;
		else
			d->live[i] = true;
	}
	d->started = true;
	return 0;
}

static int finish(struct virtio_dev *d)
{
	struct ipc_device_stats st = { .role = d->ctx->spec.role, .requests = d->retired.chains,
				       .bad_requests = d->bad_queues + d->retired.bad_chains };
	struct ipc_empty done = { 0 };
	int r;

	if (d->ops->finish)
		d->ops->finish(d);
	for (unsigned i = 0; i < d->id.num_queues; i++) {
		st.requests += d->q[i].stats.chains;
		st.bad_requests += d->q[i].stats.bad_chains;
	}
	if (d->ops->stats)
		d->ops->stats(d, &st);
	if ((r = ipc_send(&d->ctx->ipc, IPC_MSG_DEVICE_STATS, &st, NULL, d->err)) < 0)
		return r;
	return ipc_send(&d->ctx->ipc, IPC_MSG_DONE, &done, NULL, d->err);
}

/* One message from vmm. Returns 1 after SHUTDOWN. */
static int handle_ipc(struct virtio_dev *d)
{
	struct ipc_msg m;
	int r;

	if ((r = ipc_recv(&d->ctx->ipc, &m, d->err)) < 0)
		return r;
	switch (m.type) {
	case IPC_MSG_VIRTIO_START: return start(d, &m.body.virtio_start);
	case IPC_MSG_VIRTIO_RESET: stop_queues(d); return 0;
	case IPC_MSG_SHUTDOWN: return (r = finish(d)) < 0 ? r : 1;
	default:
		ipc_msg_close_fds(&m);
		return kerr_set(d->err, EPROTO, "unexpected %s message", ipc_msg_name(m.type));
	}
}

int virtio_dev_run(struct virtio_dev *d)
{
	unsigned nq = d->id.num_queues;

	for (unsigned q = 0; q < nq; q++)
		if (!(fcntl(d->kick[q], F_GETFL) & O_NONBLOCK))
			return kerr_set(d->err, EINVAL, "the kick eventfd of queue %u arrived blocking", q);
	for (;;) {
		struct pollfd p[2 + IPC_VIRTIO_MAX_QUEUES] = { { .fd = d->ctx->ipc.fd, .events = POLLIN } };
		int timeout = d->ops->wait_ms ? d->ops->wait_ms(d) : -1;
		short backend_events = 0;

		for (unsigned q = 0; q < nq; q++)
			p[1 + q] = (struct pollfd){ .fd = d->kick[q], .events = POLLIN };
		p[1 + nq].fd = d->ops->backend_fd ? d->ops->backend_fd(d, &backend_events) : -1;
		p[1 + nq].events = backend_events;
		if (poll(p, 2 + nq, timeout) < 0 && errno != EINTR)
			return kerr_errno(d->err, errno, "poll");
		if (p[1 + nq].fd >= 0 && p[1 + nq].revents)
			d->ops->backend_ready(d, p[1 + nq].revents);
		for (unsigned q = 0; q < nq; q++)
			if (p[1 + q].revents & POLLIN)
				ipc_bell_ack(d->kick[q]);
		serve_all(d);
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			int r = handle_ipc(d);

			if (r != 0)
				return r < 0 ? r : 0;
			serve_all(d);   /* kicks may have come before the start */
		}
	}
}
