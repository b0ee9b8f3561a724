/* ktstr-vmm: parse the command line, run the VM, and turn the outcome into an exit status.
 * Errors are reported here, once, with their context. */
#include <errno.h>
#include <limits.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmm/vmm.h"

/* ktstr-devproc lives next to ktstr-vmm. */
static int find_devproc(char *path, size_t size, struct kerr *err)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return kerr_errno(err, errno, "readlink /proc/self/exe");
	self[n] = '\0';
	if ((size_t)snprintf(path, size, "%s/ktstr-devproc", dirname(self)) >= size)
		return kerr_set(err, ENAMETOOLONG, "path of ktstr-devproc too long");
	if (access(path, X_OK) < 0)
		return kerr_errno(err, errno, "%s", path);
	return 0;
}

/* SIGINT/SIGTERM are taken through a signalfd by the supervisor; block them before any
 * thread exists so that every thread inherits the mask. */
static void block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static void print_summary(const struct outcome *o)
{
	const char *data;
	size_t len;

	if (outcome_piece(o, IPC_TEXT_KERNEL_PANIC, 0, &data, &len))
		fprintf(stderr, "ktstr-vmm: the guest kernel panicked:\n%.*s", (int)len, data);
	for (unsigned n = 0; outcome_piece(o, IPC_TEXT_PANIC, n, &data, &len); n++)
		fprintf(stderr, "ktstr-vmm: guest PANIC: %.*s", (int)len, data);
	if (o->end == VM_END_HOST_ERROR)
		fprintf(stderr, "ktstr-vmm: %s\n", o->end_detail);
	for (unsigned i = 0; i < o->n_device_faults; i++)
		fprintf(stderr, "ktstr-vmm: %s\n", o->device_faults[i]);
	if (o->console_log_truncated)
		fprintf(stderr, "ktstr-vmm: warning: the console log reached its limit of %llu MiB "
			"(--console-log-limit); the guest's later console output was dropped\n",
			(unsigned long long)(o->console_log_limit >> 20));
	for (int k = 1; k < IPC_TEXT_KIND_END; k++)
		if (o->text[k].truncated)
			fprintf(stderr, "ktstr-vmm: warning: guest text beyond %u bytes was cut "
				"(marked \"truncated\" in --results)\n", OUTCOME_TEXT_MAX);
	fprintf(stderr, "ktstr-vmm: %s (%s), exit status %d; %.1f ms to first KVM_RUN, ",
		outcome_name(o), o->end_detail, outcome_exit_code(o), o->ms_to_first_run);
	if (o->built_initramfs)
		fprintf(stderr, "of which %.1f ms for the initramfs (%s, %.1f MiB), ", o->ms_initramfs,
			o->initramfs_cache_hit ? "cached" : "built", (double)o->initramfs_bytes / (1 << 20));
	if (o->saw_init_start)
		fprintf(stderr, "%.0f ms to /init, %.0f ms in /init\n", o->ms_first_run_to_init,
			o->ms_init_to_end);
	else
		fprintf(stderr, "%.0f ms running (no /init start seen)\n", o->ms_running);
}

/* --check-host: every check on this host, then 0 when native boots can work. */
static int check_host(bool json)
{
	const struct host_env env = { .root = "/", .live = true };
	struct host_report report;

	host_check_run(&env, &report);
	if (json)
		host_report_print_json(&report, stdout);
	else
		host_report_print(&report, stdout);
	return report.native_boot ? 0 : VMM_EXIT_HOST_UNSUITABLE;
}

int main(int argc, char **argv)
{
	char devproc[PATH_MAX];
	struct vmm_config cfg;
	struct outcome outcome;
	struct kerr err = { 0 };
	struct timespec start;
	int code;

	clock_gettime(CLOCK_MONOTONIC, &start);
	if (cli_parse(argc, argv, &cfg, &err) < 0) {
		fprintf(stderr, "ktstr-vmm: %s (see --help)\n", err.msg);
		return VMM_EXIT_USAGE;
	}
	if (cfg.show_help || cfg.show_version) {
		cfg.show_help ? cli_print_help() : cli_print_version();
		return 0;
	}
	if (cfg.check_host)
		return check_host(cfg.check_host_json);
	cfg.start_time = start;
	if (find_devproc(devproc, sizeof(devproc), &err) < 0) {
		fprintf(stderr, "ktstr-vmm: %s\n", err.msg);
		return VMM_EXIT_HOST_ERROR;
	}
	cfg.devproc_path = devproc;
	if (cfg.sandbox == SANDBOX_OFF)
		fprintf(stderr, "ktstr-vmm: WARNING: --sandbox off: device processes handle guest data "
			"with no sandbox at all; use this only to debug\n");
	block_signals();
	outcome_init(&outcome);
	if (vm_run(&cfg, &outcome, &err) < 0) {
		fprintf(stderr, "ktstr-vmm: %s%s\n", outcome.resources_busy ? "skipped: " : "", err.msg);
		code = outcome.host_unsuitable ? VMM_EXIT_HOST_UNSUITABLE :
		       outcome.resources_busy ? VMM_EXIT_BUSY : VMM_EXIT_HOST_ERROR;
		outcome_free(&outcome);
		return code;
	}
	code = outcome_exit_code(&outcome);
	print_summary(&outcome);
	outcome.profraw_dir = cfg.profraw_dir;
	if (cfg.profraw_dir && frame_log_write_profraw(&outcome.frames, cfg.profraw_dir, &err) < 0) {
		fprintf(stderr, "ktstr-vmm: %s\n", err.msg);
		code = VMM_EXIT_HOST_ERROR;
	}
	if (cfg.results && outcome_write_json(&outcome, cfg.results, &err) < 0) {
		fprintf(stderr, "ktstr-vmm: %s\n", err.msg);
		code = VMM_EXIT_HOST_ERROR;
	}
	outcome_free(&outcome);
	return code;
}
