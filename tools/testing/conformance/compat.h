/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Force-included (-include) into every upstream KVM selftest source that
 * `make conformance` builds.  Two build breaks of the Debian
 * linux-source-6.1 tree (stable backports that outran the 6.1 selftest
 * library), mended here instead of patching the extracted sources:
 *
 *  - steal_time.c includes <asm/kvm.h> before anything has pulled in
 *    <linux/stddef.h>, which defines __DECLARE_FLEX_ARRAY for it;
 *  - dirty_log_test.c uses TEST_ASSERT_EQ(), which 6.1's test_util.h
 *    lacks (upstream has it from 6.5 on; same meaning).
 */
#ifndef KVMX_CONFORMANCE_COMPAT_H
#define KVMX_CONFORMANCE_COMPAT_H
#ifndef __ASSEMBLER__

#include <linux/stddef.h>

#ifndef TEST_ASSERT_EQ
#define TEST_ASSERT_EQ(a, b)						\
do {									\
	typeof(a) __a = (a);						\
	typeof(b) __b = (b);						\
	TEST_ASSERT(__a == __b,						\
		    "%#lx != %#lx (%s != %s)",				\
		    (unsigned long)(__a), (unsigned long)(__b), #a, #b);\
} while (0)
#endif

/*
 * The probe variant (make PROBE=1; run.sh with PROBE=1): every test's VM
 * setup issues KVM_CREATE_IRQCHIP (lib/kvm_util.c, __vm_create) and dies
 * where a hypervisor has no in-kernel irqchip.  To see what each test
 * would hit next, the probe build issues KVM_CHECK_EXTENSION(0) instead,
 * which succeeds and creates nothing.  Its results are a to-do list, not
 * conformance: a test that needs the in-kernel LAPIC fails some other way.
 */
#ifdef KVMX_CONFORMANCE_PROBE
/* <linux/kvm.h> pulls in glibc's features.h: the tests want it GNU. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <linux/kvm.h>
#undef KVM_CREATE_IRQCHIP
#define KVM_CREATE_IRQCHIP KVM_CHECK_EXTENSION
#endif

#endif /* __ASSEMBLER__ */
#endif /* KVMX_CONFORMANCE_COMPAT_H */
