/* The initramfs cache; see cache.h. Manifest format, one record per line:
 *   ktstr-initramfs-manifest 2
 *   archive NAME SIZE
 *   input DEV INO SIZE MTIME_NS CTIME_NS PATH      (the archive itself is the last input) */
#include "initgen/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST_MAGIC "ktstr-initramfs-manifest 2"

static int mkdir_0700(const char *path, struct kerr *err)
{
	struct stat st;

	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return kerr_errno(err, errno, "initramfs cache: mkdir %s", path);
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return kerr_set(err, ENOTDIR, "initramfs cache: %s is not a directory", path);
	if (st.st_uid != geteuid())
		return kerr_set(err, EPERM, "initramfs cache: %s belongs to uid %u, not to us", path,
				(unsigned)st.st_uid);
	if ((st.st_mode & 077) && chmod(path, 0700) < 0)
		return kerr_errno(err, errno, "initramfs cache: chmod 0700 %s", path);
	return 0;
}

int cache_root(char *dir, size_t size)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n;

	if (xdg && xdg[0] == '/')
		n = snprintf(dir, size, "%s/ktstr-vmm", xdg);
	else if (home && home[0] == '/')
		n = snprintf(dir, size, "%s/.cache/ktstr-vmm", home);
	else
		return -ENOENT;
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : n;
}

int cache_dir_init(char *dir, size_t size, struct kerr *err)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n = cache_root(dir, size);

	if (n == -ENOENT)
		return kerr_set(err, ENOENT, "initramfs cache: neither XDG_CACHE_HOME nor HOME is set");
	if (n < 0 || (size_t)n + sizeof("/initramfs") > size)
		return kerr_set(err, ENAMETOOLONG, "initramfs cache: path too long");
	if (xdg && xdg[0] == '/' && mkdir(xdg, 0700) < 0 && errno != EEXIST)
		return kerr_errno(err, errno, "initramfs cache: mkdir %s", xdg);
	if (!(xdg && xdg[0] == '/')) {
		char parent[PATH_MAX];

		snprintf(parent, sizeof(parent), "%s/.cache", home);
		if (mkdir(parent, 0700) < 0 && errno != EEXIST)
			return kerr_errno(err, errno, "initramfs cache: mkdir %s", parent);
	}
	if (mkdir_0700(dir, err) < 0)
		return -1;
	snprintf(dir + n, size - (size_t)n, "/initramfs");
	return mkdir_0700(dir, err);
}

static void identity(const struct stat *st, struct cache_input *in)
{
	in->dev = (uint64_t)st->st_dev;
	in->ino = (uint64_t)st->st_ino;
	in->size = (uint64_t)st->st_size;
	in->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	in->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

int cache_manifest_add(struct cache_manifest *m, const char *path, struct kerr *err)
{
	struct stat st;

	for (unsigned i = 0; i < m->n; i++)
		if (strcmp(m->in[i].path, path) == 0)
			return 0;
	if (strchr(path, '\n'))
		return kerr_set(err, EINVAL, "\"%s\": a newline in a path is not supported", path);
	if (stat(path, &st) < 0)
		return kerr_errno(err, errno, "%s", path);
	if (m->n == m->cap) {
		unsigned cap = m->cap ? 2 * m->cap : 64;
		struct cache_input *in = realloc(m->in, cap * sizeof(*in));

		if (!in)
			return kerr_errno(err, ENOMEM, "initramfs manifest");
		m->in = in, m->cap = cap;
	}
	if (!(m->in[m->n].path = strdup(path)))
		return kerr_errno(err, ENOMEM, "initramfs manifest");
	identity(&st, &m->in[m->n++]);
	return 0;
}

void cache_manifest_free(struct cache_manifest *m)
{
	for (unsigned i = 0; i < m->n; i++)
		free(m->in[i].path);
	free(m->in);
	memset(m, 0, sizeof(*m));
}

/* One decimal number and the space after it; false when there is none. */
static bool number(char **p, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(*p, &end, 10);
	if (errno || end == *p || *end != ' ')
		return false;
	*p = end + 1;
	return true;
}

/* "input DEV INO SIZE MTIME_NS CTIME_NS PATH\n" */
static bool parse_input(char *line, struct cache_input *in)
{
	uint64_t mtime, ctime;
	char *p = line;

	if (strncmp(p, "input ", 6) != 0)
		return false;
	p += 6;
	if (!number(&p, &in->dev) || !number(&p, &in->ino) || !number(&p, &in->size) || !number(&p, &mtime) ||
	    !number(&p, &ctime) || *p != '/')
		return false;
	p[strcspn(p, "\n")] = '\0';
	in->mtime_ns = (int64_t)mtime;
	in->ctime_ns = (int64_t)ctime;
	in->path = p;
	return true;
}

/* Whether the input on this manifest line is unchanged. */
static bool input_unchanged(char *line, char *why, size_t whysize)
{
	struct cache_input was, now;
	struct stat st;

	if (!parse_input(line, &was)) {
		snprintf(why, whysize, "the manifest is malformed");
		return false;
	}
	if (stat(was.path, &st) < 0) {
		snprintf(why, whysize, "%s is gone", was.path);
		return false;
	}
	identity(&st, &now);
	if (was.dev != now.dev || was.ino != now.ino || was.size != now.size || was.mtime_ns != now.mtime_ns ||
	    was.ctime_ns != now.ctime_ns) {
		snprintf(why, whysize, "%s changed", was.path);
		return false;
	}
	return true;
}

/* The archive is listed among the inputs, so it is unchanged since it was written: only
 * its length is left to check against the manifest. */
static bool archive_intact(int fd, uint64_t size, char *why, size_t whysize)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size != size) {
		snprintf(why, whysize, "the archive is not %" PRIu64 " bytes long", size);
		return false;
	}
	return true;
}

/* "archive NAME SIZE\n": NAME a plain file name. */
static bool parse_archive(char *line, char *name, size_t size, uint64_t *len)
{
	char *p = line + 8, *sp;

	if (strncmp(line, "archive ", 8) != 0 || !(sp = strchr(p, ' ')) || sp == p ||
	    (size_t)(sp - p) >= size || memchr(p, '/', (size_t)(sp - p)))
		return false;
	memcpy(name, p, (size_t)(sp - p));
	name[sp - p] = '\0';
	p = sp + 1;
	errno = 0;
	*len = strtoull(p, &sp, 10);
	return errno == 0 && sp != p && (*sp == '\n' || *sp == '\0');
}

static int lookup_in(FILE *f, const char *dir, uint64_t *size, char *why, size_t whysize)
{
	char *line = NULL, name[SHA256_HEX_LEN + 16], path[PATH_MAX];
	size_t cap = 0;
	int fd = -1;
	bool ok = getline(&line, &cap, f) > 0 && strncmp(line, MANIFEST_MAGIC "\n", sizeof(MANIFEST_MAGIC)) == 0 &&
		  getline(&line, &cap, f) > 0 && parse_archive(line, name, sizeof(name), size);

	if (!ok)
		snprintf(why, whysize, "the manifest is malformed");
	while (ok && getline(&line, &cap, f) > 0)
		ok = input_unchanged(line, why, whysize);
	free(line);
	if (!ok)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(why, whysize, "the archive %s is gone", name);
		return -1;
	}
	if (!archive_intact(fd, *size, why, whysize)) {
		close(fd);
		return -1;
	}
	return fd;
}

int cache_lookup(const char *dir, const char *key, uint64_t *size, char *why, size_t whysize)
{
	char path[PATH_MAX];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/%s.manifest", dir, key);
	if (!(f = fopen(path, "re"))) {
		snprintf(why, whysize, "not built before");
		return -1;
	}
	fd = lookup_in(f, dir, size, why, whysize);
	fclose(f);
	return fd;
}

int cache_lock(const char *dir, const char *key, struct kerr *err)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s.lock", dir, key);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return kerr_errno(err, errno, "initramfs cache: %s", path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			close(fd);
			return kerr_errno(err, errno, "initramfs cache: locking %s", path);
		}
	}
	return fd;
}

int cache_tmp(const char *dir, char *path, size_t size, struct kerr *err)
{
	int fd;

	if (snprintf(path, size, "%s/.tmp-XXXXXX", dir) >= (int)size)
		return kerr_set(err, ENAMETOOLONG, "initramfs cache: path too long");
	if ((fd = mkostemp(path, O_CLOEXEC)) < 0)
		return kerr_errno(err, errno, "initramfs cache: creating a file in %s", dir);
	fchmod(fd, 0600);
	return fd;
}

static int write_manifest(FILE *f, const struct cache_manifest *m)
{
	fprintf(f, "%s\narchive %s %" PRIu64 "\n", MANIFEST_MAGIC, m->archive, m->size);
	for (unsigned i = 0; i < m->n; i++)
		fprintf(f, "input %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64 " %s\n", m->in[i].dev,
			m->in[i].ino, m->in[i].size, m->in[i].mtime_ns, m->in[i].ctime_ns, m->in[i].path);
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

int cache_commit(const char *dir, const char *key, const char *tmp, struct cache_manifest *m,
		 struct kerr *err)
{
	char path[PATH_MAX], mtmp[PATH_MAX];
	int fd;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, m->archive);
	if (rename(tmp, path) < 0)
		return kerr_errno(err, errno, "initramfs cache: rename to %s", path);
	/* Its identity now: any later write to it (or a rebuild replacing it) is a miss. */
	if (cache_manifest_add(m, path, err) < 0)
		return -1;
	if ((fd = cache_tmp(dir, mtmp, sizeof(mtmp), err)) < 0)
		return -1;
	if (!(f = fdopen(fd, "w"))) {
		close(fd);
		unlink(mtmp);
		return kerr_errno(err, errno, "initramfs cache: %s", mtmp);
	}
	int written = write_manifest(f, m);

	if (fclose(f) != 0 || written < 0) {
		unlink(mtmp);
		return kerr_errno(err, EIO, "initramfs cache: writing %s", mtmp);
	}
	snprintf(path, sizeof(path), "%s/%s.manifest", dir, key);
	if (rename(mtmp, path) < 0) {
		unlink(mtmp);
		return kerr_errno(err, errno, "initramfs cache: rename to %s", path);
	}
	return 0;
}
