// SPDX-License-Identifier: GPL-2.0
/*
 * Machine-check architecture: the MCG and MCi MSRs, KVM_X86_SETUP_MCE,
 * KVM_X86_SET_MCE and KVM_X86_GET_MCE_CAP_SUPPORTED, as in KVM.  The
 * banks are memory only: the VMM injects the errors it wants the guest
 * to see.
 */
#include <linux/uaccess.h>
#include <asm/mce.h>

#include "x86.h"

#define KVMX_MCE_CAP_SUPPORTED	(MCG_CTL_P | MCG_SER_P)

static unsigned int mce_banks(struct kvmx_vcpu *vcpu)
{
	return vcpu->arch.mcg_cap & 0xff;
}

bool kvmx_is_mce_msr(u32 msr)
{
	return msr == MSR_IA32_MCG_CAP || msr == MSR_IA32_MCG_STATUS ||
	       msr == MSR_IA32_MCG_CTL ||
	       (msr >= MSR_IA32_MC0_CTL &&
		msr < MSR_IA32_MCx_CTL(KVMX_MAX_MCE_BANKS));
}

int kvmx_get_mce_msr(struct kvmx_vcpu *vcpu, u32 msr, u64 *data, bool host)
{
	u32 i = msr - MSR_IA32_MC0_CTL;

	switch (msr) {
	case MSR_IA32_MCG_CAP:
		*data = vcpu->arch.mcg_cap;
		return 0;
	case MSR_IA32_MCG_STATUS:
		*data = vcpu->arch.mcg_status;
		return 0;
	case MSR_IA32_MCG_CTL:
		if (!(vcpu->arch.mcg_cap & MCG_CTL_P) && !host)
			return 1;
		*data = vcpu->arch.mcg_ctl;
		return 0;
	}
	if (i >= 4 * mce_banks(vcpu))
		return 1;
	*data = vcpu->arch.mce_banks[i];
	return 0;
}

int kvmx_set_mce_msr(struct kvmx_vcpu *vcpu, u32 msr, u64 data, bool host)
{
	u32 i = msr - MSR_IA32_MC0_CTL;

	switch (msr) {
	case MSR_IA32_MCG_CAP:
		/* The VMM sets it, through KVM_X86_SETUP_MCE or here. */
		if (!host || (data & ~(KVMX_MCE_CAP_SUPPORTED | 0xff | 0xff0000)) ||
		    (data & 0xff) > KVMX_MAX_MCE_BANKS)
			return 1;
		vcpu->arch.mcg_cap = data;
		return 0;
	case MSR_IA32_MCG_STATUS:
		vcpu->arch.mcg_status = data;
		return 0;
	case MSR_IA32_MCG_CTL:
		if (!(vcpu->arch.mcg_cap & MCG_CTL_P) && (data || !host))
			return 1;
		if (data && data != ~0ULL)
			return 1;
		vcpu->arch.mcg_ctl = data;
		return 0;
	}
	if (i >= 4 * mce_banks(vcpu))
		return 1;
	/*
	 * MCi_CTL takes 0 or all ones; bit 10 of bank 4 is spared because old
	 * Linux clears it on AMD K8.  Guests write only zero to MCi_STATUS.
	 */
	if ((i & 3) == 0 && data && (data | BIT(10) | 1) != ~0ULL)
		return 1;
	if ((i & 3) == 1 && data && !host)
		return 1;
	vcpu->arch.mce_banks[i] = data;
	return 0;
}

void kvmx_mce_reset(struct kvmx_vcpu *vcpu)
{
	vcpu->arch.mcg_cap = KVMX_MAX_MCE_BANKS;
}

static int kvmx_setup_mce(struct kvmx_vcpu *vcpu, u64 mcg_cap)
{
	unsigned int banks = mcg_cap & 0xff, i;

	if (mcg_cap & ~(KVMX_MCE_CAP_SUPPORTED | 0xff | 0xff0000))
		return -EINVAL;
	if (!banks || banks > KVMX_MAX_MCE_BANKS)
		return -EINVAL;
	vcpu->arch.mcg_cap = mcg_cap;
	/* Every error class enabled, as after firmware. */
	if (mcg_cap & MCG_CTL_P)
		vcpu->arch.mcg_ctl = ~0ULL;
	for (i = 0; i < banks; i++)
		vcpu->arch.mce_banks[i * 4] = ~0ULL;
	return 0;
}

/* KVM_X86_SET_MCE: record an error and, if uncorrected, raise #MC. */
static int kvmx_set_mce(struct kvmx_vcpu *vcpu, struct kvm_x86_mce *mce)
{
	u64 *bank;

	if (mce->bank >= mce_banks(vcpu) || !(mce->status & MCI_STATUS_VAL))
		return -EINVAL;
	bank = &vcpu->arch.mce_banks[4 * mce->bank];

	if (mce->status & MCI_STATUS_UC) {
		/* Reporting switched off, globally or for the bank: dropped. */
		if (((vcpu->arch.mcg_cap & MCG_CTL_P) &&
		     vcpu->arch.mcg_ctl != ~0ULL) || bank[0] != ~0ULL)
			return 0;
		/* A second #MC, or none expected: the CPU shuts down. */
		if ((vcpu->arch.mcg_status & MCG_STATUS_MCIP) ||
		    !(kvmx_vendor->get_reg(vcpu, KVMX_CR4) & X86_CR4_MCE)) {
			vcpu->arch.triple_fault = true;
			return 0;
		}
		if (bank[1] & MCI_STATUS_VAL)
			mce->status |= MCI_STATUS_OVER;
		bank[2] = mce->addr;
		bank[3] = mce->misc;
		vcpu->arch.mcg_status = mce->mcg_status;
		bank[1] = mce->status;
		kvmx_queue_exception(vcpu, MC_VECTOR, false, 0);
	} else if (!(bank[1] & MCI_STATUS_VAL) || !(bank[1] & MCI_STATUS_UC)) {
		if (bank[1] & MCI_STATUS_VAL)
			mce->status |= MCI_STATUS_OVER;
		bank[2] = mce->addr;
		bank[3] = mce->misc;
		bank[1] = mce->status;
	} else {
		/* An uncorrected error is pending: this one is lost. */
		bank[1] |= MCI_STATUS_OVER;
	}
	return 0;
}

long kvmx_mce_ioctl(struct kvmx_vcpu *vcpu, unsigned int ioctl,
		    void __user *argp)
{
	struct kvm_x86_mce mce;
	u64 mcg_cap;

	if (ioctl == KVM_X86_SETUP_MCE) {
		if (copy_from_user(&mcg_cap, argp, sizeof(mcg_cap)))
			return -EFAULT;
		return kvmx_setup_mce(vcpu, mcg_cap);
	}
	if (copy_from_user(&mce, argp, sizeof(mce)))
		return -EFAULT;
	return kvmx_set_mce(vcpu, &mce);
}

long kvmx_get_mce_cap_supported(u64 __user *argp)
{
	u64 cap = KVMX_MCE_CAP_SUPPORTED;

	return copy_to_user(argp, &cap, sizeof(cap)) ? -EFAULT : 0;
}
