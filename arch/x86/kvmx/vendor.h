/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vendor backend interface: one small table, picked once at load.
 * Each backend (svm/, vmx/) fills it in; x86 code calls only through it.
 *
 * General-purpose registers, RIP and RFLAGS live in kvmx_arch_vcpu and the
 * backend moves them in and out around guest entry.  Every other piece of
 * state lives where the hardware keeps it (VMCB, VMCS) and is reached
 * through get_reg/set_reg and get_seg/set_seg.
 */
#ifndef KVMX_X86_VENDOR_H
#define KVMX_X86_VENDOR_H

#include <linux/types.h>

struct kvmx_vcpu;
struct kvm_segment;

/* Registers reached through get_reg/set_reg. */
enum kvmx_vreg {
	KVMX_CR0, KVMX_CR2, KVMX_CR3, KVMX_CR4,
	KVMX_EFER,		/* as the guest sees it */
	KVMX_DR6, KVMX_DR7,
	KVMX_PAT,
	KVMX_CPL,
	KVMX_INT_SHADOW,	/* STI/MOV SS blocking, KVM_X86_SHADOW_INT_* */
	KVMX_NMI_MASK,		/* 1: NMIs blocked until the guest's IRET */
	KVMX_TSC_OFFSET,
	KVMX_TDP_ROOT,		/* physical address of the NPT/EPT root */
	/* MSRs the hardware switches itself */
	KVMX_STAR, KVMX_LSTAR, KVMX_CSTAR, KVMX_SFMASK, KVMX_KERNEL_GS_BASE,
	KVMX_SYSENTER_CS, KVMX_SYSENTER_ESP, KVMX_SYSENTER_EIP,
};

/* Segments, in KVM's kvm_sregs order; GDTR/IDTR use base and limit only. */
enum kvmx_seg {
	KVMX_ES, KVMX_CS, KVMX_SS, KVMX_DS, KVMX_FS, KVMX_GS,
	KVMX_TR, KVMX_LDTR, KVMX_GDTR, KVMX_IDTR,
};

/* Why the guest stopped, in vendor-neutral terms. */
enum kvmx_exit_reason {
	KVMX_EXIT_NONE,		/* handled by the backend, or a host interrupt */
	KVMX_EXIT_IO,
	KVMX_EXIT_HLT,
	KVMX_EXIT_CPUID,
	KVMX_EXIT_RDMSR,
	KVMX_EXIT_WRMSR,
	KVMX_EXIT_NPF,		/* NPT/EPT violation */
	KVMX_EXIT_SHUTDOWN,	/* triple fault */
	KVMX_EXIT_FAIL_ENTRY,
	KVMX_EXIT_HYPERCALL,	/* VMMCALL/VMCALL */
	KVMX_EXIT_XSETBV,
	KVMX_EXIT_EXCEPTION,	/* an intercepted exception (guest debug) */
	KVMX_EXIT_IRQ_WINDOW,
	KVMX_EXIT_UD,		/* instruction the guest may not run: inject #UD */
	KVMX_EXIT_UD_FAULT,	/* the guest took #UD (SVM): maybe a VMCALL */
	KVMX_EXIT_NOP,		/* instruction run as a NOP: just skip it */
	KVMX_EXIT_RDPMC,
	KVMX_EXIT_UNKNOWN,
};

struct kvmx_exit {
	enum kvmx_exit_reason reason;
	u64 hw_reason;		/* raw exit code, for FAIL_ENTRY and UNKNOWN */
	u8 insn_len;		/* 0: not known, decode it */
	union {
		struct {
			u16 port;
			u8 size;
			bool in, string, rep;
		} io;
		struct {
			u64 gpa;
			bool write, fetch, present;
		} npf;
		struct {
			u8 vector;
			u32 error_code;
			bool has_error_code;
			u64 dr6;
		} exception;
	};
};

/* An event to inject at the next entry. */
struct kvmx_event {
	u8 type;		/* KVMX_EVENT_* */
	u8 vector;
	bool has_error_code;
	u32 error_code;
};

#define KVMX_EVENT_NONE		0
#define KVMX_EVENT_INTR		1
#define KVMX_EVENT_NMI		2
#define KVMX_EVENT_EXCEPTION	3
#define KVMX_EVENT_SOFT_INTR	4

struct kvmx_vendor_ops {
	const char *name;
	bool tdp_ept;		/* EPT entries rather than NPT (x86-64) ones */

	/*
	 * Can this machine run us?  0, or a negative errno after printing
	 * exactly why not.  Also allocates what the backend needs globally.
	 */
	int (*probe)(void);
	void (*unprobe)(void);

	/* Turn virtualization on or off on the calling CPU. */
	int (*cpu_enable)(void);
	void (*cpu_disable)(void);

	/* Backend state hangs off vcpu->arch.vendor. */
	int (*vcpu_create)(struct kvmx_vcpu *vcpu);
	void (*vcpu_free)(struct kvmx_vcpu *vcpu);
	void (*vcpu_load)(struct kvmx_vcpu *vcpu, int cpu);
	void (*vcpu_put)(struct kvmx_vcpu *vcpu);

	u64 (*get_reg)(struct kvmx_vcpu *vcpu, enum kvmx_vreg reg);
	int (*set_reg)(struct kvmx_vcpu *vcpu, enum kvmx_vreg reg, u64 val);
	void (*get_seg)(struct kvmx_vcpu *vcpu, enum kvmx_seg seg,
			struct kvm_segment *s);
	void (*set_seg)(struct kvmx_vcpu *vcpu, enum kvmx_seg seg,
			const struct kvm_segment *s);

	/*
	 * Enter the guest once, with interrupts disabled, and describe why it
	 * came back.  An event queued with inject() is delivered on entry;
	 * one the exit interrupted is handed back through @reinject.
	 */
	void (*run)(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit,
		    struct kvmx_event *reinject);
	/* Injecting an NMI masks NMIs until the guest's IRET. */
	void (*inject)(struct kvmx_vcpu *vcpu, const struct kvmx_event *ev);
	void (*set_irq_window)(struct kvmx_vcpu *vcpu, bool on);
	/* Exit as soon as an NMI could be injected (mask and shadow gone). */
	void (*set_nmi_window)(struct kvmx_vcpu *vcpu, bool on);
	bool (*interrupts_allowed)(struct kvmx_vcpu *vcpu);
	void (*flush_tlb)(struct kvmx_vcpu *vcpu);
	void (*set_intercepts)(struct kvmx_vcpu *vcpu);	/* after CPUID/debug */
};

extern const struct kvmx_vendor_ops kvmx_svm_ops;
extern const struct kvmx_vendor_ops kvmx_vmx_ops;
extern const struct kvmx_vendor_ops *kvmx_vendor;

/* arch/x86/kvmx/virt.c */
int kvmx_virt_enable_all(void);
void kvmx_virt_disable_all(void);

#endif /* KVMX_X86_VENDOR_H */
