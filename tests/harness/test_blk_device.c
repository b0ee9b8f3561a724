/* The virtio-blk device process, driven without KVM: the test is the guest's driver (see
 * virtio_driver.h) in front of the real vmm-side virtio_host and the real sandboxed
 * ktstr-devproc, over a memfd and eventfds. Requests are checked against the disk file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <linux/virtio_blk.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/harness/virtio_driver.h"

#define DISK_SECTORS 2048u        /* 1 MiB */
#define WANTED ((1ull << 32) | (1ull << 29) | (1ull << 28) | (1ull << VIRTIO_BLK_F_FLUSH) | \
		(1ull << VIRTIO_BLK_F_RO) | (1ull << VIRTIO_BLK_F_BLK_SIZE) | \
		(1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_SIZE_MAX))

static char devproc_path[PATH_MAX];

static int setup_paths(void **state)
{
	const char *build = getenv("KTSTR_BUILD");

	(void)state;
	snprintf(devproc_path, sizeof(devproc_path), "%s/ktstr-devproc", build ? build : "build");
	return access(devproc_path, X_OK) == 0 ? 0 : -1;
}

struct blk_rig {
	struct vdrv d;
	int disk;                 /* the host side of the disk file */
};

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 131 + (off >> 9) * 7 + 1);
}

static int make_disk(uint64_t size)
{
	int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	static uint8_t buf[65536];

	assert_true(fd >= 0);
	for (uint64_t off = 0; off < size; off += sizeof(buf)) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = pattern(off + i);
		assert_int_equal(pwrite(fd, buf, sizeof(buf) < size - off ? sizeof(buf) : size - off,
					(off_t)off), (ssize_t)(sizeof(buf) < size - off ? sizeof(buf) : size - off));
	}
	return fd;
}

/* The device gets its own fd, opened read-only for a read-only disk (as vmm does). */
static void rig_start(struct blk_rig *r, enum sandbox_level level, const struct ipc_blk_disk *disk)
{
	char path[64];
	int fd;
	struct virtio_host_role role = { .device_id = IPC_VIRTIO_ID_BLK, .setup_type = IPC_MSG_BLK_DISK,
					 .setup_body = disk, .setup_fds = &fd };

	r->disk = make_disk(DISK_SECTORS * 512ull);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", r->disk);
	fd = open(path, (disk->flags & IPC_BLK_READ_ONLY ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	assert_true(fd >= 0);
	vdrv_start(&r->d, devproc_path, SANDBOX_ROLE_BLK, level, &role, -1);
	close(fd);
	vdrv_bring_up(&r->d, 1, 128, WANTED);
}

static void rig_finish(struct blk_rig *r)
{
	struct kerr err = { 0 };

	if (vdrv_finish(&r->d, &err) < 0)
		fail_msg("finish: %s", err.msg);
	assert_true(WIFEXITED(r->d.h.dev.wait_status));
	assert_int_equal(WEXITSTATUS(r->d.h.dev.wait_status), 0);
	assert_true(r->d.have_stats);
}

static void rig_free(struct blk_rig *r)
{
	vdrv_free(&r->d);
	close(r->disk);
}

/* One request: header, optional data (split in two descriptors to exercise gathering),
 * status. Returns the status byte; *used_len gets what the device reported written. */
static uint8_t request(struct blk_rig *r, uint32_t type, uint64_t sector, uint64_t data_gpa,
		       uint32_t data_len, uint32_t *used_len)
{
	uint64_t hdr = vdrv_alloc(&r->d, 16), st = vdrv_alloc(&r->d, 1);
	struct virtio_blk_outhdr *h = vdrv_ptr(&r->d, hdr, 16);
	bool to_guest = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	uint32_t half = data_len / 2;
	struct vdrv_buf bufs[4];
	unsigned n = 0;
	uint16_t head, id;
	uint8_t *status = vdrv_ptr(&r->d, st, 1);

	h->type = type;
	h->ioprio = 0;
	h->sector = sector;
	*status = 0xee;
	bufs[n++] = (struct vdrv_buf){ hdr, 16, false };
	if (half)
		bufs[n++] = (struct vdrv_buf){ data_gpa, half, to_guest };
	if (data_len - half)
		bufs[n++] = (struct vdrv_buf){ data_gpa + half, data_len - half, to_guest };
	bufs[n++] = (struct vdrv_buf){ st, 1, true };
	head = vdrv_submit(&r->d, 0, bufs, n);
	if (!vdrv_wait_used(&r->d, 0, &id, used_len, 5000))
		fail_msg("request type %u: no completion within 5 s", type);
	assert_int_equal(id, head);
	return *status;
}

static bool irq_pending(struct blk_rig *r)
{
	struct pollfd p = { .fd = r->d.h.irqfd, .events = POLLIN };
	uint64_t v;

	return poll(&p, 1, 2000) == 1 && read(r->d.h.irqfd, &v, sizeof(v)) == sizeof(v);
}

static void check_identity_and_io(enum sandbox_level level)
{
	struct ipc_blk_disk disk = { .serial = "ktstr-vmm-vdb" };
	struct blk_rig r;
	uint64_t buf;
	uint8_t *p, host[4096];
	uint32_t used;

	rig_start(&r, level, &disk);
	assert_int_equal(vdrv_reg_read(&r.d, 0x008), 2);                    /* DeviceID: block */
	assert_int_equal(vdrv_config64(&r.d, 0), DISK_SECTORS);             /* capacity */
	assert_true(r.d.features & (1ull << VIRTIO_BLK_F_FLUSH));
	assert_false(r.d.features & (1ull << VIRTIO_BLK_F_RO));

	buf = vdrv_alloc(&r.d, 8192);
	p = vdrv_ptr(&r.d, buf, 8192);
	/* IN: sectors 3..10 come back exactly as on disk. */
	assert_int_equal(request(&r, VIRTIO_BLK_T_IN, 3, buf, 4096, &used), VIRTIO_BLK_S_OK);
	assert_int_equal(used, 4096 + 1);
	for (unsigned i = 0; i < 4096; i++)
		if (p[i] != pattern(3 * 512 + i))
			fail_msg("byte %u of sector 3.. is 0x%02x, expected 0x%02x", i, p[i], pattern(3 * 512 + i));
	/* OUT: the bytes land in the file at sector 100. */
	for (unsigned i = 0; i < 4096; i++)
		p[i] = (uint8_t)(i ^ 0x5a);
	assert_int_equal(request(&r, VIRTIO_BLK_T_OUT, 100, buf, 4096, &used), VIRTIO_BLK_S_OK);
	assert_int_equal(used, 1);
	assert_int_equal(pread(r.disk, host, sizeof(host), 100 * 512), (ssize_t)sizeof(host));
	assert_memory_equal(host, p, 4096);
	assert_int_equal(request(&r, VIRTIO_BLK_T_FLUSH, 0, 0, 0, &used), VIRTIO_BLK_S_OK);
	memset(p, 0, 32);
	assert_int_equal(request(&r, VIRTIO_BLK_T_GET_ID, 0, buf, VIRTIO_BLK_ID_BYTES, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, VIRTIO_BLK_ID_BYTES + 1);
	assert_string_equal((char *)p, "ktstr-vmm-vdb");   /* the serial vmm gave it */
	assert_int_equal(request(&r, 11 /* WRITE_ZEROES: not offered */, 0, 0, 0, &used),
			 VIRTIO_BLK_S_UNSUPP);
	/* The interrupt path: the irqfd fired, the device set the used-buffer bit in the shared
	 * page (InterruptStatus), and InterruptACK clears it. */
	{
		uint64_t hdr = vdrv_alloc(&r.d, 16), st = vdrv_alloc(&r.d, 1);
		struct vdrv_buf flush[2] = { { hdr, 16, false }, { st, 1, true } };
		struct virtio_blk_outhdr *h = vdrv_ptr(&r.d, hdr, 16);
		uint16_t id;

		h->type = VIRTIO_BLK_T_FLUSH;
		while (read(r.d.h.irqfd, &buf, sizeof(buf)) > 0)   /* nothing stale */
			;
		vdrv_reg_write(&r.d, 0x064, vdrv_reg_read(&r.d, 0x060));
		assert_int_equal(vdrv_reg_read(&r.d, 0x060), 0);
		vdrv_submit(&r.d, 0, flush, 2);
		assert_true(irq_pending(&r));
		assert_int_equal(vdrv_reg_read(&r.d, 0x060), 1);
		vdrv_reg_write(&r.d, 0x064, 1);
		assert_int_equal(vdrv_reg_read(&r.d, 0x060), 0);
		assert_true(vdrv_wait_used(&r.d, 0, &id, &used, 1000));
		assert_int_equal(used, 1);
	}
	rig_finish(&r);
	assert_int_equal(r.d.stats.requests, 6);
	assert_int_equal(r.d.stats.bytes_read, 4096);
	assert_int_equal(r.d.stats.bytes_written, 4096);
	assert_int_equal(r.d.stats.bad_requests, 0);
	rig_free(&r);
}

/* Run once per level: the test's initial state is the level. */
static void test_io(void **state)
{
	check_identity_and_io(*(const enum sandbox_level *)*state);
}

/* A read-only disk says so, refuses writes (the file is untouched) and still reads. */
static void test_read_only(void **state)
{
	struct ipc_blk_disk disk = { .flags = IPC_BLK_READ_ONLY };
	struct blk_rig r;
	uint64_t buf;
	uint8_t host[512];
	uint32_t used;

	(void)state;
	rig_start(&r, SANDBOX_STANDARD, &disk);
	assert_true(r.d.features & (1ull << VIRTIO_BLK_F_RO));
	buf = vdrv_alloc(&r.d, 512);
	memset(vdrv_ptr(&r.d, buf, 512), 0xab, 512);
	assert_int_equal(request(&r, VIRTIO_BLK_T_OUT, 0, buf, 512, &used), VIRTIO_BLK_S_IOERR);
	assert_int_equal(pread(r.disk, host, sizeof(host), 0), (ssize_t)sizeof(host));
	for (unsigned i = 0; i < sizeof(host); i++)
		assert_int_equal(host[i], pattern(i));
	assert_int_equal(request(&r, VIRTIO_BLK_T_IN, 0, buf, 512, &used), VIRTIO_BLK_S_OK);
	rig_finish(&r);
	assert_int_equal(r.d.stats.bytes_written, 0);
	rig_free(&r);
}

/* Past the end, straddling the end, and partial sectors are I/O errors, not short reads. */
static void test_out_of_range(void **state)
{
	struct ipc_blk_disk disk = { 0 };
	struct blk_rig r;
	uint64_t buf;
	uint32_t used;

	(void)state;
	rig_start(&r, SANDBOX_STANDARD, &disk);
	buf = vdrv_alloc(&r.d, 4096);
	assert_int_equal(request(&r, VIRTIO_BLK_T_IN, DISK_SECTORS, buf, 512, &used), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(&r, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, buf, 1024, &used),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(&r, VIRTIO_BLK_T_OUT, UINT64_MAX / 256, buf, 512, &used),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(&r, VIRTIO_BLK_T_IN, 0, buf, 100, &used), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(&r, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, buf, 512, &used), VIRTIO_BLK_S_OK);
	rig_finish(&r);
	rig_free(&r);
}

/* Offers the looping chain 120 -> 121 -> 120, which must come back unused; returns
 * descriptor 120 for the caller's next hostile chain. */
static struct vring_desc *publish_loop(struct blk_rig *r, uint64_t buf)
{
	struct vring_desc *d0 = vdrv_desc(&r->d, 0, 120), *d1 = vdrv_desc(&r->d, 0, 121);
	uint16_t id;
	uint32_t used;

	*d0 = (struct vring_desc){ .addr = buf, .len = 16, .flags = VRING_DESC_F_NEXT, .next = 121 };
	*d1 = (struct vring_desc){ .addr = buf, .len = 16, .flags = VRING_DESC_F_NEXT, .next = 120 };
	vdrv_publish(&r->d, 0, 120);
	assert_true(vdrv_wait_used(&r->d, 0, &id, &used, 5000));
	assert_int_equal(id, 120);
	assert_int_equal(used, 0);
	return d0;
}

/* Hostile chains are returned unused and counted; the device serves the next good request. */
static void test_hostile_chains(void **state)
{
	struct ipc_blk_disk disk = { 0 };
	struct blk_rig r;
	struct vring_desc *d0;
	uint64_t buf;
	uint16_t id;
	uint32_t used;

	(void)state;
	rig_start(&r, SANDBOX_STANDARD, &disk);
	buf = vdrv_alloc(&r.d, 4096);
	d0 = publish_loop(&r, buf);
	/* Past the end of guest RAM, and a length that wraps the address space. */
	*d0 = (struct vring_desc){ .addr = (uint64_t)VDRV_RAM_MIB << 20, .len = 16 };
	vdrv_publish(&r.d, 0, 120);
	assert_true(vdrv_wait_used(&r.d, 0, &id, &used, 5000));
	assert_int_equal(used, 0);
	*d0 = (struct vring_desc){ .addr = UINT64_MAX - 8, .len = 0xffffffffu };
	vdrv_publish(&r.d, 0, 120);
	assert_true(vdrv_wait_used(&r.d, 0, &id, &used, 5000));
	assert_int_equal(used, 0);
	/* An indirect table (negotiated) pointing outside RAM, and next past the queue size. */
	*d0 = (struct vring_desc){ .addr = UINT64_MAX - 4095, .len = 64, .flags = VRING_DESC_F_INDIRECT };
	vdrv_publish(&r.d, 0, 120);
	assert_true(vdrv_wait_used(&r.d, 0, &id, &used, 5000));
	*d0 = (struct vring_desc){ .addr = buf, .len = 16, .flags = VRING_DESC_F_NEXT, .next = 4000 };
	vdrv_publish(&r.d, 0, 120);
	assert_true(vdrv_wait_used(&r.d, 0, &id, &used, 5000));
	/* A header with no room for the status: answered with nothing written. */
	*d0 = (struct vring_desc){ .addr = buf, .len = 16 };
	vdrv_publish(&r.d, 0, 120);
	assert_true(vdrv_wait_used(&r.d, 0, &id, &used, 5000));
	assert_int_equal(used, 0);
	/* Still serving. */
	assert_int_equal(request(&r, VIRTIO_BLK_T_IN, 1, buf, 512, &used), VIRTIO_BLK_S_OK);
	rig_finish(&r);
	assert_int_equal(r.d.stats.bad_requests, 6);
	rig_free(&r);
}

/* A corrupt driver ring (a head beyond the queue) stops the queue; a reset and a fresh
 * bring-up make the device serve again, and the process never died. */
static void test_corrupt_ring_then_reset(void **state)
{
	struct ipc_blk_disk disk = { 0 };
	struct blk_rig r;
	uint64_t buf;
	uint16_t id;
	uint32_t used;

	(void)state;
	rig_start(&r, SANDBOX_STANDARD, &disk);
	buf = vdrv_alloc(&r.d, 512);
	vdrv_publish(&r.d, 0, 5000);
	assert_false(vdrv_wait_used(&r.d, 0, &id, &used, 300));
	assert_int_equal(kill(r.d.h.dev.pid, 0), 0);
	vdrv_bring_up(&r.d, 1, 128, WANTED);
	assert_int_equal(request(&r, VIRTIO_BLK_T_IN, 1, buf, 512, &used), VIRTIO_BLK_S_OK);
	rig_finish(&r);
	assert_true(r.d.stats.bad_requests >= 1);
	rig_free(&r);
}

/* What a queue served before the driver reset and laid it out again still counts: one
 * request and two looping chains, then a restart, then one more request. (The restart may
 * add a bad queue of its own: the driver zeroes its rings while the device may still be
 * reading them: vmm acknowledges a reset without waiting for the device.) */
static void test_counts_survive_a_restart(void **state)
{
	struct ipc_blk_disk disk = { 0 };
	struct blk_rig r;
	uint64_t buf;
	uint32_t used;

	(void)state;
	rig_start(&r, SANDBOX_STANDARD, &disk);
	buf = vdrv_alloc(&r.d, 512);
	assert_int_equal(request(&r, VIRTIO_BLK_T_IN, 1, buf, 512, &used), VIRTIO_BLK_S_OK);
	publish_loop(&r, buf);
	publish_loop(&r, buf);
	vdrv_bring_up(&r.d, 1, 128, WANTED);
	assert_int_equal(request(&r, VIRTIO_BLK_T_IN, 1, buf, 512, &used), VIRTIO_BLK_S_OK);
	rig_finish(&r);
	assert_int_equal(r.d.stats.requests, 2);
	assert_true(r.d.stats.bad_requests == 2 || r.d.stats.bad_requests == 3);
	rig_free(&r);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Limits make the guest wait, never fail. A request goes while the bucket holds anything,
 * so the burst plus one request is free: 30 requests at 50 IOPS with a burst of 5 take at
 * least (30 - 5 - 1) / 50 = 0.48 s; 256 KiB in 32 KiB reads at 512 KiB/s with a 64 KiB
 * burst take at least (256 - 64 - 32) / 512 = 0.3125 s. */
static void test_throttle(void **state)
{
	struct ipc_blk_disk iops = { .iops = 50, .iops_burst = 5 };
	struct ipc_blk_disk bps = { .bps = 512 * 1024, .bps_burst = 64 * 1024 };
	struct timespec t0;
	struct blk_rig r;
	uint64_t buf;
	uint32_t used;
	double s;

	(void)state;
	rig_start(&r, SANDBOX_STANDARD, &iops);
	buf = vdrv_alloc(&r.d, 65536);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 30; i++)
		assert_int_equal(request(&r, VIRTIO_BLK_T_IN, 0, buf, 512, &used), VIRTIO_BLK_S_OK);
	s = seconds_since(&t0);
	print_message("30 requests at 50 IOPS (burst 5): %.3f s\n", s);
	assert_true(s >= 0.47 && s < 3.0);
	rig_finish(&r);
	assert_true(r.d.stats.throttled_ms >= 400);
	rig_free(&r);

	rig_start(&r, SANDBOX_STANDARD, &bps);
	buf = vdrv_alloc(&r.d, 65536);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(request(&r, VIRTIO_BLK_T_IN, (uint64_t)i * 64, buf, 32768, &used),
				 VIRTIO_BLK_S_OK);
	s = seconds_since(&t0);
	print_message("256 KiB at 512 KiB/s (burst 64 KiB): %.3f s\n", s);
	assert_true(s >= 0.30 && s < 3.0);
	rig_finish(&r);
	rig_free(&r);
}

int main(void)
{
	static enum sandbox_level standard = SANDBOX_STANDARD, strict = SANDBOX_STRICT;
	const struct CMUnitTest tests[] = {
		{ "test_io/standard", test_io, NULL, NULL, &standard },
		{ "test_io/strict", test_io, NULL, NULL, &strict },
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_hostile_chains),
		cmocka_unit_test(test_corrupt_ring_then_reset),
		cmocka_unit_test(test_counts_survive_a_restart),
		cmocka_unit_test(test_throttle),
	};

	return cmocka_run_group_tests(tests, setup_paths, NULL);
}
