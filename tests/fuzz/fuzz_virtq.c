/* libFuzzer target: the virtqueue walker against a guest that writes anything at all into
 * its rings. The input becomes the first part of a small guest RAM (descriptor table, driver
 * ring, buffers); the device pops until the queue is empty or broken. Every segment it is
 * given must lie inside guest RAM (ASan checks the touch), and it must always terminate. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devproc/guest_ram.h"
#include "devproc/virtq.h"

#define RAM_SIZE  (64u * 1024)
#define DESC      0x0000       /* up to 16 entries */
#define AVAIL     0x0100
#define USED      0x0200

static struct guest_ram ram;
static uint8_t *driver_view;

static void setup_ram(void)
{
	struct ipc_guest_ram g = { .nregions = 1 };
	struct kerr err;
	int fd = memfd_create("fuzz-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	g.regions[0] = (struct ipc_ram_region){ 0, RAM_SIZE, 0 };
	if (fd < 0 || ftruncate(fd, RAM_SIZE) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0 ||
	    guest_ram_attach(&ram, fd, &g, &err) < 0)
		abort();
	driver_view = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (driver_view == MAP_FAILED)
		abort();
}

static void touch(const struct virtq_seg *s)
{
	volatile uint8_t sink;

	if (s->host < ram.base || s->host + s->len > ram.base + RAM_SIZE)
		abort();
	if (s->len) {
		sink = s->host[0];
		sink = s->host[s->len - 1];
		(void)sink;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct virtq_chain c;
	struct virtq_layout l = { 0, DESC, AVAIL, USED, false, false };
	struct virtq q;
	struct kerr err;

	if (!driver_view)
		setup_ram();
	if (size < 1)
		return 0;
	l.size = (uint16_t)(1u << (data[0] % 5));   /* 1..16 */
	l.event_idx = data[0] & 0x10;
	l.indirect = data[0] & 0x20;
	memset(driver_view, 0, RAM_SIZE);
	memcpy(driver_view, data + 1, size - 1 < RAM_SIZE ? size - 1 : RAM_SIZE);
	if (virtq_init(&q, &ram, &l, &err) < 0)
		abort();   /* a fixed, valid layout */
	for (int n = 0; n < 64; n++) {
		int r = virtq_pop(&q, &c, &err);

		if (r <= 0 && r != -EBADMSG)
			break;
		if (r == -EBADMSG) {
			virtq_push(&q, c.head, 0);
			continue;
		}
		if (c.nseg > l.size)
			abort();
		for (unsigned i = 0; i < c.nseg; i++)
			touch(&c.seg[i]);
		virtq_push(&q, c.head, (uint32_t)c.writable_len);
	}
	(void)virtq_need_interrupt(&q);
	(void)virtq_arm_and_check(&q);
	return 0;
}
