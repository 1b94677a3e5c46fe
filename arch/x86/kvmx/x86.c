// SPDX-License-Identifier: GPL-2.0
/*
 * x86 side of the generic core: vendor choice, and the x86 parts of the
 * /dev/kvm, VM and vCPU ioctls.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <asm/cpufeature.h>
#include <asm/processor.h>

#include "kvmx.h"
#include "vendor.h"

const struct kvmx_vendor_ops *kvmx_vendor;

/* Largest guest frame number the nested page tables can map. */
static u64 kvmx_max_gfn;

/*
 * Both kvmx and KVM want the CPU's virtualization extensions for
 * themselves, and only one of them can register the kernel's emergency
 * callback.  Refuse to load beside KVM rather than fight it.
 */
static bool kvmx_stock_kvm_loaded(void)
{
	if (!__symbol_get("kvm_init"))
		return false;
	__symbol_put("kvm_init");
	return true;
}

int kvmx_arch_init(void)
{
	unsigned int phys_bits;
	int r;

	if (kvmx_stock_kvm_loaded()) {
		pr_err("the kvm module is loaded; unload kvm_amd/kvm_intel and kvm first\n");
		return -EBUSY;
	}

	/* Raw CPUID: the kernel clears its own flags when firmware locks VMX out. */
	if (cpuid_ecx(0x80000001) & BIT(2)) {
		kvmx_vendor = &kvmx_svm_ops;
	} else if (cpuid_ecx(1) & BIT(5)) {
		kvmx_vendor = &kvmx_vmx_ops;
	} else {
		pr_err("this CPU has neither AMD SVM nor Intel VMX\n");
		return -EOPNOTSUPP;
	}

	r = kvmx_vendor->probe();
	if (r)
		return r;

	phys_bits = boot_cpu_data.extended_cpuid_level >= 0x80000008 ?
		    cpuid_eax(0x80000008) & 0xff : boot_cpu_data.x86_phys_bits;
	kvmx_max_gfn = (1ULL << (phys_bits - PAGE_SHIFT)) - 1;

	r = kvmx_virt_enable_all();
	if (r) {
		kvmx_vendor->unprobe();
		return r;
	}
	pr_info("using %s\n", kvmx_vendor->name);
	return 0;
}

void kvmx_arch_exit(void)
{
	kvmx_virt_disable_all();
	kvmx_vendor->unprobe();
}

u64 kvmx_arch_max_gfn(void)
{
	return kvmx_max_gfn;
}

long kvmx_arch_check_extension(struct kvmx_vm *vm, long ext)
{
	return 0;
}

long kvmx_arch_dev_ioctl(unsigned int ioctl, unsigned long arg)
{
	return -EINVAL;
}

int kvmx_arch_vm_init(struct kvmx_vm *vm, unsigned long type)
{
	/* Only the default VM type exists on x86 in KVM 6.1's ABI. */
	return type ? -EINVAL : 0;
}

void kvmx_arch_vm_destroy(struct kvmx_vm *vm)
{
}

long kvmx_arch_vm_ioctl(struct kvmx_vm *vm, unsigned int ioctl,
			unsigned long arg)
{
	return -ENOTTY;
}

int kvmx_arch_vcpu_precreate(struct kvmx_vm *vm, u32 id)
{
	return 0;
}

struct kvmx_vcpu *kvmx_arch_vcpu_alloc(void)
{
	return kzalloc(sizeof(struct kvmx_vcpu), GFP_KERNEL_ACCOUNT);
}

int kvmx_arch_vcpu_create(struct kvmx_vcpu *vcpu)
{
	return 0;
}

void kvmx_arch_vcpu_destroy(struct kvmx_vcpu *vcpu)
{
}

long kvmx_arch_vcpu_ioctl(struct kvmx_vcpu *vcpu, unsigned int ioctl,
			  unsigned long arg)
{
	return -EINVAL;
}
