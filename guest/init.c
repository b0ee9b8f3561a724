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
#define SCX_STATE        "/sys/kernel/sched_ext/state"
#define SCX_ATTACH_MS    20000

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

static pid_t start(char **argv)
{
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		init_say(2, "ktstr-init: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

static const char *signame(int sig)
{
	return sigabbrev_np(sig) ? sigabbrev_np(sig) : "?";
}

static void describe(int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %s", signame(WTERMSIG(status)));
	else
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
}

static bool sched_ext_enabled(void)
{
	char state[32] = "";
	int fd = open(SCX_STATE, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, state, sizeof(state) - 1) : -1;

	if (fd >= 0)
		close(fd);
	return n > 0 && strncmp(state, "enabled", 7) == 0;
}

/* Starts /scheduler and waits until sched_ext says it is enabled. On failure says
 * `PANIC: SchedulerNotAttached: why` on COM2 and returns -1. */
static pid_t start_scheduler(int com2)
{
	char **argv = init_read_argv(KTSTR_ABI_SCHED_ARGV_PATH), why[128];
	char *fallback[] = { (char *)KTSTR_ABI_SCHEDULER_PATH, NULL };
	struct timespec tick = { 0, 10L * 1000 * 1000 };
	pid_t pid;
	int status;

	init_say(com2, KTSTR_ABI_LIFECYCLE_PREFIX "scheduler-start\n");
	if ((pid = start(argv ? argv : fallback)) < 0) {
		init_say(com2, KTSTR_ABI_PANIC_PREFIX "SchedulerNotAttached: fork: %s\n\n", strerror(errno));
		return -1;
	}
	for (int ms = 0; ms < SCX_ATTACH_MS; ms += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			describe(status, why, sizeof(why));
			init_say(com2, KTSTR_ABI_PANIC_PREFIX "SchedulerNotAttached: /scheduler %s before sched_ext enabled it%s\n\n",
				 why, access(SCX_STATE, R_OK) ? " (this kernel has no sched_ext)" : "");
			return -1;
		}
		if (sched_ext_enabled()) {
			init_say(com2, KTSTR_ABI_LIFECYCLE_PREFIX "scheduler-attached\n");
			return pid;
		}
		if (access(SCX_STATE, R_OK) < 0 && ms >= 1000)
			break;   /* a second to be sure: no sched_ext in this kernel */
		nanosleep(&tick, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	init_say(com2, KTSTR_ABI_PANIC_PREFIX "SchedulerNotAttached: %s\n\n", access(SCX_STATE, R_OK) ?
		 "this kernel has no sched_ext (" SCX_STATE " is missing)" : "sched_ext not enabled after 20 s");
	return -1;
}

/* The scheduler ended while the payload ran: SCDX, as a frame and on COM2. */
static void scheduler_exited(int com2, int status)
{
	char why[128];

	describe(status, why, sizeof(why));
	init_say(com2, KTSTR_ABI_LIFECYCLE_PREFIX "scheduler-exited %s\n", why);
	ktstr_send(KTSTR_TLV_SCDX, why, strlen(why));
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
			scheduler_exited(com2, status);
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
		init_say(com2, KTSTR_ABI_PANIC_PREFIX "payload killed by signal %s\n\n", signame(WTERMSIG(status)));
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
	if (access(KTSTR_ABI_SCHEDULER_PATH, F_OK) == 0 && (sched = start_scheduler(com2)) < 0)
		return;
	init_say(com2, KTSTR_ABI_LIFECYCLE_PREFIX "payload-start\n");
	pid = start(payload);
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
