/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest agent: a 64-bit guest that runs commands for the host, one at
 * a time, and counts the interrupts it takes.  It lets a test drive the
 * in-kernel LAPIC, IOAPIC, PIC and PIT from C on the host instead of in
 * guest assembly, on one vCPU or several (each vCPU runs its own agent).
 *
 * Protocol: the agent reports "done" (OUT to GUEST_PORT_DONE, RAX = the
 * result of the last command), then reads the next command from its page
 * (struct agent_page at AGENT_PAGE_GPA(vcpu id), its %gs base), runs it
 * with interrupts disabled unless the command says otherwise, and reports
 * again.  agent_call() does one round trip.
 *
 * Interrupts: IDT vectors 32-255 go to a handler that counts them in the
 * page (total, per vector, last) and then sends the EOIs that
 * agent_page.eoi asks for.  Vectors 0-31 are the library's exception
 * stubs (GUEST_PORT_EXC).
 */
#ifndef KVMX_GUEST_AGENT_H
#define KVMX_GUEST_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "guest.h"

/* Per vCPU: the agent page, then a page of stack. */
#define AGENT_PAGE_GPA(id)	(0x40000UL + (id) * 0x2000UL)
#define AGENT_MAX_VCPUS		16

/* agent_page.eoi: what the interrupt handler acknowledges. */
#define AGENT_EOI_XAPIC		(1u << 0)	/* write 0xfee000b0 */
#define AGENT_EOI_X2APIC	(1u << 1)	/* WRMSR 0x80b */
#define AGENT_EOI_PIC_MASTER	(1u << 2)	/* OUT 0x20, 0x20 */
#define AGENT_EOI_PIC_SLAVE	(1u << 3)	/* OUT 0xa0, 0x20 (then master) */

/* Layout known to the agent's assembly: keep in sync with agent.c. */
struct agent_page {
	uint64_t cmd;			/* 0x00 enum agent_cmd */
	uint64_t arg0;			/* 0x08 */
	uint64_t arg1;			/* 0x10 */
	uint64_t unused;		/* 0x18 */
	uint32_t eoi;			/* 0x20 AGENT_EOI_* */
	uint32_t total;			/* 0x24 interrupts taken */
	uint32_t last_vector;		/* 0x28 */
	uint32_t pad;			/* 0x2c */
	uint32_t count[256];		/* 0x30 interrupts taken, per vector */
};

enum agent_cmd {
	AGENT_NOP,		/* -> 0 */
	AGENT_READ32,		/* arg0 = GPA -> the 32-bit value there */
	AGENT_WRITE32,		/* arg0 = GPA, arg1 = value */
	AGENT_RDMSR,		/* arg0 = MSR -> its value */
	AGENT_WRMSR,		/* arg0 = MSR, arg1 = value */
	AGENT_RDTSC,		/* -> TSC */
	AGENT_IRQ_WINDOW,	/* STI, a few NOPs, CLI -> total */
	AGENT_WAIT,		/* STI+HLT until total >= arg0, CLI -> total */
	AGENT_INB,		/* arg0 = port -> the byte read */
	AGENT_OUTB,		/* arg0 = port, arg1 = byte */
	AGENT_CLI_HLT,		/* CLI, HLT (until NMI/INIT or the host) -> 0 */
	AGENT_WRMSR_TSC,	/* arg0 = MSR, arg1 = delta: WRMSR(RDTSC + delta) */
};

/*
 * Load the agent, put the vCPU in long mode with the agent's IDT, stack
 * and page (cleared, eoi = 0), and run it to its first report.  An AP
 * (guest_add_vcpu()) is made RUNNABLE first (KVM_SET_MP_STATE): with an
 * in-kernel irqchip it starts in wait-for-SIPI.  0 or -errno.
 */
int agent_start(struct guest *g);

/* This vCPU's page (in the host's mapping of guest memory). */
struct agent_page *agent_page(struct guest *g);

/*
 * Run one command, return its result.  Any exit but the agent's next
 * report fails the test (TEST_ASSERT), with a description of the exit.
 */
uint64_t agent_call(struct guest *g, enum agent_cmd cmd, uint64_t arg0,
		    uint64_t arg1);

/* The same, but return the exit (guest_run_report()'s value) instead. */
int agent_try(struct guest *g, enum agent_cmd cmd, uint64_t arg0,
	      uint64_t arg1, uint64_t *result);

/* LAPIC registers by their xAPIC offset: MMIO, or the MSR in x2APIC mode. */
#define APIC_GPA		0xfee00000UL
#define APIC_ID			0x20
#define APIC_LVR		0x30
#define APIC_TPR		0x80
#define APIC_EOI		0xb0
#define APIC_LDR		0xd0
#define APIC_DFR		0xe0
#define APIC_SVR		0xf0
#define APIC_ISR		0x100
#define APIC_TMR		0x180
#define APIC_IRR		0x200
#define APIC_ESR		0x280
#define APIC_ICR		0x300
#define APIC_ICR2		0x310
#define APIC_LVTT		0x320
#define APIC_LVT0		0x350
#define APIC_TMICT		0x380
#define APIC_TMCCT		0x390
#define APIC_TDCR		0x3e0
#define APIC_SELF_IPI		0x3f0	/* x2APIC only */

#define MSR_IA32_APICBASE	0x1b
#define MSR_IA32_TSC_DEADLINE	0x6e0
#define MSR_X2APIC_BASE		0x800
#define APICBASE_BSP		(1ULL << 8)
#define APICBASE_EXTD		(1ULL << 10)
#define APICBASE_ENABLE		(1ULL << 11)

uint32_t agent_apic_read(struct guest *g, bool x2apic, uint32_t reg);
void agent_apic_write(struct guest *g, bool x2apic, uint32_t reg, uint32_t val);

/* ICR: the destination field, then the low word (which sends). */
void agent_send_ipi(struct guest *g, bool x2apic, uint32_t dest, uint32_t icr);

/* Software-enable the LAPIC (SVR = 0x1ff); in x2APIC mode first if asked. */
void agent_apic_enable(struct guest *g, bool x2apic);

#endif /* KVMX_GUEST_AGENT_H */
