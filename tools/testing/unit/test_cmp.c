// SPDX-License-Identifier: GPL-2.0
/*
 * Real-CPU comparison tests.  For each instruction form, random cases
 * (registers, flags, vector registers, memory, prefixes, addressing
 * forms, page splits, MMIO/RAM mix) run once on the host CPU through
 * realcpu.S and once through the emulator on a fake guest whose data
 * pages are the same host buffer, reached as MMIO or RAM.  Registers,
 * defined flags, vector registers, memory and exceptions must all match.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_guest.h"
#include "harness.h"
#include "realcpu.h"

#define FL_ALL	(X86_FL_ARITH | X86_FL_DF)
#define FL_INIT	0x202ULL		/* IF and the fixed bit */

#define GPA_CODE	0x10000ULL
#define GPA_DATA	0x20000ULL
#define GPA_PT		0x100000ULL
#define PT_SIZE		(16 * 4096)

/* Instruction encoding being built. */
struct enc {
	uint8_t pfx[8];
	int npfx;
	int rexw, force_rex;
	int vex, vex_l, vex_pp, vex_map, vex_w;
	int vex_v;		/* VEX.vvvv as encoded (inverted): 0xf = none */
	uint8_t op[3];
	int nop;
	int modrm, mod, reg, rm;
	int sib, ss, idx, base;
	int dsize;
	int64_t disp;
	int riprel;
	uint64_t rip_target;
	int isize;
	uint64_t imm;
};

struct gen {
	struct rng *rng;
	struct cpu_state st;
	uint8_t mem[REAL_DATA_SIZE + 64];	/* tail: the guard page */
	uint64_t data_va, slot_va;
	uint64_t gs_base;
	uint32_t fixed;		/* GPRs whose values are constrained */
	int ad32;		/* 32-bit addressing */
	int ad16;		/* 16-bit addressing (67 in 32-bit code) */
	int compat;		/* 32/16-bit compatibility mode */
	int code16;		/* 16-bit code segment */
	int nreg;		/* GPRs/XMMs encodable: 16 or 8 */
	/* GS in compat mode: an LDT data segment. */
	uint32_t gs_limit;
	int gs_expdown, gs_ro;
	int gs_used;		/* the LDT entry must be (re)written */
};

struct form;
typedef void (*gen_fn)(struct gen *g, struct enc *e, const struct form *f);

struct form {
	const char *name;
	gen_fn gen;
	uint8_t op[3];
	int nop;
	int arg;
	uint64_t undef;		/* architecturally undefined flags */
	int only64;		/* not in 32-bit code (MOVSXD is ARPL) */
};

static uint64_t smask(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static int enc_emit(struct enc *e, uint64_t slot_va, uint8_t *out)
{
	int n = 0, i, rexb, rexx, rexr, pos_disp = -1;

	for (i = 0; i < e->npfx; i++)
		out[n++] = e->pfx[i];
	rexr = (e->reg >> 3) & 1;
	rexx = e->sib ? (e->idx >> 3) & 1 : 0;
	rexb = e->sib ? (e->base >> 3) & 1 : (e->rm >> 3) & 1;
	if (!e->modrm)
		rexr = rexx = rexb = 0;
	if (e->vex == 2 && (rexx || rexb || e->vex_w || e->vex_map != 1))
		e->vex = 3;
	if (e->vex == 2) {
		out[n++] = 0xc5;
		out[n++] = (!rexr << 7) | (e->vex_v << 3) | (e->vex_l << 2) |
			   e->vex_pp;
	} else if (e->vex == 3) {
		out[n++] = 0xc4;
		out[n++] = (!rexr << 7) | (!rexx << 6) | (!rexb << 5) |
			   e->vex_map;
		out[n++] = (e->vex_w << 7) | (e->vex_v << 3) |
			   (e->vex_l << 2) | e->vex_pp;
	} else if (e->rexw || rexr || rexx || rexb || e->force_rex) {
		out[n++] = 0x40 | (e->rexw << 3) | (rexr << 2) | (rexx << 1) |
			   rexb;
	}
	for (i = 0; i < e->nop; i++)
		out[n++] = e->op[i];
	if (e->modrm) {
		out[n++] = (e->mod << 6) | ((e->reg & 7) << 3) | (e->rm & 7);
		if (e->sib)
			out[n++] = (e->ss << 6) | ((e->idx & 7) << 3) |
				   (e->base & 7);
	}
	if (e->dsize) {
		pos_disp = n;
		for (i = 0; i < e->dsize; i++)
			out[n++] = (uint64_t)e->disp >> (8 * i);
	}
	for (i = 0; i < e->isize; i++)
		out[n++] = e->imm >> (8 * i);
	if (e->riprel) {
		int64_t d = e->rip_target - (slot_va + n);

		for (i = 0; i < 4; i++)
			out[pos_disp + i] = (uint64_t)d >> (8 * i);
	}
	return n;
}

static void add_pfx(struct enc *e, uint8_t p)
{
	e->pfx[e->npfx++] = p;
}

/* Pick a free GPR not in @avoid (and not yet constrained). */
static int pick_reg(struct gen *g, uint32_t avoid)
{
	int r;

	do {
		r = rnd(g->rng, g->nreg);
	} while ((avoid | g->fixed) & (1u << r));
	return r;
}

/* A data offset for an access of @size, often across a page boundary. */
static uint64_t pick_off(struct gen *g, unsigned int size, unsigned int align)
{
	uint64_t off;

	/* Now and then run into the guard page: a #PF, maybe mid-access. */
	if (chance(g->rng, 3))
		return REAL_DATA_SIZE - rnd(g->rng, size);
	if (chance(g->rng, 40)) {
		off = 4096 * (1 + rnd(g->rng, REAL_DATA_PAGES - 1));
		off -= rnd(g->rng, size + 1);
	} else {
		off = rnd(g->rng, REAL_DATA_SIZE - size + 1);
	}
	if (align > 1 && chance(g->rng, 90))
		off &= ~(uint64_t)(align - 1);
	if (off > REAL_DATA_SIZE - size)
		off = (REAL_DATA_SIZE - size) & ~(uint64_t)(align ? align - 1 : 0);
	return off;
}

static void gen_mem_at(struct gen *g, struct enc *e, uint64_t off,
		       uint32_t avoid);

/*
 * GS for 32-bit code: an LDT data segment placed so that offset @ea in it
 * is linear address @la, with a limit, direction and writability that
 * usually allow the access and sometimes do not.
 */
static void compat_gs(struct gen *g, struct enc *e, uint64_t la,
		      unsigned int size, uint64_t ea)
{
	int64_t lim;

	g->gs_base = (uint32_t)(la - ea);
	g->gs_used = 1;
	g->gs_ro = chance(g->rng, 8);
	g->gs_expdown = chance(g->rng, 12);
	if (g->gs_expdown) {
		lim = chance(g->rng, 70) ? (int64_t)ea - 1 - rnd(g->rng, 64) :
		      (int64_t)ea - 2 + rnd(g->rng, size + 3);
	} else {
		lim = chance(g->rng, 70) ? 0xfffff :
		      (int64_t)(ea + size) - 3 + rnd(g->rng, 5);
	}
	if (lim < 0)
		lim = 0;
	if (lim > 0xfffff)
		lim = 0xfffff;
	g->gs_limit = lim;
	add_pfx(e, 0x65);
}

/* ModRM memory operand for 32-bit code: 32- or 16-bit addressing. */
static void gen_mem_compat(struct gen *g, struct enc *e, uint64_t off,
			   uint32_t avoid)
{
	static const int8_t b16[8] = { 3, 3, 5, 5, -1, -1, 5, 3 };
	static const int8_t i16[8] = { 6, 7, 6, 7, 6, 7, -1, -1 };
	uint64_t la = g->data_va + off, ea, iv = 0;
	int64_t disp;
	int tries;

	e->modrm = 1;
	if (!g->ad16) {
		/* 32-bit forms are the 64-bit ones minus RIP and REX. */
		int use_gs = chance(g->rng, 40);

		ea = use_gs ? rnd(g->rng, 0x100000 - 64) : la;
		if (use_gs)
			compat_gs(g, e, la, 16, ea);
		g->data_va -= use_gs ? la - ea : 0;
		gen_mem_at(g, e, off, avoid | 0x80000000u);
		g->data_va += use_gs ? la - ea : 0;
		return;
	}

	/* 16-bit: [bx|bp + si|di + disp], always through GS. */
	ea = rnd(g->rng, 0x10000 - 32);
	compat_gs(g, e, la, 32, ea);
	for (tries = 0; tries < 100; tries++) {
		e->rm = rnd(g->rng, 8);
		e->mod = rnd(g->rng, 3);
		if ((b16[e->rm] >= 0 && ((avoid | g->fixed) &
					 (1u << b16[e->rm]))) ||
		    (i16[e->rm] >= 0 && ((avoid | g->fixed) &
					 (1u << i16[e->rm]))))
			continue;
		break;
	}
	e->dsize = e->mod == 1 ? 1 : e->mod == 2 ? 2 : 0;
	if (e->mod == 0 && e->rm == 6)
		e->dsize = 2;
	disp = e->dsize == 1 ? (int8_t)rnd64(g->rng) :
	       e->dsize == 2 ? (int16_t)rnd64(g->rng) : 0;
	if (e->mod == 0 && e->rm == 6) {
		e->disp = ea;
		return;
	}
	e->disp = disp;
	if (i16[e->rm] >= 0) {
		iv = rnd64(g->rng);
		g->st.gpr[i16[e->rm]] = iv;
		g->fixed |= 1u << i16[e->rm];
	}
	if (b16[e->rm] >= 0) {
		g->st.gpr[b16[e->rm]] = (rnd64(g->rng) & ~0xffffULL) |
					((ea - disp - iv) & 0xffff);
		g->fixed |= 1u << b16[e->rm];
	} else {
		/* [si] or [di] alone: the index register is the base. */
		g->st.gpr[i16[e->rm]] = (iv & ~0xffffULL) |
					((ea - disp) & 0xffff);
	}
}

/*
 * Build a ModRM memory operand that addresses data offset @off, with a
 * random addressing form, and set the base/index registers to match.
 */
static void gen_mem_at(struct gen *g, struct enc *e, uint64_t off,
		       uint32_t avoid)
{
	uint64_t la = g->data_va + off, ea, idxv = 0, basev;
	uint64_t amask = g->ad32 ? 0xffffffffULL : ~0ULL;
	int form = rnd(g->rng, 8), scale;

	if (avoid & 0x80000000u) {
		/* From gen_mem_compat: segment already chosen. */
		ea = la;
		goto forms;
	}
	if (g->compat) {
		gen_mem_compat(g, e, off, avoid);
		return;
	}
	if (chance(g->rng, 20)) {
		g->gs_base = g->data_va - rnd(g->rng, 0x100000);
		add_pfx(e, 0x65);
	} else if (chance(g->rng, 10)) {
		/* ES/CS/SS/DS: ignored in 64-bit mode, but decoded. */
		static const uint8_t segs[4] = { 0x26, 0x2e, 0x36, 0x3e };

		add_pfx(e, segs[rnd(g->rng, 4)]);
	}
	ea = la - (g->gs_base && e->pfx[e->npfx - 1] == 0x65 ? g->gs_base : 0);
forms:
	avoid &= 0xffff;
	e->modrm = 1;
	e->sib = 0;
	e->dsize = 0;
	e->disp = 0;
	switch (form) {
	case 0:		/* RIP-relative; absolute disp32 in 32-bit code */
		e->mod = 0;
		e->rm = 5;
		e->dsize = 4;
		e->riprel = !g->compat;
		e->rip_target = ea;
		e->disp = (int32_t)ea;
		return;
	case 1: case 2: case 3:	/* [base], [base+d8], [base+d32] */
		do {
			e->rm = pick_reg(g, avoid);
		} while ((e->rm & 7) == 4 || (form == 1 && (e->rm & 7) == 5));
		e->mod = form - 1;
		e->dsize = form == 1 ? 0 : form == 2 ? 1 : 4;
		e->disp = form == 2 ? (int8_t)rnd64(g->rng) :
			  form == 3 ? (int32_t)rnd64(g->rng) : 0;
		basev = ea - e->disp;
		if (g->ad32)
			basev = (basev & amask) | (rnd64(g->rng) << 32);
		g->st.gpr[e->rm] = basev;
		g->fixed |= 1u << e->rm;
		return;
	case 7:		/* absolute disp32 through SIB */
		e->mod = 0;
		e->rm = 4;
		e->sib = 1;
		e->base = 5;
		e->idx = 4;
		e->ss = rnd(g->rng, 4);
		e->dsize = 4;
		e->disp = (int32_t)ea;
		if ((uint64_t)e->disp == ea || (g->ad32 && ea < (1ULL << 32)))
			return;
		form = 4;	/* not reachable that way: use SIB */
		break;
	default:
		break;
	}

	/* SIB forms. */
	e->rm = 4;
	e->sib = 1;
	e->ss = rnd(g->rng, 4);
	scale = 1 << e->ss;
	e->mod = rnd(g->rng, 3);
	e->dsize = e->mod == 1 ? 1 : e->mod == 2 ? 4 : 0;
	e->disp = e->mod == 1 ? (int8_t)rnd64(g->rng) :
		  e->mod == 2 ? (int32_t)rnd64(g->rng) : 0;
	if (form == 6) {
		e->idx = 4;	/* no index */
	} else {
		do {
			e->idx = pick_reg(g, avoid);
		} while (e->idx == 4);
		idxv = chance(g->rng, 50) ? rnd64(g->rng) :
		       rnd(g->rng, 64) - 32;
		g->st.gpr[e->idx] = idxv;
		g->fixed |= 1u << e->idx;
	}
	if (form == 5 && e->idx != 4) {
		/* No base: [index*scale + disp32]. */
		e->mod = 0;
		e->base = 5;
		e->dsize = 4;
		e->disp = (int32_t)(ea - idxv * scale);
		if ((((uint64_t)e->disp + idxv * scale) & amask) == (ea & amask))
			return;
		/* Not reachable with a 32-bit displacement: give it a base. */
		e->mod = 2;
	}
	do {
		e->base = pick_reg(g, avoid);
	} while (e->mod == 0 && (e->base & 7) == 5);
	basev = ea - e->disp - idxv * scale;
	if (g->ad32)
		basev = (basev & amask) | (rnd64(g->rng) << 32);
	g->st.gpr[e->base] = basev;
	g->fixed |= 1u << e->base;
}

/* Memory operand of @size somewhere in the data pages; returns offset. */
static uint64_t gen_mem(struct gen *g, struct enc *e, unsigned int size,
			unsigned int align, uint32_t avoid)
{
	uint64_t off = pick_off(g, size, align);

	gen_mem_at(g, e, off, avoid);
	return off;
}

/* Register form for r/m (mod = 3). */
static void gen_rm_reg(struct gen *g, struct enc *e, uint32_t avoid)
{
	e->modrm = 1;
	e->mod = 3;
	e->rm = pick_reg(g, avoid);
}

static uint64_t load_mem(struct gen *g, uint64_t off, unsigned int size)
{
	uint64_t v = 0;

	memcpy(&v, g->mem + off, size);
	return v;
}

/* Common prefixes: operand size by 66/REX.W, address size by 67. */
static void size_prefixes(struct gen *g, struct enc *e, int vsized)
{
	if (chance(g->rng, 25)) {
		add_pfx(e, 0x67);
		if (g->compat)
			g->ad16 = !g->ad16;
		else
			g->ad32 = 1;
	}
	if (vsized) {
		if (chance(g->rng, 30))
			add_pfx(e, 0x66);
		if (chance(g->rng, 45) && !g->compat)
			e->rexw = 1;
	}
	if (chance(g->rng, 20) && !g->compat)
		e->force_rex = 1;
}

static unsigned int op_size(const struct gen *g, const struct enc *e,
			    int vsized)
{
	int i, o16 = g->code16;

	if (!vsized)
		return 1;
	if (e->rexw)
		return 8;
	for (i = 0; i < e->npfx; i++)
		if (e->pfx[i] == 0x66)
			o16 = !g->code16;
	return o16 ? 2 : 4;
}

static void set_op(struct enc *e, const struct form *f, int delta)
{
	int i;

	e->nop = f->nop;
	for (i = 0; i < f->nop; i++)
		e->op[i] = f->op[i];
	e->op[f->nop - 1] += delta;
}

/* f->arg: low bit of the opcode is the size bit. */
static int vsized_op(const struct form *f)
{
	return f->op[f->nop - 1] & 1;
}

static bool host_is_amd(void);

/* --- integer forms --------------------------------------------------- */

/* ALU op r/m,reg (dir 0) or reg,r/m (dir 2); arg: lockable. */
static void gen_modrm_rw(struct gen *g, struct enc *e, const struct form *f)
{
	int vs = vsized_op(f);
	int lock = f->arg && chance(g->rng, 30);

	if (lock)
		add_pfx(e, 0xf0);
	size_prefixes(g, e, vs);
	set_op(e, f, 0);
	e->reg = rnd(g->rng, g->nreg);
	if (!lock && chance(g->rng, 10))
		gen_rm_reg(g, e, 0);
	else
		gen_mem(g, e, op_size(g, e, vs), 1, 0);
}

/* Group with /digit = arg and an immediate of isize (-1: Iz). */
static void gen_grp(struct gen *g, struct enc *e, const struct form *f)
{
	int digit = f->arg & 7, lockable = f->arg & 8;
	int isize = (f->arg >> 4) & 0xf;
	int vs = vsized_op(f) || f->op[0] == 0x83 || f->nop == 2;
	int lock = lockable && chance(g->rng, 30);

	if (lock)
		add_pfx(e, 0xf0);
	size_prefixes(g, e, vs);
	set_op(e, f, 0);
	/* REX.R is ignored */
	e->reg = digit | (g->compat ? 0 : rnd(g->rng, 2) << 3);
	if (!lock && chance(g->rng, 10))
		gen_rm_reg(g, e, 0);
	else
		gen_mem(g, e, op_size(g, e, vs), 1, 0);
	if (isize == 0xf)
		isize = op_size(g, e, vs) == 2 ? 2 : 4;
	e->isize = isize;
	e->imm = rnd64(g->rng);
}

/* MOV moffs: A0-A3, 64-bit or (67) 32-bit absolute address. */
static void gen_moffs(struct gen *g, struct enc *e, const struct form *f)
{
	int vs = vsized_op(f);
	uint64_t off, la;

	size_prefixes(g, e, vs);
	off = pick_off(g, op_size(g, e, vs), 1);
	la = g->data_va + off;
	if (g->compat) {
		uint64_t ea = la;

		if (g->ad16 || chance(g->rng, 40)) {
			ea = rnd(g->rng, g->ad16 ? 0xfff0 : 0xffff0);
			compat_gs(g, e, la, 8, ea);
		}
		set_op(e, f, 0);
		e->isize = g->ad16 ? 2 : 4;
		e->imm = ea;
		return;
	}
	if (chance(g->rng, 20)) {
		g->gs_base = g->data_va - rnd(g->rng, 0x10000);
		add_pfx(e, 0x65);
		la -= g->gs_base;
	}
	set_op(e, f, 0);
	e->isize = g->ad32 ? 4 : 8;
	e->imm = la;
}

/* MOVZX/MOVSX Gv, Eb/Ew; MOVSXD; MOVBE: load into reg from r/m. */
static void gen_load(struct gen *g, struct enc *e, const struct form *f)
{
	unsigned int ssize = f->arg;

	size_prefixes(g, e, 1);
	set_op(e, f, 0);
	e->reg = rnd(g->rng, g->nreg);
	if (f->arg == 0)	/* MOVBE: operand size */
		ssize = op_size(g, e, 1);
	if (f->arg == 5)	/* MOVSXD: dword, but a word on Intel with 66 */
		ssize = op_size(g, e, 1) == 2 && !host_is_amd() ? 2 : 4;
	if (f->arg != 0 && chance(g->rng, 10))
		gen_rm_reg(g, e, 0);
	else
		gen_mem(g, e, ssize, 1, 0);
}

/* MOVBE store, MOVNTI: r/m (memory only) <- reg. */
static void gen_store_mem(struct gen *g, struct enc *e, const struct form *f)
{
	size_prefixes(g, e, f->arg != 1);
	if (f->arg == 1 && chance(g->rng, 50) && !g->compat)
		e->rexw = 1;
	set_op(e, f, 0);
	e->reg = rnd(g->rng, g->nreg);
	/* MOVNTI is 32 or 64-bit, whatever the code size says. */
	gen_mem(g, e, f->arg == 1 ? (e->rexw ? 8 : 4) : op_size(g, e, 1), 1,
		0);
}

/* BT family with a register bit offset: the word may be anywhere near. */
static void gen_bt_reg(struct gen *g, struct enc *e, const struct form *f)
{
	unsigned int size, bits;
	int64_t words, bit, off;
	int lock = f->arg && chance(g->rng, 30);

	if (lock)
		add_pfx(e, 0xf0);
	size_prefixes(g, e, 1);
	set_op(e, f, 0);
	size = op_size(g, e, 1);
	bits = 8 * size;
	e->reg = pick_reg(g, 0);
	if (!lock && chance(g->rng, 10)) {
		gen_rm_reg(g, e, 0);
		return;
	}
	g->fixed |= 1u << e->reg;
	words = (int64_t)rnd(g->rng, 9) - 4;
	bit = rnd(g->rng, bits);
	off = pick_off(g, size, 1);
	if ((int64_t)off - words * size < 0 ||
	    off - words * size > REAL_DATA_SIZE - size)
		words = 0;
	/* Bits beyond the operand size must not matter. */
	g->st.gpr[e->reg] = (rnd64(g->rng) & ~smask(size)) |
			    ((uint64_t)(words * bits + bit) & smask(size));
	gen_mem_at(g, e, off - words * size, 1u << e->reg);
}

/* CMPXCHG: half the time the accumulator matches memory. */
static void gen_cmpxchg(struct gen *g, struct enc *e, const struct form *f)
{
	int vs = vsized_op(f);
	unsigned int size;
	uint64_t off;
	int lock = chance(g->rng, 40);

	if (lock)
		add_pfx(e, 0xf0);
	size_prefixes(g, e, vs);
	set_op(e, f, 0);
	size = op_size(g, e, vs);
	e->reg = rnd(g->rng, g->nreg);
	g->fixed |= 1u << X86_RAX;
	if (!lock && chance(g->rng, 10)) {
		gen_rm_reg(g, e, 1);
		if (chance(g->rng, 50))
			g->st.gpr[X86_RAX] = g->st.gpr[e->rm & 15];
		return;
	}
	off = gen_mem(g, e, size, 1, 1u << X86_RAX);
	if (chance(g->rng, 50))
		g->st.gpr[X86_RAX] = (g->st.gpr[X86_RAX] & ~smask(size)) |
				     load_mem(g, off, size);
}

/*
 * MOVS/STOS/LODS/CMPS/SCAS with optional REP, both directions; for the
 * compares the data often matches for a while, so REPE/REPNE end both
 * ways.
 */
static void gen_string(struct gen *g, struct enc *e, const struct form *f)
{
	int vs = vsized_op(f), rep = chance(g->rng, 60);
	unsigned int size, cnt = 1, span;
	uint64_t si, di, amask;
	int df = chance(g->rng, 40);
	uint8_t op = f->op[0];
	int gs = 0;

	if (rep)
		add_pfx(e, chance(g->rng, 85) ? 0xf3 : 0xf2);
	if ((op & 0xfe) != 0xaa && chance(g->rng, 20)) {
		g->gs_base = g->data_va - rnd(g->rng, 0x10000);
		add_pfx(e, 0x65);
		gs = 1;
		g->gs_used = 1;
	}
	size_prefixes(g, e, vs);
	if (g->ad16) {
		/* ES is flat: 16-bit DI cannot reach the data.  Flip 67. */
		int k;

		for (k = 0; k < e->npfx && e->pfx[k] != 0x67; k++)
			;
		if (k < e->npfx) {
			memmove(e->pfx + k, e->pfx + k + 1, e->npfx - k - 1);
			e->npfx--;
		} else {
			add_pfx(e, 0x67);
		}
		g->ad16 = 0;
	}
	set_op(e, f, 0);
	size = op_size(g, e, vs);
	if (rep)
		cnt = rnd(g->rng, 10);
	span = (cnt ? cnt : 1) * size;
	amask = g->ad32 ? 0xffffffffULL : ~0ULL;

	si = rnd(g->rng, REAL_DATA_SIZE - span + 1);
	di = rnd(g->rng, REAL_DATA_SIZE - span + 1);
	/* Upwards into the guard page: iterations before it complete. */
	if (!df && chance(g->rng, 6))
		si = REAL_DATA_SIZE - rnd(g->rng, span + 1);
	if (!df && chance(g->rng, 6))
		di = REAL_DATA_SIZE - rnd(g->rng, span + 1);
	if ((op & 0xfe) == 0xa6 && chance(g->rng, 60))
		memmove(g->mem + di, g->mem + si, span);
	if ((op & 0xfe) == 0xae && chance(g->rng, 60))
		for (unsigned int k = 0; k < span; k++)
			g->mem[di + k] = g->st.gpr[X86_RAX] >> (8 * (k % size));
	if ((op & 0xf6) == 0xa6 && chance(g->rng, 50))
		g->mem[di + rnd(g->rng, span)] ^= 1 << rnd(g->rng, 8);
	if (df) {
		si += span - size;
		di += span - size;
	}
	si += g->data_va;
	di += g->data_va;
	if (gs)
		si -= g->gs_base;
	g->st.rflags = (g->st.rflags & ~X86_FL_DF) | (df ? X86_FL_DF : 0);
	g->st.gpr[X86_RSI] = (si & amask) |
			     (g->ad32 ? rnd64(g->rng) << 32 : 0);
	g->st.gpr[X86_RDI] = (di & amask) |
			     (g->ad32 ? rnd64(g->rng) << 32 : 0);
	g->st.gpr[X86_RCX] = cnt | (g->ad32 ? rnd64(g->rng) << 32 : 0);
	g->fixed |= (1u << X86_RSI) | (1u << X86_RDI) | (1u << X86_RCX);
}

/* --- vector forms ---------------------------------------------------- */

/*
 * f->arg: bits 0-7 width (0 = vector), bit 8 aligned, bit 9 memory only,
 * bit 10 VEX, bit 11 legacy-only GPR form, bits 12-13 pp, bits 14-15 map.
 */
#define VA_ALIGN	0x100
#define VA_MEMONLY	0x200
#define VA_VEX		0x400
#define VA_GPR		0x800
#define VA_PP(a)	(((a) >> 12) & 3)
#define VA_MAP(a)	(((a) >> 14) & 3)
#define VA_L0		0x10000

static void gen_vec(struct gen *g, struct enc *e, const struct form *f)
{
	static const uint8_t pp_byte[4] = { 0, 0x66, 0xf3, 0xf2 };
	int a = f->arg, vex = a & VA_VEX, width = a & 0xff;
	unsigned int size, align;

	if (chance(g->rng, 15)) {
		add_pfx(e, 0x67);
		if (g->compat)
			g->ad16 = !g->ad16;
		else
			g->ad32 = 1;
	}
	if (vex) {
		e->vex = (VA_MAP(a) == 1 && chance(g->rng, 60)) ? 2 : 3;
		e->vex_pp = VA_PP(a);
		e->vex_map = VA_MAP(a);
		/* Now and then a VEX.vvvv other than 1111: #UD. */
		e->vex_v = chance(g->rng, 4) ? rnd(g->rng, 15) : 0xf;
		/* In 32-bit code C5 with that bit clear would be LDS. */
		if (g->compat)
			e->vex_v |= 8;
		e->vex_l = (a & VA_L0) || width ? 0 : rnd(g->rng, 2);
		e->vex_w = (a & VA_GPR) ? rnd(g->rng, 2) : rnd(g->rng, 2);
		if ((a & VA_GPR) && e->vex_w)
			e->vex = 3;
		if ((a & VA_GPR) && e->vex == 2)
			e->vex_w = 0;
		e->nop = 1;
		e->op[0] = f->op[f->nop - 1];
	} else {
		if (VA_PP(a))
			add_pfx(e, pp_byte[VA_PP(a)]);
		if ((a & VA_GPR) && !g->compat)
			e->rexw = rnd(g->rng, 2);
		if (chance(g->rng, 20) && !g->compat)
			e->force_rex = 1;
		set_op(e, f, 0);
	}
	e->reg = rnd(g->rng, g->nreg);
	size = width ? width : (e->vex_l ? 32 : 16);
	if (a & VA_GPR)
		size = (vex ? e->vex_w : e->rexw) && !g->compat ? 8 : 4;
	align = (a & VA_ALIGN) ? size : 1;
	if (!(a & VA_MEMONLY) && chance(g->rng, 12)) {
		gen_rm_reg(g, e, 0);
		return;
	}
	gen_mem(g, e, size, align, 0);
}

/* --- the table ------------------------------------------------------- */

#define ALU(n, o, lk, und) \
	{ n " Eb,Gb", gen_modrm_rw, { (o) }, 1, lk, und }, \
	{ n " Ev,Gv", gen_modrm_rw, { (o) + 1 }, 1, lk, und }, \
	{ n " Gb,Eb", gen_modrm_rw, { (o) + 2 }, 1, 0, und }, \
	{ n " Gv,Ev", gen_modrm_rw, { (o) + 3 }, 1, 0, und }
#define GRP1(n, d, lk, und) \
	{ n " Eb,Ib", gen_grp, { 0x80 }, 1, (d) | (lk) | 0x10, und }, \
	{ n " Ev,Iz", gen_grp, { 0x81 }, 1, (d) | (lk) | 0xf0, und }, \
	{ n " Ev,Ib", gen_grp, { 0x83 }, 1, (d) | (lk) | 0x10, und }
#define V(n, m, pp, o, w, fl) \
	{ n, gen_vec, { 0x0f, (m) == 2 ? 0x38 : (o), (o) }, (m) == 2 ? 3 : 2, \
	  (w) | ((pp) << 12) | ((m) << 14) | (fl), 0 }

#define AF	X86_FL_AF
#define BTU	(X86_FL_OF | X86_FL_SF | X86_FL_AF | X86_FL_PF)

static const struct form forms[] = {
	ALU("add", 0x00, 1, 0), ALU("or", 0x08, 1, AF),
	ALU("adc", 0x10, 1, 0), ALU("sbb", 0x18, 1, 0),
	ALU("and", 0x20, 1, AF), ALU("sub", 0x28, 1, 0),
	ALU("xor", 0x30, 1, AF), ALU("cmp", 0x38, 0, 0),
	GRP1("add", 0, 8, 0), GRP1("or", 1, 8, AF), GRP1("adc", 2, 8, 0),
	GRP1("sbb", 3, 8, 0), GRP1("and", 4, 8, AF), GRP1("sub", 5, 8, 0),
	GRP1("xor", 6, 8, AF), GRP1("cmp", 7, 0, 0),
	{ "test Eb,Gb", gen_modrm_rw, { 0x84 }, 1, 0, AF },
	{ "test Ev,Gv", gen_modrm_rw, { 0x85 }, 1, 0, AF },
	{ "test Eb,Ib", gen_grp, { 0xf6 }, 1, 0 | 0x10, AF },
	{ "test Ev,Iz", gen_grp, { 0xf7 }, 1, 0 | 0xf0, AF },
	{ "not Eb", gen_grp, { 0xf6 }, 1, 2 | 8, 0 },
	{ "not Ev", gen_grp, { 0xf7 }, 1, 2 | 8, 0 },
	{ "neg Eb", gen_grp, { 0xf6 }, 1, 3 | 8, 0 },
	{ "neg Ev", gen_grp, { 0xf7 }, 1, 3 | 8, 0 },
	{ "inc Eb", gen_grp, { 0xfe }, 1, 0 | 8, 0 },
	{ "dec Eb", gen_grp, { 0xfe }, 1, 1 | 8, 0 },
	{ "inc Ev", gen_grp, { 0xff }, 1, 0 | 8, 0 },
	{ "dec Ev", gen_grp, { 0xff }, 1, 1 | 8, 0 },
	{ "xchg Eb,Gb", gen_modrm_rw, { 0x86 }, 1, 1, 0 },
	{ "xchg Ev,Gv", gen_modrm_rw, { 0x87 }, 1, 1, 0 },
	{ "mov Eb,Gb", gen_modrm_rw, { 0x88 }, 1, 0, 0 },
	{ "mov Ev,Gv", gen_modrm_rw, { 0x89 }, 1, 0, 0 },
	{ "mov Gb,Eb", gen_modrm_rw, { 0x8a }, 1, 0, 0 },
	{ "mov Gv,Ev", gen_modrm_rw, { 0x8b }, 1, 0, 0 },
	{ "mov Eb,Ib", gen_grp, { 0xc6 }, 1, 0 | 0x10, 0 },
	{ "mov Ev,Iz", gen_grp, { 0xc7 }, 1, 0 | 0xf0, 0 },
	{ "mov AL,moffs", gen_moffs, { 0xa0 }, 1, 0, 0 },
	{ "mov rAX,moffs", gen_moffs, { 0xa1 }, 1, 0, 0 },
	{ "mov moffs,AL", gen_moffs, { 0xa2 }, 1, 0, 0 },
	{ "mov moffs,rAX", gen_moffs, { 0xa3 }, 1, 0, 0 },
	{ "movzx Gv,Eb", gen_load, { 0x0f, 0xb6 }, 2, 1, 0 },
	{ "movzx Gv,Ew", gen_load, { 0x0f, 0xb7 }, 2, 2, 0 },
	{ "movsx Gv,Eb", gen_load, { 0x0f, 0xbe }, 2, 1, 0 },
	{ "movsx Gv,Ew", gen_load, { 0x0f, 0xbf }, 2, 2, 0 },
	{ "movsxd Gv,Ed", gen_load, { 0x63 }, 1, 5, 0, 1 },
	{ "movbe Gv,Mv", gen_load, { 0x0f, 0x38, 0xf0 }, 3, 0, 0 },
	{ "movbe Mv,Gv", gen_store_mem, { 0x0f, 0x38, 0xf1 }, 3, 0, 0 },
	{ "movnti My,Gy", gen_store_mem, { 0x0f, 0xc3 }, 2, 1, 0 },
	{ "bt Ev,Gv", gen_bt_reg, { 0x0f, 0xa3 }, 2, 0, BTU },
	{ "bts Ev,Gv", gen_bt_reg, { 0x0f, 0xab }, 2, 1, BTU },
	{ "btr Ev,Gv", gen_bt_reg, { 0x0f, 0xb3 }, 2, 1, BTU },
	{ "btc Ev,Gv", gen_bt_reg, { 0x0f, 0xbb }, 2, 1, BTU },
	{ "bt Ev,Ib", gen_grp, { 0x0f, 0xba }, 2, 4 | 0x10, BTU },
	{ "bts Ev,Ib", gen_grp, { 0x0f, 0xba }, 2, 5 | 8 | 0x10, BTU },
	{ "btr Ev,Ib", gen_grp, { 0x0f, 0xba }, 2, 6 | 8 | 0x10, BTU },
	{ "btc Ev,Ib", gen_grp, { 0x0f, 0xba }, 2, 7 | 8 | 0x10, BTU },
	{ "cmpxchg Eb,Gb", gen_cmpxchg, { 0x0f, 0xb0 }, 2, 0, 0 },
	{ "cmpxchg Ev,Gv", gen_cmpxchg, { 0x0f, 0xb1 }, 2, 0, 0 },
	{ "xadd Eb,Gb", gen_modrm_rw, { 0x0f, 0xc0 }, 2, 1, 0 },
	{ "xadd Ev,Gv", gen_modrm_rw, { 0x0f, 0xc1 }, 2, 1, 0 },
	{ "movsb", gen_string, { 0xa4 }, 1, 0, 0 },
	{ "movsv", gen_string, { 0xa5 }, 1, 0, 0 },
	{ "stosb", gen_string, { 0xaa }, 1, 0, 0 },
	{ "stosv", gen_string, { 0xab }, 1, 0, 0 },
	{ "lodsb", gen_string, { 0xac }, 1, 0, 0 },
	{ "lodsv", gen_string, { 0xad }, 1, 0, 0 },
	{ "cmpsb", gen_string, { 0xa6 }, 1, 0, 0 },
	{ "cmpsv", gen_string, { 0xa7 }, 1, 0, 0 },
	{ "scasb", gen_string, { 0xae }, 1, 0, 0 },
	{ "scasv", gen_string, { 0xaf }, 1, 0, 0 },

	V("movups load", 1, 0, 0x10, 0, 0),
	V("movupd load", 1, 1, 0x10, 0, 0),
	V("movups store", 1, 0, 0x11, 0, 0),
	V("movupd store", 1, 1, 0x11, 0, 0),
	V("movss load", 1, 2, 0x10, 4, 0),
	V("movsd load", 1, 3, 0x10, 8, 0),
	V("movss store", 1, 2, 0x11, 4, 0),
	V("movsd store", 1, 3, 0x11, 8, 0),
	V("movaps load", 1, 0, 0x28, 0, VA_ALIGN),
	V("movapd load", 1, 1, 0x28, 0, VA_ALIGN),
	V("movaps store", 1, 0, 0x29, 0, VA_ALIGN),
	V("movapd store", 1, 1, 0x29, 0, VA_ALIGN),
	V("movntps", 1, 0, 0x2b, 0, VA_ALIGN | VA_MEMONLY),
	V("movd/q xmm,Ey", 1, 1, 0x6e, 0, VA_GPR),
	V("movd/q Ey,xmm", 1, 1, 0x7e, 0, VA_GPR),
	V("movdqa load", 1, 1, 0x6f, 0, VA_ALIGN),
	V("movdqu load", 1, 2, 0x6f, 0, 0),
	V("movdqa store", 1, 1, 0x7f, 0, VA_ALIGN),
	V("movdqu store", 1, 2, 0x7f, 0, 0),
	V("movq xmm,Wq", 1, 2, 0x7e, 8, 0),
	V("movq Wq,xmm", 1, 1, 0xd6, 8, 0),
	V("movntdq", 1, 1, 0xe7, 0, VA_ALIGN | VA_MEMONLY),
	V("movntdqa", 2, 1, 0x2a, 0, VA_ALIGN | VA_MEMONLY),

	V("vmovups load", 1, 0, 0x10, 0, VA_VEX),
	V("vmovups store", 1, 0, 0x11, 0, VA_VEX),
	V("vmovss load", 1, 2, 0x10, 4, VA_VEX | VA_MEMONLY),
	V("vmovsd store", 1, 3, 0x11, 8, VA_VEX | VA_MEMONLY),
	V("vmovaps load", 1, 0, 0x28, 0, VA_VEX | VA_ALIGN),
	V("vmovapd store", 1, 1, 0x29, 0, VA_VEX | VA_ALIGN),
	V("vmovd/q xmm,Ey", 1, 1, 0x6e, 0, VA_VEX | VA_GPR | VA_L0),
	V("vmovd/q Ey,xmm", 1, 1, 0x7e, 0, VA_VEX | VA_GPR | VA_L0),
	V("vmovdqa load", 1, 1, 0x6f, 0, VA_VEX | VA_ALIGN),
	V("vmovdqu load", 1, 2, 0x6f, 0, VA_VEX),
	V("vmovdqa store", 1, 1, 0x7f, 0, VA_VEX | VA_ALIGN),
	V("vmovdqu store", 1, 2, 0x7f, 0, VA_VEX),
	V("vmovq xmm,Wq", 1, 2, 0x7e, 8, VA_VEX | VA_L0),
	V("vmovq Wq,xmm", 1, 1, 0xd6, 8, VA_VEX | VA_L0),
	V("vmovntdq", 1, 1, 0xe7, 0, VA_VEX | VA_ALIGN | VA_MEMONLY),
	V("vmovntdqa", 2, 1, 0x2a, 0, VA_VEX | VA_ALIGN | VA_MEMONLY),
};

/* --- running and comparing ------------------------------------------- */

static struct fake_guest fg, fg32, fg16;
static uint8_t pt_pool32[PT_SIZE] __attribute__((aligned(4096)));
static uint8_t pt_pool16[PT_SIZE] __attribute__((aligned(4096)));
static bool have32;
static unsigned int real_faults;
static uint8_t pt_pool[PT_SIZE] __attribute__((aligned(4096)));
static uint8_t real_after[REAL_DATA_SIZE];

/* Regions: [0] page tables, [1] code, [2..] data pages. */
static void setup_guest(struct fake_guest *f, uint8_t *pt, uint8_t *code)
{
	uint8_t *data = real_data();
	uintptr_t page = (uintptr_t)code & ~4095UL;
	int i;

	fg_init(f);
	f->strict = true;
	fg_setup_long64(f, GPA_PT, pt, PT_SIZE);
	fg_add_region(f, GPA_CODE, (void *)page, 4096, false);
	fg_map4k(f, page, GPA_CODE, 7);
	for (i = 0; i < REAL_DATA_PAGES; i++) {
		fg_add_region(f, GPA_DATA + 4096 * i, data + 4096 * i, 4096,
			      true);
		fg_map4k(f, (uintptr_t)data + 4096 * i, GPA_DATA + 4096 * i,
			 7);
	}
	/* The guard page: not present, like PROT_NONE. */
	fg_map4k(f, (uintptr_t)data + REAL_DATA_SIZE, 0, 0);
}

static void dump_case(const struct form *f, const uint8_t *code, int len,
		      const struct gen *g)
{
	int i;

	fprintf(stderr, "  form %s, bytes:", f->name);
	for (i = 0; i < len; i++)
		fprintf(stderr, " %02x", code[i]);
	fprintf(stderr, "\n  in: rflags %#llx gs_base %#llx\n",
		(unsigned long long)g->st.rflags,
		(unsigned long long)g->gs_base);
	for (i = 0; i < 16; i++)
		fprintf(stderr, "    r%-2d %016llx%s", i,
			(unsigned long long)g->st.gpr[i],
			i % 2 ? "\n" : "");
}

static void cpuid(unsigned int leaf, unsigned int *r)
{
	__asm__("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
		: "a"(leaf), "c"(0));
}

/* The trampolines need AVX; a few forms need more. */
static bool host_has(const char *what)
{
	unsigned int l1[4], l7[4];

	cpuid(1, l1);
	cpuid(7, l7);
	if (!strcmp(what, "avx"))
		return (l1[2] & (1u << 27)) && (l1[2] & (1u << 28));
	if (!strcmp(what, "movbe"))
		return l1[2] & (1u << 22);
	if (!strcmp(what, "movntdqa"))
		return l1[2] & (1u << 19);
	if (!strcmp(what, "vmovntdqa"))
		return l7[1] & (1u << 5);
	return true;
}

static bool form_supported(const struct form *f)
{
	if (!strncmp(f->name, "movbe", 5))
		return host_has("movbe");
	if (!strcmp(f->name, "movntdqa") || !strcmp(f->name, "vmovntdqa"))
		return host_has(f->name);
	return true;
}

static bool host_is_amd(void)
{
	unsigned int a = 0, b, c, d;

	__asm__("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
	return b == 0x68747541;		/* "Auth" */
}

/* Run one generated case; returns 0 if emulator and CPU agree. */
static int run_case(const struct form *f, struct gen *g, unsigned int *exits)
{
	static struct x86_emul em;
	struct x86_emul_cpu cpu = { .maxphyaddr = 46, .gbpages = true,
				    .amd = host_is_amd() };
	struct fake_guest *vm = g->code16 ? &fg16 : g->compat ? &fg32 : &fg;
	uint8_t *slot = g->compat ? real32_slot(g->code16) : real_slot();
	struct x86_seg_desc *gs = &vm->seg[X86_SEG_GS];
	uint64_t rmask = g->compat ? 0xffffffffULL : ~0ULL;
	struct cpu_state out;
	struct real_fault rf = { 0 };
	uint8_t code[16], *data = real_data();
	struct enc e;
	int len, faulted, r, i, bad = 0;
	uint64_t mask = FL_ALL & ~f->undef;

	memset(&e, 0, sizeof(e));
	f->gen(g, &e, f);
	/* A stray LOCK: #UD unless this is a lockable RMW on memory. */
	if (chance(g->rng, 3) && e.npfx < 8) {
		memmove(e.pfx + 1, e.pfx, e.npfx++);
		e.pfx[0] = 0xf0;
	}
	len = enc_emit(&e, g->slot_va, code);

	/* Real CPU. */
	memcpy(data, g->mem, REAL_DATA_SIZE);
	if (g->compat) {
		/* modify_ldt() IPIs every CPU: only when GS is used. */
		if (g->gs_used && real32_set_gs(g->gs_base, g->gs_limit,
						g->gs_expdown, g->gs_ro))
			abort();
		faulted = real32_run(code, len, &g->st, &out, &rf,
				     g->code16);
	} else {
		faulted = real_run(code, len, &g->st, &out, g->gs_base, &rf);
	}
	memcpy(real_after, data, REAL_DATA_SIZE);

	/* Emulator, with data pages randomly MMIO or RAM. */
	memcpy(data, g->mem, REAL_DATA_SIZE);
	memset(slot, 0x90, 16);
	memcpy(slot, code, len);
	for (i = 0; i < REAL_DATA_PAGES; i++)
		vm->region[2 + i].mmio = chance(g->rng, 70);
	memcpy(vm->gpr, g->st.gpr, sizeof(vm->gpr));
	vm->rflags = g->st.rflags;
	vm->rip = g->slot_va;
	memcpy(vm->vec, g->st.ymm, sizeof(vm->vec));
	gs->base = g->gs_base;
	if (g->compat) {
		gs->limit = g->gs_limit;
		gs->type = (g->gs_ro ? 1 : 3) | (g->gs_expdown ? 4 : 0);
	}
	vm->cmpxchg_fail = chance(g->rng, 5);
	x86_emul_init(&em, &fg_ops, vm, &cpu);
	vm->mmio_exits = 0;
	r = fg_run(vm, &em);
	*exits += vm->mmio_exits;

	if (faulted) {
		real_faults++;
		if (r != X86EMUL_EXCEPTION || em.exc.vector != rf.trapno) {
			fprintf(stderr, "FAIL %s: CPU trap %d (sig %d), "
				"emulator status %d vector %d (%s)\n",
				f->name, rf.trapno, rf.signo, r,
				em.exc.vector, em.why ? em.why : "");
			bad = 1;
			goto out;
		}
		if (em.exc.error_code != rf.err ||
		    (rf.trapno == X86_VEC_PF && em.exc.cr2 != rf.addr)) {
			fprintf(stderr, "FAIL %s: vector %d error code cpu %#lx "
				"emu %#x, cr2 cpu %#lx emu %#llx\n", f->name,
				rf.trapno, rf.err, em.exc.error_code, rf.addr,
				(unsigned long long)em.exc.cr2);
			bad = 1;
		}
		/* Compare the state at the fault: REP progress, no writes. */
		memcpy(out.gpr, rf.gpr, sizeof(out.gpr));
		out.rflags = rf.rflags;
		memcpy(out.ymm, g->st.ymm, sizeof(out.ymm));
		if (vm->rip != g->slot_va) {
			fprintf(stderr, "FAIL %s: rip moved on a fault\n",
				f->name);
			bad = 1;
		}
		goto state;
	}
	if (r != X86EMUL_OK) {
		fprintf(stderr, "FAIL %s: emulator status %d vector %d ec %#x "
			"(%s)\n", f->name, r, em.exc.vector,
			em.exc.error_code, em.why ? em.why : "");
		bad = 1;
		goto out;
	}
	if (vm->rip != g->slot_va + len) {
		fprintf(stderr, "FAIL %s: rip %#llx, want %#llx\n", f->name,
			(unsigned long long)vm->rip,
			(unsigned long long)(g->slot_va + len));
		bad = 1;
	}
state:
	/* 32-bit code leaves r8-r15 alone and only owns the low halves. */
	if (g->compat)
		memcpy(&out.gpr[8], &g->st.gpr[8], 8 * sizeof(out.gpr[0]));
	for (i = 0; i < 16; i++) {
		uint64_t m = i < 8 ? rmask : ~0ULL;

		if ((vm->gpr[i] ^ out.gpr[i]) & m) {
			fprintf(stderr, "FAIL %s: r%d cpu %#llx emu %#llx\n",
				f->name, i, (unsigned long long)out.gpr[i],
				(unsigned long long)vm->gpr[i]);
			bad = 1;
		}
	}
	if ((vm->rflags ^ out.rflags) & mask) {
		fprintf(stderr, "FAIL %s: rflags cpu %#llx emu %#llx "
			"(compared %#llx)\n", f->name,
			(unsigned long long)out.rflags,
			(unsigned long long)vm->rflags,
			(unsigned long long)mask);
		bad = 1;
	}
	if (memcmp(vm->vec, out.ymm, sizeof(vm->vec))) {
		for (i = 0; i < 16; i++)
			if (memcmp(vm->vec[i], out.ymm[i], 32)) {
				fprintf(stderr, "FAIL %s: ymm%d differs\n",
					f->name, i);
				hexdump(stderr, "  cpu", out.ymm[i], 32);
				hexdump(stderr, "  emu", vm->vec[i], 32);
			}
		bad = 1;
	}
	if (memcmp(data, real_after, REAL_DATA_SIZE)) {
		for (i = 0; i < REAL_DATA_SIZE; i++)
			if (data[i] != real_after[i])
				break;
		fprintf(stderr, "FAIL %s: memory differs at +%#x: cpu %02x "
			"emu %02x\n", f->name, i, real_after[i], data[i]);
		bad = 1;
	}
out:
	if (bad)
		dump_case(f, code, len, g);
	return bad;
}

/* mode: 0 64-bit, 1 32-bit compatibility, 2 16-bit compatibility. */
static void init_gen(struct gen *g, struct rng *rng, int mode)
{
	int i;

	memset(g, 0, sizeof(*g));
	g->rng = rng;
	g->compat = mode > 0;
	g->code16 = mode == 2;
	g->nreg = mode ? 8 : 16;
	g->ad32 = mode > 0;
	g->ad16 = mode == 2;
	g->gs_limit = 0xfffff;
	g->data_va = (uintptr_t)real_data();
	if (mode == 2)
		g->slot_va = (uintptr_t)real32_slot(1) - real16_cs_base();
	else
		g->slot_va = (uintptr_t)(mode ? real32_slot(0) : real_slot());
	for (i = 0; i < 16; i++)
		g->st.gpr[i] = chance(rng, 20) ? rnd(rng, 512) : rnd64(rng);
	g->st.rflags = FL_INIT | (rnd64(rng) & X86_FL_ARITH) |
		       (chance(rng, 15) ? X86_FL_AC : 0);
	for (i = 0; i < REAL_DATA_SIZE; i += 8) {
		uint64_t v = rnd64(rng);

		memcpy(g->mem + i, &v, 8);
	}
	for (i = 0; i < 16 * 32; i += 8) {
		uint64_t v = rnd64(rng);

		memcpy(&g->st.ymm[0][0] + i, &v, 8);
	}
}

void test_cmp(uint64_t seed, unsigned int cases)
{
	static struct gen g;
	struct rng rng = { seed };
	unsigned int i, n, fails, total = 0, exits = 0, nforms = 0;
	int mode;
	char name[96];

	if (!host_has("avx")) {
		printf("cmp: host has no AVX, real-CPU comparison skipped\n");
		return;
	}
	if (real_init()) {
		fprintf(stderr, "real CPU trampoline unavailable\n");
		t_result("cmp: setup", 0);
		return;
	}
	setup_guest(&fg, pt_pool, real_slot());
	have32 = !real32_init();
	if (have32) {
		setup_guest(&fg32, pt_pool32, real32_slot(0));
		fg32.seg[X86_SEG_CS].l = 0;
		fg32.seg[X86_SEG_CS].db = 1;
		setup_guest(&fg16, pt_pool16, real32_slot(1));
		fg16.seg[X86_SEG_CS].l = 0;
		fg16.seg[X86_SEG_CS].db = 0;
		fg16.seg[X86_SEG_CS].base = real16_cs_base();
		fg16.seg[X86_SEG_CS].limit = 0xfff;
	} else {
		printf("cmp: no 32-bit user code here, 64-bit mode only\n");
	}
	for (mode = 0; mode <= 2 * have32; mode++) {
		for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
			if (mode && forms[i].only64)
				continue;
			if (!form_supported(&forms[i])) {
				printf("cmp: %s: not on this CPU, skipped\n",
				       forms[i].name);
				continue;
			}
			fails = 0;
			/* 32/16-bit code: half as many, same paths mostly. */
			for (n = 0; n < (mode ? cases / 2 : cases); n++) {
				init_gen(&g, &rng, mode);
				if (run_case(&forms[i], &g, &exits) &&
				    ++fails >= 3)
					break;
			}
			total += n;
			nforms++;
			snprintf(name, sizeof(name), "cmp%s %s (%u cases)",
				 mode == 2 ? "16" : mode ? "32" : "64",
				 forms[i].name, n);
			t_result(name, !fails);
		}
	}
	printf("cmp: %u real-CPU cases over %u forms (64-bit%s), "
	       "%u MMIO exits, %u faulting cases\n", total, nforms,
	       have32 ? ", 32-bit and 16-bit" : "", exits, real_faults);
}
