/* --shard and --filter (runner/select.c): the shard arithmetic every machine of a matrix must
 * agree on, pinned so that it never changes between versions; shard syntax; filters. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "runner/select.h"

static void test_shard_arithmetic(void **state)
{
	unsigned per[7] = { 0 };
	char name[32];

	(void)state;
	/* FNV-1a of the name: fixed values, so shards stay put across releases and machines */
	assert_int_equal(select_shard_of("a", 1000), 12638187200555641996ull % 1000);
	assert_int_equal(select_shard_of("sched/simple", 4), select_shard_of("sched/simple", 4));
	assert_int_equal(select_shard_of("", 7), 14695981039346656037ull % 7);
	/* every test in exactly one shard, and 700 names spread over 7 */
	for (unsigned i = 0; i < 700; i++) {
		unsigned s;

		snprintf(name, sizeof(name), "test-%u", i);
		s = select_shard_of(name, 7);
		assert_true(s < 7);
		per[s]++;
	}
	for (unsigned s = 0; s < 7; s++)
		assert_in_range(per[s], 70, 130);
	assert_int_equal(select_shard_of("anything", 1), 0);
}

static void test_shard_syntax(void **state)
{
	struct kerr err = { 0 };
	unsigned i, n;

	(void)state;
	assert_int_equal(select_parse_shard("0/4", &i, &n, &err), 0);
	assert_int_equal(i, 0);
	assert_int_equal(n, 4);
	assert_int_equal(select_parse_shard("3/4", &i, &n, &err), 0);
	assert_int_equal(select_parse_shard("4/4", &i, &n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "--shard 4/4: INDEX counts from 0"));
	assert_int_equal(select_parse_shard("1/0", &i, &n, &err), -EINVAL);
	assert_int_equal(select_parse_shard("-1/4", &i, &n, &err), -EINVAL);
	assert_int_equal(select_parse_shard("1/-4", &i, &n, &err), -EINVAL);
	assert_int_equal(select_parse_shard("1", &i, &n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "give INDEX/COUNT"));
	assert_int_equal(select_parse_shard("1/4x", &i, &n, &err), -EINVAL);
	assert_int_equal(select_parse_shard("0/10001", &i, &n, &err), -EINVAL);
}

static void test_filters(void **state)
{
	char *tags[] = { (char *)"sched", (char *)"smoke" };
	struct suite_test t = { .name = "sched/simple-8cpu", .n_tags = 2 };

	(void)state;
	memcpy(t.tags, tags, sizeof(tags));
	assert_true(select_matches(&t, "sched/*"));
	assert_true(select_matches(&t, "*8cpu"));
	assert_false(select_matches(&t, "sched"));
	assert_true(select_matches(&t, "tag:smoke"));
	assert_false(select_matches(&t, "tag:smok"));
	assert_false(select_matches(&t, "tag:"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shard_arithmetic),
		cmocka_unit_test(test_shard_syntax),
		cmocka_unit_test(test_filters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
