// SPDX-License-Identifier: GPL-2.0
/*
 * Integer instructions: MOV family, ALU with exact flags, TEST, NOT/NEG,
 * INC/DEC, XCHG, BT*, CMPXCHG, XADD, MOVBE, MOVNTI and MOVS/STOS/LODS.
 * Anything not listed here is EMUL_NOT_MINE, never a guess.
 */
#include "emul_priv.h"

enum alu_op { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR,
	      ALU_CMP };

/* An r/m or register operand and, once read, its value. */
struct opnd {
	bool mem;
	u8 reg;
	u8 size;
	u8 seg;
	u64 ea;
	u64 val;
};

static void rm_opnd(struct x86_emul *e, struct opnd *o, unsigned int size)
{
	const struct x86_insn *insn = &e->insn;

	memset(o, 0, sizeof(*o));
	o->size = size;
	if (insn->has_mem) {
		o->mem = true;
		o->ea = emul_ea(e);
		o->seg = insn->mem_seg;
	} else {
		o->reg = insn->rm;
	}
}

static void reg_opnd(struct opnd *o, unsigned int reg, unsigned int size)
{
	memset(o, 0, sizeof(*o));
	o->reg = reg;
	o->size = size;
}

static int opnd_read(struct x86_emul *e, struct opnd *o, unsigned int flags)
{
	o->val = 0;
	if (!o->mem) {
		o->val = emul_reg(e, o->reg, o->size);
		return X86EMUL_OK;
	}
	return emul_read(e, o->seg, o->ea, &o->val, o->size, flags);
}

/* Write back; a LOCKed memory operand is compared against what was read. */
static int opnd_write(struct x86_emul *e, const struct opnd *o, u64 val)
{
	if (!o->mem) {
		emul_set_reg(e, o->reg, o->size, val);
		return X86EMUL_OK;
	}
	if (e->insn.lock)
		return emul_write_locked(e, o->seg, o->ea, o->val, val,
					 o->size);
	return emul_write(e, o->seg, o->ea, &val, o->size, 0);
}

static u64 parity_flag(u64 res)
{
	u8 b = res;

	b ^= b >> 4;
	b ^= b >> 2;
	b ^= b >> 1;
	return (b & 1) ? 0 : X86_FL_PF;
}

static u64 szp_flags(u64 res, unsigned int size)
{
	u64 fl = parity_flag(res);

	res &= size_mask(size);
	if (!res)
		fl |= X86_FL_ZF;
	if (res >> (8 * size - 1))
		fl |= X86_FL_SF;
	return fl;
}

/*
 * The eight classic ALU operations with the flags the CPU produces.  AF is
 * architecturally undefined for the logical ones; it is cleared, as
 * current CPUs do.
 */
static u64 alu(struct x86_emul *e, unsigned int op, unsigned int size,
	       u64 a, u64 b)
{
	u64 m = size_mask(size), sign = 1ULL << (8 * size - 1);
	u64 c = 0, res, fl = 0;

	a &= m;
	b &= m;
	switch (op) {
	case ALU_ADC:
		c = !!(e->rflags & X86_FL_CF);
		fallthrough;
	case ALU_ADD:
		res = (a + b + c) & m;
		if (res < a || (c && res == a))
			fl |= X86_FL_CF;
		if ((a ^ res) & (b ^ res) & sign)
			fl |= X86_FL_OF;
		fl |= (a ^ b ^ res) & X86_FL_AF;
		break;
	case ALU_SBB:
		c = !!(e->rflags & X86_FL_CF);
		fallthrough;
	case ALU_SUB:
	case ALU_CMP:
		res = (a - b - c) & m;
		if (a < b || (c && a == b))
			fl |= X86_FL_CF;
		if ((a ^ b) & (a ^ res) & sign)
			fl |= X86_FL_OF;
		fl |= (a ^ b ^ res) & X86_FL_AF;
		break;
	case ALU_OR:
		res = a | b;
		break;
	case ALU_AND:
		res = a & b;
		break;
	default:
		res = a ^ b;
		break;
	}
	emul_set_flags(e, X86_FL_ARITH, fl | szp_flags(res, size));
	return res;
}

static bool lock_ok(const struct x86_emul *e, const struct opnd *dst)
{
	return !e->insn.lock || dst->mem;
}

/* dst = dst OP src, with write-back unless CMP. */
static int alu_rmw(struct x86_emul *e, unsigned int op, struct opnd *dst,
		   u64 src)
{
	unsigned int flags = op == ALU_CMP ? 0 : EMUL_M_RMW;
	u64 res;
	int r;

	if (!lock_ok(e, dst) || (e->insn.lock && op == ALU_CMP))
		return emul_ud(e);
	r = opnd_read(e, dst, flags);
	if (r)
		return r;
	res = alu(e, op, dst->size, dst->val, src);
	if (op != ALU_CMP) {
		r = opnd_write(e, dst, res);
		if (r)
			return r;
	}
	emul_done(e);
	return X86EMUL_OK;
}

/* 00-3D: ALU Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / rAX,Iz. */
static int exec_alu(struct x86_emul *e)
{
	const struct x86_insn *insn = &e->insn;
	unsigned int op = insn->opcode >> 3, form = insn->opcode & 7;
	unsigned int size = (form & 1) ? insn->op_size : 1;
	struct opnd dst, src;
	int r;

	switch (form) {
	case 0:
	case 1:
		rm_opnd(e, &dst, size);
		return alu_rmw(e, op, &dst, emul_reg(e, insn->reg, size));
	case 2:
	case 3:
		if (insn->lock)
			return emul_ud(e);
		rm_opnd(e, &src, size);
		r = opnd_read(e, &src, 0);
		if (r)
			return r;
		reg_opnd(&dst, insn->reg, size);
		return alu_rmw(e, op, &dst, src.val);
	default:
		reg_opnd(&dst, X86_RAX, size);
		return alu_rmw(e, op, &dst, x86_sext(insn->imm,
						     insn->imm_size));
	}
}

/* 80/81/82/83: ALU Eb,Ib / Ev,Iz / Eb,Ib / Ev,Ib (sign-extended). */
static int exec_grp1(struct x86_emul *e)
{
	const struct x86_insn *insn = &e->insn;
	unsigned int size = insn->opcode & 1 ? insn->op_size : 1;
	struct opnd dst;

	rm_opnd(e, &dst, size);
	return alu_rmw(e, insn->reg & 7, &dst,
		       x86_sext(insn->imm, insn->imm_size));
}

static int exec_test(struct x86_emul *e, struct opnd *o, u64 src)
{
	int r;

	if (e->insn.lock)
		return emul_ud(e);
	r = opnd_read(e, o, 0);
	if (r)
		return r;
	alu(e, ALU_AND, o->size, o->val, src);
	emul_done(e);
	return X86EMUL_OK;
}

static int exec_mov_store(struct x86_emul *e, struct opnd *dst, u64 val)
{
	int r;

	if (e->insn.lock)
		return emul_ud(e);
	if (dst->mem)
		r = emul_write(e, dst->seg, dst->ea, &val, dst->size, 0);
	else
		r = opnd_write(e, dst, val);
	if (r)
		return r;
	emul_done(e);
	return X86EMUL_OK;
}

/* Load @src, extend it as asked and store it in register @reg. */
static int exec_load(struct x86_emul *e, struct opnd *src, unsigned int reg,
		     unsigned int dsize, bool sext)
{
	u64 v;
	int r;

	if (e->insn.lock)
		return emul_ud(e);
	r = opnd_read(e, src, 0);
	if (r)
		return r;
	v = sext ? (u64)x86_sext(src->val, src->size) : src->val;
	emul_set_reg(e, reg, dsize, v);
	emul_done(e);
	return X86EMUL_OK;
}

/* NOT, NEG (F6/F7 /2 /3), INC, DEC (FE/FF /0 /1). */
static int exec_unary(struct x86_emul *e, unsigned int size, unsigned int op)
{
	u64 res, cf = e->rflags & X86_FL_CF;
	struct opnd o;
	int r;

	rm_opnd(e, &o, size);
	if (!lock_ok(e, &o))
		return emul_ud(e);
	r = opnd_read(e, &o, EMUL_M_RMW);
	if (r)
		return r;
	switch (op) {
	case 0:		/* INC: CF is kept */
		res = alu(e, ALU_ADD, size, o.val, 1);
		emul_set_flags(e, X86_FL_CF, cf);
		break;
	case 1:		/* DEC */
		res = alu(e, ALU_SUB, size, o.val, 1);
		emul_set_flags(e, X86_FL_CF, cf);
		break;
	case 2:		/* NOT: no flags */
		res = ~o.val;
		break;
	default:	/* NEG: 0 - x, CF set unless x was 0 */
		res = alu(e, ALU_SUB, size, 0, o.val);
		break;
	}
	r = opnd_write(e, &o, res);
	if (r)
		return r;
	emul_done(e);
	return X86EMUL_OK;
}

/* F6/F7: TEST imm, NOT, NEG; the rest (MUL/DIV, /1 alias) is not ours. */
static int exec_grp3(struct x86_emul *e)
{
	const struct x86_insn *insn = &e->insn;
	unsigned int size = insn->opcode & 1 ? insn->op_size : 1;
	struct opnd o;

	switch (insn->reg & 7) {
	case 0:
		rm_opnd(e, &o, size);
		return exec_test(e, &o, x86_sext(insn->imm, insn->imm_size));
	case 2:
		return exec_unary(e, size, 2);
	case 3:
		return exec_unary(e, size, 3);
	default:
		return EMUL_NOT_MINE;
	}
}

/* XCHG: with memory it is locked whether or not LOCK is written. */
static int exec_xchg(struct x86_emul *e)
{
	const struct x86_insn *insn = &e->insn;
	unsigned int size = insn->opcode & 1 ? insn->op_size : 1;
	struct opnd o;
	u64 reg;
	int r;

	rm_opnd(e, &o, size);
	if (!lock_ok(e, &o))
		return emul_ud(e);
	r = opnd_read(e, &o, EMUL_M_RMW);
	if (r)
		return r;
	reg = emul_reg(e, insn->reg, size);
	if (o.mem)
		r = emul_write_locked(e, o.seg, o.ea, o.val, reg, size);
	else
		r = opnd_write(e, &o, reg);
	if (r)
		return r;
	emul_set_reg(e, insn->reg, size, o.val);
	emul_done(e);
	return X86EMUL_OK;
}

/*
 * BT/BTS/BTR/BTC.  A register bit offset into memory is signed and may
 * select any operand-sized word around the effective address.
 */
static int exec_bt(struct x86_emul *e, unsigned int op, bool imm)
{
	const struct x86_insn *insn = &e->insn;
	unsigned int size = insn->op_size, bits = 8 * size;
	struct opnd o;
	u64 bit, res;
	s64 off;
	int r;

	rm_opnd(e, &o, size);
	if (!lock_ok(e, &o) || (insn->lock && op == 0))
		return emul_ud(e);
	if (imm) {
		bit = insn->imm & (bits - 1);
	} else {
		off = x86_sext(emul_reg(e, insn->reg, size), size);
		bit = (u64)off & (bits - 1);
		if (o.mem) {
			/* floor(off / bits) words, with wrap in address size */
			s64 words = off >> (size == 2 ? 4 : size == 4 ? 5 : 6);

			o.ea = (o.ea + (u64)words * size) &
			       size_mask(insn->ad_size);
		}
	}
	r = opnd_read(e, &o, op ? EMUL_M_RMW : 0);
	if (r)
		return r;
	emul_set_flags(e, X86_FL_CF, (o.val >> bit) & 1);
	if (op) {
		if (op == 1)
			res = o.val | (1ULL << bit);
		else if (op == 2)
			res = o.val & ~(1ULL << bit);
		else
			res = o.val ^ (1ULL << bit);
		r = opnd_write(e, &o, res);
		if (r)
			return r;
	}
	emul_done(e);
	return X86EMUL_OK;
}

/*
 * CMPXCHG: a miss only loads the accumulator; the CPU also writes the old
 * value back to memory, which is skipped so a device sees no extra write.
 */
static int exec_cmpxchg(struct x86_emul *e)
{
	const struct x86_insn *insn = &e->insn;
	unsigned int size = insn->opcode & 1 ? insn->op_size : 1;
	struct opnd o;
	u64 acc;
	int r;

	rm_opnd(e, &o, size);
	if (!lock_ok(e, &o))
		return emul_ud(e);
	r = opnd_read(e, &o, EMUL_M_RMW);
	if (r)
		return r;
	acc = emul_reg(e, X86_RAX, size);
	alu(e, ALU_CMP, size, acc, o.val);
	if (acc == o.val) {
		r = opnd_write(e, &o, emul_reg(e, insn->reg, size));
		if (r)
			return r;
	} else {
		/*
		 * A register destination is left alone, upper half included
		 * (checked against AMD hardware).
		 */
		emul_set_reg(e, X86_RAX, size, o.val);
	}
	emul_done(e);
	return X86EMUL_OK;
}

static int exec_xadd(struct x86_emul *e)
{
	const struct x86_insn *insn = &e->insn;
	unsigned int size = insn->opcode & 1 ? insn->op_size : 1;
	struct opnd o;
	u64 src, res;
	int r;

	rm_opnd(e, &o, size);
	if (!lock_ok(e, &o))
		return emul_ud(e);
	r = opnd_read(e, &o, EMUL_M_RMW);
	if (r)
		return r;
	src = emul_reg(e, insn->reg, size);
	res = alu(e, ALU_ADD, size, o.val, src);
	if (o.mem) {
		r = opnd_write(e, &o, res);
		if (r)
			return r;
		emul_set_reg(e, insn->reg, size, o.val);
	} else {
		/* SRC := DEST first, so XADD r, r ends with the sum. */
		emul_set_reg(e, insn->reg, size, o.val);
		emul_set_reg(e, o.reg, size, res);
	}
	emul_done(e);
	return X86EMUL_OK;
}

static u64 bswap(u64 v, unsigned int size)
{
	u64 r = 0;
	unsigned int i;

	for (i = 0; i < size; i++)
		r |= ((v >> (8 * i)) & 0xff) << (8 * (size - 1 - i));
	return r;
}

/* MOVBE: memory operand only; F2 is CRC32 and not ours. */
static int exec_movbe(struct x86_emul *e)
{
	const struct x86_insn *insn = &e->insn;
	unsigned int size = insn->op_size;
	struct opnd o;
	int r;

	if (insn->rep)
		return EMUL_NOT_MINE;
	if (!insn->has_mem || insn->lock)
		return emul_ud(e);
	rm_opnd(e, &o, size);
	if (insn->opcode == 0xf1)
		return exec_mov_store(e, &o,
				      bswap(emul_reg(e, insn->reg, size), size));
	r = opnd_read(e, &o, 0);
	if (r)
		return r;
	emul_set_reg(e, insn->reg, size, bswap(o.val, size));
	emul_done(e);
	return X86EMUL_OK;
}

/* Step an rSI/rDI/rCX-style register within the address size. */
static void set_addr_reg(struct x86_emul *e, unsigned int reg, u64 val)
{
	emul_set_reg(e, reg, e->insn.ad_size, val);
}

/*
 * MOVS, STOS, LODS, CMPS, SCAS.  With REP, one iteration per call: the
 * registers are committed after each, RIP only moves once rCX reaches
 * zero or, for CMPS/SCAS, once ZF ends a REPE/REPNE.
 */
static int exec_string(struct x86_emul *e)
{
	const struct x86_insn *insn = &e->insn;
	unsigned int size = insn->opcode & 1 ? insn->op_size : 1;
	u64 amask = size_mask(insn->ad_size);
	u8 seg = insn->seg != X86_SEG_NONE ? insn->seg : X86_SEG_DS;
	u64 delta = (e->rflags & X86_FL_DF) ? -(u64)size : size;
	u64 cnt = 0, si, di, v = 0, w = 0;
	bool cmp = false;
	int r;

	if (insn->lock)
		return emul_ud(e);
	if (insn->rep) {
		cnt = emul_gpr(e, X86_RCX) & amask;
		if (!cnt) {
			emul_done(e);
			return X86EMUL_OK;
		}
	}
	si = emul_gpr(e, X86_RSI) & amask;
	di = emul_gpr(e, X86_RDI) & amask;

	switch (insn->opcode) {
	case 0xa4:
	case 0xa5:
		r = emul_read(e, seg, si, &v, size, 0);
		if (!r)
			r = emul_write(e, X86_SEG_ES, di, &v, size, 0);
		if (r)
			return r;
		set_addr_reg(e, X86_RSI, si + delta);
		set_addr_reg(e, X86_RDI, di + delta);
		break;
	case 0xaa:
	case 0xab:
		v = emul_reg(e, X86_RAX, size);
		r = emul_write(e, X86_SEG_ES, di, &v, size, 0);
		if (r)
			return r;
		set_addr_reg(e, X86_RDI, di + delta);
		break;
	case 0xa6:
	case 0xa7:	/* CMPS: [rSI] - [rDI] */
		/* The CPU (AMD, measured) touches ES:rDI first. */
		r = emul_read(e, X86_SEG_ES, di, &w, size, 0);
		if (!r)
			r = emul_read(e, seg, si, &v, size, 0);
		if (r)
			return r;
		alu(e, ALU_CMP, size, v, w);
		set_addr_reg(e, X86_RSI, si + delta);
		set_addr_reg(e, X86_RDI, di + delta);
		cmp = true;
		break;
	case 0xae:
	case 0xaf:	/* SCAS: rAX - [rDI] */
		r = emul_read(e, X86_SEG_ES, di, &w, size, 0);
		if (r)
			return r;
		alu(e, ALU_CMP, size, emul_reg(e, X86_RAX, size), w);
		set_addr_reg(e, X86_RDI, di + delta);
		cmp = true;
		break;
	default:
		r = emul_read(e, seg, si, &v, size, 0);
		if (r)
			return r;
		emul_set_reg(e, X86_RAX, size, v);
		set_addr_reg(e, X86_RSI, si + delta);
		break;
	}

	if (insn->rep) {
		bool zf = e->rflags & X86_FL_ZF;

		set_addr_reg(e, X86_RCX, cnt - 1);
		/* REPE stops on a difference, REPNE on a match. */
		if (cnt - 1 && !(cmp && zf != (insn->rep == 0xf3))) {
			e->rep_pending = true;
			return X86EMUL_OK;
		}
	}
	emul_done(e);
	return X86EMUL_OK;
}

static int exec_one_byte(struct x86_emul *e)
{
	const struct x86_insn *insn = &e->insn;
	u8 op = insn->opcode;
	unsigned int size = op & 1 ? insn->op_size : 1;
	struct opnd o;

	if (op < 0x40 && (op & 7) < 6)
		return exec_alu(e);

	switch (op) {
	case 0x63:	/* MOVSXD Gv, Ed (MOVSXD r32/r16 just moves) */
		if (!emul_long64(e))
			return EMUL_NOT_MINE;
		/* With 66, AMD still reads a dword; Intel reads a word. */
		rm_opnd(e, &o, insn->op_size == 2 && !e->cpu.amd ? 2 : 4);
		return exec_load(e, &o, insn->reg, insn->op_size, true);
	case 0x80: case 0x81: case 0x82: case 0x83:
		return exec_grp1(e);
	case 0x84: case 0x85:
		rm_opnd(e, &o, size);
		return exec_test(e, &o, emul_reg(e, insn->reg, size));
	case 0x86: case 0x87:
		return exec_xchg(e);
	case 0x88: case 0x89:
		rm_opnd(e, &o, size);
		return exec_mov_store(e, &o, emul_reg(e, insn->reg, size));
	case 0x8a: case 0x8b:
		rm_opnd(e, &o, size);
		return exec_load(e, &o, insn->reg, size, false);
	case 0xa0: case 0xa1:
		rm_opnd(e, &o, size);
		return exec_load(e, &o, X86_RAX, size, false);
	case 0xa2: case 0xa3:
		rm_opnd(e, &o, size);
		return exec_mov_store(e, &o, emul_reg(e, X86_RAX, size));
	case 0xa4: case 0xa5: case 0xa6: case 0xa7:
	case 0xaa: case 0xab: case 0xac: case 0xad: case 0xae: case 0xaf:
		return exec_string(e);
	case 0xa8: case 0xa9:
		reg_opnd(&o, X86_RAX, size);
		return exec_test(e, &o, x86_sext(insn->imm, insn->imm_size));
	case 0xc6: case 0xc7:	/* /1../7 are XABORT/XBEGIN and holes */
		if (insn->reg & 7)
			return EMUL_NOT_MINE;
		rm_opnd(e, &o, size);
		return exec_mov_store(e, &o, x86_sext(insn->imm,
						      insn->imm_size));
	case 0xf6: case 0xf7:
		return exec_grp3(e);
	case 0xfe: case 0xff:
		if ((insn->reg & 7) > 1)
			return EMUL_NOT_MINE;
		return exec_unary(e, size, insn->reg & 1);
	default:
		return EMUL_NOT_MINE;
	}
}

static int exec_two_byte(struct x86_emul *e)
{
	const struct x86_insn *insn = &e->insn;
	u8 op = insn->opcode;
	struct opnd o;

	switch (op) {
	case 0xa3:
		return exec_bt(e, 0, false);
	case 0xab:
		return exec_bt(e, 1, false);
	case 0xb3:
		return exec_bt(e, 2, false);
	case 0xbb:
		return exec_bt(e, 3, false);
	case 0xba:
		if ((insn->reg & 7) < 4)
			return EMUL_NOT_MINE;
		return exec_bt(e, (insn->reg & 7) - 4, true);
	case 0xb0: case 0xb1:
		return exec_cmpxchg(e);
	case 0xc0: case 0xc1:
		return exec_xadd(e);
	case 0xb6: case 0xb7: case 0xbe: case 0xbf:
		if (insn->rep)
			return EMUL_NOT_MINE;
		rm_opnd(e, &o, op & 1 ? 2 : 1);
		return exec_load(e, &o, insn->reg, insn->op_size, op & 8);
	case 0xc3:	/* MOVNTI My, Gy */
		if (insn->simd_pfx)
			return EMUL_NOT_MINE;
		if (!insn->has_mem)
			return emul_ud(e);
		rm_opnd(e, &o, insn->op_size == 8 ? 8 : 4);
		return exec_mov_store(e, &o, emul_reg(e, insn->reg, o.size));
	default:
		return EMUL_NOT_MINE;
	}
}

int emul_exec_int(struct x86_emul *e)
{
	const struct x86_insn *insn = &e->insn;

	if (insn->vex)
		return EMUL_NOT_MINE;
	switch (insn->map) {
	case X86_MAP_1B:
		return exec_one_byte(e);
	case X86_MAP_0F:
		return exec_two_byte(e);
	case X86_MAP_0F38:
		if ((insn->opcode & 0xfe) == 0xf0)
			return exec_movbe(e);
		return EMUL_NOT_MINE;
	default:
		return EMUL_NOT_MINE;
	}
}
