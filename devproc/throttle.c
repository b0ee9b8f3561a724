/* Token bucket; see throttle.h. */
#include "devproc/throttle.h"

#define NS_PER_S 1e9

void throttle_init(struct throttle *t, uint64_t rate, uint64_t burst, uint64_t now_ns)
{
	t->rate = (double)rate;
	t->burst = (double)(burst ? burst : rate);
	t->tokens = t->burst;
	t->last_ns = now_ns;
}

static void refill(struct throttle *t, uint64_t now_ns)
{
	if (now_ns <= t->last_ns)
		return;
	t->tokens += t->rate * (double)(now_ns - t->last_ns) / NS_PER_S;
	if (t->tokens > t->burst)
		t->tokens = t->burst;
	t->last_ns = now_ns;
}

bool throttle_ready(struct throttle *t, uint64_t now_ns)
{
	if (t->rate == 0)
		return true;
	refill(t, now_ns);
	return t->tokens > 0;
}

void throttle_charge(struct throttle *t, uint64_t cost)
{
	if (t->rate != 0)
		t->tokens -= (double)cost;
}

uint64_t throttle_wait_ns(const struct throttle *t, uint64_t now_ns)
{
	double tokens, need;

	if (t->rate == 0)
		return 0;
	tokens = t->tokens;
	if (now_ns > t->last_ns)
		tokens += t->rate * (double)(now_ns - t->last_ns) / NS_PER_S;
	if (tokens > 0)
		return 0;
	/* Until the bucket holds a little more than nothing: one unit's worth of time. A debt
	 * beyond what 64 bits of nanoseconds hold (a huge request at a tiny rate) saturates. */
	need = (-tokens + 1) / t->rate * NS_PER_S;
	if (need >= 18446744073709551615.0)
		return UINT64_MAX;
	return need > 1 ? (uint64_t)need : 1;
}

int throttle_poll_ms(uint64_t wait_ns)
{
	if (wait_ns >= (uint64_t)THROTTLE_MAX_POLL_MS * 1000000)
		return THROTTLE_MAX_POLL_MS;
	return (int)((wait_ns + 999999) / 1000000);
}
