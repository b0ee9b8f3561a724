/* libFuzzer target: the register models that run unsandboxed in vmm, driven as a hostile
 * guest drives them: arbitrary port I/O and MMIO accesses (any address, size 1..8, read or
 * write) through the io_bus dispatch to two 16550A UARTs and a virtio-mmio window. Beyond
 * what the sanitizers catch: DRIVER_OK reaches the device only with FEATURES_OK and features
 * it offered, never with a queue longer than it allows; notifies name real queues; the
 * UARTs' interrupt line only ever goes 0/1. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/devices/io_bus.h"
#include "vmm/devices/uart.h"
#include "vmm/devices/virtio_mmio.h"

#define MMIO_BASE 0xc0000000ull

static void on_driver_ok(void *opaque, const struct virtio_mmio *m)
{
	(void)opaque;
	if ((m->status & 0xc) != 0xc || (m->driver_features & ~m->id.features))
		abort();
	for (unsigned i = 0; i < m->id.num_queues; i++)
		if (m->queues[i].num > m->id.queue_num_max)
			abort();
}

static void on_reset(void *opaque, const struct virtio_mmio *m)
{
	(void)opaque;
	if (m->status != 0)
		abort();
}

static void on_notify(void *opaque, unsigned queue)
{
	const struct virtio_mmio *m = opaque;

	if (queue >= m->id.num_queues)
		abort();
}

static void on_tx(void *opaque, uint8_t byte)
{
	(void)opaque, (void)byte;
}

static void on_irq(void *opaque, unsigned irq, int level)
{
	(void)opaque;
	if ((irq != 3 && irq != 4) || (level != 0 && level != 1))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct virtio_mmio_ops ops = { on_driver_ok, on_reset, on_notify };
	struct ipc_virtio_identity id = { .device_id = IPC_VIRTIO_ID_NET, .num_queues = 3,
					  .queue_num_max = 256, .features = 1u << 5, .config_len = 8 };
	static _Atomic uint32_t int_status;
	struct io_bus pio = { 0 }, mmio = { 0 };
	struct uart com1, com2;
	struct virtio_mmio vm;

	virtio_mmio_init(&vm, &id, &int_status, &ops, &vm);
	uart_init(&com1, 4, on_tx, on_irq, NULL);
	uart_init(&com2, 3, on_tx, on_irq, NULL);
	if (io_bus_add(&pio, 0x3f8, 8, uart_access, &com1) < 0 ||
	    io_bus_add(&pio, 0x2f8, 8, uart_access, &com2) < 0 ||
	    io_bus_add(&mmio, MMIO_BASE, VIRTIO_MMIO_WINDOW, virtio_mmio_access, &vm) < 0)
		abort();
	/* An access: flags (bus, direction, size), a 16-bit offset near the windows, 8 data bytes. */
	while (size >= 11) {
		uint8_t flags = data[0], buf[8];
		unsigned len = (unsigned)(flags >> 2) % 8 + 1;
		uint64_t off = (uint64_t)data[1] | (uint64_t)data[2] << 8;
		bool write = flags & 2;

		memcpy(buf, data + 3, 8);
		if (flags & 1)
			io_bus_access(&mmio, MMIO_BASE - 0x100 + (off & 0x1fff), write, buf, len);
		else
			io_bus_access(&pio, 0x2f0 + (off & 0x11f), write, buf, len);
		if (vm.status > 0xff)
			abort();
		data += 11, size -= 11;
	}
	uart_destroy(&com1);
	uart_destroy(&com2);
	virtio_mmio_destroy(&vm);
	return 0;
}
