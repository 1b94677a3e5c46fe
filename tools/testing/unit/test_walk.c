// SPDX-License-Identifier: GPL-2.0
/*
 * Page-table walker tests: tables built by hand in a fake guest-physical
 * memory for each paging mode, checking translations, accessed/dirty
 * updates and the exact #PF error codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "walk.h"

#define PM_SIZE		(2u << 20)	/* guest-physical memory: 2 MiB */

enum { M32, MPAE, M4L, M5L };

#define P	0x1ULL
#define RW	0x2ULL
#define US	0x4ULL
#define A	0x20ULL
#define D	0x40ULL
#define PS	0x80ULL
#define XD	(1ULL << 63)

static uint8_t pm[PM_SIZE] __attribute__((aligned(4096)));
static uint64_t pm_next;
static unsigned int cmpxchg_fail;

static int pm_rw(void *o, u64 gpa, void *buf, unsigned int len, bool write)
{
	(void)o;
	if (gpa >= PM_SIZE || len > PM_SIZE - gpa)
		return X86_PHYS_MMIO;
	if (write)
		memcpy(pm + gpa, buf, len);
	else
		memcpy(buf, pm + gpa, len);
	return X86_PHYS_OK;
}

static int pm_cmpxchg(void *o, u64 gpa, const void *old, const void *new,
		      unsigned int len)
{
	(void)o;
	if (gpa >= PM_SIZE || len > PM_SIZE - gpa)
		return X86_PHYS_MMIO;
	if (cmpxchg_fail) {
		/* Simulate another CPU setting A in the entry meanwhile. */
		cmpxchg_fail--;
		pm[gpa] |= 0x20;
		return X86_PHYS_CHANGED;
	}
	if (memcmp(pm + gpa, old, len))
		return X86_PHYS_CHANGED;
	memcpy(pm + gpa, new, len);
	return X86_PHYS_OK;
}

static uint64_t pm_alloc(void)
{
	uint64_t gpa = pm_next;

	pm_next += 4096;
	memset(pm + gpa, 0, 4096);
	return gpa;
}

static uint64_t rd(uint64_t gpa, int esize)
{
	uint64_t v = 0;

	memcpy(&v, pm + gpa, esize);
	return v;
}

static void wr(uint64_t gpa, uint64_t v, int esize)
{
	memcpy(pm + gpa, &v, esize);
}

struct env {
	struct x86_walk_env w;
	int mode, levels, esize;
	uint64_t ent[6];	/* gpa of the entry used at each level */
};

static void env_init(struct env *e, int mode)
{
	memset(e, 0, sizeof(*e));
	memset(pm, 0, sizeof(pm));
	pm_next = 0x1000;
	cmpxchg_fail = 0;
	e->mode = mode;
	e->w.maxphyaddr = 40;
	e->w.gbpages = true;
	e->w.rw = pm_rw;
	e->w.cmpxchg = pm_cmpxchg;
	e->w.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	e->esize = 8;
	switch (mode) {
	case M32:
		e->levels = 2;
		e->esize = 4;
		break;
	case MPAE:
		e->levels = 3;
		e->w.cr4 = X86_CR4_PAE;
		break;
	case M4L:
		e->levels = 4;
		e->w.cr4 = X86_CR4_PAE;
		e->w.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
		break;
	default:
		e->levels = 5;
		e->w.cr4 = X86_CR4_PAE | X86_CR4_LA57;
		e->w.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
		break;
	}
	e->w.cr3 = pm_alloc();
}

static unsigned int shift_of(const struct env *e, int lvl)
{
	return e->mode == M32 ? (lvl == 2 ? 22 : 12) : 12 + 9 * (lvl - 1);
}

static unsigned int index_of(const struct env *e, uint64_t la, int lvl)
{
	unsigned int mask = e->mode == M32 ? 0x3ff :
			    (e->mode == MPAE && lvl == 3) ? 3 : 0x1ff;

	return (la >> shift_of(e, lvl)) & mask;
}

/*
 * Map @la to @gpa with a leaf at @leaf (1 = 4K); non-leaf entries get
 * @upper, the leaf gets @flags.  PAE PDPTEs get only P.
 */
static void map(struct env *e, uint64_t la, uint64_t gpa, int leaf,
		uint64_t upper, uint64_t flags)
{
	uint64_t table = e->w.cr3 & ~0xfffULL;
	int lvl;

	if (e->mode == MPAE)
		table = e->w.cr3 & ~0x1fULL;
	for (lvl = e->levels; lvl > leaf; lvl--) {
		uint64_t ent = table + index_of(e, la, lvl) * e->esize;
		uint64_t v = rd(ent, e->esize);

		e->ent[lvl] = ent;
		if (!(v & P)) {
			v = pm_alloc() |
			    ((e->mode == MPAE && lvl == 3) ? P : upper);
			wr(ent, v, e->esize);
		}
		table = v & 0x000ffffffffff000ULL;
	}
	e->ent[leaf] = table + index_of(e, la, leaf) * e->esize;
	wr(e->ent[leaf], gpa | flags | (leaf > 1 ? PS : 0), e->esize);
}

static int walk(struct env *e, uint64_t la, uint32_t acc,
		struct x86_walk_result *res)
{
	return x86_walk(&e->w, la, acc, res);
}

/* Expect a fault with @ec, or a translation to @gpa if ec < 0. */
static void expect(const char *name, struct env *e, uint64_t la, uint32_t acc,
		   int64_t ec, uint64_t gpa)
{
	struct x86_walk_result res;
	int r = walk(e, la, acc, &res);
	char buf[160];
	int ok;

	if (ec < 0)
		ok = r == X86_WALK_OK && res.gpa == gpa;
	else
		ok = r == X86_WALK_FAULT && res.error_code == ec &&
		     res.fault_addr == (e->mode < M4L ? (uint32_t)la : la);
	snprintf(buf, sizeof(buf), "walk %s (r %d ec %#x gpa %#llx)", name, r,
		 res.error_code, (unsigned long long)res.gpa);
	t_result(buf, ok);
}

#define U	X86_ACC_USER
#define W	X86_ACC_WRITE
#define F	X86_ACC_FETCH
#define IMPL	X86_ACC_IMPLICIT
#define AC	X86_ACC_AC
#define NOFAULT	(-1)

static void test_nopaging(void)
{
	struct env e;

	env_init(&e, M32);
	e.w.cr0 = X86_CR0_PE;
	expect("no paging", &e, 0x12345678, U | W, NOFAULT, 0x12345678);
}

static void test_32bit(void)
{
	struct env e;

	env_init(&e, M32);
	map(&e, 0x00401234, 0x5000, 1, P | RW | US, P | RW | US);
	expect("32: 4K read", &e, 0x00401234, U, NOFAULT, 0x5234);
	T_CHECK("32: A on PDE and PTE, no D on read",
		(rd(e.ent[2], 4) & A) && (rd(e.ent[1], 4) & (A | D)) == A);
	expect("32: 4K write", &e, 0x00401234, U | W, NOFAULT, 0x5234);
	T_CHECK("32: D on PTE only", (rd(e.ent[1], 4) & D) &&
		!(rd(e.ent[2], 4) & D));

	/* Rights accumulate over PDE and PTE. */
	wr(e.ent[1], 0x5000 | P | US, 4);
	expect("32: user write to RO", &e, 0x00401000, U | W,
	       X86_PFEC_P | X86_PFEC_W | X86_PFEC_U, 0);
	expect("32: sup write to RO, WP=0", (e.w.cr0 &= ~X86_CR0_WP, &e),
	       0x00401000, W, NOFAULT, 0x5000);
	e.w.cr0 |= X86_CR0_WP;
	expect("32: sup write to RO, WP=1", &e, 0x00401000, W,
	       X86_PFEC_P | X86_PFEC_W, 0);
	wr(e.ent[1], 0x5000 | P | RW | US, 4);
	wr(e.ent[2], (rd(e.ent[2], 4) & ~US), 4);
	expect("32: user read, PDE supervisor", &e, 0x00401000, U,
	       X86_PFEC_P | X86_PFEC_U, 0);
	expect("32: fetch, no NX/SMEP: no I/D", &e, 0x00401000, U | F,
	       X86_PFEC_P | X86_PFEC_U, 0);
	e.w.cr4 |= X86_CR4_SMEP;
	expect("32: user fetch with SMEP: I/D", &e, 0x00401000, U | F,
	       X86_PFEC_P | X86_PFEC_U | X86_PFEC_I, 0);
	wr(e.ent[2], rd(e.ent[2], 4) | US, 4);
	expect("32: SMEP sup fetch of user page", &e, 0x00401000, F,
	       X86_PFEC_P | X86_PFEC_I, 0);
	e.w.cr4 &= ~X86_CR4_SMEP;
	expect("32: sup fetch of user page", &e, 0x00401000, F, NOFAULT,
	       0x5000);

	/* Not present, at each level. */
	expect("32: PDE not present", &e, 0x00800000, U | W,
	       X86_PFEC_W | X86_PFEC_U, 0);
	expect("32: PTE not present", &e, 0x00402000, 0, 0, 0);

	/* 4 MiB pages only with CR4.PSE; PSE-36 high bits. */
	env_init(&e, M32);
	e.w.cr4 = X86_CR4_PSE;
	map(&e, 0x00c00000, 0x00400000 | (0x12ULL << 13), 2, 0, P | RW);
	expect("32: 4M page, PSE-36", &e, 0x00c12345, W, NOFAULT,
	       0x1200412345ULL);
	T_CHECK("32: 4M page A and D", (rd(e.ent[2], 4) & (A | D)) == (A | D));
	wr(e.ent[2], rd(e.ent[2], 4) | (1 << 21), 4);
	expect("32: 4M page bit 21 reserved", &e, 0x00c12345, 0,
	       X86_PFEC_P | X86_PFEC_RSVD, 0);
	wr(e.ent[2], 0x00400000 | (0x80ULL << 13) | P | PS, 4);
	expect("32: PSE-36 bit 39, MAXPHYADDR 40", &e, 0x00c12345, 0,
	       NOFAULT, 0x8000412345ULL);
	e.w.maxphyaddr = 36;
	expect("32: PSE-36 bit above MAXPHYADDR", &e, 0x00c12345, 0,
	       X86_PFEC_P | X86_PFEC_RSVD, 0);
	e.w.maxphyaddr = 40;
	e.w.cr4 = 0;
	wr(e.ent[2], 0x9000 | P | RW | PS, 4);
	wr(0x9000 + 0x12 * 4, 0x7000 | P, 4);
	expect("32: PS ignored without CR4.PSE", &e, 0x00c12345, 0, NOFAULT,
	       0x7345);
}

static void test_pae(void)
{
	struct env e;

	env_init(&e, MPAE);
	map(&e, 0xc0201234, 0x6000, 1, P | RW | US, P | RW | US);
	expect("pae: 4K", &e, 0xc0201234, U | W, NOFAULT, 0x6234);
	T_CHECK("pae: no A in PDPTE, A/D elsewhere",
		rd(e.ent[3], 8) == (rd(e.ent[3], 8) & ~A) &&
		(rd(e.ent[2], 8) & A) && (rd(e.ent[1], 8) & (A | D)) == (A | D));
	wr(e.ent[1], rd(e.ent[1], 8) | XD, 8);
	expect("pae: XD without NXE is reserved", &e, 0xc0201234, U,
	       X86_PFEC_P | X86_PFEC_U | X86_PFEC_RSVD, 0);
	e.w.efer = X86_EFER_NXE;
	expect("pae: XD read is fine", &e, 0xc0201234, U, NOFAULT, 0x6234);
	expect("pae: XD fetch", &e, 0xc0201234, U | F,
	       X86_PFEC_P | X86_PFEC_U | X86_PFEC_I, 0);
	wr(e.ent[1], (rd(e.ent[1], 8) & ~XD) | (1ULL << 45), 8);
	expect("pae: PTE bit above MAXPHYADDR", &e, 0xc0201234, 0,
	       X86_PFEC_P | X86_PFEC_RSVD, 0);
	wr(e.ent[1], 0x6000 | P | RW | US | (1ULL << 55), 8);
	expect("pae: PTE bit 55 is reserved in PAE", &e, 0xc0201234, 0,
	       X86_PFEC_P | X86_PFEC_RSVD, 0);
	wr(e.ent[1], 0x6000 | P | RW | US, 8);
	wr(e.ent[3], rd(e.ent[3], 8) | (1ULL << 62), 8);
	expect("pae: PDPTE bit 62 reserved", &e, 0xc0201234, 0,
	       X86_PFEC_P | X86_PFEC_RSVD, 0);
	wr(e.ent[3], rd(e.ent[3], 8) & ~(1ULL << 62), 8);
	wr(e.ent[3], rd(e.ent[3], 8) | RW, 8);
	expect("pae: PDPTE bit 1 reserved", &e, 0xc0201234, F,
	       X86_PFEC_P | X86_PFEC_RSVD | X86_PFEC_I, 0);
	wr(e.ent[3], rd(e.ent[3], 8) & ~RW, 8);
	wr(e.ent[3], rd(e.ent[3], 8) & ~P, 8);
	expect("pae: PDPTE not present", &e, 0xc0201234, W, X86_PFEC_W, 0);

	env_init(&e, MPAE);
	map(&e, 0x40200000, 0x400000, 2, P | RW | US, P | RW | US);
	expect("pae: 2M page", &e, 0x403fffff, U, NOFAULT, 0x5fffff);
	wr(e.ent[2], rd(e.ent[2], 8) | (1 << 13), 8);
	expect("pae: 2M page bit 13 reserved", &e, 0x403fffff, U,
	       X86_PFEC_P | X86_PFEC_U | X86_PFEC_RSVD, 0);
}

static void test_long(int mode)
{
	const char *m = mode == M4L ? "4L" : "5L";
	uint64_t la = mode == M4L ? 0x00007f1234567abcULL :
				    0x00ff7f1234567abcULL;
	uint64_t top = mode == M4L ? 4 : 5;
	struct env e;
	char n[80];

#define NAME(s) (snprintf(n, sizeof(n), "%s: %s", m, s), n)
	env_init(&e, mode);
	map(&e, la, 0x8000, 1, P | RW | US, P | RW | US);
	expect(NAME("4K write"), &e, la, U | W, NOFAULT, 0x8abc);
	T_CHECK(NAME("A on every level, D on the leaf only"),
		(rd(e.ent[top], 8) & (A | D)) == A &&
		(rd(e.ent[2], 8) & (A | D)) == A &&
		(rd(e.ent[1], 8) & (A | D)) == (A | D));

	/* No A/D update when the access faults. */
	wr(e.ent[1], 0x8000 | P | US, 8);
	expect(NAME("user write RO"), &e, la, U | W,
	       X86_PFEC_P | X86_PFEC_W | X86_PFEC_U, 0);
	T_CHECK(NAME("no D on a faulting write"), !(rd(e.ent[1], 8) & D));

	/* A lost cmpxchg race restarts the walk. */
	wr(e.ent[1], 0x8000 | P | RW | US, 8);
	wr(e.ent[2], rd(e.ent[2], 8) & ~A, 8);
	cmpxchg_fail = 1;
	expect(NAME("A/D race retried"), &e, la, U | W, NOFAULT, 0x8abc);

	/* Reserved bits. */
	wr(e.ent[top], rd(e.ent[top], 8) | PS, 8);
	expect(NAME("PS in top level reserved"), &e, la, U,
	       X86_PFEC_P | X86_PFEC_U | X86_PFEC_RSVD, 0);
	wr(e.ent[top], rd(e.ent[top], 8) & ~PS, 8);
	wr(e.ent[top], rd(e.ent[top], 8) | (1 << 8), 8);
	expect(NAME("bit 8 in top level ignored on Intel"), &e, la, U,
	       NOFAULT, 0x8abc);
	e.w.amd = true;
	expect(NAME("bit 8 in top level reserved on AMD"), &e, la, U,
	       X86_PFEC_P | X86_PFEC_U | X86_PFEC_RSVD, 0);
	e.w.amd = false;
	wr(e.ent[top], rd(e.ent[top], 8) & ~(1ULL << 8), 8);
	wr(e.ent[2], rd(e.ent[2], 8) | (1ULL << 51), 8);
	expect(NAME("PDE bit 51 above MAXPHYADDR"), &e, la, W,
	       X86_PFEC_P | X86_PFEC_W | X86_PFEC_RSVD, 0);
	wr(e.ent[2], rd(e.ent[2], 8) & ~(1ULL << 51), 8);
	wr(e.ent[1], rd(e.ent[1], 8) | (0x7fULL << 52), 8);
	expect(NAME("PTE bits 58:52 ignored"), &e, la, W, NOFAULT, 0x8abc);
	wr(e.ent[1], rd(e.ent[1], 8) & ~(0x7fULL << 52), 8);

	/* XD anywhere on the path. */
	wr(e.ent[3], rd(e.ent[3], 8) | XD, 8);
	expect(NAME("XD on PDPTE: user fetch"), &e, la, U | F,
	       X86_PFEC_P | X86_PFEC_U | X86_PFEC_I, 0);
	expect(NAME("XD on PDPTE: read ok"), &e, la, U, NOFAULT, 0x8abc);
	wr(e.ent[3], rd(e.ent[3], 8) & ~XD, 8);

	/* SMAP: supervisor data access to a user page. */
	e.w.cr4 |= X86_CR4_SMAP;
	expect(NAME("SMAP, AC=0"), &e, la, 0, X86_PFEC_P, 0);
	expect(NAME("SMAP, AC=1"), &e, la, AC | W, NOFAULT, 0x8abc);
	expect(NAME("SMAP, implicit ignores AC"), &e, la, IMPL | AC,
	       X86_PFEC_P, 0);
	expect(NAME("SMAP does not cover fetches"), &e, la, F, NOFAULT,
	       0x8abc);
	expect(NAME("SMAP, user access unaffected"), &e, la, U, NOFAULT,
	       0x8abc);
	e.w.cr4 &= ~X86_CR4_SMAP;

	/* SMEP. */
	e.w.cr4 |= X86_CR4_SMEP;
	expect(NAME("SMEP"), &e, la, F, X86_PFEC_P | X86_PFEC_I, 0);
	e.w.cr4 &= ~X86_CR4_SMEP;

	/* PKU: key 5 in the leaf. */
	e.w.cr4 |= X86_CR4_PKE;
	wr(e.ent[1], rd(e.ent[1], 8) | (5ULL << 59), 8);
	e.w.pkru = 1u << 10;	/* AD for key 5 */
	expect(NAME("PKU AD: user read"), &e, la, U,
	       X86_PFEC_P | X86_PFEC_U | X86_PFEC_PK, 0);
	expect(NAME("PKU AD: supervisor read"), &e, la, 0,
	       X86_PFEC_P | X86_PFEC_PK, 0);
	expect(NAME("PKU: fetch unaffected"), &e, la, U | F, NOFAULT, 0x8abc);
	e.w.pkru = 1u << 11;	/* WD for key 5 */
	expect(NAME("PKU WD: read ok"), &e, la, U, NOFAULT, 0x8abc);
	expect(NAME("PKU WD: user write"), &e, la, U | W,
	       X86_PFEC_P | X86_PFEC_W | X86_PFEC_U | X86_PFEC_PK, 0);
	expect(NAME("PKU WD: sup write, WP=1"), &e, la, W,
	       X86_PFEC_P | X86_PFEC_W | X86_PFEC_PK, 0);
	e.w.cr0 &= ~X86_CR0_WP;
	expect(NAME("PKU WD: sup write, WP=0"), &e, la, W, NOFAULT, 0x8abc);
	e.w.cr0 |= X86_CR0_WP;
	e.w.pkru = 3u << 10;
	wr(e.ent[1], 0x8000 | P | US | (5ULL << 59), 8);
	expect(NAME("PKU plus RO: both bits"), &e, la, U | W,
	       X86_PFEC_P | X86_PFEC_W | X86_PFEC_U | X86_PFEC_PK, 0);
	wr(e.ent[1], 0x8000 | P | RW | US | (5ULL << 59), 8);
	wr(e.ent[2], rd(e.ent[2], 8) & ~US, 8);
	expect(NAME("PKU ignores supervisor pages"), &e, la, W, NOFAULT,
	       0x8abc);
	e.w.cr4 &= ~X86_CR4_PKE;

	/* Large pages. */
	env_init(&e, mode);
	map(&e, la, 0x40000000, 3, P | RW | US, P | RW | US);
	expect(NAME("1G page"), &e, la, U, NOFAULT,
	       0x40000000 | (la & 0x3fffffff));
	wr(e.ent[3], rd(e.ent[3], 8) | (1 << 13), 8);
	expect(NAME("1G page bit 13 reserved"), &e, la, U,
	       X86_PFEC_P | X86_PFEC_U | X86_PFEC_RSVD, 0);
	wr(e.ent[3], rd(e.ent[3], 8) & ~(1ULL << 13), 8);
	e.w.gbpages = false;
	expect(NAME("1G page without gbpages"), &e, la, U,
	       X86_PFEC_P | X86_PFEC_U | X86_PFEC_RSVD, 0);

	env_init(&e, mode);
	map(&e, la, 0x200000 | (1 << 12), 2, P | RW | US, P | RW | US);
	expect(NAME("2M page, PAT bit not address"), &e, la, W, NOFAULT,
	       0x200000 | (la & 0x1fffff));
	T_CHECK(NAME("2M page D"), (rd(e.ent[2], 8) & (A | D)) == (A | D));
#undef NAME
}

void test_walk(void)
{
	test_nopaging();
	test_32bit();
	test_pae();
	test_long(M4L);
	test_long(M5L);
}
