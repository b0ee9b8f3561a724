/* The VM's virtio devices; see vm_virtio.h. */
#include "vmm/vm_virtio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmm/vm.h"

#define DEVICE_HELLO_TIMEOUT_MS 10000

/* The bodies of the setup messages, alive while the roles that point at them are used. */
struct setup_bodies {
	struct ipc_console_setup console;
	struct ipc_empty relay;
	struct ipc_net_setup net;
};

struct slot {
	enum sandbox_role role;
	uint32_t device_id;          /* IPC_VIRTIO_ID_*: what its identity must say */
	unsigned gsi;
	unsigned disk;               /* blk: which --disk */
	bool writes_log;             /* it writes the console log */
	bool (*used)(const struct vm *vm, const struct slot *s);
	void (*setup)(struct vm *vm, const struct slot *s, struct setup_bodies *b,
		      struct virtio_host_role *out);
};

static bool console_used(const struct vm *vm, const struct slot *s)
{
	(void)vm, (void)s;
	return true;   /* /dev/hvc0, the TLV port, the stats relay if wired */
}

static bool disk_used(const struct vm *vm, const struct slot *s)
{
	return s->disk < vm->cfg->n_disks;
}

static bool net_used(const struct vm *vm, const struct slot *s)
{
	(void)s;
	return vm->cfg->have_net;
}

static void console_setup(struct vm *vm, const struct slot *s, struct setup_bodies *b,
			  struct virtio_host_role *out)
{
	bool relay = vm->stats_fd >= 0;

	b->console.flags = relay ? IPC_CONSOLE_RELAY : 0;
	*out = (struct virtio_host_role){
		.device_id = s->device_id, .setup_type = IPC_MSG_CONSOLE_SETUP,
		.setup_body = &b->console, .extra_type = relay ? IPC_MSG_CONSOLE_RELAY : 0,
		.extra_body = &b->relay, .extra_fds = &vm->stats_fd,
	};
}

static void disk_setup(struct vm *vm, const struct slot *s, struct setup_bodies *b,
		       struct virtio_host_role *out)
{
	(void)b;
	*out = (struct virtio_host_role){
		.device_id = s->device_id, .setup_type = IPC_MSG_BLK_DISK,
		.setup_body = &vm->disks[s->disk].msg, .setup_fds = &vm->disks[s->disk].fd,
	};
}

static void net_setup(struct vm *vm, const struct slot *s, struct setup_bodies *b,
		      struct virtio_host_role *out)
{
	memcpy(b->net.mac, vm->cfg->net_mac, sizeof(b->net.mac));
	*out = (struct virtio_host_role){
		.device_id = s->device_id, .setup_type = IPC_MSG_NET_SETUP, .setup_body = &b->net,
	};
}

#define CONSOLE { SANDBOX_ROLE_CONSOLE, IPC_VIRTIO_ID_CONSOLE, 5, 0, true, console_used, console_setup }
#define DISK(n, gsi) { SANDBOX_ROLE_BLK, IPC_VIRTIO_ID_BLK, gsi, n, false, disk_used, disk_setup }
#define NET { SANDBOX_ROLE_NET, IPC_VIRTIO_ID_NET, 7, 0, false, net_used, net_setup }

/* Window order is ACPI's order and so the guest's probe order: the disks become vda, vdb,
 * ... in the order given. The first three slots are where they were before there were
 * several disks. GSIs stay below 16, where both ACPI and the MP table (acpi=off with
 * --virtio-cmdline) map them 1:1 to I/O APIC pins: 5-7, then 9-15. Nothing else takes
 * them: no SCI (the FADT is hardware-reduced); 3 and 4 are the UARTs', 8 the RTC's is
 * left alone; 1 and 12 would be a PS/2 keyboard's and mouse's, but the i8042 model is only
 * a reset line whose status never answers, so Linux's i8042 driver never asks for 12. */
static const struct slot slots[VM_VIRTIO_SLOTS] = {
	CONSOLE, DISK(0, 6), NET,
	DISK(1, 9), DISK(2, 10), DISK(3, 11), DISK(4, 12), DISK(5, 13), DISK(6, 14), DISK(7, 15),
};

_Static_assert(VM_VIRTIO_SLOTS <= OUTCOME_MAX_DEVICES, "the outcome keeps every device's stats");
_Static_assert(VM_VIRTIO_SLOTS <= IO_BUS_MAX_HANDLERS, "the MMIO bus has a window for every slot");
_Static_assert(VM_VIRTIO_SLOTS <= ACPI_MAX_VIRTIO, "ACPI describes every slot");

static uint64_t slot_base(unsigned slot)
{
	return VIRTIO_MMIO_BASE + (uint64_t)slot * VIRTIO_MMIO_WINDOW;
}

void vm_virtio_init(struct vm *vm)
{
	for (unsigned i = 0; i < VM_VIRTIO_SLOTS; i++)
		virtio_host_init(&vm->virtio[i].host);
}

/* Every process is started before any is waited for, so their exec and sandbox set-up
 * overlap each other and the loading of the guest. */
int vm_virtio_spawn(struct vm *vm, struct kerr *err)
{
	for (unsigned i = 0; i < VM_VIRTIO_SLOTS; i++) {
		const struct slot *s = &slots[i];
		struct devhost_spawn sp;
		char name[DEVHOST_NAME_MAX];
		int r;

		if (!(vm->virtio[i].used = s->used(vm, s)))
			continue;
		vmm_spawn_config(vm->cfg, s->role, &sp);
		if (s->role == SANDBOX_ROLE_BLK) {
			snprintf(name, sizeof(name), "blk vd%c", 'a' + s->disk);
			sp.name = name;
		}
		if (s->writes_log)
			vm_spawn_log(vm, &sp);
		if ((r = devhost_spawn(&vm->virtio[i].host.dev, &sp, err)) < 0)
			return r;
	}
	return 0;
}

int vm_virtio_setup(struct vm *vm, struct kerr *err)
{
	struct setup_bodies b = { 0 };
	int r = 0;

	for (unsigned i = 0; i < VM_VIRTIO_SLOTS && r == 0; i++) {
		struct virtio_host_role role;

		if (!vm->virtio[i].used)
			continue;
		slots[i].setup(vm, &slots[i], &b, &role);
		r = virtio_host_setup(&vm->virtio[i].host, &vm->mem, &role, DEVICE_HELLO_TIMEOUT_MS, err);
	}
	/* The device processes hold their own copies of the disks and the stats socket now. */
	for (unsigned i = 0; i < DISK_MAX; i++) {
		if (vm->disks[i].fd >= 0)
			close(vm->disks[i].fd);
		vm->disks[i].fd = -1;
	}
	if (vm->stats_fd >= 0)
		close(vm->stats_fd);
	vm->stats_fd = -1;
	return r;
}

unsigned vm_virtio_acpi(const struct vm *vm, struct acpi_virtio *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < VM_VIRTIO_SLOTS && n < max; i++)
		if (vm->virtio[i].used)
			out[n++] = (struct acpi_virtio){ .base = (uint32_t)slot_base(i),
							 .len = VIRTIO_MMIO_WINDOW, .gsi = slots[i].gsi };
	return n;
}

int vm_virtio_wire(struct vm *vm, struct kerr *err)
{
	for (unsigned i = 0; i < VM_VIRTIO_SLOTS; i++) {
		int r;

		if (!vm->virtio[i].used)
			continue;
		vm->virtio[i].host.wake_fd = vm->work_event;   /* the supervisor sends what vCPUs post */
		r = virtio_host_wire(&vm->virtio[i].host, &vm->kvm, &vm->mmio, slot_base(i),
				     slots[i].gsi, err);
		if (r < 0)
			return kerr_wrap(err, "%s device", vm->virtio[i].host.dev.name);
	}
	return 0;
}

void vm_virtio_destroy(struct vm *vm)
{
	for (unsigned i = 0; i < VM_VIRTIO_SLOTS; i++)
		virtio_host_destroy(&vm->virtio[i].host);
}
