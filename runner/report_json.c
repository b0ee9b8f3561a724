/* --json; see result.h. */
#include "runner/result.h"

#include <string.h>

#include "vmm/json.h"

static void member(FILE *f, const char *name, const char *text)
{
	fprintf(f, ", \"%s\": ", name);
	if (text)
		json_string(f, text, strlen(text));
	else
		fputs("null", f);
}

void report_json(FILE *f, const struct run_result *r, unsigned n)
{
	fputs("[", f);
	for (unsigned i = 0; i < n; i++) {
		const struct run_result *t = &r[i];

		fprintf(f, "%s\n  { \"name\": ", i ? "," : "");
		json_string(f, t->test->name, strlen(t->test->name));
		fprintf(f, ", \"ran\": %s, \"passed\": %s, \"status\": %d, \"expected\": %d, "
			"\"seconds\": %.3f, \"attempts\": %u", t->ran ? "true" : "false",
			t->passed ? "true" : "false", t->status, t->test->expect, t->seconds, t->attempts);
		member(f, "outcome", t->outcome[0] ? t->outcome : NULL);
		member(f, "message", t->passed ? NULL : t->message);
		member(f, "retries", t->retries[0] ? t->retries : NULL);
		member(f, "panic", t->panic);
		member(f, "console_tail", t->console_tail);
		fputs(" }", f);
	}
	fputs(n ? "\n]\n" : "]\n", f);
}
