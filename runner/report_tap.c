/* TAP 14; see result.h. */
#include "runner/result.h"

#include <stdlib.h>
#include <string.h>

void run_result_free(struct run_result *r)
{
	free(r->panic);
	free(r->console_tail);
	r->panic = r->console_tail = NULL;
}

/* A YAML block scalar: every line indented, nothing else changed but control bytes. */
static void yaml_block(FILE *f, const char *key, const char *text)
{
	fprintf(f, "  %s: |\n    ", key);
	for (const char *c = text; *c; c++) {
		if (*c == '\n')
			fputs(c[1] ? "\n    " : "", f);
		else
			fputc((unsigned char)*c < 0x20 && *c != '\t' ? '?' : *c, f);
	}
	fputc('\n', f);
}

void report_tap(FILE *f, const struct run_result *r, unsigned n)
{
	fprintf(f, "TAP version 14\n1..%u\n", n);
	for (unsigned i = 0; i < n; i++) {
		const struct run_result *t = &r[i];

		if (!t->ran) {
			fprintf(f, "ok %u - %s # SKIP not run\n", i + 1, t->test->name);
			continue;
		}
		fprintf(f, "%s %u - %s # time=%.0fms\n", t->passed ? "ok" : "not ok", i + 1, t->test->name,
			t->seconds * 1e3);
		if (t->passed && t->attempts == 1)
			continue;
		fprintf(f, "  ---\n  status: %d\n  expected: %d\n  outcome: %s\n  attempts: %u\n", t->status,
			t->test->expect, t->outcome[0] ? t->outcome : "unknown", t->attempts);
		if (t->retries[0])
			yaml_block(f, "retries", t->retries);
		if (!t->passed)
			yaml_block(f, "message", t->message);
		if (!t->passed && t->panic)
			yaml_block(f, "panic", t->panic);
		fputs("  ...\n", f);
	}
}
