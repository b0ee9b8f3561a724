/* The virtio-net device process, driven without KVM (see virtio_driver.h): its MAC in config
 * space, the L2 loopback (a transmitted frame comes back on RX), frames waiting for RX
 * buffers, and malformed or oversized frames refused and counted. */
#include <limits.h>
#include <linux/virtio_net.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/harness/virtio_driver.h"

#define RXQ 0
#define TXQ 1
#define HDR 12u
#define RXBUF (HDR + 1518u)
#define WANTED ((1ull << 32) | (1ull << 29) | (1ull << 28) | (1ull << VIRTIO_NET_F_MAC))

static char devproc_path[PATH_MAX];
static const uint8_t mac[6] = { 0x02, 0x6b, 0x74, 0x73, 0x74, 0x42 };

static int setup_paths(void **state)
{
	const char *build = getenv("KTSTR_BUILD");

	(void)state;
	snprintf(devproc_path, sizeof(devproc_path), "%s/ktstr-devproc", build ? build : "build");
	return access(devproc_path, X_OK) == 0 ? 0 : -1;
}

static void start(struct vdrv *d, enum sandbox_level level)
{
	struct ipc_net_setup setup = { 0 };
	struct virtio_host_role role = { .device_id = IPC_VIRTIO_ID_NET,
					 .setup_type = IPC_MSG_NET_SETUP, .setup_body = &setup };

	memcpy(setup.mac, mac, sizeof(mac));
	vdrv_start(d, devproc_path, SANDBOX_ROLE_NET, level, &role, -1);
	vdrv_bring_up(d, 2, 64, WANTED);
}

static void finish(struct vdrv *d)
{
	struct kerr err = { 0 };

	if (vdrv_finish(d, &err) < 0)
		fail_msg("finish: %s", err.msg);
	assert_true(WIFEXITED(d->h.dev.wait_status));
	assert_int_equal(WEXITSTATUS(d->h.dev.wait_status), 0);
	assert_true(d->have_stats);
}

/* Posts one RX buffer; returns its guest address. */
static uint64_t post_rx(struct vdrv *d, uint32_t len)
{
	uint64_t gpa = vdrv_alloc(d, len);
	struct vdrv_buf b = { gpa, len, true };

	memset(vdrv_ptr(d, gpa, len), 0xcc, len);
	vdrv_submit(d, RXQ, &b, 1);
	return gpa;
}

/* Transmits a frame of len bytes (header and frame in separate descriptors) tagged with
 * `tag`, and waits for the TX chain to come back. */
static void transmit(struct vdrv *d, uint32_t len, uint8_t tag)
{
	uint64_t hdr = vdrv_alloc(d, HDR), frame = vdrv_alloc(d, len);
	struct vdrv_buf b[2] = { { hdr, HDR, false }, { frame, len, false } };
	uint8_t *f = vdrv_ptr(d, frame, len);
	uint16_t id;
	uint32_t used;

	memset(vdrv_ptr(d, hdr, HDR), 0, HDR);
	memset(f, 0xff, 6);                      /* to: broadcast */
	memcpy(f + 6, mac, 6);                   /* from: us */
	f[12] = 0x88, f[13] = 0xb5;              /* local experimental ethertype */
	for (uint32_t i = 14; i < len; i++)
		f[i] = (uint8_t)(tag + i);
	vdrv_submit(d, TXQ, b, 2);
	if (!vdrv_wait_used(d, TXQ, &id, &used, 5000))
		fail_msg("TX chain not returned");
}

static void expect_frame(struct vdrv *d, uint64_t rx, uint32_t len, uint8_t tag)
{
	const struct virtio_net_hdr_v1 *h = vdrv_ptr(d, rx, HDR);
	const uint8_t *f = vdrv_ptr(d, rx + HDR, len);
	uint16_t id;
	uint32_t used;

	if (!vdrv_wait_used(d, RXQ, &id, &used, 5000))
		fail_msg("no frame came back on RX");
	assert_int_equal(used, HDR + len);
	assert_int_equal(h->num_buffers, 1);
	assert_memory_equal(f + 6, mac, 6);
	for (uint32_t i = 14; i < len; i++)
		if (f[i] != (uint8_t)(tag + i))
			fail_msg("frame byte %u is 0x%02x, expected 0x%02x", i, f[i], (uint8_t)(tag + i));
}

static void check_loopback(enum sandbox_level level)
{
	struct vdrv d;
	uint64_t rx[2];

	start(&d, level);
	assert_int_equal(vdrv_reg_read(&d, 0x008), 1);              /* DeviceID: network */
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(vdrv_config8(&d, i), mac[i]);
	assert_true(d.features & (1ull << VIRTIO_NET_F_MAC));
	rx[0] = post_rx(&d, RXBUF);
	rx[1] = post_rx(&d, RXBUF);
	transmit(&d, 60, 1);
	expect_frame(&d, rx[0], 60, 1);
	transmit(&d, 1514, 2);                                       /* a full-MTU frame */
	expect_frame(&d, rx[1], 1514, 2);
	finish(&d);
	assert_int_equal(d.stats.bytes_written, 60 + 1514);
	assert_int_equal(d.stats.bytes_read, 60 + 1514);
	assert_int_equal(d.stats.dropped, 0);
	vdrv_free(&d);
}

/* Run once per level: the test's initial state is the level. */
static void test_loopback(void **state)
{
	check_loopback(*(const enum sandbox_level *)*state);
}

/* With no RX buffer a frame waits; once the driver posts one (and kicks), it arrives. Past
 * the waiting room, frames are dropped and counted, never lost silently. */
static void test_frames_wait_for_rx_buffers(void **state)
{
	struct vdrv d;
	uint64_t rx;

	(void)state;
	start(&d, SANDBOX_STANDARD);
	transmit(&d, 100, 7);
	rx = post_rx(&d, RXBUF);
	expect_frame(&d, rx, 100, 7);
	for (int i = 0; i < 64 + 3; i++)
		transmit(&d, 60, (uint8_t)i);
	for (int i = 0; i < 64; i++) {
		rx = post_rx(&d, RXBUF);
		expect_frame(&d, rx, 60, (uint8_t)i);                /* in order */
	}
	finish(&d);
	assert_int_equal(d.stats.dropped, 3);
	vdrv_free(&d);
}

/* A TX chain shorter than an Ethernet header or longer than a frame is refused; an RX
 * buffer too small for the frame loses that frame (counted); the device goes on. */
static void test_bad_frames(void **state)
{
	struct vdrv d;
	uint64_t rx;
	uint16_t id;
	uint32_t used;

	(void)state;
	start(&d, SANDBOX_STANDARD);
	post_rx(&d, RXBUF);
	transmit(&d, 5, 0);
	transmit(&d, 4000, 0);
	assert_false(vdrv_wait_used(&d, RXQ, &id, &used, 200));     /* nothing came back */
	rx = post_rx(&d, HDR + 10);                                  /* too small */
	(void)rx;
	transmit(&d, 60, 3);                                         /* into the first buffer */
	assert_true(vdrv_wait_used(&d, RXQ, &id, &used, 5000));
	assert_int_equal(used, HDR + 60);
	transmit(&d, 60, 4);                                         /* into the small one */
	assert_true(vdrv_wait_used(&d, RXQ, &id, &used, 5000));
	assert_int_equal(used, 0);
	finish(&d);
	assert_int_equal(d.stats.bad_requests, 2);
	assert_int_equal(d.stats.dropped, 1);
	vdrv_free(&d);
}

int main(void)
{
	static enum sandbox_level standard = SANDBOX_STANDARD, strict = SANDBOX_STRICT;
	const struct CMUnitTest tests[] = {
		{ "test_loopback/standard", test_loopback, NULL, NULL, &standard },
		{ "test_loopback/strict", test_loopback, NULL, NULL, &strict },
		cmocka_unit_test(test_frames_wait_for_rx_buffers),
		cmocka_unit_test(test_bad_frames),
	};

	return cmocka_run_group_tests(tests, setup_paths, NULL);
}
