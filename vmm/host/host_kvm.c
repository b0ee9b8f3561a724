/* Which KVM backs /dev/kvm and what it can do: the module in /sys/module (a PVM host has
 * kvm_pvm and no kvm_intel/kvm_amd, and boots only PVM-enabled guest kernels), the CPU's
 * flags where the module does not say, the capabilities a run uses, and a VM created the
 * way a run creates it. */
#include "vmm/host/host_check_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/firmware/acpi.h"
#include "vmm/kvm.h"

#define NESTED_HINT "scripts/nested-kvm; make demo, make check and make bench pick it by themselves"

static bool exists(const char *root, const char *rel)
{
	char path[4096];
	struct stat st;

	host_path(path, sizeof(path), root, rel);
	return stat(path, &st) == 0;
}

/* The first "flags" line of cpuinfo: every CPU has the same virtualization flags. */
static void read_cpu_flags(const char *root, struct host_kvm *kvm)
{
	char line[8192];

	if (!host_cpuinfo_flags(root, line, sizeof(line)))
		return;
	kvm->cpu_vmx = host_has_word(strchr(line, ':'), "vmx");
	kvm->cpu_svm = host_has_word(strchr(line, ':'), "svm");
	kvm->cpu_hypervisor = host_has_word(strchr(line, ':'), "hypervisor");
}

void host_kvm_identify(const char *root, struct host_kvm *kvm)
{
	memset(kvm, 0, sizeof(*kvm));
	if (!exists(root, "/dev/kvm"))
		kvm->kind = HOST_KVM_NONE;
	else if (exists(root, "/sys/module/kvm_pvm"))
		kvm->kind = HOST_KVM_PVM;
	else if (exists(root, "/sys/module/kvm_intel"))
		kvm->kind = HOST_KVM_INTEL;
	else if (exists(root, "/sys/module/kvm_amd"))
		kvm->kind = HOST_KVM_AMD;
	else
		kvm->kind = HOST_KVM_UNKNOWN;
	if (kvm->kind == HOST_KVM_NONE || kvm->kind == HOST_KVM_UNKNOWN)
		read_cpu_flags(root, kvm);
	kvm->stock_kernels = kvm->kind == HOST_KVM_INTEL || kvm->kind == HOST_KVM_AMD ||
			     (kvm->kind == HOST_KVM_UNKNOWN && (kvm->cpu_vmx || kvm->cpu_svm));
}

const char *host_kvm_name(enum host_kvm_kind kind)
{
	switch (kind) {
	case HOST_KVM_NONE: return "none";
	case HOST_KVM_INTEL: return "kvm_intel";
	case HOST_KVM_AMD: return "kvm_amd";
	case HOST_KVM_PVM: return "kvm_pvm";
	default: return "unknown";
	}
}

static const char *cpu_offers(const struct host_kvm *kvm)
{
	return kvm->cpu_vmx ? "the CPU offers VT-x: modprobe kvm_intel" :
	       kvm->cpu_svm ? "the CPU offers SVM: modprobe kvm_amd" :
	       "the CPU offers neither VT-x nor SVM";
}

int host_refuse_unbootable(const struct host_kvm *kvm, struct kerr *err)
{
	if (kvm->kind == HOST_KVM_NONE)
		return kerr_set(err, ENODEV, "this host has no /dev/kvm (%s); or boot through the "
				"nested harness (%s)", cpu_offers(kvm), NESTED_HINT);
	if (kvm->kind == HOST_KVM_PVM)
		return kerr_set(err, ENOTSUP, "this host's /dev/kvm is PVM (kvm_pvm), which runs only "
				"PVM-enabled guest kernels: a stock x86-64 kernel never reaches /init there "
				"(it stalls, or dies with a KVM internal error). Boot through the nested "
				"harness (%s) or on a host with kvm_intel or kvm_amd; --no-host-check boots "
				"anyway (a PVM-enabled kernel). See ktstr-vmm --check-host", NESTED_HINT);
	if (kvm->kind == HOST_KVM_UNKNOWN && !kvm->stock_kernels)
		return kerr_set(err, ENOTSUP, "this host's /dev/kvm is backed by no module ktstr-vmm "
				"knows and the CPU shows neither VT-x nor SVM, so a stock kernel cannot "
				"boot here. Boot through the nested harness (%s); --no-host-check boots "
				"anyway", NESTED_HINT);
	return 0;
}

static void check_device(const struct host_env *env, struct host_report *r, int *fd)
{
	char path[4096];
	struct host_check *c;
	struct stat st;

	host_path(path, sizeof(path), env->root, "/dev/kvm");
	*fd = -1;
	if (stat(path, &st) < 0) {
		c = host_add(r, "kvm-device", HOST_FAIL, "%s: %s", path, strerror(errno));
		host_fix(c, "load kvm_intel or kvm_amd, or boot through the nested harness (%s)",
			 NESTED_HINT);
		return;
	}
	if (!S_ISCHR(st.st_mode)) {
		host_add(r, "kvm-device", HOST_FAIL, "%s is not a character device", path);
		return;
	}
	*fd = open(path, O_RDWR | O_CLOEXEC);
	if (*fd < 0) {
		c = host_add(r, "kvm-device", HOST_FAIL, "%s cannot be opened read-write: %s", path,
			     strerror(errno));
		if (errno == EACCES)
			host_fix(c, "join its group (usually kvm: sudo usermod -aG kvm $USER, then log "
				 "in again)");
		return;
	}
	host_add(r, "kvm-device", HOST_OK, "%s present and opened read-write", path);
}

static void check_kind(struct host_report *r)
{
	const struct host_kvm *k = &r->kvm;
	struct host_check *c;

	switch (k->kind) {
	case HOST_KVM_INTEL:
		host_add(r, "kvm-kind", HOST_OK, "kvm_intel (hardware VT-x): boots stock x86-64 kernels");
		return;
	case HOST_KVM_AMD:
		host_add(r, "kvm-kind", HOST_OK, "kvm_amd (hardware SVM): boots stock x86-64 kernels");
		return;
	case HOST_KVM_PVM:
		c = host_add(r, "kvm-kind", HOST_FAIL, "kvm_pvm (PVM) backs /dev/kvm: it runs only "
			     "PVM-enabled guest kernels; a stock x86-64 kernel never reaches /init (it "
			     "stalls, or dies with a KVM internal error)");
		host_fix(c, "boot through the nested harness (%s), or use a host with kvm_intel or "
			 "kvm_amd", NESTED_HINT);
		return;
	case HOST_KVM_UNKNOWN:
		c = host_add(r, "kvm-kind", k->stock_kernels ? HOST_WARN : HOST_FAIL, "no kvm_intel, "
			     "kvm_amd or kvm_pvm in /sys/module; the CPU shows %s", k->cpu_vmx ? "VT-x" :
			     k->cpu_svm ? "SVM" : "neither VT-x nor SVM");
		host_fix(c, k->stock_kernels ? "none needed if boots work; else use the nested harness "
			 "(%s)" : "boot through the nested harness (%s)", NESTED_HINT);
		return;
	default:
		c = host_add(r, "kvm-kind", HOST_FAIL, "no /dev/kvm, so no KVM to boot on");
		host_fix(c, "%s", cpu_offers(k));
		return;
	}
}

static const struct {
	int cap;
	const char *name;
} needed_caps[] = {
	{ KVM_CAP_USER_MEMORY, "user memory" },
	{ KVM_CAP_IRQCHIP, "irqchip" },
	{ KVM_CAP_PIT2, "PIT" },
	{ KVM_CAP_IOEVENTFD, "ioeventfd" },
	{ KVM_CAP_IRQFD, "irqfd" },
	{ KVM_CAP_SET_TSS_ADDR, "TSS address" },
	{ KVM_CAP_SET_IDENTITY_MAP_ADDR, "identity map address" },
	{ KVM_CAP_EXT_CPUID, "CPUID" },
	{ KVM_CAP_IMMEDIATE_EXIT, "immediate exit" },
};

static void check_caps(int fd, struct host_report *r)
{
	char missing[HOST_TEXT_MAX] = "";
	size_t used = 0;
	int slots, vcpus, v;

	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		host_add(r, "kvm-api", HOST_FAIL, "KVM_GET_API_VERSION: %s", v < 0 ? strerror(errno) :
			 "not version 12");
		return;
	}
	for (unsigned i = 0; i < sizeof(needed_caps) / sizeof(needed_caps[0]); i++)
		if (ioctl(fd, KVM_CHECK_EXTENSION, needed_caps[i].cap) <= 0 && used < sizeof(missing))
			used += (size_t)snprintf(missing + used, sizeof(missing) - used, "%s%s",
						 used ? ", " : "", needed_caps[i].name);
	slots = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	vcpus = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (used) {
		host_add(r, "kvm-api", HOST_FAIL, "API 12 but missing: %s", missing);
		return;
	}
	if (slots < ACPI_MAX_MEM_RANGES) {
		host_add(r, "kvm-api", HOST_FAIL, "%d memory slots, fewer than the %d a run may use",
			 slots, ACPI_MAX_MEM_RANGES);
		return;
	}
	host_add(r, "kvm-api", HOST_OK, "API 12: user memory (%d slots), irqchip, PIT, ioeventfd, "
		 "irqfd, TSS and identity map, CPUID, immediate exit; up to %d vCPUs", slots, vcpus);
}

/* A VM made by the same code a run uses, and one vCPU. */
static void check_vm(int fd, struct host_report *r)
{
	struct kvm_vm vm;
	struct kerr err = { 0 };
	int vcpu;

	if (kvm_vm_create_on(&vm, fd, &err) < 0) {
		host_add(r, "kvm-vm", HOST_FAIL, "creating a VM as a run does failed: %s", err.msg);
		kvm_vm_destroy(&vm);
		return;
	}
	vcpu = ioctl(vm.vm_fd, KVM_CREATE_VCPU, 0ul);
	if (vcpu < 0)
		host_add(r, "kvm-vm", HOST_FAIL, "KVM_CREATE_VCPU: %s", strerror(errno));
	else
		host_add(r, "kvm-vm", HOST_OK, "created a VM as a run does (irqchip, PIT, %u CPUID "
			 "leaves) and a vCPU", vm.supported_cpuid->nent);
	if (vcpu >= 0)
		close(vcpu);
	kvm_vm_destroy(&vm);
}

static void check_nested(const struct host_env *env, struct host_report *r)
{
	const char *mod = r->kvm.kind == HOST_KVM_AMD ? "kvm_amd" : "kvm_intel";
	const char *vm = r->kvm.cpu_hypervisor ? "this host is itself a virtual machine (cpuinfo: "
			 "hypervisor)" : "this host runs on bare metal (no hypervisor flag)";
	char v[16], rel[64];

	snprintf(rel, sizeof(rel), "/sys/module/%s/parameters/nested", mod);
	if ((r->kvm.kind != HOST_KVM_INTEL && r->kvm.kind != HOST_KVM_AMD) ||
	    !host_read_line(env->root, rel, v, sizeof(v))) {
		host_add(r, "kvm-nested", HOST_OK, "%s; KVM's nested parameter is not readable (only "
			 "kvm_intel and kvm_amd have one)", vm);
		return;
	}
	host_add(r, "kvm-nested", HOST_OK, "%s; %s nested=%s: KVM %s nested virtualization to "
		 "its guests", vm, mod, v, (v[0] == 'Y' || v[0] == '1') ? "offers" : "does not offer");
}

void host_check_kvm(const struct host_env *env, struct host_report *r)
{
	int fd;

	/* host_kvm_identify read the flags only where no module says which KVM this is. */
	if (r->kvm.kind != HOST_KVM_NONE && r->kvm.kind != HOST_KVM_UNKNOWN)
		read_cpu_flags(env->root, &r->kvm);
	check_device(env, r, &fd);
	check_kind(r);
	if (fd >= 0) {
		check_caps(fd, r);
		if (r->checks[r->n - 1].status == HOST_OK)
			check_vm(fd, r);   /* closes fd */
		else
			close(fd);
	}
	check_nested(env, r);
}
