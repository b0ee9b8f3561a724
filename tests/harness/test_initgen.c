/* The initramfs builder end to end without KVM: ktstr-vmm's own initramfs_prepare drives
 * the real initgen process under the real sandbox; the archives are checked with GNU cpio
 * and gzip, the library resolution against real system binaries and against $ORIGIN,
 * RUNPATH and RPATH cases compiled here, and the cache through hit, miss, corruption, a
 * changed input and two builders at once. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
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

#include "vmm/devhost/devhost.h"
#include "vmm/boot/initramfs.h"

/* A writable string: cli_parse may cut an argument in place, as it may argv's. */
#define S(lit) ((char[]){ lit })

static char devproc_path[PATH_MAX];
static char work[PATH_MAX];

static int setup(void **state)
{
	const char *build = getenv("KTSTR_BUILD");
	char cache[PATH_MAX + 16];

	(void)state;
	snprintf(devproc_path, sizeof(devproc_path), "%s/ktstr-devproc", build ? build : "build");
	if (access(devproc_path, X_OK) < 0)
		return -1;
	snprintf(work, sizeof(work), "/tmp/ktstr-initgen-XXXXXX");
	if (!mkdtemp(work))
		return -1;
	snprintf(cache, sizeof(cache), "%s/cache", work);
	setenv("XDG_CACHE_HOME", cache, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", work);
	return system(cmd) == 0 ? 0 : -1;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A config as `ktstr-vmm [opts] --kernel K -- payload...` would give. */
static void config(struct vmm_config *cfg, char **argv)
{
	struct kerr err = { 0 };
	int argc = 0;

	while (argv[argc])
		argc++;
	if (cli_parse(argc, argv, cfg, &err) < 0)
		fail_msg("cli_parse: %s", err.msg);
	cfg->devproc_path = devproc_path;
}

/* Builds (or finds) the initramfs and copies it to work/NAME for the checkers. */
static int prepare(struct vmm_config *cfg, const char *name, struct initramfs *out, struct kerr *err)
{
	char path[PATH_MAX + 64];
	int r = initramfs_prepare(cfg, out, err);

	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s", work, name);
	assert_int_equal(sh("cat /proc/%d/fd/%d > %s", getpid(), out->fd, path), 0);
	close(out->fd);
	return 0;
}

/* The names GNU cpio lists, one per line, in work/NAME.list. */
static void listing(const char *name, bool gzip)
{
	if (gzip)
		assert_int_equal(sh("gzip -t %s/%s", work, name), 0);
	assert_int_equal(sh("%s %s/%s | cpio -it --quiet > %s/%s.list", gzip ? "zcat" : "cat", work, name, work,
			    name), 0);
}

static bool listed(const char *name, const char *entry)
{
	return sh("grep -qx -- '%s' %s/%s.list", entry, work, name) == 0;
}

/* A real, dynamically linked system binary: its interpreter and libc come along. */
static void test_system_binary(void **state)
{
	char *argv[] = { S("ktstr-vmm"), S("--kernel"), S("/nonexistent"), S("--"), S("gzip"), S("-t"), S("x"), NULL };
	struct vmm_config cfg;
	struct initramfs ir;
	struct kerr err = { 0 };

	(void)state;
	config(&cfg, argv);
	if (prepare(&cfg, "sys.cpio.gz", &ir, &err) < 0)
		fail_msg("%s", err.msg);
	assert_false(ir.cache_hit);
	listing("sys.cpio.gz", true);
	assert_true(listed("sys.cpio.gz", "init"));
	assert_true(listed("sys.cpio.gz", "ktstr/argv"));
	assert_true(listed("sys.cpio.gz", "lib64/ld-linux-x86-64.so.2"));
	assert_int_equal(sh("grep -q '/libc.so.6$' %s/sys.cpio.gz.list", work), 0);
	assert_int_equal(sh("grep -q 'bin/gzip$' %s/sys.cpio.gz.list", work), 0);
	/* the argv file: the payload's packed path, then its arguments, NUL-separated */
	assert_int_equal(sh("cd %s && mkdir -p x && cd x && zcat ../sys.cpio.gz | cpio -id --quiet ktstr/argv && "
			    "tr '\\0' ' ' < ktstr/argv | grep -q 'bin/gzip -t x $'", work), 0);
}

/* Built here: an app whose DT_RUNPATH is $ORIGIN/../lib, one whose DT_RPATH is absolute,
 * and one that needs a library that no longer exists. */
static void build_apps(void)
{
	assert_int_equal(sh("cd %s && mkdir -p app/bin app/lib rlib && "
			    "printf 'int foo(void){return 42;}\\n' > foo.c && "
			    "printf 'int bar(void){return 7;}\\n' > bar.c && "
			    "printf 'int foo(void);\\nint main(void){return foo()==42?0:1;}\\n' > main.c && "
			    "printf 'int bar(void);\\nint main(void){return bar()==7?0:1;}\\n' > main2.c && "
			    "cc -shared -fPIC -o app/lib/libfoo.so foo.c && cc -shared -fPIC -o rlib/libbar.so bar.c && "
			    "cc -shared -fPIC -o rlib/libgone.so bar.c && "
			    "cc -o app/bin/app main.c -Lapp/lib -lfoo -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib' && "
			    "cc -o app/bin/app2 main2.c -Lrlib -lbar -Wl,--disable-new-dtags,-rpath,%s/rlib && "
			    "cc -o app/bin/app3 main2.c -Lrlib -lgone -Wl,-rpath,%s/rlib && rm rlib/libgone.so",
			    work, work, work), 0);
	assert_int_equal(sh("readelf -d %s/app/bin/app | grep -q 'RUNPATH.*ORIGIN'", work), 0);
	assert_int_equal(sh("readelf -d %s/app/bin/app2 | grep -q '(RPATH)'", work), 0);
}

static void test_origin_runpath_rpath(void **state)
{
	char app[PATH_MAX + 32], app2[PATH_MAX + 32], app3[PATH_MAX + 32], want[PATH_MAX + 32];
	char inc[PATH_MAX * 2];
	char *argv[] = { S("ktstr-vmm"), S("--kernel"), S("/nonexistent"), S("--initramfs-compress"), S("none"),
			 S("--include"), inc, S("--"), app, NULL };
	char *argv3[] = { S("ktstr-vmm"), S("--kernel"), S("/nonexistent"), S("--"), app3, NULL };
	struct vmm_config cfg;
	struct initramfs ir;
	struct kerr err = { 0 };

	(void)state;
	build_apps();
	snprintf(app, sizeof(app), "%s/app/bin/app", work);
	snprintf(app2, sizeof(app2), "%s/app/bin/app2", work);
	snprintf(app3, sizeof(app3), "%s/app/bin/app3", work);
	snprintf(inc, sizeof(inc), "%s:/opt/app2", app2);
	config(&cfg, argv);
	if (prepare(&cfg, "origin.cpio", &ir, &err) < 0)
		fail_msg("%s", err.msg);
	listing("origin.cpio", false);
	snprintf(want, sizeof(want), "%s/app/lib/libfoo.so", work + 1);
	assert_true(listed("origin.cpio", want));          /* $ORIGIN/../lib, normalised */
	snprintf(want, sizeof(want), "%s/rlib/libbar.so", work + 1);
	assert_true(listed("origin.cpio", want));          /* the included app2's DT_RPATH */
	assert_true(listed("origin.cpio", "opt/app2"));
	config(&cfg, argv3);
	assert_true(initramfs_prepare(&cfg, &ir, &err) < 0);
	if (!strstr(err.msg, "app3 needs libgone.so"))
		fail_msg("unexpected error: %s", err.msg);
}

/* Builds payload PATH's initramfs, which must fail saying `says`; nothing of the private file
 * may be anywhere in the cache. */
static void expect_refused(const char *payload, const char *says)
{
	char *argv[] = { S("ktstr-vmm"), S("--kernel"), S("/nonexistent"), S("--"), (char *)payload, NULL };
	struct vmm_config cfg;
	struct initramfs ir;
	struct kerr err = { 0 };

	config(&cfg, argv);
	if (initramfs_prepare(&cfg, &ir, &err) == 0)
		fail_msg("%s was packed; expected: %s", payload, says);
	if (!strstr(err.msg, says))
		fail_msg("%s: \"%s\" does not say \"%s\"", payload, err.msg, says);
	assert_int_not_equal(sh("grep -rqa TOP-SECRET %s/cache", work), 0);
}

/* A payload is untrusted: what it names (PT_INTERP, #!, libraries on its DT_RPATH) is packed
 * only if it is an x86-64 ELF shared object (or, for #!, executable); a private file, a
 * library of another machine, an executable posing as a library and a FIFO are refused,
 * naming the binary and the path, and none of them stalls the build. */
static void test_hostile_payloads(void **state)
{
	char path[PATH_MAX + 64], says[3 * PATH_MAX];

	(void)state;
	assert_int_equal(sh("cd %s && mkdir -p evil/real evil/priv evil/wm evil/exe evil/fifo && cd evil && "
			    "printf 'TOP-SECRET-BYTES\\n' > secret && chmod 600 secret && cp secret priv/libpwn.so && "
			    "printf 'int pwn(void){return 1;}\\n' > pwn.c && printf 'int main(void){return 0;}\\n' > m.c && "
			    "printf 'int pwn(void);\\nint main(void){return pwn();}\\n' > m2.c && "
			    "cc -shared -fPIC -o real/libpwn.so pwn.c && "
			    "cc -o interp m.c -Wl,--dynamic-linker=%s/evil/secret && "
			    "cc -o interp-fifo m.c -Wl,--dynamic-linker=%s/evil/fifo/libpwn.so && "
			    "for d in priv wm exe fifo; do cc -o rpath-$d m2.c -Lreal -lpwn -Wl,--disable-new-dtags,-rpath,%s/evil/$d || exit 1; done && "
			    "cp real/libpwn.so wm/libpwn.so && printf '\\267\\000' | dd of=wm/libpwn.so bs=1 seek=18 conv=notrunc status=none && "
			    "cc -no-pie -o exe/libpwn.so m.c && mkfifo fifo/libpwn.so && "
			    "printf '#!%s/evil/secret\\necho hi\\n' > script && chmod +x script",
			    work, work, work, work, work), 0);
	snprintf(path, sizeof(path), "%s/evil/interp", work);
	snprintf(says, sizeof(says), "%s: its interpreter %s/evil/secret is not an ELF file, not an x86-64 "
		 "ELF shared object; refused", path, work);
	expect_refused(path, says);
	snprintf(path, sizeof(path), "%s/evil/script", work);
	snprintf(says, sizeof(says), "%s: its interpreter %s/evil/secret is not an ELF file, not an x86-64 "
		 "ELF executable; refused", path, work);
	expect_refused(path, says);
	snprintf(path, sizeof(path), "%s/evil/rpath-priv", work);
	snprintf(says, sizeof(says), "%s: its library %s/evil/priv/libpwn.so is not an ELF file", path, work);
	expect_refused(path, says);
	snprintf(path, sizeof(path), "%s/evil/rpath-wm", work);
	snprintf(says, sizeof(says), "%s/evil/wm/libpwn.so: not an x86-64 ELF (class 2, machine 183)", work);
	expect_refused(path, says);
	snprintf(path, sizeof(path), "%s/evil/rpath-exe", work);
	snprintf(says, sizeof(says), "%s: its library %s/evil/exe/libpwn.so is an ELF executable, not an "
		 "x86-64 ELF shared object; refused", path, work);
	expect_refused(path, says);
	/* Opening a FIFO would wait for a writer: the search passes it by, an interpreter is refused. */
	snprintf(path, sizeof(path), "%s/evil/rpath-fifo", work);
	snprintf(says, sizeof(says), "%s needs libpwn.so, which is in none of its RPATH", path);
	expect_refused(path, says);
	snprintf(path, sizeof(path), "%s/evil/interp-fifo", work);
	snprintf(says, sizeof(says), "%s needs %s/evil/fifo/libpwn.so, which is not a regular file", path, work);
	expect_refused(path, says);
}

/* An initgen taken over through a hostile ELF (tests/harness/attacker_devproc.c) claims
 * 4096 bytes but wrote 512: vmm believes the file, not the claim, and stops. */
static void test_lying_initgen(void **state)
{
	char *argv[] = { S("ktstr-vmm"), S("--kernel"), S("/nonexistent"), S("--"), S("gzip"), NULL };
	const char *build = getenv("KTSTR_BUILD") ? getenv("KTSTR_BUILD") : "build";
	char liar[PATH_MAX + 64];
	struct vmm_config cfg;
	struct initramfs ir;
	struct kerr err = { 0 };

	(void)state;
	assert_int_equal(sh("mkdir -p %s/lying-done && ln -sf %s/tests/attacker-devproc %s/lying-done/ktstr-devproc "
			    "&& ln -sf %s/ktstr-init %s/lying-done/ktstr-init", work, build, work, build, work), 0);
	snprintf(liar, sizeof(liar), "%s/lying-done/ktstr-devproc", work);
	config(&cfg, argv);
	cfg.devproc_path = liar;
	assert_true(initramfs_prepare(&cfg, &ir, &err) < 0);
	if (!strstr(err.msg, "initgen reported an archive of 4096 bytes, but it wrote 512"))
		fail_msg("unexpected error: %s", err.msg);
}

static void test_cache(void **state)
{
	char *argv[] = { S("ktstr-vmm"), S("--kernel"), S("/nonexistent"), S("--"), S("gzip"), NULL };
	struct vmm_config cfg;
	struct initramfs ir;
	struct kerr err = { 0 };

	(void)state;
	config(&cfg, argv);
	assert_int_equal(prepare(&cfg, "c1", &ir, &err), 0);
	assert_false(ir.cache_hit);
	assert_int_equal(prepare(&cfg, "c2", &ir, &err), 0);
	assert_true(ir.cache_hit);
	assert_int_equal(sh("cmp -s %s/c1 %s/c2", work, work), 0);
	/* one byte of the cached archive flipped: found, refused, rebuilt */
	assert_int_equal(sh("for f in %s/cache/ktstr-vmm/initramfs/*.cpio.gz; do printf 'X' | "
			    "dd of=$f bs=1 seek=100 conv=notrunc status=none; done", work), 0);
	assert_int_equal(prepare(&cfg, "c3", &ir, &err), 0);
	assert_false(ir.cache_hit);
	assert_int_equal(sh("cmp -s %s/c1 %s/c3", work, work), 0);
	/* an input changed (the guest init, touched): rebuilt */
	assert_int_equal(sh("touch %s/ktstr-init", getenv("KTSTR_BUILD") ? getenv("KTSTR_BUILD") : "build"), 0);
	assert_int_equal(prepare(&cfg, "c4", &ir, &err), 0);
	assert_false(ir.cache_hit);
	assert_int_equal(prepare(&cfg, "c5", &ir, &err), 0);
	assert_true(ir.cache_hit);
	assert_int_equal(sh("test \"$(stat -c %%a %s/cache/ktstr-vmm)\" = 700", work), 0);
	assert_int_equal(sh("test \"$(stat -c %%a %s/cache/ktstr-vmm/initramfs)\" = 700", work), 0);
}

/* Two builders of the same request at once: one builds, the other waits and takes it. */
static void test_concurrent_builders(void **state)
{
	char *argv[] = { S("ktstr-vmm"), S("--kernel"), S("/nonexistent"), S("--initramfs-compress"), S("none"), S("--"),
			 S("cpio"), NULL };
	char cache[PATH_MAX + 16];
	int hits = 0, ok = 0;
	pid_t pids[2];

	(void)state;
	snprintf(cache, sizeof(cache), "%s/cache2", work);
	setenv("XDG_CACHE_HOME", cache, 1);
	for (int i = 0; i < 2; i++) {
		if ((pids[i] = fork()) == 0) {
			struct vmm_config cfg;
			struct initramfs ir;
			struct kerr err = { 0 };

			config(&cfg, argv);
			if (initramfs_prepare(&cfg, &ir, &err) < 0)
				_exit(1);
			_exit(ir.cache_hit ? 10 : 11);
		}
	}
	for (int i = 0; i < 2; i++) {
		int st;

		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st));
		ok += WEXITSTATUS(st) >= 10;
		hits += WEXITSTATUS(st) == 10;
	}
	assert_int_equal(ok, 2);
	assert_int_equal(hits, 1);
	assert_int_equal(sh("test $(ls %s/cache2/ktstr-vmm/initramfs/*.cpio | wc -l) = 1", work), 0);
}

static void ignore(void *opaque, const struct ipc_msg *m)
{
	(void)opaque, (void)m;
}

/* The initgen process itself, looked at from here while it waits for work. */
static void test_initgen_is_sandboxed(void **state)
{
	struct devhost_spawn sp;
	struct devhost d;
	struct kerr err = { 0 };

	(void)state;
	devhost_spawn_config(&sp, devproc_path, SANDBOX_ROLE_INITGEN, SANDBOX_STANDARD);
	if (devhost_spawn(&d, &sp, &err) < 0 || devhost_wait_hello(&d, 5000, &err) < 0)
		fail_msg("start initgen: %s", err.msg);
	assert_int_equal(sh("grep -q '^Seccomp:[[:space:]]*2$' /proc/%d/status", d.pid), 0);
	assert_int_equal(sh("grep -q '^CapEff:[[:space:]]*0000000000000000$' /proc/%d/status", d.pid), 0);
	assert_int_equal(sh("grep -q '^NoNewPrivs:[[:space:]]*1$' /proc/%d/status", d.pid), 0);
	/* Its fds: stdio-less apart from stderr and the channel. */
	assert_int_equal(sh("test $(ls /proc/%d/fd | wc -l) -le 3", d.pid), 0);
	if (devhost_finish(&d, 5000, ignore, NULL, &err) < 0)
		fail_msg("initgen did not finish: %s", err.msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_system_binary),
		cmocka_unit_test(test_origin_runpath_rpath),
		cmocka_unit_test(test_hostile_payloads),
		cmocka_unit_test(test_lying_initgen),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_concurrent_builders),
		cmocka_unit_test(test_initgen_is_sandboxed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
