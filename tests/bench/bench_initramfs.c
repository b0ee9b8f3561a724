/* The initramfs benchmark (no KVM needed): a cold build of the archive for a payload with
 * many shared libraries (Debian's /usr/bin/apt by default) plus the guest kernel's virtio
 * modules, through the real sandboxed initgen, gzip and uncompressed; then a warm cache
 * hit. Prints one JSON object with the median of each.
 * usage: bench_initramfs KERNEL [PAYLOAD]   (KTSTR_BUILD: where ktstr-devproc is) */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/boot/initramfs.h"

#define COLD_RUNS 7
#define WARM_RUNS 31

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[n / 2];
}

static int run(char **argv, const char *devproc, const char *clear, struct initramfs *ir)
{
	struct vmm_config cfg;
	struct kerr err = { 0 };
	int argc = 0;

	while (argv[argc])
		argc++;
	if (clear && system(clear) != 0)
		return -1;
	if (cli_parse(argc, argv, &cfg, &err) < 0)
		return fprintf(stderr, "bench: %s\n", err.msg), -1;
	cfg.devproc_path = devproc;
	if (initramfs_prepare(&cfg, ir, &err) < 0)
		return fprintf(stderr, "bench: %s\n", err.msg), -1;
	close(ir->fd);
	return 0;
}

int main(int argc, char **argv)
{
	char devproc[PATH_MAX], cache[] = "/tmp/ktstr-bench-initramfs-XXXXXX", clear[PATH_MAX + 32];
	char kernel[PATH_MAX], payload[PATH_MAX], gzip[] = "gzip", none[] = "none";
	char opt_k[] = "--kernel", opt_c[] = "--initramfs-compress", dashes[] = "--", self[] = "bench";
	char *args[] = { self, opt_k, kernel, opt_c, gzip, dashes, payload, NULL };
	double cold_gz[COLD_RUNS], cold_raw[COLD_RUNS], warm[WARM_RUNS];
	struct initramfs ir = { 0 }, raw = { 0 };
	const char *build = getenv("KTSTR_BUILD");

	if (argc < 2 || !mkdtemp(cache))
		return fprintf(stderr, "usage: bench_initramfs KERNEL [PAYLOAD]\n"), 2;
	snprintf(kernel, sizeof(kernel), "%s", argv[1]);
	snprintf(payload, sizeof(payload), "%s", argc > 2 ? argv[2] : "/usr/bin/apt");
	snprintf(devproc, sizeof(devproc), "%s/ktstr-devproc", build ? build : "build");
	snprintf(clear, sizeof(clear), "rm -rf %s/ktstr-vmm", cache);
	setenv("XDG_CACHE_HOME", cache, 1);
	for (int i = 0; i < COLD_RUNS; i++) {
		args[4] = none;
		if (run(args, devproc, clear, &raw) < 0)
			return 1;
		cold_raw[i] = raw.ms;
		args[4] = gzip;
		if (run(args, devproc, clear, &ir) < 0)
			return 1;
		cold_gz[i] = ir.ms;
	}
	for (int i = 0; i < WARM_RUNS; i++) {
		if (run(args, devproc, NULL, &ir) < 0 || !ir.cache_hit)
			return fprintf(stderr, "bench: run %d was no cache hit\n", i), 1;
		warm[i] = ir.ms;
	}
	if (system(clear) != 0)
		return 1;
	rmdir(cache);
	printf("{\n  \"payload\": \"%s\",\n  \"entries\": %u,\n  \"bytes_gzip\": %llu,\n  \"bytes_raw\": %llu,\n"
	       "  \"cold_build_gzip_ms_median\": %.2f,\n  \"cold_build_raw_ms_median\": %.2f,\n"
	       "  \"warm_hit_ms_median\": %.3f,\n  \"warm_hit_target_ms\": 1,\n  \"runs\": { \"cold\": %d, "
	       "\"warm\": %d }\n}\n", payload, raw.files, (unsigned long long)ir.size,
	       (unsigned long long)raw.size, median(cold_gz, COLD_RUNS), median(cold_raw, COLD_RUNS),
	       median(warm, WARM_RUNS), COLD_RUNS, WARM_RUNS);
	return 0;
}
