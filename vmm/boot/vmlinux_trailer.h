/* The page that ends a cached kernel image (vmlinux.h) and says what precedes it. */
#ifndef KTSTR_VMM_VMLINUX_TRAILER_H
#define KTSTR_VMM_VMLINUX_TRAILER_H

#include <stdint.h>
#include <string.h>

#define VMLINUX_TRAILER_MAGIC "ktstr-vmlinux-image 1"

struct vmlinux_trailer {
	char magic[24];
	uint64_t base, len, entry;  /* vmlinux_image's */
};

/* 0 when t describes an image of image_len bytes (the file less this page) that holds its
 * entry point, on page boundaries; -1 otherwise. */
static inline int vmlinux_trailer_check(const struct vmlinux_trailer *t, uint64_t image_len)
{
	if (memcmp(t->magic, VMLINUX_TRAILER_MAGIC, sizeof(VMLINUX_TRAILER_MAGIC)) != 0)
		return -1;
	if (t->len != image_len || t->len == 0 || (t->len & 4095) || (t->base & 4095))
		return -1;
	if (t->entry < t->base || t->entry - t->base >= t->len || t->base + t->len < t->base)
		return -1;
	return 0;
}

#endif
