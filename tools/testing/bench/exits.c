// SPDX-License-Identifier: GPL-2.0
/*
 * Exit costs, as the guest sees them: a 64-bit guest reads the TSC
 * (LFENCE; RDTSC) before and after one exiting instruction, n times, and
 * stores each difference in its memory; at the end it reports with an OUT
 * to GUEST_PORT_DONE and the host takes the median (the first tenth is
 * warm-up and dropped).  Cycles become ns with the vCPU's KVM_GET_TSC_KHZ.
 *
 *   guest-spin   no exit: 1000 iterations of DEC/JNZ, the guest's own
 *                speed.  The control: its ratio says how comparable the
 *                phases were (on the wall clock the host's load moves it;
 *                an empty pair is below the TSC's ~10 ns step under TCG)
 *   exit-cpuid   CPUID leaf 0, handled in the kernel
 *   exit-hcall   VMMCALL (VMCALL on Intel) with an unknown number: the
 *                kernel answers -KVM_ENOSYS
 *   exit-pio     OUT to port 0x10: KVM_EXIT_IO to userspace, which just
 *                runs the vCPU again
 *   exit-mmio    MOV to a GPA outside every memslot: KVM_EXIT_MMIO to
 *                userspace (after the instruction emulator), likewise
 *
 * The HLT wake-up, an IPI between two halted vCPUs, is in wake.c.
 */
#include "bench.h"

#define BUF_GPA		0x100000UL
#define BENCH_MEM	(4UL << 20)
#define PIO_PORT	0x10
#define MMIO_GPA	0xd0000000UL
#define HC_NR		0x7fff0000UL	/* no such hypercall */

/*
 * RDI: where the deltas go, RSI: how many, R10: the MMIO GPA.  RAX of
 * the last exiting instruction is reported in RAX.
 */
#define EXIT_LOOP(name, insn)						\
	GUEST_CODE(name, 64,						\
		"1:\n\t"						\
		TSC_TO("%r8")						\
		insn							\
		"mov %rax, %r9\n\t"					\
		TSC_TO("%r11")						\
		"sub %r8, %r11\n\t"					\
		"mov %r11, (%rdi)\n\t"					\
		"add $8, %rdi\n\t"					\
		"dec %rsi\n\t"						\
		"jnz 1b\n\t"						\
		"mov %r9, %rax\n\t"					\
		GUEST_ASM_DONE_HLT)

EXIT_LOOP(ex_spin, "mov $1000, %ecx\n2:\n\tdec %ecx\n\tjnz 2b\n\t");
EXIT_LOOP(ex_cpuid, "xor %eax, %eax\n\txor %ecx, %ecx\n\tcpuid\n\t");
/* VMMCALL, patched to VMCALL on Intel. */
EXIT_LOOP(ex_hcall, "mov $" GUEST_STR(HC_NR) ", %eax\n\t"
	  "xor %ebx, %ebx\n\txor %ecx, %ecx\n\txor %edx, %edx\n\t"
	  "ex_hcall_insn:\n\t"
	  ".byte 0x0f, 0x01, 0xd9\n\t");
GUEST_LABEL(ex_hcall_insn);
EXIT_LOOP(ex_pio, "mov $0x5a, %eax\n\tout %al, $" GUEST_STR(PIO_PORT) "\n\t");
EXIT_LOOP(ex_mmio, "mov $0x5a, %eax\n\tmov %eax, (%r10)\n\t");

struct exit_kind {
	const char *name;
	const uint8_t *code, *code_end;
	unsigned int n;		/* iterations at scale 1 */
};

static double run_one(const struct exit_kind *k, unsigned int n,
		      uint64_t *last_rax, double *khz_out)
{
	struct guest g;
	struct kvm_regs regs;
	uint64_t *buf;
	double khz, m;
	unsigned int warm = n / 10 < 20 ? 20 : n / 10;
	int r;

	n += warm;
	TEST_ASSERT(BUF_GPA + 8UL * n <= BENCH_MEM, "too many iterations");
	bench_guest(&g, BENCH_MEM);
	TEST_ASSERT(guest_start(&g, GUEST_MODE_LONG64, k->code, k->code_end) == 0,
		    "guest_start");
	if (k->code == ex_hcall && host_is_vmx()) {
		static const uint8_t vmcall[3] = { 0x0f, 0x01, 0xc1 };

		memcpy(guest_ptr(&g, GUEST_ADDR(ex_hcall, ex_hcall_insn)), vmcall, 3);
	}
	TEST_ASSERT(vcpu_get_regs(&g, &regs) == 0, "KVM_GET_REGS");
	regs.rdi = BUF_GPA;
	regs.rsi = n;
	regs.r10 = MMIO_GPA;
	TEST_ASSERT(vcpu_set_regs(&g, &regs) == 0, "KVM_SET_REGS");

	for (;;) {
		r = vcpu_run(&g);
		TEST_ASSERT(r == 0, "%s: %s", k->name, guest_exit_str(&g));
		if (g.run->exit_reason == KVM_EXIT_IO &&
		    g.run->io.port == PIO_PORT)
			continue;
		if (g.run->exit_reason == KVM_EXIT_MMIO &&
		    g.run->mmio.phys_addr == MMIO_GPA && g.run->mmio.is_write)
			continue;
		TEST_ASSERT(guest_report(&g, &regs) == GUEST_PORT_DONE,
			    "%s: %s", k->name, guest_exit_str(&g));
		break;
	}
	*last_rax = regs.rax;
	buf = guest_ptr(&g, BUF_GPA);
	khz = guest_tsc_khz(&g);
	*khz_out = khz;
	m = median_u64(buf + warm, n - warm) * 1e6 / khz;	/* ns */
	guest_destroy(&g);
	return m;
}

int bench_exits(void)
{
	const struct exit_kind kinds[] = {
		{ "guest-spin", ex_spin, ex_spin_end, 2000 },
		{ "exit-cpuid", ex_cpuid, ex_cpuid_end, 5000 },
		{ "exit-hcall", ex_hcall, ex_hcall_end, 5000 },
		{ "exit-pio", ex_pio, ex_pio_end, 2000 },
		{ "exit-mmio", ex_mmio, ex_mmio_end, 2000 },
	};
	unsigned int i, n;
	uint64_t rax;
	double ns, khz;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		n = iters(kinds[i].n, 50);
		ns = run_one(&kinds[i], n, &rax, &khz);
		if (kinds[i].code == ex_hcall)
			TEST_ASSERT(rax == (uint64_t)-1000,
				    "hypercall returned %#llx, not -KVM_ENOSYS",
				    (unsigned long long)rax);
		report(kinds[i].name, ns, "ns", true, "n=%u tsc_khz=%.0f", n, khz);
	}
	return 0;
}
