/* Running a suite's tests as concurrent ktstr-vmm processes, each fully sandboxed as a single
 * run is, each VM's CPUs reserved through ktstr-vmm's host reservation (--cpu-cap, waiting
 * for free CPUs rather than overlapping another VM). */
#ifndef KTSTR_RUNNER_EXEC_H
#define KTSTR_RUNNER_EXEC_H

#include <stdbool.h>

#include "ipc/err.h"
#include "runner/result.h"

struct exec_config {
	const char *vmm;             /* the ktstr-vmm to run */
	const char *kernel;          /* --kernel for tests that name none; NULL: they must */
	const char *work_dir;        /* each test's --results, console log and stderr */
	unsigned jobs;               /* VMs at once */
	unsigned retries;            /* more attempts after an infrastructure failure */
	unsigned host_cpus;          /* usable host CPUs: a VM's --cpu-cap is at most this */
	bool progress;               /* a live status line on stderr */
};

/* Runs r[i].test for each i; fills the rest of r. <0 only when nothing could be started; the
 * signal's number when SIGINT, SIGTERM or SIGHUP stopped the suite (the running VMs were
 * ended and waited for, the tests not started have ran == false). */
int exec_suite(const struct exec_config *c, struct run_result *r, unsigned n, struct kerr *err);

/* Whether a ktstr-vmm exit (and what its console holds) is the infrastructure's failure, not
 * the test's: a host error (120), or a guest gone before its console said anything. */
bool exec_is_infra_failure(int status, const char *console_tail);

#endif
