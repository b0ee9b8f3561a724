/* A typed message channel over a SOCK_SEQPACKET socket. */
#ifndef KTSTR_IPC_CHANNEL_H
#define KTSTR_IPC_CHANNEL_H

#include <stdbool.h>

#include "ipc/msg.h"

struct ipc_channel {
	int fd;
	bool dead;  /* set on a protocol error or EOF: the channel is not used again */
	enum ipc_peer self;   /* who this end is, */
	enum ipc_peer peer;   /* and who the other: every message is checked against both */
};

int ipc_channel_pair(int fds[2], struct kerr *err);
void ipc_channel_init(struct ipc_channel *ch, int fd, enum ipc_peer self, enum ipc_peer peer);
void ipc_channel_close(struct ipc_channel *ch);

/* Sends one message; body must be the type's struct, fds exactly its fd count, and the type
 * one this end may send to its peer (else EPERM: a bug, nothing is sent). */
int ipc_send(struct ipc_channel *ch, enum ipc_msg_type type, const void *body,
	     const int *fds, struct kerr *err);

/* The same without blocking longer than timeout_ms for the peer to make room: ETIMEDOUT
 * then, or EAGAIN at once for timeout_ms 0 (nothing was sent). vmm sends to device
 * processes only this way: no vmm thread may wait on a device that stopped reading. */
int ipc_send_timed(struct ipc_channel *ch, enum ipc_msg_type type, const void *body,
		   const int *fds, int timeout_ms, struct kerr *err);

/* Receives and validates one message (blocking), a type the peer may send to this end.
 * Any protocol error closes every fd that arrived and marks the channel dead. EOF returns
 * -ECONNRESET. */
int ipc_recv(struct ipc_channel *ch, struct ipc_msg *out, struct kerr *err);

#endif
