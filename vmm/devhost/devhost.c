/* Device-process lifecycle on vmm's side; see devhost.h. */
#include "vmm/devhost/devhost.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


/* ktstr-devproc's command line for a spawn. */
struct spawn_args {
	char uid[16], gid[16], limit[32];
	char *argv[16];
};

static void spawn_args_fill(struct spawn_args *a, const struct devhost_spawn *s)
{
	unsigned n = 0;

	snprintf(a->uid, sizeof(a->uid), "%u", (unsigned)s->uid);
	snprintf(a->gid, sizeof(a->gid), "%u", (unsigned)s->gid);
	snprintf(a->limit, sizeof(a->limit), "%llu", (unsigned long long)s->log_limit);
	a->argv[n++] = (char *)s->devproc_path;
	a->argv[n++] = (char *)"--role";
	a->argv[n++] = (char *)sandbox_role_name(s->role);
	a->argv[n++] = (char *)"--sandbox";
	a->argv[n++] = (char *)sandbox_level_name(s->level);
	a->argv[n++] = (char *)"--uid";
	a->argv[n++] = a->uid;
	a->argv[n++] = (char *)"--gid";
	a->argv[n++] = a->gid;
	if (s->log_fd >= 0)
		a->argv[n++] = (char *)"--log-fd";
	if (s->log_fd >= 0 && s->log_limit) {
		a->argv[n++] = (char *)"--log-limit";
		a->argv[n++] = a->limit;
	}
	if (s->log_fd >= 0 && s->log_terminal)
		a->argv[n++] = (char *)"--log-terminal";
	a->argv[n] = NULL;
}

void devhost_spawn_config(struct devhost_spawn *sp, const char *devproc_path,
			  enum sandbox_role role, enum sandbox_level level)
{
	struct sandbox_spec defaults;

	sandbox_spec_init(&defaults, role, level);
	*sp = (struct devhost_spawn){ .devproc_path = devproc_path, .role = role, .level = level,
				      .uid = defaults.uid, .gid = defaults.gid, .log_fd = -1 };
}

void devhost_init(struct devhost *d)
{
	memset(d, 0, sizeof(*d));
	d->pid = -1;
	d->pidfd = -1;
	d->err_fd = -1;
	ipc_channel_init(&d->ch, -1, IPC_PEER_VMM, IPC_PEER_VMM);
}

int devhost_spawn(struct devhost *d, const struct devhost_spawn *s, struct kerr *err)
{
	struct spawn_args args = { 0 };
	struct sandbox_fd_map map[3];
	struct sandbox_spec spec;
	unsigned n = 0;
	int sv[2], errp[2], r;

	spawn_args_fill(&args, s);
	devhost_init(d);
	d->role = s->role;
	snprintf(d->name, sizeof(d->name), "%s", s->name ? s->name : sandbox_role_name(s->role));
	/* Its stderr is a pipe vmm reads: the user's terminal is not the device's to write. */
	if (pipe2(errp, O_CLOEXEC) < 0)
		return kerr_errno(err, errno, "%s device: pipe for its stderr", d->name);
	if ((r = ipc_channel_pair(sv, err)) < 0) {
		close(errp[0]);
		close(errp[1]);
		return r;
	}
	d->err_fd = errp[0];
	fcntl(d->err_fd, F_SETFL, O_NONBLOCK);
	map[n++] = (struct sandbox_fd_map){ errp[1], 2 };
	map[n++] = (struct sandbox_fd_map){ sv[1], IPC_FD_CHANNEL };
	if (s->log_fd >= 0)
		map[n++] = (struct sandbox_fd_map){ s->log_fd, IPC_FD_LOG };
	sandbox_spec_init(&spec, s->role, s->level);
	spec.uid = s->uid;
	spec.gid = s->gid;
	r = sandbox_spawn(&spec, s->devproc_path, args.argv, map, n, &d->pid, err);
	close(sv[1]);
	close(errp[1]);
	if (r < 0) {
		close(sv[0]);
		return kerr_wrap(err, "%s device", d->name);
	}
	ipc_channel_init(&d->ch, sv[0], IPC_PEER_VMM, (enum ipc_peer)s->role);
	d->pidfd = (int)syscall(SYS_pidfd_open, d->pid, 0);
	return 0;
}

int devhost_send(struct devhost *d, enum ipc_msg_type type, const void *body, const int *fds,
		 struct kerr *err)
{
	if (ipc_send_timed(&d->ch, type, body, fds, DEVHOST_SEND_MS, err) < 0)
		return kerr_wrap(err, "%s device", d->name);
	return 0;
}

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r;
}

static int device_error(struct devhost *d, const struct ipc_msg *m, struct kerr *err)
{
	return kerr_set(err, m->body.error.code, "%s device: %s", d->name,
			m->body.error.text);
}

int devhost_expect(struct devhost *d, enum ipc_msg_type type, int timeout_ms, struct ipc_msg *m,
		   struct kerr *err)
{
	if (wait_readable(d->ch.fd, timeout_ms) <= 0)
		return kerr_set(err, ETIMEDOUT, "%s device: no %s within %d ms",
				d->name, ipc_msg_name(type), timeout_ms);
	if (ipc_recv(&d->ch, m, err) < 0)
		return kerr_wrap(err, "%s device", d->name);
	if (m->type == IPC_MSG_ERROR)
		return device_error(d, m, err);
	if (m->type != type) {
		ipc_msg_close_fds(m);
		return kerr_set(err, EPROTO, "%s device: expected %s, got %s",
				d->name, ipc_msg_name(type), ipc_msg_name(m->type));
	}
	return 0;
}

int devhost_wait_hello(struct devhost *d, int timeout_ms, struct kerr *err)
{
	struct ipc_msg m = { 0 };
	int r = devhost_expect(d, IPC_MSG_HELLO, timeout_ms, &m, err);

	if (r == 0 && m.body.hello.role != (uint32_t)d->role)
		return kerr_set(err, EPROTO, "%s device: its hello names role %u",
				d->name, m.body.hello.role);
	return r;
}

int devhost_pump(struct devhost *d, devhost_msg_fn fn, void *opaque, struct kerr *err)
{
	struct ipc_msg m;

	if (ipc_recv(&d->ch, &m, err) < 0)
		return kerr_wrap(err, "%s device", d->name);
	if (m.type == IPC_MSG_ERROR)
		return device_error(d, &m, err);
	fn(opaque, &m);
	ipc_msg_close_fds(&m);
	return m.type == IPC_MSG_DONE ? 1 : 0;
}

static long remaining_ms(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

static void relay_stderr(struct devhost *d)
{
	static const char prefix[] = "ktstr-devproc[";
	uint8_t buf[DEVHOST_STDERR_MAX];
	char shown[2 * DEVHOST_STDERR_MAX];
	ssize_t n;
	size_t len, start = 0;

	if (d->err_fd < 0)
		return;
	n = read(d->err_fd, buf, sizeof(buf));
	close(d->err_fd);
	d->err_fd = -1;
	if (n <= 0)
		return;
	len = ipc_visible(buf, (size_t)n, shown);
	for (size_t i = 0; i <= len; i++) {
		if (i < len && shown[i] != '\n')
			continue;
		if (i > start)
			fprintf(stderr, "%s%s]: %.*s\n", prefix, d->name, (int)(i - start),
				shown + start);
		start = i + 1;
	}
}

static void wait_process(struct devhost *d, long timeout_ms)
{
	/* Without a pidfd there is no way to wait with a timeout: end it at once. */
	if (d->pidfd < 0 || wait_readable(d->pidfd, timeout_ms > 0 ? (int)timeout_ms : 0) <= 0)
		kill(d->pid, SIGKILL);
	while (waitpid(d->pid, &d->wait_status, 0) < 0 && errno == EINTR)
		;
	d->reaped = true;
	if (d->pidfd >= 0)
		close(d->pidfd);
	d->pidfd = -1;
}

/* Waits for the process (or kills it past timeout_ms), then relays what it left on stderr. */
static void reap(struct devhost *d, long timeout_ms)
{
	if (!d->reaped && d->pid > 0)
		wait_process(d, timeout_ms);
	relay_stderr(d);
}

int devhost_finish(struct devhost *d, int timeout_ms, devhost_msg_fn fn, void *opaque,
		   struct kerr *err)
{
	struct ipc_empty shutdown = { 0 };
	struct timespec deadline;
	int r = 0, done = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	if (d->ch.dead || d->ch.fd < 0) {
		reap(d, 0);   /* already failed, and already reported */
		return 0;
	}
	/* Bounded like every wait here: a device that stopped reading is killed below. */
	if ((r = ipc_send_timed(&d->ch, IPC_MSG_SHUTDOWN, &shutdown, NULL, timeout_ms, err)) < 0)
		kerr_wrap(err, "%s device", d->name);
	while (r == 0 && !done) {
		long left = remaining_ms(&deadline);

		if (left <= 0 || wait_readable(d->ch.fd, (int)left) <= 0) {
			r = kerr_set(err, ETIMEDOUT, "%s device: did not finish within %d ms",
				     d->name, timeout_ms);
			break;
		}
		r = devhost_pump(d, fn, opaque, err);
		done = r == 1;
		if (r == 1)
			r = 0;
	}
	reap(d, remaining_ms(&deadline));
	ipc_channel_close(&d->ch);
	return r;
}

void devhost_kill(struct devhost *d)
{
	if (d->pid > 0 && !d->reaped)
		kill(d->pid, SIGKILL);
	reap(d, 0);
	ipc_channel_close(&d->ch);
}

void devhost_describe_exit(const struct devhost *d, char *buf, size_t size)
{
	int st = d->wait_status;

	if (!d->reaped)
		snprintf(buf, size, "still running");
	else if (WIFEXITED(st))
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
		snprintf(buf, size, "killed by SIGSYS (a syscall its seccomp policy forbids)");
	else if (WIFSIGNALED(st))
		snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(buf, size, "ended with wait status 0x%x", st);
}
