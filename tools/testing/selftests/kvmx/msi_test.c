// SPDX-License-Identifier: GPL-2.0
/*
 * msi_test: MSIs into the in-kernel LAPICs of 4 vCPUs running the guest
 * agent (xAPIC).
 *
 *  - KVM_SIGNAL_MSI: the vector reaches the addressed vCPU only (physical
 *    and logical flat destinations, and the broadcast 0xff); the result is
 *    the number of LAPICs that took it;
 *  - KVM_SET_GSI_ROUTING with MSI entries and KVM_IRQFD on those GSIs:
 *    each write to the eventfd sends the entry's message; two writes
 *    before the target runs leave one interrupt (IRR); a new routing
 *    table redirects the same irqfd; after a deassign nothing comes;
 *  - an irqfd on a GSI with no route does nothing until a route appears;
 *  - KVM_IRQ_LINE_STATUS on an MSI GSI: level 1 sends the message
 *    (status 1), level 0 does nothing (status -1).
 *
 * Reference: api.rst 4.52 (KVM_SET_GSI_ROUTING), 4.70 (KVM_SIGNAL_MSI),
 * 4.75 (KVM_IRQFD); Intel SDM vol. 3 10.11 (MSI address and data); 6.1
 * code: kvm_set_msi(), kvm_set_msi_irq() in arch/x86/kvm/irq_comm.c,
 * kvm_send_userspace_msi() in virt/kvm/irqchip.c, irqfd_wakeup() and
 * irqfd_update() in virt/kvm/eventfd.c.
 */
#include <sys/eventfd.h>
#include <unistd.h>

#include "kvmx_util.h"
#include "guest/guest.h"
#include "guest/agent.h"
#include "kselftest_harness.h"

#define NR_VCPUS	4
#define MSI_ADDR(dest)	(0xfee00000u | ((dest) << 12))
#define MSI_LOGICAL	(1u << 2)

FIXTURE(msi) {
	struct guest g[NR_VCPUS];
	uint32_t want[NR_VCPUS][256];
};

FIXTURE_SETUP(msi)
{
	int r, i;

	r = guest_create_flags(&self->g[0], 0, GUEST_F_IRQCHIP);
	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
	for (i = 1; i < NR_VCPUS; i++)
		ASSERT_EQ(0, guest_add_vcpu(&self->g[0], &self->g[i], i));
	for (i = 0; i < NR_VCPUS; i++) {
		struct guest *g = &self->g[i];

		g->timeout_ms = 3000;
		ASSERT_EQ(0, agent_start(g)) TH_LOG("vCPU %d: %s", i, guest_exit_str(g));
		agent_apic_enable(g, false);
		agent_page(g)->eoi = AGENT_EOI_XAPIC;
	}
}

FIXTURE_TEARDOWN(msi)
{
	int i;

	for (i = NR_VCPUS - 1; i >= 0; i--)
		guest_destroy(&self->g[i]);
}

static void check_all(struct __test_metadata *_metadata,
		      FIXTURE_DATA(msi) *self, const char *what)
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

static long signal_msi(struct guest *g, uint32_t addr, uint32_t data)
{
	struct kvm_msi msi;

	memset(&msi, 0, sizeof(msi));
	msi.address_lo = addr;
	msi.data = data;
	return KVM_IOCTL(g->vm, KVM_SIGNAL_MSI, &msi);
}

TEST_F(msi, signal_msi)
{
	int i;

	EXPECT_EQ(1, signal_msi(&self->g[0], MSI_ADDR(1), 0x45));
	self->want[1][0x45]++;
	EXPECT_EQ(1, signal_msi(&self->g[0], MSI_ADDR(0), 0x46));
	self->want[0][0x46]++;
	EXPECT_EQ(1, signal_msi(&self->g[0], MSI_ADDR(3), 0xd0));
	self->want[3][0xd0]++;
	check_all(_metadata, self, "physical");

	for (i = 0; i < NR_VCPUS; i++) {
		agent_apic_write(&self->g[i], false, APIC_DFR, 0xffffffff);
		agent_apic_write(&self->g[i], false, APIC_LDR, (1u << i) << 24);
	}
	EXPECT_EQ(2, signal_msi(&self->g[0], MSI_ADDR(0x0c) | MSI_LOGICAL, 0x47));
	self->want[2][0x47]++;
	self->want[3][0x47]++;
	EXPECT_EQ(NR_VCPUS, signal_msi(&self->g[0], MSI_ADDR(0xff), 0x48));
	for (i = 0; i < NR_VCPUS; i++)
		self->want[i][0x48]++;
	check_all(_metadata, self, "logical and broadcast");
}

static int set_msi_routes(struct guest *g, const uint32_t (*r)[3], int n)
{
	struct kvm_irq_routing *rt;
	int i, ret;

	rt = calloc(1, sizeof(*rt) + n * sizeof(rt->entries[0]));
	if (!rt)
		return -ENOMEM;
	rt->nr = n;
	for (i = 0; i < n; i++) {
		rt->entries[i].gsi = r[i][0];
		rt->entries[i].type = KVM_IRQ_ROUTING_MSI;
		rt->entries[i].u.msi.address_lo = MSI_ADDR(r[i][1]);
		rt->entries[i].u.msi.data = r[i][2];
	}
	ret = (int)KVM_IOCTL(g->vm, KVM_SET_GSI_ROUTING, rt);
	free(rt);
	return ret;
}

static int irqfd(struct guest *g, int fd, uint32_t gsi, uint32_t flags)
{
	struct kvm_irqfd a;

	memset(&a, 0, sizeof(a));
	a.fd = fd;
	a.gsi = gsi;
	a.flags = flags;
	return (int)KVM_IOCTL(g->vm, KVM_IRQFD, &a);
}

static void efd_signal(int fd)
{
	uint64_t one = 1;

	TEST_ASSERT(write(fd, &one, sizeof(one)) == sizeof(one), "eventfd write");
}

static int irq_line(struct guest *g, uint32_t gsi, uint32_t level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };
	long r = KVM_IOCTL(g->vm, KVM_IRQ_LINE_STATUS, &l);

	return r < 0 ? (int)(-1000 + r) : l.status;
}

TEST_F(msi, irqfd_routes)
{
	static const uint32_t routes[][3] = {	/* gsi, dest, vector */
		{ 40, 2, 0x55 },
		{ 41, 3, 0x56 },
	};
	static const uint32_t moved[][3] = {
		{ 40, 3, 0x57 },
		{ 41, 0, 0x58 },
	};
	int efd0 = eventfd(0, EFD_CLOEXEC), efd1 = eventfd(0, EFD_CLOEXEC);

	ASSERT_LE(0, efd0);
	ASSERT_LE(0, efd1);
	ASSERT_EQ(0, set_msi_routes(&self->g[0], routes, 2));
	ASSERT_EQ(0, irqfd(&self->g[0], efd0, 40, 0));
	ASSERT_EQ(0, irqfd(&self->g[0], efd1, 41, 0));

	efd_signal(efd0);
	EXPECT_EQ(1, agent_call(&self->g[2], AGENT_WAIT, 1, 0));
	self->want[2][0x55]++;
	efd_signal(efd1);
	efd_signal(efd1);
	usleep(20 * 1000);	/* both messages are in before vCPU 3 runs */
	EXPECT_EQ(1, agent_call(&self->g[3], AGENT_WAIT, 1, 0));
	self->want[3][0x56]++;
	check_all(_metadata, self, "routes");

	/* The same irqfds follow a new table. */
	ASSERT_EQ(0, set_msi_routes(&self->g[0], moved, 2));
	efd_signal(efd0);
	efd_signal(efd1);
	EXPECT_EQ(2, agent_call(&self->g[3], AGENT_WAIT, 2, 0));
	EXPECT_EQ(1, agent_call(&self->g[0], AGENT_WAIT, 1, 0));
	self->want[3][0x57]++;
	self->want[0][0x58]++;

	/* KVM_IRQ_LINE on an MSI route: a message on the rising level only. */
	EXPECT_EQ(1, irq_line(&self->g[0], 41, 1));
	EXPECT_EQ(-1, irq_line(&self->g[0], 41, 0));
	EXPECT_EQ(2, agent_call(&self->g[0], AGENT_WAIT, 2, 0));
	self->want[0][0x58]++;
	check_all(_metadata, self, "moved");

	/* Deassigned. */
	EXPECT_EQ(0, irqfd(&self->g[0], efd0, 40, KVM_IRQFD_FLAG_DEASSIGN));
	efd_signal(efd0);
	usleep(50 * 1000);
	check_all(_metadata, self, "deassigned");
	close(efd0);
	close(efd1);
}

TEST_F(msi, irqfd_before_route)
{
	static const uint32_t route[][3] = { { 50, 1, 0x65 } };
	int efd = eventfd(0, EFD_CLOEXEC);

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, set_msi_routes(&self->g[0], NULL, 0));
	ASSERT_EQ(0, irqfd(&self->g[0], efd, 50, 0));
	efd_signal(efd);
	usleep(50 * 1000);
	check_all(_metadata, self, "no route");

	ASSERT_EQ(0, set_msi_routes(&self->g[0], route, 1));
	efd_signal(efd);
	EXPECT_EQ(1, agent_call(&self->g[1], AGENT_WAIT, 1, 0));
	self->want[1][0x65]++;
	check_all(_metadata, self, "routed");
	close(efd);
}

TEST_HARNESS_MAIN
