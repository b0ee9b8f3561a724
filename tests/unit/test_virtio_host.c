/* vmm's half of a virtio device against a device process that stops reading: a guest's
 * reset/DRIVER_OK storm never blocks the vCPU (what it posts is coalesced and sent by the
 * supervisor when there is room), and the end of the run is bounded (SHUTDOWN gives up, the
 * process is killed). The device here is a forked stand-in that speaks the setup protocol
 * and then only sleeps. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/devhost/devhost.h"
#include "vmm/devhost/virtio_host.h"

#define STATUS_ALL (1u | 2u | 8u | 4u)   /* ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK */

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* The stand-in: hello, setup, identity, eventfds, then it never reads again. */
static void stand_in_device(int fd)
{
	struct ipc_channel ch;
	struct ipc_msg m;
	struct kerr err = { 0 };
	struct ipc_hello hello = { .role = SANDBOX_ROLE_NET };
	struct ipc_virtio_identity id = { .device_id = IPC_VIRTIO_ID_NET, .num_queues = 2,
					  .queue_num_max = 256 };

	ipc_channel_init(&ch, fd, IPC_PEER_NET, IPC_PEER_VMM);
	if (ipc_send(&ch, IPC_MSG_HELLO, &hello, NULL, &err) < 0)
		_exit(1);
	for (int i = 0; i < 2; i++) {          /* GUEST_RAM, NET_SETUP */
		if (ipc_recv(&ch, &m, &err) < 0)
			_exit(2);
		ipc_msg_close_fds(&m);
	}
	if (ipc_send(&ch, IPC_MSG_VIRTIO_IDENTITY, &id, NULL, &err) < 0)
		_exit(3);
	for (int i = 0; i < 3; i++) {          /* VIRTIO_IRQ, two VIRTIO_KICKs */
		if (ipc_recv(&ch, &m, &err) < 0)
			_exit(4);
		ipc_msg_close_fds(&m);
	}
	for (;;)
		pause();
}

static void start(struct virtio_host *h, struct guest_memory *mem)
{
	struct ipc_net_setup ns = { .mac = { 2, 0, 0, 0, 0, 1 } };
	struct virtio_host_role role = { .device_id = IPC_VIRTIO_ID_NET, .setup_type = IPC_MSG_NET_SETUP,
					 .setup_body = &ns };
	struct kerr err = { 0 };
	int sv[2];

	assert_int_equal(guest_memory_create(mem, 64ull << 20, &err), 0);
	assert_int_equal(ipc_channel_pair(sv, &err), 0);
	virtio_host_init(h);
	h->dev.role = SANDBOX_ROLE_NET;
	snprintf(h->dev.name, sizeof(h->dev.name), "net");
	h->dev.pid = fork();
	assert_true(h->dev.pid >= 0);
	if (h->dev.pid == 0) {
		close(sv[0]);
		stand_in_device(sv[1]);
	}
	close(sv[1]);
	ipc_channel_init(&h->dev.ch, sv[0], IPC_PEER_VMM, IPC_PEER_NET);
	if (virtio_host_setup(h, mem, &role, 5000, &err) < 0)
		fail_msg("setup: %s", err.msg);
}

static void reg_write(struct virtio_host *h, uint64_t off, uint32_t v)
{
	virtio_mmio_access(&h->regs, off, true, (uint8_t *)&v, 4);
}

static void bring_up(struct virtio_host *h)
{
	reg_write(h, 0x070, 0);
	reg_write(h, 0x070, 1 | 2);
	reg_write(h, 0x024, 1);
	reg_write(h, 0x020, 1);           /* VIRTIO_F_VERSION_1 */
	reg_write(h, 0x070, 1 | 2 | 8);
	reg_write(h, 0x070, STATUS_ALL);
}

static void test_storm_against_a_device_that_stopped_reading(void **state)
{
	struct virtio_host h;
	struct guest_memory mem;
	struct kerr err = { 0 };
	bool saw_full = false;
	double t0, spent;
	int r;

	(void)state;
	alarm(30);   /* before the change, the first full socket hung the vCPU here for good */
	start(&h, &mem);
	t0 = now_ms();
	for (int i = 0; i < 50000; i++) {
		bring_up(&h);                 /* the vCPU's part: reset, then DRIVER_OK */
		r = virtio_host_flush(&h, &err);   /* the supervisor's part */
		if (r < 0)
			fail_msg("flush: %s", err.msg);
		saw_full |= r == 1;
	}
	spent = now_ms() - t0;
	/* The socket filled (the device reads nothing) and neither side waited for it. */
	assert_true(saw_full);
	assert_true(virtio_host_pending(&h));
	if (spent > 5000)
		fail_msg("50000 reset/DRIVER_OK cycles took %.0f ms", spent);
	/* The end of the run: SHUTDOWN cannot be sent, and the process is killed in time. */
	t0 = now_ms();
	assert_true(devhost_finish(&h.dev, 500, NULL, NULL, &err) < 0);
	spent = now_ms() - t0;
	assert_non_null(strstr(err.msg, "net device"));
	if (spent > 1500)
		fail_msg("devhost_finish took %.0f ms with a 500 ms bound", spent);
	assert_true(h.dev.reaped);
	assert_true(WIFSIGNALED(h.dev.wait_status));
	assert_int_equal(WTERMSIG(h.dev.wait_status), SIGKILL);
	alarm(0);
	virtio_host_destroy(&h);
	guest_memory_destroy(&mem);
}

/* A device's stats count once, and only under its own role: a blk device the guest took
 * over cannot send ten reports and push the console, net and other disks out of the
 * outcome's table. */
static void test_stats_taken_once_per_device(void **state)
{
	struct ipc_device_stats mine = { .role = SANDBOX_ROLE_BLK, .requests = 7 };
	struct ipc_device_stats other = { .role = SANDBOX_ROLE_CONSOLE };
	struct virtio_host h;

	(void)state;
	virtio_host_init(&h);
	h.dev.role = SANDBOX_ROLE_BLK;
	assert_false(virtio_host_accept_stats(&h, &other));
	assert_true(virtio_host_accept_stats(&h, &mine));
	for (int i = 0; i < 10; i++)
		assert_false(virtio_host_accept_stats(&h, &mine));
	virtio_host_destroy(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_taken_once_per_device),
		cmocka_unit_test(test_storm_against_a_device_that_stopped_reading),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
