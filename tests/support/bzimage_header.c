/* A loadable setup header; see bzimage_header.h. */
#include "tests/support/bzimage_header.h"

#include <string.h>

struct setup_header bzimage_test_header(void)
{
	struct setup_header h;

	memset(&h, 0, sizeof(h));
	h.setup_sects = BZIMAGE_TEST_SETUP_SECTS;
	h.boot_flag = 0xaa55;
	h.jump = 0x6aeb;                 /* short jump; its offset byte sizes the header */
	h.header = 0x53726448;           /* "HdrS" */
	h.version = 0x020f;
	h.loadflags = LOADED_HIGH;
	h.kernel_alignment = 0x200000;
	h.relocatable_kernel = 1;
	h.xloadflags = XLF_KERNEL_64;
	h.cmdline_size = 2047;
	h.initrd_addr_max = 0x7fffffff;
	h.pref_address = 0x1000000;
	h.init_size = 0x2000000;         /* 32 MiB to decompress into */
	return h;
}
