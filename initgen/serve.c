/* The sandboxed initgen process: answers INSPECT with what a file needs and writes every
 * ADD into the archive. It opens nothing; it reads only the fds it is handed and writes
 * only the output fd of BEGIN. */
#include "initgen/initgen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "initgen/archive.h"
#include "initgen/elf_deps.h"

struct serve {
	struct ipc_channel *ch;
	struct archive ar;
	bool begun;
	bool finished;             /* FINISH came: nothing may be added any more */
	int out_fd;
};

/* The whole file in memory: ELF headers may point anywhere in it. */
static int read_all(int fd, const char *name, char **data, size_t *len, struct kerr *err)
{
	off_t size = lseek(fd, 0, SEEK_END);
	size_t off = 0;

	if (size < 0)
		return kerr_errno(err, errno, "sizing %s", name);
	if ((uint64_t)size > ELF_DEPS_MAX_FILE)
		return kerr_set(err, EFBIG, "%s: %lld bytes; executables over %u MiB are refused", name,
				(long long)size, ELF_DEPS_MAX_FILE >> 20);
	*len = (size_t)size;
	if (!(*data = malloc(*len ? *len : 1)))
		return kerr_errno(err, ENOMEM, "reading %s", name);
	while (off < *len) {
		ssize_t n = pread(fd, *data + off, *len - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(*data);
			*data = NULL;
			if (n < 0)
				kerr_errno(err, errno ? errno : EIO, "reading %s", name);
			else
				kerr_set(err, EIO, "%s shrank while it was read", name);
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

static int inspect(struct serve *s, const struct ipc_msg *m, struct kerr *err)
{
	struct ipc_initgen_deps deps;
	const char *name = m->body.initgen_inspect.name;
	char *data = NULL;
	size_t len = 0;
	int r;

	if (read_all(m->fds[0], name, &data, &len, err) < 0)
		return -1;
	r = elf_deps_read(name, data, len, &deps, err);
	free(data);
	return r < 0 ? r : ipc_send(s->ch, IPC_MSG_INITGEN_DEPS, &deps, NULL, err);
}

static int begin(struct serve *s, struct ipc_msg *m, struct kerr *err)
{
	if (s->begun)
		return kerr_set(err, EPROTO, "initgen: a second BEGIN");
	if (archive_open(&s->ar, m->fds[0], m->body.initgen_begin.compress == IPC_INITGEN_GZIP, err) < 0)
		return -1;
	s->out_fd = m->fds[0];
	m->nfds = 0;   /* kept: the archive writes into it until FINISH */
	s->begun = true;
	return 0;
}

static int add(struct serve *s, const struct ipc_msg *m, struct kerr *err)
{
	const struct ipc_initgen_add *a = &m->body.initgen_add;

	if (!s->begun || s->finished)
		return kerr_set(err, EPROTO, "initgen: %s outside BEGIN..FINISH", ipc_msg_name(m->type));
	switch (a->node) {
	case IPC_INITGEN_FILE: return archive_add_file(&s->ar, a->path, a->mode, m->fds[0], err);
	case IPC_INITGEN_DIR: return archive_add_dir(&s->ar, a->path, a->mode, err);
	default: return archive_add_symlink(&s->ar, a->path, a->target, err);
	}
}

static int finish(struct serve *s, struct kerr *err)
{
	struct ipc_initgen_done done = { 0 };

	if (!s->begun || s->finished)
		return kerr_set(err, EPROTO, "initgen: FINISH outside BEGIN..FINISH");
	s->finished = true;
	if (archive_finish(&s->ar, done.content, err) < 0)
		return -1;
	done.size = s->ar.out_len;
	done.entries = s->ar.entries;
	return ipc_send(s->ch, IPC_MSG_INITGEN_DONE, &done, NULL, err);
}

static int handle(struct serve *s, struct ipc_msg *m, bool *finished, struct kerr *err)
{
	switch (m->type) {
	case IPC_MSG_INITGEN_BEGIN: return begin(s, m, err);
	case IPC_MSG_INITGEN_INSPECT: return inspect(s, m, err);
	case IPC_MSG_INITGEN_ADD_FILE:
	case IPC_MSG_INITGEN_ADD_NODE: return add(s, m, err);
	case IPC_MSG_INITGEN_FINISH: return finish(s, err);
	case IPC_MSG_SHUTDOWN:
		*finished = true;
		return ipc_send(s->ch, IPC_MSG_DONE, &(struct ipc_empty){ 0 }, NULL, err);
	default:
		return kerr_set(err, EPROTO, "initgen: unexpected %s", ipc_msg_name(m->type));
	}
}

int initgen_serve(struct ipc_channel *ch, struct kerr *err)
{
	struct serve s = { .ch = ch, .out_fd = -1 };
	bool finished = false;
	int r = 0;

	while (r == 0 && !finished) {
		struct ipc_msg m;

		if ((r = ipc_recv(ch, &m, err)) < 0)
			break;
		r = handle(&s, &m, &finished, err);
		ipc_msg_close_fds(&m);
	}
	if (s.begun)
		archive_free(&s.ar);
	if (s.out_fd >= 0)
		close(s.out_fd);
	return r;
}
