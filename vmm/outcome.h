/* What a run produced: how the VM ended, the exit status the guest reported, panic and result
 * text, and the timings. It decides ktstr-vmm's exit status and writes --results JSON. */
#ifndef KTSTR_VMM_OUTCOME_H
#define KTSTR_VMM_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ipc/ipc.h"
#include "vmm/devhost/devhost.h"
#include "vmm/frames.h"
#include "vmm/perf_report.h"

/* Exit statuses of ktstr-vmm besides the payload's own (documented in --help and README). */
#define VMM_EXIT_USAGE      2
#define VMM_EXIT_BUSY       117        /* skipped: resources busy (--cpu-cap, --performance) */
#define VMM_EXIT_SCHEDULER_DIED 118    /* /scheduler ended while the payload ran (SCDX) */
#define VMM_EXIT_HOST_UNSUITABLE 119   /* no KVM here that boots a stock kernel (--check-host) */
#define VMM_EXIT_HOST_ERROR 120
#define VMM_EXIT_NO_RESULT  121
#define VMM_EXIT_PANIC      122
#define VMM_EXIT_TIMEOUT    124

#define OUTCOME_TEXT_MAX   (1u << 20)   /* per kind; beyond it text is cut and marked */
#define OUTCOME_MAX_BLOCKS 256
#define OUTCOME_MAX_DEVICES 10   /* the virtio slots (vm_virtio.h checks it) */

enum vm_end_reason {
	VM_END_NONE,
	VM_END_GUEST_RESET,     /* i8042 reset or triple fault: how the guest init ends */
	VM_END_GUEST_SHUTDOWN,
	VM_END_TIMEOUT,
	VM_END_SIGNAL,          /* SIGINT/SIGTERM to ktstr-vmm */
	VM_END_HOST_ERROR,
};

struct outcome_text {
	char *data;             /* all pieces of one kind, one after another */
	size_t len;
	size_t piece_start[OUTCOME_MAX_BLOCKS];
	unsigned pieces;        /* completed pieces */
	bool truncated;
};

struct outcome {
	enum vm_end_reason end;
	char end_detail[KERR_MSG_MAX];
	bool have_exit;
	int exit_status;
	struct outcome_text text[IPC_TEXT_KIND_END];
	bool saw_init_start;
	struct timespec init_start; /* CLOCK_MONOTONIC when the guest said its /init began */
	double ms_to_first_run;     /* process start -> first KVM_RUN */
	double ms_running;          /* first KVM_RUN -> end */
	double ms_first_run_to_init;   /* first KVM_RUN -> /init start; < 0: never seen */
	double ms_init_to_end;         /* /init start -> end; < 0: never seen */
	bool built_initramfs;          /* ktstr-vmm made the initramfs (no --initrd) */
	bool resources_busy;           /* skipped before building: too few host CPUs free */
	char host_cpus[1024];          /* --cpu-cap/--performance: the host CPUs the run had, a cpulist; "" none */
	struct perf_report performance;   /* what --performance set, and what the host refused */
	bool host_unsuitable;          /* refused before building: the KVM here boots no stock kernel */
	bool initramfs_cache_hit;
	double ms_initramfs;           /* finding or building it (part of start_to_first_run) */
	uint64_t initramfs_bytes;
	struct frame_log frames;       /* TLV frames from the console device */
	bool have_tlv_exit;            /* an intact EXIT frame came (used when COM2 said nothing) */
	bool scheduler_died;           /* an intact SCDX frame came: the scheduler ended mid-test */
	char scheduler_exit[512];      /* ... what it said (how, the kernel's reason), cut to fit */
	int tlv_exit_status;
	const char *profraw_dir;       /* --profraw-dir, for the JSON's file names */
	struct outcome_device {
		char name[DEVHOST_NAME_MAX];   /* "console", "net", "blk vda", ... */
		struct ipc_device_stats stats;
	} devices[OUTCOME_MAX_DEVICES];    /* what each virtio device served */
	unsigned n_devices;
	bool kernel_direct;            /* the kernel proper was decompressed on the host (vmm/boot/vmlinux.h) */
	char kernel_boot[200];         /* how the kernel was loaded, or why not directly; "" not loaded */
	bool console_log_file;         /* --console-log named a regular file (sizes below known) */
	uint64_t console_log_bytes;
	uint64_t console_log_limit;    /* --console-log-limit in bytes; 0: none */
	bool console_log_truncated;    /* it reached the limit: later guest output was dropped */
	char device_faults[OUTCOME_MAX_DEVICES + 1][256];   /* devices that misbehaved at the end */
	unsigned n_device_faults;
};

void outcome_init(struct outcome *o);

/* A device that did not finish as asked (killed at the end of the run): kept whatever else
 * ended the run, so the outcome says which device misbehaved. */
void outcome_add_device_fault(struct outcome *o, const char *what);
void outcome_free(struct outcome *o);

/* Takes in one validated message from a device (exit status or text). */
void outcome_take(struct outcome *o, const struct ipc_msg *m);

/* Records what a virtio device reported serving (once per device, at its end). */
void outcome_add_device(struct outcome *o, const char *name, const struct ipc_device_stats *s);

/* The text of the n-th completed piece of a kind, or of the unfinished one after them. */
bool outcome_piece(const struct outcome *o, enum ipc_text_kind kind, unsigned n,
		   const char **data, size_t *len);

bool outcome_kernel_panicked(const struct outcome *o);
int outcome_exit_code(const struct outcome *o);
const char *outcome_name(const struct outcome *o);

int outcome_write_json(const struct outcome *o, const char *path, struct kerr *err);

#endif
