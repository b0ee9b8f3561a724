/* Port I/O dispatch; see pio.h. */
#include "vmm/pio.h"

#include <errno.h>
#include <string.h>

int pio_bus_add(struct pio_bus *bus, uint16_t base, uint16_t len, pio_fn fn, void *opaque)
{
	if (bus->count == PIO_MAX_HANDLERS)
		return -ENOSPC;
	bus->handler[bus->count].base = base;
	bus->handler[bus->count].len = len;
	bus->handler[bus->count].fn = fn;
	bus->handler[bus->count].opaque = opaque;
	bus->count++;
	return 0;
}

void pio_bus_access(const struct pio_bus *bus, uint16_t port, bool is_write, uint8_t *data,
		    unsigned size)
{
	for (unsigned i = 0; i < bus->count; i++) {
		uint16_t base = bus->handler[i].base;

		if (port >= base && port - base < bus->handler[i].len) {
			bus->handler[i].fn(bus->handler[i].opaque, (uint16_t)(port - base), is_write,
					   data, size);
			return;
		}
	}
	if (!is_write)
		memset(data, 0xff, size);
}
