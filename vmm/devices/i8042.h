/* The one part of the i8042 keyboard controller a test VM needs: the reset line. Linux
 * reboots with `reboot=k` by writing 0xFE to port 0x64 once the input buffer reads empty. */
#ifndef KTSTR_VMM_I8042_H
#define KTSTR_VMM_I8042_H

#include "ipc/err.h"
#include "vmm/devices/io_bus.h"

typedef void (*i8042_reset_fn)(void *opaque);

struct i8042 {
	i8042_reset_fn reset;
	void *opaque;
};

int i8042_register(struct i8042 *k, struct io_bus *bus, i8042_reset_fn reset, void *opaque,
		   struct kerr *err);

#endif
