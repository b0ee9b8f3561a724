/* ktstr-run's reports (runner/report_*.c): XML character data from arbitrary guest bytes, and
 * the TAP and JSON of a passing, a failing and a retried test. (tests/runner/test-runner.sh
 * checks whole reports with xmllint and prove.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "runner/result.h"

static char *xml(const char *s, size_t len)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);

	assert_non_null(f);
	xml_text(f, s, len);
	fclose(f);
	return out;
}

static void test_xml_text(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
		{ "a<b>&\"'", 7, "a&lt;b&gt;&amp;&quot;&apos;" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7", 14, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7" },
		{ "\x01x\x1b", 3, "\xef\xbf\xbdx\xef\xbf\xbd" },          /* control bytes */
		{ "t\tn\nr\r", 6, "t\tn\nr\r" },                          /* allowed ones */
		{ "\xff\xc3", 2, "\xef\xbf\xbd\xef\xbf\xbd" },            /* bad and cut short */
		{ "\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd" },            /* overlong '/' */
		{ "\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },   /* a surrogate */
		{ "\xef\xbf\xbf", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },   /* U+FFFF */
		{ "a\0b", 3, "a\xef\xbf\xbd" "b" },                          /* NUL */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = xml(cases[i].in, cases[i].len);

		if (strcmp(out, cases[i].out) != 0)
			fail_msg("case %zu: got \"%s\"", i, out);
		free(out);
	}
}

static void test_tap_and_json(void **state)
{
	struct suite_test a = { .name = "good # TODO" }, b = { .name = "bad", .expect = 0 }, c = { .name = "flaky" };
	struct run_result r[3] = {
		{ .test = &a, .ran = true, .passed = true, .seconds = 0.25, .attempts = 1, .outcome = "exited" },
		{ .test = &b, .ran = true, .status = 122, .seconds = 1.5, .attempts = 1, .outcome = "panic",
		  .message = "expected status 0, got 122", .panic = (char *)"oops\nline 2\n",
		  .console_tail = (char *)"caf\xc3\xa9 \xe2\x9c\x93 \xff\x01" },
		{ .test = &c, .ran = true, .passed = true, .seconds = 2, .attempts = 2, .outcome = "exited",
		  .retries = "attempt 1: expected status 0, got 120" },
	};
	char *out = NULL;
	size_t n = 0;
	FILE *f;

	(void)state;
	assert_non_null(f = open_memstream(&out, &n));
	report_tap(f, r, 3);
	fclose(f);
	assert_string_equal(out,
		"TAP version 13\n1..3\n"
		"ok 1 - good \\# TODO # time=250ms\n"
		"not ok 2 - bad # time=1500ms\n"
		"  ---\n  status: 122\n  expected: 0\n  outcome: panic\n  attempts: 1\n"
		"  message: \"expected status 0, got 122\"\n"
		"  panic: \"oops\\nline 2\\n\"\n"
		"  ...\n"
		"ok 3 - flaky # time=2000ms\n"
		"  ---\n  status: 0\n  expected: 0\n  outcome: exited\n  attempts: 2\n"
		"  retries: \"attempt 1: expected status 0, got 120\"\n"
		"  ...\n");
	free(out);
	assert_non_null(f = open_memstream(&out, &n));
	report_json(f, r, 3);
	fclose(f);
	assert_non_null(strstr(out, "{ \"name\": \"bad\", \"ran\": true, \"passed\": false, \"status\": 122, "
				    "\"expected\": 0, \"seconds\": 1.500, \"attempts\": 1, \"outcome\": \"panic\", "
				    "\"message\": \"expected status 0, got 122\", \"retries\": null, "
				    "\"panic\": \"oops\\nline 2\\n\", "
				    "\"console_tail\": \"caf\xc3\xa9 \xe2\x9c\x93 \\ufffd\\u0001\" }"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xml_text),
		cmocka_unit_test(test_tap_and_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
