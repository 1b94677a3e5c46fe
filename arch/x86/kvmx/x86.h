/* SPDX-License-Identifier: GPL-2.0 */
/* x86 internals shared by the files of arch/x86/kvmx. */
#ifndef KVMX_X86_H
#define KVMX_X86_H

#include <asm/msr-index.h>
#include <asm/processor.h>	/* enum cpuid_regs_idx */

#include "kvmx.h"
#include "vendor.h"

/*
 * The BSP: the vCPU KVM_SET_BOOT_CPU_ID named comes out of RESET with
 * IA32_APIC_BASE.BSP set; after that the flag in IA32_APIC_BASE decides.
 */
static inline bool kvmx_vcpu_is_reset_bsp(struct kvmx_vcpu *vcpu)
{
	return vcpu->vcpu_id == vcpu->vm->arch.bsp_vcpu_id;
}

static inline bool kvmx_vcpu_is_bsp(struct kvmx_vcpu *vcpu)
{
	return vcpu->arch.apic_base & MSR_IA32_APICBASE_BSP;
}

/* run.c */
int kvmx_x86_vcpu_reset(struct kvmx_vcpu *vcpu);
void kvmx_x86_vcpu_init(struct kvmx_vcpu *vcpu);
void kvmx_x86_vcpu_sipi(struct kvmx_vcpu *vcpu, u8 vector);
void kvmx_load_guest_dr0_3(struct kvmx_vcpu *vcpu, unsigned long *host);
void kvmx_load_host_dr0_3(struct kvmx_vcpu *vcpu, const unsigned long *host);
u32 kvmx_load_guest_pkru(struct kvmx_vcpu *vcpu, u64 guest_cr4);
void kvmx_load_host_pkru(struct kvmx_vcpu *vcpu, u64 guest_cr4, u32 host);
void kvmx_queue_exception(struct kvmx_vcpu *vcpu, u8 vector, bool has_error,
			  u32 error_code);
/* NMIs: send one (KVM_NMI, the LAPIC; any context), count them in. */
void kvmx_queue_nmi(struct kvmx_vcpu *vcpu);
void kvmx_process_nmi(struct kvmx_vcpu *vcpu);
bool kvmx_nmi_blocked(struct kvmx_vcpu *vcpu);
bool kvmx_nmi_wakes(struct kvmx_vcpu *vcpu);


/* emul.c */
int kvmx_emul_create(struct kvmx_vcpu *vcpu);
void kvmx_emul_free(struct kvmx_vcpu *vcpu);
int kvmx_insn_len(struct kvmx_vcpu *vcpu);
int kvmx_emulate(struct kvmx_vcpu *vcpu);
int kvmx_complete_mmio(struct kvmx_vcpu *vcpu);
int kvmx_string_pio(struct kvmx_vcpu *vcpu, const struct kvmx_exit *exit);
int kvmx_complete_string_pio(struct kvmx_vcpu *vcpu);
int kvmx_translate(struct kvmx_vcpu *vcpu, struct kvm_translation *tr);
bool kvmx_fix_hypercall(struct kvmx_vcpu *vcpu, u64 la);

/* regs.c: the state ioctls */
u64 kvmx_supported_xcr0(void);
int kvmx_set_xcr0(struct kvmx_vcpu *vcpu, u64 xcr0);
void kvmx_seg_from_ar(enum kvmx_seg seg, struct kvm_segment *var, u32 ar,
		      u8 cpl);
int kvmx_sync_regs_in(struct kvmx_vcpu *vcpu);
void kvmx_sync_regs_out(struct kvmx_vcpu *vcpu);
long kvmx_x86_state_ioctl(struct kvmx_vcpu *vcpu, unsigned int ioctl,
			  void __user *argp);

/* cpuid.c */
long kvmx_get_supported_cpuid(struct kvm_cpuid2 __user *argp);
int kvmx_set_cpuid2(struct kvmx_vcpu *vcpu, struct kvm_cpuid2 __user *argp);
int kvmx_get_cpuid2(struct kvmx_vcpu *vcpu, struct kvm_cpuid2 __user *argp);
int kvmx_emulate_cpuid(struct kvmx_vcpu *vcpu);
struct kvm_cpuid_entry2 *kvmx_find_cpuid(struct kvmx_vcpu *vcpu, u32 fn,
					 u32 index);
bool kvmx_guest_cpuid_has(struct kvmx_vcpu *vcpu, u32 fn,
			  enum cpuid_regs_idx reg, u32 mask);

/* A KVM_FEATURE_* the guest may use: all, unless the VMM enforces CPUID. */
static inline bool kvmx_guest_pv_has(struct kvmx_vcpu *vcpu,
				     unsigned int feature)
{
	return !vcpu->arch.pv_enforce || (vcpu->arch.pv_features & BIT(feature));
}

/* msr.c */
int kvmx_emulate_msr(struct kvmx_vcpu *vcpu, bool write);
int kvmx_emulate_xsetbv(struct kvmx_vcpu *vcpu);
int kvmx_get_msr(struct kvmx_vcpu *vcpu, u32 index, u64 *data, bool host);
void kvmx_write_tsc_offset(struct kvmx_vcpu *vcpu, u64 offset);
int kvmx_set_msr(struct kvmx_vcpu *vcpu, u32 index, u64 data, bool host);
long kvmx_get_msr_index_list(struct kvm_msr_list __user *argp, bool feature);
int kvmx_msrs_ioctl(struct kvmx_vcpu *vcpu, struct kvm_msrs __user *argp,
		    bool set);
int kvmx_dev_get_feature_msrs(struct kvm_msrs __user *argp);

/* mce.c */
#define KVMX_MAX_MCE_BANKS	32
bool kvmx_is_mce_msr(u32 msr);
int kvmx_get_mce_msr(struct kvmx_vcpu *vcpu, u32 msr, u64 *data, bool host);
int kvmx_set_mce_msr(struct kvmx_vcpu *vcpu, u32 msr, u64 data, bool host);
void kvmx_mce_reset(struct kvmx_vcpu *vcpu);
long kvmx_mce_ioctl(struct kvmx_vcpu *vcpu, unsigned int ioctl,
		    void __user *argp);
long kvmx_get_mce_cap_supported(u64 __user *argp);

/* kvmclock.c */
void kvmx_kvmclock_init(struct kvmx_vm *vm);
void kvmx_kvmclock_update(struct kvmx_vcpu *vcpu);
void kvmx_kvmclock_write_wall(struct kvmx_vcpu *vcpu, u64 gpa);
int kvmx_get_clock(struct kvmx_vm *vm, struct kvm_clock_data *data);
int kvmx_set_clock(struct kvmx_vm *vm, const struct kvm_clock_data *data);

/* mmu/mmu.c */
int kvmx_mmu_create(struct kvmx_vm *vm);
void kvmx_mmu_destroy(struct kvmx_vm *vm);
u64 kvmx_mmu_root(struct kvmx_vm *vm);
int kvmx_mmu_page_fault(struct kvmx_vcpu *vcpu, u64 gpa, bool write);
void kvmx_mmu_zap_slot(struct kvmx_vm *vm, struct kvmx_memslot *slot);
void kvmx_mmu_zap_gfns(struct kvmx_vm *vm, u64 start, u64 end);
void kvmx_mmu_zap_dirty(struct kvmx_vm *vm, struct kvmx_memslot *slot,
			const unsigned long *bits);
int kvmx_mmu_levels(struct kvmx_vm *vm);
void kvmx_mmu_vcpu_free(struct kvmx_vcpu *vcpu);

/* Debug registers at reset. */
#define KVMX_DR6_INIT	0xffff0ff0UL
#define KVMX_DR7_INIT	0x400UL

/* #PF and NPF error code bits. */
#define KVMX_PFERR_PRESENT	BIT(0)
#define KVMX_PFERR_WRITE	BIT(1)
#define KVMX_PFERR_USER		BIT(2)
#define KVMX_PFERR_RSVD		BIT(3)
#define KVMX_PFERR_FETCH	BIT(4)

/* DR7 bits that enable a breakpoint: L0-3, G0-3. */
#define KVMX_DR7_ENABLED	0xffUL

#define KVMX_PF_MAPPED	0	/* retry the access */
#define KVMX_PF_MMIO	1	/* no memory there: emulate */

/* irq/irqchip.c */
long kvmx_irqchip_vm_ioctl(struct kvmx_vm *vm, unsigned int ioctl,
			   unsigned long arg);
void kvmx_irqchip_destroy(struct kvmx_vm *vm);
int kvmx_enable_split_irqchip(struct kvmx_vm *vm, u64 nr_pins);
int kvmx_irqchip_vcpu_create(struct kvmx_vcpu *vcpu);
void kvmx_irqchip_vcpu_free(struct kvmx_vcpu *vcpu);
int kvmx_irqchip_vcpu_ioctl(struct kvmx_vcpu *vcpu, unsigned int ioctl,
			    void __user *argp);
bool kvmx_irqchip_has_interrupt(struct kvmx_vcpu *vcpu);
int kvmx_irqchip_next_vector(struct kvmx_vcpu *vcpu);
void kvmx_irqchip_accept_events(struct kvmx_vcpu *vcpu);

#endif /* KVMX_X86_H */
