/* The ACPI tables; see acpi.h. Tables are written one after another into the BIOS area and
 * each gets its length and checksum when it is closed. */
#include "vmm/acpi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/aml.h"
#include "vmm/bzimage.h"

#define ACPI_AREA_SIZE (0x100000 - BOOT_BIOS_START)
#define HDR_LEN 36

#define FADT_FLAG_PWR_BUTTON    (1u << 4)   /* no fixed power button */
#define FADT_FLAG_SLP_BUTTON    (1u << 5)   /* no fixed sleep button */
#define FADT_FLAG_HW_REDUCED    (1u << 20)
#define BOOT_ARCH_VGA_ABSENT    (1u << 2)
#define BOOT_ARCH_MSI_ABSENT    (1u << 3)
#define BOOT_ARCH_CMOS_ABSENT   (1u << 5)

struct acpi_writer {
	uint8_t *base;            /* host view of the BIOS area */
	size_t used;
	size_t table_start;       /* offset of the table being written */
	struct acpi_tables *out;
	struct kerr *err;
	int failed;
};

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + b[i]);
	return sum;
}

static uint8_t *reserve(struct acpi_writer *w, size_t len)
{
	uint8_t *p;

	if (w->failed || w->used + len > ACPI_AREA_SIZE) {
		if (!w->failed)
			kerr_set(w->err, ENOSPC, "ACPI tables exceed the %u KiB BIOS area",
				 (unsigned)(ACPI_AREA_SIZE >> 10));
		w->failed = 1;
		return NULL;
	}
	p = w->base + w->used;
	memset(p, 0, len);
	w->used += len;
	return p;
}

static void put(struct acpi_writer *w, const void *data, size_t len)
{
	uint8_t *p = reserve(w, len);

	if (p)
		memcpy(p, data, len);
}

/* Fixed-width, unterminated signature fields. */
static void put_fixed(uint8_t *dst, const char *s, size_t n)
{
	memcpy(dst, s, n);
}

static void put8(struct acpi_writer *w, uint8_t v) { put(w, &v, 1); }
static void put16(struct acpi_writer *w, uint16_t v) { put(w, &v, 2); }
static void put32(struct acpi_writer *w, uint32_t v) { put(w, &v, 4); }
static void put64(struct acpi_writer *w, uint64_t v) { put(w, &v, 8); }

static uint64_t gpa_of(size_t off)
{
	return BOOT_BIOS_START + off;
}

static void align16(struct acpi_writer *w)
{
	size_t pad = (16 - (w->used & 15)) & 15;

	reserve(w, pad);
}

static void table_open(struct acpi_writer *w, const char sig[4], uint8_t revision)
{
	align16(w);
	w->table_start = w->used;
	put(w, sig, 4);
	put32(w, 0);            /* length, set at close */
	put8(w, revision);
	put8(w, 0);             /* checksum, set at close */
	put(w, "KTSTR ", 6);
	put(w, "KTSTRVMM", 8);
	put32(w, 1);
	put(w, "KTSR", 4);
	put32(w, 1);
}

static uint64_t table_close(struct acpi_writer *w)
{
	uint8_t *t = w->base + w->table_start;
	uint32_t len = (uint32_t)(w->used - w->table_start);
	unsigned i = w->out->count;

	if (w->failed)
		return 0;
	memcpy(t + 4, &len, 4);
	t[9] = (uint8_t)(0 - acpi_checksum(t, len));
	if (i < ACPI_MAX_TABLES) {
		memcpy(w->out->table[i].signature, t, 4);
		w->out->table[i].signature[4] = '\0';
		w->out->table[i].gpa = gpa_of(w->table_start);
		w->out->table[i].length = len;
		w->out->count++;
	}
	return gpa_of(w->table_start);
}

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

	table_open(w, "DSDT", 2);
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
	return table_close(w);
}

static uint64_t build_fadt(struct acpi_writer *w, uint64_t dsdt)
{
	table_open(w, "FACP", 6);
	reserve(w, 109 - HDR_LEN);              /* FIRMWARE_CTRL .. CENTURY: none, no legacy PM */
	put16(w, BOOT_ARCH_VGA_ABSENT | BOOT_ARCH_MSI_ABSENT | BOOT_ARCH_CMOS_ABSENT);
	put8(w, 0);
	put32(w, FADT_FLAG_HW_REDUCED | FADT_FLAG_PWR_BUTTON | FADT_FLAG_SLP_BUTTON);
	reserve(w, 12 + 1 + 2);                 /* RESET_REG, RESET_VALUE, ARM_BOOT_ARCH */
	put8(w, 0);                             /* minor version */
	put64(w, 0);                            /* X_FIRMWARE_CTRL */
	put64(w, dsdt);                         /* X_DSDT */
	reserve(w, 120);                        /* X_PM*, X_GPE*, SLEEP_CONTROL/STATUS: none */
	put(w, "KTSTRVMM", 8);                  /* hypervisor vendor identity */
	return table_close(w);
}

static void madt_cpu(struct acpi_writer *w, unsigned uid, uint32_t apic_id)
{
	if (apic_id < 255) {
		put8(w, 0);          /* processor local APIC */
		put8(w, 8);
		put8(w, (uint8_t)uid);
		put8(w, (uint8_t)apic_id);
		put32(w, 1);         /* enabled */
	} else {
		put8(w, 9);          /* processor local x2APIC */
		put8(w, 16);
		put16(w, 0);
		put32(w, apic_id);
		put32(w, 1);
		put32(w, uid);
	}
}

static uint64_t build_madt(struct acpi_writer *w, const struct topology *t)
{
	unsigned n = topology_cpus(t);

	table_open(w, "APIC", 5);
	put32(w, ACPI_LAPIC_ADDR);
	put32(w, 0);                 /* no PC-AT dual 8259 setup: IRQs go through the IOAPIC */
	for (unsigned i = 0; i < n; i++)
		madt_cpu(w, i, topology_apic_id(t, i));
	put8(w, 1);                  /* I/O APIC */
	put8(w, 12);
	put8(w, 0);
	put8(w, 0);
	put32(w, ACPI_IOAPIC_ADDR);
	put32(w, 0);                 /* GSI base */
	put8(w, 2);                  /* interrupt source override: ISA IRQ0 (PIT) -> GSI 2 */
	put8(w, 10);
	put8(w, 0);
	put8(w, 0);
	put32(w, 2);
	put16(w, 0);                 /* conforming polarity and trigger */
	put8(w, 4);                  /* local APIC NMI on LINT1 of every CPU */
	put8(w, 6);
	put8(w, 0xff);
	put16(w, 0);
	put8(w, 1);
	return table_close(w);
}

static uint64_t build_xsdt(struct acpi_writer *w, const uint64_t *tables, unsigned n)
{
	table_open(w, "XSDT", 1);
	for (unsigned i = 0; i < n; i++)
		put64(w, tables[i]);
	return table_close(w);
}

static uint64_t build_rsdp(struct acpi_writer *w, uint64_t xsdt)
{
	uint8_t *r;

	align16(w);
	r = reserve(w, 36);
	if (!r)
		return 0;
	put_fixed(r, "RSD PTR ", 8);
	put_fixed(r + 9, "KTSTR ", 6);
	r[15] = 2;                            /* revision: ACPI 2.0+, XSDT */
	r[20] = 36;                           /* length */
	memcpy(r + 24, &xsdt, 8);
	r[8] = (uint8_t)(0 - acpi_checksum(r, 20));
	r[32] = (uint8_t)(0 - acpi_checksum(r, 36));
	return gpa_of((size_t)(r - w->base));
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
	xsdt = build_xsdt(&w, tables, n);
	out->rsdp = build_rsdp(&w, xsdt);
	if (w.failed)
		return -err->code;
	return 0;
}
