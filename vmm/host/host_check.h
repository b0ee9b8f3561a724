/* What this host offers ktstr-vmm: which KVM backs /dev/kvm and whether it can boot a stock
 * x86-64 kernel, the KVM capabilities ktstr-vmm needs, seccomp, user namespaces for strict,
 * the initramfs cache, hugepages and the CPUs it may use. `ktstr-vmm --check-host` prints
 * it; a run refuses a KVM that cannot boot a stock kernel before it builds anything. */
#ifndef KTSTR_VMM_HOST_CHECK_H
#define KTSTR_VMM_HOST_CHECK_H

#include <stdbool.h>
#include <stdio.h>

#include "ipc/err.h"

enum host_kvm_kind {
	HOST_KVM_NONE,      /* no /dev/kvm */
	HOST_KVM_INTEL,     /* kvm_intel: hardware VT-x */
	HOST_KVM_AMD,       /* kvm_amd: hardware SVM */
	HOST_KVM_PVM,       /* kvm_pvm: runs only PVM-enabled guest kernels */
	HOST_KVM_UNKNOWN,   /* /dev/kvm without a module we know */
};

/* The KVM behind root/dev/kvm, read from root/sys/module and root/proc/cpuinfo. */
struct host_kvm {
	enum host_kvm_kind kind;
	/* The CPU's flags: read by host_kvm_identify only when no module says which KVM this
	 * is, and always by the host check. */
	bool cpu_vmx, cpu_svm;
	bool cpu_hypervisor;        /* this host is itself a VM */
	bool stock_kernels;         /* a stock x86-64 kernel can boot on it */
};

enum host_status { HOST_OK, HOST_WARN, HOST_FAIL };

#define HOST_TEXT_MAX   320
#define HOST_MAX_CHECKS 12

struct host_check {
	const char *name;
	enum host_status status;
	char detail[HOST_TEXT_MAX];
	char fix[HOST_TEXT_MAX];     /* empty when nothing is to be done */
};

struct host_report {
	struct host_kvm kvm;
	struct host_check checks[HOST_MAX_CHECKS];
	unsigned n;
	bool native_boot;            /* no check failed: ktstr-vmm can boot a stock kernel here */
};

/* Where the checks look: "/" on a real host, a fake tree in tests. */
struct host_env {
	const char *root;
	bool live;                   /* root is this host: fork a child to try user namespaces */
};

void host_kvm_identify(const char *root, struct host_kvm *kvm);
const char *host_kvm_name(enum host_kvm_kind kind);

/* Before a run: an error naming the reason and the way out when the KVM here cannot boot a
 * stock kernel (none at all, or PVM); 0 otherwise, also when the kind is unknown. */
int host_refuse_unbootable(const struct host_kvm *kvm, struct kerr *err);

void host_check_run(const struct host_env *env, struct host_report *r);

/* One line per check and a verdict (text), or one JSON object. */
void host_report_print(const struct host_report *r, FILE *f);
void host_report_print_json(const struct host_report *r, FILE *f);
const char *host_status_name(enum host_status s);

#endif
