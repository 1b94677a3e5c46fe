/* SPDX-License-Identifier: GPL-2.0 */
/* x86 state embedded in the generic VM and vCPU. */
#ifndef KVMX_X86_ARCH_H
#define KVMX_X86_ARCH_H

#include <linux/kvm.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <asm/fpu/types.h>

/* GPRs in hardware encoding order, then RIP. */
enum kvmx_gpr {
	KVMX_RAX, KVMX_RCX, KVMX_RDX, KVMX_RBX,
	KVMX_RSP, KVMX_RBP, KVMX_RSI, KVMX_RDI,
	KVMX_R8, KVMX_R9, KVMX_R10, KVMX_R11,
	KVMX_R12, KVMX_R13, KVMX_R14, KVMX_R15,
	KVMX_RIP,
	KVMX_NR_GPRS,
};

struct kvmx_mmu;
struct kvmx_pic;
struct kvmx_ioapic;
struct kvmx_pit;
struct kvmx_irq_routes;
struct kvmx_lapic;

/* Who models the interrupt controllers (KVM_CREATE_IRQCHIP, the split). */
enum kvmx_irqchip_mode {
	KVMX_IRQCHIP_NONE,	/* userspace: KVM_INTERRUPT, KVM_EXIT_HLT */
	KVMX_IRQCHIP_KERNEL,	/* PIC, IOAPIC and LAPICs in the kernel */
	KVMX_IRQCHIP_SPLIT,	/* LAPICs here, PIC and IOAPIC in userspace */
};

/* Spare NPT/EPT table pages for the next fault (mmu/mmu.c). */
struct kvmx_table_cache {
	u64 *pages[6];
	int nr;
};
struct x86_emul;

struct kvmx_arch_vm {
	struct kvmx_mmu *mmu;
	u64 tsc_khz;
	/* The TSC offset new vCPUs adopt: TSC 0 at the first, or the last set. */
	spinlock_t tsc_lock;
	u64 tsc_offset;
	bool tsc_started;
	unsigned long nr_mmu_pages;	/* KVM_SET_NR_MMU_PAGES, 0: default */
	u32 bsp_vcpu_id;		/* KVM_SET_BOOT_CPU_ID, 0 by default */
	bool guest_reads_platform_info;	/* KVM_CAP_MSR_PLATFORM_INFO */

	/* kvmclock: the master line and the guest's offset from it. */
	u64 master_tsc, master_ns;
	s64 kvmclock_offset;
	u32 clock_mul;
	s8 clock_shift;
	bool master_stable;
	u32 wall_version;

	/* irq/: set once by KVM_CREATE_IRQCHIP / KVM_CREATE_PIT2. */
	enum kvmx_irqchip_mode irqchip;
	u32 nr_reserved_ioapic_pins;	/* split: GSIs of userspace's IOAPIC */
	struct kvmx_pic *pic;
	struct kvmx_ioapic *ioapic;
	struct kvmx_pit *pit;
	struct mutex irq_lock;		/* routing updates */
	struct kvmx_irq_routes __rcu *irq_routes;
};

/* An exit to userspace that must be completed on the next KVM_RUN. */
enum kvmx_pending_io {
	KVMX_PENDING_NONE,
	KVMX_PENDING_PIO,	/* skip IN/OUT, for IN copy the data to RAX */
	KVMX_PENDING_MMIO,	/* finish the emulated instruction */
	KVMX_PENDING_STRING_PIO,	/* store INS data, step RSI/RDI/RCX */
};

struct kvmx_string_pio {
	u64 amask;			/* address-size mask */
	u32 count;			/* elements in this exit */
	u8 size, len;
	bool in, rep;
};

struct kvmx_arch_vcpu {
	unsigned long regs[KVMX_NR_GPRS];
	u64 rflags;
	void *vendor;			/* struct svm_vcpu or vmx_vcpu */
	struct x86_emul *emul;		/* the instruction in flight */
	struct kvmx_table_cache table_cache;

	struct fpu_guest guest_fpu;
	u64 xcr0;
	u32 pkru;
	unsigned long db[4];		/* DR0-3 */

	u64 apic_base;
	u64 cr8;
	struct kvmx_lapic *apic;	/* NULL without an in-kernel irqchip */
	unsigned long apic_events;	/* KVMX_APIC_* (irq/irq.h) */
	struct {
		u64 rip;
		bool is_write;
	} tpr_access;			/* for KVM_EXIT_TPR_ACCESS */
	u8 sipi_vector;
	u8 pending_ioapic_eoi;		/* for KVM_EXIT_IOAPIC_EOI */
	u32 mp_state;

	struct kvm_cpuid_entry2 *cpuid;
	int cpuid_nent;
	/* KVM_CAP_ENFORCE_PV_FEATURE_CPUID, and the KVM_FEATURE_* it checks. */
	bool pv_enforce;
	u32 pv_features;

	/* Guest MSRs kvmx keeps itself. */
	u64 msr_misc_enable;
	u64 mcg_cap, mcg_status, mcg_ctl;
	u64 mce_banks[4 * 32];		/* CTL, STATUS, ADDR, MISC per bank */
	bool triple_fault;		/* shut down at the next entry */
	u64 msr_system_time;		/* kvmclock page, bit 0: enabled */
	u64 msr_wall_clock;
	u32 pvclock_version;
	u64 msr_ucode_rev;
	u64 msr_tsc_aux;
	u64 msr_tsc_adjust;		/* IA32_TSC_ADJUST */
	u64 msr_platform_info;
	u64 msr_misc_features;		/* MISC_FEATURES_ENABLES: CPUID faulting */
	u64 msr_mtrr_def_type;
	u64 msr_mtrr_fixed[11];
	u64 msr_mtrr_var[16];		/* base/mask pairs */

	/* Events: one injected, one exception waiting, as KVM's events ABI. */
	struct kvm_vcpu_events events;
	/* NMIs sent (KVM_NMI, the LAPIC) not yet added to events.nmi.pending. */
	atomic_t nmi_queued;
	bool irq_pending;		/* KVM_INTERRUPT with no APIC */
	u8 irq_vector;

	enum kvmx_pending_io pending;
	struct {
		u64 linear_rip;		/* where the IN/OUT was */
		u8 size;
		u8 len;			/* instruction length */
		bool in;
	} pio;
	struct kvmx_string_pio spio;

	u32 guest_debug;		/* KVM_GUESTDBG_* */
	unsigned long dbg_db[4];	/* KVM_GUESTDBG_USE_HW_BP's DR0-3 */
	u64 guest_dr7;			/* the guest's DR7 meanwhile */
	bool has_run;			/* CPUID is frozen from then on */
};

#endif /* KVMX_X86_ARCH_H */
