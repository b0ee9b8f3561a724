/* What running one test produced, for the reports (TAP, JUnit, JSON). */
#ifndef KTSTR_RUNNER_RESULT_H
#define KTSTR_RUNNER_RESULT_H

#include <stdbool.h>
#include <stdio.h>

#include "ipc/err.h"
#include "runner/suite.h"

struct run_result {
	const struct suite_test *test;
	bool ran;
	int status;              /* ktstr-vmm's exit status */
	bool passed;             /* status == test->expect */
	double seconds;          /* the last attempt's wall time */
	unsigned attempts;       /* 1, more after infrastructure failures */
	char retries[1024];      /* why each retry happened, "; "-separated; cut ones end in "..." */
	char outcome[32];        /* --results "outcome": exited, panic, timeout, ... */
	char message[KERR_MSG_MAX + 128];   /* a failure in one line: what was expected, what came */
	char *panic;             /* the guest's PANIC text or kernel panic, or NULL */
	char *console_tail;      /* the console's last lines, or NULL */
};

void run_result_free(struct run_result *r);

/* TAP 14 (for prove): a plan, a line per test, a YAML block with the failure. */
void report_tap(FILE *f, const struct run_result *r, unsigned n);

/* JUnit XML: one testsuite, a testcase per test, <failure> with the panic and console tail,
 * <system-out> with the console tail; text made valid XML 1.0 (UTF-8, no control bytes). */
void report_junit(FILE *f, const char *suite_name, const struct run_result *r, unsigned n);

/* Every outcome as JSON: an array of objects. */
void report_json(FILE *f, const struct run_result *r, unsigned n);

/* Writes text as XML character data (exported for tests). */
void xml_text(FILE *f, const char *s, size_t len);

#endif
