/* The token bucket behind --disk iops= and bps=: bursts, debts paid back at the rate, and
 * waits that neither overflow nor sleep past a second, however large the debt. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "devproc/throttle.h"

#define S 1000000000ull

static void test_burst_then_rate(void **state)
{
	struct throttle t;

	(void)state;
	throttle_init(&t, 100, 0, 0);          /* 100/s, a bucket of 100 */
	assert_true(throttle_ready(&t, 0));
	throttle_charge(&t, 100);
	assert_false(throttle_ready(&t, 0));
	/* One unit after 10 ms (the wait says so), and never more than the burst. */
	assert_int_equal(throttle_wait_ns(&t, 0), 10000000);
	assert_true(throttle_ready(&t, 10000001));
	assert_true(throttle_ready(&t, 1000 * S));
	throttle_charge(&t, 100);
	assert_false(throttle_ready(&t, 1000 * S));
	assert_int_equal(throttle_wait_ns(&t, 1000 * S), 10000000);
}

/* A request larger than the bucket passes and leaves a debt the rate pays back. */
static void test_large_request_is_a_debt(void **state)
{
	struct throttle t;

	(void)state;
	throttle_init(&t, 4096, 0, 0);
	throttle_charge(&t, 4096 * 11);        /* ten seconds of debt beyond the bucket */
	assert_true(throttle_wait_ns(&t, 0) > 10 * S);
	assert_true(throttle_wait_ns(&t, 0) < 10 * S + S / 1000);
	assert_false(throttle_ready(&t, 9 * S));
	assert_true(throttle_ready(&t, 10 * S + S / 1000));
}

/* A guest's 1 GiB request at bps=1, repeated: the wait saturates instead of overflowing
 * (once a conversion that wrapped, and an int poll timeout that went negative: the device
 * then slept forever), and the device's poll timeout stays within a second. */
static void test_huge_debt_saturates(void **state)
{
	struct throttle t;

	(void)state;
	throttle_init(&t, 1, 0, 0);
	for (int i = 0; i < 64; i++)
		throttle_charge(&t, 1ull << 62);
	assert_false(throttle_ready(&t, S));
	assert_true(throttle_wait_ns(&t, S) == UINT64_MAX);
	assert_int_equal(throttle_poll_ms(UINT64_MAX), THROTTLE_MAX_POLL_MS);
	assert_int_equal(throttle_poll_ms(UINT64_MAX - 5), THROTTLE_MAX_POLL_MS);
	assert_int_equal(throttle_poll_ms(1000ull * S), THROTTLE_MAX_POLL_MS);
	assert_int_equal(throttle_poll_ms(1), 1);
	assert_int_equal(throttle_poll_ms(2500000), 3);
	assert_int_equal(throttle_poll_ms(0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_large_request_is_a_debt),
		cmocka_unit_test(test_huge_debt_saturates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
