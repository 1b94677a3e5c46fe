// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU state ioctls: registers, segments, FPU, debug registers,
 * events and the multiprocessing state, with KVM's validation.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/fpu/xstate.h>
#include <asm/irq_vectors.h>

#include "x86.h"
#include "irq/irq.h"

/* XCR0 bits a guest may enable: the host's x87, SSE and AVX state. */
u64 kvmx_supported_xcr0(void)
{
	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return 0;
	return xgetbv(XCR_XFEATURE_ENABLED_MASK) &
	       (XFEATURE_MASK_FP | XFEATURE_MASK_SSE | XFEATURE_MASK_YMM);
}

static void kvmx_get_regs(struct kvmx_vcpu *vcpu, struct kvm_regs *r)
{
	unsigned long *g = vcpu->arch.regs;

	r->rax = g[KVMX_RAX]; r->rbx = g[KVMX_RBX];
	r->rcx = g[KVMX_RCX]; r->rdx = g[KVMX_RDX];
	r->rsi = g[KVMX_RSI]; r->rdi = g[KVMX_RDI];
	r->rsp = g[KVMX_RSP]; r->rbp = g[KVMX_RBP];
	r->r8 = g[KVMX_R8];   r->r9 = g[KVMX_R9];
	r->r10 = g[KVMX_R10]; r->r11 = g[KVMX_R11];
	r->r12 = g[KVMX_R12]; r->r13 = g[KVMX_R13];
	r->r14 = g[KVMX_R14]; r->r15 = g[KVMX_R15];
	r->rip = g[KVMX_RIP];
	r->rflags = vcpu->arch.rflags;
}

static void kvmx_set_regs(struct kvmx_vcpu *vcpu, const struct kvm_regs *r)
{
	unsigned long *g = vcpu->arch.regs;

	g[KVMX_RAX] = r->rax; g[KVMX_RBX] = r->rbx;
	g[KVMX_RCX] = r->rcx; g[KVMX_RDX] = r->rdx;
	g[KVMX_RSI] = r->rsi; g[KVMX_RDI] = r->rdi;
	g[KVMX_RSP] = r->rsp; g[KVMX_RBP] = r->rbp;
	g[KVMX_R8] = r->r8;   g[KVMX_R9] = r->r9;
	g[KVMX_R10] = r->r10; g[KVMX_R11] = r->r11;
	g[KVMX_R12] = r->r12; g[KVMX_R13] = r->r13;
	g[KVMX_R14] = r->r14; g[KVMX_R15] = r->r15;
	g[KVMX_RIP] = r->rip;
	/* Bit 1 of RFLAGS always reads as one. */
	vcpu->arch.rflags = r->rflags | X86_EFLAGS_FIXED;
}

static void kvmx_get_sregs(struct kvmx_vcpu *vcpu, struct kvm_sregs *s)
{
	struct kvm_segment dt;
	const struct kvm_vcpu_events *ev = &vcpu->arch.events;

	memset(s, 0, sizeof(*s));
	kvmx_vendor->get_seg(vcpu, KVMX_CS, &s->cs);
	kvmx_vendor->get_seg(vcpu, KVMX_DS, &s->ds);
	kvmx_vendor->get_seg(vcpu, KVMX_ES, &s->es);
	kvmx_vendor->get_seg(vcpu, KVMX_FS, &s->fs);
	kvmx_vendor->get_seg(vcpu, KVMX_GS, &s->gs);
	kvmx_vendor->get_seg(vcpu, KVMX_SS, &s->ss);
	kvmx_vendor->get_seg(vcpu, KVMX_TR, &s->tr);
	kvmx_vendor->get_seg(vcpu, KVMX_LDTR, &s->ldt);
	kvmx_vendor->get_seg(vcpu, KVMX_GDTR, &dt);
	s->gdt.base = dt.base;
	s->gdt.limit = dt.limit;
	kvmx_vendor->get_seg(vcpu, KVMX_IDTR, &dt);
	s->idt.base = dt.base;
	s->idt.limit = dt.limit;
	s->cr0 = kvmx_vendor->get_reg(vcpu, KVMX_CR0);
	s->cr2 = kvmx_vendor->get_reg(vcpu, KVMX_CR2);
	s->cr3 = kvmx_vendor->get_reg(vcpu, KVMX_CR3);
	s->cr4 = kvmx_vendor->get_reg(vcpu, KVMX_CR4);
	s->cr8 = vcpu->arch.apic ? kvmx_lapic_get_cr8(vcpu) : vcpu->arch.cr8;
	s->efer = kvmx_vendor->get_reg(vcpu, KVMX_EFER);
	s->apic_base = vcpu->arch.apic_base;
	if (ev->interrupt.injected && !ev->interrupt.soft)
		__set_bit(ev->interrupt.nr, (unsigned long *)s->interrupt_bitmap);
}

/*
 * Fill a kvm_segment from access rights in the VMX layout (type, S, DPL,
 * P in bits 0-7; AVL, L, D/B, G in bits 12-15), which SVM's attribute
 * word matches once its bits 8-11 are moved up.  Then give the view KVM
 * gives on both vendors: CS.G follows the limit, TR reads busy, SS.DPL
 * is the CPL and an unusable SS has D/B clear.
 */
void kvmx_seg_from_ar(enum kvmx_seg seg, struct kvm_segment *var, u32 ar,
		      u8 cpl)
{
	var->type = ar & 0xf;
	var->s = !!(ar & BIT(4));
	var->dpl = (ar >> 5) & 3;
	var->present = !!(ar & BIT(7));
	var->avl = !!(ar & BIT(12));
	var->l = !!(ar & BIT(13));
	var->db = !!(ar & BIT(14));
	var->g = !!(ar & BIT(15));
	var->unusable = !var->present;

	switch (seg) {
	case KVMX_CS:
		/* Some CPUs do not keep CS.G. */
		var->g = var->limit > 0xfffff;
		break;
	case KVMX_TR:
		var->type |= 0x2;
		break;
	case KVMX_SS:
		if (var->unusable)
			var->db = 0;
		var->dpl = cpl;
		break;
	default:
		break;
	}
}

/* CR4 bits the host CPU has, so the guest may have them too. */
static u64 kvmx_cr4_allowed(void)
{
	u64 ok = X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE |
		 X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE |
		 X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;

	if (boot_cpu_has(X86_FEATURE_XSAVE))
		ok |= X86_CR4_OSXSAVE;
	if (boot_cpu_has(X86_FEATURE_FSGSBASE))
		ok |= X86_CR4_FSGSBASE;
	if (boot_cpu_has(X86_FEATURE_SMEP))
		ok |= X86_CR4_SMEP;
	if (boot_cpu_has(X86_FEATURE_SMAP))
		ok |= X86_CR4_SMAP;
	if (boot_cpu_has(X86_FEATURE_UMIP))
		ok |= X86_CR4_UMIP;
	/*
	 * No PCIDE or LA57: KVM_GET_SUPPORTED_CPUID does not offer PCID or
	 * 5-level paging, and KVM refuses CR4 bits of features it does not.
	 */
	return ok;
}

/* The checks KVM makes before accepting KVM_SET_SREGS. */
static bool kvmx_sregs_valid(const struct kvm_sregs *s)
{
	if (s->cr0 >> 32)
		return false;
	if ((s->cr0 & X86_CR0_NW) && !(s->cr0 & X86_CR0_CD))
		return false;
	if ((s->cr0 & X86_CR0_PG) && !(s->cr0 & X86_CR0_PE))
		return false;
	if (s->cr4 & ~kvmx_cr4_allowed())
		return false;
	if ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG)) {
		if (!(s->cr4 & X86_CR4_PAE) || !(s->efer & EFER_LMA))
			return false;
		if (s->cr3 >> boot_cpu_data.x86_phys_bits)
			return false;
	} else if ((s->efer & EFER_LMA) || s->cs.l) {
		return false;
	}
	return true;
}

static u64 kvmx_efer_allowed(void)
{
	u64 ok = EFER_SCE | EFER_LME | EFER_LMA | EFER_NX;

	if (boot_cpu_has(X86_FEATURE_FXSR_OPT))
		ok |= EFER_FFXSR;
	return ok;
}

static int kvmx_set_sregs(struct kvmx_vcpu *vcpu, const struct kvm_sregs *s)
{
	struct kvm_segment dt = {};
	int vec;

	if (!kvmx_sregs_valid(s) || s->cr8 > 15 ||
	    (s->efer & ~kvmx_efer_allowed()))
		return -EINVAL;
	/* The first change made: a bad base leaves everything as it was. */
	if (kvmx_lapic_set_base(vcpu, s->apic_base, true))
		return -EINVAL;
	vcpu->arch.cr8 = s->cr8;
	if (vcpu->arch.apic)
		kvmx_lapic_set_cr8(vcpu, s->cr8);
	kvmx_vendor->set_reg(vcpu, KVMX_EFER, s->efer);
	kvmx_vendor->set_reg(vcpu, KVMX_CR0, s->cr0);
	kvmx_vendor->set_reg(vcpu, KVMX_CR2, s->cr2);
	kvmx_vendor->set_reg(vcpu, KVMX_CR3, s->cr3);
	kvmx_vendor->set_reg(vcpu, KVMX_CR4, s->cr4);
	kvmx_vendor->set_seg(vcpu, KVMX_CS, &s->cs);
	kvmx_vendor->set_seg(vcpu, KVMX_DS, &s->ds);
	kvmx_vendor->set_seg(vcpu, KVMX_ES, &s->es);
	kvmx_vendor->set_seg(vcpu, KVMX_FS, &s->fs);
	kvmx_vendor->set_seg(vcpu, KVMX_GS, &s->gs);
	kvmx_vendor->set_seg(vcpu, KVMX_SS, &s->ss);
	kvmx_vendor->set_seg(vcpu, KVMX_TR, &s->tr);
	kvmx_vendor->set_seg(vcpu, KVMX_LDTR, &s->ldt);
	dt.base = s->gdt.base;
	dt.limit = s->gdt.limit;
	kvmx_vendor->set_seg(vcpu, KVMX_GDTR, &dt);
	dt.base = s->idt.base;
	dt.limit = s->idt.limit;
	kvmx_vendor->set_seg(vcpu, KVMX_IDTR, &dt);
	kvmx_vendor->flush_tlb(vcpu);

	vec = find_first_bit((const unsigned long *)s->interrupt_bitmap,
			     KVM_NR_INTERRUPTS);
	if (vec < KVM_NR_INTERRUPTS) {
		vcpu->arch.events.interrupt.injected = 1;
		vcpu->arch.events.interrupt.nr = vec;
		vcpu->arch.events.interrupt.soft = 0;
	}
	return 0;
}

/* The power-on state, as KVM gives it to a new vCPU. */
int kvmx_x86_vcpu_reset(struct kvmx_vcpu *vcpu)
{
	struct kvm_segment seg = {
		.limit = 0xffff, .type = 3, .s = 1, .present = 1,
	};
	struct kvm_cpuid_entry2 *leaf1 = kvmx_find_cpuid(vcpu, 1, 0);
	static const enum kvmx_seg data_segs[] = {
		KVMX_DS, KVMX_ES, KVMX_FS, KVMX_GS, KVMX_SS,
	};
	int i;

	memset(vcpu->arch.regs, 0, sizeof(vcpu->arch.regs));
	vcpu->arch.regs[KVMX_RIP] = 0xfff0;
	vcpu->arch.regs[KVMX_RDX] = leaf1 ? leaf1->eax : 0x600;
	vcpu->arch.rflags = X86_EFLAGS_FIXED;

	for (i = 0; i < ARRAY_SIZE(data_segs); i++)
		kvmx_vendor->set_seg(vcpu, data_segs[i], &seg);
	seg.selector = 0xf000;
	seg.base = 0xffff0000;
	seg.type = 0xb;
	kvmx_vendor->set_seg(vcpu, KVMX_CS, &seg);
	seg = (struct kvm_segment){ .limit = 0xffff, .type = 2, .present = 1 };
	kvmx_vendor->set_seg(vcpu, KVMX_LDTR, &seg);
	seg.type = 3;	/* busy 16-bit TSS */
	kvmx_vendor->set_seg(vcpu, KVMX_TR, &seg);
	seg = (struct kvm_segment){ .limit = 0xffff };
	kvmx_vendor->set_seg(vcpu, KVMX_GDTR, &seg);
	kvmx_vendor->set_seg(vcpu, KVMX_IDTR, &seg);

	kvmx_vendor->set_reg(vcpu, KVMX_CR0, X86_CR0_CD | X86_CR0_NW |
			     X86_CR0_ET);
	kvmx_vendor->set_reg(vcpu, KVMX_CR2, 0);
	kvmx_vendor->set_reg(vcpu, KVMX_CR3, 0);
	kvmx_vendor->set_reg(vcpu, KVMX_CR4, 0);
	kvmx_vendor->set_reg(vcpu, KVMX_EFER, 0);
	kvmx_vendor->set_reg(vcpu, KVMX_DR6, KVMX_DR6_INIT);
	kvmx_vendor->set_reg(vcpu, KVMX_DR7, KVMX_DR7_INIT);
	kvmx_vendor->set_reg(vcpu, KVMX_PAT, 0x0007040600070406ULL);
	kvmx_vendor->set_reg(vcpu, KVMX_INT_SHADOW, 0);
	memset(vcpu->arch.db, 0, sizeof(vcpu->arch.db));

	vcpu->arch.xcr0 = XFEATURE_MASK_FP;
	vcpu->arch.cr8 = 0;
	vcpu->arch.mp_state = KVM_MP_STATE_RUNNABLE;
	vcpu->arch.msr_misc_enable = MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL |
				     MSR_IA32_MISC_ENABLE_BTS_UNAVAIL;
	vcpu->arch.msr_ucode_rev = 0x100000000ULL;
	vcpu->arch.msr_misc_features = 0;
	memset(&vcpu->arch.events, 0, sizeof(vcpu->arch.events));
	atomic_set(&vcpu->arch.nmi_queued, 0);
	kvmx_vendor->set_reg(vcpu, KVMX_NMI_MASK, 0);
	vcpu->arch.irq_pending = false;
	vcpu->arch.pending = KVMX_PENDING_NONE;
	return 0;
}

/*
 * INIT: the register state of RESET, but MSRs, XCR0 and the APIC base
 * (the SDM's "unchanged" column, as far as kvmx keeps them) survive.
 */
void kvmx_x86_vcpu_init(struct kvmx_vcpu *vcpu)
{
	u64 apic_base = vcpu->arch.apic_base;
	u64 misc = vcpu->arch.msr_misc_enable;
	u64 misc_features = vcpu->arch.msr_misc_features;
	u64 xcr0 = vcpu->arch.xcr0;

	kvmx_x86_vcpu_reset(vcpu);
	vcpu->arch.apic_base = apic_base;
	vcpu->arch.msr_misc_enable = misc;
	vcpu->arch.msr_misc_features = misc_features;
	vcpu->arch.xcr0 = xcr0;
	if (vcpu->arch.apic)
		kvmx_lapic_reset(vcpu, true);
}

/* SIPI: real mode at vector << 12, CS.selector vector << 8. */
void kvmx_x86_vcpu_sipi(struct kvmx_vcpu *vcpu, u8 vector)
{
	struct kvm_segment cs;

	kvmx_vendor->get_seg(vcpu, KVMX_CS, &cs);
	cs.selector = vector << 8;
	cs.base = (u64)vector << 12;
	kvmx_vendor->set_seg(vcpu, KVMX_CS, &cs);
	vcpu->arch.regs[KVMX_RIP] = 0;
}

/* ---- FPU ------------------------------------------------------------- */

static void kvmx_get_fpu(struct kvmx_vcpu *vcpu, struct kvm_fpu *fpu)
{
	struct fxregs_state *fx = &vcpu->arch.guest_fpu.fpstate->regs.fxsave;

	memset(fpu, 0, sizeof(*fpu));
	memcpy(fpu->fpr, fx->st_space, 128);
	fpu->fcw = fx->cwd;
	fpu->fsw = fx->swd;
	fpu->ftwx = fx->twd;
	fpu->last_opcode = fx->fop;
	fpu->last_ip = fx->rip;
	fpu->last_dp = fx->rdp;
	memcpy(fpu->xmm, fx->xmm_space, sizeof(fpu->xmm));
	fpu->mxcsr = fx->mxcsr;
}

static void kvmx_set_fpu(struct kvmx_vcpu *vcpu, const struct kvm_fpu *fpu)
{
	struct fpstate *fps = vcpu->arch.guest_fpu.fpstate;
	struct fxregs_state *fx = &fps->regs.fxsave;

	memcpy(fx->st_space, fpu->fpr, 128);
	fx->cwd = fpu->fcw;
	fx->swd = fpu->fsw;
	fx->twd = fpu->ftwx;
	fx->fop = fpu->last_opcode;
	fx->rip = fpu->last_ip;
	fx->rdp = fpu->last_dp;
	memcpy(fx->xmm_space, fpu->xmm, sizeof(fpu->xmm));
	fx->mxcsr = fpu->mxcsr;
	/* The legacy area now holds real values: mark it in use. */
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		fps->regs.xsave.header.xfeatures |= XFEATURE_MASK_FPSSE;
}

static int kvmx_get_xsave(struct kvmx_vcpu *vcpu, struct kvm_xsave __user *argp)
{
	struct kvm_xsave *x = kzalloc(sizeof(*x), GFP_KERNEL_ACCOUNT);
	int r = 0;

	if (!x)
		return -ENOMEM;
	fpu_copy_guest_fpstate_to_uabi(&vcpu->arch.guest_fpu, x->region,
				       sizeof(x->region),
				       kvmx_supported_xcr0() | XFEATURE_MASK_FPSSE,
				       vcpu->arch.pkru);
	if (copy_to_user(argp, x, sizeof(*x)))
		r = -EFAULT;
	kfree(x);
	return r;
}

static int kvmx_set_xsave(struct kvmx_vcpu *vcpu, struct kvm_xsave __user *argp)
{
	struct kvm_xsave *x = memdup_user(argp, sizeof(*x));
	int r;

	if (IS_ERR(x))
		return PTR_ERR(x);
	/* The kernel checks the header and the features against XCR0. */
	r = fpu_copy_uabi_to_guest_fpstate(&vcpu->arch.guest_fpu, x->region,
					   kvmx_supported_xcr0(),
					   &vcpu->arch.pkru);
	kfree(x);
	return r;
}

static int kvmx_set_xcrs(struct kvmx_vcpu *vcpu, const struct kvm_xcrs *x)
{
	u64 xcr0;

	if (x->nr_xcrs > KVM_MAX_XCRS || x->flags)
		return -EINVAL;
	if (!x->nr_xcrs)
		return 0;
	if (x->nr_xcrs != 1 || x->xcrs[0].xcr != XCR_XFEATURE_ENABLED_MASK)
		return -EINVAL;
	xcr0 = x->xcrs[0].value;
	if (kvmx_set_xcr0(vcpu, xcr0))
		return -EINVAL;
	return 0;
}

int kvmx_set_xcr0(struct kvmx_vcpu *vcpu, u64 xcr0)
{
	if (!(xcr0 & XFEATURE_MASK_FP) || (xcr0 & ~kvmx_supported_xcr0()))
		return -EINVAL;
	if ((xcr0 & XFEATURE_MASK_YMM) && !(xcr0 & XFEATURE_MASK_SSE))
		return -EINVAL;
	vcpu->arch.xcr0 = xcr0;
	return 0;
}

/* ---- Debug registers and guest debugging ----------------------------- */

static bool kvmx_hw_bp(struct kvmx_vcpu *vcpu)
{
	return vcpu->arch.guest_debug & KVM_GUESTDBG_USE_HW_BP;
}

static void kvmx_get_debugregs(struct kvmx_vcpu *vcpu,
			       struct kvm_debugregs *d)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->db, vcpu->arch.db, sizeof(d->db));
	d->dr6 = kvmx_vendor->get_reg(vcpu, KVMX_DR6);
	/* While the debugger's breakpoints are loaded, DR7 is theirs. */
	d->dr7 = kvmx_hw_bp(vcpu) ? vcpu->arch.guest_dr7 :
				    kvmx_vendor->get_reg(vcpu, KVMX_DR7);
}

static int kvmx_set_debugregs(struct kvmx_vcpu *vcpu,
			      const struct kvm_debugregs *d)
{
	if (d->flags || (d->dr6 >> 32) || (d->dr7 >> 32))
		return -EINVAL;
	memcpy(vcpu->arch.db, d->db, sizeof(d->db));
	kvmx_vendor->set_reg(vcpu, KVMX_DR6, d->dr6);
	if (kvmx_hw_bp(vcpu))
		vcpu->arch.guest_dr7 = d->dr7;
	else
		kvmx_vendor->set_reg(vcpu, KVMX_DR7, d->dr7);
	return 0;
}

#define KVMX_GUESTDBG_VALID (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP | \
			     KVM_GUESTDBG_USE_HW_BP | KVM_GUESTDBG_SINGLESTEP | \
			     KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP)

static int kvmx_set_guest_debug(struct kvmx_vcpu *vcpu,
				const struct kvm_guest_debug *dbg)
{
	if (dbg->control & ~KVMX_GUESTDBG_VALID)
		return -EINVAL;
	if (dbg->control & (KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP)) {
		if (vcpu->arch.events.exception.injected)
			return -EBUSY;
		kvmx_queue_exception(vcpu, dbg->control & KVM_GUESTDBG_INJECT_DB ?
				     DB_VECTOR : BP_VECTOR, false, 0);
	}
	/*
	 * Hardware breakpoints: the debugger's DR0-3 and DR7 replace the
	 * guest's while it runs; the guest's are kept aside.  Guest accesses
	 * to the debug registers are not trapped meanwhile, unlike in KVM.
	 */
	if (kvmx_hw_bp(vcpu))
		kvmx_vendor->set_reg(vcpu, KVMX_DR7, vcpu->arch.guest_dr7);
	vcpu->arch.guest_debug = dbg->control & KVM_GUESTDBG_ENABLE ?
				 dbg->control : 0;
	if (kvmx_hw_bp(vcpu)) {
		memcpy(vcpu->arch.dbg_db, dbg->arch.debugreg,
		       sizeof(vcpu->arch.dbg_db));
		vcpu->arch.guest_dr7 = kvmx_vendor->get_reg(vcpu, KVMX_DR7);
		kvmx_vendor->set_reg(vcpu, KVMX_DR7, dbg->arch.debugreg[7]);
	}
	kvmx_vendor->set_intercepts(vcpu);
	return 0;
}

/* ---- Events and MP state ------------------------------------------------ */

static void kvmx_get_events(struct kvmx_vcpu *vcpu, struct kvm_vcpu_events *e)
{
	kvmx_process_nmi(vcpu);
	*e = vcpu->arch.events;
	e->interrupt.shadow = kvmx_vendor->get_reg(vcpu, KVMX_INT_SHADOW);
	/* As KVM: whether any NMI waits, not how many. */
	e->nmi.pending = !!e->nmi.pending;
	e->nmi.masked = kvmx_vendor->get_reg(vcpu, KVMX_NMI_MASK);
	e->flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW |
		   KVM_VCPUEVENT_VALID_SMM;
	memset(&e->reserved, 0, sizeof(e->reserved));
}

static int kvmx_set_events(struct kvmx_vcpu *vcpu,
			   const struct kvm_vcpu_events *e)
{
	if (e->flags & ~(KVM_VCPUEVENT_VALID_NMI_PENDING |
			 KVM_VCPUEVENT_VALID_SIPI_VECTOR |
			 KVM_VCPUEVENT_VALID_SHADOW |
			 KVM_VCPUEVENT_VALID_SMM))
		return -EINVAL;
	if (e->exception.injected &&
	    (e->exception.nr > 31 || e->exception.nr == NMI_VECTOR))
		return -EINVAL;
	/* kvmx has no SMM. */
	if ((e->flags & KVM_VCPUEVENT_VALID_SMM) && e->smi.smm)
		return -EINVAL;

	kvmx_process_nmi(vcpu);
	vcpu->arch.events.exception = e->exception;
	vcpu->arch.events.exception.pending = 0;
	vcpu->arch.events.interrupt.injected = e->interrupt.injected;
	vcpu->arch.events.interrupt.nr = e->interrupt.nr;
	vcpu->arch.events.interrupt.soft = e->interrupt.soft;
	if (e->flags & KVM_VCPUEVENT_VALID_SHADOW)
		kvmx_vendor->set_reg(vcpu, KVMX_INT_SHADOW,
				     e->interrupt.shadow);
	vcpu->arch.events.nmi.injected = !!e->nmi.injected;
	if (e->flags & KVM_VCPUEVENT_VALID_NMI_PENDING)
		vcpu->arch.events.nmi.pending = e->nmi.pending;
	kvmx_vendor->set_reg(vcpu, KVMX_NMI_MASK, !!e->nmi.masked);
	if (e->flags & KVM_VCPUEVENT_VALID_SIPI_VECTOR)
		vcpu->arch.events.sipi_vector = e->sipi_vector;
	return 0;
}

/* ---- KVM_CAP_SYNC_REGS: state in kvm_run, around KVM_RUN ---------------- */

int kvmx_sync_regs_in(struct kvmx_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (run->kvm_dirty_regs & KVM_SYNC_X86_REGS) {
		kvmx_set_regs(vcpu, &run->s.regs.regs);
		run->kvm_dirty_regs &= ~KVM_SYNC_X86_REGS;
	}
	if (run->kvm_dirty_regs & KVM_SYNC_X86_SREGS) {
		if (kvmx_set_sregs(vcpu, &run->s.regs.sregs))
			return -EINVAL;
		run->kvm_dirty_regs &= ~KVM_SYNC_X86_SREGS;
	}
	if (run->kvm_dirty_regs & KVM_SYNC_X86_EVENTS) {
		if (kvmx_set_events(vcpu, &run->s.regs.events))
			return -EINVAL;
		run->kvm_dirty_regs &= ~KVM_SYNC_X86_EVENTS;
	}
	return 0;
}

void kvmx_sync_regs_out(struct kvmx_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (run->kvm_valid_regs & KVM_SYNC_X86_REGS)
		kvmx_get_regs(vcpu, &run->s.regs.regs);
	if (run->kvm_valid_regs & KVM_SYNC_X86_SREGS)
		kvmx_get_sregs(vcpu, &run->s.regs.sregs);
	if (run->kvm_valid_regs & KVM_SYNC_X86_EVENTS)
		kvmx_get_events(vcpu, &run->s.regs.events);
}

/* ---- MP state ------------------------------------------------------------ */

static int kvmx_set_mp_state(struct kvmx_vcpu *vcpu, u32 state)
{
	switch (state) {
	case KVM_MP_STATE_RUNNABLE:
		break;
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_INIT_RECEIVED:
	case KVM_MP_STATE_HALTED:
	case KVM_MP_STATE_SIPI_RECEIVED:
		/* Without an in-kernel APIC a vCPU is only ever runnable. */
		if (!vcpu->arch.apic)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	/* As KVM: "SIPI received" is INIT received with the SIPI pending. */
	if (state == KVM_MP_STATE_SIPI_RECEIVED) {
		state = KVM_MP_STATE_INIT_RECEIVED;
		set_bit(KVMX_APIC_SIPI, &vcpu->arch.apic_events);
	}
	vcpu->arch.mp_state = state;
	kvmx_make_request(vcpu, KVMX_REQ_EVENT);
	return 0;
}

/* ---- Dispatch ------------------------------------------------------------ */

#define COPY_IN(x)  (copy_from_user(&(x), argp, sizeof(x)) ? -EFAULT : 0)
#define COPY_OUT(x) (copy_to_user(argp, &(x), sizeof(x)) ? -EFAULT : 0)

long kvmx_x86_state_ioctl(struct kvmx_vcpu *vcpu, unsigned int ioctl,
			  void __user *argp)
{
	union {
		struct kvm_regs regs;
		struct kvm_sregs sregs;
		struct kvm_fpu fpu;
		struct kvm_xcrs xcrs;
		struct kvm_debugregs dbgregs;
		struct kvm_guest_debug dbg;
		struct kvm_vcpu_events events;
		struct kvm_mp_state mp;
		struct kvm_interrupt irq;
	} *u;
	long r;

	u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
	if (!u)
		return -ENOMEM;

	switch (ioctl) {
	case KVM_GET_REGS:
		kvmx_get_regs(vcpu, &u->regs);
		r = COPY_OUT(u->regs);
		break;
	case KVM_SET_REGS:
		r = COPY_IN(u->regs);
		if (!r)
			kvmx_set_regs(vcpu, &u->regs);
		break;
	case KVM_GET_SREGS:
		kvmx_get_sregs(vcpu, &u->sregs);
		r = COPY_OUT(u->sregs);
		break;
	case KVM_SET_SREGS:
		r = COPY_IN(u->sregs);
		if (!r)
			r = kvmx_set_sregs(vcpu, &u->sregs);
		break;
	case KVM_GET_FPU:
		kvmx_get_fpu(vcpu, &u->fpu);
		r = COPY_OUT(u->fpu);
		break;
	case KVM_SET_FPU:
		r = COPY_IN(u->fpu);
		if (!r)
			kvmx_set_fpu(vcpu, &u->fpu);
		break;
	case KVM_GET_XSAVE:
		r = kvmx_get_xsave(vcpu, argp);
		break;
	case KVM_SET_XSAVE:
		r = kvmx_set_xsave(vcpu, argp);
		break;
	case KVM_GET_XCRS:
		u->xcrs.nr_xcrs = boot_cpu_has(X86_FEATURE_XSAVE) ? 1 : 0;
		u->xcrs.xcrs[0].xcr = XCR_XFEATURE_ENABLED_MASK;
		u->xcrs.xcrs[0].value = vcpu->arch.xcr0;
		r = COPY_OUT(u->xcrs);
		break;
	case KVM_SET_XCRS:
		r = COPY_IN(u->xcrs);
		if (!r)
			r = kvmx_set_xcrs(vcpu, &u->xcrs);
		break;
	case KVM_GET_DEBUGREGS:
		kvmx_get_debugregs(vcpu, &u->dbgregs);
		r = COPY_OUT(u->dbgregs);
		break;
	case KVM_SET_DEBUGREGS:
		r = COPY_IN(u->dbgregs);
		if (!r)
			r = kvmx_set_debugregs(vcpu, &u->dbgregs);
		break;
	case KVM_SET_GUEST_DEBUG:
		r = COPY_IN(u->dbg);
		if (!r)
			r = kvmx_set_guest_debug(vcpu, &u->dbg);
		break;
	case KVM_GET_VCPU_EVENTS:
		kvmx_get_events(vcpu, &u->events);
		r = COPY_OUT(u->events);
		break;
	case KVM_SET_VCPU_EVENTS:
		r = COPY_IN(u->events);
		if (!r)
			r = kvmx_set_events(vcpu, &u->events);
		break;
	case KVM_GET_MP_STATE:
		kvmx_irqchip_accept_events(vcpu);
		u->mp.mp_state = vcpu->arch.mp_state;
		r = COPY_OUT(u->mp);
		break;
	case KVM_SET_MP_STATE:
		r = COPY_IN(u->mp);
		if (!r)
			r = kvmx_set_mp_state(vcpu, u->mp.mp_state);
		break;
	case KVM_INTERRUPT:
		r = COPY_IN(u->irq);
		if (r)
			break;
		if (u->irq.irq >= KVM_NR_INTERRUPTS)
			r = -EINVAL;
		else if (vcpu->vm->arch.pic)
			r = -ENXIO;	/* the in-kernel PIC is the only source */
		else if (vcpu->arch.irq_pending)
			r = -EEXIST;
		else {
			vcpu->arch.irq_pending = true;
			vcpu->arch.irq_vector = u->irq.irq;
		}
		break;
	case KVM_NMI:
		kvmx_queue_nmi(vcpu);
		r = 0;
		break;
	case KVM_GET_LAPIC:
	case KVM_SET_LAPIC:
	case KVM_SET_VAPIC_ADDR:
	case KVM_TPR_ACCESS_REPORTING:
		r = kvmx_irqchip_vcpu_ioctl(vcpu, ioctl, argp);
		break;
	default:
		r = -EINVAL;
		break;
	}
	kfree(u);
	return r;
}
