// SPDX-License-Identifier: GPL-2.0
/*
 * kvmx: the in-kernel 8254 PIT (KVM_CREATE_PIT2), ports 0x40-0x43 and,
 * with KVM_PIT_SPEAKER_DUMMY, port 0x61.  The counters are pit_model.c;
 * this file adds the lock, channel 0's hrtimer and the ticks on GSI 0.
 *
 * A tick is an edge on GSI 0: raised and lowered at once.  The hrtimer
 * fires in hard-irq context, so it only counts the tick and queues a
 * kthread work item, which raises the line from process context.
 *
 * Reinject mode (KVM's default, KVM_REINJECT_CONTROL): ticks the guest
 * has not yet taken are counted in @pending, and the next one is raised
 * only after the guest acknowledged the previous one (kvmx_pit_ack), so a
 * guest that was descheduled still sees every tick.  Without it a tick
 * that finds the previous one unacknowledged merges with it in the
 * interrupt controller.
 */
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "kvmx.h"
#include "irq/irq.h"
#include "irq/pit_model.h"

#define PIT_PORT	0x40
#define PIT_PORTS	4
#define SPEAKER_PORT	0x61
#define SPEAKER_PORTS	4		/* as KVM; only 0x61 is answered */

struct kvmx_pit {
	struct kvmx_vm *vm;
	struct mutex lock;		/* the model and the timer's setup */
	struct pit_model model;

	struct kvmx_io_device dev;
	struct kvmx_io_device speaker;
	bool dev_on_bus, speaker_on_bus;

	/* Channel 0: set under @lock while the hrtimer is cancelled. */
	struct hrtimer timer;
	s64 timer_period;
	bool timer_periodic;

	struct kthread_worker *worker;
	struct kthread_work tick;

	atomic_t reinject;
	atomic_t pending;		/* ticks fired but not yet acked */
	atomic_t irq_ack;		/* the last raised tick was acked */
};

/* Lock the model and tell it whether channel 0 may tick right now. */
static void pit_lock(struct kvmx_pit *pit)
{
	mutex_lock(&pit->lock);
	pit->model.has_ioapic =
		READ_ONCE(pit->vm->arch.irqchip) == KVMX_IRQCHIP_KERNEL;
}

/* The model's clock, read under the lock so that it never goes back. */
static s64 pit_now(void)
{
	return ktime_get_ns();
}

static void pit_reset_ticks(struct kvmx_pit *pit)
{
	atomic_set(&pit->pending, 0);
	atomic_set(&pit->irq_ack, 1);
}

/* Carry out what the model asked of channel 0's timer; under @lock. */
static void pit_sync_timer(struct kvmx_pit *pit)
{
	struct pit_model *m = &pit->model;
	enum pit_timer_cmd cmd = m->cmd;

	m->cmd = PIT_TIMER_KEEP;
	if (cmd == PIT_TIMER_KEEP)
		return;

	hrtimer_cancel(&pit->timer);
	kthread_flush_work(&pit->tick);
	if (cmd == PIT_TIMER_STOP)
		return;

	pit->timer_period = m->period;
	pit->timer_periodic = m->periodic;
	pit_reset_ticks(pit);
	hrtimer_start(&pit->timer, ns_to_ktime(m->expires), HRTIMER_MODE_ABS);
}

static void pit_unlock(struct kvmx_pit *pit)
{
	pit_sync_timer(pit);
	mutex_unlock(&pit->lock);
}

static void pit_tick_work(struct kthread_work *work)
{
	struct kvmx_pit *pit = container_of(work, struct kvmx_pit, tick);

	/* In reinject mode the next tick waits for the last one's ack. */
	if (atomic_read(&pit->reinject) && !atomic_xchg(&pit->irq_ack, 0))
		return;

	kvmx_set_irq(pit->vm, KVMX_PIT_IRQ_SOURCE_ID, 0, 1, false);
	kvmx_set_irq(pit->vm, KVMX_PIT_IRQ_SOURCE_ID, 0, 0, false);
}

static enum hrtimer_restart pit_timer_fn(struct hrtimer *timer)
{
	struct kvmx_pit *pit = container_of(timer, struct kvmx_pit, timer);

	if (atomic_read(&pit->reinject))
		atomic_inc(&pit->pending);
	kthread_queue_work(pit->worker, &pit->tick);

	if (!pit->timer_periodic)
		return HRTIMER_NORESTART;
	/* From the last expiry, not from now: late ticks are caught up. */
	hrtimer_add_expires_ns(timer, pit->timer_period);
	return HRTIMER_RESTART;
}

/*
 * GSI 0 was acknowledged (an EOI at PIC pin 0 or IOAPIC pin 2).  Any
 * context; takes no lock of the PIT's.
 */
void kvmx_pit_ack(struct kvmx_vm *vm)
{
	struct kvmx_pit *pit = READ_ONCE(vm->arch.pit);

	if (!pit || !atomic_read(&pit->reinject))
		return;

	atomic_set(&pit->irq_ack, 1);
	/*
	 * The ack must be visible before @pending is looked at: a tick that
	 * counts itself after this either sees the ack in the work item, or
	 * is seen here and queued again.
	 */
	smp_mb();
	if (atomic_dec_if_positive(&pit->pending) > 0)
		kthread_queue_work(pit->worker, &pit->tick);
}

/*
 * GSI 0 was unmasked at the PIC or the IOAPIC.  Ticks that piled up while
 * masked, and an ack that never came, are forgotten, as in KVM; otherwise
 * a guest that masked the line with a tick in flight never got another.
 */
void kvmx_pit_unmasked(struct kvmx_vm *vm)
{
	struct kvmx_pit *pit = READ_ONCE(vm->arch.pit);

	if (pit && atomic_read(&pit->reinject))
		pit_reset_ticks(pit);
}

static int pit_read(struct kvmx_io_device *dev, u64 addr, int len, void *val)
{
	struct kvmx_pit *pit = container_of(dev, struct kvmx_pit, dev);
	u8 v;

	if (addr - PIT_PORT >= PIT_PORTS)
		return -EOPNOTSUPP;

	pit_lock(pit);
	v = pit_model_read(&pit->model, addr - PIT_PORT, pit_now());
	pit_unlock(pit);

	/* One byte of data; wider reads get zeroes above it. */
	memset(val, 0, len);
	*(u8 *)val = v;
	return 0;
}

static int pit_write(struct kvmx_io_device *dev, u64 addr, int len,
		     const void *val)
{
	struct kvmx_pit *pit = container_of(dev, struct kvmx_pit, dev);

	if (addr - PIT_PORT >= PIT_PORTS)
		return -EOPNOTSUPP;

	pit_lock(pit);
	pit_model_write(&pit->model, addr - PIT_PORT, *(const u8 *)val,
			pit_now());
	pit_unlock(pit);
	return 0;
}

static int speaker_read(struct kvmx_io_device *dev, u64 addr, int len,
			void *val)
{
	struct kvmx_pit *pit = container_of(dev, struct kvmx_pit, speaker);
	u8 v;

	/*
	 * 0x62-0x64 belong to the device too, as in KVM, but go to
	 * userspace.
	 */
	if (addr != SPEAKER_PORT)
		return -EOPNOTSUPP;

	pit_lock(pit);
	v = pit_model_speaker_read(&pit->model, pit_now());
	pit_unlock(pit);

	memset(val, 0, len);
	*(u8 *)val = v;
	return 0;
}

static int speaker_write(struct kvmx_io_device *dev, u64 addr, int len,
			 const void *val)
{
	struct kvmx_pit *pit = container_of(dev, struct kvmx_pit, speaker);

	if (addr != SPEAKER_PORT)
		return -EOPNOTSUPP;

	pit_lock(pit);
	pit_model_speaker_write(&pit->model, *(const u8 *)val, pit_now());
	pit_unlock(pit);
	return 0;
}

static const struct kvmx_io_device_ops pit_ops = {
	.read = pit_read,
	.write = pit_write,
};

static const struct kvmx_io_device_ops speaker_ops = {
	.read = speaker_read,
	.write = speaker_write,
};

/* Undoes whatever of pit_alloc() was done. */
static void pit_free(struct kvmx_pit *pit)
{
	/* Off the bus first: no vCPU can restart the timer after this. */
	if (pit->speaker_on_bus)
		kvmx_io_bus_unregister(pit->vm, &pit->speaker);
	if (pit->dev_on_bus)
		kvmx_io_bus_unregister(pit->vm, &pit->dev);
	hrtimer_cancel(&pit->timer);
	if (!IS_ERR_OR_NULL(pit->worker))
		kthread_destroy_worker(pit->worker);	/* flushes the tick */
	mutex_destroy(&pit->lock);
	kfree(pit);
}

static struct kvmx_pit *pit_alloc(struct kvmx_vm *vm, u32 flags)
{
	struct kvmx_pit *pit;

	pit = kzalloc(sizeof(*pit), GFP_KERNEL_ACCOUNT);
	if (!pit)
		return NULL;
	pit->vm = vm;
	mutex_init(&pit->lock);
	hrtimer_init(&pit->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	pit->timer.function = pit_timer_fn;
	kthread_init_work(&pit->tick, pit_tick_work);
	/* KVM's thread name, which tools look for to set its priority. */
	pit->worker = kthread_create_worker(0, "kvm-pit/%d",
					    task_tgid_vnr(current));
	if (IS_ERR(pit->worker))
		goto fail;

	pit_lock(pit);
	pit_model_reset(&pit->model, pit_now());
	pit_unlock(pit);
	atomic_set(&pit->reinject, 1);
	pit_reset_ticks(pit);

	if (kvmx_io_bus_register(vm, KVMX_PIO_BUS, &pit->dev, PIT_PORT,
				 PIT_PORTS, &pit_ops))
		goto fail;
	pit->dev_on_bus = true;
	if (flags & KVM_PIT_SPEAKER_DUMMY) {
		if (kvmx_io_bus_register(vm, KVMX_PIO_BUS, &pit->speaker,
					 SPEAKER_PORT, SPEAKER_PORTS,
					 &speaker_ops))
			goto fail;
		pit->speaker_on_bus = true;
	}
	return pit;

fail:
	pit_free(pit);
	return NULL;
}

/*
 * KVM_CREATE_PIT2.  KVM 6.1 checks no flag (only KVM_PIT_SPEAKER_DUMMY
 * means something) and reports every failure as -ENOMEM.  Takes vm->lock.
 */
int kvmx_pit_create(struct kvmx_vm *vm, const struct kvm_pit_config *cfg)
{
	struct kvmx_pit *pit;
	int r = 0;

	mutex_lock(&vm->lock);
	if (vm->arch.pit) {
		r = -EEXIST;
		goto out;
	}
	pit = pit_alloc(vm, cfg->flags);
	if (!pit) {
		r = -ENOMEM;
		goto out;
	}
	/* Fully set up before kvmx_pit_ack() can see it. */
	smp_store_release(&vm->arch.pit, pit);
out:
	mutex_unlock(&vm->lock);
	return r;
}

/* At VM teardown, before the PIC and IOAPIC go: the tick uses them. */
void kvmx_pit_destroy(struct kvmx_vm *vm)
{
	struct kvmx_pit *pit = vm->arch.pit;

	if (!pit)
		return;
	WRITE_ONCE(vm->arch.pit, NULL);
	pit_free(pit);
}

static struct kvmx_pit *pit_get(struct kvmx_vm *vm)
{
	/* Pairs with kvmx_pit_create()'s release: see it whole. */
	return smp_load_acquire(&vm->arch.pit);
}

int kvmx_pit_get_state(struct kvmx_vm *vm, struct kvm_pit_state *s)
{
	struct kvmx_pit *pit = pit_get(vm);

	BUILD_BUG_ON(sizeof(s->channels) != sizeof(pit->model.ch));
	if (!pit)
		return -ENXIO;
	mutex_lock(&pit->lock);
	memcpy(s->channels, pit->model.ch, sizeof(s->channels));
	mutex_unlock(&pit->lock);
	return 0;
}

int kvmx_pit_get_state2(struct kvmx_vm *vm, struct kvm_pit_state2 *s)
{
	struct kvmx_pit *pit = pit_get(vm);

	if (!pit)
		return -ENXIO;
	memset(s, 0, sizeof(*s));
	mutex_lock(&pit->lock);
	memcpy(s->channels, pit->model.ch, sizeof(s->channels));
	s->flags = pit->model.flags;
	mutex_unlock(&pit->lock);
	return 0;
}

/* KVM takes every field as given; the model copes with any value. */
int kvmx_pit_set_state(struct kvmx_vm *vm, const struct kvm_pit_state *s)
{
	struct kvmx_pit *pit = pit_get(vm);

	if (!pit)
		return -ENXIO;
	pit_lock(pit);
	pit_model_set_state(&pit->model, s->channels, pit->model.flags,
			    pit_now());
	pit_unlock(pit);
	return 0;
}

int kvmx_pit_set_state2(struct kvmx_vm *vm, const struct kvm_pit_state2 *s)
{
	struct kvmx_pit *pit = pit_get(vm);

	if (!pit)
		return -ENXIO;
	pit_lock(pit);
	pit_model_set_state(&pit->model, s->channels, s->flags, pit_now());
	pit_unlock(pit);
	return 0;
}

int kvmx_pit_reinject(struct kvmx_vm *vm, const struct kvm_reinject_control *c)
{
	struct kvmx_pit *pit = pit_get(vm);
	bool on = c->pit_reinject;

	if (!pit)
		return -ENXIO;
	/* The lock keeps concurrent calls from interleaving, as in KVM. */
	mutex_lock(&pit->lock);
	if (atomic_read(&pit->reinject) != on) {
		if (on)
			pit_reset_ticks(pit);
		atomic_set(&pit->reinject, on);
	}
	mutex_unlock(&pit->lock);
	return 0;
}
