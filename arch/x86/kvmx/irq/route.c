// SPDX-License-Identifier: GPL-2.0
/*
 * GSI routing: where an interrupt line number (a GSI) leads.
 *
 * KVM_IRQ_LINE, irqfds and the PIT raise GSIs; the routing table sends
 * each GSI to up to three places (a pin of the master PIC, of the slave
 * PIC and of the IOAPIC), or to one MSI.  The table is immutable: writers
 * build a new one under vm->arch.irq_lock and publish it, readers copy
 * the few entries they need under vm->srcu and deliver after unlocking,
 * so the interrupt controllers are never called with a routing lock held.
 *
 * The return values and errors are KVM 6.1's (virt/kvm/irqchip.c and
 * arch/x86/kvm/irq_comm.c), with KVM_CAP_X2APIC_API never enabled: kvmx
 * does not offer it, so MSIs carry 8-bit destinations.
 */
#include <linux/kernel.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <asm/apicdef.h>

#include "kvmx.h"
#include "irq/irq.h"

/* A GSI has at most one route per irqchip, or a single other route. */
#define KVMX_MAX_ROUTES_PER_GSI	3
#define KVMX_PIC_PAIR_PINS	(2 * KVMX_PIC_PINS)

struct kvmx_route {
	u32 type;			/* KVM_IRQ_ROUTING_* */
	union {
		struct {
			u32 chip;	/* KVM_IRQCHIP_* */
			u32 pin;	/* 0-15 on the PIC pair, 0-23 on the IOAPIC */
		} irqchip;
		struct {
			u32 address_lo, address_hi, data;
		} msi;
	};
};

struct kvmx_irq_routes {
	struct kvmx_route *routes;	/* sorted by GSI, in the user's order */
	/* Who an ack of a pin notifies: the last GSI routed there, or -1. */
	s16 pic_gsi[KVMX_PIC_PAIR_PINS];
	s16 ioapic_gsi[KVMX_IOAPIC_PINS];
	u32 nr_gsis;			/* highest GSI given + 1 */
	u16 start[];			/* GSI g: routes[start[g] .. start[g + 1]) */
};

/* MSI address and data (SDM 11.11): only what KVM looks at. */
#define MSI_ADDR_DEST_LOGICAL	BIT(2)
#define MSI_ADDR_REDIR_HINT	BIT(3)
#define MSI_ADDR_DEST(a)	(((a) >> 12) & 0xff)
#define MSI_DATA_VECTOR(d)	((d) & 0xff)
#define MSI_DATA_DM(d)		((d) & 0x700)		/* APIC_DM_*, in place */
#define MSI_DATA_LEVEL_TRIG	BIT(15)

static void kvmx_routes_free(struct kvmx_irq_routes *rt)
{
	if (!rt)
		return;
	kvfree(rt->routes);
	kvfree(rt);
}

#define KVMX_ROUTE_ALONE	BIT(3)

/*
 * Check one entry as KVM does: @used holds, per GSI, a bit for each
 * irqchip already routed there, and KVMX_ROUTE_ALONE for any other route.
 */
static int kvmx_route_check(struct kvmx_vm *vm,
			    const struct kvm_irq_routing_entry *e, u8 *used)
{
	u8 *u = &used[e->gsi];
	u8 bit;

	if (e->type == KVM_IRQ_ROUTING_MSI) {
		if (e->flags & ~KVM_MSI_VALID_DEVID)
			return -EINVAL;
	} else if (e->flags) {
		return -EINVAL;
	}

	switch (e->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		/* In a split, the PIC and IOAPIC are userspace's. */
		if (READ_ONCE(vm->arch.irqchip) == KVMX_IRQCHIP_SPLIT)
			return -EINVAL;
		switch (e->u.irqchip.irqchip) {
		case KVM_IRQCHIP_PIC_MASTER:
		case KVM_IRQCHIP_PIC_SLAVE:
			if (e->u.irqchip.pin >= KVMX_PIC_PINS)
				return -EINVAL;
			break;
		case KVM_IRQCHIP_IOAPIC:
			if (e->u.irqchip.pin >= KVMX_IOAPIC_PINS)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
		bit = BIT(e->u.irqchip.irqchip);
		break;
	case KVM_IRQ_ROUTING_MSI:
		/* x2APIC-format MSIs would be checked here; never enabled. */
	case KVM_IRQ_ROUTING_HV_SINT:
		/* KVM takes these even without Hyper-V; they never fire. */
		bit = KVMX_ROUTE_ALONE;
		break;
	default:
		/* Xen event channels: CONFIG_KVM_XEN is off in Debian's 6.1. */
		return -EINVAL;
	}

	/* One route per irqchip on a GSI; an MSI has its GSI to itself. */
	if (*u && ((*u & bit) || ((*u | bit) & KVMX_ROUTE_ALONE)))
		return -EINVAL;
	*u |= bit;
	return 0;
}

static void kvmx_route_fill(struct kvmx_route *r,
			    const struct kvm_irq_routing_entry *e)
{
	r->type = e->type;
	if (e->type == KVM_IRQ_ROUTING_IRQCHIP) {
		r->irqchip.chip = e->u.irqchip.irqchip;
		r->irqchip.pin = e->u.irqchip.pin;
		if (r->irqchip.chip == KVM_IRQCHIP_PIC_SLAVE)
			r->irqchip.pin += KVMX_PIC_PINS;
	} else if (e->type == KVM_IRQ_ROUTING_MSI) {
		r->msi.address_lo = e->u.msi.address_lo;
		r->msi.address_hi = e->u.msi.address_hi;
		r->msi.data = e->u.msi.data;
	}
}

/* Validate @ents and build a table from them: a counting sort by GSI. */
static struct kvmx_irq_routes *
kvmx_routes_build(struct kvmx_vm *vm, const struct kvm_irq_routing_entry *ents,
		  u32 nr)
{
	struct kvmx_irq_routes *rt;
	u32 i, g, nr_gsis = 0;
	u16 *fill = NULL;
	u8 *used = NULL;
	int r = -ENOMEM;

	for (i = 0; i < nr; i++) {
		if (ents[i].gsi >= KVMX_MAX_IRQ_ROUTES)
			return ERR_PTR(-EINVAL);
		nr_gsis = max(nr_gsis, ents[i].gsi);
	}
	nr_gsis++;

	rt = kvzalloc(struct_size(rt, start, nr_gsis + 1), GFP_KERNEL_ACCOUNT);
	if (!rt)
		return ERR_PTR(-ENOMEM);
	rt->nr_gsis = nr_gsis;
	memset(rt->pic_gsi, -1, sizeof(rt->pic_gsi));
	memset(rt->ioapic_gsi, -1, sizeof(rt->ioapic_gsi));
	if (!nr)
		return rt;

	rt->routes = kvmalloc_array(nr, sizeof(*rt->routes), GFP_KERNEL_ACCOUNT);
	used = kvzalloc(nr_gsis, GFP_KERNEL_ACCOUNT);
	fill = kvcalloc(nr_gsis, sizeof(*fill), GFP_KERNEL_ACCOUNT);
	if (!rt->routes || !used || !fill)
		goto fail;

	for (i = 0; i < nr; i++) {
		r = kvmx_route_check(vm, &ents[i], used);
		if (r)
			goto fail;
		rt->start[ents[i].gsi + 1]++;
	}
	for (g = 0; g < nr_gsis; g++) {
		rt->start[g + 1] += rt->start[g];
		fill[g] = rt->start[g];
	}

	for (i = 0; i < nr; i++) {
		struct kvmx_route *route;

		g = ents[i].gsi;
		route = &rt->routes[fill[g]++];
		kvmx_route_fill(route, &ents[i]);
		if (route->type != KVM_IRQ_ROUTING_IRQCHIP)
			continue;
		if (route->irqchip.chip == KVM_IRQCHIP_IOAPIC)
			rt->ioapic_gsi[route->irqchip.pin] = g;
		else
			rt->pic_gsi[route->irqchip.pin] = g;
	}
	kvfree(used);
	kvfree(fill);
	return rt;

fail:
	kvfree(used);
	kvfree(fill);
	kvmx_routes_free(rt);
	return ERR_PTR(r);
}

static int kvmx_routes_install(struct kvmx_vm *vm,
			       const struct kvm_irq_routing_entry *ents, u32 nr)
{
	struct kvmx_irq_routes *new, *old;

	new = kvmx_routes_build(vm, ents, nr);
	if (IS_ERR(new))
		return PTR_ERR(new);

	mutex_lock(&vm->arch.irq_lock);
	old = rcu_dereference_protected(vm->arch.irq_routes,
					lockdep_is_held(&vm->arch.irq_lock));
	rcu_assign_pointer(vm->arch.irq_routes, new);
	mutex_unlock(&vm->arch.irq_lock);

	/* QEMU rewrites the table for MSI-X changes: wait, but briskly. */
	if (old) {
		synchronize_srcu_expedited(&vm->srcu);
		kvmx_routes_free(old);
	}
	return 0;
}

int kvmx_irq_routing_default(struct kvmx_vm *vm)
{
	struct kvm_irq_routing_entry *ents, *e;
	u32 gsi;
	int r;

	/* Each ISA IRQ goes to both the PIC and the IOAPIC, as in KVM. */
	ents = kcalloc(KVMX_NR_DEFAULT_GSIS + KVMX_PIC_PAIR_PINS, sizeof(*ents),
		       GFP_KERNEL_ACCOUNT);
	if (!ents)
		return -ENOMEM;
	e = ents;
	for (gsi = 0; gsi < KVMX_NR_DEFAULT_GSIS; gsi++) {
		e->gsi = gsi;
		e->type = KVM_IRQ_ROUTING_IRQCHIP;
		e->u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e->u.irqchip.pin = gsi;
		e++;
		if (gsi >= KVMX_PIC_PAIR_PINS)
			continue;
		e->gsi = gsi;
		e->type = KVM_IRQ_ROUTING_IRQCHIP;
		e->u.irqchip.irqchip = gsi < KVMX_PIC_PINS ?
			KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
		e->u.irqchip.pin = gsi % KVMX_PIC_PINS;
		e++;
	}
	r = kvmx_routes_install(vm, ents, e - ents);
	kfree(ents);
	return r;
}

/*
 * KVM_SET_GSI_ROUTING.  The ioctl must check @nr before copying the
 * entries in, as KVM does, so that a huge @nr is -EINVAL, not -ENOMEM.
 */
int kvmx_set_gsi_routing(struct kvmx_vm *vm,
			 const struct kvm_irq_routing_entry *ents, u32 nr,
			 u32 flags)
{
	if (READ_ONCE(vm->arch.irqchip) == KVMX_IRQCHIP_NONE)
		return -EINVAL;
	if (nr > KVMX_MAX_IRQ_ROUTES || flags)
		return -EINVAL;
	return kvmx_routes_install(vm, ents, nr);
}

/* At VM destruction, when nothing can raise a GSI any more. */
void kvmx_irq_routing_free(struct kvmx_vm *vm)
{
	kvmx_routes_free(rcu_dereference_protected(vm->arch.irq_routes, 1));
	RCU_INIT_POINTER(vm->arch.irq_routes, NULL);
}

/* Copy out the routes of @gsi, so that delivery needs no lock. */
static int kvmx_routes_of(struct kvmx_vm *vm, u32 gsi,
			  struct kvmx_route set[KVMX_MAX_ROUTES_PER_GSI])
{
	struct kvmx_irq_routes *rt;
	int idx, n = 0;

	idx = srcu_read_lock(&vm->srcu);
	rt = srcu_dereference(vm->arch.irq_routes, &vm->srcu);
	if (rt && gsi < rt->nr_gsis) {
		u32 i, end;

		gsi = array_index_nospec(gsi, rt->nr_gsis);
		end = rt->start[gsi + 1];
		for (i = rt->start[gsi]; i < end; i++)
			set[n++] = rt->routes[i];
	}
	srcu_read_unlock(&vm->srcu, idx);
	return n;
}

/*
 * KVM's reading of an MSI: an 8-bit destination (address_hi is ignored
 * without KVM_CAP_X2APIC_API), and the redirection hint makes a fixed
 * interrupt go to the lowest-priority destination.
 */
static int kvmx_msi_deliver(struct kvmx_vm *vm, u32 address_lo, u32 data)
{
	u32 mode = MSI_DATA_DM(data);
	struct kvmx_apic_irq irq = {
		.dest		= MSI_ADDR_DEST(address_lo),
		.vector		= MSI_DATA_VECTOR(data),
		/* .shorthand 0: none, the destination field decides. */
		.dest_logical	= address_lo & MSI_ADDR_DEST_LOGICAL,
		.level_trig	= data & MSI_DATA_LEVEL_TRIG,
		.assert		= true,
	};

	if ((address_lo & MSI_ADDR_REDIR_HINT) && mode == APIC_DM_FIXED)
		mode = APIC_DM_LOWEST;
	irq.delivery_mode = mode;
	return kvmx_apic_bus_deliver(vm, NULL, &irq);
}

static int kvmx_route_set(struct kvmx_vm *vm, const struct kvmx_route *r,
			  int source, int level)
{
	switch (r->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		if (r->irqchip.chip == KVM_IRQCHIP_IOAPIC)
			return vm->arch.ioapic ?
			       kvmx_ioapic_set_irq(vm, r->irqchip.pin, source,
						   level) : -1;
		return vm->arch.pic ?
		       kvmx_pic_set_irq(vm, r->irqchip.pin, source, level) : -1;
	case KVM_IRQ_ROUTING_MSI:
		/* An MSI is an edge: nothing happens when it "falls". */
		if (!level)
			return -1;
		return kvmx_msi_deliver(vm, r->msi.address_lo, r->msi.data);
	default:
		/* HV_SINT: the SynIC is never active in kvmx. */
		return level ? -EINVAL : -1;
	}
}

/*
 * Returns as KVM_IRQ_LINE_STATUS: -1 when no route took it (none at all,
 * masked, or an MSI nobody accepted), else the sum of the non-negative
 * results: 0 coalesced, >0 delivered.
 */
int kvmx_set_irq(struct kvmx_vm *vm, int source, u32 gsi, int level,
		 bool line_status)
{
	struct kvmx_route set[KVMX_MAX_ROUTES_PER_GSI];
	int i, n, r, ret = -1;

	/* line_status only tunes KVM's RTC reinjection in its IOAPIC. */
	n = kvmx_routes_of(vm, gsi, set);
	for (i = 0; i < n; i++) {
		r = kvmx_route_set(vm, &set[i], source, level);
		if (r >= 0)
			ret = r + max(ret, 0);
	}
	return ret;
}

/* KVM_SIGNAL_MSI: >0 delivered, 0 coalesced, -1 nobody took it. */
int kvmx_deliver_msi(struct kvmx_vm *vm, const struct kvm_msi *msi)
{
	/* KVM accepts (and ignores) a device id on x86. */
	if (READ_ONCE(vm->arch.irqchip) == KVMX_IRQCHIP_NONE ||
	    (msi->flags & ~KVM_MSI_VALID_DEVID))
		return -EINVAL;
	return kvmx_msi_deliver(vm, msi->address_lo, msi->data);
}

/*
 * The guest acked @pin of @irqchip: tell whoever listens on the GSI last
 * routed there (KVM keeps one GSI per pin).  PIC pins may be given as
 * 0-7 of either chip or as 0-15 of the pair.  Called with no device lock
 * held: the resampler lowers lines from here.
 */
void kvmx_irq_ack(struct kvmx_vm *vm, unsigned int irqchip,
		  unsigned int pin)
{
	struct kvmx_irq_routes *rt;
	int idx, gsi = -1;

	if (irqchip == KVM_IRQCHIP_PIC_SLAVE && pin < KVMX_PIC_PINS)
		pin += KVMX_PIC_PINS;

	idx = srcu_read_lock(&vm->srcu);
	rt = srcu_dereference(vm->arch.irq_routes, &vm->srcu);
	if (rt) {
		if (irqchip == KVM_IRQCHIP_IOAPIC && pin < KVMX_IOAPIC_PINS)
			gsi = rt->ioapic_gsi[array_index_nospec(pin,
							KVMX_IOAPIC_PINS)];
		else if (irqchip <= KVM_IRQCHIP_PIC_SLAVE &&
			 pin < KVMX_PIC_PAIR_PINS)
			gsi = rt->pic_gsi[array_index_nospec(pin,
							KVMX_PIC_PAIR_PINS)];
	}
	srcu_read_unlock(&vm->srcu, idx);
	if (gsi < 0)
		return;

	kvmx_irqfd_resample(vm, gsi);
	/* The PIT waits for the ack of its tick on GSI 0 (reinject mode). */
	if (gsi == 0)
		kvmx_pit_ack(vm);
}

/*
 * Split irqchip: does the EOI of level-triggered @vector by @vcpu finish
 * an interrupt of userspace's IOAPIC?  KVM's answer: an MSI route of one
 * of the first nr_reserved_ioapic_pins GSIs, level-triggered, with that
 * vector, aimed at this vCPU.
 */
bool kvmx_split_eoi_wanted(struct kvmx_vcpu *vcpu, int vector)
{
	struct kvmx_vm *vm = vcpu->vm;
	struct kvmx_irq_routes *rt;
	bool wanted = false;
	u32 gsi, i;
	int idx;

	idx = srcu_read_lock(&vm->srcu);
	rt = srcu_dereference(vm->arch.irq_routes, &vm->srcu);
	for (gsi = 0; rt && !wanted && gsi < rt->nr_gsis &&
	     gsi < vm->arch.nr_reserved_ioapic_pins; gsi++) {
		for (i = rt->start[gsi]; i < rt->start[gsi + 1]; i++) {
			const struct kvmx_route *r = &rt->routes[i];

			if (r->type != KVM_IRQ_ROUTING_MSI ||
			    !(r->msi.data & MSI_DATA_LEVEL_TRIG) ||
			    MSI_DATA_VECTOR(r->msi.data) != vector ||
			    !kvmx_lapic_is_dest(vcpu,
					MSI_ADDR_DEST(r->msi.address_lo),
					r->msi.address_lo & MSI_ADDR_DEST_LOGICAL))
				continue;
			wanted = true;
			break;
		}
	}
	srcu_read_unlock(&vm->srcu, idx);
	return wanted;
}

bool kvmx_arch_irqfd_allowed(struct kvmx_vm *vm, const struct kvm_irqfd *args)
{
	enum kvmx_irqchip_mode mode = READ_ONCE(vm->arch.irqchip);

	/* Resampling needs the IOAPIC's EOIs, so not the split irqchip. */
	if (args->flags & KVM_IRQFD_FLAG_RESAMPLE)
		return mode == KVMX_IRQCHIP_KERNEL;
	return mode != KVMX_IRQCHIP_NONE;
}
