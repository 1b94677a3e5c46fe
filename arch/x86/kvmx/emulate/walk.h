/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest page-table walker: linear to guest-physical translation for every
 * x86 paging mode, with the permission checks, accessed/dirty updates and
 * #PF error codes of the real thing.
 */
#ifndef KVMX_EMUL_WALK_H
#define KVMX_EMUL_WALK_H

#include "emul_types.h"

/* Guest-physical memory access results, shared with the emulator. */
enum x86_phys_status {
	X86_PHYS_OK,
	X86_PHYS_MMIO,		/* not RAM: must go to a device or userspace */
	X86_PHYS_CHANGED,	/* cmpxchg found another value */
};

/* Read or write guest-physical memory; returns enum x86_phys_status. */
typedef int (*x86_phys_rw_fn)(void *opaque, u64 gpa, void *buf,
			      unsigned int len, bool write);
/* Store @new at @gpa iff it holds @old (len 1, 2, 4 or 8). */
typedef int (*x86_phys_cmpxchg_fn)(void *opaque, u64 gpa, const void *old,
				   const void *new, unsigned int len);

/* #PF error code bits (the kernel's enum x86_pf_error_code has X86_PF_*). */
#define X86_PFEC_P	0x01
#define X86_PFEC_W	0x02
#define X86_PFEC_U	0x04
#define X86_PFEC_RSVD	0x08
#define X86_PFEC_I	0x10
#define X86_PFEC_PK	0x20

/* Access kinds; the first three have the error code's bit positions. */
#define X86_ACC_WRITE		X86_PFEC_W
#define X86_ACC_USER		X86_PFEC_U	/* CPL 3 and not implicit */
#define X86_ACC_FETCH		X86_PFEC_I
#define X86_ACC_IMPLICIT	0x100	/* supervisor implicit (GDT, TSS..) */
#define X86_ACC_AC		0x200	/* RFLAGS.AC: SMAP override */

/*
 * Control register bits, named and valued as in the kernel's
 * <asm/processor-flags.h>, which wins if it came first.
 */
#ifndef X86_CR0_PE
#define X86_CR0_PE	EMUL_BIT(0)
#define X86_CR0_MP	EMUL_BIT(1)
#define X86_CR0_EM	EMUL_BIT(2)
#define X86_CR0_TS	EMUL_BIT(3)
#define X86_CR0_WP	EMUL_BIT(16)
#define X86_CR0_AM	EMUL_BIT(18)
#define X86_CR0_PG	EMUL_BIT(31)
#define X86_CR4_PSE	EMUL_BIT(4)
#define X86_CR4_PAE	EMUL_BIT(5)
#define X86_CR4_OSFXSR	EMUL_BIT(9)
#define X86_CR4_LA57	EMUL_BIT(12)
#define X86_CR4_OSXSAVE	EMUL_BIT(18)
#define X86_CR4_SMEP	EMUL_BIT(20)
#define X86_CR4_SMAP	EMUL_BIT(21)
#define X86_CR4_PKE	EMUL_BIT(22)
#endif
#define X86_EFER_LME	EMUL_BIT(8)
#define X86_EFER_LMA	EMUL_BIT(10)
#define X86_EFER_NXE	EMUL_BIT(11)

struct x86_walk_env {
	u64 cr0, cr3, cr4, efer;
	u32 pkru;
	u8 maxphyaddr;
	bool amd;		/* bit 8 of non-leaf PML4E/PML5E/PDPTE is MBZ */
	bool gbpages;		/* 1 GiB pages exist */
	x86_phys_rw_fn rw;
	x86_phys_cmpxchg_fn cmpxchg;
	void *opaque;
};

enum x86_walk_status {
	X86_WALK_OK,
	X86_WALK_FAULT,		/* #PF: error_code and fault_addr are set */
	X86_WALK_ERROR,		/* a paging structure is not in RAM */
	X86_WALK_RETRY,		/* A/D updates kept racing; try again later */
};

struct x86_walk_result {
	u64 gpa;
	u64 page_size;		/* size of the page that maps the address */
	u32 error_code;
	u64 fault_addr;		/* CR2 value for the #PF */
};

int x86_walk(const struct x86_walk_env *env, u64 la, u32 access,
	     struct x86_walk_result *res);

#endif /* KVMX_EMUL_WALK_H */
