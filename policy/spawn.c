/* sandbox_spawn(): fork+exec of a helper with exactly the fds it is given. In strict the
 * child is cloned into new namespaces; the parent writes its uid/gid maps, and the child
 * carries the few capabilities sandbox_enter() needs across exec as ambient ones. The
 * child runs only async-signal-safe code until exec. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy/internal.h"

#define STRICT_NS_FLAGS (CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | \
			 CLONE_NEWIPC | CLONE_NEWUTS)
#define MAX_FD_MAP 16
#define MAX_ENV 8

enum child_stage { STAGE_FDS = 1, STAGE_CAPS, STAGE_EXEC };

struct child_failure {
	int stage;
	int code;
};

struct child_plan {
	const char *path;
	char *const *argv;
	char *envp[MAX_ENV + 1];
	const struct sandbox_fd_map *fds;
	unsigned nfds;
	int err_fd;
	int sync_fd;   /* strict: the parent writes one byte once the id maps are in place */
	int sync_wr;   /* the parent's end, closed first so a failed parent means EOF */
};

/* Only sanitizer settings travel: nothing else of the caller's environment (LD_PRELOAD,
 * locale, paths) reaches a sandboxed process. */
static void plan_environment(struct child_plan *p)
{
	static const char *const keep[] = { "ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS=" };
	extern char **environ;
	unsigned n = 0;

	for (char **e = environ; e && *e && n < MAX_ENV; e++)
		for (unsigned k = 0; k < sizeof(keep) / sizeof(keep[0]); k++)
			if (strncmp(*e, keep[k], strlen(keep[k])) == 0)
				p->envp[n++] = *e;
	p->envp[n] = NULL;
}

static __attribute__((noreturn)) void child_fail(const struct child_plan *p, int stage)
{
	struct child_failure f = { .stage = stage, .code = errno };

	if (write(p->err_fd, &f, sizeof(f)) < 0)
		_exit(126);
	_exit(127);
}

static bool is_target(const struct child_plan *p, int fd)
{
	for (unsigned i = 0; i < p->nfds; i++)
		if (p->fds[i].to == fd)
			return true;
	return false;
}

/* Every target fd gets its source; everything else below the highest target is closed and
 * everything above it is close-on-exec (the error pipe must live until exec). */
static int child_setup_fds(struct child_plan *p)
{
	int tmp[MAX_FD_MAP];
	int max_to = 2;

	for (unsigned i = 0; i < p->nfds; i++)
		if (p->fds[i].to > max_to)
			max_to = p->fds[i].to;
	p->err_fd = fcntl(p->err_fd, F_DUPFD_CLOEXEC, max_to + 1);
	if (p->err_fd < 0)
		_exit(126);
	for (unsigned i = 0; i < p->nfds; i++)
		if ((tmp[i] = fcntl(p->fds[i].from, F_DUPFD_CLOEXEC, max_to + 1)) < 0)
			return -1;
	for (unsigned i = 0; i < p->nfds; i++)
		if (dup2(tmp[i], p->fds[i].to) < 0)
			return -1;
	for (int fd = 0; fd <= max_to; fd++)
		if (!is_target(p, fd))
			close(fd);
	return (int)syscall(SYS_close_range, (unsigned)max_to + 1, ~0U, CLOSE_RANGE_CLOEXEC);
}

/* What sandbox_enter() needs in strict, after exec: mount and pivot (SYS_ADMIN), chroot
 * where / cannot be pivoted from (SYS_CHROOT), lower the bounding set (SETPCAP), switch to the
 * mapped identity (SETUID, SETGID). */
static int child_raise_ambient(void)
{
	static const int caps[] = { CAP_SYS_ADMIN, CAP_SYS_CHROOT, CAP_SETPCAP, CAP_SETUID,
				    CAP_SETGID };
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -1;
	for (unsigned i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		data[caps[i] >> 5].inheritable |= 1u << (caps[i] & 31);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -1;
	for (unsigned i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, caps[i], 0, 0) < 0)
			return -1;
	return 0;
}

/* A helper starts with every signal deliverable except the terminal's: on Ctrl-C or a
 * hangup it is the spawner that decides how the helper ends (after draining it). */
static void child_reset_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_SETMASK, &set, NULL);
}

static __attribute__((noreturn)) void child_run(struct child_plan *p)
{
	char go;

	if (p->sync_wr >= 0)
		close(p->sync_wr);
	if (p->sync_fd >= 0 && read(p->sync_fd, &go, 1) != 1)
		_exit(127); /* the parent failed and says so itself */
	if (child_setup_fds(p) < 0)
		child_fail(p, STAGE_FDS);
	child_reset_signals();
	if (p->sync_fd >= 0 && child_raise_ambient() < 0)
		child_fail(p, STAGE_CAPS);
	execve(p->path, p->argv, p->envp);
	child_fail(p, STAGE_EXEC);
}

static int write_proc_file(pid_t pid, const char *name, const char *text, struct kerr *err)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return kerr_errno(err, errno, "open %s", path);
	n = write(fd, text, strlen(text));
	if (n < 0)
		kerr_errno(err, errno, "write \"%.*s\" to %s", (int)strcspn(text, "\n"), text, path);
	close(fd);
	return n < 0 ? -err->code : 0;
}

static int write_id_maps(pid_t pid, const struct sandbox_spec *spec, struct kerr *err)
{
	char map[64];
	int r;

	/* Without CAP_SETGID outside, a gid map is only accepted once setgroups is denied. */
	if (geteuid() != 0 && (r = write_proc_file(pid, "setgroups", "deny", err)) < 0)
		return r;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)spec->uid, (unsigned)spec->uid);
	if ((r = write_proc_file(pid, "uid_map", map, err)) < 0)
		return r;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)spec->gid, (unsigned)spec->gid);
	return write_proc_file(pid, "gid_map", map, err);
}

static int child_outcome(int err_fd, const char *path, struct kerr *err)
{
	static const char *const stages[] = { "", "set up its fds", "raise ambient capabilities",
					      "exec" };
	struct child_failure f;
	ssize_t n;

	do
		n = read(err_fd, &f, sizeof(f));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0; /* the pipe closed on exec: the child is running the helper */
	if (n != (ssize_t)sizeof(f) || f.stage < STAGE_FDS || f.stage > STAGE_EXEC)
		return kerr_set(err, EIO, "spawn %s: the child died before exec", path);
	kerr_errno(err, f.code, "spawn %s: the child could not %s", path, stages[f.stage]);
	if (f.stage == STAGE_CAPS)
		kerr_wrap(err, "%s", sandbox_userns_hint());
	return -err->code;
}

static int spawn_failed(struct kerr *err, int code, const char *what)
{
	kerr_errno(err, code, "%s", what);
	if (code == EPERM || code == ENOSPC || code == EUSERS || code == EACCES)
		kerr_wrap(err, "%s", sandbox_userns_hint());
	return -err->code;
}

static int parent_finish(const struct sandbox_spec *spec, pid_t pid, int err_fd, int sync_fd,
			 const char *path, struct kerr *err)
{
	int r = 0;

	if (sync_fd >= 0) {
		r = write_id_maps(pid, spec, err);
		if (r < 0)
			kerr_wrap(err, "strict sandbox: %s", sandbox_userns_hint());
		else if (write(sync_fd, "g", 1) != 1)
			r = kerr_errno(err, errno, "release the sandboxed child");
		close(sync_fd);
	}
	if (r == 0)
		r = child_outcome(err_fd, path, err);
	close(err_fd);
	if (r < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return r;
}

int sandbox_spawn(const struct sandbox_spec *spec, const char *path, char *const argv[],
		  const struct sandbox_fd_map *fds, unsigned nfds, pid_t *pid_out, struct kerr *err)
{
	struct child_plan plan = { .path = path, .argv = argv, .fds = fds, .nfds = nfds,
				   .sync_fd = -1, .sync_wr = -1 };
	bool strict = spec->level == SANDBOX_STRICT;
	int errp[2], syncp[2] = { -1, -1 };
	long pid;

	if (nfds > MAX_FD_MAP)
		return kerr_set(err, EINVAL, "spawn %s: %u fds, at most %d", path, nfds, MAX_FD_MAP);
	plan_environment(&plan);
	if (pipe2(errp, O_CLOEXEC) < 0)
		return kerr_errno(err, errno, "pipe");
	if (strict && pipe2(syncp, O_CLOEXEC) < 0) {
		close(errp[0]);
		close(errp[1]);
		return kerr_errno(err, errno, "pipe");
	}
	plan.err_fd = errp[1];
	plan.sync_fd = syncp[0];
	plan.sync_wr = syncp[1];
	pid = syscall(SYS_clone, SIGCHLD | (strict ? STRICT_NS_FLAGS : 0), NULL, NULL, NULL, 0);
	if (pid == 0)
		child_run(&plan);
	close(errp[1]);
	if (syncp[0] >= 0)
		close(syncp[0]);
	if (pid < 0) {
		int code = errno;

		close(errp[0]);
		if (syncp[1] >= 0)
			close(syncp[1]);
		return strict ? spawn_failed(err, code, "strict sandbox: clone into new namespaces")
			      : kerr_errno(err, code, "fork");
	}
	*pid_out = (pid_t)pid;
	return parent_finish(spec, (pid_t)pid, errp[0], syncp[1], path, err);
}
