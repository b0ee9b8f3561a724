/* libFuzzer target: ipc_msg_decode() on arbitrary datagrams with 0..6 real fds attached.
 * Whatever the bytes, decode must not crash, must close every fd it rejects, and an
 * accepted message must satisfy the table's size and fd-count rules. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc/msg.h"

static int fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_msg msg;
	struct kerr err;
	int fds[6];
	unsigned nfds;

	if (size < 1)
		return 0;
	nfds = data[0] % 7;
	for (unsigned i = 0; i < nfds; i++)
		fds[i] = dup(2);
	if (ipc_msg_decode(data + 1, size - 1, fds, nfds, &msg, &err) < 0) {
		for (unsigned i = 0; i < nfds; i++)
			if (fd_is_open(fds[i]))
				abort();   /* a rejected message leaked an fd */
		return 0;
	}
	if (msg.nfds != ipc_msg_fd_count(msg.type) || size - 1 != sizeof(struct ipc_hdr) +
	    ipc_msg_body_size(msg.type))
		abort();
	ipc_msg_close_fds(&msg);
	return 0;
}
