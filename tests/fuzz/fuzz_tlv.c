/* libFuzzer target: the TLV stream parser on arbitrary bytes in arbitrary chunks. Every
 * delivered frame has a known type and a bounded length, and every input byte is accounted
 * for exactly once: as a frame's header or payload, or as garbage. */
#include <stdint.h>
#include <stdlib.h>

#include "devproc/tlv_parser.h"

struct tally {
	uint64_t bytes;
};

static void on_frame(void *opaque, uint32_t type, const uint8_t *data, size_t len, bool ok)
{
	struct tally *t = opaque;

	(void)data;
	(void)ok;
	if (!tlv_type_known(type) || len > TLV_MAX_PAYLOAD)
		abort();
	t->bytes += TLV_HEADER_LEN + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tlv_parser p;
	static int ready;
	struct tally t = { 0 };
	struct tlv_sink sink = { on_frame, &t };
	size_t chunk, off = 0;

	if (size < 1)
		return 0;
	if (!ready) {
		if (tlv_parser_init(&p, &sink) < 0)
			abort();
		ready = 1;
	}
	p.sink = sink;
	p.stats = (struct tlv_stats){ 0 };
	chunk = (size_t)data[0] + 1;
	data++, size--;
	while (off < size) {
		size_t n = chunk < size - off ? chunk : size - off;

		tlv_parser_feed(&p, data + off, n);
		off += n;
	}
	tlv_parser_finish(&p);
	if (t.bytes + p.stats.garbage_bytes != size)
		abort();
	return 0;
}
