/* ktstr-init's preparation of the guest: filesystems, the packed kernel modules, and the
 * argv files initgen writes (see guest/abi.h for the paths). */
#include "guest/init.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest/abi.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

static void mount_fs(const char *src, const char *dir, const char *type, unsigned long flags, bool optional)
{
	struct stat st;

	if (optional && stat(dir, &st) < 0)
		return;   /* the kernel has no such filesystem (its mount point is missing) */
	mkdir(dir, 0755);
	if (mount(src, dir, type, flags, NULL) < 0 && errno != EBUSY && !optional)
		init_say(2, "ktstr-init: mount %s on %s: %s\n", type, dir, strerror(errno));
}

void init_mount_all(void)
{
	mount_fs("proc", "/proc", "proc", MS_NOSUID | MS_NOEXEC, false);
	mount_fs("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NOEXEC, false);
	mount_fs("devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC, false);
	mount_fs("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, false);
	mount_fs("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NOEXEC, true);
	mount_fs("debugfs", "/sys/kernel/debug", "debugfs", MS_NOSUID | MS_NOEXEC, true);
	mount_fs("tracefs", "/sys/kernel/tracing", "tracefs", MS_NOSUID | MS_NOEXEC, true);
}

/* The whole of a small file, NUL-terminated; NULL when it is missing. */
static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *buf;
	ssize_t r;

	if (fd < 0 || !(buf = malloc(cap + 1))) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((r = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap) {
			char *more = realloc(buf, 2 * cap + 1);

			if (!more)
				break;
			buf = more, cap *= 2;
		}
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

char **init_read_argv(const char *path)
{
	size_t len, n = 0;
	char *buf = slurp(path, &len), **argv;

	if (!buf || len == 0 || buf[len - 1] != '\0') {
		free(buf);
		return NULL;
	}
	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\0';
	if (!(argv = calloc(n + 1, sizeof(*argv)))) {
		free(buf);
		return NULL;
	}
	for (size_t i = 0, k = 0; i < len; i += strlen(buf + i) + 1)
		argv[k++] = buf + i;
	return argv;   /* buf lives as long as the process */
}

static int load_module(const char *path)
{
	size_t n = strlen(path);
	bool packed = (n > 3 && !strcmp(path + n - 3, ".xz")) || (n > 4 && !strcmp(path + n - 4, ".zst")) ||
		      (n > 3 && !strcmp(path + n - 3, ".gz"));
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = (int)syscall(SYS_finit_module, fd, "", packed ? MODULE_INIT_COMPRESSED_FILE : 0);
	r = r < 0 && errno != EEXIST ? -errno : 0;
	close(fd);
	return r;
}

int init_load_modules(const char *list, int com2)
{
	size_t len;
	char *buf = slurp(list, &len), *line, *save = NULL;
	int loaded = 0;

	if (!buf)
		return 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int r = load_module(line);

		if (r < 0)
			init_say(com2, KTSTR_ABI_LIFECYCLE_PREFIX "module-failed %s: %s\n", line, strerror(-r));
		else
			loaded++;
	}
	free(buf);
	return loaded;
}
