/* UTF-8 from guests: which bytes make a character, for reports that must be valid text. */
#ifndef KTSTR_RUNNER_UTF8_H
#define KTSTR_RUNNER_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The length of the valid UTF-8 sequence at s (at most len bytes) and its code point; 0 when
 * there is none (a stray byte, a cut sequence, an overlong form, a surrogate, beyond U+10FFFF). */
size_t utf8_char(const unsigned char *s, size_t len, uint32_t *cp);

#endif
