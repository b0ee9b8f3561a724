/* ktstr-vmm's command line, run as the real binary: help and version succeed, and every bad
 * option or value is refused with exit status 2 and a message naming it. */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/host/host_reserve.h"

static char vmm_path[PATH_MAX];

struct run {
	int status;
	char out[16384];
	char err[16384];
};

static int setup_paths(void **state)
{
	const char *build = getenv("KTSTR_BUILD");

	(void)state;
	snprintf(vmm_path, sizeof(vmm_path), "%s/ktstr-vmm", build ? build : "build");
	return access(vmm_path, X_OK) == 0 ? 0 : -1;
}

static void slurp(int fd, char *buf, size_t size)
{
	size_t used = 0;
	ssize_t n;

	while (used + 1 < size && (n = read(fd, buf + used, size - 1 - used)) > 0)
		used += (size_t)n;
	buf[used] = '\0';
	close(fd);
}

/* Runs ktstr-vmm with these n arguments (at most 30); stdout, stderr and status captured. */
static void run_vmm_argv(struct run *r, const char *const *args, unsigned n)
{
	char *argv[32] = { vmm_path };
	int out[2], err[2];
	pid_t pid;

	assert_true(n <= 30);
	for (unsigned i = 0; i < n; i++)
		argv[i + 1] = (char *)args[i];
	argv[n + 1] = NULL;
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(vmm_path, argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	slurp(out[0], r->out, sizeof(r->out));
	slurp(err[0], r->err, sizeof(r->err));
	assert_int_equal(waitpid(pid, &r->status, 0), pid);
	assert_true(WIFEXITED(r->status));
	r->status = WEXITSTATUS(r->status);
}

/* The same with the arguments NULL-terminated. */
static void run_vmm(struct run *r, ...)
{
	const char *args[31];
	unsigned n = 0;
	va_list ap;

	va_start(ap, r);
	while (n < 30 && (args[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	run_vmm_argv(r, args, n);
}

static void test_help_and_version(void **state)
{
	static struct run r;

	(void)state;
	run_vmm(&r, "--help", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "usage: ktstr-vmm"));
	assert_non_null(strstr(r.out, "Exit status"));
	run_vmm(&r, "--version", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "ktstr-vmm "));
}

static void expect_usage_error(const char *opt, const char *value, const char *says)
{
	static struct run r;

	run_vmm(&r, opt, value, NULL);
	assert_int_equal(r.status, 2);
	if (!strstr(r.err, says))
		fail_msg("%s %s: stderr \"%s\" does not say \"%s\"", opt, value ? value : "", r.err, says);
	assert_string_equal(r.out, "");
}

static void test_bad_options_named(void **state)
{
	(void)state;
	expect_usage_error("--no-such-option", NULL, "\"--no-such-option\"");
	expect_usage_error("--sandbox", "paranoid", "--sandbox: \"paranoid\"");
	expect_usage_error("--sandbox", NULL, "--sandbox: needs a value");
	expect_usage_error("--sandbox=", NULL, "--sandbox: \"\"");
	expect_usage_error("--cpus", "0", "--cpus: 0 is out of range (1..1024)");
	expect_usage_error("--cpus", "two", "--cpus: \"two\" is not a number of vCPUs");
	expect_usage_error("--cpus", "-1", "--cpus: \"-1\"");
	expect_usage_error("--memory", "64", "--memory: 64 is out of range (128..");
	expect_usage_error("--memory", "99999999999999999999999", "--memory: \"99999999999999999999999\"");
	expect_usage_error("--memory", "512M", "--memory: \"512M\" is not a number of MiB");
	expect_usage_error("--timeout", "1.5", "--timeout: \"1.5\"");
	expect_usage_error("--sandbox-id", "0", "--sandbox-id: 0 is out of range");
	expect_usage_error("--sandbox-id", "1000:x", "--sandbox-id: \"x\" is not a numeric gid");
	expect_usage_error("--initrd", "/x", "--kernel is required");
	expect_usage_error("stray", NULL, "unexpected argument \"stray\"");
	expect_usage_error("--disk", "/x,rw", "--disk: unknown option \"rw\"");
	expect_usage_error("--disk", "/x,iops=0", "--disk: iops=0 is not a positive number");
	expect_usage_error("--disk", "/x,bps=1M", "--disk: bps=1M is not a positive number");
	expect_usage_error("--disk", ",ro", "names no file");
	expect_usage_error("--disk", "/x,bps_burst=4096", "bps_burst needs bps");
	expect_usage_error("--net=02:00:00:00:00", NULL, "--net: \"02:00:00:00:00\" is not a MAC");
	expect_usage_error("--net=02:00:00:00:00:0g", NULL, "is not a MAC");
	expect_usage_error("--net=03:00:00:00:00:01", NULL, "03:00:00:00:00:01 is a multicast");
	expect_usage_error("--net=00:00:00:00:00:00", NULL, "is a multicast or zero");
	expect_usage_error("--include", "/x:/a/../b", "--include: \"/x\" is not HOST or HOST:/GUEST");
	expect_usage_error("--initramfs-compress", "xz", "--initramfs-compress: \"xz\" is not gzip or none");
	expect_usage_error("--console-log-limit", "1G", "--console-log-limit: \"1G\" is not a number of MiB");
	expect_usage_error("--console-log-limit", "2000000", "--console-log-limit: 2000000 is out of range");
	{
		static struct run r;

		/* acpi=off, which --virtio-cmdline needs, has nothing to describe NUMA nodes with */
		run_vmm(&r, "--kernel", "/x", "--virtio-cmdline", "--topology", "2,2,1,1", "--", "true", NULL);
		assert_int_equal(r.status, 2);
		if (!strstr(r.err, "--virtio-cmdline boots the guest with acpi=off, where nothing "
			    "describes NUMA nodes: the topology has 2"))
			fail_msg("stderr: %s", r.err);
	}
}

/* A disk that cannot be used is refused before any VM exists, naming it and why. */
static void test_bad_disks_named(void **state)
{
	static struct run r;
	char kernel[] = "/tmp/ktstr-cli-kernel-XXXXXX", disk[] = "/tmp/ktstr-cli-disk-XXXXXX";
	int kfd = mkstemp(kernel), dfd = mkstemp(disk);
	char ro[64];

	(void)state;
	assert_true(kfd >= 0 && dfd >= 0);
	assert_int_equal(ftruncate(dfd, 1000), 0);
	run_vmm(&r, "--kernel", kernel, "--disk", "/nonexistent/disk.img", "--", "true", NULL);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "--disk /nonexistent/disk.img"));
	run_vmm(&r, "--kernel", kernel, "--disk", disk, "--", "true", NULL);
	assert_int_not_equal(r.status, 0);
	if (!strstr(r.err, "size 1000 bytes is not a non-zero multiple of 512"))
		fail_msg("stderr: %s", r.err);
	run_vmm(&r, "--kernel", kernel, "--disk", "/tmp", "--", "true", NULL);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "--disk /tmp"));
	run_vmm(&r, "--kernel", kernel, "--stats-socket", "/nonexistent/stats.sock", "--", "true", NULL);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "--stats-socket /nonexistent/stats.sock: connect"));
	run_vmm(&r, "--kernel", kernel, "--profraw-dir", disk, "--", "true", NULL);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "not a directory"));
	{
		const char *argv[32] = { "--kernel", kernel };
		unsigned n = 2;

		for (int i = 0; i < 9; i++) {
			argv[n++] = "--disk";
			argv[n++] = disk;
		}
		argv[n++] = "--";
		argv[n++] = "true";
		run_vmm_argv(&r, argv, n);
		assert_int_equal(r.status, 2);
		if (!strstr(r.err, "--disk: at most 8 disks (/dev/vda to /dev/vdh)"))
			fail_msg("stderr: %s", r.err);
	}
	/* one file behind two disks, one of them writable: two processes would write it */
	assert_int_equal(ftruncate(dfd, 4096), 0);
	run_vmm(&r, "--kernel", kernel, "--disk", disk, "--disk", disk, "--", "true", NULL);
	assert_int_not_equal(r.status, 0);
	if (!strstr(r.err, "--disk 2 (") || !strstr(r.err, "is also --disk 1 (/dev/vda)"))
		fail_msg("stderr: %s", r.err);
	snprintf(ro, sizeof(ro), "%s,ro", disk);
	run_vmm(&r, "--kernel", kernel, "--disk", ro, "--disk", ro, "--disk", disk, "--", "true", NULL);
	assert_int_not_equal(r.status, 0);
	if (!strstr(r.err, "--disk 3 (") || !strstr(r.err, "is also --disk 1 (/dev/vda)"))
		fail_msg("stderr: %s", r.err);
	/* read-only everywhere is fine: whatever ends this run, it is not that */
	run_vmm(&r, "--kernel", kernel, "--disk", ro, "--disk", ro, "--", "true", NULL);
	if (strstr(r.err, "is also --disk"))
		fail_msg("stderr: %s", r.err);
	close(kfd);
	close(dfd);
	unlink(kernel);
	unlink(disk);
}

/* Files are checked before any VM exists: a missing kernel is a usage-level error that names
 * the file, whatever the machine (with or without /dev/kvm). */
static void test_missing_files_named(void **state)
{
	static struct run r;

	(void)state;
	run_vmm(&r, "--kernel", "/nonexistent/bzImage", "--", "true", NULL);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "/nonexistent/bzImage"));
	run_vmm(&r, "--kernel", "/nonexistent/bzImage", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "nothing to run: give a payload after --"));
	run_vmm(&r, "--kernel", "/x", "--scheduler-arg", "-v", "--", "true", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--scheduler-arg without --scheduler"));
	run_vmm(&r, "--kernel", "/x", "--initrd", "/y", "--include", "/z", "--", "true", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "cannot go with --initrd"));
}

/* --kernel NAME: a name that is no file here is a kernel of the cache (XDG_CACHE_HOME, a
 * directory of this test's own): found, it is what boots (an empty file: the bzImage check
 * names the cache path); missing, the error names the cache and the scripts that fill it. */
static void test_kernel_names(void **state)
{
	static struct run r;
	char cache[] = "/tmp/ktstr-cli-cache-XXXXXX", path[256];
	const char *old = getenv("XDG_CACHE_HOME");
	char *saved = old ? strdup(old) : NULL;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(cache));
	setenv("XDG_CACHE_HOME", cache, 1);
	run_vmm(&r, "--kernel", "ktstr-no-such", "--", "true", NULL);
	assert_int_equal(r.status, 2);
	snprintf(path, sizeof(path), "--kernel ktstr-no-such: no such file, and no kernel of that name "
		 "in %s/ktstr-vmm/kernels", cache);
	if (!strstr(r.err, path))
		fail_msg("stderr: %s", r.err);
	snprintf(path, sizeof(path), "%s/ktstr-vmm", cache);
	assert_int_equal(mkdir(path, 0700), 0);
	strcat(path, "/kernels");
	assert_int_equal(mkdir(path, 0700), 0);
	strcat(path, "/mine");
	assert_int_equal(mkdir(path, 0700), 0);
	strcat(path, "/vmlinuz");
	assert_true((fd = open(path, O_WRONLY | O_CREAT, 0644)) >= 0);
	close(fd);
	run_vmm(&r, "--kernel", "mine", "--no-host-check", "--", "true", NULL);
	assert_int_not_equal(r.status, 0);
	if (!strstr(r.err, path))   /* the resolved file is the one read (and refused: it is empty) */
		fail_msg("stderr: %s", r.err);
	if (saved)
		setenv("XDG_CACHE_HOME", saved, 1);
	else
		unsetenv("XDG_CACHE_HOME");
	free(saved);
	snprintf(path, sizeof(path), "rm -rf %s", cache);
	assert_int_equal(system(path), 0);
}

/* A lock directory and an empty "kernel" of a test's own, KTSTR_LOCK_DIR pointing there. */
struct lock_env {
	char dir[32], kernel[32];
	int kfd;
};

static void lock_env_open(struct lock_env *e)
{
	snprintf(e->dir, sizeof(e->dir), "/tmp/ktstr-cli-locks-XXXXXX");
	snprintf(e->kernel, sizeof(e->kernel), "/tmp/ktstr-cli-kernel-XXXXXX");
	e->kfd = mkstemp(e->kernel);
	assert_true(e->kfd >= 0);
	assert_non_null(mkdtemp(e->dir));
	setenv("KTSTR_LOCK_DIR", e->dir, 1);
}

static void lock_env_close(struct lock_env *e)
{
	char cmd[64];

	unsetenv("KTSTR_LOCK_DIR");
	close(e->kfd);
	unlink(e->kernel);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
	assert_int_equal(system(cmd), 0);
}

/* --cpu-cap on this very host, in a lock directory of the test's own: with every LLC held
 * exclusively (as a run that must be alone would), a capped run is skipped as busy (117)
 * before it builds anything, also after --wait-for-cpus; once they are free it is not. */
static void test_cpu_cap_busy(void **state)
{
	static struct run r;
	static struct host_topology t;
	static struct host_reservation held;
	struct lock_env e;
	struct kerr err = { 0 };
	const char *dir = e.dir, *kernel = e.kernel;

	(void)state;
	lock_env_open(&e);
	run_vmm(&r, "--kernel", kernel, "--wait-for-cpus", "3", "--", "true", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--wait-for-cpus without --cpu-cap"));
	run_vmm(&r, "--kernel", kernel, "--cpu-cap", "0", "--", "true", NULL);
	assert_int_equal(r.status, 2);
	assert_int_equal(host_topology_read("/", &t, &err), 0);
	assert_int_equal(host_reserve(dir, &t, t.nllcs, HOST_RESERVE_WHOLE_LLCS, &held, &err), 0);
	run_vmm(&r, "--kernel", kernel, "--no-host-check", "--cpu-cap", "1", "--", "true", NULL);
	assert_int_equal(r.status, 117);
	if (!strstr(r.err, "ktstr-vmm: skipped: --cpu-cap 1: resources busy: 0 of the 1 CPUs"))
		fail_msg("stderr: %s", r.err);
	run_vmm(&r, "--kernel", kernel, "--no-host-check", "--cpu-cap", "1", "--wait-for-cpus", "1",
		"--", "true", NULL);
	assert_int_equal(r.status, 117);
	assert_non_null(strstr(r.err, "after waiting 1 s"));
	host_release(&held);
	run_vmm(&r, "--kernel", kernel, "--no-host-check", "--cpu-cap", "1", "--", "true", NULL);
	assert_int_not_equal(r.status, 117);   /* it goes on, to refuse the empty kernel */
	assert_null(strstr(r.err, "busy"));
	lock_env_close(&e);
}

/* --performance on this very host: never with --cpu-cap; a VM this host could never hold is
 * an error that says why; every LLC held elsewhere makes it "resources busy" (117). */
static void test_performance_busy(void **state)
{
	static struct run r;
	static struct host_topology t;
	static struct host_reservation held;
	struct lock_env e;
	struct kerr err = { 0 };
	const char *dir = e.dir, *kernel = e.kernel;

	(void)state;
	lock_env_open(&e);
	run_vmm(&r, "--kernel", kernel, "--performance", "--cpu-cap", "1", "--", "true", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--cpu-cap 1 with --performance"));
	run_vmm(&r, "--kernel", kernel, "--no-host-check", "--performance", "--topology", "1,64,1,1",
		"--", "true", NULL);
	assert_int_not_equal(r.status, 117);
	if (!strstr(r.err, "--performance puts each of the VM's 64 LLCs (1 vCPUs each) on a whole host LLC"))
		fail_msg("stderr: %s", r.err);
	assert_int_equal(host_topology_read("/", &t, &err), 0);
	assert_int_equal(host_reserve(dir, &t, t.nllcs, HOST_RESERVE_WHOLE_LLCS, &held, &err), 0);
	run_vmm(&r, "--kernel", kernel, "--no-host-check", "--performance", "--wait-for-cpus", "1",
		"--", "true", NULL);
	assert_int_equal(r.status, 117);
	if (!strstr(r.err, "skipped: --performance: ") || !strstr(r.err, "resources busy: 0 of the 1 whole LLCs") ||
	    !strstr(r.err, "after waiting 1 s"))
		fail_msg("stderr: %s", r.err);
	host_release(&held);
	lock_env_close(&e);
}

/* --check-host on this very host: a verdict line, and the exit status agrees with it (0 for
 * a native boot, 119 otherwise), in text and in JSON. */
static void test_check_host(void **state)
{
	static struct run r;
	bool native;

	(void)state;
	run_vmm(&r, "--check-host", NULL);
	assert_non_null(strstr(r.out, "kvm-device "));
	assert_non_null(strstr(r.out, "seccomp "));
	native = strstr(r.out, "verdict: native boots can work here") != NULL;
	assert_true(native || strstr(r.out, "verdict: no native boot here"));
	assert_int_equal(r.status, native ? 0 : 119);
	run_vmm(&r, "--check-host", "--json", NULL);
	assert_int_equal(r.status, native ? 0 : 119);
	assert_non_null(strstr(r.out, native ? "\"native_boot\": true" : "\"native_boot\": false"));
	expect_usage_error("--json", NULL, "--json goes with --check-host");
	expect_usage_error("--check-host", "--cpus=2", "--check-host takes no other option than --json");
}

/* Where --check-host says no native boot (no /dev/kvm, or PVM as on this project's machines),
 * a run is refused with 119 before anything is built, naming the way out; --no-host-check
 * goes on to the kernel, which here is no bzImage. */
static void test_unbootable_host_refused(void **state)
{
	static struct run r;
	char kernel[] = "/tmp/ktstr-cli-kernel-XXXXXX";
	int kfd = mkstemp(kernel);

	(void)state;
	assert_true(kfd >= 0);
	run_vmm(&r, "--check-host", NULL);
	if (r.status == 0 || strstr(r.out, "verdict: no native boot here (kvm-kind failed") == NULL) {
		close(kfd);
		unlink(kernel);
		skip();   /* a host whose KVM boots stock kernels, or one failing elsewhere */
	}
	run_vmm(&r, "--kernel", kernel, "--", "true", NULL);
	assert_int_equal(r.status, 119);
	assert_non_null(strstr(r.err, "nested harness (scripts/nested-kvm"));
	assert_null(strstr(r.err, "initramfs"));
	run_vmm(&r, "--no-host-check", "--kernel", kernel, "--initrd", kernel, NULL);
	assert_int_equal(r.status, 120);
	assert_null(strstr(r.err, "nested harness"));
	close(kfd);
	unlink(kernel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_bad_options_named),
		cmocka_unit_test(test_missing_files_named),
		cmocka_unit_test(test_kernel_names),
		cmocka_unit_test(test_cpu_cap_busy),
		cmocka_unit_test(test_performance_busy),
		cmocka_unit_test(test_bad_disks_named),
		cmocka_unit_test(test_check_host),
		cmocka_unit_test(test_unbootable_host_refused),
	};

	return cmocka_run_group_tests(tests, setup_paths, NULL);
}
