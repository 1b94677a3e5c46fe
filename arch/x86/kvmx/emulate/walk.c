// SPDX-License-Identifier: GPL-2.0
/*
 * Guest page-table walker.  See walk.h.
 *
 * The walk reads one entry per level, stops at the first not-present or
 * reserved-bit entry, accumulates R/W, U/S and XD along the way and checks
 * the rights only once the leaf is found, as the CPU does.  Accessed and
 * dirty bits are set, with compare-exchange, only for a successful
 * translation; a lost race restarts the walk.
 */
#include "walk.h"

#define PTE_P		EMUL_BIT(0)
#define PTE_RW		EMUL_BIT(1)
#define PTE_US		EMUL_BIT(2)
#define PTE_A		EMUL_BIT(5)
#define PTE_D		EMUL_BIT(6)
#define PTE_PS		EMUL_BIT(7)
#define PTE_XD		EMUL_BIT(63)
#define PTE_ADDR	0x000ffffffffff000ULL

#define MAX_LEVELS	5
#define MAX_RETRIES	8

/* Bits [hi:lo], inclusive. */
static u64 bits(unsigned int hi, unsigned int lo)
{
	if (hi < lo)
		return 0;
	return (~0ULL >> (63 - hi)) & ~((1ULL << lo) - 1);
}

enum pg_mode { PG_32, PG_PAE, PG_4L, PG_5L };

struct walk {
	const struct x86_walk_env *env;
	enum pg_mode mode;
	unsigned int levels;
	unsigned int esize;	/* entry size: 4 or 8 */
	bool nx;
	u64 pte[MAX_LEVELS + 1];
	u64 pte_gpa[MAX_LEVELS + 1];
	unsigned int leaf;	/* level of the leaf entry */
};

/* Bit position where level @lvl's index starts. */
static unsigned int level_shift(const struct walk *w, unsigned int lvl)
{
	if (w->mode == PG_32)
		return lvl == 2 ? 22 : 12;
	return 12 + 9 * (lvl - 1);
}

static unsigned int level_index(const struct walk *w, u64 la,
				unsigned int lvl)
{
	unsigned int mask = w->mode == PG_32 ? 0x3ff :
			    (w->mode == PG_PAE && lvl == 3) ? 3 : 0x1ff;

	return (la >> level_shift(w, lvl)) & mask;
}

static bool is_leaf(const struct walk *w, unsigned int lvl, u64 pte)
{
	if (lvl == 1)
		return true;
	if (!(pte & PTE_PS))
		return false;
	if (w->mode == PG_32)
		return lvl == 2 && (w->env->cr4 & X86_CR4_PSE);
	/* PS in a PML4E/PML5E or a PAE PDPTE is a reserved bit instead. */
	return lvl == 2 || (lvl == 3 && w->mode != PG_PAE);
}

static u64 reserved_bits(const struct walk *w, unsigned int lvl, u64 pte)
{
	const struct x86_walk_env *env = w->env;
	unsigned int maxphy = env->maxphyaddr;
	u64 rsvd, nonleaf8 = env->amd ? EMUL_BIT(8) : 0;

	if (w->mode == PG_32) {
		/* Only 4 MiB PDEs have reserved bits (PSE-36 layout). */
		if (!is_leaf(w, lvl, pte) || lvl != 2)
			return 0;
		if (maxphy > 40)
			maxphy = 40;
		return EMUL_BIT(21) | bits(20, 13 + maxphy - 32);
	}

	/* PAE reserves 62:MAXPHYADDR; IA-32e leaves 62:52 to software. */
	rsvd = bits(w->mode == PG_PAE ? 62 : 51, maxphy);
	if (!w->nx)
		rsvd |= PTE_XD;
	if (w->mode == PG_PAE && lvl == 3)
		return rsvd | PTE_XD | bits(8, 5) | bits(2, 1);

	switch (lvl) {
	case 5:
	case 4:
		return rsvd | PTE_PS | nonleaf8;
	case 3:
		if (!(pte & PTE_PS))
			return rsvd | nonleaf8;
		if (!env->gbpages)
			return rsvd | PTE_PS;
		return rsvd | bits(29, 13);
	case 2:
		return (pte & PTE_PS) ? rsvd | bits(20, 13) : rsvd;
	default:
		return rsvd;
	}
}

static int read_pte(const struct walk *w, u64 gpa, u64 *pte)
{
	const struct x86_walk_env *env = w->env;

	*pte = 0;
	if (env->rw(env->opaque, gpa, pte, w->esize, false) != X86_PHYS_OK)
		return X86_WALK_ERROR;
	return X86_WALK_OK;
}

/* Set @set in the entry at level @lvl; X86_WALK_RETRY if it changed. */
static int update_pte(struct walk *w, unsigned int lvl, u64 set)
{
	const struct x86_walk_env *env = w->env;
	u64 old = w->pte[lvl], new = old | set;
	int r;

	if (old == new)
		return X86_WALK_OK;
	r = env->cmpxchg(env->opaque, w->pte_gpa[lvl], &old, &new, w->esize);
	if (r == X86_PHYS_CHANGED)
		return X86_WALK_RETRY;
	if (r != X86_PHYS_OK)
		return X86_WALK_ERROR;
	w->pte[lvl] = new;
	return X86_WALK_OK;
}

/* Leaf rights check; returns the error code bits (0 if allowed). */
static u32 check_rights(const struct walk *w, u32 access, bool uw, bool us,
			bool xd)
{
	const struct x86_walk_env *env = w->env;
	bool write = access & X86_ACC_WRITE;
	bool user = access & X86_ACC_USER;
	bool fetch = access & X86_ACC_FETCH;
	bool wp = env->cr0 & X86_CR0_WP;
	bool fault = false, pk = false;

	if (user) {
		fault = !us || (write && !uw) || (fetch && xd);
	} else if (fetch) {
		fault = xd || (us && (env->cr4 & X86_CR4_SMEP));
	} else {
		if (us && (env->cr4 & X86_CR4_SMAP) &&
		    ((access & X86_ACC_IMPLICIT) || !(access & X86_ACC_AC)))
			fault = true;
		if (write && !uw && wp)
			fault = true;
	}

	/* Protection keys: data accesses to user pages in IA-32e paging. */
	if ((env->cr4 & X86_CR4_PKE) && w->mode >= PG_4L && us && !fetch) {
		unsigned int key = (w->pte[w->leaf] >> 59) & 0xf;
		u32 ad = (env->pkru >> (2 * key)) & 1;
		u32 wd = (env->pkru >> (2 * key + 1)) & 1;

		pk = ad || (wd && write && (user || wp));
	}

	if (!fault && !pk)
		return 0;
	return X86_PFEC_P | (pk ? X86_PFEC_PK : 0);
}

static void fault(const struct walk *w, struct x86_walk_result *res,
		  u64 la, u32 access, u32 code)
{
	const struct x86_walk_env *env = w->env;

	code |= access & (X86_ACC_WRITE | X86_ACC_USER);
	/* I/D is only reported where execute rights exist. */
	if ((access & X86_ACC_FETCH) &&
	    (w->nx || (env->cr4 & X86_CR4_SMEP)))
		code |= X86_PFEC_I;
	res->error_code = code;
	res->fault_addr = la;
}

static int walk_once(struct walk *w, u64 la, u32 access,
		     struct x86_walk_result *res)
{
	const struct x86_walk_env *env = w->env;
	bool uw = true, us = true, xd = false;
	unsigned int lvl, shift;
	u64 table, pte, size;
	int r;

	if (w->mode == PG_32)
		table = env->cr3 & 0xfffff000ULL;
	else if (w->mode == PG_PAE)
		table = env->cr3 & 0xffffffe0ULL;
	else
		table = env->cr3 & PTE_ADDR & bits(63, 12) & ~bits(63, 52);

	for (lvl = w->levels; ; lvl--) {
		u64 gpa = table + level_index(w, la, lvl) * w->esize;

		r = read_pte(w, gpa, &pte);
		if (r)
			return r;
		w->pte[lvl] = pte;
		w->pte_gpa[lvl] = gpa;

		if (!(pte & PTE_P)) {
			fault(w, res, la, access, 0);
			return X86_WALK_FAULT;
		}
		if (pte & reserved_bits(w, lvl, pte)) {
			fault(w, res, la, access, X86_PFEC_P | X86_PFEC_RSVD);
			return X86_WALK_FAULT;
		}
		/* A PAE PDPTE carries no rights. */
		if (!(w->mode == PG_PAE && lvl == 3)) {
			uw &= !!(pte & PTE_RW);
			us &= !!(pte & PTE_US);
			xd |= w->nx && (pte & PTE_XD);
		}
		if (is_leaf(w, lvl, pte))
			break;
		table = pte & (w->esize == 4 ? 0xfffff000ULL : PTE_ADDR);
	}
	w->leaf = lvl;

	r = check_rights(w, access, uw, us, xd);
	if (r) {
		fault(w, res, la, access, r);
		return X86_WALK_FAULT;
	}

	shift = level_shift(w, lvl);
	size = 1ULL << shift;
	if (w->mode == PG_32 && lvl == 2)
		res->gpa = (pte & 0xffc00000ULL) |
			   (((pte >> 13) & 0xffULL) << 32);
	else if (w->mode == PG_32)
		res->gpa = pte & 0xfffff000ULL;
	else
		res->gpa = pte & PTE_ADDR & ~(size - 1);
	res->gpa |= la & (size - 1);
	res->page_size = size;

	/* Accessed on every level used, dirty on the leaf for writes. */
	for (lvl = w->levels; lvl >= w->leaf; lvl--) {
		u64 set = PTE_A;

		if (w->mode == PG_PAE && lvl == 3)
			continue;
		if (lvl == w->leaf && (access & X86_ACC_WRITE))
			set |= PTE_D;
		r = update_pte(w, lvl, set);
		if (r)
			return r;
	}
	return X86_WALK_OK;
}

int x86_walk(const struct x86_walk_env *env, u64 la, u32 access,
	     struct x86_walk_result *res)
{
	struct walk w = { .env = env };
	unsigned int tries;
	int r;

	memset(res, 0, sizeof(*res));
	if (!(env->cr0 & X86_CR0_PG)) {
		res->gpa = la;
		res->page_size = 4096;
		return X86_WALK_OK;
	}

	if (!(env->cr4 & X86_CR4_PAE)) {
		w.mode = PG_32;
		w.levels = 2;
		w.esize = 4;
	} else {
		w.esize = 8;
		w.nx = env->efer & X86_EFER_NXE;
		if (!(env->efer & X86_EFER_LMA)) {
			w.mode = PG_PAE;
			w.levels = 3;
		} else if (env->cr4 & X86_CR4_LA57) {
			w.mode = PG_5L;
			w.levels = 5;
		} else {
			w.mode = PG_4L;
			w.levels = 4;
		}
	}
	if (w.mode < PG_4L)
		la &= 0xffffffffULL;

	for (tries = 0; tries < MAX_RETRIES; tries++) {
		r = walk_once(&w, la, access, res);
		if (r != X86_WALK_RETRY)
			return r;
	}
	return X86_WALK_RETRY;
}
