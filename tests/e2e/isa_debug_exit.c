/* isa-debug-exit: writes its argument (0..127) to QEMU's isa-debug-exit port, which ends
 * QEMU with status (value << 1) | 1. The nested-KVM harness uses it to bring the L1
 * command's exit status back to the host reliably. Static: L1 has only busybox. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>

#define DEBUG_EXIT_PORT 0xf4

int main(int argc, char **argv)
{
	char *end;
	long v;

	if (argc != 2 || (v = strtol(argv[1], &end, 10), *end != '\0') || v < 0 || v > 127) {
		fprintf(stderr, "usage: isa-debug-exit STATUS (0..127)\n");
		return 2;
	}
	if (ioperm(DEBUG_EXIT_PORT, 1, 1) < 0) {
		perror("isa-debug-exit: ioperm");
		return 1;
	}
	outb((unsigned char)v, DEBUG_EXIT_PORT);
	fprintf(stderr, "isa-debug-exit: port 0x%x did not end QEMU\n", DEBUG_EXIT_PORT);
	return 1;
}
