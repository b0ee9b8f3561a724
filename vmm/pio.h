/* Port I/O dispatch: a handful of fixed ranges (the UARTs, the i8042 reset line); every other
 * port reads as all ones and ignores writes, like an empty ISA bus. */
#ifndef KTSTR_VMM_PIO_H
#define KTSTR_VMM_PIO_H

#include <stdbool.h>
#include <stdint.h>

#define PIO_MAX_HANDLERS 8

typedef void (*pio_fn)(void *opaque, uint16_t offset, bool is_write, uint8_t *data, unsigned size);

struct pio_bus {
	struct {
		uint16_t base;
		uint16_t len;
		pio_fn fn;
		void *opaque;
	} handler[PIO_MAX_HANDLERS];
	unsigned count;
};

int pio_bus_add(struct pio_bus *bus, uint16_t base, uint16_t len, pio_fn fn, void *opaque);
void pio_bus_access(const struct pio_bus *bus, uint16_t port, bool is_write, uint8_t *data,
		    unsigned size);

#endif
