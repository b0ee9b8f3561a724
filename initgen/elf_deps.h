/* What an executable needs to run, read from its bytes (in the sandboxed initgen only): an
 * ELF's interpreter, DT_NEEDED, DT_RPATH and DT_RUNPATH, or a script's "#!" interpreter. */
#ifndef KTSTR_INITGEN_ELF_DEPS_H
#define KTSTR_INITGEN_ELF_DEPS_H

#include <stddef.h>

#include "ipc/err.h"
#include "ipc/msg.h"

#define ELF_DEPS_MAX_FILE (512u << 20)   /* larger inputs are refused, not truncated */

/* Fills deps from the file's contents (name is for messages; data is not written, but
 * libelf's elf_memory() takes it non-const). Anything but an x86-64 ELF, a "#!" script or
 * plain data is an error naming the file and what is wrong with it. */
int elf_deps_read(const char *name, char *data, size_t len, struct ipc_initgen_deps *deps,
		  struct kerr *err);

#endif
