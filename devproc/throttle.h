/* A token bucket for a device's rate limits (requests or bytes per second). A request is
 * let through while the bucket holds anything and is charged in full, so one larger than
 * the bucket still passes (leaving a debt the rate pays back) and nothing ever starves. */
#ifndef KTSTR_DEVPROC_THROTTLE_H
#define KTSTR_DEVPROC_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

struct throttle {
	double rate;        /* units per second; 0: unlimited */
	double burst;       /* the bucket's size in units */
	double tokens;      /* may go negative after a large request */
	uint64_t last_ns;   /* when tokens was last refilled */
};

/* burst 0 means one second's worth of the rate. */
void throttle_init(struct throttle *t, uint64_t rate, uint64_t burst, uint64_t now_ns);

/* Whether a request may go now (refills first). */
bool throttle_ready(struct throttle *t, uint64_t now_ns);

/* Takes a request's cost out of the bucket. */
void throttle_charge(struct throttle *t, uint64_t cost);

/* Nanoseconds until throttle_ready() would say yes; 0 when it already does; UINT64_MAX at
 * most. */
uint64_t throttle_wait_ns(const struct throttle *t, uint64_t now_ns);

/* A poll timeout for a wait: rounded up to whole ms, at most THROTTLE_MAX_POLL_MS (the device
 * looks again then), so no wait overflows an int or sleeps past what it must. */
#define THROTTLE_MAX_POLL_MS 1000
int throttle_poll_ms(uint64_t wait_ns);

#endif
