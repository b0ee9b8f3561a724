/* --performance: placement, vCPU threads, KVM settings, the TSC; see performance.h. RAM is
 * in performance_memory.c. */
#include "vmm/performance.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/firmware/cpuid.h"
#include "vmm/host/host_files.h"

#define DISABLE_WANTED (KVM_X86_DISABLE_EXITS_HLT | KVM_X86_DISABLE_EXITS_PAUSE)

void performance_init(struct performance *p)
{
	memset(p, 0, sizeof(*p));
	p->place.service_cpu = HOST_PLACEMENT_NO_CPU;
}

/* A shared CPU outside the VM's LLCs for the service threads, when the LLCs have none left.
 * Without one vmm and the devices would share CPUs with SCHED_FIFO vCPUs that never sleep
 * (HLT stays in the guest): starved. So none free is "resources busy". */
static int find_service_cpu(struct performance *p, const char *dir, struct kerr *err)
{
	int r;

	if (p->place.service_cpu != HOST_PLACEMENT_NO_CPU)
		return 0;
	if ((r = host_reserve(dir, p->host, 1, HOST_RESERVE_SHARED, &p->service, err)) == 0)
		p->place.service_cpu = p->service.cpu[0];
	else if (r == -EBUSY)
		kerr_set(err, EBUSY, "resources busy: the VM's LLCs have no CPU left for vmm and its "
			 "devices, and every other host CPU is held exclusively (%s)", dir);
	return r;
}

static void note_placement(const struct performance *p, const struct vmm_config *cfg, struct outcome *o)
{
	unsigned all[HOST_MAX_CPUS + 1], n = 0;
	char vcpus[400];

	for (unsigned i = 0; i < p->place.nvcpus; i++)
		all[n++] = p->place.vcpu_cpu[i];
	host_cpulist_format(all, n, vcpus, sizeof(vcpus));
	all[n++] = p->place.service_cpu;
	perf_note(&o->performance, "service_cpu", true, "host CPU %u: vmm's threads and the device "
		  "processes", p->place.service_cpu);
	host_cpulist_format(all, n, o->host_cpus, sizeof(o->host_cpus));
	perf_note(&o->performance, "placement", true, "vCPU threads on host CPU%s %s, one each, in "
		  "%u whole host LLC%s held exclusively", p->place.nvcpus == 1 ? "" : "s", vcpus,
		  cfg->topo.llcs, cfg->topo.llcs == 1 ? "" : "s");
}

int performance_place(const struct vmm_config *cfg, struct performance *p, struct outcome *o,
		      struct kerr *err)
{
	const char *dir = host_lock_dir();
	const struct topology *vt = &cfg->topo;
	int r;

	p->report = &o->performance;
	o->performance.requested = p->on = cfg->performance;
	if (!p->on)
		return 0;
	if (!(p->host = malloc(sizeof(*p->host))))
		return kerr_set(err, ENOMEM, "--performance");
	if ((r = host_topology_read("/", p->host, err)) < 0 || (r = host_placement_fits(p->host, vt, err)) < 0)
		return r;
	r = host_reserve_llcs_wait(dir, p->host, vt->llcs, vt->cores_per_llc * vt->threads_per_core,
				   cfg->wait_for_cpus_s, &p->llcs, err);
	o->resources_busy = r == -EBUSY;
	if (r < 0)
		return kerr_wrap(err, "--performance");
	if ((r = host_placement_make(p->host, &p->llcs, vt, &p->place, err)) < 0)
		return r;
	if ((r = find_service_cpu(p, dir, err)) < 0) {
		o->resources_busy = r == -EBUSY;
		return kerr_wrap(err, "--performance");
	}
	/* vmm's threads, and every one and every device process started later, stay there */
	if (host_pin_to(&p->place.service_cpu, 1, err) < 0)
		return kerr_wrap(err, "--performance: vmm's service CPU");
	note_placement(p, cfg, o);
	performance_check_tsc("/", &o->performance);
	return 0;
}

void performance_vcpu(const struct performance *p, unsigned i, struct vcpu *v)
{
	v->host_cpu = p->on && i < p->place.nvcpus ? (int)p->place.vcpu_cpu[i] : -1;
	v->fifo = p->on;
}

/* What the kernel's RT throttling leaves real-time threads (sched_rt_runtime_us of every
 * sched_rt_period_us): a vCPU that never sleeps is stopped for the rest. */
static const char *rt_share(char *buf, size_t size)
{
	char runtime[32] = "", period[32] = "";

	if (!host_read_line("/", "/proc/sys/kernel/sched_rt_runtime_us", runtime, sizeof(runtime)) ||
	    !host_read_line("/", "/proc/sys/kernel/sched_rt_period_us", period, sizeof(period)))
		snprintf(buf, size, "the kernel's RT throttling is unknown");
	else if (strcmp(runtime, "-1") == 0)
		snprintf(buf, size, "no RT throttling (sched_rt_runtime_us -1): per-CPU kernel threads "
			 "on the vCPUs' CPUs wait for the guest to idle");
	else
		snprintf(buf, size, "RT throttling gives them %s of every %s us", runtime, period);
	return buf;
}

void performance_note_vcpus(const struct performance *p, const struct vcpu *v, unsigned n,
			    struct perf_report *r)
{
	unsigned refused = 0;
	int why = 0;

	if (!p->on)
		return;
	for (unsigned i = 0; i < n; i++)
		if (v[i].fifo_err)
			refused++, why = v[i].fifo_err;
	if (!refused) {
		char share[160];

		perf_note(r, "sched_fifo", true, "priority 1 on %u vCPU thread%s; %s", n, n == 1 ? "" : "s",
			  rt_share(share, sizeof(share)));
	} else
		perf_note(r, "sched_fifo", false, "%s (it needs CAP_SYS_NICE or an RLIMIT_RTPRIO of at "
			  "least 1): %u of %u vCPU threads run SCHED_OTHER", strerror(why), refused, n);
}

static void set_halt_poll(const struct performance *p, struct kvm_vm *kvm, unsigned nvcpus,
			  struct perf_report *r)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_HALT_POLL };
	cpu_set_t mine;
	unsigned usable = sched_getaffinity(0, sizeof(mine), &mine) == 0 ? (unsigned)CPU_COUNT(&mine) : 1;
	const struct perf_setting *exits = perf_find(r, "disable_exits");

	if (!p->on && nvcpus <= usable)
		return;   /* the vCPUs fit: KVM's own halt polling */
	if (p->on && exits && exits->applied) {
		perf_note(r, "halt_poll", true, "not needed: HLT stays in the guest, KVM never sees a halt to poll on");
		return;
	}
	cap.args[0] = p->on ? PERF_HALT_POLL_NS : 0;
	if (ioctl(kvm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_HALT_POLL) <= 0)
		perf_note(r, "halt_poll", false, "this KVM has no per-VM halt polling (KVM_CAP_HALT_POLL)");
	else if (ioctl(kvm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		perf_note(r, "halt_poll", false, "KVM_ENABLE_CAP(KVM_CAP_HALT_POLL): %s", strerror(errno));
	else if (p->on)
		perf_note(r, "halt_poll", true, "%u ns: each vCPU has a host CPU to itself", PERF_HALT_POLL_NS);
	else
		perf_note(r, "halt_poll", true, "off: %u vCPUs on %u host CPUs, a polling vCPU would keep "
			  "another from running", nvcpus, usable);
}

static void disable_exits(struct kvm_vm *kvm, struct perf_report *r)
{
	int allowed = ioctl(kvm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_DISABLE_EXITS);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_DISABLE_EXITS };
	unsigned set = allowed > 0 ? (unsigned)allowed & DISABLE_WANTED : 0;

	cap.args[0] = set;
	if (set && ioctl(kvm->vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
		perf_note(r, "disable_exits", false, "KVM_ENABLE_CAP(KVM_CAP_X86_DISABLE_EXITS): %s",
			  strerror(errno));
		return;
	}
	if (set == DISABLE_WANTED)
		perf_note(r, "disable_exits", true, "HLT and PAUSE run in the guest without exits");
	else if (set)
		perf_note(r, "disable_exits", false, "only %s stays in the guest: this KVM keeps %s exiting",
			  set & KVM_X86_DISABLE_EXITS_HLT ? "HLT" : "PAUSE",
			  set & KVM_X86_DISABLE_EXITS_HLT ? "PAUSE" : "HLT");
	else
		perf_note(r, "disable_exits", false, "this KVM keeps HLT and PAUSE exiting "
			  "(KVM_CAP_X86_DISABLE_EXITS offers 0x%x)", allowed > 0 ? (unsigned)allowed : 0);
}

void performance_kvm(const struct performance *p, struct kvm_vm *kvm, unsigned nvcpus,
		     struct perf_report *r)
{
	if (p->on)
		disable_exits(kvm, r);
	set_halt_poll(p, kvm, nvcpus, r);
	if (!p->on)
		return;
	if (cpuid_set_realtime_hint(kvm->supported_cpuid))
		perf_note(r, "realtime_hint", true, "KVM_HINTS_REALTIME in CPUID 0x40000001 EDX: the "
			  "guest may poll when idle (cpuidle-haltpoll) and skips paravirt spinlocks");
	else
		perf_note(r, "realtime_hint", false, "this KVM offers no CPUID leaf 0x40000001");
}


void performance_check_tsc(const char *root, struct perf_report *r)
{
	char source[64] = "", flags[8192];
	bool have = host_cpuinfo_flags(root, flags, sizeof(flags));
	bool constant = have && host_has_word(flags, "constant_tsc"), nonstop = have && host_has_word(flags, "nonstop_tsc");

	if (!host_read_line(root, "/sys/devices/system/clocksource/clocksource0/current_clocksource", source,
			    sizeof(source)))
		snprintf(source, sizeof(source), "unknown");
	if (strcmp(source, "tsc") == 0 && constant && nonstop)
		perf_note(r, "tsc", true, "stable: the host clocksource is tsc, with constant_tsc and nonstop_tsc");
	else
		perf_note(r, "tsc", false, "not known stable: the host clocksource is %s%s%s; guest time "
			  "may drift from the host's", source, constant ? "" : ", no constant_tsc",
			  nonstop ? "" : ", no nonstop_tsc");
}

void performance_release(struct performance *p)
{
	host_release(&p->llcs);
	host_release(&p->service);
	free(p->host);
	p->host = NULL;
}
