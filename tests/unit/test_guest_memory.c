/* Guest RAM's copy-on-write file mapping (the built initramfs): the guest's view has the
 * file's bytes, a guest write changes only its own copy, the memfd (what device processes
 * see) is untouched, and misplaced ranges are refused. */
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/guest_memory.h"

static void test_map_file_is_private(void **state)
{
	char path[] = "/tmp/ktstr-gm-XXXXXX", back[6] = "";
	struct guest_memory m;
	struct kerr err = { 0 };
	int fd = mkstemp(path);
	uint8_t *g, *memfd_view;
	const uint64_t gpa = 0x200000;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "initrd bytes", 12), 12);
	assert_int_equal(guest_memory_create(&m, 64ull << 20, &err), 0);
	assert_int_equal(guest_memory_map_file(&m, gpa, fd, 12, &err), 0);
	g = guest_memory_ptr(&m, gpa, 4096);
	assert_memory_equal(g, "initrd bytes", 12);
	assert_int_equal(g[12], 0);                 /* the rest of the page past the file */
	memcpy(g, "GUEST", 5);                      /* the guest writes: its own copy */
	assert_int_equal(pread(fd, back, 5, 0), 5);
	assert_memory_equal(back, "initr", 5);
	memfd_view = mmap(NULL, 4096, PROT_READ, MAP_SHARED, m.memfd, (off_t)gpa);
	assert_true(memfd_view != MAP_FAILED);
	assert_int_equal(memfd_view[0], 0);         /* device processes see the memfd */
	munmap(memfd_view, 4096);
	assert_true(guest_memory_map_file(&m, gpa + 1, fd, 12, &err) < 0);
	assert_non_null(strstr(err.msg, "not page aligned"));
	assert_true(guest_memory_map_file(&m, 0xC0000000ull, fd, 12, &err) < 0);
	guest_memory_destroy(&m);
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_file_is_private),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
