/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMCS access for the VMX backend.
 *
 * VMREAD and VMWRITE act on the current VMCS of the CPU they run on, so
 * callers keep preemption off and the vCPU's VMCS current (vmx_get_vmcs()).
 * A failure means a kvmx bug (wrong field, no current VMCS); a fault means
 * VMX was turned off under us (emergency reboot).  Both are counted and
 * reported once rather than crashing the host.
 */
#ifndef KVMX_VMX_H
#define KVMX_VMX_H

#include <linux/types.h>
#include <asm/asm.h>
#include <asm/vmx.h>

void vmx_vmcs_error(const char *insn, unsigned long field, unsigned long val);

static __always_inline unsigned long vmcs_read(unsigned long field)
{
	unsigned long val = 0;
	bool fail = true;

	/* On a fault the fixup skips SETNA: fail stays set. */
	asm volatile("1: vmread %[field], %[val]\n\t"
		     "setna %[fail]\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [val] "+r" (val), [fail] "+qm" (fail)
		     : [field] "r" (field)
		     : "cc");
	if (unlikely(fail))
		vmx_vmcs_error("vmread", field, 0);
	return val;
}

static __always_inline void vmcs_write(unsigned long field, unsigned long val)
{
	bool fail = true;

	asm volatile("1: vmwrite %[val], %[field]\n\t"
		     "setna %[fail]\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [fail] "+qm" (fail)
		     : [field] "r" (field), [val] "rm" (val)
		     : "cc", "memory");
	if (unlikely(fail))
		vmx_vmcs_error("vmwrite", field, val);
}

static inline void vmcs_set_bits(unsigned long field, unsigned long bits)
{
	vmcs_write(field, vmcs_read(field) | bits);
}

static inline void vmcs_clear_bits(unsigned long field, unsigned long bits)
{
	vmcs_write(field, vmcs_read(field) & ~bits);
}

/* vmenter.S */
int kvmx_vmx_vmenter(unsigned long *regs, bool launched);
void kvmx_vmx_vmexit(void);
void kvmx_vmx_do_nmi(void);

#endif /* KVMX_VMX_H */
