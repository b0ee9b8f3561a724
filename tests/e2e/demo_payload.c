/* make demo's payload: an ordinary, dynamically linked program that ktstr-vmm packs with its
 * libraries. It reports what the guest sees in a COM2 result block, sends a TEST frame and a
 * metric through libktstr, and exits with the status given as its first argument. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "guest/ktstr.h"

static long memtotal_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	FILE *com2 = fopen("/dev/ttyS1", "w");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN), kb = memtotal_kb();
	struct utsname u;
	int status = argc > 1 ? atoi(argv[1]) : 0;

	uname(&u);
	printf("demo: hello from the guest: %s, %ld CPUs, %ld kB\n", u.release, cpus, kb);
	if (com2) {
		fprintf(com2, "===KTSTR_TEST_RESULT_START===\nkernel=%s\ncpus=%ld\nmemtotal_kb=%ld\n"
			"===KTSTR_TEST_RESULT_END===\n", u.release, cpus, kb);
		fclose(com2);
	}
	ktstr_send_test("demo.sees-its-cpus", cpus > 0, "sysconf(_SC_NPROCESSORS_ONLN)");
	ktstr_send_metric("demo.memtotal", (double)kb, "kB");
	return status;
}
