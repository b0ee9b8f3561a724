/* ktstr-init: PID 1 inside the guest. Mounts the basic filesystems, runs the payload given
 * after "--" on the kernel command line (its argv here), reports how it ended on COM2
 * (`KTSTR_EXIT=N`, and `PANIC: ...` when a signal killed it) and reboots, which ends the VM.
 * Static, no dependencies: it runs before anything else exists. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define COM2_PATH "/dev/ttyS1"

static int com2 = -1;

static void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int fd, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	if (fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	if (n > 0 && write(fd, buf, (size_t)n) < 0)
		return;
}

static void mount_fs(const char *src, const char *dir, const char *type)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, MS_NOSUID | MS_NOEXEC, NULL) < 0 && errno != EBUSY)
		say(2, "ktstr-init: mount %s on %s: %s\n", type, dir, strerror(errno));
}

/* COM2 raw: no \n -> \r\n translation, nothing echoed. */
static void open_com2(void)
{
	struct termios t;

	com2 = open(COM2_PATH, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (com2 < 0) {
		say(2, "ktstr-init: open %s: %s\n", COM2_PATH, strerror(errno));
		return;
	}
	if (tcgetattr(com2, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(com2, TCSANOW, &t);
	}
}

static pid_t start_payload(char **argv)
{
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		say(2, "ktstr-init: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* PID 1 adopts every orphan: reap them all until the payload itself ends. */
static int wait_payload(pid_t payload)
{
	int status;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &status, 0);
		if (pid == payload)
			return status;
		if (pid < 0 && errno != EINTR)
			return -1;
	}
}

static void report(int status)
{
	if (status < 0) {
		say(com2, "PANIC: ktstr-init lost track of the payload\nKTSTR_EXIT=%d\n", 127);
	} else if (WIFSIGNALED(status)) {
		say(com2, "PANIC: payload killed by signal %s\n\nKTSTR_EXIT=%d\n",
		    sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?",
		    128 + WTERMSIG(status));
	} else {
		say(com2, "KTSTR_EXIT=%d\n", WEXITSTATUS(status));
	}
}

int main(int argc, char **argv)
{
	mount_fs("proc", "/proc", "proc");
	mount_fs("sysfs", "/sys", "sysfs");
	mount_fs("devtmpfs", "/dev", "devtmpfs");
	setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
	open_com2();
	say(com2, "KTSTR_INIT_START\n");   /* ktstr-vmm times the boot up to here */
	if (argc < 2) {
		say(com2, "PANIC: no payload: pass one after -- on the ktstr-vmm command line\n\n");
	} else {
		pid_t pid = start_payload(argv + 1);

		report(pid < 0 ? -1 : wait_payload(pid));
	}
	if (com2 >= 0)
		tcdrain(com2);
	sync();
	reboot(RB_AUTOBOOT);
	return 1;
}
