/* ELF and script inspection with libelf; see elf_deps.h. */
#include "initgen/elf_deps.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>

static int copy_str(const char *name, const char *what, char *dst, size_t size, const char *src,
		    struct kerr *err)
{
	size_t len = strlen(src);

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)src[i] < 0x20 || src[i] == 0x7f)
			return kerr_set(err, EINVAL, "%s: %s holds a control character", name, what);
	if (len >= size)
		return kerr_set(err, E2BIG, "%s: %s of %zu bytes is longer than %zu", name, what, len, size - 1);
	memcpy(dst, src, len + 1);
	return 0;
}

/* "#!/bin/sh -e": the interpreter is the first word after "#!". */
static int script_deps(const char *name, const char *data, size_t len, struct ipc_initgen_deps *d,
		       struct kerr *err)
{
	char line[IPC_INITGEN_PATH_MAX];
	size_t i = 2, n = 0;

	while (i < len && (data[i] == ' ' || data[i] == '\t'))
		i++;
	while (i < len && data[i] != '\n' && data[i] != ' ' && data[i] != '\t' && data[i] != '\0') {
		if (n + 1 >= sizeof(line))
			return kerr_set(err, E2BIG, "%s: the #! interpreter path is too long", name);
		line[n++] = data[i++];
	}
	line[n] = '\0';
	if (n == 0 || line[0] != '/')
		return kerr_set(err, EINVAL, "%s: the #! line names no absolute interpreter", name);
	if (!ipc_initgen_path_ok(line))
		return kerr_set(err, EINVAL, "%s: the #! interpreter is not a clean path", name);
	d->kind = IPC_INITGEN_SCRIPT;
	return copy_str(name, "interpreter", d->interp, sizeof(d->interp), line, err);
}

static int add_needed(const char *name, struct ipc_initgen_deps *d, size_t *used, const char *lib,
		      struct kerr *err)
{
	size_t len = strlen(lib);

	if (!ipc_initgen_lib_name_ok(lib))
		return kerr_set(err, EINVAL, "%s: DT_NEEDED \"%s\" is not a plain library name", name, lib);
	if (*used + len + 1 > sizeof(d->needed))
		return kerr_set(err, E2BIG, "%s: its DT_NEEDED names exceed %zu bytes", name, sizeof(d->needed));
	memcpy(d->needed + *used, lib, len + 1);
	*used += len + 1;
	d->count++;
	return 0;
}

static int dynamic_deps(const char *name, Elf *e, Elf_Scn *scn, const GElf_Shdr *sh,
			struct ipc_initgen_deps *d, struct kerr *err)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t used = 0;
	GElf_Dyn dyn;

	if (!data || sh->sh_entsize == 0)
		return kerr_set(err, EINVAL, "%s: unreadable dynamic section", name);
	for (size_t i = 0; i < sh->sh_size / sh->sh_entsize && gelf_getdyn(data, (int)i, &dyn); i++) {
		const char *s;
		int r = 0;

		if (dyn.d_tag == DT_NULL)
			break;
		if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_RPATH && dyn.d_tag != DT_RUNPATH)
			continue;
		if (!(s = elf_strptr(e, sh->sh_link, dyn.d_un.d_val)))
			return kerr_set(err, EINVAL, "%s: a dynamic entry points outside its string table", name);
		if (dyn.d_tag == DT_NEEDED)
			r = add_needed(name, d, &used, s, err);
		else if (dyn.d_tag == DT_RPATH)
			r = copy_str(name, "DT_RPATH", d->rpath, sizeof(d->rpath), s, err);
		else
			r = copy_str(name, "DT_RUNPATH", d->runpath, sizeof(d->runpath), s, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int interp_of(const char *name, Elf *e, const char *data, size_t len,
		     struct ipc_initgen_deps *d, struct kerr *err)
{
	size_t nph;
	GElf_Phdr ph;

	if (elf_getphdrnum(e, &nph) < 0)
		return kerr_set(err, EINVAL, "%s: unreadable program headers", name);
	for (size_t i = 0; i < nph; i++) {
		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_INTERP)
			continue;
		if (ph.p_offset >= len || ph.p_filesz == 0 || ph.p_filesz > len - ph.p_offset ||
		    ph.p_filesz > sizeof(d->interp) || data[ph.p_offset + ph.p_filesz - 1] != '\0')
			return kerr_set(err, EINVAL, "%s: PT_INTERP lies outside the file or is unterminated", name);
		if (data[ph.p_offset] != '/' || !ipc_initgen_path_ok(data + ph.p_offset))
			return kerr_set(err, EINVAL, "%s: PT_INTERP is not a clean absolute path", name);
		memcpy(d->interp, data + ph.p_offset, ph.p_filesz);
	}
	return 0;
}

static int elf_file_deps(const char *name, Elf *e, const char *data, size_t len,
			 struct ipc_initgen_deps *d, struct kerr *err)
{
	GElf_Ehdr eh;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	if (!gelf_getehdr(e, &eh))
		return kerr_set(err, EINVAL, "%s: unreadable ELF header", name);
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64)
		return kerr_set(err, ENOEXEC, "%s: not an x86-64 ELF (class %u, machine %u)", name,
				eh.e_ident[EI_CLASS], eh.e_machine);
	if (eh.e_phoff > len || (uint64_t)eh.e_phnum * eh.e_phentsize > len - eh.e_phoff)
		return kerr_set(err, EINVAL, "%s: its program headers lie outside the file (truncated?)", name);
	if (eh.e_shoff > len || (uint64_t)eh.e_shnum * eh.e_shentsize > len - eh.e_shoff)
		return kerr_set(err, EINVAL, "%s: its section headers lie outside the file (truncated?)", name);
	if (eh.e_type == ET_NONE)
		return kerr_set(err, ENOEXEC, "%s: an ELF of no type (e_type 0)", name);
	d->kind = IPC_INITGEN_ELF_STATIC;
	d->elf_type = eh.e_type;
	if (interp_of(name, e, data, len, d, err) < 0)
		return -1;
	while ((scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC)
			continue;
		d->kind = IPC_INITGEN_ELF_DYNAMIC;
		return dynamic_deps(name, e, scn, &sh, d, err);
	}
	return 0;
}

int elf_deps_read(const char *name, char *data, size_t len, struct ipc_initgen_deps *deps,
		  struct kerr *err)
{
	const char *p = data;
	Elf *e;
	int r;

	memset(deps, 0, sizeof(*deps));
	if (len >= 2 && p[0] == '#' && p[1] == '!')
		return script_deps(name, p, len, deps, err);
	if (len < 4 || memcmp(p, ELFMAG, SELFMAG) != 0) {
		deps->kind = IPC_INITGEN_DATA;
		return 0;
	}
	if (elf_version(EV_CURRENT) == EV_NONE)
		return kerr_set(err, EIO, "libelf: %s", elf_errmsg(-1));
	if (!(e = elf_memory(data, len)))
		return kerr_set(err, EINVAL, "%s: libelf cannot read it: %s", name, elf_errmsg(-1));
	r = elf_file_deps(name, e, p, len, deps, err);
	elf_end(e);
	return r;
}
