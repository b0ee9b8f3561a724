/* The virtio-mmio transport, version 2 (virtio 1.2 §4.2.2): the register window the guest
 * driver programs. Only registers live here; the queues are served by the device process,
 * which gets the negotiated features and ring addresses when the driver sets DRIVER_OK. */
#ifndef KTSTR_VMM_VIRTIO_MMIO_H
#define KTSTR_VMM_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define VIRTIO_MMIO_WINDOW      0x1000u
#define VIRTIO_MMIO_MAX_QUEUES  8u
#define VIRTIO_MMIO_CONFIG_MAX  256u

/* Device status bits (virtio 1.2 §2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE  1u
#define VIRTIO_STATUS_DRIVER       2u
#define VIRTIO_STATUS_DRIVER_OK    4u
#define VIRTIO_STATUS_FEATURES_OK  8u
#define VIRTIO_STATUS_NEEDS_RESET  0x40u
#define VIRTIO_STATUS_FAILED       0x80u

#define VIRTIO_FEATURE_VERSION_1   32u

/* InterruptStatus bits, set by the device process in the shared status word. */
#define VIRTIO_INT_USED_BUFFER     1u
#define VIRTIO_INT_CONFIG_CHANGE   2u

struct virtio_mmio_queue {
	uint16_t num;
	bool ready;
	uint64_t desc, driver, device;
};

/* What the device declared about itself (from its device process). */
struct virtio_mmio_identity {
	uint32_t device_id;
	uint64_t features;         /* offered; VIRTIO_F_VERSION_1 is always added */
	uint16_t num_queues;
	uint16_t queue_num_max;
	uint8_t config[VIRTIO_MMIO_CONFIG_MAX];
	uint32_t config_len;
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
	struct virtio_mmio_identity id;
	struct virtio_mmio_ops ops;
	void *opaque;
	_Atomic uint32_t *int_status;  /* shared with the device process */
	uint32_t status;
	uint32_t device_features_sel, driver_features_sel;
	uint64_t driver_features;
	uint32_t queue_sel;
	uint32_t config_generation;
	struct virtio_mmio_queue queues[VIRTIO_MMIO_MAX_QUEUES];
};

void virtio_mmio_init(struct virtio_mmio *m, const struct virtio_mmio_identity *id,
		      _Atomic uint32_t *int_status, const struct virtio_mmio_ops *ops, void *opaque);
void virtio_mmio_destroy(struct virtio_mmio *m);

/* An MMIO access at offset within the window; data is little-endian, size 1, 2, 4 or 8. */
void virtio_mmio_access(void *opaque, uint64_t offset, bool is_write, uint8_t *data, unsigned size);

#endif
