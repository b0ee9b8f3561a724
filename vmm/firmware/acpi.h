/* ACPI tables for the guest: RSDP, XSDT, FADT (hardware-reduced), DSDT, MADT, and with more
 * than one NUMA node SRAT, SLIT and HMAT. They live in
 * the reserved BIOS area below 1 MiB; the RSDP address also goes into the zero page. */
#ifndef KTSTR_VMM_ACPI_H
#define KTSTR_VMM_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "ipc/err.h"
#include "vmm/guest_memory.h"
#include "vmm/firmware/topology.h"

#define ACPI_IOAPIC_ADDR 0xfec00000u
#define ACPI_LAPIC_ADDR  0xfee00000u
#define ACPI_MAX_TABLES  8
#define ACPI_MAX_UARTS   4

struct acpi_uart {
	uint16_t io_base;
	uint8_t irq;
};

#define ACPI_MAX_VIRTIO  10

/* A virtio-mmio window: a LNRO0005 device, which is how Linux finds virtio-mmio on ACPI. */
struct acpi_virtio {
	uint32_t base;
	uint32_t len;
	uint32_t gsi;     /* edge, active high */
};

/* A piece of guest RAM and the NUMA node it belongs to (SRAT memory affinity). */
struct acpi_mem_range {
	uint64_t gpa;
	uint64_t size;
	unsigned node;
	uint64_t offset;          /* where it starts in the guest RAM memfd (for its KVM slot) */
};

#define ACPI_MAX_MEM_RANGES (2 * TOPOLOGY_MAX_NODES)

/* Devices are announced in the DSDT so Linux maps their interrupts through ACPI: with a
 * hardware-reduced FADT there is no legacy PIC and no identity mapping of ISA IRQs. */
struct acpi_config {
	const struct topology *topology;
	const struct acpi_uart *uarts;
	unsigned n_uarts;
	const struct acpi_virtio *virtio;
	unsigned n_virtio;
	const struct acpi_mem_range *mem;   /* for SRAT; with more than one node */
	unsigned n_mem;
};

/* Where each table landed, for tests and for the XSDT. */
struct acpi_tables {
	uint64_t rsdp;
	uint64_t mptable;         /* the MP configuration table (see mptable.h) */
	unsigned count;
	struct {
		char signature[5];
		uint64_t gpa;
		uint32_t length;
	} table[ACPI_MAX_TABLES];
};

int acpi_build(struct guest_memory *mem, const struct acpi_config *cfg, struct acpi_tables *out,
	       struct kerr *err);

/* The byte sum of a table, which must be 0 for a valid one. */
uint8_t acpi_checksum(const void *p, size_t len);

#endif
