/* The serial streams' parser, fed raw guest bytes. COM2: `KTSTR_EXIT=N`, `PANIC: <info>` and
 * the lines after it, and result blocks between the ===KTSTR_TEST_RESULT_START/END===
 * markers. COM1: the kernel's "Kernel panic - not syncing" and what surrounds it. Memory is
 * fixed: lines longer than the buffer are streamed (inside a result) or cut with a note,
 * never grown. */
#ifndef KTSTR_DEVPROC_SERIAL_PARSER_H
#define KTSTR_DEVPROC_SERIAL_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc/msg.h"

#define SERIAL_LINE_MAX       1024u
#define SERIAL_PANIC_MAX_LINES 256u
#define SERIAL_KPANIC_MAX_LINES 96u
#define SERIAL_HISTORY_LINES   24u
#define SERIAL_HISTORY_WIDTH   256u

struct serial_sink {
	void (*exit_status)(void *opaque, int status);
	/* The guest reached a milestone (reported once each). */
	void (*milestone)(void *opaque, enum ipc_milestone m);
	/* A piece of text of one kind; `last` ends the piece (len may then be 0). */
	void (*text)(void *opaque, enum ipc_text_kind kind, const char *data, size_t len, bool last);
	void *opaque;
};

struct serial_line {
	char data[SERIAL_LINE_MAX];
	size_t len;
	bool continued;       /* the buffer filled before the newline came */
	size_t dropped;       /* bytes of this line cut off */
};

enum com2_state { COM2_IDLE, COM2_RESULT, COM2_PANIC };

struct serial_stats {
	uint64_t com1_bytes, com2_bytes;
	uint64_t malformed_exit_lines;
	uint64_t cut_lines;
};

struct serial_parser {
	struct serial_sink sink;
	struct serial_line com1, com2;
	enum com2_state com2_state;
	unsigned panic_lines;
	bool init_started;
	bool kpanic_active;
	bool kpanic_seen;
	unsigned kpanic_lines;
	char history[SERIAL_HISTORY_LINES][SERIAL_HISTORY_WIDTH];
	unsigned history_next, history_count;
	struct serial_stats stats;
};

void serial_parser_init(struct serial_parser *p, const struct serial_sink *sink);
void serial_parser_com1(struct serial_parser *p, const uint8_t *buf, size_t len);
void serial_parser_com2(struct serial_parser *p, const uint8_t *buf, size_t len);

/* End of stream: finishes partial lines and closes any open result or panic text, saying
 * so where a block was never terminated. */
void serial_parser_finish(struct serial_parser *p);

/* Parses "KTSTR_EXIT=N" (0..255, decimal, nothing else); -1 when the line is not one. */
int serial_parse_exit_line(const char *line, size_t len, bool *malformed);

#endif
