/* --performance: the VM alone on whole host LLCs, each vCPU thread on its own host CPU
 * (SCHED_FIFO where allowed), vmm's threads and the device processes on one service CPU,
 * guest RAM on 2 MiB pages bound to the vCPUs' node and faulted in before the boot, HLT and
 * PAUSE left in the guest, the KVM_HINTS_REALTIME CPUID hint, halt polling, and a check that
 * the host's TSC is stable. Whatever the host refuses is noted in the outcome's perf_report
 * (--results "performance") and printed; the run goes on without it. Only the placement is
 * a condition: a host that cannot hold the VM is an error, a busy one "resources busy".
 *
 * Halt polling is chosen in every run: off when the vCPUs outnumber the host CPUs the run
 * may use (a polling vCPU would take the CPU from another), KVM's own choice otherwise. */
#ifndef KTSTR_VMM_PERFORMANCE_H
#define KTSTR_VMM_PERFORMANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc/err.h"
#include "vmm/cli.h"
#include "vmm/firmware/acpi.h"
#include "vmm/guest_memory.h"
#include "vmm/host/host_placement.h"
#include "vmm/kvm.h"
#include "vmm/outcome.h"
#include "vmm/vcpu.h"

#define PERF_HALT_POLL_NS 200000u   /* 200 us: KVM's x86 default, set for the VM whatever the host's */

struct performance {
	bool on;
	struct host_topology *host;         /* read for the placement; NULL without --performance */
	struct host_reservation llcs;       /* the whole LLCs, held exclusively */
	struct host_reservation service;    /* one shared CPU, when the LLCs have none spare */
	struct host_placement place;
	struct perf_report *report;         /* the run's outcome's, where every setting is noted */
};

void performance_init(struct performance *p);

/* Every run: points p->report at the outcome's. With --performance: reserves the LLCs (waiting up to --wait-for-cpus; -EBUSY and
 * outcome->resources_busy when they stay taken), places the vCPUs and pins this process to
 * the service CPU so that every thread and device process started later stays there; checks
 * the TSC. */
int performance_place(const struct vmm_config *cfg, struct performance *p, struct outcome *o,
		      struct kerr *err);

/* Where vCPU i's thread runs (v->host_cpu, -1 when it floats) and whether it asks for
 * SCHED_FIFO (vcpu.c, priority 1). */
void performance_vcpu(const struct performance *p, unsigned i, struct vcpu *v);

/* After the vCPU threads started: how many got SCHED_FIFO. */
void performance_note_vcpus(const struct performance *p, const struct vcpu *v, unsigned n,
			    struct perf_report *r);

/* Guest RAM: 2 MiB pages when --performance and enough are free, else 4 KiB (noted). */
int performance_create_memory(const struct performance *p, const struct vmm_config *cfg,
			      struct guest_memory *m, struct perf_report *r, struct kerr *err);

/* After KVM maps guest RAM and before anything is loaded: each virtual node's RAM bound to
 * its host node, then all of it faulted in. Fails only when RAM on 2 MiB pages cannot be
 * faulted in (the guest would fail the same way later). */
int performance_bind_memory(const struct performance *p, struct guest_memory *m,
			    const struct acpi_mem_range *ranges, unsigned n, struct perf_report *r,
			    struct kerr *err);

/* Before the vCPUs exist: HLT/PAUSE exits, halt polling, the realtime CPUID hint (written
 * into kvm->supported_cpuid, which every vCPU's table starts from). */
void performance_kvm(const struct performance *p, struct kvm_vm *kvm, unsigned nvcpus,
		     struct perf_report *r);

/* The host's TSC: stable when the kernel's clocksource is the TSC and the CPUs say
 * constant_tsc and nonstop_tsc. Reads ROOT/sys and ROOT/proc. */
void performance_check_tsc(const char *root, struct perf_report *r);

void performance_release(struct performance *p);

#endif
