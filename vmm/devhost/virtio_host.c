/* vmm's half of a virtio device; see virtio_host.h. */
#include "vmm/devhost/virtio_host.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#define QUEUE_NOTIFY_OFFSET 0x050

void virtio_host_init(struct virtio_host *h)
{
	memset(h, 0, sizeof(*h));
	devhost_init(&h->dev);
	h->irqfd = h->status_memfd = h->wake_fd = -1;
	for (unsigned i = 0; i < IPC_VIRTIO_MAX_QUEUES; i++)
		h->kick[i] = -1;
	pthread_mutex_init(&h->pending_lock, NULL);
}

/* From a vCPU thread: only memory and an eventfd write, never the device's socket. */
static void post(struct virtio_host *h, bool reset, const struct ipc_virtio_start *start)
{
	pthread_mutex_lock(&h->pending_lock);
	if (reset) {
		h->pending_reset = true;
		h->pending_start = false;
	} else {
		h->pending_start = true;
		h->pending_msg = *start;
	}
	pthread_mutex_unlock(&h->pending_lock);
	if (h->wake_fd >= 0)
		ipc_bell_ring(h->wake_fd);
}

int virtio_host_flush(struct virtio_host *h, struct kerr *err)
{
	struct ipc_empty e = { 0 };
	int r = 0;

	pthread_mutex_lock(&h->pending_lock);
	if (h->pending_reset && (r = ipc_send_timed(&h->dev.ch, IPC_MSG_VIRTIO_RESET, &e, NULL, 0, err)) == 0)
		h->pending_reset = false;
	if (r == 0 && h->pending_start &&
	    (r = ipc_send_timed(&h->dev.ch, IPC_MSG_VIRTIO_START, &h->pending_msg, NULL, 0, err)) == 0)
		h->pending_start = false;
	pthread_mutex_unlock(&h->pending_lock);
	if (r == -EAGAIN)
		return 1;
	return r < 0 ? kerr_wrap(err, "%s device", h->dev.name) : 0;
}

bool virtio_host_pending(struct virtio_host *h)
{
	bool p;

	pthread_mutex_lock(&h->pending_lock);
	p = h->pending_reset || h->pending_start;
	pthread_mutex_unlock(&h->pending_lock);
	return p;
}

static void on_driver_ok(void *opaque, const struct virtio_mmio *m)
{
	struct virtio_host *h = opaque;
	struct ipc_virtio_start s = { .features = m->driver_features, .nqueues = m->id.num_queues };

	for (unsigned i = 0; i < m->id.num_queues; i++) {
		const struct virtio_mmio_queue *q = &m->queues[i];

		/* A ready queue of an impossible size goes as not ready: the driver broke it. */
		bool usable = q->ready && q->num && !(q->num & (q->num - 1));

		s.queue[i] = (struct ipc_virtq_setup){ .size = usable ? q->num : 0, .ready = usable,
						       .desc = q->desc, .driver = q->driver,
						       .device = q->device };
	}
	post(h, false, &s);
}

static void on_reset(void *opaque, const struct virtio_mmio *m)
{
	(void)m;
	post(opaque, true, NULL);
}

static void on_notify(void *opaque, unsigned queue)
{
	struct virtio_host *h = opaque;

	if (queue < IPC_VIRTIO_MAX_QUEUES && h->kick[queue] >= 0)
		ipc_bell_ring(h->kick[queue]);
}

static int send_guest_ram(struct virtio_host *h, const struct guest_memory *mem, struct kerr *err)
{
	struct ipc_guest_ram g = { .nregions = mem->nregions };

	if (mem->nregions > IPC_RAM_MAX_REGIONS)
		return kerr_set(err, EINVAL, "guest RAM has %u regions", mem->nregions);
	for (unsigned i = 0; i < mem->nregions; i++)
		g.regions[i] = (struct ipc_ram_region){ mem->regions[i].gpa, mem->regions[i].size,
							mem->regions[i].offset };
	return devhost_send(&h->dev, IPC_MSG_GUEST_RAM, &g, &mem->memfd, err);
}

static int create_status_page(struct virtio_host *h, struct kerr *err)
{
	void *p;

	h->status_memfd = memfd_create("ktstr-virtio-status", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (h->status_memfd < 0)
		return kerr_errno(err, errno, "memfd_create for the status page");
	if (ftruncate(h->status_memfd, IPC_VIRTIO_STATUS_PAGE) < 0 ||
	    fcntl(h->status_memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		return kerr_errno(err, errno, "size and seal the status page");
	p = mmap(NULL, IPC_VIRTIO_STATUS_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, h->status_memfd, 0);
	if (p == MAP_FAILED)
		return kerr_errno(err, errno, "map the status page");
	h->status_page = p;
	return 0;
}

/* Non-blocking, as the device must find them (it may not change file flags itself). */
static int create_eventfds(struct virtio_host *h, unsigned nqueues, struct kerr *err)
{
	h->irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->irqfd < 0)
		return kerr_errno(err, errno, "eventfd for interrupts");
	for (unsigned q = 0; q < nqueues; q++)
		if ((h->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
			return kerr_errno(err, errno, "eventfd for queue %u", q);
	return 0;
}

static int give_eventfds(struct virtio_host *h, unsigned nqueues, struct kerr *err)
{
	struct ipc_empty e = { 0 };
	int fds[2] = { h->irqfd, h->status_memfd };

	if (devhost_send(&h->dev, IPC_MSG_VIRTIO_IRQ, &e, fds, err) < 0)
		return -1;
	for (unsigned q = 0; q < nqueues; q++) {
		struct ipc_virtio_kick k = { .queue = q };

		if (devhost_send(&h->dev, IPC_MSG_VIRTIO_KICK, &k, &h->kick[q], err) < 0)
			return -1;
	}
	return 0;
}

static int send_setup(struct virtio_host *h, const struct guest_memory *mem,
		      const struct virtio_host_role *role, struct kerr *err)
{
	int r;

	if ((r = send_guest_ram(h, mem, err)) < 0 ||
	    (r = devhost_send(&h->dev, role->setup_type, role->setup_body, role->setup_fds, err)) < 0)
		return r;
	if (role->extra_type)
		return devhost_send(&h->dev, role->extra_type, role->extra_body, role->extra_fds, err);
	return 0;
}

/* Errors from devhost already name the device; the rest are named here. */
int virtio_host_setup(struct virtio_host *h, const struct guest_memory *mem,
		      const struct virtio_host_role *role, int timeout_ms, struct kerr *err)
{
	static const struct virtio_mmio_ops ops = { .driver_ok = on_driver_ok, .reset = on_reset,
						    .notify = on_notify };
	const char *name = h->dev.name;
	struct ipc_msg m = { 0 };
	int r;

	if ((r = devhost_wait_hello(&h->dev, timeout_ms, err)) < 0)
		return r;
	if ((r = send_setup(h, mem, role, err)) < 0)
		return r;
	if ((r = devhost_expect(&h->dev, IPC_MSG_VIRTIO_IDENTITY, timeout_ms, &m, err)) < 0)
		return r;
	if (m.body.virtio_identity.device_id != role->device_id)
		return kerr_set(err, EPROTO, "%s device: it says it is virtio device %u, not %u", name,
				m.body.virtio_identity.device_id, role->device_id);
	if (create_status_page(h, err) < 0 || create_eventfds(h, m.body.virtio_identity.num_queues, err) < 0)
		return kerr_wrap(err, "%s device", name);
	if (give_eventfds(h, m.body.virtio_identity.num_queues, err) < 0)
		return -1;
	virtio_mmio_init(&h->regs, &m.body.virtio_identity, h->status_page, &ops, h);
	h->regs_ready = true;
	return 0;
}

int virtio_host_wire(struct virtio_host *h, struct kvm_vm *kvm, struct io_bus *mmio, uint64_t base,
		     unsigned gsi, struct kerr *err)
{
	int r;

	for (unsigned q = 0; q < h->regs.id.num_queues; q++)
		if ((r = kvm_vm_ioeventfd(kvm, base + QUEUE_NOTIFY_OFFSET, q, h->kick[q], err)) < 0)
			return r;
	if ((r = kvm_vm_irqfd(kvm, h->irqfd, gsi, err)) < 0)
		return r;
	if (io_bus_add(mmio, base, VIRTIO_MMIO_WINDOW, virtio_mmio_access, &h->regs) < 0)
		return kerr_set(err, ENOSPC, "virtio-mmio window at 0x%llx: no room on the bus",
				(unsigned long long)base);
	return 0;
}

bool virtio_host_accept_stats(struct virtio_host *h, const struct ipc_device_stats *s)
{
	if (h->stats_reported || s->role != (uint32_t)h->dev.role)
		return false;
	h->stats_reported = true;
	return true;
}

void virtio_host_destroy(struct virtio_host *h)
{
	devhost_kill(&h->dev);
	if (h->regs_ready)
		virtio_mmio_destroy(&h->regs);
	for (unsigned i = 0; i < IPC_VIRTIO_MAX_QUEUES; i++)
		if (h->kick[i] >= 0)
			close(h->kick[i]);
	if (h->irqfd >= 0)
		close(h->irqfd);
	if (h->status_memfd >= 0)
		close(h->status_memfd);
	if (h->status_page)
		munmap(h->status_page, IPC_VIRTIO_STATUS_PAGE);
	pthread_mutex_destroy(&h->pending_lock);
}
