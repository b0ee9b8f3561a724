/* The guest kernel command line: defaults, --append, and the payload after "--" with the
 * kernel's quoting rules; what cannot travel is refused with the argument named. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/boot/cmdline.h"

static void test_defaults_only(void **state)
{
	char buf[512];
	struct kerr err = { 0 };

	(void)state;
	assert_int_equal(cmdline_build(buf, sizeof(buf), NULL, NULL, &err), 0);
	assert_string_equal(buf, CMDLINE_DEFAULT);
}

static void test_append_and_payload(void **state)
{
	char *payload[] = { (char[]){"/bin/test"}, (char[]){"--arg"}, (char[]){"two words"}, (char[]){"x\ty"}, NULL };
	char buf[512];
	struct kerr err = { 0 };

	(void)state;
	assert_int_equal(cmdline_build(buf, sizeof(buf), "loglevel=7", payload, &err), 0);
	assert_string_equal(buf, CMDLINE_DEFAULT " loglevel=7 -- /bin/test --arg \"two words\" \"x\ty\"");
}

static void test_unpassable_arguments_named(void **state)
{
	char *quote[] = { (char[]){"/bin/t"}, (char[]){"say \"hi\""}, NULL };
	char *newline[] = { (char[]){"/bin/t"}, (char[]){"a\nb"}, NULL };
	char *empty[] = { (char[]){"/bin/t"}, (char[]){""}, NULL };
	char buf[512];
	struct kerr err = { 0 };

	(void)state;
	assert_true(cmdline_build(buf, sizeof(buf), NULL, quote, &err) < 0);
	assert_non_null(strstr(err.msg, "payload argument 1"));
	assert_non_null(strstr(err.msg, "say \"hi\""));
	assert_true(cmdline_build(buf, sizeof(buf), NULL, newline, &err) < 0);
	assert_non_null(strstr(err.msg, "payload argument 1"));
	assert_true(cmdline_build(buf, sizeof(buf), NULL, empty, &err) < 0);
	assert_non_null(strstr(err.msg, "empty"));
}

static void test_too_many_arguments(void **state)
{
	static char one[] = "a";
	char *payload[CMDLINE_MAX_INIT_ARGS + 2];
	char buf[1024];
	struct kerr err = { 0 };

	(void)state;
	for (int i = 0; i < CMDLINE_MAX_INIT_ARGS; i++)
		payload[i] = one;
	payload[CMDLINE_MAX_INIT_ARGS] = NULL;
	assert_int_equal(cmdline_build(buf, sizeof(buf), NULL, payload, &err), 0);
	payload[CMDLINE_MAX_INIT_ARGS] = (char[]){"one-too-many"};
	payload[CMDLINE_MAX_INIT_ARGS + 1] = NULL;
	assert_true(cmdline_build(buf, sizeof(buf), NULL, payload, &err) < 0);
	assert_non_null(strstr(err.msg, "more than 30 arguments"));
}

static void test_too_long_is_refused_not_cut(void **state)
{
	static char append[300];
	char buf[256];
	struct kerr err = { 0 };

	(void)state;
	memset(append, 'a', sizeof(append) - 1);
	assert_true(cmdline_build(buf, sizeof(buf), append, NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "longer than 255 bytes"));
}

/* virtio_mmio.device= entries, in the kernel's <size>@<base>:<irq> form. */
static void test_virtio_devices(void **state)
{
	static const struct acpi_virtio v[] = { { 0xc0000000u, 0x1000, 5 }, { 0xc0001000u, 0x1000, 6 } };
	char buf[256], tiny[20];
	struct kerr err;

	(void)state;
	assert_int_equal(cmdline_virtio_devices(buf, sizeof(buf), v, 2, &err), 0);
	assert_string_equal(buf, "virtio_mmio.device=4K@0xc0000000:5 virtio_mmio.device=4K@0xc0001000:6");
	assert_true(cmdline_virtio_devices(tiny, sizeof(tiny), v, 2, &err) < 0);
	assert_non_null(strstr(err.msg, "longer than"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_virtio_devices),
		cmocka_unit_test(test_defaults_only),
		cmocka_unit_test(test_append_and_payload),
		cmocka_unit_test(test_unpassable_arguments_named),
		cmocka_unit_test(test_too_many_arguments),
		cmocka_unit_test(test_too_long_is_refused_not_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
