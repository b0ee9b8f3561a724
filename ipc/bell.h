/* Bells: eventfds one process rings and another waits on (ring data/space, virtio kicks and
 * interrupts, the VM's end). A saturated counter already rings, and an empty one has nothing
 * to clear, so neither call can fail in a way its caller must handle. */
#ifndef KTSTR_IPC_BELL_H
#define KTSTR_IPC_BELL_H

void ipc_bell_ring(int fd);

/* Clears a (non-blocking) bell after a wake-up. */
void ipc_bell_ack(int fd);

#endif
