/* The serial device process, driven without KVM: the test plays vmm (the same devhost code
 * and byte rings), starts the real ktstr-devproc under the real sandbox, feeds COM1/COM2
 * bytes as a guest would and checks what the device reports back. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/devhost/devhost.h"
#include "vmm/outcome.h"

struct serial_rig {
	struct devhost dev;
	struct ipc_ring ring[2];
	int log_fd;
	struct outcome out;
};

static char devproc_path[PATH_MAX];

static int setup_paths(void **state)
{
	const char *build = getenv("KTSTR_BUILD");

	(void)state;
	snprintf(devproc_path, sizeof(devproc_path), "%s/ktstr-devproc", build ? build : "build");
	return access(devproc_path, X_OK) == 0 ? 0 : -1;
}

/* log_fd: the console log (-1: a fresh temporary file), with vmm's limit and terminal flag. */
static void rig_start_log(struct serial_rig *r, enum sandbox_level level, int log_fd, uint64_t limit,
			  bool terminal)
{
	struct devhost_spawn sp;
	struct kerr err = { 0 };

	outcome_init(&r->out);
	r->log_fd = log_fd >= 0 ? log_fd : open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	assert_true(r->log_fd >= 0);
	devhost_spawn_config(&sp, devproc_path, SANDBOX_ROLE_SERIAL, level);
	sp.log_fd = r->log_fd;
	sp.log_limit = limit;
	sp.log_terminal = terminal;
	if (devhost_spawn(&r->dev, &sp, &err) < 0 || devhost_wait_hello(&r->dev, 5000, &err) < 0)
		fail_msg("start serial device: %s", err.msg);
	for (int i = 0; i < 2; i++) {
		struct ipc_ring_attach a = { .ring_id = i == 0 ? IPC_RING_COM1_TX : IPC_RING_COM2_TX,
					     .capacity = 1u << 16 };
		int fds[3];

		assert_int_equal(ipc_ring_create(&r->ring[i], a.capacity, &err), 0);
		fds[0] = r->ring[i].memfd;
		fds[1] = r->ring[i].data_bell;
		fds[2] = r->ring[i].space_bell;
		assert_int_equal(ipc_send(&r->dev.ch, IPC_MSG_RING_ATTACH, &a, fds, &err), 0);
	}
}

static void rig_start(struct serial_rig *r, enum sandbox_level level)
{
	rig_start_log(r, level, -1, 0, false);
}

/* Writes bytes as the vCPUs would, waiting for room when the device is behind. */
static void feed(struct serial_rig *r, int port, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = ipc_ring_write(&r->ring[port], p, len);

		assert_true(n >= 0);
		if (n == 0) {
			assert_true(ipc_ring_wait_space(&r->ring[port], 1000) >= 0);
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
}

static void feed_str(struct serial_rig *r, int port, const char *s)
{
	feed(r, port, s, strlen(s));
}

static void take(void *opaque, const struct ipc_msg *m)
{
	outcome_take(opaque, m);
}

static int rig_finish(struct serial_rig *r, struct kerr *err)
{
	int rc = devhost_finish(&r->dev, 5000, take, &r->out, err);

	for (int i = 0; i < 2; i++)
		ipc_ring_destroy(&r->ring[i]);
	return rc;
}

static void rig_free(struct serial_rig *r)
{
	outcome_free(&r->out);
	close(r->log_fd);
}

static void assert_piece(const struct outcome *o, enum ipc_text_kind kind, unsigned n,
			 const char *want)
{
	const char *data;
	size_t len;

	if (!outcome_piece(o, kind, n, &data, &len))
		fail_msg("no piece %u of text kind %d", n, kind);
	if (len != strlen(want) || memcmp(data, want, len) != 0)
		fail_msg("piece %u of kind %d is \"%.*s\", expected \"%s\"", n, kind, (int)len, data, want);
}

static void check_outcome_round_trip(enum sandbox_level level)
{
	static const char com1[] = "[    0.1] booting\r\nsysrq: Trigger a crash\r\n"
				   "Kernel panic - not syncing: sysrq triggered crash\r\n"
				   "CPU: 0 PID: 1\r\n---[ end Kernel panic - not syncing: sysrq ]---\r\n";
	struct serial_rig r;
	struct kerr err = { 0 };
	char log[512] = "";

	rig_start(&r, level);
	feed_str(&r, 0, com1);
	feed_str(&r, 1, "KTSTR_INIT_START\r\nnoise\r\n===KTSTR_TEST_RESULT_START===\r\n{\"ok\": true}\r\nline 2\r\n"
			"===KTSTR_TEST_RESULT_END===\r\n");
	feed_str(&r, 1, "PANIC: payload killed by signal SEGV\r\n  at frame 1\r\n\r\nKTSTR_EXIT=139\r\n");
	feed_str(&r, 1, "KTSTR_EXIT=42\n");
	if (rig_finish(&r, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(r.out.have_exit);
	assert_int_equal(r.out.exit_status, 42);     /* the last report counts */
	assert_true(r.out.saw_init_start);
	assert_piece(&r.out, IPC_TEXT_RESULT, 0, "{\"ok\": true}\nline 2\n");
	assert_piece(&r.out, IPC_TEXT_PANIC, 0, "payload killed by signal SEGV\n  at frame 1\n");
	assert_piece(&r.out, IPC_TEXT_KERNEL_PANIC, 0,
		     "[    0.1] booting\nsysrq: Trigger a crash\n"
		     "Kernel panic - not syncing: sysrq triggered crash\nCPU: 0 PID: 1\n"
		     "---[ end Kernel panic - not syncing: sysrq ]---\n");
	/* The console log holds COM1 exactly as the guest sent it. */
	assert_int_equal(pread(r.log_fd, log, sizeof(log) - 1, 0), (ssize_t)strlen(com1));
	assert_string_equal(log, com1);
	assert_true(WIFEXITED(r.dev.wait_status));
	assert_int_equal(WEXITSTATUS(r.dev.wait_status), 0);
	rig_free(&r);
}

static void test_round_trip_standard(void **state)
{
	(void)state;
	check_outcome_round_trip(SANDBOX_STANDARD);
}

static void test_round_trip_strict(void **state)
{
	(void)state;
	check_outcome_round_trip(SANDBOX_STRICT);
}

static long status_value_base(pid_t pid, const char *field, int base)
{
	char path[64], buf[4096], key[64];
	const char *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	snprintf(key, sizeof(key), "\n%s:", field);
	p = strstr(buf, key);
	assert_non_null(p);
	return strtol(p + strlen(key), NULL, base);
}

/* Seccomp and NoNewPrivs are decimal, the capability masks hex: 0 reads the same. */
static long status_value(pid_t pid, const char *field)
{
	return status_value_base(pid, field, 16);
}

/* The running device, seen from outside: sandboxed, and small however much garbage comes. */
static void test_flood_stays_bounded_and_sandboxed(void **state)
{
	static char junk[1 << 16];
	struct serial_rig r;
	struct kerr err = { 0 };

	(void)state;
	rig_start(&r, SANDBOX_STRICT);
	assert_int_equal(status_value(r.dev.pid, "Seccomp"), 2);
	assert_int_equal(status_value(r.dev.pid, "NoNewPrivs"), 1);
	assert_int_equal(status_value(r.dev.pid, "CapEff"), 0);
	assert_int_equal(status_value(r.dev.pid, "CapBnd"), 0);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 + 1) == '\n' ? 'x' : (char)(i * 7 + 1);
	for (int i = 0; i < 256; i++) {        /* 16 MiB without a newline, on both ports */
		feed(&r, 1, junk, sizeof(junk));
		feed(&r, 0, junk, sizeof(junk) / 16);
	}
	feed_str(&r, 1, "\nKTSTR_EXIT=7\n");
	/* 17 MiB went through; the device keeps fixed buffers (VmRSS is in kB). */
	assert_true(status_value_base(r.dev.pid, "VmRSS", 10) < 8 * 1024);
	if (rig_finish(&r, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(r.out.have_exit);
	assert_int_equal(r.out.exit_status, 7);
	rig_free(&r);
}

/* A result block longer than any line buffer arrives whole; an unterminated one says so. */
static void test_long_and_unterminated_results(void **state)
{
	static char line[10000];
	struct serial_rig r;
	struct kerr err = { 0 };
	const char *data;
	size_t len;

	(void)state;
	memset(line, 'r', sizeof(line) - 1);
	rig_start(&r, SANDBOX_STANDARD);
	feed_str(&r, 1, "===KTSTR_TEST_RESULT_START===\n");
	feed_str(&r, 1, line);
	feed_str(&r, 1, "\n===KTSTR_TEST_RESULT_END===\n===KTSTR_TEST_RESULT_START===\npartial");
	if (rig_finish(&r, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(outcome_piece(&r.out, IPC_TEXT_RESULT, 0, &data, &len));
	assert_int_equal(len, sizeof(line));          /* 9999 'r' and the newline */
	assert_int_equal(data[len - 1], '\n');
	assert_true(outcome_piece(&r.out, IPC_TEXT_RESULT, 1, &data, &len));
	assert_non_null(memmem(data, len, "partial\n", 8));
	assert_non_null(memmem(data, len, "not terminated", 14));
	assert_false(r.out.have_exit);
	rig_free(&r);
}

/* vmm's side of a ring is trusted by nobody: an impossible index is refused by the device,
 * which reports a protocol error instead of reading out of bounds. */
static void test_hostile_ring_index_reported(void **state)
{
	struct serial_rig r;
	struct kerr err = { 0 };

	(void)state;
	rig_start(&r, SANDBOX_STANDARD);
	atomic_store(&r.ring[1].sh->head, 0x80000000u);
	ipc_ring_write(&r.ring[0], "x", 1);        /* ring a bell so the device looks */
	assert_true(rig_finish(&r, &err) < 0);
	assert_non_null(strstr(err.msg, "impossible index"));
	assert_true(WIFEXITED(r.dev.wait_status));
	rig_free(&r);
}

/* The console log stops at its limit (the device's RLIMIT_FSIZE: vmm's --console-log-limit):
 * exactly that many bytes, the first ones, and the device goes on parsing COM2. */
static void test_log_limit(void **state)
{
	static char text[1 << 16];
	struct serial_rig r;
	struct kerr err = { 0 };
	char head[64];
	struct stat st;

	(void)state;
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = i % 64 == 63 ? '\n' : (char)('a' + i % 26);
	rig_start_log(&r, SANDBOX_STRICT, -1, 4096, false);
	for (int i = 0; i < 16; i++)          /* 1 MiB of guest console output */
		feed(&r, 0, text, sizeof(text));
	feed_str(&r, 1, "KTSTR_EXIT=5\n");
	if (rig_finish(&r, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(r.out.have_exit);
	assert_int_equal(r.out.exit_status, 5);
	assert_int_equal(fstat(r.log_fd, &st), 0);
	assert_int_equal(st.st_size, 4096);
	assert_int_equal(pread(r.log_fd, head, sizeof(head), 0), (ssize_t)sizeof(head));
	assert_memory_equal(head, text, sizeof(head));
	rig_free(&r);
}

/* To a terminal, the guest's escape sequences arrive as ^[ text: it cannot retitle, clear or
 * otherwise drive the user's terminal. Tabs and newlines pass. */
static void test_log_to_a_terminal(void **state)
{
	static const char com1[] = "\x1b]0;pwned\x07\x1b[2Jok\tdone\x7f\r\n";
	static const char want[] = "^[]0;pwned^G^[[2Jok\tdone^?^M\n";
	struct serial_rig r;
	struct kerr err = { 0 };
	struct termios raw;
	char got[128] = "";
	ssize_t n;
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), slave;

	(void)state;
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(slave >= 0);
	assert_int_equal(tcgetattr(slave, &raw), 0);
	cfmakeraw(&raw);                      /* what the device writes, byte for byte */
	assert_int_equal(tcsetattr(slave, TCSANOW, &raw), 0);
	rig_start_log(&r, SANDBOX_STANDARD, slave, 0, true);
	feed_str(&r, 0, com1);
	feed_str(&r, 1, "KTSTR_EXIT=0\n");
	if (rig_finish(&r, &err) < 0)
		fail_msg("%s", err.msg);
	n = read(master, got, sizeof(got) - 1);
	assert_int_equal(n, (ssize_t)strlen(want));
	assert_string_equal(got, want);
	rig_free(&r);
	close(master);
}

/* A device's stderr is a pipe vmm reads, never vmm's own (the user's terminal): what it
 * writes there (here --sandbox off's warning) comes out on vmm's stderr, its role named. */
static void test_stderr_is_relayed_not_shared(void **state)
{
	char path[64], link[64] = "", out[4096] = "";
	struct serial_rig r;
	struct kerr err = { 0 };
	int saved = dup(2), tmp = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	(void)state;
	assert_true(saved >= 0 && tmp >= 0);
	assert_int_equal(dup2(tmp, 2), 2);
	rig_start(&r, SANDBOX_OFF);
	snprintf(path, sizeof(path), "/proc/%d/fd/2", (int)r.dev.pid);
	assert_true(readlink(path, link, sizeof(link) - 1) > 0);
	feed_str(&r, 1, "KTSTR_EXIT=0\n");
	if (rig_finish(&r, &err) < 0) {
		dup2(saved, 2);
		fail_msg("%s", err.msg);
	}
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	assert_true(pread(tmp, out, sizeof(out) - 1, 0) > 0);
	close(tmp);
	assert_non_null(strstr(link, "pipe:"));
	if (!strstr(out, "ktstr-devproc[serial]: ktstr-devproc[serial]: WARNING: --sandbox off"))
		fail_msg("vmm's stderr: \"%s\"", out);
	rig_free(&r);
}

/* A device process the guest took over (tests/harness/attacker_devproc.c), in the real strict
 * sandbox of the serial role, started by vmm's devhost code: MODE/ktstr-devproc. */
static void spawn_attacker(struct devhost *d, const char *mode, char *dir, size_t size)
{
	const char *build = getenv("KTSTR_BUILD") ? getenv("KTSTR_BUILD") : "build";
	struct devhost_spawn sp;
	char path[PATH_MAX + 32], target[PATH_MAX];
	struct kerr err = { 0 };

	snprintf(dir, size, "/tmp/ktstr-attacker-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, mode);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%s/ktstr-devproc", dir, mode);
	assert_non_null(realpath(build, target));
	strncat(target, "/tests/attacker-devproc", sizeof(target) - strlen(target) - 1);
	assert_int_equal(symlink(target, path), 0);
	devhost_spawn_config(&sp, path, SANDBOX_ROLE_SERIAL, SANDBOX_STRICT);
	if (devhost_spawn(d, &sp, &err) < 0 || devhost_wait_hello(d, 5000, &err) < 0)
		fail_msg("start the attacker: %s", err.msg);
	assert_int_equal(status_value(d->pid, "Seccomp"), 2);   /* it really is sandboxed */
}

static void remove_attacker(const char *dir, const char *mode)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s/ktstr-devproc", dir, mode);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", dir, mode);
	rmdir(path);
	rmdir(dir);
}

/* A forged or oversized datagram is refused with what was wrong, and the channel is not
 * used again. */
static void expect_refused_datagram(const char *mode, const char *says)
{
	char dir[64];
	struct devhost d;
	struct kerr err = { 0 };

	bool dead;
	int r;

	spawn_attacker(&d, mode, dir, sizeof(dir));
	r = devhost_pump(&d, take, NULL, &err);
	dead = d.ch.dead;
	devhost_kill(&d);                /* before any assertion: a failed one must leave no attacker */
	remove_attacker(dir, mode);
	assert_true(r < 0 && dead);
	if (!strstr(err.msg, "serial device") || !strstr(err.msg, says))
		fail_msg("%s: unexpected error: %s", mode, err.msg);
}

static void test_forged_message_refused(void **state)
{
	(void)state;
	expect_refused_datagram("forged", "bad magic");
	expect_refused_datagram("oversized", "ipc datagram of 65536 bytes, longer than any message");
	/* well-formed, but a console's message: the serial device may not say it */
	expect_refused_datagram("misrouted", "guest-frame: not a message this peer may send");
}

/* A device that stops reading: the end of the run is bounded and the device killed. */
static void test_mute_device_killed_in_time(void **state)
{
	char dir[64];
	struct devhost d;
	struct kerr err = { 0 };
	struct timespec t0, t1;
	long ms;

	(void)state;
	spawn_attacker(&d, "mute", dir, sizeof(dir));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_true(devhost_finish(&d, 500, take, NULL, &err) < 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	if (!strstr(err.msg, "serial device: did not finish within 500 ms") || ms > 1500)
		fail_msg("after %ld ms: %s", ms, err.msg);
	assert_true(WIFSIGNALED(d.wait_status));
	assert_int_equal(WTERMSIG(d.wait_status), SIGKILL);
	remove_attacker(dir, "mute");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_standard),
		cmocka_unit_test(test_round_trip_strict),
		cmocka_unit_test(test_flood_stays_bounded_and_sandboxed),
		cmocka_unit_test(test_long_and_unterminated_results),
		cmocka_unit_test(test_hostile_ring_index_reported),
		cmocka_unit_test(test_log_limit),
		cmocka_unit_test(test_log_to_a_terminal),
		cmocka_unit_test(test_stderr_is_relayed_not_shared),
		cmocka_unit_test(test_forged_message_refused),
		cmocka_unit_test(test_mute_device_killed_in_time),
	};

	return cmocka_run_group_tests(tests, setup_paths, NULL);
}
