/* i8042 reset line; see i8042.h. */
#include "vmm/devices/i8042.h"

#include <errno.h>
#include <string.h>

#define I8042_DATA_PORT   0x60
#define I8042_CMD_PORT    0x64
#define I8042_CMD_RESET   0xfe

static void i8042_access(void *opaque, uint64_t offset, bool is_write, uint8_t *data, unsigned size)
{
	(void)opaque;
	(void)offset;
	if (!is_write)
		memset(data, 0, size);   /* no keyboard data, ever */
}

static void i8042_cmd(void *opaque, uint64_t offset, bool is_write, uint8_t *data, unsigned size)
{
	struct i8042 *k = opaque;

	(void)offset;
	if (!is_write) {
		memset(data, 0, size);   /* status 0: input buffer empty, so the reset is sent */
		return;
	}
	if (size == 1 && data[0] == I8042_CMD_RESET)
		k->reset(k->opaque);
}

int i8042_register(struct i8042 *k, struct io_bus *bus, i8042_reset_fn reset, void *opaque,
		   struct kerr *err)
{
	k->reset = reset;
	k->opaque = opaque;
	/* Only 0x60 and 0x64: 0x61 is the PIT gate, not ours to answer. */
	if (io_bus_add(bus, I8042_DATA_PORT, 1, i8042_access, k) < 0 ||
	    io_bus_add(bus, I8042_CMD_PORT, 1, i8042_cmd, k) < 0)
		return kerr_set(err, ENOSPC, "too many port I/O handlers");
	return 0;
}
