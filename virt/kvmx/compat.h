/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels kvmx builds against (Debian's 6.1 and
 * 6.12), kept in one place.
 */
#ifndef KVMX_COMPAT_H
#define KVMX_COMPAT_H

#include <linux/kvm.h>
#include <linux/version.h>

/* 6.10 renamed the field so that KVM reads it exactly once. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 10, 0)
#define kvmx_immediate_exit(run)	READ_ONCE((run)->immediate_exit)
#else
#define kvmx_immediate_exit(run)	READ_ONCE((run)->immediate_exit__unsafe)
#endif

/* 6.8 dropped the count argument: it was always 1. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0)
#define kvmx_eventfd_signal(ctx)	eventfd_signal(ctx, 1)
#else
#define kvmx_eventfd_signal(ctx)	eventfd_signal(ctx)
#endif

#endif /* KVMX_COMPAT_H */
