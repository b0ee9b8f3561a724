/* ktstr-init: PID 1 inside the guest. Mounts the filesystems, loads the kernel modules
 * ktstr-vmm packed, starts /scheduler when there is one and waits until sched_ext runs it,
 * runs the payload (its argv from /ktstr/argv, else from the kernel command line after
 * "--"), reports how it ended on COM2 (`KTSTR_EXIT=N`, `PANIC: ...` when a signal killed
 * it) and as a TLV EXIT frame when the console device is there, then reboots, which ends
 * the VM. Static, no dependencies: it runs before anything else exists. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "guest/abi.h"
#include "guest/init.h"
#include "guest/ktstr.h"

#define COM2_PATH        "/dev/ttyS1"

void init_say(int fd, const char *fmt, ...)
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

/* COM2 raw: no \n -> \r\n translation, nothing echoed. */
static int open_com2(void)
{
	struct termios t;
	int fd = open(COM2_PATH, O_WRONLY | O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		init_say(2, "ktstr-init: open %s: %s\n", COM2_PATH, strerror(errno));
		return -1;
	}
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

pid_t init_start(char **argv)
{
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		init_say(2, "ktstr-init: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

const char *init_signame(int sig)
{
	return sigabbrev_np(sig) ? sigabbrev_np(sig) : "?";
}

void init_describe(int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %s", init_signame(WTERMSIG(status)));
	else
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
}

/* PID 1 adopts every orphan: reap them all until the payload itself ends. */
static int wait_payload(pid_t payload, pid_t scheduler, int com2)
{
	int status;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &status, 0);
		if (pid == payload)
			return status;
		if (pid > 0 && pid == scheduler)
			init_scheduler_exited(com2, status);
		if (pid < 0 && errno != EINTR)
			return -1;
	}
}

static void report(int com2, int status)
{
	int code = status < 0 ? 127 : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);

	if (status < 0)
		init_say(com2, KTSTR_ABI_PANIC_PREFIX "ktstr-init lost track of the payload\n\n");
	else if (WIFSIGNALED(status))
		init_say(com2, KTSTR_ABI_PANIC_PREFIX "payload killed by signal %s\n\n", init_signame(WTERMSIG(status)));
	init_say(com2, KTSTR_ABI_EXIT_PREFIX "%d\n", code);
	ktstr_send_exit(code);   /* fails harmlessly when there is no console device */
}

static void run(int argc, char **argv, int com2)
{
	char **payload = init_read_argv(KTSTR_ABI_ARGV_PATH);
	pid_t sched = -1, pid;
	int loaded = init_load_modules(KTSTR_ABI_MODULES_PATH, com2);

	if (loaded > 0)
		init_say(com2, KTSTR_ABI_LIFECYCLE_PREFIX "modules-loaded %d\n", loaded);
	if (!payload && argc >= 2)
		payload = argv + 1;
	if (!payload) {
		init_say(com2, KTSTR_ABI_PANIC_PREFIX "no payload: pass one after -- on the ktstr-vmm command line\n\n");
		return;
	}
	if (access(KTSTR_ABI_SCHEDULER_PATH, F_OK) == 0 && (sched = init_start_scheduler(com2)) < 0)
		return;
	init_say(com2, KTSTR_ABI_LIFECYCLE_PREFIX "payload-start\n");
	pid = init_start(payload);
	report(com2, pid < 0 ? -1 : wait_payload(pid, sched, com2));
	if (sched > 0)
		kill(sched, SIGTERM);
}

int main(int argc, char **argv)
{
	int com2;

	init_mount_all();
	setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
	com2 = open_com2();
	init_say(com2, KTSTR_ABI_INIT_START "\n");   /* ktstr-vmm times the boot up to here */
	run(argc, argv, com2);
	if (com2 >= 0)
		tcdrain(com2);
	sync();
	reboot(RB_AUTOBOOT);
	return 1;
}
