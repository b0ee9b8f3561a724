/* The Intel MultiProcessor Specification 1.4 table, for guest kernels that find their CPUs
 * without ACPI (acpi=off, or built without it): processors, the ISA bus, the I/O APIC and the
 * ISA interrupts routed to it. The configuration table is written with the ACPI tables; the
 * floating pointer goes in the first KiB of the EBDA, where Linux looks for it. Only APIC IDs
 * below 255 fit the format; CPUs above are left out (ACPI describes them). */
#ifndef KTSTR_VMM_MPTABLE_H
#define KTSTR_VMM_MPTABLE_H

#include "vmm/firmware/acpi_writer.h"

/* Writes the configuration table and the floating pointer; returns the table's address, or
 * 0 after a failure (recorded in the writer). */
uint64_t mptable_build(struct acpi_writer *w, struct guest_memory *mem, const struct topology *t);

#endif
