/* The MP table; see mptable.h. Layouts from the MP specification 1.4, chapter 4. */
#include "vmm/firmware/mptable.h"

#include <string.h>

#define MP_SPEC_REV      4
#define MP_LAPIC_VERSION 0x14
#define MP_IOAPIC_ID     0
#define MP_IOAPIC_VER    0x11
#define MP_ISA_BUS       0
#define MP_CPU_EN        1u
#define MP_CPU_BP        2u

static void processor(struct acpi_writer *w, uint8_t apic_id, bool bsp)
{
	acpi_put8(w, 0);
	acpi_put8(w, apic_id);
	acpi_put8(w, MP_LAPIC_VERSION);
	acpi_put8(w, (uint8_t)(MP_CPU_EN | (bsp ? MP_CPU_BP : 0)));
	acpi_put32(w, 0x600);             /* signature: family 6 (informational) */
	acpi_put32(w, 0x201);             /* features: FPU, APIC */
	acpi_put64(w, 0);
}

/* type 3 (I/O interrupt) or 4 (local interrupt), 8 bytes each */
static void interrupt(struct acpi_writer *w, uint8_t type, uint8_t kind, uint8_t bus_irq,
		      uint8_t dst, uint8_t pin)
{
	acpi_put8(w, type);
	acpi_put8(w, kind);               /* 0 INT, 1 NMI, 3 ExtINT */
	acpi_put16(w, 0);                 /* conforming polarity and trigger (ISA: edge, high) */
	acpi_put8(w, MP_ISA_BUS);
	acpi_put8(w, bus_irq);
	acpi_put8(w, dst);
	acpi_put8(w, pin);
}

static unsigned write_entries(struct acpi_writer *w, const struct topology *t)
{
	unsigned n = 0;

	for (unsigned cpu = 0; cpu < topology_cpus(t); cpu++) {
		uint32_t id = topology_apic_id(t, cpu);

		if (id < 255) {
			processor(w, (uint8_t)id, cpu == 0);
			n++;
		}
	}
	acpi_put8(w, 1);                  /* bus */
	acpi_put8(w, MP_ISA_BUS);
	acpi_put(w, "ISA   ", 6);
	acpi_put8(w, 2);                  /* I/O APIC */
	acpi_put8(w, MP_IOAPIC_ID);
	acpi_put8(w, MP_IOAPIC_VER);
	acpi_put8(w, 1);                  /* enabled */
	acpi_put32(w, ACPI_IOAPIC_ADDR);
	n += 2;
	/* ISA IRQs 0..15 to the same I/O APIC pins, except the timer on pin 2 (as in MADT). */
	for (uint8_t irq = 0; irq < 16; irq++, n++)
		interrupt(w, 3, 0, irq, MP_IOAPIC_ID, irq == 0 ? 2 : irq);
	interrupt(w, 4, 3, 0, 0xff, 0);   /* ExtINT on LINT0 of every CPU */
	interrupt(w, 4, 1, 0, 0xff, 1);   /* NMI on LINT1 */
	return n + 2;
}

static void write_pointer(struct guest_memory *mem, uint64_t table)
{
	uint8_t *p = guest_memory_ptr(mem, BOOT_EBDA_START, 16);
	uint32_t addr = (uint32_t)table;

	memset(p, 0, 16);
	acpi_put_fixed(p, "_MP_", 4);
	memcpy(p + 4, &addr, 4);
	p[8] = 1;                         /* length in 16-byte units */
	p[9] = MP_SPEC_REV;
	p[10] = (uint8_t)(0 - acpi_checksum(p, 16));
}

uint64_t mptable_build(struct acpi_writer *w, struct guest_memory *mem, const struct topology *t)
{
	size_t start;
	uint8_t *h;
	unsigned n;
	uint16_t len, count;

	acpi_align16(w);
	start = w->used;
	h = acpi_reserve(w, 44);
	if (!h)
		return 0;
	n = write_entries(w, t);
	if (w->failed)
		return 0;
	h = w->base + start;              /* the header, completed now that the entries exist */
	len = (uint16_t)(w->used - start);
	count = (uint16_t)n;
	acpi_put_fixed(h, "PCMP", 4);
	memcpy(h + 4, &len, 2);
	h[6] = MP_SPEC_REV;
	acpi_put_fixed(h + 8, "KTSTR   ", 8);
	acpi_put_fixed(h + 16, "KTSTR-VMM   ", 12);
	memcpy(h + 34, &count, 2);
	{
		uint32_t lapic = ACPI_LAPIC_ADDR;

		memcpy(h + 36, &lapic, 4);
	}
	h[7] = (uint8_t)(0 - acpi_checksum(h, len));
	write_pointer(mem, acpi_gpa_of(start));
	return acpi_gpa_of(start);
}
