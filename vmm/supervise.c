/* Supervision of a running VM; see supervise.h. */
#include "vmm/supervise.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "vmm/vcpu.h"

#define DEVICE_FINISH_MS 3000

struct watch {
	int timer_fd;
	int signal_fd;
};

static int open_watch(struct watch *w, unsigned timeout_s, struct kerr *err)
{
	sigset_t set;

	w->timer_fd = w->signal_fd = -1;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	w->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (w->signal_fd < 0)
		return kerr_errno(err, errno, "signalfd");
	if (timeout_s == 0)
		return 0;
	w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (w->timer_fd < 0)
		return kerr_errno(err, errno, "timerfd_create");
	{
		struct itimerspec its = { .it_value.tv_sec = timeout_s };

		if (timerfd_settime(w->timer_fd, 0, &its, NULL) < 0)
			return kerr_errno(err, errno, "timerfd_settime");
	}
	return 0;
}

static void close_watch(struct watch *w)
{
	if (w->timer_fd >= 0)
		close(w->timer_fd);
	if (w->signal_fd >= 0)
		close(w->signal_fd);
}

static void take_message(void *opaque, const struct ipc_msg *m)
{
	outcome_take(opaque, m);
}

struct virtio_msg_ctx {
	struct outcome *o;
	struct virtio_host *h;
};

/* The channel let through only what the message table lets this role send (stats; TLV
 * frames from the console). */
static void take_virtio_message(void *opaque, const struct ipc_msg *m)
{
	struct virtio_msg_ctx *c = opaque;

	if (m->type == IPC_MSG_DEVICE_STATS && virtio_host_accept_stats(c->h, &m->body.device_stats))
		outcome_add_device(c->o, c->h->dev.name, &m->body.device_stats);
	else if (m->type == IPC_MSG_GUEST_FRAME)
		outcome_take(c->o, m);
}

static void device_failed(struct vm *vm, struct devhost *dev, struct kerr *e)
{
	if (dev->pidfd >= 0) {
		struct pollfd p = { .fd = dev->pidfd, .events = POLLIN };

		if (poll(&p, 1, 200) == 1) {
			char how[128];

			devhost_kill(dev);
			devhost_describe_exit(dev, how, sizeof(how));
			kerr_wrap(e, "%s device process %s", dev->name, how);
		}
	}
	vm_request_end(vm, VM_END_HOST_ERROR, e);
}

static void pump_virtio(struct vm *vm, struct outcome *o, const struct pollfd *p)
{
	for (unsigned i = 0; i < VM_VIRTIO_SLOTS; i++) {
		struct devhost *dev = &vm->virtio[i].host.dev;
		struct virtio_msg_ctx c = { o, &vm->virtio[i].host };
		struct kerr e;

		if (!vm->virtio[i].used || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)) || dev->ch.dead)
			continue;
		if (devhost_pump(dev, take_virtio_message, &c, &e) < 0)
			device_failed(vm, dev, &e);
	}
}

/* What vCPUs posted for the virtio devices (START, RESET), sent when each has room. */
static void flush_virtio(struct vm *vm)
{
	for (unsigned i = 0; i < VM_VIRTIO_SLOTS; i++) {
		struct virtio_host *h = &vm->virtio[i].host;
		struct kerr e;

		if (vm->virtio[i].used && !h->dev.ch.dead && virtio_host_flush(h, &e) < 0)
			device_failed(vm, &h->dev, &e);
	}
}

static void watch_once(struct vm *vm, struct watch *w, struct outcome *o)
{
	struct pollfd p[5 + VM_VIRTIO_SLOTS] = {
		{ .fd = vm->end_event, .events = POLLIN },
		{ .fd = vm->serial.dev.ch.fd, .events = POLLIN },
		{ .fd = w->signal_fd, .events = POLLIN },
		{ .fd = w->timer_fd, .events = POLLIN },
		{ .fd = vm->work_event, .events = POLLIN },
	};
	struct kerr e;

	for (unsigned i = 0; i < VM_VIRTIO_SLOTS; i++) {
		struct virtio_host *h = &vm->virtio[i].host;

		p[5 + i] = (struct pollfd){ .fd = vm->virtio[i].used ? h->dev.ch.fd : -1,
					    .events = POLLIN | (virtio_host_pending(h) ? POLLOUT : 0) };
	}
	if (poll(p, 5 + VM_VIRTIO_SLOTS, -1) < 0)
		return;
	if (p[4].revents & POLLIN)
		ipc_bell_ack(vm->work_event);
	flush_virtio(vm);
	if (p[1].revents && devhost_pump(&vm->serial.dev, take_message, o, &e) < 0)
		device_failed(vm, &vm->serial.dev, &e);
	pump_virtio(vm, o, p + 5);
	if (p[2].revents & POLLIN)
		vm_request_end(vm, VM_END_SIGNAL, NULL);
	if (p[3].revents & POLLIN)
		vm_request_end(vm, VM_END_TIMEOUT, NULL);
	if (atomic_load(&vm->serial.ring_broken)) {
		kerr_set(&e, EPROTO, "serial device process corrupted its ring");
		vm_request_end(vm, VM_END_HOST_ERROR, &e);
	}
}

static int start_vcpus(struct vm *vm, struct kerr *err)
{
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		int r = vcpu_start(&vm->vcpus[i], err);

		if (r < 0)
			return r;
	}
	return 0;
}

static void stop_vcpus(struct vm *vm)
{
	atomic_store(&vm->stopping, true);
	for (unsigned i = 0; i < vm->nvcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	for (unsigned i = 0; i < vm->nvcpus; i++)
		vcpu_join(&vm->vcpus[i]);
}

static void finish_device(struct vm *vm, struct outcome *o, struct devhost *dev, devhost_msg_fn fn,
			  void *opaque)
{
	struct kerr e;

	if (devhost_finish(dev, DEVICE_FINISH_MS, fn, opaque, &e) < 0) {
		char how[128];

		devhost_describe_exit(dev, how, sizeof(how));
		kerr_wrap(&e, "%s device process (%s)", dev->name, how);
		outcome_add_device_fault(o, e.msg);
		vm_request_end(vm, VM_END_HOST_ERROR, &e);
	}
}

/* After the vCPUs stop: the serial device drains its rings and sends the rest; the virtio
 * devices report what they served. Each is given DEVICE_FINISH_MS, then killed. */
static void finish_devices(struct vm *vm, struct outcome *o)
{
	finish_device(vm, o, &vm->serial.dev, take_message, o);
	for (unsigned i = 0; i < VM_VIRTIO_SLOTS; i++) {
		struct virtio_msg_ctx c = { o, &vm->virtio[i].host };

		if (vm->virtio[i].used)
			finish_device(vm, o, &vm->virtio[i].host.dev, take_virtio_message, &c);
	}
}

/* Where each vCPU was when the VM was stopped: for a timeout, the first clue to why. */
static void describe_vcpus(struct vm *vm, char *buf, size_t size)
{
	size_t used = strlen(buf);

	for (unsigned i = 0; i < vm->nvcpus && used + 1 < size; i++) {
		struct kvm_mp_state mp = { 0 };
		struct kvm_regs regs = { 0 };
		int n;

		ioctl(vm->vcpus[i].fd, KVM_GET_REGS, &regs);
		ioctl(vm->vcpus[i].fd, KVM_GET_MP_STATE, &mp);
		n = snprintf(buf + used, size - used, "%s vCPU %u %s at rip 0x%llx", i ? ";" : ":", i,
			     mp.mp_state == KVM_MP_STATE_HALTED ? "halted" :
			     mp.mp_state == KVM_MP_STATE_RUNNABLE ? "running" : "waiting for SIPI",
			     (unsigned long long)regs.rip);
		if (n < 0)
			break;
		used += (size_t)n < size - used ? (size_t)n : size - used - 1;
	}
}

static void record_end(struct vm *vm, struct outcome *o)
{
	o->end = (enum vm_end_reason)atomic_load(&vm->end_reason);
	if (o->end == VM_END_HOST_ERROR)
		snprintf(o->end_detail, sizeof(o->end_detail), "%s", vm->end_err.msg);
	else if (o->end == VM_END_TIMEOUT) {
		snprintf(o->end_detail, sizeof(o->end_detail), "timed out after %u s", vm->cfg->timeout_s);
		describe_vcpus(vm, o->end_detail, sizeof(o->end_detail));
	}
	else if (o->end == VM_END_SIGNAL)
		snprintf(o->end_detail, sizeof(o->end_detail), "interrupted by a signal");
	else if (o->end == VM_END_GUEST_RESET && vm->end_err.msg[0])
		snprintf(o->end_detail, sizeof(o->end_detail), "the guest reset: %.400s", vm->end_err.msg);
	else
		snprintf(o->end_detail, sizeof(o->end_detail), "the guest %s",
			 o->end == VM_END_GUEST_SHUTDOWN ? "powered off" : "reset");
}

int supervise_run(struct vm *vm, struct outcome *o, struct kerr *err)
{
	struct watch w;
	int r;

	if ((r = open_watch(&w, vm->cfg->timeout_s, err)) < 0 || (r = start_vcpus(vm, err)) < 0) {
		close_watch(&w);
		stop_vcpus(vm);
		return r;
	}
	performance_note_vcpus(&vm->perf, vm->vcpus, vm->nvcpus, &o->performance);
	perf_print_refusals(&o->performance, stderr);
	while (atomic_load(&vm->end_reason) == VM_END_NONE)
		watch_once(vm, &w, o);
	stop_vcpus(vm);
	finish_devices(vm, o);
	record_end(vm, o);
	close_watch(&w);
	return 0;
}
