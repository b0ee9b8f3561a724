/* MMIO dispatch for the exits KVM hands to user space: a few fixed windows (the virtio-mmio
 * devices); everything else reads as all ones and ignores writes. */
#ifndef KTSTR_VMM_MMIO_H
#define KTSTR_VMM_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#define MMIO_MAX_HANDLERS 8

typedef void (*mmio_fn)(void *opaque, uint64_t offset, bool is_write, uint8_t *data, unsigned size);

struct mmio_bus {
	struct {
		uint64_t base;
		uint64_t len;
		mmio_fn fn;
		void *opaque;
	} handler[MMIO_MAX_HANDLERS];
	unsigned count;
};

/* -ENOSPC when full, -EINVAL for an empty, wrapping or overlapping window. */
int mmio_bus_add(struct mmio_bus *bus, uint64_t base, uint64_t len, mmio_fn fn, void *opaque);

/* An access of size 1..8 bytes; one that is not wholly inside a window is unhandled. */
void mmio_bus_access(const struct mmio_bus *bus, uint64_t addr, bool is_write, uint8_t *data,
		     unsigned size);

#endif
