// SPDX-License-Identifier: GPL-2.0
/*
 * msr_test: MSRs from the host (KVM_GET_MSR_INDEX_LIST, KVM_GET_MSRS,
 * KVM_SET_MSRS) and from the guest (RDMSR, WRMSR, RDTSC).
 *
 *  - KVM_GET_MSR_INDEX_LIST: too small an nmsrs is E2BIG with nmsrs set
 *    to the count; the list has the MSRs tested here;
 *  - KVM_SET_MSRS/KVM_GET_MSRS round trip of SYSENTER_CS/ESP/EIP, STAR,
 *    LSTAR, CSTAR (where listed), KERNEL_GS_BASE, SYSCALL_MASK, PAT,
 *    MISC_ENABLE and TSC (which keeps counting);
 *  - a batch stops at the first MSR that fails (unknown index, invalid
 *    value) and returns how many were done; nmsrs >= 256 is E2BIG;
 *  - the guest reads with RDMSR what the host set and the host reads what
 *    the guest wrote with WRMSR; the guest's TSC starts from the value
 *    the host wrote;
 *  - MSR_PLATFORM_INFO offers CPUID faulting (bit 31) on a new vCPU; the
 *    VMM may set it, but not clear bit 31 while MISC_FEATURES_ENABLES has
 *    faulting on; MISC_FEATURES_ENABLES takes only bit 0, and only while
 *    bit 31 is offered;
 *  - RDMSR/WRMSR of an MSR KVM does not know, WRMSR of a reserved PAT
 *    type, of MSR_PLATFORM_INFO and of an undefined MISC_FEATURES_ENABLES
 *    bit raise #GP(0) in the guest.  (Not a non-canonical LSTAR: SVM
 *    passes LSTAR through to the CPU, and QEMU's TCG, the test-bed's
 *    "CPU", does not check it.)
 *  - the vCPU attribute KVM_VCPU_TSC_CTRL/KVM_VCPU_TSC_OFFSET
 *    (KVM_CAP_VCPU_ATTRIBUTES): HAS/GET/SET, ENXIO for another group or
 *    attribute, EFAULT for a bad address; the guest's RDTSC is host TSC
 *    + the offset set (+/- 180 s worth of cycles); a vCPU created later
 *    starts from that offset too.
 *  - KVM_CAP_ENFORCE_PV_FEATURE_CPUID (a vCPU KVM_ENABLE_CAP; flags must
 *    be 0): with CPUID 0x40000001.EAX = 0, RDMSR/WRMSR of
 *    MSR_KVM_SYSTEM_TIME_NEW #GP in the guest and fail from the VMM; with
 *    KVM_FEATURE_CLOCKSOURCE2 set they work.
 *
 * SYSENTER_ESP/EIP values fit in 32 bits: on AMD, KVM keeps only the low
 * half unless the guest's CPUID says Intel (svm_set_msr()).
 *
 * Reference: api.rst 4.3 (KVM_GET_MSR_INDEX_LIST), 4.18-4.19
 * (KVM_GET/SET_MSRS), 8.28 (KVM_CAP_ENFORCE_PV_FEATURE_CPUID); 6.1 code:
 * msrs_to_save_all[], emulated_msrs_all[], msr_io(), __msr_io(),
 * kvm_set_msr_common(), kvm_emulate_rdmsr(), kvm_vcpu_ioctl_enable_cap(),
 * kvm_vcpu_ioctl_device_attr() in arch/x86/kvm/x86.c,
 * kvm_update_pv_runtime() in cpuid.c; Documentation/virt/kvm/devices/
 * vcpu.rst 4 (KVM_VCPU_TSC_CTRL).
 */
#include "kvmx_util.h"
#include "guest/guest.h"
#include "kselftest_harness.h"
#include <x86intrin.h>

#include <asm/kvm_para.h>

#define MSR_IA32_TSC		0x00000010
#define MSR_PLATFORM_INFO	0x000000ce
#define MSR_MISC_FEATURES_ENABLES	0x00000140
#define PLATFORM_INFO_CPUID_FAULT	(1ULL << 31)
#define MSR_IA32_SYSENTER_CS	0x00000174
#define MSR_IA32_SYSENTER_ESP	0x00000175
#define MSR_IA32_SYSENTER_EIP	0x00000176
#define MSR_IA32_MISC_ENABLE	0x000001a0
#define MSR_IA32_CR_PAT		0x00000277
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_UNKNOWN		0xdeadbeef

#define TSC_VALUE		(1ULL << 40)
/* The TSC runs on between a write and a read: allow this much. */
#define TSC_SLACK		(1ULL << 38)

struct msr_val {
	uint32_t index;
	uint64_t set, guest;	/* host sets, then the guest writes */
	bool optional;		/* only if KVM_GET_MSR_INDEX_LIST has it */
};

static const struct msr_val msrs[] = {
	{ MSR_IA32_SYSENTER_CS, 0x1234, 0x10, false },
	{ MSR_IA32_SYSENTER_ESP, 0x12345678, 0x87654321, false },
	{ MSR_IA32_SYSENTER_EIP, 0x9abcdef0, 0x0fedcba9, false },
	{ MSR_STAR, 0x001b000812345678ULL, 0x0023001000000000ULL, false },
	{ MSR_LSTAR, 0xffffffff81800000ULL, 0xffffffff81a00040ULL, false },
	{ MSR_CSTAR, 0xffffffff81900000ULL, 0xffffffff81b00080ULL, true },
	{ MSR_KERNEL_GS_BASE, 0xffff888012340000ULL, 0x00007f0000001000ULL, false },
	{ MSR_SYSCALL_MASK, 0x47700, 0x257fd5, false },
	{ MSR_IA32_CR_PAT, 0x0106050400070406ULL, 0x0007040600070406ULL, false },
	/* Not written by the guest. */
	{ MSR_IA32_MISC_ENABLE, 0x1801, 0, false },
};

struct msrs_buf {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e[32];
};

static struct kvm_msr_list *msr_list(int kvm)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *l;

	if (KVM_IOCTL(kvm, KVM_GET_MSR_INDEX_LIST, &probe) != -E2BIG)
		return NULL;
	l = calloc(1, sizeof(*l) + probe.nmsrs * sizeof(l->indices[0]));
	if (!l)
		return NULL;
	l->nmsrs = probe.nmsrs;
	if (KVM_IOCTL(kvm, KVM_GET_MSR_INDEX_LIST, l)) {
		free(l);
		return NULL;
	}
	return l;
}

static bool listed(const struct kvm_msr_list *l, uint32_t index)
{
	uint32_t i;

	for (i = 0; i < l->nmsrs; i++)
		if (l->indices[i] == index)
			return true;
	return false;
}

FIXTURE(msr) {
	struct guest g;
	struct kvm_msr_list *list;
};

FIXTURE_SETUP(msr)
{
	int r = guest_create(&self->g, 0);

	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
	self->list = msr_list(self->g.kvm);
	ASSERT_NE(NULL, self->list);
}

FIXTURE_TEARDOWN(msr)
{
	free(self->list);
	guest_destroy(&self->g);
}

TEST_F(msr, index_list)
{
	struct kvm_msr_list probe;
	struct kvm_msr_list *l;
	unsigned int i;
	uint32_t n = self->list->nmsrs;

	probe.nmsrs = 0;
	EXPECT_EQ(-E2BIG, KVM_IOCTL(self->g.kvm, KVM_GET_MSR_INDEX_LIST, &probe));
	EXPECT_EQ(n, probe.nmsrs);
	EXPECT_GE(n, ARRAY_SIZE(msrs));

	l = calloc(1, sizeof(*l) + n * sizeof(l->indices[0]));
	ASSERT_NE(NULL, l);
	l->nmsrs = n - 1;
	EXPECT_EQ(-E2BIG, KVM_IOCTL(self->g.kvm, KVM_GET_MSR_INDEX_LIST, l));
	EXPECT_EQ(n, l->nmsrs);
	l->nmsrs = n;
	EXPECT_EQ(0, KVM_IOCTL(self->g.kvm, KVM_GET_MSR_INDEX_LIST, l));
	EXPECT_EQ(n, l->nmsrs);
	free(l);

	EXPECT_TRUE(listed(self->list, MSR_IA32_TSC));
	for (i = 0; i < ARRAY_SIZE(msrs); i++) {
		if (msrs[i].optional)
			continue;
		EXPECT_TRUE(listed(self->list, msrs[i].index))
			TH_LOG("MSR %#x not listed", msrs[i].index);
	}
}

/* Fill b with the MSRs of msrs[] that are listed; return how many. */
static unsigned int fill(struct msrs_buf *b, const struct kvm_msr_list *l,
			 bool guest_values)
{
	unsigned int i, n = 0;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < ARRAY_SIZE(msrs); i++) {
		if (msrs[i].optional && !listed(l, msrs[i].index))
			continue;
		b->e[n].index = msrs[i].index;
		b->e[n].data = guest_values ? msrs[i].guest : msrs[i].set;
		n++;
	}
	b->hdr.nmsrs = n;
	return n;
}

TEST_F(msr, round_trip)
{
	struct guest *g = &self->g;
	struct msrs_buf in, out;
	unsigned int n, i;
	uint64_t tsc;

	n = fill(&in, self->list, false);
	in.e[n].index = MSR_IA32_TSC;
	in.e[n].data = TSC_VALUE;
	in.hdr.nmsrs = ++n;
	ASSERT_EQ(n, KVM_IOCTL(g->vcpu, KVM_SET_MSRS, &in));

	out = in;
	for (i = 0; i < n; i++)
		out.e[i].data = 0x5a5a5a5a5a5a5a5aULL;
	ASSERT_EQ(n, KVM_IOCTL(g->vcpu, KVM_GET_MSRS, &out));
	for (i = 0; i < n - 1; i++) {
		EXPECT_EQ(in.e[i].data, out.e[i].data)
			TH_LOG("MSR %#x", in.e[i].index);
	}
	tsc = out.e[n - 1].data;
	EXPECT_GE(tsc, TSC_VALUE);
	EXPECT_LT(tsc, TSC_VALUE + TSC_SLACK);

	/* The PAT and MISC_ENABLE of a fresh vCPU. */
	guest_destroy(g);
	ASSERT_EQ(0, guest_create(g, 0));
	ASSERT_EQ(1, vcpu_get_msr(g, MSR_IA32_CR_PAT, &tsc));
	EXPECT_EQ(0x0007040600070406ULL, tsc);
	ASSERT_EQ(1, vcpu_get_msr(g, MSR_IA32_MISC_ENABLE, &tsc));
	/* BTS and PEBS unavailable (bits 11, 12). */
	EXPECT_EQ(0x1800, tsc);
}

TEST_F(msr, batch_stops_at_first_failure)
{
	struct guest *g = &self->g;
	struct msrs_buf b;
	uint64_t v;

	ASSERT_EQ(1, vcpu_set_msr(g, MSR_LSTAR, 0xffffffff81000000ULL));

	/* An MSR KVM does not know: the first one is done, not the third. */
	memset(&b, 0, sizeof(b));
	b.hdr.nmsrs = 3;
	b.e[0].index = MSR_STAR;
	b.e[0].data = 0x0023001000000000ULL;
	b.e[1].index = MSR_UNKNOWN;
	b.e[2].index = MSR_LSTAR;
	b.e[2].data = 0xffffffff82000000ULL;
	EXPECT_EQ(1, KVM_IOCTL(g->vcpu, KVM_SET_MSRS, &b));
	ASSERT_EQ(1, vcpu_get_msr(g, MSR_STAR, &v));
	EXPECT_EQ(0x0023001000000000ULL, v);
	ASSERT_EQ(1, vcpu_get_msr(g, MSR_LSTAR, &v));
	EXPECT_EQ(0xffffffff81000000ULL, v);

	b.e[0].data = 0;
	b.e[2].data = 0;
	EXPECT_EQ(1, KVM_IOCTL(g->vcpu, KVM_GET_MSRS, &b));
	EXPECT_EQ(0x0023001000000000ULL, b.e[0].data);

	/* An unknown MSR first: nothing done. */
	b.e[0].index = MSR_UNKNOWN;
	EXPECT_EQ(0, KVM_IOCTL(g->vcpu, KVM_GET_MSRS, &b));
	EXPECT_EQ(0, KVM_IOCTL(g->vcpu, KVM_SET_MSRS, &b));

	/* An invalid value stops the batch as well: PAT type 2 is reserved. */
	b.hdr.nmsrs = 2;
	b.e[0].index = MSR_IA32_SYSENTER_CS;
	b.e[0].data = 0x42;
	b.e[1].index = MSR_IA32_CR_PAT;
	b.e[1].data = 0x0007040600070402ULL;
	EXPECT_EQ(1, KVM_IOCTL(g->vcpu, KVM_SET_MSRS, &b));
	ASSERT_EQ(1, vcpu_get_msr(g, MSR_IA32_CR_PAT, &v));
	EXPECT_EQ(0x0007040600070406ULL, v);
	/* And a non-canonical LSTAR (with 48 and with 57 address bits). */
	EXPECT_EQ(0, vcpu_set_msr(g, MSR_LSTAR, 0x8000000000000000ULL));
	ASSERT_EQ(1, vcpu_get_msr(g, MSR_LSTAR, &v));
	EXPECT_EQ(0xffffffff81000000ULL, v);

	/* Empty batches do nothing; 256 or more entries are refused. */
	b.hdr.nmsrs = 0;
	EXPECT_EQ(0, KVM_IOCTL(g->vcpu, KVM_SET_MSRS, &b));
	EXPECT_EQ(0, KVM_IOCTL(g->vcpu, KVM_GET_MSRS, &b));
	b.hdr.nmsrs = 256;
	EXPECT_EQ(-E2BIG, KVM_IOCTL(g->vcpu, KVM_GET_MSRS, &b));
	EXPECT_EQ(-E2BIG, KVM_IOCTL(g->vcpu, KVM_SET_MSRS, &b));
}

/* CPUID faulting's two MSRs, from the VMM (6.1: kvm_set_msr_common()). */
TEST_F(msr, platform_info)
{
	struct guest *g = &self->g;
	uint64_t v;

	EXPECT_TRUE(listed(self->list, MSR_PLATFORM_INFO));
	EXPECT_TRUE(listed(self->list, MSR_MISC_FEATURES_ENABLES));
	ASSERT_EQ(1, vcpu_get_msr(g, MSR_PLATFORM_INFO, &v));
	EXPECT_EQ(PLATFORM_INFO_CPUID_FAULT, v);
	ASSERT_EQ(1, vcpu_get_msr(g, MSR_MISC_FEATURES_ENABLES, &v));
	EXPECT_EQ(0, v);

	/* Any value goes, turbo ratios included. */
	EXPECT_EQ(1, vcpu_set_msr(g, MSR_PLATFORM_INFO,
				  PLATFORM_INFO_CPUID_FAULT | 0xff00));
	ASSERT_EQ(1, vcpu_get_msr(g, MSR_PLATFORM_INFO, &v));
	EXPECT_EQ(PLATFORM_INFO_CPUID_FAULT | 0xff00, v);

	EXPECT_EQ(0, vcpu_set_msr(g, MSR_MISC_FEATURES_ENABLES, 2));
	EXPECT_EQ(1, vcpu_set_msr(g, MSR_MISC_FEATURES_ENABLES, 1));
	/* Faulting is on: it cannot stop being offered. */
	EXPECT_EQ(0, vcpu_set_msr(g, MSR_PLATFORM_INFO, 0));
	EXPECT_EQ(1, vcpu_set_msr(g, MSR_MISC_FEATURES_ENABLES, 0));
	EXPECT_EQ(1, vcpu_set_msr(g, MSR_PLATFORM_INFO, 0));
	/* Not offered: it cannot be turned on. */
	EXPECT_EQ(0, vcpu_set_msr(g, MSR_MISC_FEATURES_ENABLES, 1));
	ASSERT_EQ(1, vcpu_get_msr(g, MSR_MISC_FEATURES_ENABLES, &v));
	EXPECT_EQ(0, v);
}

#define MSR_TABLE_GPA	GUEST_DATA_GPA		/* {u32 index, u32 write, u64 value} */
#define MSR_OUT_GPA	(GUEST_DATA_GPA + 0x1000)	/* u64 per entry */

/*
 * For each entry of the table (until index 0xffffffff): RDMSR it into
 * the output, then WRMSR the value if asked to.  Then RDTSC into R8 and
 * RDMSR(TSC) into R9.
 */
GUEST_CODE(msr_code, 64,
	"mov $" GUEST_STR(MSR_TABLE_GPA) ", %esi\n\t"
	"mov $" GUEST_STR(MSR_OUT_GPA) ", %edi\n"
	"1:\n\t"
	"mov (%rsi), %ecx\n\t"
	"cmp $0xffffffff, %ecx\n\t"
	"je 3f\n\t"
	"rdmsr\n\t"
	"mov %eax, (%rdi)\n\t"
	"mov %edx, 4(%rdi)\n\t"
	"cmpl $0, 4(%rsi)\n\t"
	"je 2f\n\t"
	"mov 8(%rsi), %eax\n\t"
	"mov 12(%rsi), %edx\n\t"
	"wrmsr\n"
	"2:\n\t"
	"add $16, %rsi\n\t"
	"add $8, %rdi\n\t"
	"jmp 1b\n"
	"3:\n\t"
	"rdtsc\n\t"
	"shl $32, %rdx\n\t"
	"or %rdx, %rax\n\t"
	"mov %rax, %r8\n\t"
	"mov $0x10, %ecx\n\t"
	"rdmsr\n\t"
	"shl $32, %rdx\n\t"
	"or %rdx, %rax\n\t"
	"mov %rax, %r9\n\t"
	GUEST_ASM_DONE_HLT);

TEST_F(msr, guest_rdmsr_wrmsr)
{
	struct guest *g = &self->g;
	struct msrs_buf in, want, out;
	struct kvm_regs regs;
	uint32_t *table = guest_ptr(g, MSR_TABLE_GPA);
	uint64_t *seen = guest_ptr(g, MSR_OUT_GPA);
	unsigned int n, i;

	n = fill(&in, self->list, false);
	ASSERT_EQ(n, KVM_IOCTL(g->vcpu, KVM_SET_MSRS, &in));
	ASSERT_EQ(1, vcpu_set_msr(g, MSR_IA32_TSC, TSC_VALUE));
	fill(&want, self->list, true);
	for (i = 0; i < n; i++) {
		table[4 * i] = in.e[i].index;
		table[4 * i + 1] = in.e[i].index != MSR_IA32_MISC_ENABLE;
		memcpy(&table[4 * i + 2], &want.e[i].data, 8);
		if (in.e[i].index == MSR_IA32_MISC_ENABLE)
			want.e[i].data = in.e[i].data;
	}
	table[4 * n] = 0xffffffff;

	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, msr_code, msr_code_end));
	ASSERT_EQ(GUEST_PORT_DONE, guest_run_report(g, &regs)) TH_LOG("%s", guest_exit_str(g));
	for (i = 0; i < n; i++) {
		EXPECT_EQ(in.e[i].data, seen[i]) TH_LOG("guest RDMSR %#x", in.e[i].index);
	}
	EXPECT_GE(regs.r8, TSC_VALUE);
	EXPECT_LT(regs.r8, TSC_VALUE + TSC_SLACK);
	EXPECT_GE(regs.r9, regs.r8);
	EXPECT_LT(regs.r9, TSC_VALUE + TSC_SLACK);

	out = want;
	ASSERT_EQ(n, KVM_IOCTL(g->vcpu, KVM_GET_MSRS, &out));
	for (i = 0; i < n; i++) {
		EXPECT_EQ(want.e[i].data, out.e[i].data)
			TH_LOG("host KVM_GET_MSRS %#x after the guest's WRMSR",
			       want.e[i].index);
	}
}

/* RBX: MSR index; R8 != 0: WRMSR of RSI, else RDMSR. */
GUEST_CODE(msr_gp_code, 64,
	"mov %rbx, %rcx\n\t"
	"mov %rsi, %rax\n\t"
	"mov %rsi, %rdx\n\t"
	"shr $32, %rdx\n\t"
	"test %r8, %r8\n\t"
	"jnz 1f\n"
	"gp_rdmsr:\n\t"
	"rdmsr\n\t"
	"jmp 2f\n"
	"1:\n"
	"gp_wrmsr:\n\t"
	"wrmsr\n"
	"2:\n\t"
	GUEST_ASM_DONE_HLT);
GUEST_LABEL(gp_rdmsr);
GUEST_LABEL(gp_wrmsr);

TEST_F(msr, guest_gp)
{
	static const struct {
		uint32_t index;
		bool write;
		uint64_t value;
	} cases[] = {
		{ MSR_UNKNOWN, false, 0 },
		{ MSR_UNKNOWN, true, 0 },
		{ MSR_IA32_CR_PAT, true, 0x0007040600070402ULL },	/* reserved type */
		{ MSR_PLATFORM_INFO, true, PLATFORM_INFO_CPUID_FAULT },	/* read-only */
		{ MSR_MISC_FEATURES_ENABLES, true, 2 },		/* reserved bit */
	};
	struct guest *g = &self->g;
	struct kvm_regs regs;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		TH_LOG("case %u: %s %#x", i, cases[i].write ? "WRMSR" : "RDMSR",
		       cases[i].index);
		ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, msr_gp_code,
					 msr_gp_code_end));
		ASSERT_EQ(0, vcpu_get_regs(g, &regs));
		regs.rbx = cases[i].index;
		regs.rsi = cases[i].value;
		regs.r8 = cases[i].write;
		ASSERT_EQ(0, vcpu_set_regs(g, &regs));
		ASSERT_EQ(GUEST_PORT_EXC, guest_run_report(g, &regs))
			TH_LOG("%s", guest_exit_str(g));
		EXPECT_EQ(13, regs.rax);	/* #GP */
		EXPECT_EQ(0, regs.rbx);		/* error code */
		EXPECT_EQ(cases[i].write ? GUEST_ADDR(msr_gp_code, gp_wrmsr) :
			  GUEST_ADDR(msr_gp_code, gp_rdmsr), regs.rcx);
	}
	/* A known MSR works from the same code. */
	ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, msr_gp_code, msr_gp_code_end));
	ASSERT_EQ(0, vcpu_get_regs(g, &regs));
	regs.rbx = MSR_STAR;
	regs.rsi = 0x0023001000000000ULL;
	regs.r8 = 1;
	ASSERT_EQ(0, vcpu_set_regs(g, &regs));
	guest_run_done(g);
}

static int tsc_attr(int vcpu, unsigned long ioctl, uint32_t group,
		    uint64_t attr, void *addr)
{
	struct kvm_device_attr a = {
		.group = group,
		.attr = attr,
		.addr = (uintptr_t)addr,
	};

	return KVM_IOCTL(vcpu, ioctl, &a);
}

static bool host_tsc_stable(void)
{
	char cs[32] = "";
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource",
			"r");

	if (f) {
		if (!fgets(cs, sizeof(cs), f))
			cs[0] = 0;
		fclose(f);
	}
	return !strncmp(cs, "tsc", 3);
}

TEST_F(msr, tsc_offset_attr)
{
	struct guest *g = &self->g, ap;
	uint64_t offset, want = 0x123456789abcULL;
	unsigned long ioctls[] = {
		KVM_HAS_DEVICE_ATTR, KVM_GET_DEVICE_ATTR, KVM_SET_DEVICE_ATTR,
	};
	unsigned int i;

	EXPECT_EQ(1, kvm_check_cap(g->kvm, KVM_CAP_VCPU_ATTRIBUTES));
	EXPECT_EQ(0, tsc_attr(g->vcpu, KVM_HAS_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
			      KVM_VCPU_TSC_OFFSET, NULL));
	for (i = 0; i < ARRAY_SIZE(ioctls); i++) {
		EXPECT_EQ(-ENXIO, tsc_attr(g->vcpu, ioctls[i], KVM_VCPU_TSC_CTRL + 1,
					   KVM_VCPU_TSC_OFFSET, &offset));
		EXPECT_EQ(-ENXIO, tsc_attr(g->vcpu, ioctls[i], KVM_VCPU_TSC_CTRL,
					   KVM_VCPU_TSC_OFFSET + 1, &offset));
	}
	EXPECT_EQ(-EFAULT, tsc_attr(g->vcpu, KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
				    KVM_VCPU_TSC_OFFSET, (void *)8));
	EXPECT_EQ(-EFAULT, tsc_attr(g->vcpu, KVM_SET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
				    KVM_VCPU_TSC_OFFSET, (void *)8));
	EXPECT_EQ(-EFAULT, KVM_IOCTL(g->vcpu, KVM_HAS_DEVICE_ATTR, 8));

	/* A new vCPU's TSC starts near 0. */
	ASSERT_EQ(0, tsc_attr(g->vcpu, KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
			      KVM_VCPU_TSC_OFFSET, &offset));
	EXPECT_LT(__rdtsc() + offset, TSC_SLACK);

	ASSERT_EQ(0, tsc_attr(g->vcpu, KVM_SET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
			      KVM_VCPU_TSC_OFFSET, &want));
	ASSERT_EQ(0, tsc_attr(g->vcpu, KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
			      KVM_VCPU_TSC_OFFSET, &offset));
	EXPECT_EQ(want, offset);

	/* KVM matches a later vCPU to it, if the host's TSC is stable. */
	if (!host_tsc_stable())
		return;
	ASSERT_EQ(0, guest_add_vcpu(g, &ap, 1));
	EXPECT_EQ(0, tsc_attr(ap.vcpu, KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
			      KVM_VCPU_TSC_OFFSET, &offset));
	EXPECT_EQ(want, offset);
	guest_destroy(&ap);
}

/* RDTSC into R8. */
GUEST_CODE(rdtsc_code, 64,
	"rdtsc\n\t"
	"shl $32, %rdx\n\t"
	"or %rdx, %rax\n\t"
	"mov %rax, %r8\n\t"
	GUEST_ASM_DONE_HLT);

TEST_F(msr, tsc_offset_guest_rdtsc)
{
	struct guest *g = &self->g;
	struct kvm_regs regs;
	long khz = KVM_IOCTL(g->vcpu, KVM_GET_TSC_KHZ, 0);
	uint64_t offsets[2], start, end, got;
	unsigned int i;

	ASSERT_LT(0, khz);
	offsets[0] = 180ULL * khz * 1000;
	offsets[1] = -offsets[0];
	for (i = 0; i < ARRAY_SIZE(offsets); i++) {
		TH_LOG("offset %#llx", (unsigned long long)offsets[i]);
		ASSERT_EQ(0, tsc_attr(g->vcpu, KVM_SET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
				      KVM_VCPU_TSC_OFFSET, &offsets[i]));
		ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, rdtsc_code,
					 rdtsc_code_end));
		start = __rdtsc() + offsets[i];
		ASSERT_EQ(GUEST_PORT_DONE, guest_run_report(g, &regs))
			TH_LOG("%s", guest_exit_str(g));
		end = __rdtsc() + offsets[i];
		EXPECT_LE(start, regs.r8);
		EXPECT_GE(end, regs.r8);
		ASSERT_EQ(0, tsc_attr(g->vcpu, KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
				      KVM_VCPU_TSC_OFFSET, &got));
		EXPECT_EQ(offsets[i], got);
	}
}


/*
 * Give the vCPU @pv_features in CPUID 0x40000001.EAX and enforce them;
 * then the guest's WRMSR and RDMSR of MSR_KVM_SYSTEM_TIME_NEW, with the
 * pvclock page off (bit 0 clear), work or #GP.
 */
static void pv_enforce_case(struct __test_metadata *_metadata,
			    struct guest *g, uint32_t pv_features, bool ok)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID, .args = { 1 },
	};
	struct kvm_cpuid_entry2 *e = cpuid_find(g->cpuid, KVM_CPUID_FEATURES, 0);
	const uint64_t gpa = 0x5000;
	struct kvm_regs regs;
	uint64_t v;
	int i;

	ASSERT_NE(NULL, e);
	e->eax = pv_features;
	ASSERT_EQ(0, KVM_IOCTL(g->vcpu, KVM_SET_CPUID2, g->cpuid));
	ASSERT_EQ(0, KVM_IOCTL(g->vcpu, KVM_ENABLE_CAP, &cap));
	/* The VMM is held to the same bits. */
	EXPECT_EQ(ok, vcpu_get_msr(g, MSR_KVM_SYSTEM_TIME_NEW, &v));

	for (i = 0; i < 2; i++) {
		bool write = !i;

		ASSERT_EQ(0, guest_start(g, GUEST_MODE_LONG64, msr_gp_code,
					 msr_gp_code_end));
		ASSERT_EQ(0, vcpu_get_regs(g, &regs));
		regs.rbx = MSR_KVM_SYSTEM_TIME_NEW;
		regs.rsi = gpa;
		regs.r8 = write;
		ASSERT_EQ(0, vcpu_set_regs(g, &regs));
		if (ok) {
			v = guest_run_done(g);
			if (!write)
				EXPECT_EQ(gpa, v);
			continue;
		}
		ASSERT_EQ(GUEST_PORT_EXC, guest_run_report(g, &regs))
			TH_LOG("%s", guest_exit_str(g));
		EXPECT_EQ(13, regs.rax);	/* #GP */
		EXPECT_EQ(write ? GUEST_ADDR(msr_gp_code, gp_wrmsr) :
			  GUEST_ADDR(msr_gp_code, gp_rdmsr), regs.rcx);
	}
	if (ok) {
		ASSERT_EQ(1, vcpu_get_msr(g, MSR_KVM_SYSTEM_TIME_NEW, &v));
		EXPECT_EQ(gpa, v);
	}
}

TEST_F(msr, enforce_pv_feature_cpuid)
{
	struct kvm_enable_cap flagged = {
		.cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID, .flags = 1,
		.args = { 1 },
	};
	struct guest g2;
	int r;

	if (kvm_check_cap(self->g.kvm, KVM_CAP_ENFORCE_PV_FEATURE_CPUID) <= 0)
		SKIP(return, "no KVM_CAP_ENFORCE_PV_FEATURE_CPUID");
	EXPECT_EQ(-EINVAL, KVM_IOCTL(self->g.vcpu, KVM_ENABLE_CAP, &flagged));

	pv_enforce_case(_metadata, &self->g, 0, false);

	/* CPUID is frozen once the vCPU ran: a new one for the other case. */
	r = guest_create(&g2, 0);
	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
	pv_enforce_case(_metadata, &g2, 1u << KVM_FEATURE_CLOCKSOURCE2, true);
	guest_destroy(&g2);
}

TEST_HARNESS_MAIN
