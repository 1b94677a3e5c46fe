// SPDX-License-Identifier: GPL-2.0
/*
 * kvmx: the in-kernel IOAPIC (KVM_CREATE_IRQCHIP).  The register logic is
 * ioapic_model.c; this file adds the lock, the MMIO window and the calls
 * out.
 *
 * Locking: ioapic->lock guards the model.  Redirections go to
 * kvmx_apic_bus_deliver() under it: the LAPICs only set IRR bits and kick,
 * they never come back into the IOAPIC from there.  EOIs come from the
 * LAPICs (kvmx_ioapic_eoi) with no lock of ours held; kvmx_irq_ack() is
 * called with ioapic->lock dropped, since resampling irqfds lowers lines
 * and so re-enters kvmx_ioapic_set_irq().
 */
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "kvmx.h"
#include "irq/irq.h"
#include "irq/ioapic_model.h"

struct kvmx_ioapic {
	spinlock_t lock;		/* the model; see the top of the file */
	struct kvmx_vm *vm;
	struct ioapic_model m;
	struct kvmx_io_device dev;
	struct delayed_work storm_retry;	/* see ioapic_model_eoi() */
};

static struct kvmx_ioapic *kvmx_ioapic_of(struct kvmx_io_device *dev)
{
	return container_of(dev, struct kvmx_ioapic, dev);
}

static int kvmx_ioapic_deliver(void *opaque, const struct kvmx_apic_irq *irq)
{
	struct kvmx_ioapic *ioapic = opaque;

	return kvmx_apic_bus_deliver(ioapic->vm, NULL, irq);
}

static int kvmx_ioapic_read(struct kvmx_io_device *dev, u64 addr, int len,
			    void *val)
{
	struct kvmx_ioapic *ioapic = kvmx_ioapic_of(dev);
	int r;

	spin_lock(&ioapic->lock);
	r = ioapic_model_read(&ioapic->m, addr, len, val);
	spin_unlock(&ioapic->lock);
	return r;
}

static int kvmx_ioapic_write(struct kvmx_io_device *dev, u64 addr, int len,
			     const void *val)
{
	struct kvmx_ioapic *ioapic = kvmx_ioapic_of(dev);
	int r;

	spin_lock(&ioapic->lock);
	r = ioapic_model_write(&ioapic->m, addr, len, val);
	spin_unlock(&ioapic->lock);
	return r;
}

static const struct kvmx_io_device_ops kvmx_ioapic_io_ops = {
	.read = kvmx_ioapic_read,
	.write = kvmx_ioapic_write,
};

static void kvmx_ioapic_storm_retry(struct work_struct *work)
{
	struct kvmx_ioapic *ioapic = container_of(to_delayed_work(work),
						  struct kvmx_ioapic,
						  storm_retry);

	spin_lock(&ioapic->lock);
	ioapic_model_retry(&ioapic->m);
	spin_unlock(&ioapic->lock);
}

int kvmx_ioapic_create(struct kvmx_vm *vm)
{
	struct kvmx_ioapic *ioapic;
	int r;

	ioapic = kzalloc(sizeof(*ioapic), GFP_KERNEL_ACCOUNT);
	if (!ioapic)
		return -ENOMEM;
	spin_lock_init(&ioapic->lock);
	ioapic->vm = vm;
	INIT_DELAYED_WORK(&ioapic->storm_retry, kvmx_ioapic_storm_retry);
	ioapic_model_init(&ioapic->m, kvmx_ioapic_deliver, ioapic);
	r = kvmx_io_bus_register(vm, KVMX_MMIO_BUS, &ioapic->dev,
				 KVMX_IOAPIC_BASE, IOAPIC_MMIO_LEN,
				 &kvmx_ioapic_io_ops);
	if (r) {
		kfree(ioapic);
		return r;
	}
	vm->arch.ioapic = ioapic;
	return 0;
}

void kvmx_ioapic_destroy(struct kvmx_vm *vm)
{
	struct kvmx_ioapic *ioapic = vm->arch.ioapic;

	if (!ioapic)
		return;
	kvmx_io_bus_unregister(vm, &ioapic->dev);
	cancel_delayed_work_sync(&ioapic->storm_retry);
	vm->arch.ioapic = NULL;
	kfree(ioapic);
}

int kvmx_ioapic_set_irq(struct kvmx_vm *vm, int pin, int source, int level)
{
	struct kvmx_ioapic *ioapic = vm->arch.ioapic;
	int r;

	if (!ioapic || pin < 0 || pin >= KVMX_IOAPIC_PINS || source < 0 ||
	    source >= IOAPIC_SOURCES)
		return -EINVAL;
	spin_lock(&ioapic->lock);
	r = ioapic_model_set_irq(&ioapic->m, pin, source, level);
	spin_unlock(&ioapic->lock);
	return r;
}

/*
 * As KVM: every pin with @vector is acked (edge ones too: the PIT's
 * reinjection counts on it), before its remote IRR is cleared, so a
 * resampled irqfd has lowered its line by the time we look at it.
 */
void kvmx_ioapic_eoi(struct kvmx_vm *vm, int vector)
{
	struct kvmx_ioapic *ioapic = vm->arch.ioapic;
	bool storm = false;
	unsigned long pins;
	int pin;

	if (!ioapic)
		return;
	spin_lock(&ioapic->lock);
	pins = ioapic_model_vector_pins(&ioapic->m, vector);
	spin_unlock(&ioapic->lock);

	for_each_set_bit(pin, &pins, KVMX_IOAPIC_PINS) {
		kvmx_irq_ack(vm, KVM_IRQCHIP_IOAPIC, pin);
		spin_lock(&ioapic->lock);
		storm |= ioapic_model_eoi(&ioapic->m, pin);
		spin_unlock(&ioapic->lock);
	}
	/* Like hardware, a level storm only slows the guest down. */
	if (storm)
		schedule_delayed_work(&ioapic->storm_retry, HZ / 100);
}

int kvmx_ioapic_get_state(struct kvmx_vm *vm, struct kvm_ioapic_state *s)
{
	struct kvmx_ioapic *ioapic = vm->arch.ioapic;

	if (!ioapic)
		return -ENXIO;
	spin_lock(&ioapic->lock);
	ioapic_model_get(&ioapic->m, s);
	spin_unlock(&ioapic->lock);
	return 0;
}

/*
 * As KVM: everything is taken as is (a moved base_address makes the
 * window answer there only within the page registered at creation), and
 * the pending pins are raised again, which may deliver.
 */
int kvmx_ioapic_set_state(struct kvmx_vm *vm,
			  const struct kvm_ioapic_state *s)
{
	struct kvmx_ioapic *ioapic = vm->arch.ioapic;

	if (!ioapic)
		return -ENXIO;
	spin_lock(&ioapic->lock);
	ioapic_model_set(&ioapic->m, s);
	spin_unlock(&ioapic->lock);
	return 0;
}
