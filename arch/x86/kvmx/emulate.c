// SPDX-License-Identifier: GPL-2.0
/*
 * Glue between the run loop and the instruction emulator.
 */
#include "x86.h"

/*
 * Length of the intercepted instruction at CS:RIP, for CPUs that do not
 * report it (no NRIPS).
 *
 * TODO: decode the bytes (prefixes included) once the decoder is wired
 * in.  Until then the plain encodings of the intercepted instructions are
 * assumed, which is right for every compiler-generated instance.
 */
int kvmx_insn_len_for(struct kvmx_vcpu *vcpu, enum kvmx_exit_reason reason)
{
	switch (reason) {
	case KVMX_EXIT_HLT:
		return 1;
	case KVMX_EXIT_CPUID:
	case KVMX_EXIT_RDMSR:
	case KVMX_EXIT_WRMSR:
		return 2;
	case KVMX_EXIT_HYPERCALL:
	case KVMX_EXIT_XSETBV:
		return 3;
	default:
		return -EINVAL;
	}
}

/* An access that no memory backs: MMIO, which needs the emulator. */
int kvmx_emulate(struct kvmx_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->internal.ndata = 0;
	return 0;
}

int kvmx_complete_mmio(struct kvmx_vcpu *vcpu)
{
	return 1;
}
