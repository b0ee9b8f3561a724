/* The message table and each message's validation, next to each other on purpose:
 * a new message is one row and one validator. */
#include "ipc/msg.h"
#include "ipc/tlv.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

struct msg_spec {
	const char *name;
	size_t body_size;
	unsigned nfds;
	int (*validate)(const union ipc_body *body, struct kerr *err);
	unsigned from;   /* IPC_PEER_BIT of every peer that may send it */
	unsigned to;     /* ... and of every peer that may receive it */
};

static int validate_hello(const union ipc_body *b, struct kerr *err)
{
	if (b->hello.role == 0 || b->hello.role > IPC_ROLE_MAX)
		return kerr_set(err, EPROTO, "hello: role %u out of range", b->hello.role);
	return 0;
}

static int validate_error(const union ipc_body *b, struct kerr *err)
{
	if (b->error.code <= 0 || b->error.code > 4095)
		return kerr_set(err, EPROTO, "error: code %d is not an errno", b->error.code);
	if (!memchr(b->error.text, '\0', sizeof(b->error.text)))
		return kerr_set(err, EPROTO, "error: text is not NUL-terminated");
	return 0;
}

static int validate_ring_attach(const union ipc_body *b, struct kerr *err)
{
	uint32_t cap = b->ring_attach.capacity;

	if (b->ring_attach.ring_id == 0 || b->ring_attach.ring_id >= IPC_RING_ID_END)
		return kerr_set(err, EPROTO, "ring attach: unknown ring %u", b->ring_attach.ring_id);
	if (cap < 64 || cap > (1u << 26) || (cap & (cap - 1)))
		return kerr_set(err, EPROTO, "ring attach: capacity %u is not a power of two in 64..64Mi", cap);
	return 0;
}

static int validate_empty(const union ipc_body *b, struct kerr *err)
{
	if (b->empty.reserved != 0)
		return kerr_set(err, EPROTO, "reserved field is %u, not 0", b->empty.reserved);
	return 0;
}

static int validate_guest_exit(const union ipc_body *b, struct kerr *err)
{
	if (b->guest_exit.status < 0 || b->guest_exit.status > IPC_EXIT_STATUS_MAX)
		return kerr_set(err, EPROTO, "guest exit: status %d out of 0..%d",
				b->guest_exit.status, IPC_EXIT_STATUS_MAX);
	return 0;
}

static int validate_guest_text(const union ipc_body *b, struct kerr *err)
{
	const struct ipc_guest_text *t = &b->guest_text;

	if (t->kind == 0 || t->kind >= IPC_TEXT_KIND_END)
		return kerr_set(err, EPROTO, "guest text: unknown kind %u", t->kind);
	if (t->flags & ~IPC_TEXT_LAST)
		return kerr_set(err, EPROTO, "guest text: unknown flags 0x%x", t->flags);
	if (t->len > sizeof(t->data))
		return kerr_set(err, EPROTO, "guest text: length %u exceeds %zu", t->len, sizeof(t->data));
	return 0;
}

static int validate_guest_milestone(const union ipc_body *b, struct kerr *err)
{
	uint32_t m = b->guest_milestone.milestone;

	if (m == 0 || m >= IPC_MILESTONE_END)
		return kerr_set(err, EPROTO, "guest milestone: unknown milestone %u", m);
	return 0;
}

static int validate_ram_region(const struct ipc_ram_region *r, unsigned i, struct kerr *err)
{
	if (r->size == 0 || (r->gpa | r->size | r->offset) % IPC_RAM_PAGE)
		return kerr_set(err, EPROTO, "guest RAM region %u: empty or not page aligned", i);
	if (r->gpa + r->size < r->gpa || r->offset + r->size < r->offset)
		return kerr_set(err, EPROTO, "guest RAM region %u: wraps around", i);
	return 0;
}

/* Regions ascend and are disjoint both in the guest's address space and in the memfd. */
static int validate_guest_ram(const union ipc_body *b, struct kerr *err)
{
	const struct ipc_guest_ram *g = &b->guest_ram;

	if (g->nregions == 0 || g->nregions > IPC_RAM_MAX_REGIONS || g->reserved)
		return kerr_set(err, EPROTO, "guest RAM: %u regions (1..%d) or reserved field set",
				g->nregions, IPC_RAM_MAX_REGIONS);
	for (unsigned i = 0; i < g->nregions; i++) {
		const struct ipc_ram_region *r = &g->regions[i];

		if (validate_ram_region(r, i, err) < 0)
			return -EPROTO;
		if (i > 0 && (r->gpa < g->regions[i - 1].gpa + g->regions[i - 1].size ||
			      r->offset < g->regions[i - 1].offset + g->regions[i - 1].size))
			return kerr_set(err, EPROTO, "guest RAM region %u overlaps or precedes region %u",
					i, i - 1);
	}
	return 0;
}

static bool power_of_two_upto(uint32_t v, uint32_t max)
{
	return v >= 1 && v <= max && !(v & (v - 1));
}

static int validate_blk_disk(const union ipc_body *b, struct kerr *err)
{
	const struct ipc_blk_disk *d = &b->blk_disk;

	if ((d->flags & ~IPC_BLK_READ_ONLY) || d->reserved)
		return kerr_set(err, EPROTO, "blk disk: unknown flags 0x%x or reserved field set", d->flags);
	if ((d->iops_burst && !d->iops) || (d->bps_burst && !d->bps))
		return kerr_set(err, EPROTO, "blk disk: a burst without a rate");
	for (unsigned i = 0, end = 0; i < sizeof(d->serial); i++) {
		unsigned char c = (unsigned char)d->serial[i];

		end |= c == 0;
		if (end ? c != 0 : (c < 0x20 || c >= 0x7f))
			return kerr_set(err, EPROTO, "blk disk: serial byte %u is 0x%02x: not printable, "
					"or after the end", i, c);
	}
	if (d->reserved2)
		return kerr_set(err, EPROTO, "blk disk: reserved field set");
	return 0;
}

static int validate_virtio_identity(const union ipc_body *b, struct kerr *err)
{
	const struct ipc_virtio_identity *id = &b->virtio_identity;

	if (id->device_id != IPC_VIRTIO_ID_NET && id->device_id != IPC_VIRTIO_ID_BLK &&
	    id->device_id != IPC_VIRTIO_ID_CONSOLE)
		return kerr_set(err, EPROTO, "virtio identity: device id %u is not served", id->device_id);
	if (id->num_queues == 0 || id->num_queues > IPC_VIRTIO_MAX_QUEUES)
		return kerr_set(err, EPROTO, "virtio identity: %u queues (1..%d)", id->num_queues,
				IPC_VIRTIO_MAX_QUEUES);
	if (!power_of_two_upto(id->queue_num_max, IPC_VIRTQ_MAX_SIZE))
		return kerr_set(err, EPROTO, "virtio identity: queue size %u is not a power of two "
				"in 1..%d", id->queue_num_max, IPC_VIRTQ_MAX_SIZE);
	if (id->features & ~IPC_VIRTIO_FEATURES_ALLOWED)
		return kerr_set(err, EPROTO, "virtio identity: features 0x%llx outside what the "
				"transport implements", (unsigned long long)id->features);
	if (id->config_len > IPC_VIRTIO_CONFIG_MAX || id->reserved)
		return kerr_set(err, EPROTO, "virtio identity: config of %u bytes (at most %d) or "
				"reserved field set", id->config_len, IPC_VIRTIO_CONFIG_MAX);
	return 0;
}

static int validate_virtio_kick(const union ipc_body *b, struct kerr *err)
{
	if (b->virtio_kick.queue >= IPC_VIRTIO_MAX_QUEUES || b->virtio_kick.reserved)
		return kerr_set(err, EPROTO, "virtio kick: queue %u (< %d) or reserved field set",
				b->virtio_kick.queue, IPC_VIRTIO_MAX_QUEUES);
	return 0;
}

static int validate_virtio_start(const union ipc_body *b, struct kerr *err)
{
	const struct ipc_virtio_start *s = &b->virtio_start;

	if (s->nqueues == 0 || s->nqueues > IPC_VIRTIO_MAX_QUEUES || s->reserved)
		return kerr_set(err, EPROTO, "virtio start: %u queues (1..%d) or reserved field set",
				s->nqueues, IPC_VIRTIO_MAX_QUEUES);
	if (s->features & ~IPC_VIRTIO_FEATURES_ALLOWED)
		return kerr_set(err, EPROTO, "virtio start: features 0x%llx outside the transport's",
				(unsigned long long)s->features);
	for (unsigned i = 0; i < s->nqueues; i++) {
		const struct ipc_virtq_setup *q = &s->queue[i];

		if (q->ready > 1)
			return kerr_set(err, EPROTO, "virtio start: queue %u ready is %u", i, q->ready);
		if (q->ready && !power_of_two_upto(q->size, IPC_VIRTQ_MAX_SIZE))
			return kerr_set(err, EPROTO, "virtio start: queue %u size %u is not a power "
					"of two in 1..%d", i, q->size, IPC_VIRTQ_MAX_SIZE);
	}
	return 0;
}

static int validate_device_stats(const union ipc_body *b, struct kerr *err)
{
	if (b->device_stats.role == 0 || b->device_stats.role > IPC_ROLE_MAX || b->device_stats.reserved)
		return kerr_set(err, EPROTO, "device stats: role %u out of range or reserved field set",
				b->device_stats.role);
	return 0;
}

static int validate_net_setup(const union ipc_body *b, struct kerr *err)
{
	const uint8_t *m = b->net_setup.mac;

	if ((m[0] & 1) || !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) || b->net_setup.reserved)
		return kerr_set(err, EPROTO, "net setup: MAC %02x:%02x:%02x:%02x:%02x:%02x is multicast "
				"or zero, or reserved field set", m[0], m[1], m[2], m[3], m[4], m[5]);
	return 0;
}

static int validate_console_setup(const union ipc_body *b, struct kerr *err)
{
	if ((b->console_setup.flags & ~IPC_CONSOLE_RELAY) || b->console_setup.reserved)
		return kerr_set(err, EPROTO, "console setup: unknown flags 0x%x or reserved field set",
				b->console_setup.flags);
	return 0;
}

static int validate_guest_frame(const union ipc_body *b, struct kerr *err)
{
	const struct ipc_guest_frame *f = &b->guest_frame;

	if (!tlv_type_known(f->type))
		return kerr_set(err, EPROTO, "guest frame: unknown type 0x%08x", f->type);
	if ((f->flags & ~(IPC_FRAME_LAST | IPC_FRAME_CRC_BAD)) || f->reserved)
		return kerr_set(err, EPROTO, "guest frame: unknown flags 0x%x or reserved field set",
				f->flags);
	if (f->len > sizeof(f->data))
		return kerr_set(err, EPROTO, "guest frame: length %u exceeds %zu", f->len, sizeof(f->data));
	return 0;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

bool ipc_initgen_path_ok(const char *path)
{
	const char *p = path[0] == '/' ? path + 1 : path;
	size_t len = strnlen(path, IPC_INITGEN_PATH_MAX);

	if (len == 0 || len >= IPC_INITGEN_PATH_MAX || !printable(path) || !*p)
		return false;
	for (;;) {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!*end)
			return true;
		p = end + 1;
	}
}

bool ipc_initgen_lib_name_ok(const char *name)
{
	return name[0] && !strchr(name, '/') && printable(name);
}

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static int validate_initgen_begin(const union ipc_body *b, struct kerr *err)
{
	if (b->initgen_begin.compress == 0 || b->initgen_begin.compress >= IPC_INITGEN_COMPRESS_END)
		return kerr_set(err, EPROTO, "initgen begin: unknown compression %u", b->initgen_begin.compress);
	if (b->initgen_begin.reserved)
		return kerr_set(err, EPROTO, "initgen begin: reserved field is not 0");
	return 0;
}

static int validate_initgen_inspect(const union ipc_body *b, struct kerr *err)
{
	if (!terminated(b->initgen_inspect.name, sizeof(b->initgen_inspect.name)))
		return kerr_set(err, EPROTO, "initgen inspect: name is not NUL-terminated");
	return 0;
}

static int validate_needed(const struct ipc_initgen_deps *d, struct kerr *err)
{
	size_t off = 0;

	for (uint32_t i = 0; i < d->count; i++) {
		const char *name = d->needed + off;

		if (off >= sizeof(d->needed) || !terminated(name, sizeof(d->needed) - off))
			return kerr_set(err, EPROTO, "initgen deps: needed name %u runs past the list", i);
		if (!ipc_initgen_lib_name_ok(name))
			return kerr_set(err, EPROTO, "initgen deps: needed name %u is not a plain name", i);
		off += strlen(name) + 1;
	}
	return 0;
}

static int validate_initgen_deps(const union ipc_body *b, struct kerr *err)
{
	const struct ipc_initgen_deps *d = &b->initgen_deps;

	bool elf = d->kind == IPC_INITGEN_ELF_STATIC || d->kind == IPC_INITGEN_ELF_DYNAMIC;

	if (d->kind == 0 || d->kind >= IPC_INITGEN_KIND_END)
		return kerr_set(err, EPROTO, "initgen deps: unknown kind %u", d->kind);
	if (elf != (d->elf_type != 0) || d->elf_type > 0xffff || d->reserved)
		return kerr_set(err, EPROTO, "initgen deps: ELF type %u for kind %u", d->elf_type, d->kind);
	if (!terminated(d->interp, sizeof(d->interp)) || !terminated(d->rpath, sizeof(d->rpath)) ||
	    !terminated(d->runpath, sizeof(d->runpath)))
		return kerr_set(err, EPROTO, "initgen deps: a string is not NUL-terminated");
	if (d->interp[0] && (d->interp[0] != '/' || !ipc_initgen_path_ok(d->interp)))
		return kerr_set(err, EPROTO, "initgen deps: interpreter \"%s\" is not a clean absolute path",
				d->interp);
	if (!printable(d->rpath) || !printable(d->runpath))
		return kerr_set(err, EPROTO, "initgen deps: a search path is not printable");
	if (d->kind != IPC_INITGEN_ELF_DYNAMIC && (d->count || d->rpath[0] || d->runpath[0]))
		return kerr_set(err, EPROTO, "initgen deps: libraries for a non-dynamic file");
	return validate_needed(d, err);
}

static int validate_initgen_add(const struct ipc_initgen_add *a, struct kerr *err)
{
	if (!terminated(a->path, sizeof(a->path)) || !terminated(a->target, sizeof(a->target)))
		return kerr_set(err, EPROTO, "initgen add: a string is not NUL-terminated");
	if (!ipc_initgen_path_ok(a->path))
		return kerr_set(err, EPROTO, "initgen add: \"%s\" cannot name an archive entry", a->path);
	if (a->mode & ~07777u)
		return kerr_set(err, EPROTO, "initgen add: mode 0%o has more than permission bits", a->mode);
	if ((a->node == IPC_INITGEN_SYMLINK) != (a->target[0] != '\0') || !printable(a->target))
		return kerr_set(err, EPROTO, "initgen add: a target only, and always, for a symlink");
	return 0;
}

static int validate_initgen_add_file(const union ipc_body *b, struct kerr *err)
{
	if (b->initgen_add.node != IPC_INITGEN_FILE)
		return kerr_set(err, EPROTO, "initgen add-file: node %u is not a file", b->initgen_add.node);
	return validate_initgen_add(&b->initgen_add, err);
}

static int validate_initgen_add_node(const union ipc_body *b, struct kerr *err)
{
	if (b->initgen_add.node != IPC_INITGEN_DIR && b->initgen_add.node != IPC_INITGEN_SYMLINK)
		return kerr_set(err, EPROTO, "initgen add-node: node %u is not a directory or symlink",
				b->initgen_add.node);
	return validate_initgen_add(&b->initgen_add, err);
}

static int validate_initgen_done(const union ipc_body *b, struct kerr *err)
{
	if (b->initgen_done.entries == 0)
		return kerr_set(err, EPROTO, "initgen done: an archive without even a trailer");
	if (b->initgen_done.reserved)
		return kerr_set(err, EPROTO, "initgen done: reserved field is not 0");
	return 0;
}

#define VMM     IPC_PEER_BIT(IPC_PEER_VMM)
#define BLK     IPC_PEER_BIT(IPC_PEER_BLK)
#define NET     IPC_PEER_BIT(IPC_PEER_NET)
#define CONSOLE IPC_PEER_BIT(IPC_PEER_CONSOLE)
#define SERIAL  IPC_PEER_BIT(IPC_PEER_SERIAL)
#define INITGEN IPC_PEER_BIT(IPC_PEER_INITGEN)
#define VIRTIO  (BLK | NET | CONSOLE)
#define HELPERS (VIRTIO | SERIAL | INITGEN)

/* name, body, fds, validator, who sends it, who receives it */
static const struct msg_spec msg_specs[IPC_MSG_TYPE_END] = {
	[IPC_MSG_HELLO] = { "hello", sizeof(struct ipc_hello), 0, validate_hello, HELPERS, VMM },
	[IPC_MSG_ERROR] = { "error", sizeof(struct ipc_error), 0, validate_error, HELPERS, VMM },
	[IPC_MSG_RING_ATTACH] = { "ring-attach", sizeof(struct ipc_ring_attach), 3, validate_ring_attach,
				  VMM, SERIAL },
	[IPC_MSG_SHUTDOWN] = { "shutdown", sizeof(struct ipc_empty), 0, validate_empty, VMM, HELPERS },
	[IPC_MSG_DONE] = { "done", sizeof(struct ipc_empty), 0, validate_empty, HELPERS, VMM },
	[IPC_MSG_GUEST_EXIT] = { "guest-exit", sizeof(struct ipc_guest_exit), 0, validate_guest_exit,
				 SERIAL, VMM },
	[IPC_MSG_GUEST_TEXT] = { "guest-text", sizeof(struct ipc_guest_text), 0, validate_guest_text,
				 SERIAL, VMM },
	[IPC_MSG_GUEST_MILESTONE] = { "guest-milestone", sizeof(struct ipc_guest_milestone), 0,
				      validate_guest_milestone, SERIAL, VMM },
	[IPC_MSG_GUEST_RAM] = { "guest-ram", sizeof(struct ipc_guest_ram), 1, validate_guest_ram,
				VMM, VIRTIO },
	[IPC_MSG_BLK_DISK] = { "blk-disk", sizeof(struct ipc_blk_disk), 1, validate_blk_disk, VMM, BLK },
	[IPC_MSG_VIRTIO_IDENTITY] = { "virtio-identity", sizeof(struct ipc_virtio_identity), 0,
				      validate_virtio_identity, VIRTIO, VMM },
	[IPC_MSG_VIRTIO_IRQ] = { "virtio-irq", sizeof(struct ipc_empty), 2, validate_empty, VMM, VIRTIO },
	[IPC_MSG_VIRTIO_KICK] = { "virtio-kick", sizeof(struct ipc_virtio_kick), 1, validate_virtio_kick,
				  VMM, VIRTIO },
	[IPC_MSG_VIRTIO_START] = { "virtio-start", sizeof(struct ipc_virtio_start), 0,
				   validate_virtio_start, VMM, VIRTIO },
	[IPC_MSG_VIRTIO_RESET] = { "virtio-reset", sizeof(struct ipc_empty), 0, validate_empty,
				   VMM, VIRTIO },
	[IPC_MSG_DEVICE_STATS] = { "device-stats", sizeof(struct ipc_device_stats), 0,
				   validate_device_stats, VIRTIO, VMM },
	[IPC_MSG_NET_SETUP] = { "net-setup", sizeof(struct ipc_net_setup), 0, validate_net_setup,
				VMM, NET },
	[IPC_MSG_CONSOLE_SETUP] = { "console-setup", sizeof(struct ipc_console_setup), 0,
				    validate_console_setup, VMM, CONSOLE },
	[IPC_MSG_CONSOLE_RELAY] = { "console-relay", sizeof(struct ipc_empty), 1, validate_empty,
				    VMM, CONSOLE },
	[IPC_MSG_GUEST_FRAME] = { "guest-frame", sizeof(struct ipc_guest_frame), 0, validate_guest_frame,
				  CONSOLE, VMM },
	[IPC_MSG_INITGEN_BEGIN] = { "initgen-begin", sizeof(struct ipc_initgen_begin), 1,
				    validate_initgen_begin, VMM, INITGEN },
	[IPC_MSG_INITGEN_INSPECT] = { "initgen-inspect", sizeof(struct ipc_initgen_inspect), 1,
				      validate_initgen_inspect, VMM, INITGEN },
	[IPC_MSG_INITGEN_DEPS] = { "initgen-deps", sizeof(struct ipc_initgen_deps), 0,
				   validate_initgen_deps, INITGEN, VMM },
	[IPC_MSG_INITGEN_ADD_FILE] = { "initgen-add-file", sizeof(struct ipc_initgen_add), 1,
				       validate_initgen_add_file, VMM, INITGEN },
	[IPC_MSG_INITGEN_ADD_NODE] = { "initgen-add-node", sizeof(struct ipc_initgen_add), 0,
				       validate_initgen_add_node, VMM, INITGEN },
	[IPC_MSG_INITGEN_FINISH] = { "initgen-finish", sizeof(struct ipc_empty), 0, validate_empty,
				     VMM, INITGEN },
	[IPC_MSG_INITGEN_DONE] = { "initgen-done", sizeof(struct ipc_initgen_done), 0,
				   validate_initgen_done, INITGEN, VMM },
};

static const struct msg_spec *msg_spec_of(unsigned type)
{
	if (type == 0 || type >= IPC_MSG_TYPE_END)
		return NULL;
	return &msg_specs[type];
}

size_t ipc_msg_body_size(unsigned type)
{
	const struct msg_spec *s = msg_spec_of(type);

	return s ? s->body_size : 0;
}

unsigned ipc_msg_fd_count(unsigned type)
{
	const struct msg_spec *s = msg_spec_of(type);

	return s ? s->nfds : 0;
}

bool ipc_msg_route_ok(unsigned type, enum ipc_peer from, enum ipc_peer to)
{
	const struct msg_spec *s = msg_spec_of(type);

	if (!s || (unsigned)from >= IPC_PEER_END || (unsigned)to >= IPC_PEER_END)
		return false;
	return (s->from & IPC_PEER_BIT(from)) && (s->to & IPC_PEER_BIT(to));
}

unsigned ipc_msg_senders(unsigned type)
{
	const struct msg_spec *s = msg_spec_of(type);

	return s ? s->from : 0;
}

unsigned ipc_msg_receivers(unsigned type)
{
	const struct msg_spec *s = msg_spec_of(type);

	return s ? s->to : 0;
}

const char *ipc_msg_name(unsigned type)
{
	const struct msg_spec *s = msg_spec_of(type);

	return s && s->name ? s->name : "unknown";
}

static void close_all(const int *fds, unsigned nfds)
{
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
}

static int check_header(const struct ipc_hdr *h, size_t len, unsigned nfds, struct kerr *err)
{
	const struct msg_spec *s;

	if (h->magic != IPC_MAGIC)
		return kerr_set(err, EPROTO, "bad magic 0x%08x", h->magic);
	if (h->version != IPC_VERSION)
		return kerr_set(err, EPROTO, "version %u, expected %u", h->version, IPC_VERSION);
	s = msg_spec_of(h->type);
	if (!s || !s->name)
		return kerr_set(err, EPROTO, "unknown message type %u", h->type);
	/* A row someone added without its validator accepts nothing, rather than anything. */
	if (!s->validate || s->body_size == 0)
		return kerr_set(err, EPROTO, "%s: the message table has no validator for it", s->name);
	if (h->body_len != s->body_size || len - sizeof(*h) != s->body_size)
		return kerr_set(err, EPROTO, "%s: body of %zu bytes (header says %u), expected %zu",
				s->name, len - sizeof(*h), h->body_len, s->body_size);
	if (h->nfds != s->nfds || nfds != s->nfds)
		return kerr_set(err, EPROTO, "%s: %u fds received (header says %u), expected %u",
				s->name, nfds, h->nfds, s->nfds);
	return 0;
}

int ipc_msg_decode(const void *buf, size_t len, const int *fds, unsigned nfds,
		   struct ipc_msg *out, struct kerr *err)
{
	struct ipc_hdr h;
	int r;

	memset(out, 0, sizeof(*out));
	if (nfds > IPC_MAX_FDS) {
		close_all(fds, nfds);
		return kerr_set(err, EPROTO, "%u fds received, at most %d allowed", nfds, IPC_MAX_FDS);
	}
	if (len < sizeof(h)) {
		close_all(fds, nfds);
		return kerr_set(err, EPROTO, "message of %zu bytes is shorter than its header", len);
	}
	memcpy(&h, buf, sizeof(h));
	r = check_header(&h, len, nfds, err);
	if (r == 0) {
		memcpy(&out->body, (const char *)buf + sizeof(h), h.body_len);
		r = msg_specs[h.type].validate(&out->body, err);
	}
	if (r < 0) {
		close_all(fds, nfds);
		memset(out, 0, sizeof(*out));
		return r;
	}
	out->type = h.type;
	out->nfds = nfds;
	memcpy(out->fds, fds, nfds * sizeof(int));
	return 0;
}

void ipc_msg_close_fds(struct ipc_msg *msg)
{
	close_all(msg->fds, msg->nfds);
	msg->nfds = 0;
}
