// SPDX-License-Identifier: GPL-2.0
/*
 * HLT wake-up through the in-kernel irqchip: an IPI ping-pong between two
 * vCPUs that wait in STI; HLT, as the guest sees it.
 *
 *   wake-ipi     vCPU 0 reads the TSC, sends a fixed IPI (x2APIC ICR
 *                write) to vCPU 1 and halts; vCPU 1, halted, wakes in its
 *                handler, EOIs and IPIs back; vCPU 0 wakes, EOIs and
 *                reads the TSC again.  ns per round trip (two wake-ups
 *                of a halted vCPU, four APIC writes), n=1000
 *
 * The VM has KVM_CREATE_IRQCHIP, so HLT, the IPIs and the EOIs stay in
 * the kernel: the host only sees the two KVM_RUNs return at the end.
 * x2APIC (WRMSR) rather than xAPIC (MMIO, through the instruction
 * emulator): the wake-up is what is measured, not the emulator.
 *
 * Both vCPU threads are pinned to one host CPU, as all of kvmx-bench is
 * (-c): every wake-up is then a wake of the other thread and a switch to
 * it, which is deterministic (an overcommitted host).  On the wall clock
 * of the 2-CPU test-bed a cross-CPU wake would time the emulator's idle
 * CPU, not the hypervisor; under icount there is only one CPU anyway.
 */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "bench.h"

#define WAKE_MEM	(4UL << 20)
#define BUF_GPA		0x100000UL
/* Progress, for a diagnosis if the ping-pong stalls (GUEST_DATA_GPA). */
#define REPLIES_GPA	0x20000		/* replies vCPU 0 took */
#define PINGS_GPA	0x20008		/* pings vCPU 1 took */
#define WAKE_TIMEOUT_S	120
#define AP_STACK_TOP	(GUEST_STACK_TOP - 0x1000)

#define VEC_PING	0x40	/* to vCPU 1: reply */
#define VEC_PONG	0x41	/* to vCPU 0: the reply */
#define VEC_STOP	0x42	/* to vCPU 1: report and stop */

#define MSR_APIC_BASE	0x1b
#define MSR_X2APIC_EOI	0x80b
#define MSR_X2APIC_SVR	0x80f
#define MSR_X2APIC_ICR	0x830
#define ICR_ASSERT	0x4000

/* x2APIC on (APIC_BASE.EN|EXTD), software-enabled (SVR = 0x1ff). */
#define X2APIC_ON							\
	"mov $" GUEST_STR(MSR_APIC_BASE) ", %ecx\n\t"			\
	"rdmsr\n\t"							\
	"or $0xc00, %eax\n\t"						\
	"wrmsr\n\t"							\
	"mov $" GUEST_STR(MSR_X2APIC_SVR) ", %ecx\n\t"			\
	"mov $0x1ff, %eax\n\t"						\
	"xor %edx, %edx\n\t"						\
	"wrmsr\n\t"

#define X2APIC_EOI							\
	"mov $" GUEST_STR(MSR_X2APIC_EOI) ", %ecx\n\t"			\
	"xor %eax, %eax\n\t"						\
	"xor %edx, %edx\n\t"						\
	"wrmsr\n\t"

/* A fixed, physical IPI of vector vec to APIC ID dest. */
#define X2APIC_IPI(vec, dest)						\
	"mov $" GUEST_STR(MSR_X2APIC_ICR) ", %ecx\n\t"			\
	"mov $(" GUEST_STR(ICR_ASSERT) " | " GUEST_STR(vec) "), %eax\n\t" \
	"mov $" GUEST_STR(dest) ", %edx\n\t"				\
	"wrmsr\n\t"

/*
 * vCPU 0 starts at the top (RDI: where the deltas go, RSI: how many),
 * vCPU 1 at wake_ap.  Interrupts are off (RFLAGS = 2) but in the HLT.
 */
GUEST_CODE(wake_code, 64,
	X2APIC_ON
	"xor %r13, %r13\n"			/* replies expected */
	"1:\n\t"
	TSC_TO("%r8")
	X2APIC_IPI(VEC_PING, 1)
	"inc %r13\n"
	"2:\n\t"
	"sti\n\t"
	"hlt\n\t"
	"cli\n\t"
	"cmp " GUEST_STR(REPLIES_GPA) ", %r13\n\t"
	"jne 2b\n\t"
	TSC_TO("%r11")
	"sub %r8, %r11\n\t"
	"mov %r11, (%rdi)\n\t"
	"add $8, %rdi\n\t"
	"dec %rsi\n\t"
	"jnz 1b\n\t"
	X2APIC_IPI(VEC_STOP, 1)
	"mov %r13, %rax\n\t"
	GUEST_ASM_DONE_HLT
	/* vCPU 1: ready (the IPIs cannot be lost now), then wait. */
	"wake_ap:\n\t"
	X2APIC_ON
	GUEST_ASM_DONE
	"3:\n\t"
	"sti\n\t"
	"hlt\n\t"
	"jmp 3b\n\t"
	/* vCPU 0's VEC_PONG */
	"wake_pong:\n\t"
	"push %rax\n\tpush %rcx\n\tpush %rdx\n\t"
	X2APIC_EOI
	"incq " GUEST_STR(REPLIES_GPA) "\n\t"
	"pop %rdx\n\tpop %rcx\n\tpop %rax\n\t"
	"iretq\n\t"
	/* vCPU 1's VEC_PING */
	"wake_ping:\n\t"
	"push %rax\n\tpush %rcx\n\tpush %rdx\n\t"
	X2APIC_EOI
	"incq " GUEST_STR(PINGS_GPA) "\n\t"
	X2APIC_IPI(VEC_PONG, 0)
	"pop %rdx\n\tpop %rcx\n\tpop %rax\n\t"
	"iretq\n\t"
	/* vCPU 1's VEC_STOP */
	"wake_stop:\n\t"
	X2APIC_EOI
	"mov $0x5a, %eax\n\t"
	GUEST_ASM_DONE_HLT);
GUEST_LABEL(wake_ap);
GUEST_LABEL(wake_pong);
GUEST_LABEL(wake_ping);
GUEST_LABEL(wake_stop);

#define WAKE_ADDR(label)	GUEST_ADDR(wake_code, label)

/*
 * A stalled ping-pong must not stall the whole phase: after
 * WAKE_TIMEOUT_S a watchdog thread interrupts both KVM_RUNs (a signal
 * with a no-op handler: -EINTR), and the benchmark says where it stood.
 */
struct wake_run {
	struct guest *g, *ap;
	pthread_t vcpu0, vcpu1;
	volatile bool done0, done1, fired;
	int r1;			/* vCPU 1's guest_run_report() */
	uint64_t rax1;
};

static void wake_sig(int sig)
{
	(void)sig;
}

static void *ap_thread(void *arg)
{
	struct wake_run *w = arg;
	struct kvm_regs regs = { 0 };

	w->r1 = guest_run_report(w->ap, &regs);
	w->rax1 = regs.rax;
	w->done1 = true;
	return NULL;
}

static void *watchdog_thread(void *arg)
{
	struct wake_run *w = arg;
	unsigned int i;

	for (i = 0; i < WAKE_TIMEOUT_S * 10 && !(w->done0 && w->done1); i++)
		usleep(100000);
	if (!(w->done0 && w->done1)) {
		w->fired = true;
		if (!w->done1)
			pthread_kill(w->vcpu1, SIGUSR1);
		if (!w->done0)
			pthread_kill(w->vcpu0, SIGUSR1);
	}
	return NULL;
}

/* Where a stalled ping-pong stood: MP state, IRR/ISR of the vectors. */
static void wake_diag(struct guest *g, const char *who)
{
	struct kvm_mp_state mp = { .mp_state = 0xff };
	struct kvm_lapic_state *ls = calloc(1, sizeof(*ls));
	struct kvm_regs regs = { 0 };
	char irr[8] = "", isr[8] = "";
	unsigned int v;

	TEST_ASSERT(ls, "calloc");
	KVM_IOCTL(g->vcpu, KVM_GET_MP_STATE, &mp);
	vcpu_get_regs(g, &regs);
	if (KVM_IOCTL(g->vcpu, KVM_GET_LAPIC, ls) == 0)
		for (v = VEC_PING; v <= VEC_STOP; v++) {
			uint32_t bit = 1u << (v % 32), off = 0x10 * (v / 32);

			strcat(irr, *(uint32_t *)&ls->regs[0x200 + off] & bit ? "1" : "0");
			strcat(isr, *(uint32_t *)&ls->regs[0x100 + off] & bit ? "1" : "0");
		}
	printf("wake-ipi: %s: mp_state %u rip %#llx rflags %#llx, IRR/ISR of %#x..%#x: %s/%s\n",
	       who, mp.mp_state, (unsigned long long)regs.rip,
	       (unsigned long long)regs.rflags, VEC_PING, VEC_STOP, irr, isr);
	free(ls);
}

static int wake_ipi(void)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct sigaction sa = { .sa_handler = wake_sig };
	struct kvm_cpuid_entry2 *e;
	struct guest g, ap;
	struct kvm_regs regs;
	struct wake_run w = { .g = &g, .ap = &ap };
	pthread_t wd;
	unsigned int n = iters(1000, 50), warm = n / 10 < 20 ? 20 : n / 10;
	uint64_t *buf;
	double khz;
	int r, ok;

	r = guest_create_flags(&g, WAKE_MEM, GUEST_F_IRQCHIP);
	TEST_ASSERT(r == 0, "guest_create_flags(IRQCHIP): %s", strerror(-r));
	g.timeout_ms = 0;	/* as bench_guest(): slow is not hung */
	TEST_ASSERT(guest_add_vcpu(&g, &ap, 1) == 0, "KVM_CREATE_VCPU 1");
	e = cpuid_find(g.cpuid, 1, 0);
	TEST_ASSERT(e && (e->ecx & (1u << 21)), "no x2APIC in the supported CPUID");
	/* An AP of an in-kernel irqchip waits for a SIPI; not this one. */
	TEST_ASSERT(KVM_IOCTL(ap.vcpu, KVM_SET_MP_STATE, &mp) == 0,
		    "KVM_SET_MP_STATE(RUNNABLE) on vCPU 1");

	n += warm;
	TEST_ASSERT(BUF_GPA + 8UL * n <= WAKE_MEM, "too many iterations");
	/* Both modes first: guest_setup_mode() rewrites the IDT. */
	TEST_ASSERT(guest_start(&g, GUEST_MODE_LONG64, wake_code, wake_code_end) == 0 &&
		    guest_setup_mode(&ap, GUEST_MODE_LONG64, WAKE_ADDR(wake_ap)) == 0,
		    "guest_start");
	TEST_ASSERT(guest_set_idt_gate(&g, VEC_PONG, WAKE_ADDR(wake_pong)) == 0 &&
		    guest_set_idt_gate(&ap, VEC_PING, WAKE_ADDR(wake_ping)) == 0 &&
		    guest_set_idt_gate(&ap, VEC_STOP, WAKE_ADDR(wake_stop)) == 0,
		    "IDT gates");
	TEST_ASSERT(vcpu_get_regs(&g, &regs) == 0, "KVM_GET_REGS");
	regs.rdi = BUF_GPA;
	regs.rsi = n;
	TEST_ASSERT(vcpu_set_regs(&g, &regs) == 0, "KVM_SET_REGS");
	TEST_ASSERT(vcpu_get_regs(&ap, &regs) == 0, "KVM_GET_REGS");
	regs.rsp = AP_STACK_TOP;
	TEST_ASSERT(vcpu_set_regs(&ap, &regs) == 0, "KVM_SET_REGS");

	TEST_ASSERT(guest_run_report(&ap, NULL) == GUEST_PORT_DONE,
		    "wake-ipi, vCPU 1 setup: %s", guest_exit_str(&ap));
	TEST_ASSERT(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	w.vcpu0 = pthread_self();
	/* Created here, the threads inherit the pinning to one CPU. */
	TEST_ASSERT(pthread_create(&w.vcpu1, NULL, ap_thread, &w) == 0 &&
		    pthread_create(&wd, NULL, watchdog_thread, &w) == 0, "pthread_create");
	memset(&regs, 0, sizeof(regs));
	r = guest_run_report(&g, &regs);
	w.done0 = true;
	pthread_join(wd, NULL);
	pthread_join(w.vcpu1, NULL);

	ok = r == GUEST_PORT_DONE && regs.rax == n &&
	     w.r1 == GUEST_PORT_DONE && w.rax1 == 0x5a;
	if (!ok) {
		printf("wake-ipi: FAIL%s: vCPU 0 %s (rax %llu of %u round trips), vCPU 1 %s; "
		       "replies taken %llu, pings taken %llu\n",
		       w.fired ? " (stalled, interrupted after " GUEST_STR(WAKE_TIMEOUT_S) " s)" : "",
		       r == GUEST_PORT_DONE ? "done" : strerror(-r), (unsigned long long)regs.rax,
		       n, w.r1 == GUEST_PORT_DONE ? "done" : strerror(-w.r1),
		       *(unsigned long long *)guest_ptr(&g, REPLIES_GPA),
		       *(unsigned long long *)guest_ptr(&g, PINGS_GPA));
		wake_diag(&g, "vCPU 0");
		wake_diag(&ap, "vCPU 1");
	} else {
		buf = guest_ptr(&g, BUF_GPA);
		khz = guest_tsc_khz(&g);
		report("wake-ipi", median_u64(buf + warm, n - warm) * 1e6 / khz, "ns", true,
		       "n=%u tsc_khz=%.0f", n - warm, khz);
	}
	signal(SIGUSR1, SIG_DFL);
	guest_destroy(&ap);
	guest_destroy(&g);
	return ok ? 0 : 1;
}

int bench_wake(void)
{
	return wake_ipi();
}
