// SPDX-License-Identifier: GPL-2.0
/*
 * x86 side of the generic core: vendor choice, the VM and vCPU life
 * cycle, and the x86 parts of the /dev/kvm, VM and vCPU ioctls.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#include <asm/processor.h>
#include <asm/tsc.h>

#include "x86.h"
#include "irq/irq.h"

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
	switch (ext) {
	case KVM_CAP_EXT_CPUID:
	case KVM_CAP_SET_TSS_ADDR:
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_GET_TSC_KHZ:
	case KVM_CAP_VCPU_EVENTS:
	case KVM_CAP_USER_NMI:
	case KVM_CAP_DEBUGREGS:
	case KVM_CAP_XCRS:
	case KVM_CAP_SET_IDENTITY_MAP_ADDR:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_SYNC_MMU:
	case KVM_CAP_MMU_SHADOW_CACHE_CONTROL:
	case KVM_CAP_GET_MSR_FEATURES:
	case KVM_CAP_ENABLE_CAP:
	/* The in-kernel irqchip (irq/). */
	case KVM_CAP_IRQCHIP:
	case KVM_CAP_PIT:
	case KVM_CAP_PIT2:
	case KVM_CAP_PIT_STATE2:
	case KVM_CAP_REINJECT_CONTROL:
	case KVM_CAP_IRQ_INJECT_STATUS:
	case KVM_CAP_SIGNAL_MSI:
	case KVM_CAP_IRQFD:
	case KVM_CAP_IRQFD_RESAMPLE:
	case KVM_CAP_TSC_DEADLINE_TIMER:
	case KVM_CAP_VAPIC:
	case KVM_CAP_SPLIT_IRQCHIP:
	case KVM_CAP_MSR_PLATFORM_INFO:
	case KVM_CAP_SET_BOOT_CPU_ID:
	case KVM_CAP_VCPU_ATTRIBUTES:
	case KVM_CAP_ENFORCE_PV_FEATURE_CPUID:
		return 1;
	case KVM_CAP_XSAVE:
		return boot_cpu_has(X86_FEATURE_XSAVE);
	case KVM_CAP_SYNC_REGS:
		return KVM_SYNC_X86_VALID_FIELDS;
	case KVM_CAP_MCE:
		return KVMX_MAX_MCE_BANKS;
	case KVM_CAP_ADJUST_CLOCK:
		return KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME |
		       KVM_CLOCK_HOST_TSC;
	default:
		return 0;
	}
}

long kvmx_arch_dev_ioctl(unsigned int ioctl, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case KVM_GET_SUPPORTED_CPUID:
		return kvmx_get_supported_cpuid(argp);
	case KVM_GET_MSR_INDEX_LIST:
		return kvmx_get_msr_index_list(argp, false);
	case KVM_GET_MSR_FEATURE_INDEX_LIST:
		return kvmx_get_msr_index_list(argp, true);
	case KVM_GET_MSRS:
		return kvmx_dev_get_feature_msrs(argp);
	case KVM_X86_GET_MCE_CAP_SUPPORTED:
		return kvmx_get_mce_cap_supported(argp);
	default:
		return -EINVAL;
	}
}

int kvmx_arch_vm_init(struct kvmx_vm *vm, unsigned long type)
{
	/* Only the default VM type exists on x86 in KVM 6.1's ABI. */
	if (type)
		return -EINVAL;
	vm->arch.tsc_khz = tsc_khz;
	spin_lock_init(&vm->arch.tsc_lock);
	vm->arch.guest_reads_platform_info = true;
	mutex_init(&vm->arch.irq_lock);
	kvmx_kvmclock_init(vm);
	return kvmx_mmu_create(vm);
}

int kvmx_arch_vm_enable_cap(struct kvmx_vm *vm,
			    const struct kvm_enable_cap *cap)
{
	if (cap->flags)
		return -EINVAL;
	switch (cap->cap) {
	case KVM_CAP_SPLIT_IRQCHIP:
		return kvmx_enable_split_irqchip(vm, cap->args[0]);
	case KVM_CAP_MSR_PLATFORM_INFO:
		WRITE_ONCE(vm->arch.guest_reads_platform_info, !!cap->args[0]);
		return 0;
	default:
		return -EINVAL;
	}
}

/* KVM_SET_BOOT_CPU_ID: only before the first vCPU, which it would concern. */
static int kvmx_set_boot_cpu_id(struct kvmx_vm *vm, unsigned long id)
{
	int r = 0;

	mutex_lock(&vm->lock);
	if (vm->created_vcpus)
		r = -EBUSY;
	else
		vm->arch.bsp_vcpu_id = id;	/* truncated to 32 bits, as KVM */
	mutex_unlock(&vm->lock);
	return r;
}

void kvmx_arch_vm_destroy_devices(struct kvmx_vm *vm)
{
	kvmx_irqchip_destroy(vm);
}

void kvmx_arch_vm_destroy(struct kvmx_vm *vm)
{
	kvmx_mmu_destroy(vm);
	/* Last: the PIT and the irqchip raise GSIs until they are gone. */
	kvmx_irq_routing_free(vm);
}

void kvmx_arch_commit_memslot(struct kvmx_vm *vm, struct kvmx_memslot *old,
			      struct kvmx_memslot *new)
{
	/* Gone, moved, or now logging: the old mappings must fault again. */
	if (old && (!new || new->base_gfn != old->base_gfn ||
		    (new->dirty_bitmap && !old->dirty_bitmap)))
		kvmx_mmu_zap_slot(vm, old);
}

void kvmx_arch_protect_dirty(struct kvmx_vm *vm, struct kvmx_memslot *slot,
			     const unsigned long *bits)
{
	kvmx_mmu_zap_dirty(vm, slot, bits);
}

/*
 * KVM_{SET,GET}_NR_MMU_PAGES size the shadow-page cache of KVM's older MMU.
 * kvmx has only NPT/EPT tables, which need no budget: the value is kept
 * and reported, and the default is KVM's, 2% of the guest's pages.
 */
#define KVMX_MIN_MMU_PAGES	64UL

static unsigned long kvmx_nr_mmu_pages(struct kvmx_vm *vm)
{
	unsigned long n = READ_ONCE(vm->arch.nr_mmu_pages), pages = 0;
	struct kvmx_memslots *slots;
	int i, idx;

	if (n)
		return n;
	idx = srcu_read_lock(&vm->srcu);
	slots = kvmx_memslots(vm);
	for (i = 0; i < slots->nr; i++)
		pages += slots->slots[i]->npages;
	srcu_read_unlock(&vm->srcu, idx);
	return pages ? max(pages * 20 / 1000, KVMX_MIN_MMU_PAGES) : 0;
}

long kvmx_arch_vm_ioctl(struct kvmx_vm *vm, unsigned int ioctl,
			unsigned long arg)
{
	switch (ioctl) {
	case KVM_SET_NR_MMU_PAGES:
		if (arg < KVMX_MIN_MMU_PAGES)
			return -EINVAL;
		WRITE_ONCE(vm->arch.nr_mmu_pages, arg);
		return 0;
	case KVM_GET_NR_MMU_PAGES:
		return kvmx_nr_mmu_pages(vm);
	case KVM_SET_TSS_ADDR:
		/* Only VMX without unrestricted guest needs it; accept as KVM. */
		return arg > 0xffffffffUL - 3 * PAGE_SIZE ? -EINVAL : 0;
	case KVM_GET_CLOCK: {
		struct kvm_clock_data data;

		kvmx_get_clock(vm, &data);
		return copy_to_user((void __user *)arg, &data, sizeof(data)) ?
		       -EFAULT : 0;
	}
	case KVM_SET_CLOCK: {
		struct kvm_clock_data data;

		if (copy_from_user(&data, (void __user *)arg, sizeof(data)))
			return -EFAULT;
		return kvmx_set_clock(vm, &data);
	}
	case KVM_SET_BOOT_CPU_ID:
		return kvmx_set_boot_cpu_id(vm, arg);
	case KVM_SET_IDENTITY_MAP_ADDR: {
		u64 addr;

		if (copy_from_user(&addr, (void __user *)arg, sizeof(addr)))
			return -EFAULT;
		return 0;
	}
	default:
		return kvmx_irqchip_vm_ioctl(vm, ioctl, arg);
	}
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
	struct kvmx_vm *vm = vcpu->vm;
	u64 tsc_offset;
	int r;

	if (!fpu_alloc_guest_fpstate(&vcpu->arch.guest_fpu))
		return -ENOMEM;
	r = kvmx_emul_create(vcpu);
	if (!r)
		r = kvmx_vendor->vcpu_create(vcpu);
	if (r)
		goto out_emul;
	kvmx_vendor->set_reg(vcpu, KVMX_TDP_ROOT, kvmx_mmu_root(vcpu->vm));
	kvmx_x86_vcpu_reset(vcpu);
	kvmx_lapic_reset(vcpu, false);	/* the APIC base, with or without one */
	kvmx_mce_reset(vcpu);
	/* As KVM: CPUID faulting is on offer (cpuid.c honours it). */
	vcpu->arch.msr_platform_info = MSR_PLATFORM_INFO_CPUID_FAULT;
	/* After the reset: the LAPIC decides the APIC base and MP state. */
	r = kvmx_irqchip_vcpu_create(vcpu);
	if (r)
		goto out_vendor;

	/*
	 * As KVM: the TSC starts at 0 with the first vCPU, and later ones
	 * take the VM's offset, the last one KVM_VCPU_TSC_OFFSET set.
	 */
	spin_lock(&vm->arch.tsc_lock);
	if (!vm->arch.tsc_started) {
		vm->arch.tsc_offset = -rdtsc();
		vm->arch.tsc_started = true;
	}
	tsc_offset = vm->arch.tsc_offset;
	spin_unlock(&vm->arch.tsc_lock);
	kvmx_vendor->set_reg(vcpu, KVMX_TSC_OFFSET, tsc_offset);
	return 0;

out_vendor:
	kvmx_vendor->vcpu_free(vcpu);
out_emul:
	kvmx_emul_free(vcpu);
	fpu_free_guest_fpstate(&vcpu->arch.guest_fpu);
	return r;
}

void kvmx_arch_vcpu_destroy(struct kvmx_vcpu *vcpu)
{
	kvmx_irqchip_vcpu_free(vcpu);
	kvmx_vendor->vcpu_free(vcpu);
	kvmx_mmu_vcpu_free(vcpu);
	kvmx_emul_free(vcpu);
	fpu_free_guest_fpstate(&vcpu->arch.guest_fpu);
	kvfree(vcpu->arch.cpuid);
}

void kvmx_arch_vcpu_load(struct kvmx_vcpu *vcpu, int cpu)
{
	/* A vCPU that changed CPUs finds that CPU's TLB without its entries. */
	if (vcpu->cpu != cpu)
		kvmx_vendor->flush_tlb(vcpu);
	vcpu->cpu = cpu;
	kvmx_vendor->vcpu_load(vcpu, cpu);
}

void kvmx_arch_vcpu_put(struct kvmx_vcpu *vcpu)
{
	kvmx_vendor->vcpu_put(vcpu);
}

/*
 * Without TSC scaling, KVM accepts only the host's rate, give or take its
 * 250 ppm tolerance (0 meaning the host's).
 */
static int kvmx_set_tsc_khz(struct kvmx_vcpu *vcpu, u32 khz)
{
	u64 host = vcpu->vm->arch.tsc_khz;
	u64 diff = khz > host ? khz - host : host - khz;

	if (!khz || diff * 1000000 <= host * 250)
		return 0;
	return -EINVAL;
}

/*
 * The vCPU's attributes: KVM 6.1 has one, KVM_VCPU_TSC_CTRL's
 * KVM_VCPU_TSC_OFFSET, the guest's TSC offset from the host's.
 */
static int kvmx_vcpu_device_attr(struct kvmx_vcpu *vcpu, unsigned int ioctl,
				 void __user *argp)
{
	struct kvmx_vm *vm = vcpu->vm;
	struct kvm_device_attr attr;
	u64 __user *uaddr;
	u64 offset;

	if (copy_from_user(&attr, argp, sizeof(attr)))
		return -EFAULT;
	if (attr.group != KVM_VCPU_TSC_CTRL ||
	    attr.attr != KVM_VCPU_TSC_OFFSET)
		return -ENXIO;
	if (ioctl == KVM_HAS_DEVICE_ATTR)
		return 0;

	uaddr = u64_to_user_ptr(attr.addr);
	if (ioctl == KVM_GET_DEVICE_ATTR)
		return put_user(kvmx_vendor->get_reg(vcpu, KVMX_TSC_OFFSET),
				uaddr) ? -EFAULT : 0;
	if (get_user(offset, uaddr))
		return -EFAULT;
	/* As KVM, vCPUs created from now on start from this offset too. */
	spin_lock(&vm->arch.tsc_lock);
	vm->arch.tsc_offset = offset;
	spin_unlock(&vm->arch.tsc_lock);
	kvmx_write_tsc_offset(vcpu, offset);
	return 0;
}

/* KVM_ENABLE_CAP on a vCPU; an unknown capability is EINVAL, as in KVM. */
static int kvmx_vcpu_enable_cap(struct kvmx_vcpu *vcpu,
				const struct kvm_enable_cap *cap)
{
	if (cap->flags)
		return -EINVAL;
	switch (cap->cap) {
	case KVM_CAP_ENFORCE_PV_FEATURE_CPUID:
		/* The bits were read at KVM_SET_CPUID2; any args[0] but 0 is on. */
		vcpu->arch.pv_enforce = !!cap->args[0];
		return 0;
	default:
		return -EINVAL;
	}
}

long kvmx_arch_vcpu_ioctl(struct kvmx_vcpu *vcpu, unsigned int ioctl,
			  unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case KVM_SET_CPUID2:
		return kvmx_set_cpuid2(vcpu, argp);
	case KVM_GET_CPUID2:
		return kvmx_get_cpuid2(vcpu, argp);
	case KVM_GET_MSRS:
		return kvmx_msrs_ioctl(vcpu, argp, false);
	case KVM_SET_MSRS:
		return kvmx_msrs_ioctl(vcpu, argp, true);
	case KVM_GET_TSC_KHZ:
		return vcpu->vm->arch.tsc_khz;
	case KVM_X86_SETUP_MCE:
	case KVM_X86_SET_MCE:
		return kvmx_mce_ioctl(vcpu, ioctl, argp);
	case KVM_SET_TSC_KHZ:
		return kvmx_set_tsc_khz(vcpu, (u32)arg);
	case KVM_HAS_DEVICE_ATTR:
	case KVM_GET_DEVICE_ATTR:
	case KVM_SET_DEVICE_ATTR:
		return kvmx_vcpu_device_attr(vcpu, ioctl, argp);
	case KVM_ENABLE_CAP: {
		struct kvm_enable_cap cap;

		if (copy_from_user(&cap, argp, sizeof(cap)))
			return -EFAULT;
		return kvmx_vcpu_enable_cap(vcpu, &cap);
	}
	case KVM_TRANSLATE: {
		struct kvm_translation tr;

		if (copy_from_user(&tr, argp, sizeof(tr)))
			return -EFAULT;
		kvmx_translate(vcpu, &tr);
		return copy_to_user(argp, &tr, sizeof(tr)) ? -EFAULT : 0;
	}
	default:
		return kvmx_x86_state_ioctl(vcpu, ioctl, argp);
	}
}
