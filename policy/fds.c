/* Stage 1: close every fd the process was not explicitly given. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "policy/internal.h"

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int close_span(unsigned lo, unsigned hi, struct kerr *err)
{
	if (lo > hi)
		return 0;
	if (close_range(lo, hi, 0) < 0)
		return kerr_errno(err, errno, "close_range(%u, %u)", lo, hi);
	return 0;
}

int sandbox_close_fds(const int *keep, unsigned n, struct kerr *err)
{
	int sorted[64];
	unsigned next = 0;

	if (n > sizeof(sorted) / sizeof(sorted[0]))
		return kerr_set(err, EINVAL, "keep-list of %u fds is longer than 64", n);
	for (unsigned i = 0; i < n; i++) {
		if (keep[i] < 0)
			return kerr_set(err, EBADF, "keep-list holds fd %d", keep[i]);
		sorted[i] = keep[i];
	}
	qsort(sorted, n, sizeof(int), cmp_int);
	for (unsigned i = 0; i < n; i++) {
		int r = sorted[i] > 0 ? close_span(next, (unsigned)sorted[i] - 1, err) : 0;

		if (r < 0)
			return r;
		next = (unsigned)sorted[i] + 1;
	}
	return close_span(next, UINT_MAX, err);
}
