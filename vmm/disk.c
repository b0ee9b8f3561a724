/* Disk options and opening; see disk.h. */
#include "vmm/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static int parse_count(const char *key, const char *val, uint64_t *out, struct kerr *err)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(val, &end, 10);
	if (*val == '\0' || *val == '-' || *end || errno == ERANGE || v == 0)
		return kerr_set(err, EINVAL, "--disk: %s=%s is not a positive number", key, val);
	*out = v;
	return 0;
}

static int parse_option(char *opt, struct disk_config *d, struct kerr *err)
{
	char *eq = strchr(opt, '=');

	if (strcmp(opt, "ro") == 0) {
		d->read_only = true;
		return 0;
	}
	if (!eq)
		return kerr_set(err, EINVAL, "--disk: unknown option \"%s\" (ro, iops=, bps=, "
				"iops_burst=, bps_burst=)", opt);
	*eq = '\0';
	if (strcmp(opt, "iops") == 0)
		return parse_count(opt, eq + 1, &d->iops, err);
	if (strcmp(opt, "bps") == 0)
		return parse_count(opt, eq + 1, &d->bps, err);
	if (strcmp(opt, "iops_burst") == 0)
		return parse_count(opt, eq + 1, &d->iops_burst, err);
	if (strcmp(opt, "bps_burst") == 0)
		return parse_count(opt, eq + 1, &d->bps_burst, err);
	return kerr_set(err, EINVAL, "--disk: unknown option \"%s\" (ro, iops=, bps=, iops_burst=, "
			"bps_burst=)", opt);
}

int disk_parse(const char *spec, struct disk_config *d, struct kerr *err)
{
	char buf[sizeof(d->path) + 256], *save = NULL, *tok;

	memset(d, 0, sizeof(*d));
	if ((size_t)snprintf(buf, sizeof(buf), "%s", spec) >= sizeof(buf))
		return kerr_set(err, ENAMETOOLONG, "--disk: the value is too long");
	tok = buf[0] == ',' ? NULL : strtok_r(buf, ",", &save);
	if (!tok || (size_t)snprintf(d->path, sizeof(d->path), "%s", tok) >= sizeof(d->path))
		return kerr_set(err, EINVAL, "--disk: \"%s\" names no file", spec);
	while ((tok = strtok_r(NULL, ",", &save))) {
		int r = parse_option(tok, d, err);

		if (r < 0)
			return r;
	}
	if (d->iops_burst && !d->iops)
		return kerr_set(err, EINVAL, "--disk: iops_burst needs iops");
	if (d->bps_burst && !d->bps)
		return kerr_set(err, EINVAL, "--disk: bps_burst needs bps");
	return 0;
}

static int disk_size(int fd, const struct stat *st, uint64_t *size)
{
	if (S_ISREG(st->st_mode)) {
		*size = (uint64_t)st->st_size;
		return 0;
	}
	return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
}

int disk_open(const struct disk_config *d, int *fd_out, struct ipc_blk_disk *msg, struct kerr *err)
{
	int fd = open(d->path, (d->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	struct stat st;
	uint64_t size = 0;
	int r;

	if (fd < 0)
		return kerr_errno(err, errno, "--disk %s (opening it %s)", d->path,
				  d->read_only ? "read-only" : "read-write; add ,ro for a read-only disk");
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
		close(fd);
		return kerr_set(err, EINVAL, "--disk %s: not a regular file or block device", d->path);
	}
	if ((r = disk_size(fd, &st, &size)) < 0) {
		close(fd);
		return kerr_errno(err, -r, "--disk %s: its size", d->path);
	}
	if (size == 0 || size % DISK_SECTOR) {
		close(fd);
		return kerr_set(err, EINVAL, "--disk %s: size %llu bytes is not a non-zero multiple of %u",
				d->path, (unsigned long long)size, DISK_SECTOR);
	}
	*msg = (struct ipc_blk_disk){ .flags = d->read_only ? IPC_BLK_READ_ONLY : 0,
				      .iops = d->iops, .iops_burst = d->iops_burst,
				      .bps = d->bps, .bps_burst = d->bps_burst };
	*fd_out = fd;
	return 0;
}
