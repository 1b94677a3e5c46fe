// SPDX-License-Identifier: GPL-2.0
/*
 * pit_test: the in-kernel i8254 PIT (KVM_CREATE_PIT2).
 *
 *  - KVM_CREATE_PIT2 twice is EEXIST; without a PIT, KVM_GET/SET_PIT2 and
 *    KVM_REINJECT_CONTROL are ENXIO;
 *  - KVM_GET_PIT2 right after creation: every channel in mode 0xff (not
 *    programmed) with count 0x10000, gates 1, 1, 0, flags 0;
 *  - KVM_SET_PIT2/KVM_GET_PIT2 round trip of every field but
 *    count_load_time (a timestamp), a count of 0 reading back as 0x10000,
 *    and the HPET-legacy flag; KVM_GET_PIT agrees;
 *  - a guest (the guest agent) that sets up the PICs and programs channel
 *    0 in mode 2 at ~100 Hz counts ticks on IRQ 0 at that rate; KVM_GET_PIT2
 *    shows what it programmed; the latched counter is within the period
 *    and a read-back status says mode 2, low/high byte access;
 *  - mode 0 (one-shot): one tick after the programmed time, then none;
 *  - the same ticks through IOAPIC pin 0 (GSI 0's default route) to the
 *    LAPIC, with the PIC masked.
 *
 * Reference: 8254 datasheet (modes, counter latch, read-back); api.rst
 * 4.62/4.63 (KVM_CREATE_PIT2, KVM_GET/SET_PIT2), 4.66
 * (KVM_REINJECT_CONTROL); 6.1 code: arch/x86/kvm/i8254.c
 * (pit_load_count(), pit_ioport_read/write()), kvm_vm_ioctl_get/set_pit2()
 * in x86.c.  Not tested: KVM_CREATE_PIT2 without an irqchip (6.1 allows
 * it, 6.12 says ENOENT).
 */
#include <time.h>
#include <unistd.h>

#include "kvmx_util.h"
#include "guest/guest.h"
#include "guest/agent.h"
#include "kselftest_harness.h"

#define MS		1000000ULL
#define SLACK_MS	60
#define PIT_HZ		1193182
#define COUNT_100HZ	11932		/* 10.0003 ms */
#define COUNT_20MS	23864

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#define EXPECT_TIME(want, elapsed) do {					\
	TH_LOG("took %.1f ms, programmed %.1f ms", (elapsed) / 1e6,	\
	       (want) / 1e6);						\
	EXPECT_GE((elapsed), (want) / 2) TH_LOG("%.1f ms for %.1f ms",	\
		(elapsed) / 1e6, (want) / 1e6);				\
	EXPECT_LE((elapsed), (want) * 3 / 2 + SLACK_MS * MS)		\
		TH_LOG("%.1f ms for %.1f ms", (elapsed) / 1e6,		\
		       (want) / 1e6);					\
} while (0)

static int create_pit(int vm)
{
	struct kvm_pit_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	return (int)KVM_IOCTL(vm, KVM_CREATE_PIT2, &cfg);
}

TEST(pit_ioctls)
{
	struct kvm_pit_state2 st, st2;
	struct kvm_pit_state old;
	struct kvm_reinject_control rc = { .pit_reinject = 0 };
	int vm = vm_create_standalone(), i;

	ASSERT_LE(0, vm);
	ASSERT_EQ(0, KVM_IOCTL(vm, KVM_CREATE_IRQCHIP, 0));
	EXPECT_EQ(1, kvm_check_cap(vm, KVM_CAP_PIT2));
	EXPECT_EQ(1, kvm_check_cap(vm, KVM_CAP_PIT_STATE2));
	EXPECT_EQ(-ENXIO, KVM_IOCTL(vm, KVM_GET_PIT2, &st));
	EXPECT_EQ(-ENXIO, KVM_IOCTL(vm, KVM_SET_PIT2, &st));
	EXPECT_EQ(-ENXIO, KVM_IOCTL(vm, KVM_GET_PIT, &old));
	EXPECT_EQ(-ENXIO, KVM_IOCTL(vm, KVM_REINJECT_CONTROL, &rc));
	ASSERT_EQ(0, create_pit(vm));
	EXPECT_EQ(-EEXIST, create_pit(vm));
	EXPECT_EQ(0, KVM_IOCTL(vm, KVM_REINJECT_CONTROL, &rc));
	rc.pit_reinject = 1;
	EXPECT_EQ(0, KVM_IOCTL(vm, KVM_REINJECT_CONTROL, &rc));

	memset(&st, 0xa5, sizeof(st));
	ASSERT_EQ(0, KVM_IOCTL(vm, KVM_GET_PIT2, &st));
	EXPECT_EQ(0, st.flags);
	for (i = 0; i < 3; i++) {
		struct kvm_pit_channel_state *c = &st.channels[i];

		EXPECT_EQ(0x10000, c->count) TH_LOG("channel %d", i);
		EXPECT_EQ(0xff, c->mode) TH_LOG("channel %d", i);
		EXPECT_EQ(i != 2, c->gate) TH_LOG("channel %d", i);
		EXPECT_EQ(0, c->latched_count);
		EXPECT_EQ(0, c->count_latched);
		EXPECT_EQ(0, c->status_latched);
		EXPECT_EQ(0, c->status);
		EXPECT_EQ(0, c->read_state);
		EXPECT_EQ(0, c->write_state);
		EXPECT_EQ(0, c->write_latch);
		EXPECT_EQ(0, c->rw_mode);
		EXPECT_EQ(0, c->bcd);
	}
	for (i = 0; i < 9; i++)
		EXPECT_EQ(0, st.reserved[i]);

	/* Round trip; channel 0 not programmed (mode 0xff): no timer. */
	memset(&st, 0, sizeof(st));
	for (i = 0; i < 3; i++) {
		struct kvm_pit_channel_state *c = &st.channels[i];

		c->count = 0x1000 * (i + 1);
		c->latched_count = 0x123 + i;
		c->count_latched = 3;
		c->status_latched = 1;
		c->status = 0x36;
		c->read_state = 3;
		c->write_state = 4;
		c->write_latch = 0x12;
		c->rw_mode = 3;
		c->mode = i == 0 ? 0xff : 3;
		c->bcd = 0;
		c->gate = 1;
	}
	st.channels[2].count = 0;		/* 0 means 0x10000 */
	st.flags = KVM_PIT_FLAGS_HPET_LEGACY;
	ASSERT_EQ(0, KVM_IOCTL(vm, KVM_SET_PIT2, &st));
	memset(&st2, 0xa5, sizeof(st2));
	ASSERT_EQ(0, KVM_IOCTL(vm, KVM_GET_PIT2, &st2));
	EXPECT_EQ(KVM_PIT_FLAGS_HPET_LEGACY, st2.flags);
	st.channels[2].count = 0x10000;
	for (i = 0; i < 3; i++) {
		st2.channels[i].count_load_time = st.channels[i].count_load_time;
		EXPECT_EQ(0, memcmp(&st.channels[i], &st2.channels[i],
				    sizeof(st.channels[i])))
			TH_LOG("channel %d: count %#x mode %#x", i,
			       st2.channels[i].count, st2.channels[i].mode);
	}
	ASSERT_EQ(0, KVM_IOCTL(vm, KVM_GET_PIT, &old));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(st.channels[i].count, old.channels[i].count);
		EXPECT_EQ(st.channels[i].mode, old.channels[i].mode);
	}
	st.flags = 0;
	ASSERT_EQ(0, KVM_IOCTL(vm, KVM_SET_PIT2, &st));
	ASSERT_EQ(0, KVM_IOCTL(vm, KVM_GET_PIT2, &st2));
	EXPECT_EQ(0, st2.flags);
	close(vm);
}

FIXTURE(pit) {
	struct guest g;
};

FIXTURE_SETUP(pit)
{
	struct guest *g = &self->g;
	int r;

	r = guest_create_flags(g, 0, GUEST_F_IRQCHIP);
	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
	ASSERT_EQ(0, create_pit(g->vm));
	g->timeout_ms = 3000;
	ASSERT_EQ(0, agent_start(g)) TH_LOG("%s", guest_exit_str(g));
}

FIXTURE_TEARDOWN(pit)
{
	guest_destroy(&self->g);
}

static void outb(struct guest *g, uint16_t port, uint8_t val)
{
	agent_call(g, AGENT_OUTB, port, val);
}

static uint8_t inb(struct guest *g, uint16_t port)
{
	return (uint8_t)agent_call(g, AGENT_INB, port, 0);
}

/* Both PICs initialised: vectors 0x20-0x2f, IMR master_mask, slave all masked. */
static void pic_init(struct guest *g, uint8_t master_mask)
{
	outb(g, 0x20, 0x11);
	outb(g, 0x21, 0x20);
	outb(g, 0x21, 0x04);
	outb(g, 0x21, 0x01);
	outb(g, 0x21, master_mask);
	outb(g, 0xa0, 0x11);
	outb(g, 0xa1, 0x28);
	outb(g, 0xa1, 0x02);
	outb(g, 0xa1, 0x01);
	outb(g, 0xa1, 0xff);
}

/* Channel 0, low then high byte, mode, binary; then the count. */
static void pit_program(struct guest *g, int mode, uint16_t count)
{
	outb(g, 0x43, 0x30 | (mode << 1));
	outb(g, 0x40, count & 0xff);
	outb(g, 0x40, count >> 8);
}

static uint16_t pit_latch_read(struct guest *g)
{
	uint16_t lo, hi;

	outb(g, 0x43, 0x00);
	lo = inb(g, 0x40);
	hi = inb(g, 0x40);
	return lo | hi << 8;
}

TEST_F(pit, mode2_via_pic)
{
	struct guest *g = &self->g;
	struct kvm_pit_state2 st;
	uint64_t t0, t1;
	uint16_t c;
	uint8_t status;

	pic_init(g, 0xfe);
	EXPECT_EQ(0xfe, inb(g, 0x21));
	agent_page(g)->eoi = AGENT_EOI_PIC_MASTER;
	t0 = now_ns();
	pit_program(g, 2, COUNT_100HZ);
	EXPECT_EQ(10, agent_call(g, AGENT_WAIT, 10, 0));
	t1 = now_ns();
	EXPECT_TIME(100 * MS, t1 - t0);
	EXPECT_EQ(10, agent_page(g)->count[0x20]);

	ASSERT_EQ(0, KVM_IOCTL(g->vm, KVM_GET_PIT2, &st));
	EXPECT_EQ(2, st.channels[0].mode);
	EXPECT_EQ(COUNT_100HZ, st.channels[0].count);
	EXPECT_EQ(3, st.channels[0].rw_mode);

	c = pit_latch_read(g);
	EXPECT_GE(c, 1);
	EXPECT_LE(c, COUNT_100HZ);
	/* Read-back, status only, channel 0: low/high, mode 2, binary. */
	outb(g, 0x43, 0xe2);
	status = inb(g, 0x40);
	EXPECT_EQ(0x34, status & 0x3f) TH_LOG("status %#x", status);

	/* Still ticking. */
	t0 = now_ns();
	EXPECT_EQ(15, agent_call(g, AGENT_WAIT, 15, 0));
	EXPECT_TIME(50 * MS, now_ns() - t0);
}

TEST_F(pit, mode0_one_shot)
{
	struct guest *g = &self->g;
	uint16_t a, b;
	uint64_t t0;

	pic_init(g, 0xfe);
	agent_page(g)->eoi = AGENT_EOI_PIC_MASTER;
	t0 = now_ns();
	pit_program(g, 0, COUNT_20MS);
	a = pit_latch_read(g);
	b = pit_latch_read(g);
	EXPECT_LE(a, COUNT_20MS);
	EXPECT_LE(b, a);
	EXPECT_EQ(1, agent_call(g, AGENT_WAIT, 1, 0));
	EXPECT_TIME(20 * MS, now_ns() - t0);
	usleep(60 * 1000);
	EXPECT_EQ(1, agent_call(g, AGENT_IRQ_WINDOW, 0, 0));
	EXPECT_EQ(1, agent_page(g)->count[0x20]);

	/* A new count starts it again. */
	t0 = now_ns();
	pit_program(g, 0, COUNT_20MS);
	EXPECT_EQ(2, agent_call(g, AGENT_WAIT, 2, 0));
	EXPECT_TIME(20 * MS, now_ns() - t0);
}

#define IOAPIC_IOREGSEL	0xfec00000UL
#define IOAPIC_IOWIN	0xfec00010UL

TEST_F(pit, mode2_via_ioapic)
{
	struct guest *g = &self->g;
	uint64_t t0;

	pic_init(g, 0xff);
	agent_apic_enable(g, false);
	agent_page(g)->eoi = AGENT_EOI_XAPIC;
	/* Pin 0: vector 0x31, edge, physical destination APIC 0. */
	agent_call(g, AGENT_WRITE32, IOAPIC_IOREGSEL, 0x11);
	agent_call(g, AGENT_WRITE32, IOAPIC_IOWIN, 0);
	agent_call(g, AGENT_WRITE32, IOAPIC_IOREGSEL, 0x10);
	agent_call(g, AGENT_WRITE32, IOAPIC_IOWIN, 0x31);
	t0 = now_ns();
	pit_program(g, 2, COUNT_100HZ);
	EXPECT_EQ(5, agent_call(g, AGENT_WAIT, 5, 0));
	EXPECT_TIME(50 * MS, now_ns() - t0);
	EXPECT_EQ(5, agent_page(g)->count[0x31]);
	EXPECT_EQ(0, agent_page(g)->count[0x20]);
}

TEST_HARNESS_MAIN
