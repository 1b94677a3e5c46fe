// SPDX-License-Identifier: GPL-2.0
/*
 * ioeventfd_test: KVM_IOEVENTFD.
 *
 *  - Argument checks: lengths other than 0/1/2/4/8, DATAMATCH without a
 *    length, unknown flags and a wrapping range are EINVAL; a bad fd is
 *    EBADF; a second ioeventfd that could fire for the same write is
 *    EEXIST; a deassign that matches nothing is ENOENT.
 *  - A 64-bit guest's OUT to a port with an ioeventfd, and its MMIO write
 *    of the matching value, signal the eventfd and do not exit; a write
 *    of another value, and an OUT to another port, exit as usual.
 *
 * Reference: api.rst 4.59 (KVM_IOEVENTFD); 6.1 code: kvm_ioeventfd(),
 * ioeventfd_check_collision() and ioeventfd_in_range() in
 * virt/kvm/eventfd.c.
 */
#include <sys/eventfd.h>
#include <unistd.h>

#include "kvmx_util.h"
#include "guest/guest.h"
#include "kselftest_harness.h"

#define EV_PORT		0x80
#define EV_MMIO		0xd0000000UL

static int ioeventfd(int vm, uint64_t addr, uint32_t len, int fd,
		     uint32_t flags, uint64_t datamatch)
{
	struct kvm_ioeventfd a = {
		.datamatch = datamatch, .addr = addr, .len = len, .fd = fd,
		.flags = flags,
	};

	return KVM_IOCTL(vm, KVM_IOEVENTFD, &a);
}

static uint64_t efd_count(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

TEST(ioeventfd_args)
{
	int vm = vm_create_standalone();
	int efd = eventfd(0, EFD_NONBLOCK), efd2 = eventfd(0, EFD_NONBLOCK);
	const uint32_t dm = KVM_IOEVENTFD_FLAG_DATAMATCH;
	const uint32_t pio = KVM_IOEVENTFD_FLAG_PIO;
	const uint32_t de = KVM_IOEVENTFD_FLAG_DEASSIGN;

	ASSERT_GE(vm, 0);
	ASSERT_GE(efd, 0);
	ASSERT_EQ(1, kvm_check_cap(vm, KVM_CAP_IOEVENTFD) > 0);

	EXPECT_EQ(-EINVAL, ioeventfd(vm, 0x1000, 3, efd, 0, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, 0x1000, 16, efd, 0, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, 0x1000, 0, efd, dm, 1));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, 0x1000, 4, efd, 1u << 7, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, ~0ULL - 1, 4, efd, 0, 0));
	EXPECT_EQ(-EBADF, ioeventfd(vm, 0x1000, 4, -1, 0, 0));

	/* Collisions: same bus, address and length, overlapping values. */
	EXPECT_EQ(0, ioeventfd(vm, 0x1000, 4, efd, dm, 1));
	EXPECT_EQ(0, ioeventfd(vm, 0x1000, 4, efd, dm, 2));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, 0x1000, 4, efd2, dm, 1));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, 0x1000, 4, efd2, 0, 0));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, 0x1000, 0, efd2, 0, 0));
	EXPECT_EQ(0, ioeventfd(vm, 0x1000, 2, efd2, 0, 0));
	/* The port bus is another bus. */
	EXPECT_EQ(0, ioeventfd(vm, 0x1000, 4, efd2, pio, 0));

	/* A deassign must name an existing one exactly. */
	EXPECT_EQ(-ENOENT, ioeventfd(vm, 0x1000, 4, efd, dm | de, 3));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, 0x1000, 4, efd2, dm | de, 1));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, 0x2000, 4, efd, dm | de, 1));
	EXPECT_EQ(0, ioeventfd(vm, 0x1000, 4, efd, dm | de, 1));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, 0x1000, 4, efd, dm | de, 1));
	EXPECT_EQ(0, ioeventfd(vm, 0x1000, 4, efd2, dm, 1));

	/* The VM goes with its ioeventfds still assigned. */
	close(vm);
	close(efd);
	close(efd2);
}

GUEST_CODE(ioev_code, 64,
	"mov $0x1234, %eax\n\t"
	"out %eax, $" GUEST_STR(EV_PORT) "\n\t"
	"mov $0x5678, %eax\n\t"
	"out %eax, $" GUEST_STR(EV_PORT) " + 1\n\t"
	"mov $" GUEST_STR(EV_MMIO) ", %ebx\n\t"
	"movl $7, (%rbx)\n\t"
	"movl $8, (%rbx)\n\t"
	"mov $42, %eax\n\t"
	GUEST_ASM_DONE_HLT);

TEST(ioeventfd_guest)
{
	int pfd = eventfd(0, EFD_NONBLOCK), mfd = eventfd(0, EFD_NONBLOCK);
	struct guest g;
	int r;

	ASSERT_GE(pfd, 0);
	ASSERT_GE(mfd, 0);
	r = guest_create(&g, 0);
	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
	ASSERT_EQ(0, ioeventfd(g.vm, EV_PORT, 4, pfd, KVM_IOEVENTFD_FLAG_PIO, 0));
	ASSERT_EQ(0, ioeventfd(g.vm, EV_MMIO, 4, mfd,
			       KVM_IOEVENTFD_FLAG_DATAMATCH, 7));
	ASSERT_EQ(0, guest_start(&g, GUEST_MODE_LONG64, ioev_code, ioev_code_end));

	/* The OUT to EV_PORT went to the eventfd; this one exits. */
	ASSERT_EQ(KVM_EXIT_IO, vcpu_run_until_exit(&g)) TH_LOG("%s", guest_exit_str(&g));
	EXPECT_EQ(EV_PORT + 1, g.run->io.port);
	EXPECT_EQ(0x5678, *(uint32_t *)guest_io_data(&g));
	EXPECT_EQ(1, efd_count(pfd));

	/* The write of 7 matched; the write of 8 exits. */
	ASSERT_EQ(KVM_EXIT_MMIO, vcpu_run_until_exit(&g)) TH_LOG("%s", guest_exit_str(&g));
	EXPECT_EQ(EV_MMIO, g.run->mmio.phys_addr);
	EXPECT_EQ(4, g.run->mmio.len);
	EXPECT_EQ(1, g.run->mmio.is_write);
	EXPECT_EQ(8, *(uint32_t *)g.run->mmio.data);
	EXPECT_EQ(1, efd_count(mfd));

	EXPECT_EQ(42, guest_run_done(&g));
	EXPECT_EQ(0, efd_count(pfd));
	guest_destroy(&g);
	close(pfd);
	close(mfd);
}

TEST_HARNESS_MAIN
