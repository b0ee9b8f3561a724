/* Suite files; see suite.h and docs/suite-format.md. */
#include "runner/suite.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

/* The keys a test may have; most become a ktstr-vmm option of the same meaning. */
enum key { K_RUN, K_KERNEL, K_INITRD, K_TOPOLOGY, K_MEMORY, K_CPUS, K_SCHEDULER, K_SCHEDULER_ARG, K_DISK,
	   K_NET, K_SANDBOX, K_APPEND, K_PERFORMANCE, K_TIMEOUT, K_EXPECT, K_TAGS, K_END };

static const struct key_spec {
	const char *name;
	const char *option;    /* NULL: not passed on as such */
	bool repeat;           /* may be given more than once (each one an option) */
} keys[K_END] = {
	[K_RUN] = { "run", NULL, false },
	[K_KERNEL] = { "kernel", "--kernel", false },
	[K_INITRD] = { "initrd", "--initrd", false },
	[K_TOPOLOGY] = { "topology", "--topology", false },
	[K_MEMORY] = { "memory", "--memory", false },
	[K_CPUS] = { "cpus", "--cpus", false },
	[K_SCHEDULER] = { "scheduler", "--scheduler", false },
	[K_SCHEDULER_ARG] = { "scheduler-arg", "--scheduler-arg", true },
	[K_DISK] = { "disk", "--disk", true },
	[K_NET] = { "net", NULL, false },
	[K_SANDBOX] = { "sandbox", "--sandbox", false },
	[K_APPEND] = { "append", "--append", false },
	[K_PERFORMANCE] = { "performance", NULL, false },
	[K_TIMEOUT] = { "timeout", "--timeout", false },
	[K_EXPECT] = { "expect", NULL, false },
	[K_TAGS] = { "tags", NULL, false },
};

#define MAX_REPEAT 16

/* One section's values as written: a test's, or [defaults]. */
struct section {
	char *value[K_END][MAX_REPEAT];
	unsigned n[K_END];
	unsigned line[K_END];
};

struct parser {
	const char *file;
	unsigned line;
	struct section defaults, cur;
	bool in_test, seen_test, seen_defaults;
	struct suite_test test;
	struct suite *s;
	struct kerr *err;
};

static int fail(struct parser *p, const char *fmt, const char *what)
{
	char msg[KERR_MSG_MAX / 2];

	snprintf(msg, sizeof(msg), fmt, what);
	return kerr_set(p->err, EINVAL, "%s:%u: %s", p->file, p->line, msg);
}

static void section_clear(struct section *sec)
{
	for (int k = 0; k < K_END; k++) {
		for (unsigned i = 0; i < sec->n[k]; i++)
			free(sec->value[k][i]);
		sec->n[k] = 0;
	}
}

static void test_free(struct suite_test *t)
{
	for (unsigned i = 0; i < t->n_opts; i++)
		free(t->opts[i]);
	for (unsigned i = 0; i < t->n_run; i++)
		free(t->run[i]);
	for (unsigned i = 0; i < t->n_tags; i++)
		free(t->tags[i]);
	memset(t, 0, sizeof(*t));
}

void suite_free(struct suite *s)
{
	for (unsigned i = 0; i < s->n; i++)
		test_free(&s->tests[i]);
	free(s->tests);
	s->tests = NULL;
	s->n = 0;
}

/* A whole number in [min, max], or -EINVAL. */
static int number(const char *v, long min, long max, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

/* Splits text into words at blanks; "double quotes" keep blanks, a backslash takes the next
 * character as it is. Each word is malloc'd into out. */
static int split_words(struct parser *p, const char *text, char **out, unsigned max, unsigned *n)
{
	size_t len = strlen(text);
	char *word = malloc(len + 1);

	*n = 0;
	if (!word)
		return kerr_set(p->err, ENOMEM, "%s:%u: out of memory", p->file, p->line);
	for (const char *c = text; *c;) {
		size_t w = 0;
		bool quoted = false;

		while (*c && isblank((unsigned char)*c))
			c++;
		if (!*c)
			break;
		for (; *c && (quoted || !isblank((unsigned char)*c)); c++) {
			if (*c == '"')
				quoted = !quoted;
			else if (*c == '\\' && c[1])
				word[w++] = *++c;
			else
				word[w++] = *c;
		}
		word[w] = '\0';
		if (quoted || *n == max) {
			free(word);
			return fail(p, quoted ? "an unterminated \" in \"%s\"" : "more words than fit in \"%.60s\"", text);
		}
		if (!(out[(*n)++] = strdup(word))) {
			free(word);
			return kerr_set(p->err, ENOMEM, "%s:%u: out of memory", p->file, p->line);
		}
	}
	free(word);
	return 0;
}

static int push(struct suite_test *t, const char *a, const char *b)
{
	if (t->n_opts + 2 > SUITE_MAX_ARGS)
		return -E2BIG;
	if (!(t->opts[t->n_opts++] = strdup(a)))
		return -ENOMEM;
	if (b && !(t->opts[t->n_opts++] = strdup(b)))
		return -ENOMEM;
	return 0;
}

/* Key k's values for this test: its own, else the defaults'. */
static const struct section *source(const struct parser *p, enum key k)
{
	return p->cur.n[k] ? &p->cur : &p->defaults;
}

static int special_key(struct parser *p, struct suite_test *t, enum key k, const char *v)
{
	char net[256];
	long n;

	switch (k) {
	case K_NET:
		if (strcmp(v, "yes") == 0)
			return push(t, "--net", NULL);
		if ((size_t)snprintf(net, sizeof(net), "--net=%s", v) >= sizeof(net))
			return fail(p, "net = %.40s...: too long for a MAC address", v);
		return push(t, net, NULL);
	case K_PERFORMANCE:
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
			return fail(p, "performance = %s: say yes or no", v);
		return strcmp(v, "yes") == 0 ? push(t, "--performance", NULL) : 0;
	case K_EXPECT:
		if (number(v, 0, 255, &n) < 0)
			return fail(p, "expect = %s: an exit status is 0..255", v);
		t->expect = (int)n;
		return 0;
	case K_TAGS:
		return split_words(p, v, t->tags, SUITE_MAX_TAGS, &t->n_tags);
	case K_RUN:
		return split_words(p, v, t->run, SUITE_MAX_ARGS, &t->n_run);
	default:
		return 0;
	}
}

/* The test as ktstr-vmm options, its payload, what passes. */
static int build_test(struct parser *p, struct suite_test *t)
{
	int r = 0;
	long n;

	for (int k = 0; k < K_END && r == 0; k++) {
		const struct section *sec = source(p, (enum key)k);

		for (unsigned i = 0; i < sec->n[k] && r == 0; i++) {
			p->line = sec->line[k];
			if (k == K_TIMEOUT || k == K_CPUS) {
				if (number(sec->value[k][i], k == K_CPUS, 86400, &n) < 0)
					return fail(p, "\"%s\" is not a whole number here", sec->value[k][i]);
				*(k == K_TIMEOUT ? &t->timeout_s : &t->cpus) = (unsigned)n;
			}
			r = keys[k].option ? push(t, keys[k].option, sec->value[k][i])
					   : special_key(p, t, (enum key)k, sec->value[k][i]);
		}
	}
	if (r == -E2BIG || r == -ENOMEM)
		return fail(p, "[%s]: too many options", t->name);
	return r;
}

static int finish_test(struct parser *p)
{
	struct suite_test *t = &p->test, *grown;
	unsigned header = t->line, now = p->line;
	int r;

	if (!p->in_test)
		return 0;
	p->in_test = false;
	if (!p->cur.n[K_RUN] && !p->defaults.n[K_RUN]) {
		p->line = header;
		r = fail(p, "[%s] has no run = PROGRAM [ARGS]", t->name);
	} else {
		r = build_test(p, t);
	}
	section_clear(&p->cur);
	if (r == 0 && (t->n_run == 0 || !t->run[0][0])) {
		p->line = header;
		r = fail(p, "[%s]: run = names no program", t->name);
	}
	if (r == 0 && !(grown = realloc(p->s->tests, (p->s->n + 1) * sizeof(*grown))))
		r = kerr_set(p->err, ENOMEM, "%s: out of memory", p->file);
	if (r < 0) {
		test_free(t);
		return r;
	}
	p->s->tests = grown;
	p->s->tests[p->s->n++] = *t;
	memset(t, 0, sizeof(*t));
	p->line = now;   /* messages about the next line name it */
	return 0;
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || strchr("-_.:/+", c);
}

static int open_section(struct parser *p, char *line)
{
	size_t len = strlen(line);
	char *name = line + 1;
	int r;

	if (len < 3 || line[len - 1] != ']')
		return fail(p, "\"%s\": a section is [NAME]", line);
	line[len - 1] = '\0';
	for (const char *c = name; *c; c++)
		if (!name_char(*c))
			return fail(p, "[%s]: a test name has letters, digits and - _ . : / + only", name);
	if (strlen(name) >= SUITE_NAME_MAX)
		return fail(p, "[%.40s...]: the name is too long", name);
	if ((r = finish_test(p)) < 0)
		return r;
	if (strcmp(name, "defaults") == 0) {
		if (p->seen_test || p->seen_defaults)
			return fail(p, "[%s] comes once, before the first test", name);
		p->seen_defaults = true;
		return 0;
	}
	for (unsigned i = 0; i < p->s->n; i++)
		if (strcmp(p->s->tests[i].name, name) == 0)
			return fail(p, "[%s]: a second test of that name (names pick tests out: "
				    "--filter, --shard)", name);
	if (p->s->n == SUITE_MAX_TESTS)
		return fail(p, "[%s]: more tests than one suite holds", name);
	snprintf(p->test.name, sizeof(p->test.name), "%s", name);
	p->test.line = p->line;
	p->in_test = p->seen_test = true;
	return 0;
}

/* Cuts a comment off a line: a '#' after a blank, outside "quotes" and not escaped (\#). */
static void strip_comment(char *line)
{
	bool quoted = false;

	for (char *c = line; *c; c++) {
		if (*c == '\\' && c[1])
			c++;
		else if (*c == '"')
			quoted = !quoted;
		else if (*c == '#' && !quoted && (c == line || isblank((unsigned char)c[-1]))) {
			*c = '\0';
			return;
		}
	}
}

static char *trim(char *s)
{
	char *end = s + strlen(s);

	while (isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int set_key(struct parser *p, char *line)
{
	char *eq = strchr(line, '='), *key, *value;
	struct section *sec = p->in_test ? &p->cur : &p->defaults;
	int k;

	if (!eq)
		return fail(p, "\"%s\": a line is [NAME] or key = value", line);
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	for (k = 0; k < K_END && strcmp(keys[k].name, key) != 0; k++)
		;
	if (k == K_END)
		return fail(p, "unknown key \"%s\" (run, kernel, initrd, topology, memory, cpus, scheduler, "
			    "scheduler-arg, disk, net, sandbox, append, performance, timeout, expect, tags)", key);
	if (!*value)
		return fail(p, "%s = needs a value", key);
	if (!p->in_test && !p->seen_defaults)
		return fail(p, "%s: a key before any [NAME] or [defaults]", key);
	if (sec->n[k] && !keys[k].repeat)
		return fail(p, p->in_test ? "%s given twice for one test" : "%s given twice in [defaults]", key);
	if (sec->n[k] == MAX_REPEAT)
		return fail(p, "%s given more often than one test takes", key);
	if (!(sec->value[k][sec->n[k]] = strdup(value)))
		return kerr_set(p->err, ENOMEM, "%s: out of memory", p->file);
	sec->line[k] = p->line;
	sec->n[k]++;
	return 0;
}

int suite_parse(const char *name, const char *text, struct suite *s, struct kerr *err)
{
	struct parser *p = calloc(1, sizeof(*p));
	const char *at = text;
	int r = 0;

	memset(s, 0, sizeof(*s));
	if (!p)
		return kerr_set(err, ENOMEM, "%s: out of memory", name);
	*p = (struct parser){ .file = name, .s = s, .err = err };
	while (r == 0 && *at) {
		size_t len = strcspn(at, "\n");
		char *line = strndup(at, len), *l;

		p->line++;
		at += len + (at[len] == '\n');
		if (!line) {
			r = kerr_set(err, ENOMEM, "%s: out of memory", name);
			break;
		}
		if (p->line == 1 && strncmp(line, "\xef\xbb\xbf", 3) == 0)
			memmove(line, line + 3, strlen(line + 3) + 1);   /* a UTF-8 byte order mark */
		strip_comment(line);
		l = trim(line);
		if (*l)
			r = *l == '[' ? open_section(p, l) : set_key(p, l);
		free(line);
	}
	if (r == 0)
		r = finish_test(p);
	if (r == 0 && s->n == 0)
		r = kerr_set(err, EINVAL, "%s: no tests (a test is a [NAME] section with run = ...)", name);
	section_clear(&p->defaults);
	section_clear(&p->cur);
	test_free(&p->test);
	free(p);
	if (r < 0)
		suite_free(s);
	return r;
}

int suite_load(const char *path, struct suite *s, struct kerr *err)
{
	FILE *f = fopen(path, "re");
	size_t len = 0, cap = 4096 + 1, got;
	char *text = malloc(cap), *grown;
	int r = 0;

	memset(s, 0, sizeof(*s));
	if (!f || !text) {
		r = f ? kerr_set(err, ENOMEM, "read %s", path) : kerr_errno(err, errno, "suite %s", path);
		if (f)
			fclose(f);
		free(text);
		return r;
	}
	do {
		if (len + 4096 + 1 > cap) {
			if (!(grown = realloc(text, cap = 2 * cap + 4096 + 1))) {
				r = kerr_set(err, ENOMEM, "read %s", path);
				break;
			}
			text = grown;
		}
		len += got = fread(text + len, 1, cap - len - 1, f);
	} while (got > 0);
	if (r == 0 && ferror(f))
		r = kerr_errno(err, EIO, "read %s", path);
	fclose(f);
	if (r == 0 && memchr(text, '\0', len))
		r = kerr_set(err, EINVAL, "%s: a NUL byte at offset %zu: not a suite file", path,
			     (size_t)((char *)memchr(text, '\0', len) - text));
	if (r == 0) {
		text[len] = '\0';
		r = suite_parse(path, text, s, err);
	}
	free(text);
	return r;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct suite_test *)a)->name, ((const struct suite_test *)b)->name);
}

/* Test `name` running DIR/name. */
static int add_payload(const char *dir, const char *name, struct suite *s, struct kerr *err)
{
	struct suite_test *grown, *t;
	char path[4096];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return kerr_set(err, ENAMETOOLONG, "%s/%s: path too long", dir, name);
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || access(path, X_OK) < 0)
		return 0;   /* not a payload: a README, a directory, a data file */
	for (const char *c = name; *c; c++)
		if (!name_char(*c))
			return kerr_set(err, EINVAL, "%s: a test name has letters, digits and - _ . : / + "
					"only: rename the file", path);
	if (strlen(name) >= SUITE_NAME_MAX || s->n == SUITE_MAX_TESTS)
		return kerr_set(err, EINVAL, "%s: %s", path, s->n == SUITE_MAX_TESTS ?
				"more payloads than one suite holds" : "a name too long for a test");
	if (!(grown = realloc(s->tests, (s->n + 1) * sizeof(*grown))))
		return kerr_set(err, ENOMEM, "%s: out of memory", dir);
	s->tests = grown;
	t = &s->tests[s->n];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	if (!(t->run[0] = strdup(path)))
		return kerr_set(err, ENOMEM, "%s: out of memory", dir);
	t->n_run = 1;
	s->n++;
	return 0;
}

int suite_from_dir(const char *dir, struct suite *s, struct kerr *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int r = 0;

	memset(s, 0, sizeof(*s));
	if (!d)
		return kerr_errno(err, errno, "suite directory %s", dir);
	while (r == 0 && (e = readdir(d)))
		if (e->d_name[0] != '.')
			r = add_payload(dir, e->d_name, s, err);
	closedir(d);
	if (r == 0 && s->n == 0)
		r = kerr_set(err, EINVAL, "%s: no executable files to run as tests", dir);
	if (r < 0) {
		suite_free(s);
		return r;
	}
	qsort(s->tests, s->n, sizeof(*s->tests), by_name);
	return 0;
}
