/* The virtio-console device process, driven without KVM (see virtio_driver.h): the multiport
 * control handshake, port 0 to the console log, TLV frames on port 1 reassembled by vmm's
 * outcome (EXIT, CRC mismatch, garbage, a frame larger than one ipc chunk), and port 2
 * relayed both ways through a host socket, with the host's close announced to the guest. */
#include <fcntl.h>
#include <limits.h>
#include <linux/virtio_console.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "guest/ktstr.h"
#include "ipc/tlv.h"
#include "tests/harness/virtio_driver.h"
#include "vmm/outcome.h"

#define QS 64
#define Q_CTRL_RX 2
#define Q_CTRL_TX 3
#define WANTED ((1ull << 32) | (1ull << 29) | (1ull << 28) | (1ull << VIRTIO_CONSOLE_F_MULTIPORT))

static char devproc_path[PATH_MAX];

static int setup_paths(void **state)
{
	const char *build = getenv("KTSTR_BUILD");

	(void)state;
	snprintf(devproc_path, sizeof(devproc_path), "%s/ktstr-devproc", build ? build : "build");
	return access(devproc_path, X_OK) == 0 ? 0 : -1;
}

struct con_rig {
	struct vdrv d;
	int log_fd;
	int sock;                 /* the host program's end of --stats-socket */
	uint64_t buf_of[QS];      /* control RX: the buffer behind each descriptor head */
	struct outcome out;
};

struct ctrl {
	uint32_t id;
	uint16_t event, value;
	char name[32];
};

static void take(void *opaque, const struct ipc_msg *m)
{
	outcome_take(opaque, m);
}

static void post_ctrl_buffer(struct con_rig *r)
{
	uint64_t gpa = vdrv_alloc(&r->d, 64);
	struct vdrv_buf b = { gpa, 64, true };

	r->buf_of[vdrv_submit(&r->d, Q_CTRL_RX, &b, 1)] = gpa;
}

static void start(struct con_rig *r, enum sandbox_level level)
{
	struct ipc_console_setup setup = { .flags = IPC_CONSOLE_RELAY };
	struct ipc_empty relay = { 0 };
	int sv[2];
	struct virtio_host_role role = {
		.device_id = IPC_VIRTIO_ID_CONSOLE, .setup_type = IPC_MSG_CONSOLE_SETUP,
		.setup_body = &setup, .extra_type = IPC_MSG_CONSOLE_RELAY, .extra_body = &relay,
		.extra_fds = &sv[1],
	};

	memset(r, 0, sizeof(*r));
	outcome_init(&r->out);
	r->log_fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	assert_true(r->log_fd >= 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	/* The device's end non-blocking, as vmm hands it over (the device may not set it). */
	assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	r->sock = sv[0];
	vdrv_start(&r->d, devproc_path, SANDBOX_ROLE_CONSOLE, level, &role, r->log_fd);
	close(sv[1]);
	r->d.on_msg = take;
	r->d.on_msg_opaque = &r->out;
	vdrv_bring_up(&r->d, 8, QS, WANTED);
	for (int i = 0; i < 4; i++)
		post_ctrl_buffer(r);
}

static void send_ctrl(struct con_rig *r, uint32_t id, uint16_t event, uint16_t value)
{
	uint64_t gpa = vdrv_alloc(&r->d, 8);
	struct virtio_console_control m = { .id = id, .event = event, .value = value };
	struct vdrv_buf b = { gpa, sizeof(m), false };
	uint16_t head;
	uint32_t len;

	memcpy(vdrv_ptr(&r->d, gpa, sizeof(m)), &m, sizeof(m));
	vdrv_submit(&r->d, Q_CTRL_TX, &b, 1);
	assert_true(vdrv_wait_used(&r->d, Q_CTRL_TX, &head, &len, 5000));
}

/* The next control message from the device (its buffer is replaced). */
static struct ctrl recv_ctrl(struct con_rig *r)
{
	struct virtio_console_control m;
	struct ctrl c = { 0 };
	const uint8_t *p;
	uint16_t head;
	uint32_t len;

	if (!vdrv_wait_used(&r->d, Q_CTRL_RX, &head, &len, 5000))
		fail_msg("no control message from the device");
	assert_true(len >= sizeof(m) && len < sizeof(m) + sizeof(c.name));
	p = vdrv_ptr(&r->d, r->buf_of[head], 64);
	memcpy(&m, p, sizeof(m));
	c.id = m.id;
	c.event = m.event;
	c.value = m.value;
	memcpy(c.name, p + sizeof(m), len - sizeof(m));
	post_ctrl_buffer(r);
	return c;
}

static void expect_ctrl(struct con_rig *r, uint32_t id, uint16_t event, uint16_t value, const char *name)
{
	struct ctrl c = recv_ctrl(r);

	if (c.id != id || c.event != event || c.value != value || strcmp(c.name, name ? name : ""))
		fail_msg("control message (%u, %u, %u, \"%s\"), expected (%u, %u, %u, \"%s\")", c.id,
			 c.event, c.value, c.name, id, event, value, name ? name : "");
}

static void handshake(struct con_rig *r)
{
	send_ctrl(r, VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
	for (uint32_t id = 0; id < 3; id++)
		expect_ctrl(r, id, VIRTIO_CONSOLE_PORT_ADD, 0, NULL);
	send_ctrl(r, 0, VIRTIO_CONSOLE_PORT_READY, 1);
	expect_ctrl(r, 0, VIRTIO_CONSOLE_CONSOLE_PORT, 1, NULL);
	expect_ctrl(r, 0, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL);
	send_ctrl(r, 1, VIRTIO_CONSOLE_PORT_READY, 1);
	expect_ctrl(r, 1, VIRTIO_CONSOLE_PORT_NAME, 1, "ktstr.tlv");
	expect_ctrl(r, 1, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL);
	send_ctrl(r, 2, VIRTIO_CONSOLE_PORT_READY, 1);
	expect_ctrl(r, 2, VIRTIO_CONSOLE_PORT_NAME, 1, "ktstr.stats");
	expect_ctrl(r, 2, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL);
	send_ctrl(r, 1, VIRTIO_CONSOLE_PORT_OPEN, 1);    /* the guest opened /dev/vport0p1 */
}

/* Writes bytes on a port's transmit queue as one chain of up to two descriptors. */
static void port_write(struct con_rig *r, unsigned port, const void *data, size_t len)
{
	unsigned q = port == 0 ? 1 : 3 + 2 * port;
	uint64_t gpa = vdrv_alloc(&r->d, len);
	size_t half = len / 2;
	struct vdrv_buf b[2] = { { gpa, (uint32_t)half, false }, { gpa + half, (uint32_t)(len - half), false } };
	uint16_t head;
	uint32_t used;

	memcpy(vdrv_ptr(&r->d, gpa, len), data, len);
	if (half)
		vdrv_submit(&r->d, q, b, 2);
	else
		vdrv_submit(&r->d, q, &b[1], 1);
	assert_true(vdrv_wait_used(&r->d, q, &head, &used, 5000));
}

static void write_frame(struct con_rig *r, uint32_t type, const void *payload, size_t len, bool corrupt)
{
	uint8_t *buf = malloc(KTSTR_TLV_HEADER + len);

	ktstr_frame_header(buf, type, payload, (uint32_t)len);
	memcpy(buf + KTSTR_TLV_HEADER, payload, len);
	if (corrupt)
		buf[KTSTR_TLV_HEADER] ^= 0x40;
	for (size_t off = 0; off < KTSTR_TLV_HEADER + len; off += 30000)   /* several chains */
		port_write(r, 1, buf + off, KTSTR_TLV_HEADER + len - off < 30000 ?
			   KTSTR_TLV_HEADER + len - off : 30000);
	free(buf);
}

static void finish(struct con_rig *r)
{
	struct kerr err = { 0 };

	if (vdrv_finish_with(&r->d, take, &r->out, &err) < 0)
		fail_msg("finish: %s", err.msg);
	assert_true(WIFEXITED(r->d.h.dev.wait_status));
	assert_int_equal(WEXITSTATUS(r->d.h.dev.wait_status), 0);
	assert_true(r->d.have_stats);
}

static void rig_free(struct con_rig *r)
{
	vdrv_free(&r->d);
	outcome_free(&r->out);
	close(r->log_fd);
	if (r->sock >= 0)
		close(r->sock);
}

/* The guest floods the TLV port while nobody drains the console device's messages (so it
 * stops reading its own socket), and meanwhile storms reset/DRIVER_OK: each register write
 * returns at once (what it posts waits, coalesced, for room), and once vmm drains again the
 * device takes the last state and finishes. */
static void test_reset_storm_while_console_floods(void **state)
{
	static uint8_t chunk[30000];
	struct con_rig r;
	struct kerr err = { 0 };
	struct timespec t0, t1;
	double ms;
	bool full = false;

	(void)state;
	alarm(60);   /* before the change, the first full socket hung the "vCPU" here for good */
	start(&r, SANDBOX_STANDARD);
	handshake(&r);
	memset(chunk, 'x', sizeof(chunk));    /* garbage to the TLV parser, streamed as frames */
	for (int i = 0; i < 100; i++) {
		uint64_t gpa = vdrv_alloc(&r.d, sizeof(chunk));
		struct vdrv_buf b = { gpa, sizeof(chunk), false };

		memcpy(vdrv_ptr(&r.d, gpa, sizeof(chunk)), chunk, sizeof(chunk));
		vdrv_submit(&r.d, 3 + 2 * 1, &b, 1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 20000; i++) {
		uint32_t zero = 0, all = 1 | 2 | 8 | 4;
		int f;

		virtio_mmio_access(&r.d.h.regs, 0x070, true, (uint8_t *)&zero, 4);
		virtio_mmio_access(&r.d.h.regs, 0x070, true, (uint8_t *)&all, 4);
		if ((f = virtio_host_flush(&r.d.h, &err)) < 0)
			fail_msg("flush: %s", err.msg);
		full |= f == 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("20000 resets while the console floods: %.0f ms, socket full: %s\n", ms,
		      full ? "yes" : "no");
	if (ms > 10000)
		fail_msg("20000 reset/DRIVER_OK writes took %.0f ms", ms);
	finish(&r);
	alarm(0);
	rig_free(&r);
}

static void check_ports(enum sandbox_level level)
{
	static uint8_t big[100000];
	static const uint8_t exit7[4] = { 7, 0, 0, 0 };
	struct con_rig r;
	char log[64] = "";
	const struct frame *f;

	start(&r, level);
	assert_int_equal(vdrv_reg_read(&r.d, 0x008), 3);                 /* DeviceID: console */
	assert_int_equal(vdrv_config8(&r.d, 4), 3);                       /* max_nr_ports */
	handshake(&r);
	port_write(&r, 0, "hello from hvc0\n", 16);
	write_frame(&r, TLV_TEST, "{\"name\":\"t1\",\"passed\":true}", 27, false);
	port_write(&r, 1, "garbage!", 8);
	write_frame(&r, TLV_EXIT, exit7, 4, false);
	write_frame(&r, TLV_TEST, "corrupted", 9, true);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	write_frame(&r, TLV_RAWO, big, sizeof(big), false);
	finish(&r);
	assert_int_equal(pread(r.log_fd, log, sizeof(log) - 1, 0), 16);
	assert_string_equal(log, "hello from hvc0\n");
	assert_int_equal(r.out.frames.n, 4);
	f = &r.out.frames.frame[0];
	assert_true(f->type == TLV_TEST && f->crc_ok && f->complete && f->len == 27);
	assert_memory_equal(frame_log_data(&r.out.frames, f), "{\"name\":\"t1\",\"passed\":true}", 27);
	assert_true(r.out.have_tlv_exit);
	assert_int_equal(r.out.tlv_exit_status, 7);
	assert_int_equal(outcome_exit_code(&r.out), 7);
	assert_false(r.out.frames.frame[2].crc_ok);
	f = &r.out.frames.frame[3];
	assert_true(f->type == TLV_RAWO && f->complete && f->len == sizeof(big));
	assert_memory_equal(frame_log_data(&r.out.frames, f), big, sizeof(big));
	assert_int_equal(r.d.stats.tlv_frames, 4);
	assert_int_equal(r.d.stats.tlv_crc_errors, 1);
	assert_int_equal(r.d.stats.tlv_garbage, 8);
	rig_free(&r);
}

/* Run once per level: the test's initial state is the level. */
static void test_ports(void **state)
{
	check_ports(*(const enum sandbox_level *)*state);
}

/* Port 2: guest bytes reach the host socket, host bytes reach a guest buffer, and the host
 * closing its end is announced (PORT_OPEN 0). */
static void test_stats_relay(void **state)
{
	struct con_rig r;
	char got[16] = "";
	uint64_t rx;
	struct vdrv_buf b;
	uint16_t head;
	uint32_t len;

	(void)state;
	start(&r, SANDBOX_STANDARD);
	handshake(&r);
	port_write(&r, 2, "ping", 4);
	assert_int_equal(read(r.sock, got, sizeof(got)), 4);
	assert_memory_equal(got, "ping", 4);
	rx = vdrv_alloc(&r.d, 64);
	b = (struct vdrv_buf){ rx, 64, true };
	vdrv_submit(&r.d, 6, &b, 1);
	assert_int_equal(write(r.sock, "pong!", 5), 5);
	assert_true(vdrv_wait_used(&r.d, 6, &head, &len, 5000));
	assert_int_equal(len, 5);
	assert_memory_equal(vdrv_ptr(&r.d, rx, 5), "pong!", 5);
	close(r.sock);
	r.sock = -1;
	expect_ctrl(&r, 2, VIRTIO_CONSOLE_PORT_OPEN, 0, NULL);
	finish(&r);
	assert_int_equal(r.d.stats.bytes_read, 5);
	rig_free(&r);
}

/* Short and unknown control messages are counted, and the device goes on. */
static void test_bad_control(void **state)
{
	struct con_rig r;
	uint64_t gpa;
	struct vdrv_buf b;
	uint16_t head;
	uint32_t len;

	(void)state;
	start(&r, SANDBOX_STANDARD);
	gpa = vdrv_alloc(&r.d, 8);
	b = (struct vdrv_buf){ gpa, 3, false };
	vdrv_submit(&r.d, Q_CTRL_TX, &b, 1);
	assert_true(vdrv_wait_used(&r.d, Q_CTRL_TX, &head, &len, 5000));
	send_ctrl(&r, 0, 99, 0);
	send_ctrl(&r, 7, VIRTIO_CONSOLE_PORT_READY, 1);     /* no such port */
	handshake(&r);
	finish(&r);
	assert_int_equal(r.d.stats.bad_requests, 3);
	rig_free(&r);
}

int main(void)
{
	static enum sandbox_level standard = SANDBOX_STANDARD, strict = SANDBOX_STRICT;
	const struct CMUnitTest tests[] = {
		{ "test_ports/standard", test_ports, NULL, NULL, &standard },
		{ "test_ports/strict", test_ports, NULL, NULL, &strict },
		cmocka_unit_test(test_stats_relay),
		cmocka_unit_test(test_reset_storm_while_console_floods),
		cmocka_unit_test(test_bad_control),
	};

	return cmocka_run_group_tests(tests, setup_paths, NULL);
}
