/* Where the dynamic loader would find a shared library, decided on the host the way
 * glibc's ld.so decides it: DT_RPATH (of the object, then of the program, when the object
 * has no DT_RUNPATH), DT_RUNPATH, /etc/ld.so.cache, then the default directories. $ORIGIN
 * is the directory the object is packed in. The result is lexically normalised, so the
 * library can be packed at the same path the guest's loader will look it up under. */
#ifndef KTSTR_INITGEN_LIBSEARCH_H
#define KTSTR_INITGEN_LIBSEARCH_H

#include <stdbool.h>
#include <stddef.h>

#include "initgen/ldcache.h"
#include "ipc/err.h"

struct libsearch_object {
	const char *path;      /* where it is packed (absolute, normalised) */
	const char *rpath;     /* DT_RPATH, "" or NULL when absent */
	const char *runpath;   /* DT_RUNPATH, likewise */
};

/* out gets the library's path; ENOENT when no place has it (the error names the library
 * and obj), EINVAL for a search path that uses $LIB or $PLATFORM. */
int libsearch_find(const struct ldcache *cache, const struct libsearch_object *obj,
		   const struct libsearch_object *program, const char *soname, char *out, size_t size,
		   struct kerr *err);

/* "/a/./b//../c" -> "/a/c" without looking at the filesystem; false when in is not
 * absolute, climbs above the root or does not fit. */
bool libsearch_normalize(const char *in, char *out, size_t size);

#endif
