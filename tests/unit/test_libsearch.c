/* The pieces of library lookup that need no files: lexical normalisation, modules.dep
 * order, and ld.so.cache parsing of a corrupt file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "initgen/ldcache.h"
#include "initgen/libsearch.h"
#include "initgen/modules.h"

static void test_normalize(void **state)
{
	char out[64];

	(void)state;
	assert_true(libsearch_normalize("/a/./b//../c", out, sizeof(out)));
	assert_string_equal(out, "/a/c");
	assert_true(libsearch_normalize("/opt/x/bin/../lib/libfoo.so", out, sizeof(out)));
	assert_string_equal(out, "/opt/x/lib/libfoo.so");
	assert_true(libsearch_normalize("/", out, sizeof(out)));
	assert_string_equal(out, "/");
	assert_false(libsearch_normalize("relative/x", out, sizeof(out)));
	assert_false(libsearch_normalize("/a/../..", out, sizeof(out)));
	assert_false(libsearch_normalize("/aaaaaaaa/bbbbbbbb", out, 8));
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void test_modules_order(void **state)
{
	char dir[] = "/tmp/ktstr-modules-XXXXXX", path[64];
	static const char dep[] =
		"kernel/drivers/virtio/virtio_mmio.ko.xz:\n"
		"kernel/drivers/net/virtio_net.ko.xz: kernel/drivers/net/net_failover.ko.xz kernel/net/core/failover.ko.xz\n"
		"kernel/drivers/block/virtio_blk.ko.xz:\n";
	const char *const wanted[] = { "virtio_mmio", "virtio-net", "virtio_blk", "virtio_console" };
	struct module_list l;
	struct kerr err = { 0 };

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/modules.dep", dir);
	write_file(path, dep, sizeof(dep) - 1);
	assert_int_equal(modules_resolve(dir, wanted, 4, &l, &err), 0);
	assert_int_equal(l.n, 5);   /* virtio_console is built in: not listed, not needed */
	assert_string_equal(l.path[0], "kernel/drivers/virtio/virtio_mmio.ko.xz");
	assert_string_equal(l.path[1], "kernel/net/core/failover.ko.xz");   /* deps last to first */
	assert_string_equal(l.path[2], "kernel/drivers/net/net_failover.ko.xz");
	assert_string_equal(l.path[3], "kernel/drivers/net/virtio_net.ko.xz");
	assert_string_equal(l.path[4], "kernel/drivers/block/virtio_blk.ko.xz");
	modules_free(&l);
	write_file(path, "../../etc/passwd.ko:\n", 21);
	assert_true(modules_resolve(dir, (const char *const[]){ "passwd" }, 1, &l, &err) < 0);
	assert_non_null(strstr(err.msg, "bad module path"));
	unlink(path);
	assert_true(modules_resolve(dir, wanted, 1, &l, &err) < 0);
	assert_non_null(strstr(err.msg, "modules.dep"));
	rmdir(dir);
}

static void test_ldcache_corrupt(void **state)
{
	char path[] = "/tmp/ktstr-ldcache-XXXXXX";
	char buf[64] = "glibc-ld.so.cache1.1";
	struct ldcache c;
	struct kerr err = { 0 };
	uint32_t huge = 0x10000000;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	memcpy(buf + 20, &huge, sizeof(huge));   /* nlibs far beyond the file */
	assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(fd);
	assert_true(ldcache_load(&c, path, &err) < 0);
	assert_non_null(strstr(err.msg, "entries do not fit"));
	write_file(path, "garbage", 7);
	assert_true(ldcache_load(&c, path, &err) < 0);
	unlink(path);
	assert_int_equal(ldcache_load(&c, path, &err), 0);   /* no cache at all: empty */
	assert_null(ldcache_find(&c, "libc.so.6"));
	if (ldcache_load(&c, "/etc/ld.so.cache", &err) == 0 && c.data) {
		const char *libc = ldcache_find(&c, "libc.so.6");

		assert_non_null(libc);
		assert_non_null(strstr(libc, "/libc.so.6"));
		ldcache_free(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_modules_order),
		cmocka_unit_test(test_ldcache_corrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
