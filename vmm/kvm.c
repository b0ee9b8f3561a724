/* Opening KVM and creating the VM with its in-kernel irqchip and PIT. */
#include "vmm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Intel needs these two pages below 4 GiB for real-mode emulation; harmless on AMD. */
#define KVM_TSS_ADDR          0xfffbd000ul
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000ull
#define CPUID_MAX_ENTRIES     256

static int get_supported_cpuid(struct kvm_vm *vm, struct kerr *err)
{
	size_t sz = sizeof(struct kvm_cpuid2) + CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2);

	vm->supported_cpuid = calloc(1, sz);
	if (!vm->supported_cpuid)
		return kerr_set(err, ENOMEM, "allocate the CPUID table");
	vm->supported_cpuid->nent = CPUID_MAX_ENTRIES;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, vm->supported_cpuid) < 0)
		return kerr_errno(err, errno, "KVM_GET_SUPPORTED_CPUID");
	return 0;
}

static int open_kvm(struct kvm_vm *vm, struct kerr *err)
{
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0 && errno == ENOENT)
		return kerr_errno(err, errno, "open /dev/kvm (this host has no KVM: load kvm-intel or "
				  "kvm-amd, or run the e2e suite through scripts/nested-kvm)");
	if (vm->kvm_fd < 0 && errno == EACCES)
		return kerr_errno(err, errno, "open /dev/kvm (add yourself to its group, usually kvm)");
	if (vm->kvm_fd < 0)
		return kerr_errno(err, errno, "open /dev/kvm");
	return 0;
}

static int query_kvm(struct kvm_vm *vm, struct kerr *err)
{
	int v = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);

	if (v < 0)
		return kerr_errno(err, errno, "KVM_GET_API_VERSION (is /dev/kvm a KVM device?)");
	if (v != KVM_API_VERSION)
		return kerr_set(err, ENOTSUP, "/dev/kvm speaks API version %d, not %d", v, KVM_API_VERSION);
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < (int)sizeof(struct kvm_run))
		return kerr_errno(err, errno, "KVM_GET_VCPU_MMAP_SIZE");
	v = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);
	vm->max_vcpu_id = v > 0 ? (unsigned)v : 255;
	return get_supported_cpuid(vm, err);
}

int kvm_vm_create_on(struct kvm_vm *vm, int kvm_fd, struct kerr *err)
{
	struct kvm_pit_config pit = { .flags = 0 };
	__u64 idmap = KVM_IDENTITY_MAP_ADDR;
	int r;

	vm->kvm_fd = kvm_fd;
	vm->vm_fd = -1;
	vm->supported_cpuid = NULL;
	if ((r = query_kvm(vm, err)) < 0)
		return r;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return kerr_errno(err, errno, "KVM_CREATE_VM");
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0)
		return kerr_errno(err, errno, "KVM_SET_TSS_ADDR");
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		return kerr_errno(err, errno, "KVM_SET_IDENTITY_MAP_ADDR");
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return kerr_errno(err, errno, "KVM_CREATE_IRQCHIP");
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return kerr_errno(err, errno, "KVM_CREATE_PIT2");
	return 0;
}

int kvm_vm_create(struct kvm_vm *vm, struct kerr *err)
{
	int r;

	vm->vm_fd = -1;
	vm->supported_cpuid = NULL;
	if ((r = open_kvm(vm, err)) < 0)
		return r;
	return kvm_vm_create_on(vm, vm->kvm_fd, err);
}

void kvm_vm_destroy(struct kvm_vm *vm)
{
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	free(vm->supported_cpuid);
	vm->vm_fd = vm->kvm_fd = -1;
	vm->supported_cpuid = NULL;
}

int kvm_vm_map_memory(struct kvm_vm *vm, const struct guest_memory *mem,
		      const struct guest_region *pieces, unsigned n, struct kerr *err)
{
	for (unsigned i = 0; i < n; i++) {
		const struct guest_region *g = &pieces[i];
		struct kvm_userspace_memory_region r = {
			.slot = i, .guest_phys_addr = g->gpa, .memory_size = g->size,
			.userspace_addr = (uint64_t)(uintptr_t)(mem->base + g->offset),
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			return kerr_errno(err, errno, "KVM_SET_USER_MEMORY_REGION slot %u at 0x%llx (%llu MiB)",
					  i, (unsigned long long)g->gpa, (unsigned long long)(g->size >> 20));
	}
	return 0;
}

int kvm_vm_irq_line(struct kvm_vm *vm, unsigned gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0 ? -errno : 0;
}

int kvm_vm_ioeventfd(struct kvm_vm *vm, uint64_t addr, uint32_t datamatch, int fd, struct kerr *err)
{
	struct kvm_ioeventfd io = { .datamatch = datamatch, .addr = addr, .len = 4, .fd = fd,
				    .flags = KVM_IOEVENTFD_FLAG_DATAMATCH };

	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
		return kerr_errno(err, errno, "KVM_IOEVENTFD at 0x%llx for value %u",
				  (unsigned long long)addr, datamatch);
	return 0;
}

int kvm_vm_irqfd(struct kvm_vm *vm, int fd, unsigned gsi, struct kerr *err)
{
	struct kvm_irqfd irq = { .fd = (uint32_t)fd, .gsi = gsi };

	if (ioctl(vm->vm_fd, KVM_IRQFD, &irq) < 0)
		return kerr_errno(err, errno, "KVM_IRQFD for GSI %u", gsi);
	return 0;
}
