/* The ktstr-vmm command line: parsed and validated into a config before anything runs. */
#ifndef KTSTR_VMM_CLI_H
#define KTSTR_VMM_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "ipc/err.h"
#include "policy/sandbox.h"
#include "vmm/devhost/devhost.h"
#include "vmm/disk.h"
#include "initgen/initgen.h"
#include "vmm/topology_opt.h"

#define CLI_DEFAULT_MEMORY_MIB 512u
#define CLI_MIN_MEMORY_MIB     128u
#define CLI_DEFAULT_TIMEOUT_S  300u
#define CLI_DEFAULT_CONSOLE_LOG_LIMIT_MIB 64u
#define CLI_MAX_CPUS           1024u
#define CLI_MAX_TIMEOUT_S      604800u   /* a week */
#define CLI_DEFAULT_MAC        { 0x02, 0x6b, 0x74, 0x73, 0x74, 0x00 }   /* 02:6b:74:73:74:00 */

#define CLI_MAX_SCHED_ARGS 64
#define CLI_MAX_INCLUDES   64

struct vmm_config {
	enum sandbox_level sandbox;
	bool sandbox_id_set;
	uid_t sandbox_uid;
	gid_t sandbox_gid;
	const char *kernel;          /* --kernel: a path, or a name in the kernel cache */
	char kernel_path[4096];      /* ... what a name resolved to */
	const char *initrd;
	const char *append;
	const char *console_log;
	uint64_t console_log_limit;  /* --console-log-limit in bytes; 0: none */
	const char *results;
	unsigned cpus;               /* --cpus; 0: not given */
	uint64_t memory_mib;
	bool memory_given;
	struct topology_opts topo_opts;   /* --topology, --numa-node, --numa-distances */
	struct topology topo;        /* what they (or --cpus) describe, checked */
	unsigned timeout_s;          /* 0: none */
	const char *stats_socket;    /* --stats-socket: console port 2's host end */
	const char *profraw_dir;     /* --profraw-dir: where PRAW frames are written */
	bool virtio_cmdline;         /* --virtio-cmdline: devices on the command line, not ACPI */
	bool have_net;
	uint8_t net_mac[6];          /* --net[=MAC] */
	struct disk_config disks[DISK_MAX];   /* --disk, in order: /dev/vda, /dev/vdb, ... */
	unsigned n_disks;
	char **payload;              /* argv after --, NULL-terminated; NULL when none */
	const char *scheduler;       /* --scheduler: packed as /scheduler */
	const char *modules;         /* --modules: the guest kernel's module tree */
	char *sched_args[CLI_MAX_SCHED_ARGS + 1];   /* --scheduler-arg, NULL-terminated */
	struct initgen_include includes[CLI_MAX_INCLUDES];   /* --include HOST[:GUEST] */
	char include_guest[CLI_MAX_INCLUDES][IPC_INITGEN_PATH_MAX];
	unsigned n_sched_args;
	unsigned n_includes;
	bool initramfs_gzip;         /* --initramfs-compress gzip (default) or none */
	bool initramfs_cache;        /* off with --no-initramfs-cache */
	bool guest_decompress;       /* --guest-decompress: no direct boot (vmm/boot/vmlinux.h) */
	bool show_help;
	bool show_version;
	bool check_host;             /* --check-host: report on the host and exit */
	bool check_host_json;        /* --json with it */
	unsigned cpu_cap;            /* --cpu-cap: host CPUs reserved (shared) and used; 0: all */
	unsigned wait_for_cpus_s;    /* --wait-for-cpus: how long to wait for them */
	bool performance;            /* --performance (vmm/performance.h) */
	bool no_host_check;          /* --no-host-check: boot on a KVM that cannot boot stock kernels */
	unsigned n_run_options;      /* options other than --check-host and --json */
	const char *devproc_path;    /* found next to ktstr-vmm by main */
	struct timespec start_time;  /* CLOCK_MONOTONIC when main() began */
};

int cli_parse(int argc, char **argv, struct vmm_config *cfg, struct kerr *err);
void cli_print_help(void);
void cli_print_version(void);

/* How this run starts a helper of this role: its sandbox level, and the identity
 * --sandbox-id chose (else the default); no log. */
void vmm_spawn_config(const struct vmm_config *cfg, enum sandbox_role role, struct devhost_spawn *sp);

#endif
