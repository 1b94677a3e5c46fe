// SPDX-License-Identifier: GPL-2.0
/*
 * split_irqchip_test: the split irqchip (KVM_CAP_SPLIT_IRQCHIP): LAPICs
 * in the kernel, the PIC in userspace, whose vectors go in as ExtINT with
 * KVM_INTERRUPT, through LINT0, with the guest agent on one vCPU.
 *
 *  - while LINT0 does not take ExtINT (masked), a request for an
 *    interrupt window does not stop the guest: it runs with IF set until
 *    its next exit; a KVM_INTERRUPT vector waits (a second one is
 *    EEXIST);
 *  - with LVT0 unmasked (ExtINT), the request ends KVM_RUN with
 *    KVM_EXIT_IRQ_WINDOW_OPEN as soon as the guest sets IF, ready for
 *    injection; the KVM_INTERRUPT vector given then is taken at once,
 *    leaving the LAPIC's ISR alone.
 *
 * Reference: api.rst 4.16 (KVM_INTERRUPT), 5 (request_interrupt_window,
 * ready_for_interrupt_injection), 7.4 (KVM_CAP_SPLIT_IRQCHIP); 6.1 code:
 * kvm_vcpu_ioctl_interrupt(), kvm_cpu_accept_dm_intr(),
 * vcpu_enter_guest()'s req_int_win and vcpu_run() in arch/x86/kvm/x86.c,
 * kvm_cpu_has_extint() in arch/x86/kvm/irq.c.
 */
#include "kvmx_util.h"
#include "guest/guest.h"
#include "guest/agent.h"
#include "kselftest_harness.h"

#define LVT_MASKED	(1u << 16)
#define LVT_EXTINT	0x700
#define VEC_WAITING	0x40
#define VEC_WINDOW	0x41

FIXTURE(split) {
	struct guest g;
};

FIXTURE_SETUP(split)
{
	int r = guest_create_flags(&self->g, 0, GUEST_F_SPLIT_IRQCHIP);

	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
	self->g.timeout_ms = 3000;
	ASSERT_EQ(0, agent_start(&self->g)) TH_LOG("%s", guest_exit_str(&self->g));
	agent_apic_enable(&self->g, false);
}

FIXTURE_TEARDOWN(split)
{
	guest_destroy(&self->g);
}

static int kvm_interrupt(struct guest *g, unsigned int vector)
{
	struct kvm_interrupt irq = { .irq = vector };

	return (int)KVM_IOCTL(g->vcpu, KVM_INTERRUPT, &irq);
}

TEST_F(split, lint0_masked)
{
	struct guest *g = &self->g;

	agent_apic_write(g, false, APIC_LVT0, LVT_MASKED | LVT_EXTINT);

	/* No window while LINT0 could not take the vector: the guest runs. */
	g->run->request_interrupt_window = 1;
	EXPECT_EQ(0, agent_call(g, AGENT_IRQ_WINDOW, 0, 0));
	EXPECT_EQ(0, agent_call(g, AGENT_IRQ_WINDOW, 0, 0));
	g->run->request_interrupt_window = 0;

	EXPECT_EQ(0, kvm_interrupt(g, VEC_WAITING));
	EXPECT_EQ(-EEXIST, kvm_interrupt(g, VEC_WINDOW));
	EXPECT_EQ(0, agent_call(g, AGENT_IRQ_WINDOW, 0, 0));
	EXPECT_EQ(0, agent_page(g)->count[VEC_WAITING]);
	/*
	 * When it goes in after LVT0 is unmasked is KVM's business (at its
	 * next look at pending events), so not tested.
	 */
}

TEST_F(split, window_open)
{
	struct guest *g = &self->g;
	uint64_t total = 0;
	int r;

	agent_apic_write(g, false, APIC_LVT0, LVT_EXTINT);

	g->run->request_interrupt_window = 1;
	r = agent_try(g, AGENT_IRQ_WINDOW, 0, 0, NULL);
	EXPECT_EQ(0, r);
	ASSERT_EQ(KVM_EXIT_IRQ_WINDOW_OPEN, g->run->exit_reason)
		TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(1, g->run->ready_for_interrupt_injection);
	EXPECT_EQ(1, g->run->if_flag);

	g->run->request_interrupt_window = 0;
	EXPECT_EQ(0, kvm_interrupt(g, VEC_WINDOW));
	r = guest_run_report(g, NULL);
	ASSERT_EQ(GUEST_PORT_DONE, r) TH_LOG("%s", guest_exit_str(g));
	total = agent_page(g)->total;
	EXPECT_EQ(1, total);
	EXPECT_EQ(1, agent_page(g)->count[VEC_WINDOW]);
	/* ExtINT is the PIC's: the LAPIC's ISR does not take it. */
	EXPECT_EQ(0, agent_apic_read(g, false, APIC_ISR + 0x10 * (VEC_WINDOW / 32)));
}

TEST_HARNESS_MAIN
