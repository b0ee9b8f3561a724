/* Test support: a setup header ktstr-vmm's bzImage loader accepts (boot protocol 2.15,
 * loaded high, 64-bit entry, relocatable, 32 MiB to decompress into at 16 MiB), for the
 * loader's unit tests and for tests/bench/tiny_kernel.c. */
#ifndef KTSTR_TESTS_BZIMAGE_HEADER_H
#define KTSTR_TESTS_BZIMAGE_HEADER_H

#include <asm/bootparam.h>

#define BZIMAGE_TEST_SETUP_SECTS 4   /* the real-mode part: (4 + 1) sectors */

struct setup_header bzimage_test_header(void);

#endif
