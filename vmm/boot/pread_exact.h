/* Reading a whole span of a file at an offset, for the boot loaders. */
#ifndef KTSTR_VMM_PREAD_EXACT_H
#define KTSTR_VMM_PREAD_EXACT_H

#include <stddef.h>
#include <stdint.h>

/* len bytes at off into buf, retrying short reads and EINTR: 0, -errno, or -EIO at the end
 * of the file. */
int pread_exact(int fd, void *buf, size_t len, uint64_t off);

#endif
