/* The bzImage payload, decompressed on the host and laid out as the guest will hold it, in
 * the per-user cache; see vmlinux.h. The cache: $XDG_CACHE_HOME/ktstr-vmm/vmlinux/
 * DEV-INO-SIZE-MTIME-CTIME.img, named by the bzImage's identity (any write to it changes its
 * mtime and ctime), 0700, written to a temporary file and renamed into place so that
 * concurrent runs never see half a file. */
#include "vmm/boot/vmlinux.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "initgen/cache.h"
#include "vmm/boot/vmlinux_trailer.h"

/* The kernel proper is tens of MiB; a payload that claims more is not one. */
#define VMLINUX_MAX (512u << 20)

static int say(char *why, size_t whysize, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whysize, fmt, ap);
	va_end(ap);
	return -1;
}

/* mkdir -p, 0700 for what it makes */
static int make_dirs(char *path)
{
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return *p = c, -errno;
		*p = c;
		if (!c)
			return 0;
	}
}

/* The cache file for this bzImage; with create, its directory is made first. */
static int cache_path(const struct stat *st, char *path, size_t size, bool create)
{
	int n = cache_root(path, size), r;

	if (n < 0)
		return n;
	if ((size_t)snprintf(path + n, size - (size_t)n, "/vmlinux") >= size - (size_t)n)
		return -ENAMETOOLONG;
	if (create && (r = make_dirs(path)) < 0)
		return r;
	n = (int)strlen(path);
	if ((size_t)snprintf(path + n, size - (size_t)n, "/%llx-%llx-%llx-%llx.%09ld-%llx.%09ld.img",
			     (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
			     (unsigned long long)st->st_size, (unsigned long long)st->st_mtim.tv_sec,
			     st->st_mtim.tv_nsec, (unsigned long long)st->st_ctim.tv_sec,
			     st->st_ctim.tv_nsec) >= size - (size_t)n)
		return -ENAMETOOLONG;
	return 0;
}

static int inflate_gzip(const uint8_t *src, size_t len, uint8_t *dst, size_t out)
{
	z_stream z;
	int r;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -1;
	z.next_in = (Bytef *)src, z.avail_in = (uInt)len;
	z.next_out = dst, z.avail_out = (uInt)out;
	r = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	return r == Z_STREAM_END && z.total_out == out ? 0 : -1;
}

/* The payload ends with the decompressed size, 32 bits little-endian (the kernel's build
 * appends it; gzip's own trailer is the same number). */
static int decompress(const uint8_t *p, size_t len, uint8_t **out, size_t *out_len, char *why, size_t whysize)
{
	size_t n;

	if (len < 16)
		return say(why, whysize, "a payload of %zu bytes", len);
	n = (size_t)p[len - 4] | (size_t)p[len - 3] << 8 | (size_t)p[len - 2] << 16 | (size_t)p[len - 1] << 24;
	if (n < 4096 || n > VMLINUX_MAX)
		return say(why, whysize, "the payload claims %zu bytes decompressed", n);
	if (!(*out = malloc(n)))
		return say(why, whysize, "no memory for %zu bytes", n);
	*out_len = n;
	if (p[0] == 0x1f && p[1] == 0x8b) {
		if (inflate_gzip(p, len, *out, n) == 0)
			return 0;
		return say(why, whysize, "its gzip payload did not decompress to %zu bytes", n);
	}
	if (p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) {
		size_t r = ZSTD_decompress(*out, n, p, len - 4);

		if (!ZSTD_isError(r) && r == n)
			return 0;
		return say(why, whysize, "its zstd payload did not decompress to %zu bytes (%s)", n,
			   ZSTD_isError(r) ? ZSTD_getErrorName(r) : "short");
	}
	return say(why, whysize, "its payload's compression (magic %02x %02x) is not gzip or zstd", p[0], p[1]);
}

/* The image's pages that are not all zeros (a third of a kernel's are: bss, alignment): the
 * rest stay holes, which vmlinux_load skips, as guest RAM is zero already. */
static int write_sparse(int fd, const uint8_t *p, uint64_t len)
{
	static const uint8_t zero[4096];

	for (uint64_t at = 0; at < len; at += 4096) {
		uint64_t end = at;

		while (end < len && memcmp(p + end, zero, 4096) != 0)
			end += 4096;
		for (uint64_t done = at; done < end;) {
			ssize_t w = pwrite(fd, p + done, end - done, (off_t)done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return -1;
			done += (uint64_t)w;
		}
		at = end;
	}
	return 0;
}

/* The image, then its trailer page, to a temporary file renamed to path; returns its fd. */
static int store(const struct vmlinux_image *img, const char *path, char *why, size_t whysize)
{
	char tmp[PATH_MAX + 16], page[4096] = { 0 };
	struct vmlinux_trailer t = { .base = img->base, .len = img->len, .entry = img->entry };
	int fd;

	memcpy(t.magic, VMLINUX_TRAILER_MAGIC, sizeof(VMLINUX_TRAILER_MAGIC));
	memcpy(page, &t, sizeof(t));
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0)
		return say(why, whysize, "cache: %s: %s", tmp, strerror(errno));
	if (write_sparse(fd, img->bytes, img->len) < 0 ||
	    pwrite(fd, page, sizeof(page), (off_t)img->len) != (ssize_t)sizeof(page) ||
	    fchmod(fd, 0400) < 0 || rename(tmp, path) < 0) {
		say(why, whysize, "cache: writing %s: %s", path, strerror(errno));
		unlink(tmp);
		close(fd);
		return -1;
	}
	return fd;
}

/* Decompresses the payload (bytes off..end of the file), lays it out and stores it. */
static int fill(int kernel_fd, uint64_t off, uint64_t end, const char *path, char *why, size_t whysize)
{
	struct vmlinux_image img = { 0 };
	uint8_t *src, *elf = NULL;
	size_t elf_len = 0;
	int fd = -1;

	src = mmap(NULL, end, PROT_READ, MAP_PRIVATE, kernel_fd, 0);
	if (src == MAP_FAILED)
		return say(why, whysize, "mmap: %s", strerror(errno));
	if (decompress(src + off, end - off, &elf, &elf_len, why, whysize) == 0 &&
	    vmlinux_flatten(elf, elf_len, &img, why, whysize) == 0)
		fd = store(&img, path, why, whysize);
	munmap(src, end);
	free(elf);
	free(img.bytes);
	return fd;
}

int vmlinux_unpack(int kernel_fd, const struct stat *st, uint64_t off, uint64_t len,
		   char *why, size_t whysize)
{
	char path[PATH_MAX];
	int fd, r;

	if ((r = cache_path(st, path, sizeof(path), false)) < 0)
		return say(why, whysize, "no cache directory (%s)", strerror(-r));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if ((r = cache_path(st, path, sizeof(path), true)) < 0)
		return say(why, whysize, "cache: %s", strerror(-r));
	if (off > (uint64_t)st->st_size || len > (uint64_t)st->st_size - off)
		return say(why, whysize, "its payload (%llu bytes at %llu) lies beyond the file",
			   (unsigned long long)len, (unsigned long long)off);
	fd = fill(kernel_fd, off, off + len, path, why, whysize);
	if (fd < 0)
		return -1;
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd >= 0 ? fd : say(why, whysize, "cache: %s: %s", path, strerror(errno));
}
