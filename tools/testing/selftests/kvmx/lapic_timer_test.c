// SPDX-License-Identifier: GPL-2.0
/*
 * lapic_timer_test: the in-kernel LAPIC timer, driven by a 64-bit guest
 * (the guest agent) in xAPIC mode (MMIO at 0xfee00000) and, if the CPUID
 * KVM supports has it, x2APIC mode (MSRs 0x800+).
 *
 *  - one-shot: one interrupt, about the programmed time after the write,
 *    then the current count reads 0 and nothing more comes;
 *  - periodic: ticks at the programmed rate; writing 0 to the initial
 *    count stops it;
 *  - masked LVT: the current count runs down (at the rate the divide
 *    configuration says) and reaches 0 without an interrupt; KVM keeps
 *    that expiry pending and delivers it, once, when the LVT is unmasked
 *    (apic_has_pending_timer() ignores a masked LVTT; the SDM would drop
 *    it);
 *  - TSC-deadline (CPUID.1:ECX[24], set in the guest's CPUID when
 *    KVM_CAP_TSC_DEADLINE_TIMER says KVM has it, as VMMs do): one
 *    interrupt at the deadline, after which IA32_TSC_DEADLINE reads 0; a
 *    deadline in the past fires at once; writing 0 disarms; the initial
 *    count register is ignored in this mode.
 *
 * Times are host CLOCK_MONOTONIC around the guest's commands, checked
 * with a generous tolerance (the test-bed emulates the whole machine):
 * at least half the programmed time, at most 1.5 times plus SLACK_MS.
 *
 * Reference: Intel SDM vol. 3 10.5.4 (APIC timer), 10.12 (x2APIC);
 * api.rst 4.26 (KVM_CREATE_IRQCHIP), KVM_CAP_TSC_DEADLINE_TIMER; 6.1
 * code: start_apic_timer(), apic_timer_fn(), apic_get_tmcct(),
 * kvm_set_lapic_tscdeadline_msr() in arch/x86/kvm/lapic.c.  The APIC bus
 * runs at 1 GHz (APIC_BUS_CYCLE_NS), so a count of n with divide by 1 is
 * n ns.
 */
#include <time.h>
#include <unistd.h>

#include "kvmx_util.h"
#include "guest/guest.h"
#include "guest/agent.h"
#include "kselftest_harness.h"

#define MS			1000000ULL	/* ns, and APIC counts at divide by 1 */
#define SLACK_MS		60
#define LVT_MASKED		(1u << 16)
#define LVT_PERIODIC		(1u << 17)
#define LVT_TSC_DEADLINE	(2u << 17)
#define TDCR_DIV1		0xb
#define TDCR_DIV16		0x3

#define CPUID1_ECX_X2APIC	(1u << 21)
#define CPUID1_ECX_TSC_DEADLINE	(1u << 24)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	usleep(ms * 1000);
}

/* elapsed (ns) is plausible for a programmed time of want (ns). */
#define EXPECT_TIME(want, elapsed) do {					\
	TH_LOG("took %.1f ms, programmed %.1f ms", (elapsed) / 1e6,	\
	       (want) / 1e6);						\
	EXPECT_GE((elapsed), (want) / 2) TH_LOG("%.1f ms for %.1f ms",	\
		(elapsed) / 1e6, (want) / 1e6);				\
	EXPECT_LE((elapsed), (want) * 3 / 2 + SLACK_MS * MS)		\
		TH_LOG("%.1f ms for %.1f ms", (elapsed) / 1e6,		\
		       (want) / 1e6);					\
} while (0)

FIXTURE(timer) {
	struct guest g;
	bool x2apic;
	bool tsc_deadline;
	const char *skip;	/* why the variant cannot run */
};

FIXTURE_VARIANT(timer) {
	bool x2apic;
};

FIXTURE_VARIANT_ADD(timer, xapic) {
	.x2apic = false,
};

FIXTURE_VARIANT_ADD(timer, x2apic) {
	.x2apic = true,
};

FIXTURE_SETUP(timer)
{
	struct guest *g = &self->g;
	struct kvm_cpuid_entry2 *e;
	int r;

	r = guest_create_flags(g, 0, GUEST_F_IRQCHIP);
	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
	g->timeout_ms = 3000;
	e = cpuid_find(g->cpuid, 1, 0);
	ASSERT_NE(NULL, e);
	if (!(e->ecx & CPUID1_ECX_TSC_DEADLINE) &&
	    kvm_check_cap(g->vm, KVM_CAP_TSC_DEADLINE_TIMER) > 0) {
		e->ecx |= CPUID1_ECX_TSC_DEADLINE;
		ASSERT_EQ(0, KVM_IOCTL(g->vcpu, KVM_SET_CPUID2, g->cpuid));
	}
	self->tsc_deadline = e->ecx & CPUID1_ECX_TSC_DEADLINE;
	self->x2apic = variant->x2apic;
	/* The 6.1 harness runs the test after a SKIP() here: flag it. */
	if (self->x2apic && !(e->ecx & CPUID1_ECX_X2APIC)) {
		self->skip = "no x2APIC in KVM_GET_SUPPORTED_CPUID";
		return;
	}
	ASSERT_EQ(0, agent_start(g)) TH_LOG("%s", guest_exit_str(g));
	agent_apic_enable(g, self->x2apic);
	agent_page(g)->eoi = self->x2apic ? AGENT_EOI_X2APIC : AGENT_EOI_XAPIC;
	agent_apic_write(g, self->x2apic, APIC_TDCR, TDCR_DIV1);
}

FIXTURE_TEARDOWN(timer)
{
	guest_destroy(&self->g);
}

TEST_F(timer, one_shot)
{
	struct guest *g = &self->g;
	bool x2 = self->x2apic;
	uint64_t t0, t1;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	agent_apic_write(g, x2, APIC_LVTT, 0x40);
	EXPECT_EQ(0x40, agent_apic_read(g, x2, APIC_LVTT));
	t0 = now_ns();
	agent_apic_write(g, x2, APIC_TMICT, 20 * MS);
	EXPECT_EQ(1, agent_call(g, AGENT_WAIT, 1, 0));
	t1 = now_ns();
	EXPECT_TIME(20 * MS, t1 - t0);
	EXPECT_EQ(1, agent_page(g)->count[0x40]);
	EXPECT_EQ(0, agent_apic_read(g, x2, APIC_TMCCT));
	EXPECT_EQ(20 * MS, agent_apic_read(g, x2, APIC_TMICT));

	/* Nothing more. */
	sleep_ms(50);
	EXPECT_EQ(1, agent_call(g, AGENT_IRQ_WINDOW, 0, 0));
	EXPECT_EQ(0, agent_apic_read(g, x2, APIC_TMCCT));

	/* Rearmed by a new initial count. */
	t0 = now_ns();
	agent_apic_write(g, x2, APIC_TMICT, 10 * MS);
	EXPECT_EQ(2, agent_call(g, AGENT_WAIT, 2, 0));
	EXPECT_TIME(10 * MS, now_ns() - t0);
	EXPECT_EQ(2, agent_page(g)->count[0x40]);
}

TEST_F(timer, periodic)
{
	struct guest *g = &self->g;
	bool x2 = self->x2apic;
	uint32_t total, cur;
	uint64_t t0, t1;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	agent_apic_write(g, x2, APIC_LVTT, LVT_PERIODIC | 0x41);
	t0 = now_ns();
	agent_apic_write(g, x2, APIC_TMICT, 10 * MS);
	cur = agent_apic_read(g, x2, APIC_TMCCT);
	EXPECT_LE(cur, 10 * MS);
	EXPECT_EQ(10, agent_call(g, AGENT_WAIT, 10, 0));
	t1 = now_ns();
	EXPECT_TIME(100 * MS, t1 - t0);
	/* Still counting, within the period. */
	cur = agent_apic_read(g, x2, APIC_TMCCT);
	EXPECT_LE(cur, 10 * MS);
	EXPECT_GT(cur, 0);

	/* A zero initial count stops it. */
	agent_apic_write(g, x2, APIC_TMICT, 0);
	total = agent_call(g, AGENT_IRQ_WINDOW, 0, 0);
	EXPECT_LE(total, 12);
	EXPECT_EQ(0, agent_apic_read(g, x2, APIC_TMCCT));
	sleep_ms(50);
	EXPECT_EQ(total, agent_call(g, AGENT_IRQ_WINDOW, 0, 0));
	EXPECT_EQ(total, agent_page(g)->count[0x41]);
}

/* Count rate between two reads about 50 ms apart, in counts per ns. */
static double count_rate(struct guest *g, bool x2)
{
	uint32_t a, b;
	uint64_t t0, t1;

	t0 = now_ns();
	a = agent_apic_read(g, x2, APIC_TMCCT);
	sleep_ms(50);
	b = agent_apic_read(g, x2, APIC_TMCCT);
	t1 = now_ns();
	return a > b ? (double)(a - b) / (double)(t1 - t0) : 0;
}

TEST_F(timer, masked_counts_down)
{
	struct guest *g = &self->g;
	bool x2 = self->x2apic;
	uint32_t a, b;
	double rate;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	agent_apic_write(g, x2, APIC_LVTT, LVT_MASKED | 0x42);
	agent_apic_write(g, x2, APIC_TMICT, 1000 * MS);
	a = agent_apic_read(g, x2, APIC_TMCCT);
	sleep_ms(10);
	b = agent_apic_read(g, x2, APIC_TMCCT);
	EXPECT_LE(a, 1000 * MS);
	EXPECT_LT(b, a);
	EXPECT_GT(b, 0);

	/* Divide by 1: one count per ns (1 GHz bus); by 16: 1/16. */
	rate = count_rate(g, x2);
	EXPECT_GE(rate, 0.5) TH_LOG("%.3f counts/ns at divide by 1", rate);
	EXPECT_LE(rate, 1.5) TH_LOG("%.3f counts/ns at divide by 1", rate);
	agent_apic_write(g, x2, APIC_TDCR, TDCR_DIV16);
	agent_apic_write(g, x2, APIC_TMICT, 1000 * MS);
	rate = count_rate(g, x2) * 16;
	EXPECT_GE(rate, 0.5) TH_LOG("%.3f counts/ns * 16 at divide by 16", rate);
	EXPECT_LE(rate, 1.5) TH_LOG("%.3f counts/ns * 16 at divide by 16", rate);
	agent_apic_write(g, x2, APIC_TDCR, TDCR_DIV1);

	/* Runs out: current count 0, no interrupt. */
	agent_apic_write(g, x2, APIC_TMICT, 5 * MS);
	sleep_ms(40);
	EXPECT_EQ(0, agent_apic_read(g, x2, APIC_TMCCT));
	EXPECT_EQ(0, agent_call(g, AGENT_IRQ_WINDOW, 0, 0));

	/*
	 * Unmasked after the expiry: KVM kept the expiry pending (its
	 * pending-timer check skips a masked LVTT) and delivers it now, once.
	 */
	agent_apic_write(g, x2, APIC_LVTT, 0x42);
	sleep_ms(10);
	EXPECT_EQ(1, agent_call(g, AGENT_IRQ_WINDOW, 0, 0));
	EXPECT_EQ(1, agent_page(g)->count[0x42]);
	sleep_ms(20);
	EXPECT_EQ(1, agent_call(g, AGENT_IRQ_WINDOW, 0, 0));
}

TEST_F(timer, tsc_deadline)
{
	struct guest *g = &self->g;
	bool x2 = self->x2apic;
	uint64_t t0, khz, deadline;
	long r;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	if (!self->tsc_deadline)
		SKIP(return, "no TSC-deadline timer");
	r = KVM_IOCTL(g->vcpu, KVM_GET_TSC_KHZ, 0);
	ASSERT_LT(0, r);
	khz = (uint64_t)r;

	agent_apic_write(g, x2, APIC_LVTT, LVT_TSC_DEADLINE | 0x43);
	EXPECT_EQ(LVT_TSC_DEADLINE | 0x43, agent_apic_read(g, x2, APIC_LVTT));
	/* The initial count does nothing in this mode. */
	agent_apic_write(g, x2, APIC_TMICT, 1 * MS);
	EXPECT_EQ(0, agent_apic_read(g, x2, APIC_TMCCT));
	sleep_ms(10);
	EXPECT_EQ(0, agent_call(g, AGENT_IRQ_WINDOW, 0, 0));

	t0 = now_ns();
	agent_call(g, AGENT_WRMSR_TSC, MSR_IA32_TSC_DEADLINE, 20 * khz);
	deadline = agent_call(g, AGENT_RDMSR, MSR_IA32_TSC_DEADLINE, 0);
	EXPECT_NE(0, deadline);
	EXPECT_EQ(1, agent_call(g, AGENT_WAIT, 1, 0));
	EXPECT_TIME(20 * MS, now_ns() - t0);
	EXPECT_EQ(1, agent_page(g)->count[0x43]);
	/* Fired: the deadline reads 0. */
	EXPECT_EQ(0, agent_call(g, AGENT_RDMSR, MSR_IA32_TSC_DEADLINE, 0));

	/* In the past: at once. */
	agent_call(g, AGENT_WRMSR_TSC, MSR_IA32_TSC_DEADLINE, -(int64_t)khz);
	EXPECT_EQ(2, agent_call(g, AGENT_WAIT, 2, 0));

	/* Armed 20 ms out, then disarmed with 0. */
	agent_call(g, AGENT_WRMSR_TSC, MSR_IA32_TSC_DEADLINE, 20 * khz);
	agent_call(g, AGENT_WRMSR, MSR_IA32_TSC_DEADLINE, 0);
	EXPECT_EQ(0, agent_call(g, AGENT_RDMSR, MSR_IA32_TSC_DEADLINE, 0));
	sleep_ms(50);
	EXPECT_EQ(2, agent_call(g, AGENT_IRQ_WINDOW, 0, 0));
	EXPECT_EQ(2, agent_page(g)->count[0x43]);
}

TEST_HARNESS_MAIN
