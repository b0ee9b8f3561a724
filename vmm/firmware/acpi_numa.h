/* The NUMA tables: SRAT (which node each CPU and each piece of memory belongs to), SLIT
 * (the distance matrix) and HMAT (latency and bandwidth from each node with CPUs to each
 * node's memory, memory-only nodes included). Built only with more than one node. */
#ifndef KTSTR_VMM_ACPI_NUMA_H
#define KTSTR_VMM_ACPI_NUMA_H

#include "vmm/firmware/acpi_writer.h"

uint64_t acpi_build_srat(struct acpi_writer *w, const struct acpi_config *cfg);
uint64_t acpi_build_slit(struct acpi_writer *w, const struct topology *t);
uint64_t acpi_build_hmat(struct acpi_writer *w, const struct topology *t);

#endif
