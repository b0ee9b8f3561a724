/* Strict only: check that we really are in our own user namespace, then make the root an
 * empty read-only tmpfs (pivot_root, old root detached; switch_root's way where it can't). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy/internal.h"

const char *sandbox_userns_hint(void)
{
	return "--sandbox strict needs user namespaces, which this host forbids or restricts "
	       "(user.max_user_namespaces=0, kernel.unprivileged_userns_clone=0, or AppArmor's "
	       "kernel.apparmor_restrict_unprivileged_userns=1 as on Ubuntu 24.04); allow them "
	       "(e.g. sysctl -w kernel.apparmor_restrict_unprivileged_userns=0) or use "
	       "--sandbox standard";
}

static bool is_initial_uid_map(const char *map)
{
	unsigned long v[3];
	char *end;

	for (int i = 0; i < 3; i++) {
		v[i] = strtoul(map, &end, 10);
		if (end == map)
			return false;
		map = end;
	}
	return v[0] == 0 && v[1] == 0 && v[2] == 4294967295ul;
}

/* The initial user namespace maps every uid: "0 0 4294967295". Anything else is ours. */
int sandbox_check_userns(struct kerr *err)
{
	char buf[128] = "";
	ssize_t n;
	int fd;

	fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kerr_errno(err, errno, "open /proc/self/uid_map");
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return kerr_errno(err, errno, "read /proc/self/uid_map");
	if (is_initial_uid_map(buf))
		return kerr_set(err, EPERM, "strict sandbox entered outside a new user namespace "
				"(the process was not started by sandbox_spawn)");
	return 0;
}

static int mount_failed(struct kerr *err, int code, const char *what)
{
	kerr_errno(err, code, "%s", what);
	if (code == EPERM || code == EACCES)
		return kerr_wrap(err, "strict sandbox (%s)", sandbox_userns_hint());
	return kerr_wrap(err, "strict sandbox");
}

/* Both steps in one message: the pivot that was refused and the fallback step that failed. */
static int fallback_failed(struct kerr *err, int code, const char *step)
{
	kerr_errno(err, code, "%s", step);
	return kerr_wrap(err, "strict sandbox: pivot_root refused / (%s: the initial ramfs, "
			 "for one, has no parent mount) and switch_root's way failed",
			 strerror(EINVAL));
}

/* pivot_root refuses (EINVAL) a root without a parent mount, which is what the initial ramfs
 * of an initramfs-booted host is (rootfs is the namespace's root), and one whose parent mount
 * is shared or that is not a mount point. There we do what switch_root does: move the empty
 * tmpfs, our cwd, over / and chroot into it. The old root stays underneath, in a private
 * mount namespace nobody else uses, and nothing can reach it: root and cwd are the tmpfs,
 * sandbox_close_fds() kept only the fds the spawner handed over (none a directory), the later
 * stages drop every capability (caps.c: CAP_SYS_CHROOT and CAP_SYS_ADMIN included), and no
 * allowlist (seccomp.c, seccomp_<role>.c) holds a call that takes a path or moves root or
 * mounts (no open, openat, chdir, fchdir, chroot, mount, umount2, pivot_root, setns), so no
 * path can be walked and no mount undone to get back. */
static int move_root_over(struct kerr *err)
{
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return fallback_failed(err, errno, "move the empty root over /");
	if (chroot(".") < 0)
		return fallback_failed(err, errno, "chroot into the empty root");
	if (chdir("/") < 0)
		return fallback_failed(err, errno, "chdir /");
	return 0;
}

/* The new root is the current directory: it takes the old one's place, which is detached. */
static int pivot_to_cwd(struct kerr *err)
{
	if (syscall(SYS_pivot_root, ".", ".") < 0) {
		if (errno == EINVAL)
			return move_root_over(err);
		return mount_failed(err, errno, "pivot_root");
	}
	if (umount2(".", MNT_DETACH) < 0)
		return mount_failed(err, errno, "detach the old root");
	if (chdir("/") < 0)
		return mount_failed(err, errno, "chdir /");
	return 0;
}

int sandbox_empty_root(struct kerr *err)
{
	const unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;

	/* A mount namespace of our own, even if the spawner already made one: the pivot below
	 * must never happen in a namespace anybody else uses. */
	if (unshare(CLONE_NEWNS) < 0)
		return mount_failed(err, errno, "unshare(CLONE_NEWNS)");
	if (mount("", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return mount_failed(err, errno, "make / private");
	if (mount("ktstr-empty", "/tmp", "tmpfs", ro, "size=4k,nr_inodes=2,mode=0555") < 0)
		return mount_failed(err, errno, "mount empty tmpfs on /tmp");
	if (chdir("/tmp") < 0)
		return mount_failed(err, errno, "chdir to the empty root");
	return pivot_to_cwd(err);
}
