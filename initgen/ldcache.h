/* The host's /etc/ld.so.cache ("glibc-ld.so.cache1.1"), read to find a library by its
 * soname the way the dynamic loader would. A host file, trusted like the host's loader
 * trusts it, but still bounds-checked: a corrupt cache is an error, never a crash. */
#ifndef KTSTR_INITGEN_LDCACHE_H
#define KTSTR_INITGEN_LDCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "ipc/err.h"

struct ldcache {
	char *data;        /* the whole file; NULL when there is none */
	size_t len;
	uint32_t nlibs;
	size_t entries;    /* offset of the first entry */
	size_t strings;    /* offset strings are counted from */
};

/* A missing file is not an error (an empty cache); a malformed one is. */
int ldcache_load(struct ldcache *c, const char *path, struct kerr *err);
/* The x86-64 library with this soname, or NULL. */
const char *ldcache_find(const struct ldcache *c, const char *soname);
void ldcache_free(struct ldcache *c);

#endif
