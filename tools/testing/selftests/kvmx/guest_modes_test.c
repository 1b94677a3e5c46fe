// SPDX-License-Identifier: GPL-2.0
/*
 * guest_modes_test: run real guests in the three x86 modes.  Each one
 * computes something, reports it with an OUT (KVM_EXIT_IO: direction,
 * size, port, count and the data in the kvm_run mapping; the value also
 * in RAX), then executes HLT, which without an in-kernel irqchip is
 * KVM_EXIT_HLT with RIP past the HLT.  The last case lets the guest go
 * from real mode to long mode by itself, the way firmware does.
 *
 * Reference: api.rst 5 (KVM_EXIT_IO, KVM_EXIT_HLT); 6.1 code:
 * kvm_fast_pio() and __kvm_emulate_halt() in arch/x86/kvm/x86.c,
 * io_interception() in svm/svm.c, handle_io() in vmx/vmx.c.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "kvmx_util.h"
#include "guest/guest.h"
#include "kselftest_harness.h"

/* Real mode: AX = 1 + ... + 100, also stored at 0x2000:0 (GPA 0x20000). */
GUEST_CODE(real_code, 16,
	"xor %ax, %ax\n\t"
	"mov $100, %cx\n"
	"1:\n\t"
	"add %cx, %ax\n\t"
	"loop 1b\n\t"
	"mov $0x2000, %bx\n\t"
	"mov %bx, %ds\n\t"
	"mov %ax, (0)\n"
	"real_out:\n\t"
	"out %ax, $0xe9\n"
	"real_hlt:\n\t"
	"hlt\n"
	"real_after_hlt:\n\t"
	"jmp real_hlt\n\t");
GUEST_LABEL(real_out);
GUEST_LABEL(real_hlt);
GUEST_LABEL(real_after_hlt);

/*
 * 32-bit protected mode: reload CS and DS from the GDT (far return and a
 * selector load), EAX = 1 + ... + 1000, store it at GPA 0x20004.
 */
GUEST_CODE(prot32_code, 32,
	"call 1f\n"
	"1:\n\t"
	"pop %ebx\n\t"
	"add $(2f - 1b), %ebx\n\t"
	"push $" GUEST_STR(GUEST_SEL_CODE32) "\n\t"
	"push %ebx\n\t"
	"lret\n"
	"2:\n\t"
	"mov $" GUEST_STR(GUEST_SEL_DATA) ", %bx\n\t"
	"mov %bx, %ds\n\t"
	"xor %eax, %eax\n\t"
	"mov $1000, %ecx\n"
	"3:\n\t"
	"add %ecx, %eax\n\t"
	"loop 3b\n\t"
	"mov %eax, (0x20004)\n"
	"prot32_out:\n\t"
	"out %eax, $0xe9\n"
	"prot32_hlt:\n\t"
	"hlt\n\t"
	"jmp prot32_hlt\n\t");
GUEST_LABEL(prot32_out);
GUEST_LABEL(prot32_hlt);

/*
 * 64-bit long mode: RAX = 1 + ... + 100000 (more than 32 bits), through a
 * call (the stack), stored RIP-relative in the code page and at GPA
 * 0x1ff000 (the last page of guest RAM).
 */
GUEST_CODE(long64_code, 64,
	"call 2f\n\t"
	"mov %rax, result64(%rip)\n\t"
	"mov $0x1ff000, %rdi\n\t"
	"mov %rax, (%rdi)\n"
	"long64_out:\n\t"
	"out %eax, $0xe9\n"
	"long64_hlt:\n\t"
	"hlt\n\t"
	"jmp long64_hlt\n"
	"2:\n\t"
	"xor %eax, %eax\n\t"
	"mov $100000, %ecx\n"
	"3:\n\t"
	"add %rcx, %rax\n\t"
	"loop 3b\n\t"
	"ret\n\t"
	".balign 8\n"
	"result64:\n\t"
	".quad 0\n\t");
GUEST_LABEL(long64_out);
GUEST_LABEL(long64_hlt);
GUEST_LABEL(result64);

/*
 * Real mode to long mode by the guest itself: LGDT, CR0.PE, far jump to
 * 32-bit code, data segments, CR4.PAE, CR3, EFER.LME with WRMSR, CR0.PG,
 * far jump to 64-bit code.  The GDT and page tables are the library's.
 */
GUEST_CODE(switch_code, 16,
	"cli\n\t"
	"lgdtl %cs:(sw_gdtr - switch_code)\n\t"
	"mov %cr0, %eax\n\t"
	"or $1, %eax\n\t"
	"mov %eax, %cr0\n\t"
	"ljmpl $" GUEST_STR(GUEST_SEL_CODE32) ", $(" GUEST_STR(GUEST_CODE_GPA) " + sw_pm32 - switch_code)\n"
	".code32\n"
	"sw_pm32:\n\t"
	"mov $" GUEST_STR(GUEST_SEL_DATA) ", %ax\n\t"
	"mov %ax, %ds\n\t"
	"mov %ax, %es\n\t"
	"mov %ax, %ss\n\t"
	"mov $" GUEST_STR(GUEST_STACK_TOP) ", %esp\n\t"
	"mov %cr4, %eax\n\t"
	"or $0x20, %eax\n\t"
	"mov %eax, %cr4\n\t"
	"mov $" GUEST_STR(GUEST_PML4_GPA) ", %eax\n\t"
	"mov %eax, %cr3\n\t"
	"mov $0xc0000080, %ecx\n\t"
	"rdmsr\n\t"
	"or $0x100, %eax\n\t"
	"wrmsr\n\t"
	"mov %cr0, %eax\n\t"
	"or $0x80000000, %eax\n\t"
	"mov %eax, %cr0\n\t"
	"ljmp $" GUEST_STR(GUEST_SEL_CODE64) ", $(" GUEST_STR(GUEST_CODE_GPA) " + sw_lm64 - switch_code)\n"
	".code64\n"
	"sw_lm64:\n\t"
	"mov $0x1122334455667788, %rax\n\t"
	"push %rax\n\t"
	"pop %rbx\n\t"
	GUEST_ASM_DONE_HLT
	".balign 8\n"
	"sw_gdtr:\n\t"
	".word 31\n\t"
	".long " GUEST_STR(GUEST_GDT_GPA) "\n\t");

FIXTURE(g) {
	struct guest g;
};

FIXTURE_SETUP(g)
{
	int r = guest_create(&self->g, 0);

	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
}

FIXTURE_TEARDOWN(g)
{
	guest_destroy(&self->g);
}

/* The OUT exit to GUEST_PORT_DONE: every field of kvm_run.io. */
static void check_out(struct __test_metadata *_metadata, struct guest *g,
		      unsigned int size, uint32_t value)
{
	struct kvm_run *run = g->run;
	uint32_t data = 0;

	ASSERT_EQ(KVM_EXIT_IO, run->exit_reason) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(KVM_EXIT_IO_OUT, run->io.direction);
	EXPECT_EQ(size, run->io.size);
	EXPECT_EQ(GUEST_PORT_DONE, run->io.port);
	EXPECT_EQ(1, run->io.count);
	/* The data is inside the vCPU mapping, after struct kvm_run. */
	EXPECT_GE(run->io.data_offset, sizeof(struct kvm_run));
	EXPECT_LE(run->io.data_offset + size, g->run_size);
	memcpy(&data, guest_io_data(g), size);
	EXPECT_EQ(value, data);
}

TEST_F(g, real_mode)
{
	struct guest *g = &self->g;
	struct kvm_regs regs;

	ASSERT_EQ(0, guest_start(g, GUEST_MODE_REAL, real_code, real_code_end));
	ASSERT_EQ(0, vcpu_run(g)) TH_LOG("%s", guest_exit_str(g));
	check_out(_metadata, g, 2, 5050);
	ASSERT_EQ(0, vcpu_get_regs(g, &regs));
	EXPECT_EQ(5050, regs.rax & 0xffff);
	/* In real mode RIP is the offset in CS; it is still at the OUT. */
	EXPECT_EQ(GUEST_ADDR(real_code, real_out) - GUEST_CODE_GPA, regs.rip);
	EXPECT_EQ(5050, *(uint16_t *)guest_ptr(g, 0x20000));

	ASSERT_EQ(KVM_EXIT_HLT, vcpu_run_until_exit(g)) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(GUEST_ADDR(real_code, real_after_hlt) - GUEST_CODE_GPA,
		  vcpu_rip(g));
}

TEST_F(g, protected_mode_32)
{
	struct guest *g = &self->g;
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	ASSERT_EQ(0, guest_start(g, GUEST_MODE_PROT32, prot32_code,
				 prot32_code_end));
	ASSERT_EQ(0, vcpu_run(g)) TH_LOG("%s", guest_exit_str(g));
	check_out(_metadata, g, 4, 500500);
	ASSERT_EQ(0, vcpu_get_regs(g, &regs));
	EXPECT_EQ(500500, regs.rax & 0xffffffff);
	EXPECT_EQ(GUEST_ADDR(prot32_code, prot32_out), regs.rip);
	EXPECT_EQ(500500, *(uint32_t *)guest_ptr(g, 0x20004));
	/* The segments the guest loaded from the GDT. */
	ASSERT_EQ(0, vcpu_get_sregs(g, &sregs));
	EXPECT_EQ(GUEST_SEL_CODE32, sregs.cs.selector);
	EXPECT_EQ(1, sregs.cs.db);
	EXPECT_EQ(0, sregs.cs.l);
	EXPECT_EQ(GUEST_SEL_DATA, sregs.ds.selector);
	EXPECT_EQ(0xffffffff, sregs.ds.limit);
	EXPECT_EQ(0, sregs.ds.base);

	ASSERT_EQ(KVM_EXIT_HLT, vcpu_run_until_exit(g)) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(GUEST_ADDR(prot32_code, prot32_hlt) + 1, vcpu_rip(g));
	/* HLT again: the loop jumps back to it. */
	ASSERT_EQ(KVM_EXIT_HLT, vcpu_run_until_exit(g)) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(GUEST_ADDR(prot32_code, prot32_hlt) + 1, vcpu_rip(g));
}

TEST_F(g, long_mode_64)
{
	struct guest *g = &self->g;
	const uint64_t sum = 100000ULL * 100001ULL / 2;
	struct kvm_regs regs;

	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, long64_code,
				 long64_code_end));
	ASSERT_EQ(0, vcpu_run(g)) TH_LOG("%s", guest_exit_str(g));
	check_out(_metadata, g, 4, (uint32_t)sum);
	ASSERT_EQ(0, vcpu_get_regs(g, &regs));
	EXPECT_EQ(sum, regs.rax);
	EXPECT_EQ(GUEST_ADDR(long64_code, long64_out), regs.rip);
	EXPECT_EQ(GUEST_STACK_TOP, regs.rsp);
	EXPECT_EQ(sum, *(uint64_t *)guest_ptr(g, GUEST_ADDR(long64_code, result64)));
	EXPECT_EQ(sum, *(uint64_t *)guest_ptr(g, 0x1ff000));

	ASSERT_EQ(KVM_EXIT_HLT, vcpu_run_until_exit(g)) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(GUEST_ADDR(long64_code, long64_hlt) + 1, vcpu_rip(g));
}

TEST_F(g, real_to_long_by_the_guest)
{
	struct guest *g = &self->g;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	ASSERT_EQ(0, guest_start(g, GUEST_MODE_REAL, switch_code,
				 switch_code_end));
	ASSERT_EQ(GUEST_PORT_DONE, guest_run_report(g, &regs))
		TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(0x1122334455667788ULL, regs.rax);
	EXPECT_EQ(0x1122334455667788ULL, regs.rbx);
	ASSERT_EQ(0, vcpu_get_sregs(g, &sregs));
	EXPECT_EQ(0x80000001, sregs.cr0 & 0x80000001);
	EXPECT_EQ(0x20, sregs.cr4 & 0x20);
	EXPECT_EQ(GUEST_PML4_GPA, sregs.cr3);
	/* EFER.LMA: set by the CPU when paging came on with LME. */
	EXPECT_EQ(0x500, sregs.efer & 0x500);
	EXPECT_EQ(GUEST_SEL_CODE64, sregs.cs.selector);
	EXPECT_EQ(1, sregs.cs.l);
	EXPECT_EQ(GUEST_GDT_GPA, sregs.gdt.base);
	EXPECT_EQ(31, sregs.gdt.limit);
	guest_run_hlt(g);
}

TEST_HARNESS_MAIN
