/* The 16550A model as Linux's 8250 driver uses it: bytes written go to the sink, the THRE
 * interrupt is raised when enabled and acknowledged by reading IIR, the divisor latch and
 * scratch register hold values, and loopback mirrors the modem lines (the probe's test). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/devices/uart.h"

struct wire {
	char sent[64];
	size_t nsent;
	int level;
	unsigned irq_changes;
	unsigned last_irq;
};

static void wire_tx(void *opaque, uint8_t byte)
{
	struct wire *w = opaque;

	if (w->nsent < sizeof(w->sent))
		w->sent[w->nsent++] = (char)byte;
}

static void wire_irq(void *opaque, unsigned irq, int level)
{
	struct wire *w = opaque;

	w->level = level;
	w->last_irq = irq;
	w->irq_changes++;
}

static uint8_t rd(struct uart *u, uint16_t reg)
{
	uint8_t v = 0;

	uart_access(u, reg, false, &v, 1);
	return v;
}

static void wr(struct uart *u, uint16_t reg, uint8_t v)
{
	uart_access(u, reg, true, &v, 1);
}

static void test_transmit_goes_to_sink(void **state)
{
	struct wire w = { 0 };
	struct uart u;

	(void)state;
	uart_init(&u, 4, wire_tx, wire_irq, &w);
	assert_int_equal(rd(&u, 5) & 0x60, 0x60);   /* THRE and TEMT: always ready */
	wr(&u, 0, 'h');
	wr(&u, 0, 'i');
	assert_int_equal(w.nsent, 2);
	assert_memory_equal(w.sent, "hi", 2);
	assert_int_equal(w.irq_changes, 0);          /* no interrupt while IER is 0 */
	uart_destroy(&u);
}

static void test_thre_interrupt(void **state)
{
	struct wire w = { 0 };
	struct uart u;

	(void)state;
	uart_init(&u, 3, wire_tx, wire_irq, &w);
	wr(&u, 2, 0x01);                             /* FIFO on */
	wr(&u, 1, 0x02);                             /* enable THRE: empty now, so it fires */
	assert_int_equal(w.level, 1);
	assert_int_equal(w.last_irq, 3);
	assert_int_equal(rd(&u, 2), 0xc2);           /* FIFO bits + THRE is the cause */
	assert_int_equal(w.level, 0);                /* reading IIR acknowledged it */
	assert_int_equal(rd(&u, 2), 0xc1);           /* nothing pending */
	wr(&u, 0, 'x');                              /* sent at once: THRE again */
	assert_int_equal(w.level, 1);
	wr(&u, 1, 0x00);                             /* masking lowers the line */
	assert_int_equal(w.level, 0);
	uart_destroy(&u);
}

static void test_divisor_and_scratch(void **state)
{
	struct wire w = { 0 };
	struct uart u;

	(void)state;
	uart_init(&u, 4, wire_tx, wire_irq, &w);
	wr(&u, 3, 0x83);                             /* DLAB, 8N1 */
	wr(&u, 0, 0x01);
	wr(&u, 1, 0x00);
	assert_int_equal(rd(&u, 0), 0x01);
	assert_int_equal(rd(&u, 1), 0x00);
	assert_int_equal(w.nsent, 0);                /* divisor writes are not data */
	wr(&u, 3, 0x03);
	assert_int_equal(rd(&u, 3), 0x03);
	wr(&u, 7, 0xa5);
	assert_int_equal(rd(&u, 7), 0xa5);
	uart_destroy(&u);
}

static void test_loopback_mirrors_modem_lines(void **state)
{
	struct wire w = { 0 };
	struct uart u;

	(void)state;
	uart_init(&u, 4, wire_tx, wire_irq, &w);
	wr(&u, 4, 0x10);                             /* loop, all outputs off */
	assert_int_equal(rd(&u, 6) & 0xf0, 0x00);
	wr(&u, 4, 0x1f);                             /* loop, all outputs on */
	assert_int_equal(rd(&u, 6) & 0xf0, 0xf0);
	wr(&u, 0, 'z');                              /* looped back, not sent */
	assert_int_equal(w.nsent, 0);
	wr(&u, 4, 0x0b);
	assert_int_equal(rd(&u, 6) & 0xb0, 0xb0);    /* a connected modem: DCD, DSR, CTS */
	uart_destroy(&u);
}

static void test_wide_access_ignored(void **state)
{
	struct wire w = { 0 };
	struct uart u;
	uint8_t v[4] = { 'a', 'b', 'c', 'd' };

	(void)state;
	uart_init(&u, 4, wire_tx, wire_irq, &w);
	uart_access(&u, 0, true, v, 2);
	assert_int_equal(w.nsent, 0);
	uart_access(&u, 0, false, v, 4);
	assert_memory_equal(v, "\xff\xff\xff\xff", 4);
	uart_destroy(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transmit_goes_to_sink),
		cmocka_unit_test(test_thre_interrupt),
		cmocka_unit_test(test_divisor_and_scratch),
		cmocka_unit_test(test_loopback_mirrors_modem_lines),
		cmocka_unit_test(test_wide_access_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
