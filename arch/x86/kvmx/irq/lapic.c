// SPDX-License-Identifier: GPL-2.0
/*
 * kvmx: the local APIC of each vCPU, as KVM models it with an in-kernel
 * irqchip: the xAPIC page at the APIC base, the x2APIC MSRs, the APIC bus
 * that carries IPIs, IOAPIC and MSI messages, and the APIC timer (one-shot,
 * periodic, TSC deadline) on an hrtimer.
 *
 * No lock.  The register page, the timer state and apic_base change only
 * on the vCPU's own thread; other threads read ID, LDR, DFR, SVR and
 * apic_base to route messages, hence READ_ONCE/WRITE_ONCE.  Anyone (the
 * timer too, in hard-irq context) may set IRR and TMR bits with atomic
 * bitops and the bits of vcpu->arch.apic_events, then kick the vCPU.
 * The owner rewrites the timer state only after hrtimer_cancel(), which
 * waits for a running callback; the callback writes only target and
 * tsc_deadline, which the owner reads lock-free.
 */
#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <linux/slab.h>
#include <asm/apicdef.h>
#include <asm/mce.h>
#include <asm/msr-index.h>

#include "x86.h"
#include "irq.h"
#include "lapic_logic.h"

#define LAPIC_MMIO_SIZE		4096
#define LAPIC_VERSION		0x14	/* an integrated xAPIC, as KVM */
#define LAPIC_SHORT_MASK	0xc0000
#define LAPIC_MSR_FIRST		0x800
#define LAPIC_MSR_LAST		0x8ff
/* KVM's min_timer_period_us: a periodic timer may not storm the host. */
#define LAPIC_MIN_PERIOD_NS	(200 * NSEC_PER_USEC)
#define X2APIC_ICR_RESERVED	(GENMASK_ULL(31, 20) | GENMASK_ULL(17, 16) | \
				 BIT_ULL(13))
#define X2APIC_BROADCAST	0xffffffffu
#define APIC_BASE_MODE		(MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE)
#define CPUID1_ECX_X2APIC	BIT(21)
#define CPUID1_ECX_TSC_DEADLINE	BIT(24)

struct kvmx_lapic {
	struct kvmx_vcpu *vcpu;
	u8 *regs;		/* the 4 KiB APIC page, KVM_GET_LAPIC's layout */
	struct hrtimer timer;
	u32 timer_mode;		/* the LVTT mode the state below is for */
	u32 divide;		/* from TDCR: 1, 2, 4 ... 128 */
	s64 period;		/* ns per TMICT; 0: one-shot/periodic idle */
	ktime_t target;		/* the next expiry (one-shot, periodic) */
	u64 tsc_deadline;	/* the armed IA32_TSC_DEADLINE, 0 once fired */
	unsigned long timer_pending;	/* bit 0: fired while LVTT was masked */
	u64 vapic_addr;		/* KVM_SET_VAPIC_ADDR's TPR shadow, or 0 */
	bool tpr_access_reporting;	/* KVM_TPR_ACCESS_REPORTING */
};

static u32 reg_get(const struct kvmx_lapic *apic, u32 reg)
{
	return READ_ONCE(*(u32 *)(apic->regs + reg));
}

static void reg_set(struct kvmx_lapic *apic, u32 reg, u32 val)
{
	WRITE_ONCE(*(u32 *)(apic->regs + reg), val);
}

/* The word of IRR/ISR/TMR (at @base) that holds @vec, for atomic bitops. */
static unsigned long *vec_word(struct kvmx_lapic *apic, u32 base, u8 vec)
{
	return (unsigned long *)(apic->regs + base + ((vec >> 5) << 4));
}

static void isr_set(struct kvmx_lapic *apic, u8 vec, bool on)
{
	u32 reg = APIC_ISR + ((vec >> 5) << 4);
	u32 val = reg_get(apic, reg);

	reg_set(apic, reg, on ? val | BIT(vec & 31) : val & ~BIT(vec & 31));
}

static u64 apic_base(struct kvmx_vcpu *vcpu)
{
	return READ_ONCE(vcpu->arch.apic_base);
}

static bool hw_enabled(struct kvmx_vcpu *vcpu)
{
	return apic_base(vcpu) & MSR_IA32_APICBASE_ENABLE;
}

static bool x2apic_mode(struct kvmx_vcpu *vcpu)
{
	return apic_base(vcpu) & X2APIC_ENABLE;
}

static bool sw_enabled(struct kvmx_lapic *apic)
{
	return reg_get(apic, APIC_SPIV) & APIC_SPIV_APIC_ENABLED;
}

/* Six LVTs, seven with CMCI (MCG_CMCI_P), as KVM. */
static int nr_lvt(struct kvmx_vcpu *vcpu)
{
	return LAPIC_NR_LVT_MAX - !(vcpu->arch.mcg_cap & MCG_CMCI_P);
}

/* The version register follows CPUID and the irqchip: refreshed on use. */
static u32 lapic_update_version(struct kvmx_lapic *apic)
{
	struct kvmx_vcpu *vcpu = apic->vcpu;
	u32 v = LAPIC_VERSION | ((nr_lvt(vcpu) - 1) << 16);

	/*
	 * As KVM: no directed EOI with the in-kernel IOAPIC, which (as the
	 * 82093AA) has no EOI register to finish a level interrupt with.
	 */
	if (kvmx_guest_cpuid_has(vcpu, 1, CPUID_ECX, CPUID1_ECX_X2APIC) &&
	    vcpu->vm->arch.irqchip != KVMX_IRQCHIP_KERNEL)
		v |= APIC_LVR_DIRECTED_EOI;
	reg_set(apic, APIC_LVR, v);
	return v;
}

static u32 lapic_update_ppr(struct kvmx_lapic *apic)
{
	u32 ppr = lapic_ppr(reg_get(apic, APIC_TASKPRI),
			    lapic_highest_vector(apic->regs + APIC_ISR));

	reg_set(apic, APIC_PROCPRI, ppr);
	return ppr;
}

/* ---- Taking a message: any thread, or the timer in hard-irq context ---- */

static int lapic_accept_irq(struct kvmx_vcpu *vcpu, u32 mode, u8 vector,
			    bool level_trig, bool assert)
{
	struct kvmx_lapic *apic = vcpu->arch.apic;

	switch (mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		if (level_trig && !assert)
			return 0;
		if (!hw_enabled(vcpu) || !sw_enabled(apic))
			return 0;
		if (!!test_bit(vector & 31, vec_word(apic, APIC_TMR, vector)) !=
		    level_trig) {
			if (level_trig)
				set_bit(vector & 31,
					vec_word(apic, APIC_TMR, vector));
			else
				clear_bit(vector & 31,
					  vec_word(apic, APIC_TMR, vector));
		}
		set_bit(vector & 31, vec_word(apic, APIC_IRR, vector));
		break;
	case APIC_DM_SMI:
		/* Accepted as KVM counts it, but kvmx has no SMM: dropped. */
		return 1;
	case APIC_DM_REMRD:
		/* KVM reads this as a PV unhalt: just wake the vCPU. */
		break;
	case APIC_DM_NMI:
		/* Counted, as KVM does: the run loop keeps at most two. */
		atomic_inc(&vcpu->arch.nmi_queued);
		break;
	case APIC_DM_INIT:
		if (level_trig && !assert)
			return 0;	/* INIT level de-assert: nothing */
		/* A new INIT discards a SIPI not yet taken. */
		clear_bit(KVMX_APIC_SIPI, &vcpu->arch.apic_events);
		set_bit(KVMX_APIC_INIT, &vcpu->arch.apic_events);
		break;
	case APIC_DM_STARTUP:
		WRITE_ONCE(vcpu->arch.sipi_vector, vector);
		/* The receiver reads the vector after it sees the bit. */
		smp_wmb();
		set_bit(KVMX_APIC_SIPI, &vcpu->arch.apic_events);
		break;
	default:
		/* ExtINT comes from the PIC through LINT0, not the bus. */
		return 0;
	}
	kvmx_vcpu_kick(vcpu);
	return 1;
}

/* Is @vcpu's LAPIC, in its current mode, a destination of @irq? */
static bool lapic_is_dest(struct kvmx_vcpu *vcpu, struct kvmx_vcpu *src,
			  const struct kvmx_apic_irq *irq)
{
	struct kvmx_lapic *apic = READ_ONCE(vcpu->arch.apic);
	u64 base = apic_base(vcpu);
	struct lapic_target t;

	if (!apic || !(base & MSR_IA32_APICBASE_ENABLE))
		return false;
	t.x2apic = base & X2APIC_ENABLE;
	t.id_reg = reg_get(apic, APIC_ID);
	t.x2apic_id = vcpu->vcpu_id;
	t.ldr = reg_get(apic, APIC_LDR);
	t.dfr = reg_get(apic, APIC_DFR);
	return lapic_match_dest(&t, vcpu == src, !!src, irq->shorthand,
				irq->dest, irq->dest_logical);
}

/* A unicast or multicast to @dest: does @vcpu's LAPIC take it? */
bool kvmx_lapic_is_dest(struct kvmx_vcpu *vcpu, u32 dest, bool logical)
{
	struct kvmx_apic_irq irq = {
		.dest = dest,
		.dest_logical = logical,
		.shorthand = APIC_DEST_NOSHORT,
	};

	return lapic_is_dest(vcpu, NULL, &irq);
}

/*
 * KVM's kvm_irq_delivery_to_apic: -1 if no LAPIC matched, otherwise how
 * many took the message.  Lowest priority goes to one of the matching,
 * software-enabled LAPICs, chosen by vector as KVM's vector hashing does.
 */
int kvmx_apic_bus_deliver(struct kvmx_vm *vm, struct kvmx_vcpu *src,
			  const struct kvmx_apic_irq *irq)
{
	u32 mode = irq->delivery_mode;
	struct kvmx_vcpu *vcpu;
	unsigned long i;
	int r = -1, n = 0, pick;

	if (irq->shorthand == APIC_DEST_SELF) {
		if (!src || !src->arch.apic)
			return 0;
		return lapic_accept_irq(src, mode, irq->vector,
					irq->level_trig, irq->assert);
	}

	/* As KVM: lowest priority to the physical broadcast goes to all. */
	if (mode == APIC_DM_LOWEST && !irq->dest_logical &&
	    irq->dest == LAPIC_BROADCAST)
		mode = APIC_DM_FIXED;

	kvmx_for_each_vcpu(i, vcpu, vm) {
		if (!lapic_is_dest(vcpu, src, irq))
			continue;
		if (mode != APIC_DM_LOWEST)
			r = max(r, 0) + lapic_accept_irq(vcpu, mode,
							 irq->vector,
							 irq->level_trig,
							 irq->assert);
		else if (sw_enabled(vcpu->arch.apic))
			n++;
	}
	/*
	 * KVM answers a unicast or multicast message from its APIC map: no
	 * match there counts 0.  Only its slow path (shorthands, broadcasts)
	 * says -1.
	 */
	if (r < 0 && !n && irq->shorthand == APIC_DEST_NOSHORT &&
	    irq->dest != (src && x2apic_mode(src) ? X2APIC_BROADCAST :
			  LAPIC_BROADCAST))
		r = 0;
	if (!n)
		return r;

	pick = irq->vector % n;
	kvmx_for_each_vcpu(i, vcpu, vm) {
		if (!lapic_is_dest(vcpu, src, irq) ||
		    !sw_enabled(vcpu->arch.apic) || pick--)
			continue;
		return lapic_accept_irq(vcpu, mode, irq->vector,
					irq->level_trig, irq->assert);
	}
	return -1;	/* the vCPUs changed under us */
}

static void lapic_send_ipi(struct kvmx_lapic *apic, u32 low, u32 high)
{
	struct kvmx_vcpu *vcpu = apic->vcpu;
	struct kvmx_apic_irq irq = {
		.vector = low & APIC_VECTOR_MASK,
		.delivery_mode = low & APIC_MODE_MASK,
		.shorthand = low & LAPIC_SHORT_MASK,
		.dest_logical = low & APIC_DEST_LOGICAL,
		.level_trig = low & APIC_INT_LEVELTRIG,
		.assert = low & APIC_INT_ASSERT,
		.dest = x2apic_mode(vcpu) ? high : GET_XAPIC_DEST_FIELD(high),
	};

	kvmx_apic_bus_deliver(vcpu->vm, vcpu, &irq);
}

/* ---- The timer ---- */

static u32 timer_mode_mask(struct kvmx_vcpu *vcpu)
{
	if (kvmx_guest_cpuid_has(vcpu, 1, CPUID_ECX, CPUID1_ECX_TSC_DEADLINE))
		return APIC_LVT_TIMER_PERIODIC | APIC_LVT_TIMER_TSCDEADLINE;
	return APIC_LVT_TIMER_PERIODIC;
}

static bool timer_is(struct kvmx_lapic *apic, u32 mode)
{
	return READ_ONCE(apic->timer_mode) == mode;
}

/* Raise LVTT now if it may, or keep the expiry for when it may. */
static void lapic_timer_deliver(struct kvmx_lapic *apic)
{
	u32 lvtt = reg_get(apic, APIC_LVTT);

	/*
	 * As KVM: an expiry while LVTT is masked (or the APIC off) stays
	 * pending and is delivered once, when it is unmasked.
	 */
	if ((lvtt & APIC_LVT_MASKED) || !sw_enabled(apic)) {
		set_bit(0, &apic->timer_pending);
		return;
	}
	clear_bit(0, &apic->timer_pending);
	lapic_accept_irq(apic->vcpu, APIC_DM_FIXED, lvtt & APIC_VECTOR_MASK,
			 false, true);
}

/* The timer ran out.  Any context. */
static void lapic_timer_fire(struct kvmx_lapic *apic)
{
	lapic_timer_deliver(apic);
	if (timer_is(apic, APIC_LVT_TIMER_TSCDEADLINE))
		WRITE_ONCE(apic->tsc_deadline, 0);
}

static void lapic_advance_period(struct kvmx_lapic *apic)
{
	ktime_t now = ktime_get();
	ktime_t next = ktime_add_ns(apic->target, READ_ONCE(apic->period));

	/* Far behind (the VM was stopped): one interrupt, no catching up. */
	if (ktime_before(next, now))
		next = now;
	WRITE_ONCE(apic->target, next);
}

static enum hrtimer_restart lapic_timer_fn(struct hrtimer *timer)
{
	struct kvmx_lapic *apic = container_of(timer, struct kvmx_lapic,
					       timer);

	lapic_timer_fire(apic);
	if (!timer_is(apic, APIC_LVT_TIMER_PERIODIC) || !READ_ONCE(apic->period))
		return HRTIMER_NORESTART;
	lapic_advance_period(apic);
	hrtimer_set_expires(timer, apic->target);
	return HRTIMER_RESTART;
}

/* Arm a one-shot or periodic timer for apic->target (fire if passed). */
static void lapic_arm_period(struct kvmx_lapic *apic)
{
	if (!apic->period)
		return;
	if (ktime_after(ktime_get(), apic->target)) {
		lapic_timer_fire(apic);
		if (!timer_is(apic, APIC_LVT_TIMER_PERIODIC))
			return;
		lapic_advance_period(apic);
	}
	hrtimer_start(&apic->timer, apic->target, HRTIMER_MODE_ABS_HARD);
}

static s64 lapic_period_ns(struct kvmx_lapic *apic)
{
	s64 ns = (s64)reg_get(apic, APIC_TMICT) * apic->divide;

	if (ns && timer_is(apic, APIC_LVT_TIMER_PERIODIC))
		ns = max_t(s64, ns, LAPIC_MIN_PERIOD_NS);
	return ns;
}

/* Arm the TSC-deadline timer; fire now if the deadline has passed. */
static void lapic_arm_deadline(struct kvmx_lapic *apic)
{
	struct kvmx_vcpu *vcpu = apic->vcpu;
	u64 deadline = apic->tsc_deadline;
	u32 khz = (u32)vcpu->vm->arch.tsc_khz;
	u64 offset, guest_tsc, delta, ns;
	unsigned long flags;
	ktime_t now;

	if (!deadline || !khz)
		return;
	offset = kvmx_vendor->get_reg(vcpu, KVMX_TSC_OFFSET);

	/* Read both clocks back to back. */
	local_irq_save(flags);
	now = ktime_get();
	guest_tsc = rdtsc() + offset;
	local_irq_restore(flags);

	if (deadline <= guest_tsc) {
		lapic_timer_fire(apic);
		return;
	}
	delta = deadline - guest_tsc;
	if (div64_u64(delta, khz) >= KTIME_MAX / NSEC_PER_MSEC)
		ns = KTIME_MAX;
	else
		ns = mul_u64_u32_div(delta, NSEC_PER_MSEC, khz);
	hrtimer_start(&apic->timer, ktime_add_safe(now, ns),
		      HRTIMER_MODE_ABS_HARD);
}

/*
 * (Re)start the timer from the registers.  A one-shot or periodic timer
 * first runs out after the count in @count_reg: TMICT, or for
 * KVM_SET_LAPIC the TMCCT userspace saved (0: fire now, as KVM does).
 */
static void lapic_start_timer(struct kvmx_lapic *apic, u32 count_reg)
{
	s64 period, first;

	if (timer_is(apic, APIC_LVT_TIMER_TSCDEADLINE)) {
		lapic_arm_deadline(apic);
		return;
	}
	if (!timer_is(apic, APIC_LVT_TIMER_ONESHOT) &&
	    !timer_is(apic, APIC_LVT_TIMER_PERIODIC))
		return;		/* the reserved mode 3 */

	/* A new count forgets an expiry a masked LVTT held back. */
	clear_bit(0, &apic->timer_pending);
	period = lapic_period_ns(apic);
	WRITE_ONCE(apic->period, period);
	if (!period)
		return;
	first = period;
	if (count_reg == APIC_TMCCT) {
		first = (s64)reg_get(apic, APIC_TMCCT) * apic->divide;
		if (!first)
			first = timer_is(apic, APIC_LVT_TIMER_PERIODIC) ?
				period : 0;
		first = min(first, period);
	}
	WRITE_ONCE(apic->target, ktime_add_ns(ktime_get(), first));
	lapic_arm_period(apic);
}

/*
 * LVTT changed: follow its mode.  Into or out of TSC-deadline mode the
 * timer stops and TMICT clears; between one-shot and periodic a running
 * timer just changes behaviour at its next expiry, as KVM.
 */
static void lapic_update_lvtt(struct kvmx_lapic *apic)
{
	u32 mode = reg_get(apic, APIC_LVTT) & timer_mode_mask(apic->vcpu);
	bool deadline = mode == APIC_LVT_TIMER_TSCDEADLINE;

	if (mode == apic->timer_mode)
		return;
	if (deadline != timer_is(apic, APIC_LVT_TIMER_TSCDEADLINE)) {
		hrtimer_cancel(&apic->timer);
		reg_set(apic, APIC_TMICT, 0);
		WRITE_ONCE(apic->period, 0);
		WRITE_ONCE(apic->tsc_deadline, 0);
	}
	WRITE_ONCE(apic->timer_mode, mode);
	if (mode == APIC_LVT_TIMER_PERIODIC && apic->period)
		WRITE_ONCE(apic->period,
			   max_t(s64, apic->period, LAPIC_MIN_PERIOD_NS));
}

static void lapic_set_divide(struct kvmx_lapic *apic, u32 tdcr)
{
	u32 old = apic->divide;
	ktime_t now;
	s64 left;

	reg_set(apic, APIC_TDCR, tdcr & 0xb);
	apic->divide = lapic_divide(tdcr);
	if (apic->divide == old || !apic->period)
		return;

	/* What is left of the current period scales with the divider. */
	hrtimer_cancel(&apic->timer);
	now = ktime_get();
	left = max_t(s64, ktime_to_ns(ktime_sub(apic->target, now)), 0);
	left = mul_u64_u32_div(left, apic->divide, old);
	WRITE_ONCE(apic->period, lapic_period_ns(apic));
	WRITE_ONCE(apic->target, ktime_add_ns(now, left));
	lapic_arm_period(apic);
}

/* TMCCT: what is left of the period, in bus cycles over the divider. */
static u32 lapic_current_count_now(struct kvmx_lapic *apic)
{
	s64 period = READ_ONCE(apic->period);
	ktime_t left;

	if (timer_is(apic, APIC_LVT_TIMER_TSCDEADLINE) ||
	    !reg_get(apic, APIC_TMICT) || !period)
		return 0;
	left = ktime_sub(READ_ONCE(apic->target), ktime_get());
	return lapic_current_count(ktime_to_ns(left), period, apic->divide);
}

/* ---- Registers ---- */

static void lapic_eoi(struct kvmx_lapic *apic)
{
	struct kvmx_vm *vm = apic->vcpu->vm;
	int vector = lapic_highest_vector(apic->regs + APIC_ISR);

	if (vector < 0)
		return;
	isr_set(apic, vector, false);
	lapic_update_ppr(apic);
	/*
	 * As KVM, every EOI goes to the in-kernel IOAPIC, edge ones too:
	 * their ack notifiers (the PIT's reinjection) want them.  The IOAPIC
	 * finds the pins that use the vector.
	 */
	if (vm->arch.irqchip == KVMX_IRQCHIP_KERNEL) {
		kvmx_ioapic_eoi(vm, vector);
	} else if (test_bit(vector & 31, vec_word(apic, APIC_TMR, vector)) &&
		   kvmx_split_eoi_wanted(apic->vcpu, vector)) {
		/* Userspace's IOAPIC clears its remote IRR: KVM_EXIT_IOAPIC_EOI. */
		apic->vcpu->arch.pending_ioapic_eoi = vector;
		kvmx_make_request(apic->vcpu, KVMX_REQ_IOAPIC_EOI);
	}
}

/* A 32-bit register (@reg 16-byte aligned); false: none in this mode. */
static bool lapic_reg_read(struct kvmx_lapic *apic, u32 reg, u32 *val)
{
	struct kvmx_vcpu *vcpu = apic->vcpu;

	switch (reg) {
	case APIC_ID:
	case APIC_TASKPRI:
	case APIC_LDR:
	case APIC_DFR:
	case APIC_SPIV:
	case APIC_ISR ... APIC_ISR + 0x70:
	case APIC_TMR ... APIC_TMR + 0x70:
	case APIC_IRR ... APIC_IRR + 0x70:
	case APIC_ESR:
	case APIC_ICR:
	case APIC_LVTT ... APIC_LVTERR:
	case APIC_TMICT:
	case APIC_TDCR:
		*val = reg_get(apic, reg);
		return true;
	case APIC_LVR:
		*val = lapic_update_version(apic);
		return true;
	case APIC_PROCPRI:
		*val = lapic_update_ppr(apic);
		return true;
	case APIC_TMCCT:
		*val = lapic_current_count_now(apic);
		return true;
	case APIC_ARBPRI:
		*val = 0;	/* KVM has no arbitration */
		return !x2apic_mode(vcpu);
	case APIC_ICR2:
		*val = reg_get(apic, reg);
		return !x2apic_mode(vcpu);
	case APIC_LVTCMCI:
		*val = reg_get(apic, reg);
		return nr_lvt(vcpu) > LAPIC_LVT_CMCI;
	default:
		return false;
	}
}

static void lapic_write_lvt(struct kvmx_lapic *apic, int lvt, u32 val)
{
	/* A software-disabled APIC keeps its LVTs masked (SDM 10.4.7.2). */
	if (!sw_enabled(apic))
		val |= APIC_LVT_MASKED;
	val &= lapic_lvt_writable(lvt, timer_mode_mask(apic->vcpu));
	reg_set(apic, lapic_lvt_reg(lvt), val);
	if (lvt == LAPIC_LVT_TIMER) {
		lapic_update_lvtt(apic);
		if (test_bit(0, &apic->timer_pending))
			lapic_timer_deliver(apic);
	}
}

static void lapic_write_spiv(struct kvmx_lapic *apic, u32 val)
{
	u32 mask = 0x3ff;	/* vector, APIC enable, focus */
	int i;

	if (lapic_update_version(apic) & APIC_LVR_DIRECTED_EOI)
		mask |= APIC_SPIV_DIRECTED_EOI;
	reg_set(apic, APIC_SPIV, val & mask);
	if (val & APIC_SPIV_APIC_ENABLED)
		return;
	for (i = 0; i < nr_lvt(apic->vcpu); i++)
		reg_set(apic, lapic_lvt_reg(i),
			reg_get(apic, lapic_lvt_reg(i)) | APIC_LVT_MASKED);
	lapic_update_lvtt(apic);
}

/* A 32-bit register write: 0, or 1 where x2APIC would #GP. */
static int lapic_reg_write(struct kvmx_lapic *apic, u32 reg, u32 val)
{
	bool x2apic = x2apic_mode(apic->vcpu);
	int lvt;

	switch (reg) {
	case APIC_ID:
		if (x2apic)
			return 1;
		reg_set(apic, APIC_ID, val & 0xff000000);
		break;
	case APIC_TASKPRI:
		reg_set(apic, APIC_TASKPRI, val & 0xff);
		lapic_update_ppr(apic);
		break;
	case APIC_EOI:
		lapic_eoi(apic);
		break;
	case APIC_LDR:
		if (x2apic)
			return 1;
		reg_set(apic, APIC_LDR, val & APIC_LDR_MASK);
		break;
	case APIC_DFR:
		if (x2apic)
			return 1;
		reg_set(apic, APIC_DFR, val | 0x0fffffff);
		break;
	case APIC_SPIV:
		lapic_write_spiv(apic, val);
		break;
	case APIC_ESR:
		/* KVM reports no errors: ESR is what it was. */
		if (x2apic && val)
			return 1;
		break;
	case APIC_ICR:
		/* xAPIC only; x2APIC's 64-bit ICR is an MSR of its own. */
		val &= ~APIC_ICR_BUSY;	/* sent at once */
		lapic_send_ipi(apic, val, reg_get(apic, APIC_ICR2));
		reg_set(apic, APIC_ICR, val);
		break;
	case APIC_ICR2:
		if (x2apic)
			return 1;
		reg_set(apic, APIC_ICR2, val & 0xff000000);
		break;
	case APIC_LVTT ... APIC_LVTERR:
	case APIC_LVTCMCI:
		lvt = lapic_lvt_index(reg);
		if (lvt < 0 || lvt >= nr_lvt(apic->vcpu))
			return 1;
		lapic_write_lvt(apic, lvt, val);
		break;
	case APIC_TMICT:
		if (timer_is(apic, APIC_LVT_TIMER_TSCDEADLINE))
			break;
		hrtimer_cancel(&apic->timer);
		reg_set(apic, APIC_TMICT, val);
		lapic_start_timer(apic, APIC_TMICT);
		break;
	case APIC_TDCR:
		lapic_set_divide(apic, val);
		break;
	case APIC_SELF_IPI:
		if (!x2apic || (val & ~APIC_VECTOR_MASK))
			return 1;
		lapic_send_ipi(apic, APIC_DEST_SELF | val, 0);
		break;
	default:
		return 1;
	}
	return 0;
}

/*
 * The xAPIC page.  As KVM with its default LAPIC_MMIO_HOLE quirk, the
 * page of a disabled or x2APIC LAPIC still belongs to it: it reads all
 * ones and drops writes.
 */
int kvmx_lapic_mmio(struct kvmx_vcpu *vcpu, u64 gpa, int len, void *val,
		    bool write)
{
	struct kvmx_lapic *apic = vcpu->arch.apic;
	u64 base = vcpu->arch.apic_base & MSR_IA32_APICBASE_BASE;
	u32 off, align, v;

	if (!apic || gpa < base || gpa - base >= LAPIC_MMIO_SIZE)
		return -EOPNOTSUPP;
	if (len <= 0)
		return 0;
	off = gpa - base;
	if (!hw_enabled(vcpu) || x2apic_mode(vcpu)) {
		if (!write)
			memset(val, 0xff, len);
		return 0;
	}
	/* QEMU's TPR patching (kvmvapic) learns of TPR accesses this way. */
	if (apic->tpr_access_reporting && off == APIC_TASKPRI) {
		vcpu->arch.tpr_access.rip = vcpu->arch.regs[KVMX_RIP];
		vcpu->arch.tpr_access.is_write = write;
		kvmx_make_request(vcpu, KVMX_REQ_TPR_ACCESS);
	}
	if (write) {
		/* SDM 10.4.1: aligned 32-bit writes; KVM drops the rest. */
		if (len == 4 && !(off & 0xf)) {
			memcpy(&v, val, 4);
			lapic_reg_write(apic, off, v);
		}
		return 0;
	}
	/* Reads may take part of a register; anything else reads 0. */
	memset(val, 0, len);
	align = off & 0xf;
	if ((len == 1 || len == 2 || len == 4) && align + len <= 4 &&
	    lapic_reg_read(apic, off - align, &v))
		memcpy(val, (u8 *)&v + align, len);
	return 0;
}

static int lapic_write_icr64(struct kvmx_lapic *apic, u64 val)
{
	if (val & X2APIC_ICR_RESERVED)
		return 1;
	val &= ~(u64)APIC_ICR_BUSY;
	lapic_send_ipi(apic, val, val >> 32);
	reg_set(apic, APIC_ICR, val);
	reg_set(apic, APIC_ICR2, val >> 32);
	return 0;
}

int kvmx_lapic_rdmsr(struct kvmx_vcpu *vcpu, u32 msr, u64 *val)
{
	struct kvmx_lapic *apic = vcpu->arch.apic;
	u32 reg, v;

	if (msr == MSR_IA32_TSC_DEADLINE) {
		*val = 0;
		if (apic && hw_enabled(vcpu) &&
		    timer_is(apic, APIC_LVT_TIMER_TSCDEADLINE))
			*val = READ_ONCE(apic->tsc_deadline);
		return 0;
	}
	if (!apic || msr < LAPIC_MSR_FIRST || msr > LAPIC_MSR_LAST ||
	    !x2apic_mode(vcpu))
		return 1;
	reg = (msr - LAPIC_MSR_FIRST) << 4;
	if (reg == APIC_ICR) {
		*val = reg_get(apic, APIC_ICR) |
		       (u64)reg_get(apic, APIC_ICR2) << 32;
		return 0;
	}
	if (reg == APIC_DFR || !lapic_reg_read(apic, reg, &v))
		return 1;
	*val = v;
	return 0;
}

int kvmx_lapic_wrmsr(struct kvmx_vcpu *vcpu, u32 msr, u64 val)
{
	struct kvmx_lapic *apic = vcpu->arch.apic;
	u32 reg;

	if (msr == MSR_IA32_TSC_DEADLINE) {
		/* As KVM: ignored, not #GP, outside TSC-deadline mode. */
		if (apic && hw_enabled(vcpu) &&
		    timer_is(apic, APIC_LVT_TIMER_TSCDEADLINE)) {
			hrtimer_cancel(&apic->timer);
			WRITE_ONCE(apic->tsc_deadline, val);
			lapic_arm_deadline(apic);
		}
		return 0;
	}
	if (!apic || msr < LAPIC_MSR_FIRST || msr > LAPIC_MSR_LAST ||
	    !x2apic_mode(vcpu))
		return 1;
	reg = (msr - LAPIC_MSR_FIRST) << 4;
	if (reg == APIC_ICR)
		return lapic_write_icr64(apic, val);
	if (val >> 32)
		return 1;
	return lapic_reg_write(apic, reg, val);
}

/* ---- IA32_APIC_BASE, CR8, what the run loop asks ---- */

static u64 apic_base_reserved(struct kvmx_vcpu *vcpu)
{
	struct kvm_cpuid_entry2 *e = kvmx_find_cpuid(vcpu, 0x80000000, 0);
	u64 r = 0x2ff;
	u32 maxphy = 36;

	/* The guest's MAXPHYADDR, as KVM reads it. */
	if (e && e->eax >= 0x80000008) {
		e = kvmx_find_cpuid(vcpu, 0x80000008, 0);
		if (e)
			maxphy = e->eax & 0xff;
	}
	if (maxphy < 64)
		r |= ~0ULL << maxphy;
	if (!kvmx_guest_cpuid_has(vcpu, 1, CPUID_ECX, CPUID1_ECX_X2APIC))
		r |= X2APIC_ENABLE;
	return r;
}

static void lapic_set_base(struct kvmx_vcpu *vcpu, u64 val)
{
	struct kvmx_lapic *apic = vcpu->arch.apic;
	u64 changed = vcpu->arch.apic_base ^ val;

	WRITE_ONCE(vcpu->arch.apic_base, val);
	if (!apic)
		return;
	/* As KVM: enabling the APIC restores the xAPIC ID from the vCPU id. */
	if ((changed & MSR_IA32_APICBASE_ENABLE) &&
	    (val & MSR_IA32_APICBASE_ENABLE))
		reg_set(apic, APIC_ID, (u32)(u8)vcpu->vcpu_id << 24);
	if ((changed & X2APIC_ENABLE) && (val & X2APIC_ENABLE)) {
		reg_set(apic, APIC_ID, vcpu->vcpu_id);
		reg_set(apic, APIC_LDR, lapic_x2apic_ldr(vcpu->vcpu_id));
	}
}

int kvmx_lapic_set_base(struct kvmx_vcpu *vcpu, u64 val, bool host)
{
	u64 old = vcpu->arch.apic_base & APIC_BASE_MODE;
	u64 new = val & APIC_BASE_MODE;

	if ((val & apic_base_reserved(vcpu)) || new == X2APIC_ENABLE)
		return 1;
	/* SDM 10.12.5: x2APIC is left only through disabled, entered from xAPIC. */
	if (!host && ((old == APIC_BASE_MODE && new == MSR_IA32_APICBASE_ENABLE) ||
		      (!old && new == APIC_BASE_MODE)))
		return 1;
	lapic_set_base(vcpu, val);
	return 0;
}

void kvmx_lapic_set_cr8(struct kvmx_vcpu *vcpu, u64 cr8)
{
	struct kvmx_lapic *apic = vcpu->arch.apic;

	if (!apic)
		return;
	reg_set(apic, APIC_TASKPRI, (cr8 & 0xf) << 4);
	lapic_update_ppr(apic);
}

u64 kvmx_lapic_get_cr8(struct kvmx_vcpu *vcpu)
{
	struct kvmx_lapic *apic = vcpu->arch.apic;

	return apic ? (reg_get(apic, APIC_TASKPRI) & 0xf0) >> 4 : 0;
}

int kvmx_lapic_pending_vector(struct kvmx_vcpu *vcpu)
{
	struct kvmx_lapic *apic = vcpu->arch.apic;
	u32 ppr;
	int vector;

	if (!apic || !hw_enabled(vcpu))
		return -1;
	ppr = lapic_update_ppr(apic);
	vector = lapic_highest_vector(apic->regs + APIC_IRR);
	return lapic_deliverable(vector, ppr) ? vector : -1;
}

void kvmx_lapic_accept(struct kvmx_vcpu *vcpu, int vector)
{
	struct kvmx_lapic *apic = vcpu->arch.apic;

	if (!apic || vector < 0 || vector > 0xff)
		return;
	clear_bit(vector & 31, vec_word(apic, APIC_IRR, vector));
	isr_set(apic, vector, true);
	lapic_update_ppr(apic);
}

/* KVM's kvm_apic_accept_pic_intr: virtual wire through LINT0, or no APIC. */
bool kvmx_lapic_accepts_extint(struct kvmx_vcpu *vcpu)
{
	struct kvmx_lapic *apic = vcpu->arch.apic;
	u32 lvt0;

	if (!apic)
		return false;
	if (!hw_enabled(vcpu))
		return true;
	lvt0 = reg_get(apic, APIC_LVT0);
	return !(lvt0 & APIC_LVT_MASKED) &&
	       GET_APIC_DELIVERY_MODE(lvt0) == APIC_MODE_EXTINT;
}

/* ---- State, reset, life cycle ---- */

int kvmx_lapic_get_state(struct kvmx_vcpu *vcpu, struct kvm_lapic_state *s)
{
	struct kvmx_lapic *apic = vcpu->arch.apic;
	u32 tmcct, id;

	if (!apic)
		return -EINVAL;
	lapic_update_version(apic);
	memcpy(s->regs, apic->regs, sizeof(s->regs));
	tmcct = lapic_current_count_now(apic);
	memcpy(s->regs + APIC_TMCCT, &tmcct, sizeof(tmcct));
	/* Without KVM_CAP_X2APIC_API the x2APIC ID travels in xAPIC place. */
	if (x2apic_mode(vcpu)) {
		id = reg_get(apic, APIC_ID) << 24;
		memcpy(s->regs + APIC_ID, &id, sizeof(id));
	}
	return 0;
}

int kvmx_lapic_set_state(struct kvmx_vcpu *vcpu,
			 const struct kvm_lapic_state *s)
{
	struct kvmx_lapic *apic = vcpu->arch.apic;
	u32 id;

	if (!apic)
		return -EINVAL;
	hrtimer_cancel(&apic->timer);
	memcpy(apic->regs, s->regs, sizeof(s->regs));
	if (x2apic_mode(vcpu)) {
		id = reg_get(apic, APIC_ID) >> 24;
		reg_set(apic, APIC_ID, id);
		reg_set(apic, APIC_LDR, lapic_x2apic_ldr(id));
	}
	lapic_update_version(apic);
	lapic_update_ppr(apic);

	/* Derived state from the new registers; the timer restarts. */
	lapic_update_lvtt(apic);
	apic->divide = lapic_divide(reg_get(apic, APIC_TDCR));
	lapic_start_timer(apic, APIC_TMCCT);
	reg_set(apic, APIC_TMCCT, 0);
	return 0;
}

void kvmx_lapic_reset(struct kvmx_vcpu *vcpu, bool init)
{
	struct kvmx_lapic *apic = vcpu->arch.apic;
	int i;

	/* INIT keeps IA32_APIC_BASE; RESET enables the APIC, flags the BSP. */
	if (!init)
		lapic_set_base(vcpu, APIC_DEFAULT_PHYS_BASE |
			       MSR_IA32_APICBASE_ENABLE |
			       (kvmx_vcpu_is_reset_bsp(vcpu) ?
				MSR_IA32_APICBASE_BSP : 0));
	if (!apic)
		return;

	hrtimer_cancel(&apic->timer);
	if (!init)
		reg_set(apic, APIC_ID, (u32)(u8)vcpu->vcpu_id << 24);
	lapic_update_version(apic);
	for (i = 0; i < nr_lvt(vcpu); i++)
		reg_set(apic, lapic_lvt_reg(i), APIC_LVT_MASKED);
	lapic_update_lvtt(apic);
	/* KVM's LINT0_REENABLED quirk: the BSP starts in virtual wire mode. */
	if (kvmx_vcpu_is_reset_bsp(vcpu))
		reg_set(apic, APIC_LVT0,
			SET_APIC_DELIVERY_MODE(0, APIC_MODE_EXTINT));

	reg_set(apic, APIC_DFR, APIC_DFR_FLAT);
	reg_set(apic, APIC_SPIV, 0xff);
	reg_set(apic, APIC_TASKPRI, 0);
	if (!x2apic_mode(vcpu))
		reg_set(apic, APIC_LDR, 0);
	reg_set(apic, APIC_ESR, 0);
	reg_set(apic, APIC_ICR, 0);
	reg_set(apic, APIC_ICR2, 0);
	reg_set(apic, APIC_TDCR, 0);
	reg_set(apic, APIC_TMICT, 0);
	for (i = 0; i < 8; i++) {
		reg_set(apic, APIC_IRR + 0x10 * i, 0);
		reg_set(apic, APIC_ISR + 0x10 * i, 0);
		reg_set(apic, APIC_TMR + 0x10 * i, 0);
	}
	apic->divide = lapic_divide(0);
	WRITE_ONCE(apic->period, 0);
	WRITE_ONCE(apic->tsc_deadline, 0);
	lapic_update_ppr(apic);
}

/* Before the vCPU is online: nobody else may see a half-made APIC. */
/* ---- KVM's VAPIC: a TPR shadow in guest memory, for TPR patching ---- */

int kvmx_lapic_set_vapic_addr(struct kvmx_vcpu *vcpu, u64 gpa)
{
	struct kvmx_lapic *apic = vcpu->arch.apic;
	u32 probe;

	if (!apic)
		return -EINVAL;
	/* As KVM: the shadow must be guest memory. */
	if (gpa && kvmx_guest_rw(vcpu->vm, gpa, &probe, sizeof(probe), false))
		return -EINVAL;
	apic->vapic_addr = gpa;
	return 0;
}

int kvmx_lapic_tpr_access_reporting(struct kvmx_vcpu *vcpu, bool on)
{
	if (!vcpu->arch.apic)
		return -EINVAL;
	vcpu->arch.apic->tpr_access_reporting = on;
	return 0;
}

/* Before entry: TPR, the highest ISR and IRR vectors, in KVM's layout. */
void kvmx_lapic_sync_to_vapic(struct kvmx_vcpu *vcpu)
{
	struct kvmx_lapic *apic = vcpu->arch.apic;
	int isr, irr;
	u32 data;

	if (!apic || !apic->vapic_addr)
		return;
	isr = max(lapic_highest_vector(apic->regs + APIC_ISR), 0);
	irr = max(lapic_highest_vector(apic->regs + APIC_IRR), 0);
	data = (reg_get(apic, APIC_TASKPRI) & 0xff) | ((isr & 0xf0) << 8) |
	       (irr << 24);
	kvmx_guest_rw(vcpu->vm, apic->vapic_addr, &data, sizeof(data), true);
}

/* After an exit: the guest may have written its TPR there. */
void kvmx_lapic_sync_from_vapic(struct kvmx_vcpu *vcpu)
{
	struct kvmx_lapic *apic = vcpu->arch.apic;
	u32 data;

	if (!apic || !apic->vapic_addr ||
	    kvmx_guest_rw(vcpu->vm, apic->vapic_addr, &data, sizeof(data), false))
		return;
	reg_set(apic, APIC_TASKPRI, data & 0xff);
	lapic_update_ppr(apic);
}

int kvmx_lapic_create(struct kvmx_vcpu *vcpu)
{
	struct kvmx_lapic *apic;

	apic = kzalloc(sizeof(*apic), GFP_KERNEL_ACCOUNT);
	if (!apic)
		return -ENOMEM;
	apic->regs = (u8 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!apic->regs) {
		kfree(apic);
		return -ENOMEM;
	}
	apic->vcpu = vcpu;
	hrtimer_init(&apic->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	apic->timer.function = lapic_timer_fn;
	vcpu->arch.apic = apic;
	kvmx_lapic_reset(vcpu, false);
	return 0;
}

void kvmx_lapic_free(struct kvmx_vcpu *vcpu)
{
	struct kvmx_lapic *apic = vcpu->arch.apic;

	if (!apic)
		return;
	hrtimer_cancel(&apic->timer);
	vcpu->arch.apic = NULL;
	free_page((unsigned long)apic->regs);
	kfree(apic);
}
