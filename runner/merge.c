/* --merge; see merge.h. */
#include "runner/merge.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	if (n < 0 || (size_t)n != strlen(text)) {
		free(text);
		kerr_set(err, EINVAL, "--merge %s: empty, or not text", path);
		return NULL;
	}
	return text;
}

/* The whole number in attribute NAME="..." of the tag starting at tag; -1 when there is none. */
static long attr_count(const char *tag, const char *name)
{
	const char *end = strchr(tag, '>');
	char key[32], *stop;
	const char *at;
	long v;

	snprintf(key, sizeof(key), " %s=\"", name);
	at = strstr(tag, key);
	if (!at || !end || at > end)
		return -1;
	v = strtol(at + strlen(key), &stop, 10);
	return stop == at + strlen(key) || *stop != '"' || v < 0 ? -1 : v;
}

/* The <testsuite ...>...</testsuite> of one JUnit report, and its counts. */
static int junit_suite(const char *path, const char *text, const char **start, size_t *len,
		       struct merge_totals *t, struct kerr *err)
{
	const char *s = strstr(text, "<testsuite "), *end = strstr(text, "</testsuite>");
	long tests = s ? attr_count(s, "tests") : -1, failures = s ? attr_count(s, "failures") : -1;
	long errors = s ? attr_count(s, "errors") : -1, skipped = s ? attr_count(s, "skipped") : -1;

	if (!s || !end || end < s || tests < 0 || failures < 0 || errors < 0 || skipped < 0)
		return kerr_set(err, EINVAL, "--merge %s: not a JUnit report of ktstr-run", path);
	*start = s;
	*len = (size_t)(end - s) + strlen("</testsuite>");
	t->tests += (unsigned)tests;
	t->failures += (unsigned)(failures + errors);
	t->skipped += (unsigned)skipped;
	return 0;
}

static unsigned count(const char *s, size_t len, const char *what)
{
	unsigned n = 0;

	for (const char *p = s; (p = memmem(p, len - (size_t)(p - s), what, strlen(what))); p++)
		n++;
	return n;
}

/* The objects of one JSON report (what is between its [ and ]), trimmed, and its counts. */
static int json_items(const char *path, const char *text, const char **start, size_t *len,
		      struct merge_totals *t, struct kerr *err)
{
	const char *open = strchr(text, '['), *close = strrchr(text, ']');

	if (!open || !close || close < open)
		return kerr_set(err, EINVAL, "--merge %s: not a JSON report of ktstr-run", path);
	for (open++; open < close && strchr(" \n", *open); open++)
		;
	while (close > open && strchr(" \n", close[-1]))
		close--;
	*start = open;
	*len = (size_t)(close - open);
	t->tests += count(open, *len, "{ \"name\": ");
	t->failures += count(open, *len, "\"ran\": true, \"passed\": false");
	t->skipped += count(open, *len, "\"ran\": false");
	return 0;
}

/* One input into the JUnit suites or the JSON output. */
static int merge_one(const char *path, FILE *suites, FILE *json, bool *json_first,
		     struct merge_totals *tj, struct merge_totals *ts, struct kerr *err)
{
	char *text = read_file(path, err);
	const char *part = NULL;
	size_t len = 0;
	int r;

	if (!text)
		return -EINVAL;
	if (text[0] == '<' && suites) {
		if ((r = junit_suite(path, text, &part, &len, tj, err)) == 0)
			fprintf(suites, "  %.*s\n", (int)len, part);
	} else if (text[0] == '[' && json) {
		if ((r = json_items(path, text, &part, &len, ts, err)) == 0 && len) {
			fprintf(json, "%s\n  %.*s", *json_first ? "" : ",", (int)len, part);
			*json_first = false;
		}
	} else {
		r = kerr_set(err, EINVAL, "--merge %s: %s", path, text[0] == '<' ? "a JUnit report, and no --junit to "
			     "write it to" : text[0] == '[' ? "a JSON report, and no --json to write it to" :
			     "neither a --junit nor a --json report of ktstr-run");
	}
	free(text);
	return r;
}

int merge_reports(char *const *inputs, unsigned n, const char *junit_out, const char *json_out,
		  struct merge_totals *t, struct kerr *err)
{
	struct merge_totals tj = { 0 }, ts = { 0 };
	char *body = NULL;
	size_t body_len = 0;
	FILE *suites = junit_out ? open_memstream(&body, &body_len) : NULL, *junit = NULL;
	FILE *json = json_out ? fopen(json_out, "we") : NULL;
	bool json_first = true;
	int r = 0;

	if (json_out && !json)
		r = kerr_errno(err, errno, "--json %s", json_out);
	if (json)
		fputs("[", json);
	for (unsigned i = 0; r == 0 && i < n; i++)
		r = merge_one(inputs[i], suites, json, &json_first, &tj, &ts, err);
	if (suites)
		fclose(suites);
	*t = tj.tests ? tj : ts;
	t->files = n;
	if (r == 0 && junit_out && !(junit = fopen(junit_out, "we")))
		r = kerr_errno(err, errno, "--junit %s", junit_out);
	if (junit) {
		fprintf(junit, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"%u\" "
			"failures=\"%u\" errors=\"0\" skipped=\"%u\">\n%s</testsuites>\n", tj.tests,
			tj.failures, tj.skipped, body ? body : "");
		if (fclose(junit) != 0 && r == 0)
			r = kerr_errno(err, errno, "write %s", junit_out);
	}
	if (json) {
		fputs(json_first ? "]\n" : "\n]\n", json);
		if (fclose(json) != 0 && r == 0)
			r = kerr_errno(err, errno, "write %s", json_out);
	}
	free(body);
	return r;
}
