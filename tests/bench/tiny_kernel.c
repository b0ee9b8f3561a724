/* A bzImage with no Linux in it, for host-side benchmarks that need a guest to run but not
 * to boot: the setup header ktstr-vmm's loader checks (boot protocol 2.12, loaded high,
 * 64-bit entry, relocatable) and, at the 64-bit entry, a few instructions.
 *   reset: writes 0xfe to port 0x64 (the i8042 reset line): the VM ends at once.
 *   halt:  halts with interrupts off: the VM stays up until --timeout.
 * usage: tiny-kernel reset|halt FILE */
#include <asm/bootparam.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SETUP_SECTS 4
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
	memset(&h, 0, sizeof(h));
	h.setup_sects = SETUP_SECTS;
	h.boot_flag = 0xaa55;
	/* "jmp" over the header: the loader reads the header's length from its offset */
	h.jump = (uint16_t)(0xeb | ((0x1f1 + sizeof(h) - 0x202) << 8));
	h.header = 0x53726448;   /* "HdrS" */
	h.version = 0x020c;
	h.loadflags = LOADED_HIGH;
	h.code32_start = 0x100000;
	h.relocatable_kernel = 1;
	h.kernel_alignment = 0x200000;
	h.xloadflags = XLF_KERNEL_64;
	h.cmdline_size = 2047;
	h.initrd_addr_max = 0x7fffffff;
	h.pref_address = 0x1000000;
	h.init_size = 0x100000;
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
