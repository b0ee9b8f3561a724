/* vmm/: the main process, the one that owns /dev/kvm. The front door: main() needs only
 * this header. How the parts fit, from the command line down:
 *
 *   main.c, cli.c, topology_opt.c, disk.c   the command line into a struct vmm_config
 *   vm.c                 one VM's lifetime: build it, run it (supervise.c), end it, and
 *                        record the outcome (outcome.c, frames.c, json.c for --results)
 *   vm_virtio.c          the device-slot table: which virtio device sits in which window
 *   vcpu.c, vcpu_exit.c  vCPU threads and their exits (to the buses, or the VM's end),
 *                        vcpu_fault.c saying what KVM reported when it gave up
 *   kvm.c, guest_memory.c  the KVM VM (irqchip, PIT, memory slots) and guest RAM (a memfd)
 *   performance.c, performance_memory.c  --performance: placement on whole host LLCs, vCPU
 *                        threads pinned at SCHED_FIFO, huge pages, mbind and prefault, KVM's
 *                        exits, halt polling and hints; perf_report.c what was applied
 *
 *   boot/      what is loaded before the first instruction: the bzImage and boot_params,
 *              the kernel command line, the initramfs (opened, or built through initgen),
 *              long-mode page tables and GDT
 *   firmware/  what the guest's kernel reads to learn the machine: CPU topology and NUMA
 *              layout, CPUID, ACPI tables (AML for the DSDT) and the MP table
 *   devices/   register models that run on vCPU threads: the io bus, UARTs, the i8042
 *              reset line, virtio-mmio transport registers. They parse only register
 *              accesses; everything the guest puts in memory goes to a device process
 *   devhost/   vmm's side of the sandboxed device processes (ktstr-devproc): spawning and
 *              talking to them (devhost.c), a virtio device's eventfds and registers
 *              (virtio_host.c), the COM rings to the serial device (serial_host.c)
 *   host/      --check-host: whether this host's KVM can boot a stock kernel; the host's
 *              CPUs (host_topology.c), reserving them for a run (host_reserve.c, which
 *              cpu_cap.c uses for --cpu-cap) and placing a VM on them (host_placement.c)
 *
 * Nothing in a folder knows struct vm (vcpu.c neither: it sees a struct vcpu_env);
 * devices/ and firmware/ know nothing of the command line or of device processes; only
 * boot/initramfs.c reads the config (what to pack). */
#ifndef KTSTR_VMM_VMM_H
#define KTSTR_VMM_VMM_H

#include "vmm/cli.h"
#include "vmm/host/host_check.h"
#include "vmm/outcome.h"
#include "vmm/vm.h"

#endif
