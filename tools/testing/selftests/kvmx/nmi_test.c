// SPDX-License-Identifier: GPL-2.0
/*
 * nmi_test: NMIs from KVM_NMI and from the in-kernel LAPIC, run by the
 * guest agent with an NMI handler of its own at IDT vector 2.  The
 * handler counts NMIs, notes any that arrives while it still runs (a
 * nested NMI: must never happen), and, when the host asks, reports from
 * inside itself so that the host acts before its IRET.
 *
 *  - KVM_CAP_USER_NMI;
 *  - KVM_NMI delivers vector 2 to the handler, with and without an
 *    in-kernel irqchip, while the guest runs with interrupts off;
 *  - a KVM_NMI (two even) while the handler runs waits for its IRET and
 *    is delivered once after it; KVM_GET_VCPU_EVENTS shows nmi.masked in
 *    the handler and nmi.pending for the one waiting;
 *  - three KVM_NMIs back to back give two NMIs (one runs, one waits);
 *  - KVM_SET_VCPU_EVENTS: a pending NMI stays pending while nmi.masked
 *    is set, and goes in once it is cleared (without
 *    KVM_VCPUEVENT_VALID_NMI_PENDING, nmi.pending is left alone);
 *  - an NMI IPI (ICR delivery mode NMI) from another vCPU, one and two
 *    back to back, and one that wakes a vCPU halted with interrupts off.
 *
 * Reference: Intel SDM vol. 3 6.7.1 (handling multiple NMIs), 10.6.1
 * (ICR delivery modes); api.rst 4.31/4.32 (KVM_GET/SET_VCPU_EVENTS),
 * 4.64 (KVM_NMI); 6.1 code: kvm_inject_nmi(), process_nmi(),
 * kvm_vcpu_ioctl_x86_{get,set}_vcpu_events() in arch/x86/kvm/x86.c.
 */
#include <unistd.h>

#include "kvmx_util.h"
#include "guest/guest.h"
#include "guest/agent.h"
#include "kselftest_harness.h"

#define NMI_CODE_GPA	0x30000UL	/* the handler */
#define NMI_DATA_OFF	0x800		/* struct nmi_data in the agent page */
#define NMI_MAGIC	0x4e4d49	/* RAX of the handler's report */

#define ICR_NMI		0x400
#define ICR_ASSERT	(1u << 14)

/* Per vCPU, at %gs:0x800; layout known to the handler's assembly. */
struct nmi_data {
	uint32_t count;		/* 0x0 NMIs taken */
	uint32_t hold;		/* 0x4 report from inside the handler */
	uint32_t depth;		/* 0x8 handlers running */
	uint32_t nested;	/* 0xc NMIs taken while one ran */
};

_Static_assert(NMI_DATA_OFF >= sizeof(struct agent_page), "nmi_data");

GUEST_CODE(nmi_handler, 64,
	"push %rax\n\t"
	"incl %gs:0x800\n\t"
	"incl %gs:0x808\n\t"
	"cmpl $1, %gs:0x808\n\t"
	"je 1f\n\t"
	"incl %gs:0x80c\n"
	"1:\n\t"
	"cmpl $0, %gs:0x804\n\t"
	"je 2f\n\t"
	"mov $" GUEST_STR(NMI_MAGIC) ", %eax\n\t"
	"out %eax, $" GUEST_STR(GUEST_PORT_DONE) "\n"
	"2:\n\t"
	"decl %gs:0x808\n\t"
	"pop %rax\n\t"
	"iretq\n\t");

static struct nmi_data *nmi_data(struct guest *g)
{
	return (struct nmi_data *)((uint8_t *)agent_page(g) + NMI_DATA_OFF);
}

/* The agent, with the NMI handler at vector 2. */
static int nmi_start(struct guest *g)
{
	int r = agent_start(g);

	if (r)
		return r;
	guest_load(g, NMI_CODE_GPA, nmi_handler, nmi_handler_end);
	memset(nmi_data(g), 0, sizeof(struct nmi_data));
	return guest_set_idt_gate(g, 2, NMI_CODE_GPA);
}

static int kvm_nmi(struct guest *g)
{
	return (int)KVM_IOCTL(g->vcpu, KVM_NMI, 0);
}

static struct kvm_vcpu_events get_events(struct guest *g)
{
	struct kvm_vcpu_events ev;

	memset(&ev, 0xff, sizeof(ev));
	TEST_ASSERT(!KVM_IOCTL(g->vcpu, KVM_GET_VCPU_EVENTS, &ev),
		    "KVM_GET_VCPU_EVENTS");
	return ev;
}

#define EXPECT_NMI_STATE(g, pend, mask) do {				\
	struct kvm_vcpu_events __ev = get_events(g);			\
									\
	EXPECT_EQ(pend, __ev.nmi.pending);				\
	EXPECT_EQ(mask, __ev.nmi.masked);				\
	EXPECT_EQ(0, __ev.nmi.injected);				\
	EXPECT_TRUE(__ev.flags & KVM_VCPUEVENT_VALID_NMI_PENDING);	\
} while (0)

FIXTURE(nmi) {
	struct guest g;
};

FIXTURE_VARIANT(nmi) {
	bool irqchip;
};

FIXTURE_VARIANT_ADD(nmi, user_irqchip) {
	.irqchip = false,
};

FIXTURE_VARIANT_ADD(nmi, kernel_irqchip) {
	.irqchip = true,
};

FIXTURE_SETUP(nmi)
{
	int r;

	r = guest_create_flags(&self->g, 0,
			       variant->irqchip ? GUEST_F_IRQCHIP : 0);
	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
	self->g.timeout_ms = 3000;
	ASSERT_EQ(0, nmi_start(&self->g)) TH_LOG("%s", guest_exit_str(&self->g));
}

FIXTURE_TEARDOWN(nmi)
{
	guest_destroy(&self->g);
}

TEST(user_nmi_cap)
{
	int kvm = kvm_open();

	ASSERT_LE(0, kvm);
	EXPECT_EQ(1, kvm_check_cap(kvm, KVM_CAP_USER_NMI));
	close(kvm);
}

TEST_F(nmi, delivered)
{
	struct guest *g = &self->g;

	EXPECT_NMI_STATE(g, 0, 0);
	EXPECT_EQ(0, kvm_nmi(g));
	EXPECT_NMI_STATE(g, 1, 0);
	/* The agent runs with interrupts off: NMIs ignore IF. */
	agent_call(g, AGENT_NOP, 0, 0);
	EXPECT_EQ(1, nmi_data(g)->count);
	EXPECT_EQ(0, nmi_data(g)->nested);
	EXPECT_NMI_STATE(g, 0, 0);
	/* Nothing more comes. */
	agent_call(g, AGENT_NOP, 0, 0);
	EXPECT_EQ(1, nmi_data(g)->count);
	EXPECT_EQ(0, agent_page(g)->total);
}

TEST_F(nmi, held_until_iret)
{
	struct guest *g = &self->g;
	struct kvm_regs regs;

	nmi_data(g)->hold = 1;
	agent_page(g)->cmd = AGENT_NOP;
	ASSERT_EQ(0, kvm_nmi(g));
	ASSERT_EQ(GUEST_PORT_DONE, guest_run_report(g, &regs)) TH_LOG("%s", guest_exit_str(g));
	ASSERT_EQ(NMI_MAGIC, regs.rax) TH_LOG("no report from the handler");
	EXPECT_EQ(1, nmi_data(g)->count);
	EXPECT_NMI_STATE(g, 0, 1);

	/* In the handler: one more waits, however many are sent. */
	EXPECT_EQ(0, kvm_nmi(g));
	EXPECT_NMI_STATE(g, 1, 1);
	EXPECT_EQ(0, kvm_nmi(g));
	EXPECT_NMI_STATE(g, 1, 1);

	/* Its IRET lets exactly one more in, which does not report. */
	nmi_data(g)->hold = 0;
	ASSERT_EQ(GUEST_PORT_DONE, guest_run_report(g, &regs)) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(0, regs.rax);
	EXPECT_EQ(2, nmi_data(g)->count);
	EXPECT_EQ(0, nmi_data(g)->nested);
	EXPECT_NMI_STATE(g, 0, 0);
	agent_call(g, AGENT_NOP, 0, 0);
	EXPECT_EQ(2, nmi_data(g)->count);
}

TEST_F(nmi, three_give_two)
{
	struct guest *g = &self->g;

	EXPECT_EQ(0, kvm_nmi(g));
	EXPECT_EQ(0, kvm_nmi(g));
	EXPECT_EQ(0, kvm_nmi(g));
	/*
	 * Two are pending.  KVM 6.1's events say only whether any is (1);
	 * newer KVM (6.12's oracle) gives the count (2).  Either is KVM.
	 */
	{
		struct kvm_vcpu_events ev = get_events(g);

		EXPECT_TRUE(ev.nmi.pending == 1 || ev.nmi.pending == 2);
		EXPECT_EQ(0, ev.nmi.masked);
		EXPECT_EQ(0, ev.nmi.injected);
	}
	agent_call(g, AGENT_NOP, 0, 0);
	EXPECT_EQ(2, nmi_data(g)->count);
	EXPECT_EQ(0, nmi_data(g)->nested);
	EXPECT_NMI_STATE(g, 0, 0);
	agent_call(g, AGENT_NOP, 0, 0);
	EXPECT_EQ(2, nmi_data(g)->count);
}

TEST_F(nmi, set_events_mask)
{
	struct guest *g = &self->g;
	struct kvm_vcpu_events ev = get_events(g);

	/* Pending and masked: it waits for an IRET that never comes. */
	ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
	ev.nmi.pending = 1;
	ev.nmi.masked = 1;
	ASSERT_EQ(0, KVM_IOCTL(g->vcpu, KVM_SET_VCPU_EVENTS, &ev));
	EXPECT_NMI_STATE(g, 1, 1);
	agent_call(g, AGENT_NOP, 0, 0);
	EXPECT_EQ(0, nmi_data(g)->count);
	EXPECT_NMI_STATE(g, 1, 1);

	/* Unmasked; nmi.pending = 0 is ignored without the flag. */
	ev = get_events(g);
	ev.flags = 0;
	ev.nmi.pending = 0;
	ev.nmi.masked = 0;
	ASSERT_EQ(0, KVM_IOCTL(g->vcpu, KVM_SET_VCPU_EVENTS, &ev));
	EXPECT_NMI_STATE(g, 1, 0);
	agent_call(g, AGENT_NOP, 0, 0);
	EXPECT_EQ(1, nmi_data(g)->count);
	EXPECT_NMI_STATE(g, 0, 0);

	/* With the flag, nmi.pending = 0 drops one. */
	ASSERT_EQ(0, kvm_nmi(g));
	ev = get_events(g);
	ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
	ev.nmi.pending = 0;
	ASSERT_EQ(0, KVM_IOCTL(g->vcpu, KVM_SET_VCPU_EVENTS, &ev));
	EXPECT_NMI_STATE(g, 0, 0);
	agent_call(g, AGENT_NOP, 0, 0);
	EXPECT_EQ(1, nmi_data(g)->count);
}

/* Two vCPUs with in-kernel LAPICs: vCPU 0 sends, vCPU 1 takes. */
FIXTURE(nmi_ipi) {
	struct guest g, ap;
};

FIXTURE_SETUP(nmi_ipi)
{
	int r;

	r = guest_create_flags(&self->g, 0, GUEST_F_IRQCHIP);
	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
	ASSERT_EQ(0, guest_add_vcpu(&self->g, &self->ap, 1));
	self->g.timeout_ms = self->ap.timeout_ms = 3000;
	ASSERT_EQ(0, nmi_start(&self->g)) TH_LOG("%s", guest_exit_str(&self->g));
	ASSERT_EQ(0, nmi_start(&self->ap)) TH_LOG("%s", guest_exit_str(&self->ap));
	agent_apic_enable(&self->g, false);
	agent_apic_enable(&self->ap, false);
}

FIXTURE_TEARDOWN(nmi_ipi)
{
	guest_destroy(&self->ap);
	guest_destroy(&self->g);
}

TEST_F(nmi_ipi, one)
{
	agent_send_ipi(&self->g, false, 1, ICR_NMI | ICR_ASSERT);
	EXPECT_NMI_STATE(&self->ap, 1, 0);
	agent_call(&self->ap, AGENT_NOP, 0, 0);
	EXPECT_EQ(1, nmi_data(&self->ap)->count);
	EXPECT_EQ(0, nmi_data(&self->g)->count);
	EXPECT_EQ(0, agent_page(&self->ap)->total);
	EXPECT_NMI_STATE(&self->ap, 0, 0);
}

TEST_F(nmi_ipi, three_give_two)
{
	agent_send_ipi(&self->g, false, 1, ICR_NMI | ICR_ASSERT);
	agent_send_ipi(&self->g, false, 1, ICR_NMI | ICR_ASSERT);
	agent_send_ipi(&self->g, false, 1, ICR_NMI | ICR_ASSERT);
	agent_call(&self->ap, AGENT_NOP, 0, 0);
	EXPECT_EQ(2, nmi_data(&self->ap)->count);
	EXPECT_EQ(0, nmi_data(&self->ap)->nested);
}

TEST_F(nmi_ipi, wakes_halted_vcpu)
{
	struct guest *ap = &self->ap;
	struct kvm_mp_state mp;

	/* CLI; HLT: halted in the kernel until the watchdog's signal. */
	ap->timeout_ms = 300;
	EXPECT_EQ(-EINTR, agent_try(ap, AGENT_CLI_HLT, 0, 0, NULL));
	EXPECT_TRUE(ap->timed_out);
	ASSERT_EQ(0, KVM_IOCTL(ap->vcpu, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_HALTED, mp.mp_state);

	agent_send_ipi(&self->g, false, 1, ICR_NMI | ICR_ASSERT);
	ap->timeout_ms = 3000;
	EXPECT_EQ(GUEST_PORT_DONE, guest_run_report(ap, NULL)) TH_LOG("%s", guest_exit_str(ap));
	EXPECT_EQ(1, nmi_data(ap)->count);
	ASSERT_EQ(0, KVM_IOCTL(ap->vcpu, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
}

TEST_HARNESS_MAIN
