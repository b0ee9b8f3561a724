/* The 16550A model; see uart.h. */
#include "vmm/devices/uart.h"

#include <string.h>

enum {
	REG_DATA = 0, REG_IER = 1, REG_IIR_FCR = 2, REG_LCR = 3, REG_MCR = 4, REG_LSR = 5,
	REG_MSR = 6, REG_SCR = 7,
};

#define LCR_DLAB      0x80
#define MCR_DTR       0x01
#define MCR_RTS       0x02
#define MCR_OUT1      0x04
#define MCR_OUT2      0x08
#define MCR_LOOP      0x10
#define IER_THRI      0x02
#define IIR_NO_INT    0x01
#define IIR_THRI      0x02
#define IIR_FIFO_ON   0xc0
#define FCR_FIFO_EN   0x01
#define LSR_THRE      0x20
#define LSR_TEMT      0x40
#define MSR_CTS       0x10
#define MSR_DSR       0x20
#define MSR_RI        0x40
#define MSR_DCD       0x80

void uart_init(struct uart *u, unsigned irq, uart_tx_fn tx, uart_irq_fn set_irq, void *opaque)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	u->irq = irq;
	u->tx = tx;
	u->set_irq = set_irq;
	u->opaque = opaque;
	u->mcr = MCR_OUT2;
}

void uart_destroy(struct uart *u)
{
	pthread_mutex_destroy(&u->lock);
}

/* Only THRE can be pending: there is no receive path and the modem lines never change. */
static bool irq_pending(const struct uart *u)
{
	return (u->ier & IER_THRI) && u->thre_pending;
}

static void update_irq(struct uart *u)
{
	int level = irq_pending(u) ? 1 : 0;

	if (level != u->irq_level) {
		u->irq_level = level;
		u->set_irq(u->opaque, u->irq, level);
	}
}

static uint8_t read_iir(struct uart *u)
{
	uint8_t fifo = (u->fcr & FCR_FIFO_EN) ? IIR_FIFO_ON : 0;

	if (irq_pending(u)) {
		u->thre_pending = false;   /* reading IIR acknowledges a THRE interrupt */
		return fifo | IIR_THRI;
	}
	return fifo | IIR_NO_INT;
}

/* In loopback the modem outputs come back as inputs (Linux's probe checks for this);
 * otherwise the line looks like a connected modem. */
static uint8_t read_msr(const struct uart *u)
{
	uint8_t m = 0;

	if (!(u->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	if (u->mcr & MCR_RTS)
		m |= MSR_CTS;
	if (u->mcr & MCR_DTR)
		m |= MSR_DSR;
	if (u->mcr & MCR_OUT1)
		m |= MSR_RI;
	if (u->mcr & MCR_OUT2)
		m |= MSR_DCD;
	return m;
}

static uint8_t uart_read(struct uart *u, uint16_t reg)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case REG_DATA: return dlab ? u->dll : 0;    /* nothing is ever received */
	case REG_IER: return dlab ? u->dlm : u->ier;
	case REG_IIR_FCR: return read_iir(u);
	case REG_LCR: return u->lcr;
	case REG_MCR: return u->mcr;
	case REG_LSR: return LSR_THRE | LSR_TEMT;   /* the transmitter is always drained */
	case REG_MSR: return read_msr(u);
	default: return u->scr;
	}
}

static void uart_write(struct uart *u, uint16_t reg, uint8_t v)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case REG_DATA:
		if (dlab) {
			u->dll = v;
		} else {
			if (!(u->mcr & MCR_LOOP))
				u->tx(u->opaque, v);
			u->thre_pending = true;   /* sent at once: the holding register is empty again */
		}
		break;
	case REG_IER:
		if (dlab) {
			u->dlm = v;
		} else {
			/* Enabling the THRE interrupt with an empty holding register raises it. */
			if ((v & IER_THRI) && !(u->ier & IER_THRI))
				u->thre_pending = true;
			u->ier = v & 0x0f;
		}
		break;
	case REG_IIR_FCR: u->fcr = v & (FCR_FIFO_EN | 0xc0); break;
	case REG_LCR: u->lcr = v; break;
	case REG_MCR: u->mcr = v & 0x1f; break;
	case REG_SCR: u->scr = v; break;
	default: break;   /* LSR and MSR are read-only */
	}
}

void uart_access(void *opaque, uint64_t offset, bool is_write, uint8_t *data, unsigned size)
{
	struct uart *u = opaque;

	if (size != 1 || offset > 7) {
		if (!is_write)
			memset(data, 0xff, size);
		return;
	}
	pthread_mutex_lock(&u->lock);
	if (is_write)
		uart_write(u, offset, data[0]);
	else
		data[0] = uart_read(u, offset);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}
