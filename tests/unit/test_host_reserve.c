/* Host CPU reservation (vmm/host/host_reserve.c) in a lock directory of the test's own, on a
 * host of two LLCs of two CPUs: sharing, whole LLCs exclusively, each blocking the other,
 * nothing held after a refusal, locks gone with the process that held them, waiting. flock
 * locks belong to open files, so two reservations in one process compete as two runs do. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/host/host_reserve.h"

static char dir[64];
static struct host_topology topo;
static struct host_reservation a, b;

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ktstr-locks-XXXXXX");
	assert_non_null(mkdtemp(dir));
	memset(&topo, 0, sizeof(topo));
	for (unsigned i = 0; i < 4; i++)
		topo.cpu[i] = (struct host_cpu){ .id = i * 2, .llc = i / 2 };   /* CPUs 0 2 | 4 6 */
	topo.ncpus = 4;
	topo.nllcs = 2;
	topo.llc[0] = (struct host_llc){ .first_cpu = 0, .ncpus = 2 };
	topo.llc[1] = (struct host_llc){ .first_cpu = 4, .ncpus = 2 };
	a.ncpus = b.ncpus = 0;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	host_release(&a);
	host_release(&b);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void test_shared_runs_share(void **state)
{
	struct kerr err = { 0 };

	(void)state;
	assert_int_equal(host_reserve(dir, &topo, 3, HOST_RESERVE_SHARED, &a, &err), 0);
	assert_int_equal(a.ncpus, 3);
	assert_int_equal(a.cpu[0], 0);
	assert_int_equal(a.cpu[1], 2);   /* LLC 0 first, whole */
	assert_int_equal(a.cpu[2], 4);
	assert_int_equal(host_reserve(dir, &topo, 4, HOST_RESERVE_SHARED, &b, &err), 0);
}

/* Whole LLCs go only where nobody else is; a shared holder keeps one LLC out. */
static void test_whole_llcs_exclusive(void **state)
{
	struct kerr err = { 0 };

	(void)state;
	assert_int_equal(host_reserve(dir, &topo, 1, HOST_RESERVE_SHARED, &a, &err), 0);   /* CPU 0 */
	assert_int_equal(host_reserve(dir, &topo, 2, HOST_RESERVE_WHOLE_LLCS, &b, &err), -EBUSY);
	assert_non_null(strstr(err.msg, "resources busy: 1 of the 2 whole LLCs asked for are free"));
	assert_int_equal(b.ncpus, 0);     /* nothing kept after a refusal */
	assert_int_equal(host_reserve(dir, &topo, 1, HOST_RESERVE_WHOLE_LLCS, &b, &err), 0);
	assert_int_equal(b.ncpus, 2);
	assert_int_equal(b.cpu[0], 4);
	assert_int_equal(b.cpu[1], 6);
	host_release(&a);
	/* ... and shared runs keep off an exclusive LLC */
	assert_int_equal(host_reserve(dir, &topo, 3, HOST_RESERVE_SHARED, &a, &err), -EBUSY);
	assert_non_null(strstr(err.msg, "2 of the 3 CPUs asked for are free"));
	assert_int_equal(host_reserve(dir, &topo, 2, HOST_RESERVE_SHARED, &a, &err), 0);
	assert_int_equal(a.cpu[1], 2);
}

/* --performance's LLCs: only those big enough for a virtual LLC count, free or not. */
static void test_llcs_of_a_size(void **state)
{
	struct kerr err = { 0 };

	(void)state;
	topo.cpu[4] = (struct host_cpu){ .id = 8, .llc = 1 };   /* LLC 1: CPUs 4 6 8 */
	topo.ncpus = 5;
	topo.llc[1].ncpus = 3;
	assert_int_equal(host_reserve_llcs_wait(dir, &topo, 2, 3, 0, &a, &err), -ERANGE);
	assert_non_null(strstr(err.msg, "2 whole LLCs asked for; this host has 1 usable"));
	assert_int_equal(host_reserve_llcs_wait(dir, &topo, 1, 3, 0, &a, &err), 0);
	assert_int_equal(a.ncpus, 3);      /* LLC 1, though LLC 0 was free and first */
	assert_int_equal(a.cpu[0], 4);
	assert_int_equal(a.cpu[2], 8);
	assert_int_equal(host_reserve_llcs_wait(dir, &topo, 1, 3, 0, &b, &err), -EBUSY);
	assert_int_equal(host_reserve_llcs_wait(dir, &topo, 1, 2, 0, &b, &err), 0);
	assert_int_equal(b.cpu[0], 0);
}

/* The kernel drops a dead process's locks: a run killed with SIGKILL frees its CPUs. */
static void test_locks_die_with_the_process(void **state)
{
	struct kerr err = { 0 };
	int ready[2];
	char c;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct host_reservation mine = { .ncpus = 0 };

		if (host_reserve(dir, &topo, 2, HOST_RESERVE_WHOLE_LLCS, &mine, &err) < 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(2);
		pause();
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(host_reserve(dir, &topo, 1, HOST_RESERVE_SHARED, &a, &err), -EBUSY);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(host_reserve(dir, &topo, 2, HOST_RESERVE_WHOLE_LLCS, &a, &err), 0);
	close(ready[0]);
}

/* --wait-for-cpus: a run that frees its CPUs 300 ms later lets the waiting one in. */
static void test_wait_for_cpus(void **state)
{
	struct kerr err = { 0 };
	pid_t pid;

	(void)state;
	assert_int_equal(host_reserve(dir, &topo, 2, HOST_RESERVE_WHOLE_LLCS, &b, &err), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		usleep(300 * 1000);
		_exit(0);
	}
	/* the child holds copies of b's fds: the locks go when both have closed them */
	host_release(&b);
	assert_int_equal(host_reserve_wait(dir, &topo, 1, HOST_RESERVE_SHARED, 0, &a, &err), -EBUSY);
	assert_int_equal(host_reserve_wait(dir, &topo, 1, HOST_RESERVE_SHARED, 5, &a, &err), 0);
	waitpid(pid, NULL, 0);
	host_release(&a);
	assert_int_equal(host_reserve(dir, &topo, 2, HOST_RESERVE_WHOLE_LLCS, &b, &err), 0);
	host_release(&b);
	assert_int_equal(host_reserve(dir, &topo, 2, HOST_RESERVE_WHOLE_LLCS, &b, &err), 0);
	assert_int_equal(host_reserve_wait(dir, &topo, 1, HOST_RESERVE_SHARED, 1, &a, &err), -EBUSY);
	assert_non_null(strstr(err.msg, "after waiting 1 s"));
}

static void test_bad_requests(void **state)
{
	struct kerr err = { 0 };
	char file[128];
	FILE *f;

	(void)state;
	assert_int_equal(host_reserve(dir, &topo, 5, HOST_RESERVE_SHARED, &a, &err), -ERANGE);
	assert_non_null(strstr(err.msg, "5 CPUs asked for; this host has 4 usable"));
	assert_int_equal(host_reserve(dir, &topo, 3, HOST_RESERVE_WHOLE_LLCS, &a, &err), -ERANGE);
	assert_int_equal(host_reserve(dir, &topo, 0, HOST_RESERVE_SHARED, &a, &err), -ERANGE);
	snprintf(file, sizeof(file), "%s/plain", dir);
	assert_non_null(f = fopen(file, "w"));
	fclose(f);
	assert_int_equal(host_reserve(file, &topo, 1, HOST_RESERVE_SHARED, &a, &err), -ENOTDIR);
	assert_non_null(strstr(err.msg, file));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shared_runs_share, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whole_llcs_exclusive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_llcs_of_a_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locks_die_with_the_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_for_cpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
