/* The archive initgen writes: newc cpio entries, gzip-compressed with zlib or not, written
 * with pwrite into the one output fd it was given. Parent directories are added before
 * anything inside them (the kernel's unpacker creates no missing parents). Entries carry
 * mtime 0 and inode numbers in order, so the same inputs give the same bytes. */
#ifndef KTSTR_INITGEN_ARCHIVE_H
#define KTSTR_INITGEN_ARCHIVE_H

#include <stdbool.h>
#include <stdint.h>
#define ZLIB_CONST   /* next_in is const: the input is never written */
#include <zlib.h>

#include "initgen/sha256.h"
#include "ipc/err.h"

#define ARCHIVE_MAX_BYTES (2ull << 30)   /* an initramfs beyond 2 GiB is a mistake */
#define ARCHIVE_MAX_DIRS  4096

struct archive {
	int out_fd;
	uint64_t out_len;            /* bytes written to out_fd */
	uint64_t cpio_len;           /* bytes of cpio stream (before compression) */
	bool gzip;
	z_stream z;
	struct sha256 content;       /* of the cpio stream */
	uint32_t next_ino;
	uint32_t entries;
	char **dirs;                 /* directories already in the archive */
	unsigned ndirs;
	uint8_t zbuf[65536];
};

int archive_open(struct archive *a, int out_fd, bool gzip, struct kerr *err);

/* path: absolute or relative to the archive root, as ipc_initgen_path_ok() allows. */
int archive_add_file(struct archive *a, const char *path, uint32_t mode, int fd, struct kerr *err);
int archive_add_dir(struct archive *a, const char *path, uint32_t mode, struct kerr *err);
int archive_add_symlink(struct archive *a, const char *path, const char *target, struct kerr *err);

/* Writes the trailer and flushes; content gets the SHA-256 of the cpio stream. */
int archive_finish(struct archive *a, uint8_t content[SHA256_LEN], struct kerr *err);
void archive_free(struct archive *a);

#endif
