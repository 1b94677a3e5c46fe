// SPDX-License-Identifier: GPL-2.0
/*
 * irqchip_test: the in-kernel irqchip's VM ioctls, without running a guest.
 *
 *  - KVM_CREATE_IRQCHIP: a second one is EEXIST, one after KVM_CREATE_VCPU
 *    is EINVAL; without it GET/SET_IRQCHIP, IRQ_LINE(_STATUS) are ENXIO,
 *    SET_GSI_ROUTING, SIGNAL_MSI, IRQFD and the vCPU's GET_LAPIC EINVAL;
 *  - KVM_GET_IRQCHIP's state right after creation (PICs all zero but
 *    elcr_mask 0xf8/0xde; IOAPIC at 0xfec00000, every pin masked), and
 *    GET/SET round trips of both PICs and the IOAPIC (all fields, remote
 *    IRR and pending IRR of masked pins included); any other chip_id is
 *    EINVAL;
 *  - KVM_IRQ_LINE_STATUS's status (<0 masked or ignored, 0 coalesced, >0
 *    delivered to that many LAPICs): IOAPIC edge pins (masked: -1 then 0;
 *    unmasked: 1, 0 while the line stays high, 1 again after a low; 0 if
 *    the LAPIC is software-disabled), level pins (1, then -1 while remote
 *    IRR is set), PIC pins (the default routing sums PIC and IOAPIC), a
 *    GSI without a route (-1); KVM_IRQ_LINE does not write status back;
 *  - KVM_SET_GSI_ROUTING's checks: flags, nr above KVM_CAP_IRQ_ROUTING,
 *    gsi, entry flags, PIC pin >= 8, IOAPIC pin >= 24, unknown irqchip or
 *    type, a GSI on the same irqchip twice or on an irqchip and MSI (all
 *    EINVAL); a GSI on both PIC and IOAPIC (or on both PICs), an empty
 *    table and a full one are fine; a failed call keeps the old table;
 *  - KVM_SIGNAL_MSI: unknown flags EINVAL; the result counts the LAPICs
 *    that took the interrupt (0 for a software-disabled or absent one).
 *
 * Reference: api.rst 4.24-4.27 (CREATE_IRQCHIP, IRQ_LINE, GET/SET_IRQCHIP),
 * 4.52 (SET_GSI_ROUTING), 4.70 (SIGNAL_MSI); 6.1 code: kvm_arch_vm_ioctl()
 * and kvm_vm_ioctl_irq_line() in arch/x86/kvm/x86.c, kvm_set_irq() and
 * kvm_set_irq_routing() in virt/kvm/irqchip.c, kvm_set_routing_entry() in
 * arch/x86/kvm/irq_comm.c, ioapic_set_irq()/ioapic_service() in ioapic.c,
 * pic_set_irq1() in i8259.c.
 */
#include <sys/eventfd.h>
#include <unistd.h>

#include "kvmx_util.h"
#include "kselftest_harness.h"

#define IOAPIC_DEFAULT_BASE	0xfec00000ULL
#define REDIR_MASKED		(1ULL << 16)
#define REDIR_LEVEL		(1ULL << 15)
#define REDIR_REMOTE_IRR	(1ULL << 14)
#define APIC_SVR		0xf0

/* KVM_IRQ_LINE_STATUS: the status, or -1000 - errno if the ioctl failed. */
static int irq_line(int vm, uint32_t gsi, uint32_t level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };
	long r = KVM_IOCTL(vm, KVM_IRQ_LINE_STATUS, &l);

	return r < 0 ? (int)(-1000 + r) : l.status;
}

static struct kvm_irq_routing *routing_alloc(unsigned int n)
{
	struct kvm_irq_routing *r;

	r = calloc(1, sizeof(*r) + n * sizeof(r->entries[0]));
	if (r)
		r->nr = n;
	return r;
}

static void route_chip(struct kvm_irq_routing_entry *e, uint32_t gsi,
		       uint32_t chip, uint32_t pin)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

static void route_msi(struct kvm_irq_routing_entry *e, uint32_t gsi,
		      uint32_t dest, uint32_t vector)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	e->u.msi.address_lo = 0xfee00000 | (dest << 12);
	e->u.msi.data = vector;
}

static int set_routing(int vm, struct kvm_irq_routing *r)
{
	return (int)KVM_IOCTL(vm, KVM_SET_GSI_ROUTING, r);
}

/* A VM with the irqchip; with a vCPU whose LAPIC is on if vcpu != NULL. */
static int vm_with_irqchip(int *vcpu, bool apic_enabled)
{
	struct kvm_lapic_state lapic;
	int vm = vm_create_standalone();

	if (vm < 0)
		return vm;
	if (KVM_IOCTL(vm, KVM_CREATE_IRQCHIP, 0))
		return -1;
	if (!vcpu)
		return vm;
	*vcpu = vcpu_create(vm, 0);
	if (*vcpu < 0)
		return -1;
	if (apic_enabled) {
		if (KVM_IOCTL(*vcpu, KVM_GET_LAPIC, &lapic))
			return -1;
		*(uint32_t *)&lapic.regs[APIC_SVR] = 0x1ff;
		if (KVM_IOCTL(*vcpu, KVM_SET_LAPIC, &lapic))
			return -1;
	}
	return vm;
}

TEST(create_irqchip)
{
	int vm = vm_create_standalone(), kvm = kvm_open(), vcpu;

	ASSERT_LE(0, vm);
	ASSERT_LE(0, kvm);
	EXPECT_EQ(1, kvm_check_cap(kvm, KVM_CAP_IRQCHIP));
	EXPECT_EQ(1, kvm_check_cap(vm, KVM_CAP_IRQCHIP));
	EXPECT_EQ(0, KVM_IOCTL(vm, KVM_CREATE_IRQCHIP, 0));
	EXPECT_EQ(-EEXIST, KVM_IOCTL(vm, KVM_CREATE_IRQCHIP, 0));
	vcpu = vcpu_create(vm, 0);
	EXPECT_LE(0, vcpu);
	EXPECT_EQ(-EEXIST, KVM_IOCTL(vm, KVM_CREATE_IRQCHIP, 0));
	close(vcpu);
	close(vm);

	/* After a vCPU: EINVAL, and the VM still has none. */
	vm = vm_create(kvm);
	ASSERT_LE(0, vm);
	vcpu = vcpu_create(vm, 0);
	ASSERT_LE(0, vcpu);
	EXPECT_EQ(-EINVAL, KVM_IOCTL(vm, KVM_CREATE_IRQCHIP, 0));
	{
		struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };

		EXPECT_EQ(-ENXIO, KVM_IOCTL(vm, KVM_GET_IRQCHIP, &chip));
	}
	close(vcpu);
	close(vm);
	close(kvm);
}

TEST(without_irqchip)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_PIC_MASTER };
	struct kvm_irq_level line = { .irq = 4, .level = 1 };
	struct kvm_irq_routing *rt = routing_alloc(1);
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = 0x40 };
	struct kvm_lapic_state lapic;
	struct kvm_irqfd irqfd;
	int vm = vm_create_standalone(), vcpu, efd;

	ASSERT_LE(0, vm);
	ASSERT_NE(NULL, rt);
	EXPECT_EQ(-ENXIO, KVM_IOCTL(vm, KVM_GET_IRQCHIP, &chip));
	EXPECT_EQ(-ENXIO, KVM_IOCTL(vm, KVM_SET_IRQCHIP, &chip));
	EXPECT_EQ(-ENXIO, KVM_IOCTL(vm, KVM_IRQ_LINE, &line));
	EXPECT_EQ(-ENXIO, KVM_IOCTL(vm, KVM_IRQ_LINE_STATUS, &line));
	route_chip(&rt->entries[0], 4, KVM_IRQCHIP_IOAPIC, 4);
	EXPECT_EQ(-EINVAL, set_routing(vm, rt));
	rt->nr = 0;
	EXPECT_EQ(-EINVAL, set_routing(vm, rt));
	EXPECT_EQ(-EINVAL, KVM_IOCTL(vm, KVM_SIGNAL_MSI, &msi));

	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	memset(&irqfd, 0, sizeof(irqfd));
	irqfd.fd = efd;
	irqfd.gsi = 4;
	EXPECT_EQ(-EINVAL, KVM_IOCTL(vm, KVM_IRQFD, &irqfd));

	vcpu = vcpu_create(vm, 0);
	ASSERT_LE(0, vcpu);
	EXPECT_EQ(-EINVAL, KVM_IOCTL(vcpu, KVM_GET_LAPIC, &lapic));
	close(efd);
	close(vcpu);
	close(vm);
	free(rt);
}

TEST(initial_state)
{
	struct kvm_irqchip chip;
	int vm = vm_with_irqchip(NULL, false), i;

	ASSERT_LE(0, vm);
	memset(&chip, 0xa5, sizeof(chip));
	chip.chip_id = KVM_IRQCHIP_PIC_MASTER;
	ASSERT_EQ(0, KVM_IOCTL(vm, KVM_GET_IRQCHIP, &chip));
	EXPECT_EQ(KVM_IRQCHIP_PIC_MASTER, chip.chip_id);
	EXPECT_EQ(0xf8, chip.chip.pic.elcr_mask);
	chip.chip.pic.elcr_mask = 0;
	for (i = 0; i < (int)sizeof(chip.chip.pic); i++)
		EXPECT_EQ(0, ((uint8_t *)&chip.chip.pic)[i]) TH_LOG("PIC master byte %d", i);

	memset(&chip, 0xa5, sizeof(chip));
	chip.chip_id = KVM_IRQCHIP_PIC_SLAVE;
	ASSERT_EQ(0, KVM_IOCTL(vm, KVM_GET_IRQCHIP, &chip));
	EXPECT_EQ(0xde, chip.chip.pic.elcr_mask);
	chip.chip.pic.elcr_mask = 0;
	for (i = 0; i < (int)sizeof(chip.chip.pic); i++)
		EXPECT_EQ(0, ((uint8_t *)&chip.chip.pic)[i]) TH_LOG("PIC slave byte %d", i);

	memset(&chip, 0xa5, sizeof(chip));
	chip.chip_id = KVM_IRQCHIP_IOAPIC;
	ASSERT_EQ(0, KVM_IOCTL(vm, KVM_GET_IRQCHIP, &chip));
	EXPECT_EQ(IOAPIC_DEFAULT_BASE, chip.chip.ioapic.base_address);
	EXPECT_EQ(0, chip.chip.ioapic.ioregsel);
	EXPECT_EQ(0, chip.chip.ioapic.id);
	EXPECT_EQ(0, chip.chip.ioapic.irr);
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		EXPECT_EQ(REDIR_MASKED, chip.chip.ioapic.redirtbl[i].bits) TH_LOG("pin %d", i);

	/* Only the three chips. */
	chip.chip_id = 3;
	EXPECT_EQ(-EINVAL, KVM_IOCTL(vm, KVM_GET_IRQCHIP, &chip));
	EXPECT_EQ(-EINVAL, KVM_IOCTL(vm, KVM_SET_IRQCHIP, &chip));
	chip.chip_id = 0xffffffff;
	EXPECT_EQ(-EINVAL, KVM_IOCTL(vm, KVM_GET_IRQCHIP, &chip));
	EXPECT_EQ(-EINVAL, KVM_IOCTL(vm, KVM_SET_IRQCHIP, &chip));
	close(vm);
}

TEST(pic_round_trip)
{
	struct kvm_irqchip set, get;
	int vm = vm_with_irqchip(NULL, false), c;

	ASSERT_LE(0, vm);
	for (c = KVM_IRQCHIP_PIC_MASTER; c <= KVM_IRQCHIP_PIC_SLAVE; c++) {
		struct kvm_pic_state *p = &set.chip.pic;

		memset(&set, 0, sizeof(set));
		set.chip_id = c;
		p->last_irr = 0x10;
		p->irr = 0x10;
		p->imr = 0xfb - c;
		p->isr = 0x02;
		p->priority_add = 3;
		p->irq_base = 0x20 + 8 * c;
		p->read_reg_select = 1;
		p->poll = 0;
		p->special_mask = 1;
		p->init_state = 2;
		p->auto_eoi = 1;
		p->rotate_on_auto_eoi = 1;
		p->special_fully_nested_mode = 1;
		p->init4 = 1;
		p->elcr = c ? 0x0c : 0x08;
		p->elcr_mask = c ? 0xde : 0xf8;
		ASSERT_EQ(0, KVM_IOCTL(vm, KVM_SET_IRQCHIP, &set));
		memset(&get, 0x5a, sizeof(get));
		get.chip_id = c;
		ASSERT_EQ(0, KVM_IOCTL(vm, KVM_GET_IRQCHIP, &get));
		EXPECT_EQ(0, memcmp(&set.chip.pic, &get.chip.pic, sizeof(*p)))
			TH_LOG("chip %d: irr %#x imr %#x isr %#x elcr %#x", c,
			       get.chip.pic.irr, get.chip.pic.imr,
			       get.chip.pic.isr, get.chip.pic.elcr);
	}
	/* The master is unchanged by the slave's SET. */
	get.chip_id = KVM_IRQCHIP_PIC_MASTER;
	ASSERT_EQ(0, KVM_IOCTL(vm, KVM_GET_IRQCHIP, &get));
	EXPECT_EQ(0xfb, get.chip.pic.imr);
	EXPECT_EQ(0x20, get.chip.pic.irq_base);
	close(vm);
}

TEST(ioapic_round_trip)
{
	struct kvm_irqchip set, get;
	struct kvm_ioapic_state *s = &set.chip.ioapic;
	int vm = vm_with_irqchip(NULL, false), i;

	ASSERT_LE(0, vm);
	memset(&set, 0, sizeof(set));
	set.chip_id = KVM_IRQCHIP_IOAPIC;
	s->base_address = IOAPIC_DEFAULT_BASE;
	s->ioregsel = 0x12;
	s->id = 5;
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		s->redirtbl[i].bits = REDIR_MASKED | (0x30 + i) |
				      ((uint64_t)(i & 3) << 56);
	/* Masked level pin, still waiting for its EOI. */
	s->redirtbl[9].bits |= REDIR_LEVEL | REDIR_REMOTE_IRR;
	/* Unmasked ones (the line is low: nothing is delivered). */
	s->redirtbl[3].bits &= ~REDIR_MASKED;
	s->redirtbl[20].bits = REDIR_LEVEL | 0x61 | (1ULL << 11) | (1ULL << 8) |
			       (0x0fULL << 56);
	/* A pending edge on a masked pin stays pending. */
	s->irr = 1 << 7;

	ASSERT_EQ(0, KVM_IOCTL(vm, KVM_SET_IRQCHIP, &set));
	memset(&get, 0x5a, sizeof(get));
	get.chip_id = KVM_IRQCHIP_IOAPIC;
	ASSERT_EQ(0, KVM_IOCTL(vm, KVM_GET_IRQCHIP, &get));
	EXPECT_EQ(s->base_address, get.chip.ioapic.base_address);
	EXPECT_EQ(s->ioregsel, get.chip.ioapic.ioregsel);
	EXPECT_EQ(s->id, get.chip.ioapic.id);
	EXPECT_EQ(s->irr, get.chip.ioapic.irr);
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		EXPECT_EQ(s->redirtbl[i].bits, get.chip.ioapic.redirtbl[i].bits)
			TH_LOG("pin %d", i);

	/* The PICs did not change. */
	get.chip_id = KVM_IRQCHIP_PIC_MASTER;
	ASSERT_EQ(0, KVM_IOCTL(vm, KVM_GET_IRQCHIP, &get));
	EXPECT_EQ(0xf8, get.chip.pic.elcr_mask);
	EXPECT_EQ(0, get.chip.pic.imr);
	close(vm);
}

/* Unmask IOAPIC pin to vector, fixed, physical destination APIC 0. */
static void ioapic_route(struct __test_metadata *_metadata, int vm, int pin,
			 int vector, bool level)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };

	ASSERT_EQ(0, KVM_IOCTL(vm, KVM_GET_IRQCHIP, &chip));
	chip.chip.ioapic.redirtbl[pin].bits = vector | (level ? REDIR_LEVEL : 0);
	ASSERT_EQ(0, KVM_IOCTL(vm, KVM_SET_IRQCHIP, &chip));
}

static uint64_t ioapic_redir(struct __test_metadata *_metadata, int vm, int pin)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };

	EXPECT_EQ(0, KVM_IOCTL(vm, KVM_GET_IRQCHIP, &chip));
	return chip.chip.ioapic.redirtbl[pin].bits;
}

TEST(irq_line_status_ioapic)
{
	struct kvm_irq_level l;
	int vcpu, vm = vm_with_irqchip(&vcpu, true);

	ASSERT_LE(0, vm);
	/* GSIs 16-23 go to the IOAPIC only.  Masked edge pin. */
	EXPECT_EQ(-1, irq_line(vm, 16, 1));
	EXPECT_EQ(0, irq_line(vm, 16, 1));	/* still pending: coalesced */
	EXPECT_EQ(1, irq_line(vm, 16, 0));
	EXPECT_EQ(1, irq_line(vm, 16, 0));
	EXPECT_EQ(-1, irq_line(vm, 16, 1));

	/* Unmasked edge pin, enabled LAPIC: delivered to one. */
	ioapic_route(_metadata, vm, 17, 0x41, false);
	EXPECT_EQ(1, irq_line(vm, 17, 1));
	EXPECT_EQ(0, irq_line(vm, 17, 1));	/* no new edge */
	EXPECT_EQ(1, irq_line(vm, 17, 0));
	EXPECT_EQ(1, irq_line(vm, 17, 1));	/* IRR already has it: still 1 */
	EXPECT_EQ(1, irq_line(vm, 17, 0));

	/* Level pin: delivered, then blocked by remote IRR until the EOI. */
	ioapic_route(_metadata, vm, 18, 0x42, true);
	EXPECT_EQ(1, irq_line(vm, 18, 1));
	EXPECT_NE(0, ioapic_redir(_metadata, vm, 18) & REDIR_REMOTE_IRR);
	EXPECT_EQ(-1, irq_line(vm, 18, 1));
	EXPECT_EQ(1, irq_line(vm, 18, 0));
	EXPECT_EQ(-1, irq_line(vm, 18, 1));
	EXPECT_EQ(1, irq_line(vm, 18, 0));

	/* A GSI without a route: ignored, -1; the ioctl still succeeds. */
	EXPECT_EQ(-1, irq_line(vm, 100, 1));
	EXPECT_EQ(-1, irq_line(vm, 1023, 1));

	/* KVM_IRQ_LINE does not write status back. */
	memset(&l, 0, sizeof(l));
	l.irq = 17;
	l.level = 1;
	EXPECT_EQ(0, KVM_IOCTL(vm, KVM_IRQ_LINE, &l));
	EXPECT_EQ(17, l.irq);
	close(vcpu);
	close(vm);
}

/* With the LAPIC software-disabled (its reset state) nothing is taken. */
TEST(irq_line_status_apic_disabled)
{
	int vcpu, vm = vm_with_irqchip(&vcpu, false);

	ASSERT_LE(0, vm);
	ioapic_route(_metadata, vm, 17, 0x41, false);
	EXPECT_EQ(0, irq_line(vm, 17, 1));
	EXPECT_EQ(0, irq_line(vm, 17, 1));
	EXPECT_EQ(1, irq_line(vm, 17, 0));
	/* Level: not taken, so no remote IRR. */
	ioapic_route(_metadata, vm, 18, 0x42, true);
	EXPECT_EQ(0, irq_line(vm, 18, 1));
	EXPECT_EQ(0, ioapic_redir(_metadata, vm, 18) & REDIR_REMOTE_IRR);
	EXPECT_EQ(0, irq_line(vm, 18, 1));
	close(vcpu);
	close(vm);
}

TEST(irq_line_status_pic)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_PIC_MASTER };
	int vcpu, vm = vm_with_irqchip(&vcpu, true);

	ASSERT_LE(0, vm);
	/*
	 * GSI 3 is PIC master pin 3 (IMR 0 after creation) and masked IOAPIC
	 * pin 3: the status is the PIC's.  An edge the PIC still holds in
	 * its IRR is coalesced.
	 */
	EXPECT_EQ(1, irq_line(vm, 3, 1));
	EXPECT_EQ(1, irq_line(vm, 3, 1));
	/* Lowering a line: 1 from each chip, masked or not. */
	EXPECT_EQ(2, irq_line(vm, 3, 0));
	EXPECT_EQ(0, irq_line(vm, 3, 1));
	EXPECT_EQ(2, irq_line(vm, 3, 0));
	ASSERT_EQ(0, KVM_IOCTL(vm, KVM_GET_IRQCHIP, &chip));
	EXPECT_EQ(1 << 3, chip.chip.pic.irr);

	/* Masked in the PIC too: -1. */
	chip.chip.pic.imr = 0xff;
	chip.chip.pic.irr = 0;
	chip.chip.pic.last_irr = 0;
	ASSERT_EQ(0, KVM_IOCTL(vm, KVM_SET_IRQCHIP, &chip));
	EXPECT_EQ(-1, irq_line(vm, 4, 1));
	EXPECT_EQ(1, irq_line(vm, 4, 0));

	/* PIC and IOAPIC both take it: the sum. */
	ioapic_route(_metadata, vm, 5, 0x45, false);
	chip.chip.pic.imr = 0;
	ASSERT_EQ(0, KVM_IOCTL(vm, KVM_SET_IRQCHIP, &chip));
	EXPECT_EQ(2, irq_line(vm, 5, 1));
	EXPECT_EQ(1, irq_line(vm, 5, 1));	/* IOAPIC: coalesced */
	close(vcpu);
	close(vm);
}

TEST(gsi_routing)
{
	struct kvm_irq_routing *rt;
	long max;
	int vm = vm_with_irqchip(NULL, false), i;

	ASSERT_LE(0, vm);
	max = kvm_check_cap(vm, KVM_CAP_IRQ_ROUTING);
	ASSERT_LT(0, max);
	rt = routing_alloc(max + 1);
	ASSERT_NE(NULL, rt);

	rt->nr = 1;
	route_chip(&rt->entries[0], 4, KVM_IRQCHIP_IOAPIC, 4);
	EXPECT_EQ(0, set_routing(vm, rt));
	rt->flags = 1;
	EXPECT_EQ(-EINVAL, set_routing(vm, rt));
	rt->flags = 0;

	/* nr: up to KVM_CAP_IRQ_ROUTING entries. */
	for (i = 0; i <= max; i++)
		route_msi(&rt->entries[i], i, 0, 0x40);
	rt->nr = max + 1;
	EXPECT_EQ(-EINVAL, set_routing(vm, rt));
	rt->nr = max;
	EXPECT_EQ(0, set_routing(vm, rt));
	rt->nr = 0;
	EXPECT_EQ(0, set_routing(vm, rt));

	/* gsi below KVM_CAP_IRQ_ROUTING. */
	rt->nr = 1;
	route_msi(&rt->entries[0], max, 0, 0x40);
	EXPECT_EQ(-EINVAL, set_routing(vm, rt));
	route_msi(&rt->entries[0], max - 1, 0, 0x40);
	EXPECT_EQ(0, set_routing(vm, rt));

	/* Entry flags: none for irqchip routes, unknown ones for MSI. */
	route_chip(&rt->entries[0], 4, KVM_IRQCHIP_IOAPIC, 4);
	rt->entries[0].flags = 1;
	EXPECT_EQ(-EINVAL, set_routing(vm, rt));
	route_msi(&rt->entries[0], 4, 0, 0x40);
	rt->entries[0].flags = 2;
	EXPECT_EQ(-EINVAL, set_routing(vm, rt));

	/* Pins and chips. */
	route_chip(&rt->entries[0], 4, KVM_IRQCHIP_PIC_MASTER, 7);
	EXPECT_EQ(0, set_routing(vm, rt));
	route_chip(&rt->entries[0], 4, KVM_IRQCHIP_PIC_MASTER, 8);
	EXPECT_EQ(-EINVAL, set_routing(vm, rt));
	route_chip(&rt->entries[0], 4, KVM_IRQCHIP_PIC_SLAVE, 7);
	EXPECT_EQ(0, set_routing(vm, rt));
	route_chip(&rt->entries[0], 4, KVM_IRQCHIP_PIC_SLAVE, 8);
	EXPECT_EQ(-EINVAL, set_routing(vm, rt));
	route_chip(&rt->entries[0], 4, KVM_IRQCHIP_IOAPIC, 23);
	EXPECT_EQ(0, set_routing(vm, rt));
	route_chip(&rt->entries[0], 4, KVM_IRQCHIP_IOAPIC, 24);
	EXPECT_EQ(-EINVAL, set_routing(vm, rt));
	route_chip(&rt->entries[0], 4, 3, 0);
	EXPECT_EQ(-EINVAL, set_routing(vm, rt));

	/* Unknown type. */
	route_chip(&rt->entries[0], 4, KVM_IRQCHIP_IOAPIC, 4);
	rt->entries[0].type = 0x1234;
	EXPECT_EQ(-EINVAL, set_routing(vm, rt));

	/* One GSI: on PIC and IOAPIC yes, on one chip twice or with MSI no. */
	rt->nr = 2;
	route_chip(&rt->entries[0], 4, KVM_IRQCHIP_IOAPIC, 4);
	route_chip(&rt->entries[1], 4, KVM_IRQCHIP_PIC_MASTER, 4);
	EXPECT_EQ(0, set_routing(vm, rt));
	route_chip(&rt->entries[1], 4, KVM_IRQCHIP_IOAPIC, 5);
	EXPECT_EQ(-EINVAL, set_routing(vm, rt));
	route_chip(&rt->entries[0], 4, KVM_IRQCHIP_PIC_MASTER, 3);
	route_chip(&rt->entries[1], 4, KVM_IRQCHIP_PIC_MASTER, 4);
	EXPECT_EQ(-EINVAL, set_routing(vm, rt));
	/* Master and slave are two irqchips. */
	route_chip(&rt->entries[0], 4, KVM_IRQCHIP_PIC_MASTER, 3);
	route_chip(&rt->entries[1], 4, KVM_IRQCHIP_PIC_SLAVE, 4);
	EXPECT_EQ(0, set_routing(vm, rt));
	route_chip(&rt->entries[0], 4, KVM_IRQCHIP_IOAPIC, 4);
	route_msi(&rt->entries[1], 4, 0, 0x40);
	EXPECT_EQ(-EINVAL, set_routing(vm, rt));
	route_msi(&rt->entries[0], 4, 0, 0x41);
	EXPECT_EQ(-EINVAL, set_routing(vm, rt));
	/* Two pins on one GSI is fine; one pin on two GSIs too. */
	route_chip(&rt->entries[0], 4, KVM_IRQCHIP_IOAPIC, 4);
	route_chip(&rt->entries[1], 5, KVM_IRQCHIP_IOAPIC, 4);
	EXPECT_EQ(0, set_routing(vm, rt));
	free(rt);
	close(vm);
}

/* A failed KVM_SET_GSI_ROUTING keeps the old table. */
TEST(gsi_routing_failure_keeps_table)
{
	struct kvm_irq_routing *rt = routing_alloc(2);
	int vcpu, vm = vm_with_irqchip(&vcpu, true);

	ASSERT_LE(0, vm);
	ASSERT_NE(NULL, rt);
	/* GSI 30 -> IOAPIC pin 17 (unmasked, edge). */
	ioapic_route(_metadata, vm, 17, 0x41, false);
	rt->nr = 1;
	route_chip(&rt->entries[0], 30, KVM_IRQCHIP_IOAPIC, 17);
	ASSERT_EQ(0, set_routing(vm, rt));
	EXPECT_EQ(-1, irq_line(vm, 17, 1));	/* the default route is gone */
	EXPECT_EQ(1, irq_line(vm, 30, 1));
	EXPECT_EQ(1, irq_line(vm, 30, 0));

	rt->nr = 2;
	route_chip(&rt->entries[0], 31, KVM_IRQCHIP_IOAPIC, 17);
	route_chip(&rt->entries[1], 32, KVM_IRQCHIP_IOAPIC, 24);
	EXPECT_EQ(-EINVAL, set_routing(vm, rt));
	EXPECT_EQ(-1, irq_line(vm, 31, 1));
	EXPECT_EQ(1, irq_line(vm, 30, 1));
	free(rt);
	close(vcpu);
	close(vm);
}

TEST(signal_msi)
{
	struct kvm_msi msi;
	int vcpu, vm = vm_with_irqchip(&vcpu, true), off_vcpu;

	ASSERT_LE(0, vm);
	memset(&msi, 0, sizeof(msi));
	msi.address_lo = 0xfee00000;
	msi.data = 0x40;
	msi.flags = 2;
	EXPECT_EQ(-EINVAL, KVM_IOCTL(vm, KVM_SIGNAL_MSI, &msi));
	msi.flags = 0x80000000;
	EXPECT_EQ(-EINVAL, KVM_IOCTL(vm, KVM_SIGNAL_MSI, &msi));
	msi.flags = 0;
	/* Delivered to APIC 0. */
	EXPECT_EQ(1, KVM_IOCTL(vm, KVM_SIGNAL_MSI, &msi));
	EXPECT_EQ(1, KVM_IOCTL(vm, KVM_SIGNAL_MSI, &msi));
	/* No APIC 5. */
	msi.address_lo = 0xfee00000 | (5 << 12);
	EXPECT_EQ(0, KVM_IOCTL(vm, KVM_SIGNAL_MSI, &msi));
	/* APIC 1 is there but software-disabled. */
	off_vcpu = vcpu_create(vm, 1);
	ASSERT_LE(0, off_vcpu);
	msi.address_lo = 0xfee00000 | (1 << 12);
	EXPECT_EQ(0, KVM_IOCTL(vm, KVM_SIGNAL_MSI, &msi));
	close(off_vcpu);
	close(vcpu);
	close(vm);
}

TEST_HARNESS_MAIN
