/* Mapping and bounds-checking guest RAM; see guest_ram.h. */
#include "devproc/guest_ram.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ipc/memfd.h"

#define REQUIRED_SEALS (F_SEAL_SHRINK | F_SEAL_GROW)

int guest_ram_attach(struct guest_ram *ram, int memfd, const struct ipc_guest_ram *layout,
		     struct kerr *err)
{
	const struct ipc_ram_region *last = &layout->regions[layout->nregions - 1];
	uint64_t need = last->offset + last->size;
	void *p;
	int r;

	memset(ram, 0, sizeof(*ram));
	if ((r = ipc_memfd_check(memfd, REQUIRED_SEALS, need, "guest RAM", err)) < 0)
		return r;
	p = mmap(NULL, need, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, memfd, 0);
	if (p == MAP_FAILED)
		return kerr_errno(err, errno, "map %llu MiB of guest RAM", (unsigned long long)(need >> 20));
	ram->base = p;
	ram->map_len = need;
	ram->nregions = layout->nregions;
	memcpy(ram->regions, layout->regions, sizeof(ram->regions));
	return 0;
}

void guest_ram_detach(struct guest_ram *ram)
{
	if (ram->base)
		munmap(ram->base, ram->map_len);
	memset(ram, 0, sizeof(*ram));
}

void *guest_ram_ptr(const struct guest_ram *ram, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < ram->nregions; i++) {
		const struct ipc_ram_region *r = &ram->regions[i];
		uint64_t off;

		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		off = gpa - r->gpa;
		if (len > r->size - off)
			return NULL;   /* runs off the end of the region (or wraps) */
		return ram->base + r->offset + off;
	}
	return NULL;
}
