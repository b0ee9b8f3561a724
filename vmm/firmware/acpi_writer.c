/* The ACPI table writer; see acpi_writer.h. */
#include "vmm/firmware/acpi_writer.h"

#include <errno.h>
#include <string.h>

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + b[i]);
	return sum;
}

uint8_t *acpi_reserve(struct acpi_writer *w, size_t len)
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

void acpi_put(struct acpi_writer *w, const void *data, size_t len)
{
	uint8_t *p = acpi_reserve(w, len);

	if (p)
		memcpy(p, data, len);
}

/* Fixed-width, unterminated signature fields. */
void acpi_put_fixed(uint8_t *dst, const char *s, size_t n)
{
	memcpy(dst, s, n);
}

void acpi_put8(struct acpi_writer *w, uint8_t v) { acpi_put(w, &v, 1); }
void acpi_put16(struct acpi_writer *w, uint16_t v) { acpi_put(w, &v, 2); }
void acpi_put32(struct acpi_writer *w, uint32_t v) { acpi_put(w, &v, 4); }
void acpi_put64(struct acpi_writer *w, uint64_t v) { acpi_put(w, &v, 8); }

uint64_t acpi_gpa_of(size_t off)
{
	return BOOT_BIOS_START + off;
}

void acpi_align16(struct acpi_writer *w)
{
	size_t pad = (16 - (w->used & 15)) & 15;

	acpi_reserve(w, pad);
}

void acpi_table_open(struct acpi_writer *w, const char sig[4], uint8_t revision)
{
	acpi_align16(w);
	w->table_start = w->used;
	acpi_put(w, sig, 4);
	acpi_put32(w, 0);            /* length, set at close */
	acpi_put8(w, revision);
	acpi_put8(w, 0);             /* checksum, set at close */
	acpi_put(w, "KTSTR ", 6);
	acpi_put(w, "KTSTRVMM", 8);
	acpi_put32(w, 1);
	acpi_put(w, "KTSR", 4);
	acpi_put32(w, 1);
}

uint64_t acpi_table_close(struct acpi_writer *w)
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
		w->out->table[i].gpa = acpi_gpa_of(w->table_start);
		w->out->table[i].length = len;
		w->out->count++;
	}
	return acpi_gpa_of(w->table_start);
}
