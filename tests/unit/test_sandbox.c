/* The sandbox, proven on real processes: for every role and level a probe is started through
 * sandbox_spawn(), enters the sandbox, and is checked from inside (its own /proc status)
 * and from outside (/proc/<pid> here); forbidden syscalls must kill it with SIGSYS and the
 * role's allowed operations must work. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>
#include <cmocka.h>

#include "policy/sandbox.h"

enum { PROBE_OK = 0, PROBE_SYSCALL_WENT_THROUGH = 10 };

struct probe {
	pid_t pid;
	int report_rd;
	int cmd_wr;
	int ipc_peer;
	char report[16384];
	char outside[8192];
};

static char probe_path[PATH_MAX];

static int setup_paths(void **state)
{
	const char *build = getenv("KTSTR_BUILD");

	(void)state;
	snprintf(probe_path, sizeof(probe_path), "%s/tests/sandbox_probe", build ? build : "build");
	return access(probe_path, X_OK) == 0 ? 0 : -1;
}

static void read_all(int fd, char *buf, size_t size)
{
	size_t used = 0;
	ssize_t n;

	while (used + 1 < size && (n = read(fd, buf + used, size - 1 - used)) > 0)
		used += (size_t)n;
	buf[used] = '\0';
}

static void read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	read_all(fd, buf, size);
	close(fd);
}

/* Starts the probe and reads its report; the probe then waits for probe_finish(). Given a
 * root (a directory), the probe first makes it a root that pivot_root refuses. */
static int probe_start(struct probe *p, enum sandbox_role role, enum sandbox_level level,
		       const char *action, const char *root, struct kerr *err)
{
	int rep[2], cmd[2], sock[2], memfd, efd, file;
	char parent[16];
	char *argv[] = { probe_path, (char *)sandbox_role_name(role),
			 (char *)sandbox_level_name(level), (char *)action, parent, (char *)root,
			 NULL };
	struct sandbox_spec spec;
	int r;

	snprintf(parent, sizeof(parent), "%d", (int)getpid());
	assert_int_equal(pipe2(rep, O_CLOEXEC), 0);
	assert_int_equal(pipe2(cmd, O_CLOEXEC), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock), 0);
	memfd = memfd_create("probe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(memfd >= 0);
	assert_int_equal(ftruncate(memfd, 4096), 0);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	file = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	assert_true(efd >= 0 && file >= 0);
	{
		const struct sandbox_fd_map map[] = {
			{ 2, 2 }, { rep[1], 3 }, { cmd[0], 4 }, { memfd, 5 }, { efd, 6 },
			{ sock[1], 7 }, { file, 8 },
		};

		sandbox_spec_init(&spec, role, level);
		r = sandbox_spawn(&spec, probe_path, argv, map, 7, &p->pid, err);
	}
	close(rep[1]);
	close(cmd[0]);
	close(sock[1]);
	close(memfd);
	close(efd);
	close(file);
	p->report_rd = rep[0];
	p->cmd_wr = cmd[1];
	p->ipc_peer = sock[0];
	if (r < 0) {
		close(rep[0]);
		close(cmd[1]);
		close(sock[0]);
		return r;
	}
	read_all(p->report_rd, p->report, sizeof(p->report));
	return 0;
}

static int probe_finish(struct probe *p)
{
	int status;

	assert_int_equal(write(p->cmd_wr, "g", 1), 1);
	assert_int_equal(waitpid(p->pid, &status, 0), p->pid);
	close(p->report_rd);
	close(p->cmd_wr);
	close(p->ipc_peer);
	return status;
}

/* The value after "Field:" in a /proc status text, or NULL. */
static const char *status_field(const char *text, const char *field, char *out, size_t size)
{
	char key[64];
	const char *p;
	size_t n;

	snprintf(key, sizeof(key), "\n%s:", field);
	p = strstr(text, key);
	if (!p)
		return NULL;
	p += strlen(key);
	p += strspn(p, " \t");
	n = strcspn(p, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

static bool bounding_set_droppable(enum sandbox_level level)
{
	return geteuid() == 0 || level == SANDBOX_STRICT;
}

static void assert_sandboxed_status(const char *text, enum sandbox_level level)
{
	static const char *const zero_caps[] = { "CapInh", "CapPrm", "CapEff", "CapAmb" };
	char v[256];

	assert_non_null(status_field(text, "NoNewPrivs", v, sizeof(v)));
	assert_string_equal(v, "1");
	assert_non_null(status_field(text, "Seccomp", v, sizeof(v)));
	assert_string_equal(v, "2");
	for (unsigned i = 0; i < 4; i++) {
		assert_non_null(status_field(text, zero_caps[i], v, sizeof(v)));
		assert_string_equal(v, "0000000000000000");
	}
	if (bounding_set_droppable(level)) {
		assert_non_null(status_field(text, "CapBnd", v, sizeof(v)));
		assert_string_equal(v, "0000000000000000");
	}
	assert_non_null(status_field(text, "Uid", v, sizeof(v)));
	assert_true(strtoul(v, NULL, 10) != 0);
	assert_non_null(status_field(text, "Gid", v, sizeof(v)));
	if (geteuid() == 0) {
		assert_non_null(status_field(text, "Groups", v, sizeof(v)));
		assert_string_equal(v, "");
	}
}

static void check_outside(struct probe *p, enum sandbox_level level)
{
	char path[64], v[256];

	snprintf(path, sizeof(path), "/proc/%d/status", (int)p->pid);
	read_file(path, p->outside, sizeof(p->outside));
	assert_sandboxed_status(p->outside, level);
	assert_non_null(status_field(p->outside, "Uid", v, sizeof(v)));
	if (geteuid() == 0)
		assert_int_equal(strtoul(v, NULL, 10), SANDBOX_DEFAULT_ID);
	else
		assert_int_equal(strtoul(v, NULL, 10), getuid());
}

/* The probe's root, seen through /proc/<pid>/root, holds nothing. */
static void assert_root_empty(pid_t pid)
{
	char path[64];
	struct dirent *d;
	int entries = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	dir = opendir(path);
	assert_non_null(dir);
	while ((d = readdir(dir)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			entries++;
	closedir(dir);
	assert_int_equal(entries, 0);
}

/* The probe's root is a read-only tmpfs and its cwd is that root, not a directory beneath
 * (or above) it. */
static void assert_root_is_cwd(pid_t pid)
{
	char root[64], cwd[64];
	struct stat r, c;
	struct statfs fs;
	struct statvfs vfs;

	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	snprintf(cwd, sizeof(cwd), "/proc/%d/cwd", (int)pid);
	assert_int_equal(stat(root, &r), 0);
	assert_int_equal(stat(cwd, &c), 0);
	assert_true(r.st_dev == c.st_dev && r.st_ino == c.st_ino);
	assert_int_equal(statfs(root, &fs), 0);
	assert_true(fs.f_type == TMPFS_MAGIC);
	assert_int_equal(statvfs(root, &vfs), 0);
	assert_true(vfs.f_flag & ST_RDONLY);
}

/* From a helper that joins the probe's network namespace: only lo, and lo is down. */
static void assert_net_isolated(pid_t pid)
{
	char path[64];
	int status;
	pid_t helper;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	helper = fork();
	assert_true(helper >= 0);
	if (helper == 0) {
		struct if_nameindex *ifs;
		struct ifreq ifr = { .ifr_name = "lo" };
		int nsfd = open(path, O_RDONLY), s, count = 0;

		if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0)
			_exit(10);
		ifs = if_nameindex();
		for (struct if_nameindex *i = ifs; i && i->if_index; i++)
			count++;
		if (count != 1 || strcmp(ifs[0].if_name, "lo") != 0)
			_exit(11);
		s = socket(AF_INET, SOCK_DGRAM, 0);
		if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
			_exit(12);
		_exit(ifr.ifr_flags & IFF_UP ? 13 : 0);
	}
	assert_int_equal(waitpid(helper, &status, 0), helper);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void assert_strict_outside(struct probe *p)
{
	char v[256];

	assert_non_null(status_field(p->outside, "NSpid", v, sizeof(v)));
	assert_non_null(strchr(v, '\t'));
	assert_string_equal(strchr(v, '\t') + 1, "1");
	assert_non_null(strstr(p->report, "PID 1\n"));
	/* Not root, we own the probe's user namespace: its root is ours to look into. */
	assert_root_empty(p->pid);
	assert_root_is_cwd(p->pid);
	if (geteuid() != 0)
		return; /* entering its netns takes CAP_SYS_ADMIN here */
	assert_net_isolated(p->pid);
}

static void run_sandboxed_in(const char *root, enum sandbox_role role, enum sandbox_level level,
			     const char *action, int want_signal, int want_exit)
{
	struct probe p;
	struct kerr err = { 0 };
	int status;

	if (probe_start(&p, role, level, action, root, &err) < 0)
		fail_msg("spawn %s/%s: %s", sandbox_role_name(role), sandbox_level_name(level), err.msg);
	if (strncmp(p.report, "ERROR", 5) == 0)
		fail_msg("%s/%s: %s", sandbox_role_name(role), sandbox_level_name(level), p.report);
	assert_sandboxed_status(p.report, level);
	check_outside(&p, level);
	if (level == SANDBOX_STRICT)
		assert_strict_outside(&p);
	status = probe_finish(&p);
	if (want_signal) {
		if (!WIFSIGNALED(status))
			fail_msg("%s/%s/%s: exited %d, expected signal %d", sandbox_role_name(role),
				 sandbox_level_name(level), action, WEXITSTATUS(status), want_signal);
		assert_int_equal(WTERMSIG(status), want_signal);
	} else {
		if (!WIFEXITED(status))
			fail_msg("%s/%s/%s: killed by signal %d", sandbox_role_name(role),
				 sandbox_level_name(level), action, WTERMSIG(status));
		assert_int_equal(WEXITSTATUS(status), want_exit);
	}
}

static void run_sandboxed(enum sandbox_role role, enum sandbox_level level, const char *action,
			  int want_signal, int want_exit)
{
	run_sandboxed_in(NULL, role, level, action, want_signal, want_exit);
}

static const char *const forbidden[] = {
	"open", "socket", "execve", "ptrace", "mount", "kill", "mmap-exec", "sendmsg-other-fd",
	"unshare", "chroot", "fcntl-setfl",
};

static void check_role_level(enum sandbox_role role, enum sandbox_level level)
{
	run_sandboxed(role, level, "allowed", 0, PROBE_OK);
	for (unsigned i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
		run_sandboxed(role, level, forbidden[i], SIGSYS, 0);
#if !defined(__SANITIZE_ADDRESS__)   /* sanitizer builds set no RLIMIT_DATA (policy/identity.c) */
	run_sandboxed(role, level, "alloc-beyond-limit", 0, PROBE_OK);
#endif
}

static void test_standard_every_role(void **state)
{
	(void)state;
	for (int role = 1; role < SANDBOX_ROLE_END; role++)
		check_role_level((enum sandbox_role)role, SANDBOX_STANDARD);
}

static void test_strict_every_role(void **state)
{
	(void)state;
	for (int role = 1; role < SANDBOX_ROLE_END; role++)
		check_role_level((enum sandbox_role)role, SANDBOX_STRICT);
}

/* audit logs instead of killing: the forbidden syscall returns and the probe carries on. */
static void test_audit_logs_instead_of_killing(void **state)
{
	(void)state;
	for (int role = 1; role < SANDBOX_ROLE_END; role++) {
		run_sandboxed((enum sandbox_role)role, SANDBOX_AUDIT, "allowed", 0, PROBE_OK);
		run_sandboxed((enum sandbox_role)role, SANDBOX_AUDIT, "socket", 0,
			      PROBE_SYSCALL_WENT_THROUGH);
	}
}

/* off really is off: nothing is filtered (and so nothing is pretended). */
static void test_off_is_unsandboxed(void **state)
{
	struct probe p;
	struct kerr err = { 0 };
	char v[64];
	int status;

	(void)state;
	assert_int_equal(probe_start(&p, SANDBOX_ROLE_SERIAL, SANDBOX_OFF, "socket", NULL, &err),
			 0);
	assert_non_null(status_field(p.report, "Seccomp", v, sizeof(v)));
	assert_string_equal(v, "0");
	status = probe_finish(&p);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), PROBE_SYSCALL_WENT_THROUGH);
}

/* The same checks as an ordinary user: this binary runs itself again as `nobody`. */
static void test_unprivileged_user(void **state)
{
	char self[PATH_MAX];
	ssize_t n;
	pid_t child;
	int status;

	(void)state;
	if (geteuid() != 0)
		skip(); /* the whole suite already runs unprivileged */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char *argv[] = { self, (char *)"--unprivileged", NULL };

		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(90);
		execv(self, argv);
		_exit(91);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* With fs.suid_dumpable=1, the uid change would make the device dumpable again (so any
 * process of uid 65534 could ptrace it) had no-dump been set before it: the files in
 * /proc/<pid> of a non-dumpable process belong to root, not to the process's uid. */
static void test_not_dumpable_whatever_suid_dumpable(void **state)
{
	char old[8] = "", path[64];
	uid_t owner[SANDBOX_STRICT + 1] = { 0 };
	struct probe p;
	struct kerr err = { 0 };
	struct stat st;
	int fd = -1, spawned = 0;

	(void)state;
	if (geteuid() == 0)
		fd = open("/proc/sys/fs/suid_dumpable", O_RDWR);
	if (fd < 0 || read(fd, old, sizeof(old) - 1) <= 0 || pwrite(fd, "1", 1, 0) != 1) {
		if (fd >= 0)
			close(fd);
		skip();   /* only root changes identity and may set the sysctl (not in a container) */
		return;
	}
	for (int level = SANDBOX_STANDARD; level <= SANDBOX_STRICT; level++) {
		if (probe_start(&p, SANDBOX_ROLE_SERIAL, (enum sandbox_level)level, "exit", NULL, &err) < 0)
			break;
		snprintf(path, sizeof(path), "/proc/%d/status", (int)p.pid);
		owner[level] = stat(path, &st) == 0 ? st.st_uid : (uid_t)-1;
		probe_finish(&p);
		spawned++;
	}
	/* The host's setting back before anything is judged. */
	assert_true(pwrite(fd, old, strlen(old), 0) > 0);
	close(fd);
	if (spawned != 2)
		fail_msg("spawn: %s", err.msg);
	for (int level = SANDBOX_STANDARD; level <= SANDBOX_STRICT; level++)
		if (owner[level] != 0)
			fail_msg("%s: /proc/<pid>/status belongs to uid %d: the device is dumpable",
				 sandbox_level_name((enum sandbox_level)level), (int)owner[level]);
}

/* For a forked child: a user namespace of its own (plus `flags`) in which it is root with
 * every capability. 0, or the exit code saying which step failed. */
static int become_root_in_own_userns(int flags)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	char map[32];
	int fd;

	if (unshare(CLONE_NEWUSER | flags) < 0)
		return 91;
	fd = open("/proc/self/setgroups", O_WRONLY);
	if (fd >= 0) {
		(void)!write(fd, "deny", 4);
		close(fd);
	}
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	fd = open("/proc/self/uid_map", O_WRONLY);
	if (fd < 0 || write(fd, map, strlen(map)) < 0)
		return 92;
	close(fd);
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	fd = open("/proc/self/gid_map", O_WRONLY);
	if (fd < 0 || write(fd, map, strlen(map)) < 0)
		return 93;
	close(fd);
	return 0;
}

/* A host that forbids user namespaces: strict fails with a message saying so, and nothing
 * runs with less. The limit is set inside a user namespace of the test's own, so the host is
 * untouched. */
static void test_strict_refused_when_userns_forbidden(void **state)
{
	pid_t child;
	int status;

	(void)state;
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct probe p;
		struct kerr err = { 0 };
		int fd, r;

		if ((r = become_root_in_own_userns(0)) != 0)
			_exit(r);
		fd = open("/proc/sys/user/max_user_namespaces", O_WRONLY);
		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(94);
		close(fd);
		if (probe_start(&p, SANDBOX_ROLE_SERIAL, SANDBOX_STRICT, "exit", NULL, &err) == 0)
			_exit(95);
		if (!strstr(err.msg, "user namespaces") || !strstr(err.msg, "--sandbox standard"))
			_exit(96);
		_exit(0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A directory for the probe to make a root that pivot_root refuses (see sandbox_probe.c),
 * with tmp/ for the sandbox's empty tmpfs and proc/ for the probe's /proc. Made and removed
 * around the test using it. */
struct unpivotable_root {
	char dir[32];
	char tmp[40];
	char proc[40];
};

/* rmdir only: whatever was mounted on these lived in the probe's mount namespaces. */
static int remove_unpivotable_root(void **state)
{
	struct unpivotable_root *u = *state;
	int r = 0;

	r |= rmdir(u->proc) < 0 && errno != ENOENT;
	r |= rmdir(u->tmp) < 0 && errno != ENOENT;
	r |= rmdir(u->dir) < 0;
	free(u);
	return r ? -1 : 0;
}

static int make_unpivotable_root(void **state)
{
	struct unpivotable_root *u = calloc(1, sizeof(*u));

	if (!u)
		return -1;
	snprintf(u->dir, sizeof(u->dir), "/tmp/ktstr-root.XXXXXX");
	if (!mkdtemp(u->dir)) {
		free(u);
		return -1;
	}
	snprintf(u->tmp, sizeof(u->tmp), "%s/tmp", u->dir);
	snprintf(u->proc, sizeof(u->proc), "%s/proc", u->dir);
	*state = u;
	if (mkdir(u->tmp, 0755) < 0 || mkdir(u->proc, 0755) < 0) {
		remove_unpivotable_root(state);
		return -1;
	}
	return 0;
}

enum { PIVOT_REFUSED = 0, PIVOT_WENT_THROUGH = 1, PIVOT_OTHER_ERROR = 2, PIVOT_NO_USERNS = 3 };

/* The probe's root-making, then sandbox_empty_root()'s first steps, in a throwaway child with
 * the privilege the probe has (a user namespace of its own unless root): what pivot_root says. */
static __attribute__((noreturn)) void pivot_from(const char *dir, bool as_root)
{
	int r = as_root ? (unshare(CLONE_NEWNS) < 0 ? 90 : 0)
			: become_root_in_own_userns(CLONE_NEWNS);

	if (r != 0)
		_exit(r == 91 ? PIVOT_NO_USERNS : r);
	if (mount("", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("", "/", NULL, MS_REC | MS_SHARED, NULL) < 0 ||
	    mount(dir, dir, NULL, MS_BIND, NULL) < 0 || chroot(dir) < 0 || chdir("/") < 0)
		_exit(94);
	if (unshare(CLONE_NEWNS) < 0 || mount("", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		_exit(95);
	if (mount("ktstr-pivot", "/tmp", "tmpfs", 0, NULL) < 0 || chdir("/tmp") < 0)
		_exit(96);
	if (syscall(SYS_pivot_root, ".", ".") == 0)
		_exit(PIVOT_WENT_THROUGH);
	_exit(errno == EINVAL ? PIVOT_REFUSED : PIVOT_OTHER_ERROR);
}

static int pivot_status(const char *dir)
{
	pid_t child = fork();
	int status;

	assert_true(child >= 0);
	if (child == 0)
		pivot_from(dir, geteuid() == 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Strict where / cannot be pivoted away from, as on a host booted from an initramfs (its
 * root, rootfs, has no parent mount; scripts/nested-kvm runs so): sandbox_empty_root() must
 * move its empty tmpfs over / instead, with the same result seen from outside
 * (assert_strict_outside: an empty read-only tmpfs, the cwd) and the same syscalls killing
 * from inside. The probe's root is refused for another reason than rootfs's (see
 * sandbox_probe.c), and the throwaway child proves it is refused, so that the test cannot
 * pass through the pivot. */
static void test_strict_from_a_root_that_cannot_pivot(void **state)
{
	const struct unpivotable_root *u = *state;
	int r = pivot_status(u->dir);

	if (r == PIVOT_NO_USERNS && geteuid() != 0)
		skip(); /* no user namespaces here, and so no strict either */
	if (r != PIVOT_REFUSED)
		fail_msg("pivot_root from %s: expected EINVAL, the child said %d", u->dir, r);
	for (int role = 1; role < SANDBOX_ROLE_END; role++)
		run_sandboxed_in(u->dir, (enum sandbox_role)role, SANDBOX_STRICT, "allowed", 0,
				 PROBE_OK);
	run_sandboxed_in(u->dir, SANDBOX_ROLE_BLK, SANDBOX_STRICT, "open", SIGSYS, 0);
	run_sandboxed_in(u->dir, SANDBOX_ROLE_BLK, SANDBOX_STRICT, "mount", SIGSYS, 0);
	run_sandboxed_in(u->dir, SANDBOX_ROLE_BLK, SANDBOX_STRICT, "chroot", SIGSYS, 0);
}

static void test_spawn_reports_exec_failure(void **state)
{
	char *argv[] = { (char *)"/nonexistent/ktstr-devproc", NULL };
	struct sandbox_spec spec;
	struct kerr err = { 0 };
	pid_t pid;

	(void)state;
	sandbox_spec_init(&spec, SANDBOX_ROLE_SERIAL, SANDBOX_STANDARD);
	assert_int_equal(sandbox_spawn(&spec, argv[0], argv, NULL, 0, &pid, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/ktstr-devproc"));
	assert_non_null(strstr(err.msg, "exec"));
}

static void test_names_round_trip(void **state)
{
	enum sandbox_level level;
	enum sandbox_role role;

	(void)state;
	for (int l = SANDBOX_OFF; l <= SANDBOX_STRICT; l++) {
		assert_int_equal(sandbox_level_parse(sandbox_level_name(l), &level), 0);
		assert_int_equal(level, l);
	}
	for (int r = 1; r < SANDBOX_ROLE_END; r++) {
		assert_int_equal(sandbox_role_parse(sandbox_role_name(r), &role), 0);
		assert_int_equal(role, r);
	}
	assert_int_equal(sandbox_level_parse("strictest", &level), -EINVAL);
	assert_int_equal(sandbox_role_parse("gpu", &role), -EINVAL);
	assert_string_equal(sandbox_role_name(SANDBOX_ROLE_END), "?");
	assert_string_equal(sandbox_role_name(0), "?");
}

/* The role table's "writes" column is what sets RLIMIT_FSIZE: net writes nothing and gets a
 * zero limit; every other role writes a file (its disk, the log, the archive). */
static void test_role_table_file_writers(void **state)
{
	struct sandbox_spec spec;

	(void)state;
	for (int r = 1; r < SANDBOX_ROLE_END; r++) {
		bool writes = r != SANDBOX_ROLE_NET;

		assert_int_equal(sandbox_role_writes_files(r), writes);
		sandbox_spec_init(&spec, r, SANDBOX_STANDARD);
		assert_true(spec.fsize_limit == (writes ? UINT64_MAX : 0));
	}
	assert_false(sandbox_role_writes_files(SANDBOX_ROLE_END));
}

/* As `nobody` (started by test_unprivileged_user): strict through unprivileged user
 * namespaces, standard without any privilege to drop. */
static void test_as_nobody_strict(void **state)
{
	(void)state;
	run_sandboxed(SANDBOX_ROLE_BLK, SANDBOX_STRICT, "allowed", 0, PROBE_OK);
	run_sandboxed(SANDBOX_ROLE_BLK, SANDBOX_STRICT, "open", SIGSYS, 0);
	run_sandboxed(SANDBOX_ROLE_CONSOLE, SANDBOX_STRICT, "socket", SIGSYS, 0);
}

static void test_as_nobody_standard(void **state)
{
	(void)state;
	run_sandboxed(SANDBOX_ROLE_SERIAL, SANDBOX_STANDARD, "allowed", 0, PROBE_OK);
	run_sandboxed(SANDBOX_ROLE_SERIAL, SANDBOX_STANDARD, "kill", SIGSYS, 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_role_table_file_writers),
		cmocka_unit_test(test_spawn_reports_exec_failure),
		cmocka_unit_test(test_standard_every_role),
		cmocka_unit_test(test_strict_every_role),
		cmocka_unit_test(test_audit_logs_instead_of_killing),
		cmocka_unit_test(test_off_is_unsandboxed),
		cmocka_unit_test(test_unprivileged_user),
		cmocka_unit_test(test_strict_refused_when_userns_forbidden),
		cmocka_unit_test(test_not_dumpable_whatever_suid_dumpable),
		cmocka_unit_test_setup_teardown(test_strict_from_a_root_that_cannot_pivot,
						make_unpivotable_root, remove_unpivotable_root),
	};
	const struct CMUnitTest as_nobody[] = {
		cmocka_unit_test(test_as_nobody_strict),
		cmocka_unit_test(test_as_nobody_standard),
		cmocka_unit_test_setup_teardown(test_strict_from_a_root_that_cannot_pivot,
						make_unpivotable_root, remove_unpivotable_root),
	};

	if (argc == 2 && strcmp(argv[1], "--unprivileged") == 0) {
		/* Non-dumpable after leaving root: /proc/<child> would not be ours to write. */
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		return cmocka_run_group_tests_name("as nobody", as_nobody, setup_paths, NULL);
	}
	return cmocka_run_group_tests(tests, setup_paths, NULL);
}
