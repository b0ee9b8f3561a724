/* sandbox_probe: started by the sandbox tests through sandbox_spawn(), exactly like a device
 * process. It enters the sandbox for a role and level, reports its own /proc status, waits
 * for the parent to look at it from outside, then does one action: exit, a forbidden
 * syscall (which must kill it with SIGSYS), or the role's allowed operations. A fifth
 * argument names a directory to make the root first, one that pivot_root refuses.
 *
 * fds: 3 report pipe (w), 4 command pipe (r), 5 memfd, 6 eventfd, 7 ipc socket, 8 a file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "policy/sandbox.h"

enum { FD_REPORT = 3, FD_CMD = 4, FD_MEMFD = 5, FD_EVENT = 6, FD_IPC = 7, FD_FILE = 8 };

/* Exit codes the tests decode. */
enum { PROBE_OK = 0, PROBE_SYSCALL_WENT_THROUGH = 10, PROBE_ENTER_FAILED = 3, PROBE_USAGE = 4,
       PROBE_ALLOWED_FAILED = 20 };

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n <= 0)
			exit(PROBE_ENTER_FAILED);
		buf += n;
		len -= (size_t)n;
	}
}

static void report(int status_fd)
{
	char buf[8192];
	ssize_t n;
	int len;

	len = snprintf(buf, sizeof(buf), "PID %d\n", (int)getpid());
	write_all(FD_REPORT, buf, (size_t)len);
	if (lseek(status_fd, 0, SEEK_SET) < 0)
		exit(PROBE_ENTER_FAILED);
	while ((n = read(status_fd, buf, sizeof(buf))) > 0)
		write_all(FD_REPORT, buf, (size_t)n);
	close(FD_REPORT);
}

/* The ipc channel uses sendmsg (send() would be sendto, which no role may use). */
static ssize_t send_byte(int fd)
{
	struct iovec iov = { .iov_base = (char *)"x", .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	return sendmsg(fd, &mh, 0);
}

static int common_allowed(void)
{
	uint64_t v = 1;
	struct pollfd p = { .fd = FD_EVENT, .events = POLLIN };
	struct timespec ts;
	char *mem, *big;

	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, FD_MEMFD, 0);
	if (mem == MAP_FAILED)
		return 1;
	mem[0] = 'x';
	if (munmap(mem, 4096) < 0)
		return 2;
	if (write(FD_EVENT, &v, sizeof(v)) != sizeof(v) || poll(&p, 1, 0) != 1 ||
	    read(FD_EVENT, &v, sizeof(v)) != sizeof(v))
		return 3;
	if (lseek(FD_MEMFD, 0, SEEK_END) < 0 || fcntl(FD_MEMFD, F_GET_SEALS) < 0)
		return 4;
	if (send_byte(FD_IPC) != 1)
		return 5;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0 || getpid() <= 0)
		return 6;
	big = malloc(8 << 20);
	if (!big)
		return 7;
	memset(big, 1, 8 << 20);
	free(big);
	return 0;
}

static int role_allowed(enum sandbox_role role)
{
	char buf[16] = "data";

	switch (role) {
	case SANDBOX_ROLE_BLK:
		if (pwrite(FD_FILE, buf, 4, 512) != 4 || pread(FD_FILE, buf, 4, 512) != 4 ||
		    fdatasync(FD_FILE) < 0)
			return 1;
		return 0;
	case SANDBOX_ROLE_INITGEN:
		if (pwrite(FD_MEMFD, buf, 4, 4096) != 4 || pread(FD_MEMFD, buf, 4, 4096) != 4 ||
		    lseek(FD_MEMFD, 0, SEEK_END) != 4100)
			return 1;
		return 0;
	case SANDBOX_ROLE_SERIAL:
	case SANDBOX_ROLE_CONSOLE:
		return write(FD_FILE, "log line\n", 9) == 9 ? 0 : 1;
	default:
		return 0;
	}
}

static int do_action(const char *action, enum sandbox_role role, pid_t parent)
{
	int r;

	if (strcmp(action, "exit") == 0)
		return PROBE_OK;
	if (strcmp(action, "allowed") == 0) {
		if ((r = common_allowed()) != 0)
			return PROBE_ALLOWED_FAILED + r;
		if ((r = role_allowed(role)) != 0)
			return PROBE_ALLOWED_FAILED + 10 + r;
		return PROBE_OK;
	}
	if (strcmp(action, "open") == 0)
		r = open("/etc/passwd", O_RDONLY);
	else if (strcmp(action, "socket") == 0)
		r = socket(AF_INET, SOCK_STREAM, 0);
	else if (strcmp(action, "execve") == 0) {
		char *const argv[] = { (char *)"true", NULL };
		r = execve("/bin/true", argv, argv + 1);
	} else if (strcmp(action, "ptrace") == 0)
		r = (int)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	else if (strcmp(action, "mount") == 0)
		r = mount("none", "/", "tmpfs", 0, NULL);
	else if (strcmp(action, "kill") == 0)
		r = kill(parent, 0);
	else if (strcmp(action, "mmap-exec") == 0)
		r = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ==
		    MAP_FAILED ? -1 : 0;
	else if (strcmp(action, "sendmsg-other-fd") == 0)
		r = (int)send_byte(FD_EVENT);
	else if (strcmp(action, "unshare") == 0)
		r = unshare(CLONE_NEWUSER);
	else if (strcmp(action, "chroot") == 0)
		r = chroot("/");
	else if (strcmp(action, "alloc-beyond-limit") == 0) {   /* RLIMIT_DATA must refuse it */
		char *big = malloc(SANDBOX_DATA_LIMIT_INITGEN + (64u << 20));

		if (!big)
			return PROBE_OK;
		big[0] = 1;
		free(big);
		return PROBE_SYSCALL_WENT_THROUGH;
	} else if (strcmp(action, "fcntl-setfl") == 0)   /* would make vmm's eventfd writes block */
		r = fcntl(FD_EVENT, F_SETFL, 0);
	else
		return PROBE_USAGE;
	(void)r;
	return PROBE_SYSCALL_WENT_THROUGH;
}

/* Before the sandbox, in the probe's own mount namespace: `dir`, bound over itself in a
 * shared parent mount, becomes the root. pivot_root refuses that (EINVAL) as it refuses the
 * initial ramfs of an initramfs-booted host (no parent mount), which a test cannot make its
 * root without changing the host's rootfs; nor can the test chroot before the spawn (a
 * chrooted process may not create a user namespace). Private first, so nothing propagates
 * to the host; /proc inside for sandbox_check_userns(). */
static int enter_unpivotable_root(const char *dir)
{
	char proc[PATH_MAX];

	snprintf(proc, sizeof(proc), "%s/proc", dir);
	if (mount("", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("", "/", NULL, MS_REC | MS_SHARED, NULL) < 0 ||
	    mount(dir, dir, NULL, MS_BIND, NULL) < 0 ||
	    mount("/proc", proc, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -1;
	return chroot(dir) < 0 || chdir("/") < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	int keep[] = { 2, FD_REPORT, FD_CMD, FD_MEMFD, FD_EVENT, FD_IPC, FD_FILE, -1 };
	struct sandbox_spec spec;
	enum sandbox_role role;
	enum sandbox_level level;
	struct kerr err = { 0 };
	char go;

	if (argc < 5 || argc > 6 || sandbox_role_parse(argv[1], &role) < 0 ||
	    sandbox_level_parse(argv[2], &level) < 0)
		return PROBE_USAGE;
	keep[7] = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (keep[7] < 0)
		return PROBE_ENTER_FAILED;
	if (argc == 6 && enter_unpivotable_root(argv[5]) < 0) {
		dprintf(FD_REPORT, "ERROR making %s the root: %s\n", argv[5], strerror(errno));
		return PROBE_ENTER_FAILED;
	}
	sandbox_spec_init(&spec, role, level);
	spec.keep_fds = keep;
	spec.n_keep_fds = 8;
	spec.ipc_fd = FD_IPC;
	if (sandbox_enter(&spec, &err) < 0) {
		dprintf(FD_REPORT, "ERROR %s\n", err.msg);
		return PROBE_ENTER_FAILED;
	}
	report(keep[7]);
	if (read(FD_CMD, &go, 1) != 1)
		return PROBE_USAGE;
	return do_action(argv[3], role, (pid_t)atoi(argv[4]));
}
