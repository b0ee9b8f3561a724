/* Library search as glibc's loader does it; see libsearch.h. */
#include "initgen/libsearch.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *const default_dirs[] = {
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
};

bool libsearch_normalize(const char *in, char *out, size_t size)
{
	size_t len = 0;
	const char *p = in;

	if (in[0] != '/' || size < 2)
		return false;
	while (*p) {
		const char *end;
		size_t n;

		while (*p == '/')
			p++;
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			p = end;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (len == 0)
				return false;
			do
				len--;
			while (len > 0 && out[len] != '/');
			out[len] = '\0';
			p = end;
			continue;
		}
		if (len + 1 + n + 1 > size)
			return false;
		out[len++] = '/';
		memcpy(out + len, p, n);
		len += n;
		out[len] = '\0';   /* keeps out a string for the ".." scan above */
		p = end;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return true;
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* dir/soname with $ORIGIN replaced, normalised; 0 when it names no file, 1 when found. */
static int try_dir(const char *dir, size_t dirlen, const char *origin, const char *soname, char *out,
		   size_t size, struct kerr *err)
{
	char raw[PATH_MAX * 2];
	size_t o = 0;

	for (size_t i = 0; i < dirlen && o < PATH_MAX; ) {
		if (dir[i] == '$' && (strncmp(dir + i, "$ORIGIN", 7) == 0 || strncmp(dir + i, "${ORIGIN}", 9) == 0)) {
			int n = snprintf(raw + o, sizeof(raw) - o, "%s", origin);

			if (n < 0 || (size_t)n >= sizeof(raw) - o)
				return 0;
			o += (size_t)n;
			i += dir[i + 1] == '{' ? 9 : 7;
		} else if (dir[i] == '$') {
			return kerr_set(err, EINVAL, "search path \"%.*s\" uses a variable other than $ORIGIN",
					(int)dirlen, dir);
		} else {
			raw[o++] = dir[i++];
		}
	}
	if (o == 0 || raw[0] != '/')
		return 0;   /* relative entries are relative to the cwd of the run: never in the guest */
	if (snprintf(raw + o, sizeof(raw) - o, "/%s", soname) >= (int)(sizeof(raw) - o))
		return 0;
	if (!libsearch_normalize(raw, out, size))
		return 0;
	return is_file(out) ? 1 : 0;
}

/* Each ':'-separated entry of list, in order. */
static int try_list(const char *list, const char *origin, const char *soname, char *out, size_t size,
		    struct kerr *err)
{
	for (const char *p = list; p && *p; ) {
		const char *end = strchrnul(p, ':');
		int r = try_dir(p, (size_t)(end - p), origin, soname, out, size, err);

		if (r != 0)
			return r;
		p = *end ? end + 1 : end;
	}
	return 0;
}

static void dir_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash && slash != path ? (size_t)(slash - path) : 1;

	snprintf(dir, size, "%.*s", (int)n, path);
}

static bool has(const char *s)
{
	return s && s[0];
}

int libsearch_find(const struct ldcache *cache, const struct libsearch_object *obj,
		   const struct libsearch_object *program, const char *soname, char *out, size_t size,
		   struct kerr *err)
{
	char origin[PATH_MAX], porigin[PATH_MAX];
	const char *cached;
	int r = 0;

	dir_of(obj->path, origin, sizeof(origin));
	dir_of(program->path, porigin, sizeof(porigin));
	if (!has(obj->runpath)) {
		r = try_list(obj->rpath, origin, soname, out, size, err);
		if (r == 0 && program != obj && !has(program->runpath))
			r = try_list(program->rpath, porigin, soname, out, size, err);
	}
	if (r == 0)
		r = try_list(obj->runpath, origin, soname, out, size, err);
	if (r == 0 && (cached = ldcache_find(cache, soname)) && libsearch_normalize(cached, out, size) &&
	    is_file(out))
		r = 1;
	for (size_t i = 0; r == 0 && i < sizeof(default_dirs) / sizeof(default_dirs[0]); i++)
		r = try_dir(default_dirs[i], strlen(default_dirs[i]), origin, soname, out, size, err);
	if (r < 0)
		return kerr_wrap(err, "%s", obj->path);
	if (r == 0)
		return kerr_set(err, ENOENT, "%s needs %s, which is in none of its RPATH/RUNPATH, "
				"/etc/ld.so.cache or the default library directories", obj->path, soname);
	return 0;
}
