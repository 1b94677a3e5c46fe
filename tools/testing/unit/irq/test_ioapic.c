// SPDX-License-Identifier: GPL-2.0
/* The IOAPIC model against the 82093AA datasheet and KVM's ioapic.c. */
#include <string.h>

#include "irq/ioapic_model.h"
#include "test.h"

#define BASE	KVMX_IOAPIC_BASE

static struct kvmx_apic_irq sent[16];
static int nsent, deliver_ret = 1;

static int rec_deliver(void *opaque, const struct kvmx_apic_irq *irq)
{
	(void)opaque;
	if ((irq->delivery_mode & ~0x700) || !irq->assert || irq->shorthand)
		t_result(__FILE__, __LINE__, "well-formed message", 0);
	if (nsent < 16)
		sent[nsent] = *irq;
	nsent++;
	return deliver_ret;
}

static void setup(struct ioapic_model *m)
{
	ioapic_model_init(m, rec_deliver, NULL);
	nsent = 0;
	deliver_ret = 1;
}

static void mmio_w32(struct ioapic_model *m, u64 off, u32 v)
{
	CHECK_EQ(ioapic_model_write(m, BASE + off, 4, &v), 0);
}

static u32 mmio_r32(struct ioapic_model *m, u64 off)
{
	u32 v = 0xdeadbeef;

	CHECK_EQ(ioapic_model_read(m, BASE + off, 4, &v), 0);
	return v;
}

static u32 reg_r(struct ioapic_model *m, u32 reg)
{
	mmio_w32(m, 0x00, reg);
	return mmio_r32(m, 0x10);
}

static void reg_w(struct ioapic_model *m, u32 reg, u32 v)
{
	mmio_w32(m, 0x00, reg);
	mmio_w32(m, 0x10, v);
}

static void route(struct ioapic_model *m, int pin, u32 lo, u8 dest)
{
	reg_w(m, 0x11 + 2 * pin, (u32)dest << 24);
	reg_w(m, 0x10 + 2 * pin, lo);
}

static void test_registers(void)
{
	struct ioapic_model m;
	u64 v64 = ~0ULL;
	u8 v8;
	int i;

	setup(&m);
	CHECK_EQ(reg_r(&m, 0x01), 0x00170011);
	CHECK_EQ(reg_r(&m, 0x00), 0);
	reg_w(&m, 0x00, 0xfeffffff);
	CHECK_EQ(reg_r(&m, 0x00), 0x0e000000);
	CHECK_EQ(reg_r(&m, 0x02), 0x0e000000);	/* arbitration = ID */
	CHECK_EQ(m.s.id, 0xe);
	reg_w(&m, 0x01, 0);			/* read-only */
	CHECK_EQ(reg_r(&m, 0x01), 0x00170011);
	for (i = 0; i < KVMX_IOAPIC_PINS; i++) {
		CHECK_EQ(reg_r(&m, 0x10 + 2 * i), 0x00010000);
		CHECK_EQ(reg_r(&m, 0x11 + 2 * i), 0);
	}
	/* Past the table and between ARB and the table: all ones. */
	CHECK_EQ(reg_r(&m, 0x40), 0xffffffff);
	CHECK_EQ(reg_r(&m, 0x03), 0xffffffff);
	CHECK_EQ(reg_r(&m, 0xff), 0xffffffff);

	/* IOREGSEL keeps 8 bits; other offsets read 0, writes vanish. */
	mmio_w32(&m, 0x00, 0x1234);
	CHECK_EQ(mmio_r32(&m, 0x00), 0x34);
	CHECK_EQ(mmio_r32(&m, 0x20), 0);
	CHECK_EQ(mmio_r32(&m, 0x40), 0);	/* no EOI register at 0x11 */
	mmio_w32(&m, 0x40, 0x30);
	mmio_w32(&m, 0x00, 0x40);		/* pin 24: past the table */
	CHECK_EQ(ioapic_model_read(&m, BASE + 0x10, 8, &v64), 0);
	CHECK_EQ(v64, 0xffffffff);
	mmio_w32(&m, 0x00, 0x01);
	CHECK_EQ(ioapic_model_read(&m, BASE + 0x10, 1, &v8), 0);
	CHECK_EQ(v8, 0x11);
	v8 = 0x12;
	CHECK_EQ(ioapic_model_write(&m, BASE, 1, &v8), 0);
	CHECK_EQ(m.s.ioregsel, 0x12);

	/* Not ours: outside the window. */
	CHECK(ioapic_model_read(&m, BASE + 0x100, 4, &v64) != 0);
	CHECK(ioapic_model_write(&m, BASE - 4, 4, &v64) != 0);
}

static void test_edge(void)
{
	struct kvm_ioapic_state s;
	struct ioapic_model m;

	setup(&m);
	route(&m, 4, 0x30, 1);
	CHECK_EQ(ioapic_model_set_irq(&m, 4, 0, 1), 1);
	CHECK_EQ(nsent, 1);
	CHECK_EQ(sent[0].vector, 0x30);
	CHECK_EQ(sent[0].dest, 1);
	CHECK(!sent[0].dest_logical && !sent[0].level_trig);
	CHECK_EQ(sent[0].delivery_mode, 0);
	/* Still high: no edge, coalesced. */
	CHECK_EQ(ioapic_model_set_irq(&m, 4, 0, 1), 0);
	CHECK_EQ(ioapic_model_set_irq(&m, 4, 0, 0), 1);
	CHECK_EQ(ioapic_model_set_irq(&m, 4, 0, 1), 1);
	CHECK_EQ(nsent, 2);
	/* Another source on the same line keeps it high. */
	CHECK_EQ(ioapic_model_set_irq(&m, 4, 2, 1), 0);
	CHECK_EQ(ioapic_model_set_irq(&m, 4, 0, 0), 0);
	CHECK_EQ(ioapic_model_set_irq(&m, 4, 0, 1), 0);
	CHECK_EQ(nsent, 2);

	/* The mode goes out as APIC_DM_*: NMI 0x400, ExtINT 0x700. */
	route(&m, 6, 0x0400, 0xff);
	ioapic_model_set_irq(&m, 6, 0, 1);
	CHECK_EQ(sent[2].delivery_mode, 0x400);
	CHECK_EQ(sent[2].dest, 0xff);
	route(&m, 7, 0x0700, 0);
	ioapic_model_set_irq(&m, 7, 0, 1);
	CHECK_EQ(sent[3].delivery_mode, 0x700);

	/* Masked: -1, and the edge stays pending but is not sent later. */
	setup(&m);
	route(&m, 5, 0x10031, 0);
	CHECK_EQ(ioapic_model_set_irq(&m, 5, 0, 1), -1);
	ioapic_model_get(&m, &s);
	CHECK_EQ(s.irr, 1u << 5);
	route(&m, 5, 0x0031, 0);
	CHECK_EQ(nsent, 0);
	CHECK_EQ(ioapic_model_set_irq(&m, 5, 0, 1), 0);
	/* A delivered edge reads as not pending. */
	ioapic_model_set_irq(&m, 5, 0, 0);
	ioapic_model_set_irq(&m, 5, 0, 1);
	CHECK_EQ(nsent, 1);
	ioapic_model_get(&m, &s);
	CHECK_EQ(s.irr, 0);
	CHECK_EQ(m.s.irr, 1u << 5);
}

static void test_level(void)
{
	struct ioapic_model m;
	u32 lo = 0x8000 | 0x0800 | 0x0100 | 0x41;	/* level, logical, LP */

	setup(&m);
	route(&m, 9, lo, 0x0f);
	CHECK_EQ(ioapic_model_set_irq(&m, 9, 1, 1), 1);
	CHECK_EQ(nsent, 1);
	CHECK(sent[0].level_trig && sent[0].dest_logical);
	CHECK_EQ(sent[0].delivery_mode, 0x100);	/* APIC_DM_LOWEST */
	CHECK_EQ(sent[0].dest, 0x0f);
	CHECK_EQ(reg_r(&m, 0x10 + 18), lo | 0x4000);	/* remote IRR */
	/* Waiting for the EOI. */
	CHECK_EQ(ioapic_model_set_irq(&m, 9, 1, 1), -1);
	CHECK_EQ(ioapic_model_vector_pins(&m, 0x41), 1u << 9);
	CHECK_EQ(ioapic_model_vector_pins(&m, 0x42), 0);
	/* EOI with the line still up: sent again. */
	CHECK(!ioapic_model_eoi(&m, 9));
	CHECK_EQ(nsent, 2);
	CHECK(m.s.redirtbl[9].bits & IOAPIC_RTE_REMOTE_IRR);
	/* Line down, then EOI: quiet. */
	ioapic_model_set_irq(&m, 9, 1, 0);
	CHECK(!ioapic_model_eoi(&m, 9));
	CHECK_EQ(nsent, 2);
	CHECK(!(m.s.redirtbl[9].bits & IOAPIC_RTE_REMOTE_IRR));

	/* Guests cannot write remote IRR or delivery status. */
	reg_w(&m, 0x10 + 18, lo | 0x5000);
	CHECK_EQ(reg_r(&m, 0x10 + 18), lo);
	m.s.redirtbl[9].bits |= IOAPIC_RTE_REMOTE_IRR | IOAPIC_RTE_DELIVS;
	reg_w(&m, 0x10 + 18, lo);
	CHECK_EQ(reg_r(&m, 0x10 + 18), lo | 0x5000);
	/* Switching to edge clears remote IRR (Linux's EOI trick). */
	reg_w(&m, 0x10 + 18, lo & ~0x8000);
	CHECK_EQ(reg_r(&m, 0x10 + 18), (lo & ~0x8000) | 0x1000);

	/* A level line held while masked goes out on unmask. */
	setup(&m);
	route(&m, 11, 0x18050, 0);
	CHECK_EQ(ioapic_model_set_irq(&m, 11, 0, 1), -1);
	CHECK_EQ(nsent, 0);
	reg_w(&m, 0x10 + 22, 0x8050);
	CHECK_EQ(nsent, 1);
	/* Nobody took it: remote IRR is still set, as KVM. */
	setup(&m);
	deliver_ret = -1;
	route(&m, 11, 0x8050, 0);
	CHECK_EQ(ioapic_model_set_irq(&m, 11, 0, 1), -1);
	CHECK(m.s.redirtbl[11].bits & IOAPIC_RTE_REMOTE_IRR);
	/* Masked at EOI: remote IRR clears, nothing is sent. */
	deliver_ret = 1;
	m.s.redirtbl[11].bits |= IOAPIC_RTE_MASKED;
	CHECK(!ioapic_model_eoi(&m, 11));
	CHECK_EQ(nsent, 1);
	/* An EOI for an edge pin changes nothing. */
	route(&m, 12, 0x0050, 0);
	ioapic_model_set_irq(&m, 12, 0, 1);
	CHECK(!ioapic_model_eoi(&m, 12));
	CHECK_EQ(nsent, 2);
}

static void test_storm(void)
{
	struct ioapic_model m;
	int i, deferred = 0;

	setup(&m);
	route(&m, 3, 0x8060, 0);
	ioapic_model_set_irq(&m, 3, 0, 1);
	for (i = 1; i < IOAPIC_EOI_STORM; i++)
		deferred += ioapic_model_eoi(&m, 3);
	CHECK_EQ(deferred, 0);
	CHECK_EQ(nsent, IOAPIC_EOI_STORM);
	/* The storm'th EOI in a row leaves the pin to the retry. */
	CHECK(ioapic_model_eoi(&m, 3));
	CHECK_EQ(nsent, IOAPIC_EOI_STORM);
	ioapic_model_retry(&m);
	CHECK_EQ(nsent, IOAPIC_EOI_STORM + 1);
	ioapic_model_retry(&m);
	CHECK_EQ(nsent, IOAPIC_EOI_STORM + 1);	/* remote IRR now */
	/* A quiet EOI resets the count. */
	ioapic_model_set_irq(&m, 3, 0, 0);
	ioapic_model_eoi(&m, 3);
	CHECK_EQ(m.eoi_streak[3], 0);
}

static void test_state(void)
{
	struct ioapic_model m;
	struct kvm_ioapic_state s, t;
	u32 v = 0;

	setup(&m);
	memset(&s, 0, sizeof(s));
	s.base_address = BASE;
	s.ioregsel = 0x1234;
	s.id = 0x55;
	s.pad = 7;
	s.irr = 0xff000000 | (1u << 2) | (1u << 7) | (1u << 8);
	s.redirtbl[2].bits = 0x0000000000000022ULL;		/* edge */
	s.redirtbl[7].bits = 0x0300000000008027ULL;		/* level */
	s.redirtbl[8].bits = 0x000000000000c028ULL;	/* level, remote IRR */
	ioapic_model_set(&m, &s);
	/* The pending pins are raised again; remote IRR holds pin 8. */
	CHECK_EQ(nsent, 2);
	CHECK_EQ(sent[0].vector, 0x22);
	CHECK_EQ(sent[1].vector, 0x27);
	CHECK_EQ(sent[1].dest, 3);
	ioapic_model_get(&m, &t);
	CHECK_EQ(t.irr, (1u << 7) | (1u << 8));
	CHECK_EQ(t.ioregsel, 0x1234);
	CHECK_EQ(t.id, 0x55);
	CHECK_EQ(t.pad, 7);
	CHECK_EQ(t.redirtbl[7].bits, s.redirtbl[7].bits | 0x4000);
	/* A 32-bit IOREGSEL from the VMM: reads treat it as is. */
	CHECK_EQ(mmio_r32(&m, 0x00), 0x1234);
	CHECK_EQ(mmio_r32(&m, 0x10), 0xffffffff);
	mmio_w32(&m, 0x00, 0);
	CHECK_EQ(mmio_r32(&m, 0x10), 0x05000000);

	/*
	 * A moved base: only the new place answers, and as KVM the
	 * register is the address's low byte (0x80 here: reads 0).
	 */
	s.base_address = BASE + 0x80;
	ioapic_model_set(&m, &s);
	CHECK(ioapic_model_read(&m, BASE, 4, &v) != 0);
	CHECK_EQ(ioapic_model_read(&m, BASE + 0x80, 4, &v), 0);
	CHECK_EQ(v, 0);
}

/* Whatever a guest or a VMM does: no UB, well-formed messages only. */
static void test_random(void)
{
	uint64_t seed = 0x82093;
	struct ioapic_model m;
	struct kvm_ioapic_state s;
	int i, len;

	setup(&m);
	for (i = 0; i < 200000; i++) {
		uint64_t r = t_rnd(&seed), v = t_rnd(&seed);

		nsent = 0;
		len = 1 << ((r >> 8) & 3);
		switch ((r >> 4) % 6) {
		case 0:
			ioapic_model_write(&m, BASE + ((r >> 16) & 0x1f), len,
					   &v);
			break;
		case 1:
			ioapic_model_read(&m, BASE + ((r >> 16) & 0xff), len,
					  &v);
			break;
		case 2:
			ioapic_model_set_irq(&m, (r >> 16) % KVMX_IOAPIC_PINS,
					     (r >> 24) % IOAPIC_SOURCES,
					     (r >> 32) & 1);
			break;
		case 3: {
			unsigned long pins = ioapic_model_vector_pins(&m, v & 0xff);
			int pin;

			for (pin = 0; pin < KVMX_IOAPIC_PINS; pin++)
				if (pins & (1UL << pin))
					ioapic_model_eoi(&m, pin);
			break;
		}
		case 4:
			if ((r >> 40) % 256 == 0) {
				memset(&s, (int)v, sizeof(s));
				s.base_address = BASE;
				ioapic_model_set(&m, &s);
			}
			break;
		default:
			ioapic_model_retry(&m);
			break;
		}
	}
	CHECK(1);
}

void test_ioapic(void)
{
	test_registers();
	test_edge();
	test_level();
	test_storm();
	test_state();
	test_random();
}
