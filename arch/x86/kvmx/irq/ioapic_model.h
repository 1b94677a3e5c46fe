/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IOAPIC as pure logic: no locks, no kernel calls, so the same file
 * builds into kvmx.ko and into tools/testing/unit/irq.  ioapic.c wraps
 * it with the lock, the MMIO window and the calls out.
 */
#ifndef KVMX_IOAPIC_MODEL_H
#define KVMX_IOAPIC_MODEL_H

#include "emulate/emul_types.h"
#include "irq/irq.h"

#define IOAPIC_SOURCES		(8 * sizeof(unsigned long))
#define IOAPIC_MMIO_LEN		0x100
/* Redirections in a row, each EOIed with the line still up. */
#define IOAPIC_EOI_STORM	10000

/* Redirection table entry bits (82093AA). */
#define IOAPIC_RTE_LOGICAL	EMUL_BIT(11)
#define IOAPIC_RTE_DELIVS	EMUL_BIT(12)
#define IOAPIC_RTE_REMOTE_IRR	EMUL_BIT(14)
#define IOAPIC_RTE_LEVEL	EMUL_BIT(15)
#define IOAPIC_RTE_MASKED	EMUL_BIT(16)

struct ioapic_model {
	/* KVM_GET/SET_IRQCHIP's view; irr is the level seen on each pin. */
	struct kvm_ioapic_state s;
	u32 irr_delivered;		/* edge pins whose edge went out */
	unsigned long line[KVMX_IOAPIC_PINS];	/* one bit per irq source */
	u32 eoi_streak[KVMX_IOAPIC_PINS];
	/* kvmx_apic_bus_deliver()'s result: LAPICs reached, -1 none. */
	int (*deliver)(void *opaque, const struct kvmx_apic_irq *irq);
	void *opaque;
};

void ioapic_model_init(struct ioapic_model *m,
		       int (*deliver)(void *, const struct kvmx_apic_irq *),
		       void *opaque);
/* KVM_IRQ_LINE_STATUS's value: 1 delivered, 0 coalesced, -1 masked. */
int ioapic_model_set_irq(struct ioapic_model *m, int pin, int source,
			 int level);
/* Guest-physical @addr; 0 if it is the IOAPIC's, else not handled. */
int ioapic_model_read(struct ioapic_model *m, u64 addr, int len, void *val);
int ioapic_model_write(struct ioapic_model *m, u64 addr, int len,
		       const void *val);
/* Pins whose redirection carries @vector. */
u32 ioapic_model_vector_pins(const struct ioapic_model *m, int vector);
/* An EOI for @pin's vector; true if redelivery is left to a retry. */
bool ioapic_model_eoi(struct ioapic_model *m, int pin);
/* Deliver level pins still asserted and not waiting for an EOI. */
void ioapic_model_retry(struct ioapic_model *m);
void ioapic_model_get(const struct ioapic_model *m,
		      struct kvm_ioapic_state *s);
void ioapic_model_set(struct ioapic_model *m,
		      const struct kvm_ioapic_state *s);

#endif /* KVMX_IOAPIC_MODEL_H */
