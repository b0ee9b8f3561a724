/* iasl -d for the ACPI tests; see iasl.h. */
#include "tests/support/iasl.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#define DSL_MAX (1 << 20)

char *iasl_disassemble(const void *table, uint32_t len, const char *sig)
{
	char dir[] = "/tmp/ktstr-acpi-XXXXXX", path[128], cmd[512];
	char *text;
	FILE *f;

	if (system("command -v iasl >/dev/null 2>&1") != 0)
		fail_msg("iasl not found (scripts/setup installs acpica-tools)");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s.dat", dir, sig);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(table, 1, len, f), len);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cd %s && iasl -d %s.dat >iasl.log 2>&1", dir, sig);
	if (system(cmd) != 0)
		fail_msg("iasl -d rejected the %s table", sig);
	snprintf(path, sizeof(path), "%s/%s.dsl", dir, sig);
	f = fopen(path, "r");
	assert_non_null(f);
	text = calloc(1, DSL_MAX);
	assert_non_null(text);
	assert_true(fread(text, 1, DSL_MAX - 1, f) > 0);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return text;
}
