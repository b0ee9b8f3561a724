/* libFuzzer target: the COM1/COM2 parser on arbitrary guest bytes, split between the two
 * ports in arbitrary chunks. Whatever comes: an exit status is 0..255, milestones and text
 * kinds are known ones, no text piece is longer than what was fed, every piece that was
 * begun is ended by the finish, and the byte counters match the input. */
#include <stdint.h>
#include <stdlib.h>

#include "devproc/serial_parser.h"

struct tally {
	size_t text;
	bool open[IPC_TEXT_KIND_END];
};

static void on_exit_status(void *opaque, int status)
{
	(void)opaque;
	if (status < 0 || status > 255)
		abort();
}

static void on_milestone(void *opaque, enum ipc_milestone m)
{
	(void)opaque;
	if (m != IPC_MILESTONE_INIT_START)
		abort();
}

static void on_text(void *opaque, enum ipc_text_kind kind, const char *data, size_t len, bool last)
{
	struct tally *t = opaque;

	(void)data;
	if (kind <= 0 || kind >= IPC_TEXT_KIND_END)
		abort();
	t->text += len;
	t->open[kind] = !last;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct serial_parser p;
	struct tally t = { 0 };
	struct serial_sink sink = { on_exit_status, on_milestone, on_text, &t };
	uint64_t com1 = 0, com2 = 0;
	size_t off = 0;

	serial_parser_init(&p, &sink);
	/* Each chunk: one byte says the port (low bit) and length (the rest), then the bytes. */
	while (off < size) {
		size_t n = (size_t)(data[off] >> 1) + 1;
		bool second = data[off] & 1;

		off++;
		if (n > size - off)
			n = size - off;
		if (second)
			serial_parser_com2(&p, data + off, n), com2 += n;
		else
			serial_parser_com1(&p, data + off, n), com1 += n;
		off += n;
	}
	serial_parser_finish(&p);
	for (int k = 1; k < IPC_TEXT_KIND_END; k++)
		if (t.open[k])
			abort();
	if (p.stats.com1_bytes != com1 || p.stats.com2_bytes != com2)
		abort();
	/* Text is drawn from what was fed, plus the parser's own short notes per piece. */
	if (t.text > 3 * size + 8192)
		abort();
	return 0;
}
