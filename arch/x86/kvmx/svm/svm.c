// SPDX-License-Identifier: GPL-2.0
/*
 * AMD SVM backend.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": svm: " fmt

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>

#include "../vendor.h"

#define MSR_VM_CR_SVMDIS	BIT(4)

/* Where VMRUN saves host state: one page per CPU, kept while loaded. */
static DEFINE_PER_CPU(struct page *, svm_host_save_area);

static void svm_unprobe(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(svm_host_save_area, cpu))
			__free_page(per_cpu(svm_host_save_area, cpu));
		per_cpu(svm_host_save_area, cpu) = NULL;
	}
}

static int svm_probe(void)
{
	u64 vm_cr;
	int cpu;

	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & MSR_VM_CR_SVMDIS) {
		pr_err("SVM is disabled by firmware (VM_CR.SVMDIS)\n");
		return -EOPNOTSUPP;
	}
	if (!boot_cpu_has(X86_FEATURE_NPT)) {
		pr_err("kvmx needs nested paging (NPT), which this CPU lacks\n");
		return -EOPNOTSUPP;
	}

	for_each_possible_cpu(cpu) {
		struct page *page = alloc_pages_node(cpu_to_node(cpu),
						     GFP_KERNEL | __GFP_ZERO, 0);
		if (!page) {
			svm_unprobe();
			return -ENOMEM;
		}
		per_cpu(svm_host_save_area, cpu) = page;
	}
	return 0;
}

static int svm_cpu_enable(void)
{
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME)
		return -EBUSY;

	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, page_to_phys(__this_cpu_read(svm_host_save_area)));
	return 0;
}

static void svm_cpu_disable(void)
{
	u64 efer;

	wrmsrl(MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		/* Clearing SVME with GIF clear would leave interrupts blocked. */
		asm volatile("stgi" ::: "memory");
		wrmsrl(MSR_EFER, efer & ~EFER_SVME);
	}
}

const struct kvmx_vendor_ops kvmx_svm_ops = {
	.name		= "AMD SVM",
	.probe		= svm_probe,
	.unprobe	= svm_unprobe,
	.cpu_enable	= svm_cpu_enable,
	.cpu_disable	= svm_cpu_disable,
};
