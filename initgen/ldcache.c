/* ld.so.cache lookup; see ldcache.h. The layout is glibc's new format: a 48-byte header
 * (magic "glibc-ld.so.cache" "1.1", nlibs, string table length, flags, padding), then
 * nlibs 24-byte entries {int32 flags; uint32 key, value; uint32 osversion; uint64 hwcap},
 * string offsets counted from the header. An old-format prefix ("ld.so-1.7.0") may come
 * first. */
#include "initgen/ldcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OLD_MAGIC   "ld.so-1.7.0"
#define NEW_MAGIC   "glibc-ld.so.cache1.1"
#define NEW_HEADER  48
#define ENTRY_LEN   24
#define OLD_ENTRY   12
#define FLAG_ELF_X86_64 0x0303   /* FLAG_ELF_LIBC6 | FLAG_X8664_LIB64 */
#define LDCACHE_MAX (64u << 20)

static uint32_t u32_at(const char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int parse(struct ldcache *c, const char *path, struct kerr *err)
{
	size_t start = 0;

	if (c->len >= 16 && memcmp(c->data, OLD_MAGIC, sizeof(OLD_MAGIC) - 1) == 0) {
		uint32_t n = u32_at(c->data + 12);

		start = 16 + (size_t)n * OLD_ENTRY;
		start = (start + 7) & ~(size_t)7;
		if (n > c->len / OLD_ENTRY || start > c->len)
			return kerr_set(err, EINVAL, "%s: the old-format part runs past the file", path);
	}
	if (c->len - start < NEW_HEADER || memcmp(c->data + start, NEW_MAGIC, sizeof(NEW_MAGIC) - 1) != 0)
		return kerr_set(err, EINVAL, "%s: not a glibc-ld.so.cache1.1 file", path);
	c->nlibs = u32_at(c->data + start + 20);
	c->strings = start;
	c->entries = start + NEW_HEADER;
	if (c->nlibs > (c->len - c->entries) / ENTRY_LEN)
		return kerr_set(err, EINVAL, "%s: %u entries do not fit in %zu bytes", path, c->nlibs, c->len);
	return 0;
}

int ldcache_load(struct ldcache *c, const char *path, struct kerr *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	memset(c, 0, sizeof(*c));
	if (fd < 0)
		return errno == ENOENT ? 0 : kerr_errno(err, errno, "%s", path);
	if (fstat(fd, &st) < 0 || st.st_size > LDCACHE_MAX) {
		close(fd);
		return kerr_set(err, EFBIG, "%s: unreadable or larger than %u MiB", path, LDCACHE_MAX >> 20);
	}
	c->len = (size_t)st.st_size;
	c->data = malloc(c->len + 1);
	n = c->data ? pread(fd, c->data, c->len, 0) : -1;
	close(fd);
	if (n != (ssize_t)c->len) {
		ldcache_free(c);
		return kerr_set(err, EIO, "%s: short read", path);
	}
	c->data[c->len] = '\0';   /* every string ends inside the buffer */
	if (parse(c, path, err) < 0) {
		ldcache_free(c);
		return -1;
	}
	return 0;
}

static const char *string_at(const struct ldcache *c, uint32_t off)
{
	return c->strings + off < c->len ? c->data + c->strings + off : NULL;
}

const char *ldcache_find(const struct ldcache *c, const char *soname)
{
	for (uint32_t i = 0; c->data && i < c->nlibs; i++) {
		const char *e = c->data + c->entries + (size_t)i * ENTRY_LEN;
		const char *key = string_at(c, u32_at(e + 4));
		const char *value = string_at(c, u32_at(e + 8));

		if ((u32_at(e) & 0xffff) != FLAG_ELF_X86_64 || !key || !value)
			continue;
		if (strcmp(key, soname) == 0 && value[0] == '/')
			return value;
	}
	return NULL;
}

void ldcache_free(struct ldcache *c)
{
	free(c->data);
	memset(c, 0, sizeof(*c));
}
