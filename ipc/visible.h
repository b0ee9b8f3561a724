/* Bytes from the guest or a sandboxed process, made safe to show on a terminal. */
#ifndef KTSTR_IPC_VISIBLE_H
#define KTSTR_IPC_VISIBLE_H

#include <stddef.h>
#include <stdint.h>

/* Every C0 control byte but tab and newline, and DEL, as caret notation (ESC as "^["), so
 * the bytes cannot drive the terminal with escape sequences. out holds at least 2 * len
 * bytes; returns the bytes written (no terminating NUL). */
size_t ipc_visible(const uint8_t *in, size_t len, char *out);

#endif
