/* TAP 14; see result.h. */
#include "runner/result.h"

#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "runner/utf8.h"

void run_result_free(struct run_result *r)
{
	free(r->panic);
	free(r->console_tail);
	r->panic = r->console_tail = NULL;
}

/* A YAML double-quoted scalar on one line (what TAP::Parser's YAMLish reads for sure):
 * quotes, backslashes and line breaks escaped; control bytes, DEL and what is no UTF-8 '?'. */
static void yaml_string(FILE *f, const char *key, const char *text)
{
	const unsigned char *u = (const unsigned char *)text;
	size_t len = strlen(text);

	fprintf(f, "  %s: \"", key);
	for (size_t i = 0; i < len;) {
		uint32_t cp = 0;
		size_t n = utf8_char(u + i, len - i, &cp);

		if (n == 1 && (cp == '"' || cp == '\\'))
			fprintf(f, "\\%c", (char)cp);
		else if (n == 1 && cp == '\n')
			fputs("\\n", f);
		else if (n == 1 && cp == '\t')
			fputs("\\t", f);
		else if (n == 0 || cp < 0x20 || cp == 0x7f)
			fputc('?', f);
		else
			fwrite(u + i, 1, n, f);
		i += n ? n : 1;
	}
	fputs("\"\n", f);
}

/* A test's name on its TAP line: a '#' would start a directive (# SKIP, # TODO) there. */
static void tap_name(FILE *f, const char *name)
{
	for (const char *c = name; *c; c++)
		fputs(*c == '#' ? "\\#" : (char[2]){ *c, 0 }, f);
}

void report_tap(FILE *f, const struct run_result *r, unsigned n)
{
	/* TAP 14 as it reads in TAP 13 terms (a plan, test lines, YAML blocks): Debian 12's prove
	 * (Test::Harness 3.44) refuses a "version 14" header outright. */
	fprintf(f, "TAP version 13\n1..%u\n", n);
	for (unsigned i = 0; i < n; i++) {
		const struct run_result *t = &r[i];

		fprintf(f, "%s %u - ", !t->ran || t->passed ? "ok" : "not ok", i + 1);
		tap_name(f, t->test->name);
		if (!t->ran) {
			fputs(" # SKIP not run\n", f);
			continue;
		}
		fprintf(f, " # time=%.0fms\n", t->seconds * 1e3);
		if (t->passed && t->attempts == 1)
			continue;
		fprintf(f, "  ---\n  status: %d\n  expected: %d\n  outcome: %s\n  attempts: %u\n", t->status,
			t->test->expect, t->outcome[0] ? t->outcome : "unknown", t->attempts);
		if (t->retries[0])
			yaml_string(f, "retries", t->retries);
		if (!t->passed)
			yaml_string(f, "message", t->message);
		if (!t->passed && t->panic)
			yaml_string(f, "panic", t->panic);
		fputs("  ...\n", f);
	}
}
