/* JUnit XML as CI viewers read it (Jenkins, GitLab, GitHub test reporters); see result.h. */
#include "runner/result.h"

#include <stdint.h>
#include <string.h>

#include "runner/utf8.h"

void xml_text(FILE *f, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		uint32_t cp = 0;
		size_t n = utf8_char(u + i, len - i, &cp);

		/* XML 1.0 has no C0 controls but tab, LF, CR, and no U+FFFE or U+FFFF */
		if (n == 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xfffe ||
		    cp == 0xffff) {
			fputs("\xef\xbf\xbd", f);   /* U+FFFD: the byte was no XML character */
			i++;
			continue;
		}
		switch (u[i]) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default: fwrite(u + i, 1, n, f);
		}
		i += n;
	}
}

static void attr(FILE *f, const char *name, const char *value)
{
	fprintf(f, " %s=\"", name);
	xml_text(f, value, strlen(value));
	fputc('"', f);
}

static void testcase(FILE *f, const char *suite_name, const struct run_result *t)
{
	fputs("    <testcase", f);
	attr(f, "name", t->test->name);
	attr(f, "classname", suite_name);
	fprintf(f, " time=\"%.3f\">\n", t->seconds);
	if (!t->ran) {
		fputs("      <skipped message=\"not run\"/>\n", f);
	} else if (!t->passed) {
		fputs("      <failure", f);
		attr(f, "message", t->message);
		attr(f, "type", t->outcome[0] ? t->outcome : "unknown");
		fputs(">", f);
		if (t->panic)
			xml_text(f, t->panic, strlen(t->panic));
		if (t->console_tail) {
			fputs(t->panic ? "\n--- console (last lines) ---\n" : "--- console (last lines) ---\n", f);
			xml_text(f, t->console_tail, strlen(t->console_tail));
		}
		fputs("</failure>\n", f);
	}
	if (t->console_tail) {
		fputs("      <system-out>", f);
		xml_text(f, t->console_tail, strlen(t->console_tail));
		fputs("</system-out>\n", f);
	}
	if (t->retries[0]) {
		fputs("      <system-err>retried: ", f);
		xml_text(f, t->retries, strlen(t->retries));
		fputs("</system-err>\n", f);
	}
	fputs("    </testcase>\n", f);
}

void report_junit(FILE *f, const char *suite_name, const struct run_result *r, unsigned n)
{
	unsigned failures = 0, skipped = 0;
	double total = 0;

	for (unsigned i = 0; i < n; i++) {
		failures += r[i].ran && !r[i].passed;
		skipped += !r[i].ran;
		total += r[i].seconds;
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", f);
	fprintf(f, " tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\" time=\"%.3f\">\n  <testsuite",
		n, failures, skipped, total);
	attr(f, "name", suite_name);
	fprintf(f, " tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\" time=\"%.3f\">\n", n, failures,
		skipped, total);
	for (unsigned i = 0; i < n; i++)
		testcase(f, suite_name, &r[i]);
	fputs("  </testsuite>\n</testsuites>\n", f);
}
