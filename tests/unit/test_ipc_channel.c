/* The ipc channel over a real SOCK_SEQPACKET pair: round trips with fds, and every kind of
 * malformed message rejected with the fds that came with it closed (no leaks). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "ipc/ipc.h"
#include "ipc/tlv.h"

struct pair {
	struct ipc_channel a, b;
};

static int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* a is `from`, b is `to`. */
static void pair_open_between(struct pair *p, enum ipc_peer from, enum ipc_peer to)
{
	int fds[2];
	struct kerr err;

	assert_int_equal(ipc_channel_pair(fds, &err), 0);
	ipc_channel_init(&p->a, fds[0], from, to);
	ipc_channel_init(&p->b, fds[1], to, from);
}

/* vmm and the serial device, whose messages most tests use. */
static void pair_open(struct pair *p)
{
	pair_open_between(p, IPC_PEER_VMM, IPC_PEER_SERIAL);
}

static enum ipc_peer first_peer(unsigned mask)
{
	for (unsigned i = 0; i < IPC_PEER_END; i++)
		if (mask & IPC_PEER_BIT(i))
			return (enum ipc_peer)i;
	return IPC_PEER_VMM;
}

/* a is a peer that may send this type, b one that may receive it. */
static void pair_open_for(struct pair *p, unsigned type)
{
	if (!ipc_msg_senders(type)) {
		pair_open(p);
		return;
	}
	pair_open_between(p, first_peer(ipc_msg_senders(type)), first_peer(ipc_msg_receivers(type)));
}

static void pair_close(struct pair *p)
{
	ipc_channel_close(&p->a);
	ipc_channel_close(&p->b);
}

static void send_raw(int sock, const void *buf, size_t len, const int *fds, unsigned nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 16)];
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	assert_int_equal(sendmsg(sock, &mh, 0), (ssize_t)len);
}

static void build_raw(char *buf, unsigned type, uint32_t body_len, uint32_t nfds)
{
	struct ipc_hdr h = { .magic = IPC_MAGIC, .version = IPC_VERSION, .type = (uint16_t)type,
			     .body_len = body_len, .nfds = nfds };

	memcpy(buf, &h, sizeof(h));
}

static void test_round_trip_with_fds(void **state)
{
	struct ipc_ring_attach ra = { .ring_id = IPC_RING_COM2_TX, .capacity = 4096 };
	struct ipc_guest_exit ge = { .status = 42 };
	struct pair p;
	struct ipc_msg m;
	struct kerr err;
	int fds[3], before;
	struct stat a, b;

	(void)state;
	before = count_open_fds();
	pair_open(&p);
	for (int i = 0; i < 3; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
	assert_int_equal(ipc_send(&p.a, IPC_MSG_RING_ATTACH, &ra, fds, &err), 0);
	assert_int_equal(ipc_recv(&p.b, &m, &err), 0);
	assert_int_equal(m.type, IPC_MSG_RING_ATTACH);
	assert_int_equal(m.body.ring_attach.ring_id, IPC_RING_COM2_TX);
	assert_int_equal(m.nfds, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(fstat(fds[i], &a), 0);
		assert_int_equal(fstat(m.fds[i], &b), 0);
		assert_int_equal(a.st_ino, b.st_ino);  /* the same open files arrived */
		assert_true(fcntl(m.fds[i], F_GETFD) & FD_CLOEXEC);
		close(fds[i]);
	}
	ipc_msg_close_fds(&m);
	assert_int_equal(ipc_send(&p.b, IPC_MSG_GUEST_EXIT, &ge, NULL, &err), 0);
	assert_int_equal(ipc_recv(&p.a, &m, &err), 0);
	assert_int_equal(m.type, IPC_MSG_GUEST_EXIT);
	assert_int_equal(m.body.guest_exit.status, 42);
	pair_close(&p);
	assert_int_equal(count_open_fds(), before);
}

/* Sends a raw datagram, expects it rejected, the channel dead and no fd leaked. */
static void expect_rejected(const void *buf, size_t len, unsigned nfds, const char *why)
{
	struct pair p;
	struct ipc_msg m;
	struct kerr err = { 0 };
	int fds[16], before;
	struct ipc_hdr h = { 0 };

	memcpy(&h, buf, len < sizeof(h) ? len : sizeof(h));
	pair_open_for(&p, h.type);
	for (unsigned i = 0; i < nfds; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
	before = count_open_fds();
	send_raw(p.a.fd, buf, len, fds, nfds);
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	assert_int_equal(ipc_recv(&p.b, &m, &err), -EPROTO);
	assert_non_null(strstr(err.msg, why));
	assert_true(p.b.dead);
	assert_int_equal(count_open_fds(), before - (int)nfds);
	assert_int_equal(ipc_recv(&p.b, &m, &err), -EPIPE);  /* the channel stays dead */
	pair_close(&p);
}

static void test_truncated(void **state)
{
	char buf[64] = { 0 };

	(void)state;
	build_raw(buf, IPC_MSG_GUEST_EXIT, sizeof(struct ipc_guest_exit), 0);
	expect_rejected(buf, 6, 0, "shorter than its header");
	expect_rejected(buf, sizeof(struct ipc_hdr) + 2, 0, "body of 2 bytes");
}

static void test_oversized(void **state)
{
	static char buf[sizeof(struct ipc_hdr) + sizeof(union ipc_body) + 4096];

	(void)state;
	build_raw(buf, IPC_MSG_GUEST_EXIT, sizeof(struct ipc_guest_exit), 0);
	expect_rejected(buf, sizeof(struct ipc_hdr) + sizeof(struct ipc_guest_exit) + 1, 0, "body of");
	expect_rejected(buf, sizeof(buf), 0, "longer than any message");
}

static void test_wrong_type_version_magic(void **state)
{
	char buf[sizeof(struct ipc_hdr) + sizeof(struct ipc_guest_exit)] = { 0 };
	struct ipc_hdr *h = (struct ipc_hdr *)buf;

	(void)state;
	build_raw(buf, 999, sizeof(struct ipc_guest_exit), 0);
	expect_rejected(buf, sizeof(buf), 0, "unknown message type 999");
	build_raw(buf, 0, sizeof(struct ipc_guest_exit), 0);
	expect_rejected(buf, sizeof(buf), 0, "unknown message type 0");
	build_raw(buf, IPC_MSG_GUEST_EXIT, sizeof(struct ipc_guest_exit), 0);
	h->version = IPC_VERSION + 1;
	expect_rejected(buf, sizeof(buf), 0, "version");
	build_raw(buf, IPC_MSG_GUEST_EXIT, sizeof(struct ipc_guest_exit), 0);
	h->magic = 0xdeadbeef;
	expect_rejected(buf, sizeof(buf), 0, "magic");
}

static void test_wrong_fd_count(void **state)
{
	char buf[sizeof(struct ipc_hdr) + sizeof(struct ipc_ring_attach)] = { 0 };
	struct ipc_ring_attach ra = { .ring_id = IPC_RING_COM1_TX, .capacity = 4096 };

	(void)state;
	memcpy(buf + sizeof(struct ipc_hdr), &ra, sizeof(ra));
	build_raw(buf, IPC_MSG_RING_ATTACH, sizeof(ra), 3);
	expect_rejected(buf, sizeof(buf), 2, "2 fds received");
	expect_rejected(buf, sizeof(buf), 4, "4 fds received");
	build_raw(buf, IPC_MSG_RING_ATTACH, sizeof(ra), 2);  /* header lies, count matches table */
	expect_rejected(buf, sizeof(buf), 3, "header says 2");
	/* more than the receiver makes room for */
	expect_rejected(buf, sizeof(buf), 12, "more fds or control data than any message carries");
}

static void test_fds_on_a_message_without_fds(void **state)
{
	char buf[sizeof(struct ipc_hdr) + sizeof(struct ipc_guest_exit)] = { 0 };

	(void)state;
	build_raw(buf, IPC_MSG_GUEST_EXIT, sizeof(struct ipc_guest_exit), 0);
	expect_rejected(buf, sizeof(buf), 1, "1 fds received");
}

static void test_invalid_bodies(void **state)
{
	char buf[sizeof(struct ipc_hdr) + sizeof(union ipc_body)] = { 0 };
	struct ipc_guest_exit ge = { .status = 256 };
	struct ipc_guest_text gt = { .kind = IPC_TEXT_RESULT, .len = IPC_TEXT_CHUNK + 1 };
	struct ipc_error e = { .code = 5 };

	(void)state;
	build_raw(buf, IPC_MSG_GUEST_EXIT, sizeof(ge), 0);
	memcpy(buf + sizeof(struct ipc_hdr), &ge, sizeof(ge));
	expect_rejected(buf, sizeof(struct ipc_hdr) + sizeof(ge), 0, "status 256");
	build_raw(buf, IPC_MSG_GUEST_TEXT, sizeof(gt), 0);
	memcpy(buf + sizeof(struct ipc_hdr), &gt, sizeof(gt));
	expect_rejected(buf, sizeof(struct ipc_hdr) + sizeof(gt), 0, "exceeds");
	memset(e.text, 'A', sizeof(e.text));
	build_raw(buf, IPC_MSG_ERROR, sizeof(e), 0);
	memcpy(buf + sizeof(struct ipc_hdr), &e, sizeof(e));
	expect_rejected(buf, sizeof(struct ipc_hdr) + sizeof(e), 0, "NUL-terminated");
	for (uint32_t bad = 0; bad <= IPC_MILESTONE_END; bad += IPC_MILESTONE_END) {
		struct ipc_guest_milestone gm = { .milestone = bad };

		build_raw(buf, IPC_MSG_GUEST_MILESTONE, sizeof(gm), 0);
		memcpy(buf + sizeof(struct ipc_hdr), &gm, sizeof(gm));
		expect_rejected(buf, sizeof(struct ipc_hdr) + sizeof(gm), 0, "unknown milestone");
	}
}

/* Guest RAM layouts: 1..2 page-aligned regions, ascending and disjoint in both spaces. */
static void expect_ram_rejected(const struct ipc_guest_ram *g, const char *why)
{
	char buf[sizeof(struct ipc_hdr) + sizeof(union ipc_body)] = { 0 };

	build_raw(buf, IPC_MSG_GUEST_RAM, sizeof(*g), 1);
	memcpy(buf + sizeof(struct ipc_hdr), g, sizeof(*g));
	expect_rejected(buf, sizeof(struct ipc_hdr) + sizeof(*g), 1, why);
}

static void test_guest_ram_layouts(void **state)
{
	struct ipc_guest_ram g = { .nregions = 2 };

	(void)state;
	g.regions[0] = (struct ipc_ram_region){ 0, 0x100000, 0 };
	g.regions[1] = (struct ipc_ram_region){ 0x100000000ull, 0x100000, 0x100000 };
	g.nregions = 3;
	expect_ram_rejected(&g, "3 regions");
	g.nregions = 2;
	g.regions[1].offset = 0x80000;              /* overlaps region 0 in the memfd */
	expect_ram_rejected(&g, "overlaps");
	g.regions[1].offset = 0x100000;
	g.regions[1].gpa = 0x80000;                 /* overlaps region 0 in the guest */
	expect_ram_rejected(&g, "overlaps");
	g.regions[1].gpa = 0x100000123ull;
	expect_ram_rejected(&g, "not page aligned");
	g.regions[1].gpa = UINT64_MAX - 0xfff;
	expect_ram_rejected(&g, "wraps");
	g.regions[1].gpa = 0x100000000ull;
	g.regions[1].size = 0;
	expect_ram_rejected(&g, "empty");
}

/* The virtio setup messages: each bad field is named; a good one passes. */
static void expect_body(unsigned type, const void *body, size_t size, unsigned nfds, const char *why)
{
	char buf[sizeof(struct ipc_hdr) + sizeof(union ipc_body)] = { 0 };
	struct pair p;
	struct ipc_msg m;
	struct kerr err = { 0 };
	int fds[IPC_MAX_FDS];

	build_raw(buf, type, (uint32_t)size, nfds);
	memcpy(buf + sizeof(struct ipc_hdr), body, size);
	if (why) {
		expect_rejected(buf, sizeof(struct ipc_hdr) + size, nfds, why);
		return;
	}
	pair_open_for(&p, type);
	for (unsigned i = 0; i < nfds; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
	send_raw(p.a.fd, buf, sizeof(struct ipc_hdr) + size, fds, nfds);
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	if (ipc_recv(&p.b, &m, &err) < 0)
		fail_msg("%s rejected: %s", ipc_msg_name(type), err.msg);
	assert_int_equal(m.type, type);
	ipc_msg_close_fds(&m);
	pair_close(&p);
}

static void test_virtio_identity(void **state)
{
	struct ipc_virtio_identity id = { .device_id = IPC_VIRTIO_ID_BLK, .num_queues = 1,
					  .queue_num_max = 256, .features = 1ull << 29, .config_len = 24 };
	struct ipc_virtio_identity bad;

	(void)state;
	expect_body(IPC_MSG_VIRTIO_IDENTITY, &id, sizeof(id), 0, NULL);
	bad = id, bad.device_id = 4;
	expect_body(IPC_MSG_VIRTIO_IDENTITY, &bad, sizeof(bad), 0, "device id 4");
	bad = id, bad.num_queues = 9;
	expect_body(IPC_MSG_VIRTIO_IDENTITY, &bad, sizeof(bad), 0, "9 queues");
	bad = id, bad.queue_num_max = 384;
	expect_body(IPC_MSG_VIRTIO_IDENTITY, &bad, sizeof(bad), 0, "queue size 384");
	bad = id, bad.queue_num_max = 2048;
	expect_body(IPC_MSG_VIRTIO_IDENTITY, &bad, sizeof(bad), 0, "queue size 2048");
	bad = id, bad.features |= 1ull << 34;   /* packed rings: not implemented */
	expect_body(IPC_MSG_VIRTIO_IDENTITY, &bad, sizeof(bad), 0, "features 0x420000000");
	bad = id, bad.config_len = 257;
	expect_body(IPC_MSG_VIRTIO_IDENTITY, &bad, sizeof(bad), 0, "config of 257 bytes");
}

/* initgen's messages: paths that could escape the archive root, DEPS whose name list lies
 * about its count, and a symlink target where none belongs are all refused. */
static void test_initgen_messages(void **state)
{
	static struct ipc_initgen_deps deps, bad;
	struct ipc_initgen_add add = { .node = IPC_INITGEN_FILE, .mode = 0755, .path = "/usr/bin/x" }, badd;
	struct ipc_initgen_begin begin = { .compress = IPC_INITGEN_GZIP };

	(void)state;
	deps = (struct ipc_initgen_deps){ .kind = IPC_INITGEN_ELF_DYNAMIC, .count = 2, .elf_type = 3,
					  .interp = "/lib64/ld-linux-x86-64.so.2", .runpath = "$ORIGIN/../lib" };
	memcpy(deps.needed, "libz.so.1\0libc.so.6", 20);
	expect_body(IPC_MSG_INITGEN_DEPS, &deps, sizeof(deps), 0, NULL);
	bad = deps, bad.count = 3;
	expect_body(IPC_MSG_INITGEN_DEPS, &bad, sizeof(bad), 0, "needed name 2 is not a plain name");
	bad = deps, memcpy(bad.needed, "../x.so\0", 8);
	expect_body(IPC_MSG_INITGEN_DEPS, &bad, sizeof(bad), 0, "needed name 0 is not a plain name");
	bad = deps, memset(bad.needed, 'a', sizeof(bad.needed));
	expect_body(IPC_MSG_INITGEN_DEPS, &bad, sizeof(bad), 0, "needed name 0 runs past the list");
	bad = deps, memcpy(bad.interp, "/lib/../../etc", 15);
	expect_body(IPC_MSG_INITGEN_DEPS, &bad, sizeof(bad), 0, "is not a clean absolute path");
	bad = deps, bad.kind = IPC_INITGEN_SCRIPT, bad.elf_type = 0;
	expect_body(IPC_MSG_INITGEN_DEPS, &bad, sizeof(bad), 0, "libraries for a non-dynamic file");
	bad = deps, bad.elf_type = 0;
	expect_body(IPC_MSG_INITGEN_DEPS, &bad, sizeof(bad), 0, "ELF type 0 for kind 4");
	bad = deps, bad.kind = IPC_INITGEN_DATA, bad.count = 0, bad.runpath[0] = bad.interp[0] = '\0';
	expect_body(IPC_MSG_INITGEN_DEPS, &bad, sizeof(bad), 0, "ELF type 3 for kind 1");
	bad = deps, bad.elf_type = 0x10000;
	expect_body(IPC_MSG_INITGEN_DEPS, &bad, sizeof(bad), 0, "ELF type 65536");
	expect_body(IPC_MSG_INITGEN_ADD_FILE, &add, sizeof(add), 1, NULL);
	badd = add, memcpy(badd.path, "a/../../b", 10);
	expect_body(IPC_MSG_INITGEN_ADD_FILE, &badd, sizeof(badd), 1, "cannot name an archive entry");
	badd = add, badd.mode = 0100755;
	expect_body(IPC_MSG_INITGEN_ADD_FILE, &badd, sizeof(badd), 1, "more than permission bits");
	badd = add, badd.node = IPC_INITGEN_DIR;
	expect_body(IPC_MSG_INITGEN_ADD_FILE, &badd, sizeof(badd), 1, "is not a file");
	badd = add, badd.node = IPC_INITGEN_DIR, memcpy(badd.target, "x", 2);
	expect_body(IPC_MSG_INITGEN_ADD_NODE, &badd, sizeof(badd), 0, "a target only, and always, for a symlink");
	badd = add, badd.node = IPC_INITGEN_SYMLINK, memcpy(badd.target, "/usr/bin/y", 11);
	expect_body(IPC_MSG_INITGEN_ADD_NODE, &badd, sizeof(badd), 0, NULL);
	expect_body(IPC_MSG_INITGEN_BEGIN, &begin, sizeof(begin), 1, NULL);
	begin.compress = 3;
	expect_body(IPC_MSG_INITGEN_BEGIN, &begin, sizeof(begin), 1, "unknown compression 3");
}

static void test_virtio_start_and_kick(void **state)
{
	struct ipc_virtio_start st = { .features = 1ull << 32, .nqueues = 2 };
	struct ipc_virtio_start bad;
	struct ipc_virtio_kick k = { .queue = 7 };
	struct ipc_blk_disk d = { .flags = IPC_BLK_READ_ONLY, .bps = 1 << 20 };

	(void)state;
	st.queue[0] = (struct ipc_virtq_setup){ .size = 128, .ready = 1, .desc = 0x1000 };
	st.queue[1] = (struct ipc_virtq_setup){ .size = 3, .ready = 0 };   /* unused: size ignored */
	expect_body(IPC_MSG_VIRTIO_START, &st, sizeof(st), 0, NULL);
	bad = st, bad.queue[1].ready = 1;
	expect_body(IPC_MSG_VIRTIO_START, &bad, sizeof(bad), 0, "queue 1 size 3");
	bad = st, bad.queue[0].ready = 2;
	expect_body(IPC_MSG_VIRTIO_START, &bad, sizeof(bad), 0, "queue 0 ready is 2");
	bad = st, bad.nqueues = 0;
	expect_body(IPC_MSG_VIRTIO_START, &bad, sizeof(bad), 0, "0 queues");
	expect_body(IPC_MSG_VIRTIO_KICK, &k, sizeof(k), 1, NULL);
	k.queue = 8;
	expect_body(IPC_MSG_VIRTIO_KICK, &k, sizeof(k), 1, "queue 8");
	expect_body(IPC_MSG_BLK_DISK, &d, sizeof(d), 1, NULL);
	d.bps = 0, d.bps_burst = 4096;
	expect_body(IPC_MSG_BLK_DISK, &d, sizeof(d), 1, "burst without a rate");
	d.bps_burst = 0, d.flags = 2;
	expect_body(IPC_MSG_BLK_DISK, &d, sizeof(d), 1, "unknown flags 0x2");
	d.flags = 0;
	memcpy(d.serial, "ktstr-vmm-vda", 14);
	expect_body(IPC_MSG_BLK_DISK, &d, sizeof(d), 1, NULL);
	memset(d.serial, 'x', sizeof(d.serial));           /* all 20 bytes, no NUL: allowed */
	expect_body(IPC_MSG_BLK_DISK, &d, sizeof(d), 1, NULL);
	d.serial[3] = '\n';
	expect_body(IPC_MSG_BLK_DISK, &d, sizeof(d), 1, "serial byte 3 is 0x0a");
	memset(d.serial, 0, sizeof(d.serial));
	d.serial[0] = 'a', d.serial[5] = 'b';              /* bytes after the end */
	expect_body(IPC_MSG_BLK_DISK, &d, sizeof(d), 1, "serial byte 5 is 0x62");
	memset(d.serial, 0, sizeof(d.serial));
	{
		struct ipc_net_setup n = { .mac = { 0x02, 0x6b, 0x74, 0x73, 0x74, 0x00 } };

		expect_body(IPC_MSG_NET_SETUP, &n, sizeof(n), 0, NULL);
		n.mac[0] = 0x01;
		expect_body(IPC_MSG_NET_SETUP, &n, sizeof(n), 0, "MAC 01:6b:74:73:74:00 is multicast");
		memset(n.mac, 0, sizeof(n.mac));
		expect_body(IPC_MSG_NET_SETUP, &n, sizeof(n), 0, "is multicast or zero");
	}
}

static void test_peer_closed(void **state)
{
	struct pair p;
	struct ipc_msg m;
	struct kerr err;

	(void)state;
	pair_open(&p);
	ipc_channel_close(&p.a);
	assert_int_equal(ipc_recv(&p.b, &m, &err), -ECONNRESET);
	assert_true(p.b.dead);
	pair_close(&p);
}

/* Every message type has its row, whole: a name, a body size and a validator (a row
 * without one would refuse every message of its type: the zero body of each type is decoded
 * here, and no answer may be that). */
static void test_every_type_has_a_validator(void **state)
{
	char buf[sizeof(struct ipc_hdr) + sizeof(union ipc_body)];

	(void)state;
	for (unsigned type = 1; type < IPC_MSG_TYPE_END; type++) {
		unsigned nfds = ipc_msg_fd_count(type);
		size_t size = ipc_msg_body_size(type);
		int fds[IPC_MAX_FDS];
		struct ipc_msg m;
		struct kerr err = { 0 };

		if (strcmp(ipc_msg_name(type), "unknown") == 0 || size == 0)
			fail_msg("message type %u has no row in the message table", type);
		memset(buf, 0, sizeof(buf));
		build_raw(buf, type, (uint32_t)size, nfds);
		for (unsigned i = 0; i < nfds; i++)
			fds[i] = eventfd(0, EFD_CLOEXEC);
		if (ipc_msg_decode(buf, sizeof(struct ipc_hdr) + size, fds, nfds, &m, &err) == 0)
			ipc_msg_close_fds(&m);
		else if (strstr(err.msg, "no validator"))
			fail_msg("%s: %s", ipc_msg_name(type), err.msg);
		/* Every message goes between vmm and helpers: exactly one side is vmm. */
		if (!ipc_msg_senders(type) || !ipc_msg_receivers(type))
			fail_msg("%s: no sender or no receiver in the message table", ipc_msg_name(type));
		if (!(ipc_msg_senders(type) & IPC_PEER_BIT(IPC_PEER_VMM)) ==
		    !(ipc_msg_receivers(type) & IPC_PEER_BIT(IPC_PEER_VMM)))
			fail_msg("%s: vmm must be the sender or the receiver, not both or neither",
				 ipc_msg_name(type));
		if ((ipc_msg_senders(type) | ipc_msg_receivers(type)) & ~((1u << IPC_PEER_END) - 1))
			fail_msg("%s: a peer outside enum ipc_peer", ipc_msg_name(type));
	}
}

/* Who may send what is checked where it is sent: a helper that tries to say what is not
 * its to say gets EPERM and nothing leaves. */
static void test_route_checked_when_sending(void **state)
{
	struct ipc_guest_frame f = { .type = TLV_EXIT, .len = 4 };
	struct ipc_guest_exit ge = { .status = 1 };
	struct pair p;
	struct ipc_msg m;
	struct kerr err = { 0 };
	char c;

	(void)state;
	pair_open_between(&p, IPC_PEER_SERIAL, IPC_PEER_VMM);
	assert_int_equal(ipc_send(&p.a, IPC_MSG_GUEST_FRAME, &f, NULL, &err), -EPERM);
	assert_non_null(strstr(err.msg, "guest-frame"));
	assert_int_equal(ipc_send(&p.b, IPC_MSG_GUEST_EXIT, &ge, NULL, &err), -EPERM); /* vmm's end */
	assert_int_equal(recv(p.b.fd, &c, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);                       /* nothing was sent */
	assert_int_equal(ipc_send(&p.a, IPC_MSG_GUEST_EXIT, &ge, NULL, &err), 0);
	assert_int_equal(ipc_recv(&p.b, &m, &err), 0);
	pair_close(&p);
}

/* ... and where it is received, whatever the sender's own code does (a taken-over device
 * writes raw datagrams): the message is refused, its fds closed, the channel dead. */
static void expect_misrouted(enum ipc_peer from, enum ipc_peer to, unsigned type,
			     const void *body, size_t size, unsigned nfds)
{
	char buf[sizeof(struct ipc_hdr) + sizeof(union ipc_body)] = { 0 };
	struct pair p;
	struct ipc_msg m;
	struct kerr err = { 0 };
	int fds[IPC_MAX_FDS], before;

	build_raw(buf, type, (uint32_t)size, nfds);
	memcpy(buf + sizeof(struct ipc_hdr), body, size);
	pair_open_between(&p, from, to);
	for (unsigned i = 0; i < nfds; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
	before = count_open_fds();
	send_raw(p.a.fd, buf, sizeof(struct ipc_hdr) + size, fds, nfds);
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	assert_int_equal(ipc_recv(&p.b, &m, &err), -EPROTO);
	assert_non_null(strstr(err.msg, "not a message this peer may send"));
	assert_non_null(strstr(err.msg, ipc_msg_name(type)));
	assert_true(p.b.dead);
	assert_int_equal(count_open_fds(), before - (int)nfds);
	pair_close(&p);
}

static void test_route_checked_when_receiving(void **state)
{
	struct ipc_guest_frame f = { .type = TLV_EXIT, .len = 4 };
	struct ipc_guest_exit ge = { .status = 0 };
	struct ipc_device_stats st = { .role = IPC_PEER_SERIAL };
	struct ipc_blk_disk d = { 0 };
	struct ipc_hello h = { .role = IPC_PEER_BLK };

	(void)state;
	/* the serial device forging a console frame (outcome_take would have taken it) */
	expect_misrouted(IPC_PEER_SERIAL, IPC_PEER_VMM, IPC_MSG_GUEST_FRAME, &f, sizeof(f), 0);
	/* a blk or console device claiming the guest's exit status, or serial device stats */
	expect_misrouted(IPC_PEER_BLK, IPC_PEER_VMM, IPC_MSG_GUEST_EXIT, &ge, sizeof(ge), 0);
	expect_misrouted(IPC_PEER_CONSOLE, IPC_PEER_VMM, IPC_MSG_GUEST_EXIT, &ge, sizeof(ge), 0);
	expect_misrouted(IPC_PEER_SERIAL, IPC_PEER_VMM, IPC_MSG_DEVICE_STATS, &st, sizeof(st), 0);
	/* vmm's own messages coming from a device, and a disk handed to the net device */
	expect_misrouted(IPC_PEER_NET, IPC_PEER_VMM, IPC_MSG_BLK_DISK, &d, sizeof(d), 1);
	expect_misrouted(IPC_PEER_VMM, IPC_PEER_NET, IPC_MSG_BLK_DISK, &d, sizeof(d), 1);
	/* a device saying hello to another device */
	expect_misrouted(IPC_PEER_CONSOLE, IPC_PEER_BLK, IPC_MSG_HELLO, &h, sizeof(h), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_with_fds),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_wrong_type_version_magic),
		cmocka_unit_test(test_wrong_fd_count),
		cmocka_unit_test(test_fds_on_a_message_without_fds),
		cmocka_unit_test(test_invalid_bodies),
		cmocka_unit_test(test_guest_ram_layouts),
		cmocka_unit_test(test_virtio_identity),
		cmocka_unit_test(test_virtio_start_and_kick),
		cmocka_unit_test(test_initgen_messages),
		cmocka_unit_test(test_every_type_has_a_validator),
		cmocka_unit_test(test_route_checked_when_sending),
		cmocka_unit_test(test_route_checked_when_receiving),
		cmocka_unit_test(test_peer_closed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
