/* attacker-devproc: a device process that a hostile guest has taken over, for the tests.
 * Started by vmm's own devhost code exactly as ktstr-devproc is (same options, same fds), it
 * enters the real sandbox of its role and then misbehaves as its directory's name says:
 *   lying-done  (initgen) answers every request, writes 512 bytes and claims 4096
 *   forged      sends its hello, then a datagram with a forged header
 *   oversized   sends its hello, then a 64 KiB datagram
 *   mute        sends its hello, then never reads again
 * so that the tests can show vmm ends each case in time and says what happened. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "ipc/tlv.h"
#include "policy/sandbox.h"

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

static int enter(int argc, char **argv, enum sandbox_role *role, struct kerr *err)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' }, { "sandbox", required_argument, NULL, 's' },
		{ "uid", required_argument, NULL, 'u' }, { "gid", required_argument, NULL, 'g' },
		{ "log-fd", no_argument, NULL, 'l' }, { NULL, 0, NULL, 0 },
	};
	int keep[] = { 2, IPC_FD_CHANNEL };
	enum sandbox_level level = SANDBOX_STANDARD;
	struct sandbox_spec spec;
	unsigned uid = 0, gid = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r' && sandbox_role_parse(optarg, role) < 0)
			return kerr_set(err, EINVAL, "role %s", optarg);
		if (c == 's' && sandbox_level_parse(optarg, &level) < 0)
			return kerr_set(err, EINVAL, "level %s", optarg);
		if (c == 'u')
			uid = (unsigned)strtoul(optarg, NULL, 10);
		if (c == 'g')
			gid = (unsigned)strtoul(optarg, NULL, 10);
	}
	sandbox_spec_init(&spec, *role, level);
	spec.uid = uid;
	spec.gid = gid;
	spec.keep_fds = keep;
	spec.n_keep_fds = 2;
	spec.ipc_fd = IPC_FD_CHANNEL;
	return sandbox_enter(&spec, err);
}

/* initgen that lies about the size of what it wrote. */
static int lying_initgen(struct ipc_channel *ch, struct kerr *err)
{
	static const char zeros[512];
	struct ipc_initgen_deps data = { .kind = IPC_INITGEN_DATA };
	struct ipc_initgen_done done = { .size = 4096, .entries = 1 };
	int out = -1;

	for (;;) {
		struct ipc_msg m;

		if (ipc_recv(ch, &m, err) < 0)
			return -1;
		if (m.type == IPC_MSG_INITGEN_BEGIN)
			out = m.fds[0], m.nfds = 0;
		else if (m.type == IPC_MSG_INITGEN_INSPECT && ipc_send(ch, IPC_MSG_INITGEN_DEPS, &data, NULL, err) < 0)
			return -1;
		else if (m.type == IPC_MSG_INITGEN_FINISH &&
			 (pwrite(out, zeros, sizeof(zeros), 0) != (ssize_t)sizeof(zeros) ||
			  ipc_send(ch, IPC_MSG_INITGEN_DONE, &done, NULL, err) < 0))
			return -1;
		else if (m.type == IPC_MSG_SHUTDOWN)
			return ipc_send(ch, IPC_MSG_DONE, &(struct ipc_empty){ 0 }, NULL, err);
		ipc_msg_close_fds(&m);
	}
}

static int forged(struct ipc_channel *ch, bool oversized)
{
	static char big[65536];
	struct ipc_hdr h = { .magic = IPC_MAGIC ^ 1, .version = IPC_VERSION, .type = IPC_MSG_DONE };
	struct iovec iov = { .iov_base = oversized ? (void *)big : (void *)&h,
			     .iov_len = oversized ? sizeof(big) : sizeof(h) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	return sendmsg(ch->fd, &mh, 0) < 0 ? -1 : 0;
}

/* A well-formed console frame from a device that is not the console (written raw: ipc_send
 * would refuse it here already), claiming the guest's exit status. */
static int misrouted(struct ipc_channel *ch)
{
	struct {
		struct ipc_hdr h;
		struct ipc_guest_frame f;
	} m = {
		.h = { .magic = IPC_MAGIC, .version = IPC_VERSION, .type = IPC_MSG_GUEST_FRAME,
		       .body_len = sizeof(struct ipc_guest_frame) },
		.f = { .type = TLV_EXIT, .flags = IPC_FRAME_LAST, .len = 4 },
	};

	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	return sendmsg(ch->fd, &mh, 0) < 0 ? -1 : 0;   /* sendmsg: the one its filter allows */
}

int main(int argc, char **argv)
{
	char self[4096];
	const char *mode;
	enum sandbox_role role = 0;
	struct ipc_channel ch;
	struct kerr err = { 0 };
	struct ipc_hello hello;

	snprintf(self, sizeof(self), "%s", argv[0]);
	mode = basename(dirname(self));
	if (enter(argc, argv, &role, &err) < 0) {
		fprintf(stderr, "attacker: %s\n", err.msg);
		return 1;
	}
	ipc_channel_init(&ch, IPC_FD_CHANNEL, (enum ipc_peer)role, IPC_PEER_VMM);
	hello = (struct ipc_hello){ .role = role, .pid_in_namespace = (uint32_t)getpid() };
	if (ipc_send(&ch, IPC_MSG_HELLO, &hello, NULL, &err) < 0)
		return 1;
	if (strcmp(mode, "lying-done") == 0)
		return lying_initgen(&ch, &err) < 0;
	if (strcmp(mode, "misrouted") == 0 && misrouted(&ch) < 0)
		return 1;
	if ((strcmp(mode, "forged") == 0 || strcmp(mode, "oversized") == 0) &&
	    forged(&ch, strcmp(mode, "oversized") == 0) < 0)
		return 1;
	for (;;)
		poll(NULL, 0, -1);   /* mute, and the forgers once they have sent (poll: allowed) */
}
