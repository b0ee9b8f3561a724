/* Suite files (runner/suite.c): what a test becomes (ktstr-vmm options, payload, tags,
 * expected status), [defaults], quoting, and an error with file and line for each mistake. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "runner/suite.h"

static void joined(const struct suite_test *t, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < t->n_opts; i++)
		used += (size_t)snprintf(out + used, size - used, "%s%s", i ? " " : "", t->opts[i]);
	used += (size_t)snprintf(out + used, size - used, " --");
	for (unsigned i = 0; i < t->n_run; i++)
		used += (size_t)snprintf(out + used, size - used, " [%s]", t->run[i]);
}

static void test_a_suite(void **state)
{
	static const char text[] =
		"\xef\xbb\xbf# smoke tests, with a byte order mark\n"
		"[defaults]\n"
		"kernel = ktstr\n"
		"sandbox = strict\n"
		"disk = base.img,ro\n"
		"\n"
		"[sched/simple-8cpu]\n"
		"  run = /bin/stress \"a b\" c\\ d   \n"
		"topology = 1,2,2,2\n"
		"scheduler = /opt/scx_simple\n"
		"scheduler-arg = -v\n"
		"scheduler-arg = --slice=5\n"
		"tags = sched smoke\n"
		"expect = 3\n"
		"timeout = 60\n"
		"[plain]   # with comments after blanks\n"
		"run = /bin/true \"#1\" a\\#b c#d   # the payload\n"
		"kernel = /boot/other\n"
		"disk = a.img\n"
		"disk = b.img,ro\n"
		"net = 02:00:00:00:00:01\n"
		"performance = yes\n";
	struct suite s;
	struct kerr err = { 0 };
	char buf[1024];

	(void)state;
	assert_int_equal(suite_parse("smoke.suite", text, &s, &err), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.tests[0].name, "sched/simple-8cpu");
	assert_int_equal(s.tests[0].line, 7);
	joined(&s.tests[0], buf, sizeof(buf));
	assert_string_equal(buf, "--kernel ktstr --topology 1,2,2,2 --scheduler /opt/scx_simple "
			    "--scheduler-arg -v --scheduler-arg --slice=5 --disk base.img,ro --sandbox strict "
			    "--timeout 60 -- [/bin/stress] [a b] [c d]");
	assert_int_equal(s.tests[0].expect, 3);
	assert_int_equal(s.tests[0].timeout_s, 60);
	assert_int_equal(s.tests[0].n_tags, 2);
	assert_string_equal(s.tests[0].tags[1], "smoke");
	joined(&s.tests[1], buf, sizeof(buf));   /* its own kernel and disks replace the defaults' */
	assert_string_equal(buf, "--kernel /boot/other --disk a.img --disk b.img,ro "
			    "--net=02:00:00:00:00:01 --sandbox strict --performance -- [/bin/true] [#1] [a#b] [c#d]");
	assert_int_equal(s.tests[1].expect, 0);
	suite_free(&s);
}

/* Each mistake: the file, the line, and the value. */
static void test_errors_name_the_line(void **state)
{
	static const struct {
		const char *text, *message;
	} bad[] = {
		{ "[a]\nrun = x\nkernal = k\n", "s:3: unknown key \"kernal\"" },
		{ "[a]\nrun = x\n[a]\nrun = y\n", "s:3: [a]: a second test of that name" },
		{ "[a]\nkernel = k\n[b]\nrun = y\n", "s:1: [a] has no run = PROGRAM" },
		{ "[a]\nrun = x\nexpect = 300\n", "s:3: expect = 300: an exit status is 0..255" },
		{ "run = x\n[a]\n", "s:1: run: a key before any [NAME] or [defaults]" },
		{ "[a]\nrun = x\n[defaults]\nkernel = k\n", "s:3: [defaults] comes once, before the first test" },
		{ "[a]\nrun = \"x\n", "s:2: an unterminated \" in \"\"x\"" },
		{ "[a b]\nrun = x\n", "s:1: [a b]: a test name has letters" },
		{ "[a]\nrun = x\nkernel = k\nkernel = l\n", "s:4: kernel given twice for one test" },
		{ "[a]\nrun = x\ntimeout = soon\n", "s:3: \"soon\" is not a whole number here" },
		{ "[a]\nrun = x\nperformance = maybe\n", "s:3: performance = maybe: say yes or no" },
		{ "[a]\nrun =\n", "s:2: run = needs a value" },
		{ "[a]\nrun x\n", "s:2: \"run x\": a line is [NAME] or key = value" },
		{ "# nothing\n", "s: no tests" },
		{ "[a]\nrun = x\n[b\n", "s:3: \"[b\": a section is [NAME]" },
		{ "[defaults]\nkernel = a\nkernel = b\n[a]\nrun = x\n", "s:3: kernel given twice in [defaults]" },
		{ "[a]\nrun = \"\"\n", "s:1: [a]: run = names no program" },
		{ "[a] # first\nrun = x\nexpect = 1 # one\nexpect = 2\n", "s:4: expect given twice" },
	};
	struct suite s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kerr err = { 0 };

		assert_int_equal(suite_parse("s", bad[i].text, &s, &err), -EINVAL);
		if (!strstr(err.msg, bad[i].message))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, bad[i].message);
		assert_int_equal(s.n, 0);   /* nothing half built is left */
	}
}

static void test_load(void **state)
{
	char path[] = "/tmp/ktstr-suite-XXXXXX";
	struct kerr err = { 0 };
	struct suite s;
	FILE *f;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	fputs("[one]\nrun = /bin/true\n", f);
	fclose(f);
	assert_int_equal(suite_load(path, &s, &err), 0);
	assert_int_equal(s.n, 1);
	suite_free(&s);
	assert_non_null(f = fopen(path, "w"));
	fwrite("[one]\nrun = /bin/\0true\n", 1, 23, f);
	fclose(f);
	assert_int_equal(suite_load(path, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "a NUL byte at offset 17: not a suite file"));
	unlink(path);
	assert_int_equal(suite_load(path, &s, &err), -ENOENT);
	assert_non_null(strstr(err.msg, path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_suite),
		cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
