/* The boot-protocol loader against synthetic bzImages: what lands where in guest memory (the
 * kernel at 1 MiB, zero page, command line, e820 with the hole and high RAM, initrd under
 * initrd_addr_max), and every header defect refused with the file and the reason named. */
#include <asm/bootparam.h>
#include <asm/e820.h>
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

#include "tests/support/bzimage_header.h"
#include "vmm/boot/bzimage.h"
#include "vmm/guest_memory.h"

#define SETUP_SECTS BZIMAGE_TEST_SETUP_SECTS
#define PAYLOAD_LEN 8192

struct fixture {
	char dir[64];
	char kernel[96];
	char initrd[96];
	struct setup_header hdr;
};

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* setup sectors (boot sector + SETUP_SECTS) then a protected-mode part of PAYLOAD_LEN. */
static void write_kernel(struct fixture *f)
{
	size_t setup = (SETUP_SECTS + 1) * 512;
	static uint8_t img[(SETUP_SECTS + 1) * 512 + PAYLOAD_LEN];

	memset(img, 0, sizeof(img));
	memcpy(img + 0x1f1, &f->hdr, sizeof(f->hdr));
	for (size_t i = 0; i < PAYLOAD_LEN; i++)
		img[setup + i] = (uint8_t)(i * 7 + 1);
	write_file(f->kernel, img, sizeof(img));
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/ktstr-bz-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->kernel, sizeof(f->kernel), "%s/bzImage", f->dir);
	snprintf(f->initrd, sizeof(f->initrd), "%s/initrd", f->dir);
	f->hdr = bzimage_test_header();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->kernel);
	unlink(f->initrd);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int load(struct fixture *f, uint64_t mib, const char *initrd, const char *cmdline,
		struct guest_memory *m, struct bzimage_entry *e, struct kerr *err)
{
	struct bzimage_config cfg = { .kernel_path = f->kernel, .initrd_fd = -1, .initrd_name = initrd,
				      .cmdline = cmdline, .rsdp_addr = 0xe0000 };
	struct stat st;
	int r;

	write_kernel(f);
	if (initrd) {
		assert_true((cfg.initrd_fd = open(initrd, O_RDONLY | O_CLOEXEC)) >= 0);
		assert_int_equal(fstat(cfg.initrd_fd, &st), 0);
		cfg.initrd_size = (uint64_t)st.st_size;
	}
	assert_int_equal(guest_memory_create(m, mib << 20, err), 0);
	r = bzimage_load(m, &cfg, e, err);
	if (cfg.initrd_fd >= 0)
		close(cfg.initrd_fd);
	return r;
}

static void test_load_layout(void **state)
{
	struct fixture *f = *state;
	static uint8_t rd[5000];
	struct guest_memory m;
	struct bzimage_entry e;
	struct kerr err = { 0 };
	struct boot_params *bp;
	const uint8_t *k;

	memset(rd, 0x5a, sizeof(rd));
	write_file(f->initrd, rd, sizeof(rd));
	assert_int_equal(load(f, 256, f->initrd, "console=ttyS0 -- /bin/x", &m, &e, &err), 0);
	assert_int_equal(e.rip, 0x100200);
	assert_int_equal(e.zero_page, BOOT_ZERO_PAGE);
	assert_int_equal(e.version, 0x020f);
	k = guest_memory_ptr(&m, BOOT_KERNEL_LOAD, PAYLOAD_LEN);
	for (size_t i = 0; i < PAYLOAD_LEN; i++)
		assert_int_equal(k[i], (uint8_t)(i * 7 + 1));
	bp = guest_memory_ptr(&m, BOOT_ZERO_PAGE, sizeof(*bp));
	assert_int_equal(bp->hdr.type_of_loader, 0xff);
	assert_int_equal(bp->acpi_rsdp_addr, 0xe0000);
	assert_int_equal(bp->hdr.cmd_line_ptr, BOOT_CMDLINE);
	assert_string_equal((char *)guest_memory_ptr(&m, BOOT_CMDLINE, 1), "console=ttyS0 -- /bin/x");
	/* the initrd: page aligned, at the top of the 256 MiB, intact */
	assert_int_equal(bp->hdr.ramdisk_size, sizeof(rd));
	assert_int_equal(bp->hdr.ramdisk_image & 0xfff, 0);
	assert_true(bp->hdr.ramdisk_image + sizeof(rd) <= (256u << 20));
	assert_true(bp->hdr.ramdisk_image >= (256u << 20) - 0x3000);
	assert_memory_equal(guest_memory_ptr(&m, bp->hdr.ramdisk_image, sizeof(rd)), rd, sizeof(rd));
	/* e820: low RAM, EBDA and BIOS reserved, RAM from 1 MiB to the end */
	assert_int_equal(bp->e820_entries, 4);
	assert_int_equal(bp->e820_table[0].type, E820_RAM);
	assert_int_equal(bp->e820_table[1].type, E820_RESERVED);
	assert_int_equal(bp->e820_table[2].addr, BOOT_BIOS_START);
	assert_int_equal(bp->e820_table[3].addr, BOOT_KERNEL_LOAD);
	assert_int_equal(bp->e820_table[3].addr + bp->e820_table[3].size, 256u << 20);
	guest_memory_destroy(&m);
}

static void test_high_memory_in_e820(void **state)
{
	struct fixture *f = *state;
	struct guest_memory m;
	struct bzimage_entry e;
	struct kerr err = { 0 };
	struct boot_params *bp;

	f->hdr.initrd_addr_max = 0x37ffffff;
	assert_int_equal(load(f, 5120, NULL, "x", &m, &e, &err), 0);
	bp = guest_memory_ptr(&m, BOOT_ZERO_PAGE, sizeof(*bp));
	assert_int_equal(bp->e820_entries, 5);
	assert_int_equal(bp->e820_table[3].addr + bp->e820_table[3].size, GUEST_MMIO_HOLE_START);
	assert_int_equal(bp->e820_table[4].addr, GUEST_HIGH_START);
	assert_int_equal(bp->e820_table[4].size, (5120ull << 20) - GUEST_MMIO_HOLE_START);
	assert_int_equal(bp->hdr.ramdisk_size, 0);
	guest_memory_destroy(&m);
}

static void test_initrd_respects_addr_max(void **state)
{
	struct fixture *f = *state;
	static uint8_t rd[4096];
	struct guest_memory m;
	struct bzimage_entry e;
	struct kerr err = { 0 };
	struct boot_params *bp;

	f->hdr.initrd_addr_max = 0x5fffffff;   /* below the top of 2 GiB of RAM */
	write_file(f->initrd, rd, sizeof(rd));
	assert_int_equal(load(f, 2048, f->initrd, "x", &m, &e, &err), 0);
	bp = guest_memory_ptr(&m, BOOT_ZERO_PAGE, sizeof(*bp));
	assert_int_equal(bp->hdr.ramdisk_image, 0x60000000 - 4096);
	guest_memory_destroy(&m);
}

static void expect_refused(struct fixture *f, uint64_t mib, const char *initrd, const char *cmdline,
			   const char *says)
{
	struct guest_memory m;
	struct bzimage_entry e;
	struct kerr err = { 0 };

	assert_true(load(f, mib, initrd, cmdline, &m, &e, &err) < 0);
	if (!strstr(err.msg, says))
		fail_msg("\"%s\" does not say \"%s\"", err.msg, says);
	guest_memory_destroy(&m);
}

/* One header field spoiled in an otherwise good image: refused, saying why. */
#define REFUSED_WITH(field, value, says) do {                   \
		f->hdr = bzimage_test_header();                          \
		f->hdr.field = (value);                          \
		expect_refused(f, 256, NULL, "x", (says));       \
	} while (0)

static void test_header_defects(void **state)
{
	struct fixture *f = *state;

	REFUSED_WITH(header, 0x12345678, "not a bzImage");
	REFUSED_WITH(boot_flag, 0x1234, "not a bzImage");
	REFUSED_WITH(version, 0x020a, "boot protocol 2.10 is older than 2.12");
	REFUSED_WITH(relocatable_kernel, 0, "not relocatable");
	REFUSED_WITH(xloadflags, 0, "no 64-bit entry point");
	REFUSED_WITH(loadflags, 0, "zImage");
	REFUSED_WITH(kernel_alignment, 0x300000, "kernel_alignment 0x300000 is not a power of two");
	REFUSED_WITH(setup_sects, 60, "60 setup sectors");   /* more setup than the file holds */
	REFUSED_WITH(version, 0x0200, f->kernel);            /* every message names the file */
}

static void test_does_not_fit(void **state)
{
	struct fixture *f = *state;
	static char longline[3000];
	static uint8_t rd[1 << 20];

	f->hdr.init_size = 200u << 20;
	expect_refused(f, 128, NULL, "x", "raise --memory");
	f->hdr = bzimage_test_header();
	memset(longline, 'c', sizeof(longline) - 1);
	expect_refused(f, 128, NULL, longline, "2999 bytes exceeds the kernel's 2047");
	f->hdr.initrd_addr_max = 0x2000000;      /* only 32 MiB: below the kernel's end */
	write_file(f->initrd, rd, sizeof(rd));
	expect_refused(f, 128, f->initrd, "x", "does not fit");
}

static void test_bad_files(void **state)
{
	struct fixture *f = *state;
	struct bzimage_config cfg = { .kernel_path = "/nonexistent/bzImage", .initrd_fd = -1, .cmdline = "x" };
	struct guest_memory m;
	struct bzimage_entry e;
	struct kerr err = { 0 };

	assert_int_equal(guest_memory_create(&m, 128u << 20, &err), 0);
	assert_true(bzimage_load(&m, &cfg, &e, &err) < 0);
	assert_non_null(strstr(err.msg, "--kernel /nonexistent/bzImage"));
	cfg.kernel_path = f->dir;
	assert_true(bzimage_load(&m, &cfg, &e, &err) < 0);
	assert_non_null(strstr(err.msg, "not a regular file"));
	write_file(f->kernel, "MZ", 2);
	cfg.kernel_path = f->kernel;
	assert_true(bzimage_load(&m, &cfg, &e, &err) < 0);
	assert_non_null(strstr(err.msg, "too small for a bzImage"));
	guest_memory_destroy(&m);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_load_layout),
		T(test_high_memory_in_e820),
		T(test_initrd_respects_addr_max),
		T(test_header_defects),
		T(test_does_not_fit),
		T(test_bad_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
