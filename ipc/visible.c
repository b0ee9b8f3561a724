/* Caret notation for control bytes; see visible.h. */
#include "ipc/visible.h"

size_t ipc_visible(const uint8_t *in, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];

		if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
			out[o++] = '^';
			out[o++] = (char)(c ^ 0x40);   /* 0x1b -> '[', 0x7f -> '?' */
		} else {
			out[o++] = (char)c;
		}
	}
	return o;
}
