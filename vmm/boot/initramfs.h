/* The initramfs ktstr-vmm builds itself when no --initrd is given: from the payload after
 * "--", --scheduler, --include and the guest kernel's modules, through the sandboxed
 * initgen process (initgen/), served from the per-user cache when nothing changed. */
#ifndef KTSTR_VMM_INITRAMFS_H
#define KTSTR_VMM_INITRAMFS_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc/err.h"
#include "vmm/cli.h"

struct initramfs {
	int fd;                    /* the archive, readable from offset 0 */
	uint64_t size;
	bool cache_hit;
	double ms;                 /* spent finding or building it */
	unsigned files;            /* cpio entries written (0 on a cache hit) */
};

int initramfs_prepare(const struct vmm_config *cfg, struct initramfs *out, struct kerr *err);

#endif
