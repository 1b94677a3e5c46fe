// SPDX-License-Identifier: GPL-2.0
/*
 * x86 instruction decoder.  See decode.h.  Only the shape of instructions
 * lives here; the tables say, per opcode, whether a ModRM byte and which
 * immediate follow, and what is invalid in 64-bit mode.
 */
#include "decode.h"

/* Per-opcode attributes. */
#define M	0x0001		/* ModRM follows */
#define IB	0x0002		/* imm8 */
#define IW	0x0004		/* imm16 */
#define IZ	0x0006		/* imm16/32 by operand size */
#define IV	0x0008		/* imm16/32/64 by operand size (MOV r, imm) */
#define MO	0x000a		/* moffs: address-size immediate */
#define AP	0x000c		/* far pointer: 16:16 or 16:32 */
#define IWB	0x000e		/* imm16 then imm8 (ENTER) */
#define IMM_MASK 0x000e
#define I64	0x0010		/* invalid in 64-bit mode */
#define D64	0x0020		/* defaults to 64-bit operands in 64-bit mode */
#define F64	0x0040		/* always 64-bit operands in 64-bit mode */
#define G3	0x0080		/* group 3: immediate only for /0 and /1 */
#define UD	0x0100		/* undefined opcode */
#define CR	0x0200		/* ModRM always a register form (MOV CR/DR) */

static const u16 one_byte[256] = {
	/* 00 */ M, M, M, M, IB, IZ, I64, I64,
	/* 08 */ M, M, M, M, IB, IZ, I64, 0,
	/* 10 */ M, M, M, M, IB, IZ, I64, I64,
	/* 18 */ M, M, M, M, IB, IZ, I64, I64,
	/* 20 */ M, M, M, M, IB, IZ, 0, I64,
	/* 28 */ M, M, M, M, IB, IZ, 0, I64,
	/* 30 */ M, M, M, M, IB, IZ, 0, I64,
	/* 38 */ M, M, M, M, IB, IZ, 0, I64,
	/* 40 */ 0, 0, 0, 0, 0, 0, 0, 0,
	/* 48 */ 0, 0, 0, 0, 0, 0, 0, 0,
	/* 50 */ D64, D64, D64, D64, D64, D64, D64, D64,
	/* 58 */ D64, D64, D64, D64, D64, D64, D64, D64,
	/* 60 */ I64, I64, M | I64, M, 0, 0, 0, 0,
	/* 68 */ IZ | D64, M | IZ, IB | D64, M | IB, 0, 0, 0, 0,
	/* 70 */ IB | F64, IB | F64, IB | F64, IB | F64,
	/* 74 */ IB | F64, IB | F64, IB | F64, IB | F64,
	/* 78 */ IB | F64, IB | F64, IB | F64, IB | F64,
	/* 7c */ IB | F64, IB | F64, IB | F64, IB | F64,
	/* 80 */ M | IB, M | IZ, M | IB | I64, M | IB, M, M, M, M,
	/* 88 */ M, M, M, M, M, M, M, M | D64,
	/* 90 */ 0, 0, 0, 0, 0, 0, 0, 0,
	/* 98 */ 0, 0, AP | I64, 0, D64, D64, 0, 0,
	/* a0 */ MO, MO, MO, MO, 0, 0, 0, 0,
	/* a8 */ IB, IZ, 0, 0, 0, 0, 0, 0,
	/* b0 */ IB, IB, IB, IB, IB, IB, IB, IB,
	/* b8 */ IV, IV, IV, IV, IV, IV, IV, IV,
	/* c0 */ M | IB, M | IB, IW | F64, F64, M, M, M | IB, M | IZ,
	/* c8 */ IWB, D64, IW, 0, 0, IB, I64, 0,
	/* d0 */ M, M, M, M, IB | I64, IB | I64, I64, 0,
	/* d8 */ M, M, M, M, M, M, M, M,
	/* e0 */ IB | F64, IB | F64, IB | F64, IB | F64, IB, IB, IB, IB,
	/* e8 */ IZ | F64, IZ | F64, AP | I64, IB | F64, 0, 0, 0, 0,
	/* f0 */ 0, 0, 0, 0, 0, 0, M | G3, M | G3,
	/* f8 */ 0, 0, 0, 0, 0, 0, M, M,
};

static const u16 two_byte[256] = {
	/* 00 */ M, M, M, M, UD, 0, 0, 0,
	/* 08 */ 0, 0, UD, 0, UD, M, 0, M | IB,
	/* 10 */ M, M, M, M, M, M, M, M,
	/* 18 */ M, M, M, M, M, M, M, M,
	/* 20 */ M | CR, M | CR, M | CR, M | CR, UD, UD, UD, UD,
	/* 28 */ M, M, M, M, M, M, M, M,
	/* 30 */ 0, 0, 0, 0, 0, 0, UD, 0,
	/* 38 */ 0, UD, 0, UD, UD, UD, UD, UD,
	/* 40 */ M, M, M, M, M, M, M, M,
	/* 48 */ M, M, M, M, M, M, M, M,
	/* 50 */ M, M, M, M, M, M, M, M,
	/* 58 */ M, M, M, M, M, M, M, M,
	/* 60 */ M, M, M, M, M, M, M, M,
	/* 68 */ M, M, M, M, M, M, M, M,
	/* 70 */ M | IB, M | IB, M | IB, M | IB, M, M, M, 0,
	/* 78 */ M, M, UD, UD, M, M, M, M,
	/* 80 */ IZ | F64, IZ | F64, IZ | F64, IZ | F64,
	/* 84 */ IZ | F64, IZ | F64, IZ | F64, IZ | F64,
	/* 88 */ IZ | F64, IZ | F64, IZ | F64, IZ | F64,
	/* 8c */ IZ | F64, IZ | F64, IZ | F64, IZ | F64,
	/* 90 */ M, M, M, M, M, M, M, M,
	/* 98 */ M, M, M, M, M, M, M, M,
	/* a0 */ D64, D64, 0, M, M | IB, M, UD, UD,
	/* a8 */ D64, D64, 0, M, M | IB, M, M, M,
	/* b0 */ M, M, M, M, M, M, M, M,
	/* b8 */ M, M, M | IB, M, M, M, M, M,
	/* c0 */ M, M, M | IB, M, M | IB, M | IB, M | IB, M,
	/* c8 */ 0, 0, 0, 0, 0, 0, 0, 0,
	/* d0 */ M, M, M, M, M, M, M, M,
	/* d8 */ M, M, M, M, M, M, M, M,
	/* e0 */ M, M, M, M, M, M, M, M,
	/* e8 */ M, M, M, M, M, M, M, M,
	/* f0 */ M, M, M, M, M, M, M, M,
	/* f8 */ M, M, M, M, M, M, M, M,
};

enum x86_exec_mode x86_exec_mode(const struct x86_cpu_mode *m)
{
	if (!m->pe)
		return X86_EXEC_REAL;
	if (m->lma) {
		if (m->cs_l)
			return X86_EXEC_LONG64;
		return m->cs_d ? X86_EXEC_COMPAT32 : X86_EXEC_COMPAT16;
	}
	if (m->vm86)
		return X86_EXEC_VM86;
	return m->cs_d ? X86_EXEC_PROT32 : X86_EXEC_PROT16;
}

/* Default operand and address size for the mode (not 64-bit mode). */
static unsigned int default_size(enum x86_exec_mode mode)
{
	switch (mode) {
	case X86_EXEC_PROT32:
	case X86_EXEC_COMPAT32:
		return 4;
	default:
		return 2;
	}
}

struct cursor {
	const u8 *buf;
	unsigned int avail;
	unsigned int pos;
};

/*
 * Make sure @n more bytes can be consumed: beyond 15 bytes is #GP, beyond
 * what the caller could fetch means it must report the fetch fault.
 */
static int need(const struct cursor *c, unsigned int n)
{
	if (c->pos + n > X86_MAX_INSN_LEN)
		return X86_DEC_GP;
	if (c->pos + n > c->avail)
		return X86_DEC_SHORT;
	return X86_DEC_OK;
}

static u64 take(struct cursor *c, unsigned int n)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v |= (u64)c->buf[c->pos + i] << (8 * i);
	c->pos += n;
	return v;
}

static void set_rex(struct x86_insn *insn, u8 rex)
{
	insn->rex = rex;
	insn->rex_w = !!(rex & 8);
	insn->rex_r = !!(rex & 4);
	insn->rex_x = !!(rex & 2);
	insn->rex_b = !!(rex & 1);
}

static const u8 simd_pfx_of_pp[4] = { 0, 0x66, 0xf3, 0xf2 };

/*
 * VEX (C4/C5) or EVEX (62).  Legacy 66/F2/F3/LOCK or REX before any of
 * them is #UD.  Returns the opcode map, or a negative decode status.
 */
static int decode_vex(struct x86_insn *insn, struct cursor *c, u8 first,
		      bool long64)
{
	unsigned int plen = first == 0xc5 ? 2 : first == 0xc4 ? 3 : 4;
	u8 p0, p1, p2;
	int map, err;

	err = need(c, plen - 1);
	if (err)
		return -err;
	if (insn->rex || insn->rep || insn->opsize_pfx || insn->lock)
		return -X86_DEC_UD;

	insn->vex = plen;
	p0 = take(c, 1);
	if (first == 0xc5) {
		insn->rex_r = !(p0 & 0x80) && long64;
		insn->vex_vvvv = (~p0 >> 3) & 0xf;
		insn->vex_l = (p0 >> 2) & 1;
		insn->simd_pfx = simd_pfx_of_pp[p0 & 3];
		return X86_MAP_0F;
	}

	p1 = take(c, 1);
	if (long64) {
		insn->rex_r = !(p0 & 0x80);
		insn->rex_x = !(p0 & 0x40);
		insn->rex_b = !(p0 & 0x20);
		insn->rex_w = !!(p1 & 0x80);
	}
	insn->vex_vvvv = (~p1 >> 3) & 0xf;
	insn->simd_pfx = simd_pfx_of_pp[p1 & 3];

	if (first == 0xc4) {
		insn->vex_l = (p1 >> 2) & 1;
		map = p0 & 0x1f;
	} else {
		/* EVEX: P0 = R X B R' 0 m m m, P1 = W vvvv 1 pp, P2 = z L'L ... */
		p2 = take(c, 1);
		if (!(p1 & 4))
			return -X86_DEC_UD;
		insn->vex_l = (p2 >> 5) & 3;
		map = p0 & 7;
	}
	if (map < X86_MAP_0F || map > X86_MAP_0F3A)
		return -X86_DEC_UD;
	return map;
}

/* Register-or-memory operand, 16-bit addressing forms. */
static void decode_modrm16(struct x86_insn *insn)
{
	static const s8 base16[8] = {
		X86_RBX, X86_RBX, X86_RBP, X86_RBP,
		X86_REG_NONE, X86_REG_NONE, X86_RBP, X86_RBX,
	};
	static const s8 index16[8] = {
		X86_RSI, X86_RDI, X86_RSI, X86_RDI,
		X86_RSI, X86_RDI, X86_REG_NONE, X86_REG_NONE,
	};
	u8 rm = insn->modrm & 7;

	insn->base = base16[rm];
	insn->index = index16[rm];
	if (insn->mod == 0 && rm == 6) {
		insn->base = X86_REG_NONE;
		insn->disp_size = 2;
	} else if (insn->mod == 1) {
		insn->disp_size = 1;
	} else if (insn->mod == 2) {
		insn->disp_size = 2;
	}
	if (insn->base == X86_RBP)
		insn->mem_seg = X86_SEG_SS;
}

/* Register-or-memory operand, 32/64-bit addressing forms. */
static int decode_modrm32(struct x86_insn *insn, struct cursor *c,
			  bool long64)
{
	u8 rm = insn->modrm & 7;
	u8 base, index;
	int err;

	if (rm == 4) {
		err = need(c, 1);
		if (err)
			return err;
		insn->sib = take(c, 1);
		insn->has_sib = 1;
		base = insn->sib & 7;
		index = ((insn->sib >> 3) & 7) | (insn->rex_x << 3);
		insn->scale = 1 << (insn->sib >> 6);
		/* SIB index 100 without REX.X means no index. */
		insn->index = index == 4 ? X86_REG_NONE : index;
		if (base == 5 && insn->mod == 0) {
			insn->base = X86_REG_NONE;
			insn->disp_size = 4;
		} else {
			insn->base = base | (insn->rex_b << 3);
		}
	} else if (rm == 5 && insn->mod == 0) {
		insn->base = long64 ? X86_REG_RIP : X86_REG_NONE;
		insn->disp_size = 4;
	} else {
		insn->base = rm | (insn->rex_b << 3);
	}
	if (insn->mod == 1)
		insn->disp_size = 1;
	else if (insn->mod == 2)
		insn->disp_size = 4;
	/* Only rSP and rBP (not r12/r13) make a stack reference. */
	if (insn->base == X86_RSP || insn->base == X86_RBP)
		insn->mem_seg = X86_SEG_SS;
	return X86_DEC_OK;
}

static int decode_modrm(struct x86_insn *insn, struct cursor *c, u16 attr,
			bool long64)
{
	int err;

	err = need(c, 1);
	if (err)
		return err;
	insn->modrm = take(c, 1);
	insn->has_modrm = 1;
	insn->mod = insn->modrm >> 6;
	insn->reg = ((insn->modrm >> 3) & 7) | (insn->rex_r << 3);
	insn->rm = (insn->modrm & 7) | (insn->rex_b << 3);

	/* MOV to/from CR/DR ignore mod: always a register. */
	if (insn->mod == 3 || (attr & CR))
		return X86_DEC_OK;

	insn->has_mem = 1;
	insn->scale = 1;
	insn->index = X86_REG_NONE;
	insn->mem_seg = X86_SEG_DS;
	if (insn->ad_size == 2) {
		decode_modrm16(insn);
	} else {
		err = decode_modrm32(insn, c, long64);
		if (err)
			return err;
	}

	if (insn->disp_size) {
		err = need(c, insn->disp_size);
		if (err)
			return err;
		insn->disp = x86_sext(take(c, insn->disp_size),
				      insn->disp_size);
	}
	return X86_DEC_OK;
}

static unsigned int imm_bytes(const struct x86_insn *insn, u16 attr,
			      unsigned int *imm2)
{
	unsigned int z = insn->op_size == 2 ? 2 : 4;

	*imm2 = 0;
	if ((attr & G3) && (insn->reg & 7) < 2)
		return insn->opcode == 0xf6 ? 1 : z;
	switch (attr & IMM_MASK) {
	case IB:
		return 1;
	case IW:
		return 2;
	case IZ:
		return z;
	case IV:
		return insn->op_size;
	case MO:
		return insn->ad_size;
	case AP:
		return z + 2;
	case IWB:
		*imm2 = 1;
		return 2;
	default:
		return 0;
	}
}

/* Attributes of opcodes in the 0F38/0F3A maps and of VEX/EVEX maps. */
static u16 map_attr(const struct x86_insn *insn)
{
	switch (insn->map) {
	case X86_MAP_1B:
		return one_byte[insn->opcode];
	case X86_MAP_0F:
		if (insn->vex) {
			u8 op = insn->opcode;

			/* VZEROUPPER/VZEROALL: no ModRM. */
			if (op == 0x77)
				return 0;
			if ((op >= 0x70 && op <= 0x73) ||
			    (op >= 0xc4 && op <= 0xc6) || op == 0xc2)
				return M | IB;
			return M;
		}
		return two_byte[insn->opcode];
	case X86_MAP_0F38:
		return M;
	default:
		return M | IB;
	}
}

static void set_sizes(struct x86_insn *insn, u16 attr, bool long64)
{
	unsigned int def = default_size(insn->mode);

	if (long64) {
		insn->ad_size = insn->adsize_pfx ? 4 : 8;
		if (insn->rex_w || (attr & F64))
			insn->op_size = 8;
		else if (insn->opsize_pfx)
			insn->op_size = 2;
		else
			insn->op_size = (attr & D64) ? 8 : 4;
		return;
	}
	insn->ad_size = insn->adsize_pfx ? 6 - def : def;
	insn->op_size = insn->opsize_pfx ? 6 - def : def;
}

int x86_decode(struct x86_insn *insn, enum x86_exec_mode mode,
	       const u8 *buf, unsigned int avail)
{
	bool long64 = mode == X86_EXEC_LONG64;
	struct cursor c = { .buf = buf, .avail = avail, .pos = 0 };
	unsigned int n, n2;
	u16 attr;
	u8 b;
	int err;

	memset(insn, 0, sizeof(*insn));
	if (avail > X86_MAX_INSN_LEN)
		c.avail = avail = X86_MAX_INSN_LEN;
	memcpy(insn->bytes, buf, avail);
	insn->mode = mode;
	insn->seg = X86_SEG_NONE;
	insn->base = X86_REG_NONE;
	insn->index = X86_REG_NONE;

	for (;;) {
		err = need(&c, 1);
		if (err)
			return err;
		b = buf[c.pos];
		switch (b) {
		case 0x26: case 0x2e: case 0x36: case 0x3e:
			insn->seg = (b >> 3) & 3;
			break;
		case 0x64: case 0x65:
			insn->seg = b - 0x64 + X86_SEG_FS;
			break;
		case 0x66:
			insn->opsize_pfx = 1;
			break;
		case 0x67:
			insn->adsize_pfx = 1;
			break;
		case 0xf0:
			insn->lock = 1;
			break;
		case 0xf2: case 0xf3:
			insn->rep = b;
			break;
		default:
			if (long64 && (b & 0xf0) == 0x40) {
				c.pos++;
				set_rex(insn, b);
				continue;
			}
			goto opcode;
		}
		/* A legacy prefix after REX cancels the REX. */
		set_rex(insn, 0);
		c.pos++;
	}

opcode:
	insn->simd_pfx = insn->rep ? insn->rep : insn->opsize_pfx ? 0x66 : 0;
	b = take(&c, 1);
	insn->map = X86_MAP_1B;
	if (b == 0x0f) {
		err = need(&c, 1);
		if (err)
			return err;
		b = take(&c, 1);
		insn->map = X86_MAP_0F;
		if (b == 0x38 || b == 0x3a) {
			err = need(&c, 1);
			if (err)
				return err;
			insn->map = b == 0x38 ? X86_MAP_0F38 : X86_MAP_0F3A;
			b = take(&c, 1);
		}
	} else if (b == 0xc4 || b == 0xc5 || b == 0x62) {
		/*
		 * Outside 64-bit mode these are LES/LDS/BOUND unless the next
		 * byte looks like a register ModRM, which those cannot take.
		 * Real and VM86 mode do not know VEX at all.
		 */
		bool vex = long64;

		if (!vex && x86_mode_is_prot(mode)) {
			err = need(&c, 1);
			if (err)
				return err;
			vex = buf[c.pos] >= 0xc0;
		}
		if (vex) {
			err = decode_vex(insn, &c, b, long64);
			if (err < 0)
				return -err;
			insn->map = err;
			err = need(&c, 1);
			if (err)
				return err;
			b = take(&c, 1);
		}
	} else if (b == 0x8f) {
		/* AMD XOP lives in 8F /1../7; no current CPU has it. */
		err = need(&c, 1);
		if (err)
			return err;
		if (buf[c.pos] & 0x38)
			return X86_DEC_UD;
	}
	insn->opcode = b;

	attr = map_attr(insn);
	if (attr & UD)
		return X86_DEC_UD;
	if ((attr & I64) && long64)
		return X86_DEC_UD;
	set_sizes(insn, attr, long64);

	if (attr & M) {
		err = decode_modrm(insn, &c, attr, long64);
		if (err)
			return err;
		/* LES/LDS/BOUND with a register operand. */
		if (insn->map == X86_MAP_1B && insn->mod == 3 &&
		    (b == 0xc4 || b == 0xc5 || b == 0x62))
			return X86_DEC_UD;
	}

	n = imm_bytes(insn, attr, &n2);
	if (n + n2) {
		err = need(&c, n + n2);
		if (err)
			return err;
		insn->imm_size = n;
		insn->imm = take(&c, n);
		insn->imm2_size = n2;
		insn->imm2 = take(&c, n2);
	}

	/* moffs is a memory operand without ModRM. */
	if (insn->map == X86_MAP_1B && (attr & IMM_MASK) == MO) {
		insn->has_mem = 1;
		insn->mem_seg = X86_SEG_DS;
		insn->scale = 1;
		insn->disp = (s64)insn->imm;
	}
	if (insn->has_mem && insn->seg != X86_SEG_NONE)
		insn->mem_seg = insn->seg;

	insn->len = c.pos;
	return X86_DEC_OK;
}
