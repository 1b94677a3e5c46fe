// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 run loop: enter the guest through the vendor backend, handle
 * what the kernel can, and exit to userspace with KVM's kvm_run contents
 * for the rest.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/irq_vectors.h>
#include <asm/kvm_para.h>
#include <asm/special_insns.h>
#include <linux/kvm_para.h>

#include "x86.h"
#include "irq/irq.h"

/*
 * DR0-3 are not switched by hardware.  Load the guest's, keeping the
 * host's in @host, and the other way round after the exit.
 */
void kvmx_load_guest_dr0_3(struct kvmx_vcpu *vcpu, unsigned long *host)
{
	bool hw_bp = vcpu->arch.guest_debug & KVM_GUESTDBG_USE_HW_BP;
	unsigned long *db = hw_bp ? vcpu->arch.dbg_db : vcpu->arch.db;
	int i;

	for (i = 0; i < 4; i++) {
		get_debugreg(host[i], i);
		if (host[i] != db[i])
			set_debugreg(db[i], i);
	}
}

void kvmx_load_host_dr0_3(struct kvmx_vcpu *vcpu, const unsigned long *host)
{
	bool hw_bp = vcpu->arch.guest_debug & KVM_GUESTDBG_USE_HW_BP;
	unsigned long v;
	int i;

	for (i = 0; i < 4; i++) {
		get_debugreg(v, i);
		/* The guest may have changed its own; the debugger's stay. */
		if (!hw_bp)
			vcpu->arch.db[i] = v;
		if (host[i] != v)
			set_debugreg(host[i], i);
	}
}

/*
 * PKRU is user state the hardware does not switch, and CR4 writes are
 * not intercepted, so a guest may turn protection keys on by itself.
 * Around every entry: load the guest's value if it uses keys, and make
 * sure the host's is back afterwards whatever the guest did.
 */
u32 kvmx_load_guest_pkru(struct kvmx_vcpu *vcpu, u64 guest_cr4)
{
	u32 host;

	if (!boot_cpu_has(X86_FEATURE_OSPKE))
		return 0;
	host = rdpkru();
	if ((guest_cr4 & X86_CR4_PKE) && vcpu->arch.pkru != host)
		wrpkru(vcpu->arch.pkru);
	return host;
}

void kvmx_load_host_pkru(struct kvmx_vcpu *vcpu, u64 guest_cr4, u32 host)
{
	u32 cur;

	if (!boot_cpu_has(X86_FEATURE_OSPKE))
		return;
	cur = rdpkru();
	if (guest_cr4 & X86_CR4_PKE)
		vcpu->arch.pkru = cur;
	if (cur != host)
		wrpkru(host);
}

void kvmx_queue_exception(struct kvmx_vcpu *vcpu, u8 vector, bool has_error,
			  u32 error_code)
{
	struct kvm_vcpu_events *ev = &vcpu->arch.events;

	ev->exception.injected = 1;
	ev->exception.nr = vector;
	ev->exception.has_error_code = has_error;
	ev->exception.error_code = error_code;
}

static u64 kvmx_linear_rip(struct kvmx_vcpu *vcpu)
{
	struct kvm_segment cs;

	kvmx_vendor->get_seg(vcpu, KVMX_CS, &cs);
	if (cs.l && (kvmx_vendor->get_reg(vcpu, KVMX_EFER) & EFER_LMA))
		return vcpu->arch.regs[KVMX_RIP];
	return (u32)(cs.base + vcpu->arch.regs[KVMX_RIP]);
}


static void kvmx_skip(struct kvmx_vcpu *vcpu, unsigned int len)
{
	vcpu->arch.regs[KVMX_RIP] += len;
	if (!(kvmx_vendor->get_reg(vcpu, KVMX_EFER) & EFER_LMA))
		vcpu->arch.regs[KVMX_RIP] = (u32)vcpu->arch.regs[KVMX_RIP];
	kvmx_vendor->set_reg(vcpu, KVMX_INT_SHADOW, 0);
}

/*
 * Skip the intercepted instruction.  Where the CPU did not say how long it
 * was, the decoder works it out from the bytes at CS:RIP.
 */
static int kvmx_skip_insn(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit)
{
	int len = exit->insn_len;

	if (!len)
		len = kvmx_insn_len(vcpu);
	if (len <= 0)
		return 1;	/* the fetch faulted: the exception is queued */
	kvmx_skip(vcpu, len);
	return 1;
}

static int kvmx_internal_error(struct kvmx_vcpu *vcpu, u32 suberror,
			       int ndata, const u64 *data)
{
	struct kvm_run *run = vcpu->run;
	int i;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = ndata;
	for (i = 0; i < ndata; i++)
		run->internal.data[i] = data[i];
	return 0;
}

/* ---- Port I/O ---------------------------------------------------------- */

/* What IN of @size bytes leaves in RAX. */
static void kvmx_pio_set_rax(struct kvmx_vcpu *vcpu, int size,
			     unsigned long val)
{
	unsigned long *rax = &vcpu->arch.regs[KVMX_RAX];

	switch (size) {
	case 1:
		*rax = (*rax & ~0xffUL) | (u8)val;
		break;
	case 2:
		*rax = (*rax & ~0xffffUL) | (u16)val;
		break;
	default:
		*rax = (u32)val;	/* 32-bit writes zero-extend */
		break;
	}
}

static int kvmx_pio_exit(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit)
{
	struct kvm_run *run = vcpu->run;
	void *data = page_address(vcpu->pio_page);

	pr_debug("vcpu%u: %s%s port %#x size %u rip %#lx rax %#lx\n",
		 vcpu->vcpu_id, exit->io.in ? "in" : "out",
		 exit->io.string ? "s" : "", exit->io.port, exit->io.size,
		 vcpu->arch.regs[KVMX_RIP], vcpu->arch.regs[KVMX_RAX]);

	if (exit->io.string)
		return kvmx_string_pio(vcpu, exit);
	/* An in-kernel device or an ioeventfd may take it without userspace. */
	if (!exit->io.in &&
	    kvmx_io_bus_write(vcpu->vm, KVMX_PIO_BUS, exit->io.port,
			      exit->io.size, &vcpu->arch.regs[KVMX_RAX])) {
		kvmx_skip(vcpu, exit->insn_len);
		return 1;
	}
	if (exit->io.in) {
		unsigned long val = 0;

		if (kvmx_io_bus_read(vcpu->vm, KVMX_PIO_BUS, exit->io.port,
				     exit->io.size, &val)) {
			kvmx_pio_set_rax(vcpu, exit->io.size, val);
			kvmx_skip(vcpu, exit->insn_len);
			return 1;
		}
	}

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = exit->io.in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = exit->io.size;
	run->io.port = exit->io.port;
	run->io.count = 1;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	if (!exit->io.in)
		memcpy(data, &vcpu->arch.regs[KVMX_RAX], exit->io.size);

	/* As KVM: RIP moves past the instruction when userspace comes back. */
	vcpu->arch.pio.in = exit->io.in;
	vcpu->arch.pio.size = exit->io.size;
	vcpu->arch.pio.len = exit->insn_len;
	vcpu->arch.pio.linear_rip = kvmx_linear_rip(vcpu);
	vcpu->arch.pending = KVMX_PENDING_PIO;
	return 0;
}

static int kvmx_complete_pio(struct kvmx_vcpu *vcpu)
{
	unsigned long val = 0;

	/* Userspace moved the vCPU elsewhere meanwhile: nothing to finish. */
	if (kvmx_linear_rip(vcpu) != vcpu->arch.pio.linear_rip)
		return 1;

	if (vcpu->arch.pio.in) {
		memcpy(&val, page_address(vcpu->pio_page), vcpu->arch.pio.size);
		kvmx_pio_set_rax(vcpu, vcpu->arch.pio.size, val);
	}
	kvmx_skip(vcpu, vcpu->arch.pio.len);
	return 1;
}

/* ---- Exits ------------------------------------------------------------- */

static int kvmx_handle_npf(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit)
{
	int r = kvmx_mmu_page_fault(vcpu, exit->npf.gpa, exit->npf.write);

	if (r == KVMX_PF_MMIO)
		return kvmx_emulate(vcpu);
	return r < 0 ? r : 1;
}

static int kvmx_handle_exception(struct kvmx_vcpu *vcpu,
				 struct kvmx_exit *exit)
{
	struct kvm_run *run = vcpu->run;

	if (!(vcpu->arch.guest_debug & KVM_GUESTDBG_ENABLE)) {
		kvmx_queue_exception(vcpu, exit->exception.vector, false, 0);
		return 1;
	}
	run->exit_reason = KVM_EXIT_DEBUG;
	run->debug.arch.exception = exit->exception.vector;
	run->debug.arch.pc = kvmx_linear_rip(vcpu);
	run->debug.arch.dr6 = exit->exception.dr6;
	run->debug.arch.dr7 = kvmx_vendor->get_reg(vcpu, KVMX_DR7);
	return 0;
}

static bool kvmx_long_mode_code(struct kvmx_vcpu *vcpu)
{
	struct kvm_segment cs;

	kvmx_vendor->get_seg(vcpu, KVMX_CS, &cs);
	return cs.l && (kvmx_vendor->get_reg(vcpu, KVMX_EFER) & EFER_LMA);
}

/*
 * VMMCALL/VMCALL.  kvmx offers no hypercall but the no-op that KVM keeps
 * for old guests; the rest get -KVM_ENOSYS, or -KVM_EPERM from user mode,
 * truncated to 32 bits outside 64-bit code, as KVM returns them.  The
 * hypercalls KVM_CAP_ENFORCE_PV_FEATURE_CPUID gates (KICK_CPU, SEND_IPI,
 * SCHED_YIELD) are among the -KVM_ENOSYS ones: should one be added, gate it
 * with kvmx_guest_pv_has().
 */
static void kvmx_emulate_hypercall(struct kvmx_vcpu *vcpu)
{
	unsigned long nr = vcpu->arch.regs[KVMX_RAX];
	bool op64 = kvmx_long_mode_code(vcpu);
	long ret;

	if (!op64)
		nr = (u32)nr;
	if (kvmx_vendor->get_reg(vcpu, KVMX_CPL))
		ret = -KVM_EPERM;
	else if (nr == KVM_HC_VAPIC_POLL_IRQ)
		ret = 0;
	else
		ret = -KVM_ENOSYS;
	vcpu->arch.regs[KVMX_RAX] = op64 ? ret : (u32)ret;
}

/*
 * RDPMC would read the host's counters.  With no virtual PMU, the four
 * legacy counters read as zero, as their MSRs do, and others #GP; user
 * mode needs CR4.PCE.  Returns whether the instruction completed.
 */
static bool kvmx_emulate_rdpmc(struct kvmx_vcpu *vcpu)
{
	unsigned long *r = vcpu->arch.regs;

	if ((kvmx_vendor->get_reg(vcpu, KVMX_CPL) &&
	     !(kvmx_vendor->get_reg(vcpu, KVMX_CR4) & X86_CR4_PCE)) ||
	    (u32)r[KVMX_RCX] >= 4) {
		kvmx_queue_exception(vcpu, GP_VECTOR, true, 0);
		return false;
	}
	r[KVMX_RAX] = 0;
	r[KVMX_RDX] = 0;
	return true;
}

static int kvmx_handle_exit(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit)
{
	struct kvm_run *run = vcpu->run;
	u64 data[2];
	int r;

	if (exit->reason != KVMX_EXIT_IO && exit->reason != KVMX_EXIT_NONE)
		pr_debug("vcpu%u: exit %d (hw %#llx) rip %#lx\n", vcpu->vcpu_id,
			 exit->reason, exit->hw_reason,
			 vcpu->arch.regs[KVMX_RIP]);

	switch (exit->reason) {
	case KVMX_EXIT_NONE:
	case KVMX_EXIT_IRQ_WINDOW:
		return 1;
	case KVMX_EXIT_IO:
		return kvmx_pio_exit(vcpu, exit);
	case KVMX_EXIT_NPF:
		return kvmx_handle_npf(vcpu, exit);
	case KVMX_EXIT_CPUID:
		if (!kvmx_emulate_cpuid(vcpu))
			return 1;
		return kvmx_skip_insn(vcpu, exit);
	case KVMX_EXIT_RDMSR:
	case KVMX_EXIT_WRMSR:
		r = kvmx_emulate_msr(vcpu, exit->reason == KVMX_EXIT_WRMSR);
		return r ? kvmx_skip_insn(vcpu, exit) : 1;
	case KVMX_EXIT_HLT:
		r = kvmx_skip_insn(vcpu, exit);
		if (r <= 0)
			return r;
		/* With an in-kernel APIC the halt is ours: the loop sleeps. */
		if (vcpu->arch.apic) {
			vcpu->arch.mp_state = KVM_MP_STATE_HALTED;
			return 1;
		}
		run->exit_reason = KVM_EXIT_HLT;
		return 0;
	case KVMX_EXIT_XSETBV:
		r = kvmx_emulate_xsetbv(vcpu);
		return r ? kvmx_skip_insn(vcpu, exit) : 1;
	case KVMX_EXIT_NOP:
		return kvmx_skip_insn(vcpu, exit);
	case KVMX_EXIT_RDPMC:
		if (!kvmx_emulate_rdpmc(vcpu))
			return 1;
		return kvmx_skip_insn(vcpu, exit);
	case KVMX_EXIT_HYPERCALL:
		kvmx_emulate_hypercall(vcpu);
		return kvmx_skip_insn(vcpu, exit);
	case KVMX_EXIT_UD_FAULT:
		if (kvmx_fix_hypercall(vcpu, kvmx_linear_rip(vcpu)))
			return 1;
		fallthrough;
	case KVMX_EXIT_UD:
		kvmx_queue_exception(vcpu, UD_VECTOR, false, 0);
		return 1;
	case KVMX_EXIT_EXCEPTION:
		return kvmx_handle_exception(vcpu, exit);
	case KVMX_EXIT_SHUTDOWN:
		/* Userspace sees only the reset: say where, for the guest's owner. */
		pr_info_ratelimited("pid %d vCPU %u: triple fault at RIP %#lx (delivering exception %d, interrupt %d)\n",
				    task_tgid_nr(current), vcpu->vcpu_id,
				    vcpu->arch.regs[KVMX_RIP],
				    vcpu->arch.events.exception.injected ?
				    vcpu->arch.events.exception.nr : -1,
				    vcpu->arch.events.interrupt.injected ?
				    vcpu->arch.events.interrupt.nr : -1);
		run->exit_reason = KVM_EXIT_SHUTDOWN;
		return 0;
	case KVMX_EXIT_FAIL_ENTRY:
		run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_entry_failure_reason = exit->hw_reason;
		run->fail_entry.cpu = vcpu->cpu;
		return 0;
	default:
		data[0] = exit->hw_reason;
		data[1] = vcpu->cpu;
		return kvmx_internal_error(vcpu,
				KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON, 2, data);
	}
}

/* ---- Events ------------------------------------------------------------ */

void kvmx_queue_nmi(struct kvmx_vcpu *vcpu)
{
	atomic_inc(&vcpu->arch.nmi_queued);
	kvmx_vcpu_kick(vcpu);
}

/*
 * NMIs sent meanwhile join the pending count.  One NMI can run and one
 * more wait behind it: with none running two may wait (the first goes in
 * at once), with one running or being injected only one.
 */
void kvmx_process_nmi(struct kvmx_vcpu *vcpu)
{
	struct kvm_vcpu_events *ev = &vcpu->arch.events;
	unsigned int pending, limit = 2;

	if (ev->nmi.injected || kvmx_vendor->get_reg(vcpu, KVMX_NMI_MASK))
		limit = 1;
	pending = ev->nmi.pending + atomic_xchg(&vcpu->arch.nmi_queued, 0);
	ev->nmi.pending = min(pending, limit);
}

/* As KVM on both vendors: the NMI mask, and STI or MOV SS blocking. */
bool kvmx_nmi_blocked(struct kvmx_vcpu *vcpu)
{
	return kvmx_vendor->get_reg(vcpu, KVMX_NMI_MASK) ||
	       kvmx_vendor->get_reg(vcpu, KVMX_INT_SHADOW);
}

/* Does an NMI wake a halted vCPU? */
bool kvmx_nmi_wakes(struct kvmx_vcpu *vcpu)
{
	return atomic_read(&vcpu->arch.nmi_queued) ||
	       (vcpu->arch.events.nmi.pending && !kvmx_nmi_blocked(vcpu));
}

/* Hand the next event to the backend, the most urgent first. */
static void kvmx_inject_pending(struct kvmx_vcpu *vcpu)
{
	struct kvm_vcpu_events *ev = &vcpu->arch.events;
	struct kvmx_event e = {};
	int vector;

	kvmx_process_nmi(vcpu);
	if (ev->exception.injected) {
		e.type = KVMX_EVENT_EXCEPTION;
		e.vector = ev->exception.nr;
		e.has_error_code = ev->exception.has_error_code;
		e.error_code = ev->exception.error_code;
		ev->exception.injected = 0;
	} else if (ev->nmi.injected) {
		e.type = KVMX_EVENT_NMI;
		e.vector = NMI_VECTOR;
		ev->nmi.injected = 0;
	} else if (ev->interrupt.injected) {
		e.type = ev->interrupt.soft ? KVMX_EVENT_SOFT_INTR :
					      KVMX_EVENT_INTR;
		e.vector = ev->interrupt.nr;
		ev->interrupt.injected = 0;
	} else if (ev->nmi.pending && !kvmx_nmi_blocked(vcpu)) {
		e.type = KVMX_EVENT_NMI;
		e.vector = NMI_VECTOR;
		ev->nmi.pending--;
	} else if (vcpu->arch.apic) {
		/* The in-kernel PIC or LAPIC, when the guest can take it. */
		if (!kvmx_vendor->interrupts_allowed(vcpu))
			return;
		vector = kvmx_irqchip_next_vector(vcpu);
		if (vector < 0)
			return;
		e.type = KVMX_EVENT_INTR;
		e.vector = vector;
	} else if (vcpu->arch.irq_pending &&
		   kvmx_vendor->interrupts_allowed(vcpu)) {
		/* KVM_INTERRUPT from a userspace irqchip. */
		e.type = KVMX_EVENT_INTR;
		e.vector = vcpu->arch.irq_vector;
		vcpu->arch.irq_pending = false;
	} else {
		return;
	}
	kvmx_vendor->inject(vcpu, &e);
}

/* An event the exit interrupted goes back into the events state. */
static void kvmx_requeue(struct kvmx_vcpu *vcpu, struct kvmx_event *e)
{
	struct kvm_vcpu_events *ev = &vcpu->arch.events;

	switch (e->type) {
	case KVMX_EVENT_EXCEPTION:
		kvmx_queue_exception(vcpu, e->vector, e->has_error_code,
				     e->error_code);
		break;
	case KVMX_EVENT_NMI:
		ev->nmi.injected = 1;
		break;
	case KVMX_EVENT_INTR:
	case KVMX_EVENT_SOFT_INTR:
		ev->interrupt.injected = 1;
		ev->interrupt.nr = e->vector;
		ev->interrupt.soft = e->type == KVMX_EVENT_SOFT_INTR;
		break;
	}
}

/*
 * KVM's kvm_cpu_accept_dm_intr: could a vector from userspace's PIC go in?
 * It needs the one KVM_INTERRUPT slot free and, with an in-kernel LAPIC
 * (split irqchip), LINT0 taking ExtINT: a masked LINT0 never acks the PIC.
 */
static bool kvmx_accepts_userspace_intr(struct kvmx_vcpu *vcpu)
{
	if (vcpu->arch.irq_pending)
		return false;
	return !vcpu->arch.apic || kvmx_lapic_accepts_extint(vcpu);
}

static bool kvmx_ready_for_interrupt(struct kvmx_vcpu *vcpu)
{
	return kvmx_vendor->interrupts_allowed(vcpu) &&
	       kvmx_accepts_userspace_intr(vcpu) &&
	       !vcpu->arch.events.interrupt.injected &&
	       !vcpu->arch.events.exception.injected;
}

/* ---- The loop ----------------------------------------------------------- */

/* Userspace's PIC asks to inject; with the PIC in the kernel it can't. */
static bool kvmx_wants_irq_window(struct kvmx_vcpu *vcpu)
{
	return vcpu->run->request_interrupt_window && !vcpu->vm->arch.pic;
}

static int kvmx_enter_guest(struct kvmx_vcpu *vcpu)
{
	struct kvmx_event reinject;
	struct kvmx_exit exit;
	bool window, step;

	/* What a kick asked for is looked at below, before entry. */
	kvmx_check_request(vcpu, KVMX_REQ_EVENT);
	if (kvmx_check_request(vcpu, KVMX_REQ_TLB_FLUSH))
		kvmx_vendor->flush_tlb(vcpu);
	if (kvmx_check_request(vcpu, KVMX_REQ_CLOCK_UPDATE))
		kvmx_kvmclock_update(vcpu);
	if (kvmx_check_request(vcpu, KVMX_REQ_IOAPIC_EOI)) {
		vcpu->run->exit_reason = KVM_EXIT_IOAPIC_EOI;
		vcpu->run->eoi.vector = vcpu->arch.pending_ioapic_eoi;
		return 0;
	}
	if (kvmx_check_request(vcpu, KVMX_REQ_TPR_ACCESS)) {
		vcpu->run->exit_reason = KVM_EXIT_TPR_ACCESS;
		vcpu->run->tpr_access.rip = vcpu->arch.tpr_access.rip;
		vcpu->run->tpr_access.is_write = vcpu->arch.tpr_access.is_write;
		return 0;
	}
	if (vcpu->arch.triple_fault) {
		vcpu->arch.triple_fault = false;
		vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
		return 0;
	}

	local_irq_disable();
	WRITE_ONCE(vcpu->mode, KVMX_MODE_IN_GUEST);
	/* Pairs with kvmx_vm_request_all(): see a request or get the IPI. */
	smp_mb();
	if (READ_ONCE(vcpu->requests) || need_resched() ||
	    signal_pending(current)) {
		WRITE_ONCE(vcpu->mode, KVMX_MODE_OUTSIDE);
		local_irq_enable();
		return 1;
	}

	/*
	 * If the thread was preempted since KVM_RUN began, the guest's FPU
	 * registers were saved away: put them back before entering.
	 */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();

	if (vcpu->arch.apic) {
		vcpu->arch.cr8 = kvmx_lapic_get_cr8(vcpu);
		kvmx_lapic_sync_to_vapic(vcpu);
	}
	kvmx_inject_pending(vcpu);
	/*
	 * Ask to hear when an interrupt can go in: one of ours that has to
	 * wait, or userspace's, as KVM only while it could be taken.  With
	 * LINT0 masked the window would open at once whenever IF is set, and
	 * the guest would never run another instruction.
	 */
	window = (kvmx_wants_irq_window(vcpu) &&
		  kvmx_accepts_userspace_intr(vcpu)) ||
		 ((vcpu->arch.apic ? kvmx_irqchip_has_interrupt(vcpu) :
				     vcpu->arch.irq_pending) &&
		  !kvmx_ready_for_interrupt(vcpu));
	kvmx_vendor->set_irq_window(vcpu, window);
	/* One still waits: blocked, or behind the one going in now. */
	kvmx_vendor->set_nmi_window(vcpu, vcpu->arch.events.nmi.pending);

	/* Single-stepping borrows the trap flag; the guest never sees it. */
	step = (vcpu->arch.guest_debug & KVM_GUESTDBG_SINGLESTEP) &&
	       !(vcpu->arch.rflags & X86_EFLAGS_TF);
	if (step)
		vcpu->arch.rflags |= X86_EFLAGS_TF;

	vcpu->arch.has_run = true;
	kvmx_vendor->run(vcpu, &exit, &reinject);
	WRITE_ONCE(vcpu->mode, KVMX_MODE_OUTSIDE);
	/* A host interrupt that forced the exit is taken here. */
	local_irq_enable();

	if (step)
		vcpu->arch.rflags &= ~X86_EFLAGS_TF;
	/* The guest may have written CR8 without an exit (SVM's V_TPR). */
	if (vcpu->arch.apic && vcpu->arch.cr8 != kvmx_lapic_get_cr8(vcpu))
		kvmx_lapic_set_cr8(vcpu, vcpu->arch.cr8);
	kvmx_lapic_sync_from_vapic(vcpu);

	kvmx_requeue(vcpu, &reinject);
	return kvmx_handle_exit(vcpu, &exit);
}

/*
 * A vCPU that is halted, or waits for INIT/SIPI, sleeps until it has
 * something to do.  Returns whether it may enter the guest now.
 */
static bool kvmx_vcpu_wait(struct kvmx_vcpu *vcpu)
{
	kvmx_irqchip_accept_events(vcpu);
	if (vcpu->arch.mp_state == KVM_MP_STATE_RUNNABLE)
		return true;
	kvmx_vcpu_halt(vcpu);
	kvmx_irqchip_accept_events(vcpu);
	if (vcpu->arch.mp_state == KVM_MP_STATE_HALTED &&
	    kvmx_arch_vcpu_runnable(vcpu))
		vcpu->arch.mp_state = KVM_MP_STATE_RUNNABLE;
	return vcpu->arch.mp_state == KVM_MP_STATE_RUNNABLE;
}

static int kvmx_run_loop(struct kvmx_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int r;

	for (;;) {
		if (!vcpu->arch.apic || kvmx_vcpu_wait(vcpu)) {
			r = kvmx_enter_guest(vcpu);
			if (r <= 0)
				return r;
		}

		if (kvmx_wants_irq_window(vcpu) &&
		    kvmx_ready_for_interrupt(vcpu)) {
			run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
			return 0;
		}
		if (signal_pending(current)) {
			run->exit_reason = KVM_EXIT_INTR;
			return -EINTR;
		}
		cond_resched();
	}
}

int kvmx_arch_vcpu_run(struct kvmx_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int r;

	run->flags = 0;
	fpu_swap_kvm_fpstate(&vcpu->arch.guest_fpu, true);

	if ((run->kvm_valid_regs | run->kvm_dirty_regs) &
	    ~KVM_SYNC_X86_VALID_FIELDS) {
		r = -EINVAL;
		goto out;
	}
	if (run->kvm_dirty_regs) {
		r = kvmx_sync_regs_in(vcpu);
		if (r)
			goto out;
	}

	/* Without an in-kernel APIC, userspace's TPR is the truth. */
	if (!vcpu->arch.apic) {
		if (run->cr8 > 15) {
			r = -EINVAL;
			goto out;
		}
		vcpu->arch.cr8 = run->cr8;
	} else if (vcpu->arch.mp_state == KVM_MP_STATE_UNINITIALIZED) {
		/* As KVM: an AP's first KVM_RUN waits for INIT/SIPI, then -EAGAIN. */
		kvmx_vcpu_halt(vcpu);
		kvmx_irqchip_accept_events(vcpu);
		r = -EAGAIN;
		if (signal_pending(current)) {
			r = -EINTR;
			run->exit_reason = KVM_EXIT_INTR;
		}
		goto out;
	}

	r = 1;
	switch (vcpu->arch.pending) {
	case KVMX_PENDING_PIO:
		r = kvmx_complete_pio(vcpu);
		break;
	case KVMX_PENDING_MMIO:
		r = kvmx_complete_mmio(vcpu);
		break;
	case KVMX_PENDING_STRING_PIO:
		r = kvmx_complete_string_pio(vcpu);
		break;
	case KVMX_PENDING_NONE:
		break;
	}
	vcpu->arch.pending = KVMX_PENDING_NONE;
	if (r <= 0)
		goto out;

	if (kvmx_immediate_exit(run)) {
		r = -EINTR;
		goto out;
	}
	r = kvmx_run_loop(vcpu);
out:
	fpu_swap_kvm_fpstate(&vcpu->arch.guest_fpu, false);
	if (run->kvm_valid_regs)
		kvmx_sync_regs_out(vcpu);

	run->if_flag = !!(vcpu->arch.rflags & X86_EFLAGS_IF);
	run->cr8 = vcpu->arch.cr8;
	run->apic_base = vcpu->arch.apic_base;
	run->ready_for_interrupt_injection = vcpu->vm->arch.pic ||
					     kvmx_ready_for_interrupt(vcpu);
	return r;
}
