// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VMX backend: one VMCS per vCPU, EPT and unrestricted guest always
 * on, VPID when the CPU has it.
 *
 * A VMCS is "active" on at most one CPU at a time and VMREAD/VMWRITE reach
 * only the CPU's current VMCS.  Every access from kvmx therefore goes
 * through vmx_get_vmcs(), which makes the vCPU's VMCS current on this CPU
 * (VMCLEARing it on the CPU it was active on first, by IPI) and keeps
 * preemption off until vmx_put_vmcs().  Each CPU lists the VMCSs active on
 * it so that they are all VMCLEARed before VMXOFF.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": vmx: " fmt

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <asm/cpu_entry_area.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/xcr.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/traps.h>
#include <asm/tsc.h>
#include <asm/vmx.h>

#include "kvmx.h"
#include "../vendor.h"
#include "../x86.h"
#include "vmx.h"

/* Basic exit reasons <asm/vmx.h> does not name. */
#ifndef EXIT_REASON_GETSEC
#define EXIT_REASON_GETSEC	11
#endif
#ifndef EXIT_REASON_RSM
#define EXIT_REASON_RSM		17
#endif

/* VM-exit qualification of MOV CR, I/O and EPT violations. */
#define CR_QUAL_CR(q)		((q) & 15)
#define CR_QUAL_TYPE(q)		(((q) >> 4) & 3)
#define CR_QUAL_GPR(q)		(((q) >> 8) & 15)
#define CR_QUAL_LMSW(q)		(((q) >> 16) & 0xffff)
#define CR_TYPE_MOV_TO		0
#define CR_TYPE_MOV_FROM	1
#define CR_TYPE_CLTS		2
#define CR_TYPE_LMSW		3

#define IO_QUAL_SIZE(q)		(((q) & 7) + 1)
#define IO_QUAL_IN		BIT(3)
#define IO_QUAL_STRING		BIT(4)
#define IO_QUAL_REP		BIT(5)
#define IO_QUAL_PORT(q)		(((q) >> 16) & 0xffff)

#define EPT_QUAL_READ		BIT(0)
#define EPT_QUAL_WRITE		BIT(1)
#define EPT_QUAL_FETCH		BIT(2)
#define EPT_QUAL_RWX		(7 << 3)	/* the EPT entry's R/W/X */
#define EPT_QUAL_NMI_UNBLOCK	BIT(12)

#define PENDING_DBG_BS		BIT(14)

/* IA32_VMX_BASIC, whose macros the two kernels name differently. */
#define BASIC_VMCS_SIZE(b)	(((b) >> 32) & 0x1fff)
#define BASIC_32BIT_PA		BIT_ULL(48)
#define BASIC_MEM_TYPE(b)	(((b) >> 50) & 0xf)
#define BASIC_MEM_TYPE_WB	6
#define BASIC_TRUE_CTLS		BIT_ULL(55)

/* CR0 bits kvmx keeps for itself besides those VMX fixes. */
#define VMX_CR0_HOST_BITS	(X86_CR0_PG | X86_CR0_CD | X86_CR0_NW)
/* CR4: machine checks stay the host's while the guest runs. */
#define VMX_CR4_HOST_BITS	X86_CR4_MCE

struct vmx_config {
	u32 pin, exec, exec2, exit, entry;
	u32 revision_id;
	u32 vmcs_size;
	bool vpid;
	bool invept_single;
	bool invvpid_single;
	bool zero_len_soft;	/* soft interrupts injected with length 0 */
	bool preempt_timer;
	u32 preempt_ticks;	/* ~1 ms of the VMX-preemption timer */
	/* CR0/CR4 bits the guest writes without an exit. */
	unsigned long cr0_guest_bits, cr4_guest_bits;
	unsigned long cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

static struct vmx_config vmx_cfg;

struct vmx_vcpu {
	struct kvmx_vcpu *vcpu;
	void *vmcs;
	u64 vmcs_pa;
	int cpu;			/* where the VMCS is active, or -1 */
	bool launched;
	struct list_head loaded_link;	/* on vmx_loaded_vmcss of ->cpu */

	u16 vpid;			/* 0: none, entries flush the TLB */
	u64 eptp;
	u64 ept_root;
	bool flush_ept, flush_vpid;

	u32 pin, exec;			/* the controls as last written */
	u32 entry;
	bool injected;			/* VM_ENTRY_INTR_INFO is valid */

	/* What the guest sees, where the VMCS holds a different value. */
	unsigned long cr0, cr4;
	u64 efer;
	u64 cr2;
	u64 dr6;
	bool pdptrs_dirty;

	/*
	 * Segment access rights: hardware needs some bits forced (accessed,
	 * busy TSS, ...).  Report what the VMM set for as long as the VMCS
	 * still holds what kvmx wrote for it.
	 */
	u32 seg_user_ar[KVMX_IDTR + 1];
	u32 seg_hw_ar[KVMX_IDTR + 1];

	/* MSRs VMX does not switch: the guest's, loaded lazily. */
	u64 star, lstar, cstar, sfmask, kernel_gs_base;
	bool guest_msrs_loaded;
	struct {
		u16 ds, es, fs, gs, ldt;
		u64 kernel_gs_base;
		u64 star, lstar, cstar, sfmask;
		u64 debugctl;
		struct desc_ptr idt;
	} host;

	unsigned long host_cr3, host_cr4;
	unsigned long host_dr[4];
};

static DEFINE_PER_CPU(struct page *, vmx_vmxon_region);
static DEFINE_PER_CPU(void *, vmx_current_vmcs);
static DEFINE_PER_CPU(struct list_head, vmx_loaded_vmcss);

static void *vmx_msr_bitmap;	/* shared by all vCPUs */

static DEFINE_SPINLOCK(vmx_vpid_lock);
static unsigned long *vmx_vpid_bitmap;

static struct vmx_vcpu *to_vmx(struct kvmx_vcpu *vcpu)
{
	return vcpu->arch.vendor;
}

void vmx_vmcs_error(const char *insn, unsigned long field, unsigned long val)
{
	pr_err_ratelimited("%s of field %#lx (value %#lx) failed\n",
			   insn, field, val);
}

/* ---- VMX instructions -------------------------------------------------- */

static void vmx_vmclear(u64 pa)
{
	asm volatile("1: vmclear %0\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : : "m" (pa) : "cc", "memory");
}

static bool vmx_vmptrld(u64 pa)
{
	bool fail = true;

	asm volatile("1: vmptrld %[pa]\n\t"
		     "setna %[fail]\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [fail] "+qm" (fail) : [pa] "m" (pa) : "cc", "memory");
	return !fail;
}

static void vmx_invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, rsvd; } desc = { eptp, 0 };

	asm volatile("1: invept %0, %1\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : : "m" (desc), "r" (type) : "cc", "memory");
}

static void vmx_invvpid(unsigned long type, u16 vpid)
{
	struct { u64 vpid, gva; } desc = { vpid, 0 };

	asm volatile("1: invvpid %0, %1\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : : "m" (desc), "r" (type) : "cc", "memory");
}

/* ---- Load-time setup ---------------------------------------------------- */

/*
 * Settle a control word against its capability MSR: bits the CPU forces on
 * are set, optional ones it lacks dropped.  Fails if a required one is
 * missing.
 */
static int vmx_adjust(u32 msr, u32 required, u32 optional, u32 *out,
		      const char *what)
{
	u64 cap;
	u32 ctl;

	rdmsrl(msr, cap);
	ctl = (required | optional) & (u32)(cap >> 32);
	ctl |= (u32)cap;
	if ((ctl & required) != required) {
		pr_err("this CPU lacks %s controls %#x\n", what,
		       required & ~ctl);
		return -EOPNOTSUPP;
	}
	*out = ctl;
	return 0;
}

static int vmx_setup_config(void)
{
	struct vmx_config *c = &vmx_cfg;
	bool true_ctls;
	u64 basic, ept_vpid, misc, v;
	u32 allowed1;
	int r;

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	c->revision_id = basic & 0x7fffffff;
	c->vmcs_size = BASIC_VMCS_SIZE(basic);
	if (c->vmcs_size > PAGE_SIZE || (basic & BASIC_32BIT_PA) ||
	    BASIC_MEM_TYPE(basic) != BASIC_MEM_TYPE_WB) {
		pr_err("unsupported VMCS layout (IA32_VMX_BASIC=%#llx)\n",
		       basic);
		return -EOPNOTSUPP;
	}
	/* The "true" MSRs let CR3 exiting and friends be turned off. */
	true_ctls = basic & BASIC_TRUE_CTLS;

	r = vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
				   MSR_IA32_VMX_PINBASED_CTLS,
		       PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING |
		       PIN_BASED_VIRTUAL_NMIS, PIN_BASED_VMX_PREEMPTION_TIMER,
		       &c->pin, "pin-based");
	if (r)
		return r;
	r = vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
				   MSR_IA32_VMX_PROCBASED_CTLS,
		       CPU_BASED_HLT_EXITING | CPU_BASED_MWAIT_EXITING |
		       CPU_BASED_MONITOR_EXITING |
		       CPU_BASED_CR8_LOAD_EXITING |
		       CPU_BASED_CR8_STORE_EXITING |
		       CPU_BASED_RDPMC_EXITING |
		       CPU_BASED_UNCOND_IO_EXITING |
		       CPU_BASED_USE_MSR_BITMAPS |
		       CPU_BASED_USE_TSC_OFFSETTING |
		       CPU_BASED_ACTIVATE_SECONDARY_CONTROLS, 0,
		       &c->exec, "processor-based");
	if (r)
		return r;
	rdmsrl(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
			   MSR_IA32_VMX_PROCBASED_CTLS, v);
	if (!(v >> 32 & CPU_BASED_INTR_WINDOW_EXITING)) {
		pr_err("this CPU lacks interrupt-window exiting\n");
		return -EOPNOTSUPP;
	}
	/* The CPU tracks the guest's NMI blocking (virtual NMIs) for kvmx. */
	if (!(v >> 32 & CPU_BASED_NMI_WINDOW_EXITING)) {
		pr_err("this CPU lacks NMI-window exiting\n");
		return -EOPNOTSUPP;
	}
	r = vmx_adjust(MSR_IA32_VMX_PROCBASED_CTLS2,
		       SECONDARY_EXEC_ENABLE_EPT |
		       SECONDARY_EXEC_UNRESTRICTED_GUEST,
		       SECONDARY_EXEC_ENABLE_VPID |
		       SECONDARY_EXEC_WBINVD_EXITING,
		       &c->exec2, "secondary processor-based");
	if (r)
		return r;
	r = vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
				   MSR_IA32_VMX_EXIT_CTLS,
		       VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_IA32_PAT |
		       VM_EXIT_LOAD_IA32_PAT | VM_EXIT_LOAD_IA32_EFER,
		       VM_EXIT_SAVE_DEBUG_CONTROLS, &c->exit, "VM-exit");
	if (r)
		return r;
	r = vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
				   MSR_IA32_VMX_ENTRY_CTLS,
		       VM_ENTRY_LOAD_IA32_PAT | VM_ENTRY_LOAD_IA32_EFER |
		       VM_ENTRY_LOAD_DEBUG_CONTROLS, 0, &c->entry, "VM-entry");
	if (r)
		return r;
	rdmsrl(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
			   MSR_IA32_VMX_ENTRY_CTLS, v);
	if (!(v >> 32 & VM_ENTRY_IA32E_MODE)) {
		pr_err("this CPU cannot enter 64-bit guests\n");
		return -EOPNOTSUPP;
	}
	/* IA-32e mode follows the guest's EFER.LMA. */
	c->entry &= ~VM_ENTRY_IA32E_MODE;
	/* Armed per entry, see vmx_run(). */
	c->preempt_timer = c->pin & PIN_BASED_VMX_PREEMPTION_TIMER;
	c->pin &= ~PIN_BASED_VMX_PREEMPTION_TIMER;

	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, ept_vpid);
	/* The shared MMU builds 4-level WB tables with 2 MiB leaves. */
	if (!(ept_vpid & VMX_EPT_PAGE_WALK_4_BIT) ||
	    !(ept_vpid & VMX_EPTP_WB_BIT) ||
	    !(ept_vpid & VMX_EPT_2MB_PAGE_BIT) ||
	    !(ept_vpid & VMX_EPT_INVEPT_BIT) ||
	    !(ept_vpid & (VMX_EPT_EXTENT_CONTEXT_BIT |
			  VMX_EPT_EXTENT_GLOBAL_BIT))) {
		pr_err("EPT lacks 4 levels, WB, 2 MiB pages or INVEPT (%#llx)\n",
		       ept_vpid);
		return -EOPNOTSUPP;
	}
	c->invept_single = ept_vpid & VMX_EPT_EXTENT_CONTEXT_BIT;
	/* VPID is only worth it with INVVPID to flush a guest's mappings. */
	allowed1 = ept_vpid >> 32;
	c->vpid = (c->exec2 & SECONDARY_EXEC_ENABLE_VPID) &&
		  (allowed1 & VMX_VPID_INVVPID_BIT) &&
		  (allowed1 & (VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT |
			       VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT));
	c->invvpid_single = allowed1 & VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT;
	/* Per vCPU: on only when it got a VPID. */
	c->exec2 &= ~SECONDARY_EXEC_ENABLE_VPID;

	rdmsrl(MSR_IA32_VMX_MISC, misc);
	c->zero_len_soft = misc & VMX_MISC_ZERO_LEN_INS;
	/* The timer counts down at the TSC rate shifted right by MISC[4:0]. */
	c->preempt_ticks = max_t(u32, (tsc_khz ?: 1000000) >> (misc & 0x1f), 1);

	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, v);
	c->cr0_fixed0 = v;
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, v);
	c->cr0_fixed1 = v;
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, v);
	c->cr4_fixed0 = v;
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, v);
	c->cr4_fixed1 = v;
	/*
	 * The guest owns the bits VMX lets it set both ways; unrestricted
	 * guest exempts PE and PG.  kvmx keeps PG (long mode transitions),
	 * CD/NW (never in the real CR0) and MCE; everything else the guest
	 * cannot set as it likes (VMXE, NE, bits the CPU lacks) exits.
	 */
	c->cr0_guest_bits = ((c->cr0_fixed1 & ~c->cr0_fixed0) |
			     X86_CR0_PE | X86_CR0_PG) & ~VMX_CR0_HOST_BITS &
			    0xffffffffUL;
	c->cr4_guest_bits = (c->cr4_fixed1 & ~c->cr4_fixed0) &
			    ~VMX_CR4_HOST_BITS & 0xffffffffUL;
	return 0;
}

static void vmx_unprobe(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(vmx_vmxon_region, cpu))
			__free_page(per_cpu(vmx_vmxon_region, cpu));
		per_cpu(vmx_vmxon_region, cpu) = NULL;
	}
	free_page((unsigned long)vmx_msr_bitmap);
	vmx_msr_bitmap = NULL;
	bitmap_free(vmx_vpid_bitmap);
	vmx_vpid_bitmap = NULL;
}

/* Let the guest at @msr without exits, both ways. */
static void vmx_msr_allow(u32 msr)
{
	unsigned long *bm = vmx_msr_bitmap;
	u32 base;

	/* Read low, read high, write low, write high: 1 KiB each. */
	if (msr < 0x2000) {
		base = 0;
	} else {
		base = 1024 * 8;
		msr -= 0xc0000000;
	}
	__clear_bit(base + msr, bm);
	__clear_bit(2048 * 8 + base + msr, bm);
}

static int vmx_probe(void)
{
	u64 feat;
	int cpu, r;

	rdmsrl(MSR_IA32_FEAT_CTL, feat);
	if (!(feat & FEAT_CTL_LOCKED) ||
	    !(feat & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("VMX is disabled by firmware (IA32_FEATURE_CONTROL=%#llx)\n",
		       feat);
		return -EOPNOTSUPP;
	}
	r = vmx_setup_config();
	if (r)
		return r;

	vmx_msr_bitmap = (void *)__get_free_page(GFP_KERNEL);
	vmx_vpid_bitmap = bitmap_zalloc(VMX_NR_VPIDS, GFP_KERNEL);
	if (!vmx_msr_bitmap || !vmx_vpid_bitmap)
		goto nomem;
	__set_bit(0, vmx_vpid_bitmap);		/* VPID 0 is the host's */
	/*
	 * Intercept every MSR but the segment bases, which live in the VMCS
	 * (FS, GS) or are swapped around guest execution (KERNEL_GS_BASE).
	 */
	memset(vmx_msr_bitmap, 0xff, PAGE_SIZE);
	vmx_msr_allow(MSR_FS_BASE);
	vmx_msr_allow(MSR_GS_BASE);
	vmx_msr_allow(MSR_KERNEL_GS_BASE);

	for_each_possible_cpu(cpu) {
		struct page *page;

		page = alloc_pages_node(cpu_to_node(cpu),
					GFP_KERNEL | __GFP_ZERO, 0);
		if (!page)
			goto nomem;
		*(u32 *)page_address(page) = vmx_cfg.revision_id;
		per_cpu(vmx_vmxon_region, cpu) = page;
		INIT_LIST_HEAD(&per_cpu(vmx_loaded_vmcss, cpu));
	}
	pr_info("VMCS revision %#x, VPID %s, virtual NMIs on\n",
		vmx_cfg.revision_id, vmx_cfg.vpid ? "on" : "off");
	return 0;

nomem:
	vmx_unprobe();
	return -ENOMEM;
}

/* ---- VMXON and VMXOFF ------------------------------------------------- */

/* VMXON #GPs unless CR0 and CR4 honour the fixed bits. */
static bool vmx_host_crs_ok(void)
{
	unsigned long cr0 = read_cr0(), cr4 = __read_cr4() | X86_CR4_VMXE;
	const struct vmx_config *c = &vmx_cfg;

	if ((cr0 & c->cr0_fixed0) != c->cr0_fixed0 || (cr0 & ~c->cr0_fixed1))
		return false;
	return (cr4 & c->cr4_fixed0) == c->cr4_fixed0 &&
	       !(cr4 & ~c->cr4_fixed1);
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
	__this_cpu_write(vmx_current_vmcs, NULL);
	return 0;
fail:
	cr4_clear_bits(X86_CR4_VMXE);
	return -EIO;
}

/*
 * With interrupts off, or in NMI context (crash): VMCLEAR writes each VMCS
 * back to memory and marks it inactive, so that it may be loaded on any
 * CPU afterwards; only then may VMX go off.
 */
static void vmx_cpu_disable(void)
{
	int cpu = raw_smp_processor_id();
	struct vmx_vcpu *vmx, *tmp;

	list_for_each_entry_safe(vmx, tmp, &per_cpu(vmx_loaded_vmcss, cpu),
				 loaded_link) {
		vmx_vmclear(vmx->vmcs_pa);
		list_del(&vmx->loaded_link);
		vmx->cpu = -1;
		vmx->launched = false;
	}
	__this_cpu_write(vmx_current_vmcs, NULL);

	/* VMXOFF faults if a crash caught us outside VMX operation. */
	asm goto("1: vmxoff\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : : "cc", "memory" : fault);
fault:
	cr4_clear_bits(X86_CR4_VMXE);
}

/* ---- Making a VMCS current ------------------------------------------- */

/* On the CPU the VMCS is active on, by IPI. */
static void vmx_vmcs_clear_here(void *arg)
{
	struct vmx_vcpu *vmx = arg;
	int cpu = raw_smp_processor_id();

	/* The CPU went offline and cleared it meanwhile. */
	if (vmx->cpu != cpu)
		return;
	if (__this_cpu_read(vmx_current_vmcs) == vmx->vmcs)
		__this_cpu_write(vmx_current_vmcs, NULL);
	vmx_vmclear(vmx->vmcs_pa);
	list_del(&vmx->loaded_link);
	/* Off this CPU's list before another CPU may put it on its own. */
	smp_wmb();
	vmx->cpu = -1;
	vmx->launched = false;
}

static void vmx_vmcs_clear(struct vmx_vcpu *vmx)
{
	int cpu = READ_ONCE(vmx->cpu);

	if (cpu != -1)
		smp_call_function_single(cpu, vmx_vmcs_clear_here, vmx, 1);
}

/* What the host state fields hold that differs from CPU to CPU. */
static void vmx_set_host_cpu_state(int cpu)
{
	struct desc_ptr dt;
	u64 v;

	vmcs_write(HOST_TR_BASE,
		   (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	vmcs_write(HOST_GDTR_BASE,
		   (unsigned long)get_cpu_entry_area(cpu)->gdt);
	store_idt(&dt);
	vmcs_write(HOST_IDTR_BASE, dt.address);
	rdmsrl(MSR_IA32_SYSENTER_ESP, v);
	vmcs_write(HOST_IA32_SYSENTER_ESP, v);
}

/* Preemption off, interrupts on unless the VMCS is already here. */
static void vmx_load_vmcs(struct vmx_vcpu *vmx, int cpu)
{
	bool moved = vmx->cpu != cpu;
	unsigned long flags;

	if (moved) {
		vmx_vmcs_clear(vmx);
		local_irq_save(flags);
		/* Pairs with the smp_wmb() in vmx_vmcs_clear_here(). */
		smp_rmb();
		list_add(&vmx->loaded_link, &per_cpu(vmx_loaded_vmcss, cpu));
		local_irq_restore(flags);
	}
	if (per_cpu(vmx_current_vmcs, cpu) != vmx->vmcs) {
		if (!vmx_vmptrld(vmx->vmcs_pa))
			pr_err_ratelimited("VMPTRLD failed\n");
		per_cpu(vmx_current_vmcs, cpu) = vmx->vmcs;
	}
	if (moved) {
		vmx_set_host_cpu_state(cpu);
		vmx->cpu = cpu;
		/* Even here before: VMXOFF and VMXON need not flush the TLB. */
		vmx->flush_ept = true;
	}
}

static struct vmx_vcpu *vmx_get_vmcs(struct kvmx_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int cpu = get_cpu();

	if (vmx->cpu != cpu || __this_cpu_read(vmx_current_vmcs) != vmx->vmcs)
		vmx_load_vmcs(vmx, cpu);
	return vmx;
}

static void vmx_put_vmcs(void)
{
	put_cpu();
}

/* ---- Guest memory ------------------------------------------------------ */

/* Read guest-physical memory without sleeping (interrupts may be off). */
static int vmx_read_guest(struct kvmx_vcpu *vcpu, u64 gpa, void *buf,
			  unsigned int len)
{
	struct kvmx_vm *vm = vcpu->vm;
	struct kvmx_memslot *slot;
	int idx, r = -EFAULT;
	u64 hva;

	idx = srcu_read_lock(&vm->srcu);
	slot = kvmx_gfn_to_memslot(kvmx_memslots(vm), gpa >> PAGE_SHIFT);
	if (slot) {
		hva = slot->userspace_addr + gpa -
		      (slot->base_gfn << PAGE_SHIFT);
		if (!copy_from_user_nofault(buf, (void __user *)hva, len))
			r = 0;
	}
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

/* ---- Segments ----------------------------------------------------------- */

struct vmx_seg_fields {
	u16 sel, base, limit, ar;
};

static const struct vmx_seg_fields vmx_seg_fields[] = {
	[KVMX_ES] = { GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT,
		      GUEST_ES_AR_BYTES },
	[KVMX_CS] = { GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT,
		      GUEST_CS_AR_BYTES },
	[KVMX_SS] = { GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT,
		      GUEST_SS_AR_BYTES },
	[KVMX_DS] = { GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT,
		      GUEST_DS_AR_BYTES },
	[KVMX_FS] = { GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT,
		      GUEST_FS_AR_BYTES },
	[KVMX_GS] = { GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT,
		      GUEST_GS_AR_BYTES },
	[KVMX_TR] = { GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT,
		      GUEST_TR_AR_BYTES },
	[KVMX_LDTR] = { GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE,
			GUEST_LDTR_LIMIT, GUEST_LDTR_AR_BYTES },
	[KVMX_GDTR] = { 0, GUEST_GDTR_BASE, GUEST_GDTR_LIMIT, 0 },
	[KVMX_IDTR] = { 0, GUEST_IDTR_BASE, GUEST_IDTR_LIMIT, 0 },
};

#define VMX_AR_TYPE(ar)		((ar) & VMX_AR_TYPE_MASK)

/*
 * The VMM's segment in VMX's access-rights format, shaped as the SVM
 * backend stores it: an unusable segment keeps no attributes but SS.DPL
 * (the CPL), and one that is not present is unusable.
 */
static u32 vmx_seg_user_ar(const struct kvm_segment *var, enum kvmx_seg seg)
{
	if (var->unusable)
		return VMX_AR_UNUSABLE_MASK |
		       (seg == KVMX_SS ?
			(var->dpl & 3) << VMX_AR_DPL_SHIFT : 0);
	return (var->type & VMX_AR_TYPE_MASK) |
	       (var->s ? VMX_AR_S_MASK : 0) |
	       ((var->dpl & 3) << VMX_AR_DPL_SHIFT) |
	       (var->present ? VMX_AR_P_MASK : VMX_AR_UNUSABLE_MASK) |
	       (var->avl << 12) |
	       (var->l ? VMX_AR_L_MASK : 0) |
	       (var->db ? VMX_AR_DB_MASK : 0) |
	       (var->g ? VMX_AR_G_MASK : 0);
}

/* G as the VM-entry checks want it for @limit. */
static u32 vmx_fix_g(u32 ar, u32 limit)
{
	if (limit > 0xfffff)
		return ar | VMX_AR_G_MASK;
	if ((limit & 0xfff) != 0xfff)
		return ar & ~VMX_AR_G_MASK;
	return ar;
}

/*
 * What the VMCS must hold for @user to pass the VM-entry checks, where a
 * real CPU (or SVM) would not care: accessed bits (set by any real load),
 * a busy TSS of the right size, no attributes on unusable segments.
 */
static u32 vmx_seg_hw_ar(struct vmx_vcpu *vmx, enum kvmx_seg seg, u32 user,
			 u32 limit)
{
	bool ia32e = vmx->entry & VM_ENTRY_IA32E_MODE;
	u32 ar = user & ~VMX_AR_RESERVD_MASK, type = VMX_AR_TYPE(user);

	switch (seg) {
	case KVMX_CS:
		ar = (ar & ~VMX_AR_UNUSABLE_MASK) | VMX_AR_P_MASK |
		     VMX_AR_S_MASK | VMX_AR_TYPE_ACCESSES_MASK;
		if (ia32e && (ar & VMX_AR_L_MASK))
			ar &= ~VMX_AR_DB_MASK;
		break;
	case KVMX_TR:
		/* A 16-bit TSS stays one outside long mode. */
		type = !ia32e && (type & ~2) == 1 ? VMX_AR_TYPE_BUSY_16_TSS :
						   VMX_AR_TYPE_BUSY_64_TSS;
		ar = (ar & ~(VMX_AR_TYPE_MASK | VMX_AR_S_MASK |
			     VMX_AR_UNUSABLE_MASK)) | type | VMX_AR_P_MASK;
		break;
	case KVMX_LDTR:
		if (type != VMX_AR_TYPE_LDT || (ar & VMX_AR_S_MASK))
			ar |= VMX_AR_UNUSABLE_MASK;
		if (ar & VMX_AR_UNUSABLE_MASK)
			return VMX_AR_UNUSABLE_MASK;
		break;
	case KVMX_SS:
		if (ar & VMX_AR_UNUSABLE_MASK)
			return ar & (VMX_AR_UNUSABLE_MASK |
				     (3 << VMX_AR_DPL_SHIFT));
		ar = (ar & ~VMX_AR_TYPE_MASK) | (type & 4) | 3;
		break;
	default:
		if (ar & VMX_AR_UNUSABLE_MASK)
			return VMX_AR_UNUSABLE_MASK;
		ar |= VMX_AR_TYPE_ACCESSES_MASK;
		if (type & VMX_AR_TYPE_CODE_MASK)
			ar |= VMX_AR_TYPE_READABLE_MASK;
		break;
	}
	return vmx_fix_g(ar, limit);
}

static void vmx_write_seg_ar(struct vmx_vcpu *vmx, enum kvmx_seg seg,
			     u32 user, u32 limit)
{
	u32 hw = vmx_seg_hw_ar(vmx, seg, user, limit);

	vmx->seg_user_ar[seg] = user;
	vmx->seg_hw_ar[seg] = hw;
	vmcs_write(vmx_seg_fields[seg].ar, hw);
}

/* TR's type depends on long mode: redo it when IA-32e mode changes. */
static void vmx_refresh_tr(struct vmx_vcpu *vmx)
{
	u32 ar = vmcs_read(GUEST_TR_AR_BYTES), limit;

	if (ar != vmx->seg_hw_ar[KVMX_TR]) {
		/* The guest loaded TR itself: keep what it loaded. */
		vmx->seg_user_ar[KVMX_TR] = ar;
	}
	limit = vmcs_read(GUEST_TR_LIMIT);
	vmx_write_seg_ar(vmx, KVMX_TR, vmx->seg_user_ar[KVMX_TR], limit);
}

static void vmx_get_seg(struct kvmx_vcpu *vcpu, enum kvmx_seg seg,
			struct kvm_segment *var)
{
	const struct vmx_seg_fields *f = &vmx_seg_fields[seg];
	struct vmx_vcpu *vmx = vmx_get_vmcs(vcpu);
	u32 ar, cpl;

	memset(var, 0, sizeof(*var));
	var->base = vmcs_read(f->base);
	var->limit = vmcs_read(f->limit);
	if (seg == KVMX_GDTR || seg == KVMX_IDTR) {
		vmx_put_vmcs();
		return;
	}
	var->selector = vmcs_read(f->sel);
	ar = vmcs_read(f->ar);
	cpl = VMX_AR_DPL(vmcs_read(GUEST_SS_AR_BYTES));
	vmx_put_vmcs();

	/* The rest of an unusable segment's attributes is undefined. */
	if (ar == vmx->seg_hw_ar[seg])
		ar = vmx->seg_user_ar[seg];
	else if (ar & VMX_AR_UNUSABLE_MASK)
		ar &= VMX_AR_UNUSABLE_MASK | (3 << VMX_AR_DPL_SHIFT);

	kvmx_seg_from_ar(seg, var, ar, cpl);
}

static void vmx_set_seg(struct kvmx_vcpu *vcpu, enum kvmx_seg seg,
			const struct kvm_segment *var)
{
	const struct vmx_seg_fields *f = &vmx_seg_fields[seg];
	struct vmx_vcpu *vmx = vmx_get_vmcs(vcpu);

	vmcs_write(f->base, var->base);
	vmcs_write(f->limit, var->limit);
	if (seg != KVMX_GDTR && seg != KVMX_IDTR) {
		vmcs_write(f->sel, var->selector);
		vmx_write_seg_ar(vmx, seg, vmx_seg_user_ar(var, seg),
				 var->limit);
	}
	vmx_put_vmcs();
}

/* ---- Control registers and EFER ------------------------------------- */

static unsigned long vmx_read_cr0(struct vmx_vcpu *vmx)
{
	unsigned long own = vmx_cfg.cr0_guest_bits;

	return (vmcs_read(GUEST_CR0) & own) | (vmx->cr0 & ~own);
}

static unsigned long vmx_read_cr4(struct vmx_vcpu *vmx)
{
	unsigned long own = vmx_cfg.cr4_guest_bits;

	return (vmcs_read(GUEST_CR4) & own) | (vmx->cr4 & ~own);
}

static void vmx_write_efer(struct vmx_vcpu *vmx, u64 efer)
{
	u32 entry = vmx->entry & ~VM_ENTRY_IA32E_MODE;

	vmx->efer = efer;
	if (efer & EFER_LMA)
		entry |= VM_ENTRY_IA32E_MODE;
	vmcs_write(GUEST_IA32_EFER, efer);
	if (entry != vmx->entry) {
		vmx->entry = entry;
		vmcs_write(VM_ENTRY_CONTROLS, entry);
		vmx_refresh_tr(vmx);
		vmx->pdptrs_dirty = true;
	}
}

/*
 * The guest sees @cr0; the CPU runs with NE set and CD/NW clear.  VMX does
 * not set EFER.LMA when paging goes on with LME set, so kvmx intercepts
 * CR0.PG and does it here.
 */
static void vmx_write_cr0(struct vmx_vcpu *vmx, unsigned long cr0)
{
	const struct vmx_config *c = &vmx_cfg;
	unsigned long old = vmx_read_cr0(vmx), hw;

	hw = (cr0 & ~(X86_CR0_CD | X86_CR0_NW)) |
	     (c->cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG));
	hw &= c->cr0_fixed1 | X86_CR0_PE | X86_CR0_PG;
	vmcs_write(CR0_READ_SHADOW, cr0);
	vmcs_write(GUEST_CR0, hw);
	vmx->cr0 = cr0;

	if ((old ^ cr0) & X86_CR0_PG && (vmx->efer & EFER_LME)) {
		if (cr0 & X86_CR0_PG)
			vmx_write_efer(vmx, vmx->efer | EFER_LMA);
		else
			vmx_write_efer(vmx, vmx->efer & ~EFER_LMA);
	}
	vmx->pdptrs_dirty = true;
}

/* The guest sees @cr4; the CPU runs with VMXE and the host's MCE. */
static void vmx_write_cr4(struct vmx_vcpu *vmx, unsigned long cr4)
{
	const struct vmx_config *c = &vmx_cfg;
	unsigned long hw;

	hw = (cr4 & ~VMX_CR4_HOST_BITS) | (cr4_read_shadow() & X86_CR4_MCE) |
	     c->cr4_fixed0;
	hw &= c->cr4_fixed1;
	vmcs_write(CR4_READ_SHADOW, cr4);
	vmcs_write(GUEST_CR4, hw);
	vmx->cr4 = cr4;
	vmx->pdptrs_dirty = true;
}

static bool vmx_pae_paging(struct vmx_vcpu *vmx)
{
	return (vmx_read_cr0(vmx) & X86_CR0_PG) &&
	       (vmx_read_cr4(vmx) & X86_CR4_PAE) && !(vmx->efer & EFER_LMA);
}

/*
 * With EPT, VM entry takes PAE paging's four PDPTEs from the VMCS, not
 * from memory: load them when kvmx changes CR0, CR3 or CR4 behind the
 * guest's back (the CPU does it on the guest's own MOV to CR3).  Returns
 * false if one is invalid, where a MOV to CR would #GP.
 */
static bool vmx_load_pdptrs(struct kvmx_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	u64 rsvd = GENMASK_ULL(63, boot_cpu_data.x86_phys_bits) |
		   GENMASK_ULL(8, 5) | GENMASK_ULL(2, 1);
	u64 pdpte[4] = {};
	bool ok = true;
	int i;

	vmx->pdptrs_dirty = false;
	if (!vmx_pae_paging(vmx))
		return true;
	if (vmx_read_guest(vcpu, vmcs_read(GUEST_CR3) & 0xffffffe0UL,
			   pdpte, sizeof(pdpte)))
		ok = false;
	for (i = 0; i < 4; i++) {
		if ((pdpte[i] & _PAGE_PRESENT) && (pdpte[i] & rsvd)) {
			ok = false;
			pdpte[i] = 0;
		}
		vmcs_write(GUEST_PDPTR0 + 2 * i, pdpte[i]);
	}
	return ok;
}

/* ---- Registers ----------------------------------------------------------- */

/* Registers that are one VMCS field each, as the guest sees them. */
static const u16 vmx_reg_fields[] = {
	[KVMX_DR7] = GUEST_DR7,
	[KVMX_PAT] = GUEST_IA32_PAT,
	[KVMX_TSC_OFFSET] = TSC_OFFSET,
	[KVMX_SYSENTER_CS] = GUEST_SYSENTER_CS,
	[KVMX_SYSENTER_ESP] = GUEST_SYSENTER_ESP,
	[KVMX_SYSENTER_EIP] = GUEST_SYSENTER_EIP,
};

/* Registers VMX does not switch, kept here and loaded around the guest. */
static u64 *vmx_reg_soft(struct vmx_vcpu *vmx, enum kvmx_vreg reg)
{
	switch (reg) {
	case KVMX_CR2:
		return &vmx->cr2;
	case KVMX_DR6:
		return &vmx->dr6;
	case KVMX_STAR:
		return &vmx->star;
	case KVMX_LSTAR:
		return &vmx->lstar;
	case KVMX_CSTAR:
		return &vmx->cstar;
	case KVMX_SFMASK:
		return &vmx->sfmask;
	case KVMX_KERNEL_GS_BASE:
		return &vmx->kernel_gs_base;
	default:
		return NULL;
	}
}

/* The MSR behind a register of vmx_reg_soft() that is one, else 0. */
static u32 vmx_reg_msr(enum kvmx_vreg reg)
{
	switch (reg) {
	case KVMX_STAR:
		return MSR_STAR;
	case KVMX_LSTAR:
		return MSR_LSTAR;
	case KVMX_CSTAR:
		return MSR_CSTAR;
	case KVMX_SFMASK:
		return MSR_SYSCALL_MASK;
	case KVMX_KERNEL_GS_BASE:
		return MSR_KERNEL_GS_BASE;
	default:
		return 0;
	}
}

static u64 __vmx_get_reg(struct kvmx_vcpu *vcpu, struct vmx_vcpu *vmx,
			 enum kvmx_vreg reg)
{
	u64 *soft = vmx_reg_soft(vmx, reg);

	if (reg < ARRAY_SIZE(vmx_reg_fields) && vmx_reg_fields[reg])
		return vmcs_read(vmx_reg_fields[reg]);
	/* The guest writes KERNEL_GS_BASE without exits while it is loaded. */
	if (reg == KVMX_KERNEL_GS_BASE && vmx->guest_msrs_loaded)
		rdmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	if (soft)
		return *soft;

	switch (reg) {
	case KVMX_CR0:
		return vmx_read_cr0(vmx);
	case KVMX_CR3:
		return vmcs_read(GUEST_CR3);
	case KVMX_CR4:
		return vmx_read_cr4(vmx);
	case KVMX_EFER:
		return vmx->efer;
	case KVMX_CPL:
		return VMX_AR_DPL(vmcs_read(GUEST_SS_AR_BYTES));
	case KVMX_INT_SHADOW:
		return vmcs_read(GUEST_INTERRUPTIBILITY_INFO) &
		       (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS) ?
		       KVM_X86_SHADOW_INT_MOV_SS | KVM_X86_SHADOW_INT_STI : 0;
	case KVMX_NMI_MASK:
		/* Virtual NMIs: the CPU blocks them up to the guest's IRET. */
		return !!(vmcs_read(GUEST_INTERRUPTIBILITY_INFO) &
			  GUEST_INTR_STATE_NMI);
	case KVMX_TDP_ROOT:
		return vmx->ept_root;
	default:
		return 0;
	}
}

static u64 vmx_get_reg(struct kvmx_vcpu *vcpu, enum kvmx_vreg reg)
{
	struct vmx_vcpu *vmx = vmx_get_vmcs(vcpu);
	u64 v = __vmx_get_reg(vcpu, vmx, reg);

	vmx_put_vmcs();
	return v;
}

/* The CPL is SS.DPL in VMX: keep both views of SS's rights in step. */
static void vmx_set_cpl(struct vmx_vcpu *vmx, u64 cpl)
{
	u32 ar = vmcs_read(GUEST_SS_AR_BYTES), m = 3 << VMX_AR_DPL_SHIFT;
	u32 dpl = (cpl & 3) << VMX_AR_DPL_SHIFT;

	if (ar == vmx->seg_hw_ar[KVMX_SS]) {
		vmx->seg_user_ar[KVMX_SS] =
			(vmx->seg_user_ar[KVMX_SS] & ~m) | dpl;
		vmx->seg_hw_ar[KVMX_SS] = (ar & ~m) | dpl;
	}
	vmcs_write(GUEST_SS_AR_BYTES, (ar & ~m) | dpl);
}

static void vmx_set_int_shadow(u64 val)
{
	u32 intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO) &
		   ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);

	/* Like KVM: MOV SS blocking if asked for, else STI's. */
	if (val & KVM_X86_SHADOW_INT_MOV_SS)
		intr |= GUEST_INTR_STATE_MOV_SS;
	else if (val)
		intr |= GUEST_INTR_STATE_STI;
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, intr);
}

static void __vmx_set_reg(struct kvmx_vcpu *vcpu, struct vmx_vcpu *vmx,
			  enum kvmx_vreg reg, u64 val)
{
	u64 *soft = vmx_reg_soft(vmx, reg);

	if (reg < ARRAY_SIZE(vmx_reg_fields) && vmx_reg_fields[reg]) {
		vmcs_write(vmx_reg_fields[reg], val);
		return;
	}
	if (soft) {
		*soft = val;
		/* An MSR the guest's state has in the CPU right now. */
		if (vmx_reg_msr(reg) && vmx->guest_msrs_loaded)
			wrmsrl(vmx_reg_msr(reg), val);
		return;
	}

	switch (reg) {
	case KVMX_CR0:
		vmx_write_cr0(vmx, val);
		break;
	case KVMX_CR3:
		vmcs_write(GUEST_CR3, val);
		vmx->pdptrs_dirty = true;
		break;
	case KVMX_CR4:
		vmx_write_cr4(vmx, val);
		break;
	case KVMX_EFER:
		vmx_write_efer(vmx, val);
		break;
	case KVMX_CPL:
		vmx_set_cpl(vmx, val);
		break;
	case KVMX_INT_SHADOW:
		vmx_set_int_shadow(val);
		break;
	case KVMX_NMI_MASK:
		if (val)
			vmcs_set_bits(GUEST_INTERRUPTIBILITY_INFO,
				      GUEST_INTR_STATE_NMI);
		else
			vmcs_clear_bits(GUEST_INTERRUPTIBILITY_INFO,
					GUEST_INTR_STATE_NMI);
		break;
	case KVMX_TDP_ROOT:
		vmx->ept_root = val;
		vmx->eptp = val | VMX_EPTP_MT_WB |
			    ((u64)(kvmx_mmu_levels(vcpu->vm) - 1) << 3);
		vmcs_write(EPT_POINTER, vmx->eptp);
		vmx->flush_ept = true;
		break;
	default:
		break;
	}
}

static int vmx_set_reg(struct kvmx_vcpu *vcpu, enum kvmx_vreg reg, u64 val)
{
	struct vmx_vcpu *vmx = vmx_get_vmcs(vcpu);

	__vmx_set_reg(vcpu, vmx, reg, val);
	vmx_put_vmcs();
	return 0;
}

/* ---- Host state the CPU does not switch ------------------------------- */

/*
 * The VMCS restores the kernel's own state on every exit, but not the
 * task's: its FS/GS/DS/ES selectors and LDT (exits load null ones), its
 * user GS base (KERNEL_GS_BASE), the syscall MSRs, the GDT and IDT limits
 * (set to 0xffff) and the TSS limit (0x67, cutting off the I/O bitmap).
 * None of it matters until the task leaves the kernel, so like KVM this
 * switches once before the first entry and back in vcpu_put() (on
 * preemption and on the way out of KVM_RUN), not on every exit.
 *
 * STAR/LSTAR/CSTAR/SFMASK are intercepted: the guest's values live in
 * struct vmx_vcpu and are in the CPU while its state is loaded, for
 * SYSCALL.  KERNEL_GS_BASE is not intercepted (SWAPGS changes it anyway).
 */
static void vmx_switch_to_guest(struct vmx_vcpu *vmx)
{
	unsigned long fs_base, gs_base;

	if (vmx->guest_msrs_loaded)
		return;

	savesegment(ds, vmx->host.ds);
	savesegment(es, vmx->host.es);
	savesegment(fs, vmx->host.fs);
	savesegment(gs, vmx->host.gs);
	store_ldt(vmx->host.ldt);
	store_idt(&vmx->host.idt);
	rdmsrl(MSR_FS_BASE, fs_base);
	rdmsrl(MSR_GS_BASE, gs_base);	/* this CPU's per-cpu base */
	/* Exits clear DEBUGCTL (not every emulator has it: Bochs). */
	if (rdmsrl_safe(MSR_IA32_DEBUGCTLMSR, &vmx->host.debugctl))
		vmx->host.debugctl = 0;

	/* Exits may only load selectors with RPL 0 and TI 0. */
	vmcs_write(HOST_FS_SELECTOR, vmx->host.fs & 7 ? 0 : vmx->host.fs);
	vmcs_write(HOST_GS_SELECTOR, vmx->host.gs & 7 ? 0 : vmx->host.gs);
	vmcs_write(HOST_FS_BASE, fs_base);
	vmcs_write(HOST_GS_BASE, gs_base);

	rdmsrl(MSR_KERNEL_GS_BASE, vmx->host.kernel_gs_base);
	rdmsrl(MSR_STAR, vmx->host.star);
	rdmsrl(MSR_LSTAR, vmx->host.lstar);
	rdmsrl(MSR_CSTAR, vmx->host.cstar);
	rdmsrl(MSR_SYSCALL_MASK, vmx->host.sfmask);
	wrmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	wrmsrl(MSR_STAR, vmx->star);
	wrmsrl(MSR_LSTAR, vmx->lstar);
	wrmsrl(MSR_CSTAR, vmx->cstar);
	wrmsrl(MSR_SYSCALL_MASK, vmx->sfmask);
	vmx->guest_msrs_loaded = true;
}

static void vmx_switch_to_host(struct vmx_vcpu *vmx)
{
	unsigned long flags;

	if (!vmx->guest_msrs_loaded)
		return;

	local_irq_save(flags);
	rdmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	if (vmx->host.ldt)
		asm volatile("lldt %0" : : "rm" (vmx->host.ldt));
	/* Loading GS sets the user GS base: KERNEL_GS_BASE comes after. */
	if (vmx->host.gs & 7)
		load_gs_index(vmx->host.gs);
	if (vmx->host.fs & 7)
		loadsegment(fs, vmx->host.fs);
	if (vmx->host.ds | vmx->host.es) {
		loadsegment(ds, vmx->host.ds);
		loadsegment(es, vmx->host.es);
	}
	wrmsrl(MSR_KERNEL_GS_BASE, vmx->host.kernel_gs_base);
	wrmsrl(MSR_STAR, vmx->host.star);
	wrmsrl(MSR_LSTAR, vmx->host.lstar);
	wrmsrl(MSR_CSTAR, vmx->host.cstar);
	wrmsrl(MSR_SYSCALL_MASK, vmx->host.sfmask);

	/* The TSS limit is reloaded lazily, when a task needs its bitmap. */
	invalidate_tss_limit();
	load_fixmap_gdt(raw_smp_processor_id());
	if (vmx->host.idt.size != 0xffff)
		load_idt(&vmx->host.idt);
	vmx->guest_msrs_loaded = false;
	local_irq_restore(flags);
}

/* ---- vCPU lifetime ------------------------------------------------------ */

static int vmx_alloc_vpid(void)
{
	int vpid = 0;

	if (!vmx_cfg.vpid)
		return 0;
	spin_lock(&vmx_vpid_lock);
	vpid = find_first_zero_bit(vmx_vpid_bitmap, VMX_NR_VPIDS);
	if (vpid < VMX_NR_VPIDS)
		__set_bit(vpid, vmx_vpid_bitmap);
	else
		vpid = 0;	/* none left: run without */
	spin_unlock(&vmx_vpid_lock);
	return vpid;
}

static void vmx_free_vpid(int vpid)
{
	if (!vpid)
		return;
	spin_lock(&vmx_vpid_lock);
	__clear_bit(vpid, vmx_vpid_bitmap);
	spin_unlock(&vmx_vpid_lock);
}

static u32 vmx_exception_bitmap(struct kvmx_vcpu *vcpu)
{
	u32 exceptions = BIT(MC_VECTOR);

	if (vcpu->arch.guest_debug & KVM_GUESTDBG_ENABLE) {
		if (vcpu->arch.guest_debug &
		    (KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_HW_BP))
			exceptions |= BIT(DB_VECTOR);
		if (vcpu->arch.guest_debug & KVM_GUESTDBG_USE_SW_BP)
			exceptions |= BIT(BP_VECTOR);
	}
	return exceptions;
}

static void vmx_set_intercepts(struct kvmx_vcpu *vcpu)
{
	vmx_get_vmcs(vcpu);
	vmcs_write(EXCEPTION_BITMAP, vmx_exception_bitmap(vcpu));
	vmx_put_vmcs();
}

/* The VMCS fields kvmx sets once; reset fills in the guest state. */
static void vmx_init_vmcs(struct kvmx_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	const struct vmx_config *c = &vmx_cfg;
	u32 exec2 = c->exec2;
	u64 v;

	vmx->pin = c->pin;
	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, vmx->pin);
	if (c->preempt_timer)
		vmcs_write(VMX_PREEMPTION_TIMER_VALUE, c->preempt_ticks);
	vmx->exec = c->exec;
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, vmx->exec);
	if (vmx->vpid) {
		exec2 |= SECONDARY_EXEC_ENABLE_VPID;
		vmcs_write(VIRTUAL_PROCESSOR_ID, vmx->vpid);
	}
	vmcs_write(SECONDARY_VM_EXEC_CONTROL, exec2);
	vmcs_write(VM_EXIT_CONTROLS, c->exit);
	vmx->entry = c->entry;
	vmcs_write(VM_ENTRY_CONTROLS, vmx->entry);

	vmcs_write(EXCEPTION_BITMAP, vmx_exception_bitmap(vcpu));
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(MSR_BITMAP, __pa(vmx_msr_bitmap));
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write(VMCS_LINK_POINTER, -1ULL);
	vmcs_write(CR0_GUEST_HOST_MASK, ~c->cr0_guest_bits);
	vmcs_write(CR4_GUEST_HOST_MASK, ~c->cr4_guest_bits);
	vmcs_write(TSC_OFFSET, 0);

	/* Host state that is the same everywhere and always. */
	vmcs_write(HOST_CR0, read_cr0());
	vmx->host_cr3 = __read_cr3();
	vmcs_write(HOST_CR3, vmx->host_cr3);
	vmx->host_cr4 = cr4_read_shadow();
	vmcs_write(HOST_CR4, vmx->host_cr4);
	vmcs_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write(HOST_DS_SELECTOR, 0);
	vmcs_write(HOST_ES_SELECTOR, 0);
	vmcs_write(HOST_FS_SELECTOR, 0);
	vmcs_write(HOST_GS_SELECTOR, 0);
	vmcs_write(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	vmcs_write(HOST_RIP, (unsigned long)kvmx_vmx_vmexit);
	rdmsrl(MSR_IA32_SYSENTER_CS, v);
	vmcs_write(HOST_IA32_SYSENTER_CS, v);
	rdmsrl(MSR_IA32_SYSENTER_EIP, v);
	vmcs_write(HOST_IA32_SYSENTER_EIP, v);
	rdmsrl(MSR_IA32_CR_PAT, v);
	vmcs_write(HOST_IA32_PAT, v);
	rdmsrl(MSR_EFER, v);
	vmcs_write(HOST_IA32_EFER, v);

	/* Guest state reset does not cover. */
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write(GUEST_SYSENTER_CS, 0);
	vmcs_write(GUEST_SYSENTER_ESP, 0);
	vmcs_write(GUEST_SYSENTER_EIP, 0);
	vmcs_write(GUEST_PDPTR0, 0);
	vmcs_write(GUEST_PDPTR1, 0);
	vmcs_write(GUEST_PDPTR2, 0);
	vmcs_write(GUEST_PDPTR3, 0);
}

static int vmx_vcpu_create(struct kvmx_vcpu *vcpu)
{
	struct vmx_vcpu *vmx;
	struct page *page;

	vmx = kzalloc(sizeof(*vmx), GFP_KERNEL_ACCOUNT);
	if (!vmx)
		return -ENOMEM;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page) {
		kfree(vmx);
		return -ENOMEM;
	}
	vmx->vcpu = vcpu;
	vmx->vmcs = page_address(page);
	vmx->vmcs_pa = page_to_phys(page);
	*(u32 *)vmx->vmcs = vmx_cfg.revision_id;
	vmx->cpu = -1;
	INIT_LIST_HEAD(&vmx->loaded_link);
	vmx->vpid = vmx_alloc_vpid();
	vmx->dr6 = DR6_RESERVED;
	/* A recycled VPID or EPT root may still be tagged in some TLB. */
	vmx->flush_ept = true;
	vcpu->arch.vendor = vmx;

	/* Launch state "clear" before the first VMPTRLD. */
	preempt_disable();
	vmx_vmclear(vmx->vmcs_pa);
	preempt_enable();

	vmx_get_vmcs(vcpu);
	vmx_init_vmcs(vcpu, vmx);
	vmx_put_vmcs();
	return 0;
}

static void vmx_vcpu_free(struct kvmx_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (!vmx)
		return;
	vmx_vmcs_clear(vmx);
	vmx_free_vpid(vmx->vpid);
	free_page((unsigned long)vmx->vmcs);
	kfree(vmx);
	vcpu->arch.vendor = NULL;
}

static void vmx_vcpu_load(struct kvmx_vcpu *vcpu, int cpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (vmx->cpu != cpu || __this_cpu_read(vmx_current_vmcs) != vmx->vmcs)
		vmx_load_vmcs(vmx, cpu);
}

static void vmx_vcpu_put(struct kvmx_vcpu *vcpu)
{
	vmx_switch_to_host(to_vmx(vcpu));
}

/* ---- The TLB ------------------------------------------------------------- */

/*
 * EPT caches guest-physical and combined mappings per EPT root: INVEPT of
 * the root drops both, for every VPID.  A guest-only flush (its own CR
 * writes that kvmx emulates) needs just its VPID's linear mappings gone.
 */
static void vmx_flush(struct vmx_vcpu *vmx)
{
	if (vmx->flush_ept) {
		if (vmx_cfg.invept_single)
			vmx_invept(VMX_EPT_EXTENT_CONTEXT, vmx->eptp);
		else
			vmx_invept(VMX_EPT_EXTENT_GLOBAL, 0);
	} else if (vmx->flush_vpid && vmx->vpid) {
		if (vmx_cfg.invvpid_single)
			vmx_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vmx->vpid);
		else
			vmx_invvpid(VMX_VPID_EXTENT_ALL_CONTEXT, 0);
	}
	/* Without a VPID, entries and exits flush linear mappings. */
	vmx->flush_ept = false;
	vmx->flush_vpid = false;
}

static void vmx_flush_tlb(struct kvmx_vcpu *vcpu)
{
	to_vmx(vcpu)->flush_ept = true;
}

/* ---- Events ----------------------------------------------------------- */

/* Exceptions that push an error code (in protected mode). */
static bool vmx_exception_has_error(u8 vector)
{
	switch (vector) {
	case DF_VECTOR: case TS_VECTOR: case NP_VECTOR: case SS_VECTOR:
	case GP_VECTOR: case PF_VECTOR: case AC_VECTOR:
		return true;
	}
	return false;
}

static void vmx_inject(struct kvmx_vcpu *vcpu, const struct kvmx_event *ev)
{
	struct vmx_vcpu *vmx = vmx_get_vmcs(vcpu);
	u32 info = ev->vector | INTR_INFO_VALID_MASK;

	switch (ev->type) {
	case KVMX_EVENT_NMI:
		info = NMI_VECTOR | INTR_TYPE_NMI_INTR | INTR_INFO_VALID_MASK;
		/*
		 * Delivery blocks NMIs; VM entry refuses the injection if
		 * they are blocked already (a VMM can set both).
		 */
		vmcs_clear_bits(GUEST_INTERRUPTIBILITY_INFO,
				GUEST_INTR_STATE_NMI);
		break;
	case KVMX_EVENT_EXCEPTION:
		info |= INTR_TYPE_HARD_EXCEPTION;
		/*
		 * VM entry insists on an error code exactly where the CPU
		 * would push one: those vectors, in protected mode.
		 */
		if (vmx_exception_has_error(ev->vector) &&
		    (vmx_read_cr0(vmx) & X86_CR0_PE)) {
			info |= INTR_INFO_DELIVER_CODE_MASK;
			vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE,
				   ev->has_error_code ? ev->error_code : 0);
		}
		break;
	case KVMX_EVENT_SOFT_INTR:
		/*
		 * As on SVM, the return address is the current RIP: an
		 * instruction length of 0 where the CPU takes one, else an
		 * external interrupt (which skips only the IDT DPL check).
		 */
		if (vmx_cfg.zero_len_soft) {
			info |= INTR_TYPE_SOFT_INTR;
			vmcs_write(VM_ENTRY_INSTRUCTION_LEN, 0);
		} else {
			info |= INTR_TYPE_EXT_INTR;
		}
		break;
	default:
		info |= INTR_TYPE_EXT_INTR;
		break;
	}
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, info);
	vmx->injected = true;
	vmx_put_vmcs();
}

/* Set or clear @bit of the VMCS's processor-based controls (loaded). */
static void vmx_set_exec_bit(struct vmx_vcpu *vmx, u32 bit, bool on)
{
	u32 exec = on ? vmx->exec | bit : vmx->exec & ~bit;

	if (exec != vmx->exec) {
		vmx->exec = exec;
		vmcs_write(CPU_BASED_VM_EXEC_CONTROL, exec);
	}
}

/* Exits as soon as RFLAGS.IF is set and no STI/MOV SS shadow. */
static void vmx_set_irq_window(struct kvmx_vcpu *vcpu, bool on)
{
	vmx_set_exec_bit(vmx_get_vmcs(vcpu), CPU_BASED_INTR_WINDOW_EXITING, on);
	vmx_put_vmcs();
}

/* Exits once virtual NMIs are unblocked and no MOV SS/STI shadow. */
static void vmx_set_nmi_window(struct kvmx_vcpu *vcpu, bool on)
{
	vmx_set_exec_bit(vmx_get_vmcs(vcpu), CPU_BASED_NMI_WINDOW_EXITING, on);
	vmx_put_vmcs();
}

static bool vmx_interrupts_allowed(struct kvmx_vcpu *vcpu)
{
	u32 intr;

	if (!(vcpu->arch.rflags & X86_EFLAGS_IF))
		return false;
	vmx_get_vmcs(vcpu);
	intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
	vmx_put_vmcs();
	return !(intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
}

/* An event whose delivery the exit interrupted, to be injected again. */
static u32 vmx_exit_int_info(struct vmx_vcpu *vmx, struct kvmx_event *ev)
{
	u32 info = vmcs_read(IDT_VECTORING_INFO_FIELD);

	ev->type = KVMX_EVENT_NONE;
	if (!(info & VECTORING_INFO_VALID_MASK))
		return 0;
	ev->vector = info & VECTORING_INFO_VECTOR_MASK;
	ev->has_error_code = !!(info & VECTORING_INFO_DELIVER_CODE_MASK);
	if (ev->has_error_code)
		ev->error_code = vmcs_read(IDT_VECTORING_ERROR_CODE);
	switch (info & VECTORING_INFO_TYPE_MASK) {
	case INTR_TYPE_EXT_INTR:
		ev->type = KVMX_EVENT_INTR;
		break;
	case INTR_TYPE_NMI_INTR:
		ev->type = KVMX_EVENT_NMI;
		/* Delivery did not complete: NMIs are not blocked yet. */
		vmcs_clear_bits(GUEST_INTERRUPTIBILITY_INFO,
				GUEST_INTR_STATE_NMI);
		break;
	case INTR_TYPE_HARD_EXCEPTION:
		ev->type = KVMX_EVENT_EXCEPTION;
		break;
	default:
		/* INTn, INT3, INTO, INT1 run again from their RIP. */
		break;
	}
	return info;
}

/*
 * An exit from a fault in IRET unblocked virtual NMIs that the guest
 * still expects blocked once the faulting IRET runs again.
 */
static void vmx_recover_nmi_blocking(u32 unblock_info, u32 idt_info)
{
	if (!(idt_info & VECTORING_INFO_VALID_MASK) &&
	    (unblock_info & INTR_INFO_UNBLOCK_NMI))
		vmcs_set_bits(GUEST_INTERRUPTIBILITY_INFO,
			      GUEST_INTR_STATE_NMI);
}

/* ---- Control register exits -------------------------------------------- */

static void vmx_skip(struct kvmx_vcpu *vcpu, unsigned int len)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vcpu->arch.regs[KVMX_RIP] += len;
	if (!(vmx->efer & EFER_LMA))
		vcpu->arch.regs[KVMX_RIP] = (u32)vcpu->arch.regs[KVMX_RIP];
	vmcs_clear_bits(GUEST_INTERRUPTIBILITY_INFO,
			GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
}

static bool vmx_cs_l(void)
{
	return vmcs_read(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK;
}

/* MOV to CR0 with the checks the CPU makes before it would write it. */
static bool vmx_mov_to_cr0(struct kvmx_vcpu *vcpu, struct vmx_vcpu *vmx,
			   unsigned long val)
{
	unsigned long old = vmx_read_cr0(vmx);

	if (!vmx_cs_l())
		val = (u32)val;
	if ((val >> 32) || ((val & X86_CR0_NW) && !(val & X86_CR0_CD)) ||
	    ((val & X86_CR0_PG) && !(val & X86_CR0_PE)))
		return false;
	if (!(old & X86_CR0_PG) && (val & X86_CR0_PG) &&
	    (vmx->efer & EFER_LME) &&
	    (!(vmx_read_cr4(vmx) & X86_CR4_PAE) || vmx_cs_l()))
		return false;
	if ((old & X86_CR0_PG) && !(val & X86_CR0_PG) && vmx_cs_l())
		return false;
	vmx_write_cr0(vmx, val);
	vmx->flush_vpid = true;
	return vmx_load_pdptrs(vcpu, vmx);
}

static bool vmx_mov_to_cr4(struct kvmx_vcpu *vcpu, struct vmx_vcpu *vmx,
			   unsigned long val)
{
	unsigned long old = vmx_read_cr4(vmx);
	/* What the guest may set: what hardware allows, but not VMX. */
	unsigned long ok = (vmx_cfg.cr4_fixed1 & ~X86_CR4_VMXE) |
			   X86_CR4_MCE;

	if (!vmx_cs_l())
		val = (u32)val;
	if (val & ~ok)
		return false;
	if ((vmx->efer & EFER_LMA) &&
	    (!(val & X86_CR4_PAE) || ((val ^ old) & X86_CR4_LA57)))
		return false;
	if ((val & X86_CR4_PCIDE) && !(old & X86_CR4_PCIDE) &&
	    (!(vmx->efer & EFER_LMA) || (vmcs_read(GUEST_CR3) & 0xfff)))
		return false;
	vmx_write_cr4(vmx, val);
	vmx->flush_vpid = true;
	return vmx_load_pdptrs(vcpu, vmx);
}

/*
 * MOV to or from a control register that kvmx intercepts: the guest-host
 * masks (CR0.PG, CD, NW, NE; CR4.VMXE, MCE; bits the CPU lacks), CR8
 * (there is no TPR shadow: the guest must not reach the real TPR), and
 * CR3 on CPUs that force its exiting.
 */
static void vmx_handle_cr(struct kvmx_vcpu *vcpu, struct vmx_vcpu *vmx,
			  struct kvmx_exit *exit)
{
	unsigned long qual = vmcs_read(EXIT_QUALIFICATION);
	unsigned long *gpr = &vcpu->arch.regs[CR_QUAL_GPR(qual)];
	unsigned long val = *gpr, cr0;
	bool ok = true;

	switch (CR_QUAL_TYPE(qual)) {
	case CR_TYPE_MOV_TO:
		switch (CR_QUAL_CR(qual)) {
		case 0:
			ok = vmx_mov_to_cr0(vcpu, vmx, val);
			break;
		case 3:
			vmcs_write(GUEST_CR3, vmx_cs_l() ? val : (u32)val);
			vmx->flush_vpid = true;
			ok = vmx_load_pdptrs(vcpu, vmx);
			break;
		case 4:
			ok = vmx_mov_to_cr4(vcpu, vmx, val);
			break;
		case 8:
			ok = !(val & ~0xfUL);
			if (ok)
				vcpu->arch.cr8 = val;
			break;
		default:
			goto unknown;
		}
		break;
	case CR_TYPE_MOV_FROM:
		switch (CR_QUAL_CR(qual)) {
		case 3:
			val = vmcs_read(GUEST_CR3);
			break;
		case 8:
			val = vcpu->arch.cr8;
			break;
		default:
			goto unknown;
		}
		*gpr = vmx_cs_l() ? val : (u32)val;
		break;
	case CR_TYPE_CLTS:
		vmx_write_cr0(vmx, vmx_read_cr0(vmx) & ~X86_CR0_TS);
		break;
	case CR_TYPE_LMSW:
		/* LMSW sets PE but never clears it. */
		cr0 = vmx_read_cr0(vmx);
		val = (cr0 & ~0xeUL) | (CR_QUAL_LMSW(qual) & 0xf);
		ok = vmx_mov_to_cr0(vcpu, vmx, val);
		break;
	}
	if (ok)
		vmx_skip(vcpu, exit->insn_len);
	else
		kvmx_queue_exception(vcpu, GP_VECTOR, true, 0);
	exit->reason = KVMX_EXIT_NONE;
	return;
unknown:
	exit->reason = KVMX_EXIT_UNKNOWN;
}

/* ---- Running ---------------------------------------------------------- */

static void vmx_machine_check(void)
{
	/* As if it had hit user mode: the guest is not the kernel. */
	struct pt_regs regs = { .cs = 3, .flags = X86_EFLAGS_IF };

	do_machine_check(&regs);
}

static void vmx_decode_exception(struct kvmx_vcpu *vcpu,
				 struct kvmx_exit *exit, u32 intr_info)
{
	u8 vector = intr_info & INTR_INFO_VECTOR_MASK;

	switch (intr_info & INTR_INFO_INTR_TYPE_MASK) {
	case INTR_TYPE_NMI_INTR:
		/* Given to the host's handler right after the exit. */
		exit->reason = KVMX_EXIT_NONE;
		return;
	case INTR_TYPE_HARD_EXCEPTION:
	case INTR_TYPE_SOFT_EXCEPTION:
		break;
	default:
		exit->reason = KVMX_EXIT_UNKNOWN;
		return;
	}
	switch (vector) {
	case MC_VECTOR:
		/* The host's machine-check handler ran after the exit. */
		exit->reason = KVMX_EXIT_NONE;
		break;
	case DB_VECTOR:
		exit->reason = KVMX_EXIT_EXCEPTION;
		exit->exception.vector = vector;
		/* VMX leaves DR6 alone: the qualification has its bits. */
		exit->exception.dr6 = vmcs_read(EXIT_QUALIFICATION) |
				      DR6_RESERVED;
		break;
	case BP_VECTOR:
		exit->reason = KVMX_EXIT_EXCEPTION;
		exit->exception.vector = vector;
		exit->exception.dr6 = to_vmx(vcpu)->dr6;
		break;
	default:
		exit->reason = KVMX_EXIT_UNKNOWN;
		break;
	}
}

static void vmx_decode_exit(struct kvmx_vcpu *vcpu, struct vmx_vcpu *vmx,
			    struct kvmx_exit *exit, u32 reason)
{
	unsigned long qual;

	switch (reason) {
	case EXIT_REASON_EXCEPTION_NMI:
		vmx_decode_exception(vcpu, exit,
				     vmcs_read(VM_EXIT_INTR_INFO));
		break;
	case EXIT_REASON_EXTERNAL_INTERRUPT:
	case EXIT_REASON_PREEMPTION_TIMER:
	case EXIT_REASON_INIT_SIGNAL:
	case EXIT_REASON_SIPI_SIGNAL:
		exit->reason = KVMX_EXIT_NONE;
		break;
	case EXIT_REASON_INTERRUPT_WINDOW:
		exit->reason = KVMX_EXIT_IRQ_WINDOW;
		break;
	case EXIT_REASON_NMI_WINDOW:
		vmx_set_exec_bit(vmx, CPU_BASED_NMI_WINDOW_EXITING, false);
		exit->reason = KVMX_EXIT_NONE;
		break;
	case EXIT_REASON_TRIPLE_FAULT:
		exit->reason = KVMX_EXIT_SHUTDOWN;
		break;
	case EXIT_REASON_IO_INSTRUCTION:
		qual = vmcs_read(EXIT_QUALIFICATION);
		exit->reason = KVMX_EXIT_IO;
		exit->io.port = IO_QUAL_PORT(qual);
		exit->io.size = IO_QUAL_SIZE(qual);
		exit->io.in = qual & IO_QUAL_IN;
		exit->io.string = qual & IO_QUAL_STRING;
		exit->io.rep = qual & IO_QUAL_REP;
		break;
	case EXIT_REASON_HLT:
		exit->reason = KVMX_EXIT_HLT;
		break;
	case EXIT_REASON_CPUID:
		exit->reason = KVMX_EXIT_CPUID;
		break;
	case EXIT_REASON_RDPMC:
		/* It would read the host's counters. */
		exit->reason = KVMX_EXIT_RDPMC;
		break;
	case EXIT_REASON_MSR_READ:
		exit->reason = KVMX_EXIT_RDMSR;
		break;
	case EXIT_REASON_MSR_WRITE:
		exit->reason = KVMX_EXIT_WRMSR;
		break;
	case EXIT_REASON_EPT_VIOLATION:
		qual = vmcs_read(EXIT_QUALIFICATION);
		exit->reason = KVMX_EXIT_NPF;
		exit->npf.gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
		exit->npf.write = qual & EPT_QUAL_WRITE;
		exit->npf.fetch = qual & EPT_QUAL_FETCH;
		exit->npf.present = qual & EPT_QUAL_RWX;
		break;
	case EXIT_REASON_CR_ACCESS:
		vmx_handle_cr(vcpu, vmx, exit);
		break;
	case EXIT_REASON_VMCALL:
		exit->reason = KVMX_EXIT_HYPERCALL;
		break;
	case EXIT_REASON_XSETBV:
		exit->reason = KVMX_EXIT_XSETBV;
		break;
	case EXIT_REASON_INVD:
	case EXIT_REASON_WBINVD:
	case EXIT_REASON_MONITOR_INSTRUCTION:
	case EXIT_REASON_MWAIT_INSTRUCTION:
		/* What KVM does by default: run them as NOPs. */
		exit->reason = KVMX_EXIT_NOP;
		break;
	case EXIT_REASON_VMCLEAR:
	case EXIT_REASON_VMLAUNCH:
	case EXIT_REASON_VMPTRLD:
	case EXIT_REASON_VMPTRST:
	case EXIT_REASON_VMREAD:
	case EXIT_REASON_VMRESUME:
	case EXIT_REASON_VMWRITE:
	case EXIT_REASON_VMOFF:
	case EXIT_REASON_VMON:
	case EXIT_REASON_INVEPT:
	case EXIT_REASON_INVVPID:
	case EXIT_REASON_VMFUNC:
	case EXIT_REASON_GETSEC:
	case EXIT_REASON_RSM:
		exit->reason = KVMX_EXIT_UD;
		break;
	case EXIT_REASON_EPT_MISCONFIG:
		/* kvmx never writes a misconfigured entry. */
	default:
		exit->reason = KVMX_EXIT_UNKNOWN;
		break;
	}
}

/* Instruction-caused exits report the instruction's length. */
static bool vmx_exit_has_insn_len(u32 reason)
{
	switch (reason) {
	case EXIT_REASON_CPUID:
	case EXIT_REASON_HLT:
	case EXIT_REASON_RDPMC:
	case EXIT_REASON_INVD:
	case EXIT_REASON_VMCALL:
	case EXIT_REASON_CR_ACCESS:
	case EXIT_REASON_IO_INSTRUCTION:
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_MSR_WRITE:
	case EXIT_REASON_MWAIT_INSTRUCTION:
	case EXIT_REASON_MONITOR_INSTRUCTION:
	case EXIT_REASON_WBINVD:
	case EXIT_REASON_XSETBV:
		return true;
	}
	return false;
}

/* Fix what VM entry would refuse in otherwise valid guest state. */
static void vmx_fixup_interruptibility(struct kvmx_vcpu *vcpu)
{
	u32 intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO), fixed = intr;

	if (!(intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)))
		return;
	/* STI blocking needs IF set; MOV SS blocking does not. */
	if ((intr & GUEST_INTR_STATE_STI) &&
	    !(vcpu->arch.rflags & X86_EFLAGS_IF))
		fixed = (intr & ~GUEST_INTR_STATE_STI) |
			GUEST_INTR_STATE_MOV_SS;
	if (fixed != intr)
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO, fixed);
	/* A single step over the shadowed instruction must be pending. */
	if (vcpu->arch.rflags & X86_EFLAGS_TF)
		vmcs_set_bits(GUEST_PENDING_DBG_EXCEPTIONS, PENDING_DBG_BS);
}

/*
 * Bochs 2.7 decides whether host interrupts reach a VMX guest when RFLAGS.IF
 * changes, not at VM entry: a guest entered with IF clear (from a host with
 * interrupts off) never exits for one until it sets IF itself.  Bound such
 * stretches with the VMX-preemption timer.  On real CPUs this costs an exit
 * per millisecond of a guest that runs with interrupts off.
 */
static void vmx_update_preempt_timer(struct kvmx_vcpu *vcpu,
				     struct vmx_vcpu *vmx)
{
	u32 pin = vmx->pin & ~PIN_BASED_VMX_PREEMPTION_TIMER;

	if (vmx_cfg.preempt_timer && !(vcpu->arch.rflags & X86_EFLAGS_IF))
		pin |= PIN_BASED_VMX_PREEMPTION_TIMER;
	if (pin != vmx->pin) {
		vmx->pin = pin;
		vmcs_write(PIN_BASED_VM_EXEC_CONTROL, pin);
	}
}

/*
 * A single-step trap is pending after an exit only if a MOV SS or STI
 * shadow held it back.  Bochs 2.7 also saves one for the instruction
 * that the exit interrupted (an EPT violation on its fetch, say), which
 * would then trap before that instruction runs again; drop it.
 */
static void vmx_drop_stale_single_step(void)
{
	unsigned long pend = vmcs_read(GUEST_PENDING_DBG_EXCEPTIONS);

	if (!(pend & PENDING_DBG_BS))
		return;
	if (vmcs_read(GUEST_INTERRUPTIBILITY_INFO) &
	    (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		return;
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, pend & ~PENDING_DBG_BS);
}

/* Put an injection that never happened back where the run loop finds it. */
static void vmx_cancel_injection(struct vmx_vcpu *vmx, struct kvmx_event *ev)
{
	u32 info;

	if (!vmx->injected)
		return;
	vmx->injected = false;
	info = vmcs_read(VM_ENTRY_INTR_INFO_FIELD);
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	if (!(info & INTR_INFO_VALID_MASK))
		return;
	ev->vector = info & INTR_INFO_VECTOR_MASK;
	ev->has_error_code = !!(info & INTR_INFO_DELIVER_CODE_MASK);
	ev->error_code = vmcs_read(VM_ENTRY_EXCEPTION_ERROR_CODE);
	switch (info & INTR_INFO_INTR_TYPE_MASK) {
	case INTR_TYPE_NMI_INTR:
		ev->type = KVMX_EVENT_NMI;
		break;
	case INTR_TYPE_HARD_EXCEPTION:
		ev->type = KVMX_EVENT_EXCEPTION;
		break;
	case INTR_TYPE_SOFT_INTR:
		ev->type = KVMX_EVENT_SOFT_INTR;
		break;
	default:
		ev->type = KVMX_EVENT_INTR;
		break;
	}
}

static void vmx_run(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit,
		    struct kvmx_event *reinject)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long host_dr7, cr3, cr4, dr6;
	u32 reason, intr_info = 0, idt_info;
	u64 host_xcr0 = 0;
	bool swap_xcr0, fail;
	u32 host_pkru;

	memset(exit, 0, sizeof(*exit));
	reinject->type = KVMX_EVENT_NONE;

	/* vcpu_load made it current; loading it here would need an IPI. */
	if (WARN_ON_ONCE(vmx->cpu != smp_processor_id() ||
			 __this_cpu_read(vmx_current_vmcs) != vmx->vmcs)) {
		exit->reason = KVMX_EXIT_FAIL_ENTRY;
		return;
	}

	vmx_switch_to_guest(vmx);
	/* The kernel may have switched page tables or CR4 bits meanwhile. */
	cr3 = __read_cr3();
	if (cr3 != vmx->host_cr3) {
		vmcs_write(HOST_CR3, cr3);
		vmx->host_cr3 = cr3;
	}
	cr4 = cr4_read_shadow();
	if (cr4 != vmx->host_cr4) {
		vmcs_write(HOST_CR4, cr4);
		vmx->host_cr4 = cr4;
	}
	if (vmx->pdptrs_dirty)
		vmx_load_pdptrs(vcpu, vmx);
	if (vmx->flush_ept || vmx->flush_vpid)
		vmx_flush(vmx);

	vmcs_write(GUEST_RSP, vcpu->arch.regs[KVMX_RSP]);
	vmcs_write(GUEST_RIP, vcpu->arch.regs[KVMX_RIP]);
	vmcs_write(GUEST_RFLAGS, vcpu->arch.rflags);
	vmx_fixup_interruptibility(vcpu);
	vmx_update_preempt_timer(vcpu, vmx);

	/*
	 * Breakpoints are the guest's while it runs.  VMX switches DR7 and
	 * DEBUGCTL (exits clear both), not DR0-3 or DR6.
	 */
	get_debugreg(host_dr7, 7);
	if (host_dr7 & KVMX_DR7_ENABLED)
		set_debugreg(0, 7);
	kvmx_load_guest_dr0_3(vcpu, vmx->host_dr);
	if (vmx->dr6 != DR6_RESERVED)
		set_debugreg(vmx->dr6, 6);

	swap_xcr0 = boot_cpu_has(X86_FEATURE_OSXSAVE) &&
		    (vmcs_read(GUEST_CR4) & X86_CR4_OSXSAVE);
	if (swap_xcr0) {
		host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
		if (host_xcr0 != vcpu->arch.xcr0)
			xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->arch.xcr0);
	}
	/* No page fault can come between here and VM entry. */
	if (native_read_cr2() != vmx->cr2)
		native_write_cr2(vmx->cr2);

	host_pkru = kvmx_load_guest_pkru(vcpu, vmcs_read(GUEST_CR4));
	fail = kvmx_vmx_vmenter(vcpu->arch.regs, vmx->launched);
	kvmx_load_host_pkru(vcpu, vmcs_read(GUEST_CR4), host_pkru);

	vmx->cr2 = native_read_cr2();
	if (swap_xcr0 && host_xcr0 != vcpu->arch.xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, host_xcr0);
	if (vmx->host.debugctl)
		update_debugctlmsr(vmx->host.debugctl);
	get_debugreg(dr6, 6);
	vmx->dr6 = dr6;
	if (dr6 != DR6_RESERVED)
		set_debugreg(DR6_RESERVED, 6);
	kvmx_load_host_dr0_3(vcpu, vmx->host_dr);
	if (host_dr7 & KVMX_DR7_ENABLED)
		set_debugreg(host_dr7, 7);

	if (fail) {
		exit->reason = KVMX_EXIT_FAIL_ENTRY;
		exit->hw_reason = vmcs_read(VM_INSTRUCTION_ERROR);
		vmx_cancel_injection(vmx, reinject);
		return;
	}

	reason = vmcs_read(VM_EXIT_REASON);
	if (reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
		/* Guest state unchanged, launch state too. */
		exit->reason = KVMX_EXIT_FAIL_ENTRY;
		exit->hw_reason = reason;
		if ((u16)reason == EXIT_REASON_MCE_DURING_VMENTRY)
			vmx_machine_check();
		vmx_cancel_injection(vmx, reinject);
		return;
	}
	vmx->launched = true;
	vmx->injected = false;
	reason = (u16)reason;
	exit->hw_reason = reason;

	if (reason == EXIT_REASON_EXCEPTION_NMI) {
		intr_info = vmcs_read(VM_EXIT_INTR_INFO);
		/* The host's NMI, before anything can notice it is late. */
		if ((intr_info & INTR_INFO_INTR_TYPE_MASK) ==
		    INTR_TYPE_NMI_INTR)
			kvmx_vmx_do_nmi();
		else if ((intr_info & INTR_INFO_VECTOR_MASK) == MC_VECTOR)
			vmx_machine_check();
	}

	vcpu->arch.regs[KVMX_RSP] = vmcs_read(GUEST_RSP);
	vcpu->arch.regs[KVMX_RIP] = vmcs_read(GUEST_RIP);
	vcpu->arch.rflags = vmcs_read(GUEST_RFLAGS);
	if (vcpu->arch.rflags & X86_EFLAGS_TF)
		vmx_drop_stale_single_step();

	idt_info = vmx_exit_int_info(vmx, reinject);
	/* Bit 12 is undefined for #DF and with a vectoring event. */
	if (reason == EXIT_REASON_EXCEPTION_NMI &&
	    (intr_info & INTR_INFO_VECTOR_MASK) != DF_VECTOR)
		vmx_recover_nmi_blocking(intr_info, idt_info);
	else if (reason == EXIT_REASON_EPT_VIOLATION)
		vmx_recover_nmi_blocking(vmcs_read(EXIT_QUALIFICATION) &
					 EPT_QUAL_NMI_UNBLOCK ?
					 INTR_INFO_UNBLOCK_NMI : 0, idt_info);

	if (vmx_exit_has_insn_len(reason))
		exit->insn_len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);
	vmx_decode_exit(vcpu, vmx, exit, reason);
	if (exit->reason == KVMX_EXIT_IRQ_WINDOW)
		vmx_set_exec_bit(vmx, CPU_BASED_INTR_WINDOW_EXITING, false);
}

const struct kvmx_vendor_ops kvmx_vmx_ops = {
	.name			= "Intel VMX",
	.tdp_ept		= true,
	.probe			= vmx_probe,
	.unprobe		= vmx_unprobe,
	.cpu_enable		= vmx_cpu_enable,
	.cpu_disable		= vmx_cpu_disable,
	.vcpu_create		= vmx_vcpu_create,
	.vcpu_free		= vmx_vcpu_free,
	.vcpu_load		= vmx_vcpu_load,
	.vcpu_put		= vmx_vcpu_put,
	.get_reg		= vmx_get_reg,
	.set_reg		= vmx_set_reg,
	.get_seg		= vmx_get_seg,
	.set_seg		= vmx_set_seg,
	.run			= vmx_run,
	.inject			= vmx_inject,
	.set_irq_window		= vmx_set_irq_window,
	.set_nmi_window		= vmx_set_nmi_window,
	.interrupts_allowed	= vmx_interrupts_allowed,
	.flush_tlb		= vmx_flush_tlb,
	.set_intercepts		= vmx_set_intercepts,
};
