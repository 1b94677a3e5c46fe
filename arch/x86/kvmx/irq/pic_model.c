// SPDX-License-Identifier: GPL-2.0
/*
 * The 8259A pair behind ports 0x20/0xa0 and the PIIX ELCR at 0x4d0, with
 * KVM's semantics (arch/x86/kvm/i8259.c), which follow the datasheet
 * except where noted.  The slave's INT feeds master pin 2.
 *
 * Priorities: priority 0 is the highest and belongs to pin priority_add;
 * rotation moves priority_add.  A pin is delivered when it is requested
 * (IRR), not masked (IMR) and of higher priority than every pin in
 * service (ISR).
 */
#include "pic_model.h"

#define PIC_NONE	8	/* "no pin" from pic_top_priority() */

static bool pic_is_slave(const struct pic_model *m,
			 const struct kvm_pic_state *c)
{
	return c == &m->chip[1];
}

/*
 * Feed @level into pin @irq's edge detector or level latch.  Returns
 * KVM_IRQ_LINE_STATUS's value: -1 masked, 0 already requested.
 */
static int pic_latch(struct kvm_pic_state *c, int irq, int level)
{
	u8 bit = 1 << irq;
	int ret = 1;

	if (c->elcr & bit) {
		if (level) {
			ret = !(c->irr & bit);
			c->irr |= bit;
			c->last_irr |= bit;
		} else {
			c->irr &= ~bit;
			c->last_irr &= ~bit;
		}
	} else if (level) {
		/* Only a rising edge requests. */
		if (!(c->last_irr & bit)) {
			ret = !(c->irr & bit);
			c->irr |= bit;
		}
		c->last_irr |= bit;
	} else {
		c->last_irr &= ~bit;
	}
	return (c->imr & bit) ? -1 : ret;
}

/* The best priority among @pins, or PIC_NONE. */
static int pic_top_priority(const struct kvm_pic_state *c, u8 pins)
{
	int p;

	if (!pins)
		return PIC_NONE;
	for (p = 0; !(pins & (1 << ((p + c->priority_add) & 7))); p++)
		;
	return p;
}

/*
 * The pin this chip would interrupt with, or -1.  Special mask mode is
 * kept in the state but, as in KVM, does not change priorities.
 */
static int pic_pending(const struct pic_model *m,
		       const struct kvm_pic_state *c)
{
	int want = pic_top_priority(c, c->irr & ~c->imr);
	u8 busy = c->isr;

	if (want == PIC_NONE)
		return -1;
	/* Special fully nested: a slave in service does not block the slave. */
	if (c->special_fully_nested_mode && !pic_is_slave(m, c))
		busy &= ~(1 << 2);
	if (want < pic_top_priority(c, busy))
		return (want + c->priority_add) & 7;
	return -1;
}

void pic_model_update(struct pic_model *m)
{
	bool out;

	/* The slave's INT is an edge on master pin 2. */
	if (pic_pending(m, &m->chip[1]) >= 0) {
		pic_latch(&m->chip[0], 2, 1);
		pic_latch(&m->chip[0], 2, 0);
	}
	out = pic_pending(m, &m->chip[0]) >= 0;
	if (out && !m->output)
		m->output_rose = true;
	m->output = out;
}

/* End of interrupt for @irq: tell the ack hook (which may drop locks). */
static void pic_end(struct pic_model *m, struct kvm_pic_state *c, int irq)
{
	c->isr &= ~(1 << irq);
	if (m->ops && m->ops->ack)
		m->ops->ack(m->opaque, irq + (pic_is_slave(m, c) ? 8 : 0));
}

void pic_model_init(struct pic_model *m, const struct pic_model_ops *ops,
		    void *opaque)
{
	memset(m, 0, sizeof(*m));
	m->ops = ops;
	m->opaque = opaque;
	/* PIIX: IRQ0-2, 8 and 13 are always edge-triggered. */
	m->chip[0].elcr_mask = 0xf8;
	m->chip[1].elcr_mask = 0xde;
}

int pic_model_set_irq(struct pic_model *m, int pin, int source, int level)
{
	int ret;

	if (level)
		m->line[pin] |= 1UL << source;
	else
		m->line[pin] &= ~(1UL << source);
	ret = pic_latch(&m->chip[pin >> 3], pin & 7, m->line[pin] != 0);
	pic_model_update(m);
	return ret;
}

/* INTA on one chip: the pin goes into service. */
static void pic_take(struct pic_model *m, struct kvm_pic_state *c, int irq)
{
	u8 bit = 1 << irq;

	c->isr |= bit;
	/* A level request stays until the line drops. */
	if (!(c->elcr & bit))
		c->irr &= ~bit;
	if (c->auto_eoi) {
		if (c->rotate_on_auto_eoi)
			c->priority_add = (irq + 1) & 7;
		pic_end(m, c, irq);
	}
}

int pic_model_intack(struct pic_model *m)
{
	int irq, vector;

	m->output = false;
	irq = pic_pending(m, &m->chip[0]);
	if (irq < 0) {
		/* The request went away: the 8259A answers IRQ7. */
		vector = m->chip[0].irq_base + 7;
	} else {
		pic_take(m, &m->chip[0], irq);
		if (irq == 2) {
			irq = pic_pending(m, &m->chip[1]);
			if (irq >= 0)
				pic_take(m, &m->chip[1], irq);
			else
				irq = 7;	/* spurious IRQ15 */
			vector = m->chip[1].irq_base + irq;
		} else {
			vector = m->chip[0].irq_base + irq;
		}
	}
	pic_model_update(m);
	return vector & 0xff;
}

/* ICW1: start initialisation; ICW2-4 follow on the odd port. */
static void pic_icw1(struct pic_model *m, struct kvm_pic_state *c, u8 val)
{
	u8 edge_irr = c->irr & ~c->elcr;
	int irq;

	c->init4 = val & 1;
	c->last_irr = 0;
	c->irr &= c->elcr;
	c->imr = 0;
	c->priority_add = 0;
	c->special_mask = 0;
	c->read_reg_select = 0;
	if (!c->init4) {
		c->special_fully_nested_mode = 0;
		c->auto_eoi = 0;
	}
	c->init_state = 1;

	/*
	 * KVM ends the service of the edge requests it dropped, so that
	 * their ack notifiers (the PIT's reinjection) are not left waiting.
	 */
	if (!edge_irr || !m->ops || !m->ops->cpu_takes_extint ||
	    !m->ops->cpu_takes_extint(m->opaque))
		return;
	for (irq = 0; irq < 8; irq++)
		if (edge_irr & (1 << irq))
			pic_end(m, c, irq);
}

/* OCW2: EOIs and rotation; bits 7:5 are the command. */
static void pic_ocw2(struct pic_model *m, struct kvm_pic_state *c, u8 val)
{
	int cmd = val >> 5, irq, prio;

	switch (cmd) {
	case 0:	/* rotate in auto-EOI mode: clear */
	case 4:	/* ... set */
		c->rotate_on_auto_eoi = cmd >> 2;
		return;
	case 1:	/* non-specific EOI */
	case 5:	/* ... and rotate */
		prio = pic_top_priority(c, c->isr);
		if (prio == PIC_NONE)
			return;
		irq = (prio + c->priority_add) & 7;
		if (cmd == 5)
			c->priority_add = (irq + 1) & 7;
		pic_end(m, c, irq);
		break;
	case 3:	/* specific EOI */
		pic_end(m, c, val & 7);
		break;
	case 6:	/* set priority: the pin after L2-L0 becomes the best */
		c->priority_add = (val + 1) & 7;
		break;
	case 7:	/* specific EOI and rotate */
		irq = val & 7;
		c->priority_add = (irq + 1) & 7;
		pic_end(m, c, irq);
		break;
	default:	/* 2: no operation */
		return;
	}
	pic_model_update(m);
}

static void pic_write_cmd(struct pic_model *m, struct kvm_pic_state *c,
			  u8 val)
{
	if (val & 0x10) {
		/* Single mode and level-triggered mode: unsupported, as KVM. */
		pic_icw1(m, c, val);
	} else if (val & 0x08) {	/* OCW3 */
		if (val & 0x04)
			c->poll = 1;
		if (val & 0x02)
			c->read_reg_select = val & 1;
		if (val & 0x40)
			c->special_mask = (val >> 5) & 1;
	} else {
		pic_ocw2(m, c, val);
	}
}

static void pic_write_data(struct pic_model *m, struct kvm_pic_state *c,
			   u8 val)
{
	switch (c->init_state) {
	case 0:	/* OCW1 */
		c->imr = val;
		pic_model_update(m);
		break;
	case 1:	/* ICW2 */
		c->irq_base = val & 0xf8;
		c->init_state = 2;
		break;
	case 2:	/* ICW3: cascade wiring is fixed */
		c->init_state = c->init4 ? 3 : 0;
		break;
	case 3:	/* ICW4 */
		c->special_fully_nested_mode = (val >> 4) & 1;
		c->auto_eoi = (val >> 1) & 1;
		c->init_state = 0;
		break;
	}
}

/*
 * Poll mode: the read is the INTA and the EOI at once.  As KVM, the
 * value is the bare pin number (no "interrupt present" bit 7), and 7
 * when nothing is pending.
 */
static u8 pic_poll(struct pic_model *m, struct kvm_pic_state *c)
{
	int irq = pic_pending(m, c);

	if (irq < 0) {
		pic_model_update(m);
		return 7;
	}
	if (pic_is_slave(m, c)) {
		m->chip[0].isr &= ~(1 << 2);
		m->chip[0].irr &= ~(1 << 2);
	}
	c->irr &= ~(1 << irq);
	pic_end(m, c, irq);
	if (pic_is_slave(m, c) || irq != 2)
		pic_model_update(m);
	return irq;
}

static struct kvm_pic_state *pic_chip_of(struct pic_model *m, u16 port)
{
	switch (port) {
	case 0x20: case 0x21: case 0x4d0:
		return &m->chip[0];
	case 0xa0: case 0xa1: case 0x4d1:
		return &m->chip[1];
	}
	return NULL;
}

u8 pic_model_read(struct pic_model *m, u16 port)
{
	struct kvm_pic_state *c = pic_chip_of(m, port);

	if (!c)
		return 0xff;
	if (port >= 0x4d0)
		return c->elcr;
	if (c->poll) {
		c->poll = 0;
		return pic_poll(m, c);
	}
	if (port & 1)
		return c->imr;
	return c->read_reg_select ? c->isr : c->irr;
}

void pic_model_write(struct pic_model *m, u16 port, u8 val)
{
	struct kvm_pic_state *c = pic_chip_of(m, port);

	if (!c)
		return;
	if (port >= 0x4d0)
		c->elcr = val & c->elcr_mask;	/* no update, as KVM */
	else if (port & 1)
		pic_write_data(m, c, val);
	else
		pic_write_cmd(m, c, val);
}
