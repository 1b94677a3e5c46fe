/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMX_SVM_H
#define KVMX_SVM_H

#include <linux/types.h>

/* svm/vmenter.S: one VMRUN, with the GPR and VMSAVE state switch. */
void kvmx_svm_vmrun(u64 vmcb_pa, unsigned long *regs, u64 host_pa);

#endif /* KVMX_SVM_H */
