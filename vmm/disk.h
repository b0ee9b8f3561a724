/* --disk PATH[,ro][,iops=N][,bps=N][,iops_burst=N][,bps_burst=N], up to DISK_MAX times: parsed
 * and checked on the command line, opened by vmm with the right mode (each disk's own blk
 * device process gets only its fd). */
#ifndef KTSTR_VMM_DISK_H
#define KTSTR_VMM_DISK_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc/ipc.h"

#define DISK_SECTOR 512u
#define DISK_MAX    8     /* --disk may be given this often: /dev/vda .. /dev/vdh */

struct disk_config {
	char path[4096];
	bool read_only;
	uint64_t iops, iops_burst;   /* 0: unlimited / one second's worth */
	uint64_t bps, bps_burst;
};

int disk_parse(const char *spec, struct disk_config *d, struct kerr *err);

/* Opens the disk read-only or read-write, checks it is a regular file or block device whose
 * size is a non-zero multiple of 512, and fills the device's setup message. */
int disk_open(const struct disk_config *d, int *fd, struct ipc_blk_disk *msg, struct kerr *err);

#endif
