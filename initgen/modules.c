/* modules.dep lookup; see modules.h. Each line is "rel/path.ko[.xz]: dep1 dep2 ...", the
 * dependencies in the order modprobe loads them last to first. */
#include "initgen/modules.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "kernel/drivers/net/virtio_net.ko.xz" is module "virtio_net"; '-' counts as '_'. */
static bool names_module(const char *path, size_t len, const char *name)
{
	const char *base = path, *ko;
	size_t n;

	for (size_t i = 0; i < len; i++)
		if (path[i] == '/')
			base = path + i + 1;
	if (!(ko = strstr(base, ".ko")) || ko > path + len)
		return false;
	n = (size_t)(ko - base);
	if (n != strlen(name))
		return false;
	for (size_t i = 0; i < n; i++) {
		char a = base[i] == '-' ? '_' : base[i], b = name[i] == '-' ? '_' : name[i];

		if (a != b)
			return false;
	}
	return true;
}

static int add(struct module_list *l, const char *path, size_t len, struct kerr *err)
{
	for (unsigned i = 0; i < l->n; i++)
		if (strlen(l->path[i]) == len && strncmp(l->path[i], path, len) == 0)
			return 0;
	if (l->n >= MODULES_MAX)
		return kerr_set(err, E2BIG, "more than %d modules to pack", MODULES_MAX);
	if (len == 0 || path[0] == '/' || strstr(path, "..") || !(l->path[l->n] = strndup(path, len)))
		return kerr_set(err, EINVAL, "modules.dep: bad module path \"%.*s\"", (int)len, path);
	l->n++;
	return 0;
}

/* line: "path: d1 d2 ... dn" -> dn ... d1, path. */
static int add_line(struct module_list *l, char *line, struct kerr *err)
{
	char *colon = strchr(line, ':');
	char *deps[MODULES_MAX];
	unsigned nd = 0;

	for (char *t = strtok(colon + 1, " \t\n"); t; t = strtok(NULL, " \t\n")) {
		if (nd >= MODULES_MAX)
			return kerr_set(err, E2BIG, "modules.dep: %.*s has more than %d dependencies",
					(int)(colon - line), line, MODULES_MAX);
		deps[nd++] = t;
	}
	while (nd > 0) {
		nd--;
		if (add(l, deps[nd], strlen(deps[nd]), err) < 0)
			return -1;
	}
	return add(l, line, (size_t)(colon - line), err);
}

static int find_module(FILE *f, const char *dep, const char *name, struct module_list *l, struct kerr *err)
{
	char *line = NULL;
	size_t cap = 0;
	int r = 0;

	rewind(f);
	while (getline(&line, &cap, f) > 0) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		if (names_module(line, (size_t)(colon - line), name)) {
			r = add_line(l, line, err);
			break;
		}
	}
	if (ferror(f))
		r = kerr_errno(err, EIO, "reading %s", dep);
	free(line);
	return r;
}

int modules_resolve(const char *tree, const char *const *wanted, unsigned nwanted,
		    struct module_list *out, struct kerr *err)
{
	char dep[4096];
	FILE *f;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (snprintf(dep, sizeof(dep), "%s/modules.dep", tree) >= (int)sizeof(dep))
		return kerr_set(err, ENAMETOOLONG, "--modules: path too long");
	if (!(f = fopen(dep, "re")))
		return kerr_errno(err, errno, "--modules: %s (run depmod, or scripts/fetch-kernel)", dep);
	for (unsigned i = 0; r == 0 && i < nwanted; i++)
		r = find_module(f, dep, wanted[i], out, err);
	fclose(f);
	if (r < 0)
		modules_free(out);
	return r;
}

void modules_free(struct module_list *l)
{
	for (unsigned i = 0; i < l->n; i++)
		free(l->path[i]);
	l->n = 0;
}
