/* make bench, the part that needs no KVM: 4 KiB random reads per second through the real
 * sandboxed blk device process (driven by the test driver double over a memfd and eventfds,
 * 32 requests in flight) at each sandbox level, against a plain pread() loop on the same
 * file. Prints one JSON object. */
#include <fcntl.h>
#include <limits.h>
#include <linux/virtio_blk.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/harness/virtio_driver.h"

#define DISK_BYTES (64ull << 20)
#define BLOCK      4096u
#define DEPTH      32u
#define SECONDS    2.0

static char devproc_path[PATH_MAX];
static int disk_fd = -1;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t random_block(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
	return (*seed >> 33) % (DISK_BYTES / BLOCK);
}

static double pread_rate(void)
{
	static uint8_t buf[BLOCK];
	uint64_t seed = 1, n = 0;
	double t0 = now(), t;

	do {
		for (int i = 0; i < 1000; i++, n++)
			assert_int_equal(pread(disk_fd, buf, BLOCK, (off_t)(random_block(&seed) * BLOCK)), BLOCK);
	} while ((t = now()) - t0 < SECONDS);
	return (double)n / (t - t0);
}

struct slot {
	uint64_t hdr, data, status;
};

static void submit(struct vdrv *d, const struct slot *s, uint64_t *seed)
{
	struct virtio_blk_outhdr *h = vdrv_ptr(d, s->hdr, sizeof(*h));
	struct vdrv_buf b[3] = { { s->hdr, 16, false }, { s->data, BLOCK, true }, { s->status, 1, true } };

	h->type = VIRTIO_BLK_T_IN;
	h->sector = random_block(seed) * (BLOCK / 512);
	vdrv_submit(d, 0, b, 3);
}

static double device_rate(enum sandbox_level level)
{
	struct ipc_blk_disk disk = { 0 };
	int fd = dup(disk_fd);
	struct virtio_host_role role = { .device_id = IPC_VIRTIO_ID_BLK, .setup_type = IPC_MSG_BLK_DISK,
					 .setup_body = &disk, .setup_fds = &fd };
	struct slot slot[DEPTH];
	struct vdrv d;
	struct kerr err;
	uint64_t seed = 1, done = 0;
	double t0, t;

	vdrv_start(&d, devproc_path, SANDBOX_ROLE_BLK, level, &role, -1);
	close(fd);
	vdrv_bring_up(&d, 1, 128, (1ull << 32) | (1ull << 29));
	for (unsigned i = 0; i < DEPTH; i++) {
		slot[i] = (struct slot){ vdrv_alloc(&d, 16), vdrv_alloc(&d, BLOCK), vdrv_alloc(&d, 1) };
		submit(&d, &slot[i], &seed);
	}
	t0 = now();
	do {
		uint16_t head;
		uint32_t len;

		assert_true(vdrv_wait_used(&d, 0, &head, &len, 5000));
		assert_int_equal(len, BLOCK + 1);
		/* Completions come in submission order: the k-th used chain had slot k % DEPTH. */
		submit(&d, &slot[done++ % DEPTH], &seed);
	} while ((t = now()) - t0 < SECONDS);
	assert_int_equal(vdrv_finish(&d, &err), 0);
	vdrv_free(&d);
	return (double)done / (t - t0);
}

static void bench(void **state)
{
	static uint8_t block[1 << 20];
	double base, off, standard, strict;

	(void)state;
	disk_fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	assert_true(disk_fd >= 0);
	memset(block, 0x5a, sizeof(block));
	for (uint64_t o = 0; o < DISK_BYTES; o += sizeof(block))
		assert_int_equal(pwrite(disk_fd, block, sizeof(block), (off_t)o), sizeof(block));
	base = pread_rate();
	off = device_rate(SANDBOX_OFF);
	standard = device_rate(SANDBOX_STANDARD);
	strict = device_rate(SANDBOX_STRICT);
	printf("{\n  \"benchmark\": \"blk device process, no KVM (4 KiB random reads, %u in flight, "
	       "page-cached %llu MiB file)\",\n", DEPTH, (unsigned long long)(DISK_BYTES >> 20));
	printf("  \"pread_loop_per_s\": %.0f,\n  \"device_per_s\": { \"off\": %.0f, \"standard\": %.0f, "
	       "\"strict\": %.0f },\n", base, off, standard, strict);
	printf("  \"strict_vs_off\": %.3f,\n  \"strict_vs_pread\": %.3f\n}\n", strict / off, strict / base);
	close(disk_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(bench) };
	const char *build = getenv("KTSTR_BUILD");

	snprintf(devproc_path, sizeof(devproc_path), "%s/ktstr-devproc", build ? build : "build");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
