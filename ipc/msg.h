/* Every message that crosses a process boundary: fixed, versioned structs, each with the
 * exact number of file descriptors it carries and a validator for its body. */
#ifndef KTSTR_IPC_MSG_H
#define KTSTR_IPC_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "ipc/err.h"

#define IPC_MAGIC 0x4b545352u /* "KTSR" */

/* The fds a device process is started with (the spawner maps them, argv says which exist). */
#define IPC_FD_CHANNEL 3
#define IPC_FD_LOG     4
#define IPC_VERSION 1
#define IPC_MAX_FDS 4
#define IPC_TEXT_CHUNK 2048

enum ipc_msg_type {
	IPC_MSG_HELLO = 1,    /* device → vmm: sandbox entered, ready for setup */
	IPC_MSG_ERROR,        /* device → vmm: a fatal error, said once by vmm */
	IPC_MSG_RING_ATTACH,  /* vmm → device: a byte ring; fds: memfd, data bell, space bell */
	IPC_MSG_SHUTDOWN,     /* vmm → device: drain what is queued, report, then exit */
	IPC_MSG_DONE,         /* device → vmm: everything drained and reported */
	IPC_MSG_GUEST_EXIT,   /* device → vmm: the exit status the guest reported */
	IPC_MSG_GUEST_TEXT,   /* device → vmm: a chunk of panic or result text */
	IPC_MSG_GUEST_MILESTONE, /* device → vmm: the guest reached a point worth timing */
	IPC_MSG_GUEST_RAM,    /* vmm → device: guest RAM; fds: its sealed memfd */
	IPC_MSG_TYPE_END
};

struct ipc_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t body_len;
	uint32_t nfds;
};

/* Roles are policy's enum sandbox_role (small positive numbers); the receiver checks
 * that the role is the one it started. */
#define IPC_ROLE_MAX 16

struct ipc_hello {
	uint32_t role;
	uint32_t pid_in_namespace;
};

struct ipc_error {
	int32_t code;              /* positive errno */
	char text[KERR_MSG_MAX];   /* NUL-terminated */
};

enum ipc_ring_id {
	IPC_RING_COM1_TX = 1,      /* guest → host bytes of COM1 (the kernel console) */
	IPC_RING_COM2_TX,          /* guest → host bytes of COM2 (the result channel) */
	IPC_RING_ID_END
};

struct ipc_ring_attach {
	uint32_t ring_id;          /* enum ipc_ring_id */
	uint32_t capacity;         /* bytes of data; a power of two */
};

struct ipc_empty {
	uint32_t reserved;         /* must be zero */
};

#define IPC_EXIT_STATUS_MAX 255

struct ipc_guest_exit {
	int32_t status;            /* 0..IPC_EXIT_STATUS_MAX */
};

enum ipc_text_kind {
	IPC_TEXT_RESULT = 1,       /* between the COM2 result markers */
	IPC_TEXT_PANIC,            /* "PANIC: ..." from the guest init, and its backtrace */
	IPC_TEXT_KERNEL_PANIC,     /* "Kernel panic - not syncing: ..." seen on COM1 */
	IPC_TEXT_KIND_END
};

#define IPC_TEXT_LAST 1u       /* flags: the last chunk of this piece of text */

struct ipc_guest_text {
	uint32_t kind;             /* enum ipc_text_kind */
	uint32_t flags;            /* IPC_TEXT_LAST or 0 */
	uint32_t len;              /* bytes used in data */
	char data[IPC_TEXT_CHUNK];
};

enum ipc_milestone {
	IPC_MILESTONE_INIT_START = 1,   /* the guest's /init began (KTSTR_INIT_START on COM2) */
	IPC_MILESTONE_END
};

struct ipc_guest_milestone {
	uint32_t milestone;        /* enum ipc_milestone */
};

/* Guest RAM as the vmm laid it out in its memfd (see vmm/guest_memory.h). */
#define IPC_RAM_MAX_REGIONS 2
#define IPC_RAM_PAGE 4096u

struct ipc_ram_region {
	uint64_t gpa;              /* guest physical start, page aligned */
	uint64_t size;             /* bytes, page aligned, > 0 */
	uint64_t offset;           /* where it starts in the memfd, page aligned */
};

struct ipc_guest_ram {
	uint32_t nregions;         /* 1..IPC_RAM_MAX_REGIONS, ascending, disjoint */
	uint32_t reserved;         /* must be zero */
	struct ipc_ram_region regions[IPC_RAM_MAX_REGIONS];
};

union ipc_body {
	struct ipc_hello hello;
	struct ipc_error error;
	struct ipc_ring_attach ring_attach;
	struct ipc_empty empty;
	struct ipc_guest_exit guest_exit;
	struct ipc_guest_text guest_text;
	struct ipc_guest_milestone guest_milestone;
	struct ipc_guest_ram guest_ram;
};

struct ipc_msg {
	enum ipc_msg_type type;
	union ipc_body body;
	int fds[IPC_MAX_FDS];
	unsigned nfds;
};

/* The body size and fd count a message type must have; 0 when the type is unknown. */
size_t ipc_msg_body_size(unsigned type);
unsigned ipc_msg_fd_count(unsigned type);
const char *ipc_msg_name(unsigned type);

/* Checks a received datagram (header + body) and the fds that came with it. On success
 * the message owns the fds; on failure every fd is closed and -EPROTO returned. */
int ipc_msg_decode(const void *buf, size_t len, const int *fds, unsigned nfds,
		   struct ipc_msg *out, struct kerr *err);

/* Closes the fds a message still owns. */
void ipc_msg_close_fds(struct ipc_msg *msg);

#endif
