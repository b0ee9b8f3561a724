/* Port I/O and MMIO dispatch; see io_bus.h. */
#include "vmm/devices/io_bus.h"

#include <errno.h>
#include <string.h>

int io_bus_add(struct io_bus *bus, uint64_t base, uint64_t len, io_fn fn, void *opaque)
{
	if (bus->count >= IO_BUS_MAX_HANDLERS)
		return -ENOSPC;
	if (len == 0 || base + len < base)
		return -EINVAL;
	for (unsigned i = 0; i < bus->count; i++)
		if (base < bus->handler[i].base + bus->handler[i].len &&
		    bus->handler[i].base < base + len)
			return -EINVAL;
	bus->handler[bus->count].base = base;
	bus->handler[bus->count].len = len;
	bus->handler[bus->count].fn = fn;
	bus->handler[bus->count].opaque = opaque;
	bus->count++;
	return 0;
}

void io_bus_access(const struct io_bus *bus, uint64_t addr, bool is_write, uint8_t *data,
		     unsigned size)
{
	for (unsigned i = 0; size >= 1 && size <= 8 && i < bus->count; i++) {
		uint64_t off = addr - bus->handler[i].base;

		if (addr >= bus->handler[i].base && off < bus->handler[i].len &&
		    size <= bus->handler[i].len - off) {
			bus->handler[i].fn(bus->handler[i].opaque, off, is_write, data, size);
			return;
		}
	}
	if (!is_write)
		memset(data, 0xff, size > 8 ? 8 : size);
}
