/* Test support: an ACPI table as the independent decoder sees it (acpica's iasl -d). */
#ifndef KTSTR_TESTS_IASL_H
#define KTSTR_TESTS_IASL_H

#include <stdint.h>

/* Writes the table to a temporary directory, runs iasl -d and returns the .dsl text
 * (malloc'd); fails the running cmocka test when iasl is missing or rejects the table. */
char *iasl_disassemble(const void *table, uint32_t len, const char *sig);

#endif
