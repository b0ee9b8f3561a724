/* vCPU setup and run loop; see vcpu.h. */
#include "vmm/vcpu.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/firmware/cpuid.h"

#define VCPU_KICK_SIGNAL SIGUSR1
#define VCPU_FIFO_PRIORITY 1   /* the lowest: above every SCHED_OTHER thread, below the kernel's */
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MISC_ENABLE_FAST_STRING 0x1
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_EXTINT 0x7
#define APIC_MODE_NMI 0x4

static void kick_handler(int sig)
{
	(void)sig;   /* only there to make KVM_RUN return EINTR */
}

int vcpu_signals_init(struct kerr *err)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigemptyset(&sa.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0)
		return kerr_errno(err, errno, "sigaction for the vCPU kick signal");
	return 0;
}

static int setup_msrs(int fd, struct kerr *err)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[1];
	} m = { .hdr.nmsrs = 1, .e[0] = { .index = MSR_IA32_MISC_ENABLE,
					   .data = MISC_ENABLE_FAST_STRING } };

	if (ioctl(fd, KVM_SET_MSRS, &m) != 1)
		return kerr_errno(err, errno, "KVM_SET_MSRS");
	return 0;
}

static void set_lvt(struct kvm_lapic_state *l, int reg, uint32_t mode)
{
	uint32_t v;

	memcpy(&v, l->regs + reg, 4);
	v = (v & ~0x700u) | (mode << 8);
	memcpy(l->regs + reg, &v, 4);
}

/* LINT0 takes the legacy PIC's ExtINT, LINT1 the NMI: the wiring of a PC. */
static int setup_lapic(int fd, struct kerr *err)
{
	struct kvm_lapic_state l;

	if (ioctl(fd, KVM_GET_LAPIC, &l) < 0)
		return kerr_errno(err, errno, "KVM_GET_LAPIC");
	set_lvt(&l, APIC_LVT0, APIC_MODE_EXTINT);
	set_lvt(&l, APIC_LVT1, APIC_MODE_NMI);
	if (ioctl(fd, KVM_SET_LAPIC, &l) < 0)
		return kerr_errno(err, errno, "KVM_SET_LAPIC");
	return 0;
}

int vcpu_create(struct vcpu *v, const struct vcpu_env *env, const struct kvm_vm *kvm,
		const struct topology *topo, unsigned index, uint32_t apic_id, struct kerr *err)
{
	void *run;

	memset(v, 0, sizeof(*v));
	v->host_cpu = -1;
	v->env = env;
	v->index = index;
	v->apic_id = apic_id;
	v->run_size = (size_t)kvm->run_size;
	v->fd = ioctl(kvm->vm_fd, KVM_CREATE_VCPU, (unsigned long)apic_id);
	if (v->fd < 0)
		return kerr_errno(err, errno, "KVM_CREATE_VCPU %u (APIC ID %u)", index, apic_id);
	run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (run == MAP_FAILED)
		return kerr_errno(err, errno, "map kvm_run of vCPU %u", index);
	v->run = run;
	if (cpuid_setup_vcpu(v->fd, kvm->supported_cpuid, topo, apic_id, err) < 0 ||
	    setup_msrs(v->fd, err) < 0 || setup_lapic(v->fd, err) < 0)
		return kerr_wrap(err, "vCPU %u", index);
	return 0;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;

	while (!atomic_load(v->env->stopping)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			vcpu_fail(v, "KVM_RUN failed", (unsigned long long)errno);
			break;
		}
		if (!vcpu_handle_exit(v))
			break;
	}
	return NULL;
}

static int start_thread(struct vcpu *v, bool fifo)
{
	struct sched_param prio = { .sched_priority = VCPU_FIFO_PRIORITY };
	pthread_attr_t attr;
	cpu_set_t cpu;
	int r;

	if ((r = pthread_attr_init(&attr)) != 0)
		return r;
	CPU_ZERO(&cpu);
	if (v->host_cpu >= 0) {
		CPU_SET(v->host_cpu, &cpu);
		r = pthread_attr_setaffinity_np(&attr, sizeof(cpu), &cpu);
	}
	if (r == 0 && fifo && (r = pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED)) == 0 &&
	    (r = pthread_attr_setschedpolicy(&attr, SCHED_FIFO)) == 0)
		r = pthread_attr_setschedparam(&attr, &prio);
	if (r == 0)
		r = pthread_create(&v->thread, &attr, vcpu_thread, v);
	pthread_attr_destroy(&attr);
	return r;
}

int vcpu_start(struct vcpu *v, struct kerr *err)
{
	int r = start_thread(v, v->fifo);
	char name[16];

	if (r == EPERM && v->fifo) {
		v->fifo_err = r;
		r = start_thread(v, false);
	}
	if (r != 0)
		return kerr_errno(err, r, "start the thread of vCPU %u%s", v->index,
				  v->host_cpu >= 0 ? " on its host CPU" : "");
	v->started = true;
	snprintf(name, sizeof(name), "vcpu%u", v->index);   /* what top -H and /proc show */
	pthread_setname_np(v->thread, name);
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (!v->started)
		return;
	v->run->immediate_exit = 1;
	pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

void vcpu_join(struct vcpu *v)
{
	if (v->started)
		pthread_join(v->thread, NULL);
	v->started = false;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->fd > 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}
