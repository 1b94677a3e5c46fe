// SPDX-License-Identifier: GPL-2.0
/*
 * exit_test: the other ways out of KVM_RUN.
 *
 *  - a triple fault (an exception with an empty IDT) is KVM_EXIT_SHUTDOWN;
 *  - a signal that arrives while the guest runs makes KVM_RUN return
 *    EINTR with KVM_EXIT_INTR, whether the guest exits to KVM now and then
 *    or spins without exits (that case is skipped on Bochs, which hangs);
 *    so does one already pending when
 *    KVM_SET_SIGNAL_MASK unblocks it for the duration of KVM_RUN, and
 *    then the guest does not run at all;
 *  - kvm_run.immediate_exit = 1: KVM_RUN returns EINTR at once, after
 *    completing a pending IN (KVM completes userspace I/O before looking
 *    at immediate_exit, 6.1 and 6.12);
 *  - KVM_SET_GUEST_DEBUG: USE_SW_BP turns INT3 into KVM_EXIT_DEBUG with
 *    exception 3 and pc at the INT3 (skipped on QEMU's TCG, which never
 *    takes the #BP intercept for INT3), USE_HW_BP with DR0/DR7 gives
 *    KVM_EXIT_DEBUG with exception 1 and pc at the breakpoint (skipped on
 *    QEMU's TCG, whose VMRUN does not arm the breakpoints), SINGLESTEP
 *    gives KVM_EXIT_DEBUG with exception 1 after each instruction (skipped
 *    on Bochs, which raises the #DB before the first one); without
 *    guest debugging INT3 goes to the guest's IDT.  (KVM does not reject
 *    unknown control bits: KVM_CAP_SET_GUEST_DEBUG2 only reports them.)
 *  - an unknown hypercall (VMCALL on Intel, VMMCALL on AMD) returns
 *    -KVM_ENOSYS (-1000) in RAX, truncated to 32 bits outside 64-bit
 *    mode, and KVM_HC_VAPIC_POLL_IRQ returns 0;
 *  - on AMD, the guest's VMCALL works too: KVM rewrites it to VMMCALL in
 *    guest memory (KVM_X86_QUIRK_FIX_HYPERCALL_INSN, on by default);
 *  - MOV to or from a GPA outside every memslot is KVM_EXIT_MMIO with the
 *    address, length, direction and data; read data from the host
 *    reaches the guest's register.
 *
 * Reference: api.rst 4.10 (KVM_RUN), 4.14 (KVM_SET_SIGNAL_MASK), 4.56
 * (KVM_SET_GUEST_DEBUG), 5 (immediate_exit, KVM_EXIT_*), hypercalls.rst;
 * 6.1 code: kvm_arch_vcpu_ioctl_run(), vcpu_run(), kvm_emulate_hypercall()
 * and emulator_fix_hypercall() in arch/x86/kvm/x86.c, ud_interception(),
 * shutdown_interception(), bp_interception() and
 * db_interception() in svm/svm.c, handle_exception_nmi() and
 * handle_triple_fault() in vmx/vmx.c.
 */
#include <cpuid.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include "kvmx_util.h"
#include "guest/guest.h"
#include "kselftest_harness.h"

#define KVM_ENOSYS		1000
#define KVM_HC_VAPIC_POLL_IRQ	1

FIXTURE(exit) {
	struct guest g;
};

FIXTURE_SETUP(exit)
{
	int r = guest_create(&self->g, 0);

	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
}

FIXTURE_TEARDOWN(exit)
{
	guest_destroy(&self->g);
}

static bool host_is_bochs(void);

/* The test-bed's CPU is QEMU's TCG: its brand string says so. */
static bool host_is_qemu_tcg(void)
{
	unsigned int r[12], i;
	char brand[49];

	for (i = 0; i < 3; i++)
		__cpuid(0x80000002 + i, r[4 * i], r[4 * i + 1], r[4 * i + 2],
			r[4 * i + 3]);
	memcpy(brand, r, 48);
	brand[48] = 0;
	return strstr(brand, "QEMU TCG") != NULL;
}

/* #DE with no IDT: #GP, then #DF, then shutdown. */
GUEST_CODE(div0_code, 64,
	"xor %ecx, %ecx\n\t"
	"mov $1, %eax\n\t"
	"div %ecx\n\t"
	GUEST_ASM_DONE_HLT);

TEST_F(exit, triple_fault_is_shutdown)
{
	struct guest *g = &self->g;
	struct kvm_sregs sr;

	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, div0_code, div0_code_end));
	/* With the IDT, the #DE is the guest's business. */
	ASSERT_EQ(GUEST_PORT_EXC, guest_run_report(g, NULL)) TH_LOG("%s", guest_exit_str(g));

	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, div0_code, div0_code_end));
	ASSERT_EQ(0, vcpu_get_sregs(g, &sr));
	sr.idt.limit = 0;
	ASSERT_EQ(0, vcpu_set_sregs(g, &sr));
	ASSERT_EQ(KVM_EXIT_SHUTDOWN, vcpu_run_until_exit(g)) TH_LOG("%s", guest_exit_str(g));
}

/* An endless loop without exits. */
GUEST_CODE(loop_code, 64,
	"loop_top:\n\t"
	"inc %rax\n\t"
	"jmp loop_top\n\t");

/* An endless loop of exits that KVM handles itself (CPUID). */
GUEST_CODE(cpuid_loop_code, 64,
	"1:\n\t"
	"inc %r8\n\t"
	"xor %eax, %eax\n\t"
	"xor %ecx, %ecx\n\t"
	"cpuid\n\t"
	"jmp 1b\n\t");

/*
 * Bochs (the Intel test-bed) never gives its VMX host a timer interrupt
 * while the nested guest spins without exits: the host hangs.
 */
static bool host_is_bochs(void)
{
	static const char *const files[] = {
		"/sys/class/dmi/id/bios_vendor",
		"/sys/class/dmi/id/bios_version",
		"/sys/class/dmi/id/sys_vendor",
	};
	char buf[128];
	unsigned int i;
	size_t n;
	FILE *f;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		f = fopen(files[i], "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		if (strstr(buf, "Bochs"))
			return true;
	}
	return false;
}

static volatile sig_atomic_t got_usr1;

static void usr1_handler(int sig)
{
	(void)sig;
	got_usr1++;
}

/*
 * SIGALRM 100 ms into KVM_RUN: EINTR with KVM_EXIT_INTR, twice.  The
 * guest loops on CPUID (exits that KVM handles without returning to
 * userspace) or, with spin, without any exit.
 */
static void signal_while_running(struct __test_metadata *_metadata,
				 struct guest *g, bool spin)
{
	struct itimerval it;
	struct kvm_regs regs;
	const uint8_t *code = spin ? loop_code : cpuid_loop_code;
	const uint8_t *end = spin ? loop_code_end : cpuid_loop_code_end;
	int i;

	/* Our own timer: no watchdog; SIGALRM's handler is the library's. */
	g->timeout_ms = 0;

	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, code, end));
	for (i = 0; i < 2; i++) {
		memset(&it, 0, sizeof(it));
		it.it_value.tv_usec = 100 * 1000;
		ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
		EXPECT_EQ(-EINTR, KVM_IOCTL(g->vcpu, KVM_RUN, 0));
		EXPECT_EQ(KVM_EXIT_INTR, g->run->exit_reason) TH_LOG("%s", guest_exit_str(g));
		/* The guest ran: it counted, RIP is inside the loop. */
		ASSERT_EQ(0, vcpu_get_regs(g, &regs));
		EXPECT_NE(0, spin ? regs.rax : regs.r8);
		EXPECT_GE(regs.rip, GUEST_CODE_GPA);
		EXPECT_LT(regs.rip, GUEST_CODE_GPA + (end - code));
	}
}

/* Bounded: a KVM_RUN that does not see the signal would hang. */
TEST_F_TIMEOUT(exit, signal_while_running, 20)
{
	signal_while_running(_metadata, &self->g, false);
}

TEST_F_TIMEOUT(exit, signal_while_spinning, 20)
{
	if (host_is_bochs())
		SKIP(return, "Bochs never interrupts its VMX host while a nested guest spins");
	signal_while_running(_metadata, &self->g, true);
}

TEST_F(exit, signal_mask)
{
	struct guest *g = &self->g;
	struct kvm_signal_mask *km;
	struct sigaction sa;
	sigset_t block, pending;
	struct timespec ts = { 0, 0 };
	struct kvm_regs regs;

	km = calloc(1, sizeof(*km) + 8);
	ASSERT_NE(NULL, km);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usr1_handler;
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &block, NULL));
	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, div0_code, div0_code_end));

	/* The kernel's sigset is 8 bytes: any other length is EINVAL. */
	km->len = 16;
	EXPECT_EQ(-EINVAL, KVM_IOCTL(g->vcpu, KVM_SET_SIGNAL_MASK, km));
	km->len = 4;
	EXPECT_EQ(-EINVAL, KVM_IOCTL(g->vcpu, KVM_SET_SIGNAL_MASK, km));

	/* SIGUSR1 pending and blocked; KVM_RUN's mask still blocks it. */
	raise(SIGUSR1);
	km->len = 8;
	memcpy(km->sigset, &block, 8);
	ASSERT_EQ(0, KVM_IOCTL(g->vcpu, KVM_SET_SIGNAL_MASK, km));
	ASSERT_EQ(GUEST_PORT_EXC, guest_run_report(g, NULL)) TH_LOG("%s", guest_exit_str(g));

	/* An empty mask unblocks it inside KVM_RUN: EINTR before the guest runs. */
	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, div0_code, div0_code_end));
	memset(km->sigset, 0, 8);
	ASSERT_EQ(0, KVM_IOCTL(g->vcpu, KVM_SET_SIGNAL_MASK, km));
	EXPECT_EQ(-EINTR, vcpu_run(g));
	EXPECT_EQ(KVM_EXIT_INTR, g->run->exit_reason) TH_LOG("%s", guest_exit_str(g));
	ASSERT_EQ(0, vcpu_get_regs(g, &regs));
	EXPECT_EQ(GUEST_CODE_GPA, regs.rip);
	EXPECT_EQ(0, regs.rax);		/* not even MOV $1, %EAX ran */
	/* Back in userspace SIGUSR1 is blocked again, and still pending. */
	EXPECT_EQ(0, got_usr1);
	ASSERT_EQ(0, sigpending(&pending));
	EXPECT_EQ(1, sigismember(&pending, SIGUSR1));
	EXPECT_EQ(SIGUSR1, sigtimedwait(&block, NULL, &ts));

	/* Nothing pending now: the guest runs. */
	ASSERT_EQ(GUEST_PORT_EXC, guest_run_report(g, &regs)) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(0, regs.rax);		/* #DE */

	/* A NULL mask: KVM_RUN keeps the thread's own. */
	EXPECT_EQ(0, KVM_IOCTL(g->vcpu, KVM_SET_SIGNAL_MASK, NULL));
	raise(SIGUSR1);
	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, div0_code, div0_code_end));
	ASSERT_EQ(GUEST_PORT_EXC, guest_run_report(g, NULL)) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(SIGUSR1, sigtimedwait(&block, NULL, &ts));
	EXPECT_EQ(0, got_usr1);
	free(km);
}

GUEST_CODE(imm_code, 64,
	"mov $0x1122334455667788, %rax\n"
	"imm_in:\n\t"
	"in $0x60, %al\n"
	"imm_after:\n\t"
	"mov %rax, %rbx\n\t"
	GUEST_ASM_DONE_HLT);
GUEST_LABEL(imm_in);
GUEST_LABEL(imm_after);

TEST_F(exit, immediate_exit)
{
	struct guest *g = &self->g;
	struct kvm_regs regs;

	if (kvm_check_cap(g->kvm, KVM_CAP_IMMEDIATE_EXIT) <= 0)
		SKIP(return, "no KVM_CAP_IMMEDIATE_EXIT");
	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, imm_code, imm_code_end));

	/* Before anything ran: EINTR, the guest did not move. */
	g->run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, vcpu_run(g));
	EXPECT_EQ(GUEST_CODE_GPA, vcpu_rip(g));
	EXPECT_EQ(-EINTR, vcpu_run(g));
	EXPECT_EQ(GUEST_CODE_GPA, vcpu_rip(g));

	g->run->immediate_exit = 0;
	ASSERT_EQ(KVM_EXIT_IO, vcpu_run_until_exit(g)) TH_LOG("%s", guest_exit_str(g));
	ASSERT_EQ(KVM_EXIT_IO_IN, g->run->io.direction);
	ASSERT_EQ(0x60, g->run->io.port);
	*(uint8_t *)guest_io_data(g) = 0x42;

	/* The IN completes, then KVM_RUN stops before entering the guest. */
	g->run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, vcpu_run(g));
	ASSERT_EQ(0, vcpu_get_regs(g, &regs));
	EXPECT_EQ(0x1122334455667742ULL, regs.rax);
	EXPECT_EQ(GUEST_ADDR(imm_code, imm_after), regs.rip);
	EXPECT_EQ(0, regs.rbx);

	g->run->immediate_exit = 0;
	ASSERT_EQ(GUEST_PORT_DONE, guest_run_report(g, &regs)) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(0x1122334455667742ULL, regs.rbx);
}

GUEST_CODE(int3_code, 64,
	"nop\n"
	"bp_int3:\n\t"
	"int3\n"
	"bp_after:\n\t"
	"mov $7, %eax\n"
	"bp_mov2:\n\t"
	"mov $8, %ebx\n"
	"bp_add:\n\t"
	"add %ebx, %eax\n"
	"bp_out:\n\t"
	GUEST_ASM_DONE_HLT);
GUEST_LABEL(bp_int3);
GUEST_LABEL(bp_after);
GUEST_LABEL(bp_mov2);
GUEST_LABEL(bp_add);
GUEST_LABEL(bp_out);

TEST_F(exit, sw_breakpoint)
{
	struct guest *g = &self->g;
	struct kvm_guest_debug dbg;
	struct kvm_regs regs;

	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, int3_code, int3_code_end));
	memset(&dbg, 0, sizeof(dbg));
	dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP;
	ASSERT_EQ(0, KVM_IOCTL(g->vcpu, KVM_SET_GUEST_DEBUG, &dbg));

	ASSERT_EQ(0, vcpu_run(g)) TH_LOG("%s", guest_exit_str(g));
	if (guest_report(g, NULL) == GUEST_PORT_EXC && host_is_qemu_tcg())
		SKIP(return, "QEMU's TCG checks the SWINT intercept, not the #BP one, for a nested guest's INT3");
	ASSERT_EQ(KVM_EXIT_DEBUG, g->run->exit_reason) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(3, g->run->debug.arch.exception);
	EXPECT_EQ(GUEST_ADDR(int3_code, bp_int3), g->run->debug.arch.pc);
	ASSERT_EQ(0, vcpu_get_regs(g, &regs));
	EXPECT_EQ(GUEST_ADDR(int3_code, bp_int3), regs.rip);

	/* The debugger steps over the INT3 itself. */
	regs.rip++;
	ASSERT_EQ(0, vcpu_set_regs(g, &regs));
	EXPECT_EQ(15, guest_run_done(g));
}

/* Without guest debugging, INT3 is a #BP for the guest, RIP after it. */
TEST_F(exit, int3_to_guest)
{
	struct guest *g = &self->g;
	struct kvm_guest_debug dbg;
	struct kvm_regs regs;

	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, int3_code, int3_code_end));
	ASSERT_EQ(GUEST_PORT_EXC, guest_run_report(g, &regs)) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(3, regs.rax);
	EXPECT_EQ(GUEST_ADDR(int3_code, bp_after), regs.rcx);

	/* The same after debugging was on and is off again. */
	memset(&dbg, 0, sizeof(dbg));
	dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP;
	ASSERT_EQ(0, KVM_IOCTL(g->vcpu, KVM_SET_GUEST_DEBUG, &dbg));
	dbg.control = 0;
	ASSERT_EQ(0, KVM_IOCTL(g->vcpu, KVM_SET_GUEST_DEBUG, &dbg));
	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, int3_code, int3_code_end));
	ASSERT_EQ(GUEST_PORT_EXC, guest_run_report(g, &regs)) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(3, regs.rax);
	EXPECT_EQ(GUEST_ADDR(int3_code, bp_after), regs.rcx);
}

/* An instruction breakpoint in DR0: KVM_EXIT_DEBUG before the instruction. */
TEST_F(exit, hw_breakpoint)
{
	struct guest *g = &self->g;
	struct kvm_guest_debug dbg;
	uint64_t bp = GUEST_ADDR(int3_code, bp_add);
	struct kvm_regs regs;
	long mask;

	/* KVM_CAP_SET_GUEST_DEBUG2: the control bits KVM knows. */
	mask = kvm_check_cap(g->kvm, KVM_CAP_SET_GUEST_DEBUG2);
	if (mask > 0) {
		EXPECT_EQ(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP |
			  KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW_BP,
			  mask & (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP |
				  KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW_BP));
	}

	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, int3_code, int3_code_end));
	ASSERT_EQ(0, vcpu_get_regs(g, &regs));
	regs.rip = GUEST_ADDR(int3_code, bp_after);
	ASSERT_EQ(0, vcpu_set_regs(g, &regs));
	memset(&dbg, 0, sizeof(dbg));
	dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
	dbg.arch.debugreg[0] = bp;
	dbg.arch.debugreg[7] = 0x401;	/* L0, execute, 1 byte */
	ASSERT_EQ(0, KVM_IOCTL(g->vcpu, KVM_SET_GUEST_DEBUG, &dbg));

	ASSERT_EQ(0, vcpu_run(g)) TH_LOG("%s", guest_exit_str(g));
	if (guest_report(g, NULL) == GUEST_PORT_DONE && host_is_qemu_tcg())
		SKIP(return, "QEMU's TCG does not arm the DR7 that VMRUN loads");
	ASSERT_EQ(KVM_EXIT_DEBUG, g->run->exit_reason) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(1, g->run->debug.arch.exception);
	EXPECT_EQ(bp, g->run->debug.arch.pc);
	EXPECT_EQ(1, g->run->debug.arch.dr6 & 0xf);	/* B0 */
	ASSERT_EQ(0, vcpu_get_regs(g, &regs));
	EXPECT_EQ(bp, regs.rip);
	EXPECT_EQ(7, regs.rax);		/* the instructions before it ran */
	EXPECT_EQ(8, regs.rbx);

	dbg.control = 0;
	ASSERT_EQ(0, KVM_IOCTL(g->vcpu, KVM_SET_GUEST_DEBUG, &dbg));
	EXPECT_EQ(15, guest_run_done(g));
}

TEST_F(exit, single_step)
{
	struct guest *g = &self->g;
	struct kvm_guest_debug dbg;
	struct kvm_regs regs;
	uint64_t want[] = {
		GUEST_ADDR(int3_code, bp_mov2),
		GUEST_ADDR(int3_code, bp_add),
		GUEST_ADDR(int3_code, bp_out),
	};
	unsigned int i;

	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, int3_code, int3_code_end));
	ASSERT_EQ(0, vcpu_get_regs(g, &regs));
	regs.rip = GUEST_ADDR(int3_code, bp_after);
	ASSERT_EQ(0, vcpu_set_regs(g, &regs));
	memset(&dbg, 0, sizeof(dbg));
	dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
	ASSERT_EQ(0, KVM_IOCTL(g->vcpu, KVM_SET_GUEST_DEBUG, &dbg));

	for (i = 0; i < ARRAY_SIZE(want); i++) {
		ASSERT_EQ(KVM_EXIT_DEBUG, vcpu_run_until_exit(g))
			TH_LOG("step %u: %s", i, guest_exit_str(g));
		if (i == 0 && g->run->debug.arch.pc == regs.rip && host_is_bochs())
			SKIP(return, "Bochs raises the single-step #DB at VM entry, before the guest's first instruction");
		EXPECT_EQ(1, g->run->debug.arch.exception);
		EXPECT_EQ(want[i], g->run->debug.arch.pc) TH_LOG("step %u", i);
		EXPECT_EQ(want[i], vcpu_rip(g));
	}
	dbg.control = 0;
	ASSERT_EQ(0, KVM_IOCTL(g->vcpu, KVM_SET_GUEST_DEBUG, &dbg));
	EXPECT_EQ(15, guest_run_done(g));
}

/* The hypercall instruction is patched in for the host's vendor. */
GUEST_CODE(hc64_code, 64,
	"mov $0x12345, %rax\n"
	"hc64_a:\n\t"
	"nop\n\tnop\n\tnop\n\t"
	"mov %rax, %r8\n\t"
	"mov $" GUEST_STR(KVM_HC_VAPIC_POLL_IRQ) ", %eax\n"
	"hc64_b:\n\t"
	"nop\n\tnop\n\tnop\n\t"
	"mov %rax, %r9\n\t"
	GUEST_ASM_DONE_HLT);
GUEST_LABEL(hc64_a);
GUEST_LABEL(hc64_b);

GUEST_CODE(hc32_code, 32,
	"mov $0x12345, %eax\n"
	"hc32_a:\n\t"
	"nop\n\tnop\n\tnop\n\t"
	GUEST_ASM_DONE_HLT);
GUEST_LABEL(hc32_a);

static void patch_hypercall(struct guest *g, uint64_t gpa)
{
	static const uint8_t vmcall[3] = { 0x0f, 0x01, 0xc1 };
	static const uint8_t vmmcall[3] = { 0x0f, 0x01, 0xd9 };

	memcpy(guest_ptr(g, gpa), host_is_vmx() ? vmcall : vmmcall, 3);
}

TEST_F(exit, hypercall)
{
	struct guest *g = &self->g;
	struct kvm_regs regs;

	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, hc64_code, hc64_code_end));
	patch_hypercall(g, GUEST_ADDR(hc64_code, hc64_a));
	patch_hypercall(g, GUEST_ADDR(hc64_code, hc64_b));
	ASSERT_EQ(GUEST_PORT_DONE, guest_run_report(g, &regs)) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ((uint64_t)-KVM_ENOSYS, regs.r8);
	EXPECT_EQ(0, regs.r9);

	/* Outside 64-bit mode the result is 32 bits, zero-extended. */
	ASSERT_EQ(0, guest_start(g, GUEST_MODE_PROT32, hc32_code, hc32_code_end));
	patch_hypercall(g, GUEST_ADDR(hc32_code, hc32_a));
	ASSERT_EQ(GUEST_PORT_DONE, guest_run_report(g, &regs)) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ((uint32_t)-KVM_ENOSYS, regs.rax);
}

TEST_F(exit, hypercall_vmcall_on_amd)
{
	static const uint8_t vmcall[3] = { 0x0f, 0x01, 0xc1 };
	static const uint8_t vmmcall[3] = { 0x0f, 0x01, 0xd9 };
	struct guest *g = &self->g;
	struct kvm_regs regs;
	uint64_t a = GUEST_ADDR(hc64_code, hc64_a);
	uint64_t b = GUEST_ADDR(hc64_code, hc64_b);

	if (host_is_vmx())
		SKIP(return, "Intel: VMCALL is the native instruction");
	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, hc64_code, hc64_code_end));
	memcpy(guest_ptr(g, a), vmcall, 3);
	memcpy(guest_ptr(g, b), vmcall, 3);
	ASSERT_EQ(GUEST_PORT_DONE, guest_run_report(g, &regs)) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ((uint64_t)-KVM_ENOSYS, regs.r8);
	EXPECT_EQ(0, regs.r9);
	EXPECT_EQ(0, memcmp(guest_ptr(g, a), vmmcall, 3));
	EXPECT_EQ(0, memcmp(guest_ptr(g, b), vmmcall, 3));
}

#define MMIO_GPA	0xc0000000ULL

GUEST_CODE(mmio_code, 64,
	"mov $" GUEST_STR(MMIO_GPA) ", %edi\n\t"
	"movl $0x12345678, (%rdi)\n\t"
	"mov $0x1122334455667788, %rax\n\t"
	"mov %rax, 8(%rdi)\n\t"
	"movb $0xab, 16(%rdi)\n\t"
	"movw $0xcdef, 18(%rdi)\n\t"
	"mov $0x1111111111111111, %r8\n\t"
	"mov 32(%rdi), %r8d\n\t"
	"mov 40(%rdi), %r9\n\t"
	"mov $0x2222222222222222, %r10\n\t"
	"mov 48(%rdi), %r10b\n\t"
	"movzwl 50(%rdi), %r11d\n\t"
	GUEST_ASM_DONE_HLT);

TEST_F(exit, mmio)
{
	static const struct {
		uint64_t off;
		uint32_t len;
		bool write;
		uint64_t data;
	} acc[] = {
		{ 0, 4, true, 0x12345678 },
		{ 8, 8, true, 0x1122334455667788ULL },
		{ 16, 1, true, 0xab },
		{ 18, 2, true, 0xcdef },
		{ 32, 4, false, 0xdeadbeef },
		{ 40, 8, false, 0x0102030405060708ULL },
		{ 48, 1, false, 0x5a },
		{ 50, 2, false, 0xa55a },
	};
	struct guest *g = &self->g;
	struct kvm_run *run = g->run;
	struct kvm_regs regs;
	uint64_t d;
	unsigned int i;

	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, mmio_code, mmio_code_end));
	for (i = 0; i < ARRAY_SIZE(acc); i++) {
		ASSERT_EQ(KVM_EXIT_MMIO, vcpu_run_until_exit(g))
			TH_LOG("access %u: %s", i, guest_exit_str(g));
		EXPECT_EQ(MMIO_GPA + acc[i].off, run->mmio.phys_addr) TH_LOG("access %u", i);
		EXPECT_EQ(acc[i].len, run->mmio.len) TH_LOG("access %u", i);
		EXPECT_EQ(acc[i].write, run->mmio.is_write) TH_LOG("access %u", i);
		if (acc[i].write) {
			d = 0;
			memcpy(&d, run->mmio.data, acc[i].len);
			EXPECT_EQ(acc[i].data, d) TH_LOG("access %u", i);
		} else {
			memcpy(run->mmio.data, &acc[i].data, acc[i].len);
		}
	}
	ASSERT_EQ(GUEST_PORT_DONE, guest_run_report(g, &regs)) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(0xdeadbeefULL, regs.r8);	/* 32-bit load zero-extends */
	EXPECT_EQ(0x0102030405060708ULL, regs.r9);
	EXPECT_EQ(0x222222222222225aULL, regs.r10);	/* 8-bit load merges */
	EXPECT_EQ(0xa55aULL, regs.r11);
}

TEST_HARNESS_MAIN
