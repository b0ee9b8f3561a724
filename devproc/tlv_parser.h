/* The parser of the TLV stream on virtio-console port 1 (format in ipc/tlv.h), fed raw guest
 * bytes in any chunking. A header is accepted only with a known type, a length up to
 * TLV_MAX_PAYLOAD and a zero reserved word; anything else is garbage, skipped one byte at a
 * time until a header fits again (resynchronisation). A payload whose CRC does not match is
 * still delivered, flagged. Memory is one payload buffer, allocated once. */
#ifndef KTSTR_DEVPROC_TLV_PARSER_H
#define KTSTR_DEVPROC_TLV_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc/tlv.h"

struct tlv_sink {
	void (*frame)(void *opaque, uint32_t type, const uint8_t *data, size_t len, bool crc_ok);
	void *opaque;
};

struct tlv_stats {
	uint64_t frames;          /* delivered, good or not */
	uint64_t crc_errors;      /* delivered with a CRC mismatch */
	uint64_t garbage_bytes;   /* skipped while resynchronising */
};

struct tlv_parser {
	struct tlv_sink sink;
	uint8_t hdr[TLV_HEADER_LEN];
	unsigned hdr_len;
	uint32_t type, len, crc;
	uint8_t *payload;         /* TLV_MAX_PAYLOAD bytes */
	uint32_t got;
	bool in_payload;
	struct tlv_stats stats;
};

int tlv_parser_init(struct tlv_parser *p, const struct tlv_sink *sink);
void tlv_parser_destroy(struct tlv_parser *p);
void tlv_parser_feed(struct tlv_parser *p, const uint8_t *buf, size_t len);

/* At the end of the stream: bytes of an unfinished frame count as garbage. */
void tlv_parser_finish(struct tlv_parser *p);

#endif
