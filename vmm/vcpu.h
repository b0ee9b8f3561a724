/* vCPUs: creation with CPUID, MSRs and LAPIC set up (secondaries wait for INIT/SIPI), and
 * one thread each running KVM_RUN and dispatching exits. */
#ifndef KTSTR_VMM_VCPU_H
#define KTSTR_VMM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <stdatomic.h>
#include <stddef.h>

#include "ipc/err.h"
#include "vmm/guest_memory.h"
#include "vmm/devices/io_bus.h"
#include "vmm/kvm.h"
#include "vmm/outcome.h"
#include "vmm/firmware/topology.h"

/* What a vCPU thread sees of its VM: the buses its exits go to, guest RAM (read only for
 * the instruction bytes of an internal error), the flag that stops it, and how it ends
 * the VM. */
struct vcpu_env {
	struct io_bus *pio;
	struct io_bus *mmio;
	const struct guest_memory *mem;
	const atomic_bool *stopping;
	void (*end)(void *opaque, enum vm_end_reason reason, const struct kerr *why);
	void *opaque;
};

struct vcpu {
	const struct vcpu_env *env;
	unsigned index;
	uint32_t apic_id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	bool started;
	int host_cpu;         /* the host CPU its thread runs on; -1: wherever the process may */
	bool fifo;            /* ask for SCHED_FIFO (--performance) */
	int fifo_err;         /* why SCHED_FIFO was refused (the thread runs without); 0: it was not */
};

/* The signal that kicks a vCPU thread out of KVM_RUN; installed once by vcpu_signals_init. */
int vcpu_signals_init(struct kerr *err);

int vcpu_create(struct vcpu *v, const struct vcpu_env *env, const struct kvm_vm *kvm,
		const struct topology *topo, unsigned index, uint32_t apic_id, struct kerr *err);
/* Starts its thread on v->host_cpu with SCHED_FIFO if v->fifo; when the host refuses the
 * policy, without it (v->fifo_err says why). */
int vcpu_start(struct vcpu *v, struct kerr *err);
void vcpu_kick(struct vcpu *v);
void vcpu_join(struct vcpu *v);
void vcpu_destroy(struct vcpu *v);

/* vcpu_exit.c: handles the exit in v->run; returns false when the vCPU should stop (the VM
 * was ended through env->end). */
bool vcpu_handle_exit(struct vcpu *v);

/* Ends the VM with a host error naming the vCPU, what failed and where. */
void vcpu_fail(struct vcpu *v, const char *what, unsigned long long detail);

#endif
