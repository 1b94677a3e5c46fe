/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel interrupt controllers and timers (KVM_CREATE_IRQCHIP,
 * KVM_CREATE_PIT2) and how interrupts travel between them:
 *
 *   PIT --gsi 0--> routing (route.c) --> PIC pair (pic.c) ---ExtINT---+
 *   irqfd, KVM_IRQ_LINE -->   |      \-> IOAPIC (ioapic.c) --+        |
 *   KVM_SIGNAL_MSI, MSI routes --------------------------->  APIC bus -> LAPIC
 *                                                          (lapic.c)   (per vCPU)
 *
 * A LAPIC EOI of a level-triggered vector goes back to the IOAPIC, which
 * clears the pin's remote IRR and tells the routing layer, which
 * resamples irqfds.
 *
 * Locking: each device has its own spinlock, taken with interrupts
 * enabled or from process context only; hrtimer callbacks hand their
 * work to process context (or only set bits atomically and kick).
 * Nothing here sleeps while holding a device lock.
 */
#ifndef KVMX_X86_IRQ_H
#define KVMX_X86_IRQ_H

#include <linux/kvm.h>
#include <linux/types.h>

struct kvmx_vm;
struct kvmx_vcpu;

/* KVM's irq source ids: a line's level is the OR of its sources. */
#define KVMX_USERSPACE_IRQ_SOURCE_ID	0
#define KVMX_IRQFD_RESAMPLE_SOURCE_ID	1
#define KVMX_PIT_IRQ_SOURCE_ID		2

/* Pins of each chip, as KVM: KVM_IRQCHIP_PIC_MASTER/SLAVE, _IOAPIC. */
#define KVMX_PIC_PINS		8
#define KVMX_IOAPIC_PINS	24
#define KVMX_IOAPIC_BASE	0xfec00000ULL
#define KVMX_NR_DEFAULT_GSIS	24
/* KVM's MAX_NR_RESERVED_IOAPIC_PINS, the split irqchip's bound. */
#define KVMX_MAX_RESERVED_IOAPIC_PINS	48

/* <asm/apicdef.h> has the other shorthands but not this one. */
#ifndef APIC_DEST_NOSHORT
#define APIC_DEST_NOSHORT	0x0
#endif

/*
 * A message on the APIC bus, from the IOAPIC, an MSI or an IPI.  The mode
 * and shorthand are <asm/apicdef.h>'s ICR values in place (APIC_DM_LOWEST
 * is 0x100, APIC_DEST_SELF 0x40000), hence u32.
 */
struct kvmx_apic_irq {
	u32 dest;		/* APIC ID, or logical destination */
	u8 vector;
	u32 delivery_mode;	/* APIC_DM_FIXED ... APIC_DM_EXTINT */
	u32 shorthand;		/* APIC_DEST_NOSHORT, _SELF, _ALLINC, _ALLBUT */
	bool dest_logical;
	bool level_trig;	/* level-triggered: TMR set, EOI goes back */
	bool assert;		/* false: INIT level de-assert (ignored) */
};

/*
 * ---- lapic.c: the local APIC of each vCPU ----
 * The register page is the APIC's own layout (KVM_GET/SET_LAPIC's).  Only
 * the owning vCPU thread changes it, except IRR bits (and the event bits
 * below), which anyone sets atomically and then kicks the vCPU.
 */
int kvmx_lapic_create(struct kvmx_vcpu *vcpu);
void kvmx_lapic_free(struct kvmx_vcpu *vcpu);
bool kvmx_lapic_is_dest(struct kvmx_vcpu *vcpu, u32 dest, bool logical);
/* Split irqchip: is this EOI one for userspace's IOAPIC (route.c)? */
bool kvmx_split_eoi_wanted(struct kvmx_vcpu *vcpu, int vector);
/* RESET (power-on, KVM_SET_LAPIC's defaults) or INIT. */
void kvmx_lapic_reset(struct kvmx_vcpu *vcpu, bool init);
/*
 * Deliver to every LAPIC that @irq names; @src for shorthands (or NULL).
 * Returns how many LAPICs took it: 0 or -1 if none, as KVM's.
 */
int kvmx_apic_bus_deliver(struct kvmx_vm *vm, struct kvmx_vcpu *src,
			  const struct kvmx_apic_irq *irq);
/* The highest IRR vector above the PPR, or -1. */
int kvmx_lapic_pending_vector(struct kvmx_vcpu *vcpu);
/* The vCPU takes @vector: IRR to ISR, PPR raised. */
void kvmx_lapic_accept(struct kvmx_vcpu *vcpu, int vector);
/* Does LINT0 take the PIC's ExtINT (or is the APIC off: virtual wire)? */
bool kvmx_lapic_accepts_extint(struct kvmx_vcpu *vcpu);
/* xAPIC MMIO at the vCPU's APIC base: 0 if it was the APIC page. */
int kvmx_lapic_mmio(struct kvmx_vcpu *vcpu, u64 gpa, int len, void *val,
		    bool write);
/* x2APIC MSRs 0x800-0x8ff and IA32_TSC_DEADLINE: 0, or 1 for #GP. */
int kvmx_lapic_rdmsr(struct kvmx_vcpu *vcpu, u32 msr, u64 *val);
int kvmx_lapic_wrmsr(struct kvmx_vcpu *vcpu, u32 msr, u64 val);
/* IA32_APIC_BASE writes (mode switches); 1 for #GP. */
int kvmx_lapic_set_base(struct kvmx_vcpu *vcpu, u64 val, bool host);
/* CR8 is TPR[7:4]. */
void kvmx_lapic_set_cr8(struct kvmx_vcpu *vcpu, u64 cr8);
u64 kvmx_lapic_get_cr8(struct kvmx_vcpu *vcpu);
/* KVM_SET_VAPIC_ADDR and KVM_TPR_ACCESS_REPORTING (QEMU's kvmvapic). */
int kvmx_lapic_set_vapic_addr(struct kvmx_vcpu *vcpu, u64 gpa);
int kvmx_lapic_tpr_access_reporting(struct kvmx_vcpu *vcpu, bool on);
void kvmx_lapic_sync_to_vapic(struct kvmx_vcpu *vcpu);
void kvmx_lapic_sync_from_vapic(struct kvmx_vcpu *vcpu);
int kvmx_lapic_get_state(struct kvmx_vcpu *vcpu, struct kvm_lapic_state *s);
int kvmx_lapic_set_state(struct kvmx_vcpu *vcpu,
			 const struct kvm_lapic_state *s);

/*
 * Events for the vCPU besides IRR vectors, in vcpu->arch.apic_events
 * (atomic bitops; the sender kicks).  The run loop consumes them.
 * NMIs are counted in vcpu->arch.nmi_queued instead (kvmx_process_nmi).
 */
#define KVMX_APIC_INIT		1
#define KVMX_APIC_SIPI		2	/* vector in vcpu->arch.sipi_vector */
#define KVMX_APIC_EXTINT	3	/* the PIC's output rose */

/* The vCPU must look at its APIC: wake it if halted, IPI if in guest. */
void kvmx_vcpu_kick(struct kvmx_vcpu *vcpu);

/* ---- pic.c: the 8259A pair, ports 0x20, 0xa0 and ELCR 0x4d0 ---- */
int kvmx_pic_create(struct kvmx_vm *vm);
void kvmx_pic_destroy(struct kvmx_vm *vm);
/* Returns as KVM_IRQ_LINE_STATUS: 1 delivered, 0 coalesced, -1 masked. */
int kvmx_pic_set_irq(struct kvmx_vm *vm, int pin, int source, int level);
/* Is the master's INT output raised? */
bool kvmx_pic_has_interrupt(struct kvmx_vm *vm);
/* The INTA cycle: the vector to deliver (a spurious 7/15 if none). */
int kvmx_pic_acknowledge(struct kvmx_vm *vm);
int kvmx_pic_get_state(struct kvmx_vm *vm, int chip,
		       struct kvm_pic_state *state);
int kvmx_pic_set_state(struct kvmx_vm *vm, int chip,
		       const struct kvm_pic_state *state);
/* pic.c calls this when the INT output may have risen: kicks vCPUs. */
void kvmx_pic_output_changed(struct kvmx_vm *vm);

/* ---- ioapic.c: the 82093AA IOAPIC at 0xfec00000 ---- */
int kvmx_ioapic_create(struct kvmx_vm *vm);
void kvmx_ioapic_destroy(struct kvmx_vm *vm);
int kvmx_ioapic_set_irq(struct kvmx_vm *vm, int pin, int source, int level);
/* A LAPIC EOI of a level-triggered @vector (or any EOI: KVM's broadcast). */
void kvmx_ioapic_eoi(struct kvmx_vm *vm, int vector);
int kvmx_ioapic_get_state(struct kvmx_vm *vm, struct kvm_ioapic_state *s);
int kvmx_ioapic_set_state(struct kvmx_vm *vm,
			  const struct kvm_ioapic_state *s);

/* ---- pit.c: the 8254 PIT on ports 0x40-0x43 and 0x61 ---- */
int kvmx_pit_create(struct kvmx_vm *vm, const struct kvm_pit_config *cfg);
void kvmx_pit_destroy(struct kvmx_vm *vm);
int kvmx_pit_get_state2(struct kvmx_vm *vm, struct kvm_pit_state2 *s);
int kvmx_pit_set_state2(struct kvmx_vm *vm, const struct kvm_pit_state2 *s);
int kvmx_pit_get_state(struct kvmx_vm *vm, struct kvm_pit_state *s);
int kvmx_pit_set_state(struct kvmx_vm *vm, const struct kvm_pit_state *s);
int kvmx_pit_reinject(struct kvmx_vm *vm, const struct kvm_reinject_control *c);
/*
 * route.c calls these for GSI 0 (PIC pin 0, IOAPIC pin 2 by default), as
 * KVM's ack and mask notifiers: an EOI of it, and its unmasking at the PIC
 * or the IOAPIC.  Reinject mode needs both.  Any context; no-ops without
 * a PIT.
 */
void kvmx_pit_ack(struct kvmx_vm *vm);
void kvmx_pit_unmasked(struct kvmx_vm *vm);

/* ---- route.c: GSI routing, KVM_IRQ_LINE, MSIs, ack notifiers ---- */
int kvmx_irq_routing_default(struct kvmx_vm *vm);
int kvmx_set_gsi_routing(struct kvmx_vm *vm,
			 const struct kvm_irq_routing_entry *ents, u32 nr,
			 u32 flags);
void kvmx_irq_routing_free(struct kvmx_vm *vm);
/* Raise or lower @gsi for @source; KVM_IRQ_LINE_STATUS's result. */
int kvmx_set_irq(struct kvmx_vm *vm, int source, u32 gsi, int level,
		 bool line_status);
int kvmx_deliver_msi(struct kvmx_vm *vm, const struct kvm_msi *msi);
/* An EOI reached IOAPIC pin or PIC pin @pin: resample irqfds on it. */
void kvmx_irq_ack(struct kvmx_vm *vm, unsigned int irqchip,
		  unsigned int pin);

#endif /* KVMX_X86_IRQ_H */
