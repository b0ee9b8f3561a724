/* AML encoding (ACPI 6.x, section 20); see aml.h. */
#include "vmm/firmware/aml.h"

#include <string.h>

#define AML_ZERO      0x00
#define AML_ONE       0x01
#define AML_NAME      0x08
#define AML_BYTE      0x0a
#define AML_WORD      0x0b
#define AML_DWORD     0x0c
#define AML_STRING    0x0d
#define AML_QWORD     0x0e
#define AML_SCOPE     0x10
#define AML_BUFFER    0x11
#define AML_EXT       0x5b
#define AML_DEVICE    0x82
#define AML_ROOT      0x5c
#define AML_PKG_ROOM  4          /* a PkgLength takes at most four bytes */

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
	memset(a, 0, sizeof(*a));
	a->buf = buf;
	a->cap = cap;
}

static void emit(struct aml *a, const void *p, size_t n)
{
	if (a->failed || a->len + n > a->cap) {
		a->failed = 1;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void emit8(struct aml *a, uint8_t v)
{
	emit(a, &v, 1);
}

/* NameSeg: four characters, padded with '_'; a leading '\' makes it absolute. */
static void emit_name(struct aml *a, const char *name)
{
	char seg[4] = { '_', '_', '_', '_' };
	size_t n;

	if (name[0] == '\\') {
		emit8(a, AML_ROOT);
		name++;
	}
	n = strlen(name);
	memcpy(seg, name, n < 4 ? n : 4);
	emit(a, seg, 4);
}

static void emit_int(struct aml *a, uint64_t v)
{
	if (v == 0) {
		emit8(a, AML_ZERO);
	} else if (v == 1) {
		emit8(a, AML_ONE);
	} else if (v <= 0xff) {
		emit8(a, AML_BYTE);
		emit8(a, (uint8_t)v);
	} else if (v <= 0xffff) {
		emit8(a, AML_WORD);
		emit(a, &v, 2);
	} else if (v <= 0xffffffffu) {
		emit8(a, AML_DWORD);
		emit(a, &v, 4);
	} else {
		emit8(a, AML_QWORD);
		emit(a, &v, 8);
	}
}

/* A package's length is only known at its end: room for the longest PkgLength is kept
 * and the body moved down once the real encoding is known. */
static void pkg_open(struct aml *a)
{
	if (a->depth == AML_MAX_DEPTH) {
		a->failed = 1;
		return;
	}
	emit(a, "\0\0\0\0", AML_PKG_ROOM);
	a->open[a->depth++] = a->len;
}

static void pkg_close(struct aml *a)
{
	size_t body, len_bytes, total;
	uint8_t enc[AML_PKG_ROOM];

	if (a->failed || a->depth == 0) {
		a->failed = 1;
		return;
	}
	body = a->len - a->open[--a->depth];
	len_bytes = body + 1 < 0x40 ? 1 : body + 2 < 0x1000 ? 2 : body + 3 < 0x100000 ? 3 : 4;
	total = body + len_bytes;
	if (len_bytes == 1) {
		enc[0] = (uint8_t)total;
	} else {
		enc[0] = (uint8_t)(((len_bytes - 1) << 6) | (total & 0x0f));
		for (size_t i = 1; i < len_bytes; i++)
			enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	{
		uint8_t *start = a->buf + a->open[a->depth] - AML_PKG_ROOM;

		memcpy(start, enc, len_bytes);
		memmove(start + len_bytes, start + AML_PKG_ROOM, body);
		a->len -= AML_PKG_ROOM - len_bytes;
	}
}

void aml_scope_open(struct aml *a, const char *name)
{
	emit8(a, AML_SCOPE);
	pkg_open(a);
	emit_name(a, name);
}

void aml_device_open(struct aml *a, const char *name)
{
	emit8(a, AML_EXT);
	emit8(a, AML_DEVICE);
	pkg_open(a);
	emit_name(a, name);
}

void aml_close(struct aml *a)
{
	pkg_close(a);
}

void aml_name_int(struct aml *a, const char *name, uint64_t value)
{
	emit8(a, AML_NAME);
	emit_name(a, name);
	emit_int(a, value);
}

void aml_name_string(struct aml *a, const char *name, const char *value)
{
	emit8(a, AML_NAME);
	emit_name(a, name);
	emit8(a, AML_STRING);
	emit(a, value, strlen(value) + 1);
}

uint32_t aml_eisaid(const char *id)
{
	uint32_t v = ((uint32_t)(id[0] - 0x40) << 26) | ((uint32_t)(id[1] - 0x40) << 21) |
		     ((uint32_t)(id[2] - 0x40) << 16);

	for (int i = 3; i < 7; i++) {
		char c = id[i];
		uint32_t nib = (uint32_t)(c <= '9' ? c - '0' : c - 'A' + 10);

		v |= nib << (4 * (6 - i));
	}
	/* stored big-endian */
	return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >> 8) & 0xff00) | (v >> 24);
}

void aml_name_eisaid(struct aml *a, const char *name, const char *id)
{
	uint32_t v = aml_eisaid(id);

	emit8(a, AML_NAME);
	emit_name(a, name);
	emit8(a, AML_DWORD);
	emit(a, &v, 4);
}

/* _CRS is a Buffer: BufferOp PkgLength BufferSize ByteList. The size is only known at the
 * end, so it is emitted as a DWord placeholder and patched. */
void aml_crs_open(struct aml *a)
{
	emit8(a, AML_NAME);
	emit_name(a, "_CRS");
	emit8(a, AML_BUFFER);
	pkg_open(a);
	emit8(a, AML_DWORD);
	emit(a, "\0\0\0\0", 4);
}

void aml_res_io(struct aml *a, uint16_t base, uint8_t len)
{
	uint8_t d[8] = { 0x47, 0x01, (uint8_t)base, (uint8_t)(base >> 8), (uint8_t)base,
			 (uint8_t)(base >> 8), 0x01, len };

	emit(a, d, sizeof(d));
}

void aml_res_irq(struct aml *a, unsigned irq)
{
	uint16_t mask = (uint16_t)(1u << irq);
	uint8_t d[3] = { 0x22, (uint8_t)mask, (uint8_t)(mask >> 8) };

	emit(a, d, sizeof(d));
}

void aml_res_mem32(struct aml *a, uint32_t base, uint32_t len)
{
	uint8_t d[12] = { 0x86, 0x09, 0x00, 0x01 };

	memcpy(d + 4, &base, 4);
	memcpy(d + 8, &len, 4);
	emit(a, d, sizeof(d));
}

void aml_res_interrupt(struct aml *a, uint32_t gsi)
{
	uint8_t d[9] = { 0x89, 0x06, 0x00, 0x03 /* consumer, edge, active high, exclusive */, 0x01 };

	memcpy(d + 5, &gsi, 4);
	emit(a, d, sizeof(d));
}

void aml_crs_close(struct aml *a)
{
	static const uint8_t end_tag[2] = { 0x79, 0x00 };
	size_t body_start, size;
	uint32_t size32;

	emit(a, end_tag, 2);
	if (a->failed || a->depth == 0)
		return;
	/* the byte list starts after the DWordPrefix and its four bytes */
	body_start = a->open[a->depth - 1];
	size = a->len - body_start - 5;
	size32 = (uint32_t)size;
	memcpy(a->buf + body_start + 1, &size32, 4);
	pkg_close(a);
}
