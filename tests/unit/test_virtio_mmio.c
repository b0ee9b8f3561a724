/* The virtio-mmio register window, driven through the sequence Linux's virtio_mmio driver
 * uses (virtio 1.2 §3.1.1 and §4.2.3): identity, feature negotiation with FEATURES_OK
 * refused for features never offered, queue setup locked once ready, DRIVER_OK handing the
 * layout over, notify, interrupt status/ACK through the shared word, config reads, reset. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/devices/virtio_mmio.h"

struct seen {
	unsigned driver_ok, resets, notifies, last_notify;
	struct virtio_mmio_queue q0;
	uint64_t features;
};

static void on_driver_ok(void *opaque, const struct virtio_mmio *m)
{
	struct seen *s = opaque;

	s->driver_ok++;
	s->q0 = m->queues[0];
	s->features = m->driver_features;
}

static void on_reset(void *opaque, const struct virtio_mmio *m)
{
	(void)m;
	((struct seen *)opaque)->resets++;
}

static void on_notify(void *opaque, unsigned q)
{
	struct seen *s = opaque;

	s->notifies++;
	s->last_notify = q;
}

static uint32_t rd(struct virtio_mmio *m, uint64_t off)
{
	uint32_t v;

	virtio_mmio_access(m, off, false, (uint8_t *)&v, 4);
	return v;
}

static void wr(struct virtio_mmio *m, uint64_t off, uint32_t v)
{
	virtio_mmio_access(m, off, true, (uint8_t *)&v, 4);
}

struct fixture {
	struct virtio_mmio m;
	_Atomic uint32_t isr;
	struct seen seen;
};

static void start(struct fixture *f)
{
	static const struct virtio_mmio_ops ops = { on_driver_ok, on_reset, on_notify };
	struct ipc_virtio_identity id = {
		.device_id = 2, .features = (1ull << 9) | (1ull << 29), .num_queues = 1,
		.queue_num_max = 256, .config = { 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0x00, 0x02 },
		.config_len = 10,
	};

	memset(f, 0, sizeof(*f));
	virtio_mmio_init(&f->m, &id, &f->isr, &ops, &f->seen);
}

static void negotiate(struct fixture *f, uint64_t features)
{
	wr(&f->m, 0x070, 0);
	wr(&f->m, 0x070, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(&f->m, 0x024, 0);
	wr(&f->m, 0x020, (uint32_t)features);
	wr(&f->m, 0x024, 1);
	wr(&f->m, 0x020, (uint32_t)(features >> 32));
	wr(&f->m, 0x070, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
}

static void test_identity_and_features(void **state)
{
	struct fixture f;

	(void)state;
	start(&f);
	assert_int_equal(rd(&f.m, 0x000), 0x74726976);
	assert_int_equal(rd(&f.m, 0x004), 2);
	assert_int_equal(rd(&f.m, 0x008), 2);
	wr(&f.m, 0x014, 0);
	assert_int_equal(rd(&f.m, 0x010), (1u << 9) | (1u << 29));
	wr(&f.m, 0x014, 1);
	assert_int_equal(rd(&f.m, 0x010), 1u);            /* VERSION_1, bit 32 */
	wr(&f.m, 0x014, 7);
	assert_int_equal(rd(&f.m, 0x010), 0);
	assert_int_equal(rd(&f.m, 0x0b0), 0xffffffffu);   /* no shared memory */
	/* a feature never offered: FEATURES_OK does not stick */
	negotiate(&f, (1ull << 32) | (1ull << 5));
	assert_false(rd(&f.m, 0x070) & VIRTIO_CONFIG_S_FEATURES_OK);
	wr(&f.m, 0x070, rd(&f.m, 0x070) | VIRTIO_CONFIG_S_DRIVER_OK);
	assert_false(rd(&f.m, 0x070) & VIRTIO_CONFIG_S_DRIVER_OK);
	assert_int_equal(f.seen.driver_ok, 0);
	/* a legacy driver without VERSION_1 is refused too */
	negotiate(&f, 1ull << 9);
	assert_false(rd(&f.m, 0x070) & VIRTIO_CONFIG_S_FEATURES_OK);
	negotiate(&f, (1ull << 32) | (1ull << 29));
	assert_true(rd(&f.m, 0x070) & VIRTIO_CONFIG_S_FEATURES_OK);
	virtio_mmio_destroy(&f.m);
}

static void setup_queue0(struct fixture *f, uint32_t num)
{
	wr(&f->m, 0x030, 0);
	assert_int_equal(rd(&f->m, 0x034), 256);
	assert_int_equal(rd(&f->m, 0x044), 0);
	wr(&f->m, 0x038, num);
	wr(&f->m, 0x080, 0x1000);
	wr(&f->m, 0x084, 0x1);
	wr(&f->m, 0x090, 0x2000);
	wr(&f->m, 0x094, 0);
	wr(&f->m, 0x0a0, 0x3000);
	wr(&f->m, 0x0a4, 0);
	wr(&f->m, 0x044, 1);
}

static void test_queue_setup_and_driver_ok(void **state)
{
	struct fixture f;

	(void)state;
	start(&f);
	negotiate(&f, (1ull << 32) | (1ull << 29));
	setup_queue0(&f, 128);
	wr(&f.m, 0x080, 0xdead000);            /* ignored: the queue is ready */
	wr(&f.m, 0x070, rd(&f.m, 0x070) | VIRTIO_CONFIG_S_DRIVER_OK);
	assert_true(rd(&f.m, 0x070) & VIRTIO_CONFIG_S_DRIVER_OK);
	assert_int_equal(f.seen.driver_ok, 1);
	assert_int_equal(f.seen.features, (1ull << 32) | (1ull << 29));
	assert_true(f.seen.q0.ready);
	assert_int_equal(f.seen.q0.num, 128);
	assert_int_equal(f.seen.q0.desc, 0x100001000ull);
	assert_int_equal(f.seen.q0.driver, 0x2000);
	assert_int_equal(f.seen.q0.device, 0x3000);
	/* a queue selector past the device's queues reads 0 and changes nothing */
	wr(&f.m, 0x030, 5);
	assert_int_equal(rd(&f.m, 0x034), 0);
	wr(&f.m, 0x044, 1);
	assert_int_equal(rd(&f.m, 0x044), 0);
	wr(&f.m, 0x050, 0);
	wr(&f.m, 0x050, 3);                    /* no such queue: dropped */
	assert_int_equal(f.seen.notifies, 1);
	assert_int_equal(f.seen.last_notify, 0);
	virtio_mmio_destroy(&f.m);
}

static void test_queue_num_over_max_unusable(void **state)
{
	struct fixture f;

	(void)state;
	start(&f);
	negotiate(&f, 1ull << 32);
	setup_queue0(&f, 512);
	wr(&f.m, 0x070, rd(&f.m, 0x070) | VIRTIO_CONFIG_S_DRIVER_OK);
	assert_int_equal(f.seen.q0.num, 0);
	virtio_mmio_destroy(&f.m);
}

static void test_interrupts_config_and_reset(void **state)
{
	struct fixture f;
	uint8_t b[8];

	(void)state;
	start(&f);
	atomic_store(&f.isr, IPC_VIRTIO_INT_USED_BUFFER | IPC_VIRTIO_INT_CONFIG);
	assert_int_equal(rd(&f.m, 0x060), 3);
	wr(&f.m, 0x064, IPC_VIRTIO_INT_USED_BUFFER);
	assert_int_equal(atomic_load(&f.isr), IPC_VIRTIO_INT_CONFIG);
	/* config space at any width, zeros past what the device declared */
	virtio_mmio_access(&f.m, 0x100, false, b, 8);
	assert_memory_equal(b, "\x00\x20\x00\x00\x00\x00\x00\x00", 8);
	virtio_mmio_access(&f.m, 0x108, false, b, 2);
	assert_int_equal(b[0] | b[1] << 8, 0x200);
	virtio_mmio_access(&f.m, 0x109, false, b, 4);
	assert_memory_equal(b, "\x02\x00\x00\x00", 4);
	assert_int_equal(rd(&f.m, 0xffc), 0);
	/* narrow or misaligned register accesses read 0 and write nothing */
	virtio_mmio_access(&f.m, 0x000, false, b, 2);
	assert_int_equal(b[0] | b[1], 0);
	virtio_mmio_access(&f.m, 0x072, true, b, 4);
	negotiate(&f, 1ull << 32);
	setup_queue0(&f, 64);
	wr(&f.m, 0x070, 0);
	assert_int_equal(f.seen.resets, 2);    /* negotiate() starts with a reset, then ours */
	assert_int_equal(rd(&f.m, 0x070), 0);
	assert_int_equal(rd(&f.m, 0x044), 0);
	assert_int_equal(atomic_load(&f.isr), 0);
	virtio_mmio_destroy(&f.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_and_features),
		cmocka_unit_test(test_queue_setup_and_driver_ok),
		cmocka_unit_test(test_queue_num_over_max_unusable),
		cmocka_unit_test(test_interrupts_config_and_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
