/* Loading a bzImage per the x86 boot protocol (>= 2.12, 64-bit entry): the protected-mode
 * kernel at 1 MiB, the zero page with e820 and the ACPI RSDP, the command line, the initrd. */
#ifndef KTSTR_VMM_BZIMAGE_H
#define KTSTR_VMM_BZIMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc/err.h"
#include "vmm/guest_memory.h"

/* Fixed guest-physical layout below 1 MiB. */
#define BOOT_ZERO_PAGE     0x7000ull
#define BOOT_CMDLINE       0x20000ull
#define BOOT_CMDLINE_MAX   4096u
#define BOOT_EBDA_START    0x9fc00ull
#define BOOT_BIOS_START    0xe0000ull   /* ACPI tables live here, reserved in e820 */
#define BOOT_KERNEL_LOAD   0x100000ull
#define BOOT_MIN_VERSION   0x020c

struct bzimage_config {
	const char *kernel_path;
	int initrd_fd;              /* -1: no initrd; read from offset 0 */
	uint64_t initrd_size;
	const char *initrd_name;    /* for messages */
	bool initrd_map;            /* map it copy-on-write (guest_memory_map_file), not copy */
	const char *cmdline;
	uint64_t rsdp_addr;         /* 0: the kernel scans for it */
	bool guest_decompress;      /* never the direct way (vmlinux.h) */
};

struct bzimage_entry {
	uint64_t rip;               /* the 64-bit entry point */
	bool direct;                /* the kernel proper, decompressed on the host (vmlinux.h) */
	char boot[200];             /* how the kernel was loaded, or why not directly */
	uint64_t zero_page;         /* passed in %rsi */
	uint16_t version;           /* the kernel's boot protocol version */
};

int bzimage_load(struct guest_memory *mem, const struct bzimage_config *cfg,
		 struct bzimage_entry *entry, struct kerr *err);

#endif
