// SPDX-License-Identifier: GPL-2.0
/*
 * kvmx: the in-kernel 8259A pair (KVM_CREATE_IRQCHIP).  The chip logic is
 * pic_model.c; this file adds the lock, the ports and the calls out.
 *
 * Locking: pic->lock guards the model.  Under it the PIC only reads
 * LAPIC registers (kvmx_lapic_accepts_extint).  kvmx_irq_ack() and
 * kvmx_pic_output_changed() are called with the lock dropped: the first
 * resamples irqfds, which lowers lines and so re-enters kvmx_pic_set_irq().
 */
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "kvmx.h"
#include "irq/irq.h"
#include "irq/pic_model.h"

struct kvmx_pic;

struct kvmx_pic_port {
	struct kvmx_io_device dev;
	struct kvmx_pic *pic;
	bool registered;
};

struct kvmx_pic {
	spinlock_t lock;		/* the model; see the top of the file */
	struct kvmx_vm *vm;
	struct pic_model m;
	struct kvmx_pic_port ports[3];	/* 0x20, 0xa0, 0x4d0: two bytes each */
};

static const u16 kvmx_pic_port_base[3] = { 0x20, 0xa0, 0x4d0 };

static void kvmx_pic_lock(struct kvmx_pic *pic)
	__acquires(&pic->lock)
{
	spin_lock(&pic->lock);
}

/* Unlock, then tell the vCPUs if the INT output rose meanwhile. */
static void kvmx_pic_unlock(struct kvmx_pic *pic)
	__releases(&pic->lock)
{
	bool rose = pic->m.output_rose;

	pic->m.output_rose = false;
	spin_unlock(&pic->lock);
	if (rose)
		kvmx_pic_output_changed(pic->vm);
}

/* Called by the model with pic->lock held; the state is consistent. */
static void kvmx_pic_ack(void *opaque, int pin)
{
	struct kvmx_pic *pic = opaque;

	spin_unlock(&pic->lock);
	kvmx_irq_ack(pic->vm, pin < 8 ? KVM_IRQCHIP_PIC_MASTER :
		     KVM_IRQCHIP_PIC_SLAVE, pin);
	spin_lock(&pic->lock);
}

static bool kvmx_pic_cpu_takes_extint(void *opaque)
{
	struct kvmx_pic *pic = opaque;
	struct kvmx_vcpu *vcpu;
	unsigned long i;

	kvmx_for_each_vcpu(i, vcpu, pic->vm)
		if (kvmx_lapic_accepts_extint(vcpu))
			return true;
	return false;
}

static const struct pic_model_ops kvmx_pic_model_ops = {
	.ack = kvmx_pic_ack,
	.cpu_takes_extint = kvmx_pic_cpu_takes_extint,
};

static struct kvmx_pic *kvmx_pic_of(struct kvmx_io_device *dev)
{
	return container_of(dev, struct kvmx_pic_port, dev)->pic;
}

/* Only byte accesses do anything; others are swallowed, as KVM. */
static int kvmx_pic_read(struct kvmx_io_device *dev, u64 addr, int len,
			 void *val)
{
	struct kvmx_pic *pic = kvmx_pic_of(dev);

	if (len != 1) {
		memset(val, 0, len);
		return 0;
	}
	kvmx_pic_lock(pic);
	*(u8 *)val = pic_model_read(&pic->m, addr);
	kvmx_pic_unlock(pic);
	return 0;
}

static int kvmx_pic_write(struct kvmx_io_device *dev, u64 addr, int len,
			  const void *val)
{
	struct kvmx_pic *pic = kvmx_pic_of(dev);

	if (len != 1)
		return 0;
	kvmx_pic_lock(pic);
	pic_model_write(&pic->m, addr, *(const u8 *)val);
	kvmx_pic_unlock(pic);
	return 0;
}

static const struct kvmx_io_device_ops kvmx_pic_io_ops = {
	.read = kvmx_pic_read,
	.write = kvmx_pic_write,
};

static void kvmx_pic_free(struct kvmx_vm *vm, struct kvmx_pic *pic)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(pic->ports); i++)
		if (pic->ports[i].registered)
			kvmx_io_bus_unregister(vm, &pic->ports[i].dev);
	kfree(pic);
}

int kvmx_pic_create(struct kvmx_vm *vm)
{
	struct kvmx_pic *pic;
	int i, r;

	pic = kzalloc(sizeof(*pic), GFP_KERNEL_ACCOUNT);
	if (!pic)
		return -ENOMEM;
	spin_lock_init(&pic->lock);
	pic->vm = vm;
	pic_model_init(&pic->m, &kvmx_pic_model_ops, pic);

	for (i = 0; i < ARRAY_SIZE(pic->ports); i++) {
		pic->ports[i].pic = pic;
		r = kvmx_io_bus_register(vm, KVMX_PIO_BUS, &pic->ports[i].dev,
					 kvmx_pic_port_base[i], 2,
					 &kvmx_pic_io_ops);
		if (r) {
			kvmx_pic_free(vm, pic);
			return r;
		}
		pic->ports[i].registered = true;
	}
	vm->arch.pic = pic;
	return 0;
}

void kvmx_pic_destroy(struct kvmx_vm *vm)
{
	struct kvmx_pic *pic = vm->arch.pic;

	if (!pic)
		return;
	vm->arch.pic = NULL;
	kvmx_pic_free(vm, pic);
}

int kvmx_pic_set_irq(struct kvmx_vm *vm, int pin, int source, int level)
{
	struct kvmx_pic *pic = vm->arch.pic;
	int r;

	if (!pic || pin < 0 || pin >= PIC_PINS || source < 0 ||
	    source >= PIC_SOURCES)
		return -EINVAL;
	kvmx_pic_lock(pic);
	r = pic_model_set_irq(&pic->m, pin, source, level);
	kvmx_pic_unlock(pic);
	return r;
}

bool kvmx_pic_has_interrupt(struct kvmx_vm *vm)
{
	struct kvmx_pic *pic = vm->arch.pic;

	return pic && READ_ONCE(pic->m.output);
}

int kvmx_pic_acknowledge(struct kvmx_vm *vm)
{
	struct kvmx_pic *pic = vm->arch.pic;
	int vector;

	if (!pic)
		return -1;
	kvmx_pic_lock(pic);
	vector = pic_model_intack(&pic->m);
	kvmx_pic_unlock(pic);
	return vector;
}

int kvmx_pic_get_state(struct kvmx_vm *vm, int chip,
		       struct kvm_pic_state *state)
{
	struct kvmx_pic *pic = vm->arch.pic;

	if (!pic)
		return -ENXIO;
	if (chip != KVM_IRQCHIP_PIC_MASTER && chip != KVM_IRQCHIP_PIC_SLAVE)
		return -EINVAL;
	kvmx_pic_lock(pic);
	*state = pic->m.chip[chip];
	kvmx_pic_unlock(pic);
	return 0;
}

/* Taken as is, as KVM does (elcr_mask included); then the output. */
int kvmx_pic_set_state(struct kvmx_vm *vm, int chip,
		       const struct kvm_pic_state *state)
{
	struct kvmx_pic *pic = vm->arch.pic;

	if (!pic)
		return -ENXIO;
	if (chip != KVM_IRQCHIP_PIC_MASTER && chip != KVM_IRQCHIP_PIC_SLAVE)
		return -EINVAL;
	kvmx_pic_lock(pic);
	pic->m.chip[chip] = *state;
	pic_model_update(&pic->m);
	kvmx_pic_unlock(pic);
	return 0;
}
