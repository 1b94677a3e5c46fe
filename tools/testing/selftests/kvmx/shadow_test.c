// SPDX-License-Identifier: GPL-2.0
/*
 * shadow_test: an interrupt that waits on an STI shadow goes in after the
 * shadowed instruction, never before it.  The vCPU is put at the
 * instruction after an STI with RFLAGS.IF set and the shadow set through
 * KVM_SET_VCPU_EVENTS, as after an exit right behind the STI, and an
 * interrupt is made pending:
 *
 *  - in-kernel LAPIC (KVM_SIGNAL_MSI): the handler sees, as the return
 *    address, the instruction after the shadowed one: after the HLT of
 *    "sti; hlt" (which must wake, not sleep again), after a NOP;
 *  - userspace irqchip with request_interrupt_window: "sti; hlt" exits
 *    with KVM_EXIT_HLT past the HLT, not KVM_EXIT_IRQ_WINDOW_OPEN at it;
 *    "sti; nop" opens the window past the NOP.
 *
 * This is the "sti; hlt" idle loop of every OS.  On QEMU's TCG, VMRUN
 * drops the shadow and opens a V_IRQ window at once, so a hypervisor that
 * asks for one here delivers the interrupt ahead of the HLT and the guest
 * sleeps on with the wakeup gone (the stock KVM does; kvmx-only.txt).
 *
 * Reference: Intel SDM vol. 3 6.8.3 (masking by STI), AMD APM vol. 2
 * 15.21.5 (interrupt shadows); api.rst 4.31/4.32 (KVM_GET/SET_VCPU_EVENTS,
 * KVM_VCPUEVENT_VALID_SHADOW), request_interrupt_window in struct kvm_run.
 */
#include "kvmx_util.h"
#include "guest/guest.h"
#include "kselftest_harness.h"

#define VECTOR		0x40
#define HANDLER_GPA	0x30000UL
/* In guest asm too: no UL suffixes. */
#define SEEN_GPA	0x20000		/* u64 return RIP, u64 count */
#define EOI_FLAG_GPA	0x20010		/* nonzero: write the EOI */

/* Park with interrupts off, then the two shadowed instructions. */
GUEST_CODE(shadow_code, 64,
	"cli\n\t"
	"xor %eax, %eax\n\t"
	GUEST_ASM_DONE
	"jmp .\n"
	"sti\n"
	"shadow_hlt: hlt\n"
	"after_hlt: mov $1, %eax\n\t"
	GUEST_ASM_DONE
	"jmp .\n"
	"sti\n"
	"shadow_nop: nop\n"
	"after_nop: mov $2, %eax\n\t"
	GUEST_ASM_DONE
	"jmp .\n\t");
GUEST_LABEL(shadow_hlt);
GUEST_LABEL(after_hlt);
GUEST_LABEL(shadow_nop);
GUEST_LABEL(after_nop);

/* Note the return RIP; EOI the LAPIC if it is in the kernel. */
GUEST_CODE(shadow_handler, 64,
	"push %rax\n\t"
	"mov 8(%rsp), %rax\n\t"
	"mov %rax, " GUEST_STR(SEEN_GPA) "\n\t"
	"incq " GUEST_STR(SEEN_GPA) "+8\n\t"
	"cmpl $0, " GUEST_STR(EOI_FLAG_GPA) "\n\t"
	"je 1f\n\t"
	"mov $0xfee000b0, %eax\n\t"
	"movl $0, (%rax)\n"
	"1:\n\t"
	"pop %rax\n\t"
	"iretq\n\t");

FIXTURE(shadow) {
	struct guest g;
	uint64_t *seen;		/* [0] return RIP, [1] interrupts taken */
};

FIXTURE_VARIANT(shadow) {
	bool irqchip;
};

FIXTURE_VARIANT_ADD(shadow, user_irqchip) {
	.irqchip = false,
};

FIXTURE_VARIANT_ADD(shadow, kernel_irqchip) {
	.irqchip = true,
};

FIXTURE_SETUP(shadow)
{
	struct kvm_lapic_state lapic;
	int r;

	r = guest_create_flags(&self->g, 0,
			       variant->irqchip ? GUEST_F_IRQCHIP : 0);
	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
	self->g.timeout_ms = 2000;
	ASSERT_EQ(0, guest_start(&self->g, GUEST_MODE_LONG64, shadow_code,
				 shadow_code_end));
	guest_load(&self->g, HANDLER_GPA, shadow_handler, shadow_handler_end);
	ASSERT_EQ(0, guest_set_idt_gate(&self->g, VECTOR, HANDLER_GPA));
	self->seen = guest_ptr(&self->g, SEEN_GPA);
	*(uint32_t *)guest_ptr(&self->g, EOI_FLAG_GPA) = variant->irqchip;
	if (variant->irqchip) {
		/* Software-enable the LAPIC (SVR). */
		ASSERT_EQ(0, KVM_IOCTL(self->g.vcpu, KVM_GET_LAPIC, &lapic));
		*(uint32_t *)&lapic.regs[0xf0] = 0x1ff;
		ASSERT_EQ(0, KVM_IOCTL(self->g.vcpu, KVM_SET_LAPIC, &lapic));
	}
	ASSERT_EQ(0, guest_run_done(&self->g));
}

FIXTURE_TEARDOWN(shadow)
{
	guest_destroy(&self->g);
}

/* Put the vCPU at rip, right behind an STI: IF set, in its shadow. */
static void enter_shadow(struct guest *g, uint64_t rip)
{
	struct kvm_vcpu_events ev;
	struct kvm_regs regs;

	TEST_ASSERT(!vcpu_get_regs(g, &regs), "KVM_GET_REGS");
	regs.rip = rip;
	regs.rflags = 0x202;
	TEST_ASSERT(!vcpu_set_regs(g, &regs), "KVM_SET_REGS");
	TEST_ASSERT(!KVM_IOCTL(g->vcpu, KVM_GET_VCPU_EVENTS, &ev),
		    "KVM_GET_VCPU_EVENTS");
	ev.flags = KVM_VCPUEVENT_VALID_SHADOW;
	ev.interrupt.shadow = KVM_X86_SHADOW_INT_STI;
	TEST_ASSERT(!KVM_IOCTL(g->vcpu, KVM_SET_VCPU_EVENTS, &ev),
		    "KVM_SET_VCPU_EVENTS");
	TEST_ASSERT(!KVM_IOCTL(g->vcpu, KVM_GET_VCPU_EVENTS, &ev) &&
		    ev.interrupt.shadow, "the shadow did not stick");
}

static void signal_msi(struct guest *g)
{
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = VECTOR };

	TEST_ASSERT(KVM_IOCTL(g->vm, KVM_SIGNAL_MSI, &msi) == 1,
		    "KVM_SIGNAL_MSI");
}

/* In-kernel LAPIC: the handler returns past the shadowed instruction. */
static void check_lapic(struct __test_metadata *_metadata, struct guest *g,
			uint64_t *seen, uint64_t shadowed, uint64_t after,
			uint64_t done)
{
	struct kvm_regs regs;

	enter_shadow(g, shadowed);
	signal_msi(g);
	seen[0] = seen[1] = 0;
	ASSERT_EQ(GUEST_PORT_DONE, guest_run_report(g, &regs))
		TH_LOG("%s (return RIP %#lx, shadowed insn at %#lx)",
		       guest_exit_str(g), (unsigned long)seen[0],
		       (unsigned long)shadowed);
	EXPECT_EQ(1, seen[1]);
	EXPECT_EQ(after, seen[0]);
	EXPECT_EQ(done, regs.rax);
}

/*
 * Userspace's PIC, with request_interrupt_window: the shadowed instruction
 * runs before the vCPU exits (@exit_reason), RIP past it.
 */
static void check_user(struct __test_metadata *_metadata, struct guest *g,
		       uint64_t shadowed, uint64_t after, uint32_t exit_reason)
{
	enter_shadow(g, shadowed);
	g->run->request_interrupt_window = 1;
	EXPECT_EQ(exit_reason, vcpu_run_until_exit(g))
		TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(after, vcpu_rip(g));
}

/* The HLT of "sti; hlt" runs first: it wakes, or exits to userspace. */
TEST_F(shadow, sti_hlt)
{
	uint64_t shadowed = GUEST_ADDR(shadow_code, shadow_hlt);
	uint64_t after = GUEST_ADDR(shadow_code, after_hlt);

	if (variant->irqchip)
		check_lapic(_metadata, &self->g, self->seen, shadowed, after, 1);
	else
		check_user(_metadata, &self->g, shadowed, after, KVM_EXIT_HLT);
}

TEST_F(shadow, sti_nop)
{
	uint64_t shadowed = GUEST_ADDR(shadow_code, shadow_nop);
	uint64_t after = GUEST_ADDR(shadow_code, after_nop);

	if (variant->irqchip) {
		check_lapic(_metadata, &self->g, self->seen, shadowed, after, 2);
		return;
	}
	check_user(_metadata, &self->g, shadowed, after,
		   KVM_EXIT_IRQ_WINDOW_OPEN);
	EXPECT_EQ(1, self->g.run->ready_for_interrupt_injection);
}

TEST_HARNESS_MAIN
