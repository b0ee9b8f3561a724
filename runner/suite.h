/* A suite file: tests for ktstr-run, one [NAME] section each, with `key = value` lines
 * (docs/suite-format.md). Parsed into argv vectors for ktstr-vmm; every error names the file,
 * the line and the bad value. */
#ifndef KTSTR_RUNNER_SUITE_H
#define KTSTR_RUNNER_SUITE_H

#include <stdbool.h>

#include "ipc/err.h"

#define SUITE_MAX_TESTS   4096
#define SUITE_MAX_ARGS    96     /* ktstr-vmm's options and the payload's argv, per test */
#define SUITE_MAX_TAGS    16
#define SUITE_NAME_MAX    128

struct suite_test {
	char name[SUITE_NAME_MAX];
	unsigned line;                   /* where its [NAME] is */
	char *opts[SUITE_MAX_ARGS];      /* ktstr-vmm options, each "--key" then its value */
	unsigned n_opts;
	char *run[SUITE_MAX_ARGS];       /* the payload and its arguments */
	unsigned n_run;
	char *tags[SUITE_MAX_TAGS];
	unsigned n_tags;
	int expect;                      /* the exit status that passes (default 0) */
	unsigned timeout_s;              /* 0: ktstr-vmm's default */
	unsigned cpus;                   /* vCPUs, for sizing the host reservation */
};

struct suite {
	struct suite_test *tests;        /* every string in them is its own allocation */
	unsigned n;
};

/* Reads PATH; a test is `[NAME]` and its keys, `[defaults]` (first, optional) gives keys every
 * test starts with. -EINVAL with "PATH:LINE: ..." for anything it does not understand. */
int suite_load(const char *path, struct suite *s, struct kerr *err);

/* The same from text already in memory (tests); `name` stands for the file in messages. */
int suite_parse(const char *name, const char *text, struct suite *s, struct kerr *err);

/* A directory of payloads: each executable regular file in it (not hidden), by name, is a
 * test of that name that runs it with no arguments and expects status 0. */
int suite_from_dir(const char *dir, struct suite *s, struct kerr *err);

void suite_free(struct suite *s);

#endif
