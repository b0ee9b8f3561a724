/* Guest RAM: one sealed memfd mapped MAP_SHARED, laid out around the 32-bit MMIO hole.
 * Device processes map the same memfd and translate addresses with the same regions. */
#ifndef KTSTR_VMM_GUEST_MEMORY_H
#define KTSTR_VMM_GUEST_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc/err.h"

#define GUEST_MMIO_HOLE_START 0xC0000000ull   /* virtio windows, IOAPIC and LAPIC above */
#define GUEST_HIGH_START      0x100000000ull
#define GUEST_MEMORY_MIN_MIB  64
#define GUEST_MEMORY_MAX_MIB  1048576u   /* 1 TiB */
#define GUEST_MAX_REGIONS     2
#define GUEST_HUGE_PAGE       (2ull << 20)

struct guest_region {
	uint64_t gpa;     /* guest physical start */
	uint64_t size;
	uint64_t offset;  /* where it starts in the memfd */
};

struct guest_memory {
	int memfd;
	uint8_t *base;    /* the whole memfd, mapped shared */
	uint64_t size;
	struct guest_region regions[GUEST_MAX_REGIONS];
	unsigned nregions;
	bool huge;        /* on 2 MiB pages (hugetlbfs): no file can be mapped over part of it */
};

int guest_memory_create(struct guest_memory *m, uint64_t size, struct kerr *err);
/* The same on 2 MiB pages taken from the host's pool at once (--performance); size must be a
 * multiple of 2 MiB. Fails (ENOMEM) when the pool is short. */
int guest_memory_create_huge(struct guest_memory *m, uint64_t size, struct kerr *err);
void guest_memory_destroy(struct guest_memory *m);

/* The host address of [gpa, gpa+len) when it lies inside one region, else NULL. */
void *guest_memory_ptr(const struct guest_memory *m, uint64_t gpa, uint64_t len);

/* The pieces of guest RAM that hold memfd bytes [off, off + len), at most one per region,
 * in order; returns how many (0 when the range is not all RAM or max is too small). */
unsigned guest_memory_slice(const struct guest_memory *m, uint64_t off, uint64_t len,
			    struct guest_region *out, unsigned max);

/* Replaces guest RAM [gpa, gpa + len rounded up to a page) in this process's view with a
 * private, copy-on-write mapping of fd from offset 0: the guest reads the file's pages
 * (shared with every other mapping of the file) and writes go to copies. Device processes,
 * which map the memfd, still see the memfd there: only for memory the guest never hands to
 * a device (a retained initrd). gpa must be page aligned and the range inside one region. */
int guest_memory_map_file(struct guest_memory *m, uint64_t gpa, int fd, uint64_t len, struct kerr *err);

/* The end of RAM below the MMIO hole. */
uint64_t guest_memory_low_end(const struct guest_memory *m);

#endif
