/* Host memory of 16 VMs booting the same built initramfs: mapped copy-on-write from the
 * cache file (what ktstr-vmm does) against a private copy per VM (what it did before, and
 * still does for --initrd). Each of 16 processes makes its guest RAM with the vmm's own
 * guest_memory code, places the archive as the boot loader would, and reads all of it as
 * the guest kernel does when it unpacks it; then the PSS of all 16 is summed from
 * /proc/PID/smaps_rollup. No KVM is needed: KVM maps guest pages from these same host
 * pages. Prints one JSON object.
 * usage: bench_initrd_share KERNEL [PAYLOAD]   (KTSTR_BUILD: where ktstr-devproc is) */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm/guest_memory.h"
#include "vmm/boot/initramfs.h"

#define VMS        16
#define GUEST_MIB  256ull

/* One VM's memory with the archive in it; returns after touching every page. */
static int one_vm(int fd, uint64_t size, int map)
{
	struct guest_memory m;
	struct kerr err = { 0 };
	uint64_t gpa = ((GUEST_MIB << 20) - size) & ~4095ull;
	volatile uint8_t sum = 0;
	uint8_t *p;

	if (guest_memory_create(&m, GUEST_MIB << 20, &err) < 0)
		return -1;
	if (map ? guest_memory_map_file(&m, gpa, fd, size, &err) < 0
		: pread(fd, guest_memory_ptr(&m, gpa, size), size, 0) != (ssize_t)size)
		return -1;
	p = guest_memory_ptr(&m, gpa, size);
	for (uint64_t i = 0; i < size; i += 4096)
		sum += p[i];
	(void)sum;
	return 0;
}

static long pss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pss: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Starts VMS processes, sums their PSS once all are ready, ends them. */
static long total_pss(int fd, uint64_t size, int map)
{
	pid_t pids[VMS];
	int ready[2];
	long total = 0;
	char c;

	if (pipe(ready) < 0)
		return -1;
	for (int i = 0; i < VMS; i++) {
		if ((pids[i] = fork()) == 0) {
			char ok = one_vm(fd, size, map) == 0 ? 'y' : 'n';

			if (write(ready[1], &ok, 1) != 1)
				_exit(1);
			pause();
			_exit(0);
		}
	}
	for (int i = 0; i < VMS; i++)
		if (read(ready[0], &c, 1) != 1 || c != 'y')
			total = -1000000000;
	for (int i = 0; i < VMS; i++) {
		total += pss_kib(pids[i]);
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
	close(ready[0]);
	close(ready[1]);
	return total;
}

int main(int argc, char **argv)
{
	char devproc[PATH_MAX], kernel[PATH_MAX], payload[PATH_MAX];
	char self[] = "bench", opt_k[] = "--kernel", dashes[] = "--";
	char *args[] = { self, opt_k, kernel, dashes, payload, NULL };
	const char *build = getenv("KTSTR_BUILD");
	struct vmm_config cfg;
	struct initramfs ir;
	struct kerr err = { 0 };
	long mapped, copied;

	if (argc < 2)
		return fprintf(stderr, "usage: bench_initrd_share KERNEL [PAYLOAD]\n"), 2;
	snprintf(kernel, sizeof(kernel), "%s", argv[1]);
	snprintf(payload, sizeof(payload), "%s", argc > 2 ? argv[2] : "/usr/bin/apt");
	snprintf(devproc, sizeof(devproc), "%s/ktstr-devproc", build ? build : "build");
	if (cli_parse(5, args, &cfg, &err) < 0)
		return fprintf(stderr, "bench: %s\n", err.msg), 1;
	cfg.devproc_path = devproc;
	if (initramfs_prepare(&cfg, &ir, &err) < 0)
		return fprintf(stderr, "bench: %s\n", err.msg), 1;
	mapped = total_pss(ir.fd, ir.size, 1);
	copied = total_pss(ir.fd, ir.size, 0);
	if (mapped < 0 || copied < 0)
		return fprintf(stderr, "bench: a VM could not be set up\n"), 1;
	printf("{\n  \"vms\": %d,\n  \"guest_mib\": %llu,\n  \"initramfs_bytes\": %llu,\n"
	       "  \"pss_mib_total_mapped\": %.1f,\n  \"pss_mib_total_copied\": %.1f,\n"
	       "  \"saved_mib\": %.1f\n}\n", VMS, GUEST_MIB, (unsigned long long)ir.size, mapped / 1024.0,
	       copied / 1024.0, (copied - mapped) / 1024.0);
	return 0;
}
