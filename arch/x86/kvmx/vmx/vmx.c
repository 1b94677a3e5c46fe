// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VMX backend.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": vmx: " fmt

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <asm/asm.h>
#include <asm/msr.h>
#include <asm/tlbflush.h>
#include <asm/vmx.h>

#include "../vendor.h"

static u32 vmx_revision_id;

/* The VMXON region: one page per CPU, kept while loaded. */
static DEFINE_PER_CPU(struct page *, vmx_vmxon_region);

static void vmx_unprobe(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(vmx_vmxon_region, cpu))
			__free_page(per_cpu(vmx_vmxon_region, cpu));
		per_cpu(vmx_vmxon_region, cpu) = NULL;
	}
}

static bool vmx_allowed1(u32 msr, u32 bits)
{
	u64 v;

	rdmsrl(msr, v);
	return ((v >> 32) & bits) == bits;
}

static int vmx_probe(void)
{
	u64 feat, basic;
	int cpu;

	rdmsrl(MSR_IA32_FEAT_CTL, feat);
	if (!(feat & FEAT_CTL_LOCKED) ||
	    !(feat & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("VMX is disabled by firmware (IA32_FEATURE_CONTROL=%#llx)\n",
		       feat);
		return -EOPNOTSUPP;
	}
	if (!vmx_allowed1(MSR_IA32_VMX_PROCBASED_CTLS,
			  CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) ||
	    !vmx_allowed1(MSR_IA32_VMX_PROCBASED_CTLS2,
			  SECONDARY_EXEC_ENABLE_EPT |
			  SECONDARY_EXEC_UNRESTRICTED_GUEST)) {
		pr_err("kvmx needs EPT and unrestricted guest, which this CPU lacks\n");
		return -EOPNOTSUPP;
	}

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	vmx_revision_id = basic & 0x7fffffff;

	for_each_possible_cpu(cpu) {
		struct page *page = alloc_pages_node(cpu_to_node(cpu),
						     GFP_KERNEL | __GFP_ZERO, 0);
		if (!page) {
			vmx_unprobe();
			return -ENOMEM;
		}
		*(u32 *)page_address(page) = vmx_revision_id;
		per_cpu(vmx_vmxon_region, cpu) = page;
	}
	return 0;
}

/* VMXON #GPs unless CR0 and CR4 honour the fixed bits. */
static bool vmx_host_crs_ok(void)
{
	u64 fixed0, fixed1;
	unsigned long cr0 = read_cr0(), cr4 = __read_cr4() | X86_CR4_VMXE;

	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, fixed1);
	if ((cr0 & fixed0) != fixed0 || (cr0 & ~fixed1))
		return false;
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, fixed1);
	return (cr4 & fixed0) == fixed0 && !(cr4 & ~fixed1);
}

static int vmx_cpu_enable(void)
{
	u64 pa = page_to_phys(__this_cpu_read(vmx_vmxon_region));

	if (__read_cr4() & X86_CR4_VMXE)
		return -EBUSY;
	if (!vmx_host_crs_ok())
		return -EIO;

	cr4_set_bits(X86_CR4_VMXE);
	asm goto("1: vmxon %[pa]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fail])
		 : : [pa] "m" (pa) : "cc", "memory" : fail);
	return 0;
fail:
	cr4_clear_bits(X86_CR4_VMXE);
	return -EIO;
}

static void vmx_cpu_disable(void)
{
	/* VMXOFF faults if a crash caught us outside VMX operation. */
	asm goto("1: vmxoff\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : : "cc", "memory" : fault);
fault:
	cr4_clear_bits(X86_CR4_VMXE);
}

const struct kvmx_vendor_ops kvmx_vmx_ops = {
	.name		= "Intel VMX",
	.probe		= vmx_probe,
	.unprobe	= vmx_unprobe,
	.cpu_enable	= vmx_cpu_enable,
	.cpu_disable	= vmx_cpu_disable,
};
