/* ktstr-run --merge: the reports of several shards (--shard I/N, one machine each) as one:
 * their JUnit files as one <testsuites> with the counts summed, their JSON arrays as one.
 * It reads only what ktstr-run itself wrote, and refuses anything else. */
#ifndef KTSTR_RUNNER_MERGE_H
#define KTSTR_RUNNER_MERGE_H

#include "ipc/err.h"

struct merge_totals {
	unsigned files, tests, failures, skipped;
};

/* Each input is a --junit or --json file of ktstr-run (told apart by their first byte);
 * junit_out/json_out may be NULL when there is none of that kind to write. */
int merge_reports(char *const *inputs, unsigned n, const char *junit_out, const char *json_out,
		  struct merge_totals *t, struct kerr *err);

#endif
