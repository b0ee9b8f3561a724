/* Guest program for the e2e suite: a hostile driver. With virtio_mmio not loaded, it maps
 * the virtio-blk window itself through /dev/mem and programs it as no driver would: a
 * reset/DRIVER_OK storm, a queue whose descriptor table lies outside guest RAM, a chain that
 * loops, a head beyond the queue, then another storm. The host must come through it: the
 * run ends normally, the device counts what it refused. Prints key=value lines.
 * usage: hostile_mmio STORM_ROUNDS */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BLK_WINDOW 0xc0001000ul   /* console, blk, net: one 4 KiB window each from 0xc0000000 */
#define QSIZE 8

enum { MAGIC = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, DRV_FEATURES = 0x020,
       DRV_FEATURES_SEL = 0x024, QUEUE_SEL = 0x030, QUEUE_NUM = 0x038, QUEUE_READY = 0x044,
       QUEUE_NOTIFY = 0x050, STATUS = 0x070, DESC_LO = 0x080, DESC_HI = 0x084,
       DRIVER_LO = 0x090, DRIVER_HI = 0x094, DEVICE_LO = 0x0a0, DEVICE_HI = 0x0a4 };

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static volatile uint32_t *regs;

static void wr(unsigned off, uint32_t v)
{
	regs[off / 4] = v;
}

static uint32_t rd(unsigned off)
{
	return regs[off / 4];
}

/* The physical address of a locked page of ours, from /proc/self/pagemap. */
static uint64_t phys_of(void *p)
{
	uint64_t entry = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0 || pread(fd, &entry, 8, (off_t)((uintptr_t)p / 4096 * 8)) != 8 || !(entry >> 63))
		return 0;
	close(fd);
	return (entry & ((1ull << 55) - 1)) * 4096 + (uintptr_t)p % 4096;
}

static void features_ok(void)
{
	wr(STATUS, 0);
	wr(STATUS, 1 | 2);
	wr(DRV_FEATURES_SEL, 1);
	wr(DRV_FEATURES, 1);            /* VIRTIO_F_VERSION_1 */
	wr(STATUS, 1 | 2 | 8);
}

static void queue(uint64_t desc, uint64_t avail, uint64_t used)
{
	wr(QUEUE_SEL, 0);
	wr(QUEUE_NUM, QSIZE);
	wr(DESC_LO, (uint32_t)desc);
	wr(DESC_HI, (uint32_t)(desc >> 32));
	wr(DRIVER_LO, (uint32_t)avail);
	wr(DRIVER_HI, (uint32_t)(avail >> 32));
	wr(DEVICE_LO, (uint32_t)used);
	wr(DEVICE_HI, (uint32_t)(used >> 32));
	wr(QUEUE_READY, 1);
	wr(STATUS, 1 | 2 | 8 | 4);
}

/* Offers chain head `head` (avail ring: flags, idx, ring[]) and rings the bell. */
static void offer(uint16_t *avail, uint16_t head)
{
	avail[2 + avail[1] % QSIZE] = head;
	__atomic_store_n(&avail[1], (uint16_t)(avail[1] + 1), __ATOMIC_RELEASE);
	wr(QUEUE_NOTIFY, 0);
	usleep(200000);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 1000, fd = open("/dev/mem", O_RDWR | O_SYNC);
	struct desc *d;
	uint16_t *avail;
	void *pages;
	uint64_t pd, pa, pu;

	if (fd < 0 || (regs = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, BLK_WINDOW)) == MAP_FAILED) {
		perror("hostile_mmio: /dev/mem");
		return 2;
	}
	printf("magic=0x%x version=%u device=%u\n", rd(MAGIC), rd(VERSION), rd(DEVICE_ID));
	for (int i = 0; i < rounds; i++) {
		features_ok();
		wr(STATUS, 1 | 2 | 8 | 4);
	}
	pages = aligned_alloc(4096, 3 * 4096);
	if (!pages || mlock(pages, 3 * 4096) < 0)
		return 3;
	memset(pages, 0, 3 * 4096);
	d = pages;
	avail = (uint16_t *)((char *)pages + 4096);
	pd = phys_of(d), pa = phys_of(avail), pu = phys_of((char *)pages + 8192);
	printf("rings=0x%llx,0x%llx,0x%llx\n", (unsigned long long)pd, (unsigned long long)pa,
	       (unsigned long long)pu);
	if (!pd || !pa || !pu)
		return 4;
	features_ok();                    /* a descriptor table beyond guest RAM */
	queue(0xfff00000000ull, pa, pu);
	offer(avail, 0);
	memset(pages, 0, 3 * 4096);
	features_ok();                    /* a chain that loops: 0 -> 1 -> 0 */
	queue(pd, pa, pu);
	d[0] = (struct desc){ .addr = pu + 2048, .len = 16, .flags = 1, .next = 1 };
	d[1] = (struct desc){ .addr = pu + 2048, .len = 16, .flags = 1, .next = 0 };
	offer(avail, 0);
	features_ok();                    /* a head beyond the queue */
	memset(pages, 0, 3 * 4096);
	queue(pd, pa, pu);
	offer(avail, 200);
	for (int i = 0; i < rounds; i++)
		wr(STATUS, i & 1 ? 1 | 2 | 8 | 4 : 0);
	wr(STATUS, 0);
	printf("hostile_mmio: done\n");
	return 0;
}
