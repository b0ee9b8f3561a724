/* JSON string output for text that came from the guest. */
#ifndef KTSTR_VMM_JSON_H
#define KTSTR_VMM_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Writes data as a quoted JSON string. Control characters and bytes >= 0x80 are escaped as
 * \u00XX (each byte as the code point of its value), so any byte string gives valid JSON
 * and every byte can be read back. */
void json_string(FILE *f, const char *data, size_t len);

#endif
