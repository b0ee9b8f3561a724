/* The SOCK_SEQPACKET channel: one datagram per message, fds by SCM_RIGHTS.
 * A protocol error kills the channel; every later call fails. */
#include "ipc/channel.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

/* Big enough to notice a datagram longer than the longest message. */
#define RECV_BUF_SIZE (sizeof(struct ipc_hdr) + sizeof(union ipc_body) + 64)

int ipc_channel_pair(int fds[2], struct kerr *err)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
		return kerr_errno(err, errno, "socketpair(AF_UNIX, SOCK_SEQPACKET)");
	return 0;
}

void ipc_channel_init(struct ipc_channel *ch, int fd, enum ipc_peer self, enum ipc_peer peer)
{
	ch->fd = fd;
	ch->dead = false;
	ch->self = self;
	ch->peer = peer;
}

void ipc_channel_close(struct ipc_channel *ch)
{
	if (ch->fd >= 0)
		close(ch->fd);
	ch->fd = -1;
	ch->dead = true;
}

/* One sendmsg of the message with these flags; -errno (EAGAIN included) on failure. */
static int send_with(struct ipc_channel *ch, enum ipc_msg_type type, const void *body,
		     const int *fds, int flags, struct kerr *err)
{
	char buf[sizeof(struct ipc_hdr) + sizeof(union ipc_body)];
	char cbuf[CMSG_SPACE(sizeof(int) * IPC_MAX_FDS)];
	struct ipc_hdr h = {
		.magic = IPC_MAGIC, .version = IPC_VERSION, .type = (uint16_t)type,
		.body_len = (uint32_t)ipc_msg_body_size(type), .nfds = ipc_msg_fd_count(type),
	};
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(h) + h.body_len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (ch->dead)
		return kerr_set(err, EPIPE, "ipc channel already closed");
	if (h.body_len == 0)
		return kerr_set(err, EINVAL, "ipc_send: unknown message type %d", type);
	if (!ipc_msg_route_ok(type, ch->self, ch->peer))
		return kerr_set(err, EPERM, "ipc_send: %s is not a message peer %d sends to peer %d",
				ipc_msg_name(type), ch->self, ch->peer);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), body, h.body_len);
	if (h.nfds) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * h.nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * h.nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * h.nfds);
	}
	do
		n = sendmsg(ch->fd, &mh, MSG_NOSIGNAL | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return kerr_errno(err, errno, "ipc send %s", ipc_msg_name(type));
	return 0;
}

int ipc_send(struct ipc_channel *ch, enum ipc_msg_type type, const void *body,
	     const int *fds, struct kerr *err)
{
	return send_with(ch, type, body, fds, 0, err);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

int ipc_send_timed(struct ipc_channel *ch, enum ipc_msg_type type, const void *body,
		   const int *fds, int timeout_ms, struct kerr *err)
{
	struct timespec t0;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = ch->fd, .events = POLLOUT };
		long left = timeout_ms - ms_since(&t0);

		r = send_with(ch, type, body, fds, MSG_DONTWAIT, err);
		if (r != -EAGAIN)
			return r;
		if (left <= 0)
			break;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return kerr_errno(err, errno, "ipc send %s: poll", ipc_msg_name(type));
	}
	if (timeout_ms == 0)
		return r;   /* EAGAIN: the caller keeps the message for later */
	return kerr_set(err, ETIMEDOUT, "ipc send %s: the peer read nothing for %d ms",
			ipc_msg_name(type), timeout_ms);
}

/* Collects every fd the kernel attached, however the control data is shaped, so that
 * none can leak: the caller closes them all if the message is rejected. */
static int collect_fds(struct msghdr *mh, int *fds, unsigned max, unsigned *count)
{
	bool overflow = false;

	*count = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*count < max)
				fds[(*count)++] = fd;
			else {
				close(fd);
				overflow = true;
			}
		}
	}
	return overflow ? -1 : 0;
}

int ipc_recv(struct ipc_channel *ch, struct ipc_msg *out, struct kerr *err)
{
	char buf[RECV_BUF_SIZE];
	/* Room for more fds than any message carries, so an excess is seen, not cut. */
	char cbuf[CMSG_SPACE(sizeof(int) * (IPC_MAX_FDS + 4))];
	int fds[IPC_MAX_FDS + 4];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	unsigned nfds;
	ssize_t n;
	int r;

	if (ch->dead)
		return kerr_set(err, EPIPE, "ipc channel already closed");
	do
		n = recvmsg(ch->fd, &mh, MSG_CMSG_CLOEXEC | MSG_TRUNC);   /* n: the datagram's real size */
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return kerr_errno(err, errno, "ipc receive");
	r = collect_fds(&mh, fds, IPC_MAX_FDS + 4, &nfds);
	if (n == 0 && nfds == 0) {
		ch->dead = true;
		return kerr_set(err, ECONNRESET, "ipc peer closed the channel");
	}
	if (r < 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		ch->dead = true;
		if (mh.msg_flags & MSG_TRUNC)
			return kerr_set(err, EPROTO, "ipc datagram of %zd bytes, longer than any message "
					"(%zu at most)", n, sizeof(struct ipc_hdr) + sizeof(union ipc_body));
		return kerr_set(err, EPROTO, "ipc datagram with more fds or control data than any "
				"message carries (flags 0x%x)", mh.msg_flags);
	}
	r = ipc_msg_decode(buf, (size_t)n, fds, nfds, out, err);
	if (r == 0 && !ipc_msg_route_ok(out->type, ch->peer, ch->self)) {
		r = kerr_set(err, EPROTO, "%s: not a message this peer may send here",
			     ipc_msg_name(out->type));
		ipc_msg_close_fds(out);
	}
	if (r < 0)
		ch->dead = true;
	return r;
}
