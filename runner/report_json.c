/* --json; see result.h. */
#include "runner/result.h"

#include <stdint.h>
#include <string.h>

#include "runner/utf8.h"

/* A JSON string for any JSON reader: UTF-8 as it is, what is no UTF-8 as U+FFFD. (ktstr-vmm's
 * --results keeps bytes instead, vmm/json.h, for its binary frames.) */
static void json_text(FILE *f, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s);

	fputc('"', f);
	for (size_t i = 0; i < len;) {
		uint32_t cp = 0;
		size_t n = utf8_char(u + i, len - i, &cp);

		if (n == 0)
			fputs("\\ufffd", f), n = 1;
		else if (cp == '"' || cp == '\\')
			fprintf(f, "\\%c", (char)cp);
		else if (cp == '\n')
			fputs("\\n", f);
		else if (cp < 0x20 || cp == 0x7f)
			fprintf(f, "\\u%04x", cp);
		else
			fwrite(u + i, 1, n, f);
		i += n;
	}
	fputc('"', f);
}

static void member(FILE *f, const char *name, const char *text)
{
	fprintf(f, ", \"%s\": ", name);
	if (text)
		json_text(f, text);
	else
		fputs("null", f);
}

void report_json(FILE *f, const struct run_result *r, unsigned n)
{
	fputs("[", f);
	for (unsigned i = 0; i < n; i++) {
		const struct run_result *t = &r[i];

		fprintf(f, "%s\n  { \"name\": ", i ? "," : "");
		json_text(f, t->test->name);
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
