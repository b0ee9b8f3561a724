/* The MP table, decoded here independently of the writer: the floating pointer in the
 * EBDA, both checksums, one processor entry per APIC ID below 255 (the BSP flagged), the ISA
 * bus, the I/O APIC and the 16 ISA interrupts plus the two local ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/firmware/acpi.h"
#include "vmm/boot/bzimage.h"
#include "vmm/firmware/topology.h"

struct decoded {
	unsigned cpus, bsp, buses, ioapics, ioints, lints;
	uint8_t apic_id[256];
	uint32_t ioapic_addr;
	uint8_t timer_pin;
};

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24); }

static void decode(struct guest_memory *mem, struct decoded *d)
{
	const uint8_t *fp = guest_memory_ptr(mem, BOOT_EBDA_START, 16), *t, *e;
	uint16_t len, count;

	memset(d, 0, sizeof(*d));
	assert_memory_equal(fp, "_MP_", 4);
	assert_int_equal(acpi_checksum(fp, 16), 0);
	assert_int_equal(fp[8], 1);
	t = guest_memory_ptr(mem, le32(fp + 4), 44);
	assert_non_null(t);
	assert_memory_equal(t, "PCMP", 4);
	len = le16(t + 4);
	count = le16(t + 34);
	t = guest_memory_ptr(mem, le32(fp + 4), len);
	assert_int_equal(acpi_checksum(t, len), 0);
	assert_int_equal(le32(t + 36), 0xfee00000u);
	e = t + 44;
	for (unsigned i = 0; i < count; i++) {
		assert_true(e < t + len);
		switch (e[0]) {
		case 0:
			d->apic_id[d->cpus++] = e[1];
			if (e[3] & 2)
				d->bsp++;
			e += 20;
			break;
		case 1: d->buses++; assert_memory_equal(e + 2, "ISA   ", 6); e += 8; break;
		case 2: d->ioapics++; d->ioapic_addr = le32(e + 4); e += 8; break;
		case 3:
			if (e[5] == 0)
				d->timer_pin = e[7];
			d->ioints++;
			e += 8;
			break;
		case 4: d->lints++; e += 8; break;
		default: fail_msg("unknown MP entry type %u", e[0]);
		}
	}
	assert_ptr_equal(e, t + len);
}

static void build(struct topology *t, struct decoded *d)
{
	struct guest_memory mem;
	struct acpi_config cfg = { .topology = t };
	struct acpi_tables out;
	struct kerr err;

	assert_int_equal(guest_memory_create(&mem, 256ull << 20, &err), 0);
	if (acpi_build(&mem, &cfg, &out, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(out.mptable != 0);
	decode(&mem, d);
	guest_memory_destroy(&mem);
}

static void test_small(void **state)
{
	struct topology t;
	struct decoded d;
	struct kerr err;

	(void)state;
	assert_int_equal(topology_uniform(&t, 2, 2, 2, 2, 256, &err), 0);
	build(&t, &d);
	assert_int_equal(d.cpus, 8);
	assert_int_equal(d.bsp, 1);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(d.apic_id[i], topology_apic_id(&t, i));
	assert_int_equal(d.buses, 1);
	assert_int_equal(d.ioapics, 1);
	assert_int_equal(d.ioapic_addr, 0xfec00000u);
	assert_int_equal(d.ioints, 16);
	assert_int_equal(d.timer_pin, 2);
	assert_int_equal(d.lints, 2);
}

/* 256 CPUs: APIC IDs 0..255; 255 cannot be written in the format and is left out. */
static void test_apic_ids_past_254_left_out(void **state)
{
	struct topology t;
	struct decoded d;
	struct kerr err;

	(void)state;
	assert_int_equal(topology_uniform(&t, 1, 64, 4, 1, 256, &err), 0);
	build(&t, &d);
	assert_int_equal(d.cpus, 255);
	assert_int_equal(d.apic_id[254], 254);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_apic_ids_past_254_left_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
