/* Host side of the e2e stats-socket check: listens on a unix socket, accepts one connection
 * and echoes everything back until EOF. Static, so it runs in the nested L1 guest too.
 * usage: echo-server PATH */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char buf[4096];
	ssize_t n;
	int s, c;

	if (argc != 2 || strlen(argv[1]) >= sizeof(a.sun_path)) {
		fprintf(stderr, "usage: echo-server PATH\n");
		return 2;
	}
	strcpy(a.sun_path, argv[1]);
	unlink(argv[1]);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 1) < 0) {
		perror("echo-server");
		return 1;
	}
	c = accept(s, NULL, NULL);
	if (c < 0) {
		perror("echo-server: accept");
		return 1;
	}
	while ((n = read(c, buf, sizeof(buf))) > 0)
		if (write(c, buf, (size_t)n) != n)
			break;
	close(c);
	unlink(argv[1]);
	return 0;
}
