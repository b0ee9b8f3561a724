/* What --performance (and the halt-polling choice every run makes) did: each setting by
 * name, whether the host let it apply, and a line saying what or why not. Kept in the
 * outcome for --results ("performance"), and printed as warnings for what was refused. */
#ifndef KTSTR_VMM_PERF_REPORT_H
#define KTSTR_VMM_PERF_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "ipc/err.h"

#define PERF_MAX_SETTINGS 12   /* performance.c notes 10 names */

struct perf_setting {
	char name[24];
	bool applied;
	char detail[KERR_MSG_MAX + 160];   /* room for an error message and what it means */
};

struct perf_report {
	bool requested;                 /* --performance was given */
	struct perf_setting setting[PERF_MAX_SETTINGS];
	unsigned n;
};

/* Records a setting (a later note of the same name replaces it). */
void perf_note(struct perf_report *r, const char *name, bool applied, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

const struct perf_setting *perf_find(const struct perf_report *r, const char *name);

/* One "ktstr-vmm: --performance: NAME refused: DETAIL" line per refused setting. */
void perf_print_refusals(const struct perf_report *r, FILE *f);

/* ",\n  \"performance\": {...}" for --results, nothing when no setting was noted. */
void perf_write_json(FILE *f, const struct perf_report *r);

#endif
