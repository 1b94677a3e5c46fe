// SPDX-License-Identifier: GPL-2.0
/*
 * pio_test: port I/O exits (KVM_EXIT_IO) from a 64-bit guest.
 *
 *  - IN and OUT of 1, 2 and 4 bytes, with an immediate port and with DX:
 *    direction, size, port, count 1, the data at io.data_offset in the
 *    vCPU mapping.  RIP still points at the IN/OUT while userspace handles
 *    the exit (KVM completes the instruction on the next KVM_RUN) and is
 *    past it afterwards.  IN data written by the host reaches AL/AX/EAX:
 *    8- and 16-bit IN keep RAX's other bits, 32-bit IN zero-extends.
 *  - String I/O: REP INSB/INSW within a page is one exit with count = the
 *    repeat count (KVM's emulator reads ahead, pio_in_emulated()); the
 *    data lands in guest memory and RCX/RDI are updated.  REP OUTSB/OUTSW
 *    deliver all the bytes in order over one or more exits (6.1 and 6.12
 *    exit once per element, em_out(); only the concatenation is checked).
 *  - Registers userspace changes at a string I/O exit are the ones the
 *    instruction goes on with.  An INS exit is completed on the next
 *    KVM_RUN: with RCX lowered meanwhile, only that many elements are
 *    stored (complete_emulated_pio() re-runs the instruction).  An OUTS
 *    exit comes with the element already done (RSI and RCX stepped, as
 *    the emulator writes registers back before exiting): clearing RCX
 *    then ends the string.  RIP stays at a REP string instruction until
 *    the guest runs it again with RCX 0 (x86_emulate_insn() skips the RIP
 *    writeback), even at the exit for its last element.
 *
 * Reference: api.rst 5 (KVM_EXIT_IO); 6.1 code: kvm_fast_pio(),
 * complete_fast_pio_in(), emulator_pio_in_out() in arch/x86/kvm/x86.c,
 * pio_in_emulated() and em_out() in emulate.c.  Port 0x7e is avoided: KVM
 * advances RIP before exiting for an OUT to it (an old-userspace quirk).
 */
#include "kvmx_util.h"
#include "guest/guest.h"
#include "kselftest_harness.h"

#define PATTERN 0x1122334455667788ULL

GUEST_CODE(pio_code, 64,
	"mov $0x1122334455667788, %rax\n"
	"p_out8:\n\t"
	"out %al, $0x10\n"
	"p_out16:\n\t"
	"out %ax, $0x12\n"
	"p_out32:\n\t"
	"out %eax, $0x14\n\t"
	"mov $0x1234, %edx\n"
	"p_outdx:\n\t"
	"out %al, (%dx)\n\t"
	"mov $0x1122334455667788, %rax\n"
	"p_in8:\n\t"
	"in $0x20, %al\n\t"
	"mov %rax, %r8\n\t"
	"mov $0x1122334455667788, %rax\n"
	"p_in16:\n\t"
	"in $0x22, %ax\n\t"
	"mov %rax, %r9\n\t"
	"mov $0x1122334455667788, %rax\n"
	"p_in32:\n\t"
	"in $0x24, %eax\n\t"
	"mov %rax, %r10\n\t"
	"mov $0x1122334455667788, %rax\n\t"
	"mov $0x4321, %edx\n"
	"p_indx:\n\t"
	"in (%dx), %ax\n\t"
	"mov %rax, %r11\n"
	"p_done:\n\t"
	GUEST_ASM_DONE_HLT);
GUEST_LABEL(p_out8);
GUEST_LABEL(p_out16);
GUEST_LABEL(p_out32);
GUEST_LABEL(p_outdx);
GUEST_LABEL(p_in8);
GUEST_LABEL(p_in16);
GUEST_LABEL(p_in32);
GUEST_LABEL(p_indx);
GUEST_LABEL(p_done);

#define INSB_GPA	0x21000
#define INSW_GPA	0x21100

GUEST_CODE(str_code, 64,
	"cld\n\t"
	"lea str_src(%rip), %rsi\n\t"
	"mov $8, %ecx\n\t"
	"mov $0x30, %edx\n\t"
	"rep outsb\n\t"
	"mov %rsi, %r12\n\t"
	"lea str_src(%rip), %rsi\n\t"
	"mov $4, %ecx\n\t"
	"mov $0x32, %edx\n\t"
	"rep outsw\n\t"
	"mov %rsi, %r13\n\t"
	"mov $" GUEST_STR(INSB_GPA) ", %edi\n\t"
	"mov $8, %ecx\n\t"
	"mov $0x34, %edx\n"
	"s_insb:\n\t"
	"rep insb\n\t"
	"mov %rcx, %r8\n\t"
	"mov %rdi, %r9\n\t"
	"mov $" GUEST_STR(INSW_GPA) ", %edi\n\t"
	"mov $4, %ecx\n\t"
	"mov $0x36, %edx\n"
	"s_insw:\n\t"
	"rep insw\n\t"
	"mov %rcx, %r10\n\t"
	"mov %rdi, %r11\n\t"
	GUEST_ASM_DONE_HLT
	"str_src:\n\t"
	".byte 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7\n\t"
	".byte 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf\n\t");
GUEST_LABEL(s_insb);
GUEST_LABEL(s_insw);
GUEST_LABEL(str_src);

#define RCX_GPA		0x21200

GUEST_CODE(rcx_code, 64,
	"cld\n\t"
	"mov $" GUEST_STR(RCX_GPA) ", %edi\n\t"
	"mov $8, %ecx\n\t"
	"mov $0x38, %edx\n"
	"r_ins:\n\t"
	"rep insb\n\t"
	"mov %rcx, %r8\n\t"
	"mov %rdi, %r9\n\t"
	"lea r_src(%rip), %rsi\n\t"
	"mov $8, %ecx\n\t"
	"mov $0x3a, %edx\n"
	"r_outs:\n\t"
	"rep outsb\n\t"
	"mov %rcx, %r10\n\t"
	"mov %rsi, %r11\n\t"
	GUEST_ASM_DONE_HLT
	"r_src:\n\t"
	".byte 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7\n\t");
GUEST_LABEL(r_ins);
GUEST_LABEL(r_outs);
GUEST_LABEL(r_src);

FIXTURE(pio) {
	struct guest g;
};

FIXTURE_SETUP(pio)
{
	int r = guest_create(&self->g, 0);

	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
}

FIXTURE_TEARDOWN(pio)
{
	guest_destroy(&self->g);
}

/*
 * Run to the next exit and check it is the port I/O expected, with RIP
 * still at the instruction.  For OUT, return the data; for IN, put it.
 */
static void expect_io(struct __test_metadata *_metadata, struct guest *g,
		      uint8_t dir, uint16_t port, uint8_t size, uint64_t rip,
		      uint32_t *data)
{
	struct kvm_run *run = g->run;

	ASSERT_EQ(KVM_EXIT_IO, vcpu_run_until_exit(g)) TH_LOG("%s", guest_exit_str(g));
	ASSERT_EQ(dir, run->io.direction) TH_LOG("%s", guest_exit_str(g));
	ASSERT_EQ(port, run->io.port) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(size, run->io.size);
	EXPECT_EQ(1, run->io.count);
	EXPECT_GE(run->io.data_offset, sizeof(*run));
	EXPECT_LE(run->io.data_offset + size, g->run_size);
	EXPECT_EQ(rip, vcpu_rip(g));
	if (dir == KVM_EXIT_IO_OUT) {
		*data = 0;
		memcpy(data, guest_io_data(g), size);
	} else {
		memcpy(guest_io_data(g), data, size);
	}
}

TEST_F(pio, in_out_sizes)
{
	struct guest *g = &self->g;
	struct kvm_regs regs;
	uint32_t d;

#define A(l) GUEST_ADDR(pio_code, l)
	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, pio_code, pio_code_end));

	expect_io(_metadata, g, KVM_EXIT_IO_OUT, 0x10, 1, A(p_out8), &d);
	EXPECT_EQ(0x88, d);
	expect_io(_metadata, g, KVM_EXIT_IO_OUT, 0x12, 2, A(p_out16), &d);
	EXPECT_EQ(0x7788, d);
	expect_io(_metadata, g, KVM_EXIT_IO_OUT, 0x14, 4, A(p_out32), &d);
	EXPECT_EQ(0x55667788, d);
	expect_io(_metadata, g, KVM_EXIT_IO_OUT, 0x1234, 1, A(p_outdx), &d);
	EXPECT_EQ(0x88, d);

	d = 0xab;
	expect_io(_metadata, g, KVM_EXIT_IO_IN, 0x20, 1, A(p_in8), &d);
	d = 0xabcd;
	expect_io(_metadata, g, KVM_EXIT_IO_IN, 0x22, 2, A(p_in16), &d);
	d = 0xabcdef01;
	expect_io(_metadata, g, KVM_EXIT_IO_IN, 0x24, 4, A(p_in32), &d);
	d = 0x5aa5;
	expect_io(_metadata, g, KVM_EXIT_IO_IN, 0x4321, 2, A(p_indx), &d);

	ASSERT_EQ(GUEST_PORT_DONE, guest_run_report(g, &regs)) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(A(p_done), regs.rip);
	EXPECT_EQ(0x11223344556677abULL, regs.r8);
	EXPECT_EQ(0x112233445566abcdULL, regs.r9);
	EXPECT_EQ(0x00000000abcdef01ULL, regs.r10);
	EXPECT_EQ(0x1122334455665aa5ULL, regs.r11);
#undef A
}

/*
 * Between the IN exit and the next KVM_RUN, RIP stays at the IN and RAX
 * is untouched; the completion happens in the next KVM_RUN, even one
 * that immediately stops at the next exit.
 */
TEST_F(pio, in_completes_on_next_run)
{
	struct guest *g = &self->g;
	struct kvm_regs regs;
	uint32_t d;

	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, pio_code, pio_code_end));
	for (d = 0; d < 4; d++) {
		ASSERT_EQ(KVM_EXIT_IO, vcpu_run_until_exit(g)) TH_LOG("%s", guest_exit_str(g));
	}
	d = 0x42;
	expect_io(_metadata, g, KVM_EXIT_IO_IN, 0x20, 1,
		  GUEST_ADDR(pio_code, p_in8), &d);
	ASSERT_EQ(0, vcpu_get_regs(g, &regs));
	EXPECT_EQ(PATTERN, regs.rax);
	EXPECT_EQ(GUEST_ADDR(pio_code, p_in8), regs.rip);

	/* The next IN: the first one has completed, AL = 0x42, in R8. */
	ASSERT_EQ(KVM_EXIT_IO, vcpu_run_until_exit(g)) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(0x22, g->run->io.port);
	ASSERT_EQ(0, vcpu_get_regs(g, &regs));
	EXPECT_EQ(0x1122334455667742ULL, regs.r8);
	EXPECT_EQ(GUEST_ADDR(pio_code, p_in16), regs.rip);
}

TEST_F(pio, string_io)
{
	struct guest *g = &self->g;
	struct kvm_run *run = g->run;
	uint8_t buf[16], in[16];
	struct kvm_regs regs;
	unsigned int n, i, exits;

	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, str_code, str_code_end));

	/* REP OUTSB, 8 bytes to port 0x30; then REP OUTSW, 4 words to 0x32. */
	for (i = 0; i < 2; i++) {
		unsigned int size = i ? 2 : 1, port = i ? 0x32 : 0x30;

		n = 0;
		exits = 0;
		while (n < 8) {
			ASSERT_EQ(KVM_EXIT_IO, vcpu_run_until_exit(g))
				TH_LOG("%s", guest_exit_str(g));
			ASSERT_EQ(KVM_EXIT_IO_OUT, run->io.direction);
			ASSERT_EQ(port, run->io.port) TH_LOG("after %u bytes", n);
			ASSERT_EQ(size, run->io.size);
			ASSERT_GE(run->io.count, 1);
			ASSERT_LE(n + run->io.count * size, 8);
			EXPECT_LE(run->io.data_offset + run->io.count * size,
				  g->run_size);
			memcpy(buf + n, guest_io_data(g), run->io.count * size);
			n += run->io.count * size;
			exits++;
		}
		for (n = 0; n < 8; n++) {
			EXPECT_EQ(0xa0 + n, buf[n]) TH_LOG("byte %u of the %s",
				  n, i ? "OUTSW" : "OUTSB");
		}
		TH_LOG("REP OUTS%c: %u exit(s)", i ? 'W' : 'B', exits);
	}

	/* REP INSB: one exit for all 8 bytes, RIP at the instruction. */
	ASSERT_EQ(KVM_EXIT_IO, vcpu_run_until_exit(g)) TH_LOG("%s", guest_exit_str(g));
	ASSERT_EQ(KVM_EXIT_IO_IN, run->io.direction) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(0x34, run->io.port);
	EXPECT_EQ(1, run->io.size);
	ASSERT_EQ(8, run->io.count);
	EXPECT_LE(run->io.data_offset + 8, g->run_size);
	EXPECT_EQ(GUEST_ADDR(str_code, s_insb), vcpu_rip(g));
	for (n = 0; n < 8; n++)
		in[n] = 0x50 + n;
	memcpy(guest_io_data(g), in, 8);

	/* REP INSW: the same with 4 words. */
	ASSERT_EQ(KVM_EXIT_IO, vcpu_run_until_exit(g)) TH_LOG("%s", guest_exit_str(g));
	ASSERT_EQ(KVM_EXIT_IO_IN, run->io.direction) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(0x36, run->io.port);
	EXPECT_EQ(2, run->io.size);
	ASSERT_EQ(4, run->io.count);
	EXPECT_EQ(GUEST_ADDR(str_code, s_insw), vcpu_rip(g));
	for (n = 0; n < 8; n++)
		in[n] = 0x70 + n;
	memcpy(guest_io_data(g), in, 8);

	ASSERT_EQ(GUEST_PORT_DONE, guest_run_report(g, &regs)) TH_LOG("%s", guest_exit_str(g));
	/* RSI/RCX/RDI as after the whole string instruction. */
	EXPECT_EQ(GUEST_ADDR(str_code, str_src) + 8, regs.r12);
	EXPECT_EQ(GUEST_ADDR(str_code, str_src) + 8, regs.r13);
	EXPECT_EQ(0, regs.r8);
	EXPECT_EQ(INSB_GPA + 8, regs.r9);
	EXPECT_EQ(0, regs.r10);
	EXPECT_EQ(INSW_GPA + 8, regs.r11);
	for (n = 0; n < 8; n++) {
		EXPECT_EQ(0x50 + n, *(uint8_t *)guest_ptr(g, INSB_GPA + n));
		EXPECT_EQ(0x70 + n, *(uint8_t *)guest_ptr(g, INSW_GPA + n));
	}
	/* Nothing past the strings. */
	EXPECT_EQ(0, *(uint8_t *)guest_ptr(g, INSB_GPA + 8));
	EXPECT_EQ(0, *(uint8_t *)guest_ptr(g, INSW_GPA + 8));
}

TEST_F(pio, string_rcx_changed)
{
	struct guest *g = &self->g;
	struct kvm_run *run = g->run;
	struct kvm_regs regs;
	unsigned int n;

	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, rcx_code, rcx_code_end));

	/* REP INSB of 8: userspace lowers RCX to 3 before completing it. */
	ASSERT_EQ(KVM_EXIT_IO, vcpu_run_until_exit(g)) TH_LOG("%s", guest_exit_str(g));
	ASSERT_EQ(KVM_EXIT_IO_IN, run->io.direction);
	EXPECT_EQ(0x38, run->io.port);
	ASSERT_EQ(8, run->io.count);
	for (n = 0; n < 8; n++)
		((uint8_t *)guest_io_data(g))[n] = 0x60 + n;
	ASSERT_EQ(0, vcpu_get_regs(g, &regs));
	EXPECT_EQ(GUEST_ADDR(rcx_code, r_ins), regs.rip);
	EXPECT_EQ(8, regs.rcx);
	regs.rcx = 3;
	ASSERT_EQ(0, vcpu_set_regs(g, &regs));

	/* REP OUTSB of 8: the first byte is out, RSI and RCX stepped. */
	ASSERT_EQ(KVM_EXIT_IO, vcpu_run_until_exit(g)) TH_LOG("%s", guest_exit_str(g));
	ASSERT_EQ(KVM_EXIT_IO_OUT, run->io.direction);
	EXPECT_EQ(0x3a, run->io.port);
	ASSERT_EQ(1, run->io.count);
	EXPECT_EQ(0xc0, *(uint8_t *)guest_io_data(g));
	ASSERT_EQ(0, vcpu_get_regs(g, &regs));
	/* INS stored 3 bytes and is done: RCX 0, RDI past them. */
	EXPECT_EQ(0, regs.r8);
	EXPECT_EQ(RCX_GPA + 3, regs.r9);
	EXPECT_EQ(GUEST_ADDR(rcx_code, r_outs), regs.rip);
	EXPECT_EQ(7, regs.rcx);
	EXPECT_EQ(GUEST_ADDR(rcx_code, r_src) + 1, regs.rsi);
	/* One more byte, then the string is over. */
	regs.rcx = 1;
	ASSERT_EQ(0, vcpu_set_regs(g, &regs));
	ASSERT_EQ(KVM_EXIT_IO, vcpu_run_until_exit(g)) TH_LOG("%s", guest_exit_str(g));
	ASSERT_EQ(KVM_EXIT_IO_OUT, run->io.direction);
	EXPECT_EQ(0xc1, *(uint8_t *)guest_io_data(g));
	ASSERT_EQ(0, vcpu_get_regs(g, &regs));
	EXPECT_EQ(0, regs.rcx);
	/* Still at the REP, as KVM leaves it: the guest ends it with RCX 0. */
	EXPECT_EQ(GUEST_ADDR(rcx_code, r_outs), regs.rip);

	ASSERT_EQ(GUEST_PORT_DONE, guest_run_report(g, &regs)) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(0, regs.r8);
	EXPECT_EQ(RCX_GPA + 3, regs.r9);
	EXPECT_EQ(0, regs.r10);
	EXPECT_EQ(GUEST_ADDR(rcx_code, r_src) + 2, regs.r11);
	for (n = 0; n < 3; n++)
		EXPECT_EQ(0x60 + n, *(uint8_t *)guest_ptr(g, RCX_GPA + n));
	EXPECT_EQ(0, *(uint8_t *)guest_ptr(g, RCX_GPA + 3));
}

TEST_HARNESS_MAIN
