/* The virtio-mmio transport, version 2 (virtio 1.2 §4.2.2): the register window the guest
 * driver programs. Only registers live here; the queues are served by the device process,
 * which gets the negotiated features and ring addresses when the driver sets DRIVER_OK. */
#ifndef KTSTR_VMM_VIRTIO_MMIO_H
#define KTSTR_VMM_VIRTIO_MMIO_H

#include <linux/virtio_config.h>   /* VIRTIO_CONFIG_S_* status bits, VIRTIO_F_VERSION_1 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ipc/msg.h"

#define VIRTIO_MMIO_WINDOW      0x1000u

struct virtio_mmio_queue {
	uint16_t num;
	bool ready;
	uint64_t desc, driver, device;
};

struct virtio_mmio;
struct virtio_mmio_ops {
	/* The driver set DRIVER_OK: hand the ready queues and features to the device process. */
	void (*driver_ok)(void *opaque, const struct virtio_mmio *m);
	/* The driver wrote 0 to Status: stop and reset the device process's queues. */
	void (*reset)(void *opaque, const struct virtio_mmio *m);
	/* A QueueNotify that reached user space (normally an ioeventfd takes it in the kernel). */
	void (*notify)(void *opaque, unsigned queue);
};

struct virtio_mmio {
	pthread_mutex_t lock;
	struct ipc_virtio_identity id; /* what the device process declared (validated in ipc/) */
	struct virtio_mmio_ops ops;
	void *opaque;
	_Atomic uint32_t *int_status;  /* shared with the device process */
	uint32_t status;
	uint32_t device_features_sel, driver_features_sel;
	uint64_t driver_features;
	uint32_t queue_sel;
	uint32_t config_generation;
	struct virtio_mmio_queue queues[IPC_VIRTIO_MAX_QUEUES];
};

/* VIRTIO_F_VERSION_1 is always added to the features the device offers. */
void virtio_mmio_init(struct virtio_mmio *m, const struct ipc_virtio_identity *id,
		      _Atomic uint32_t *int_status, const struct virtio_mmio_ops *ops, void *opaque);
void virtio_mmio_destroy(struct virtio_mmio *m);

/* An MMIO access at offset within the window; data is little-endian, size 1, 2, 4 or 8. */
void virtio_mmio_access(void *opaque, uint64_t offset, bool is_write, uint8_t *data, unsigned size);

#endif
