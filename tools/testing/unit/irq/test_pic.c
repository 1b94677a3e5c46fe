// SPDX-License-Identifier: GPL-2.0
/* The 8259A pair model against the datasheet and KVM's i8259.c. */
#include <string.h>

#include "irq/pic_model.h"
#include "test.h"

static int acks[64], nacks;
static bool takes_extint = true;

static void rec_ack(void *opaque, int pin)
{
	(void)opaque;
	if (pin < 0 || pin >= PIC_PINS)
		t_result(__FILE__, __LINE__, "ack pin in range", 0);
	if (nacks < 64)
		acks[nacks++] = pin;
}

static bool rec_takes(void *opaque)
{
	(void)opaque;
	return takes_extint;
}

static const struct pic_model_ops ops = {
	.ack = rec_ack,
	.cpu_takes_extint = rec_takes,
};

static void out(struct pic_model *m, u16 port, u8 v)
{
	pic_model_write(m, port, v);
}

/* What a BIOS does: vectors 0x08 and 0x70, cascade on 2, 8086 mode. */
static void pic_boot(struct pic_model *m, u8 icw4_master)
{
	pic_model_init(m, &ops, NULL);
	out(m, 0x20, 0x11);
	out(m, 0x21, 0x08);
	out(m, 0x21, 0x04);
	out(m, 0x21, icw4_master);
	out(m, 0xa0, 0x11);
	out(m, 0xa1, 0x70);
	out(m, 0xa1, 0x02);
	out(m, 0xa1, 0x01);
	nacks = 0;
}

static u8 isr(struct pic_model *m, u16 port)
{
	out(m, port, 0x0b);
	return pic_model_read(m, port);
}

static u8 irr(struct pic_model *m, u16 port)
{
	out(m, port, 0x0a);
	return pic_model_read(m, port);
}

static void test_init_and_edge(void)
{
	struct pic_model m;

	pic_boot(&m, 0x01);
	CHECK_EQ(pic_model_read(&m, 0x21), 0);
	CHECK_EQ(m.chip[0].irq_base, 0x08);
	CHECK_EQ(m.chip[1].irq_base, 0x70);
	CHECK_EQ(m.chip[0].init_state, 0);
	CHECK(!m.output);

	/* A rising edge is delivered once. */
	CHECK_EQ(pic_model_set_irq(&m, 0, 0, 1), 1);
	CHECK(m.output && m.output_rose);
	m.output_rose = false;
	CHECK_EQ(irr(&m, 0x20), 0x01);
	/* No new edge while high: KVM still says 1. */
	CHECK_EQ(pic_model_set_irq(&m, 0, 0, 1), 1);
	/* A new edge on a request not yet taken: coalesced. */
	CHECK_EQ(pic_model_set_irq(&m, 0, 0, 0), 1);
	CHECK_EQ(pic_model_set_irq(&m, 0, 0, 1), 0);

	CHECK_EQ(pic_model_intack(&m), 0x08);
	CHECK(!m.output);
	CHECK_EQ(isr(&m, 0x20), 0x01);
	CHECK_EQ(irr(&m, 0x20), 0x00);
	/* Non-specific EOI. */
	out(&m, 0x20, 0x20);
	CHECK_EQ(isr(&m, 0x20), 0x00);
	CHECK_EQ(nacks, 1);
	CHECK_EQ(acks[0], 0);
	/* Nothing in service: a non-specific EOI does nothing. */
	out(&m, 0x20, 0x20);
	CHECK_EQ(nacks, 1);
}

static void test_mask_and_sources(void)
{
	struct pic_model m;

	pic_boot(&m, 0x01);
	out(&m, 0x21, 0x10);
	CHECK_EQ(pic_model_read(&m, 0x21), 0x10);
	CHECK_EQ(pic_model_set_irq(&m, 4, 0, 1), -1);
	CHECK(!m.output);
	/* Unmasking lets the latched request through. */
	out(&m, 0x21, 0x00);
	CHECK(m.output);
	CHECK_EQ(pic_model_intack(&m), 0x0c);

	/* The line is the OR of its sources. */
	pic_boot(&m, 0x01);
	out(&m, 0x4d0, 0xff);
	CHECK_EQ(pic_model_read(&m, 0x4d0), 0xf8);
	out(&m, 0x4d1, 0xff);
	CHECK_EQ(pic_model_read(&m, 0x4d1), 0xde);
	CHECK_EQ(pic_model_set_irq(&m, 5, 0, 1), 1);
	CHECK_EQ(pic_model_set_irq(&m, 5, 63, 1), 0);	/* level: already */
	/* Source 63 keeps the line up: still requested, "coalesced". */
	CHECK_EQ(pic_model_set_irq(&m, 5, 0, 0), 0);
	CHECK_EQ(irr(&m, 0x20), 0x20);
	CHECK_EQ(pic_model_set_irq(&m, 5, 63, 0), 1);
	CHECK_EQ(irr(&m, 0x20), 0x00);
	CHECK(!m.output);
}

static void test_level(void)
{
	struct pic_model m;

	pic_boot(&m, 0x01);
	out(&m, 0x4d0, 0x08);
	pic_model_set_irq(&m, 3, 1, 1);
	CHECK_EQ(pic_model_intack(&m), 0x0b);
	/* INTA leaves a level request in IRR. */
	CHECK_EQ(irr(&m, 0x20), 0x08);
	CHECK(!m.output);		/* blocked by its own ISR bit */
	m.output_rose = false;
	out(&m, 0x20, 0x63);		/* specific EOI 3 */
	CHECK_EQ(nacks, 1);
	CHECK_EQ(acks[0], 3);
	CHECK(m.output && m.output_rose);
	pic_model_set_irq(&m, 3, 1, 0);
	CHECK(!m.output);
	CHECK_EQ(irr(&m, 0x20), 0);
}

static void test_cascade(void)
{
	struct pic_model m;

	pic_boot(&m, 0x01);
	CHECK_EQ(pic_model_set_irq(&m, 10, 0, 1), 1);
	CHECK(m.output);
	CHECK_EQ(irr(&m, 0x20), 0x04);
	CHECK_EQ(pic_model_intack(&m), 0x72);
	CHECK_EQ(isr(&m, 0x20), 0x04);
	CHECK_EQ(isr(&m, 0xa0), 0x04);
	out(&m, 0xa0, 0x20);
	out(&m, 0x20, 0x20);
	CHECK_EQ(nacks, 2);
	CHECK_EQ(acks[0], 10);
	CHECK_EQ(acks[1], 2);

	/* Slave request gone before INTA: spurious IRQ15. */
	pic_boot(&m, 0x01);
	pic_model_set_irq(&m, 12, 0, 1);
	out(&m, 0xa1, 0x10);
	CHECK_EQ(pic_model_intack(&m), 0x77);
	CHECK_EQ(isr(&m, 0x20), 0x04);
	CHECK_EQ(isr(&m, 0xa0), 0x00);

	/* Master request gone before INTA: spurious IRQ7, no ISR bit. */
	pic_boot(&m, 0x01);
	pic_model_set_irq(&m, 6, 0, 1);
	out(&m, 0x21, 0x40);
	CHECK_EQ(pic_model_intack(&m), 0x0f);
	CHECK_EQ(isr(&m, 0x20), 0x00);
}

static void test_priority(void)
{
	struct pic_model m;

	pic_boot(&m, 0x01);
	pic_model_set_irq(&m, 5, 0, 1);
	pic_model_set_irq(&m, 3, 0, 1);
	CHECK_EQ(pic_model_intack(&m), 0x0b);
	/* 5 waits behind 3 in service, 1 preempts it. */
	CHECK(!m.output);
	pic_model_set_irq(&m, 1, 0, 1);
	CHECK(m.output);
	CHECK_EQ(pic_model_intack(&m), 0x09);
	CHECK_EQ(isr(&m, 0x20), 0x0a);
	/* The non-specific EOI ends the highest one in service. */
	out(&m, 0x20, 0x20);
	CHECK_EQ(isr(&m, 0x20), 0x08);
	CHECK(!m.output);
	out(&m, 0x20, 0x20);
	CHECK(m.output);
	CHECK_EQ(pic_model_intack(&m), 0x0d);

	/* Set priority: 4 lowest, so 5 beats 0. */
	pic_boot(&m, 0x01);
	out(&m, 0x20, 0xc4);
	CHECK_EQ(m.chip[0].priority_add, 5);
	pic_model_set_irq(&m, 0, 0, 1);
	pic_model_set_irq(&m, 5, 0, 1);
	CHECK_EQ(pic_model_intack(&m), 0x0d);

	/* Rotate on non-specific EOI: the ended pin becomes lowest. */
	out(&m, 0x20, 0xa0);
	CHECK_EQ(m.chip[0].priority_add, 6);
	CHECK_EQ(acks[nacks - 1], 5);
	/* Rotate on specific EOI. */
	CHECK_EQ(pic_model_intack(&m), 0x08);
	out(&m, 0x20, 0xe0);
	CHECK_EQ(m.chip[0].priority_add, 1);
	CHECK_EQ(isr(&m, 0x20), 0);
}

static void test_auto_eoi(void)
{
	struct pic_model m;

	pic_boot(&m, 0x03);
	CHECK_EQ(m.chip[0].auto_eoi, 1);
	pic_model_set_irq(&m, 1, 0, 1);
	CHECK_EQ(pic_model_intack(&m), 0x09);
	CHECK_EQ(isr(&m, 0x20), 0);
	CHECK_EQ(nacks, 1);
	CHECK_EQ(acks[0], 1);
	/* Rotate in auto-EOI mode. */
	out(&m, 0x20, 0x80);
	CHECK_EQ(m.chip[0].rotate_on_auto_eoi, 1);
	pic_model_set_irq(&m, 4, 0, 1);
	CHECK_EQ(pic_model_intack(&m), 0x0c);
	CHECK_EQ(m.chip[0].priority_add, 5);
	out(&m, 0x20, 0x00);
	CHECK_EQ(m.chip[0].rotate_on_auto_eoi, 0);
}

static void test_poll(void)
{
	struct pic_model m;

	pic_boot(&m, 0x01);
	out(&m, 0x20, 0x0c);
	CHECK_EQ(pic_model_read(&m, 0x20), 7);
	CHECK_EQ(m.chip[0].poll, 0);
	pic_model_set_irq(&m, 6, 0, 1);
	out(&m, 0x20, 0x0c);
	CHECK_EQ(pic_model_read(&m, 0x21), 6);	/* either port */
	CHECK_EQ(irr(&m, 0x20), 0);
	CHECK_EQ(isr(&m, 0x20), 0);
	CHECK_EQ(nacks, 1);
	CHECK_EQ(acks[0], 6);
	CHECK(!m.output);

	/* Polling the slave also ends the cascade on the master. */
	pic_model_set_irq(&m, 9, 0, 1);
	CHECK_EQ(irr(&m, 0x20), 0x04);
	out(&m, 0xa0, 0x0c);
	CHECK_EQ(pic_model_read(&m, 0xa0), 1);
	CHECK_EQ(irr(&m, 0x20), 0);
	CHECK(!m.output);
}

static void test_special_fully_nested(void)
{
	struct pic_model m;
	int sfnm;

	for (sfnm = 0; sfnm < 2; sfnm++) {
		pic_boot(&m, sfnm ? 0x11 : 0x01);
		CHECK_EQ(m.chip[0].special_fully_nested_mode, sfnm);
		pic_model_set_irq(&m, 13, 0, 1);
		CHECK_EQ(pic_model_intack(&m), 0x75);
		pic_model_set_irq(&m, 9, 0, 1);
		/* Only SFNM lets a better slave pin past master ISR bit 2. */
		CHECK_EQ(m.output, sfnm);
	}
	CHECK_EQ(pic_model_intack(&m), 0x71);
}

static void test_icw1_and_state(void)
{
	struct pic_model m;
	struct kvm_pic_state s;

	pic_boot(&m, 0x01);
	out(&m, 0x4d0, 0x20);
	pic_model_set_irq(&m, 5, 0, 1);
	pic_model_set_irq(&m, 4, 0, 1);
	out(&m, 0x21, 0xff);
	m.chip[0].isr = 0x10;
	takes_extint = true;
	out(&m, 0x20, 0x11);
	/* Edge requests go, level ones stay, IMR clears. */
	CHECK_EQ(m.chip[0].irr, 0x20);
	CHECK_EQ(m.chip[0].imr, 0);
	CHECK_EQ(m.chip[0].init_state, 1);
	/* And KVM ends the service of the dropped edge request. */
	CHECK_EQ(m.chip[0].isr, 0);
	CHECK_EQ(nacks, 1);
	CHECK_EQ(acks[0], 4);
	out(&m, 0x21, 0x20);
	CHECK_EQ(m.chip[0].irq_base, 0x20);
	out(&m, 0x21, 0x04);
	CHECK_EQ(m.chip[0].init_state, 3);
	out(&m, 0x21, 0x01);
	CHECK_EQ(m.chip[0].init_state, 0);

	/* Without ICW4 the auto-EOI and SFNM bits go. */
	m.chip[1].auto_eoi = 1;
	out(&m, 0xa0, 0x10);
	out(&m, 0xa1, 0x30);
	out(&m, 0xa1, 0x02);
	CHECK_EQ(m.chip[1].init_state, 0);
	CHECK_EQ(m.chip[1].auto_eoi, 0);

	/* No vCPU takes ExtINT: no EOI on ICW1. */
	pic_boot(&m, 0x01);
	pic_model_set_irq(&m, 4, 0, 1);
	m.chip[0].isr = 0x10;
	takes_extint = false;
	out(&m, 0x20, 0x11);
	CHECK_EQ(m.chip[0].isr, 0x10);
	CHECK_EQ(nacks, 0);
	takes_extint = true;

	/* State goes in and out as is. */
	pic_boot(&m, 0x01);
	memset(&s, 0, sizeof(s));
	s.irr = 0x02;
	s.irq_base = 0x40;
	s.elcr_mask = 0x12;
	m.chip[0] = s;
	pic_model_update(&m);
	CHECK(m.output && m.output_rose);
	CHECK_EQ(pic_model_intack(&m), 0x41);
	CHECK_EQ(m.chip[0].elcr_mask, 0x12);
}

/* Anything a guest or a VMM does: no UB, acks in range, vectors bytes. */
static void test_random(void)
{
	static const u16 ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1 };
	uint64_t seed = 0x8259;
	struct pic_model m;
	int i;

	pic_boot(&m, 0x01);
	for (i = 0; i < 200000; i++) {
		uint64_t r = t_rnd(&seed);
		u16 port = ports[(r >> 8) % 6];
		int v;

		nacks = 0;
		takes_extint = r & 1;
		switch ((r >> 4) % 6) {
		case 0:
			out(&m, port, r >> 16);
			break;
		case 1:
			pic_model_read(&m, port);
			break;
		case 2:
			pic_model_set_irq(&m, (r >> 16) % PIC_PINS,
					  (r >> 24) % PIC_SOURCES, (r >> 32) & 1);
			break;
		case 3:
			v = pic_model_intack(&m);
			if (v < 0 || v > 0xff)
				CHECK(0);
			break;
		case 4:
			if ((r >> 40) % 64 == 0)
				memcpy(&m.chip[(r >> 16) & 1], &r, 8);
			pic_model_update(&m);
			break;
		default:
			if ((r >> 40) % 4096 == 0)
				pic_boot(&m, (r >> 48) & 0x13);
			break;
		}
	}
	CHECK(1);
}

void test_pic(void)
{
	test_init_and_edge();
	test_mask_and_sources();
	test_level();
	test_cascade();
	test_priority();
	test_auto_eoi();
	test_poll();
	test_special_fully_nested();
	test_icw1_and_state();
	test_random();
}
