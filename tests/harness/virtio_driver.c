/* The test driver; see virtio_driver.h. */
#include "tests/harness/virtio_driver.h"

#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#define RINGS_GPA 0x100000ull    /* queue q's rings at RINGS_GPA + q * 0x10000 */
#define HEAP_GPA  0x1000000ull

void vdrv_start(struct vdrv *d, const char *devproc_path, enum sandbox_role role,
		enum sandbox_level level, const struct virtio_host_role *r, int log_fd)
{
	struct devhost_spawn sp;
	struct kerr err = { 0 };

	memset(d, 0, sizeof(*d));
	d->heap = HEAP_GPA;
	devhost_spawn_config(&sp, devproc_path, role, level);
	sp.log_fd = log_fd;
	if (guest_memory_create(&d->mem, (uint64_t)VDRV_RAM_MIB << 20, &err) < 0)
		fail_msg("guest memory: %s", err.msg);
	virtio_host_init(&d->h);
	if (devhost_spawn(&d->h.dev, &sp, &err) < 0 || virtio_host_setup(&d->h, &d->mem, r, 5000, &err) < 0)
		fail_msg("start device: %s", err.msg);
}

uint32_t vdrv_reg_read(struct vdrv *d, uint64_t off)
{
	uint32_t v;

	virtio_mmio_access(&d->h.regs, off, false, (uint8_t *)&v, 4);
	return v;
}

/* As a vCPU writes, then as vmm's supervisor sends what the write posted (START, RESET). */
void vdrv_reg_write(struct vdrv *d, uint64_t off, uint32_t v)
{
	struct kerr err = { 0 };
	int r;

	virtio_mmio_access(&d->h.regs, off, true, (uint8_t *)&v, 4);
	for (int tries = 0; (r = virtio_host_flush(&d->h, &err)) == 1 && tries < 1000; tries++)
		usleep(1000);
	if (r != 0)
		fail_msg("sending what the write posted: %s", r < 0 ? err.msg : "no room for a second");
}

uint8_t vdrv_config8(struct vdrv *d, unsigned off)
{
	uint8_t v;

	virtio_mmio_access(&d->h.regs, 0x100 + off, false, &v, 1);
	return v;
}

uint64_t vdrv_config64(struct vdrv *d, unsigned off)
{
	uint64_t v;

	virtio_mmio_access(&d->h.regs, 0x100 + off, false, (uint8_t *)&v, 8);
	return v;
}

static void setup_queue(struct vdrv *d, unsigned i, uint16_t qsize)
{
	struct vdrv_queue *q = &d->q[i];

	q->size = qsize;
	q->desc = RINGS_GPA + i * 0x10000ull;
	q->avail = q->desc + 16ull * qsize;
	q->used = (q->avail + 6 + 2ull * qsize + 4095) & ~4095ull;
	q->avail_idx = q->used_seen = q->next_desc = 0;
	memset(vdrv_ptr(d, q->desc, 0x10000), 0, 0x10000);
	vdrv_reg_write(d, 0x030, i);
	assert_true(vdrv_reg_read(d, 0x034) >= qsize);
	vdrv_reg_write(d, 0x038, qsize);
	vdrv_reg_write(d, 0x080, (uint32_t)q->desc);
	vdrv_reg_write(d, 0x084, (uint32_t)(q->desc >> 32));
	vdrv_reg_write(d, 0x090, (uint32_t)q->avail);
	vdrv_reg_write(d, 0x094, (uint32_t)(q->avail >> 32));
	vdrv_reg_write(d, 0x0a0, (uint32_t)q->used);
	vdrv_reg_write(d, 0x0a4, (uint32_t)(q->used >> 32));
	vdrv_reg_write(d, 0x044, 1);
}

void vdrv_bring_up(struct vdrv *d, unsigned nqueues, uint16_t qsize, uint64_t wanted)
{
	uint64_t offered;

	vdrv_reg_write(d, 0x070, 0);
	vdrv_reg_write(d, 0x070, 1);
	vdrv_reg_write(d, 0x070, 1 | 2);
	vdrv_reg_write(d, 0x014, 0);
	offered = vdrv_reg_read(d, 0x010);
	vdrv_reg_write(d, 0x014, 1);
	offered |= (uint64_t)vdrv_reg_read(d, 0x010) << 32;
	d->features = offered & wanted;
	vdrv_reg_write(d, 0x024, 0);
	vdrv_reg_write(d, 0x020, (uint32_t)d->features);
	vdrv_reg_write(d, 0x024, 1);
	vdrv_reg_write(d, 0x020, (uint32_t)(d->features >> 32));
	vdrv_reg_write(d, 0x070, 1 | 2 | 8);
	assert_true(vdrv_reg_read(d, 0x070) & 8);
	for (unsigned i = 0; i < nqueues; i++)
		setup_queue(d, i, qsize);
	vdrv_reg_write(d, 0x070, 1 | 2 | 8 | 4);
}

uint64_t vdrv_alloc(struct vdrv *d, uint64_t len)
{
	uint64_t gpa = d->heap;

	d->heap = (d->heap + len + 63) & ~63ull;
	assert_true(d->heap < ((uint64_t)VDRV_RAM_MIB << 20));
	return gpa;
}

void *vdrv_ptr(struct vdrv *d, uint64_t gpa, uint64_t len)
{
	void *p = guest_memory_ptr(&d->mem, gpa, len);

	assert_non_null(p);
	return p;
}

struct vring_desc *vdrv_desc(struct vdrv *d, unsigned q, uint16_t i)
{
	return vdrv_ptr(d, d->q[q].desc + 16ull * i, 16);
}

static bool has_event_idx(const struct vdrv *d)
{
	return d->features & (1ull << 29);
}

void vdrv_publish(struct vdrv *d, unsigned qi, uint16_t head)
{
	struct vdrv_queue *q = &d->q[qi];
	struct vring_avail *avail = vdrv_ptr(d, q->avail, 6 + 2ull * q->size);
	uint64_t one = 1;

	avail->ring[q->avail_idx % q->size] = head;
	if (has_event_idx(d))
		avail->ring[q->size] = q->used_seen;   /* used_event: interrupt for the next one */
	q->avail_idx++;
	__atomic_store_n(&avail->idx, q->avail_idx, __ATOMIC_RELEASE);
	assert_int_equal(write(d->h.kick[qi], &one, sizeof(one)), sizeof(one));
}

uint16_t vdrv_submit(struct vdrv *d, unsigned qi, const struct vdrv_buf *bufs, unsigned n)
{
	struct vdrv_queue *q = &d->q[qi];
	uint16_t head = q->next_desc;

	for (unsigned i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((head + i) % q->size);
		struct vring_desc *desc = vdrv_desc(d, qi, idx);

		desc->addr = bufs[i].gpa;
		desc->len = bufs[i].len;
		desc->flags = (uint16_t)((bufs[i].writable ? VRING_DESC_F_WRITE : 0) |
					 (i + 1 < n ? VRING_DESC_F_NEXT : 0));
		desc->next = (uint16_t)((idx + 1) % q->size);
	}
	q->next_desc = (uint16_t)((head + n) % q->size);
	vdrv_publish(d, qi, head);
	return head;
}

static void take_one(struct vdrv *d)
{
	struct ipc_msg m;
	struct kerr err;

	if (ipc_recv(&d->h.dev.ch, &m, &err) < 0)
		fail_msg("device channel: %s", err.msg);
	if (m.type == IPC_MSG_ERROR)
		fail_msg("device error: %s", m.body.error.text);
	if (d->on_msg)
		d->on_msg(d->on_msg_opaque, &m);
	ipc_msg_close_fds(&m);
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

bool vdrv_wait_used(struct vdrv *d, unsigned qi, uint16_t *id, uint32_t *len, int timeout_ms)
{
	struct vdrv_queue *q = &d->q[qi];
	struct vring_used *used = vdrv_ptr(d, q->used, 6 + 8ull * q->size);
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) == q->used_seen) {
		struct pollfd p[2] = { { .fd = d->h.irqfd, .events = POLLIN },
				       { .fd = d->h.dev.ch.fd, .events = POLLIN } };
		uint64_t v;
		long left = timeout_ms - elapsed_ms(&t0);

		if (left <= 0)
			return false;
		if (poll(p, 2, (int)(left < 50 ? left : 50)) <= 0)
			continue;
		if ((p[0].revents & POLLIN) && read(d->h.irqfd, &v, sizeof(v)) > 0)
			vdrv_reg_write(d, 0x064, vdrv_reg_read(d, 0x060));   /* InterruptACK */
		if (p[1].revents & POLLIN)
			take_one(d);
	}
	*id = (uint16_t)used->ring[q->used_seen % q->size].id;
	*len = used->ring[q->used_seen % q->size].len;
	q->used_seen++;
	return true;
}

struct take_ctx {
	struct vdrv *d;
	void (*fn)(void *opaque, const struct ipc_msg *m);
	void *opaque;
};

static void take(void *opaque, const struct ipc_msg *m)
{
	struct take_ctx *t = opaque;

	if (m->type == IPC_MSG_DEVICE_STATS) {
		t->d->stats = m->body.device_stats;
		t->d->have_stats = true;
	}
	if (t->fn)
		t->fn(t->opaque, m);
}

int vdrv_finish_with(struct vdrv *d, void (*fn)(void *opaque, const struct ipc_msg *m),
		     void *opaque, struct kerr *err)
{
	struct take_ctx t = { d, fn, opaque };

	return devhost_finish(&d->h.dev, 5000, take, &t, err);
}

int vdrv_finish(struct vdrv *d, struct kerr *err)
{
	return vdrv_finish_with(d, NULL, NULL, err);
}

void vdrv_free(struct vdrv *d)
{
	virtio_host_destroy(&d->h);
	guest_memory_destroy(&d->mem);
}
