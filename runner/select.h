/* Which tests of a suite run here: --filter by name or tag, --shard I/N. */
#ifndef KTSTR_RUNNER_SELECT_H
#define KTSTR_RUNNER_SELECT_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc/err.h"
#include "runner/suite.h"

/* --shard I/N: "I/N" with 0 <= I < N <= 10000 (I counts from 0, as a Kubernetes Indexed Job's
 * JOB_COMPLETION_INDEX does). */
int select_parse_shard(const char *arg, unsigned *index, unsigned *count, struct kerr *err);

/* The shard a test belongs to: by its name alone (FNV-1a), so that every machine of a matrix
 * agrees without talking and adding a test moves no other one. */
unsigned select_shard_of(const char *name, unsigned count);

/* --filter PATTERN: a shell pattern (fnmatch) on the name, or "tag:T" for tests tagged T. */
bool select_matches(const struct suite_test *t, const char *pattern);

#endif
