/* Received memfd checks; see memfd.h. */
#include "ipc/memfd.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int ipc_memfd_check(int memfd, int required_seals, uint64_t need, const char *what,
		    struct kerr *err)
{
	int seals = fcntl(memfd, F_GET_SEALS);
	off_t size;

	if (seals < 0 || (seals & required_seals) != required_seals)
		return kerr_set(err, EPROTO, "%s memfd is not sealed against shrink and grow (seals 0x%x)",
				what, seals);
	/* lseek, not fstat: it is all a sandboxed reader's seccomp policy allows for this. */
	size = lseek(memfd, 0, SEEK_END);
	if (size < 0 || (uint64_t)size < need)
		return kerr_set(err, EPROTO, "%s memfd of %lld bytes is too small (smaller than its "
				"layout, %llu bytes)", what, (long long)size, (unsigned long long)need);
	return 0;
}
