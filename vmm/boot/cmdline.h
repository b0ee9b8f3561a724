/* The guest kernel command line: ktstr's defaults, the user's --append, and the payload with
 * its arguments after "--" (the kernel hands those to /init as argv). */
#ifndef KTSTR_VMM_CMDLINE_H
#define KTSTR_VMM_CMDLINE_H

#include <stddef.h>

#include "ipc/err.h"
#include "vmm/firmware/acpi.h"

/* Quiet console on COM1, reset through the keyboard controller, reboot at once on panic,
 * no PCI (there is none: devices are virtio-mmio, announced in the DSDT). */
#define CMDLINE_DEFAULT "console=ttyS0 reboot=k panic=-1 quiet 8250.nr_uarts=2 io_delay=none pci=off"
#define CMDLINE_MAX_INIT_ARGS 30   /* the kernel passes at most 32 argv entries to init */

int cmdline_build(char *buf, size_t size, const char *append, char *const *payload,
		  struct kerr *err);

/* virtio_mmio.device=<size>@<base>:<gsi> for each window, space-separated: how a kernel
 * built with VIRTIO_MMIO_CMDLINE_DEVICES but without ACPI finds them. */
int cmdline_virtio_devices(char *buf, size_t size, const struct acpi_virtio *v, unsigned n,
			   struct kerr *err);

#endif
