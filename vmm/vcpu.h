/* vCPUs: creation with CPUID, MSRs and LAPIC set up (secondaries wait for INIT/SIPI), and
 * one thread each running KVM_RUN and dispatching exits. */
#ifndef KTSTR_VMM_VCPU_H
#define KTSTR_VMM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "ipc/err.h"

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned index;
	uint32_t apic_id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
};

/* The signal that kicks a vCPU thread out of KVM_RUN; installed once by vcpu_signals_init. */
int vcpu_signals_init(struct kerr *err);

int vcpu_create(struct vcpu *v, struct vm *vm, unsigned index, uint32_t apic_id, struct kerr *err);
int vcpu_start(struct vcpu *v, struct kerr *err);
void vcpu_kick(struct vcpu *v);
void vcpu_join(struct vcpu *v);
void vcpu_destroy(struct vcpu *v);

#endif
