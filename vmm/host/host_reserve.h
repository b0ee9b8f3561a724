/* Host CPUs reserved for one VM, so that runs on one machine do not overlap: a lock file per
 * host CPU in a lock directory shared by every ktstr-vmm, held with flock(2) for the run's
 * life (the kernel drops it when the process dies, however it dies). Shared locks for VMs
 * that may share CPUs (--cpu-cap), exclusive ones over whole LLCs for VMs that must not. */
#ifndef KTSTR_VMM_HOST_RESERVE_H
#define KTSTR_VMM_HOST_RESERVE_H

#include "ipc/err.h"
#include "vmm/host/host_topology.h"

#define HOST_LOCK_DIR_DEFAULT "/tmp/ktstr-vmm-locks"   /* KTSTR_LOCK_DIR overrides it */

enum host_reserve_mode {
	HOST_RESERVE_SHARED,      /* any CPU not held exclusively; others may share it */
	HOST_RESERVE_WHOLE_LLCS,  /* whole LLCs, exclusively: nobody else runs there */
};

struct host_reservation {
	unsigned cpu[HOST_MAX_CPUS];   /* the host CPUs held, in topology order */
	int fd[HOST_MAX_CPUS];         /* each one's locked file */
	unsigned ncpus;
};

/* Takes `want` CPUs (SHARED) or `want` whole LLCs (WHOLE_LLCS) without waiting, LLC by LLC
 * so that a VM's CPUs share caches. -EBUSY when too few are free now (nothing held then);
 * the error says how many were. */
int host_reserve(const char *lock_dir, const struct host_topology *t, unsigned want,
		 enum host_reserve_mode mode, struct host_reservation *res, struct kerr *err);

/* The same, trying again every 100 ms for up to wait_s seconds while it is -EBUSY. */
int host_reserve_wait(const char *lock_dir, const struct host_topology *t, unsigned want,
		      enum host_reserve_mode mode, unsigned wait_s, struct host_reservation *res,
		      struct kerr *err);

/* `want` whole LLCs of at least min_cpus usable CPUs each, exclusively, waiting as above:
 * --performance's, one host LLC per virtual LLC. */
int host_reserve_llcs_wait(const char *lock_dir, const struct host_topology *t, unsigned want,
			   unsigned min_cpus, unsigned wait_s, struct host_reservation *res,
			   struct kerr *err);

void host_release(struct host_reservation *res);

/* $KTSTR_LOCK_DIR, else HOST_LOCK_DIR_DEFAULT: the one lock directory every run of a host uses. */
const char *host_lock_dir(void);

/* This thread, and every thread and process it starts later, onto these host CPUs. */
int host_pin_to(const unsigned *cpus, unsigned n, struct kerr *err);

#endif
