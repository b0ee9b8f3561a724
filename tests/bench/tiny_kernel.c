/* A bzImage with no Linux in it, for host-side benchmarks that need a guest to run but not
 * to boot: the setup header the loader's own tests use (tests/support/bzimage_header.c) and,
 * at the 64-bit entry, a few instructions.
 *   reset: writes 0xfe to port 0x64 (the i8042 reset line): the VM ends at once.
 *   halt:  halts with interrupts off: the VM stays up until --timeout.
 * usage: tiny-kernel reset|halt FILE */
#include <stdio.h>
#include <string.h>

#include "tests/support/bzimage_header.h"

#define SETUP_SECTS BZIMAGE_TEST_SETUP_SECTS
#define ENTRY_64    0x200    /* the 64-bit entry, from the start of the protected-mode part */
#define PM_SIZE     0x1000

int main(int argc, char **argv)
{
	static const unsigned char reset[] = { 0xb0, 0xfe, 0xe6, 0x64, 0xf4, 0xeb, 0xfd };
	static const unsigned char halt[] = { 0xf4, 0xeb, 0xfd };   /* hlt; jmp back */
	static unsigned char image[(SETUP_SECTS + 1) * 512 + PM_SIZE];
	struct setup_header h;
	FILE *f;

	if (argc != 3 || (strcmp(argv[1], "reset") && strcmp(argv[1], "halt"))) {
		fprintf(stderr, "usage: tiny-kernel reset|halt FILE\n");
		return 2;
	}
	h = bzimage_test_header();
	memcpy(image + 0x1f1, &h, sizeof(h));
	if (strcmp(argv[1], "reset") == 0)
		memcpy(image + (SETUP_SECTS + 1) * 512 + ENTRY_64, reset, sizeof(reset));
	else
		memcpy(image + (SETUP_SECTS + 1) * 512 + ENTRY_64, halt, sizeof(halt));
	if (!(f = fopen(argv[2], "wb")) || fwrite(image, sizeof(image), 1, f) != 1 || fclose(f) != 0) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
