/* What initgen reads from an executable: real ELF binaries of this system, scripts, plain
 * data, and hostile ELF files (truncated, PT_INTERP outside the file, the wrong class),
 * which are errors naming the file, never crashes. */
#include <elf.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "initgen/elf_deps.h"

static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	char *buf;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static bool needs(const struct ipc_initgen_deps *d, const char *lib)
{
	const char *p = d->needed;

	for (uint32_t i = 0; i < d->count; i++, p += strlen(p) + 1)
		if (strcmp(p, lib) == 0)
			return true;
	return false;
}

static void test_dynamic_system_binary(void **state)
{
	struct ipc_initgen_deps d;
	struct kerr err = { 0 };
	size_t len;
	char *bin = slurp("/bin/sh", &len);

	(void)state;
	assert_int_equal(elf_deps_read("/bin/sh", bin, len, &d, &err), 0);
	assert_int_equal(d.kind, IPC_INITGEN_ELF_DYNAMIC);
	assert_string_equal(d.interp, "/lib64/ld-linux-x86-64.so.2");
	assert_true(needs(&d, "libc.so.6"));
	free(bin);
}

static void test_static_binary(void **state)
{
	const char *build = getenv("KTSTR_BUILD");
	char path[512];
	struct ipc_initgen_deps d;
	struct kerr err = { 0 };
	size_t len;
	char *bin;

	(void)state;
	snprintf(path, sizeof(path), "%s/ktstr-init", build ? build : "build");
	bin = slurp(path, &len);
	assert_int_equal(elf_deps_read(path, bin, len, &d, &err), 0);
	assert_int_equal(d.kind, IPC_INITGEN_ELF_STATIC);
	assert_string_equal(d.interp, "");
	assert_int_equal(d.count, 0);
	free(bin);
}

static void test_scripts_and_data(void **state)
{
	static char ok[] = "#! /bin/sh -e\necho hi\n", rel[] = "#!sh\n", data[] = "just bytes";
	char longline[400] = "#!/";
	struct ipc_initgen_deps d;
	struct kerr err = { 0 };

	(void)state;
	assert_int_equal(elf_deps_read("ok.sh", ok, sizeof(ok) - 1, &d, &err), 0);
	assert_int_equal(d.kind, IPC_INITGEN_SCRIPT);
	assert_string_equal(d.interp, "/bin/sh");
	assert_true(elf_deps_read("rel.sh", rel, sizeof(rel) - 1, &d, &err) < 0);
	assert_non_null(strstr(err.msg, "rel.sh: the #! line names no absolute interpreter"));
	memset(longline + 3, 'a', sizeof(longline) - 4);
	assert_true(elf_deps_read("long.sh", longline, sizeof(longline) - 1, &d, &err) < 0);
	assert_non_null(strstr(err.msg, "too long"));
	assert_int_equal(elf_deps_read("data", data, sizeof(data) - 1, &d, &err), 0);
	assert_int_equal(d.kind, IPC_INITGEN_DATA);
}

static void test_hostile_elf(void **state)
{
	struct ipc_initgen_deps d;
	struct kerr err = { 0 };
	size_t len;
	char *bin = slurp("/bin/sh", &len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)bin;
	Elf64_Phdr *ph = (Elf64_Phdr *)(bin + eh->e_phoff);

	(void)state;
	/* cut short: only the ELF header and a little more */
	for (size_t cut = 16; cut < 200; cut += 37)
		assert_true(elf_deps_read("cut", bin, cut, &d, &err) < 0);
	/* PT_INTERP pointing beyond the end of the file */
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_INTERP)
			ph[i].p_offset = len + 4096;
	assert_true(elf_deps_read("far-interp", bin, len, &d, &err) < 0);
	assert_non_null(strstr(err.msg, "far-interp: PT_INTERP lies outside the file"));
	/* a 32-bit ELF is not what the guest runs */
	bin[EI_CLASS] = ELFCLASS32;
	assert_true(elf_deps_read("elf32", bin, len, &d, &err) < 0);
	free(bin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dynamic_system_binary),
		cmocka_unit_test(test_static_binary),
		cmocka_unit_test(test_scripts_and_data),
		cmocka_unit_test(test_hostile_elf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
