// SPDX-License-Identifier: GPL-2.0
/*
 * cpuid_test: KVM_GET_SUPPORTED_CPUID, KVM_SET_CPUID2/KVM_GET_CPUID2, and
 * what a guest's CPUID instruction returns.
 *
 *  - KVM_GET_SUPPORTED_CPUID: nent 0 or too small is E2BIG; with room it
 *    returns the entries (nent updated, at most 256: a bigger nent is
 *    clamped); leaf 0, KVM's signature leaf 0x40000000 ("KVMKVMKVM"),
 *    leaf 7 with a significant index, and no hypervisor bit in 1.ECX
 *    (KVM leaves that one to userspace);
 *  - KVM_SET_CPUID2 then CPUID in the guest returns what was set, apart
 *    from the bits KVM keeps up to date itself (1.ECX.OSXSAVE, 1.EDX.APIC,
 *    7.ECX.OSPKE, 0xD.0/0xD.1 EBX);
 *  - KVM_GET_CPUID2: 0 entries before any SET, E2BIG with too small an
 *    nent, else the entries set.  On success 6.1 leaves nent as passed in
 *    (kvm_vcpu_ioctl_get_cpuid2() only writes it on E2BIG) while 6.12
 *    sets it: the test always passes the exact count;
 *  - KVM_GET_CPUID2 returns those dynamic bits as KVM keeps them, whatever
 *    was set: OSXSAVE clear and 0xD.0 EBX 576 (the legacy area and the
 *    XSAVE header) for a vCPU with CR4 and XCR0 as at reset;
 *  - a leaf beyond its range (leaf 0, 0x80000000, ... give the ends)
 *    reads as the highest basic leaf, same subleaf, if the vendor of
 *    leaf 0 is not AMD's, else as zeros; a missing subleaf of leaf 0xB
 *    still gives ECX[7:0] = the subleaf and EDX = the x2APIC ID of 0xB.1
 *    (6.1: kvm_cpuid(), get_out_of_range_cpuid_entry());
 *  - KVM_SET_CPUID2 with nent > 256 is E2BIG;
 *  - once the vCPU has run, KVM_SET_CPUID2 is only accepted with the same
 *    entries (what KVM_GET_CPUID2 returns), else EINVAL (6.1 and 6.12:
 *    kvm_set_cpuid() -> kvm_cpuid_check_equal()).
 *
 * Reference: api.rst 4.46 (KVM_GET_SUPPORTED_CPUID), 4.73 (KVM_SET_CPUID2),
 * 4.120 (KVM_GET_CPUID2), x86/cpuid.rst; 6.1 code: arch/x86/kvm/cpuid.c.
 */
#include <unistd.h>

#include "kvmx_util.h"
#include "guest/guest.h"
#include "kselftest_harness.h"

#define MAX_ENT		GUEST_MAX_CPUID_ENTRIES

static struct kvm_cpuid2 *cpuid_alloc(unsigned int nent)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));

	if (c)
		c->nent = nent;
	return c;
}

static struct kvm_cpuid2 *cpuid_dup(const struct kvm_cpuid2 *c)
{
	struct kvm_cpuid2 *d = cpuid_alloc(c->nent);

	if (d)
		memcpy(d->entries, c->entries, c->nent * sizeof(c->entries[0]));
	return d;
}

/* Registers KVM updates at run time: don't compare these bits. */
static void dynamic_mask(uint32_t fn, uint32_t idx, uint32_t mask[4])
{
	mask[0] = mask[1] = mask[2] = mask[3] = ~0u;
	if (fn == 1) {
		mask[2] &= ~(1u << 27);		/* OSXSAVE */
		mask[3] &= ~(1u << 9);		/* APIC */
	} else if (fn == 7 && idx == 0) {
		mask[2] &= ~(1u << 4);		/* OSPKE */
	} else if (fn == 0xd && idx <= 1) {
		mask[1] = 0;			/* XSAVE area sizes */
	}
}

TEST(supported_cpuid)
{
	struct kvm_cpuid2 *c = cpuid_alloc(1000);
	struct kvm_cpuid_entry2 *e;
	int kvm = kvm_open();
	uint32_t n, sig[3];
	unsigned int i;

	ASSERT_GE(kvm, 0);
	ASSERT_NE(NULL, c);

	c->nent = 0;
	EXPECT_EQ(-E2BIG, KVM_IOCTL(kvm, KVM_GET_SUPPORTED_CPUID, c));
	c->nent = 1;
	EXPECT_EQ(-E2BIG, KVM_IOCTL(kvm, KVM_GET_SUPPORTED_CPUID, c));

	/* More than 256 is clamped to 256: the call works. */
	c->nent = 1000;
	ASSERT_EQ(0, KVM_IOCTL(kvm, KVM_GET_SUPPORTED_CPUID, c));
	n = c->nent;
	EXPECT_GE(n, 4);
	EXPECT_LE(n, MAX_ENT);

	/* Exactly n entries fit; n - 1 do not. */
	c->nent = n - 1;
	EXPECT_EQ(-E2BIG, KVM_IOCTL(kvm, KVM_GET_SUPPORTED_CPUID, c));
	c->nent = n;
	ASSERT_EQ(0, KVM_IOCTL(kvm, KVM_GET_SUPPORTED_CPUID, c));
	EXPECT_EQ(n, c->nent);

	e = cpuid_find(c, 0, 0);
	ASSERT_NE(NULL, e);
	EXPECT_GE(e->eax, 1);			/* max basic leaf */
	/*
	 * The hypervisor bit is userspace's business: KVM's mask for 1.ECX
	 * does not have it (kvm_set_cpu_caps(), 6.1 and 6.12).
	 */
	e = cpuid_find(c, 1, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0, e->ecx & (1u << 31));
	e = cpuid_find(c, 0x80000000, 0);
	ASSERT_NE(NULL, e);
	EXPECT_GE(e->eax, 0x80000001);

	/* KVM's own leaves (x86/cpuid.rst). */
	e = cpuid_find(c, 0x40000000, 0);
	ASSERT_NE(NULL, e);
	sig[0] = e->ebx;
	sig[1] = e->ecx;
	sig[2] = e->edx;
	EXPECT_EQ(0, memcmp(sig, "KVMKVMKVM\0\0\0", 12));
	EXPECT_GE(e->eax, 0x40000001);
	EXPECT_NE(NULL, cpuid_find(c, 0x40000001, 0));

	/* Leaf 7 has subleaves: its entries say the index matters. */
	if (cpuid_find(c, 0, 0)->eax >= 7) {
		e = cpuid_find(c, 7, 0);
		ASSERT_NE(NULL, e);
		EXPECT_EQ(0, e->index);
		EXPECT_NE(0, e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
	}
	/* No basic leaf beyond the maximum. */
	for (i = 0; i < n; i++) {
		e = &c->entries[i];
		if (e->function < 0x40000000) {
			EXPECT_LE(e->function, cpuid_find(c, 0, 0)->eax)
				TH_LOG("leaf %#x", e->function);
		}
	}
	free(c);
	close(kvm);
}

#define CPUID_OUT_GPA	0x21000

/*
 * For each {leaf, subleaf} pair at GUEST_DATA_GPA (until leaf 0xffffffff),
 * run CPUID and store EAX, EBX, ECX, EDX at CPUID_OUT_GPA.
 */
GUEST_CODE(cpuid_code, 64,
	"mov $" GUEST_STR(GUEST_DATA_GPA) ", %esi\n\t"
	"mov $" GUEST_STR(CPUID_OUT_GPA) ", %edi\n"
	"1:\n\t"
	"mov (%rsi), %eax\n\t"
	"mov 4(%rsi), %ecx\n\t"
	"cmp $0xffffffff, %eax\n\t"
	"je 2f\n\t"
	"cpuid\n\t"
	"mov %eax, (%rdi)\n\t"
	"mov %ebx, 4(%rdi)\n\t"
	"mov %ecx, 8(%rdi)\n\t"
	"mov %edx, 12(%rdi)\n\t"
	"add $8, %rsi\n\t"
	"add $16, %rdi\n\t"
	"jmp 1b\n"
	"2:\n\t"
	GUEST_ASM_DONE_HLT);

static const char brand[48] = "kvmx selftest CPU, brand string set by userspace";

TEST(guest_cpuid)
{
	static const uint32_t leaves[][2] = {
		{ 0, 0 }, { 1, 0 }, { 7, 0 }, { 0x80000000, 0 },
		{ 0x80000001, 0 }, { 0x80000002, 0 }, { 0x80000003, 0 },
		{ 0x80000004, 0 }, { 0x40000000, 0 }, { 0xd, 1 },
	};
	struct guest g;
	struct kvm_cpuid2 *c;
	struct kvm_cpuid_entry2 *e;
	uint32_t *in, *out, mask[4], want[4];
	unsigned int i, j, n = 0;
	int r;

	r = guest_create(&g, 0);
	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
	/* The supported CPUID with our own brand string. */
	c = cpuid_alloc(g.cpuid->nent + 3);
	ASSERT_NE(NULL, c);
	c->nent = g.cpuid->nent;
	memcpy(c->entries, g.cpuid->entries, c->nent * sizeof(c->entries[0]));
	for (i = 0; i < 3; i++) {
		e = cpuid_find(c, 0x80000002 + i, 0);
		if (!e) {
			e = &c->entries[c->nent++];
			memset(e, 0, sizeof(*e));
			e->function = 0x80000002 + i;
		}
		memcpy(&e->eax, brand + 16 * i, 4);
		memcpy(&e->ebx, brand + 16 * i + 4, 4);
		memcpy(&e->ecx, brand + 16 * i + 8, 4);
		memcpy(&e->edx, brand + 16 * i + 12, 4);
	}
	e = cpuid_find(c, 0x80000000, 0);
	ASSERT_NE(NULL, e);
	if (e->eax < 0x80000004)
		e->eax = 0x80000004;
	ASSERT_EQ(0, KVM_IOCTL(g.vcpu, KVM_SET_CPUID2, c));

	in = guest_ptr(&g, GUEST_DATA_GPA);
	for (i = 0; i < ARRAY_SIZE(leaves); i++) {
		if (!cpuid_find(c, leaves[i][0], leaves[i][1]))
			continue;
		in[2 * n] = leaves[i][0];
		in[2 * n + 1] = leaves[i][1];
		n++;
	}
	in[2 * n] = 0xffffffff;
	ASSERT_EQ(0, guest_start(&g, GUEST_MODE_LONG64, cpuid_code, cpuid_code_end));
	guest_run_done(&g);

	out = guest_ptr(&g, CPUID_OUT_GPA);
	for (i = 0; i < n; i++) {
		e = cpuid_find(c, in[2 * i], in[2 * i + 1]);
		want[0] = e->eax;
		want[1] = e->ebx;
		want[2] = e->ecx;
		want[3] = e->edx;
		dynamic_mask(in[2 * i], in[2 * i + 1], mask);
		for (j = 0; j < 4; j++) {
			EXPECT_EQ(want[j] & mask[j], out[4 * i + j] & mask[j])
				TH_LOG("CPUID %#x.%u reg %u", in[2 * i],
				       in[2 * i + 1], j);
		}
	}
	for (i = 0; i < n; i++) {
		/* The brand string, as the guest reads it. */
		if (in[2 * i] == 0x80000002) {
			EXPECT_EQ(0, memcmp(brand, &out[4 * i], 48))
				TH_LOG("brand string");
		}
		/* Its CR4.OSXSAVE is clear: so is the OSXSAVE bit it sees. */
		if (in[2 * i] == 1) {
			EXPECT_EQ(0, out[4 * i + 2] & (1u << 27));
		}
	}
	free(c);
	guest_destroy(&g);
}

/* Add or overwrite @fn.@idx of @c (room permitting) with these values. */
static void cpuid_put(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx,
		      uint32_t flags, uint32_t a, uint32_t b, uint32_t cx,
		      uint32_t d)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, fn, idx);

	if (!e || e->index != idx)
		e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = idx;
	e->flags = flags;
	e->eax = a;
	e->ebx = b;
	e->ecx = cx;
	e->edx = d;
}

/*
 * A vCPU with the supported CPUID, its basic leaves replaced by leaf 0
 * (max 0xB, the vendor @vendor), leaf 2 and leaf 0xB subleaves 0 and 1;
 * the guest runs CPUID for each of the @n @q and its answers go to @out.
 */
static void run_small_table(struct __test_metadata *_metadata,
			    const char *vendor, const uint32_t (*q)[2],
			    unsigned int n, uint32_t (*out)[4])
{
	const uint32_t sig = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	uint32_t v[3], *in;
	struct kvm_cpuid2 *c;
	struct guest g;
	unsigned int i;
	int r;

	r = guest_create(&g, 0);
	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
	c = cpuid_alloc(g.cpuid->nent + 4);
	ASSERT_NE(NULL, c);
	c->nent = 0;
	for (i = 0; i < g.cpuid->nent; i++) {
		if (g.cpuid->entries[i].function >= 2 &&
		    g.cpuid->entries[i].function < 0x40000000)
			continue;
		c->entries[c->nent++] = g.cpuid->entries[i];
	}
	memcpy(v, vendor, 12);	/* EBX, EDX, ECX */
	cpuid_put(c, 0, 0, 0, 0xb, v[0], v[2], v[1]);
	cpuid_put(c, 2, 0, 0, 0x11, 0x22, 0x33, 0x44);
	cpuid_put(c, 0xb, 0, sig, 1, 2, 0x100, 7);
	cpuid_put(c, 0xb, 1, sig, 4, 8, 0x201, 7);
	ASSERT_EQ(0, KVM_IOCTL(g.vcpu, KVM_SET_CPUID2, c));

	in = guest_ptr(&g, GUEST_DATA_GPA);
	for (i = 0; i < n; i++) {
		in[2 * i] = q[i][0];
		in[2 * i + 1] = q[i][1];
	}
	in[2 * n] = 0xffffffff;
	ASSERT_EQ(0, guest_start(&g, GUEST_MODE_LONG64, cpuid_code, cpuid_code_end));
	guest_run_done(&g);
	memcpy(out, guest_ptr(&g, CPUID_OUT_GPA), n * sizeof(*out));
	free(c);
	guest_destroy(&g);
}

TEST(out_of_range_leaves)
{
	static const uint32_t q[][2] = {
		{ 2, 0 }, { 3, 0 }, { 0xb, 5 }, { 0xc, 1 }, { 0xc, 9 },
		{ 0x8000ffff, 1 }, { 0x40000100, 0 }, { 0xc0000000, 0 },
	};
	/* Intel: past a range's end is the max basic leaf, 0xB. */
	static const uint32_t intel[][4] = {
		{ 0x11, 0x22, 0x33, 0x44 }, { 0, 0, 0, 0 }, { 0, 0, 5, 7 },
		{ 4, 8, 0x201, 7 }, { 0, 0, 9, 7 }, { 4, 8, 0x201, 7 },
		{ 1, 2, 0x100, 7 }, { 1, 2, 0x100, 7 },
	};
	/* AMD: zeros, but for the 0xB subleaf rule, which is no redirect. */
	static const uint32_t amd[][4] = {
		{ 0x11, 0x22, 0x33, 0x44 }, { 0, 0, 0, 0 }, { 0, 0, 5, 7 },
		{ 0, 0, 0, 0 }, { 0, 0, 0, 0 }, { 0, 0, 0, 0 },
		{ 0, 0, 0, 0 }, { 0, 0, 0, 0 },
	};
	uint32_t out[ARRAY_SIZE(q)][4];
	unsigned int i, j;

	run_small_table(_metadata, "GenuineIntel", q, ARRAY_SIZE(q), out);
	for (i = 0; i < ARRAY_SIZE(q); i++)
		for (j = 0; j < 4; j++)
			EXPECT_EQ(intel[i][j], out[i][j])
				TH_LOG("Intel: CPUID %#x.%u reg %u", q[i][0], q[i][1], j);
	run_small_table(_metadata, "AuthenticAMD", q, ARRAY_SIZE(q), out);
	for (i = 0; i < ARRAY_SIZE(q); i++)
		for (j = 0; j < 4; j++)
			EXPECT_EQ(amd[i][j], out[i][j])
				TH_LOG("AMD: CPUID %#x.%u reg %u", q[i][0], q[i][1], j);
}

TEST(dynamic_bits_in_table)
{
	struct kvm_cpuid2 *c, *d;
	struct kvm_cpuid_entry2 *e;
	struct guest g;
	int r;

	r = guest_create(&g, 0);
	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
	c = cpuid_dup(g.cpuid);
	d = cpuid_alloc(g.cpuid->nent);
	ASSERT_NE(NULL, c);
	ASSERT_NE(NULL, d);
	/* Stale values for what KVM owns: a set OSXSAVE, a wrong size. */
	e = cpuid_find(c, 1, 0);
	ASSERT_NE(NULL, e);
	e->ecx |= 1u << 27;
	e = cpuid_find(c, 0xd, 0);
	if (e)
		e->ebx = 0x12345;
	ASSERT_EQ(0, KVM_IOCTL(g.vcpu, KVM_SET_CPUID2, c));
	ASSERT_EQ(0, KVM_IOCTL(g.vcpu, KVM_GET_CPUID2, d));

	/* CR4.OSXSAVE is clear, XCR0 is x87 only, as at reset. */
	e = cpuid_find(d, 1, 0);
	ASSERT_NE(NULL, e);
	if (e->ecx & (1u << 26))	/* XSAVE: KVM owns OSXSAVE */
		EXPECT_EQ(0, e->ecx & (1u << 27));
	e = cpuid_find(d, 0xd, 0);
	if (e)
		EXPECT_EQ(576, e->ebx);
	free(c);
	free(d);
	guest_destroy(&g);
}

static void expect_same_entries(struct __test_metadata *_metadata,
				const struct kvm_cpuid2 *a,
				const struct kvm_cpuid2 *b)
{
	const struct kvm_cpuid_entry2 *x, *y;
	uint32_t mask[4];
	unsigned int i;

	ASSERT_EQ(a->nent, b->nent);
	for (i = 0; i < a->nent; i++) {
		x = &a->entries[i];
		y = &b->entries[i];
		dynamic_mask(x->function, x->index, mask);
		EXPECT_EQ(x->function, y->function) TH_LOG("entry %u", i);
		EXPECT_EQ(x->index, y->index) TH_LOG("entry %u", i);
		EXPECT_EQ(x->flags, y->flags) TH_LOG("entry %u", i);
		EXPECT_EQ(x->eax & mask[0], y->eax & mask[0]) TH_LOG("entry %u", i);
		EXPECT_EQ(x->ebx & mask[1], y->ebx & mask[1]) TH_LOG("entry %u", i);
		EXPECT_EQ(x->ecx & mask[2], y->ecx & mask[2]) TH_LOG("entry %u", i);
		EXPECT_EQ(x->edx & mask[3], y->edx & mask[3]) TH_LOG("entry %u", i);
	}
}

TEST(get_cpuid2)
{
	int kvm = kvm_open(), vm, vcpu;
	struct kvm_cpuid2 *sup, *c;

	ASSERT_GE(kvm, 0);
	vm = vm_create(kvm);
	ASSERT_GE(vm, 0);
	vcpu = vcpu_create(vm, 0);
	ASSERT_GE(vcpu, 0);
	sup = kvm_supported_cpuid(kvm);
	ASSERT_NE(NULL, sup);
	c = cpuid_alloc(MAX_ENT);
	ASSERT_NE(NULL, c);

	/* Nothing set yet: zero entries fit. */
	c->nent = MAX_ENT;
	ASSERT_EQ(0, KVM_IOCTL(vcpu, KVM_GET_CPUID2, c));
	c->nent = 0;
	EXPECT_EQ(0, KVM_IOCTL(vcpu, KVM_GET_CPUID2, c));

	ASSERT_EQ(0, KVM_IOCTL(vcpu, KVM_SET_CPUID2, sup));
	c->nent = sup->nent - 1;
	EXPECT_EQ(-E2BIG, KVM_IOCTL(vcpu, KVM_GET_CPUID2, c));
	c->nent = 0;
	EXPECT_EQ(-E2BIG, KVM_IOCTL(vcpu, KVM_GET_CPUID2, c));
	c->nent = sup->nent;
	ASSERT_EQ(0, KVM_IOCTL(vcpu, KVM_GET_CPUID2, c));
	EXPECT_EQ(sup->nent, c->nent);
	expect_same_entries(_metadata, sup, c);
	/* More room than needed is fine too. */
	c->nent = MAX_ENT;
	EXPECT_EQ(0, KVM_IOCTL(vcpu, KVM_GET_CPUID2, c));

	/* Before the first KVM_RUN, any CPUID may replace the old one. */
	sup->nent--;
	ASSERT_EQ(0, KVM_IOCTL(vcpu, KVM_SET_CPUID2, sup));
	c->nent = sup->nent - 1;
	EXPECT_EQ(-E2BIG, KVM_IOCTL(vcpu, KVM_GET_CPUID2, c));
	c->nent = sup->nent;
	ASSERT_EQ(0, KVM_IOCTL(vcpu, KVM_GET_CPUID2, c));
	expect_same_entries(_metadata, sup, c);

	free(sup);
	free(c);
	close(vcpu);
	close(vm);
	close(kvm);
}

TEST(set_cpuid2_too_big)
{
	int kvm = kvm_open(), vm, vcpu;
	struct kvm_cpuid2 *sup, *c;
	unsigned int i;

	ASSERT_GE(kvm, 0);
	vm = vm_create(kvm);
	ASSERT_GE(vm, 0);
	vcpu = vcpu_create(vm, 0);
	ASSERT_GE(vcpu, 0);
	sup = kvm_supported_cpuid(kvm);
	ASSERT_NE(NULL, sup);
	c = cpuid_alloc(MAX_ENT + 1);
	ASSERT_NE(NULL, c);
	/* 257 entries: the supported ones, then made-up hypervisor leaves. */
	memcpy(c->entries, sup->entries, sup->nent * sizeof(c->entries[0]));
	for (i = sup->nent; i < MAX_ENT + 1; i++)
		c->entries[i].function = 0x40000100 + i;
	EXPECT_EQ(-E2BIG, KVM_IOCTL(vcpu, KVM_SET_CPUID2, c));
	/* Nothing was set: zero entries still fit. */
	c->nent = 0;
	EXPECT_EQ(0, KVM_IOCTL(vcpu, KVM_GET_CPUID2, c));
	free(sup);
	free(c);
	close(vcpu);
	close(vm);
	close(kvm);
}

GUEST_CODE(run_once_code, 64,
	"mov $1, %eax\n\t"
	GUEST_ASM_DONE_HLT);

TEST(set_cpuid2_after_run)
{
	struct guest g;
	struct kvm_cpuid2 *c, *d;
	struct kvm_cpuid_entry2 *e;
	int r;

	r = guest_create(&g, 0);
	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
	ASSERT_EQ(0, guest_start(&g, GUEST_MODE_LONG64, run_once_code,
				 run_once_code_end));
	/* Not run yet: a different CPUID is fine. */
	c = cpuid_dup(g.cpuid);
	ASSERT_NE(NULL, c);
	e = cpuid_find(c, 0x80000002, 0);
	ASSERT_NE(NULL, e);
	e->eax ^= 0x01010101;
	ASSERT_EQ(0, KVM_IOCTL(g.vcpu, KVM_SET_CPUID2, c));

	EXPECT_EQ(1, guest_run_done(&g));

	/* After KVM_RUN: what KVM_GET_CPUID2 returns may be set again. */
	d = cpuid_alloc(c->nent);
	ASSERT_NE(NULL, d);
	ASSERT_EQ(0, KVM_IOCTL(g.vcpu, KVM_GET_CPUID2, d));
	ASSERT_EQ(c->nent, d->nent);
	EXPECT_EQ(0, KVM_IOCTL(g.vcpu, KVM_SET_CPUID2, d));
	/* ... but no other content, */
	cpuid_find(d, 0x80000002, 0)->eax ^= 0x01010101;
	EXPECT_EQ(-EINVAL, KVM_IOCTL(g.vcpu, KVM_SET_CPUID2, d));
	cpuid_find(d, 0x80000002, 0)->eax ^= 0x01010101;
	/* ... nor fewer entries. */
	d->nent--;
	EXPECT_EQ(-EINVAL, KVM_IOCTL(g.vcpu, KVM_SET_CPUID2, d));
	d->nent++;
	EXPECT_EQ(0, KVM_IOCTL(g.vcpu, KVM_SET_CPUID2, d));

	/* The guest still runs with it. */
	guest_run_hlt(&g);
	free(c);
	free(d);
	guest_destroy(&g);
}

TEST_HARNESS_MAIN
