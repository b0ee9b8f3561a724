/* The virtqueue a device process serves, driven by this test playing the guest driver over a
 * sealed memfd: well-formed chains come out as segments inside guest RAM, and every hostile
 * shape (loops, indices and addresses out of range, wrapping lengths, misplaced or nested
 * indirect tables, a jumping ring index) is refused without touching anything outside. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "devproc/guest_ram.h"
#include "devproc/virtq.h"

#define REGION  (512u * 1024)
#define HIGH    0x100000000ull     /* the second region's guest address */
#define QSIZE   8
#define DESC    0x1000
#define AVAIL   0x2000
#define USED    0x3000
#define BUF     0x10000

struct rig {
	int memfd;
	uint8_t *mem;              /* the driver's view: the whole memfd */
	struct guest_ram ram;      /* the device's view */
	struct virtq q;
	struct virtq_chain c;
	struct kerr err;
	uint16_t avail_idx;
};

static uint8_t *at(struct rig *r, uint64_t gpa)
{
	return gpa >= HIGH ? r->mem + REGION + (gpa - HIGH) : r->mem + gpa;
}

/* The same guest address in the device's own mapping. */
static uint8_t *dev_at(struct rig *r, uint64_t gpa)
{
	return gpa >= HIGH ? r->ram.base + REGION + (gpa - HIGH) : r->ram.base + gpa;
}

static struct ipc_guest_ram two_regions(void)
{
	struct ipc_guest_ram g = { .nregions = 2 };

	g.regions[0] = (struct ipc_ram_region){ 0, REGION, 0 };
	g.regions[1] = (struct ipc_ram_region){ HIGH, REGION, REGION };
	return g;
}

static int make_memfd(uint64_t size, bool seal)
{
	int fd = memfd_create("virtq-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	if (seal)
		assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	return fd;
}

static void rig_queue(struct rig *r, bool event_idx, bool indirect)
{
	struct virtq_layout l = { QSIZE, DESC, AVAIL, USED, event_idx, indirect };

	memset(at(r, 0), 0, 0x4000);
	r->avail_idx = 0;
	assert_int_equal(virtq_init(&r->q, &r->ram, &l, &r->err), 0);
}

static int setup(void **state)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct ipc_guest_ram g = two_regions();

	if (!r)
		return -1;
	r->memfd = make_memfd(2 * REGION, true);
	r->mem = mmap(NULL, 2 * REGION, PROT_READ | PROT_WRITE, MAP_SHARED, r->memfd, 0);
	if (r->mem == MAP_FAILED || guest_ram_attach(&r->ram, r->memfd, &g, &r->err) < 0)
		return -1;
	rig_queue(r, false, false);
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct rig *r = *state;

	guest_ram_detach(&r->ram);
	munmap(r->mem, 2 * REGION);
	close(r->memfd);
	free(r);
	return 0;
}

static void put_desc(struct rig *r, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	struct vring_desc d = { .addr = addr, .len = len, .flags = flags, .next = next };

	memcpy(at(r, table) + i * sizeof(d), &d, sizeof(d));
}

static void publish(struct rig *r, uint16_t head)
{
	struct vring_avail *a = (struct vring_avail *)at(r, AVAIL);

	a->ring[r->avail_idx % QSIZE] = head;
	a->idx = ++r->avail_idx;
}

static struct vring_used *used(struct rig *r)
{
	return (struct vring_used *)at(r, USED);
}

static void expect_bad(struct rig *r, const char *says)
{
	assert_int_equal(virtq_pop(&r->q, &r->c, &r->err), -EBADMSG);
	if (!strstr(r->err.msg, says))
		fail_msg("\"%s\" does not say \"%s\"", r->err.msg, says);
	virtq_push(&r->q, r->c.head, 0);    /* returned unused; the queue goes on */
}

static void test_chain_segments(void **state)
{
	struct rig *r = *state;

	assert_int_equal(virtq_pop(&r->q, &r->c, &r->err), 0);
	put_desc(r, DESC, 3, BUF, 16, VRING_DESC_F_NEXT, 5);
	put_desc(r, DESC, 5, HIGH + 0x100, 512, VRING_DESC_F_NEXT, 0);
	put_desc(r, DESC, 0, BUF + 0x1000, 1, VRING_DESC_F_WRITE, 0);
	publish(r, 3);
	assert_int_equal(virtq_pop(&r->q, &r->c, &r->err), 1);
	assert_int_equal(r->c.head, 3);
	assert_int_equal(r->c.nseg, 3);
	assert_int_equal(r->c.n_readable, 2);
	assert_ptr_equal(r->c.seg[0].host, dev_at(r, BUF));
	assert_ptr_equal(r->c.seg[1].host, dev_at(r, HIGH + 0x100));
	assert_ptr_equal(r->c.seg[2].host, dev_at(r, BUF + 0x1000));
	assert_true(r->c.seg[2].writable);
	assert_int_equal(r->c.readable_len, 528);
	assert_int_equal(r->c.writable_len, 1);
	virtq_push(&r->q, 3, 1);
	assert_int_equal(used(r)->idx, 1);
	assert_int_equal(used(r)->ring[0].id, 3);
	assert_int_equal(used(r)->ring[0].len, 1);
	assert_int_equal(virtq_pop(&r->q, &r->c, &r->err), 0);
}

static void test_loops_and_indices(void **state)
{
	struct rig *r = *state;

	put_desc(r, DESC, 0, BUF, 8, VRING_DESC_F_NEXT, 1);
	put_desc(r, DESC, 1, BUF, 8, VRING_DESC_F_NEXT, 0);     /* 0 -> 1 -> 0 ... */
	publish(r, 0);
	expect_bad(r, "loop");
	put_desc(r, DESC, 2, BUF, 8, VRING_DESC_F_NEXT, 2);     /* onto itself */
	publish(r, 2);
	expect_bad(r, "loop");
	put_desc(r, DESC, 4, BUF, 8, VRING_DESC_F_NEXT, QSIZE); /* next past the table */
	publish(r, 4);
	expect_bad(r, "next index out of range");
	assert_int_equal(r->q.stats.bad_chains, 3);
	assert_int_equal(used(r)->idx, 3);
	/* after all that, a good chain is still served */
	put_desc(r, DESC, 6, BUF, 8, 0, 0);
	publish(r, 6);
	assert_int_equal(virtq_pop(&r->q, &r->c, &r->err), 1);
	assert_int_equal(r->c.head, 6);
}

static void test_addresses_outside_ram(void **state)
{
	struct rig *r = *state;

	put_desc(r, DESC, 0, 2 * REGION, 1, 0, 0);                  /* in the gap */
	publish(r, 0);
	expect_bad(r, "outside guest RAM");
	put_desc(r, DESC, 0, REGION - 8, 16, 0, 0);                 /* across a region's end */
	publish(r, 0);
	expect_bad(r, "outside guest RAM");
	put_desc(r, DESC, 0, UINT64_MAX - 4, 16, 0, 0);             /* wraps */
	publish(r, 0);
	expect_bad(r, "outside guest RAM");
	put_desc(r, DESC, 0, HIGH + REGION - 1, UINT32_MAX, 0, 0);  /* huge length */
	publish(r, 0);
	expect_bad(r, "outside guest RAM");
	put_desc(r, DESC, 0, BUF, 4, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	put_desc(r, DESC, 1, BUF, 4, 0, 0);                        /* readable after writable */
	publish(r, 0);
	expect_bad(r, "readable descriptor after a writable one");
}

static void test_indirect(void **state)
{
	struct rig *r = *state;
	const uint64_t table = HIGH + 0x800;

	put_desc(r, table, 0, BUF, 100, VRING_DESC_F_NEXT, 2);
	put_desc(r, table, 2, BUF + 0x200, 50, VRING_DESC_F_WRITE, 0);
	put_desc(r, DESC, 1, table, 3 * 16, VRING_DESC_F_INDIRECT, 0);
	publish(r, 1);
	expect_bad(r, "without VIRTIO_RING_F_INDIRECT_DESC");
	rig_queue(r, false, true);
	put_desc(r, table, 0, BUF, 100, VRING_DESC_F_NEXT, 2);
	put_desc(r, table, 2, BUF + 0x200, 50, VRING_DESC_F_WRITE, 0);
	put_desc(r, DESC, 1, table, 3 * 16, VRING_DESC_F_INDIRECT, 0);
	publish(r, 1);
	assert_int_equal(virtq_pop(&r->q, &r->c, &r->err), 1);
	assert_int_equal(r->c.nseg, 2);
	assert_int_equal(r->c.readable_len, 100);
	assert_int_equal(r->c.writable_len, 50);
	virtq_push(&r->q, 1, 50);
	/* the table's own next index is bounded by the table, not the queue */
	put_desc(r, table, 0, BUF, 1, VRING_DESC_F_NEXT, 3);
	publish(r, 1);
	expect_bad(r, "next index out of range");
	put_desc(r, table, 0, BUF, 1, VRING_DESC_F_NEXT, 0);       /* a loop inside the table */
	publish(r, 1);
	expect_bad(r, "loop");
	put_desc(r, table, 0, table, 16, VRING_DESC_F_INDIRECT, 0); /* nested */
	publish(r, 1);
	expect_bad(r, "nested indirect");
	put_desc(r, DESC, 1, table, 3 * 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 2);
	publish(r, 1);
	expect_bad(r, "indirect with NEXT");
	put_desc(r, DESC, 1, table, 20, VRING_DESC_F_INDIRECT, 0);
	publish(r, 1);
	expect_bad(r, "indirect table length");
	put_desc(r, DESC, 1, table, (QSIZE + 1) * 16, VRING_DESC_F_INDIRECT, 0);
	publish(r, 1);
	expect_bad(r, "indirect table length");
	put_desc(r, DESC, 1, HIGH + REGION - 16, 32, VRING_DESC_F_INDIRECT, 0);
	publish(r, 1);
	expect_bad(r, "indirect table outside guest RAM");
}

static void test_corrupt_ring_breaks_queue(void **state)
{
	struct rig *r = *state;
	struct vring_avail *a = (struct vring_avail *)at(r, AVAIL);

	a->ring[0] = QSIZE;                 /* a head outside the queue */
	a->idx = 1;
	assert_int_equal(virtq_pop(&r->q, &r->c, &r->err), -EPROTO);
	assert_non_null(strstr(r->err.msg, "chain head 8 outside"));
	assert_int_equal(virtq_pop(&r->q, &r->c, &r->err), -EPROTO);   /* stays broken */
	rig_queue(r, false, false);
	a->idx = QSIZE + 1;                 /* more pending than the queue holds */
	assert_int_equal(virtq_pop(&r->q, &r->c, &r->err), -EPROTO);
	assert_non_null(strstr(r->err.msg, "moved by 9"));
	assert_false(virtq_arm_and_check(&r->q));
}

static void test_interrupt_suppression(void **state)
{
	struct rig *r = *state;
	struct vring_avail *a = (struct vring_avail *)at(r, AVAIL);

	assert_false(virtq_need_interrupt(&r->q));        /* nothing used yet */
	virtq_push(&r->q, 0, 0);
	assert_true(virtq_need_interrupt(&r->q));
	a->flags = VRING_AVAIL_F_NO_INTERRUPT;
	virtq_push(&r->q, 0, 0);
	assert_false(virtq_need_interrupt(&r->q));
	/* EVENT_IDX: interrupt only once used->idx passes used_event */
	rig_queue(r, true, false);
	a->ring[QSIZE] = 2;                                /* used_event: after the third */
	virtq_push(&r->q, 0, 0);
	assert_false(virtq_need_interrupt(&r->q));
	virtq_push(&r->q, 0, 0);
	virtq_push(&r->q, 0, 0);
	assert_true(virtq_need_interrupt(&r->q));
	/* avail_event asks for a kick at the next entry; work that arrived is noticed */
	put_desc(r, DESC, 0, BUF, 1, 0, 0);
	publish(r, 0);
	assert_true(virtq_arm_and_check(&r->q));
	assert_int_equal(virtq_pop(&r->q, &r->c, &r->err), 1);
	assert_false(virtq_arm_and_check(&r->q));
	{
		uint16_t avail_event;

		memcpy(&avail_event, &used(r)->ring[QSIZE], sizeof(avail_event));
		assert_int_equal(avail_event, 1);
	}
}

static void test_bad_layouts(void **state)
{
	struct rig *r = *state;
	struct virtq_layout l = { QSIZE, DESC, AVAIL, USED, false, false };
	struct virtq q;

	l.size = 6;
	assert_int_equal(virtq_init(&q, &r->ram, &l, &r->err), -EINVAL);
	l.size = 2048;
	assert_int_equal(virtq_init(&q, &r->ram, &l, &r->err), -EINVAL);
	l.size = QSIZE;
	l.desc_gpa = DESC + 8;
	assert_int_equal(virtq_init(&q, &r->ram, &l, &r->err), -EINVAL);
	assert_non_null(strstr(r->err.msg, "descriptor table"));
	l.desc_gpa = DESC;
	l.used_gpa = REGION - 16;            /* the device ring would run off the region */
	assert_int_equal(virtq_init(&q, &r->ram, &l, &r->err), -EINVAL);
	assert_non_null(strstr(r->err.msg, "device ring"));
}

static void test_guest_ram_checks(void **state)
{
	struct rig *r = *state;
	struct ipc_guest_ram g = two_regions();
	struct guest_ram ram;
	int fd;

	assert_ptr_equal(guest_ram_ptr(&r->ram, REGION - 1, 1), dev_at(r, REGION - 1));
	assert_null(guest_ram_ptr(&r->ram, REGION - 1, 2));
	assert_null(guest_ram_ptr(&r->ram, REGION, 0));
	assert_ptr_equal(guest_ram_ptr(&r->ram, HIGH, 0), dev_at(r, HIGH));
	/* and it is the same memory: what the driver writes, the device reads */
	*at(r, HIGH + 5) = 0x5a;
	assert_int_equal(*(uint8_t *)guest_ram_ptr(&r->ram, HIGH + 5, 1), 0x5a);
	assert_null(guest_ram_ptr(&r->ram, HIGH + 1, UINT64_MAX));
	fd = make_memfd(2 * REGION, false);
	assert_true(guest_ram_attach(&ram, fd, &g, &r->err) < 0);
	assert_non_null(strstr(r->err.msg, "not sealed"));
	close(fd);
	fd = make_memfd(REGION, true);
	assert_true(guest_ram_attach(&ram, fd, &g, &r->err) < 0);
	assert_non_null(strstr(r->err.msg, "smaller than its layout"));
	close(fd);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_chain_segments),
		T(test_loops_and_indices),
		T(test_addresses_outside_ram),
		T(test_indirect),
		T(test_corrupt_ring_breaks_queue),
		T(test_interrupt_suppression),
		T(test_bad_layouts),
		T(test_guest_ram_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
