/* The per-user initramfs cache: $XDG_CACHE_HOME/ktstr-vmm/initramfs (else
 * ~/.cache/ktstr-vmm/initramfs), 0700. An archive is stored under the SHA-256 of its
 * contents; a request (what to pack, with which options) finds it through a manifest named
 * by the SHA-256 of the request, which lists every input file with its identity (device,
 * inode, size, mtime, ctime), the archive itself included: a hit needs every one of them
 * unchanged (any write to the archive, a flipped byte included, changes its mtime and
 * ctime); anything else is a miss and the archive is built again. Writes go to a
 * temporary file renamed into place; a lock per request makes concurrent builders of the
 * same request wait for the first one and take its result. */
#ifndef KTSTR_INITGEN_CACHE_H
#define KTSTR_INITGEN_CACHE_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "initgen/sha256.h"
#include "ipc/err.h"

struct cache_input {
	char *path;
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
};

struct cache_manifest {
	char archive[SHA256_HEX_LEN + 16];   /* "<content hash>.cpio[.gz]" */
	uint64_t size;
	unsigned n, cap;
	struct cache_input *in;
};

/* Where the per-user cache is, created or not: $XDG_CACHE_HOME/ktstr-vmm, else
 * $HOME/.cache/ktstr-vmm (the initramfs cache, and the kernels the scripts put there).
 * -ENOENT when neither variable holds an absolute path, -ENAMETOOLONG when it does not fit;
 * otherwise the length written. */
int cache_root(char *dir, size_t size);

/* Makes the directory (and its 0700 parent) when missing; dir gets its path. */
int cache_dir_init(char *dir, size_t size, struct kerr *err);

/* Records path's identity now (stat, following symlinks); a path listed twice is kept once. */
int cache_manifest_add(struct cache_manifest *m, const char *path, struct kerr *err);
void cache_manifest_free(struct cache_manifest *m);

/* A hit: returns the archive opened read-only and its size. A miss: -1, with why saying
 * which (no manifest, an input changed, the archive is corrupt). */
int cache_lookup(const char *dir, const char *key, uint64_t *size, char *why, size_t whysize);

/* Takes the request's lock (blocking); returns the fd that holds it. */
int cache_lock(const char *dir, const char *key, struct kerr *err);

/* A temporary file in the cache directory for the builder to write into. */
int cache_tmp(const char *dir, char *path, size_t size, struct kerr *err);

/* Renames tmp to the archive's name and writes the request's manifest. */
int cache_commit(const char *dir, const char *key, const char *tmp, struct cache_manifest *m,
		 struct kerr *err);

#endif
