/* MMIO dispatch: an access reaches the window it lies wholly in, at its offset; anything
 * else (the gaps, a straddling access, a bad size) reads as all ones and writes nothing;
 * windows cannot overlap or wrap. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/devices/io_bus.h"

struct window {
	unsigned hits;
	uint64_t last_off;
	unsigned last_size;
	uint8_t written;
};

static void window_fn(void *opaque, uint64_t off, bool is_write, uint8_t *data, unsigned size)
{
	struct window *w = opaque;

	w->hits++;
	w->last_off = off;
	w->last_size = size;
	if (is_write)
		w->written = data[0];
	else
		memset(data, 0x11, size);
}

static void test_dispatch(void **state)
{
	struct io_bus bus = { .count = 0 };
	struct window a = { 0 }, b = { 0 };
	uint8_t d[8];

	(void)state;
	assert_int_equal(io_bus_add(&bus, 0xc0000000, 0x1000, window_fn, &a), 0);
	assert_int_equal(io_bus_add(&bus, 0xc0001000, 0x1000, window_fn, &b), 0);
	io_bus_access(&bus, 0xc0001070, false, d, 4);
	assert_int_equal(b.hits, 1);
	assert_int_equal(b.last_off, 0x70);
	assert_memory_equal(d, "\x11\x11\x11\x11", 4);
	d[0] = 0x42;
	io_bus_access(&bus, 0xc0000ff8, true, d, 8);     /* the last 8 bytes of a */
	assert_int_equal(a.written, 0x42);
	assert_int_equal(a.last_off, 0xff8);
	io_bus_access(&bus, 0xc0000ffc, false, d, 8);    /* straddles a and b */
	assert_memory_equal(d, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
	io_bus_access(&bus, 0xfee00000, false, d, 4);    /* a gap */
	assert_memory_equal(d, "\xff\xff\xff\xff", 4);
	io_bus_access(&bus, UINT64_MAX - 1, false, d, 4);
	io_bus_access(&bus, 0xc0000000, false, d, 0);
	assert_int_equal(a.hits, 1);
	assert_int_equal(b.hits, 1);
}

static void test_bad_windows(void **state)
{
	struct io_bus bus = { .count = 0 };
	struct window w = { 0 };

	(void)state;
	assert_int_equal(io_bus_add(&bus, 0x1000, 0x1000, window_fn, &w), 0);
	assert_int_equal(io_bus_add(&bus, 0x1800, 0x1000, window_fn, &w), -EINVAL);
	assert_int_equal(io_bus_add(&bus, 0x0800, 0x1000, window_fn, &w), -EINVAL);
	assert_int_equal(io_bus_add(&bus, 0x3000, 0, window_fn, &w), -EINVAL);
	assert_int_equal(io_bus_add(&bus, UINT64_MAX - 0xfff, 0x2000, window_fn, &w), -EINVAL);
	for (unsigned i = 1; i < IO_BUS_MAX_HANDLERS; i++)
		assert_int_equal(io_bus_add(&bus, 0x10000ull * (i + 1), 0x1000, window_fn, &w), 0);
	assert_int_equal(io_bus_add(&bus, 0x900000, 0x1000, window_fn, &w), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_bad_windows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
