/* Split virtqueue serving; see virtq.h. Guest-shared memory is read with single atomic
 * loads (never re-read after checking) and written with release stores. */
#include "devproc/virtq.h"

#include <errno.h>
#include <string.h>

#define LOAD(p)         __atomic_load_n((p), __ATOMIC_RELAXED)
#define LOAD_ACQ(p)     __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v)     __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define STORE_REL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

static bool is_pow2(unsigned v)
{
	return v && !(v & (v - 1));
}

static void *ring_ptr(const struct guest_ram *ram, uint64_t gpa, uint64_t len, uint64_t align,
		      const char *what, struct kerr *err)
{
	void *p = (gpa % align) ? NULL : guest_ram_ptr(ram, gpa, len);

	if (!p)
		kerr_set(err, EINVAL, "%s at 0x%llx (%llu bytes) is misaligned or outside guest RAM",
			 what, (unsigned long long)gpa, (unsigned long long)len);
	return p;
}

int virtq_init(struct virtq *q, const struct guest_ram *ram, const struct virtq_layout *l,
	       struct kerr *err)
{
	uint64_t n = l->size;

	memset(q, 0, sizeof(*q));
	if (!is_pow2(l->size) || l->size > VIRTQ_MAX_SIZE)
		return kerr_set(err, EINVAL, "queue size %u is not a power of two up to %u", l->size,
				VIRTQ_MAX_SIZE);
	q->ram = ram;
	q->l = *l;
	/* virtio 1.2 §2.7: descriptor table 16-aligned, driver ring 2, device ring 4; each ring
	 * carries the event index word after its entries. */
	q->desc = ring_ptr(ram, l->desc_gpa, 16 * n, 16, "descriptor table", err);
	q->avail = q->desc ? ring_ptr(ram, l->avail_gpa, 6 + 2 * n, 2, "driver ring", err) : NULL;
	q->used = q->avail ? ring_ptr(ram, l->used_gpa, 6 + 8 * n, 4, "device ring", err) : NULL;
	if (!q->used)
		return -EINVAL;
	q->used_idx = LOAD(&q->used->idx);
	q->signalled_used = q->used_idx;
	return 0;
}

static int bad_chain(struct virtq *q, struct kerr *err, const char *why, unsigned v)
{
	q->stats.bad_chains++;
	return kerr_set(err, EBADMSG, "queue chain: %s (%u)", why, v);
}

/* The walk's position: which table (the ring's or one indirect table) and how far into it. */
struct walk {
	const uint8_t *table;
	uint32_t entries;
	uint32_t visited;          /* in this table: more than `entries` means a loop */
	bool indirect;
};

static struct vring_desc read_desc(const struct walk *w, uint16_t i)
{
	struct vring_desc d;

	memcpy(&d, w->table + (size_t)i * sizeof(d), sizeof(d));   /* one copy, then checked */
	return d;
}

static int enter_indirect(struct virtq *q, struct walk *w, const struct vring_desc *d,
			  struct kerr *err)
{
	if (!q->l.indirect)
		return bad_chain(q, err, "indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC", 0);
	if (w->indirect || (d->flags & VRING_DESC_F_NEXT))
		return bad_chain(q, err, "nested indirect table, or indirect with NEXT", d->flags);
	if (d->len == 0 || d->len % 16 || d->len / 16 > q->l.size)
		return bad_chain(q, err, "indirect table length", d->len);
	w->table = guest_ram_ptr(q->ram, d->addr, d->len);
	if (!w->table)
		return bad_chain(q, err, "indirect table outside guest RAM, length", d->len);
	w->entries = d->len / 16;
	w->visited = 0;
	w->indirect = true;
	return 0;
}

static int add_segment(struct virtq *q, struct virtq_chain *c, const struct vring_desc *d,
		       struct kerr *err)
{
	bool writable = d->flags & VRING_DESC_F_WRITE;
	struct virtq_seg *s;

	if (c->nseg >= q->l.size)
		return bad_chain(q, err, "longer than the queue size", q->l.size);
	if (!writable && c->nseg > c->n_readable)
		return bad_chain(q, err, "readable descriptor after a writable one", c->nseg);
	s = &c->seg[c->nseg];
	s->host = guest_ram_ptr(q->ram, d->addr, d->len);
	if (!s->host)
		return bad_chain(q, err, "buffer outside guest RAM, length", d->len);
	s->len = d->len;
	s->writable = writable;
	c->nseg++;
	if (writable) {
		c->writable_len += d->len;
	} else {
		c->readable_len += d->len;
		c->n_readable++;
	}
	return 0;
}

static int walk_chain(struct virtq *q, struct virtq_chain *c, struct kerr *err)
{
	struct walk w = { (const uint8_t *)q->desc, q->l.size, 0, false };
	uint16_t i = c->head;
	int r;

	for (;;) {
		struct vring_desc d = read_desc(&w, i);

		if (++w.visited > w.entries)
			return bad_chain(q, err, "descriptor loop after entries", w.entries);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if ((r = enter_indirect(q, &w, &d, err)) < 0)
				return r;
			i = 0;
			continue;
		}
		if ((r = add_segment(q, c, &d, err)) < 0)
			return r;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		if (d.next >= w.entries)
			return bad_chain(q, err, "next index out of range", d.next);
		i = d.next;
	}
}

int virtq_pop(struct virtq *q, struct virtq_chain *c, struct kerr *err)
{
	uint16_t avail_idx, pending;

	if (q->broken)
		return kerr_set(err, EPROTO, "queue is broken");
	avail_idx = LOAD_ACQ(&q->avail->idx);
	if (avail_idx == q->last_avail)
		return 0;
	pending = (uint16_t)(avail_idx - q->last_avail);
	if (pending > q->l.size) {
		q->broken = true;
		return kerr_set(err, EPROTO, "driver ring index moved by %u, more than the queue size %u",
				pending, q->l.size);
	}
	c->head = LOAD(&q->avail->ring[q->last_avail & (q->l.size - 1)]);
	q->last_avail++;
	if (c->head >= q->l.size) {
		q->broken = true;
		return kerr_set(err, EPROTO, "chain head %u outside the queue of %u", c->head,
				q->l.size);
	}
	c->nseg = c->n_readable = 0;
	c->readable_len = c->writable_len = 0;
	if (walk_chain(q, c, err) < 0)
		return -EBADMSG;
	q->stats.chains++;
	return 1;
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t written)
{
	struct vring_used_elem *e = &q->used->ring[q->used_idx & (q->l.size - 1)];

	STORE(&e->id, head);
	STORE(&e->len, written);
	q->used_idx++;
	STORE_REL(&q->used->idx, q->used_idx);
}

bool virtq_need_interrupt(struct virtq *q)
{
	uint16_t now = q->used_idx, before = q->signalled_used;
	bool need;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);   /* our used->idx before their event word */
	if (now == before)
		return false;
	if (q->l.event_idx) {
		uint16_t used_event = LOAD(&q->avail->ring[q->l.size]);

		need = (uint16_t)(now - used_event - 1) < (uint16_t)(now - before);
	} else {
		need = !(LOAD(&q->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	}
	q->signalled_used = now;
	return need;
}

bool virtq_arm_and_check(struct virtq *q)
{
	if (q->broken)
		return false;
	if (q->l.event_idx) {
		/* avail_event: the 16-bit word right after the device ring's entries */
		uint16_t *avail_event = (uint16_t *)(void *)&q->used->ring[q->l.size];

		STORE(avail_event, q->last_avail);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);   /* our avail_event before their avail->idx */
	return LOAD_ACQ(&q->avail->idx) != q->last_avail;
}
