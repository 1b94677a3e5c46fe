// SPDX-License-Identifier: GPL-2.0
/*
 * AMD SVM backend: one VMCB per vCPU, nested paging always on.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": svm: " fmt

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/svm.h>
#include <trace/events/ipi.h>	/* for smp_send_reschedule() */

#include "kvmx.h"
#include "../vendor.h"
#include "../x86.h"
#include "svm.h"

#define MSR_VM_CR_SVMDIS	BIT(4)

/* The VMCB layout is the hardware's; check the fields the code relies on. */
static_assert(sizeof(struct vmcb) <= PAGE_SIZE);
static_assert(offsetof(struct vmcb, save) == 0x400);
static_assert(offsetof(struct vmcb_save_area, efer) == 0xd0);
static_assert(offsetof(struct vmcb_save_area, rip) == 0x178);
static_assert(offsetof(struct vmcb_save_area, rax) == 0x1f8);
static_assert(offsetof(struct vmcb_save_area, g_pat) == 0x268);

#define IOPM_ORDER	2	/* 12 KiB used */
#define MSRPM_ORDER	1	/* 8 KiB */

struct svm_cpu {
	struct page *host_save_area;	/* VM_HSAVE_PA */
	struct page *host_vmsave_area;	/* host VMSAVE/VMLOAD state */
	u32 next_asid;
	u64 asid_generation;
};

struct svm_vcpu {
	struct vmcb *vmcb;
	u64 vmcb_pa;
	u64 guest_efer;			/* EFER as the guest sees it */
	u32 asid;
	u64 asid_generation;
	int asid_cpu;
	bool flush_asid;		/* flush this ASID on the next entry */
	unsigned long host_dr[4];

	/*
	 * Without vNMI the CPU does not track NMI blocking for the guest:
	 * kvmx does, from the injection to the guest's IRET (see svm_run).
	 */
	bool nmi_masked;
	bool iret_seen;			/* the IRET exited; it runs next */
	u64 iret_rip;
	bool nmi_window;		/* an NMI waits: exit when it can go */
};

static DEFINE_PER_CPU(struct svm_cpu, svm_cpu);
static u32 svm_max_asid;
static bool svm_has_flush_by_asid;
static void *svm_iopm;		/* shared by all vCPUs: intercept every port */
static void *svm_msrpm;		/* shared: intercept all but a few MSRs */


static struct svm_vcpu *to_svm(struct kvmx_vcpu *vcpu)
{
	return vcpu->arch.vendor;
}

/* ---- Load-time setup ------------------------------------------------ */

/*
 * MSRs that VMLOAD/VMSAVE switch anyway: the guest reads and writes them
 * directly, and kvmx reads them from the VMCB.
 */
static const u32 svm_passthrough_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
};

static void svm_msrpm_allow(u32 msr)
{
	u32 base, offset;

	if (msr < 0x2000)
		base = 0;
	else if (msr - 0xc0000000 < 0x2000)
		base = 0x800, msr -= 0xc0000000;
	else
		base = 0x1000, msr -= 0xc0010000;
	/* Two bits per MSR: read intercept, write intercept. */
	offset = base * 8 + msr * 2;
	__clear_bit(offset, svm_msrpm);
	__clear_bit(offset + 1, svm_msrpm);
}

static void svm_unprobe(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sc = per_cpu_ptr(&svm_cpu, cpu);

		if (sc->host_save_area)
			__free_page(sc->host_save_area);
		if (sc->host_vmsave_area)
			__free_page(sc->host_vmsave_area);
		sc->host_save_area = sc->host_vmsave_area = NULL;
	}
	if (svm_iopm)
		free_pages((unsigned long)svm_iopm, IOPM_ORDER);
	if (svm_msrpm)
		free_pages((unsigned long)svm_msrpm, MSRPM_ORDER);
	svm_iopm = svm_msrpm = NULL;
}

static int svm_probe(void)
{
	u64 vm_cr;
	int cpu, i;

	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & MSR_VM_CR_SVMDIS) {
		pr_err("SVM is disabled by firmware (VM_CR.SVMDIS)\n");
		return -EOPNOTSUPP;
	}
	if (!(cpuid_edx(0x8000000a) & BIT(0))) {
		pr_err("kvmx needs nested paging (NPT), which this CPU lacks\n");
		return -EOPNOTSUPP;
	}
	svm_max_asid = cpuid_ebx(0x8000000a) - 1;
	svm_has_flush_by_asid = cpuid_edx(0x8000000a) & BIT(6);

	svm_iopm = (void *)__get_free_pages(GFP_KERNEL, IOPM_ORDER);
	svm_msrpm = (void *)__get_free_pages(GFP_KERNEL, MSRPM_ORDER);
	if (!svm_iopm || !svm_msrpm)
		goto nomem;
	memset(svm_iopm, 0xff, PAGE_SIZE << IOPM_ORDER);
	memset(svm_msrpm, 0xff, PAGE_SIZE << MSRPM_ORDER);
	for (i = 0; i < ARRAY_SIZE(svm_passthrough_msrs); i++)
		svm_msrpm_allow(svm_passthrough_msrs[i]);

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sc = per_cpu_ptr(&svm_cpu, cpu);

		sc->host_save_area = alloc_pages_node(cpu_to_node(cpu),
						      GFP_KERNEL | __GFP_ZERO, 0);
		sc->host_vmsave_area = alloc_pages_node(cpu_to_node(cpu),
							GFP_KERNEL | __GFP_ZERO, 0);
		if (!sc->host_save_area || !sc->host_vmsave_area)
			goto nomem;
		sc->next_asid = svm_max_asid + 1;	/* first use rolls over */
		sc->asid_generation = 1;
	}
	return 0;

nomem:
	svm_unprobe();
	return -ENOMEM;
}

static int svm_cpu_enable(void)
{
	struct svm_cpu *sc = this_cpu_ptr(&svm_cpu);
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME)
		return -EBUSY;

	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, page_to_phys(sc->host_save_area));
	/*
	 * ASIDs used before on this CPU may still be tagged in its TLB: start
	 * a new generation, whose first entry flushes them all.
	 */
	sc->asid_generation++;
	sc->next_asid = svm_max_asid + 1;
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

/* ---- Segments -------------------------------------------------------- */

static struct vmcb_seg *svm_seg(struct vmcb *vmcb, enum kvmx_seg seg)
{
	struct vmcb_save_area *s = &vmcb->save;

	switch (seg) {
	case KVMX_ES: return &s->es;
	case KVMX_CS: return &s->cs;
	case KVMX_SS: return &s->ss;
	case KVMX_DS: return &s->ds;
	case KVMX_FS: return &s->fs;
	case KVMX_GS: return &s->gs;
	case KVMX_TR: return &s->tr;
	case KVMX_LDTR: return &s->ldtr;
	case KVMX_GDTR: return &s->gdtr;
	case KVMX_IDTR: return &s->idtr;
	}
	return NULL;
}

static void svm_get_seg(struct kvmx_vcpu *vcpu, enum kvmx_seg seg,
			struct kvm_segment *var)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct vmcb_seg *s = svm_seg(vmcb, seg);
	u16 a = s->attrib;

	memset(var, 0, sizeof(*var));
	var->base = s->base;
	var->limit = s->limit;
	if (seg == KVMX_GDTR || seg == KVMX_IDTR)
		return;
	var->selector = s->selector;
	/* SVM keeps AVL/L/DB/G in bits 8-11, VMX-style rights in 12-15. */
	kvmx_seg_from_ar(seg, var, (a & 0xff) | ((a & 0xf00) << 4),
			 vmcb->save.cpl);
}

static void svm_set_seg(struct kvmx_vcpu *vcpu, enum kvmx_seg seg,
			const struct kvm_segment *var)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct vmcb_seg *s = svm_seg(vmcb, seg);

	s->base = var->base;
	s->limit = var->limit;
	if (seg == KVMX_GDTR || seg == KVMX_IDTR)
		return;
	s->selector = var->selector;
	s->attrib = 0;
	if (!var->unusable)
		s->attrib = (var->type & SVM_SELECTOR_TYPE_MASK) |
			    (var->s << SVM_SELECTOR_S_SHIFT) |
			    ((var->dpl & 3) << SVM_SELECTOR_DPL_SHIFT) |
			    (var->present << SVM_SELECTOR_P_SHIFT) |
			    (var->avl << SVM_SELECTOR_AVL_SHIFT) |
			    (var->l << SVM_SELECTOR_L_SHIFT) |
			    (var->db << SVM_SELECTOR_DB_SHIFT) |
			    (var->g << SVM_SELECTOR_G_SHIFT);
	if (seg == KVMX_SS)
		vmcb->save.cpl = var->dpl & 3;
}

/* ---- Registers ------------------------------------------------------- */

static void svm_set_intercept(struct vmcb *vmcb, int bit)
{
	__set_bit(bit, (unsigned long *)vmcb->control.intercepts);
}

static void svm_clr_intercept(struct vmcb *vmcb, int bit)
{
	__clear_bit(bit, (unsigned long *)vmcb->control.intercepts);
}

/* While NMIs are masked, the guest's IRET exits: it will unmask them. */
static void svm_set_nmi_mask(struct svm_vcpu *svm, bool masked)
{
	svm->nmi_masked = masked;
	svm->iret_seen = false;
	if (masked)
		svm_set_intercept(svm->vmcb, INTERCEPT_IRET);
	else
		svm_clr_intercept(svm->vmcb, INTERCEPT_IRET);
}

/* The VMCB field behind a register that is stored as it is. */
static u64 *svm_reg_field(struct vmcb *vmcb, enum kvmx_vreg reg)
{
	switch (reg) {
	case KVMX_CR0: return &vmcb->save.cr0;
	case KVMX_CR2: return &vmcb->save.cr2;
	case KVMX_CR3: return &vmcb->save.cr3;
	case KVMX_CR4: return &vmcb->save.cr4;
	case KVMX_DR6: return &vmcb->save.dr6;
	case KVMX_DR7: return &vmcb->save.dr7;
	case KVMX_PAT: return &vmcb->save.g_pat;
	case KVMX_TSC_OFFSET: return &vmcb->control.tsc_offset;
	case KVMX_STAR: return &vmcb->save.star;
	case KVMX_LSTAR: return &vmcb->save.lstar;
	case KVMX_CSTAR: return &vmcb->save.cstar;
	case KVMX_SFMASK: return &vmcb->save.sfmask;
	case KVMX_KERNEL_GS_BASE: return &vmcb->save.kernel_gs_base;
	case KVMX_SYSENTER_CS: return &vmcb->save.sysenter_cs;
	case KVMX_SYSENTER_ESP: return &vmcb->save.sysenter_esp;
	case KVMX_SYSENTER_EIP: return &vmcb->save.sysenter_eip;
	default: return NULL;
	}
}

static u64 svm_get_reg(struct kvmx_vcpu *vcpu, enum kvmx_vreg reg)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	u64 *field = svm_reg_field(vmcb, reg);

	if (field)
		return *field;
	switch (reg) {
	case KVMX_EFER:
		/* LMA is the hardware's to set; the rest is the guest's view. */
		return (svm->guest_efer & ~EFER_LMA) |
		       (vmcb->save.efer & EFER_LMA);
	case KVMX_CPL:
		return vmcb->save.cpl;
	case KVMX_INT_SHADOW:
		return vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK ?
		       KVM_X86_SHADOW_INT_MOV_SS | KVM_X86_SHADOW_INT_STI : 0;
	case KVMX_NMI_MASK:
		return svm->nmi_masked;
	case KVMX_TDP_ROOT:
		return vmcb->control.nested_cr3;
	default:
		return 0;
	}
}

static int svm_set_reg(struct kvmx_vcpu *vcpu, enum kvmx_vreg reg, u64 val)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	u64 *field = svm_reg_field(vmcb, reg);

	if (field) {
		*field = val;
		return 0;
	}
	switch (reg) {
	case KVMX_EFER:
		svm->guest_efer = val;
		/* VMRUN refuses a guest without SVME; the guest never sees it. */
		vmcb->save.efer = val | EFER_SVME;
		break;
	case KVMX_CPL:
		vmcb->save.cpl = val;
		break;
	case KVMX_INT_SHADOW:
		if (val)
			vmcb->control.int_state |= SVM_INTERRUPT_SHADOW_MASK;
		else
			vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
		break;
	case KVMX_NMI_MASK:
		svm_set_nmi_mask(svm, val);
		break;
	case KVMX_TDP_ROOT:
		vmcb->control.nested_cr3 = val;
		svm->flush_asid = true;
		break;
	default:
		break;
	}
	return 0;
}

/* ---- vCPU lifetime ----------------------------------------------------- */

static void svm_set_intercepts(struct kvmx_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	/* #UD: the guest's VMCALL is rewritten to VMMCALL, as in KVM. */
	u32 exceptions = BIT(MC_VECTOR) | BIT(UD_VECTOR);

	if (vcpu->arch.guest_debug & KVM_GUESTDBG_ENABLE) {
		if (vcpu->arch.guest_debug &
		    (KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_HW_BP))
			exceptions |= BIT(DB_VECTOR);
		if (vcpu->arch.guest_debug & KVM_GUESTDBG_USE_SW_BP)
			exceptions |= BIT(BP_VECTOR);
	}
	vmcb->control.intercepts[INTERCEPT_EXCEPTION] = exceptions;
}

static void svm_init_vmcb(struct kvmx_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	static const int intercepts[] = {
		INTERCEPT_INTR, INTERCEPT_NMI, INTERCEPT_SMI, INTERCEPT_INIT,
		INTERCEPT_CPUID, INTERCEPT_INVD, INTERCEPT_HLT, INTERCEPT_RDPMC,
		INTERCEPT_INVLPGA, INTERCEPT_IOIO_PROT, INTERCEPT_MSR_PROT,
		INTERCEPT_TASK_SWITCH, INTERCEPT_SHUTDOWN, INTERCEPT_RSM,
		INTERCEPT_VMRUN, INTERCEPT_VMMCALL, INTERCEPT_VMLOAD,
		INTERCEPT_VMSAVE, INTERCEPT_STGI, INTERCEPT_CLGI,
		INTERCEPT_SKINIT, INTERCEPT_WBINVD, INTERCEPT_MONITOR,
		INTERCEPT_MWAIT, INTERCEPT_XSETBV, INTERCEPT_RDPRU,
		INTERCEPT_RDTSCP,
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(intercepts); i++)
		svm_set_intercept(vmcb, intercepts[i]);
	svm_set_intercepts(vcpu);

	vmcb->control.iopm_base_pa = __pa(svm_iopm);
	vmcb->control.msrpm_base_pa = __pa(svm_msrpm);
	/* Physical interrupts always exit; the guest's IF only masks virtual ones. */
	vmcb->control.int_ctl = V_INTR_MASKING_MASK;
	vmcb->control.nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
}

static int svm_vcpu_create(struct kvmx_vcpu *vcpu)
{
	struct svm_vcpu *svm;
	struct page *page;

	svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);
	if (!svm)
		return -ENOMEM;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page) {
		kfree(svm);
		return -ENOMEM;
	}
	svm->vmcb = page_address(page);
	svm->vmcb_pa = page_to_phys(page);
	svm->asid_cpu = -1;
	vcpu->arch.vendor = svm;
	svm_init_vmcb(vcpu);
	return 0;
}

static void svm_vcpu_free(struct kvmx_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	if (svm) {
		free_page((unsigned long)svm->vmcb);
		kfree(svm);
	}
	vcpu->arch.vendor = NULL;
}

static void svm_vcpu_load(struct kvmx_vcpu *vcpu, int cpu)
{
}

static void svm_vcpu_put(struct kvmx_vcpu *vcpu)
{
}

/* ---- ASIDs and the TLB ---------------------------------------------- */

/*
 * ASIDs are handed out per CPU; when they run out, a new generation starts
 * and the first entry of it flushes every ASID.  A vCPU whose ASID is from
 * another CPU or an older generation takes a fresh one, which is also how
 * its TLB is flushed on CPUs without flush-by-ASID.
 */
static void svm_pre_run(struct svm_vcpu *svm, int cpu)
{
	struct svm_cpu *sc = this_cpu_ptr(&svm_cpu);
	struct vmcb *vmcb = svm->vmcb;

	vmcb->control.tlb_ctl = TLB_CONTROL_DO_NOTHING;
	if (svm->flush_asid && !svm_has_flush_by_asid)
		svm->asid_generation = 0;

	if (svm->asid_cpu != cpu || svm->asid_generation != sc->asid_generation) {
		if (sc->next_asid > svm_max_asid) {
			sc->asid_generation++;
			sc->next_asid = 1;
			vmcb->control.tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
		}
		svm->asid = sc->next_asid++;
		svm->asid_generation = sc->asid_generation;
		svm->asid_cpu = cpu;
	} else if (svm->flush_asid) {
		vmcb->control.tlb_ctl = TLB_CONTROL_FLUSH_ASID;
	}
	svm->flush_asid = false;
	vmcb->control.asid = svm->asid;
	/* Clean bits are not used yet: the CPU reloads every field. */
	vmcb->control.clean = 0;
}

static void svm_flush_tlb(struct kvmx_vcpu *vcpu)
{
	to_svm(vcpu)->flush_asid = true;
}

/* ---- Events ----------------------------------------------------------- */

static void svm_inject(struct kvmx_vcpu *vcpu, const struct kvmx_event *ev)
{
	static const u32 types[] = {
		[KVMX_EVENT_INTR] = SVM_EVTINJ_TYPE_INTR,
		[KVMX_EVENT_NMI] = SVM_EVTINJ_TYPE_NMI,
		[KVMX_EVENT_EXCEPTION] = SVM_EVTINJ_TYPE_EXEPT,
		[KVMX_EVENT_SOFT_INTR] = SVM_EVTINJ_TYPE_SOFT,
	};
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	vmcb->control.event_inj = ev->vector | types[ev->type] |
				  SVM_EVTINJ_VALID |
				  (ev->has_error_code ? SVM_EVTINJ_VALID_ERR : 0);
	vmcb->control.event_inj_err = ev->error_code;
	if (ev->type == KVMX_EVENT_NMI)
		svm_set_nmi_mask(to_svm(vcpu), true);
}

static void svm_set_nmi_window(struct kvmx_vcpu *vcpu, bool on)
{
	to_svm(vcpu)->nmi_window = on;
}

static void svm_set_irq_window(struct kvmx_vcpu *vcpu, bool on)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	/*
	 * A dummy virtual interrupt: the CPU exits with VINTR as soon as the
	 * guest could take it (IF set, no interrupt shadow).
	 */
	vmcb->control.int_ctl &= ~V_IRQ_INJECTION_BITS_MASK;
	if (on) {
		vmcb->control.int_ctl |= V_IRQ_MASK | V_IGN_TPR_MASK |
					 (0xf << V_INTR_PRIO_SHIFT);
		svm_set_intercept(vmcb, INTERCEPT_VINTR);
	} else {
		svm_clr_intercept(vmcb, INTERCEPT_VINTR);
	}
}

/*
 * An NMI waits for the end of an interrupt shadow, or for the IRET that
 * exited to run.  There is no NMI window without vNMI: as KVM, single-
 * step one instruction with TF (and RF, against a code breakpoint on it)
 * and catch the #DB, after which the run loop looks again.
 *
 * An interrupt window asked for inside an STI or MOV SS shadow is stepped
 * over the same way.  QEMU's TCG drops the shadow at VMRUN and so opens
 * the V_IRQ window before the shadowed instruction: the interrupt would
 * go in ahead of the HLT of "sti; hlt", and return to sleep in it.
 *
 * While an event is injected TF would be pushed on the guest's stack
 * with it: rather exit right after the delivery (a self-IPI) and step on
 * the next entry.  A guest that single-steps itself takes its own #DB,
 * intercepted this once and handed back by the run loop, unless a
 * debugger owns #DB exits; then the window waits for the next exit.
 * Called with the guest's RFLAGS in the VMCB; returns whether TF was
 * kvmx's to set.
 */
static bool svm_window_step(struct kvmx_vcpu *vcpu, struct svm_vcpu *svm,
			    bool *stepping)
{
	struct vmcb *vmcb = svm->vmcb;
	u32 dbg = vcpu->arch.guest_debug;
	bool irq_shadow, nmi;

	*stepping = false;
	irq_shadow = (vmcb->control.int_ctl & V_IRQ_MASK) &&
		     (vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK);
	nmi = svm->nmi_window && !(svm->nmi_masked && !svm->iret_seen);
	if (!irq_shadow && !nmi)
		return false;
	if (vmcb->control.event_inj & SVM_EVTINJ_VALID) {
		smp_send_reschedule(smp_processor_id());
		return false;
	}
	/* The step's exit comes first; the next entry asks again. */
	if (irq_shadow)
		svm_set_irq_window(vcpu, false);
	if ((vcpu->arch.rflags & X86_EFLAGS_TF) && (dbg & KVM_GUESTDBG_ENABLE))
		return false;	/* stepping already, or the debugger's */
	vmcb->control.intercepts[INTERCEPT_EXCEPTION] |= BIT(DB_VECTOR);
	*stepping = true;
	if (vcpu->arch.rflags & X86_EFLAGS_TF)
		return false;	/* the guest's own step exits for us too */
	vmcb->save.rflags |= X86_EFLAGS_TF | X86_EFLAGS_RF;
	return true;
}

/* Take back the borrowed TF and RF, and swallow the #DB that was ours. */
static void svm_window_step_done(struct kvmx_vcpu *vcpu, struct svm_vcpu *svm,
				 struct kvmx_exit *exit, bool own_tf,
				 u64 rflags, u64 dr6)
{
	struct vmcb *vmcb = svm->vmcb;

	svm_set_intercepts(vcpu);
	if (!own_tf)
		return;
	if (!(rflags & X86_EFLAGS_RF))
		vcpu->arch.rflags &= ~X86_EFLAGS_RF;
	vcpu->arch.rflags &= ~X86_EFLAGS_TF;
	/* Only the single step: a breakpoint hit with it is the guest's. */
	if (exit->reason == KVMX_EXIT_EXCEPTION &&
	    exit->exception.vector == DB_VECTOR &&
	    !(exit->exception.dr6 & DR_TRAP_BITS)) {
		vmcb->save.dr6 = dr6;
		exit->reason = KVMX_EXIT_NONE;
	}
}

static bool svm_interrupts_allowed(struct kvmx_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	return (vcpu->arch.rflags & X86_EFLAGS_IF) &&
	       !(vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK);
}

static void svm_exit_int_info(struct vmcb *vmcb, struct kvmx_event *ev)
{
	u32 info = vmcb->control.exit_int_info;

	ev->type = KVMX_EVENT_NONE;
	if (!(info & SVM_EXITINTINFO_VALID))
		return;
	ev->vector = info & SVM_EXITINTINFO_VEC_MASK;
	ev->has_error_code = !!(info & SVM_EXITINTINFO_VALID_ERR);
	ev->error_code = vmcb->control.exit_int_info_err;
	switch (info & SVM_EXITINTINFO_TYPE_MASK) {
	case SVM_EXITINTINFO_TYPE_INTR:
		ev->type = KVMX_EVENT_INTR;
		break;
	case SVM_EXITINTINFO_TYPE_NMI:
		ev->type = KVMX_EVENT_NMI;
		break;
	case SVM_EXITINTINFO_TYPE_EXEPT:
		/* #BP and #OF are re-raised by executing INT3/INTO again. */
		if (ev->vector != BP_VECTOR && ev->vector != OF_VECTOR)
			ev->type = KVMX_EVENT_EXCEPTION;
		break;
	default:
		/* A soft INTn restarts by re-executing the instruction. */
		break;
	}
}

/* ---- Running ---------------------------------------------------------- */

static void svm_decode_exit(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	u64 code = ((u64)vmcb->control.exit_code_hi << 32) |
		   vmcb->control.exit_code;
	u64 info1 = vmcb->control.exit_info_1;
	u64 info2 = vmcb->control.exit_info_2;

	memset(exit, 0, sizeof(*exit));
	exit->hw_reason = code;

	switch (code) {
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
	case SVM_EXIT_SMI:
	case SVM_EXIT_INIT:
		exit->reason = KVMX_EXIT_NONE;
		break;
	case SVM_EXIT_VINTR:
		exit->reason = KVMX_EXIT_IRQ_WINDOW;
		break;
	case SVM_EXIT_IRET:
		/* It has not run yet: NMIs unmask once RIP has moved on. */
		svm->iret_seen = true;
		svm->iret_rip = vmcb->save.rip;
		svm_clr_intercept(vmcb, INTERCEPT_IRET);
		exit->reason = KVMX_EXIT_NONE;
		break;
	case SVM_EXIT_IOIO:
		exit->reason = KVMX_EXIT_IO;
		exit->io.port = info1 >> 16;
		exit->io.in = info1 & SVM_IOIO_TYPE_MASK;
		exit->io.string = info1 & SVM_IOIO_STR_MASK;
		exit->io.rep = info1 & SVM_IOIO_REP_MASK;
		exit->io.size = (info1 & SVM_IOIO_SIZE_MASK) >> SVM_IOIO_SIZE_SHIFT;
		/* IOIO exits always carry the next RIP, NRIPS or not. */
		exit->insn_len = info2 - vmcb->save.rip;
		break;
	case SVM_EXIT_HLT:
		exit->reason = KVMX_EXIT_HLT;
		break;
	case SVM_EXIT_RDPMC:
		exit->reason = KVMX_EXIT_RDPMC;
		break;
	case SVM_EXIT_CPUID:
		exit->reason = KVMX_EXIT_CPUID;
		break;
	case SVM_EXIT_MSR:
		exit->reason = info1 ? KVMX_EXIT_WRMSR : KVMX_EXIT_RDMSR;
		break;
	case SVM_EXIT_NPF:
		exit->reason = KVMX_EXIT_NPF;
		exit->npf.gpa = info2;
		exit->npf.present = info1 & KVMX_PFERR_PRESENT;
		exit->npf.write = info1 & KVMX_PFERR_WRITE;
		exit->npf.fetch = info1 & KVMX_PFERR_FETCH;
		break;
	case SVM_EXIT_SHUTDOWN:
		exit->reason = KVMX_EXIT_SHUTDOWN;
		break;
	case SVM_EXIT_VMMCALL:
		exit->reason = KVMX_EXIT_HYPERCALL;
		break;
	case SVM_EXIT_XSETBV:
		exit->reason = KVMX_EXIT_XSETBV;
		break;
	case SVM_EXIT_WBINVD:
	case SVM_EXIT_INVD:
	case SVM_EXIT_MONITOR:
	case SVM_EXIT_MWAIT:
		/* What KVM does by default: run them as NOPs. */
		exit->reason = KVMX_EXIT_NOP;
		break;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
	case SVM_EXIT_RDPRU:
	case SVM_EXIT_RDTSCP:
	case SVM_EXIT_RSM:
		exit->reason = KVMX_EXIT_UD;
		break;
	case SVM_EXIT_EXCP_BASE + DB_VECTOR:
	case SVM_EXIT_EXCP_BASE + BP_VECTOR:
		exit->reason = KVMX_EXIT_EXCEPTION;
		exit->exception.vector = code - SVM_EXIT_EXCP_BASE;
		exit->exception.dr6 = vmcb->save.dr6;
		break;
	case SVM_EXIT_EXCP_BASE + UD_VECTOR:
		exit->reason = KVMX_EXIT_UD_FAULT;
		break;
	case SVM_EXIT_EXCP_BASE + MC_VECTOR:
		/* The host's machine-check handler has already run. */
		exit->reason = KVMX_EXIT_NONE;
		break;
	case SVM_EXIT_ERR:
		exit->reason = KVMX_EXIT_FAIL_ENTRY;
		break;
	default:
		exit->reason = KVMX_EXIT_UNKNOWN;
		break;
	}
}

static void svm_run(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit,
		    struct kvmx_event *reinject)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct svm_cpu *sc = this_cpu_ptr(&svm_cpu);
	struct vmcb *vmcb = svm->vmcb;
	unsigned long host_dr7;
	u64 host_xcr0 = 0, rflags = vcpu->arch.rflags, dr6;
	u64 rip = vcpu->arch.regs[KVMX_RIP];
	bool swap_xcr0, guest_osxsave, stepping, own_tf, in_shadow;
	u32 host_pkru;

	svm_pre_run(svm, smp_processor_id());

	vmcb->save.rax = vcpu->arch.regs[KVMX_RAX];
	vmcb->save.rsp = vcpu->arch.regs[KVMX_RSP];
	vmcb->save.rip = vcpu->arch.regs[KVMX_RIP];
	vmcb->save.rflags = vcpu->arch.rflags;
	dr6 = vmcb->save.dr6;
	own_tf = svm_window_step(vcpu, svm, &stepping);
	in_shadow = (vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK) &&
		    !(vmcb->control.event_inj & SVM_EVTINJ_VALID);
	/* The guest's CR8 is V_TPR while it runs. */
	vmcb->control.int_ctl = (vmcb->control.int_ctl & ~V_TPR_MASK) |
				(vcpu->arch.cr8 & V_TPR_MASK);

	/* Breakpoints are the guest's while it runs: VMRUN only swaps DR6/DR7. */
	get_debugreg(host_dr7, 7);
	if (host_dr7 & KVMX_DR7_ENABLED)
		set_debugreg(0, 7);
	kvmx_load_guest_dr0_3(vcpu, svm->host_dr);

	/* The guest may turn CR4.OSXSAVE on while it runs: always check. */
	swap_xcr0 = boot_cpu_has(X86_FEATURE_OSXSAVE);
	guest_osxsave = vmcb->save.cr4 & X86_CR4_OSXSAVE;
	if (swap_xcr0) {
		host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
		if ((vmcb->save.cr4 & X86_CR4_OSXSAVE) &&
		    host_xcr0 != vcpu->arch.xcr0)
			xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->arch.xcr0);
	}

	host_pkru = kvmx_load_guest_pkru(vcpu, vmcb->save.cr4);

	/*
	 * With V_INTR_MASKING, the host's RFLAGS.IF at VMRUN decides whether
	 * physical interrupts reach the guest, and so force an exit.  Set it
	 * for the switch only: GIF is clear, so the host still takes none.
	 */
	asm volatile("clgi" ::: "memory");
	raw_local_irq_enable();
	kvmx_svm_vmrun(svm->vmcb_pa, vcpu->arch.regs,
		       page_to_phys(sc->host_vmsave_area));
	raw_local_irq_disable();
	asm volatile("stgi" ::: "memory");

	kvmx_load_host_pkru(vcpu, vmcb->save.cr4, host_pkru);

	/*
	 * Compare with the register itself, not with what kvmx loaded: a CPU
	 * that lets XSETBV through unintercepted (QEMU's TCG does) leaves the
	 * guest's value there, and the host's XRSTORs would fault on it.
	 * That value is the guest's XCR0 now (CPUID 0xd follows it).
	 */
	if (swap_xcr0) {
		u64 cur = xgetbv(XCR_XFEATURE_ENABLED_MASK);

		if ((vmcb->save.cr4 & X86_CR4_OSXSAVE) &&
		    (guest_osxsave || cur != host_xcr0))
			vcpu->arch.xcr0 = cur;
		if (cur != host_xcr0)
			xsetbv(XCR_XFEATURE_ENABLED_MASK, host_xcr0);
	}
	kvmx_load_host_dr0_3(vcpu, svm->host_dr);
	if (host_dr7 & KVMX_DR7_ENABLED)
		set_debugreg(host_dr7, 7);

	vcpu->arch.regs[KVMX_RAX] = vmcb->save.rax;
	vcpu->arch.regs[KVMX_RSP] = vmcb->save.rsp;
	vcpu->arch.regs[KVMX_RIP] = vmcb->save.rip;
	vcpu->arch.rflags = vmcb->save.rflags;
	vcpu->arch.cr8 = vmcb->control.int_ctl & V_TPR_MASK;

	/* Progress past the IRET that exited: it ran and unmasked NMIs. */
	if (svm->iret_seen && vmcb->save.rip != svm->iret_rip)
		svm_set_nmi_mask(svm, false);

	/*
	 * TCG again: the shadow it dropped at VMRUN is missing from an exit
	 * taken before the shadowed instruction ran.  Nothing ran if RIP has
	 * not moved and no single-step #DB says one instruction did.
	 */
	if (in_shadow && vmcb->save.rip == rip &&
	    vmcb->control.exit_code != SVM_EXIT_EXCP_BASE + DB_VECTOR)
		vmcb->control.int_state |= SVM_INTERRUPT_SHADOW_MASK;

	/* The injected event was delivered, or comes back in exit_int_info. */
	vmcb->control.event_inj = 0;
	svm_exit_int_info(vmcb, reinject);
	svm_decode_exit(vcpu, exit);
	if (stepping)
		svm_window_step_done(vcpu, svm, exit, own_tf, rflags, dr6);
	if (exit->reason == KVMX_EXIT_IRQ_WINDOW)
		svm_set_irq_window(vcpu, false);
}

const struct kvmx_vendor_ops kvmx_svm_ops = {
	.name			= "AMD SVM",
	.probe			= svm_probe,
	.unprobe		= svm_unprobe,
	.cpu_enable		= svm_cpu_enable,
	.cpu_disable		= svm_cpu_disable,
	.vcpu_create		= svm_vcpu_create,
	.vcpu_free		= svm_vcpu_free,
	.vcpu_load		= svm_vcpu_load,
	.vcpu_put		= svm_vcpu_put,
	.get_reg		= svm_get_reg,
	.set_reg		= svm_set_reg,
	.get_seg		= svm_get_seg,
	.set_seg		= svm_set_seg,
	.run			= svm_run,
	.inject			= svm_inject,
	.set_irq_window		= svm_set_irq_window,
	.set_nmi_window		= svm_set_nmi_window,
	.interrupts_allowed	= svm_interrupts_allowed,
	.flush_tlb		= svm_flush_tlb,
	.set_intercepts		= svm_set_intercepts,
};
