/* A small AML encoder: just what the DSDT needs to describe ktstr's devices (scopes,
 * devices, names with integers, strings, EISA IDs and resource templates). */
#ifndef KTSTR_VMM_AML_H
#define KTSTR_VMM_AML_H

#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 8

struct aml {
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t open[AML_MAX_DEPTH];   /* where each open package's body starts */
	unsigned depth;
	int failed;                   /* out of room or unbalanced: the result is unusable */
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap);

/* Scope(name) { ... } and Device(name) { ... }: open, emit the body, close. */
void aml_scope_open(struct aml *a, const char *name);
void aml_device_open(struct aml *a, const char *name);
void aml_close(struct aml *a);

void aml_name_int(struct aml *a, const char *name, uint64_t value);
void aml_name_string(struct aml *a, const char *name, const char *value);
void aml_name_eisaid(struct aml *a, const char *name, const char *id);   /* "PNP0501" */

/* Name(_CRS, ResourceTemplate() { ... }): open, add descriptors, close. */
void aml_crs_open(struct aml *a);
void aml_res_io(struct aml *a, uint16_t base, uint8_t len);
void aml_res_irq(struct aml *a, unsigned irq);                 /* IRQNoFlags, ISA edge */
void aml_res_mem32(struct aml *a, uint32_t base, uint32_t len);
void aml_res_interrupt(struct aml *a, uint32_t gsi);           /* consumer, edge, high */
void aml_crs_close(struct aml *a);

/* The EISA ID compressed to its 32-bit form. */
uint32_t aml_eisaid(const char *id);

#endif
