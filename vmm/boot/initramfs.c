/* Finding or building the initramfs; see initramfs.h. */
#include "vmm/boot/initramfs.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "initgen/initgen.h"
#include "vmm/devhost/devhost.h"
#include "vmm/cli.h"

#define INITGEN_HELLO_MS  10000
#define INITGEN_REPLY_MS  120000   /* one INSPECT, or FINISH flushing a large archive */

/* The resolved request and the storage its strings live in. */
struct request {
	struct initgen_request req;
	char init[PATH_MAX], payload0[PATH_MAX], scheduler[PATH_MAX], modules[PATH_MAX];
	char **payload;
};

/* A program named without '/' is looked up in $PATH, as the shell would. */
static int resolve_program(const char *what, const char *name, char *out, struct kerr *err)
{
	const char *path = getenv("PATH");
	char cand[PATH_MAX];

	if (!name || !name[0])
		return kerr_set(err, EINVAL, "%s: an empty name", what);
	if (strchr(name, '/')) {
		if (!realpath(name, out))
			return kerr_errno(err, errno, "%s %s", what, name);
		return 0;
	}
	for (const char *p = path ? path : "/usr/bin:/bin"; *p; ) {
		const char *end = strchrnul(p, ':');

		snprintf(cand, sizeof(cand), "%.*s/%s", (int)(end - p), p, name);
		if (access(cand, X_OK) == 0 && realpath(cand, out))
			return 0;
		p = *end ? end + 1 : end;
	}
	return kerr_set(err, ENOENT, "%s %s: not found in $PATH", what, name);
}

/* --modules, else the tree scripts/fetch-kernel puts next to the kernel: DIR/modules/RELEASE
 * with RELEASE from DIR/release. No tree: no modules (the kernel must have its drivers). */
static int find_modules(const struct vmm_config *cfg, char *out, struct kerr *err)
{
	char kdir[PATH_MAX], rel[256] = "", dep[PATH_MAX * 2];
	FILE *f;

	if (cfg->modules) {
		if (!realpath(cfg->modules, out))
			return kerr_errno(err, errno, "--modules %s", cfg->modules);
		return 1;
	}
	snprintf(kdir, sizeof(kdir), "%s", cfg->kernel);
	snprintf(dep, sizeof(dep), "%s/release", dirname(kdir));
	if (!(f = fopen(dep, "re")))
		return 0;
	if (!fgets(rel, sizeof(rel), f))
		rel[0] = '\0';
	fclose(f);
	rel[strcspn(rel, "\n")] = '\0';
	snprintf(dep, sizeof(dep), "%s/modules/%s/modules.dep", kdir, rel);
	if (!rel[0] || strchr(rel, '/') || access(dep, R_OK) < 0)
		return 0;
	snprintf(dep, sizeof(dep), "%s/modules/%s", kdir, rel);
	return realpath(dep, out) ? 1 : 0;
}

static int build_request(const struct vmm_config *cfg, struct request *r, struct kerr *err)
{
	char self[PATH_MAX];
	int n;

	memset(r, 0, sizeof(*r));
	snprintf(self, sizeof(self), "%s", cfg->devproc_path);
	if (snprintf(r->init, sizeof(r->init), "%s/ktstr-init", dirname(self)) >= (int)sizeof(r->init))
		return kerr_set(err, ENAMETOOLONG, "path of ktstr-init too long");
	if (access(r->init, R_OK) < 0)
		return kerr_errno(err, errno, "%s (the guest init, built next to ktstr-vmm)", r->init);
	r->req.init = r->init;
	if (cfg->payload) {
		for (n = 0; cfg->payload[n]; n++)
			;
		if (resolve_program("payload", cfg->payload[0], r->payload0, err) < 0)
			return -1;
		if (!(r->payload = calloc((size_t)n + 1, sizeof(char *))))
			return kerr_errno(err, ENOMEM, "payload argv");
		r->payload[0] = r->payload0;
		memcpy(r->payload + 1, cfg->payload + 1, (size_t)(n - 1) * sizeof(char *));
		r->req.payload = r->payload;
	}
	if (cfg->scheduler) {
		if (resolve_program("--scheduler", cfg->scheduler, r->scheduler, err) < 0)
			return -1;
		r->req.scheduler = r->scheduler;
		r->req.sched_args = cfg->sched_args;
	}
	r->req.includes = cfg->includes;
	r->req.nincludes = cfg->n_includes;
	if ((n = find_modules(cfg, r->modules, err)) < 0)
		return -1;
	r->req.modules_tree = n ? r->modules : NULL;
	r->req.gzip = cfg->initramfs_gzip;
	return 0;
}

/* initgen_ops over the channel to the sandboxed initgen. */
static int send_or_report(struct devhost *d, enum ipc_msg_type type, const void *body, const int *fds,
			  struct kerr *err)
{
	struct ipc_msg m;

	if (devhost_send(d, type, body, fds, err) == 0)
		return 0;
	/* It probably stopped on an earlier request: its error says why. */
	if (devhost_expect(d, IPC_MSG_INITGEN_DONE, 1000, &m, err) == 0)
		ipc_msg_close_fds(&m);
	return -1;
}

static int op_inspect(void *opaque, const char *name, int fd, struct ipc_initgen_deps *deps, struct kerr *err)
{
	struct devhost *d = opaque;
	struct ipc_initgen_inspect q;
	struct ipc_msg m;

	snprintf(q.name, sizeof(q.name), "%s", name);
	if (send_or_report(d, IPC_MSG_INITGEN_INSPECT, &q, &fd, err) < 0 ||
	    devhost_expect(d, IPC_MSG_INITGEN_DEPS, INITGEN_REPLY_MS, &m, err) < 0)
		return -1;
	*deps = m.body.initgen_deps;
	return 0;
}

static int op_add(void *opaque, const struct ipc_initgen_add *a, int fd, struct kerr *err)
{
	struct devhost *d = opaque;

	if (a->node == IPC_INITGEN_FILE)
		return send_or_report(d, IPC_MSG_INITGEN_ADD_FILE, a, &fd, err);
	return send_or_report(d, IPC_MSG_INITGEN_ADD_NODE, a, NULL, err);
}

static void ignore_msg(void *opaque, const struct ipc_msg *m)
{
	(void)opaque, (void)m;
}

static int run_initgen(struct devhost *d, const struct request *r, int out_fd,
		       struct cache_manifest *m, struct ipc_initgen_done *done, struct kerr *err)
{
	struct ipc_initgen_begin begin = { .compress = r->req.gzip ? IPC_INITGEN_GZIP : IPC_INITGEN_RAW };
	struct initgen_ops ops = { .inspect = op_inspect, .add = op_add, .opaque = d };
	struct ipc_msg msg;

	if (devhost_send(d, IPC_MSG_INITGEN_BEGIN, &begin, &out_fd, err) < 0 ||
	    initgen_pack(&r->req, &ops, m, err) < 0 ||
	    send_or_report(d, IPC_MSG_INITGEN_FINISH, &(struct ipc_empty){ 0 }, NULL, err) < 0 ||
	    devhost_expect(d, IPC_MSG_INITGEN_DONE, INITGEN_REPLY_MS, &msg, err) < 0)
		return -1;
	*done = msg.body.initgen_done;
	return devhost_finish(d, 5000, ignore_msg, NULL, err);
}

static int spawn_initgen(const struct vmm_config *cfg, struct devhost *d, struct kerr *err)
{
	struct devhost_spawn sp;

	vmm_spawn_config(cfg, SANDBOX_ROLE_INITGEN, &sp);
	if (devhost_spawn(d, &sp, err) < 0 || devhost_wait_hello(d, INITGEN_HELLO_MS, err) < 0) {
		devhost_kill(d);
		return kerr_wrap(err, "initgen");
	}
	return 0;
}

/* initgen's DONE is a claim: the size the guest will be told is the file's own, as on a
 * cache hit (a size beyond the file would map pages that fault on access). */
static int check_archive_size(int fd, const struct ipc_initgen_done *done, struct kerr *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return kerr_errno(err, errno, "fstat of the archive");
	if ((uint64_t)st.st_size != done->size)
		return kerr_set(err, EPROTO, "initgen reported an archive of %llu bytes, but it wrote %lld",
				(unsigned long long)done->size, (long long)st.st_size);
	return 0;
}

/* Builds into out_fd; m lists the inputs, done says what was written. */
static int build(const struct vmm_config *cfg, const struct request *r, int out_fd, struct cache_manifest *m,
		 struct ipc_initgen_done *done, struct kerr *err)
{
	struct devhost d;
	int rc;

	if (spawn_initgen(cfg, &d, err) < 0)
		return -1;
	rc = run_initgen(&d, r, out_fd, m, done, err);
	if (rc < 0)
		devhost_kill(&d);
	if (rc == 0)
		rc = check_archive_size(out_fd, done, err);
	return rc < 0 ? kerr_wrap(err, "building the initramfs") : 0;
}

static void archive_name(const struct ipc_initgen_done *done, bool gzip, char *out, size_t size)
{
	struct sha256 s;
	uint8_t digest[SHA256_LEN];
	char hex[SHA256_HEX_LEN];

	sha256_init(&s);
	sha256_update(&s, gzip ? "gzip" : "none", 5);
	sha256_update(&s, done->content, sizeof(done->content));
	sha256_final(&s, digest);
	sha256_hex(digest, hex);
	snprintf(out, size, "%s.cpio%s", hex, gzip ? ".gz" : "");
}

/* No usable cache directory: build into a memfd, this run only. */
static int build_uncached(const struct vmm_config *cfg, const struct request *r, struct initramfs *out,
			  struct kerr *err)
{
	struct cache_manifest m = { 0 };
	struct ipc_initgen_done done = { 0 };
	int fd = memfd_create("ktstr-initramfs", MFD_CLOEXEC), rc;

	if (fd < 0)
		return kerr_errno(err, errno, "memfd_create");
	rc = build(cfg, r, fd, &m, &done, err);
	cache_manifest_free(&m);
	if (rc < 0) {
		close(fd);
		return -1;
	}
	out->fd = fd, out->size = done.size, out->files = done.entries;
	return 0;
}

static int build_cached(const struct vmm_config *cfg, const struct request *r, const char *dir,
			const char *key, struct initramfs *out, struct kerr *err)
{
	struct cache_manifest m = { 0 };
	struct ipc_initgen_done done = { 0 };
	char tmp[PATH_MAX];
	int fd = cache_tmp(dir, tmp, sizeof(tmp), err), rc;

	if (fd < 0)
		return -1;
	rc = build(cfg, r, fd, &m, &done, err);
	if (rc == 0) {
		archive_name(&done, r->req.gzip, m.archive, sizeof(m.archive));
		m.size = done.size;
		rc = cache_commit(dir, key, tmp, &m, err);
	}
	cache_manifest_free(&m);
	if (rc < 0) {
		unlink(tmp);
		close(fd);
		return -1;
	}
	out->fd = fd, out->size = done.size, out->files = done.entries;
	return 0;
}

static int from_cache(const struct vmm_config *cfg, const struct request *r, const char *dir,
		      struct initramfs *out, struct kerr *err)
{
	char key[SHA256_HEX_LEN], why[PATH_MAX + 64];
	int fd, lock, rc;

	initgen_request_key(&r->req, key);
	if ((fd = cache_lookup(dir, key, &out->size, why, sizeof(why))) >= 0)
		goto hit;
	if ((lock = cache_lock(dir, key, err)) < 0)
		return -1;
	/* Another ktstr-vmm may have built it while this one waited for the lock. */
	if ((fd = cache_lookup(dir, key, &out->size, why, sizeof(why))) >= 0) {
		close(lock);
		goto hit;
	}
	fprintf(stderr, "ktstr-vmm: building the initramfs (%s)\n", why);
	rc = build_cached(cfg, r, dir, key, out, err);
	close(lock);
	return rc;
hit:
	out->fd = fd;
	out->cache_hit = true;
	return 0;
}

int initramfs_prepare(const struct vmm_config *cfg, struct initramfs *out, struct kerr *err)
{
	struct timespec t0, t1;
	struct request r;
	char dir[PATH_MAX];
	struct kerr cache_err = { 0 };
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(out, 0, sizeof(*out));
	out->fd = -1;
	rc = build_request(cfg, &r, err);
	if (rc == 0 && cfg->initramfs_cache && cache_dir_init(dir, sizeof(dir), &cache_err) == 0)
		rc = from_cache(cfg, &r, dir, out, err);
	else if (rc == 0) {
		if (cfg->initramfs_cache)
			fprintf(stderr, "ktstr-vmm: warning: %s; building the initramfs without a cache\n",
				cache_err.msg);
		rc = build_uncached(cfg, &r, out, err);
	}
	free(r.payload);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out->ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	return rc;
}
