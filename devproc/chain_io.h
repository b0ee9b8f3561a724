/* Byte-stream views of a popped descriptor chain: its readable segments as one stream (what
 * the driver sent) and its writable segments as another (room for the reply). Everything
 * here stays inside the segments, which virtq already checked against guest RAM. */
#ifndef KTSTR_DEVPROC_CHAIN_IO_H
#define KTSTR_DEVPROC_CHAIN_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devproc/virtq.h"

/* Copies up to len bytes from offset off of the readable stream; returns how many. */
size_t chain_read(const struct virtq_chain *c, uint64_t off, void *buf, size_t len);

/* Copies up to len bytes to offset off of the writable stream; returns how many. */
size_t chain_write(const struct virtq_chain *c, uint64_t off, const void *buf, size_t len);

/* Describes [off, off + len) of one stream as iovecs; returns how many were used, or 0 when
 * the range is not wholly inside the stream or needs more than max entries. */
unsigned chain_iov(const struct virtq_chain *c, bool writable, uint64_t off, uint64_t len,
		   struct iovec *iov, unsigned max);

#endif
