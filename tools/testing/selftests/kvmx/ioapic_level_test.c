// SPDX-License-Identifier: GPL-2.0
/*
 * ioapic_level_test: level-triggered IOAPIC pins and the EOI that ends
 * them, with a 64-bit guest (the guest agent) that programs the IOAPIC
 * through its MMIO window at 0xfec00000 and sends its LAPIC EOIs itself.
 *
 *  - IOAPIC registers: version 0x11 with 24 pins (0x170011), the ID
 *    (4 bits, also read from the arbitration register), redirection
 *    entries read back as written but for remote IRR, which software
 *    cannot set, and which KVM clears when the entry becomes edge;
 *  - KVM_IRQFD with KVM_IRQFD_FLAG_RESAMPLE on a level pin: a write to
 *    the eventfd raises the line, the guest takes the vector (TMR and ISR
 *    bits set, remote IRR set, the line held: KVM_GET_IRQCHIP's irr), and
 *    only its EOI lowers the line and signals the resamplefd, clearing
 *    remote IRR; the next write raises it again; after a deassign writes
 *    do nothing; a resample irqfd without a valid resamplefd is EBADF, one
 *    eventfd on two irqfds EBUSY, unknown flags EINVAL;
 *  - KVM_IRQ_LINE on a level pin: while the line stays high, each EOI
 *    delivers the vector again (and KVM_IRQ_LINE_STATUS says -1 while
 *    remote IRR is set); after the line goes low the EOI ends it.
 *
 * Reference: 82093AA datasheet (IOREGSEL/IOWIN, redirection table);
 * api.rst 4.75 (KVM_IRQFD, resamplefd); 6.1 code: ioapic_read_indirect(),
 * ioapic_write_indirect(), kvm_ioapic_update_eoi_one() in
 * arch/x86/kvm/ioapic.c, irqfd_inject() and irqfd_resampler_ack() in
 * virt/kvm/eventfd.c.
 */
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kvmx_util.h"
#include "guest/guest.h"
#include "guest/agent.h"
#include "kselftest_harness.h"

#define IOAPIC_GPA		0xfec00000UL
#define IOAPIC_IOREGSEL		(IOAPIC_GPA + 0x00)
#define IOAPIC_IOWIN		(IOAPIC_GPA + 0x10)
#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VERSION	0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REDIR(pin)	(0x10 + 2 * (pin))
#define REDIR_MASKED		(1u << 16)
#define REDIR_LEVEL		(1u << 15)
#define REDIR_REMOTE_IRR	(1u << 14)

#define PIN_IRQFD		20
#define PIN_LINE		21
#define VEC_IRQFD		0x50
#define VEC_LINE		0x61

static uint32_t ioapic_read(struct guest *g, uint32_t reg)
{
	agent_call(g, AGENT_WRITE32, IOAPIC_IOREGSEL, reg);
	return (uint32_t)agent_call(g, AGENT_READ32, IOAPIC_IOWIN, 0);
}

static void ioapic_write(struct guest *g, uint32_t reg, uint32_t val)
{
	agent_call(g, AGENT_WRITE32, IOAPIC_IOREGSEL, reg);
	agent_call(g, AGENT_WRITE32, IOAPIC_IOWIN, val);
}

/* Bit vector of a LAPIC ISR/TMR/IRR register array at base. */
static bool apic_vec_bit(struct guest *g, uint32_t base, unsigned int vector)
{
	uint32_t v = agent_apic_read(g, false, base + 0x10 * (vector / 32));

	return v & (1u << (vector % 32));
}

static void apic_eoi(struct guest *g)
{
	agent_apic_write(g, false, APIC_EOI, 0);
}

static struct kvm_ioapic_state ioapic_state(struct __test_metadata *_metadata,
					    struct guest *g)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };

	EXPECT_EQ(0, KVM_IOCTL(g->vm, KVM_GET_IRQCHIP, &chip));
	return chip.chip.ioapic;
}

static int irq_line(struct guest *g, uint32_t gsi, uint32_t level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };
	long r = KVM_IOCTL(g->vm, KVM_IRQ_LINE_STATUS, &l);

	return r < 0 ? (int)(-1000 + r) : l.status;
}

static int irqfd(struct guest *g, int fd, uint32_t gsi, uint32_t flags,
		 int resamplefd)
{
	struct kvm_irqfd a;

	memset(&a, 0, sizeof(a));
	a.fd = fd;
	a.gsi = gsi;
	a.flags = flags;
	a.resamplefd = resamplefd;
	return (int)KVM_IOCTL(g->vm, KVM_IRQFD, &a);
}

/* The eventfd's count (and reset it), 0 if it was not signalled. */
static uint64_t efd_take(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* Wait up to a second for the eventfd, then take its count. */
static uint64_t efd_wait(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	poll(&p, 1, 1000);
	return efd_take(fd);
}

static void efd_signal(int fd)
{
	uint64_t one = 1;

	TEST_ASSERT(write(fd, &one, sizeof(one)) == sizeof(one), "eventfd write");
}

FIXTURE(level) {
	struct guest g;
};

FIXTURE_SETUP(level)
{
	struct guest *g = &self->g;
	int r;

	r = guest_create_flags(g, 0, GUEST_F_IRQCHIP);
	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
	g->timeout_ms = 3000;
	ASSERT_EQ(0, agent_start(g)) TH_LOG("%s", guest_exit_str(g));
	agent_apic_enable(g, false);
	agent_page(g)->eoi = 0;		/* the test sends the EOIs */
}

FIXTURE_TEARDOWN(level)
{
	guest_destroy(&self->g);
}

TEST_F(level, registers)
{
	struct guest *g = &self->g;
	struct kvm_ioapic_state s;
	int pin;

	EXPECT_EQ(0x170011, ioapic_read(g, IOAPIC_REG_VERSION));
	EXPECT_EQ(0, ioapic_read(g, IOAPIC_REG_ID));
	ioapic_write(g, IOAPIC_REG_ID, 0xfa000000);
	EXPECT_EQ(0x0a000000, ioapic_read(g, IOAPIC_REG_ID));
	EXPECT_EQ(0x0a000000, ioapic_read(g, IOAPIC_REG_ARB));
	ioapic_write(g, IOAPIC_REG_VERSION, 0);
	EXPECT_EQ(0x170011, ioapic_read(g, IOAPIC_REG_VERSION));
	s = ioapic_state(_metadata, g);
	EXPECT_EQ(0xa, s.id);

	/* Reset state: masked; then as written. */
	for (pin = 0; pin < 24; pin++) {
		EXPECT_EQ(REDIR_MASKED, ioapic_read(g, IOAPIC_REDIR(pin)));
		EXPECT_EQ(0, ioapic_read(g, IOAPIC_REDIR(pin) + 1));
	}
	/* Logical destination 0x5a, lowest priority, vector 0x77. */
	ioapic_write(g, IOAPIC_REDIR(7), REDIR_MASKED | REDIR_LEVEL | 0x0900 | 0x77);
	ioapic_write(g, IOAPIC_REDIR(7) + 1, 0x5a000000);
	EXPECT_EQ(REDIR_MASKED | REDIR_LEVEL | 0x0900 | 0x77,
		  ioapic_read(g, IOAPIC_REDIR(7)));
	EXPECT_EQ(0x5a000000, ioapic_read(g, IOAPIC_REDIR(7) + 1));
	s = ioapic_state(_metadata, g);
	EXPECT_EQ(0x5a00000000010977ULL | REDIR_LEVEL, s.redirtbl[7].bits);

	/* Remote IRR is read-only. */
	ioapic_write(g, IOAPIC_REDIR(8), REDIR_MASKED | REDIR_LEVEL | REDIR_REMOTE_IRR | 0x78);
	EXPECT_EQ(REDIR_MASKED | REDIR_LEVEL | 0x78, ioapic_read(g, IOAPIC_REDIR(8)));
	/* Past the last pin: reads all ones, writes are dropped. */
	ioapic_write(g, IOAPIC_REDIR(24), 0x12);
	EXPECT_EQ(0xffffffff, ioapic_read(g, IOAPIC_REDIR(24)));
}

TEST_F(level, irqfd_resample)
{
	struct guest *g = &self->g;
	struct kvm_ioapic_state s;
	int efd, rfd, other;

	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	rfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	other = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_LE(0, rfd);
	ASSERT_LE(0, other);

	EXPECT_EQ(-EINVAL, irqfd(g, efd, PIN_IRQFD, 4, rfd));
	EXPECT_EQ(-EBADF, irqfd(g, efd, PIN_IRQFD, KVM_IRQFD_FLAG_RESAMPLE, -1));
	ASSERT_EQ(0, irqfd(g, efd, PIN_IRQFD, KVM_IRQFD_FLAG_RESAMPLE, rfd));
	EXPECT_EQ(-EBUSY, irqfd(g, efd, PIN_IRQFD + 1, 0, -1));
	EXPECT_EQ(-EBUSY, irqfd(g, efd, PIN_IRQFD, KVM_IRQFD_FLAG_RESAMPLE, other));

	ioapic_write(g, IOAPIC_REDIR(PIN_IRQFD) + 1, 0);
	ioapic_write(g, IOAPIC_REDIR(PIN_IRQFD), REDIR_LEVEL | VEC_IRQFD);

	efd_signal(efd);
	EXPECT_EQ(1, agent_call(g, AGENT_WAIT, 1, 0));
	EXPECT_EQ(1, agent_page(g)->count[VEC_IRQFD]);
	EXPECT_TRUE(apic_vec_bit(g, APIC_ISR, VEC_IRQFD));
	EXPECT_TRUE(apic_vec_bit(g, APIC_TMR, VEC_IRQFD));
	EXPECT_EQ(REDIR_LEVEL | REDIR_REMOTE_IRR | VEC_IRQFD,
		  ioapic_read(g, IOAPIC_REDIR(PIN_IRQFD)));
	s = ioapic_state(_metadata, g);
	EXPECT_NE(0, s.redirtbl[PIN_IRQFD].bits & REDIR_REMOTE_IRR);
	EXPECT_NE(0, s.irr & (1u << PIN_IRQFD));
	EXPECT_EQ(0, efd_take(rfd));

	/* The EOI: line lowered, resamplefd signalled, remote IRR clear. */
	apic_eoi(g);
	EXPECT_EQ(1, efd_wait(rfd));
	EXPECT_FALSE(apic_vec_bit(g, APIC_ISR, VEC_IRQFD));
	EXPECT_EQ(REDIR_LEVEL | VEC_IRQFD, ioapic_read(g, IOAPIC_REDIR(PIN_IRQFD)));
	s = ioapic_state(_metadata, g);
	EXPECT_EQ(0, s.redirtbl[PIN_IRQFD].bits & REDIR_REMOTE_IRR);
	EXPECT_EQ(0, s.irr & (1u << PIN_IRQFD));
	EXPECT_EQ(1, agent_call(g, AGENT_IRQ_WINDOW, 0, 0));

	/* Again. */
	efd_signal(efd);
	EXPECT_EQ(2, agent_call(g, AGENT_WAIT, 2, 0));
	EXPECT_EQ(0, efd_take(rfd));
	apic_eoi(g);
	EXPECT_EQ(1, efd_wait(rfd));
	EXPECT_EQ(2, agent_call(g, AGENT_IRQ_WINDOW, 0, 0));

	/* Deassigned: nothing. */
	EXPECT_EQ(0, irqfd(g, efd, PIN_IRQFD, KVM_IRQFD_FLAG_DEASSIGN, -1));
	efd_signal(efd);
	usleep(50 * 1000);
	EXPECT_EQ(2, agent_call(g, AGENT_IRQ_WINDOW, 0, 0));
	EXPECT_EQ(0, ioapic_read(g, IOAPIC_REDIR(PIN_IRQFD)) & REDIR_REMOTE_IRR);
	EXPECT_EQ(2, agent_page(g)->count[VEC_IRQFD]);
	/* Deassigning what is not assigned is not an error. */
	EXPECT_EQ(0, irqfd(g, efd, PIN_IRQFD, KVM_IRQFD_FLAG_DEASSIGN, -1));
	close(other);
	close(rfd);
	close(efd);
}

TEST_F(level, line_held_high)
{
	struct guest *g = &self->g;

	ioapic_write(g, IOAPIC_REDIR(PIN_LINE) + 1, 0);
	ioapic_write(g, IOAPIC_REDIR(PIN_LINE), REDIR_LEVEL | VEC_LINE);
	EXPECT_EQ(1, irq_line(g, PIN_LINE, 1));
	EXPECT_EQ(1, agent_call(g, AGENT_IRQ_WINDOW, 0, 0));
	EXPECT_NE(0, ioapic_read(g, IOAPIC_REDIR(PIN_LINE)) & REDIR_REMOTE_IRR);
	EXPECT_EQ(-1, irq_line(g, PIN_LINE, 1));

	/* EOI with the line still high: delivered again. */
	apic_eoi(g);
	EXPECT_EQ(2, agent_call(g, AGENT_IRQ_WINDOW, 0, 0));
	EXPECT_NE(0, ioapic_read(g, IOAPIC_REDIR(PIN_LINE)) & REDIR_REMOTE_IRR);
	apic_eoi(g);
	EXPECT_EQ(3, agent_call(g, AGENT_IRQ_WINDOW, 0, 0));

	/* Low, then the EOI: over. */
	EXPECT_EQ(1, irq_line(g, PIN_LINE, 0));
	EXPECT_NE(0, ioapic_read(g, IOAPIC_REDIR(PIN_LINE)) & REDIR_REMOTE_IRR);
	apic_eoi(g);
	EXPECT_EQ(0, ioapic_read(g, IOAPIC_REDIR(PIN_LINE)) & REDIR_REMOTE_IRR);
	EXPECT_EQ(3, agent_call(g, AGENT_IRQ_WINDOW, 0, 0));
	EXPECT_EQ(3, agent_page(g)->count[VEC_LINE]);

	/* Masked while high: held; unmasking delivers it. */
	ioapic_write(g, IOAPIC_REDIR(PIN_LINE), REDIR_MASKED | REDIR_LEVEL | VEC_LINE);
	EXPECT_EQ(-1, irq_line(g, PIN_LINE, 1));
	EXPECT_EQ(3, agent_call(g, AGENT_IRQ_WINDOW, 0, 0));
	ioapic_write(g, IOAPIC_REDIR(PIN_LINE), REDIR_LEVEL | VEC_LINE);
	EXPECT_EQ(4, agent_call(g, AGENT_IRQ_WINDOW, 0, 0));

	/* Made edge-triggered: remote IRR goes. */
	EXPECT_NE(0, ioapic_read(g, IOAPIC_REDIR(PIN_LINE)) & REDIR_REMOTE_IRR);
	ioapic_write(g, IOAPIC_REDIR(PIN_LINE), REDIR_MASKED | VEC_LINE);
	EXPECT_EQ(REDIR_MASKED | VEC_LINE, ioapic_read(g, IOAPIC_REDIR(PIN_LINE)));
	apic_eoi(g);
	EXPECT_EQ(1, irq_line(g, PIN_LINE, 0));
}

TEST_HARNESS_MAIN
