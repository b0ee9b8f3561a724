/* COM1/COM2 parsing in bounded memory; see serial_parser.h. */
#include "devproc/serial_parser.h"

#include <stdio.h>
#include <string.h>

#include "guest/abi.h"

#define KPANIC_MARK   "Kernel panic - not syncing"
#define KPANIC_END    "---[ end Kernel panic"

void serial_parser_init(struct serial_parser *p, const struct serial_sink *sink)
{
	memset(p, 0, sizeof(*p));
	p->sink = *sink;
}

static void emit(struct serial_parser *p, enum ipc_text_kind kind, const char *s, size_t n, bool last)
{
	p->sink.text(p->sink.opaque, kind, s, n, last);
}

static void emit_str(struct serial_parser *p, enum ipc_text_kind kind, const char *s, bool last)
{
	emit(p, kind, s, strlen(s), last);
}

static bool line_is(const char *line, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(line, word, len) == 0;
}

static bool line_starts(const char *line, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(line, prefix, n) == 0;
}

int serial_parse_exit_line(const char *line, size_t len, bool *malformed)
{
	size_t plen = strlen(KTSTR_ABI_EXIT_PREFIX);
	int v = 0;

	*malformed = false;
	if (!line_starts(line, len, KTSTR_ABI_EXIT_PREFIX))
		return -1;
	if (len == plen || len - plen > 3) {
		*malformed = true;
		return -1;
	}
	for (size_t i = plen; i < len; i++) {
		if (line[i] < '0' || line[i] > '9') {
			*malformed = true;
			return -1;
		}
		v = v * 10 + (line[i] - '0');
	}
	if (v > IPC_EXIT_STATUS_MAX) {
		*malformed = true;
		return -1;
	}
	return v;
}

/* ---- COM2 ---- */

static void end_panic(struct serial_parser *p)
{
	emit(p, IPC_TEXT_PANIC, "", 0, true);
	p->com2_state = COM2_IDLE;
}

static void com2_idle_line(struct serial_parser *p, const char *line, size_t len, bool cut)
{
	bool malformed;
	int status;

	if (line_is(line, len, KTSTR_ABI_RESULT_START)) {
		p->com2_state = COM2_RESULT;
		return;
	}
	if (line_is(line, len, KTSTR_ABI_INIT_START)) {
		if (!p->init_started && p->sink.milestone)
			p->sink.milestone(p->sink.opaque, IPC_MILESTONE_INIT_START);
		p->init_started = true;
		return;
	}
	if (line_starts(line, len, KTSTR_ABI_PANIC_PREFIX)) {
		p->com2_state = COM2_PANIC;
		p->panic_lines = 1;
		emit(p, IPC_TEXT_PANIC, line + strlen(KTSTR_ABI_PANIC_PREFIX), len - strlen(KTSTR_ABI_PANIC_PREFIX), false);
		emit_str(p, IPC_TEXT_PANIC, cut ? " [line cut]\n" : "\n", false);
		return;
	}
	status = cut ? -1 : serial_parse_exit_line(line, len, &malformed);
	if (cut)
		malformed = line_starts(line, len, KTSTR_ABI_EXIT_PREFIX);
	if (status >= 0)
		p->sink.exit_status(p->sink.opaque, status);
	else if (malformed)
		p->stats.malformed_exit_lines++;
}

/* A panic report runs until a blank line, the next KTSTR_ line or result block, or the cap.
 * `cut`: the line was longer than the buffer and only its start is here. */
static void com2_line(struct serial_parser *p, const char *line, size_t len, bool cut)
{
	switch (p->com2_state) {
	case COM2_RESULT:
		if (line_is(line, len, KTSTR_ABI_RESULT_END)) {
			emit(p, IPC_TEXT_RESULT, "", 0, true);
			p->com2_state = COM2_IDLE;
			return;
		}
		emit(p, IPC_TEXT_RESULT, line, len, false);
		emit(p, IPC_TEXT_RESULT, "\n", 1, false);
		return;
	case COM2_PANIC:
		if (len == 0 || line_starts(line, len, "KTSTR_") || line_is(line, len, KTSTR_ABI_RESULT_START)) {
			end_panic(p);
			com2_idle_line(p, line, len, cut);
			return;
		}
		if (++p->panic_lines > SERIAL_PANIC_MAX_LINES) {
			emit_str(p, IPC_TEXT_PANIC, "[panic report cut: more lines than ktstr keeps]\n", false);
			end_panic(p);
			return;
		}
		emit(p, IPC_TEXT_PANIC, line, len, false);
		emit_str(p, IPC_TEXT_PANIC, cut ? " [line cut]\n" : "\n", false);
		return;
	case COM2_IDLE:
		com2_idle_line(p, line, len, cut);
		return;
	}
}

/* The buffer is full mid-line: inside a result the text streams on; elsewhere the rest of
 * the line is cut (markers and KTSTR_EXIT lines are short) and the cut is counted. */
static void com2_overflow(struct serial_parser *p, struct serial_line *l)
{
	if (p->com2_state == COM2_RESULT && !l->dropped) {
		emit(p, IPC_TEXT_RESULT, l->data, l->len, false);
		l->len = 0;
		l->continued = true;
		return;
	}
	l->dropped++;
}

static void com2_complete_line(struct serial_parser *p, struct serial_line *l)
{
	size_t len = l->len;

	if (len > 0 && l->data[len - 1] == '\r')
		len--;
	if (l->continued && p->com2_state == COM2_RESULT) {
		emit(p, IPC_TEXT_RESULT, l->data, len, false);
		emit(p, IPC_TEXT_RESULT, "\n", 1, false);
	} else if (!l->continued) {
		if (l->dropped)
			p->stats.cut_lines++;
		com2_line(p, l->data, len, l->dropped > 0);
	}
	l->len = 0;
	l->continued = false;
	l->dropped = 0;
}

void serial_parser_com2(struct serial_parser *p, const uint8_t *buf, size_t len)
{
	struct serial_line *l = &p->com2;

	p->stats.com2_bytes += len;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			com2_complete_line(p, l);
		} else if (l->len < SERIAL_LINE_MAX) {
			l->data[l->len++] = (char)buf[i];
		} else {
			com2_overflow(p, l);
			if (l->len < SERIAL_LINE_MAX && !l->dropped)
				l->data[l->len++] = (char)buf[i];
		}
	}
}

/* ---- COM1 ---- */

static void remember(struct serial_parser *p, const char *line, size_t len)
{
	char *slot = p->history[p->history_next];
	size_t n = len < SERIAL_HISTORY_WIDTH - 1 ? len : SERIAL_HISTORY_WIDTH - 1;

	memcpy(slot, line, n);
	slot[n] = '\0';
	p->history_next = (p->history_next + 1) % SERIAL_HISTORY_LINES;
	if (p->history_count < SERIAL_HISTORY_LINES)
		p->history_count++;
}

/* The lines just before the panic line: the oops that led to it, when there was one. */
static void emit_history(struct serial_parser *p)
{
	unsigned start = (p->history_next + SERIAL_HISTORY_LINES - p->history_count) % SERIAL_HISTORY_LINES;

	for (unsigned i = 0; i < p->history_count; i++) {
		const char *h = p->history[(start + i) % SERIAL_HISTORY_LINES];

		emit_str(p, IPC_TEXT_KERNEL_PANIC, h, false);
		emit(p, IPC_TEXT_KERNEL_PANIC, "\n", 1, false);
	}
}

static bool contains(const char *line, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(line + i, needle, n) == 0)
			return true;
	return false;
}

static void com1_line(struct serial_parser *p, const char *line, size_t len)
{
	if (!p->kpanic_active && !p->kpanic_seen && contains(line, len, KPANIC_MARK)) {
		p->kpanic_active = true;
		p->kpanic_seen = true;
		emit_history(p);
	}
	if (!p->kpanic_active) {
		remember(p, line, len);
		return;
	}
	emit(p, IPC_TEXT_KERNEL_PANIC, line, len, false);
	emit(p, IPC_TEXT_KERNEL_PANIC, "\n", 1, false);
	if (contains(line, len, KPANIC_END) || ++p->kpanic_lines >= SERIAL_KPANIC_MAX_LINES) {
		emit(p, IPC_TEXT_KERNEL_PANIC, "", 0, true);
		p->kpanic_active = false;
	}
}

void serial_parser_com1(struct serial_parser *p, const uint8_t *buf, size_t len)
{
	struct serial_line *l = &p->com1;

	p->stats.com1_bytes += len;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			size_t n = l->len;

			if (n > 0 && l->data[n - 1] == '\r')
				n--;
			com1_line(p, l->data, n);
			l->len = 0;
		} else if (l->len < SERIAL_LINE_MAX) {
			l->data[l->len++] = (char)buf[i];
		}
		/* beyond that the console log has the line whole; the parser looks at its start */
	}
}

void serial_parser_finish(struct serial_parser *p)
{
	if (p->com2.len > 0 || p->com2.continued)
		com2_complete_line(p, &p->com2);
	if (p->com2_state == COM2_RESULT) {
		emit_str(p, IPC_TEXT_RESULT, "[result block not terminated: the guest ended inside it]\n", true);
		p->com2_state = COM2_IDLE;
	} else if (p->com2_state == COM2_PANIC) {
		end_panic(p);
	}
	if (p->com1.len > 0) {
		com1_line(p, p->com1.data, p->com1.len);
		p->com1.len = 0;
	}
	if (p->kpanic_active) {
		emit(p, IPC_TEXT_KERNEL_PANIC, "", 0, true);
		p->kpanic_active = false;
	}
}
