/* The bzImage payload, decompressed on the host and laid out as the guest will hold it, in
 * the per-user cache; see vmlinux.h. The cache: $XDG_CACHE_HOME/ktstr-vmm/vmlinux/
 * DEV-INO-SIZE-MTIME-CTIME.img, named by the bzImage's identity (any write to it changes its
 * mtime and ctime). The directories must be ours (0700), the file a regular one of ours that
 * no one else may write, with an intact trailer (else it is made again). It is written to a
 * temporary file, synced and renamed into place, so that concurrent runs never see half a
 * file; an older image of the same path (DEV-INO-) goes when a new one comes. */
#include "vmm/boot/vmlinux.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "initgen/cache.h"
#include "vmm/boot/pread_exact.h"
#include "vmm/boot/vmlinux_trailer.h"
#include "vmm/boot/vmlinux_why.h"

/* The kernel proper is tens of MiB; a payload that claims more is not one. */
#define VMLINUX_MAX (512u << 20)

/* mkdir if missing; then it must be a directory of ours, and it is made 0700 */
static int own_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return -EPERM;
	if ((st.st_mode & 077) && chmod(path, 0700) < 0)
		return -errno;
	return 0;
}

/* The cache directory, made when missing: the per-user root's parents as mkdir -p does, the
 * root and vmlinux/ as own_dir. */
static int cache_dir(char *dir, size_t size)
{
	int n = cache_root(dir, size), r;

	if (n < 0)
		return n;
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		r = mkdir(dir, 0700) < 0 && errno != EEXIST ? -errno : 0;
		*p = '/';
		if (r < 0)
			return r;
	}
	if ((r = own_dir(dir)) < 0)
		return r;
	if ((size_t)snprintf(dir + n, size - (size_t)n, "/vmlinux") >= size - (size_t)n)
		return -ENAMETOOLONG;
	return own_dir(dir);
}

static void entry_name(const struct stat *st, char *name, size_t size)
{
	snprintf(name, size, "%llx-%llx-%llx-%llx.%09ld-%llx.%09ld.img",
		 (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
		 (unsigned long long)st->st_size, (unsigned long long)st->st_mtim.tv_sec,
		 st->st_mtim.tv_nsec, (unsigned long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

/* A cache hit: the image, opened, if it is a regular file of ours no one else may write and
 * its trailer is intact; one that is not is removed (it is made again). -1 otherwise. */
static int open_cached(int dir_fd, const char *name)
{
	struct vmlinux_trailer t;
	struct stat st;
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & 022) &&
	    st.st_size > 4096 && pread(fd, &t, sizeof(t), st.st_size - 4096) == (ssize_t)sizeof(t) &&
	    vmlinux_trailer_check(&t, (uint64_t)st.st_size - 4096) == 0)
		return fd;
	close(fd);
	unlinkat(dir_fd, name, 0);
	return -1;
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
		return vmlinux_say(why, whysize, "a payload of %zu bytes", len);
	n = (size_t)p[len - 4] | (size_t)p[len - 3] << 8 | (size_t)p[len - 2] << 16 | (size_t)p[len - 1] << 24;
	if (n < 4096 || n > VMLINUX_MAX)
		return vmlinux_say(why, whysize, "the payload claims %zu bytes decompressed", n);
	if (!(*out = malloc(n)))
		return vmlinux_say(why, whysize, "no memory for %zu bytes", n);
	*out_len = n;
	if (p[0] == 0x1f && p[1] == 0x8b) {
		if (inflate_gzip(p, len, *out, n) == 0)
			return 0;
		return vmlinux_say(why, whysize, "its gzip payload did not decompress to %zu bytes", n);
	}
	if (p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) {
		size_t r = ZSTD_decompress(*out, n, p, len - 4);

		if (!ZSTD_isError(r) && r == n)
			return 0;
		return vmlinux_say(why, whysize, "its zstd payload did not decompress to %zu bytes (%s)", n,
			   ZSTD_isError(r) ? ZSTD_getErrorName(r) : "short");
	}
	return vmlinux_say(why, whysize, "its payload's compression (magic %02x %02x) is not gzip or zstd", p[0], p[1]);
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

/* Other images of the same bzImage path (DEV-INO-, an older version of it): gone. */
static void forget_older(int dir_fd, const char *name)
{
	size_t prefix = strcspn(name, "-");
	DIR *d;
	struct dirent *e;

	prefix += 1 + strcspn(name + prefix + 1, "-") + 1;   /* "DEV-INO-" */
	if ((d = fdopendir(dup(dir_fd))) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, name, prefix) == 0 && strncmp(e->d_name, name, strlen(name)) != 0)
			unlinkat(dir_fd, e->d_name, 0);
	closedir(d);
}

/* The image, then its trailer page, to a temporary file synced and renamed to name; returns
 * its fd. */
static int store(const struct vmlinux_image *img, int dir_fd, const char *dir, const char *name,
		 char *why, size_t whysize)
{
	char tmp[PATH_MAX], page[4096] = { 0 };
	struct vmlinux_trailer t = { .base = img->base, .len = img->len, .entry = img->entry };
	int fd;

	memcpy(t.magic, VMLINUX_TRAILER_MAGIC, sizeof(VMLINUX_TRAILER_MAGIC));
	memcpy(page, &t, sizeof(t));
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/%s.XXXXXX", dir, name) >= sizeof(tmp))
		return vmlinux_say(why, whysize, "cache: %s/%s: name too long", dir, name);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return vmlinux_say(why, whysize, "cache: %s: %s", tmp, strerror(errno));
	if (write_sparse(fd, img->bytes, img->len) < 0 ||
	    pwrite(fd, page, sizeof(page), (off_t)img->len) != (ssize_t)sizeof(page) ||
	    fsync(fd) < 0 || fchmod(fd, 0400) < 0 || renameat(AT_FDCWD, tmp, dir_fd, name) < 0) {
		vmlinux_say(why, whysize, "cache: writing %s/%s: %s", dir, name, strerror(errno));
		unlink(tmp);
		close(fd);
		return -1;
	}
	forget_older(dir_fd, name);
	return fd;
}

/* Decompresses the payload (read, not mapped: a bzImage rewritten meanwhile must not kill us
 * with SIGBUS), lays it out and stores it. */
static int fill(int kernel_fd, uint64_t off, uint64_t len, int dir_fd, const char *dir, const char *name,
		char *why, size_t whysize)
{
	struct vmlinux_image img = { 0 };
	uint8_t *src = malloc(len), *elf = NULL;
	size_t elf_len = 0;
	int fd = -1, r;

	if (!src)
		return vmlinux_say(why, whysize, "no memory for a %llu-byte payload", (unsigned long long)len);
	if ((r = pread_exact(kernel_fd, src, len, off)) < 0)
		vmlinux_say(why, whysize, "reading its payload: %s", strerror(-r));
	else if (decompress(src, len, &elf, &elf_len, why, whysize) == 0 &&
		 vmlinux_flatten(elf, elf_len, &img, why, whysize) == 0)
		fd = store(&img, dir_fd, dir, name, why, whysize);
	free(src);
	free(elf);
	free(img.bytes);
	return fd;
}

int vmlinux_unpack(int kernel_fd, const struct stat *st, uint64_t off, uint64_t len,
		   char *why, size_t whysize)
{
	char dir[PATH_MAX], name[128];
	int dir_fd, fd, r;

	if (off > (uint64_t)st->st_size || len > (uint64_t)st->st_size - off)
		return vmlinux_say(why, whysize, "its payload (%llu bytes at %llu) lies beyond the file",
			   (unsigned long long)len, (unsigned long long)off);
	if (len > VMLINUX_MAX)
		return vmlinux_say(why, whysize, "a payload of %llu bytes", (unsigned long long)len);
	if ((r = cache_dir(dir, sizeof(dir))) < 0)
		return vmlinux_say(why, whysize, "no cache directory (%s)", strerror(-r));
	if ((dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return vmlinux_say(why, whysize, "cache: %s: %s", dir, strerror(errno));
	entry_name(st, name, sizeof(name));
	fd = open_cached(dir_fd, name);
	if (fd < 0)
		fd = fill(kernel_fd, off, len, dir_fd, dir, name, why, whysize);
	close(dir_fd);
	return fd;
}
