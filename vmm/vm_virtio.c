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

static void spawn_config(const struct vm *vm, enum sandbox_role role, struct devhost_spawn *sp)
{
	struct sandbox_spec defaults;

	sandbox_spec_init(&defaults, role, vm->cfg->sandbox);
	*sp = (struct devhost_spawn){
		.devproc_path = vm->cfg->devproc_path, .role = role, .level = vm->cfg->sandbox,
		.uid = vm->cfg->sandbox_id_set ? vm->cfg->sandbox_uid : defaults.uid,
		.gid = vm->cfg->sandbox_id_set ? vm->cfg->sandbox_gid : defaults.gid,
		.log_fd = -1,
	};
}

static int start_blk(struct vm *vm, struct kerr *err)
{
	struct vm_virtio *v = &vm->virtio[VM_VIRTIO_BLK];
	struct virtio_host_role role = { .device_id = IPC_VIRTIO_ID_BLK, .setup_type = IPC_MSG_BLK_DISK,
					 .setup_body = &vm->disk_msg, .setup_fds = &vm->disk_fd };
	struct devhost_spawn sp;
	int r;

	spawn_config(vm, SANDBOX_ROLE_BLK, &sp);
	v->used = true;
	r = virtio_host_start(&v->host, &sp, &vm->mem, &role, DEVICE_HELLO_TIMEOUT_MS, err);
	close(vm->disk_fd);   /* the device process has its own copy now */
	vm->disk_fd = -1;
	return r;
}

void vm_virtio_init(struct vm *vm)
{
	for (unsigned i = 0; i < VM_VIRTIO_SLOTS; i++)
		virtio_host_init(&vm->virtio[i].host);
}

static int start_net(struct vm *vm, struct kerr *err)
{
	struct vm_virtio *v = &vm->virtio[VM_VIRTIO_NET];
	struct ipc_net_setup setup = { 0 };
	struct virtio_host_role role = { .device_id = IPC_VIRTIO_ID_NET, .setup_type = IPC_MSG_NET_SETUP,
					 .setup_body = &setup };
	struct devhost_spawn sp;

	memcpy(setup.mac, vm->cfg->net_mac, sizeof(setup.mac));
	spawn_config(vm, SANDBOX_ROLE_NET, &sp);
	v->used = true;
	return virtio_host_start(&v->host, &sp, &vm->mem, &role, DEVICE_HELLO_TIMEOUT_MS, err);
}

/* Always there: /dev/hvc0 to the console log, the TLV port, and the stats relay if wired. */
static int start_console(struct vm *vm, struct kerr *err)
{
	struct vm_virtio *v = &vm->virtio[VM_VIRTIO_CONSOLE];
	struct ipc_console_setup setup = { .flags = vm->stats_fd >= 0 ? IPC_CONSOLE_RELAY : 0 };
	struct ipc_empty relay = { 0 };
	struct virtio_host_role role = {
		.device_id = IPC_VIRTIO_ID_CONSOLE, .setup_type = IPC_MSG_CONSOLE_SETUP,
		.setup_body = &setup, .extra_type = vm->stats_fd >= 0 ? IPC_MSG_CONSOLE_RELAY : 0,
		.extra_body = &relay, .extra_fds = &vm->stats_fd,
	};
	struct devhost_spawn sp;
	int r;

	spawn_config(vm, SANDBOX_ROLE_CONSOLE, &sp);
	sp.log_fd = vm->console_log_fd;
	v->used = true;
	r = virtio_host_start(&v->host, &sp, &vm->mem, &role, DEVICE_HELLO_TIMEOUT_MS, err);
	if (vm->stats_fd >= 0)
		close(vm->stats_fd);   /* the device process has it now */
	vm->stats_fd = -1;
	return r;
}

int vm_virtio_start(struct vm *vm, struct kerr *err)
{
	int r;

	if ((r = start_console(vm, err)) < 0)
		return r;
	if (vm->disk_fd >= 0 && (r = start_blk(vm, err)) < 0)
		return r;
	if (vm->cfg->have_net && (r = start_net(vm, err)) < 0)
		return r;
	return 0;
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
