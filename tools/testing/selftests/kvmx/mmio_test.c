// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_test: guest accesses to addresses no memslot backs, which KVM
 * decodes and completes through KVM_EXIT_MMIO.
 *
 *  - 64-bit: MOV store and load, MOVZX, MOVSX, ADD to memory (a read
 *    then a write), XCHG (the same), each with the right address, length,
 *    direction and data, and the right register results.
 *  - 32-bit protected mode and real mode: a store and a load.
 *  - An emulated MOVS whose destination is not mapped in the guest's own
 *    page tables: the MMIO read exits, then the guest takes #PF (write,
 *    not present) at the MOVS.
 *  - An instruction KVM cannot emulate on MMIO (POPCNT) ends in
 *    KVM_EXIT_INTERNAL_ERROR, suberror KVM_INTERNAL_ERROR_EMULATION.
 *
 * Reference: api.rst 5 (KVM_EXIT_MMIO, KVM_EXIT_INTERNAL_ERROR); 6.1
 * code: x86_emulate_instruction(), handle_emulation_failure() in
 * arch/x86/kvm/x86.c.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "kvmx_util.h"
#include "guest/guest.h"
#include "kselftest_harness.h"

#define MMIO	0xd0000000UL

/* Expect one MMIO exit; for a read, answer with @data. */
static void expect_mmio(struct __test_metadata *_metadata, struct guest *g,
			uint64_t gpa, uint32_t len, bool write, uint64_t data)
{
	struct kvm_run *run = g->run;
	uint64_t v = 0;

	ASSERT_EQ(KVM_EXIT_MMIO, vcpu_run_until_exit(g)) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(gpa, run->mmio.phys_addr);
	EXPECT_EQ(len, run->mmio.len);
	EXPECT_EQ(write, run->mmio.is_write);
	if (write) {
		memcpy(&v, run->mmio.data, len);
		EXPECT_EQ(data, v);
	} else {
		memcpy(run->mmio.data, &data, len);
	}
}

GUEST_CODE(m64_code, 64,
	"mov $" GUEST_STR(MMIO) ", %rbx\n\t"
	"movl $0x11223344, (%rbx)\n\t"
	"mov 8(%rbx), %rax\n\t"
	"mov %rax, %r8\n\t"
	"movzbl 16(%rbx), %ecx\n\t"
	"mov %rcx, %r9\n\t"
	"movswq 24(%rbx), %rdx\n\t"
	"mov %rdx, %r10\n\t"
	"addl $5, 32(%rbx)\n\t"
	"mov $0x55, %esi\n\t"
	"xchg %esi, 40(%rbx)\n\t"
	"mov %rsi, %r11\n\t"
	GUEST_ASM_DONE_HLT);

TEST(forms_64)
{
	struct kvm_regs regs;
	struct guest g;

	ASSERT_EQ(0, guest_create(&g, 0));
	ASSERT_EQ(0, guest_start(&g, GUEST_MODE_LONG64, m64_code, m64_code_end));
	expect_mmio(_metadata, &g, MMIO, 4, true, 0x11223344);
	expect_mmio(_metadata, &g, MMIO + 8, 8, false, 0x0102030405060708ULL);
	expect_mmio(_metadata, &g, MMIO + 16, 1, false, 0xfe);
	expect_mmio(_metadata, &g, MMIO + 24, 2, false, 0x8001);
	expect_mmio(_metadata, &g, MMIO + 32, 4, false, 10);
	expect_mmio(_metadata, &g, MMIO + 32, 4, true, 15);
	expect_mmio(_metadata, &g, MMIO + 40, 4, false, 0x66);
	expect_mmio(_metadata, &g, MMIO + 40, 4, true, 0x55);
	ASSERT_EQ(GUEST_PORT_DONE, guest_run_report(&g, &regs)) TH_LOG("%s", guest_exit_str(&g));
	EXPECT_EQ(0x0102030405060708ULL, regs.r8);
	EXPECT_EQ(0xfe, regs.r9);
	EXPECT_EQ(0xffffffffffff8001ULL, regs.r10);
	EXPECT_EQ(0x66, regs.r11);
	guest_destroy(&g);
}

GUEST_CODE(m32_code, 32,
	"movl $0xcafe, " GUEST_STR(MMIO) "\n\t"
	"mov " GUEST_STR(MMIO) " + 4, %eax\n\t"
	GUEST_ASM_DONE_HLT);

TEST(forms_32)
{
	struct kvm_regs regs;
	struct guest g;

	ASSERT_EQ(0, guest_create(&g, 0));
	ASSERT_EQ(0, guest_start(&g, GUEST_MODE_PROT32, m32_code, m32_code_end));
	expect_mmio(_metadata, &g, MMIO, 4, true, 0xcafe);
	expect_mmio(_metadata, &g, MMIO + 4, 4, false, 0xabcd1234);
	ASSERT_EQ(GUEST_PORT_DONE, guest_run_report(&g, &regs)) TH_LOG("%s", guest_exit_str(&g));
	EXPECT_EQ(0xabcd1234, (uint32_t)regs.rax);
	guest_destroy(&g);
}

/*
 * Real mode reaches only the first MiB, which the library's RAM covers:
 * build a VM with 64 KiB of RAM and put MMIO at 0x20000 (DS = 0x2000).
 */
TEST(forms_real)
{
	static const uint8_t code[] = {
		0xb8, 0x00, 0x20,		/* mov $0x2000, %ax */
		0x8e, 0xd8,			/* mov %ax, %ds */
		0xc7, 0x06, 0x10, 0x00, 0x34, 0x12, /* movw $0x1234, (0x10) */
		0xa1, 0x20, 0x00,		/* mov (0x20), %ax */
		0xf4,				/* hlt */
	};
	int kvm = kvm_open(), vm, vcpu;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	void *mem;

	ASSERT_GE(kvm, 0);
	vm = vm_create(kvm);
	ASSERT_GE(vm, 0);
	mem = guest_mem_alloc(0x10000);
	ASSERT_NE(NULL, mem);
	memcpy((char *)mem + 0x1000, code, sizeof(code));
	ASSERT_EQ(0, vm_set_mem(vm, 0, 0, 0, 0x10000, (uintptr_t)mem));
	vcpu = vcpu_create(vm, 0);
	ASSERT_GE(vcpu, 0);
	run = mmap(NULL, vcpu_mmap_size(kvm), PROT_READ | PROT_WRITE,
		   MAP_SHARED, vcpu, 0);
	ASSERT_NE(MAP_FAILED, run);
	ASSERT_EQ(0, KVM_IOCTL(vcpu, KVM_GET_SREGS, &sregs));
	sregs.cs.selector = 0;
	sregs.cs.base = 0;
	ASSERT_EQ(0, KVM_IOCTL(vcpu, KVM_SET_SREGS, &sregs));
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x1000;
	regs.rflags = 2;
	ASSERT_EQ(0, KVM_IOCTL(vcpu, KVM_SET_REGS, &regs));

	ASSERT_EQ(0, KVM_IOCTL(vcpu, KVM_RUN, 0));
	ASSERT_EQ(KVM_EXIT_MMIO, run->exit_reason);
	EXPECT_EQ(0x20010, run->mmio.phys_addr);
	EXPECT_EQ(2, run->mmio.len);
	EXPECT_EQ(1, run->mmio.is_write);
	EXPECT_EQ(0x1234, *(uint16_t *)run->mmio.data);
	ASSERT_EQ(0, KVM_IOCTL(vcpu, KVM_RUN, 0));
	ASSERT_EQ(KVM_EXIT_MMIO, run->exit_reason);
	EXPECT_EQ(0x20020, run->mmio.phys_addr);
	EXPECT_EQ(0, run->mmio.is_write);
	*(uint16_t *)run->mmio.data = 0xbeef;
	ASSERT_EQ(0, KVM_IOCTL(vcpu, KVM_RUN, 0));
	ASSERT_EQ(KVM_EXIT_HLT, run->exit_reason);
	ASSERT_EQ(0, KVM_IOCTL(vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(0xbeef, regs.rax & 0xffff);
	close(vcpu);
	close(vm);
	close(kvm);
	guest_mem_free(mem, 0x10000);
}

/* Far above the library's 4 GiB identity map: not present. */
#define UNMAPPED	0x700000000000UL

GUEST_CODE(pf_code, 64,
	"mov $" GUEST_STR(MMIO) ", %rsi\n\t"
	"mov $" GUEST_STR(UNMAPPED) ", %rdi\n\t"
	"cld\n"
	"pf_movs:\n\t"
	"movsq\n\t"
	GUEST_ASM_DONE_HLT);
GUEST_LABEL(pf_movs);

TEST(emulated_page_fault)
{
	struct kvm_regs regs;
	struct guest g;

	ASSERT_EQ(0, guest_create(&g, 0));
	ASSERT_EQ(0, guest_start(&g, GUEST_MODE_LONG64, pf_code, pf_code_end));
	expect_mmio(_metadata, &g, MMIO, 8, false, 0x77);
	ASSERT_EQ(GUEST_PORT_EXC, guest_run_report(&g, &regs)) TH_LOG("%s", guest_exit_str(&g));
	EXPECT_EQ(14, regs.rax);			/* #PF */
	EXPECT_EQ(0x2, regs.rbx & 0x7);		/* write, not present, supervisor */
	EXPECT_EQ(GUEST_ADDR(pf_code, pf_movs), regs.rcx);
	guest_destroy(&g);
}

GUEST_CODE(bad_code, 64,
	"mov $" GUEST_STR(MMIO) ", %rbx\n\t"
	"popcnt (%rbx), %eax\n\t"
	GUEST_ASM_DONE_HLT);

TEST(cannot_emulate)
{
	struct guest g;
	int r;

	ASSERT_EQ(0, guest_create(&g, 0));
	ASSERT_EQ(0, guest_start(&g, GUEST_MODE_LONG64, bad_code, bad_code_end));
	r = vcpu_run_until_exit(&g);
	ASSERT_EQ(KVM_EXIT_INTERNAL_ERROR, r) TH_LOG("%s", guest_exit_str(&g));
	EXPECT_EQ(KVM_INTERNAL_ERROR_EMULATION, g.run->internal.suberror);
	guest_destroy(&g);
}

TEST_HARNESS_MAIN
