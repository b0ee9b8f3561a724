/* The host half of initgen: what goes into the archive, and where; see initgen.h. */
#include "initgen/initgen.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initgen/ldcache.h"
#include "initgen/libsearch.h"
#include "initgen/modules.h"

#define LDCACHE_PATH "/etc/ld.so.cache"
#define MAX_INCLUDE_DEPTH 32

static const char *const guest_modules[] = { "virtio_mmio", "virtio_blk", "virtio_net", "virtio_console" };

struct plan {
	const struct initgen_request *req;
	const struct initgen_ops *ops;
	struct cache_manifest *m;
	struct ldcache ldc;
	char **packed;             /* guest paths already in the archive */
	unsigned npacked, cap;
	struct libsearch_object program;   /* whose DT_RPATH libraries inherit */
	char program_path[PATH_MAX];
	char program_rpath[IPC_INITGEN_SEARCH_MAX], program_runpath[IPC_INITGEN_SEARCH_MAX];
	bool dynamic_seen;
};

static bool packed(const struct plan *p, const char *guest)
{
	for (unsigned i = 0; i < p->npacked; i++)
		if (strcmp(p->packed[i], guest) == 0)
			return true;
	return false;
}

static int mark_packed(struct plan *p, const char *guest, struct kerr *err)
{
	if (p->npacked == p->cap) {
		unsigned cap = p->cap ? 2 * p->cap : 64;
		char **n = realloc(p->packed, cap * sizeof(*n));

		if (!n)
			return kerr_errno(err, ENOMEM, "initramfs file list");
		p->packed = n, p->cap = cap;
	}
	if (!(p->packed[p->npacked] = strdup(guest)))
		return kerr_errno(err, ENOMEM, "initramfs file list");
	p->npacked++;
	return 0;
}

static int add_node(struct plan *p, unsigned node, const char *guest, uint32_t mode, const char *target,
		    int fd, struct kerr *err)
{
	struct ipc_initgen_add a = { .node = node, .mode = mode & 07777 };

	if (snprintf(a.path, sizeof(a.path), "%s", guest) >= (int)sizeof(a.path) ||
	    snprintf(a.target, sizeof(a.target), "%s", target ? target : "") >= (int)sizeof(a.target))
		return kerr_set(err, ENAMETOOLONG, "\"%s\": longer than %d bytes", guest, IPC_INITGEN_PATH_MAX - 1);
	if (!ipc_initgen_path_ok(a.path))
		return kerr_set(err, EINVAL, "\"%s\" cannot be a path in the initramfs", guest);
	if (mark_packed(p, guest, err) < 0)
		return -1;
	return p->ops->add(p->ops->opaque, &a, fd, err);
}

/* Bytes made here (argv, the module list) become a file through a memfd. */
static int add_generated(struct plan *p, const char *guest, const void *data, size_t len, struct kerr *err)
{
	int fd = memfd_create("ktstr-initgen", MFD_CLOEXEC), r;

	if (fd < 0)
		return kerr_errno(err, errno, "memfd_create");
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return kerr_errno(err, EIO, "writing %s", guest);
	}
	r = add_node(p, IPC_INITGEN_FILE, guest, 0644, NULL, fd, err);
	close(fd);
	return r;
}

/* Why a file is packed decides what it may be. The user's own files (the payload, the
 * scheduler, --include, the modules) are packed whatever they hold. What a packed program
 * names, its interpreter and the libraries found on its search paths, is untrusted input:
 * packed only when it is the x86-64 ELF it must be, as initgen reads it from the fd opened
 * here, so that a payload cannot have any other host file the user can read put into the
 * guest (a PT_INTERP or DT_RPATH pointing at a private file). */
enum pack_why {
	PACK_GIVEN,          /* the user's, not inspected */
	PACK_GIVEN_EXEC,     /* the user's executable --include file: inspected for its needs */
	PACK_PROGRAM,        /* the payload or the scheduler: inspected; its RPATH is inherited */
	PACK_ELF_INTERP,     /* a PT_INTERP: an ELF shared object */
	PACK_SCRIPT_INTERP,  /* a "#!" interpreter: an ELF executable or shared object */
	PACK_LIBRARY,        /* a DT_NEEDED library: an ELF shared object */
};

static int pack_file(struct plan *p, const char *host, const char *guest, enum pack_why why,
		     const char *by, struct kerr *err);

static int pack_libraries(struct plan *p, const char *host, const char *guest,
			  const struct ipc_initgen_deps *d, struct kerr *err)
{
	struct libsearch_object obj = { .path = guest, .rpath = d->rpath, .runpath = d->runpath };
	const char *name = d->needed;
	char lib[PATH_MAX];

	if (!p->dynamic_seen) {
		p->dynamic_seen = true;
		if (ldcache_load(&p->ldc, LDCACHE_PATH, err) < 0)
			return -1;
	}
	for (uint32_t i = 0; i < d->count; i++, name += strlen(name) + 1) {
		if (libsearch_find(&p->ldc, &obj, &p->program, name, lib, sizeof(lib), err) < 0 ||
		    pack_file(p, lib, lib, PACK_LIBRARY, host, err) < 0)
			return -1;
	}
	return 0;
}

static void remember_program(struct plan *p, const char *guest, const struct ipc_initgen_deps *d)
{
	snprintf(p->program_path, sizeof(p->program_path), "%s", guest);
	memcpy(p->program_rpath, d->rpath, sizeof(p->program_rpath));
	memcpy(p->program_runpath, d->runpath, sizeof(p->program_runpath));
	p->program.path = p->program_path;
	p->program.rpath = p->program_rpath;
	p->program.runpath = p->program_runpath;
}

/* What a packed file needs: its interpreter and its libraries, packed in turn. */
static int pack_needs(struct plan *p, const char *host, const char *guest,
		      const struct ipc_initgen_deps *d, struct kerr *err)
{
	if (d->interp[0]) {
		char interp[PATH_MAX];

		if (!libsearch_normalize(d->interp, interp, sizeof(interp)))
			return kerr_set(err, EINVAL, "%s: interpreter \"%s\" is not a clean path", host,
					d->interp);
		if (pack_file(p, d->interp, interp, d->kind == IPC_INITGEN_SCRIPT ? PACK_SCRIPT_INTERP :
			      PACK_ELF_INTERP, host, err) < 0)
			return -1;
	}
	return d->kind == IPC_INITGEN_ELF_DYNAMIC ? pack_libraries(p, host, guest, d, err) : 0;
}

static const char *kind_words(const struct ipc_initgen_deps *d)
{
	if (d->kind == IPC_INITGEN_DATA)
		return "not an ELF file";
	if (d->kind == IPC_INITGEN_SCRIPT)
		return "a script";
	return d->elf_type == ET_EXEC ? "an ELF executable" : d->elf_type == ET_REL ?
	       "an ELF object file" : d->elf_type == ET_CORE ? "an ELF core dump" : "an ELF of an odd type";
}

/* A dependency that is not what it must be is refused, naming who asked for it. */
static int check_dependency(enum pack_why why, const char *host, const char *by,
			    const struct ipc_initgen_deps *d, struct kerr *err)
{
	bool elf = d->kind == IPC_INITGEN_ELF_STATIC || d->kind == IPC_INITGEN_ELF_DYNAMIC;

	if (why < PACK_ELF_INTERP || (elf && d->elf_type == ET_DYN) ||
	    (why == PACK_SCRIPT_INTERP && elf && d->elf_type == ET_EXEC))
		return 0;
	return kerr_set(err, EPERM, "%s: its %s %s is %s, not an x86-64 ELF %s; refused (what a "
			"payload names is packed only if it is that)", by,
			why == PACK_LIBRARY ? "library" : "interpreter", host, kind_words(d),
			why == PACK_SCRIPT_INTERP ? "executable" : "shared object");
}

/* Inspected (by initgen, on this fd) before anything of it is packed. */
static int inspect_file(struct plan *p, const char *host, int fd, enum pack_why why, const char *by,
			struct ipc_initgen_deps **deps, struct kerr *err)
{
	*deps = NULL;
	if (why == PACK_GIVEN)
		return 0;
	if (!(*deps = malloc(sizeof(**deps))))
		return kerr_errno(err, ENOMEM, "%s", host);
	if (p->ops->inspect(p->ops->opaque, host, fd, *deps, err) < 0)
		return -1;
	return check_dependency(why, host, by, *deps, err);
}

static int pack_file(struct plan *p, const char *host, const char *guest, enum pack_why why,
		     const char *by, struct kerr *err)
{
	struct ipc_initgen_deps *d = NULL;
	struct stat st;
	int fd, r;

	if (packed(p, guest))
		return 0;
	/* O_NONBLOCK: a FIFO where a library was looked for must not stall the build. */
	if ((fd = open(host, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return why >= PACK_ELF_INTERP ? kerr_errno(err, errno, "%s needs %s", by, host)
		       : kerr_errno(err, errno, "%s", host);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		r = why >= PACK_ELF_INTERP ? kerr_set(err, EINVAL, "%s needs %s, which is not a regular "
						      "file", by, host)
		    : kerr_set(err, EINVAL, "%s is not a regular file", host);
	else
		r = inspect_file(p, host, fd, why, by, &d, err);
	if (r == 0 && why == PACK_PROGRAM && d)
		remember_program(p, guest, d);
	if (r == 0)
		r = cache_manifest_add(p->m, host, err);
	if (r == 0)
		r = add_node(p, IPC_INITGEN_FILE, guest, st.st_mode, NULL, fd, err);
	close(fd);
	if (r == 0 && d)
		r = pack_needs(p, host, guest, d, err);
	free(d);
	return r;
}

/* argv as NUL-separated strings: the program's guest path first. */
static int pack_argv(struct plan *p, const char *guest, const char *program, char *const *args,
		     struct kerr *err)
{
	size_t len = strlen(program) + 1, off;
	char *buf;
	int r;

	for (char *const *a = args; a && *a; a++)
		len += strlen(*a) + 1;
	if (!(buf = malloc(len)))
		return kerr_errno(err, ENOMEM, "%s", guest);
	off = (size_t)stpcpy(buf, program) - (size_t)buf + 1;
	for (char *const *a = args; a && *a; a++)
		off = (size_t)stpcpy(buf + off, *a) - (size_t)buf + 1;
	r = add_generated(p, guest, buf, len, err);
	free(buf);
	return r;
}

static int pack_include(struct plan *p, const char *host, const char *guest, int depth, struct kerr *err);

static int pack_dir(struct plan *p, const char *host, const char *guest, const struct stat *st, int depth,
		    struct kerr *err)
{
	struct dirent **names;
	int n, r;

	if (depth > MAX_INCLUDE_DEPTH)
		return kerr_set(err, ELOOP, "--include %s: nested more than %d deep", host, MAX_INCLUDE_DEPTH);
	if ((r = cache_manifest_add(p->m, host, err)) < 0 ||
	    (!packed(p, guest) && (r = add_node(p, IPC_INITGEN_DIR, guest, st->st_mode, NULL, -1, err)) < 0))
		return r;
	if ((n = scandir(host, &names, NULL, alphasort)) < 0)
		return kerr_errno(err, errno, "--include %s", host);
	for (int i = 0; i < n; i++) {
		const char *e = names[i]->d_name;

		if (r == 0 && strcmp(e, ".") != 0 && strcmp(e, "..") != 0) {
			char h[PATH_MAX], g[PATH_MAX];

			if (snprintf(h, sizeof(h), "%s/%s", host, e) >= (int)sizeof(h) ||
			    snprintf(g, sizeof(g), "%s/%s", strcmp(guest, "/") != 0 ? guest : "", e) >= (int)sizeof(g))
				r = kerr_set(err, ENAMETOOLONG, "--include %s/%s: path too long", host, e);
			else
				r = pack_include(p, h, g, depth + 1, err);
		}
		free(names[i]);
	}
	free(names);
	return r;
}

static enum pack_why exec_or_given(const struct stat *st)
{
	return st->st_mode & 0111 ? PACK_GIVEN_EXEC : PACK_GIVEN;
}

static int pack_include(struct plan *p, const char *host, const char *guest, int depth, struct kerr *err)
{
	struct stat st;
	char target[IPC_INITGEN_PATH_MAX];
	ssize_t n;

	if (lstat(host, &st) < 0)
		return kerr_errno(err, errno, "--include %s", host);
	if (S_ISDIR(st.st_mode))
		return pack_dir(p, host, guest, &st, depth, err);
	if (S_ISREG(st.st_mode))
		return pack_file(p, host, guest, exec_or_given(&st), NULL, err);
	if (!S_ISLNK(st.st_mode))
		return kerr_set(err, EINVAL, "--include %s: not a file, directory or symlink", host);
	if (depth == 0)   /* named on the command line: what it points to */
		return stat(host, &st) < 0 ? kerr_errno(err, errno, "--include %s", host)
		       : S_ISDIR(st.st_mode) ? pack_dir(p, host, guest, &st, depth, err)
		       : pack_file(p, host, guest, exec_or_given(&st), NULL, err);
	if ((n = readlink(host, target, sizeof(target) - 1)) < 0)
		return kerr_errno(err, errno, "--include %s", host);
	target[n] = '\0';
	return packed(p, guest) ? 0 : add_node(p, IPC_INITGEN_SYMLINK, guest, 0777, target, -1, err);
}

static int pack_modules(struct plan *p, struct kerr *err)
{
	const char *tree = p->req->modules_tree, *release = strrchr(tree, '/');
	struct module_list l;
	char list[MODULES_MAX * PATH_MAX / 8], dep[PATH_MAX];
	size_t off = 0;
	int r;

	release = release ? release + 1 : tree;
	if ((r = modules_resolve(tree, guest_modules, sizeof(guest_modules) / sizeof(guest_modules[0]), &l,
				 err)) < 0)
		return r;
	snprintf(dep, sizeof(dep), "%s/modules.dep", tree);
	r = cache_manifest_add(p->m, dep, err);
	for (unsigned i = 0; r == 0 && i < l.n; i++) {
		char host[PATH_MAX], guest[PATH_MAX];

		snprintf(host, sizeof(host), "%s/%s", tree, l.path[i]);
		if (snprintf(guest, sizeof(guest), "/lib/modules/%s/%s", release, l.path[i]) >= IPC_INITGEN_PATH_MAX ||
		    off + strlen(guest) + 2 > sizeof(list))
			r = kerr_set(err, ENAMETOOLONG, "module %s: path too long", l.path[i]);
		else if ((r = pack_file(p, host, guest, PACK_GIVEN, NULL, err)) == 0)
			off += (size_t)snprintf(list + off, sizeof(list) - off, "%s\n", guest);
	}
	if (r == 0)
		r = add_generated(p, KTSTR_ABI_MODULES_PATH, list, off, err);
	modules_free(&l);
	return r;
}

static int pack_scheduler(struct plan *p, struct kerr *err)
{
	const char *s = p->req->scheduler;

	if (pack_file(p, s, s, PACK_PROGRAM, NULL, err) < 0 || pack_argv(p, KTSTR_ABI_SCHED_ARGV_PATH, KTSTR_ABI_SCHEDULER_PATH,
								 p->req->sched_args, err) < 0)
		return -1;
	return add_node(p, IPC_INITGEN_SYMLINK, KTSTR_ABI_SCHEDULER_PATH, 0777, s, -1, err);
}

static int pack_all(struct plan *p, struct kerr *err)
{
	const struct initgen_request *req = p->req;
	int r = pack_file(p, req->init, KTSTR_ABI_INIT_PATH, PACK_GIVEN, NULL, err);

	if (r == 0 && req->payload)
		r = pack_file(p, req->payload[0], req->payload[0], PACK_PROGRAM, NULL, err);
	if (r == 0 && req->payload)
		r = pack_argv(p, KTSTR_ABI_ARGV_PATH, req->payload[0], req->payload + 1, err);
	if (r == 0 && req->scheduler)
		r = pack_scheduler(p, err);
	for (unsigned i = 0; r == 0 && i < req->nincludes; i++)
		r = pack_include(p, req->includes[i].host, req->includes[i].guest, 0, err);
	if (r == 0 && req->modules_tree)
		r = pack_modules(p, err);
	/* The loader's cache, for libraries found through it outside the default directories. */
	if (r == 0 && p->dynamic_seen && p->ldc.data)
		r = pack_file(p, LDCACHE_PATH, LDCACHE_PATH, PACK_GIVEN, NULL, err);
	return r;
}

int initgen_pack(const struct initgen_request *req, const struct initgen_ops *ops,
		 struct cache_manifest *m, struct kerr *err)
{
	struct plan p = { .req = req, .ops = ops, .m = m };
	int r;

	p.program.path = "/";
	r = pack_all(&p, err);
	for (unsigned i = 0; i < p.npacked; i++)
		free(p.packed[i]);
	free(p.packed);
	ldcache_free(&p.ldc);
	return r;
}

static void key_str(struct sha256 *s, const char *tag, const char *v)
{
	sha256_update(s, tag, strlen(tag) + 1);
	sha256_update(s, v ? v : "", v ? strlen(v) + 1 : 1);
}

void initgen_request_key(const struct initgen_request *req, char key[SHA256_HEX_LEN])
{
	struct sha256 s;
	uint8_t digest[SHA256_LEN];

	sha256_init(&s);
	key_str(&s, "ktstr-initgen", "1");
	key_str(&s, "init", req->init);
	for (char *const *a = req->payload; a && *a; a++)
		key_str(&s, "payload", *a);
	key_str(&s, "scheduler", req->scheduler);
	for (char *const *a = req->sched_args; a && *a; a++)
		key_str(&s, "sched-arg", *a);
	for (unsigned i = 0; i < req->nincludes; i++) {
		key_str(&s, "include-host", req->includes[i].host);
		key_str(&s, "include-guest", req->includes[i].guest);
	}
	key_str(&s, "modules", req->modules_tree);
	key_str(&s, "compress", req->gzip ? "gzip" : "none");
	sha256_final(&s, digest);
	sha256_hex(digest, key);
}
