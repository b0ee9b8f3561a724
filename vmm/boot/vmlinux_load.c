/* The kernel proper's image: laid out from its ELF file, and put into guest RAM from the
 * cache; see vmlinux.h. The cached file is ours (0700), but it is checked as if it were not. */
#include "vmm/boot/vmlinux.h"

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/boot/pread_exact.h"
#include "vmm/boot/vmlinux_trailer.h"
#include "vmm/boot/vmlinux_why.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23   /* Linux 5.14 */
#endif

#define PAGE 4096ull
#define IMAGE_LOWEST (1ull << 20)
#define IMAGE_HIGHEST (IMAGE_LOWEST + (512ull << 20))

static int check_header(const uint8_t *p, size_t size, char *why, size_t whysize)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)p;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return vmlinux_say(why, whysize, "the decompressed kernel is not an ELF file");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64 || eh->e_type != ET_EXEC)
		return vmlinux_say(why, whysize, "the decompressed kernel is not an x86-64 executable");
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > 64 ||
	    eh->e_phoff % _Alignof(Elf64_Phdr) != 0 || eh->e_phoff > size || (size - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum)
		return vmlinux_say(why, whysize, "the decompressed kernel's program headers are malformed");
	return 0;
}

/* The span of the PT_LOAD segments, each checked; the entry point must be in one of them. */
static int span(const uint8_t *p, size_t size, uint64_t *lo, uint64_t *hi, char *why, size_t whysize)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)p;
	bool entry_inside = false;

	*lo = UINT64_MAX, *hi = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(p + eh->e_phoff) + i;

		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset || ph->p_filesz > ph->p_memsz)
			return vmlinux_say(why, whysize, "segment %u lies beyond the decompressed kernel", i);
		if (ph->p_paddr < IMAGE_LOWEST || ph->p_paddr > IMAGE_HIGHEST ||
		    ph->p_memsz > IMAGE_HIGHEST - ph->p_paddr)
			return vmlinux_say(why, whysize, "segment %u (0x%llx, %llu bytes) is outside 0x%llx-0x%llx", i,
				   (unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz,
				   IMAGE_LOWEST, IMAGE_HIGHEST);
		if (eh->e_entry >= ph->p_paddr && eh->e_entry - ph->p_paddr < ph->p_filesz)
			entry_inside = true;
		if (ph->p_paddr < *lo)
			*lo = ph->p_paddr;
		if (ph->p_paddr + ph->p_memsz > *hi)
			*hi = ph->p_paddr + ph->p_memsz;
	}
	if (*hi == 0)
		return vmlinux_say(why, whysize, "the decompressed kernel has no loadable segment");
	if (!entry_inside)
		return vmlinux_say(why, whysize, "the entry point 0x%llx is in no loaded segment",
			   (unsigned long long)eh->e_entry);
	return 0;
}

int vmlinux_flatten(const uint8_t *elf, size_t size, struct vmlinux_image *img, char *why, size_t whysize)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
	uint64_t lo, hi;

	if (check_header(elf, size, why, whysize) < 0 || span(elf, size, &lo, &hi, why, whysize) < 0)
		return -1;
	img->base = lo & ~(PAGE - 1);
	img->len = ((hi + PAGE - 1) & ~(PAGE - 1)) - img->base;
	img->entry = eh->e_entry;
	if (!(img->bytes = calloc(1, img->len)))
		return vmlinux_say(why, whysize, "no memory for a %llu-byte kernel image", (unsigned long long)img->len);
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(elf + eh->e_phoff) + i;

		if (ph->p_type == PT_LOAD)
			memcpy(img->bytes + (ph->p_paddr - img->base), elf + ph->p_offset, ph->p_filesz);
	}
	return 0;
}

/* The image's data into guest RAM, its holes skipped (guest RAM is a fresh memfd: zeros).
 * Copied, never mapped from the cache file: the device processes map the guest's memfd, and
 * the kernel hands what it frees of its image (init sections) to the page allocator, hence to
 * DMA buffers the devices must see. Each piece is populated first: one call, not a fault per
 * page. */
static int copy_data(int fd, uint8_t *at, uint64_t len)
{
	uint64_t off = 0;

	while (off < len) {
		off_t data = lseek(fd, (off_t)off, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			return 0;                  /* holes to the end */
		if (data < 0)
			data = (off_t)off, hole = (off_t)len;   /* no SEEK_DATA here: all of it */
		else if ((hole = lseek(fd, data, SEEK_HOLE)) < 0)
			hole = (off_t)len;
		if ((uint64_t)data >= len)
			return 0;
		if ((uint64_t)hole > len)
			hole = (off_t)len;
		(void)madvise(at + data, (size_t)(hole - data), MADV_POPULATE_WRITE);   /* older kernels lack it */
		int r = pread_exact(fd, at + data, (size_t)(hole - data), (uint64_t)data);

		if (r < 0)
			return r;
		off = (uint64_t)hole;
	}
	return 0;
}

int vmlinux_load(struct guest_memory *mem, int fd, uint64_t lowest, uint64_t highest,
		 uint64_t *entry, char *why, size_t whysize)
{
	struct vmlinux_trailer t;
	off_t end = lseek(fd, 0, SEEK_END);
	uint8_t *at;
	int r;

	if (end < (off_t)PAGE || pread_exact(fd, &t, sizeof(t), (uint64_t)end - PAGE) < 0 ||
	    vmlinux_trailer_check(&t, (uint64_t)end - PAGE) < 0)
		return vmlinux_say(why, whysize, "the cached kernel image is damaged");
	if (t.base < lowest || t.base > highest || t.len > highest - t.base)
		return vmlinux_say(why, whysize, "the kernel image (0x%llx, %llu MiB) does not fit in 0x%llx-0x%llx",
			   (unsigned long long)t.base, (unsigned long long)(t.len >> 20),
			   (unsigned long long)lowest, (unsigned long long)highest);
	at = guest_memory_ptr(mem, t.base, t.len);
	if (!at)
		return vmlinux_say(why, whysize, "the kernel image at 0x%llx is not in one piece of guest RAM",
			   (unsigned long long)t.base);
	if ((r = copy_data(fd, at, t.len)) < 0)
		return vmlinux_say(why, whysize, "reading the cached kernel image: %s", strerror(-r));
	*entry = t.entry;
	return 0;
}
