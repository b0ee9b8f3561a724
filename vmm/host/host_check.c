/* The host check as a whole: KVM (host_kvm.c), then what the sandbox needs (seccomp, user
 * namespaces for strict), the initramfs cache and hugepages, and the verdict. */
#include "vmm/host/host_check_internal.h"
#include "vmm/host/host_topology.h"

#include <errno.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "initgen/cache.h"

struct host_check *host_add(struct host_report *r, const char *name, enum host_status s,
			    const char *fmt, ...)
{
	struct host_check *c;
	va_list ap;

	/* HOST_MAX_CHECKS has room for every check host_check_run makes; never write past it. */
	if (r->n == HOST_MAX_CHECKS)
		r->n--;
	c = &r->checks[r->n++];

	c->name = name;
	c->status = s;
	c->fix[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	return c;
}

void host_fix(struct host_check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->fix, sizeof(c->fix), fmt, ap);
	va_end(ap);
}

static bool action_avail(uint32_t action)
{
	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

static void check_seccomp(struct host_report *r)
{
	const struct scmp_version *v = seccomp_version();

	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 || !action_avail(SECCOMP_RET_KILL_PROCESS)) {
		struct host_check *c = host_add(r, "seccomp", HOST_FAIL, "the kernel offers no seccomp filter that kills "
			     "a process (%s)", strerror(errno));
		host_fix(c, "a kernel with CONFIG_SECCOMP_FILTER; only --sandbox off runs without it");
		return;
	}
	host_add(r, "seccomp", HOST_OK, "filters that kill the process%s; libseccomp %u.%u.%u, API "
		 "level %u", action_avail(SECCOMP_RET_LOG) ? " or log (--sandbox audit)" : "",
		 v->major, v->minor, v->micro, seccomp_api_get());
}

/* The real answer: can this process make the namespaces a strict device process lives in? */
static int probe_userns(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC |
			      CLONE_NEWUTS) < 0 ? (errno & 0x7f) : 0);
	if (pid < 0)
		return errno;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return EIO;
	return WEXITSTATUS(status);
}

/* A mountinfo line ("ID PARENT MAJ:MIN ROOT MOUNTPOINT ...") for a mount on / that is its
 * own parent: the initial ramfs, which pivot_root cannot leave. */
static bool is_initial_ramfs_line(const char *line)
{
	unsigned long id, parent;
	const char *p = line;
	char *end;

	id = strtoul(p, &end, 10);
	if (end == p)
		return false;
	parent = strtoul(p = end, &end, 10);
	if (end == p || id != parent)
		return false;
	for (int field = 0; field < 2 && end; field++)   /* skip MAJ:MIN and ROOT */
		end = strchr(end + 1, ' ');
	return end && strncmp(end, " / ", 3) == 0;
}

static bool root_is_initial_ramfs(const char *root)
{
	char path[4096], line[4096];
	bool found = false;
	FILE *f;

	host_path(path, sizeof(path), root, "/proc/self/mountinfo");
	if (!(f = fopen(path, "re")))
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = is_initial_ramfs_line(line);
	fclose(f);
	return found;
}

static void check_userns(const struct host_env *env, struct host_report *r)
{
	const char *ramfs = root_is_initial_ramfs(env->root) ? "; / is the initial ramfs, so strict "
			    "moves its empty root over / (as switch_root does) instead of pivot_root" : "";
	char max[32] = "", clone[32] = "", aa[32] = "";
	bool unpriv = geteuid() != 0;
	const char *why = NULL;
	struct host_check *c;
	int e;

	host_read_line(env->root, "/proc/sys/user/max_user_namespaces", max, sizeof(max));
	host_read_line(env->root, "/proc/sys/kernel/unprivileged_userns_clone", clone, sizeof(clone));
	host_read_line(env->root, "/proc/sys/kernel/apparmor_restrict_unprivileged_userns", aa, sizeof(aa));
	if (strcmp(max, "0") == 0)
		why = "user.max_user_namespaces is 0";
	else if (unpriv && strcmp(clone, "0") == 0)
		why = "kernel.unprivileged_userns_clone is 0";
	else if (unpriv && strcmp(aa, "1") == 0)
		why = "kernel.apparmor_restrict_unprivileged_userns is 1 (AppArmor, as on Ubuntu 24.04)";
	if (!why && env->live && (e = probe_userns()) != 0)
		why = strerror(e);
	if (!why) {
		host_add(r, "userns", HOST_OK, "user, mount, PID, network, IPC and UTS namespaces can "
			 "be made: --sandbox strict works%s", ramfs);
		return;
	}
	c = host_add(r, "userns", HOST_WARN, "--sandbox strict cannot start here: %s", why);
	host_fix(c, "allow unprivileged user namespaces (e.g. sysctl -w kernel.apparmor_restrict_"
		 "unprivileged_userns=0 or user.max_user_namespaces=10000), or use --sandbox standard");
}

static void check_cache(struct host_report *r)
{
	char dir[PATH_MAX];
	struct kerr err = { 0 };

	if (cache_dir_init(dir, sizeof(dir), &err) < 0 || access(dir, W_OK | X_OK) < 0) {
		struct host_check *c = host_add(r, "cache-dir", HOST_WARN, "%s", err.code ? err.msg : strerror(errno));
		host_fix(c, "set XDG_CACHE_HOME (or HOME) to a writable place; until then every run "
			 "builds its initramfs again");
		return;
	}
	host_add(r, "cache-dir", HOST_OK, "%s is writable (0700)", dir);
}

static void check_hugepages(const struct host_env *env, struct host_report *r)
{
	char free_pages[32] = "?", total[32] = "?", thp[128] = "", *mode = NULL, *end;

	host_read_line(env->root, "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages",
		       free_pages, sizeof(free_pages));
	host_read_line(env->root, "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", total,
		       sizeof(total));
	if (host_read_line(env->root, "/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof(thp)) &&
	    (mode = strchr(thp, '[')) && (end = strchr(mode, ']')))
		*end = '\0';
	host_add(r, "hugepages", HOST_OK, "2 MiB pages: %s free of %s; transparent hugepages: %s "
		 "(--performance puts guest RAM on 2 MiB pages when enough are free)", free_pages,
		 total, mode ? mode + 1 : "unknown");
}

/* What the host gives a run: usable CPUs (online, within this process's cpuset), LLCs, nodes. */
static void check_cpus(const struct host_env *env, struct host_report *r)
{
	struct host_topology *t = malloc(sizeof(*t));
	struct kerr err = { 0 };

	if (!t || host_topology_read(env->root, t, &err) < 0) {
		struct host_check *c = host_add(r, "host-cpus", HOST_WARN, "%s",
						t ? err.msg : "out of memory");

		host_fix(c, "without the host's topology no CPUs can be pinned or reserved");
		free(t);
		return;
	}
	host_add(r, "host-cpus", HOST_OK, "%u usable CPUs%s in %u last-level cache%s on %u NUMA "
		 "node%s, SMT %s%s", t->ncpus, t->cpuset_limited ? " (the cpuset's)" : "",
		 t->nllcs, t->nllcs == 1 ? "" : "s", t->nnodes, t->nnodes == 1 ? "" : "s", t->smt ? "on" : "off",
		 t->cpuset_limited ? "; more are online outside this process's cpuset" : "");
	free(t);
}

void host_check_run(const struct host_env *env, struct host_report *r)
{
	memset(r, 0, sizeof(*r));
	host_kvm_identify(env->root, &r->kvm);
	host_check_kvm(env, r);
	check_seccomp(r);
	check_userns(env, r);
	check_cache(r);
	check_hugepages(env, r);
	check_cpus(env, r);
	r->native_boot = true;
	for (unsigned i = 0; i < r->n; i++)
		if (r->checks[i].status == HOST_FAIL)
			r->native_boot = false;
}
