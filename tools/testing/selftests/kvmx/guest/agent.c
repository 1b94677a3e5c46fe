// SPDX-License-Identifier: GPL-2.0
/*
 * The guest agent; see agent.h.
 */
#include <stddef.h>

#include "kvmx_util.h"
#include "guest.h"
#include "agent.h"

_Static_assert(offsetof(struct agent_page, cmd) == 0x00, "agent_page");
_Static_assert(offsetof(struct agent_page, arg0) == 0x08, "agent_page");
_Static_assert(offsetof(struct agent_page, arg1) == 0x10, "agent_page");
_Static_assert(offsetof(struct agent_page, eoi) == 0x20, "agent_page");
_Static_assert(offsetof(struct agent_page, total) == 0x24, "agent_page");
_Static_assert(offsetof(struct agent_page, last_vector) == 0x28, "agent_page");
_Static_assert(offsetof(struct agent_page, count) == 0x30, "agent_page");
_Static_assert(sizeof(struct agent_page) <= 0x1000, "agent_page");

/*
 * The command loop: RBX = arg0, RSI = arg1, the result in RAX.  Then 224
 * interrupt stubs 16 bytes apart (vector 32 first) that push their vector
 * for the common handler.
 */
GUEST_CODE(agent_code, 64,
	"xor %eax, %eax\n"
	"agent_loop:\n\t"
	"out %eax, $" GUEST_STR(GUEST_PORT_DONE) "\n\t"
	"mov %gs:0x00, %rax\n\t"
	"mov %gs:0x08, %rbx\n\t"
	"mov %gs:0x10, %rsi\n\t"
	"cmp $1, %eax\n\t"	"je ag_read32\n\t"
	"cmp $2, %eax\n\t"	"je ag_write32\n\t"
	"cmp $3, %eax\n\t"	"je ag_rdmsr\n\t"
	"cmp $4, %eax\n\t"	"je ag_wrmsr\n\t"
	"cmp $5, %eax\n\t"	"je ag_rdtsc\n\t"
	"cmp $6, %eax\n\t"	"je ag_window\n\t"
	"cmp $7, %eax\n\t"	"je ag_wait\n\t"
	"cmp $8, %eax\n\t"	"je ag_inb\n\t"
	"cmp $9, %eax\n\t"	"je ag_outb\n\t"
	"cmp $10, %eax\n\t"	"je ag_cli_hlt\n\t"
	"cmp $11, %eax\n\t"	"je ag_wrmsr_tsc\n\t"
	"xor %eax, %eax\n\t"
	"jmp agent_loop\n"
	"ag_read32:\n\t"
	"mov (%rbx), %eax\n\t"
	"jmp agent_loop\n"
	"ag_write32:\n\t"
	"mov %esi, (%rbx)\n\t"
	"xor %eax, %eax\n\t"
	"jmp agent_loop\n"
	"ag_rdmsr:\n\t"
	"mov %ebx, %ecx\n\t"
	"rdmsr\n\t"
	"shl $32, %rdx\n\t"
	"or %rdx, %rax\n\t"
	"jmp agent_loop\n"
	"ag_wrmsr:\n\t"
	"mov %ebx, %ecx\n\t"
	"mov %rsi, %rax\n\t"
	"mov %rsi, %rdx\n\t"
	"shr $32, %rdx\n\t"
	"wrmsr\n\t"
	"xor %eax, %eax\n\t"
	"jmp agent_loop\n"
	"ag_rdtsc:\n\t"
	"rdtsc\n\t"
	"shl $32, %rdx\n\t"
	"or %rdx, %rax\n\t"
	"jmp agent_loop\n"
	/* Pending interrupts are taken right after STI's shadow. */
	"ag_window:\n\t"
	"sti\n\t"
	"nop\n\tnop\n\tnop\n\tnop\n\t"
	"cli\n\t"
	"mov %gs:0x24, %eax\n\t"
	"jmp agent_loop\n"
	/* STI's shadow covers HLT: no wakeup is lost between CMP and HLT. */
	"ag_wait:\n\t"
	"cli\n\t"
	"cmp %ebx, %gs:0x24\n\t"
	"jae 1f\n\t"
	"sti\n\t"
	"hlt\n\t"
	"jmp ag_wait\n"
	"1:\n\t"
	"mov %gs:0x24, %eax\n\t"
	"jmp agent_loop\n"
	"ag_inb:\n\t"
	"mov %ebx, %edx\n\t"
	"xor %eax, %eax\n\t"
	"in (%dx), %al\n\t"
	"jmp agent_loop\n"
	"ag_outb:\n\t"
	"mov %ebx, %edx\n\t"
	"mov %esi, %eax\n\t"
	"out %al, (%dx)\n\t"
	"xor %eax, %eax\n\t"
	"jmp agent_loop\n"
	"ag_cli_hlt:\n\t"
	"cli\n\t"
	"hlt\n\t"
	"xor %eax, %eax\n\t"
	"jmp agent_loop\n"
	"ag_wrmsr_tsc:\n\t"
	"rdtsc\n\t"
	"shl $32, %rdx\n\t"
	"or %rdx, %rax\n\t"
	"add %rsi, %rax\n\t"
	"mov %rax, %rdx\n\t"
	"shr $32, %rdx\n\t"
	"mov %ebx, %ecx\n\t"
	"wrmsr\n\t"
	"xor %eax, %eax\n\t"
	"jmp agent_loop\n"

	"agent_irq_common:\n\t"
	"push %rax\n\t"
	"push %rcx\n\t"
	"push %rdx\n\t"
	"mov 24(%rsp), %rax\n\t"
	"incl %gs:0x30(,%rax,4)\n\t"
	"incl %gs:0x24\n\t"
	"mov %eax, %gs:0x28\n\t"
	"testl $" GUEST_STR(AGENT_EOI_XAPIC) ", %gs:0x20\n\t"
	"jz 1f\n\t"
	"mov $0xfee000b0, %edx\n\t"
	"movl $0, (%rdx)\n"
	"1:\n\t"
	"testl $" GUEST_STR(AGENT_EOI_X2APIC) ", %gs:0x20\n\t"
	"jz 1f\n\t"
	"mov $0x80b, %ecx\n\t"
	"xor %eax, %eax\n\t"
	"xor %edx, %edx\n\t"
	"wrmsr\n"
	"1:\n\t"
	"mov $0x20, %al\n\t"
	"testl $" GUEST_STR(AGENT_EOI_PIC_SLAVE) ", %gs:0x20\n\t"
	"jz 1f\n\t"
	"out %al, $0xa0\n\t"
	"out %al, $0x20\n"
	"1:\n\t"
	"testl $" GUEST_STR(AGENT_EOI_PIC_MASTER) ", %gs:0x20\n\t"
	"jz 1f\n\t"
	"out %al, $0x20\n"
	"1:\n\t"
	"pop %rdx\n\t"
	"pop %rcx\n\t"
	"pop %rax\n\t"
	"add $8, %rsp\n\t"
	"iretq\n\t"

	".balign 16\n"
	"agent_irq_stubs:\n\t"
	".set agent_vec, 32\n\t"
	".rept 224\n\t"
	".balign 16\n\t"
	"push $agent_vec\n\t"
	"jmp agent_irq_common\n\t"
	".set agent_vec, agent_vec + 1\n\t"
	".endr\n\t");
GUEST_LABEL(agent_irq_stubs);

/*
 * The agent's code shares GUEST_CODE_GPA with other guest code: a test
 * uses one or the other in a VM.
 */
_Static_assert(AGENT_PAGE_GPA(AGENT_MAX_VCPUS) <= GUEST_MEM_SIZE_DEFAULT,
	       "agent pages");

struct agent_page *agent_page(struct guest *g)
{
	return guest_ptr(g, AGENT_PAGE_GPA(g->vcpu_id));
}

int agent_start(struct guest *g)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	uint64_t stubs = GUEST_ADDR(agent_code, agent_irq_stubs);
	struct kvm_sregs sr;
	struct kvm_regs regs;
	unsigned int v;
	int r;

	if (g->vcpu_id >= AGENT_MAX_VCPUS)
		return -EINVAL;
	TEST_ASSERT(agent_code_end - agent_code <= (long)GUEST_CODE_MAX,
		    "agent too big");
	if (g->secondary) {
		r = (int)KVM_IOCTL(g->vcpu, KVM_SET_MP_STATE, &mp);
		if (r)
			return r;
	}
	guest_load(g, GUEST_CODE_GPA, agent_code, agent_code_end);
	r = guest_setup_mode(g, GUEST_MODE_LONG64, GUEST_CODE_GPA);
	if (r)
		return r;
	for (v = 32; v < 256; v++) {
		r = guest_set_idt_gate(g, v, stubs + 16 * (v - 32));
		if (r)
			return r;
	}
	memset(agent_page(g), 0, 0x2000);

	r = vcpu_get_sregs(g, &sr);
	if (r)
		return r;
	sr.gs.base = AGENT_PAGE_GPA(g->vcpu_id);
	r = vcpu_set_sregs(g, &sr);
	if (r)
		return r;
	r = vcpu_get_regs(g, &regs);
	if (r)
		return r;
	regs.rsp = AGENT_PAGE_GPA(g->vcpu_id) + 0x2000;
	r = vcpu_set_regs(g, &regs);
	if (r)
		return r;

	r = guest_run_report(g, &regs);
	if (r < 0)
		return r;
	return r == GUEST_PORT_DONE ? 0 : -EIO;
}

int agent_try(struct guest *g, enum agent_cmd cmd, uint64_t arg0,
	      uint64_t arg1, uint64_t *result)
{
	struct agent_page *p = agent_page(g);
	struct kvm_regs regs;
	int r;

	p->cmd = cmd;
	p->arg0 = arg0;
	p->arg1 = arg1;
	r = guest_run_report(g, &regs);
	if (r == GUEST_PORT_DONE && result)
		*result = regs.rax;
	return r;
}

uint64_t agent_call(struct guest *g, enum agent_cmd cmd, uint64_t arg0,
		    uint64_t arg1)
{
	uint64_t res = 0;
	int r = agent_try(g, cmd, arg0, arg1, &res);

	TEST_ASSERT(r == GUEST_PORT_DONE,
		    "vCPU %lu, agent command %d (%#llx, %#llx): %s", g->vcpu_id,
		    (int)cmd, (unsigned long long)arg0,
		    (unsigned long long)arg1, guest_exit_str(g));
	return res;
}

uint32_t agent_apic_read(struct guest *g, bool x2apic, uint32_t reg)
{
	if (x2apic)
		return (uint32_t)agent_call(g, AGENT_RDMSR,
					    MSR_X2APIC_BASE + (reg >> 4), 0);
	return (uint32_t)agent_call(g, AGENT_READ32, APIC_GPA + reg, 0);
}

void agent_apic_write(struct guest *g, bool x2apic, uint32_t reg, uint32_t val)
{
	if (x2apic)
		agent_call(g, AGENT_WRMSR, MSR_X2APIC_BASE + (reg >> 4), val);
	else
		agent_call(g, AGENT_WRITE32, APIC_GPA + reg, val);
}

void agent_send_ipi(struct guest *g, bool x2apic, uint32_t dest, uint32_t icr)
{
	if (x2apic) {
		agent_call(g, AGENT_WRMSR, MSR_X2APIC_BASE + (APIC_ICR >> 4),
			   ((uint64_t)dest << 32) | icr);
		return;
	}
	agent_apic_write(g, false, APIC_ICR2, dest << 24);
	agent_apic_write(g, false, APIC_ICR, icr);
}

void agent_apic_enable(struct guest *g, bool x2apic)
{
	uint64_t base;

	if (x2apic) {
		base = agent_call(g, AGENT_RDMSR, MSR_IA32_APICBASE, 0);
		agent_call(g, AGENT_WRMSR, MSR_IA32_APICBASE,
			   base | APICBASE_ENABLE | APICBASE_EXTD);
	}
	agent_apic_write(g, x2apic, APIC_SVR, 0x1ff);
}
