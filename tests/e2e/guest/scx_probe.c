/* Guest program for the sched_ext scenarios: what sched_ext says, some work under the
 * scheduler, and what became of the scheduler, in a COM2 result block.
 * usage: scx_probe run MS        MS milliseconds of work on every CPU
 *        scx_probe kill MS       the same, killing the scheduler (SIGKILL) halfway
 *        scx_probe wake MS       MS milliseconds of threads waking every millisecond: a
 *                                thousand enqueues a second per CPU, for schedulers whose
 *                                behaviour counts them (scx_qmap -t N stalls every Nth)
 * Static: packed alone into the initramfs ktstr-vmm builds. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <limits.h>
#include <unistd.h>

#define SCX "/sys/kernel/sched_ext/"

static FILE *com2;

static void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");

	snprintf(buf, size, "none");
	if (f && fgets(buf, (int)size, f))
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void *spin(void *arg)
{
	long until = *(long *)arg;
	volatile unsigned long n = 0;

	while (now_ms() < until)
		n++;
	return NULL;
}

static void *wake(void *arg)
{
	long until = *(long *)arg;
	struct timespec ms = { 0, 1000000 };

	while (now_ms() < until)
		nanosleep(&ms, NULL);
	return NULL;
}

/* MS of work on every CPU: one thread per online CPU running fn, joined. */
static int work_with(void *(*fn)(void *), long ms)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN), until = now_ms() + ms;
	pthread_t t[512];

	if (n < 1 || n > 512)
		n = 1;
	for (long i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, fn, &until) != 0)
			return -1;
	for (long i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}

static int work(long ms)
{
	return work_with(spin, ms);
}

/* The scheduler: /scheduler's process, found by its executable in /proc (/scheduler is a
 * symlink to where initgen packed it). */
static pid_t scheduler_pid(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = -1;
	char target[256];

	if (!realpath("/scheduler", target))
		return -1;
	while (d && (e = readdir(d))) {
		char path[300], exe[256];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%s/exe", e->d_name);
		n = readlink(path, exe, sizeof(exe) - 1);
		if (n <= 0)
			continue;
		exe[n] = '\0';
		if (strcmp(exe, target) == 0)
			found = atoi(e->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

/* What the scheduler sees of the topology: each CPU's SMT siblings and LLC. */
static void report_topology(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	for (long c = 0; c < n; c++) {
		char path[128], threads[64], llc[64];

		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%ld/topology/thread_siblings_list", c);
		read_line(path, threads, sizeof(threads));
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%ld/cache/index3/shared_cpu_list", c);
		read_line(path, llc, sizeof(llc));
		fprintf(com2, "cpu%ld: threads=%s llc=%s\n", c, threads, llc);
	}
}

static void report_state(const char *when)
{
	char state[64], ops[128];

	read_line(SCX "state", state, sizeof(state));
	read_line(SCX "root/ops", ops, sizeof(ops));
	fprintf(com2, "%s: state=%s ops=%s\n", when, state, ops);
}

int main(int argc, char **argv)
{
	long ms = argc > 2 ? atol(argv[2]) : 1000;
	int kill_it = argc > 1 && strcmp(argv[1], "kill") == 0;
	pid_t sched;

	com2 = fopen("/dev/ttyS1", "we");
	if (!com2 || argc < 2)
		return 2;
	setvbuf(com2, NULL, _IOLBF, 0);
	fprintf(com2, "===KTSTR_TEST_RESULT_START===\n");
	report_state("before");
	fprintf(com2, "cpus=%ld\n", sysconf(_SC_NPROCESSORS_ONLN));
	report_topology();
	if (work_with(strcmp(argv[1], "wake") == 0 ? wake : spin, kill_it ? ms / 2 : ms) < 0)
		fprintf(com2, "work=failed\n");
	if (kill_it) {
		sched = scheduler_pid();
		fprintf(com2, "killed=%s\n", sched > 0 && kill(sched, SIGKILL) == 0 ? "yes" : "no");
		work(ms / 2);
	}
	fprintf(com2, "work=done\n");
	report_state("after");
	fprintf(com2, "===KTSTR_TEST_RESULT_END===\n");
	fclose(com2);
	return 0;
}
