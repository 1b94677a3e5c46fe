// SPDX-License-Identifier: GPL-2.0
/*
 * Tests for arch/x86/kvmx/irq/lapic_logic.h: fixed cases from the SDM and
 * KVM's lapic.c, then random ones against a plain reference model.
 */
#include <stdio.h>
#include <string.h>

#include "lapic_logic.h"

static unsigned int passed, failed;

#define CHECK(cond) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
	}								\
} while (0)

static uint64_t rng_state = 0x6b766d786c617069ULL;

static uint32_t rnd32(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (rng_state * 0x2545f4914f6cdd1dULL) >> 32;
}

/* An APIC page's IRR-style bitmap: eight words, 16 bytes apart. */
struct bitmap256 {
	u32 w[32];
};

static void bm_set(struct bitmap256 *b, int vec)
{
	b->w[(vec >> 5) * 4] |= 1u << (vec & 31);
}

static void test_highest_vector(void)
{
	struct bitmap256 b;
	int v, ref, i;

	memset(&b, 0, sizeof(b));
	CHECK(lapic_highest_vector(&b) == -1);
	bm_set(&b, 0x20);
	CHECK(lapic_highest_vector(&b) == 0x20);
	bm_set(&b, 0xff);
	CHECK(lapic_highest_vector(&b) == 0xff);
	memset(&b, 0, sizeof(b));
	bm_set(&b, 0);
	CHECK(lapic_highest_vector(&b) == 0);
	/* The reserved words between the registers are not vectors. */
	memset(&b, 0, sizeof(b));
	b.w[1] = b.w[30] = 0xffffffff;
	CHECK(lapic_highest_vector(&b) == -1);

	for (i = 0; i < 2000; i++) {
		int n = rnd32() % 4;

		memset(&b, 0, sizeof(b));
		ref = -1;
		while (n--) {
			v = rnd32() & 0xff;
			bm_set(&b, v);
			if (v > ref)
				ref = v;
		}
		CHECK(lapic_highest_vector(&b) == ref);
	}
}

static void test_priority(void)
{
	/* PPR: TPR when its class is not below the highest ISR's. */
	CHECK(lapic_ppr(0, -1) == 0);
	CHECK(lapic_ppr(0x35, -1) == 0x35);
	CHECK(lapic_ppr(0x35, 0x31) == 0x35);	/* same class: TPR */
	CHECK(lapic_ppr(0x35, 0x41) == 0x40);	/* ISR class above */
	CHECK(lapic_ppr(0x10, 0xef) == 0xe0);
	CHECK(lapic_ppr(0x1ff, -1) == 0xff);	/* only TPR[7:0] */

	/* Deliverable: the vector's class above PPR's. */
	CHECK(!lapic_deliverable(-1, 0));
	CHECK(lapic_deliverable(0x20, 0));
	CHECK(lapic_deliverable(0x10, 0));
	CHECK(!lapic_deliverable(0x3f, 0x30));
	CHECK(!lapic_deliverable(0x3f, 0x35));
	CHECK(lapic_deliverable(0x40, 0x35));
	CHECK(!lapic_deliverable(0xff, 0xf0));
	CHECK(lapic_deliverable(0xff, 0xef));
}

static void test_priority_random(void)
{
	int i;

	for (i = 0; i < 20000; i++) {
		u32 tpr = rnd32() & 0xff;
		int isr = (rnd32() & 1) ? (int)(rnd32() & 0xff) : -1;
		int vec = rnd32() & 0xff;
		u32 ppr = lapic_ppr(tpr, isr);
		u32 isr_class = isr < 0 ? 0 : (u32)isr >> 4;
		u32 ppr_class = (tpr >> 4) > isr_class ? tpr >> 4 : isr_class;

		/* SDM 10.8.3.1: PPR[7:4] is the larger class. */
		CHECK(ppr >> 4 == ppr_class);
		CHECK(lapic_deliverable(vec, ppr) == ((u32)vec >> 4 > ppr_class));
	}
}

static void test_divide(void)
{
	static const struct { u32 tdcr, div; } t[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
		{ 0x4, 2 }, { 0xf, 1 },	/* bit 2 is not part of it */
	};
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK(lapic_divide(t[i].tdcr) == t[i].div);
}

static void test_current_count(void)
{
	CHECK(lapic_current_count(1000, 0, 1) == 0);
	CHECK(lapic_current_count(-5, 1000, 1) == 0);
	CHECK(lapic_current_count(0, 1000, 1) == 0);
	CHECK(lapic_current_count(500, 1000, 1) == 500);
	CHECK(lapic_current_count(500, 1000, 16) == 31);
	/* A periodic timer behind by more than a period wraps around. */
	CHECK(lapic_current_count(2500, 1000, 1) == 500);
	CHECK(lapic_current_count(0xffffffffLL * 128, 0xffffffffLL * 128,
				  128) == 0);
	CHECK(lapic_current_count(0xffffffffLL * 128 - 128,
				  0xffffffffLL * 128, 128) == 0xfffffffe);
}

static void test_lvt_masks(void)
{
	u32 tmask = APIC_LVT_TIMER_PERIODIC | (2 << 17);
	int i;

	CHECK(lapic_lvt_reg(LAPIC_LVT_TIMER) == 0x320);
	CHECK(lapic_lvt_reg(LAPIC_LVT_LINT0) == 0x350);
	CHECK(lapic_lvt_reg(LAPIC_LVT_ERROR) == 0x370);
	CHECK(lapic_lvt_reg(LAPIC_LVT_CMCI) == 0x2f0);
	for (i = 0; i < LAPIC_NR_LVT_MAX; i++)
		CHECK(lapic_lvt_index(lapic_lvt_reg(i)) == i);
	CHECK(lapic_lvt_index(0x310) == -1);
	CHECK(lapic_lvt_index(0x380) == -1);
	CHECK(lapic_lvt_index(0x324) == -1);

	CHECK(lapic_lvt_writable(LAPIC_LVT_TIMER, APIC_LVT_TIMER_PERIODIC) ==
	      0x310ff);
	CHECK(lapic_lvt_writable(LAPIC_LVT_TIMER, tmask) == 0x710ff);
	CHECK(lapic_lvt_writable(LAPIC_LVT_THERMAL, tmask) == 0x117ff);
	CHECK(lapic_lvt_writable(LAPIC_LVT_PERF, tmask) == 0x117ff);
	CHECK(lapic_lvt_writable(LAPIC_LVT_LINT0, tmask) == 0x1f7ff);
	CHECK(lapic_lvt_writable(LAPIC_LVT_LINT1, tmask) == 0x1f7ff);
	CHECK(lapic_lvt_writable(LAPIC_LVT_ERROR, tmask) == 0x110ff);
	CHECK(lapic_lvt_writable(LAPIC_LVT_CMCI, tmask) == 0x117ff);
}

static struct lapic_target xapic(u8 id, u8 logical, u32 dfr)
{
	struct lapic_target t = {
		.x2apic = false, .id_reg = (u32)id << 24, .x2apic_id = id,
		.ldr = (u32)logical << 24, .dfr = dfr,
	};
	return t;
}

static struct lapic_target x2apic(u32 id)
{
	struct lapic_target t = {
		.x2apic = true, .id_reg = id, .x2apic_id = id,
		.ldr = lapic_x2apic_ldr(id), .dfr = APIC_DFR_FLAT,
	};
	return t;
}

static void test_x2apic_ldr(void)
{
	CHECK(lapic_x2apic_ldr(0) == 0x1);
	CHECK(lapic_x2apic_ldr(15) == 0x8000);
	CHECK(lapic_x2apic_ldr(16) == 0x10001);
	CHECK(lapic_x2apic_ldr(0x123) == 0x120008);
}

static void test_physical(void)
{
	struct lapic_target t = xapic(3, 0, APIC_DFR_FLAT);
	struct lapic_target x = x2apic(0x105);

	CHECK(lapic_match_physical(&t, 3));
	CHECK(!lapic_match_physical(&t, 4));
	CHECK(lapic_match_physical(&t, 0xff));
	CHECK(!lapic_match_physical(&t, 0x103));	/* no aliasing */
	/* The xAPIC ID is the register's, once software changed it. */
	t.id_reg = 7u << 24;
	CHECK(lapic_match_physical(&t, 7));
	CHECK(!lapic_match_physical(&t, 3));
	/* KVM's hotplug rule: beyond 0xff, the vCPU id. */
	t.x2apic_id = 0x300;
	CHECK(lapic_match_physical(&t, 0x300));

	CHECK(lapic_match_physical(&x, 0x105));
	CHECK(!lapic_match_physical(&x, 0x5));
	CHECK(!lapic_match_physical(&x, 0xff));
	CHECK(lapic_match_physical(&x, 0xffffffff));
}

static void test_logical(void)
{
	struct lapic_target f = xapic(0, 0x02, APIC_DFR_FLAT);
	struct lapic_target c = xapic(0, 0x21, APIC_DFR_CLUSTER);
	struct lapic_target x = x2apic(0x11);	/* cluster 1, bit 1 */

	CHECK(lapic_match_logical(&f, 0x03));
	CHECK(lapic_match_logical(&f, 0x02));
	CHECK(!lapic_match_logical(&f, 0x05));
	CHECK(lapic_match_logical(&f, 0xff));
	f.ldr = 0;
	CHECK(!lapic_match_logical(&f, 0x7f));
	CHECK(lapic_match_logical(&f, 0xff));	/* broadcast anyway */

	CHECK(lapic_match_logical(&c, 0x23));
	CHECK(!lapic_match_logical(&c, 0x22));
	CHECK(!lapic_match_logical(&c, 0x13));
	CHECK(lapic_match_logical(&c, 0xff));
	c.dfr = 0x5fffffff;			/* undefined model */
	CHECK(!lapic_match_logical(&c, 0x23));

	CHECK(lapic_match_logical(&x, 0x10002));
	CHECK(lapic_match_logical(&x, 0x1ffff));
	CHECK(!lapic_match_logical(&x, 0x10001));
	CHECK(!lapic_match_logical(&x, 0x20002));
	CHECK(!lapic_match_logical(&x, 0xff));
	CHECK(lapic_match_logical(&x, 0xffffffff));
}

static void test_shorthand_and_quirk(void)
{
	struct lapic_target t = xapic(1, 1, APIC_DFR_FLAT);
	struct lapic_target x = x2apic(1);

	CHECK(lapic_match_dest(&t, true, true, APIC_DEST_SELF, 9, false));
	CHECK(!lapic_match_dest(&t, false, true, APIC_DEST_SELF, 1, false));
	CHECK(lapic_match_dest(&t, true, true, APIC_DEST_ALLINC, 9, false));
	CHECK(lapic_match_dest(&t, false, true, APIC_DEST_ALLINC, 9, true));
	CHECK(!lapic_match_dest(&t, true, true, APIC_DEST_ALLBUT, 9, false));
	CHECK(lapic_match_dest(&t, false, true, APIC_DEST_ALLBUT, 9, false));
	CHECK(lapic_match_dest(&t, false, true, 0, 1, false));
	CHECK(lapic_match_dest(&t, false, true, 0, 1, true));
	CHECK(!lapic_match_dest(&t, false, true, 0, 2, true));

	/* An IOAPIC/MSI message to 0xff is a broadcast to x2APICs too... */
	CHECK(lapic_match_dest(&x, false, false, 0, 0xff, false));
	CHECK(lapic_match_dest(&x, false, false, 0, 0xff, true));
	/* ...but an x2APIC IPI to 0xff means APIC ID 0xff. */
	CHECK(!lapic_match_dest(&x, false, true, 0, 0xff, false));
	CHECK(lapic_mda(false, true, 0xff) == 0xffffffff);
	CHECK(lapic_mda(true, true, 0xff) == 0xff);
	CHECK(lapic_mda(false, false, 0xff) == 0xff);
}

/* Random targets and messages against the SDM's rules written plainly. */
static int ref_match(const struct lapic_target *t, bool logical, u32 mda)
{
	u32 bcast = t->x2apic ? 0xffffffff : 0xff;
	u32 lid = t->ldr >> 24;

	if (mda == bcast)
		return 1;
	if (!logical) {
		if (t->x2apic || mda > 0xff)
			return mda == t->x2apic_id;
		return mda == t->id_reg >> 24;
	}
	if (t->x2apic)
		return (t->ldr & 0xffff0000) == (mda & 0xffff0000) &&
		       (t->ldr & mda & 0xffff) != 0;
	if (t->dfr == 0xffffffff)
		return (lid & mda) != 0;
	/* As KVM: a cluster beyond 8 bits (mda > 0xff) matches none. */
	if (t->dfr == 0x0fffffff)
		return lid >> 4 == mda >> 4 && (lid & mda & 0xf) != 0;
	return 0;
}

static void test_match_random(void)
{
	int i;

	for (i = 0; i < 100000; i++) {
		struct lapic_target t;
		bool logical = rnd32() & 1;
		u32 dest = rnd32();

		if (rnd32() & 1) {
			t = x2apic(rnd32() % 64);
			if (rnd32() & 1)
				dest &= 0x3ffff;
		} else {
			t = xapic(rnd32() & 0xff, rnd32() & 0xff,
				  (rnd32() & 1) ? APIC_DFR_FLAT :
						  APIC_DFR_CLUSTER);
			dest &= (rnd32() & 7) ? 0xff : 0x1ff;
		}
		if (!(rnd32() % 16))
			dest = (rnd32() & 1) ? 0xff : 0xffffffff;
		CHECK(lapic_match_dest(&t, false, true, 0, dest, logical) ==
		      ref_match(&t, logical, dest));
	}
}

int main(void)
{
	test_highest_vector();
	test_priority();
	test_priority_random();
	test_divide();
	test_current_count();
	test_lvt_masks();
	test_x2apic_ldr();
	test_physical();
	test_logical();
	test_shorthand_and_quirk();
	test_match_random();
	printf("lapic: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
