/* Option parsing for ktstr-vmm. Every option's value is checked here, and an error names
 * the option and the value. */
#include "vmm/cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "initgen/cache.h"
#include "vmm/guest_memory.h"
#include "vmm/host/host_reserve.h"
#include "vmm/outcome.h"

#ifndef KTSTR_VERSION
#define KTSTR_VERSION "0.0.0-dev"
#endif

void cli_print_version(void)
{
	printf("ktstr-vmm %s\n", KTSTR_VERSION);
}

void cli_print_help(void)
{
	printf("usage: ktstr-vmm [OPTIONS] --kernel BZIMAGE -- PAYLOAD [ARGS...]\n"
	       "       ktstr-vmm [OPTIONS] --kernel BZIMAGE --initrd FILE [-- PAYLOAD [ARGS...]]\n"
	       "       ktstr-vmm --check-host [--json]\n"
	       "\n"
	       "Boots a Linux kernel in KVM, runs PAYLOAD with ARGS as the guest's test and exits\n"
	       "with the status the guest reports. Without --initrd, ktstr-vmm builds the\n"
	       "initramfs itself (in a sandboxed process, cached per user): its init, PAYLOAD,\n"
	       "the shared libraries they need and the kernel's virtio modules. Every component\n"
	       "that reads guest data runs in its own sandboxed process.\n"
	       "\n"
	       "  --kernel PATH|NAME   the bzImage to boot (x86 boot protocol 2.12 or later); a\n"
	       "                       NAME without '/' that is no file here is looked up in the\n"
	       "                       kernel cache (~/.cache/ktstr-vmm/kernels/NAME/vmlinuz):\n"
	       "                       `ktstr` is the newest scripts/build-kernel built\n"
	       "  --initrd PATH        boot this initramfs instead (its /init gets PAYLOAD and\n"
	       "                       ARGS on the kernel command line)\n"
	       "  --scheduler PATH     a sched_ext scheduler, started as /scheduler before the\n"
	       "                       payload (--scheduler-arg ARG, repeatable, for its argv)\n"
	       "  --include HOST[:GUEST]  pack a file or directory (default GUEST: /BASENAME)\n"
	       "  --modules DIR        the guest kernel's module tree (with modules.dep); default:\n"
	       "                       DIR/modules/RELEASE next to a kernel from fetch-kernel\n"
	       "  --initramfs-compress gzip|none  (default gzip)\n"
	       "  --no-initramfs-cache build the initramfs for this run only\n"
	       "  --guest-decompress   let the kernel decompress itself in the guest (and place\n"
	       "                       itself at random: KASLR) instead of booting the kernel\n"
	       "                       proper that ktstr-vmm decompresses once into its cache\n"
	       "                       (~/.cache/ktstr-vmm/vmlinux; gzip or zstd bzImages)\n"
	       "  --append ARGS        more kernel command-line arguments\n"
	       "  --cpus N             vCPUs (default 1): one node, one LLC, N cores\n"
	       "  --topology NUMA,LLCS,CORES_PER_LLC,THREADS_PER_CORE\n"
	       "                       NUMA nodes, LLCs in all (spread evenly over the nodes, as\n"
	       "                       is the memory), cores per LLC, threads per core\n"
	       "  --numa-node llcs=N,mem=MIB[,latency_ns=N][,bandwidth_mbs=N][,cache_mib=N]\n"
	       "                       one NUMA node (repeat for each; llcs=0: memory only); the\n"
	       "                       guest's memory is then their sum; cache_mib: a memory-side\n"
	       "                       cache in front of it (HMAT)\n"
	       "  --numa-distances D   the NxN distance matrix, rows by ';', entries by ',' (10 on\n"
	       "                       the diagonal, more than 10 elsewhere, symmetric; default 20)\n"
	       "  --memory MIB         guest RAM in MiB (default %u, at least %u; above 3072 the\n"
	       "                       rest is placed above 4 GiB)\n"
	       "  --timeout SEC        end the VM SEC seconds after its first KVM_RUN (default\n"
	       "                       %u; 0: never)\n"
	       "  --disk PATH[,ro][,iops=N][,bps=N][,iops_burst=N][,bps_burst=N]\n"
	       "                       a virtio-blk disk backed by a file or block device whose\n"
	       "                       size is a multiple of 512; ro: read-only; iops/bps: rate\n"
	       "                       limits the guest feels as waiting (bursts default to one\n"
	       "                       second's worth). Up to 8, each served by its own sandboxed\n"
	       "                       process: /dev/vda, /dev/vdb, ... in the order given\n"
	       "  --net[=MAC]          a virtio-net interface (eth0) whose frames loop back to\n"
	       "                       the guest; never connected to a host network\n"
	       "                       (default MAC 02:6b:74:73:74:00)\n"
	       "  --stats-socket PATH  connect to this host unix socket and relay it, both ways,\n"
	       "                       to the guest's virtio-console port \"ktstr.stats\"\n"
	       "  --profraw-dir DIR    write the payload's PRAW (LLVM profraw) frames here\n"
	       "  --virtio-cmdline     announce the virtio devices on the kernel command line\n"
	       "                       (virtio_mmio.device=) instead of in ACPI, and boot the\n"
	       "                       guest with acpi=off: the devices' IRQs are ISA IRQs, which\n"
	       "                       a guest under this VM's (hardware-reduced) ACPI does not\n"
	       "                       have. CPUs come from the MP table then: one NUMA node\n"
	       "  --cpu-cap N          run the VM (vCPUs, vmm's threads, device processes) on N\n"
	       "                       host CPUs, whole last-level caches first, reserved with\n"
	       "                       shared locks in $KTSTR_LOCK_DIR (default " HOST_LOCK_DIR_DEFAULT ")\n"
	       "                       so runs that need CPUs to themselves keep off them\n"
	       "  --performance        the VM alone on whole host LLCs (one per virtual LLC,\n"
	       "                       held exclusively), each vCPU thread on its own host CPU\n"
	       "                       at SCHED_FIFO, vmm and the devices on one service CPU;\n"
	       "                       guest RAM on 2 MiB pages bound to their node and faulted\n"
	       "                       in; HLT and PAUSE without exits, the KVM_HINTS_REALTIME\n"
	       "                       hint, halt polling, a TSC check. What the host refuses\n"
	       "                       is printed and in --results \"performance\"\n"
	       "  --wait-for-cpus SEC  when too few CPUs (--cpu-cap) or LLCs (--performance) are\n"
	       "                       free, wait up to SEC seconds for them\n"
	       "                       (default 0: exit at once with the busy status)\n"
	       "  --console-log FILE   write the guest console (COM1) here instead of stderr\n"
	       "                       (to a terminal, control bytes are shown as ^X)\n"
	       "  --console-log-limit MIB  stop writing the --console-log file at this size\n"
	       "                       (default %u; 0: no limit); --results then says it was\n"
	       "                       truncated\n"
	       "  --results FILE       write the outcome as JSON: status, result blocks, panics\n"
	       "  --sandbox LEVEL      off | audit | standard | strict (default standard)\n"
	       "  --sandbox-id UID[:GID]  identity of the device processes when run as root\n"
	       "                       (default 65534:65534)\n"
	       "  --no-host-check      boot even where this host's KVM cannot boot a stock kernel\n"
	       "                       (PVM: for a PVM-enabled guest kernel)\n"
	       "  --check-host         check this host and exit: a line per check (ok, warn,\n"
	       "                       fail, with the fix): /dev/kvm, which KVM backs it and\n"
	       "                       whether it boots stock kernels, the KVM capabilities a\n"
	       "                       run needs, nesting, seccomp, user namespaces for strict,\n"
	       "                       the initramfs cache, hugepages; --json: as JSON\n"
	       "  --help, --version\n"
	       "\n"
	       "Exit status:\n"
	       "  0-255  the status the guest reported for the payload (KTSTR_EXIT=N on COM2)\n"
	       "  %d      usage error (bad option or value)\n"
	       "  %d    skipped: resources busy (--cpu-cap, --performance: too few host\n"
	       "         CPUs or LLCs free)\n"
	       "  %d    the scheduler (--scheduler) died while the payload ran (SCDX; its\n"
	       "         reason in --results scheduler_exit; outranks a reported status)\n"
	       "  %d    this host's KVM cannot boot a stock kernel (none, or PVM): boot\n"
	       "         through the nested harness, scripts/nested-kvm (also what\n"
	       "         --check-host returns then; 0 when native boots can work)\n"
	       "  %d    host error (KVM, files, a device process failed or misbehaved)\n"
	       "  %d    the guest ended without reporting a result\n"
	       "  %d    the guest kernel panicked (outranks a reported status)\n"
	       "  %d    timed out\n",
	       CLI_DEFAULT_MEMORY_MIB, CLI_MIN_MEMORY_MIB, CLI_DEFAULT_TIMEOUT_S,
	       CLI_DEFAULT_CONSOLE_LOG_LIMIT_MIB, VMM_EXIT_USAGE, VMM_EXIT_BUSY, VMM_EXIT_SCHEDULER_DIED,
	       VMM_EXIT_HOST_UNSUITABLE, VMM_EXIT_HOST_ERROR, VMM_EXIT_NO_RESULT, VMM_EXIT_PANIC, VMM_EXIT_TIMEOUT);
}

static int parse_uint(const char *opt, const char *s, unsigned long long min,
		      unsigned long long max, unsigned long long *out, const char *what,
		      struct kerr *err)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno == ERANGE)
		return kerr_set(err, EINVAL, "%s: \"%s\" is not %s", opt, s, what);
	if (v < min || v > max)
		return kerr_set(err, ERANGE, "%s: %s is out of range (%llu..%llu)", opt, s, min, max);
	*out = v;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* xx:xx:xx:xx:xx:xx, unicast and not all zeros. */
static int parse_mac(const char *s, uint8_t mac[6], struct kerr *err)
{
	uint8_t any = 0;

	for (int i = 0; i < 6; i++) {
		const char *p = s + (size_t)3 * (size_t)i;
		int hi, lo;

		if (strnlen(s, 18) != 17 || (hi = hex_digit(p[0])) < 0 || (lo = hex_digit(p[1])) < 0 ||
		    (i < 5 && p[2] != ':'))
			return kerr_set(err, EINVAL, "--net: \"%s\" is not a MAC address "
					"(xx:xx:xx:xx:xx:xx)", s);
		mac[i] = (uint8_t)(hi << 4 | lo);
		any |= mac[i];
	}
	if ((mac[0] & 1) || !any)
		return kerr_set(err, EINVAL, "--net: %s is a multicast or zero address", s);
	return 0;
}

static int parse_sandbox_id(const char *s, struct vmm_config *cfg, struct kerr *err)
{
	unsigned long long uid = 0, gid = 0;
	char buf[64], *colon;
	int r;

	if ((size_t)snprintf(buf, sizeof(buf), "%s", s) >= sizeof(buf))
		return kerr_set(err, EINVAL, "--sandbox-id: \"%s\" is not UID[:GID]", s);
	colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	if ((r = parse_uint("--sandbox-id", buf, 1, UINT_MAX - 1, &uid, "a numeric uid", err)) < 0)
		return r;
	gid = uid;
	if (colon && (r = parse_uint("--sandbox-id", colon + 1, 1, UINT_MAX - 1, &gid,
				     "a numeric gid", err)) < 0)
		return r;
	cfg->sandbox_id_set = true;
	cfg->sandbox_uid = (uid_t)uid;
	cfg->sandbox_gid = (gid_t)gid;
	return 0;
}

enum {
	OPT_KERNEL = 256, OPT_INITRD, OPT_APPEND, OPT_CPUS, OPT_MEMORY, OPT_TIMEOUT,
	OPT_CONSOLE_LOG, OPT_RESULTS, OPT_SANDBOX, OPT_SANDBOX_ID, OPT_DISK, OPT_NET,
	OPT_STATS_SOCKET, OPT_PROFRAW_DIR, OPT_VIRTIO_CMDLINE, OPT_TOPOLOGY, OPT_NUMA_NODE,
	OPT_NUMA_DISTANCES, OPT_SCHEDULER, OPT_SCHEDULER_ARG, OPT_INCLUDE, OPT_MODULES,
	OPT_INITRAMFS_COMPRESS, OPT_NO_INITRAMFS_CACHE, OPT_CHECK_HOST, OPT_JSON, OPT_NO_HOST_CHECK,
	OPT_CONSOLE_LOG_LIMIT, OPT_CPU_CAP, OPT_WAIT_FOR_CPUS, OPT_PERFORMANCE, OPT_GUEST_DECOMPRESS,
};

/* HOST[:GUEST]: GUEST is the part after the last ":/"; without one, /BASENAME of HOST. */
static int parse_include(char *arg, struct vmm_config *cfg, struct kerr *err)
{
	unsigned i = cfg->n_includes;
	char *sep = NULL;

	if (i >= CLI_MAX_INCLUDES)
		return kerr_set(err, E2BIG, "--include: at most %d", CLI_MAX_INCLUDES);
	for (char *p = strstr(arg, ":/"); p; p = strstr(p + 1, ":/"))
		sep = p;
	if (sep) {
		*sep = '\0';
		snprintf(cfg->include_guest[i], sizeof(cfg->include_guest[i]), "%s", sep + 1);
	} else {
		const char *base = strrchr(arg, '/');

		snprintf(cfg->include_guest[i], sizeof(cfg->include_guest[i]), "/%s", base ? base + 1 : arg);
	}
	if (!arg[0] || !ipc_initgen_path_ok(cfg->include_guest[i]) || cfg->include_guest[i][0] != '/')
		return kerr_set(err, EINVAL, "--include: \"%s\" is not HOST or HOST:/GUEST with a clean "
				"absolute GUEST path", arg);
	cfg->includes[i] = (struct initgen_include){ .host = arg, .guest = cfg->include_guest[i] };
	cfg->n_includes++;
	return 0;
}

static int parse_initramfs_option(int c, char *arg, struct vmm_config *cfg, struct kerr *err)
{
	switch (c) {
	case OPT_SCHEDULER: cfg->scheduler = arg; return 0;
	case OPT_SCHEDULER_ARG:
		if (cfg->n_sched_args >= CLI_MAX_SCHED_ARGS)
			return kerr_set(err, E2BIG, "--scheduler-arg: at most %d", CLI_MAX_SCHED_ARGS);
		cfg->sched_args[cfg->n_sched_args++] = arg;
		return 0;
	case OPT_INCLUDE: return parse_include(arg, cfg, err);
	case OPT_MODULES: cfg->modules = arg; return 0;
	case OPT_NO_INITRAMFS_CACHE: cfg->initramfs_cache = false; return 0;
	default:
		if (strcmp(arg, "gzip") != 0 && strcmp(arg, "none") != 0)
			return kerr_set(err, EINVAL, "--initramfs-compress: \"%s\" is not gzip or none", arg);
		cfg->initramfs_gzip = strcmp(arg, "gzip") == 0;
		return 0;
	}
}

static int apply_option(int c, char *arg, struct vmm_config *cfg, struct kerr *err)
{
	unsigned long long v = 0;
	int r;

	switch (c) {
	case OPT_KERNEL: cfg->kernel = arg; return 0;
	case OPT_INITRD: cfg->initrd = arg; return 0;
	case OPT_APPEND: cfg->append = arg; return 0;
	case OPT_CONSOLE_LOG: cfg->console_log = arg; return 0;
	case OPT_CONSOLE_LOG_LIMIT:
		if ((r = parse_uint("--console-log-limit", arg, 0, 1u << 20, &v, "a number of MiB",
				    err)) == 0)
			cfg->console_log_limit = v << 20;
		return r;
	case OPT_RESULTS: cfg->results = arg; return 0;
	case OPT_CPUS:
		if ((r = parse_uint("--cpus", arg, 1, CLI_MAX_CPUS, &v, "a number of vCPUs", err)) == 0)
			cfg->cpus = (unsigned)v;
		return r;
	case OPT_MEMORY:
		if ((r = parse_uint("--memory", arg, CLI_MIN_MEMORY_MIB, GUEST_MEMORY_MAX_MIB, &v,
				    "a number of MiB", err)) == 0) {
			cfg->memory_mib = v;
			cfg->memory_given = true;
		}
		return r;
	case OPT_TIMEOUT:
		if ((r = parse_uint("--timeout", arg, 0, CLI_MAX_TIMEOUT_S, &v, "a number of seconds",
				    err)) == 0)
			cfg->timeout_s = (unsigned)v;
		return r;
	case OPT_SANDBOX:
		if (sandbox_level_parse(arg, &cfg->sandbox) < 0)
			return kerr_set(err, EINVAL, "--sandbox: \"%s\" is not one of off, audit, "
					"standard, strict", arg);
		return 0;
	case OPT_SANDBOX_ID: return parse_sandbox_id(arg, cfg, err);
	case OPT_CPU_CAP:
		if ((r = parse_uint("--cpu-cap", arg, 1, HOST_MAX_CPUS, &v, "a number of CPUs", err)) == 0)
			cfg->cpu_cap = (unsigned)v;
		return r;
	case OPT_WAIT_FOR_CPUS:
		if ((r = parse_uint("--wait-for-cpus", arg, 0, CLI_MAX_TIMEOUT_S, &v, "a number of seconds",
				    err)) == 0)
			cfg->wait_for_cpus_s = (unsigned)v;
		return r;
	case OPT_TOPOLOGY: return topology_opt_counts(&cfg->topo_opts, arg, err);
	case OPT_NUMA_NODE: return topology_opt_node(&cfg->topo_opts, arg, err);
	case OPT_NUMA_DISTANCES: return topology_opt_distances(&cfg->topo_opts, arg, err);
	case OPT_VIRTIO_CMDLINE: cfg->virtio_cmdline = true; return 0;
	case OPT_STATS_SOCKET: cfg->stats_socket = arg; return 0;
	case OPT_PROFRAW_DIR: cfg->profraw_dir = arg; return 0;
	case OPT_NET:
		cfg->have_net = true;
		return arg ? parse_mac(arg, cfg->net_mac, err) : 0;
	case OPT_DISK:
		if (cfg->n_disks == DISK_MAX)
			return kerr_set(err, EINVAL, "--disk: at most %d disks (/dev/vda to /dev/vd%c); "
					"\"%s\" would be the %dth", DISK_MAX, 'a' + DISK_MAX - 1, arg,
					DISK_MAX + 1);
		return disk_parse(arg, &cfg->disks[cfg->n_disks++], err);
	case OPT_SCHEDULER: case OPT_SCHEDULER_ARG: case OPT_INCLUDE: case OPT_MODULES:
	case OPT_INITRAMFS_COMPRESS: case OPT_NO_INITRAMFS_CACHE:
		return parse_initramfs_option(c, arg, cfg, err);
	case OPT_CHECK_HOST: cfg->check_host = true; return 0;
	case OPT_JSON: cfg->check_host_json = true; return 0;
	case OPT_NO_HOST_CHECK: cfg->no_host_check = true; return 0;
	case OPT_PERFORMANCE: cfg->performance = true; return 0;
	case OPT_GUEST_DECOMPRESS: cfg->guest_decompress = true; return 0;
	case 'h': cfg->show_help = true; return 0;
	case 'V': cfg->show_version = true; return 0;
	default: return kerr_set(err, EINVAL, "internal: option %d", c);
	}
}

static void set_defaults(struct vmm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->sandbox = SANDBOX_STANDARD;
	cfg->memory_mib = CLI_DEFAULT_MEMORY_MIB;
	cfg->timeout_s = CLI_DEFAULT_TIMEOUT_S;
	cfg->console_log_limit = (uint64_t)CLI_DEFAULT_CONSOLE_LOG_LIMIT_MIB << 20;
	cfg->initramfs_gzip = true;
	cfg->initramfs_cache = true;
	{
		static const uint8_t mac[6] = CLI_DEFAULT_MAC;

		memcpy(cfg->net_mac, mac, sizeof(mac));
	}
}

/* --kernel NAME: a name without '/' that is no file here is a directory of the kernel cache,
 * where scripts/build-kernel and scripts/fetch-kernel put DIR/vmlinuz. */
static int resolve_kernel_name(struct vmm_config *cfg, struct kerr *err)
{
	char base[2048];
	int n;

	if (strchr(cfg->kernel, '/') || access(cfg->kernel, F_OK) == 0)
		return 0;
	if ((n = cache_root(base, sizeof(base) - sizeof("/kernels"))) < 0)
		return 0;   /* no cache to look in: the missing file is reported as such */
	memcpy(base + n, "/kernels", sizeof("/kernels"));
	if ((size_t)snprintf(cfg->kernel_path, sizeof(cfg->kernel_path), "%s/%s/vmlinuz", base,
			     cfg->kernel) >= sizeof(cfg->kernel_path))
		return kerr_set(err, ENAMETOOLONG, "--kernel %s: the name is too long", cfg->kernel);
	if (access(cfg->kernel_path, F_OK) < 0)
		return kerr_set(err, ENOENT, "--kernel %s: no such file, and no kernel of that name in %s "
				"(scripts/build-kernel and scripts/fetch-kernel put kernels there)",
				cfg->kernel, base);
	cfg->kernel = cfg->kernel_path;
	return 0;
}

int cli_parse(int argc, char **argv, struct vmm_config *cfg, struct kerr *err)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "initrd", required_argument, NULL, OPT_INITRD },
		{ "append", required_argument, NULL, OPT_APPEND },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "console-log", required_argument, NULL, OPT_CONSOLE_LOG },
		{ "console-log-limit", required_argument, NULL, OPT_CONSOLE_LOG_LIMIT },
		{ "results", required_argument, NULL, OPT_RESULTS },
		{ "sandbox", required_argument, NULL, OPT_SANDBOX },
		{ "sandbox-id", required_argument, NULL, OPT_SANDBOX_ID },
		{ "disk", required_argument, NULL, OPT_DISK },
		{ "net", optional_argument, NULL, OPT_NET },
		{ "stats-socket", required_argument, NULL, OPT_STATS_SOCKET },
		{ "virtio-cmdline", no_argument, NULL, OPT_VIRTIO_CMDLINE },
		{ "topology", required_argument, NULL, OPT_TOPOLOGY },
		{ "numa-node", required_argument, NULL, OPT_NUMA_NODE },
		{ "numa-distances", required_argument, NULL, OPT_NUMA_DISTANCES },
		{ "profraw-dir", required_argument, NULL, OPT_PROFRAW_DIR },
		{ "scheduler", required_argument, NULL, OPT_SCHEDULER },
		{ "scheduler-arg", required_argument, NULL, OPT_SCHEDULER_ARG },
		{ "include", required_argument, NULL, OPT_INCLUDE },
		{ "modules", required_argument, NULL, OPT_MODULES },
		{ "initramfs-compress", required_argument, NULL, OPT_INITRAMFS_COMPRESS },
		{ "no-initramfs-cache", no_argument, NULL, OPT_NO_INITRAMFS_CACHE },
		{ "check-host", no_argument, NULL, OPT_CHECK_HOST },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "no-host-check", no_argument, NULL, OPT_NO_HOST_CHECK },
		{ "cpu-cap", required_argument, NULL, OPT_CPU_CAP },
		{ "wait-for-cpus", required_argument, NULL, OPT_WAIT_FOR_CPUS },
		{ "performance", no_argument, NULL, OPT_PERFORMANCE },
		{ "guest-decompress", no_argument, NULL, OPT_GUEST_DECOMPRESS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	set_defaults(cfg);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		if (c == ':')
			return kerr_set(err, EINVAL, "%s: needs a value", argv[optind - 1]);
		if (c == '?')
			return kerr_set(err, EINVAL, "unknown option \"%s\"", argv[optind - 1]);
		int r = apply_option(c, optarg, cfg, err);

		if (r < 0)
			return r;
		if (c != OPT_CHECK_HOST && c != OPT_JSON && c != 'h' && c != 'V')
			cfg->n_run_options++;
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0)
			return kerr_set(err, EINVAL, "unexpected argument \"%s\" (a payload goes after --)",
					argv[optind]);
		cfg->payload = &argv[optind];
	}
	if (cfg->show_help || cfg->show_version)
		return 0;
	if (cfg->check_host_json && !cfg->check_host)
		return kerr_set(err, EINVAL, "--json goes with --check-host");
	if (cfg->check_host && (cfg->n_run_options || cfg->payload))
		return kerr_set(err, EINVAL, "--check-host takes no other option than --json");
	if (cfg->check_host)
		return 0;
	if (!cfg->kernel)
		return kerr_set(err, EINVAL, "--kernel is required");
	if (resolve_kernel_name(cfg, err) < 0)
		return -ENOENT;
	if (cfg->initrd && (cfg->scheduler || cfg->n_includes || cfg->modules))
		return kerr_set(err, EINVAL, "--scheduler, --include and --modules build the initramfs; "
				"they cannot go with --initrd");
	if (cfg->wait_for_cpus_s && !cfg->cpu_cap && !cfg->performance)
		return kerr_set(err, EINVAL, "--wait-for-cpus without --cpu-cap or --performance: nothing "
				"is reserved to wait for");
	if (cfg->cpu_cap && cfg->performance)
		return kerr_set(err, EINVAL, "--cpu-cap %u with --performance: --performance takes whole "
				"host LLCs for the VM's topology itself; give one of them", cfg->cpu_cap);
	if (cfg->n_sched_args && !cfg->scheduler)
		return kerr_set(err, EINVAL, "--scheduler-arg without --scheduler");
	if (!cfg->initrd && !cfg->payload)
		return kerr_set(err, EINVAL, "nothing to run: give a payload after -- (or an --initrd)");
	if (topology_opt_finish(&cfg->topo_opts, cfg->cpus, &cfg->memory_mib, cfg->memory_given,
				&cfg->topo, err) < 0)
		return -EINVAL;
	if (cfg->virtio_cmdline && cfg->topo.nodes > 1)
		return kerr_set(err, EINVAL, "--virtio-cmdline boots the guest with acpi=off, where "
				"nothing describes NUMA nodes: the topology has %u; give one node, or "
				"let ACPI announce the devices (no --virtio-cmdline)", cfg->topo.nodes);
	if (cfg->memory_mib < CLI_MIN_MEMORY_MIB || cfg->memory_mib > GUEST_MEMORY_MAX_MIB)
		return kerr_set(err, ERANGE, "the NUMA nodes' %llu MiB is out of range (%u..%u)",
				(unsigned long long)cfg->memory_mib, CLI_MIN_MEMORY_MIB, GUEST_MEMORY_MAX_MIB);
	return 0;
}

void vmm_spawn_config(const struct vmm_config *cfg, enum sandbox_role role, struct devhost_spawn *sp)
{
	devhost_spawn_config(sp, cfg->devproc_path, role, cfg->sandbox);
	if (cfg->sandbox_id_set) {
		sp->uid = cfg->sandbox_uid;
		sp->gid = cfg->sandbox_gid;
	}
}
