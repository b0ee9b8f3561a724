/* Writing ACPI tables one after another into the guest's BIOS area: used by the table
 * builders in vmm/ only. A table is opened with its header, filled with little-endian
 * fields, and closed, which sets its length and checksum. The first failure (out of room)
 * sticks and is reported once. */
#ifndef KTSTR_VMM_ACPI_WRITER_H
#define KTSTR_VMM_ACPI_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/firmware/acpi.h"
#include "vmm/boot/bzimage.h"

#define ACPI_AREA_SIZE (0x100000 - BOOT_BIOS_START)
#define ACPI_HDR_LEN   36

struct acpi_writer {
	uint8_t *base;            /* host view of the BIOS area */
	size_t used;
	size_t table_start;       /* offset of the table being written */
	struct acpi_tables *out;
	struct kerr *err;
	int failed;
};

uint8_t *acpi_reserve(struct acpi_writer *w, size_t len);
void acpi_put(struct acpi_writer *w, const void *data, size_t len);
void acpi_put_fixed(uint8_t *dst, const char *s, size_t n);
void acpi_put8(struct acpi_writer *w, uint8_t v);
void acpi_put16(struct acpi_writer *w, uint16_t v);
void acpi_put32(struct acpi_writer *w, uint32_t v);
void acpi_put64(struct acpi_writer *w, uint64_t v);
uint64_t acpi_gpa_of(size_t off);
void acpi_align16(struct acpi_writer *w);
void acpi_table_open(struct acpi_writer *w, const char sig[4], uint8_t revision);
uint64_t acpi_table_close(struct acpi_writer *w);

#endif
