/* newc cpio into raw or gzip output; see archive.h. */
#include "initgen/archive.h"
#include "ipc/msg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NEWC_HEADER_LEN 110
#define READ_CHUNK      ((size_t)256 * 1024)

static int out_write(struct archive *a, const uint8_t *p, size_t len, struct kerr *err)
{
	if (a->out_len + len > ARCHIVE_MAX_BYTES)
		return kerr_set(err, EFBIG, "the initramfs would exceed %llu MiB",
				(unsigned long long)(ARCHIVE_MAX_BYTES >> 20));
	while (len > 0) {
		ssize_t n = pwrite(a->out_fd, p, len, (off_t)a->out_len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return kerr_errno(err, n < 0 ? errno : EIO, "writing the initramfs");
		a->out_len += (uint64_t)n, p += n, len -= (size_t)n;
	}
	return 0;
}

static int deflate_some(struct archive *a, int flush, struct kerr *err)
{
	int r;

	do {
		a->z.next_out = a->zbuf;
		a->z.avail_out = sizeof(a->zbuf);
		r = deflate(&a->z, flush);
		if (r == Z_STREAM_ERROR)
			return kerr_set(err, EIO, "zlib deflate failed");
		if (out_write(a, a->zbuf, sizeof(a->zbuf) - a->z.avail_out, err) < 0)
			return -1;
	} while (a->z.avail_out == 0 || (flush == Z_FINISH && r != Z_STREAM_END));
	return 0;
}

/* Bytes of the cpio stream: hashed, then compressed or written as they are. */
static int emit(struct archive *a, const void *p, size_t len, struct kerr *err)
{
	sha256_update(&a->content, p, len);
	a->cpio_len += len;
	if (!a->gzip)
		return out_write(a, p, len, err);
	a->z.next_in = p;
	a->z.avail_in = (uInt)len;
	return deflate_some(a, Z_NO_FLUSH, err);
}

static int pad4(struct archive *a, struct kerr *err)
{
	static const uint8_t zeros[4];
	size_t n = (4 - (a->cpio_len & 3)) & 3;

	return n ? emit(a, zeros, n, err) : 0;
}

static int header(struct archive *a, const char *name, uint32_t mode, uint64_t size, struct kerr *err)
{
	char h[NEWC_HEADER_LEN + 1];
	size_t namesize = strlen(name) + 1;

	if (size > UINT32_MAX)
		return kerr_set(err, EFBIG, "%s: %llu bytes is more than a cpio entry can hold", name,
				(unsigned long long)size);
	snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 a->next_ino++, mode, 0u, 0u, 1u, 0u, (uint32_t)size, 0u, 0u, 0u, 0u,
		 (uint32_t)namesize, 0u);
	if (emit(a, h, NEWC_HEADER_LEN, err) < 0 || emit(a, name, namesize, err) < 0)
		return -1;
	a->entries++;
	return pad4(a, err);
}

static bool have_dir(const struct archive *a, const char *name)
{
	for (unsigned i = 0; i < a->ndirs; i++)
		if (strcmp(a->dirs[i], name) == 0)
			return true;
	return false;
}

/* Emits every missing directory on the way to name (without name itself). */
static int parents(struct archive *a, const char *name, struct kerr *err)
{
	char dir[256];

	for (const char *s = strchr(name, '/'); s; s = strchr(s + 1, '/')) {
		memcpy(dir, name, (size_t)(s - name));
		dir[s - name] = '\0';
		if (!have_dir(a, dir) && archive_add_dir(a, dir, 0755, err) < 0)
			return -1;
	}
	return 0;
}

static int check_path(const char *path, struct kerr *err)
{
	if (!ipc_initgen_path_ok(path))
		return kerr_set(err, EINVAL, "\"%s\" cannot name an initramfs entry", path);
	return 0;
}

int archive_add_dir(struct archive *a, const char *path, uint32_t mode, struct kerr *err)
{
	const char *name = path[0] == '/' ? path + 1 : path;
	char *copy;

	if (check_path(path, err) < 0)
		return -1;
	if (have_dir(a, name))
		return 0;
	if (a->ndirs >= ARCHIVE_MAX_DIRS)
		return kerr_set(err, E2BIG, "more than %d directories in the initramfs", ARCHIVE_MAX_DIRS);
	if (parents(a, name, err) < 0 || header(a, name, S_IFDIR | (mode & 07777), 0, err) < 0)
		return -1;
	if (!(copy = strdup(name)))
		return kerr_errno(err, ENOMEM, "initramfs directory list");
	a->dirs[a->ndirs++] = copy;
	return 0;
}

int archive_add_symlink(struct archive *a, const char *path, const char *target, struct kerr *err)
{
	const char *name = path[0] == '/' ? path + 1 : path;
	size_t len = strlen(target);

	if (check_path(path, err) < 0)
		return -1;
	if (len == 0 || len >= 256)
		return kerr_set(err, EINVAL, "%s: symlink target of %zu bytes", path, len);
	if (parents(a, name, err) < 0 || header(a, name, S_IFLNK | 0777, len, err) < 0 ||
	    emit(a, target, len, err) < 0)
		return -1;
	return pad4(a, err);
}

static int copy_contents(struct archive *a, const char *path, int fd, uint64_t size, struct kerr *err)
{
	uint8_t *buf = malloc(READ_CHUNK);
	uint64_t off = 0;
	int r = 0;

	if (!buf)
		return kerr_errno(err, ENOMEM, "read buffer");
	while (r == 0 && off < size) {
		size_t want = size - off < READ_CHUNK ? (size_t)(size - off) : READ_CHUNK;
		ssize_t n = pread(fd, buf, want, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = kerr_errno(err, errno, "reading %s", path);
		else if (n == 0)
			r = kerr_set(err, EIO, "%s shrank while it was packed (%llu of %llu bytes)", path,
				     (unsigned long long)off, (unsigned long long)size);
		else if ((r = emit(a, buf, (size_t)n, err)) == 0)
			off += (uint64_t)n;
	}
	free(buf);
	return r < 0 ? r : pad4(a, err);
}

int archive_add_file(struct archive *a, const char *path, uint32_t mode, int fd, struct kerr *err)
{
	const char *name = path[0] == '/' ? path + 1 : path;
	off_t size;

	if (check_path(path, err) < 0)
		return -1;
	/* lseek, not fstat: the sandbox allows no stat call (the sender checked it is a file). */
	if ((size = lseek(fd, 0, SEEK_END)) < 0)
		return kerr_errno(err, errno, "sizing %s", path);
	if (parents(a, name, err) < 0 || header(a, name, S_IFREG | (mode & 07777), (uint64_t)size, err) < 0)
		return -1;
	return copy_contents(a, path, fd, (uint64_t)size, err);
}

int archive_open(struct archive *a, int out_fd, bool gzip, struct kerr *err)
{
	memset(a, 0, sizeof(*a));
	a->out_fd = out_fd;
	a->gzip = gzip;
	a->next_ino = 1;
	sha256_init(&a->content);
	if (!(a->dirs = calloc(ARCHIVE_MAX_DIRS, sizeof(*a->dirs))))
		return kerr_errno(err, ENOMEM, "initramfs directory list");
	/* 31: a gzip wrapper. Level 1: the archive is built once and cached, but a cold build
	 * is on the user's path to a result, and level 6 costs ~3x the time for ~10% less. */
	if (gzip && deflateInit2(&a->z, 1, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(a->dirs);
		a->dirs = NULL;
		return kerr_set(err, ENOMEM, "zlib deflateInit2 failed");
	}
	return 0;
}

int archive_finish(struct archive *a, uint8_t content[SHA256_LEN], struct kerr *err)
{
	if (header(a, "TRAILER!!!", 0, 0, err) < 0)
		return -1;
	if (a->gzip) {
		a->z.next_in = NULL;
		a->z.avail_in = 0;
		if (deflate_some(a, Z_FINISH, err) < 0)
			return -1;
	}
	sha256_final(&a->content, content);
	return 0;
}

void archive_free(struct archive *a)
{
	if (a->gzip)
		deflateEnd(&a->z);
	for (unsigned i = 0; a->dirs && i < a->ndirs; i++)
		free(a->dirs[i]);
	free(a->dirs);
	a->dirs = NULL;
}
