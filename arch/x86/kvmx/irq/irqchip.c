// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel irqchip's ioctls, and its part in running a vCPU: which
 * interrupt goes in next, halting in the kernel, INIT and SIPI.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "../x86.h"
#include "irq.h"

/* ---- VM ioctls ---------------------------------------------------------- */

static int kvmx_create_irqchip(struct kvmx_vm *vm)
{
	int r;

	mutex_lock(&vm->lock);
	r = -EEXIST;
	if (vm->arch.irqchip != KVMX_IRQCHIP_NONE)
		goto out;
	r = -EINVAL;
	if (vm->created_vcpus)
		goto out;
	r = kvmx_pic_create(vm);
	if (r)
		goto out;
	r = kvmx_ioapic_create(vm);
	if (r)
		goto out_pic;
	r = kvmx_irq_routing_default(vm);
	if (r)
		goto out_ioapic;
	/* vCPUs created from now on get a LAPIC. */
	WRITE_ONCE(vm->arch.irqchip, KVMX_IRQCHIP_KERNEL);
	mutex_unlock(&vm->lock);
	return 0;

out_ioapic:
	kvmx_ioapic_destroy(vm);
out_pic:
	kvmx_pic_destroy(vm);
out:
	mutex_unlock(&vm->lock);
	return r;
}

static int kvmx_irqchip_state(struct kvmx_vm *vm, void __user *argp, bool set)
{
	struct kvm_irqchip *chip;
	int r;

	chip = memdup_user(argp, sizeof(*chip));
	if (IS_ERR(chip))
		return PTR_ERR(chip);
	r = -ENXIO;
	if (vm->arch.irqchip != KVMX_IRQCHIP_KERNEL)
		goto out;
	switch (chip->chip_id) {
	case KVM_IRQCHIP_PIC_MASTER:
	case KVM_IRQCHIP_PIC_SLAVE:
		r = set ? kvmx_pic_set_state(vm, chip->chip_id, &chip->chip.pic) :
			  kvmx_pic_get_state(vm, chip->chip_id, &chip->chip.pic);
		break;
	case KVM_IRQCHIP_IOAPIC:
		r = set ? kvmx_ioapic_set_state(vm, &chip->chip.ioapic) :
			  kvmx_ioapic_get_state(vm, &chip->chip.ioapic);
		break;
	default:
		r = -EINVAL;
		break;
	}
	if (!r && !set && copy_to_user(argp, chip, sizeof(*chip)))
		r = -EFAULT;
out:
	kfree(chip);
	return r;
}

static int kvmx_irq_line(struct kvmx_vm *vm, void __user *argp, bool status)
{
	struct kvm_irq_level irq;

	if (copy_from_user(&irq, argp, sizeof(irq)))
		return -EFAULT;
	if (vm->arch.irqchip == KVMX_IRQCHIP_NONE)
		return -ENXIO;
	irq.status = kvmx_set_irq(vm, KVMX_USERSPACE_IRQ_SOURCE_ID, irq.irq,
				  irq.level, status);
	if (status && copy_to_user(argp, &irq, sizeof(irq)))
		return -EFAULT;
	return 0;
}

static int kvmx_gsi_routing(struct kvmx_vm *vm, void __user *argp)
{
	struct kvm_irq_routing routing;
	struct kvm_irq_routing_entry *ents = NULL;
	int r;

	if (copy_from_user(&routing, argp, sizeof(routing)))
		return -EFAULT;
	if (vm->arch.irqchip == KVMX_IRQCHIP_NONE ||
	    routing.nr > KVMX_MAX_IRQ_ROUTES || routing.flags)
		return -EINVAL;
	if (routing.nr) {
		ents = vmemdup_user(argp + sizeof(routing),
				    array_size(sizeof(*ents), routing.nr));
		if (IS_ERR(ents))
			return PTR_ERR(ents);
	}
	r = kvmx_set_gsi_routing(vm, ents, routing.nr, routing.flags);
	kvfree(ents);
	return r;
}

/* The PIT's ioctls: all -ENXIO until KVM_CREATE_PIT2. */
static long kvmx_pit_ioctl(struct kvmx_vm *vm, unsigned int ioctl,
			   void __user *argp)
{
	union {
		struct kvm_pit_state ps;
		struct kvm_pit_state2 ps2;
		struct kvm_reinject_control rc;
	} u;
	size_t size;
	int r;

	switch (ioctl) {
	case KVM_GET_PIT:
	case KVM_SET_PIT:
		size = sizeof(u.ps);
		break;
	case KVM_GET_PIT2:
	case KVM_SET_PIT2:
		size = sizeof(u.ps2);
		break;
	default:
		size = sizeof(u.rc);
		break;
	}
	/* KVM reads the argument of all but KVM_GET_PIT2 first. */
	if (ioctl != KVM_GET_PIT2 && copy_from_user(&u, argp, size))
		return -EFAULT;

	mutex_lock(&vm->lock);
	r = -ENXIO;
	if (!vm->arch.pit)
		goto out;
	switch (ioctl) {
	case KVM_GET_PIT:
		r = kvmx_pit_get_state(vm, &u.ps);
		break;
	case KVM_SET_PIT:
		r = kvmx_pit_set_state(vm, &u.ps);
		break;
	case KVM_GET_PIT2:
		r = kvmx_pit_get_state2(vm, &u.ps2);
		break;
	case KVM_SET_PIT2:
		r = kvmx_pit_set_state2(vm, &u.ps2);
		break;
	default:
		r = kvmx_pit_reinject(vm, &u.rc);
		break;
	}
out:
	mutex_unlock(&vm->lock);
	if (!r && (ioctl == KVM_GET_PIT || ioctl == KVM_GET_PIT2) &&
	    copy_to_user(argp, &u, size))
		r = -EFAULT;
	return r;
}

long kvmx_irqchip_vm_ioctl(struct kvmx_vm *vm, unsigned int ioctl,
			   unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case KVM_CREATE_IRQCHIP:
		return kvmx_create_irqchip(vm);
	case KVM_GET_IRQCHIP:
		return kvmx_irqchip_state(vm, argp, false);
	case KVM_SET_IRQCHIP:
		return kvmx_irqchip_state(vm, argp, true);
	case KVM_IRQ_LINE:
		return kvmx_irq_line(vm, argp, false);
	case KVM_IRQ_LINE_STATUS:
		return kvmx_irq_line(vm, argp, true);
	case KVM_SET_GSI_ROUTING:
		return kvmx_gsi_routing(vm, argp);
	case KVM_SIGNAL_MSI: {
		struct kvm_msi msi;

		if (copy_from_user(&msi, argp, sizeof(msi)))
			return -EFAULT;
		if (vm->arch.irqchip == KVMX_IRQCHIP_NONE || msi.flags)
			return -EINVAL;
		return kvmx_deliver_msi(vm, &msi);
	}
	case KVM_CREATE_PIT: {
		struct kvm_pit_config c = { .flags = KVM_PIT_SPEAKER_DUMMY };

		return kvmx_pit_create(vm, &c);
	}
	case KVM_CREATE_PIT2: {
		struct kvm_pit_config c;

		if (copy_from_user(&c, argp, sizeof(c)))
			return -EFAULT;
		return kvmx_pit_create(vm, &c);
	}
	case KVM_GET_PIT:
	case KVM_SET_PIT:
	case KVM_GET_PIT2:
	case KVM_SET_PIT2:
	case KVM_REINJECT_CONTROL:
		return kvmx_pit_ioctl(vm, ioctl, argp);
	default:
		return -ENOTTY;
	}
}

void kvmx_irqchip_destroy(struct kvmx_vm *vm)
{
	if (vm->arch.pit)
		kvmx_pit_destroy(vm);
	if (vm->arch.irqchip == KVMX_IRQCHIP_KERNEL) {
		kvmx_ioapic_destroy(vm);
		kvmx_pic_destroy(vm);
	}
}

/* As KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP): LAPICs only; args[0] GSIs. */
int kvmx_enable_split_irqchip(struct kvmx_vm *vm, u64 nr_pins)
{
	int r = -EINVAL;

	if (nr_pins > KVMX_MAX_RESERVED_IOAPIC_PINS)
		return -EINVAL;
	mutex_lock(&vm->lock);
	if (vm->arch.irqchip != KVMX_IRQCHIP_NONE) {
		r = -EEXIST;
	} else if (!vm->created_vcpus) {
		vm->arch.nr_reserved_ioapic_pins = nr_pins;
		/* The routing table starts empty: no entries is no routes. */
		WRITE_ONCE(vm->arch.irqchip, KVMX_IRQCHIP_SPLIT);
		r = 0;
	}
	mutex_unlock(&vm->lock);
	return r;
}

/* ---- vCPU side ---------------------------------------------------------- */

int kvmx_irqchip_vcpu_create(struct kvmx_vcpu *vcpu)
{
	int r;

	if (READ_ONCE(vcpu->vm->arch.irqchip) == KVMX_IRQCHIP_NONE)
		return 0;
	r = kvmx_lapic_create(vcpu);
	if (r)
		return r;
	/* As KVM: only the BSP runs at once; APs wait for INIT and SIPI. */
	vcpu->arch.mp_state = kvmx_vcpu_is_reset_bsp(vcpu) ?
			      KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_UNINITIALIZED;
	return 0;
}

void kvmx_irqchip_vcpu_free(struct kvmx_vcpu *vcpu)
{
	if (vcpu->arch.apic)
		kvmx_lapic_free(vcpu);
}

/* The PIC's INT line may have risen: wake whoever takes ExtINT. */
void kvmx_pic_output_changed(struct kvmx_vm *vm)
{
	struct kvmx_vcpu *vcpu;
	unsigned long i;

	kvmx_for_each_vcpu(i, vcpu, vm)
		if (vcpu->arch.apic && kvmx_lapic_accepts_extint(vcpu))
			kvmx_vcpu_kick(vcpu);
}

/* ExtINT: the in-kernel PIC's output, or KVM_INTERRUPT's when split. */
static bool kvmx_has_extint(struct kvmx_vcpu *vcpu)
{
	if (!kvmx_lapic_accepts_extint(vcpu))
		return false;
	if (vcpu->vm->arch.pic)
		return kvmx_pic_has_interrupt(vcpu->vm);
	return vcpu->arch.irq_pending;
}

/* Is an external interrupt waiting for the guest to open its window? */
bool kvmx_irqchip_has_interrupt(struct kvmx_vcpu *vcpu)
{
	return vcpu->arch.apic &&
	       (kvmx_has_extint(vcpu) || kvmx_lapic_pending_vector(vcpu) >= 0);
}

/* The vector to inject now, taken from the PIC or the LAPIC; or -1. */
int kvmx_irqchip_next_vector(struct kvmx_vcpu *vcpu)
{
	int v;

	if (!vcpu->arch.apic)
		return -1;
	/* As KVM, the PIC first: it is the legacy wire, LINT0. */
	if (kvmx_has_extint(vcpu)) {
		if (vcpu->vm->arch.pic)
			return kvmx_pic_acknowledge(vcpu->vm);
		vcpu->arch.irq_pending = false;
		return vcpu->arch.irq_vector;
	}
	v = kvmx_lapic_pending_vector(vcpu);
	if (v >= 0)
		kvmx_lapic_accept(vcpu, v);
	return v;
}

/* INIT and SIPI from other vCPUs' ICR writes. */
void kvmx_irqchip_accept_events(struct kvmx_vcpu *vcpu)
{
	unsigned long *ev = &vcpu->arch.apic_events;

	if (!vcpu->arch.apic)
		return;
	if (test_and_clear_bit(KVMX_APIC_INIT, ev)) {
		/*
		 * A SIPI sent before the INIT was voided by the sender; one
		 * still pending came after it, and is taken just below.
		 */
		kvmx_x86_vcpu_init(vcpu);
		vcpu->arch.mp_state = kvmx_vcpu_is_bsp(vcpu) ?
			KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_INIT_RECEIVED;
	}
	if (test_and_clear_bit(KVMX_APIC_SIPI, ev) &&
	    vcpu->arch.mp_state == KVM_MP_STATE_INIT_RECEIVED) {
		/* Pairs with the sender's barrier after writing the vector. */
		smp_rmb();
		kvmx_x86_vcpu_sipi(vcpu, READ_ONCE(vcpu->arch.sipi_vector));
		vcpu->arch.mp_state = KVM_MP_STATE_RUNNABLE;
	}
}

bool kvmx_arch_vcpu_runnable(struct kvmx_vcpu *vcpu)
{
	unsigned long ev = READ_ONCE(vcpu->arch.apic_events);

	if (vcpu->arch.mp_state == KVM_MP_STATE_RUNNABLE)
		return true;
	if (ev & (BIT(KVMX_APIC_INIT) | BIT(KVMX_APIC_SIPI)))
		return true;
	if (vcpu->arch.mp_state != KVM_MP_STATE_HALTED)
		return false;
	/* A halted CPU wakes for what it would take: IF decides. */
	return kvmx_nmi_wakes(vcpu) ||
	       (kvmx_vendor->interrupts_allowed(vcpu) &&
		kvmx_irqchip_has_interrupt(vcpu));
}

int kvmx_irqchip_vcpu_ioctl(struct kvmx_vcpu *vcpu, unsigned int ioctl,
			    void __user *argp)
{
	struct kvm_lapic_state *s;
	int r;

	if (!vcpu->arch.apic)
		return -EINVAL;
	if (ioctl == KVM_SET_VAPIC_ADDR) {
		struct kvm_vapic_addr va;

		if (copy_from_user(&va, argp, sizeof(va)))
			return -EFAULT;
		return kvmx_lapic_set_vapic_addr(vcpu, va.vapic_addr);
	}
	if (ioctl == KVM_TPR_ACCESS_REPORTING) {
		struct kvm_tpr_access_ctl tac;

		if (copy_from_user(&tac, argp, sizeof(tac)))
			return -EFAULT;
		if (tac.flags)
			return -EINVAL;
		kvmx_lapic_tpr_access_reporting(vcpu, tac.enabled);
		return copy_to_user(argp, &tac, sizeof(tac)) ? -EFAULT : 0;
	}
	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	if (ioctl == KVM_GET_LAPIC) {
		r = kvmx_lapic_get_state(vcpu, s);
		if (!r && copy_to_user(argp, s, sizeof(*s)))
			r = -EFAULT;
	} else if (copy_from_user(s, argp, sizeof(*s))) {
		r = -EFAULT;
	} else {
		r = kvmx_lapic_set_state(vcpu, s);
		kvmx_vcpu_kick(vcpu);
	}
	kfree(s);
	return r;
}
