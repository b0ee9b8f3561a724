/* The CPU state the 64-bit boot protocol asks for: identity-mapped page tables, a GDT with
 * __BOOT_CS/__BOOT_DS, long mode on, %rsi pointing at the zero page. */
#ifndef KTSTR_VMM_LONG_MODE_H
#define KTSTR_VMM_LONG_MODE_H

#include <linux/kvm.h>
#include <stdint.h>

#include "ipc/err.h"
#include "vmm/guest_memory.h"

/* Writes the GDT and page tables (first 4 GiB identity mapped) into guest RAM. */
int long_mode_write_tables(struct guest_memory *mem, struct kerr *err);

/* Sets the boot vCPU's registers to enter the kernel at rip with the zero page in %rsi. */
int long_mode_enter(int vcpu_fd, uint64_t rip, uint64_t zero_page, struct kerr *err);

#endif
