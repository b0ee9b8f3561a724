/* Connecting --stats-socket; see stats_socket.h. */
#include "vmm/stats_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int stats_socket_connect(const char *path, int *fd_out, struct kerr *err)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(a.sun_path))
		return kerr_set(err, ENAMETOOLONG, "--stats-socket %s: path longer than %zu bytes", path,
				sizeof(a.sun_path) - 1);
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return kerr_errno(err, errno, "--stats-socket: socket");
	if (connect(fd, (const struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;

		close(fd);
		return kerr_errno(err, e, "--stats-socket %s: connect (a host program must listen there)",
				  path);
	}
	/* The console device relays it without blocking, and may not change file flags itself. */
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		int e = errno;

		close(fd);
		return kerr_errno(err, e, "--stats-socket %s: O_NONBLOCK", path);
	}
	*fd_out = fd;
	return 0;
}
