// SPDX-License-Identifier: GPL-2.0
/*
 * The IOAPIC with KVM's semantics (arch/x86/kvm/ioapic.c): version 0x11,
 * 24 pins, IOREGSEL at +0x00 and IOWIN at +0x10, no EOI register (a 0x11
 * IOAPIC has none; writes there are dropped and reads give 0, as KVM).
 *
 * A pin's redirection goes out when its line is raised (edge: only on a
 * rising edge) and the entry is not masked; a level entry then waits for
 * an EOI of its vector (remote IRR) before it can go out again.
 */
#include "ioapic_model.h"

#define IOAPIC_VERSION		0x11
#define IOREGSEL		0x00
#define IOWIN			0x10
#define IOAPICID		0x00
#define IOAPICVER		0x01
#define IOAPICARB		0x02
#define IOREDTBL		0x10

static u8 rte_vector(u64 e)
{
	return e & 0xff;
}

void ioapic_model_init(struct ioapic_model *m,
		       int (*deliver)(void *, const struct kvmx_apic_irq *),
		       void *opaque)
{
	int i;

	memset(m, 0, sizeof(*m));
	m->deliver = deliver;
	m->opaque = opaque;
	m->s.base_address = KVMX_IOAPIC_BASE;
	for (i = 0; i < KVMX_IOAPIC_PINS; i++)
		m->s.redirtbl[i].bits = IOAPIC_RTE_MASKED;
}

/* Send @pin's redirection to the APIC bus if nothing holds it back. */
static int ioapic_send(struct ioapic_model *m, int pin)
{
	u64 e = m->s.redirtbl[pin].bits;
	struct kvmx_apic_irq irq = {
		.dest = e >> 56,
		.vector = rte_vector(e),
		.delivery_mode = e & 0x700,	/* APIC_DM_*, in place */
		.shorthand = APIC_DEST_NOSHORT,
		.dest_logical = !!(e & IOAPIC_RTE_LOGICAL),
		.level_trig = !!(e & IOAPIC_RTE_LEVEL),
		.assert = true,
	};
	int ret;

	if ((e & IOAPIC_RTE_MASKED) ||
	    ((e & IOAPIC_RTE_LEVEL) && (e & IOAPIC_RTE_REMOTE_IRR)))
		return -1;
	if (!irq.level_trig)
		m->irr_delivered |= 1u << pin;
	ret = m->deliver(m->opaque, &irq);
	/* As KVM: even "no APIC took it" (-1) waits for an EOI. */
	if (ret && irq.level_trig)
		m->s.redirtbl[pin].bits |= IOAPIC_RTE_REMOTE_IRR;
	return ret;
}

/* The pin's line is now @level (the OR of its sources). */
static int ioapic_line(struct ioapic_model *m, int pin, bool level)
{
	u32 bit = 1u << pin, old = m->s.irr;

	if (!level) {
		m->s.irr &= ~bit;
		return 1;
	}
	m->s.irr |= bit;
	if (!(m->s.redirtbl[pin].bits & IOAPIC_RTE_LEVEL)) {
		m->irr_delivered &= ~bit;
		if (old & bit)
			return 0;	/* no edge: coalesced */
	}
	return ioapic_send(m, pin);
}

int ioapic_model_set_irq(struct ioapic_model *m, int pin, int source,
			 int level)
{
	if (level)
		m->line[pin] |= 1UL << source;
	else
		m->line[pin] &= ~(1UL << source);
	return ioapic_line(m, pin, m->line[pin] != 0);
}

static u32 ioapic_read_reg(const struct ioapic_model *m)
{
	u32 sel = m->s.ioregsel, index;
	u64 e = ~0ULL;

	switch (sel) {
	case IOAPICVER:
		return (KVMX_IOAPIC_PINS - 1) << 16 | IOAPIC_VERSION;
	case IOAPICID:
	case IOAPICARB:
		return (m->s.id & 0xf) << 24;
	}
	/* Below 0x10 this wraps to a huge index: all ones, as KVM. */
	index = (sel - IOREDTBL) >> 1;
	if (index < KVMX_IOAPIC_PINS)
		e = m->s.redirtbl[index].bits;
	return (sel & 1) ? e >> 32 : (u32)e;
}

static void ioapic_write_reg(struct ioapic_model *m, u32 val)
{
	u32 sel = m->s.ioregsel, index;
	const u64 keep = IOAPIC_RTE_REMOTE_IRR | IOAPIC_RTE_DELIVS;
	__u64 *e;

	switch (sel) {
	case IOAPICID:
		m->s.id = (val >> 24) & 0xf;
		return;
	case IOAPICVER:
	case IOAPICARB:
		return;
	}
	index = (sel - IOREDTBL) >> 1;
	if (index >= KVMX_IOAPIC_PINS)
		return;
	e = &m->s.redirtbl[index].bits;
	if (sel & 1)
		*e = (*e & 0xffffffffULL) | (u64)val << 32;
	else
		*e = (*e & (~0xffffffffULL | keep)) | (val & ~keep);
	/*
	 * Switching to edge clears remote IRR: Linux and Xen rely on that
	 * to EOI a level pin on IOAPICs without an EOI register.
	 */
	if (!(*e & IOAPIC_RTE_LEVEL))
		*e &= ~IOAPIC_RTE_REMOTE_IRR;
	if ((*e & IOAPIC_RTE_LEVEL) && (m->s.irr & (1u << index)))
		ioapic_send(m, index);
}

static bool ioapic_mine(const struct ioapic_model *m, u64 addr)
{
	return addr >= m->s.base_address &&
	       addr < m->s.base_address + IOAPIC_MMIO_LEN;
}

int ioapic_model_read(struct ioapic_model *m, u64 addr, int len, void *val)
{
	u64 result = 0;

	if (!ioapic_mine(m, addr))
		return -1;
	switch (addr & 0xff) {
	case IOREGSEL:
		result = m->s.ioregsel;
		break;
	case IOWIN:
		result = ioapic_read_reg(m);
		break;
	}
	memset(val, 0, len);
	if (len == 1 || len == 2 || len == 4 || len == 8)
		memcpy(val, &result, len);
	return 0;
}

int ioapic_model_write(struct ioapic_model *m, u64 addr, int len,
		       const void *val)
{
	u32 data = 0;

	if (!ioapic_mine(m, addr))
		return -1;
	switch (len) {
	case 1:
	case 2:
	case 4:
		memcpy(&data, val, len);
		break;
	case 8:
		memcpy(&data, val, 4);
		break;
	default:
		return 0;
	}
	switch (addr & 0xff) {
	case IOREGSEL:
		m->s.ioregsel = data & 0xff;
		break;
	case IOWIN:
		ioapic_write_reg(m, data);
		break;
	}
	return 0;
}

u32 ioapic_model_vector_pins(const struct ioapic_model *m, int vector)
{
	u32 pins = 0;
	int i;

	for (i = 0; i < KVMX_IOAPIC_PINS; i++)
		if (rte_vector(m->s.redirtbl[i].bits) == vector)
			pins |= 1u << i;
	return pins;
}

bool ioapic_model_eoi(struct ioapic_model *m, int pin)
{
	__u64 *e = &m->s.redirtbl[pin].bits;

	if (!(*e & IOAPIC_RTE_LEVEL))
		return false;
	*e &= ~IOAPIC_RTE_REMOTE_IRR;
	if ((*e & IOAPIC_RTE_MASKED) || !(m->s.irr & (1u << pin))) {
		m->eoi_streak[pin] = 0;
		return false;
	}
	/*
	 * Still asserted: send it again.  A guest that EOIs without quieting
	 * the device would spin here forever; like real hardware (and KVM),
	 * let it make some progress by delaying every IOAPIC_EOI_STORM-th.
	 */
	if (++m->eoi_streak[pin] >= IOAPIC_EOI_STORM) {
		m->eoi_streak[pin] = 0;
		return true;
	}
	ioapic_send(m, pin);
	return false;
}

void ioapic_model_retry(struct ioapic_model *m)
{
	int i;

	for (i = 0; i < KVMX_IOAPIC_PINS; i++) {
		u64 e = m->s.redirtbl[i].bits;

		if ((e & IOAPIC_RTE_LEVEL) && !(e & IOAPIC_RTE_REMOTE_IRR) &&
		    (m->s.irr & (1u << i)))
			ioapic_send(m, i);
	}
}

/* Edge pins whose edge went out read as not pending. */
void ioapic_model_get(const struct ioapic_model *m,
		      struct kvm_ioapic_state *s)
{
	*s = m->s;
	s->irr &= ~m->irr_delivered;
}

/* Taken as is, then the pins it says are pending are raised again. */
void ioapic_model_set(struct ioapic_model *m,
		      const struct kvm_ioapic_state *s)
{
	int i;

	m->s = *s;
	m->s.irr = 0;
	m->irr_delivered = 0;
	for (i = 0; i < KVMX_IOAPIC_PINS; i++)
		if (s->irr & (1u << i))
			ioapic_line(m, i, true);
}
