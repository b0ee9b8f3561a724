/* json-get: prints one value of a JSON document (a --results file), so that the e2e checks
 * name the field they compare; static, as the nested L1 has no jq. The whole document must be
 * valid JSON. A string is printed decoded (\u0000..\u00ff as that byte, the inverse of
 * vmm/json.h; above as UTF-8), anything else as written; then a newline.
 * usage: json-get FILE|- PATH   PATH: KEY, then .KEY, [N] or [KEY=STRING] (first match)
 * Exit status: 0 printed; 1 the path is not in the document; 2 usage, unreadable or malformed. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512

struct doc {
	const char *name;
	const char *s;
	size_t len;
};

/* A parse position; err is set (once) when the text is not JSON. */
struct cursor {
	const struct doc *d;
	size_t at;
	const char *err;
	size_t err_at;
};

static bool fail(struct cursor *c, const char *what)
{
	if (!c->err) {
		c->err = what;
		c->err_at = c->at;
	}
	return false;
}

static int peek(const struct cursor *c)
{
	return c->at < c->d->len ? (unsigned char)c->d->s[c->at] : -1;
}

static void skip_ws(struct cursor *c)
{
	for (; c->at < c->d->len; c->at++) {
		char ch = c->d->s[c->at];

		if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r')
			return;
	}
}

static bool expect(struct cursor *c, char ch, const char *what)
{
	skip_ws(c);
	if (peek(c) != ch)
		return fail(c, what);
	c->at++;
	return true;
}

static int hex4(const char *s)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char h = s[i];

		v <<= 4;
		if (h >= '0' && h <= '9')
			v |= h - '0';
		else if (h >= 'a' && h <= 'f')
			v |= h - 'a' + 10;
		else if (h >= 'A' && h <= 'F')
			v |= h - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static bool skip_string(struct cursor *c)
{
	if (!expect(c, '"', "expected a string"))
		return false;
	for (;;) {
		int ch = peek(c);

		if (ch < 0)
			return fail(c, "the text ends inside a string");
		if (ch < 0x20)
			return fail(c, "a control character inside a string");
		c->at++;
		if (ch == '"')
			return true;
		if (ch != '\\')
			continue;
		ch = peek(c);
		if (ch > 0 && strchr("\"\\/bfnrt", ch)) {
			c->at++;
		} else if (ch == 'u' && c->d->len - c->at > 4 && hex4(c->d->s + c->at + 1) >= 0) {
			c->at += 5;
		} else {
			return fail(c, "a bad escape in a string");
		}
	}
}

static bool skip_digits(struct cursor *c, const char *what)
{
	size_t start = c->at;

	while (peek(c) >= '0' && peek(c) <= '9')
		c->at++;
	return c->at > start || fail(c, what);
}

static bool skip_number(struct cursor *c)
{
	if (peek(c) == '-')
		c->at++;
	if (peek(c) == '0')
		c->at++;
	else if (!skip_digits(c, "expected a value"))
		return false;
	if (peek(c) == '.') {
		c->at++;
		if (!skip_digits(c, "expected a digit after '.'"))
			return false;
	}
	if (peek(c) == 'e' || peek(c) == 'E') {
		c->at++;
		if (peek(c) == '+' || peek(c) == '-')
			c->at++;
		if (!skip_digits(c, "expected a digit in the exponent"))
			return false;
	}
	return true;
}

static bool skip_value(struct cursor *c, int depth);

/* An object's or array's members, after its opening bracket. */
static bool skip_members(struct cursor *c, int depth, bool object)
{
	char close = object ? '}' : ']';

	skip_ws(c);
	if (peek(c) == close) {
		c->at++;
		return true;
	}
	for (;;) {
		if (object && (!skip_string(c) || !expect(c, ':', "expected ':' after a key")))
			return false;
		if (!skip_value(c, depth + 1))
			return false;
		skip_ws(c);
		if (peek(c) == close) {
			c->at++;
			return true;
		}
		if (!expect(c, ',', object ? "expected ',' or '}'" : "expected ',' or ']'"))
			return false;
	}
}

static bool skip_value(struct cursor *c, int depth)
{
	static const char *const words[] = { "true", "false", "null" };
	int ch;

	if (depth > MAX_DEPTH)
		return fail(c, "nested too deeply");
	skip_ws(c);
	ch = peek(c);
	if (ch == '{' || ch == '[') {
		c->at++;
		return skip_members(c, depth, ch == '{');
	}
	if (ch == '"')
		return skip_string(c);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i]);

		if (c->d->len - c->at >= n && memcmp(c->d->s + c->at, words[i], n) == 0) {
			c->at += n;
			return true;
		}
	}
	if (ch == '-' || (ch >= '0' && ch <= '9'))
		return skip_number(c);
	return fail(c, ch < 0 ? "the text ends where a value should be" : "expected a value");
}

static size_t put_utf8(char *out, unsigned cp)
{
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decodes the (valid) string at s into out, which holds as many bytes as the quoted text;
 * returns the decoded length. A lone UTF-16 surrogate becomes U+FFFD. */
static size_t decode_string(const char *s, char *out)
{
	size_t n = 0;

	for (s++; *s != '"'; s++) {
		unsigned cp;

		if (*s != '\\') {
			out[n++] = *s;
			continue;
		}
		s++;
		switch (*s) {
		case 'b': out[n++] = '\b'; continue;
		case 'f': out[n++] = '\f'; continue;
		case 'n': out[n++] = '\n'; continue;
		case 'r': out[n++] = '\r'; continue;
		case 't': out[n++] = '\t'; continue;
		case 'u': break;
		default: out[n++] = *s; continue;   /* " \ / */
		}
		cp = (unsigned)hex4(s + 1);
		s += 4;
		if (cp >= 0xd800 && cp < 0xdc00 && s[1] == '\\' && s[2] == 'u' &&
		    hex4(s + 3) >= 0xdc00 && hex4(s + 3) < 0xe000) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + ((unsigned)hex4(s + 3) - 0xdc00);
			s += 6;
		} else if (cp >= 0xd800 && cp < 0xe000) {
			cp = 0xfffd;
		}
		if (cp < 0x100)
			out[n++] = (char)cp;
		else
			n += put_utf8(out + n, cp);
	}
	return n;
}

static void *need(void *p)
{
	if (!p) {
		perror("json-get");
		exit(2);
	}
	return p;
}

static bool string_is(const struct doc *d, size_t at, const char *want)
{
	struct cursor c = { d, at, NULL, 0 };
	char *buf;
	size_t n;
	bool same;

	skip_string(&c);
	buf = need(malloc(c.at - at));
	n = decode_string(d->s + at, buf);
	same = n == strlen(want) && memcmp(buf, want, n) == 0;
	free(buf);
	return same;
}

static const char *kind_of(int ch)
{
	switch (ch) {
	case '{': return "an object";
	case '[': return "an array";
	case '"': return "a string";
	case 't': case 'f': return "a boolean";
	case 'n': return "null";
	default: return "a number";
	}
}

/* The offset of the value of the first member named key in the (valid) object at at, or
 * (size_t)-1. */
static size_t find_member(const struct doc *d, size_t at, const char *key)
{
	struct cursor c = { d, at + 1, NULL, 0 };

	skip_ws(&c);
	while (peek(&c) == '"') {
		size_t k = c.at;

		skip_string(&c);
		expect(&c, ':', "");
		skip_ws(&c);
		if (string_is(d, k, key))
			return c.at;
		skip_value(&c, 0);
		expect(&c, ',', "");
		skip_ws(&c);
	}
	return (size_t)-1;
}

/* The offset of element index of the (valid) array at at, or (size_t)-1 and in *count the
 * number of elements. */
static size_t find_index(const struct doc *d, size_t at, long index, long *count)
{
	struct cursor c = { d, at + 1, NULL, 0 };

	skip_ws(&c);
	for (*count = 0; peek(&c) != ']'; ++*count) {
		if (*count == index)
			return c.at;
		skip_value(&c, 0);
		expect(&c, ',', "");
		skip_ws(&c);
	}
	return (size_t)-1;
}

/* The offset of the first element of the (valid) array at at that is an object whose member
 * key is the string value, or (size_t)-1. */
static size_t find_match(const struct doc *d, size_t at, const char *key, const char *value)
{
	struct cursor c = { d, at + 1, NULL, 0 };

	skip_ws(&c);
	while (peek(&c) != ']') {
		if (peek(&c) == '{') {
			size_t m = find_member(d, c.at, key);

			if (m != (size_t)-1 && d->s[m] == '"' && string_is(d, m, value))
				return c.at;
		}
		skip_value(&c, 0);
		expect(&c, ',', "");
		skip_ws(&c);
	}
	return (size_t)-1;
}

/* One step of a path: .KEY (index < 0, no value), [N] or [KEY=VALUE]; seen is how much of
 * the path comes before it. */
struct step {
	char *key, *value;
	long index;
	int seen;
};

static int bad_path(const char *path, const char *why, const char *at)
{
	fprintf(stderr, "json-get: bad path \"%s\": %s \"%s\"\n", path, why, at);
	return -1;
}

/* Splits path into steps (room for strlen(path) of them); returns how many, or -1. */
static int parse_path(const char *path, struct step *steps)
{
	int n = 0;

	for (const char *p = path; *p; n++) {
		struct step *st = &steps[n];
		const char *end;

		st->seen = (int)(p - path);
		st->index = -1;
		if (*p == '.' && p > path)
			p++;
		if (*p != '[') {
			size_t len = strcspn(p, ".[");

			if (len == 0)
				return bad_path(path, "an empty key at", p);
			st->key = need(strndup(p, len));
			p += len;
			continue;
		}
		end = strchr(p, ']');
		if (!end)
			return bad_path(path, "no ']' after", p);
		st->key = need(strndup(p + 1, (size_t)(end - p - 1)));
		st->value = strchr(st->key, '=');
		if (st->value && st->value > st->key) {
			*st->value++ = '\0';
		} else if (st->key[0] >= '0' && st->key[0] <= '9') {
			char *tail;

			st->index = strtol(st->key, &tail, 10);
			if (*tail)
				return bad_path(path, "not [N] nor [KEY=STRING]:", p);
		} else {
			return bad_path(path, "not [N] nor [KEY=STRING]:", p);
		}
		p = end + 1;
		if (*p && *p != '.' && *p != '[')
			return bad_path(path, "expected '.' or '[' before", p);
	}
	return n;
}

/* Says why the path is not in the document, naming the part of it followed so far. */
static int __attribute__((format(printf, 4, 5)))
missing(const struct doc *d, const char *path, const struct step *st, const char *fmt, ...)
{
	va_list ap;

	if (st->seen)
		fprintf(stderr, "json-get: %s: %.*s ", d->name, st->seen, path);
	else
		fprintf(stderr, "json-get: %s: the document ", d->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* Takes one step from the value at *at; 0, or 1 when it leads nowhere. */
static int take_step(const struct doc *d, size_t *at, const char *path, const struct step *st)
{
	int ch = (unsigned char)d->s[*at];
	long count = 0;
	size_t next;

	if (st->index < 0 && !st->value) {
		if (ch != '{')
			return missing(d, path, st, "is %s, not an object with \"%s\"", kind_of(ch), st->key);
		next = find_member(d, *at, st->key);
		if (next == (size_t)-1)
			return missing(d, path, st, "has no key \"%s\"", st->key);
	} else if (ch != '[') {
		return missing(d, path, st, "is %s, not an array", kind_of(ch));
	} else if (st->value) {
		next = find_match(d, *at, st->key, st->value);
		if (next == (size_t)-1)
			return missing(d, path, st, "has no element whose \"%s\" is \"%s\"", st->key,
				       st->value);
	} else {
		next = find_index(d, *at, st->index, &count);
		if (next == (size_t)-1)
			return missing(d, path, st, "has %ld elements, no [%ld]", count, st->index);
	}
	*at = next;
	return 0;
}

static char *read_all(FILE *f, size_t *len)
{
	size_t size = 65536, n = 0, r;
	char *buf = malloc(size), *bigger;

	while (buf && (r = fread(buf + n, 1, size - n, f)) > 0) {
		n += r;
		if (n == size) {
			bigger = realloc(buf, size *= 2);
			if (!bigger)
				free(buf);
			buf = bigger;
		}
	}
	if (!buf || ferror(f)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* Checks that the whole text is one JSON value; says where it is not. */
static bool valid(const struct doc *d)
{
	struct cursor c = { d, 0, NULL, 0 };
	size_t line = 1, col = 1;

	if (skip_value(&c, 0)) {
		skip_ws(&c);
		if (c.at < d->len)
			fail(&c, "text after the value");
	}
	if (!c.err)
		return true;
	for (size_t i = 0; i < c.err_at; i++, col++)
		if (d->s[i] == '\n')
			line++, col = 0;
	fprintf(stderr, "json-get: %s: not JSON: %s at line %zu, column %zu\n", d->name, c.err, line, col);
	return false;
}

static void print_value(const struct doc *d, size_t at)
{
	struct cursor c = { d, at, NULL, 0 };

	skip_value(&c, 0);
	if (d->s[at] == '"') {
		char *buf = need(malloc(c.at - at));

		fwrite(buf, 1, decode_string(d->s + at, buf), stdout);
		free(buf);
	} else {
		fwrite(d->s + at, 1, c.at - at, stdout);
	}
	putchar('\n');
}

static int lookup(const struct doc *d, const char *path)
{
	struct step *steps = need(calloc(strlen(path) + 1, sizeof(*steps)));
	int n = parse_path(path, steps), r = n < 0 || !valid(d) ? 2 : 0;
	struct cursor c = { d, 0, NULL, 0 };

	skip_ws(&c);
	for (int i = 0; !r && i < n; i++)
		r = take_step(d, &c.at, path, &steps[i]);
	if (!r)
		print_value(d, c.at);
	for (size_t i = 0; i <= strlen(path); i++)
		free(steps[i].key);
	free(steps);
	return r;
}

int main(int argc, char **argv)
{
	struct doc d = { 0 };
	char *text;
	FILE *f;
	int r;

	if (argc != 3 || !argv[2][0]) {
		fprintf(stderr, "usage: json-get FILE|- PATH   (PATH: KEY, then .KEY, [N] or [KEY=STRING])\n");
		return 2;
	}
	d.name = argv[1];
	f = strcmp(argv[1], "-") ? fopen(argv[1], "r") : stdin;
	text = f ? read_all(f, &d.len) : NULL;
	if (!text) {
		fprintf(stderr, "json-get: %s: %s\n", argv[1], strerror(errno ? errno : EIO));
		return 2;
	}
	d.s = text;
	r = lookup(&d, argv[2]);
	free(text);
	return fflush(stdout) ? 2 : r;
}
