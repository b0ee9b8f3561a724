/* ACPI tables and the AML encoder: checksums, layout, and an independent decoder (iasl -d
 * from acpica-tools) agreeing with what was meant. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/support/iasl.h"

#include "vmm/firmware/acpi.h"
#include "vmm/firmware/aml.h"

struct built {
	struct guest_memory mem;
	struct acpi_tables t;
};

static void build(struct built *b, unsigned cpus)
{
	static const struct acpi_uart uarts[] = { { 0x3f8, 4 }, { 0x2f8, 3 } };
	static const struct acpi_virtio virtio[] = { { 0xc0000000u, 0x1000, 5 },
						     { 0xc0001000u, 0x1000, 6 } };
	static struct topology topo;
	struct acpi_config cfg = { .topology = &topo, .uarts = uarts, .n_uarts = 2,
				   .virtio = virtio, .n_virtio = 2 };
	struct kerr err;

	topo = (struct topology){ .llcs = 1, .cores_per_llc = cpus, .threads_per_core = 1 };
	assert_int_equal(guest_memory_create(&b->mem, 128ull << 20, &err), 0);
	if (acpi_build(&b->mem, &cfg, &b->t, &err) < 0)
		fail_msg("%s", err.msg);
}

static const uint8_t *table(struct built *b, const char *sig, uint32_t *len)
{
	for (unsigned i = 0; i < b->t.count; i++) {
		if (strcmp(b->t.table[i].signature, sig) == 0) {
			*len = b->t.table[i].length;
			return guest_memory_ptr(&b->mem, b->t.table[i].gpa, *len);
		}
	}
	fail_msg("no %s table", sig);
	return NULL;
}

static void test_eisaid(void **state)
{
	(void)state;
	assert_int_equal(aml_eisaid("PNP0501"), 0x0105d041);   /* ACPI spec's own example */
	assert_int_equal(aml_eisaid("PNP0A03"), 0x030ad041);
}

static void test_checksums_and_rsdp(void **state)
{
	struct built b;
	const uint8_t *rsdp;
	uint64_t xsdt;
	uint32_t len;

	(void)state;
	build(&b, 4);
	assert_int_equal(b.t.count, 4);   /* DSDT, FACP, APIC, XSDT */
	for (unsigned i = 0; i < b.t.count; i++) {
		const uint8_t *t = table(&b, b.t.table[i].signature, &len);

		assert_int_equal(acpi_checksum(t, len), 0);
	}
	rsdp = guest_memory_ptr(&b.mem, b.t.rsdp, 36);
	assert_memory_equal(rsdp, "RSD PTR ", 8);
	assert_int_equal(acpi_checksum(rsdp, 20), 0);
	assert_int_equal(acpi_checksum(rsdp, 36), 0);
	assert_true(b.t.rsdp >= 0xe0000 && b.t.rsdp < 0x100000 && b.t.rsdp % 16 == 0);
	memcpy(&xsdt, rsdp + 24, 8);
	assert_memory_equal(guest_memory_ptr(&b.mem, xsdt, 4), "XSDT", 4);
	guest_memory_destroy(&b.mem);
}

static char *disassemble(struct built *b, const char *sig)
{
	uint32_t len;
	const uint8_t *t = table(b, sig, &len);

	return iasl_disassemble(t, len, sig);
}

static void test_madt_decodes(void **state)
{
	struct built b;
	char *dsl;

	(void)state;
	build(&b, 3);
	dsl = disassemble(&b, "APIC");
	assert_non_null(strstr(dsl, "Local Apic Address : FEE00000"));
	assert_non_null(strstr(dsl, "Local Apic ID : 02"));           /* the third CPU */
	assert_null(strstr(dsl, "Local Apic ID : 03"));
	assert_non_null(strstr(dsl, "Address : FEC00000"));           /* the I/O APIC */
	assert_non_null(strstr(dsl, "Interrupt : 00000002"));         /* IRQ0 -> GSI 2 */
	assert_non_null(strstr(dsl, "Subtable Type : 04 [Local APIC NMI]"));
	free(dsl);
	guest_memory_destroy(&b.mem);
}

static void test_fadt_is_hardware_reduced(void **state)
{
	struct built b;
	char *dsl;

	(void)state;
	build(&b, 1);
	dsl = disassemble(&b, "FACP");
	assert_non_null(strstr(dsl, "Hardware Reduced (V5) : 1"));
	assert_non_null(strstr(dsl, "CMOS RTC Not Present (V5) : 1"));
	assert_non_null(strstr(dsl, "8042 Present on ports 60/64 (V2) : 0"));
	free(dsl);
	guest_memory_destroy(&b.mem);
}

static void test_dsdt_describes_the_uarts(void **state)
{
	struct built b;
	char *dsl, *com2;

	(void)state;
	build(&b, 1);
	dsl = disassemble(&b, "DSDT");
	assert_non_null(strstr(dsl, "Device (COM1)"));
	com2 = strstr(dsl, "Device (COM2)");
	assert_non_null(com2);
	assert_non_null(strstr(dsl, "EisaId (\"PNP0501\")"));
	assert_non_null(strstr(dsl, "0x03F8,             // Range Minimum"));
	assert_non_null(strstr(com2, "0x02F8,             // Range Minimum"));
	assert_non_null(strstr(com2, "{3}"));
	free(dsl);
	guest_memory_destroy(&b.mem);
}

/* Virtio-mmio windows as LNRO0005 devices: the memory window and an edge, active-high
 * interrupt, as iasl decodes them. */
static void test_dsdt_describes_virtio_mmio(void **state)
{
	struct built b;
	char *dsl, *vr1;

	(void)state;
	build(&b, 1);
	dsl = disassemble(&b, "DSDT");
	assert_non_null(strstr(dsl, "Device (VR00)"));
	vr1 = strstr(dsl, "Device (VR01)");
	assert_non_null(vr1);
	assert_non_null(strstr(vr1, "Name (_HID, \"LNRO0005\")"));
	assert_non_null(strstr(vr1, "Name (_UID, One)"));
	assert_non_null(strstr(vr1, "Memory32Fixed (ReadWrite,"));
	assert_non_null(strstr(vr1, "0xC0001000,         // Address Base"));
	assert_non_null(strstr(vr1, "0x00001000,         // Address Length"));
	assert_non_null(strstr(vr1, "Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, )"));
	assert_non_null(strstr(vr1, "0x00000006,"));
	assert_non_null(strstr(dsl, "0x00000005,"));
	free(dsl);
	guest_memory_destroy(&b.mem);
}

/* Packages longer than 63 bytes need multi-byte PkgLengths: many devices exercise them. */
static void test_long_packages(void **state)
{
	uint8_t buf[8192];
	struct aml a;

	(void)state;
	aml_init(&a, buf, sizeof(buf));
	aml_scope_open(&a, "\\_SB");
	for (unsigned i = 0; i < 40; i++) {
		char name[5];

		snprintf(name, sizeof(name), "D%03u", i % 1000u);
		aml_device_open(&a, name);
		aml_name_string(&a, "_HID", "LNRO0005");
		aml_name_int(&a, "_UID", (uint64_t)i);
		aml_crs_open(&a);
		aml_res_mem32(&a, 0xc0000000u + (uint32_t)i * 0x1000, 0x1000);
		aml_res_interrupt(&a, 5 + (uint32_t)i);
		aml_crs_close(&a);
		aml_close(&a);
	}
	aml_close(&a);
	assert_false(a.failed);
	assert_int_equal(buf[0], 0x10);           /* ScopeOp */
	assert_int_equal(buf[1] >> 6, 1);         /* a two-byte PkgLength */
	assert_int_equal(((buf[2] << 4) | (buf[1] & 0xf)), a.len - 1);
	/* overflow is reported, not written past */
	aml_init(&a, buf, 16);
	aml_scope_open(&a, "\\_SB");
	aml_name_string(&a, "_HID", "LNRO0005");
	aml_close(&a);
	assert_true(a.failed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eisaid),
		cmocka_unit_test(test_checksums_and_rsdp),
		cmocka_unit_test(test_madt_decodes),
		cmocka_unit_test(test_fadt_is_hardware_reduced),
		cmocka_unit_test(test_dsdt_describes_the_uarts),
		cmocka_unit_test(test_dsdt_describes_virtio_mmio),
		cmocka_unit_test(test_long_packages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
