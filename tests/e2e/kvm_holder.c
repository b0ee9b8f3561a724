/* Runs in the nested harness's L1 guest, beside the suite: keeps one idle KVM VM (with an
 * in-kernel irqchip and one vCPU that never runs) open for the whole run. Creating the first
 * VM and destroying the last one flip static keys in the L1 kernel (KVM's preempt notifiers
 * live in __schedule; the LAPIC keys), and each flip rewrites kernel text while the other
 * vCPU executes it: under QEMU's multi-threaded TCG that occasionally crashes the L1 kernel
 * (seen: invalid opcode in __schedule, int3 Oops in patched KVM code). With this VM held, the
 * suite's VMs never take those keys through 0, so the text stays as it is.
 * usage: kvm-holder  (runs until killed) */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm, vcpu;

	if (kvm < 0 || (vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0 ||
	    ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0 || (vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0) {
		perror("kvm-holder");
		return 1;
	}
	(void)vcpu;
	printf("kvm-holder: holding an idle VM\n");
	fflush(stdout);
	for (;;)
		pause();
}
