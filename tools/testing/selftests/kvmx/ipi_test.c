// SPDX-License-Identifier: GPL-2.0
/*
 * ipi_test: interprocessor interrupts through the in-kernel LAPICs of 8
 * vCPUs, each running the guest agent in xAPIC mode.
 *
 *  - each LAPIC's ID is its vCPU id;
 *  - fixed IPIs with a physical destination, logical flat and logical
 *    cluster destinations, the shorthands self, all-including-self and
 *    all-excluding-self, and the physical broadcast 0xff: every vCPU gets
 *    exactly the vectors meant for it, once (IPIs are latched in the
 *    target's IRR and taken when it next opens an interrupt window; the
 *    vCPUs run one after the other from one thread);
 *  - the ICR reads back without the delivery-status bit;
 *  - a software-disabled LAPIC drops a fixed IPI: nothing is pending
 *    when it is enabled again;
 *  - an IPI wakes a vCPU halted in the kernel on another thread;
 *  - KVM_GET/SET_MP_STATE: the BSP starts RUNNABLE, an AP UNINITIALIZED
 *    (wait-for-SIPI); INIT makes it INIT_RECEIVED (and an INIT
 *    level-deassert does nothing); SIPI makes it RUNNABLE at
 *    CS = vector << 8, IP 0, where it runs real-mode code; a SIPI to a
 *    running AP is ignored; KVM_SET_MP_STATE(INIT_RECEIVED) waits for a
 *    SIPI again; a vCPU halted with interrupts off is HALTED when a
 *    signal interrupts KVM_RUN, and KVM_SET_MP_STATE(RUNNABLE) resumes it
 *    after the HLT; unknown states are EINVAL.
 *
 * Reference: Intel SDM vol. 3 10.6 (issuing IPIs), 10.6.2 (destinations),
 * 8.4.4 (INIT-SIPI); api.rst 4.38/4.39 (KVM_GET/SET_MP_STATE); 6.1 code:
 * kvm_apic_send_ipi(), __apic_accept_irq(), kvm_apic_match_dest(),
 * kvm_apic_accept_events() in arch/x86/kvm/lapic.c,
 * kvm_arch_vcpu_ioctl_{get,set}_mpstate() in x86.c.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "kvmx_util.h"
#include "guest/guest.h"
#include "guest/agent.h"
#include "kselftest_harness.h"

#define NR_VCPUS	8

#define ICR_FIXED	0x000
#define ICR_INIT	0x500
#define ICR_SIPI	0x600
#define ICR_LOGICAL	(1u << 11)
#define ICR_BUSY	(1u << 12)
#define ICR_ASSERT	(1u << 14)
#define ICR_LEVEL	(1u << 15)
#define ICR_SELF	(1u << 18)
#define ICR_ALL		(2u << 18)
#define ICR_ALL_BUT_SELF (3u << 18)

FIXTURE(ipi) {
	struct guest g[NR_VCPUS];
	/* Interrupts each vCPU should have taken, per vector. */
	uint32_t want[NR_VCPUS][256];
};

FIXTURE_SETUP(ipi)
{
	int r, i;

	r = guest_create_flags(&self->g[0], 0, GUEST_F_IRQCHIP);
	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
	for (i = 1; i < NR_VCPUS; i++) {
		r = guest_add_vcpu(&self->g[0], &self->g[i], i);
		ASSERT_EQ(0, r) TH_LOG("vCPU %d: %s", i, strerror(-r));
	}
	for (i = 0; i < NR_VCPUS; i++) {
		struct guest *g = &self->g[i];

		g->timeout_ms = 3000;
		ASSERT_EQ(0, agent_start(g)) TH_LOG("vCPU %d: %s", i, guest_exit_str(g));
		agent_apic_enable(g, false);
		agent_page(g)->eoi = AGENT_EOI_XAPIC;
	}
}

FIXTURE_TEARDOWN(ipi)
{
	int i;

	for (i = NR_VCPUS - 1; i >= 0; i--)
		guest_destroy(&self->g[i]);
}

/* Let every vCPU take what is pending; compare with want[][]. */
static void check_all(struct __test_metadata *_metadata,
		      FIXTURE_DATA(ipi) *self, const char *what)
{
	int i, v;

	for (i = 0; i < NR_VCPUS; i++) {
		struct guest *g = &self->g[i];
		uint32_t total = 0;

		for (v = 0; v < 256; v++)
			total += self->want[i][v];
		EXPECT_EQ(total, agent_call(g, AGENT_IRQ_WINDOW, 0, 0))
			TH_LOG("%s: vCPU %d, total", what, i);
		for (v = 32; v < 256; v++)
			EXPECT_EQ(self->want[i][v], agent_page(g)->count[v])
				TH_LOG("%s: vCPU %d, vector %#x", what, i, v);
	}
}

TEST_F(ipi, apic_ids)
{
	int i;

	for (i = 0; i < NR_VCPUS; i++)
		EXPECT_EQ((uint32_t)i << 24, agent_apic_read(&self->g[i], false, APIC_ID));
}

TEST_F(ipi, physical)
{
	int s, v;

	for (s = 0; s < NR_VCPUS; s++) {
		v = 0x40 + s;
		agent_send_ipi(&self->g[s], false, (s + 1) % NR_VCPUS, ICR_FIXED | v);
		self->want[(s + 1) % NR_VCPUS][v]++;
		agent_send_ipi(&self->g[s], false, (s + 3) % NR_VCPUS, ICR_FIXED | (v + 0x10));
		self->want[(s + 3) % NR_VCPUS][v + 0x10]++;
	}
	/* To itself by its own ID. */
	agent_send_ipi(&self->g[4], false, 4, ICR_FIXED | 0xe0);
	self->want[4][0xe0]++;
	/* The same vector twice before the target runs: latched once. */
	agent_send_ipi(&self->g[0], false, 6, ICR_FIXED | 0x90);
	agent_send_ipi(&self->g[1], false, 6, ICR_FIXED | 0x90);
	self->want[6][0x90]++;
	/* No LAPIC 9: nobody gets it. */
	agent_send_ipi(&self->g[0], false, 9, ICR_FIXED | 0x91);

	/* ICR after sending: as written, delivery status idle. */
	EXPECT_EQ(ICR_FIXED | 0x91, agent_apic_read(&self->g[0], false, APIC_ICR));
	EXPECT_EQ(9u << 24, agent_apic_read(&self->g[0], false, APIC_ICR2));
	check_all(_metadata, self, "physical");
}

TEST_F(ipi, logical_flat)
{
	int i;

	for (i = 0; i < NR_VCPUS; i++) {
		agent_apic_write(&self->g[i], false, APIC_DFR, 0xffffffff);
		agent_apic_write(&self->g[i], false, APIC_LDR, (1u << i) << 24);
		EXPECT_EQ((1u << i) << 24, agent_apic_read(&self->g[i], false, APIC_LDR));
	}
	agent_send_ipi(&self->g[0], false, 0xa4, ICR_LOGICAL | 0x50);
	self->want[2][0x50]++;
	self->want[5][0x50]++;
	self->want[7][0x50]++;
	agent_send_ipi(&self->g[3], false, 0x09, ICR_LOGICAL | 0x51);
	self->want[0][0x51]++;
	self->want[3][0x51]++;
	/* 0xff in flat mode: everyone. */
	agent_send_ipi(&self->g[6], false, 0xff, ICR_LOGICAL | 0x52);
	for (i = 0; i < NR_VCPUS; i++)
		self->want[i][0x52]++;
	check_all(_metadata, self, "logical flat");
}

TEST_F(ipi, logical_cluster)
{
	int i;

	/* Cluster id / 4, bit id % 4. */
	for (i = 0; i < NR_VCPUS; i++) {
		agent_apic_write(&self->g[i], false, APIC_DFR, 0x0fffffff);
		agent_apic_write(&self->g[i], false, APIC_LDR,
				 ((i / 4) << 28) | ((1u << (i % 4)) << 24));
	}
	agent_send_ipi(&self->g[0], false, 0x13, ICR_LOGICAL | 0x58);
	self->want[4][0x58]++;
	self->want[5][0x58]++;
	agent_send_ipi(&self->g[7], false, 0x05, ICR_LOGICAL | 0x59);
	self->want[0][0x59]++;
	self->want[2][0x59]++;
	/* Cluster 2 is empty. */
	agent_send_ipi(&self->g[7], false, 0x2f, ICR_LOGICAL | 0x5a);
	check_all(_metadata, self, "logical cluster");
}

TEST_F(ipi, shorthands)
{
	int i;

	agent_send_ipi(&self->g[2], false, 0, ICR_SELF | 0x60);
	self->want[2][0x60]++;
	agent_send_ipi(&self->g[2], false, 0, ICR_ALL | 0x61);
	agent_send_ipi(&self->g[2], false, 0, ICR_ALL_BUT_SELF | 0x62);
	for (i = 0; i < NR_VCPUS; i++) {
		self->want[i][0x61]++;
		if (i != 2)
			self->want[i][0x62]++;
	}
	/* Physical broadcast. */
	agent_send_ipi(&self->g[5], false, 0xff, ICR_FIXED | 0x63);
	for (i = 0; i < NR_VCPUS; i++)
		self->want[i][0x63]++;
	/* The destination field does not matter with a shorthand. */
	agent_send_ipi(&self->g[7], false, 3, ICR_SELF | 0x64);
	self->want[7][0x64]++;
	check_all(_metadata, self, "shorthands");
}

TEST_F(ipi, disabled_apic_drops)
{
	struct guest *g6 = &self->g[6];

	agent_apic_write(g6, false, APIC_SVR, 0xff);
	agent_send_ipi(&self->g[0], false, 6, ICR_FIXED | 0x70);
	agent_send_ipi(&self->g[0], false, 0, ICR_ALL_BUT_SELF | 0x71);
	agent_apic_write(g6, false, APIC_SVR, 0x1ff);
	for (int i = 1; i < NR_VCPUS; i++)
		if (i != 6)
			self->want[i][0x71]++;
	check_all(_metadata, self, "disabled");
}

static void noop_handler(int sig)
{
	(void)sig;
}

static void *wait_one(void *arg)
{
	struct guest *g = arg;
	sigset_t set;

	/* The other thread's watchdog (SIGALRM) is not for this KVM_RUN. */
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return (void *)(uintptr_t)agent_call(g, AGENT_WAIT, 1, 0);
}

TEST_F(ipi, wakes_halted_vcpu)
{
	struct guest *g3 = &self->g[3];
	struct sigaction sa;
	struct timespec ts;
	pthread_t t;
	void *res = NULL;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = noop_handler;
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	g3->timeout_ms = 0;
	ASSERT_EQ(0, pthread_create(&t, NULL, wait_one, g3));
	usleep(200 * 1000);	/* let it halt */
	agent_send_ipi(&self->g[0], false, 3, ICR_FIXED | 0x80);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	if (pthread_timedjoin_np(t, &res, &ts)) {
		/* Still halted: KVM_RUN returns EINTR, the thread fails. */
		pthread_kill(t, SIGUSR1);
		pthread_join(t, &res);
	}
	EXPECT_EQ(1, (uintptr_t)res);
	EXPECT_EQ(1, agent_page(g3)->count[0x80]);
}

static int mp_state(struct guest *g)
{
	struct kvm_mp_state mp = { .mp_state = 0xdead };
	long r = KVM_IOCTL(g->vcpu, KVM_GET_MP_STATE, &mp);

	return r ? (int)r : (int)mp.mp_state;
}

static int set_mp_state(struct guest *g, uint32_t state)
{
	struct kvm_mp_state mp = { .mp_state = state };

	return (int)KVM_IOCTL(g->vcpu, KVM_SET_MP_STATE, &mp);
}

#define SIPI_VECTOR	0x30

/* Real mode, at SIPI_VECTOR << 12. */
GUEST_CODE(sipi_code, 16,
	"mov $0x5a5a, %eax\n\t"
	"out %eax, $" GUEST_STR(GUEST_PORT_DONE) "\n"
	"1:\n\t"
	"hlt\n\t"
	"jmp 1b\n\t");

static void expect_at_sipi(struct __test_metadata *_metadata, struct guest *ap)
{
	struct kvm_sregs sr;
	struct kvm_regs regs;

	ASSERT_EQ(0, vcpu_get_sregs(ap, &sr));
	EXPECT_EQ(SIPI_VECTOR << 8, sr.cs.selector);
	EXPECT_EQ(SIPI_VECTOR << 12, sr.cs.base);
	ASSERT_EQ(0, vcpu_get_regs(ap, &regs));
	EXPECT_EQ(0, regs.rip);
}

TEST(mp_state_init_sipi)
{
	struct guest g, ap;
	struct kvm_regs regs;
	int r;

	r = guest_create_flags(&g, 0, GUEST_F_IRQCHIP);
	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
	ASSERT_EQ(0, guest_add_vcpu(&g, &ap, 1));
	g.timeout_ms = ap.timeout_ms = 3000;
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp_state(&g));
	EXPECT_EQ(KVM_MP_STATE_UNINITIALIZED, mp_state(&ap));
	EXPECT_EQ(-EINVAL, set_mp_state(&ap, KVM_MP_STATE_STOPPED));
	EXPECT_EQ(-EINVAL, set_mp_state(&ap, 100));
	EXPECT_EQ(KVM_MP_STATE_UNINITIALIZED, mp_state(&ap));

	ASSERT_EQ(0, agent_start(&g)) TH_LOG("%s", guest_exit_str(&g));
	agent_apic_enable(&g, false);
	guest_load(&g, SIPI_VECTOR << 12, sipi_code, sipi_code_end);

	/* INIT, then the level de-assert that changes nothing. */
	agent_send_ipi(&g, false, 1, ICR_INIT | ICR_ASSERT);
	EXPECT_EQ(KVM_MP_STATE_INIT_RECEIVED, mp_state(&ap));
	agent_send_ipi(&g, false, 1, ICR_INIT | ICR_LEVEL);
	EXPECT_EQ(KVM_MP_STATE_INIT_RECEIVED, mp_state(&ap));

	agent_send_ipi(&g, false, 1, ICR_SIPI | ICR_ASSERT | SIPI_VECTOR);
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp_state(&ap));
	expect_at_sipi(_metadata, &ap);
	ASSERT_EQ(GUEST_PORT_DONE, guest_run_report(&ap, &regs)) TH_LOG("%s", guest_exit_str(&ap));
	EXPECT_EQ(0x5a5a, regs.rax & 0xffff);

	/* A SIPI to a running vCPU is dropped. */
	agent_send_ipi(&g, false, 1, ICR_SIPI | ICR_ASSERT | (SIPI_VECTOR + 1));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp_state(&ap));
	{
		struct kvm_sregs sr;

		ASSERT_EQ(0, vcpu_get_sregs(&ap, &sr));
		EXPECT_EQ(SIPI_VECTOR << 8, sr.cs.selector);
	}

	/* Put back in wait-for-SIPI by the VMM. */
	EXPECT_EQ(0, set_mp_state(&ap, KVM_MP_STATE_INIT_RECEIVED));
	EXPECT_EQ(KVM_MP_STATE_INIT_RECEIVED, mp_state(&ap));
	agent_send_ipi(&g, false, 1, ICR_SIPI | ICR_ASSERT | SIPI_VECTOR);
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp_state(&ap));
	expect_at_sipi(_metadata, &ap);
	ASSERT_EQ(GUEST_PORT_DONE, guest_run_report(&ap, &regs)) TH_LOG("%s", guest_exit_str(&ap));
	EXPECT_EQ(0x5a5a, regs.rax & 0xffff);

	/* HLT with interrupts off: HALTED until the VMM says otherwise. */
	g.timeout_ms = 300;
	EXPECT_EQ(-EINTR, agent_try(&g, AGENT_CLI_HLT, 0, 0, NULL));
	EXPECT_TRUE(g.timed_out);
	EXPECT_EQ(KVM_MP_STATE_HALTED, mp_state(&g));
	EXPECT_EQ(-EINTR, vcpu_run(&g));
	EXPECT_EQ(KVM_MP_STATE_HALTED, mp_state(&g));
	EXPECT_EQ(0, set_mp_state(&g, KVM_MP_STATE_RUNNABLE));
	g.timeout_ms = 3000;
	EXPECT_EQ(GUEST_PORT_DONE, guest_run_report(&g, NULL)) TH_LOG("%s", guest_exit_str(&g));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp_state(&g));

	guest_destroy(&ap);
	guest_destroy(&g);
}

TEST_HARNESS_MAIN
