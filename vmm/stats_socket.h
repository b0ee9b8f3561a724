/* --stats-socket PATH: the host end of the console's "ktstr.stats" port, a unix stream
 * socket some host program listens on. vmm connects before any VM exists (so a wrong path
 * is reported at once) and hands the connection to the console device process. */
#ifndef KTSTR_VMM_STATS_SOCKET_H
#define KTSTR_VMM_STATS_SOCKET_H

#include "ipc/err.h"

int stats_socket_connect(const char *path, int *fd, struct kerr *err);

#endif
