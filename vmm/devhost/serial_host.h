/* COM1 and COM2: 16550 models in vmm whose transmitted bytes stream through byte rings to
 * the sandboxed serial device process, which parses them and reports the outcome. */
#ifndef KTSTR_VMM_SERIAL_H
#define KTSTR_VMM_SERIAL_H

#include <stdatomic.h>
#include <stdbool.h>

#include "ipc/ipc.h"
#include "vmm/devhost/devhost.h"
#include "vmm/kvm.h"
#include "vmm/devices/io_bus.h"
#include "vmm/devices/uart.h"

#define SERIAL_COM1_BASE 0x3f8
#define SERIAL_COM1_IRQ  4
#define SERIAL_COM2_BASE 0x2f8
#define SERIAL_COM2_IRQ  3

struct serial_host;

struct serial_port {
	struct uart uart;
	struct ipc_ring ring;
	struct serial_host *host;
};

struct serial_host {
	struct serial_port com[2];
	struct devhost dev;
	struct kvm_vm *kvm;
	const atomic_bool *stopping;  /* set when the VM ends: a blocked writer gives up */
	atomic_bool ring_broken;      /* the device corrupted a ring index */
};

/* No process, no rings yet: what serial_host_destroy accepts. */
void serial_host_init(struct serial_host *s, struct kvm_vm *kvm, const atomic_bool *stopping);

/* Creates the COM rings and starts the serial device process. */
int serial_host_spawn(struct serial_host *s, const struct devhost_spawn *spawn, struct kerr *err);

/* Waits for the device's hello and hands it the rings. */
int serial_host_attach(struct serial_host *s, int timeout_ms, struct kerr *err);

int serial_host_register(struct serial_host *s, struct io_bus *bus, struct kerr *err);

void serial_host_destroy(struct serial_host *s);

#endif
