/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fake vCPU and guest-physical memory behind struct x86_emul_ops, for
 * the unit tests and the fuzzer.  Guest-physical memory is a list of
 * regions backed by host buffers; an MMIO region makes access_phys say
 * X86_PHYS_MMIO so the emulator exits, and fg_run() plays userspace.
 */
#ifndef UNIT_FAKE_GUEST_H
#define UNIT_FAKE_GUEST_H

#include "emulate.h"

#define FG_MAX_REGIONS	16

struct fg_region {
	uint64_t gpa, size;
	uint8_t *host;
	bool mmio;
};

struct fake_guest {
	uint64_t gpr[16], rip, rflags;
	struct x86_seg_desc seg[6];
	uint64_t cr0, cr3, cr4, efer, xcr0;
	uint32_t pkru;
	uint8_t cpl;
	uint8_t vec[16][32];

	struct fg_region region[FG_MAX_REGIONS];
	int nregion;

	/* Page-table pool, itself a RAM region. */
	uint8_t *pt;
	uint64_t pt_gpa, pt_size, pt_used;

	/* Statistics and fault injection. */
	unsigned int mmio_exits;
	unsigned int cmpxchg_fail;	/* fail this many cmpxchgs */
	bool strict;			/* abort() on bad MMIO pieces */
};

extern const struct x86_emul_ops fg_ops;

void fg_init(struct fake_guest *g);
void fg_add_region(struct fake_guest *g, uint64_t gpa, void *host,
		   uint64_t size, bool mmio);
struct fg_region *fg_find(struct fake_guest *g, uint64_t gpa, uint64_t len);

/* 64-bit mode, 4-level paging, CPL 3 (the real-CPU comparison setup). */
void fg_setup_long64(struct fake_guest *g, uint64_t pt_gpa, void *pt,
		     uint64_t pt_size);
/* Map a 4 KiB page in the 4-level tables rooted at CR3. */
int fg_map4k(struct fake_guest *g, uint64_t la, uint64_t gpa, uint64_t flags);

/*
 * Emulate one instruction to completion: service MMIO exits from the
 * regions, and go on with REP iterations.  Returns the last status.
 */
int fg_run(struct fake_guest *g, struct x86_emul *e);

#endif
