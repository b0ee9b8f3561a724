/* Guest RAM as a device process sees it: the vmm's sealed memfd mapped shared (never
 * executable), and the only way to turn a guest physical address into a pointer. Every
 * address and length the guest hands a device goes through guest_ram_ptr(). */
#ifndef KTSTR_DEVPROC_GUEST_RAM_H
#define KTSTR_DEVPROC_GUEST_RAM_H

#include <stdint.h>

#include "ipc/err.h"
#include "ipc/msg.h"

struct guest_ram {
	uint8_t *base;             /* the whole memfd */
	uint64_t map_len;
	struct ipc_ram_region regions[IPC_RAM_MAX_REGIONS];
	unsigned nregions;
};

/* Maps memfd per the validated layout. The memfd must be sealed against shrinking and
 * growing (so the mapping can never fault) and hold every region. Takes no ownership. */
int guest_ram_attach(struct guest_ram *ram, int memfd, const struct ipc_guest_ram *layout,
		     struct kerr *err);
void guest_ram_detach(struct guest_ram *ram);

/* The host address of [gpa, gpa + len) when all of it lies in one region, else NULL. A
 * zero length asks only that gpa itself be in a region. Overflow-safe for any inputs. */
void *guest_ram_ptr(const struct guest_ram *ram, uint64_t gpa, uint64_t len);

#endif
