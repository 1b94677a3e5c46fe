/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The 8259A pair as pure logic: no locks, no kernel calls, so the same
 * file builds into kvmx.ko and into tools/testing/unit/irq.  pic.c wraps
 * it with the lock, the I/O ports and the calls out of the PIC.
 */
#ifndef KVMX_PIC_MODEL_H
#define KVMX_PIC_MODEL_H

#include "emulate/emul_types.h"
#include <linux/kvm.h>

#define PIC_PINS	16
#define PIC_SOURCES	(8 * sizeof(unsigned long))

struct pic_model_ops {
	/*
	 * An EOI took @pin (0-15, slave pins 8-15) out of service.  Called in
	 * the middle of an operation, with the state consistent: the caller
	 * may drop its lock around it, the model re-reads everything after.
	 */
	void (*ack)(void *opaque, int pin);
	/* Does some vCPU take the PIC's output (ExtINT or APIC off)? */
	bool (*cpu_takes_extint)(void *opaque);
};

struct pic_model {
	/* 0: master, 1: slave; exactly what KVM_GET/SET_IRQCHIP carry. */
	struct kvm_pic_state chip[2];
	unsigned long line[PIC_PINS];	/* one bit per irq source */
	bool output;			/* the master's INT pin */
	bool output_rose;		/* since the caller last looked */
	const struct pic_model_ops *ops;
	void *opaque;
};

void pic_model_init(struct pic_model *m, const struct pic_model_ops *ops,
		    void *opaque);
/* KVM_IRQ_LINE_STATUS's value: 1 delivered, 0 coalesced, -1 masked. */
int pic_model_set_irq(struct pic_model *m, int pin, int source, int level);
/* INTA: the vector, a spurious IRQ7/IRQ15 one if nothing is pending. */
int pic_model_intack(struct pic_model *m);
/* Ports 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, one byte. */
u8 pic_model_read(struct pic_model *m, u16 port);
void pic_model_write(struct pic_model *m, u16 port, u8 val);
/* Recompute the output, after KVM_SET_IRQCHIP changed a chip. */
void pic_model_update(struct pic_model *m);

#endif /* KVMX_PIC_MODEL_H */
