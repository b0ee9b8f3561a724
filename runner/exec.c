/* Concurrent ktstr-vmm runs; see exec.h. */
#include "runner/exec.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "vmm/outcome.h"

#define NOT_STARTED    127   /* the child could not exec ktstr-vmm (as a shell says) */
#define TAIL_LINES     30
#define TAIL_BYTES     8192

struct slot {
	pid_t pid;                   /* 0: free */
	unsigned test;
	struct timespec start;
};

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* work_dir/NNN-NAME.EXT, the name made safe for a file name. */
static void test_file(const struct exec_config *c, unsigned i, const char *name, const char *ext,
		      char *out, size_t size)
{
	char safe[SUITE_NAME_MAX];
	size_t k = 0;

	for (; name[k] && k + 1 < sizeof(safe); k++)
		safe[k] = isalnum((unsigned char)name[k]) || name[k] == '-' || name[k] == '.' ? name[k] : '_';
	safe[k] = '\0';
	snprintf(out, size, "%s/%03u-%s.%s", c->work_dir, i, safe, ext);
}

static bool has_opt(const struct suite_test *t, const char *opt)
{
	for (unsigned i = 0; i < t->n_opts; i++)
		if (strcmp(t->opts[i], opt) == 0)
			return true;
	return false;
}

/* ktstr-vmm's argv for test i (strings owned by the test, the config and bufs). */
static void build_argv(const struct exec_config *c, const struct suite_test *t, unsigned i,
		       char bufs[4][4200], char **argv)
{
	unsigned n = 0, cap = t->cpus ? t->cpus : 1;

	argv[n++] = (char *)c->vmm;
	if (c->kernel && !has_opt(t, "--kernel")) {
		argv[n++] = (char *)"--kernel";
		argv[n++] = (char *)c->kernel;
	}
	for (unsigned k = 0; k < t->n_opts; k++)
		argv[n++] = t->opts[k];
	test_file(c, i, t->name, "json", bufs[0], sizeof(bufs[0]));
	test_file(c, i, t->name, "console", bufs[1], sizeof(bufs[1]));
	argv[n++] = (char *)"--results";
	argv[n++] = bufs[0];
	argv[n++] = (char *)"--console-log";
	argv[n++] = bufs[1];
	if (!has_opt(t, "--performance")) {   /* it reserves whole LLCs itself */
		snprintf(bufs[2], sizeof(bufs[2]), "%u", cap < c->host_cpus ? cap : c->host_cpus);
		argv[n++] = (char *)"--cpu-cap";
		argv[n++] = bufs[2];
	}
	snprintf(bufs[3], sizeof(bufs[3]), "%u", 86400u);   /* wait for CPUs, never overlap */
	argv[n++] = (char *)"--wait-for-cpus";
	argv[n++] = bufs[3];
	argv[n++] = (char *)"--";
	for (unsigned k = 0; k < t->n_run; k++)
		argv[n++] = t->run[k];
	argv[n] = NULL;
}

static int start(const struct exec_config *c, struct run_result *r, unsigned i, struct slot *s,
		 struct kerr *err)
{
	char bufs[4][4200], errfile[4200], *argv[2 * SUITE_MAX_ARGS + 16];
	pid_t pid;
	int fd;

	pid_t parent = getpid();

	build_argv(c, r[i].test, i, bufs, argv);
	unlink(bufs[0]);   /* nothing of an earlier run in this --work-dir may pass for this one */
	unlink(bufs[1]);
	test_file(c, i, r[i].test->name, "stderr", errfile, sizeof(errfile));
	fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return kerr_errno(err, errno, "%s", errfile);
	pid = fork();
	if (pid < 0) {
		close(fd);
		return kerr_errno(err, errno, "fork for test %s", r[i].test->name);
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		sigset_t none;

		/* the VM dies with ktstr-run, however ktstr-run dies */
		sigemptyset(&none);
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent ||
		    sigprocmask(SIG_SETMASK, &none, NULL) < 0)
			_exit(NOT_STARTED);
		if (null < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(NOT_STARTED);
		execv(c->vmm, argv);
		dprintf(2, "ktstr-run: exec %s: %s\n", c->vmm, strerror(errno));
		_exit(NOT_STARTED);
	}
	close(fd);
	*s = (struct slot){ .pid = pid, .test = i };
	clock_gettime(CLOCK_MONOTONIC, &s->start);
	r[i].attempts++;
	return 0;
}

/* The last TAIL_LINES lines of a file (at most TAIL_BYTES), malloc'd; NULL when empty. */
static char *tail_of(const char *path)
{
	char *buf = malloc(TAIL_BYTES + 1), *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t end = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
	ssize_t n = -1;
	unsigned lines = 0;

	if (buf && end > 0)
		n = pread(fd, buf, (size_t)(end < TAIL_BYTES ? end : TAIL_BYTES), end < TAIL_BYTES ? 0 : end - TAIL_BYTES);
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)   /* a NUL would end the text early in every report */
		if (buf[i] == '\0')
			buf[i] = '?';
	for (p = buf + n - 1; p > buf; p--)
		if (*p == '\n' && p != buf + n - 1 && ++lines == TAIL_LINES)
			break;
	if (p > buf)
		memmove(buf, p + 1, strlen(p + 1) + 1);
	return buf;
}

/* ktstr-vmm's own lines naming a panic (its stderr), malloc'd; NULL when there are none. */
static char *panic_lines(const char *stderr_path)
{
	FILE *f = fopen(stderr_path, "re");
	char line[4096], *out = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		const char *at = strstr(line, "guest PANIC: ");
		char *grown;

		if (!at && !strstr(line, "Kernel panic"))
			continue;
		at = at ? at + strlen("guest PANIC: ") : line;
		if (!(grown = realloc(out, len + strlen(at) + 1)))
			break;
		out = grown;
		memcpy(out + len, at, strlen(at) + 1);
		len += strlen(at);
	}
	fclose(f);
	return out;
}

static const char *outcome_of(int status)
{
	switch (status) {
	case VMM_EXIT_BUSY: return "busy";
	case VMM_EXIT_SCHEDULER_DIED: return "scheduler_died";
	case VMM_EXIT_HOST_UNSUITABLE: return "host_unsuitable";
	case VMM_EXIT_HOST_ERROR: return "host_error";
	case VMM_EXIT_NO_RESULT: return "no_result";
	case VMM_EXIT_PANIC: return "panic";
	case VMM_EXIT_TIMEOUT: return "timeout";
	case NOT_STARTED: return "not_started";
	default: return "exited";
	}
}

bool exec_is_infra_failure(int status, const char *console_tail)
{
	return status == VMM_EXIT_HOST_ERROR || (status == VMM_EXIT_NO_RESULT && (!console_tail || !*console_tail));
}

/* The last line of a file, cut to fit. */
static void last_line(const char *path, char *out, size_t size)
{
	char *tail = tail_of(path), *end, *from;

	out[0] = '\0';
	if (!tail)
		return;
	end = tail + strlen(tail);
	while (end > tail && end[-1] == '\n')
		*--end = '\0';
	from = strrchr(tail, '\n');
	snprintf(out, size, "%s", from ? from + 1 : tail);
	free(tail);
}

/* The logs of a failed attempt stay beside the next one's, as NAME.console.N and .stderr.N. */
static void keep_attempt_logs(const struct exec_config *c, unsigned i, const char *name, unsigned attempt)
{
	static const char *const exts[] = { "console", "stderr" };

	for (int k = 0; k < 2; k++) {
		char from[4200], to[4300];

		test_file(c, i, name, exts[k], from, sizeof(from));
		snprintf(to, sizeof(to), "%s.%u", from, attempt);
		rename(from, to);
	}
}

/* Records how the test in s ended; true when it runs again (an infrastructure failure, when
 * may_retry and attempts are left). */
static bool finish(const struct exec_config *c, struct run_result *r, const struct slot *s, int wstatus,
		   bool may_retry)
{
	struct run_result *t = &r[s->test];
	char path[4200], why[400];
	size_t used;

	run_result_free(t);
	t->ran = true;
	t->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	t->seconds = since(&s->start);
	t->passed = WIFEXITED(wstatus) && t->status == t->test->expect;   /* a killed vmm never passes */
	snprintf(t->outcome, sizeof(t->outcome), "%s", WIFEXITED(wstatus) ? outcome_of(t->status) : "killed");
	test_file(c, s->test, t->test->name, "console", path, sizeof(path));
	t->console_tail = tail_of(path);
	test_file(c, s->test, t->test->name, "stderr", path, sizeof(path));
	t->panic = panic_lines(path);
	last_line(path, why, sizeof(why));
	snprintf(t->message, sizeof(t->message), "expected status %d, got %d%s%s", t->test->expect,
		 t->status, why[0] ? ": " : "", why);
	if (!may_retry || t->passed || !exec_is_infra_failure(t->status, t->console_tail) ||
	    t->attempts > c->retries)
		return false;
	used = strlen(t->retries);
	if ((size_t)snprintf(t->retries + used, sizeof(t->retries) - used, "%sattempt %u: %s", used ? "; " : "",
			     t->attempts, t->message) >= sizeof(t->retries) - used)
		memcpy(t->retries + sizeof(t->retries) - 4, "...", 4);   /* cut, and saying so */
	keep_attempt_logs(c, s->test, t->test->name, t->attempts);
	fprintf(stderr, "%sktstr-run: %s: an infrastructure failure (%s), running it again\n",
		c->progress ? "\r\033[K" : "", t->test->name, t->message);
	return true;
}

static void show_progress(const struct exec_config *c, unsigned done, unsigned n, unsigned running,
			  unsigned failed, const struct timespec *t0)
{
	double el = since(t0);

	if (!c->progress)
		return;
	fprintf(stderr, "\r\033[Kktstr-run: %u/%u done, %u running, %u failed, %.0f s", done, n, running,
		failed, el);
	if (done)
		fprintf(stderr, ", about %.0f s left", el / done * (n - done));
}

struct run_state {
	struct slot *slots;
	unsigned *pending, head, tail, cap;   /* a ring of tests to start; retries go back in */
	unsigned done, running, failed;
	int sigfd;                            /* SIGINT, SIGTERM, SIGHUP: stop the suite */
};

static void start_pending(const struct exec_config *c, struct run_result *r, struct run_state *st)
{
	for (unsigned j = 0; j < c->jobs && st->head != st->tail; j++) {
		struct kerr why = { 0 };
		unsigned i = st->pending[st->head];

		if (st->slots[j].pid)
			continue;
		st->head = (st->head + 1) % st->cap;
		if (start(c, r, i, &st->slots[j], &why) == 0) {
			st->running++;
			continue;
		}
		r[i].ran = true, r[i].status = NOT_STARTED, r[i].attempts++;
		snprintf(r[i].outcome, sizeof(r[i].outcome), "not_started");
		snprintf(r[i].message, sizeof(r[i].message), "could not start: %s", why.msg);
		st->done++, st->failed++;
	}
}

static void reap(const struct exec_config *c, struct run_result *r, struct run_state *st, pid_t pid,
		 int ws, bool may_retry)
{
	for (unsigned j = 0; j < c->jobs; j++) {
		if (st->slots[j].pid != pid)
			continue;
		st->slots[j].pid = 0;
		st->running--;
		if (finish(c, r, &st->slots[j], ws, may_retry)) {
			st->pending[st->tail] = st->slots[j].test;
			st->tail = (st->tail + 1) % st->cap;
		} else {
			st->done++;
			st->failed += !r[st->slots[j].test].passed;
		}
	}
}

/* Waits up to 100 ms for a child or a signal; the signal's number when one came, else 0. */
static int wait_event(const struct exec_config *c, struct run_result *r, struct run_state *st)
{
	struct pollfd pfd = { .fd = st->sigfd, .events = POLLIN };
	struct signalfd_siginfo si;
	pid_t pid;
	int ws;

	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0)
		reap(c, r, st, pid, ws, true);
	if (poll(&pfd, 1, 100) == 1 && read(st->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		return (int)si.ssi_signo;
	return 0;
}

/* A signal: every running VM is asked to end (ktstr-vmm ends its VM on SIGTERM) and waited
 * for; tests not started stay "not run". */
static void stop_all(const struct exec_config *c, struct run_result *r, struct run_state *st, int sig)
{
	pid_t pid;
	int ws;

	fprintf(stderr, "%sktstr-run: %s: stopping %u running VM%s; the rest are not run\n",
		c->progress ? "\r\033[K" : "", strsignal(sig), st->running, st->running == 1 ? "" : "s");
	for (unsigned j = 0; j < c->jobs; j++)
		if (st->slots[j].pid)
			kill(st->slots[j].pid, SIGTERM);
	while (st->running && (pid = waitpid(-1, &ws, 0)) > 0)
		reap(c, r, st, pid, ws, false);
}

int exec_suite(const struct exec_config *c, struct run_result *r, unsigned n, struct kerr *err)
{
	struct run_state st = { .slots = calloc(c->jobs, sizeof(*st.slots)), .cap = n + 1, .tail = n };
	sigset_t stop, before;
	struct timespec t0;
	int sig = 0;

	st.pending = calloc(n + 1, sizeof(*st.pending));
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	if (!st.slots || !st.pending || sigprocmask(SIG_BLOCK, &stop, &before) < 0 ||
	    (st.sigfd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		free(st.slots);
		free(st.pending);
		return kerr_errno(err, errno ? errno : ENOMEM, "ktstr-run: set up");
	}
	for (unsigned i = 0; i < n; i++)
		st.pending[i] = i;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (st.done < n && !sig) {
		start_pending(c, r, &st);
		show_progress(c, st.done, n, st.running, st.failed, &t0);
		sig = st.done < n ? wait_event(c, r, &st) : 0;
	}
	if (sig)
		stop_all(c, r, &st, sig);
	else if (c->progress)
		fputs("\r\033[K", stderr);
	close(st.sigfd);
	sigprocmask(SIG_SETMASK, &before, NULL);
	free(st.slots);
	free(st.pending);
	return sig;
}
