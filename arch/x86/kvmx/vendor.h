/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vendor backend interface: one small table, picked once at load.
 * Each backend (svm/, vmx/) fills it in; x86 code calls only through it.
 */
#ifndef KVMX_X86_VENDOR_H
#define KVMX_X86_VENDOR_H

#include <linux/types.h>

struct kvmx_vendor_ops {
	const char *name;

	/*
	 * Can this machine run us?  0, or a negative errno after printing
	 * exactly why not.  Also allocates what the backend needs globally.
	 */
	int (*probe)(void);
	void (*unprobe)(void);

	/* Turn virtualization on or off on the calling CPU. */
	int (*cpu_enable)(void);
	void (*cpu_disable)(void);
};

extern const struct kvmx_vendor_ops kvmx_svm_ops;
extern const struct kvmx_vendor_ops kvmx_vmx_ops;
extern const struct kvmx_vendor_ops *kvmx_vendor;

/* arch/x86/kvmx/virt.c */
int kvmx_virt_enable_all(void);
void kvmx_virt_disable_all(void);

#endif /* KVMX_X86_VENDOR_H */
