/* x86 boot protocol: checks the setup header, loads the kernel and initrd, writes the zero
 * page, e820 map and command line. */
#include "vmm/boot/bzimage.h"

#include <asm/bootparam.h>
#include <asm/e820.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/boot/pread_exact.h"
#include "vmm/boot/vmlinux.h"

#define SETUP_HEADER_OFFSET 0x1f1
#define HDRS_MAGIC          0x53726448u  /* "HdrS" */

struct kernel_file {
	int fd;
	struct stat st;             /* its identity: the direct boot's cache key (vmlinux.h) */
	uint64_t size;
	uint64_t setup_size;        /* the real-mode part, skipped */
	struct setup_header hdr;
};

static int check_header(struct kernel_file *k, const char *path, struct kerr *err)
{
	const struct setup_header *h = &k->hdr;

	if (h->boot_flag != 0xaa55 || h->header != HDRS_MAGIC)
		return kerr_set(err, ENOEXEC, "%s: not a bzImage (no boot sector signature or HdrS header)", path);
	if (h->version < BOOT_MIN_VERSION)
		return kerr_set(err, ENOEXEC, "%s: boot protocol %u.%02u is older than 2.12", path,
				h->version >> 8, h->version & 0xff);
	if (!(h->loadflags & LOADED_HIGH))
		return kerr_set(err, ENOEXEC, "%s: a zImage (not loaded high) is not supported", path);
	if (!(h->xloadflags & XLF_KERNEL_64))
		return kerr_set(err, ENOEXEC, "%s: the kernel has no 64-bit entry point", path);
	if (!h->relocatable_kernel)
		return kerr_set(err, ENOEXEC, "%s: the kernel is not relocatable", path);
	if (h->kernel_alignment == 0 || (h->kernel_alignment & (h->kernel_alignment - 1)))
		return kerr_set(err, ENOEXEC, "%s: kernel_alignment 0x%x is not a power of two", path,
				h->kernel_alignment);
	k->setup_size = ((uint64_t)(h->setup_sects ? h->setup_sects : 4) + 1) * 512;
	if (k->setup_size >= k->size)
		return kerr_set(err, ENOEXEC, "%s: %u setup sectors but only %llu bytes", path,
				h->setup_sects, (unsigned long long)k->size);
	return 0;
}

static int open_kernel(struct kernel_file *k, const char *path, struct kerr *err)
{
	uint8_t first[1024];
	size_t hdr_len;
	int r;

	k->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (k->fd < 0)
		return kerr_errno(err, errno, "--kernel %s", path);
	if (fstat(k->fd, &k->st) < 0 || !S_ISREG(k->st.st_mode))
		return kerr_set(err, EINVAL, "--kernel %s: not a regular file", path);
	k->size = (uint64_t)k->st.st_size;
	if (k->size < sizeof(first))
		return kerr_set(err, ENOEXEC, "%s: %llu bytes is too small for a bzImage", path,
				(unsigned long long)k->size);
	if ((r = pread_exact(k->fd, first, sizeof(first), 0)) < 0)
		return kerr_errno(err, -r, "read %s", path);
	/* The header's length is in its own jump instruction: 0x202 + byte at 0x201. */
	hdr_len = 0x202 + first[0x201] - SETUP_HEADER_OFFSET;
	if (hdr_len > sizeof(k->hdr))
		hdr_len = sizeof(k->hdr);
	memset(&k->hdr, 0, sizeof(k->hdr));
	memcpy(&k->hdr, first + SETUP_HEADER_OFFSET, hdr_len);
	return check_header(k, path, err);
}

/* Where the decompressed kernel will live: aligned up from the load address, never below
 * its preferred address, and init_size long. All of it must be RAM below the hole. */
static uint64_t kernel_end(const struct setup_header *h)
{
	uint64_t align = h->kernel_alignment;
	uint64_t out = (BOOT_KERNEL_LOAD + align - 1) & ~(align - 1);

	if (out < h->pref_address)
		out = h->pref_address;
	return out + h->init_size;
}

static int load_protected_mode(struct guest_memory *mem, struct kernel_file *k,
			       const char *path, struct kerr *err)
{
	uint64_t len = k->size - k->setup_size;
	uint64_t end = kernel_end(&k->hdr);
	void *dst;
	int r;

	if (end < BOOT_KERNEL_LOAD + len)
		end = BOOT_KERNEL_LOAD + len;
	if (end > guest_memory_low_end(mem))
		return kerr_set(err, ENOMEM, "%s needs %llu MiB of RAM to decompress, the guest has %llu MiB "
				"below 3 GiB (raise --memory)", path, (unsigned long long)(end >> 20),
				(unsigned long long)(guest_memory_low_end(mem) >> 20));
	dst = guest_memory_ptr(mem, BOOT_KERNEL_LOAD, len);
	if ((r = pread_exact(k->fd, dst, len, k->setup_size)) < 0)
		return kerr_errno(err, -r, "read %s", path);
	return 0;
}

/* The kernel proper straight to its link address (vmlinux.h); false, saying why, when it
 * cannot be, and the bzImage is then loaded as usual. */
static bool load_direct(struct guest_memory *mem, struct kernel_file *k, bool guest_decompress,
			struct bzimage_entry *entry)
{
	uint64_t highest = kernel_end(&k->hdr);
	char why[160];
	int fd;

	if (guest_decompress) {
		snprintf(entry->boot, sizeof(entry->boot), "the kernel's own decompressor: --guest-decompress");
		return false;
	}
	if (k->hdr.version < 0x0208 || k->hdr.payload_length == 0) {
		snprintf(entry->boot, sizeof(entry->boot), "the kernel's own decompressor: "
			 "the bzImage names no payload (boot protocol %u.%02u)", k->hdr.version >> 8,
			 k->hdr.version & 0xff);
		return false;
	}
	if (highest > guest_memory_low_end(mem))
		highest = guest_memory_low_end(mem);
	fd = vmlinux_unpack(k->fd, &k->st, k->setup_size + k->hdr.payload_offset,
			    k->hdr.payload_length, why, sizeof(why));
	if (fd >= 0 && vmlinux_load(mem, fd, BOOT_KERNEL_LOAD, highest, &entry->rip, why, sizeof(why)) == 0) {
		close(fd);
		entry->direct = true;
		snprintf(entry->boot, sizeof(entry->boot), "vmlinux decompressed on the host, "
			 "entered at 0x%llx, at its link address (no KASLR)", (unsigned long long)entry->rip);
		return true;
	}
	if (fd >= 0)
		close(fd);
	snprintf(entry->boot, sizeof(entry->boot), "the kernel's own decompressor: %s", why);
	return false;
}

static void add_e820(struct boot_params *bp, uint64_t addr, uint64_t size, uint32_t type)
{
	struct boot_e820_entry *e = &bp->e820_table[bp->e820_entries++];

	e->addr = addr;
	e->size = size;
	e->type = type;
}

static void write_e820(struct boot_params *bp, const struct guest_memory *mem)
{
	const struct guest_region *low = &mem->regions[0];

	add_e820(bp, 0, BOOT_EBDA_START, E820_RAM);
	add_e820(bp, BOOT_EBDA_START, 0xa0000 - BOOT_EBDA_START, E820_RESERVED);
	add_e820(bp, BOOT_BIOS_START, BOOT_KERNEL_LOAD - BOOT_BIOS_START, E820_RESERVED);
	add_e820(bp, BOOT_KERNEL_LOAD, low->size - BOOT_KERNEL_LOAD, E820_RAM);
	for (unsigned i = 1; i < mem->nregions; i++)
		add_e820(bp, mem->regions[i].gpa, mem->regions[i].size, E820_RAM);
}

/* The initrd goes at the top of low RAM, under initrd_addr_max and above the kernel. */
static int load_initrd(struct guest_memory *mem, struct boot_params *bp, const struct bzimage_config *cfg,
		       struct kerr *err)
{
	uint64_t top = guest_memory_low_end(mem), size = cfg->initrd_size, addr;
	int r;

	if ((uint64_t)bp->hdr.initrd_addr_max + 1 < top)
		top = (uint64_t)bp->hdr.initrd_addr_max + 1;
	addr = (top - size) & ~0xfffull;
	if (size >= top || addr < kernel_end(&bp->hdr))
		return kerr_set(err, ENOMEM, "%s: %llu MiB does not fit between the kernel and 0x%llx "
				"(raise --memory)", cfg->initrd_name, (unsigned long long)(size >> 20),
				(unsigned long long)top);
	if (cfg->initrd_map) {
		if ((r = guest_memory_map_file(mem, addr, cfg->initrd_fd, size, err)) < 0)
			return r;
	} else if ((r = pread_exact(cfg->initrd_fd, guest_memory_ptr(mem, addr, size), size, 0)) < 0) {
		return kerr_errno(err, -r, "read %s", cfg->initrd_name);
	}
	bp->hdr.ramdisk_image = (uint32_t)addr;
	bp->hdr.ramdisk_size = (uint32_t)size;
	return 0;
}

static int write_cmdline(struct guest_memory *mem, struct boot_params *bp, const char *cmdline,
			 struct kerr *err)
{
	size_t len = strlen(cmdline);
	uint32_t max = bp->hdr.cmdline_size ? bp->hdr.cmdline_size : 255;

	if (max > BOOT_CMDLINE_MAX - 1)
		max = BOOT_CMDLINE_MAX - 1;
	if (len > max)
		return kerr_set(err, E2BIG, "kernel command line of %zu bytes exceeds the kernel's %u", len, max);
	memcpy(guest_memory_ptr(mem, BOOT_CMDLINE, len + 1), cmdline, len + 1);
	bp->hdr.cmd_line_ptr = (uint32_t)BOOT_CMDLINE;
	return 0;
}

int bzimage_load(struct guest_memory *mem, const struct bzimage_config *cfg,
		 struct bzimage_entry *entry, struct kerr *err)
{
	struct boot_params *bp = guest_memory_ptr(mem, BOOT_ZERO_PAGE, sizeof(*bp));
	struct kernel_file k = { .fd = -1 };
	int r;

	if ((r = open_kernel(&k, cfg->kernel_path, err)) < 0)
		goto out;
	entry->direct = false;
	if (!load_direct(mem, &k, cfg->guest_decompress, entry) && (r = load_protected_mode(mem, &k, cfg->kernel_path, err)) < 0)
		goto out;
	memset(bp, 0, sizeof(*bp));
	bp->hdr = k.hdr;
	bp->hdr.type_of_loader = 0xff;
	bp->hdr.loadflags |= CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.vid_mode = 0xffff;
	bp->acpi_rsdp_addr = cfg->rsdp_addr;
	write_e820(bp, mem);
	if ((r = write_cmdline(mem, bp, cfg->cmdline, err)) < 0)
		goto out;
	if (cfg->initrd_fd >= 0 && (r = load_initrd(mem, bp, cfg, err)) < 0)
		goto out;
	if (!entry->direct)
		entry->rip = BOOT_KERNEL_LOAD + 0x200;
	entry->zero_page = BOOT_ZERO_PAGE;
	entry->version = k.hdr.version;
out:
	if (k.fd >= 0)
		close(k.fd);
	return r;
}
