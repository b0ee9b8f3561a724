/* Checking a memfd received from another process before mapping it: it must carry the
 * seals that stop the sender from shrinking it under us (SIGBUS) and be large enough. */
#ifndef KTSTR_IPC_MEMFD_H
#define KTSTR_IPC_MEMFD_H

#include <stdint.h>

#include "ipc/err.h"

/* what names the memfd in the error ("ring", "guest RAM"). */
int ipc_memfd_check(int memfd, int required_seals, uint64_t need, const char *what,
		    struct kerr *err);

#endif
