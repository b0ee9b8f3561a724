/* Building a VM and running it to its end; the supervision loop is in supervise.c. */
#include "vmm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmm/firmware/acpi.h"
#include "vmm/boot/bzimage.h"
#include "vmm/cpu_cap.h"
#include "vmm/boot/cmdline.h"
#include "vmm/host/host_check.h"
#include "vmm/devices/i8042.h"
#include "vmm/boot/long_mode.h"
#include "vmm/firmware/numa_layout.h"
#include "vmm/stats_socket.h"
#include "vmm/supervise.h"
#include "vmm/vcpu.h"

#define SERIAL_HELLO_TIMEOUT_MS 10000

void vm_request_end(struct vm *vm, enum vm_end_reason reason, const struct kerr *why)
{
	int expected = VM_END_NONE;

	pthread_mutex_lock(&vm->end_lock);
	if (atomic_compare_exchange_strong(&vm->end_reason, &expected, (int)reason) && why)
		vm->end_err = *why;
	pthread_mutex_unlock(&vm->end_lock);
	atomic_store(&vm->stopping, true);
	ipc_bell_ring(vm->end_event);   /* wakes the supervisor */
}

static void on_vcpu_end(void *opaque, enum vm_end_reason reason, const struct kerr *why)
{
	vm_request_end(opaque, reason, why);
}

static void on_reset(void *opaque)
{
	vm_request_end(opaque, VM_END_GUEST_RESET, NULL);
}

static int open_console_log(const struct vmm_config *cfg, struct kerr *err)
{
	int fd;

	if (!cfg->console_log) {
		fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
		return fd < 0 ? kerr_errno(err, errno, "dup stderr for the console") : fd;
	}
	/* Appending: the serial and the console device processes both write it. */
	fd = open(cfg->console_log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return kerr_errno(err, errno, "--console-log %s", cfg->console_log);
	return fd;
}

void vm_spawn_log(const struct vm *vm, struct devhost_spawn *sp)
{
	sp->log_fd = vm->console_log_fd;
	/* A --console-log file is ours, made empty; stderr is the user's, whatever it holds. */
	sp->log_limit = vm->cfg->console_log ? vm->cfg->console_log_limit : 0;
	sp->log_terminal = isatty(vm->console_log_fd) == 1;
}

static int start_serial(struct vm *vm, struct kerr *err)
{
	struct devhost_spawn sp;

	if ((vm->console_log_fd = open_console_log(vm->cfg, err)) < 0)
		return vm->console_log_fd;
	vmm_spawn_config(vm->cfg, SANDBOX_ROLE_SERIAL, &sp);
	vm_spawn_log(vm, &sp);
	return serial_host_spawn(&vm->serial, &sp, err);
}

/* Virtio windows go in the DSDT, or with --virtio-cmdline on the kernel command line before
 * the user's --append (never both: the kernel would register each device twice). Command-line
 * devices name ISA IRQs, which a guest has only without ACPI: under a hardware-reduced FADT
 * Linux has no 8259 and numbers IRQs as ACPI devices ask, so "virtio_mmio.device=...:5" is
 * no interrupt (request_irq: EINVAL, each device's probe -22). Hence acpi=off with them. */
static int kernel_args(struct vm *vm, char *cmdline, size_t size, struct acpi_virtio *virtio,
		       unsigned *n_virtio, struct kerr *err)
{
	char append[BOOT_CMDLINE_MAX], devices[512] = "";
	const char *user = vm->cfg->append;
	/* A built initramfs is mapped from the cache: its pages must never become RAM. */
	const char *retain = vm->cfg->initrd || vm->mem.huge ? "" : "retain_initrd";

	*n_virtio = vm_virtio_acpi(vm, virtio, ACPI_MAX_VIRTIO);
	if (vm->cfg->virtio_cmdline && *n_virtio) {
		int r = cmdline_virtio_devices(devices, sizeof(devices), virtio, *n_virtio, err);
		size_t used;

		if (r < 0)
			return r;
		used = strlen(devices);
		if ((size_t)snprintf(devices + used, sizeof(devices) - used, " acpi=off") >= sizeof(devices) - used)
			return kerr_set(err, E2BIG, "the virtio devices do not fit on the command line");
		*n_virtio = 0;
	}
	if ((size_t)snprintf(append, sizeof(append), "%s%s%s%s%s", retain, retain[0] && devices[0] ? " " : "",
			     devices, (retain[0] || devices[0]) && user ? " " : "", user ? user : "") >= sizeof(append))
		return kerr_set(err, E2BIG, "the kernel command line is too long");
	user = append[0] ? append : NULL;
	/* A built initramfs carries the payload's argv itself (/ktstr/argv). */
	return cmdline_build(cmdline, size, user, vm->cfg->initrd ? vm->cfg->payload : NULL, err);
}

static int load_guest(struct vm *vm, struct bzimage_entry *entry, struct kerr *err)
{
	static const struct acpi_uart uarts[] = {
		{ SERIAL_COM1_BASE, SERIAL_COM1_IRQ }, { SERIAL_COM2_BASE, SERIAL_COM2_IRQ },
	};
	char cmdline[BOOT_CMDLINE_MAX];
	struct acpi_virtio virtio[ACPI_MAX_VIRTIO];
	struct acpi_config acfg = { .topology = &vm->topo, .uarts = uarts, .n_uarts = 2,
				    .virtio = virtio, .mem = vm->mem_ranges, .n_mem = vm->n_mem_ranges };
	struct acpi_tables tables;
	struct bzimage_config bcfg = { .kernel_path = vm->cfg->kernel, .initrd_fd = vm->initrd.fd,
				       .initrd_size = vm->initrd.size, .cmdline = cmdline,
				       .initrd_name = vm->cfg->initrd ? vm->cfg->initrd : "the initramfs",
				       .initrd_map = !vm->cfg->initrd && !vm->mem.huge,
				       .guest_decompress = vm->cfg->guest_decompress };
	int r;

	if ((r = kernel_args(vm, cmdline, sizeof(cmdline), virtio, &acfg.n_virtio, err)) < 0 ||
	    (r = acpi_build(&vm->mem, &acfg, &tables, err)) < 0 ||
	    (r = long_mode_write_tables(&vm->mem, err)) < 0)
		return r;
	bcfg.rsdp_addr = tables.rsdp;
	return bzimage_load(&vm->mem, &bcfg, entry, err);
}

/* One KVM slot per piece of a node's memory (numa_layout). */
static int map_memory(struct vm *vm, struct kerr *err)
{
	struct guest_region slots[ACPI_MAX_MEM_RANGES];
	int r;

	if ((r = numa_layout(&vm->topo, &vm->mem, vm->mem_ranges, ACPI_MAX_MEM_RANGES,
			     &vm->n_mem_ranges, err)) < 0)
		return r;
	for (unsigned i = 0; i < vm->n_mem_ranges; i++)
		slots[i] = (struct guest_region){ vm->mem_ranges[i].gpa, vm->mem_ranges[i].size,
						  vm->mem_ranges[i].offset };
	if ((r = kvm_vm_map_memory(&vm->kvm, &vm->mem, slots, vm->n_mem_ranges, err)) < 0)
		return r;
	return performance_bind_memory(&vm->perf, &vm->mem, vm->mem_ranges, vm->n_mem_ranges,
				       vm->perf.report, err);
}

static int create_vcpus(struct vm *vm, const struct bzimage_entry *entry, struct kerr *err)
{
	vm->nvcpus = topology_cpus(&vm->topo);
	vm->vcpus = calloc(vm->nvcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return kerr_set(err, ENOMEM, "allocate %u vCPUs", vm->nvcpus);
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		uint32_t apic_id = topology_apic_id(&vm->topo, i);
		int r;

		if (apic_id > vm->kvm.max_vcpu_id)
			return kerr_set(err, ERANGE, "APIC ID %u is above KVM's limit %u", apic_id,
					vm->kvm.max_vcpu_id);
		if ((r = vcpu_create(&vm->vcpus[i], &vm->vcpu_env, &vm->kvm, &vm->topo, i, apic_id, err)) < 0)
			return r;
		performance_vcpu(&vm->perf, i, &vm->vcpus[i]);
	}
	return long_mode_enter(vm->vcpus[0].fd, entry->rip, entry->zero_page, err);
}

static int build(struct vm *vm, struct outcome *outcome, struct kerr *err)
{
	struct bzimage_entry entry = { 0 };
	int r;

	if ((r = performance_create_memory(&vm->perf, vm->cfg, &vm->mem, vm->perf.report, err)) < 0 ||
	    (r = kvm_vm_create(&vm->kvm, err)) < 0)
		return r;
	/* before any vCPU exists: KVM takes these only then */
	performance_kvm(&vm->perf, &vm->kvm, topology_cpus(&vm->topo), vm->perf.report);
	if ((r = start_serial(vm, err)) < 0 ||
	    (r = vm_virtio_spawn(vm, err)) < 0 ||
	    (r = map_memory(vm, err)) < 0 ||
	    (r = load_guest(vm, &entry, err)) < 0)
		return r;
	outcome->kernel_direct = entry.direct;
	snprintf(outcome->kernel_boot, sizeof(outcome->kernel_boot), "%s", entry.boot);
	if ((r = create_vcpus(vm, &entry, err)) < 0 ||
	    (r = serial_host_register(&vm->serial, &vm->pio, err)) < 0 ||
	    (r = i8042_register(&vm->kbd, &vm->pio, on_reset, vm, err)) < 0 ||
	    (r = vm_virtio_setup(vm, err)) < 0 ||
	    (r = vm_virtio_wire(vm, err)) < 0)
		return r;
	return serial_host_attach(&vm->serial, SERIAL_HELLO_TIMEOUT_MS, err);
}

/* The files named on the command line are checked before any VM or helper exists, so a
 * typo is reported the same way on every host, with or without /dev/kvm. */
static int check_input(const char *opt, const char *path, struct kerr *err)
{
	struct stat st;

	if (!path)
		return 0;
	if (stat(path, &st) < 0 || access(path, R_OK) < 0)
		return kerr_errno(err, errno, "%s %s", opt, path);
	if (!S_ISREG(st.st_mode))
		return kerr_set(err, EINVAL, "%s %s: not a regular file", opt, path);
	return 0;
}

/* The same file, or the same block device through another node. */
static bool same_file(const struct stat *a, const struct stat *b)
{
	if (S_ISBLK(a->st_mode) && S_ISBLK(b->st_mode))
		return a->st_rdev == b->st_rdev;
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Every --disk, in order. One file behind two disks is refused unless all are read-only:
 * two device processes writing it would each cache what the other overwrites. */
static int open_disks(struct vm *vm, struct kerr *err)
{
	struct stat st[DISK_MAX];

	for (unsigned i = 0; i < vm->cfg->n_disks; i++) {
		const struct disk_config *d = &vm->cfg->disks[i];
		int r = disk_open(d, &vm->disks[i].fd, &vm->disks[i].msg, err);

		if (r < 0)
			return r;
		/* GET_ID: one serial per disk, so /dev/disk/by-id names each apart */
		snprintf(vm->disks[i].msg.serial, sizeof(vm->disks[i].msg.serial), "ktstr-vmm-vd%c", 'a' + i);
		if (fstat(vm->disks[i].fd, &st[i]) < 0)
			return kerr_errno(err, errno, "--disk %s", d->path);
		for (unsigned j = 0; j < i; j++) {
			if (!same_file(&st[i], &st[j]) || (d->read_only && vm->cfg->disks[j].read_only))
				continue;
			return kerr_set(err, EINVAL, "--disk %u (%s) is also --disk %u (/dev/vd%c), and "
					"one of them is writable: give a file to one disk, or make "
					"every use of it ro", i + 1, d->path, j + 1, 'a' + j);
		}
	}
	return 0;
}

/* --initrd as given, or the initramfs built for the payload. */
static int open_initrd(struct vm *vm, struct kerr *err)
{
	struct stat st;

	if (!vm->cfg->initrd) {
		return initramfs_prepare(vm->cfg, &vm->initrd, err);
	}
	if ((vm->initrd.fd = open(vm->cfg->initrd, O_RDONLY | O_CLOEXEC)) < 0)
		return kerr_errno(err, errno, "--initrd %s", vm->cfg->initrd);
	if (fstat(vm->initrd.fd, &st) < 0 || !S_ISREG(st.st_mode))
		return kerr_set(err, EINVAL, "--initrd %s: not a regular file", vm->cfg->initrd);
	vm->initrd.size = (uint64_t)st.st_size;
	return 0;
}

static int check_output_dir(const char *opt, const char *path, struct kerr *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return kerr_errno(err, errno, "%s %s", opt, path);
	if (!S_ISDIR(st.st_mode))
		return kerr_set(err, ENOTDIR, "%s %s: not a directory", opt, path);
	if (access(path, W_OK | X_OK) < 0)
		return kerr_errno(err, errno, "%s %s", opt, path);
	return 0;
}

/* After the inputs are known good and before anything is built: a KVM that cannot boot a
 * stock kernel (PVM) would only end in an internal error a second into the boot. */
static int refuse_unbootable_host(struct kerr *err)
{
	struct host_kvm kvm;

	host_kvm_identify("/", &kvm);
	return host_refuse_unbootable(&kvm, err);
}

static void vm_init(struct vm *vm, const struct vmm_config *cfg)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->kvm.kvm_fd = vm->kvm.vm_fd = -1;
	vm->mem.memfd = -1;
	serial_host_init(&vm->serial, &vm->kvm, &vm->stopping);
	for (unsigned i = 0; i < DISK_MAX; i++)
		vm->disks[i].fd = -1;
	vm->stats_fd = vm->console_log_fd = -1;
	vm->initrd.fd = -1;
	performance_init(&vm->perf);
	vm_virtio_init(vm);
	vm->topo = cfg->topo;
	vm->vcpu_env = (struct vcpu_env){ .pio = &vm->pio, .mmio = &vm->mmio, .mem = &vm->mem,
					  .stopping = &vm->stopping, .end = on_vcpu_end, .opaque = vm };
	pthread_mutex_init(&vm->end_lock, NULL);
	vm->end_event = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->work_event = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

static void vm_destroy(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nvcpus && vm->vcpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	serial_host_destroy(&vm->serial);
	vm_virtio_destroy(vm);
	for (unsigned i = 0; i < DISK_MAX; i++)
		if (vm->disks[i].fd >= 0)
			close(vm->disks[i].fd);
	if (vm->initrd.fd >= 0)
		close(vm->initrd.fd);
	if (vm->stats_fd >= 0)
		close(vm->stats_fd);
	if (vm->console_log_fd >= 0)
		close(vm->console_log_fd);
	kvm_vm_destroy(&vm->kvm);
	guest_memory_destroy(&vm->mem);
	if (vm->end_event >= 0)
		close(vm->end_event);
	if (vm->work_event >= 0)
		close(vm->work_event);
	pthread_mutex_destroy(&vm->end_lock);
	cpu_cap_drop(vm->cpus);
	performance_release(&vm->perf);
}

static double ms_between(const struct timespec *t0, const struct timespec *t1)
{
	return (double)(t1->tv_sec - t0->tv_sec) * 1e3 + (double)(t1->tv_nsec - t0->tv_nsec) / 1e6;
}

/* How much of the --console-log file was written; at its limit, the rest was dropped (the
 * device processes' RLIMIT_FSIZE). */
static void record_console_log(struct outcome *o, const struct vm *vm)
{
	struct stat st;

	if (!vm->cfg->console_log || vm->console_log_fd < 0 || fstat(vm->console_log_fd, &st) < 0 ||
	    !S_ISREG(st.st_mode))
		return;
	o->console_log_file = true;
	o->console_log_bytes = (uint64_t)st.st_size;
	o->console_log_limit = vm->cfg->console_log_limit;
	o->console_log_truncated = o->console_log_limit && o->console_log_bytes >= o->console_log_limit;
}

/* The phases of a run: start -> first KVM_RUN -> /init start -> end. */
static void record_timings(struct outcome *o, const struct timespec *start,
			   const struct timespec *first_run)
{
	struct timespec end;

	clock_gettime(CLOCK_MONOTONIC, &end);
	o->ms_to_first_run = ms_between(start, first_run);
	o->ms_running = ms_between(first_run, &end);
	if (o->saw_init_start) {
		o->ms_first_run_to_init = ms_between(first_run, &o->init_start);
		o->ms_init_to_end = ms_between(&o->init_start, &end);
	}
}

int vm_run(const struct vmm_config *cfg, struct outcome *outcome, struct kerr *err)
{
	struct timespec t_run;
	struct vm *vm;
	int r;

	if ((r = check_input("--kernel", cfg->kernel, err)) < 0 ||
	    (r = check_input("--initrd", cfg->initrd, err)) < 0)
		return r;
	vm = malloc(sizeof(*vm));
	if (!vm)
		return kerr_set(err, ENOMEM, "allocate the VM");
	vm_init(vm, cfg);
	if (vm->end_event < 0 || vm->work_event < 0)
		r = kerr_errno(err, errno, "eventfd");
	if (r == 0)
		r = open_disks(vm, err);
	if (r == 0 && cfg->stats_socket)
		r = stats_socket_connect(cfg->stats_socket, &vm->stats_fd, err);
	if (r == 0 && cfg->profraw_dir)
		r = check_output_dir("--profraw-dir", cfg->profraw_dir, err);
	if (r == 0 && !cfg->no_host_check && (r = refuse_unbootable_host(err)) < 0)
		outcome->host_unsuitable = true;
	/* Before anything starts: every thread and process after this inherits the CPUs. */
	if (r == 0)
		r = cpu_cap_take(cfg, &vm->cpus, outcome, err);
	if (r == 0)
		r = performance_place(cfg, &vm->perf, outcome, err);
	if (r == 0)
		r = open_initrd(vm, err);
	if (r < 0 || (r = vcpu_signals_init(err)) < 0 || (r = build(vm, outcome, err)) < 0) {
		vm_destroy(vm);
		free(vm);
		return r;
	}
	/* The vCPU threads start next and enter KVM_RUN at once: this is "first KVM_RUN". */
	clock_gettime(CLOCK_MONOTONIC, &t_run);
	r = supervise_run(vm, outcome, err);
	record_timings(outcome, &cfg->start_time, &t_run);
	outcome->built_initramfs = !cfg->initrd;
	outcome->initramfs_cache_hit = vm->initrd.cache_hit;
	outcome->ms_initramfs = vm->initrd.ms;
	outcome->initramfs_bytes = vm->initrd.size;
	record_console_log(outcome, vm);
	vm_destroy(vm);
	free(vm);
	return r;
}
