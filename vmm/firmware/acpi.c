/* The ACPI tables; see acpi.h. Tables are written one after another into the BIOS area and
 * each gets its length and checksum when it is closed. */
#include "vmm/firmware/acpi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/firmware/acpi_numa.h"
#include "vmm/firmware/acpi_writer.h"
#include "vmm/firmware/aml.h"
#include "vmm/firmware/mptable.h"
#include "vmm/boot/bzimage.h"


#define FADT_FLAG_PWR_BUTTON    (1u << 4)   /* no fixed power button */
#define FADT_FLAG_SLP_BUTTON    (1u << 5)   /* no fixed sleep button */
#define FADT_FLAG_HW_REDUCED    (1u << 20)
#define BOOT_ARCH_VGA_ABSENT    (1u << 2)
#define BOOT_ARCH_MSI_ABSENT    (1u << 3)
#define BOOT_ARCH_CMOS_ABSENT   (1u << 5)

static void dsdt_uart(struct aml *a, unsigned idx, const struct acpi_uart *u)
{
	char name[5];

	snprintf(name, sizeof(name), "COM%u", idx + 1);
	aml_device_open(a, name);
	aml_name_eisaid(a, "_HID", "PNP0501");
	aml_name_int(a, "_UID", idx + 1);
	aml_crs_open(a);
	aml_res_io(a, u->io_base, 8);
	aml_res_irq(a, u->irq);
	aml_crs_close(a);
	aml_close(a);
}

static void dsdt_virtio(struct aml *a, unsigned idx, const struct acpi_virtio *v)
{
	char name[5];

	snprintf(name, sizeof(name), "VR%02u", idx);
	aml_device_open(a, name);
	aml_name_string(a, "_HID", "LNRO0005");
	aml_name_int(a, "_UID", idx);
	aml_name_int(a, "_CCA", 1);   /* cache-coherent DMA */
	aml_crs_open(a);
	aml_res_mem32(a, v->base, v->len);
	aml_res_interrupt(a, v->gsi);
	aml_crs_close(a);
	aml_close(a);
}

static uint64_t build_dsdt(struct acpi_writer *w, const struct acpi_config *cfg)
{
	struct aml a;
	uint8_t *body;
	size_t room;

	acpi_table_open(w, "DSDT", 2);
	if (w->failed)
		return 0;
	body = w->base + w->used;
	room = ACPI_AREA_SIZE - w->used;
	aml_init(&a, body, room);
	aml_scope_open(&a, "\\_SB");
	for (unsigned i = 0; i < cfg->n_uarts && i < ACPI_MAX_UARTS; i++)
		dsdt_uart(&a, i, &cfg->uarts[i]);
	for (unsigned i = 0; i < cfg->n_virtio && i < ACPI_MAX_VIRTIO; i++)
		dsdt_virtio(&a, i, &cfg->virtio[i]);
	aml_close(&a);
	if (a.failed) {
		kerr_set(w->err, ENOSPC, "DSDT: AML does not fit in the ACPI area");
		w->failed = 1;
		return 0;
	}
	w->used += a.len;    /* the encoder wrote in place, within the room it was given */
	return acpi_table_close(w);
}

static uint64_t build_fadt(struct acpi_writer *w, uint64_t dsdt)
{
	acpi_table_open(w, "FACP", 6);
	acpi_reserve(w, 109 - ACPI_HDR_LEN);              /* FIRMWARE_CTRL .. CENTURY: none, no legacy PM */
	acpi_put16(w, BOOT_ARCH_VGA_ABSENT | BOOT_ARCH_MSI_ABSENT | BOOT_ARCH_CMOS_ABSENT);
	acpi_put8(w, 0);
	acpi_put32(w, FADT_FLAG_HW_REDUCED | FADT_FLAG_PWR_BUTTON | FADT_FLAG_SLP_BUTTON);
	acpi_reserve(w, 12 + 1 + 2);                 /* RESET_REG, RESET_VALUE, ARM_BOOT_ARCH */
	acpi_put8(w, 0);                             /* minor version */
	acpi_put64(w, 0);                            /* X_FIRMWARE_CTRL */
	acpi_put64(w, dsdt);                         /* X_DSDT */
	acpi_reserve(w, 120);                        /* X_PM*, X_GPE*, SLEEP_CONTROL/STATUS: none */
	acpi_put(w, "KTSTRVMM", 8);                  /* hypervisor vendor identity */
	return acpi_table_close(w);
}

static void madt_cpu(struct acpi_writer *w, unsigned uid, uint32_t apic_id)
{
	if (apic_id < 255) {
		acpi_put8(w, 0);          /* processor local APIC */
		acpi_put8(w, 8);
		acpi_put8(w, (uint8_t)uid);
		acpi_put8(w, (uint8_t)apic_id);
		acpi_put32(w, 1);         /* enabled */
	} else {
		acpi_put8(w, 9);          /* processor local x2APIC */
		acpi_put8(w, 16);
		acpi_put16(w, 0);
		acpi_put32(w, apic_id);
		acpi_put32(w, 1);
		acpi_put32(w, uid);
	}
}

static uint64_t build_madt(struct acpi_writer *w, const struct topology *t)
{
	unsigned n = topology_cpus(t);

	acpi_table_open(w, "APIC", 5);
	acpi_put32(w, ACPI_LAPIC_ADDR);
	acpi_put32(w, 0);                 /* no PC-AT dual 8259 setup: IRQs go through the IOAPIC */
	for (unsigned i = 0; i < n; i++)
		madt_cpu(w, i, topology_apic_id(t, i));
	acpi_put8(w, 1);                  /* I/O APIC */
	acpi_put8(w, 12);
	acpi_put8(w, 0);
	acpi_put8(w, 0);
	acpi_put32(w, ACPI_IOAPIC_ADDR);
	acpi_put32(w, 0);                 /* GSI base */
	acpi_put8(w, 2);                  /* interrupt source override: ISA IRQ0 (PIT) -> GSI 2 */
	acpi_put8(w, 10);
	acpi_put8(w, 0);
	acpi_put8(w, 0);
	acpi_put32(w, 2);
	acpi_put16(w, 0);                 /* conforming polarity and trigger */
	acpi_put8(w, 4);                  /* local APIC NMI on LINT1 of every CPU */
	acpi_put8(w, 6);
	acpi_put8(w, 0xff);
	acpi_put16(w, 0);
	acpi_put8(w, 1);
	return acpi_table_close(w);
}

static uint64_t build_xsdt(struct acpi_writer *w, const uint64_t *tables, unsigned n)
{
	acpi_table_open(w, "XSDT", 1);
	for (unsigned i = 0; i < n; i++)
		acpi_put64(w, tables[i]);
	return acpi_table_close(w);
}

static uint64_t build_rsdp(struct acpi_writer *w, uint64_t xsdt)
{
	uint8_t *r;

	acpi_align16(w);
	r = acpi_reserve(w, 36);
	if (!r)
		return 0;
	acpi_put_fixed(r, "RSD PTR ", 8);
	acpi_put_fixed(r + 9, "KTSTR ", 6);
	r[15] = 2;                            /* revision: ACPI 2.0+, XSDT */
	r[20] = 36;                           /* length */
	memcpy(r + 24, &xsdt, 8);
	r[8] = (uint8_t)(0 - acpi_checksum(r, 20));
	r[32] = (uint8_t)(0 - acpi_checksum(r, 36));
	return acpi_gpa_of((size_t)(r - w->base));
}

int acpi_build(struct guest_memory *mem, const struct acpi_config *cfg, struct acpi_tables *out,
	       struct kerr *err)
{
	struct acpi_writer w = { .out = out, .err = err };
	uint64_t tables[ACPI_MAX_TABLES], dsdt, xsdt;
	unsigned n = 0;

	memset(out, 0, sizeof(*out));
	w.base = guest_memory_ptr(mem, BOOT_BIOS_START, ACPI_AREA_SIZE);
	if (!w.base)
		return kerr_set(err, ENOMEM, "no guest RAM for the ACPI tables");
	/* Children before parents, so each pointer is known when it is written; the kernel finds
	 * the RSDP from the zero page or by scanning this area. */
	dsdt = build_dsdt(&w, cfg);
	tables[n++] = build_fadt(&w, dsdt);
	tables[n++] = build_madt(&w, cfg->topology);
	if (cfg->topology->nodes > 1) {
		tables[n++] = acpi_build_srat(&w, cfg);
		tables[n++] = acpi_build_slit(&w, cfg->topology);
		tables[n++] = acpi_build_hmat(&w, cfg->topology);
	}
	xsdt = build_xsdt(&w, tables, n);
	out->rsdp = build_rsdp(&w, xsdt);
	out->mptable = mptable_build(&w, mem, cfg->topology);
	if (w.failed)
		return -err->code;
	return 0;
}
