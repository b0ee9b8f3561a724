/* initgen/: the initramfs builder. The front door.
 *
 * Two halves. The host half (initgen_pack) decides what goes in: /init, the payload and
 * its arguments, /scheduler, --include files, every shared library they need (resolved
 * as glibc's loader would, see libsearch.h) and the guest kernel's virtio modules; it
 * opens each file and hands the fd over. The sandboxed half (initgen_serve, role
 * `initgen`) is the only one that reads file contents: it answers "what does this need"
 * (ELF with libelf, "#!" scripts) and writes the newc cpio, gzip'd with zlib or not, into
 * the one output fd it was given. The cache (cache.h) keeps the result per user. */
#ifndef KTSTR_INITGEN_H
#define KTSTR_INITGEN_H

#include <stdbool.h>

#include "initgen/cache.h"
#include "guest/abi.h"
#include "ipc/ipc.h"


struct initgen_include {
	const char *host;          /* a file or a directory (packed recursively) */
	const char *guest;         /* absolute guest path */
};

struct initgen_request {
	const char *init;          /* ktstr-init, packed as /init */
	char *const *payload;      /* argv; payload[0] a host path; NULL: none */
	const char *scheduler;     /* host path or NULL */
	char *const *sched_args;   /* NULL-terminated or NULL */
	const struct initgen_include *includes;
	unsigned nincludes;
	const char *modules_tree;  /* a module tree with modules.dep, or NULL */
	bool gzip;
};

/* What the sandboxed half does for initgen_pack (vmm implements it over ipc). */
struct initgen_ops {
	int (*inspect)(void *opaque, const char *name, int fd, struct ipc_initgen_deps *deps,
		       struct kerr *err);
	/* fd: the file for IPC_INITGEN_FILE, -1 otherwise; not consumed. */
	int (*add)(void *opaque, const struct ipc_initgen_add *add, int fd, struct kerr *err);
	void *opaque;
};

/* The request's cache key: SHA-256 (hex) of everything in it and the format version. */
void initgen_request_key(const struct initgen_request *req, char key[SHA256_HEX_LEN]);

/* Packs everything the request names through ops; m gets every input's identity. */
int initgen_pack(const struct initgen_request *req, const struct initgen_ops *ops,
		 struct cache_manifest *m, struct kerr *err);

/* The sandboxed process: serves BEGIN/INSPECT/ADD/FINISH on ch until SHUTDOWN (answered
 * with DONE). */
int initgen_serve(struct ipc_channel *ch, struct kerr *err);

#endif
