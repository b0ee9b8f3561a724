/* The TLV stream: frames written by the guest library (guest/ktstr.c) parsed by the device's
 * parser in any chunking; garbage skipped and counted, CRC mismatches flagged, oversized
 * lengths refused, and the CRC the same as zlib's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <cmocka.h>

#include "devproc/tlv_parser.h"
#include "guest/ktstr.h"

#define MAX_FRAMES 16

struct got {
	unsigned n;
	uint32_t type[MAX_FRAMES];
	size_t len[MAX_FRAMES];
	bool ok[MAX_FRAMES];
	uint8_t first[MAX_FRAMES];
	uint8_t data[MAX_FRAMES][64];
};

static void on_frame(void *opaque, uint32_t type, const uint8_t *data, size_t len, bool ok)
{
	struct got *g = opaque;

	assert_true(g->n < MAX_FRAMES);
	g->type[g->n] = type;
	g->len[g->n] = len;
	g->ok[g->n] = ok;
	memcpy(g->data[g->n], data, len < 64 ? len : 64);
	g->n++;
}

struct stream {
	uint8_t buf[1 << 16];
	size_t len;
};

static void put(struct stream *s, const void *p, size_t n)
{
	assert_true(s->len + n <= sizeof(s->buf));
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

static void put_frame(struct stream *s, uint32_t type, const char *payload)
{
	uint8_t hdr[KTSTR_TLV_HEADER];

	ktstr_frame_header(hdr, type, payload, (uint32_t)strlen(payload));
	put(s, hdr, sizeof(hdr));
	put(s, payload, strlen(payload));
}

/* Feeds the stream in chunks of `chunk` bytes (0: all at once). */
static void parse(const struct stream *s, size_t chunk, struct got *g, struct tlv_stats *st)
{
	struct tlv_sink sink = { on_frame, g };
	struct tlv_parser p;

	memset(g, 0, sizeof(*g));
	assert_int_equal(tlv_parser_init(&p, &sink), 0);
	for (size_t off = 0; off < s->len;) {
		size_t n = chunk && chunk < s->len - off ? chunk : s->len - off;

		tlv_parser_feed(&p, s->buf + off, n);
		off += n;
	}
	tlv_parser_finish(&p);
	*st = p.stats;
	tlv_parser_destroy(&p);
}

static void test_tags_and_crc_agree(void **state)
{
	uint8_t buf[4096];

	(void)state;
	assert_int_equal(KTSTR_TLV_EXIT, TLV_EXIT);
	assert_int_equal(KTSTR_TLV_TEST, TLV_TEST);
	assert_int_equal(KTSTR_TLV_SCST, TLV_SCST);
	assert_int_equal(KTSTR_TLV_SCEN, TLV_SCEN);
	assert_int_equal(KTSTR_TLV_STIM, TLV_STIM);
	assert_int_equal(KTSTR_TLV_SCDX, TLV_SCDX);
	assert_int_equal(KTSTR_TLV_PMET, TLV_PMET);
	assert_int_equal(KTSTR_TLV_RAWO, TLV_RAWO);
	assert_int_equal(KTSTR_TLV_PRAW, TLV_PRAW);
	assert_int_equal(KTSTR_TLV_MAX, TLV_MAX_PAYLOAD);
	assert_string_equal(tlv_type_name(0x45584954u), "EXIT");   /* "EXIT" read big-endian */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(rand() & 0xff);
	for (size_t n = 0; n < sizeof(buf); n += 97)
		assert_int_equal(ktstr_crc32(buf, n), (uint32_t)crc32(0L, buf, (uInt)n));
}

static void test_frames_in_any_chunking(void **state)
{
	static const size_t chunks[] = { 0, 1, 3, 16, 17 };
	struct stream s = { .len = 0 };
	struct tlv_stats st;
	struct got g;

	(void)state;
	put_frame(&s, TLV_TEST, "{\"name\":\"a\",\"passed\":true}");
	put_frame(&s, TLV_PMET, "");
	put_frame(&s, TLV_RAWO, "raw bytes\n");
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		parse(&s, chunks[i], &g, &st);
		assert_int_equal(g.n, 3);
		assert_int_equal(g.type[0], TLV_TEST);
		assert_int_equal(g.len[0], 26);
		assert_memory_equal(g.data[0], "{\"name\":\"a\",\"passed\":true}", 26);
		assert_int_equal(g.type[1], TLV_PMET);
		assert_int_equal(g.len[1], 0);
		assert_int_equal(g.type[2], TLV_RAWO);
		assert_true(g.ok[0] && g.ok[1] && g.ok[2]);
		assert_int_equal(st.garbage_bytes, 0);
		assert_int_equal(st.frames, 3);
	}
}

/* Garbage before, between and after frames is skipped byte by byte and counted. */
static void test_resynchronises_after_garbage(void **state)
{
	struct stream s = { .len = 0 };
	struct tlv_stats st;
	struct got g;

	(void)state;
	put(&s, "hello, this is not a frame", 26);
	put_frame(&s, TLV_EXIT, "\x07\0\0\0");
	put(&s, "\0\0\0\0\0\0\0", 7);
	put_frame(&s, TLV_TEST, "second");
	put(&s, "trailing", 8);
	parse(&s, 5, &g, &st);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.type[0], TLV_EXIT);
	assert_int_equal(g.data[0][0], 7);
	assert_int_equal(g.type[1], TLV_TEST);
	assert_memory_equal(g.data[1], "second", 6);
	assert_int_equal(st.garbage_bytes, 26 + 7 + 8);
}

/* A corrupted payload is delivered flagged; an oversized or unknown header is garbage; a
 * reserved word that is not zero too. The frames after them still parse. */
static void test_crc_and_bad_headers(void **state)
{
	struct stream s = { .len = 0 };
	uint8_t hdr[KTSTR_TLV_HEADER];
	struct tlv_stats st;
	struct got g;

	(void)state;
	put_frame(&s, TLV_TEST, "intact");
	s.buf[s.len - 1] ^= 1;                              /* flip a payload bit */
	ktstr_frame_header(hdr, TLV_RAWO, "", 0);
	hdr[4] = 0x01, hdr[5] = 0x00, hdr[6] = 0x10;          /* length 1 MiB + 1 */
	put(&s, hdr, sizeof(hdr));
	ktstr_frame_header(hdr, 0x41414141u, "", 0);         /* "AAAA": unknown */
	put(&s, hdr, sizeof(hdr));
	ktstr_frame_header(hdr, TLV_RAWO, "", 0);
	hdr[12] = 1;                                         /* reserved word not zero */
	put(&s, hdr, sizeof(hdr));
	put_frame(&s, TLV_SCDX, "after");
	parse(&s, 0, &g, &st);
	assert_int_equal(g.n, 2);
	assert_false(g.ok[0]);
	assert_int_equal(g.type[1], TLV_SCDX);
	assert_true(g.ok[1]);
	assert_int_equal(st.crc_errors, 1);
	assert_int_equal(st.garbage_bytes, 3 * KTSTR_TLV_HEADER);
}

/* A frame cut off by the end of the stream is counted as garbage, never delivered. */
static void test_unfinished_frame(void **state)
{
	struct stream s = { .len = 0 };
	struct tlv_stats st;
	struct got g;

	(void)state;
	put_frame(&s, TLV_TEST, "0123456789");
	s.len -= 4;
	parse(&s, 0, &g, &st);
	assert_int_equal(g.n, 0);
	assert_int_equal(st.garbage_bytes, KTSTR_TLV_HEADER + 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tags_and_crc_agree),
		cmocka_unit_test(test_frames_in_any_chunking),
		cmocka_unit_test(test_resynchronises_after_garbage),
		cmocka_unit_test(test_crc_and_bad_headers),
		cmocka_unit_test(test_unfinished_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
