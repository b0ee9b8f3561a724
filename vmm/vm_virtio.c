/* The VM's virtio devices; see vm_virtio.h. */
#include "vmm/vm_virtio.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "vmm/vm.h"

#define DEVICE_HELLO_TIMEOUT_MS 10000

static const unsigned slot_gsi[VM_VIRTIO_SLOTS] = { 5, 6, 7 };

static uint64_t slot_base(unsigned slot)
{
	return VIRTIO_MMIO_BASE + (uint64_t)slot * VIRTIO_MMIO_WINDOW;
}

static const enum sandbox_role slot_role[VM_VIRTIO_SLOTS] = {
	SANDBOX_ROLE_CONSOLE, SANDBOX_ROLE_BLK, SANDBOX_ROLE_NET,
};

void vm_virtio_init(struct vm *vm)
{
	for (unsigned i = 0; i < VM_VIRTIO_SLOTS; i++)
		virtio_host_init(&vm->virtio[i].host);
}

/* The console is always there (/dev/hvc0, the TLV port, the stats relay if wired); blk with
 * --disk, net with --net. Every process is started before any is waited for, so their exec
 * and sandbox set-up overlap each other and the loading of the guest. */
int vm_virtio_spawn(struct vm *vm, struct kerr *err)
{
	vm->virtio[VM_VIRTIO_CONSOLE].used = true;
	vm->virtio[VM_VIRTIO_BLK].used = vm->disk_fd >= 0;
	vm->virtio[VM_VIRTIO_NET].used = vm->cfg->have_net;
	for (unsigned i = 0; i < VM_VIRTIO_SLOTS; i++) {
		struct devhost_spawn sp;
		int r;

		if (!vm->virtio[i].used)
			continue;
		vm_spawn_config(vm, slot_role[i], &sp);
		if (i == VM_VIRTIO_CONSOLE)
			vm_spawn_log(vm, &sp);
		if ((r = devhost_spawn(&vm->virtio[i].host.dev, &sp, err)) < 0)
			return r;
	}
	return 0;
}

/* The bodies of the setup messages, alive while the roles that point at them are used. */
struct setup_bodies {
	struct ipc_console_setup console;
	struct ipc_empty relay;
	struct ipc_net_setup net;
};

static struct virtio_host_role role_of(struct vm *vm, unsigned slot, struct setup_bodies *b)
{
	bool relay = vm->stats_fd >= 0;

	switch (slot) {
	case VM_VIRTIO_CONSOLE:
		b->console.flags = relay ? IPC_CONSOLE_RELAY : 0;
		return (struct virtio_host_role){
			.device_id = IPC_VIRTIO_ID_CONSOLE, .setup_type = IPC_MSG_CONSOLE_SETUP,
			.setup_body = &b->console, .extra_type = relay ? IPC_MSG_CONSOLE_RELAY : 0,
			.extra_body = &b->relay, .extra_fds = &vm->stats_fd,
		};
	case VM_VIRTIO_BLK:
		return (struct virtio_host_role){
			.device_id = IPC_VIRTIO_ID_BLK, .setup_type = IPC_MSG_BLK_DISK,
			.setup_body = &vm->disk_msg, .setup_fds = &vm->disk_fd,
		};
	default:
		memcpy(b->net.mac, vm->cfg->net_mac, sizeof(b->net.mac));
		return (struct virtio_host_role){
			.device_id = IPC_VIRTIO_ID_NET, .setup_type = IPC_MSG_NET_SETUP,
			.setup_body = &b->net,
		};
	}
}

int vm_virtio_setup(struct vm *vm, struct kerr *err)
{
	struct setup_bodies b = { 0 };
	int r = 0;

	for (unsigned i = 0; i < VM_VIRTIO_SLOTS && r == 0; i++) {
		struct virtio_host_role role;

		if (!vm->virtio[i].used)
			continue;
		role = role_of(vm, i, &b);
		r = virtio_host_setup(&vm->virtio[i].host, &vm->mem, &role, DEVICE_HELLO_TIMEOUT_MS, err);
	}
	/* The device processes hold their own copies of the disk and the stats socket now. */
	if (vm->disk_fd >= 0)
		close(vm->disk_fd);
	if (vm->stats_fd >= 0)
		close(vm->stats_fd);
	vm->disk_fd = vm->stats_fd = -1;
	return r;
}

unsigned vm_virtio_acpi(const struct vm *vm, struct acpi_virtio *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < VM_VIRTIO_SLOTS && n < max; i++)
		if (vm->virtio[i].used)
			out[n++] = (struct acpi_virtio){ .base = (uint32_t)slot_base(i),
							 .len = VIRTIO_MMIO_WINDOW, .gsi = slot_gsi[i] };
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
				     slot_gsi[i], err);
		if (r < 0)
			return kerr_wrap(err, "%s device", sandbox_role_name(vm->virtio[i].host.dev.role));
	}
	return 0;
}

void vm_virtio_destroy(struct vm *vm)
{
	for (unsigned i = 0; i < VM_VIRTIO_SLOTS; i++)
		virtio_host_destroy(&vm->virtio[i].host);
}
