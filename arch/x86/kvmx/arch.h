/* SPDX-License-Identifier: GPL-2.0 */
/* x86 state embedded in the generic VM and vCPU. */
#ifndef KVMX_X86_ARCH_H
#define KVMX_X86_ARCH_H

#include <linux/types.h>

struct kvmx_arch_vm {
	u32 unused;
};

struct kvmx_arch_vcpu {
	u32 unused;
};

#endif /* KVMX_X86_ARCH_H */
