/* TLV frame log; see frames.h. */
#include "vmm/frames.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc/tlv.h"
#include "vmm/json.h"

static bool reserve(struct frame_log *l, size_t more)
{
	size_t cap = l->cap ? l->cap : 65536;
	uint8_t *p;

	if (l->len + more > FRAMES_BYTES_MAX)
		return false;
	while (cap < l->len + more)
		cap *= 2;
	if (cap == l->cap)
		return true;
	p = realloc(l->data, cap);
	if (!p)
		return false;
	l->data = p;
	l->cap = cap;
	return true;
}

/* The frame this chunk belongs to: the open one of the same type, else a new one. */
static struct frame *open_frame(struct frame_log *l, const struct ipc_guest_frame *c)
{
	struct frame *f = l->n ? &l->frame[l->n - 1] : NULL;

	if (f && !f->complete && f->type == c->type)
		return f;
	if (!l->frame && !(l->frame = calloc(FRAMES_MAX, sizeof(*l->frame))))
		return NULL;
	if (l->n == FRAMES_MAX)
		return NULL;
	f = &l->frame[l->n++];
	*f = (struct frame){ .type = c->type, .crc_ok = true, .start = l->len };
	return f;
}

const struct frame *frame_log_take(struct frame_log *l, const struct ipc_guest_frame *c)
{
	struct frame *f = l->truncated ? NULL : open_frame(l, c);

	if (!f || !reserve(l, c->len)) {
		l->truncated = true;
		return NULL;
	}
	memcpy(l->data + l->len, c->data, c->len);
	l->len += c->len;
	f->len += c->len;
	if (c->flags & IPC_FRAME_CRC_BAD)
		f->crc_ok = false;
	if (!(c->flags & IPC_FRAME_LAST))
		return NULL;
	f->complete = true;
	return f;
}

const uint8_t *frame_log_data(const struct frame_log *l, const struct frame *f)
{
	return l->data + f->start;
}

/* The n-th complete PRAW frame's file; false when the path does not fit. */
static bool profraw_path(char *buf, size_t size, const char *dir, unsigned n)
{
	return (size_t)snprintf(buf, size, "%s/ktstr-%u.profraw", dir, n) < size;
}

void frame_log_write_json(FILE *out, const struct frame_log *l, const char *profraw_dir)
{
	unsigned praw = 0;

	fputs("  \"frames\": [", out);
	for (unsigned i = 0; i < l->n; i++) {
		const struct frame *f = &l->frame[i];

		fprintf(out, "%s\n    { \"type\": \"%s\", \"crc_ok\": %s, \"complete\": %s, \"bytes\": %zu, ",
			i ? "," : "", tlv_type_name(f->type), f->crc_ok ? "true" : "false",
			f->complete ? "true" : "false", f->len);
		if (f->type == TLV_PRAW) {
			char path[4096];

			if (profraw_dir && f->complete && profraw_path(path, sizeof(path), profraw_dir, praw++)) {
				fputs("\"file\": ", out);
				json_string(out, path, strlen(path));
				fputs(" }", out);
			} else {
				fputs("\"file\": null }", out);
			}
		} else {
			fputs("\"data\": ", out);
			json_string(out, (const char *)frame_log_data(l, f), f->len);
			fputs(" }", out);
		}
	}
	fprintf(out, "%s],\n  \"frames_truncated\": %s,\n", l->n ? "\n  " : "",
		l->truncated ? "true" : "false");
}

static int write_file(const char *path, const uint8_t *data, size_t len, struct kerr *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return kerr_errno(err, errno, "--profraw-dir: create %s", path);
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return kerr_errno(err, n < 0 ? errno : EIO, "--profraw-dir: write %s", path);
		}
		data += n;
		len -= (size_t)n;
	}
	return close(fd) < 0 ? kerr_errno(err, errno, "--profraw-dir: close %s", path) : 0;
}

int frame_log_write_profraw(const struct frame_log *l, const char *dir, struct kerr *err)
{
	unsigned praw = 0;

	for (unsigned i = 0; i < l->n; i++) {
		const struct frame *f = &l->frame[i];
		char path[4096];
		int r;

		if (f->type != TLV_PRAW || !f->complete)
			continue;
		if (!profraw_path(path, sizeof(path), dir, praw++))
			return kerr_set(err, ENAMETOOLONG, "--profraw-dir %s: path too long", dir);
		if ((r = write_file(path, frame_log_data(l, f), f->len, err)) < 0)
			return r;
	}
	return 0;
}

void frame_log_free(struct frame_log *l)
{
	free(l->frame);
	free(l->data);
	memset(l, 0, sizeof(*l));
}
