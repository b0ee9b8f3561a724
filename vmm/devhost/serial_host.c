/* vmm's half of the serial ports; see serial.h. */
#include "vmm/devhost/serial_host.h"

#include <errno.h>
#include <string.h>

#define COM1_RING_SIZE (1u << 20)
#define COM2_RING_SIZE (1u << 18)
#define SPACE_WAIT_MS  50

static void port_irq(void *opaque, unsigned irq, int level)
{
	struct serial_port *p = opaque;

	kvm_vm_irq_line(p->host->kvm, irq, level);
}

/* A full ring means the device process is behind: the vCPU waits (nothing is dropped)
 * unless the VM is ending or the device broke the ring. */
static void port_tx(void *opaque, uint8_t byte)
{
	struct serial_port *p = opaque;
	struct serial_host *s = p->host;

	for (;;) {
		ssize_t n = ipc_ring_write(&p->ring, &byte, 1);

		if (n == 1)
			return;
		if (n < 0 || atomic_load(&s->ring_broken)) {
			atomic_store(&s->ring_broken, true);
			return;
		}
		if (atomic_load(s->stopping))
			return;
		if (ipc_ring_wait_space(&p->ring, SPACE_WAIT_MS) < 0) {
			atomic_store(&s->ring_broken, true);
			return;
		}
	}
}

void serial_host_init(struct serial_host *s, struct kvm_vm *kvm, const atomic_bool *stopping)
{
	static const unsigned irqs[2] = { SERIAL_COM1_IRQ, SERIAL_COM2_IRQ };

	memset(s, 0, sizeof(*s));
	s->kvm = kvm;
	s->stopping = stopping;
	devhost_init(&s->dev);
	for (int i = 0; i < 2; i++) {
		s->com[i].host = s;
		ipc_ring_init(&s->com[i].ring);
		uart_init(&s->com[i].uart, irqs[i], port_tx, port_irq, &s->com[i]);
	}
}

int serial_host_spawn(struct serial_host *s, const struct devhost_spawn *spawn, struct kerr *err)
{
	static const uint32_t sizes[2] = { COM1_RING_SIZE, COM2_RING_SIZE };

	for (int i = 0; i < 2; i++)
		if (ipc_ring_create(&s->com[i].ring, sizes[i], err) < 0)
			return kerr_wrap(err, "COM%d ring", i + 1);
	return devhost_spawn(&s->dev, spawn, err);
}

int serial_host_attach(struct serial_host *s, int timeout_ms, struct kerr *err)
{
	static const uint32_t ids[2] = { IPC_RING_COM1_TX, IPC_RING_COM2_TX };
	int r = devhost_wait_hello(&s->dev, timeout_ms, err);

	if (r < 0)
		return r;
	for (int i = 0; i < 2; i++) {
		struct ipc_ring *ring = &s->com[i].ring;
		struct ipc_ring_attach a = { .ring_id = ids[i], .capacity = ring->capacity };
		int fds[3] = { ring->memfd, ring->data_bell, ring->space_bell };

		if (devhost_send(&s->dev, IPC_MSG_RING_ATTACH, &a, fds, err) < 0)
			return -1;
	}
	return 0;
}

int serial_host_register(struct serial_host *s, struct io_bus *bus, struct kerr *err)
{
	if (io_bus_add(bus, SERIAL_COM1_BASE, 8, uart_access, &s->com[0].uart) < 0 ||
	    io_bus_add(bus, SERIAL_COM2_BASE, 8, uart_access, &s->com[1].uart) < 0)
		return kerr_set(err, ENOSPC, "too many port I/O handlers");
	return 0;
}

void serial_host_destroy(struct serial_host *s)
{
	devhost_kill(&s->dev);
	for (int i = 0; i < 2; i++) {
		ipc_ring_destroy(&s->com[i].ring);
		uart_destroy(&s->com[i].uart);
	}
}
