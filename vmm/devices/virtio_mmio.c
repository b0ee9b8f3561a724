/* virtio-mmio register model; see virtio_mmio.h. */
#include "vmm/devices/virtio_mmio.h"

#include <string.h>

enum {
	REG_MAGIC = 0x000, REG_VERSION = 0x004, REG_DEVICE_ID = 0x008, REG_VENDOR_ID = 0x00c,
	REG_DEVICE_FEATURES = 0x010, REG_DEVICE_FEATURES_SEL = 0x014,
	REG_DRIVER_FEATURES = 0x020, REG_DRIVER_FEATURES_SEL = 0x024,
	REG_QUEUE_SEL = 0x030, REG_QUEUE_NUM_MAX = 0x034, REG_QUEUE_NUM = 0x038,
	REG_QUEUE_READY = 0x044, REG_QUEUE_NOTIFY = 0x050,
	REG_INTERRUPT_STATUS = 0x060, REG_INTERRUPT_ACK = 0x064, REG_STATUS = 0x070,
	REG_QUEUE_DESC_LOW = 0x080, REG_QUEUE_DESC_HIGH = 0x084,
	REG_QUEUE_DRIVER_LOW = 0x090, REG_QUEUE_DRIVER_HIGH = 0x094,
	REG_QUEUE_DEVICE_LOW = 0x0a0, REG_QUEUE_DEVICE_HIGH = 0x0a4,
	REG_SHM_LEN_LOW = 0x0b0, REG_SHM_LEN_HIGH = 0x0b4,
	REG_SHM_BASE_LOW = 0x0b8, REG_SHM_BASE_HIGH = 0x0bc,
	REG_CONFIG_GENERATION = 0x0fc, REG_CONFIG = 0x100,
};

#define MAGIC     0x74726976u   /* "virt" */
#define VENDOR_ID 0x5453544bu   /* "KTST" */

void virtio_mmio_init(struct virtio_mmio *m, const struct ipc_virtio_identity *id,
		      _Atomic uint32_t *int_status, const struct virtio_mmio_ops *ops, void *opaque)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	m->id = *id;
	m->id.features |= 1ull << VIRTIO_F_VERSION_1;
	if (m->id.num_queues > IPC_VIRTIO_MAX_QUEUES)
		m->id.num_queues = IPC_VIRTIO_MAX_QUEUES;
	if (m->id.config_len > IPC_VIRTIO_CONFIG_MAX)
		m->id.config_len = IPC_VIRTIO_CONFIG_MAX;
	m->int_status = int_status;
	m->ops = *ops;
	m->opaque = opaque;
}

void virtio_mmio_destroy(struct virtio_mmio *m)
{
	pthread_mutex_destroy(&m->lock);
}

static struct virtio_mmio_queue *selected(struct virtio_mmio *m)
{
	return m->queue_sel < m->id.num_queues ? &m->queues[m->queue_sel] : NULL;
}

static void device_reset(struct virtio_mmio *m)
{
	m->status = 0;
	m->driver_features = 0;
	m->device_features_sel = m->driver_features_sel = m->queue_sel = 0;
	memset(m->queues, 0, sizeof(m->queues));
	atomic_store(m->int_status, 0);
	if (m->ops.reset)
		m->ops.reset(m->opaque, m);
}

/* FEATURES_OK holds only if the driver took nothing that was not offered, and VERSION_1. */
static bool features_acceptable(const struct virtio_mmio *m)
{
	return !(m->driver_features & ~m->id.features) &&
	       (m->driver_features & (1ull << VIRTIO_F_VERSION_1));
}

static void write_status(struct virtio_mmio *m, uint32_t v)
{
	uint32_t added = v & ~m->status;

	if (v == 0) {
		device_reset(m);
		return;
	}
	if ((added & VIRTIO_CONFIG_S_FEATURES_OK) && !features_acceptable(m))
		v &= ~VIRTIO_CONFIG_S_FEATURES_OK;   /* the driver reads it back and gives up */
	if ((added & VIRTIO_CONFIG_S_DRIVER_OK) && !(v & VIRTIO_CONFIG_S_FEATURES_OK))
		v &= ~VIRTIO_CONFIG_S_DRIVER_OK;
	m->status = v & 0xff;
	if ((added & VIRTIO_CONFIG_S_DRIVER_OK) && (m->status & VIRTIO_CONFIG_S_DRIVER_OK) && m->ops.driver_ok)
		m->ops.driver_ok(m->opaque, m);
}

static void set_half(uint64_t *field, bool high, uint32_t v)
{
	if (high)
		*field = (*field & 0xffffffffull) | ((uint64_t)v << 32);
	else
		*field = (*field & ~0xffffffffull) | v;
}

/* Queue layout registers: only while the queue is not ready and before DRIVER_OK. */
static void write_queue(struct virtio_mmio *m, uint64_t reg, uint32_t v)
{
	struct virtio_mmio_queue *q = selected(m);

	if (!q || (m->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	if (reg == REG_QUEUE_READY) {
		q->ready = v & 1;
		return;
	}
	if (q->ready)
		return;
	switch (reg) {
	case REG_QUEUE_NUM:
		q->num = v <= m->id.queue_num_max ? (uint16_t)v : 0;   /* 0: unusable */
		break;
	case REG_QUEUE_DESC_LOW: case REG_QUEUE_DESC_HIGH:
		set_half(&q->desc, reg == REG_QUEUE_DESC_HIGH, v);
		break;
	case REG_QUEUE_DRIVER_LOW: case REG_QUEUE_DRIVER_HIGH:
		set_half(&q->driver, reg == REG_QUEUE_DRIVER_HIGH, v);
		break;
	default:
		set_half(&q->device, reg == REG_QUEUE_DEVICE_HIGH, v);
		break;
	}
}

static void write_reg(struct virtio_mmio *m, uint64_t reg, uint32_t v)
{
	switch (reg) {
	case REG_DEVICE_FEATURES_SEL: m->device_features_sel = v; break;
	case REG_DRIVER_FEATURES_SEL: m->driver_features_sel = v; break;
	case REG_DRIVER_FEATURES:
		if (m->driver_features_sel < 2 && !(m->status & VIRTIO_CONFIG_S_FEATURES_OK))
			set_half(&m->driver_features, m->driver_features_sel == 1, v);
		break;
	case REG_QUEUE_SEL: m->queue_sel = v; break;
	case REG_QUEUE_NUM: case REG_QUEUE_READY:
	case REG_QUEUE_DESC_LOW: case REG_QUEUE_DESC_HIGH:
	case REG_QUEUE_DRIVER_LOW: case REG_QUEUE_DRIVER_HIGH:
	case REG_QUEUE_DEVICE_LOW: case REG_QUEUE_DEVICE_HIGH:
		write_queue(m, reg, v);
		break;
	case REG_QUEUE_NOTIFY:
		if (v < m->id.num_queues && m->ops.notify)
			m->ops.notify(m->opaque, v);
		break;
	case REG_INTERRUPT_ACK: atomic_fetch_and(m->int_status, ~v); break;
	case REG_STATUS: write_status(m, v); break;
	default: break;   /* read-only or unknown: ignored */
	}
}

static uint32_t read_queue(struct virtio_mmio *m, uint64_t reg)
{
	const struct virtio_mmio_queue *q = selected(m);

	if (!q)
		return 0;
	return reg == REG_QUEUE_NUM_MAX ? m->id.queue_num_max : q->ready;
}

static uint32_t read_reg(struct virtio_mmio *m, uint64_t reg)
{
	switch (reg) {
	case REG_MAGIC: return MAGIC;
	case REG_VERSION: return 2;
	case REG_DEVICE_ID: return m->id.device_id;
	case REG_VENDOR_ID: return VENDOR_ID;
	case REG_DEVICE_FEATURES:
		return m->device_features_sel < 2 ?
		       (uint32_t)(m->id.features >> (32 * m->device_features_sel)) : 0;
	case REG_QUEUE_NUM_MAX: case REG_QUEUE_READY: return read_queue(m, reg);
	case REG_INTERRUPT_STATUS: return atomic_load(m->int_status);
	case REG_STATUS: return m->status;
	case REG_SHM_LEN_LOW: case REG_SHM_LEN_HIGH:
	case REG_SHM_BASE_LOW: case REG_SHM_BASE_HIGH:
		return 0xffffffffu;   /* no shared memory regions */
	case REG_CONFIG_GENERATION: return m->config_generation;
	default: return 0;
	}
}

/* Config space: any width, little-endian, inside what the device declared; else zeros. */
static void access_config(struct virtio_mmio *m, uint64_t off, bool is_write, uint8_t *data,
			  unsigned size)
{
	if (is_write)
		return;   /* ktstr's devices have no driver-writable config */
	for (unsigned i = 0; i < size; i++)
		data[i] = off + i < m->id.config_len ? m->id.config[off + i] : 0;
}

void virtio_mmio_access(void *opaque, uint64_t offset, bool is_write, uint8_t *data, unsigned size)
{
	struct virtio_mmio *m = opaque;

	pthread_mutex_lock(&m->lock);
	if (offset >= REG_CONFIG && offset < VIRTIO_MMIO_WINDOW && size <= 8) {
		access_config(m, offset - REG_CONFIG, is_write, data, size);
	} else if (size == 4 && offset % 4 == 0) {
		uint32_t v;

		if (is_write) {
			memcpy(&v, data, 4);
			write_reg(m, offset, v);
		} else {
			v = read_reg(m, offset);
			memcpy(data, &v, 4);
		}
	} else if (!is_write) {
		memset(data, 0, size);   /* registers are 32-bit only (§4.2.2.2) */
	}
	pthread_mutex_unlock(&m->lock);
}
