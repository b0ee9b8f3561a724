/* Which kernel modules the guest needs, in load order, from a module tree's modules.dep
 * (written by depmod; scripts/fetch-kernel runs it). A host file, bounds-checked anyway. */
#ifndef KTSTR_INITGEN_MODULES_H
#define KTSTR_INITGEN_MODULES_H

#include "ipc/err.h"

#define MODULES_MAX 64

struct module_list {
	unsigned n;
	char *path[MODULES_MAX];   /* relative to the tree, dependencies first */
};

/* Adds each wanted module (by name, '-' and '_' alike) and what it depends on. A module
 * modules.dep does not list is built in or absent: nothing to load, not an error. */
int modules_resolve(const char *tree, const char *const *wanted, unsigned nwanted,
		    struct module_list *out, struct kerr *err);
void modules_free(struct module_list *l);

#endif
