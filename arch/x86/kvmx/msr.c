// SPDX-License-Identifier: GPL-2.0
/*
 * Model-specific registers: the guest's RDMSR/WRMSR, and KVM_GET/SET_MSRS
 * with the MSR index lists.  An MSR kvmx does not know raises #GP in the
 * guest and ends a KVM_GET/SET_MSRS batch, as KVM does by default.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/apicdef.h>
#include <asm/fpu/xcr.h>
#include <asm/kvm_para.h>
#include <asm/msr.h>
#include <asm/mtrr.h>
#include <asm/tsc.h>

#include "x86.h"
#include "irq/irq.h"

#define KVMX_MAX_IO_MSRS	256

#define CPUID1_ECX_PDCM		BIT(15)	/* IA32_PERF_CAPABILITIES */
#define CPUID7_EBX_TSC_ADJUST	BIT(1)	/* IA32_TSC_ADJUST */

/* What KVM_GET_MSR_INDEX_LIST reports: every MSR a VMM should migrate. */
static const u32 kvmx_msrs_to_save[] = {
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_STAR, MSR_CSTAR, MSR_KERNEL_GS_BASE, MSR_SYSCALL_MASK, MSR_LSTAR,
	MSR_IA32_TSC, MSR_IA32_CR_PAT, MSR_IA32_MISC_ENABLE,
	MSR_KVM_SYSTEM_TIME, MSR_KVM_WALL_CLOCK,
	MSR_KVM_SYSTEM_TIME_NEW, MSR_KVM_WALL_CLOCK_NEW,
	MSR_IA32_MCG_STATUS, MSR_IA32_MCG_CTL,
	MSR_IA32_TSC_ADJUST, MSR_PLATFORM_INFO, MSR_MISC_FEATURES_ENABLES,
	MSR_IA32_PERF_CAPABILITIES,
};

static const u32 kvmx_feature_msrs[] = {
	MSR_IA32_UCODE_REV, MSR_IA32_PERF_CAPABILITIES,
};

static int kvmx_mtrr_index(u32 msr)
{
	switch (msr) {
	case MSR_MTRRfix64K_00000:
		return 0;
	case MSR_MTRRfix16K_80000:
	case MSR_MTRRfix16K_A0000:
		return 1 + msr - MSR_MTRRfix16K_80000;
	case MSR_MTRRfix4K_C0000 ... MSR_MTRRfix4K_F8000:
		return 3 + msr - MSR_MTRRfix4K_C0000;
	}
	return -1;
}

/* PAT entries may only hold the memory types that exist. */
static bool kvmx_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 t = pat >> (i * 8);

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

static u8 kvmx_virt_addr_bits(struct kvmx_vcpu *vcpu)
{
	return kvmx_vendor->get_reg(vcpu, KVMX_CR4) & X86_CR4_LA57 ? 57 : 48;
}

static bool kvmx_efer_valid(struct kvmx_vcpu *vcpu, u64 efer, bool host)
{
	u64 ok = EFER_SCE | EFER_LME | EFER_LMA | EFER_NX;
	u64 old = kvmx_vendor->get_reg(vcpu, KVMX_EFER);

	if (efer & ~ok)
		return false;
	/* The guest may not flip long mode while paging is on. */
	if (!host && (kvmx_vendor->get_reg(vcpu, KVMX_CR0) & X86_CR0_PG) &&
	    ((efer ^ old) & EFER_LME))
		return false;
	return true;
}

/*
 * The APIC's MSRs: x2APIC registers and the TSC deadline.  lapic.c answers
 * them without an in-kernel APIC too, as KVM does (#GP, or reads of 0).
 */
static bool kvmx_is_apic_msr(struct kvmx_vcpu *vcpu, u32 msr)
{
	return msr == MSR_IA32_TSC_DEADLINE ||
	       (msr >= APIC_BASE_MSR && msr < APIC_BASE_MSR + 0x100);
}

/*
 * The guest's TSC becomes host TSC + @offset (no scaling).  kvmclock's page
 * holds a guest TSC value: refresh it before the guest runs again.
 */
void kvmx_write_tsc_offset(struct kvmx_vcpu *vcpu, u64 offset)
{
	kvmx_vendor->set_reg(vcpu, KVMX_TSC_OFFSET, offset);
	kvmx_make_request(vcpu, KVMX_REQ_CLOCK_UPDATE);
}

/*
 * A guest write to IA32_TSC or IA32_TSC_ADJUST moves its TSC by @delta,
 * and IA32_TSC_ADJUST counts every such move (SDM 17.17.3).
 */
static void kvmx_guest_adjust_tsc(struct kvmx_vcpu *vcpu, s64 delta)
{
	u64 offset = kvmx_vendor->get_reg(vcpu, KVMX_TSC_OFFSET);

	kvmx_write_tsc_offset(vcpu, offset + delta);
	vcpu->arch.msr_tsc_adjust += delta;
}

/*
 * KVM's PV MSRs and the KVM_FEATURE_* bit each needs under
 * KVM_CAP_ENFORCE_PV_FEATURE_CPUID, for the VMM's accesses too.  kvmx does
 * not emulate some of them: those #GP whatever the bits say.
 */
static bool kvmx_pv_msr_denied(struct kvmx_vcpu *vcpu, u32 msr)
{
	unsigned int feature;

	switch (msr) {
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_SYSTEM_TIME:
		feature = KVM_FEATURE_CLOCKSOURCE;
		break;
	case MSR_KVM_WALL_CLOCK_NEW:
	case MSR_KVM_SYSTEM_TIME_NEW:
		feature = KVM_FEATURE_CLOCKSOURCE2;
		break;
	case MSR_KVM_ASYNC_PF_EN:
		feature = KVM_FEATURE_ASYNC_PF;
		break;
	case MSR_KVM_ASYNC_PF_INT:
	case MSR_KVM_ASYNC_PF_ACK:
		feature = KVM_FEATURE_ASYNC_PF_INT;
		break;
	case MSR_KVM_STEAL_TIME:
		feature = KVM_FEATURE_STEAL_TIME;
		break;
	case MSR_KVM_PV_EOI_EN:
		feature = KVM_FEATURE_PV_EOI;
		break;
	case MSR_KVM_POLL_CONTROL:
		feature = KVM_FEATURE_POLL_CONTROL;
		break;
	default:
		return false;
	}
	return !kvmx_guest_pv_has(vcpu, feature);
}

int kvmx_get_msr(struct kvmx_vcpu *vcpu, u32 msr, u64 *data, bool host)
{
	struct kvm_segment seg;
	int i;

	if (kvmx_pv_msr_denied(vcpu, msr))
		return 1;

	if (kvmx_is_mce_msr(msr))
		return kvmx_get_mce_msr(vcpu, msr, data, host);
	if (kvmx_is_apic_msr(vcpu, msr))
		return kvmx_lapic_rdmsr(vcpu, msr, data);
	switch (msr) {
	case MSR_EFER:
		*data = kvmx_vendor->get_reg(vcpu, KVMX_EFER);
		break;
	case MSR_STAR:
		*data = kvmx_vendor->get_reg(vcpu, KVMX_STAR);
		break;
	case MSR_LSTAR:
		*data = kvmx_vendor->get_reg(vcpu, KVMX_LSTAR);
		break;
	case MSR_CSTAR:
		*data = kvmx_vendor->get_reg(vcpu, KVMX_CSTAR);
		break;
	case MSR_SYSCALL_MASK:
		*data = kvmx_vendor->get_reg(vcpu, KVMX_SFMASK);
		break;
	case MSR_KERNEL_GS_BASE:
		*data = kvmx_vendor->get_reg(vcpu, KVMX_KERNEL_GS_BASE);
		break;
	case MSR_IA32_SYSENTER_CS:
		*data = kvmx_vendor->get_reg(vcpu, KVMX_SYSENTER_CS);
		break;
	case MSR_IA32_SYSENTER_ESP:
		*data = kvmx_vendor->get_reg(vcpu, KVMX_SYSENTER_ESP);
		break;
	case MSR_IA32_SYSENTER_EIP:
		*data = kvmx_vendor->get_reg(vcpu, KVMX_SYSENTER_EIP);
		break;
	case MSR_FS_BASE:
		kvmx_vendor->get_seg(vcpu, KVMX_FS, &seg);
		*data = seg.base;
		break;
	case MSR_GS_BASE:
		kvmx_vendor->get_seg(vcpu, KVMX_GS, &seg);
		*data = seg.base;
		break;
	case MSR_IA32_TSC:
		*data = rdtsc() + kvmx_vendor->get_reg(vcpu, KVMX_TSC_OFFSET);
		break;
	case MSR_IA32_TSC_ADJUST:
		/* KVM answers reads whatever the guest's CPUID says. */
		*data = vcpu->arch.msr_tsc_adjust;
		break;
	case MSR_PLATFORM_INFO:
		/* KVM_CAP_MSR_PLATFORM_INFO decides whether the guest may read. */
		if (!host && !READ_ONCE(vcpu->vm->arch.guest_reads_platform_info))
			return 1;
		*data = vcpu->arch.msr_platform_info;
		break;
	case MSR_MISC_FEATURES_ENABLES:
		*data = vcpu->arch.msr_misc_features;
		break;
	case MSR_IA32_PERF_CAPABILITIES:
		/* No PMU: no capability.  The guest reads it only with PDCM. */
		if (!host && !kvmx_guest_cpuid_has(vcpu, 1, CPUID_ECX,
						   CPUID1_ECX_PDCM))
			return 1;
		*data = 0;
		break;
	case MSR_IA32_CR_PAT:
		*data = kvmx_vendor->get_reg(vcpu, KVMX_PAT);
		break;
	case MSR_IA32_APICBASE:
		*data = vcpu->arch.apic_base;
		break;
	case MSR_IA32_MISC_ENABLE:
		*data = vcpu->arch.msr_misc_enable;
		break;
	case MSR_IA32_UCODE_REV:
		*data = vcpu->arch.msr_ucode_rev;
		break;
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		*data = vcpu->arch.msr_system_time;
		break;
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		*data = vcpu->arch.msr_wall_clock;
		break;
	/* Model-specific MSRs guests read at boot: zero, as KVM answers. */
	case MSR_K7_HWCR:
	case MSR_IA32_PLATFORM_ID:
	case MSR_IA32_EBL_CR_POWERON:
	case MSR_IA32_LASTBRANCHFROMIP:
	case MSR_IA32_LASTBRANCHTOIP:
	case MSR_IA32_LASTINTFROMIP:
	case MSR_IA32_LASTINTTOIP:
	case MSR_AMD64_SYSCFG:
	case MSR_K8_TSEG_ADDR:
	case MSR_K8_TSEG_MASK:
	case MSR_VM_HSAVE_PA:
	case MSR_K8_INT_PENDING_MSG:
	case MSR_AMD64_NB_CFG:
	case MSR_FAM10H_MMIO_CONF_BASE:
	case MSR_AMD64_BU_CFG2:
	case MSR_IA32_PERF_CTL:
	case MSR_AMD64_DC_CFG:
	case MSR_F15H_EX_CFG:
	case MSR_RAPL_POWER_UNIT:
	case MSR_PP0_ENERGY_STATUS:
	case MSR_PP1_ENERGY_STATUS:
	case MSR_PKG_ENERGY_STATUS:
	case MSR_DRAM_ENERGY_STATUS:
	/* No virtual PMU: the legacy counters read as zero. */
	case MSR_K7_EVNTSEL0 ... MSR_K7_EVNTSEL3:
	case MSR_K7_PERFCTR0 ... MSR_K7_PERFCTR3:
	case MSR_P6_PERFCTR0 ... MSR_P6_PERFCTR1:
	case MSR_P6_EVNTSEL0 ... MSR_P6_EVNTSEL1:
		*data = 0;
		break;
	case MSR_MTRRcap:
		/* Fixed ranges, write-combining, eight variable ranges. */
		*data = BIT(8) | BIT(10) | 8;
		break;
	case MSR_MTRRdefType:
		*data = vcpu->arch.msr_mtrr_def_type;
		break;
	case MTRRphysBase_MSR(0) ... MTRRphysMask_MSR(7):
		*data = vcpu->arch.msr_mtrr_var[msr - MTRRphysBase_MSR(0)];
		break;
	default:
		i = kvmx_mtrr_index(msr);
		if (i < 0)
			return 1;
		*data = vcpu->arch.msr_mtrr_fixed[i];
		break;
	}
	return 0;
}

int kvmx_set_msr(struct kvmx_vcpu *vcpu, u32 msr, u64 data, bool host)
{
	struct kvm_segment seg;
	int i;

	if (kvmx_pv_msr_denied(vcpu, msr))
		return 1;

	if (kvmx_is_apic_msr(vcpu, msr))
		return kvmx_lapic_wrmsr(vcpu, msr, data);

	if (kvmx_is_mce_msr(msr))
		return kvmx_set_mce_msr(vcpu, msr, data, host);
	switch (msr) {
	case MSR_EFER:
		if (!kvmx_efer_valid(vcpu, data, host))
			return 1;
		/* LMA follows LME and paging; the CPU keeps it. */
		if (!host)
			data = (data & ~EFER_LMA) |
			       (kvmx_vendor->get_reg(vcpu, KVMX_EFER) & EFER_LMA);
		kvmx_vendor->set_reg(vcpu, KVMX_EFER, data);
		break;
	case MSR_STAR:
		kvmx_vendor->set_reg(vcpu, KVMX_STAR, data);
		break;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		/*
		 * Non-canonical bases fault, for the VMM too.  AMD ignores the
		 * top of the SYSENTER ones, so those are made canonical.
		 */
		if (msr == MSR_IA32_SYSENTER_ESP || msr == MSR_IA32_SYSENTER_EIP)
			data = __canonical_address(data, kvmx_virt_addr_bits(vcpu));
		else if (!__is_canonical_address(data, kvmx_virt_addr_bits(vcpu)))
			return 1;
		if (msr == MSR_LSTAR)
			kvmx_vendor->set_reg(vcpu, KVMX_LSTAR, data);
		else if (msr == MSR_CSTAR)
			kvmx_vendor->set_reg(vcpu, KVMX_CSTAR, data);
		else if (msr == MSR_KERNEL_GS_BASE)
			kvmx_vendor->set_reg(vcpu, KVMX_KERNEL_GS_BASE, data);
		else if (msr == MSR_IA32_SYSENTER_ESP)
			kvmx_vendor->set_reg(vcpu, KVMX_SYSENTER_ESP, data);
		else if (msr == MSR_IA32_SYSENTER_EIP)
			kvmx_vendor->set_reg(vcpu, KVMX_SYSENTER_EIP, data);
		else {
			enum kvmx_seg s = msr == MSR_FS_BASE ? KVMX_FS : KVMX_GS;

			kvmx_vendor->get_seg(vcpu, s, &seg);
			seg.base = data;
			kvmx_vendor->set_seg(vcpu, s, &seg);
		}
		break;
	case MSR_SYSCALL_MASK:
		kvmx_vendor->set_reg(vcpu, KVMX_SFMASK, data);
		break;
	case MSR_IA32_SYSENTER_CS:
		kvmx_vendor->set_reg(vcpu, KVMX_SYSENTER_CS, data);
		break;
	case MSR_IA32_TSC:
		/* The VMM sets the TSC alone; the guest moves TSC_ADJUST too. */
		if (host)
			kvmx_write_tsc_offset(vcpu, data - rdtsc());
		else
			kvmx_guest_adjust_tsc(vcpu, data - rdtsc() -
					      kvmx_vendor->get_reg(vcpu, KVMX_TSC_OFFSET));
		break;
	case MSR_IA32_TSC_ADJUST:
		/* Without the CPUID bit, KVM drops the write. */
		if (!kvmx_guest_cpuid_has(vcpu, 7, CPUID_EBX,
					  CPUID7_EBX_TSC_ADJUST))
			break;
		/* The VMM restores the value; the guest moves its TSC with it. */
		if (!host)
			kvmx_guest_adjust_tsc(vcpu, data - vcpu->arch.msr_tsc_adjust);
		vcpu->arch.msr_tsc_adjust = data;
		break;
	case MSR_PLATFORM_INFO:
		/*
		 * Read-only to the guest.  The VMM may set anything, but not
		 * take CPUID faulting away while the guest has it on.
		 */
		if (!host || (!(data & MSR_PLATFORM_INFO_CPUID_FAULT) &&
			      (vcpu->arch.msr_misc_features &
			       MSR_MISC_FEATURES_ENABLES_CPUID_FAULT)))
			return 1;
		vcpu->arch.msr_platform_info = data;
		break;
	case MSR_MISC_FEATURES_ENABLES:
		/* Only CPUID faulting, and only if PLATFORM_INFO offers it. */
		if ((data & ~MSR_MISC_FEATURES_ENABLES_CPUID_FAULT) ||
		    ((data & MSR_MISC_FEATURES_ENABLES_CPUID_FAULT) &&
		     !(vcpu->arch.msr_platform_info &
		       MSR_PLATFORM_INFO_CPUID_FAULT)))
			return 1;
		vcpu->arch.msr_misc_features = data;
		break;
	case MSR_IA32_PERF_CAPABILITIES:
		/* Only the VMM sets it, only to what is supported: nothing. */
		if (!host || data)
			return 1;
		break;
	case MSR_IA32_CR_PAT:
		if (!kvmx_pat_valid(data))
			return 1;
		kvmx_vendor->set_reg(vcpu, KVMX_PAT, data);
		break;
	case MSR_IA32_APICBASE:
		return kvmx_lapic_set_base(vcpu, data, host);
	case MSR_IA32_MISC_ENABLE:
		vcpu->arch.msr_misc_enable = data;
		break;
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		vcpu->arch.msr_system_time = data;
		kvmx_kvmclock_update(vcpu);
		break;
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		vcpu->arch.msr_wall_clock = data;
		/* A VMM restoring state only sets the value. */
		if (!host)
			kvmx_kvmclock_write_wall(vcpu, data);
		break;
	case MSR_IA32_UCODE_REV:
		/* Guests write 0 before reading it back: ignore them. */
		if (host)
			vcpu->arch.msr_ucode_rev = data;
		break;
	/* Writes KVM accepts and drops. */
	case MSR_K7_HWCR:
	case MSR_AMD64_NB_CFG:
	case MSR_IA32_UCODE_WRITE:
	case MSR_VM_HSAVE_PA:
	case MSR_AMD64_PATCH_LOADER:
	case MSR_AMD64_BU_CFG2:
	case MSR_AMD64_DC_CFG:
	case MSR_F15H_EX_CFG:
	case MSR_K7_EVNTSEL0 ... MSR_K7_EVNTSEL3:
	case MSR_K7_PERFCTR0 ... MSR_K7_PERFCTR3:
	case MSR_P6_PERFCTR0 ... MSR_P6_PERFCTR1:
	case MSR_P6_EVNTSEL0 ... MSR_P6_EVNTSEL1:
		break;
	case MSR_MTRRdefType:
		if (data & ~0xcffULL)
			return 1;
		vcpu->arch.msr_mtrr_def_type = data;
		break;
	case MTRRphysBase_MSR(0) ... MTRRphysMask_MSR(7):
		vcpu->arch.msr_mtrr_var[msr - MTRRphysBase_MSR(0)] = data;
		break;
	default:
		i = kvmx_mtrr_index(msr);
		if (i < 0)
			return 1;
		vcpu->arch.msr_mtrr_fixed[i] = data;
		break;
	}
	return 0;
}

/* RDMSR/WRMSR from the guest: 1 when done, 0 when #GP was queued. */
int kvmx_emulate_msr(struct kvmx_vcpu *vcpu, bool write)
{
	unsigned long *r = vcpu->arch.regs;
	u32 msr = r[KVMX_RCX];
	u64 data;

	if (write) {
		data = (u32)r[KVMX_RAX] | ((u64)(u32)r[KVMX_RDX] << 32);
		if (kvmx_set_msr(vcpu, msr, data, false))
			goto gp;
	} else {
		if (kvmx_get_msr(vcpu, msr, &data, false))
			goto gp;
		r[KVMX_RAX] = (u32)data;
		r[KVMX_RDX] = data >> 32;
	}
	return 1;
gp:
	kvmx_queue_exception(vcpu, GP_VECTOR, true, 0);
	return 0;
}

/* XSETBV: only XCR0, only from CPL 0, only valid feature sets. */
int kvmx_emulate_xsetbv(struct kvmx_vcpu *vcpu)
{
	unsigned long *r = vcpu->arch.regs;
	u64 val = (u32)r[KVMX_RAX] | ((u64)(u32)r[KVMX_RDX] << 32);

	if ((u32)r[KVMX_RCX] != XCR_XFEATURE_ENABLED_MASK ||
	    kvmx_vendor->get_reg(vcpu, KVMX_CPL) ||
	    kvmx_set_xcr0(vcpu, val)) {
		kvmx_queue_exception(vcpu, GP_VECTOR, true, 0);
		return 0;
	}
	return 1;
}

long kvmx_get_msr_index_list(struct kvm_msr_list __user *argp, bool feature)
{
	const u32 *list = feature ? kvmx_feature_msrs : kvmx_msrs_to_save;
	u32 n = feature ? ARRAY_SIZE(kvmx_feature_msrs) :
			  ARRAY_SIZE(kvmx_msrs_to_save);
	struct kvm_msr_list hdr;
	u32 room;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	room = hdr.nmsrs;
	hdr.nmsrs = n;
	if (copy_to_user(argp, &hdr, sizeof(hdr)))
		return -EFAULT;
	if (room < n)
		return -E2BIG;
	return copy_to_user(argp->indices, list, n * sizeof(u32)) ? -EFAULT : 0;
}

/* KVM_GET_MSRS on /dev/kvm: the feature MSRs. */
static int kvmx_get_feature_msr(u32 msr, u64 *data)
{
	switch (msr) {
	case MSR_IA32_UCODE_REV:
		*data = 0x100000000ULL;
		return 0;
	case MSR_IA32_PERF_CAPABILITIES:
		*data = 0;	/* no PMU */
		return 0;
	default:
		return 1;
	}
}

static int kvmx_msr_batch(struct kvmx_vcpu *vcpu, struct kvm_msrs __user *argp,
			  bool set)
{
	struct kvm_msr_entry *e;
	struct kvm_msrs hdr;
	int i, r;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs >= KVMX_MAX_IO_MSRS)
		return -E2BIG;
	e = memdup_user(argp->entries, hdr.nmsrs * sizeof(*e));
	if (IS_ERR(e))
		return PTR_ERR(e);

	for (i = 0; i < hdr.nmsrs; i++) {
		if (!vcpu)
			r = kvmx_get_feature_msr(e[i].index, &e[i].data);
		else if (set)
			r = kvmx_set_msr(vcpu, e[i].index, e[i].data, true);
		else
			r = kvmx_get_msr(vcpu, e[i].index, &e[i].data, true);
		if (r)
			break;
	}
	r = i;
	if (!set && copy_to_user(argp->entries, e, i * sizeof(*e)))
		r = -EFAULT;
	kfree(e);
	return r;
}

int kvmx_msrs_ioctl(struct kvmx_vcpu *vcpu, struct kvm_msrs __user *argp,
		    bool set)
{
	return kvmx_msr_batch(vcpu, argp, set);
}

int kvmx_dev_get_feature_msrs(struct kvm_msrs __user *argp)
{
	return kvmx_msr_batch(NULL, argp, false);
}
