/* Long-mode entry state for the boot vCPU; see long_mode.h. */
#include "vmm/boot/long_mode.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#define GDT_ADDR   0x500ull
#define PML4_ADDR  0x9000ull
#define PDPT_ADDR  0xa000ull
#define PD_ADDR    0xb000ull   /* four page directories: 0xb000..0xefff */
#define BOOT_STACK 0x8ff0ull

#define PTE_PRESENT 0x1ull
#define PTE_WRITE   0x2ull
#define PTE_HUGE    0x80ull

#define CR0_PE 0x1ull
#define CR0_ET 0x10ull
#define CR0_PG 0x80000000ull
#define CR4_PAE 0x20ull
#define EFER_LME 0x100ull
#define EFER_LMA 0x400ull

#define BOOT_CS 0x10
#define BOOT_DS 0x18
#define BOOT_TSS 0x20

static const uint64_t gdt[] = {
	0,
	0,
	0x00af9b000000ffffull,  /* 0x10: 64-bit code */
	0x00cf93000000ffffull,  /* 0x18: data */
	0x00008b0000000067ull,  /* 0x20: a busy TSS, for the segment KVM requires in TR */
};

int long_mode_write_tables(struct guest_memory *mem, struct kerr *err)
{
	uint64_t *pml4 = guest_memory_ptr(mem, PML4_ADDR, 4096);
	uint64_t *pdpt = guest_memory_ptr(mem, PDPT_ADDR, 4096);
	uint64_t *pd = guest_memory_ptr(mem, PD_ADDR, 4ull * 4096);
	void *g = guest_memory_ptr(mem, GDT_ADDR, sizeof(gdt));

	if (!pml4 || !pdpt || !pd || !g)
		return kerr_set(err, ENOMEM, "boot page tables do not fit in guest RAM");
	memcpy(g, gdt, sizeof(gdt));
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = PDPT_ADDR | PTE_PRESENT | PTE_WRITE;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (PD_ADDR + i * 4096) | PTE_PRESENT | PTE_WRITE;
	for (uint64_t i = 0; i < 4ull * 512; i++)
		pd[i] = (i << 21) | PTE_PRESENT | PTE_WRITE | PTE_HUGE;
	return 0;
}

static struct kvm_segment segment(uint16_t selector, uint8_t type, uint8_t l, uint8_t db)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = selector, .type = type,
		.present = 1, .dpl = 0, .db = db, .s = 1, .l = l, .g = 1,
	};
}

static int set_sregs(int vcpu_fd, struct kerr *err)
{
	struct kvm_sregs s;

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return kerr_errno(err, errno, "KVM_GET_SREGS");
	s.cs = segment(BOOT_CS, 0xb, 1, 0);
	s.ds = s.es = s.fs = s.gs = s.ss = segment(BOOT_DS, 0x3, 0, 1);
	s.tr = (struct kvm_segment){ .base = 0, .limit = 0x67, .selector = BOOT_TSS, .type = 0xb,
				     .present = 1 };
	s.gdt.base = GDT_ADDR;
	s.gdt.limit = sizeof(gdt) - 1;
	s.idt.base = 0;
	s.idt.limit = 0;
	s.cr0 = CR0_PE | CR0_ET | CR0_PG;
	s.cr3 = PML4_ADDR;
	s.cr4 = CR4_PAE;
	s.efer = EFER_LME | EFER_LMA;
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &s) < 0)
		return kerr_errno(err, errno, "KVM_SET_SREGS (long mode)");
	return 0;
}

int long_mode_enter(int vcpu_fd, uint64_t rip, uint64_t zero_page, struct kerr *err)
{
	struct kvm_regs regs = { .rip = rip, .rsi = zero_page, .rsp = BOOT_STACK, .rflags = 0x2 };
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
	int r;

	if ((r = set_sregs(vcpu_fd, err)) < 0)
		return r;
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return kerr_errno(err, errno, "KVM_SET_REGS");
	if (ioctl(vcpu_fd, KVM_SET_FPU, &fpu) < 0)
		return kerr_errno(err, errno, "KVM_SET_FPU");
	return 0;
}
