/* ktstr-init and /scheduler: start it, wait until sched_ext says it is enabled, and when it
 * ends while the payload runs, say so with the kernel's own reason (SCDX). */
#include "guest/init.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest/abi.h"
#include "guest/ktstr.h"

#define SCX_STATE        "/sys/kernel/sched_ext/state"
#define SCX_ATTACH_MS    20000
#define SCX_MISSING_MS   5000    /* with no sched_ext, how long /scheduler may take to fail */
#define SCX_DISABLE_MS   2000    /* how long the kernel may take to finish disabling */
#define KLOG_READ_ALL    3       /* syslog(2) actions */
#define KLOG_SIZE_BUFFER 10
#define SCX_LOG_MARK     "sched_ext: "

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
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

pid_t init_start_scheduler(int com2)
{
	char **argv = init_read_argv(KTSTR_ABI_SCHED_ARGV_PATH), why[128];
	char *fallback[] = { (char *)KTSTR_ABI_SCHEDULER_PATH, NULL };
	pid_t pid;
	int status;

	init_say(com2, KTSTR_ABI_LIFECYCLE_PREFIX "scheduler-start\n");
	if ((pid = init_start(argv ? argv : fallback)) < 0) {
		init_say(com2, KTSTR_ABI_PANIC_PREFIX "SchedulerNotAttached: fork: %s\n\n", strerror(errno));
		return -1;
	}
	for (int ms = 0; ms < SCX_ATTACH_MS; ms += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			init_describe(status, why, sizeof(why));
			init_say(com2, KTSTR_ABI_PANIC_PREFIX "SchedulerNotAttached: /scheduler %s before sched_ext enabled it%s\n\n",
				 why, access(SCX_STATE, R_OK) ? " (this kernel has no sched_ext)" : "");
			return -1;
		}
		if (sched_ext_enabled()) {
			init_say(com2, KTSTR_ABI_LIFECYCLE_PREFIX "scheduler-attached\n");
			return pid;
		}
		if (access(SCX_STATE, R_OK) < 0 && ms >= SCX_MISSING_MS)
			break;   /* no sched_ext in this kernel, and /scheduler has not noticed */
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	init_say(com2, KTSTR_ABI_PANIC_PREFIX "SchedulerNotAttached: /scheduler killed, %s\n\n", access(SCX_STATE, R_OK) ?
		 "still running after 5 s and this kernel has no sched_ext (" SCX_STATE " is missing)" :
		 "sched_ext not enabled after 20 s");
	return -1;
}

/* Appends the line at p (up to its newline) to out, after "; ". */
static void append_line(char *out, size_t size, const char *p)
{
	size_t used = strlen(out), n = strcspn(p, "\n");

	if (used + 2 + n + 1 > size)
		n = used + 3 < size ? size - used - 3 : 0;
	if (n)
		snprintf(out + used, size - used, "; %.*s", (int)n, p);
}

/* What the kernel said when it disabled the scheduler: the last "sched_ext: BPF scheduler
 * ... disabled (reason)" line of its log and the "sched_ext: NAME: message" after it. The
 * kernel disables in a worker: wait for the state to leave "enabled" first. */
static void kernel_reason(char *out, size_t size)
{
	int len = klogctl(KLOG_SIZE_BUFFER, NULL, 0);
	char *log, *p, *last = NULL;


	for (int ms = 0; ms < SCX_DISABLE_MS && sched_ext_enabled(); ms += 10)
		sleep_ms(10);
	if (len <= 0 || !(log = malloc((size_t)len + 1)))
		return;
	len = klogctl(KLOG_READ_ALL, log, len);
	if (len > 0) {
		log[len] = '\0';
		for (p = log; (p = strstr(p, SCX_LOG_MARK "BPF scheduler ")); p++)
			last = p;
	}
	if (last) {
		char *eol = strchr(last, '\n'), *msg = eol ? strstr(eol + 1, SCX_LOG_MARK) : NULL;

		append_line(out, size, last);
		/* the message, when it is on the very next line */
		if (msg && !memchr(eol + 1, '\n', (size_t)(msg - eol - 1)) && msg != strstr(msg, SCX_LOG_MARK "BPF"))
			append_line(out, size, msg);
	}
	free(log);
}

void init_scheduler_exited(int com2, int status)
{
	char why[512] = "/scheduler ";

	init_describe(status, why + strlen(why), sizeof(why) - strlen(why));
	kernel_reason(why, sizeof(why));
	init_say(com2, KTSTR_ABI_LIFECYCLE_PREFIX "scheduler-exited %s\n", why);
	ktstr_send(KTSTR_TLV_SCDX, why, strlen(why));
}
