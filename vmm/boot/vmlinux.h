/* Direct boot: the bzImage's compressed kernel proper (its payload, boot protocol 2.08+),
 * decompressed once on the host and kept in the per-user cache, then loaded into the guest
 * at its physical addresses and entered at its 64-bit entry point, so that no guest spends
 * its time decompressing and moving its own kernel (under nested KVM, seconds of every
 * boot). The kernel then runs at its link address (no KASLR). Everything here is an optimisation: what
 * it cannot do (a compression other than gzip or zstd, a payload it does not understand, no
 * cache) it says in `why` and the caller boots the bzImage the usual way. */
#ifndef KTSTR_VMM_VMLINUX_H
#define KTSTR_VMM_VMLINUX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "vmm/guest_memory.h"

/* The kernel proper as it lies in guest memory: from base, len bytes (a multiple of 4 KiB),
 * the segments at their physical addresses and zeros between them, entered at entry. */
struct vmlinux_image {
	uint64_t base, len, entry;
	uint8_t *bytes;             /* flatten: malloc'd; the caller frees it */
};

/* Lays out an ELF64 x86-64 executable's PT_LOAD segments (each checked against the file,
 * and against 1 MiB .. 1 MiB + 512 MiB) as an image. -1 with why if it is no such file. */
int vmlinux_flatten(const uint8_t *elf, size_t size, struct vmlinux_image *img, char *why, size_t whysize);

/* The image for this bzImage (st is its identity, its payload at off, len bytes) from the
 * cache, else decompressed and laid out into it. Returns a read-only fd of the cached image
 * (the image, then one 4 KiB page that describes it), or -1 with why. */
int vmlinux_unpack(int kernel_fd, const struct stat *st, uint64_t off, uint64_t len,
		   char *why, size_t whysize);

/* Reads a cached image into guest RAM, which must hold it within [lowest, highest) (read, not
 * mapped: see vmlinux_load.c). *entry gets the entry point. -1 with why if the file is not
 * such an image or does not fit. */
int vmlinux_load(struct guest_memory *mem, int fd, uint64_t lowest, uint64_t highest,
		 uint64_t *entry, char *why, size_t whysize);

#endif
