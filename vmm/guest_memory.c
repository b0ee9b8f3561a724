/* Guest RAM as a sealed memfd; see guest_memory.h. */
#include "vmm/guest_memory.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21u << 26)   /* log2(2 MiB) << MFD_HUGE_SHIFT (linux/memfd.h) */
#endif

static void layout_regions(struct guest_memory *m)
{
	uint64_t low = m->size < GUEST_MMIO_HOLE_START ? m->size : GUEST_MMIO_HOLE_START;

	m->regions[0] = (struct guest_region){ .gpa = 0, .size = low, .offset = 0 };
	m->nregions = 1;
	if (m->size > low) {
		m->regions[1] = (struct guest_region){
			.gpa = GUEST_HIGH_START, .size = m->size - low, .offset = low };
		m->nregions = 2;
	}
}

static int create(struct guest_memory *m, uint64_t size, bool huge, struct kerr *err)
{
	/* Huge pages are taken from the pool when mapped: no NORESERVE, or a short pool is a
	 * SIGBUS in the middle of the boot instead of an error here. */
	unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING | (huge ? MFD_HUGETLB | MFD_HUGE_2MB : 0);
	int map_flags = MAP_SHARED | (huge ? 0 : MAP_NORESERVE);
	void *p;
	int r;

	m->base = NULL;
	m->size = size;
	m->huge = huge;
	m->memfd = memfd_create(huge ? "ktstr-guest-ram-2m" : "ktstr-guest-ram", flags);
	if (m->memfd < 0)
		return kerr_errno(err, errno, "memfd_create for %llu MiB of guest RAM",
				  (unsigned long long)(size >> 20));
	if (ftruncate(m->memfd, (off_t)size) < 0) {
		r = kerr_errno(err, errno, "size guest RAM memfd to %llu MiB", (unsigned long long)(size >> 20));
		goto fail;
	}
	/* Sealed before any device process sees it: nobody can shrink it under vmm (SIGBUS). */
	if (fcntl(m->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		r = kerr_errno(err, errno, "seal guest RAM memfd");
		goto fail;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, map_flags, m->memfd, 0);
	if (p == MAP_FAILED) {
		r = kerr_errno(err, errno, "map %llu MiB of guest RAM", (unsigned long long)(size >> 20));
		goto fail;
	}
	m->base = p;
	layout_regions(m);
	return 0;
fail:
	close(m->memfd);
	m->memfd = -1;
	return r;
}

int guest_memory_create(struct guest_memory *m, uint64_t size, struct kerr *err)
{
	return create(m, size, false, err);
}

int guest_memory_create_huge(struct guest_memory *m, uint64_t size, struct kerr *err)
{
	if (size % GUEST_HUGE_PAGE)
		return kerr_set(err, EINVAL, "%llu MiB of guest RAM is not a whole number of 2 MiB pages",
				(unsigned long long)(size >> 20));
	return create(m, size, true, err);
}

void guest_memory_destroy(struct guest_memory *m)
{
	if (m->base)
		munmap(m->base, m->size);
	if (m->memfd >= 0)
		close(m->memfd);
	m->base = NULL;
	m->memfd = -1;
}

void *guest_memory_ptr(const struct guest_memory *m, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < m->nregions; i++) {
		const struct guest_region *r = &m->regions[i];
		uint64_t end;

		if (__builtin_add_overflow(gpa, len, &end))
			return NULL;
		if (gpa >= r->gpa && end <= r->gpa + r->size)
			return m->base + r->offset + (gpa - r->gpa);
	}
	return NULL;
}

unsigned guest_memory_slice(const struct guest_memory *m, uint64_t off, uint64_t len,
			    struct guest_region *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < m->nregions && len > 0; i++) {
		const struct guest_region *r = &m->regions[i];
		uint64_t start, take;

		if (off >= r->offset + r->size || off < r->offset)
			continue;
		if (n == max)
			return 0;
		start = off - r->offset;
		take = r->size - start < len ? r->size - start : len;
		out[n++] = (struct guest_region){ r->gpa + start, take, off };
		off += take;
		len -= take;
	}
	return len == 0 ? n : 0;
}

uint64_t guest_memory_low_end(const struct guest_memory *m)
{
	return m->regions[0].size;
}

int guest_memory_map_file(struct guest_memory *m, uint64_t gpa, int fd, uint64_t len, struct kerr *err)
{
	uint64_t span = (len + 4095) & ~4095ull;
	void *at = guest_memory_ptr(m, gpa, span);

	if (m->huge)
		return kerr_set(err, EINVAL, "mapping a file into guest RAM on 2 MiB pages");
	if ((gpa & 4095) || !at || len == 0)
		return kerr_set(err, EINVAL, "mapping %llu bytes at 0x%llx: not page aligned or not in RAM",
				(unsigned long long)len, (unsigned long long)gpa);
	if (mmap(at, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED)
		return kerr_errno(err, errno, "mapping a file into guest RAM");
	return 0;
}
