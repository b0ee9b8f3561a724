/* --merge; see merge.h. Every input is read and checked before anything is written, and each
 * output is written beside its path and renamed over it: a failed merge leaves nothing half
 * done, and an output named among the inputs is read before it is replaced. */
#include "runner/merge.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JUNIT_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "
#define JUNIT_TAIL "</testsuites>\n"
#define JSON_ITEM  "  { \"name\": "

static char *read_file(const char *path, struct kerr *err)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f) {
		kerr_errno(err, errno, "--merge %s", path);
		return NULL;
	}
	n = getdelim(&text, &cap, '\0', f);
	fclose(f);
	if (n <= 0 || (size_t)n != strlen(text)) {
		free(text);
		kerr_set(err, EINVAL, "--merge %s: empty, or not text", path);
		return NULL;
	}
	return text;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && strcmp(s + a - b, tail) == 0;
}

/* The whole number in attribute NAME="..." of the tag at tag; -1 when none or too large. */
static long attr_count(const char *tag, const char *name)
{
	const char *end = strchr(tag, '>'), *at;
	char key[32], *stop;
	long v;

	snprintf(key, sizeof(key), " %s=\"", name);
	at = strstr(tag, key);
	if (!at || !end || at > end)
		return -1;
	errno = 0;
	v = strtol(at + strlen(key), &stop, 10);
	return errno || stop == at + strlen(key) || *stop != '"' || v < 0 || v > INT_MAX / 4 ? -1 : v;
}

/* Every <testsuite>...</testsuite> of a JUnit report of ktstr-run (a merged one has several),
 * with their counts added to t. */
static int junit_suites(const char *path, const char *text, FILE *out, struct merge_totals *t,
			struct kerr *err)
{
	const char *s = text, *end;
	unsigned found = 0;

	if (strncmp(text, JUNIT_HEAD, strlen(JUNIT_HEAD)) != 0 || !ends_with(text, JUNIT_TAIL))
		return kerr_set(err, EINVAL, "--merge %s: not a JUnit report of ktstr-run", path);
	while ((s = strstr(s, "<testsuite ")) && (end = strstr(s, "</testsuite>"))) {
		long n[4] = { attr_count(s, "tests"), attr_count(s, "failures"), attr_count(s, "errors"),
			      attr_count(s, "skipped") };
		const char *next = strstr(s + 1, "<testsuite ");

		if (n[0] < 0 || n[1] < 0 || n[2] < 0 || n[3] < 0 || (next && next < end))
			return kerr_set(err, EINVAL, "--merge %s: a testsuite ktstr-run did not write", path);
		if (t->tests > INT_MAX / 2 || t->failures > INT_MAX / 2)
			return kerr_set(err, EOVERFLOW, "--merge %s: more tests than add up", path);
		t->tests += (unsigned)n[0];
		t->failures += (unsigned)(n[1] + n[2]);
		t->skipped += (unsigned)n[3];
		end += strlen("</testsuite>");
		fprintf(out, "  %.*s\n", (int)(end - s), s);
		s = end;
		found++;
	}
	return found ? 0 : kerr_set(err, EINVAL, "--merge %s: a JUnit report without a testsuite", path);
}

/* The items of a JSON report of ktstr-run: "[]", or "[" then a line "  { "name": ... }" per test,
 * ","-separated, then "]". Written on out after *any (a comma), counted in t. */
static int json_items(const char *path, const char *text, FILE *out, bool *any, struct merge_totals *t,
		      struct kerr *err)
{
	const char *line = text + 1;

	if (strcmp(text, "[]\n") == 0)
		return 0;
	if (strncmp(text, "[\n", 2) != 0 || !ends_with(text, "\n]\n"))
		return kerr_set(err, EINVAL, "--merge %s: not a JSON report of ktstr-run", path);
	while (*++line != ']') {
		const char *eol = strchr(line, '\n');
		size_t len = (size_t)(eol - line) - (eol[-1] == ',');

		if (strncmp(line, JSON_ITEM, strlen(JSON_ITEM)) != 0 || len < 3 || strncmp(line + len - 2, " }", 2) != 0)
			return kerr_set(err, EINVAL, "--merge %s: a line ktstr-run did not write", path);
		fprintf(out, "%s\n%.*s", *any ? "," : "", (int)len, line);
		*any = true;
		t->tests++;
		t->failures += memmem(line, len, "\"ran\": true, \"passed\": false", 28) != NULL;
		t->skipped += memmem(line, len, "\"ran\": false", 12) != NULL;
		line = eol;
	}
	if (line + 2 != text + strlen(text))
		return kerr_set(err, EINVAL, "--merge %s: more after the report's end", path);
	return 0;
}

/* Writes text to PATH.tmp and renames it over path. */
static int replace_file(const char *path, const char *opt, const char *text, size_t len, struct kerr *err)
{
	char tmp[4200];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "we")))
		return kerr_errno(err, errno, "%s %s", opt, tmp);
	if (fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		unlink(tmp);
		return kerr_errno(err, errno ? errno : EIO, "write %s", tmp);
	}
	if (rename(tmp, path) < 0) {
		unlink(tmp);
		return kerr_errno(err, errno, "%s %s", opt, path);
	}
	return 0;
}

int merge_reports(char *const *inputs, unsigned n, const char *junit_out, const char *json_out,
		  struct merge_totals *t, struct kerr *err)
{
	struct merge_totals tj = { 0 }, ts = { 0 };
	char *suites = NULL, *items = NULL;
	size_t suites_len = 0, items_len = 0;
	FILE *js = open_memstream(&suites, &suites_len), *ji = open_memstream(&items, &items_len);
	bool any = false;
	int r = js && ji ? 0 : kerr_set(err, ENOMEM, "--merge");

	for (unsigned i = 0; r == 0 && i < n; i++) {
		char *text = read_file(inputs[i], err);

		if (!text)
			r = -EINVAL;
		else if (text[0] == '<' && junit_out)
			r = junit_suites(inputs[i], text, js, &tj, err);
		else if (text[0] == '[' && json_out)
			r = json_items(inputs[i], text, ji, &any, &ts, err);
		else
			r = kerr_set(err, EINVAL, "--merge %s: %s", inputs[i], text[0] == '<' ? "a JUnit report, and "
				     "no --junit to write it to" : text[0] == '[' ? "a JSON report, and no --json to "
				     "write it to" : "neither a --junit nor a --json report of ktstr-run");
		free(text);
	}
	if (js)
		fclose(js);
	if (ji)
		fclose(ji);
	*t = tj.tests || !json_out ? tj : ts;
	t->files = n;
	if (r == 0 && junit_out) {
		char *doc = NULL;
		int len = asprintf(&doc, JUNIT_HEAD "tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\">\n%s"
				   JUNIT_TAIL, tj.tests, tj.failures, tj.skipped, suites ? suites : "");

		r = len < 0 ? kerr_set(err, ENOMEM, "--merge") : replace_file(junit_out, "--junit", doc, (size_t)len, err);
		free(doc);
	}
	if (r == 0 && json_out) {
		char *doc = NULL;
		int len = asprintf(&doc, any ? "[%s\n]\n" : "[]\n", items ? items : "");

		r = len < 0 ? kerr_set(err, ENOMEM, "--merge") : replace_file(json_out, "--json", doc, (size_t)len, err);
		free(doc);
	}
	free(suites);
	free(items);
	return r;
}
