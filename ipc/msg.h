/* Every message that crosses a process boundary: fixed, versioned structs, each with the
 * exact number of file descriptors it carries and a validator for its body. */
#ifndef KTSTR_IPC_MSG_H
#define KTSTR_IPC_MSG_H

#include <stdbool.h>
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
	IPC_MSG_BLK_DISK,     /* vmm → blk device: the disk and its limits; fds: the disk */
	IPC_MSG_VIRTIO_IDENTITY, /* device → vmm: device id, features, queues, config space */
	IPC_MSG_VIRTIO_IRQ,   /* vmm → device: fds: the irqfd eventfd, the status page memfd */
	IPC_MSG_VIRTIO_KICK,  /* vmm → device: one queue's kick eventfd (KVM_IOEVENTFD) */
	IPC_MSG_VIRTIO_START, /* vmm → device: DRIVER_OK: negotiated features, queue layouts */
	IPC_MSG_VIRTIO_RESET, /* vmm → device: the driver reset the device: stop every queue */
	IPC_MSG_DEVICE_STATS, /* device → vmm: what a virtio device served, sent before DONE */
	IPC_MSG_NET_SETUP,    /* vmm → net device: its MAC address */
	IPC_MSG_CONSOLE_SETUP, /* vmm → console device: which ports are wired */
	IPC_MSG_CONSOLE_RELAY, /* vmm → console device: fds: the --stats-socket connection */
	IPC_MSG_GUEST_FRAME,  /* console device → vmm: a chunk of one TLV frame's payload */
	IPC_MSG_INITGEN_BEGIN,   /* vmm → initgen: start an archive; fds: the output file */
	IPC_MSG_INITGEN_INSPECT, /* vmm → initgen: what does this file need to run; fds: it */
	IPC_MSG_INITGEN_DEPS,    /* initgen → vmm: the answer to INSPECT */
	IPC_MSG_INITGEN_ADD_FILE, /* vmm → initgen: pack this file; fds: it */
	IPC_MSG_INITGEN_ADD_NODE, /* vmm → initgen: pack a directory or a symlink */
	IPC_MSG_INITGEN_FINISH,  /* vmm → initgen: write the trailer and flush */
	IPC_MSG_INITGEN_DONE,    /* initgen → vmm: the archive's size and content hash */
	IPC_MSG_TYPE_END
};

struct ipc_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t body_len;
	uint32_t nfds;
};

/* The ends of a channel: vmm, and each kind of helper process (policy's enum sandbox_role
 * takes these numbers). Each message type names who may send it and who may receive it;
 * both ends of a channel check that (ipc_msg_route_ok), so a device cannot say what is
 * not its to say (the serial device a guest frame, a blk device a guest exit). */
enum ipc_peer {
	IPC_PEER_VMM = 0,
	IPC_PEER_BLK,
	IPC_PEER_NET,
	IPC_PEER_CONSOLE,
	IPC_PEER_SERIAL,
	IPC_PEER_INITGEN,
	IPC_PEER_END
};
#define IPC_PEER_BIT(p) (1u << (p))

/* Roles in hello and device stats are helper peers; the receiver checks that the role is
 * the one it started. */
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

/* virtio devices (see devproc/virtio_dev.h and vmm/devhost/virtio_host.h). The setup order is
 * GUEST_RAM, the role's own message (BLK_DISK), VIRTIO_IDENTITY back, then VIRTIO_IRQ and
 * one VIRTIO_KICK per queue; START and RESET follow the driver; SHUTDOWN ends it. */
#define IPC_VIRTIO_MAX_QUEUES  8
#define IPC_VIRTIO_CONFIG_MAX  256
#define IPC_VIRTQ_MAX_SIZE     1024
#define IPC_VIRTIO_STATUS_PAGE 4096u   /* the shared page: InterruptStatus is its first word */
#define IPC_VIRTIO_INT_USED_BUFFER 1u  /* InterruptStatus bits (virtio 1.2 §4.2.2) */
#define IPC_VIRTIO_INT_CONFIG      2u

/* The virtio device ids ktstr serves (virtio 1.2 §5). */
#define IPC_VIRTIO_ID_NET     1
#define IPC_VIRTIO_ID_BLK     2
#define IPC_VIRTIO_ID_CONSOLE 3

/* Feature bits a device may offer: its own (0-23), INDIRECT_DESC (28), EVENT_IDX (29) and
 * VERSION_1 (32). The transport implements nothing else (no packed rings, no IOMMU). */
#define IPC_VIRTIO_FEATURES_ALLOWED (0xffffffull | (1ull << 28) | (1ull << 29) | (1ull << 32))

struct ipc_virtio_identity {
	uint32_t device_id;        /* one of IPC_VIRTIO_ID_* */
	uint16_t num_queues;       /* 1..IPC_VIRTIO_MAX_QUEUES */
	uint16_t queue_num_max;    /* a power of two, 1..IPC_VIRTQ_MAX_SIZE */
	uint64_t features;         /* within IPC_VIRTIO_FEATURES_ALLOWED */
	uint32_t config_len;       /* 0..IPC_VIRTIO_CONFIG_MAX */
	uint32_t reserved;         /* must be zero */
	uint8_t config[IPC_VIRTIO_CONFIG_MAX];
};

struct ipc_virtio_kick {
	uint32_t queue;            /* < IPC_VIRTIO_MAX_QUEUES */
	uint32_t reserved;         /* must be zero */
};

struct ipc_virtq_setup {
	uint32_t size;             /* entries; a power of two up to IPC_VIRTQ_MAX_SIZE when ready */
	uint32_t ready;            /* 0 or 1: the driver enabled this queue */
	uint64_t desc, driver, device;   /* guest physical ring addresses, checked by the device */
};

struct ipc_virtio_start {
	uint64_t features;         /* what the driver accepted (a subset of what was offered) */
	uint32_t nqueues;          /* 1..IPC_VIRTIO_MAX_QUEUES */
	uint32_t reserved;         /* must be zero */
	struct ipc_virtq_setup queue[IPC_VIRTIO_MAX_QUEUES];
};

#define IPC_BLK_READ_ONLY 1u   /* flags: refuse writes with VIRTIO_BLK_S_IOERR */

/* Rates of 0 are unlimited; a burst of 0 means one second's worth of the rate. */
#define IPC_BLK_SERIAL_MAX 20   /* VIRTIO_BLK_T_GET_ID's answer (virtio 1.2 §5.2.6) */
struct ipc_blk_disk {
	uint32_t flags;            /* IPC_BLK_READ_ONLY or 0 */
	uint32_t reserved;         /* must be zero */
	uint64_t iops, iops_burst; /* requests per second, bucket size in requests */
	uint64_t bps, bps_burst;   /* bytes per second, bucket size in bytes */
	char serial[IPC_BLK_SERIAL_MAX];  /* printable, zero-padded (all 20 used: no NUL); may be empty */
	uint32_t reserved2;        /* must be zero */
};

struct ipc_net_setup {
	uint8_t mac[6];            /* unicast, not all zeros */
	uint16_t reserved;         /* must be zero */
};

#define IPC_CONSOLE_RELAY 1u   /* flags: an IPC_MSG_CONSOLE_RELAY follows */

struct ipc_console_setup {
	uint32_t flags;            /* IPC_CONSOLE_RELAY or 0 */
	uint32_t reserved;         /* must be zero */
};

#define IPC_FRAME_LAST    1u   /* flags: the last chunk of this frame */
#define IPC_FRAME_CRC_BAD 2u   /* flags: the frame's CRC did not match (on every chunk) */

struct ipc_guest_frame {
	uint32_t type;             /* a known TLV tag (ipc/tlv.h) */
	uint32_t flags;
	uint32_t len;              /* bytes used in data */
	uint32_t reserved;         /* must be zero */
	uint8_t data[IPC_TEXT_CHUNK];
};

struct ipc_device_stats {
	uint32_t role;             /* enum sandbox_role */
	uint32_t reserved;         /* must be zero */
	uint64_t requests;         /* chains served */
	uint64_t bad_requests;     /* malformed chains answered with an error or dropped */
	uint64_t bytes_read;       /* moved from the backend to the guest */
	uint64_t bytes_written;    /* moved from the guest to the backend */
	uint64_t throttled_ms;     /* time spent waiting for the rate limits */
	uint64_t dropped;          /* well-formed data the device could not deliver (no room) */
	uint64_t tlv_frames;       /* console: TLV frames parsed, */
	uint64_t tlv_crc_errors;   /* ... of which with a bad CRC, */
	uint64_t tlv_garbage;      /* ... and bytes skipped as garbage */
};

/* initgen (see initgen/initgen.h). The order is BEGIN, then any mix of INSPECT (answered
 * by DEPS) and ADD_FILE/ADD_NODE, then FINISH (answered by DONE). */
#define IPC_INITGEN_PATH_MAX   256    /* an archive path or interpreter, NUL included */
#define IPC_INITGEN_SEARCH_MAX 1024   /* DT_RPATH / DT_RUNPATH, NUL included */
#define IPC_INITGEN_NEEDED_MAX 4096   /* all DT_NEEDED names, each NUL-terminated */

enum ipc_initgen_compress {
	IPC_INITGEN_RAW = 1,       /* plain newc cpio */
	IPC_INITGEN_GZIP,          /* gzip (zlib) of it */
	IPC_INITGEN_COMPRESS_END
};

struct ipc_initgen_begin {
	uint32_t compress;         /* enum ipc_initgen_compress */
	uint32_t reserved;         /* must be zero */
};

struct ipc_initgen_inspect {
	char name[IPC_INITGEN_PATH_MAX];   /* the file's host path, for messages only */
};

enum ipc_initgen_kind {
	IPC_INITGEN_DATA = 1,      /* neither ELF nor script: needs nothing */
	IPC_INITGEN_SCRIPT,        /* "#!": interp is the interpreter */
	IPC_INITGEN_ELF_STATIC,    /* no dynamic section */
	IPC_INITGEN_ELF_DYNAMIC,   /* interp (PT_INTERP), needed, rpath, runpath */
	IPC_INITGEN_KIND_END
};

struct ipc_initgen_deps {
	uint32_t kind;             /* enum ipc_initgen_kind */
	uint32_t count;            /* names in needed */
	uint32_t elf_type;         /* ELF kinds: e_type (ET_EXEC, ET_DYN, ...), never 0; else 0 */
	uint32_t reserved;         /* must be zero */
	char interp[IPC_INITGEN_PATH_MAX];     /* absolute, or "" */
	char rpath[IPC_INITGEN_SEARCH_MAX];    /* "" when absent */
	char runpath[IPC_INITGEN_SEARCH_MAX];
	char needed[IPC_INITGEN_NEEDED_MAX];   /* count plain names, each NUL-terminated */
};

enum ipc_initgen_node {
	IPC_INITGEN_FILE = 1,      /* ADD_FILE only */
	IPC_INITGEN_DIR,           /* ADD_NODE */
	IPC_INITGEN_SYMLINK,       /* ADD_NODE: target is the link's contents */
	IPC_INITGEN_NODE_END
};

struct ipc_initgen_add {
	uint32_t node;             /* enum ipc_initgen_node */
	uint32_t mode;             /* permission bits only (07777) */
	char path[IPC_INITGEN_PATH_MAX];    /* see ipc_initgen_path_ok */
	char target[IPC_INITGEN_PATH_MAX];  /* SYMLINK: non-empty; otherwise "" */
};

struct ipc_initgen_done {
	uint64_t size;             /* bytes written to the output */
	uint32_t entries;          /* cpio entries, the trailer included */
	uint32_t reserved;         /* must be zero */
	uint8_t content[32];       /* SHA-256 of the uncompressed cpio stream */
};

/* An archive path: absolute or relative, under IPC_INITGEN_PATH_MAX bytes, printable, no
 * empty, "." or ".." component and no trailing slash. */
bool ipc_initgen_path_ok(const char *path);
/* A DT_NEEDED name this builder resolves: non-empty, printable, no '/'. */
bool ipc_initgen_lib_name_ok(const char *name);

union ipc_body {
	struct ipc_hello hello;
	struct ipc_error error;
	struct ipc_ring_attach ring_attach;
	struct ipc_empty empty;
	struct ipc_guest_exit guest_exit;
	struct ipc_guest_text guest_text;
	struct ipc_guest_milestone guest_milestone;
	struct ipc_guest_ram guest_ram;
	struct ipc_blk_disk blk_disk;
	struct ipc_virtio_identity virtio_identity;
	struct ipc_virtio_kick virtio_kick;
	struct ipc_virtio_start virtio_start;
	struct ipc_device_stats device_stats;
	struct ipc_net_setup net_setup;
	struct ipc_console_setup console_setup;
	struct ipc_guest_frame guest_frame;
	struct ipc_initgen_begin initgen_begin;
	struct ipc_initgen_inspect initgen_inspect;
	struct ipc_initgen_deps initgen_deps;
	struct ipc_initgen_add initgen_add;
	struct ipc_initgen_done initgen_done;
};

struct ipc_msg {
	enum ipc_msg_type type;
	union ipc_body body;
	int fds[IPC_MAX_FDS];
	unsigned nfds;
};

/* Whether `from` may send a message of this type to `to` (the message table's columns). */
bool ipc_msg_route_ok(unsigned type, enum ipc_peer from, enum ipc_peer to);

/* Who may send and who may receive a message type, as IPC_PEER_BIT masks; 0 if unknown. */
unsigned ipc_msg_senders(unsigned type);
unsigned ipc_msg_receivers(unsigned type);

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
