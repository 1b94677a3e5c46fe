// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID: what kvmx can virtualize (KVM_GET_SUPPORTED_CPUID), what the VMM
 * gives each vCPU (KVM_SET_CPUID2), and the guest's CPUID instruction.
 *
 * Supported CPUID is the host's, filtered down to features kvmx really
 * gives a guest: a feature not listed here is cleared.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/fpu/xcr.h>
#include <asm/fpu/xstate.h>
#include <asm/kvm_para.h>

#include "x86.h"

#define KVMX_MAX_CPUID_ENTRIES	256

/* Feature bits passed through when the host has them. */
#define F(x)	BIT(x)
static const u32 leaf1_ecx = F(0) /* SSE3 */ | F(1) /* PCLMULQDQ */ |
	F(9) /* SSSE3 */ | F(12) /* FMA */ | F(13) /* CX16 */ |
	F(19) /* SSE4.1 */ | F(20) /* SSE4.2 */ | F(22) /* MOVBE */ |
	F(23) /* POPCNT */ | F(25) /* AES */ | F(26) /* XSAVE */ |
	F(28) /* AVX */ | F(29) /* F16C */ | F(30) /* RDRAND */;
static const u32 leaf1_edx = F(0) /* FPU */ | F(1) /* VME */ | F(2) /* DE */ |
	F(3) /* PSE */ | F(4) /* TSC */ | F(5) /* MSR */ | F(6) /* PAE */ |
	F(7) /* MCE */ | F(8) /* CX8 */ | F(9) /* APIC */ | F(11) /* SEP */ |
	F(12) /* MTRR */ | F(13) /* PGE */ | F(14) /* MCA */ | F(15) /* CMOV */ | F(16) /* PAT */ | F(17) /* PSE36 */ |
	F(19) /* CLFLUSH */ | F(23) /* MMX */ | F(24) /* FXSR */ |
	F(25) /* SSE */ | F(26) /* SSE2 */;
static const u32 leaf7_ebx = F(0) /* FSGSBASE */ | F(3) /* BMI1 */ |
	F(5) /* AVX2 */ | F(7) /* SMEP */ | F(8) /* BMI2 */ | F(9) /* ERMS */ |
	F(18) /* RDSEED */ | F(19) /* ADX */ | F(20) /* SMAP */ |
	F(23) /* CLFLUSHOPT */ | F(24) /* CLWB */ | F(29) /* SHA */;
static const u32 leaf7_ecx = F(2) /* UMIP */;
static const u32 ext1_ecx = F(0) /* LAHF */ | F(5) /* LZCNT */ |
	F(6) /* SSE4A */ | F(7) /* MISALIGNSSE */ | F(8) /* PREFETCHW */;
static const u32 ext1_edx = F(11) /* SYSCALL */ | F(20) /* NX */ |
	F(26) /* 1G pages */ | F(29) /* LM */ |
	/* AMD repeats some leaf 1 bits here */
	(F(0) | F(1) | F(2) | F(3) | F(4) | F(5) | F(6) | F(7) | F(8) |
	 F(9) | F(12) | F(13) | F(14) | F(15) | F(16) | F(17) | F(23) | F(24));
#undef F

/*
 * Size of the XSAVE area for the components in @xcr0: in the standard
 * format, or compacted (XSAVEC/XSAVES) where components follow each other,
 * some aligned to 64 bytes.
 */
static u32 xstate_required_size(u64 xcr0, bool compacted)
{
	u32 size = 512 + 64, offset, eax, ebx, ecx, edx;
	int i;

	for (i = 2; i < 64; i++) {
		if (!(xcr0 & BIT_ULL(i)))
			continue;
		cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx);
		offset = ebx;
		if (compacted)
			offset = ecx & BIT(1) ? ALIGN(size, 64) : size;
		size = max(size, offset + eax);
	}
	return size;
}

static struct kvm_cpuid_entry2 *cpuid_add(struct kvm_cpuid_entry2 *e, int *n,
					  u32 fn, u32 idx, u32 flags)
{
	struct kvm_cpuid_entry2 *x;

	if (*n >= KVMX_MAX_CPUID_ENTRIES)
		return NULL;
	x = &e[(*n)++];
	memset(x, 0, sizeof(*x));
	x->function = fn;
	x->index = idx;
	x->flags = flags;
	cpuid_count(fn, idx, &x->eax, &x->ebx, &x->ecx, &x->edx);
	return x;
}

static int cpuid_fill_supported(struct kvm_cpuid_entry2 *e)
{
	const u32 sig = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	u32 max_basic = min(cpuid_eax(0), 0xdU);
	u32 max_ext = min(cpuid_eax(0x80000000), 0x80000008U);
	u64 xcr0 = kvmx_supported_xcr0();
	struct kvm_cpuid_entry2 *x;
	int n = 0;
	u32 fn, i;

	for (fn = 0; fn <= max_basic; fn++) {
		switch (fn) {
		case 0:
			x = cpuid_add(e, &n, 0, 0, 0);
			x->eax = max_basic;
			break;
		case 1:
			x = cpuid_add(e, &n, 1, 0, 0);
			/* The APIC ID and the CPU count are the VMM's to set. */
			x->ebx &= 0xffff;
			/* The hypervisor bit is the VMM's to set, as in KVM. */
			x->ecx &= leaf1_ecx;
			/* As KVM: the in-kernel APIC does x2APIC on any host. */
			x->ecx |= BIT(21);
			x->edx &= leaf1_edx;
			break;
		case 7:
			x = cpuid_add(e, &n, 7, 0, sig);
			x->eax = 0;
			/* TSC_ADJUST is emulated (msr.c), as KVM does: always. */
			x->ebx = (x->ebx & leaf7_ebx) | BIT(1);
			x->ecx &= leaf7_ecx;
			x->edx = 0;
			break;
		case 0xd:
			if (!xcr0)
				break;
			x = cpuid_add(e, &n, 0xd, 0, sig);
			x->eax = xcr0;
			x->edx = 0;
			/* EBX is for the XCR0 in use; the CPU answers for the host's. */
			x->ebx = x->ecx = xstate_required_size(xcr0, false);
			x = cpuid_add(e, &n, 0xd, 1, sig);
			x->eax &= BIT(0) | BIT(2);	/* XSAVEOPT, XGETBV1 */
			x->ebx = x->ecx = x->edx = 0;
			for (i = 2; i < 64; i++)
				if (xcr0 & BIT_ULL(i))
					cpuid_add(e, &n, 0xd, i, sig);
			break;
		default:
			/* Cache and topology leaves describe the host: leave them out. */
			break;
		}
	}

	x = cpuid_add(e, &n, 0x40000000, 0, 0);
	x->eax = 0x40000001;
	/* "KVMKVMKVM\0\0\0" in EBX, ECX, EDX */
	x->ebx = 0x4b4d564b;
	x->ecx = 0x564b4d56;
	x->edx = 0x4d;
	x = cpuid_add(e, &n, 0x40000001, 0, 0);
	x->eax = BIT(KVM_FEATURE_CLOCKSOURCE) | BIT(KVM_FEATURE_NOP_IO_DELAY) |
		 BIT(KVM_FEATURE_CLOCKSOURCE2) |
		 BIT(KVM_FEATURE_CLOCKSOURCE_STABLE_BIT);
	x->ebx = x->ecx = x->edx = 0;

	for (fn = 0x80000000; fn <= max_ext; fn++) {
		x = cpuid_add(e, &n, fn, 0, 0);
		switch (fn) {
		case 0x80000000:
			x->eax = max_ext;
			break;
		case 0x80000001:
			x->ecx &= ext1_ecx;
			x->edx &= ext1_edx;
			break;
		case 0x80000007:
			x->eax = x->ebx = x->ecx = 0;
			x->edx &= BIT(8);	/* invariant TSC */
			break;
		case 0x80000008:
			x->eax &= 0xffff;	/* physical and virtual widths */
			x->ebx = x->ecx = x->edx = 0;
			break;
		default:
			break;	/* brand string and cache descriptions */
		}
	}
	return n;
}

long kvmx_get_supported_cpuid(struct kvm_cpuid2 __user *argp)
{
	struct kvm_cpuid2 hdr;
	struct kvm_cpuid_entry2 *e;
	int n;
	long r = 0;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < 1)
		return -E2BIG;

	e = kvcalloc(KVMX_MAX_CPUID_ENTRIES, sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return -ENOMEM;
	n = cpuid_fill_supported(e);
	if (n > hdr.nent)
		r = -E2BIG;
	else if (copy_to_user(argp->entries, e, n * sizeof(*e)))
		r = -EFAULT;
	else {
		hdr.nent = n;
		if (copy_to_user(argp, &hdr, sizeof(hdr)))
			r = -EFAULT;
	}
	kvfree(e);
	return r;
}

/*
 * The entry for @fn.@index in a table: the first of @fn whose index is
 * @index or does not matter.  With @any_index, the first of @fn at all.
 */
static struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid_entry2 *e,
					   int nent, u32 fn, u32 index,
					   bool any_index)
{
	int i;

	for (i = 0; i < nent; i++) {
		if (e[i].function == fn &&
		    (any_index || e[i].index == index ||
		     !(e[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX)))
			return &e[i];
	}
	return NULL;
}

struct kvm_cpuid_entry2 *kvmx_find_cpuid(struct kvmx_vcpu *vcpu, u32 fn,
					 u32 index)
{
	return cpuid_find(vcpu->arch.cpuid, vcpu->arch.cpuid_nent, fn, index,
			  false);
}

/* Whether the guest's CPUID leaf @fn (subleaf 0) has @mask in @reg. */
bool kvmx_guest_cpuid_has(struct kvmx_vcpu *vcpu, u32 fn,
			  enum cpuid_regs_idx reg, u32 mask)
{
	struct kvm_cpuid_entry2 *e = kvmx_find_cpuid(vcpu, fn, 0);

	if (!e)
		return false;
	switch (reg) {
	case CPUID_EAX:
		return e->eax & mask;
	case CPUID_EBX:
		return e->ebx & mask;
	case CPUID_ECX:
		return e->ecx & mask;
	default:
		return e->edx & mask;
	}
}

static void cpuid_set_bit(u32 *reg, unsigned int bit, bool on)
{
	if (on)
		*reg |= BIT(bit);
	else
		*reg &= ~BIT(bit);
}

/*
 * The bits of a CPUID table that KVM keeps up to date with the vCPU's
 * state: OSXSAVE and OSPKE follow CR4, the APIC bit the APIC base's
 * enable, the XSAVE area sizes XCR0.  KVM rewrites them in its table when
 * that state changes; kvmx does it before each look at the table, which
 * shows the same to the guest and to KVM_GET_CPUID2.
 */
static void cpuid_update_dynamic(struct kvmx_vcpu *vcpu,
				 struct kvm_cpuid_entry2 *e, int nent)
{
	u64 cr4 = kvmx_vendor->get_reg(vcpu, KVMX_CR4);
	struct kvm_cpuid_entry2 *x;

	x = cpuid_find(e, nent, 1, 0, true);
	if (x) {
		if (boot_cpu_has(X86_FEATURE_XSAVE))
			cpuid_set_bit(&x->ecx, 27, cr4 & X86_CR4_OSXSAVE);
		cpuid_set_bit(&x->edx, 9, /* APIC */
			      vcpu->arch.apic_base & MSR_IA32_APICBASE_ENABLE);
	}
	x = cpuid_find(e, nent, 7, 0, false);
	if (x && boot_cpu_has(X86_FEATURE_PKU))
		cpuid_set_bit(&x->ecx, 4, cr4 & X86_CR4_PKE);	/* OSPKE */
	x = cpuid_find(e, nent, 0xd, 0, false);
	if (x)
		x->ebx = xstate_required_size(vcpu->arch.xcr0, false);
	x = cpuid_find(e, nent, 0xd, 1, false);
	if (x && (x->eax & (BIT(1) | BIT(3))))	/* XSAVEC, XSAVES */
		x->ebx = xstate_required_size(vcpu->arch.xcr0, true);
}

/* Entries equal in all KVM compares: not the padding. */
static bool cpuid_same(const struct kvm_cpuid_entry2 *a,
		       const struct kvm_cpuid_entry2 *b, int nent)
{
	int i;

	for (i = 0; i < nent; i++, a++, b++) {
		if (a->function != b->function || a->index != b->index ||
		    a->flags != b->flags || a->eax != b->eax ||
		    a->ebx != b->ebx || a->ecx != b->ecx || a->edx != b->edx)
			return false;
	}
	return true;
}

/*
 * The KVM_FEATURE_* bits that KVM_CAP_ENFORCE_PV_FEATURE_CPUID checks: EAX
 * of the features leaf after the first hypervisor base (every 0x100 from
 * 0x40000000) that carries KVM's signature.  As in KVM, a table without
 * that leaf leaves the previous bits in place.
 */
static void cpuid_update_pv_features(struct kvmx_vcpu *vcpu)
{
	struct kvm_cpuid_entry2 *e;
	u32 base, sig[3];

	for (base = 0x40000000; base < 0x40010000; base += 0x100) {
		e = cpuid_find(vcpu->arch.cpuid, vcpu->arch.cpuid_nent, base,
			       0, true);
		if (!e)
			continue;
		sig[0] = e->ebx;
		sig[1] = e->ecx;
		sig[2] = e->edx;
		if (memcmp(sig, KVM_SIGNATURE, sizeof(sig)))
			continue;
		e = cpuid_find(vcpu->arch.cpuid, vcpu->arch.cpuid_nent,
			       base | KVM_CPUID_FEATURES, 0, true);
		if (e)
			vcpu->arch.pv_features = e->eax;
		return;
	}
}

int kvmx_set_cpuid2(struct kvmx_vcpu *vcpu, struct kvm_cpuid2 __user *argp)
{
	struct kvm_cpuid_entry2 *e = NULL;
	struct kvm_cpuid2 hdr;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > KVMX_MAX_CPUID_ENTRIES)
		return -E2BIG;
	if (hdr.nent) {
		e = vmemdup_user(argp->entries, array_size(sizeof(*e), hdr.nent));
		if (IS_ERR(e))
			return PTR_ERR(e);
	}
	/* The VMM's dynamic bits may be stale: they don't count as changes. */
	cpuid_update_dynamic(vcpu, e, hdr.nent);
	/* Once the vCPU ran, KVM only accepts the very same CPUID again. */
	if (vcpu->arch.has_run) {
		bool same = hdr.nent == vcpu->arch.cpuid_nent;

		cpuid_update_dynamic(vcpu, vcpu->arch.cpuid,
				     vcpu->arch.cpuid_nent);
		same = same && cpuid_same(e, vcpu->arch.cpuid, hdr.nent);
		kvfree(e);
		return same ? 0 : -EINVAL;
	}
	kvfree(vcpu->arch.cpuid);
	vcpu->arch.cpuid = e;
	vcpu->arch.cpuid_nent = hdr.nent;
	cpuid_update_pv_features(vcpu);
	kvmx_vendor->set_intercepts(vcpu);
	return 0;
}

int kvmx_get_cpuid2(struct kvmx_vcpu *vcpu, struct kvm_cpuid2 __user *argp)
{
	struct kvm_cpuid2 hdr;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < vcpu->arch.cpuid_nent)
		return -E2BIG;
	cpuid_update_dynamic(vcpu, vcpu->arch.cpuid, vcpu->arch.cpuid_nent);
	if (copy_to_user(argp->entries, vcpu->arch.cpuid,
			 vcpu->arch.cpuid_nent * sizeof(*vcpu->arch.cpuid)))
		return -EFAULT;
	hdr.nent = vcpu->arch.cpuid_nent;
	return copy_to_user(argp, &hdr, sizeof(hdr)) ? -EFAULT : 0;
}

/* Leaf 0's vendor: AuthenticAMD, AMDisbetter! or HygonGenuine. */
static bool cpuid_vendor_amd(const struct kvm_cpuid_entry2 *e)
{
	return (e->ebx == 0x68747541 && e->edx == 0x69746e65 &&
		e->ecx == 0x444d4163) ||
	       (e->ebx == 0x69444d41 && e->edx == 0x74656273 &&
		e->ecx == 0x21726574) ||
	       (e->ebx == 0x6f677948 && e->edx == 0x6e65476e &&
		e->ecx == 0x656e6975);
}

/*
 * A leaf beyond its range (0x0, 0x4000xx00, 0x80000000, 0xc0000000 give
 * the ranges' ends) reads, on Intel, as the highest basic leaf with the
 * same subleaf; AMD returns zeros.  The leaf the values come from, or
 * NULL with @fn unchanged.
 */
static struct kvm_cpuid_entry2 *cpuid_out_of_range(struct kvmx_vcpu *vcpu,
						   u32 *fn, u32 index)
{
	struct kvm_cpuid_entry2 *basic = kvmx_find_cpuid(vcpu, 0, 0);
	struct kvm_cpuid_entry2 *range;
	u32 base;

	if (!basic || cpuid_vendor_amd(basic))
		return NULL;
	if (*fn >= 0x40000000 && *fn <= 0x4fffffff)
		base = *fn & 0xffffff00;
	else if (*fn >= 0xc0000000)
		base = 0xc0000000;
	else
		base = *fn & 0x80000000;
	range = kvmx_find_cpuid(vcpu, base, 0);
	if (range && *fn <= range->eax)
		return NULL;
	*fn = basic->eax;
	return kvmx_find_cpuid(vcpu, *fn, index);
}

/*
 * The guest's CPUID, as KVM answers it: the VMM's table (its dynamic bits
 * brought up to date), an out-of-range leaf redirected, a leaf the table
 * lacks as zeros.  Only a missing subleaf of the topology leaves 0xb and
 * 0x1f still says the x2APIC ID (EDX) and the subleaf asked (ECX[7:0]).
 * 1 when done, 0 when CPUID faulting (on in MISC_FEATURES_ENABLES) queued
 * #GP(0) for CPL > 0.
 */
int kvmx_emulate_cpuid(struct kvmx_vcpu *vcpu)
{
	unsigned long *r = vcpu->arch.regs;
	u32 fn = r[KVMX_RAX], idx = r[KVMX_RCX];
	u32 eax = 0, ebx = 0, ecx = 0, edx = 0;
	struct kvm_cpuid_entry2 *e;

	if ((vcpu->arch.msr_misc_features &
	     MSR_MISC_FEATURES_ENABLES_CPUID_FAULT) &&
	    kvmx_vendor->get_reg(vcpu, KVMX_CPL)) {
		kvmx_queue_exception(vcpu, GP_VECTOR, true, 0);
		return 0;
	}

	e = kvmx_find_cpuid(vcpu, fn, idx);
	if (!e)
		e = cpuid_out_of_range(vcpu, &fn, idx);
	/* Only these leaves have dynamic bits: spare the others the work. */
	if (e && (e->function == 1 || e->function == 7 || e->function == 0xd))
		cpuid_update_dynamic(vcpu, vcpu->arch.cpuid,
				     vcpu->arch.cpuid_nent);
	if (e) {
		eax = e->eax;
		ebx = e->ebx;
		ecx = e->ecx;
		edx = e->edx;
	} else if (fn == 0xb || fn == 0x1f) {
		/* Subleaf 1 exists exactly when the leaf is implemented. */
		e = kvmx_find_cpuid(vcpu, fn, 1);
		if (e) {
			ecx = idx & 0xff;
			edx = e->edx;
		}
	}
	r[KVMX_RAX] = eax;
	r[KVMX_RBX] = ebx;
	r[KVMX_RCX] = ecx;
	r[KVMX_RDX] = edx;
	return 1;
}
