/* --filter and --shard; see select.h. */
#include "runner/select.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#define SHARDS_MAX 10000

int select_parse_shard(const char *arg, unsigned *index, unsigned *count, struct kerr *err)
{
	char *slash, *end;
	unsigned long i, n;

	errno = 0;
	i = strtoul(arg, &slash, 10);
	if (errno || slash == arg || *slash != '/' || arg[0] == '-')
		return kerr_set(err, EINVAL, "--shard %s: give INDEX/COUNT, e.g. 0/4", arg);
	n = strtoul(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end || slash[1] == '-' || n == 0 || n > SHARDS_MAX)
		return kerr_set(err, EINVAL, "--shard %s: COUNT is 1..%d", arg, SHARDS_MAX);
	if (i >= n)
		return kerr_set(err, EINVAL, "--shard %s: INDEX counts from 0, so it is below COUNT", arg);
	*index = (unsigned)i;
	*count = (unsigned)n;
	return 0;
}

unsigned select_shard_of(const char *name, unsigned count)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
		h ^= *c;
		h *= 0x100000001b3ull;
	}
	return (unsigned)(h % count);
}

bool select_matches(const struct suite_test *t, const char *pattern)
{
	if (strncmp(pattern, "tag:", 4) == 0) {
		for (unsigned i = 0; i < t->n_tags; i++)
			if (strcmp(t->tags[i], pattern + 4) == 0)
				return true;
		return false;
	}
	return fnmatch(pattern, t->name, 0) == 0;
}
