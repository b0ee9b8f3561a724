/* Guest program for make bench: O_DIRECT reads of a block device. Sequential: 1 MiB reads
 * over the first MIB MiB; random: 4 KiB reads at random aligned offsets for SECONDS.
 * Prints seq_mbps=, rand_iops=.  usage: blkbench DEV MIB SECONDS */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t mib, blocks, seed = 42, n = 0;
	double secs, t0, t;
	void *buf;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: blkbench DEV MIB SECONDS\n");
		return 2;
	}
	mib = strtoull(argv[2], NULL, 10);
	secs = atof(argv[3]);
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0 || posix_memalign(&buf, 4096, 1 << 20) != 0) {
		perror("blkbench");
		return 1;
	}
	t0 = now();
	for (uint64_t i = 0; i < mib; i++)
		if (pread(fd, buf, 1 << 20, (off_t)(i << 20)) != 1 << 20) {
			perror("blkbench: sequential read");
			return 1;
		}
	printf("seq_mbps=%.1f\n", (double)mib / (now() - t0));
	blocks = (mib << 20) / 4096;
	t0 = now();
	do {
		for (int i = 0; i < 64; i++, n++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			if (pread(fd, buf, 4096, (off_t)(((seed >> 33) % blocks) * 4096)) != 4096) {
				perror("blkbench: random read");
				return 1;
			}
		}
	} while ((t = now()) - t0 < secs);
	printf("rand_iops=%.0f\n", (double)n / (t - t0));
	return 0;
}
