/* The --performance report; see perf_report.h. */
#include "vmm/perf_report.h"

#include <stdarg.h>
#include <string.h>

#include "vmm/json.h"

void perf_note(struct perf_report *r, const char *name, bool applied, const char *fmt, ...)
{
	struct perf_setting *s = (struct perf_setting *)perf_find(r, name);
	va_list ap;

	if (!s) {
		if (r->n == PERF_MAX_SETTINGS)
			return;   /* the table is sized for every name noted (see performance.c) */
		s = &r->setting[r->n++];
	}
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->applied = applied;
	va_start(ap, fmt);
	vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
	va_end(ap);
}

const struct perf_setting *perf_find(const struct perf_report *r, const char *name)
{
	for (unsigned i = 0; i < r->n; i++)
		if (strcmp(r->setting[i].name, name) == 0)
			return &r->setting[i];
	return NULL;
}

void perf_print_refusals(const struct perf_report *r, FILE *f)
{
	for (unsigned i = 0; i < r->n; i++)
		if (!r->setting[i].applied)
			fprintf(f, "ktstr-vmm: %s%s refused: %s\n", r->requested ? "--performance: " : "",
				r->setting[i].name, r->setting[i].detail);
}

void perf_write_json(FILE *f, const struct perf_report *r)
{
	if (!r->requested && r->n == 0)
		return;
	fprintf(f, ",\n  \"performance\": { \"requested\": %s, \"settings\": {",
		r->requested ? "true" : "false");
	for (unsigned i = 0; i < r->n; i++) {
		fprintf(f, "%s\n    \"%s\": { \"applied\": %s, \"detail\": ", i ? "," : "",
			r->setting[i].name, r->setting[i].applied ? "true" : "false");
		json_string(f, r->setting[i].detail, strlen(r->setting[i].detail));
		fputs(" }", f);
	}
	fputs(r->n ? "\n  } }" : "} }", f);
}
