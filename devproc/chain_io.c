/* Chain streams; see chain_io.h. */
#include "devproc/chain_io.h"

#include <string.h>

/* The segments of one stream: readable ones come first in a chain, writable ones after. */
static void stream(const struct virtq_chain *c, bool writable, unsigned *first, unsigned *end)
{
	*first = writable ? c->n_readable : 0;
	*end = writable ? c->nseg : c->n_readable;
}

unsigned chain_iov(const struct virtq_chain *c, bool writable, uint64_t off, uint64_t len,
		   struct iovec *iov, unsigned max)
{
	unsigned i, end, n = 0;

	stream(c, writable, &i, &end);
	for (; i < end && len > 0; i++) {
		const struct virtq_seg *s = &c->seg[i];
		uint64_t take;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		if (n == max)
			return 0;
		take = s->len - off < len ? s->len - off : len;
		iov[n++] = (struct iovec){ .iov_base = s->host + off, .iov_len = (size_t)take };
		len -= take;
		off = 0;
	}
	return len == 0 ? n : 0;
}

static size_t copy(const struct virtq_chain *c, bool writable, uint64_t off, void *buf, size_t len)
{
	unsigned i, end;
	size_t done = 0;

	stream(c, writable, &i, &end);
	for (; i < end && done < len; i++) {
		const struct virtq_seg *s = &c->seg[i];
		size_t take;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		take = (size_t)(s->len - off) < len - done ? (size_t)(s->len - off) : len - done;
		if (writable)
			memcpy(s->host + off, (const uint8_t *)buf + done, take);
		else
			memcpy((uint8_t *)buf + done, s->host + off, take);
		done += take;
		off = 0;
	}
	return done;
}

size_t chain_read(const struct virtq_chain *c, uint64_t off, void *buf, size_t len)
{
	return copy(c, false, off, buf, len);
}

size_t chain_write(const struct virtq_chain *c, uint64_t off, const void *buf, size_t len)
{
	return copy(c, true, off, (void *)buf, len);
}
