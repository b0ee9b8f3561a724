/* Dispatch of the port I/O and MMIO exits KVM hands to user space (one bus each): a few
 * fixed windows (UARTs, the i8042 reset line, virtio-mmio devices); everything else reads as
 * all ones and ignores writes, like an empty bus. */
#ifndef KTSTR_VMM_IO_BUS_H
#define KTSTR_VMM_IO_BUS_H

#include <stdbool.h>
#include <stdint.h>

#define IO_BUS_MAX_HANDLERS 16   /* MMIO: every virtio slot (vm_virtio.c checks it) */

typedef void (*io_fn)(void *opaque, uint64_t offset, bool is_write, uint8_t *data, unsigned size);

struct io_bus {
	struct {
		uint64_t base;
		uint64_t len;
		io_fn fn;
		void *opaque;
	} handler[IO_BUS_MAX_HANDLERS];
	unsigned count;
};

/* -ENOSPC when full, -EINVAL for an empty, wrapping or overlapping window. */
int io_bus_add(struct io_bus *bus, uint64_t base, uint64_t len, io_fn fn, void *opaque);

/* An access of size 1..8 bytes; one that is not wholly inside a window is unhandled. */
void io_bus_access(const struct io_bus *bus, uint64_t addr, bool is_write, uint8_t *data,
		     unsigned size);

#endif
