/* TLV stream parser; see tlv_parser.h. */
#include "devproc/tlv_parser.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int tlv_parser_init(struct tlv_parser *p, const struct tlv_sink *sink)
{
	memset(p, 0, sizeof(*p));
	p->sink = *sink;
	p->payload = malloc(TLV_MAX_PAYLOAD);
	return p->payload ? 0 : -ENOMEM;
}

void tlv_parser_destroy(struct tlv_parser *p)
{
	free(p->payload);
	p->payload = NULL;
}

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void deliver(struct tlv_parser *p)
{
	bool ok = (uint32_t)crc32(0L, p->payload, p->len) == p->crc;

	p->stats.frames++;
	if (!ok)
		p->stats.crc_errors++;
	p->sink.frame(p->sink.opaque, p->type, p->payload, p->len, ok);
	p->in_payload = false;
	p->hdr_len = 0;
}

/* A full header: take it, or drop its first byte as garbage and keep looking. */
static void check_header(struct tlv_parser *p)
{
	uint32_t type = le32(p->hdr), len = le32(p->hdr + 4);

	if (tlv_type_known(type) && len <= TLV_MAX_PAYLOAD && le32(p->hdr + 12) == 0) {
		p->type = type;
		p->len = len;
		p->crc = le32(p->hdr + 8);
		p->got = 0;
		p->in_payload = true;
		if (len == 0)
			deliver(p);
		return;
	}
	p->stats.garbage_bytes++;
	memmove(p->hdr, p->hdr + 1, TLV_HEADER_LEN - 1);
	p->hdr_len = TLV_HEADER_LEN - 1;
}

void tlv_parser_feed(struct tlv_parser *p, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		size_t n;

		if (p->in_payload) {
			n = p->len - p->got < len ? p->len - p->got : len;
			memcpy(p->payload + p->got, buf, n);
			p->got += (uint32_t)n;
			if (p->got == p->len)
				deliver(p);
		} else {
			n = TLV_HEADER_LEN - p->hdr_len < len ? TLV_HEADER_LEN - p->hdr_len : len;
			memcpy(p->hdr + p->hdr_len, buf, n);
			p->hdr_len += (unsigned)n;
			if (p->hdr_len == TLV_HEADER_LEN)
				check_header(p);
		}
		buf += n;
		len -= n;
	}
}

void tlv_parser_finish(struct tlv_parser *p)
{
	p->stats.garbage_bytes += p->in_payload ? TLV_HEADER_LEN + p->got : p->hdr_len;
	p->in_payload = false;
	p->hdr_len = 0;
}
