/* Direct boot (vmm/boot/vmlinux.h) against synthetic kernels: an ELF laid out at its physical
 * addresses with the gaps zeroed; every malformed ELF refused with the reason; a bzImage whose
 * payload is gzip or zstd decompressed into the cache once, found there the next time and
 * again after the bzImage changes; what cannot be decompressed or loaded sends bzimage_load
 * back to the kernel's own decompressor, saying why; the image copied into guest RAM's memfd. */
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
#include <zlib.h>
#include <zstd.h>
#include <cmocka.h>

#include "tests/support/bzimage_header.h"
#include "vmm/boot/bzimage.h"
#include "vmm/boot/vmlinux.h"
#include "vmm/boot/vmlinux_trailer.h"
#include "vmm/guest_memory.h"

#define MIB (1ull << 20)
#define TEXT_AT (16 * MIB)
#define DATA_AT (16 * MIB + 3 * 4096 + 100)   /* not page aligned: a gap, then data */
#define ENTRY (TEXT_AT + 0x40)

struct elf_file {
	uint8_t bytes[8192];
	size_t len;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;   /* [0] text, [1] a note, [2] data */
};

/* text (0x1000 bytes of 0xcc at TEXT_AT), a PT_NOTE, data (16 bytes of 0x5a, 64 in memory) */
static void make_elf(struct elf_file *f)
{
	memset(f, 0, sizeof(*f));
	f->eh = (Elf64_Ehdr *)f->bytes;
	f->ph = (Elf64_Phdr *)(f->bytes + sizeof(Elf64_Ehdr));
	memcpy(f->eh->e_ident, ELFMAG, SELFMAG);
	f->eh->e_ident[EI_CLASS] = ELFCLASS64;
	f->eh->e_ident[EI_DATA] = ELFDATA2LSB;
	f->eh->e_type = ET_EXEC;
	f->eh->e_machine = EM_X86_64;
	f->eh->e_entry = ENTRY;
	f->eh->e_phoff = sizeof(Elf64_Ehdr);
	f->eh->e_phentsize = sizeof(Elf64_Phdr);
	f->eh->e_phnum = 3;
	f->ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 4096, .p_paddr = TEXT_AT,
				 .p_vaddr = 0xffffffff81000000ull, .p_filesz = 4096, .p_memsz = 4096 };
	f->ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 512, .p_paddr = 0, .p_filesz = 16 };
	f->ph[2] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 8192 - 16, .p_paddr = DATA_AT,
				 .p_filesz = 16, .p_memsz = 64 };
	memset(f->bytes + 4096, 0xcc, 4096 - 16);
	memset(f->bytes + 8192 - 16, 0x5a, 16);
	f->len = sizeof(f->bytes);
}

static void test_flatten_layout(void **state)
{
	struct vmlinux_image img = { 0 };
	struct elf_file f;
	char why[160] = "";

	(void)state;
	make_elf(&f);
	assert_int_equal(vmlinux_flatten(f.bytes, f.len, &img, why, sizeof(why)), 0);
	assert_int_equal(img.base, TEXT_AT);
	assert_int_equal(img.len, 4 * 4096);          /* DATA_AT + 64, rounded up to a page */
	assert_int_equal(img.entry, ENTRY);
	assert_int_equal(img.bytes[0], 0xcc);
	assert_int_equal(img.bytes[4096 - 17], 0xcc);
	for (size_t i = 4096 - 16; i < DATA_AT - TEXT_AT; i++)   /* text's last bytes came from */
		if (i >= 4096)                                       /* the file; the gap is zero  */
			assert_int_equal(img.bytes[i], 0);
	assert_int_equal(img.bytes[DATA_AT - TEXT_AT], 0x5a);
	assert_int_equal(img.bytes[DATA_AT - TEXT_AT + 15], 0x5a);
	assert_int_equal(img.bytes[DATA_AT - TEXT_AT + 16], 0);   /* memsz beyond filesz */
	free(img.bytes);
}

static void expect_refused(struct elf_file *f, const char *reason)
{
	struct vmlinux_image img = { 0 };
	char why[160] = "";

	assert_int_equal(vmlinux_flatten(f->bytes, f->len, &img, why, sizeof(why)), -1);
	assert_null(img.bytes);
	if (!strstr(why, reason))
		fail_msg("expected \"%s\" in \"%s\"", reason, why);
}

static void test_flatten_refuses_malformed(void **state)
{
	struct elf_file f;

	(void)state;
	make_elf(&f), f.bytes[1] = 'X';
	expect_refused(&f, "not an ELF file");
	make_elf(&f), f.eh->e_machine = EM_AARCH64;
	expect_refused(&f, "not an x86-64 executable");
	make_elf(&f), f.eh->e_type = ET_DYN;
	expect_refused(&f, "not an x86-64 executable");
	make_elf(&f), f.eh->e_phnum = 200;
	expect_refused(&f, "program headers are malformed");
	make_elf(&f), f.eh->e_phoff = f.len - 8;
	expect_refused(&f, "program headers are malformed");
	make_elf(&f), f.ph[2].p_filesz = 17;   /* one byte past the end of the file */
	expect_refused(&f, "segment 2 lies beyond");
	make_elf(&f), f.ph[2].p_offset = UINT64_MAX - 4;
	expect_refused(&f, "segment 2 lies beyond");
	make_elf(&f), f.ph[2].p_memsz = 8;     /* less in memory than in the file */
	expect_refused(&f, "segment 2 lies beyond");
	make_elf(&f), f.ph[0].p_paddr = 0x8000;   /* over the zero page and the page tables */
	expect_refused(&f, "segment 0 (0x8000, 4096 bytes) is outside");
	make_elf(&f), f.ph[2].p_memsz = UINT64_MAX - 8;
	expect_refused(&f, "segment 2");
	make_elf(&f), f.eh->e_entry = DATA_AT + 32;   /* in memsz, not in the file's bytes */
	expect_refused(&f, "entry point");
	make_elf(&f), f.ph[0].p_type = PT_NULL, f.ph[2].p_type = PT_NULL;
	expect_refused(&f, "no loadable segment");
}

/* A cache directory of our own for each test */
struct fixture {
	char dir[64], kernel[96], cache[96];
	char old_xdg[256];
	bool had_xdg;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *xdg = getenv("XDG_CACHE_HOME");

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/ktstr-vmlinux-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->kernel, sizeof(f->kernel), "%s/bzImage", f->dir);
	snprintf(f->cache, sizeof(f->cache), "%s/cache", f->dir);
	if ((f->had_xdg = xdg != NULL))
		snprintf(f->old_xdg, sizeof(f->old_xdg), "%s", xdg);
	setenv("XDG_CACHE_HOME", f->cache, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	if (f->had_xdg)
		setenv("XDG_CACHE_HOME", f->old_xdg, 1);
	else
		unsetenv("XDG_CACHE_HOME");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

enum packing { GZIP, ZSTD, LZ4_MAGIC, ZSTD_CUT };

/* payload: the ELF compressed (with the decompressed size after it, as the kernel's build
 * appends it; gzip's trailer is that number already) */
static size_t pack(const struct elf_file *e, enum packing how, uint8_t *out, size_t cap)
{
	uint32_t size = (uint32_t)e->len;
	size_t n;

	if (how == GZIP) {
		z_stream z;

		memset(&z, 0, sizeof(z));
		assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
		z.next_in = (Bytef *)e->bytes, z.avail_in = (uInt)e->len;
		z.next_out = out, z.avail_out = (uInt)cap;
		assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
		n = z.total_out;
		deflateEnd(&z);
		return n;
	}
	n = ZSTD_compress(out, cap - 4, e->bytes, e->len, 3);
	assert_false(ZSTD_isError(n));
	if (how == LZ4_MAGIC)
		memcpy(out, "\x02\x21\x4c\x18", 4);
	if (how == ZSTD_CUT)
		n -= 8;
	memcpy(out + n, &size, 4);
	return n + 4;
}

static void write_bzimage(const struct fixture *f, const struct elf_file *e, enum packing how)
{
	static uint8_t img[(BZIMAGE_TEST_SETUP_SECTS + 1) * 512 + 16384];
	size_t setup = (BZIMAGE_TEST_SETUP_SECTS + 1) * 512;
	struct setup_header h = bzimage_test_header();
	size_t n;
	int fd;

	memset(img, 0, sizeof(img));
	n = pack(e, how, img + setup + 64, sizeof(img) - setup - 64);
	h.payload_offset = 64;
	h.payload_length = (uint32_t)n;
	memcpy(img + 0x1f1, &h, sizeof(h));
	fd = open(f->kernel, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, img, setup + 64 + n), (ssize_t)(setup + 64 + n));
	close(fd);
}

static int unpack(const struct fixture *f, char *why, size_t whysize)
{
	struct setup_header h;
	struct stat st;
	int kfd = open(f->kernel, O_RDONLY), fd;

	assert_true(kfd >= 0);
	assert_int_equal(fstat(kfd, &st), 0);
	assert_int_equal(pread(kfd, &h, sizeof(h), 0x1f1), (ssize_t)sizeof(h));
	fd = vmlinux_unpack(kfd, &st, (BZIMAGE_TEST_SETUP_SECTS + 1) * 512 + h.payload_offset,
			    h.payload_length, why, whysize);
	close(kfd);
	return fd;
}

static void check_cached_image(int fd)
{
	struct vmlinux_trailer t;
	struct stat st;
	uint8_t b;

	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 4 * 4096 + 4096);
	assert_int_equal(st.st_mode & 0777, 0400);
	assert_int_equal(pread(fd, &t, sizeof(t), st.st_size - 4096), (ssize_t)sizeof(t));
	assert_int_equal(vmlinux_trailer_check(&t, 4 * 4096), 0);
	assert_int_equal(t.base, TEXT_AT);
	assert_int_equal(t.entry, ENTRY);
	assert_int_equal(pread(fd, &b, 1, DATA_AT - TEXT_AT), 1);
	assert_int_equal(b, 0x5a);
}

static void test_unpack_gzip_and_zstd_cached(void **state)
{
	struct fixture *f = *state;
	struct elf_file e;
	struct stat a, b;
	char why[160] = "";
	int fd, again;

	make_elf(&e);
	write_bzimage(f, &e, ZSTD);
	fd = unpack(f, why, sizeof(why));
	assert_true(fd >= 0);
	check_cached_image(fd);
	again = unpack(f, why, sizeof(why));   /* the same bzImage: the same file, from the cache */
	assert_true(again >= 0);
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(fstat(again, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	close(again);
	close(fd);

	e.bytes[4096] = 0x90;                 /* a new kernel at the same path: a new image */
	write_bzimage(f, &e, GZIP);
	fd = unpack(f, why, sizeof(why));
	assert_true(fd >= 0);
	check_cached_image(fd);
	assert_int_equal(fstat(fd, &b), 0);
	assert_int_not_equal(a.st_ino, b.st_ino);
	uint8_t first;
	assert_int_equal(pread(fd, &first, 1, 0), 1);
	assert_int_equal(first, 0x90);
	close(fd);
}

/* the cache directory's image files, and the one there is (NULL if none or several) */
static int cached_images(const struct fixture *f, char *one, size_t size)
{
	char cmd[160], line[96];
	FILE *p;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "ls %s/ktstr-vmm/vmlinux", f->cache);
	assert_non_null(p = popen(cmd, "r"));
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		if (n++ == 0)
			snprintf(one, size, "%s/ktstr-vmm/vmlinux/%s", f->cache, line);
	}
	pclose(p);
	return n;
}

static ino_t inode_of(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return st.st_ino;
}

/* Same size, same bytes, a new mtime: a new image (the key is not the size alone), and the
 * old one of that path is gone. Zero pages are holes where the file system has them. */
static void test_cache_key_and_holes(void **state)
{
	struct fixture *f = *state;
	struct timespec later[2] = { { 0, UTIME_OMIT }, { 2000000000, 0 } };
	struct elf_file e;
	char why[160] = "", path[256];
	ino_t first;
	int fd;

	make_elf(&e);
	write_bzimage(f, &e, ZSTD);
	assert_true((fd = unpack(f, why, sizeof(why))) >= 0);
	first = inode_of(fd);
	off_t hole = lseek(fd, 0, SEEK_HOLE);
	if (hole != 5 * 4096)              /* this file system keeps holes: the gap is one */
		assert_int_equal(hole, 4096);
	close(fd);
	assert_int_equal(utimensat(AT_FDCWD, f->kernel, later, 0), 0);
	assert_true((fd = unpack(f, why, sizeof(why))) >= 0);
	assert_int_not_equal(inode_of(fd), first);
	check_cached_image(fd);
	close(fd);
	assert_int_equal(cached_images(f, path, sizeof(path)), 1);
}

/* What lies in the cache is used only if it is a regular file of ours that no one else can
 * write, with an intact trailer; anything else is replaced by a fresh image. */
static void test_cache_trusts_only_its_own(void **state)
{
	struct fixture *f = *state;
	struct elf_file e;
	char why[160] = "", path[256], other[300];
	ino_t ino;
	int fd;

	make_elf(&e);
	write_bzimage(f, &e, ZSTD);
	assert_true((fd = unpack(f, why, sizeof(why))) >= 0);
	ino = inode_of(fd);
	close(fd);
	assert_int_equal(cached_images(f, path, sizeof(path)), 1);

	assert_int_equal(chmod(path, 0620), 0);   /* writable by its group: made again, 0400 */
	assert_true((fd = unpack(f, why, sizeof(why))) >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0400);
	close(fd);

	snprintf(other, sizeof(other), "%s/planted", f->dir);   /* a link to an image elsewhere */
	assert_int_equal(rename(path, other), 0);
	assert_int_equal(symlink(other, path), 0);
	assert_int_equal(stat(other, &st), 0);
	ino = st.st_ino;
	assert_true((fd = unpack(f, why, sizeof(why))) >= 0);
	assert_int_not_equal(inode_of(fd), ino);
	close(fd);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));

	assert_int_equal(chmod(path, 0600), 0);   /* a damaged trailer */
	assert_int_equal(truncate(path, 4096 * 3), 0);
	assert_int_equal(chmod(path, 0400), 0);
	assert_true((fd = unpack(f, why, sizeof(why))) >= 0);
	check_cached_image(fd);
	close(fd);
}

static void test_unpack_says_why_not(void **state)
{
	struct fixture *f = *state;
	struct elf_file e;
	char why[160] = "";

	make_elf(&e);
	write_bzimage(f, &e, LZ4_MAGIC);
	assert_int_equal(unpack(f, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "is not gzip or zstd"));
	write_bzimage(f, &e, ZSTD_CUT);
	assert_int_equal(unpack(f, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "zstd payload did not decompress to 8192 bytes"));
	e.bytes[0] = 0;                        /* decompresses, but into no ELF */
	write_bzimage(f, &e, ZSTD);
	assert_int_equal(unpack(f, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not an ELF file"));
	setenv("XDG_CACHE_HOME", "relative/cache", 1);   /* and HOME unset: no cache at all */
	char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	unsetenv("HOME");
	make_elf(&e);
	write_bzimage(f, &e, ZSTD);
	assert_int_equal(unpack(f, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "no cache directory"));
	if (home)
		setenv("HOME", home, 1);
	free(home);
}

/* The image lands in the memfd itself, where the device processes see guest RAM: the kernel
 * frees part of its image to the page allocator, so devices may be handed those pages. */
static void test_load_copies_into_the_memfd(void **state)
{
	struct fixture *f = *state;
	struct guest_memory m;
	struct kerr err = { 0 };
	struct elf_file e;
	char why[160] = "";
	uint64_t entry = 0;
	uint8_t *at, b = 0;
	int fd;

	make_elf(&e);
	write_bzimage(f, &e, ZSTD);
	fd = unpack(f, why, sizeof(why));
	assert_true(fd >= 0);
	assert_int_equal(guest_memory_create(&m, 64 * MIB, &err), 0);
	/* too little room: nothing is done */
	assert_int_equal(vmlinux_load(&m, fd, MIB, TEXT_AT + 4096, &entry, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "does not fit in 0x100000-0x1001000"));
	assert_int_equal(vmlinux_load(&m, fd, MIB, 64 * MIB, &entry, why, sizeof(why)), 0);
	assert_int_equal(entry, ENTRY);
	at = guest_memory_ptr(&m, TEXT_AT, 4 * 4096);
	assert_int_equal(at[0], 0xcc);
	assert_int_equal(at[DATA_AT - TEXT_AT], 0x5a);
	/* what a device process reads: the memfd (low RAM starts at its offset 0) */
	assert_int_equal(pread(m.memfd, &b, 1, DATA_AT), 1);
	assert_int_equal(b, 0x5a);
	at[0] = 1;                             /* the guest's writes reach the devices ... */
	assert_int_equal(pread(m.memfd, &b, 1, TEXT_AT), 1);
	assert_int_equal(b, 1);
	assert_int_equal(pread(fd, &b, 1, 0), 1);   /* ... and never the cache */
	assert_int_equal(b, 0xcc);
	guest_memory_destroy(&m);
	close(fd);
}

static void test_load_refuses_damaged_cache(void **state)
{
	struct fixture *f = *state;
	struct guest_memory m;
	struct kerr err = { 0 };
	char path[160], why[160] = "";
	uint64_t entry = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/damaged", f->dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 3 * 4096), 0);   /* zeros: no trailer */
	assert_int_equal(guest_memory_create(&m, 64 * MIB, &err), 0);
	assert_int_equal(vmlinux_load(&m, fd, MIB, 64 * MIB, &entry, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "damaged"));
	/* the file holds an 8 KiB image before its trailer */
	struct vmlinux_trailer t = { .base = TEXT_AT, .len = 8192, .entry = TEXT_AT + 8192 };
	memcpy(t.magic, VMLINUX_TRAILER_MAGIC, sizeof(VMLINUX_TRAILER_MAGIC));
	assert_int_equal(pwrite(fd, &t, sizeof(t), 2 * 4096), (ssize_t)sizeof(t));   /* entry past the end */
	assert_int_equal(vmlinux_load(&m, fd, MIB, 64 * MIB, &entry, why, sizeof(why)), -1);
	t.entry = TEXT_AT, t.len = 3 * 4096;   /* a length the file does not have */
	assert_int_equal(pwrite(fd, &t, sizeof(t), 2 * 4096), (ssize_t)sizeof(t));
	assert_int_equal(vmlinux_load(&m, fd, MIB, 64 * MIB, &entry, why, sizeof(why)), -1);
	t.len = 8192, t.base = TEXT_AT + 1;   /* off a page boundary */
	assert_int_equal(pwrite(fd, &t, sizeof(t), 2 * 4096), (ssize_t)sizeof(t));
	assert_int_equal(vmlinux_load(&m, fd, MIB, 64 * MIB, &entry, why, sizeof(why)), -1);
	t.base = TEXT_AT;                      /* and right */
	assert_int_equal(pwrite(fd, &t, sizeof(t), 2 * 4096), (ssize_t)sizeof(t));
	assert_int_equal(vmlinux_load(&m, fd, MIB, 64 * MIB, &entry, why, sizeof(why)), 0);
	assert_int_equal(entry, TEXT_AT);
	guest_memory_destroy(&m);
	close(fd);
}

/* bzimage_load takes the direct way when it can, and says which way it took. */
static void test_bzimage_load_direct_or_not(void **state)
{
	struct fixture *f = *state;
	struct bzimage_config cfg = { .kernel_path = f->kernel, .initrd_fd = -1, .cmdline = "quiet" };
	struct bzimage_entry entry;
	struct guest_memory m;
	struct kerr err = { 0 };
	struct elf_file e;

	make_elf(&e);
	write_bzimage(f, &e, ZSTD);
	assert_int_equal(guest_memory_create(&m, 128 * MIB, &err), 0);
	assert_int_equal(bzimage_load(&m, &cfg, &entry, &err), 0);
	assert_true(entry.direct);
	assert_int_equal(entry.rip, ENTRY);
	assert_non_null(strstr(entry.boot, "vmlinux decompressed on the host"));
	assert_int_equal(*(uint8_t *)guest_memory_ptr(&m, TEXT_AT, 1), 0xcc);
	guest_memory_destroy(&m);

	cfg.guest_decompress = true;           /* asked not to */
	assert_int_equal(guest_memory_create(&m, 128 * MIB, &err), 0);
	assert_int_equal(bzimage_load(&m, &cfg, &entry, &err), 0);
	assert_false(entry.direct);
	assert_int_equal(entry.rip, 0x100200);
	assert_string_equal(entry.boot, "the kernel's own decompressor: --guest-decompress");
	guest_memory_destroy(&m);
	cfg.guest_decompress = false;

	write_bzimage(f, &e, LZ4_MAGIC);
	assert_int_equal(guest_memory_create(&m, 128 * MIB, &err), 0);
	assert_int_equal(bzimage_load(&m, &cfg, &entry, &err), 0);
	assert_false(entry.direct);
	assert_int_equal(entry.rip, 0x100200);
	assert_non_null(strstr(entry.boot, "the kernel's own decompressor: "));
	assert_non_null(strstr(entry.boot, "not gzip or zstd"));
	guest_memory_destroy(&m);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flatten_layout),
		cmocka_unit_test(test_flatten_refuses_malformed),
		T(test_unpack_gzip_and_zstd_cached),
		T(test_cache_key_and_holes),
		T(test_cache_trusts_only_its_own),
		T(test_unpack_says_why_not),
		T(test_load_copies_into_the_memfd),
		T(test_load_refuses_damaged_cache),
		T(test_bzimage_load_direct_or_not),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
