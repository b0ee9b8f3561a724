/* Eventfd bells; see bell.h. */
#include "ipc/bell.h"

#include <stdint.h>
#include <unistd.h>

void ipc_bell_ring(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0)
		return;   /* EAGAIN: the counter is saturated, the bell already rings */
}

void ipc_bell_ack(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0)
		return;   /* EAGAIN: nothing pending */
}
