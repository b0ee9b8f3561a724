/* A minimal 16550A register model: enough for Linux's 8250 driver to find the port, use its
 * FIFO and take THRE interrupts. Transmitted bytes go straight to a sink (the ring to the
 * serial device process), so the transmitter is always empty. Thread-safe: any vCPU may
 * touch any port. */
#ifndef KTSTR_VMM_UART_H
#define KTSTR_VMM_UART_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef void (*uart_tx_fn)(void *opaque, uint8_t byte);
typedef void (*uart_irq_fn)(void *opaque, unsigned irq, int level);

struct uart {
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thre_pending;      /* a THRE interrupt is owed to the driver */
	int irq_level;          /* what the interrupt line is driven to now */
	unsigned irq;
	uart_tx_fn tx;
	uart_irq_fn set_irq;
	void *opaque;
};

void uart_init(struct uart *u, unsigned irq, uart_tx_fn tx, uart_irq_fn set_irq, void *opaque);
void uart_destroy(struct uart *u);

/* An io_fn: offset 0..7 within the port's range. */
void uart_access(void *opaque, uint64_t offset, bool is_write, uint8_t *data, unsigned size);

#endif
