/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 instruction decoder: prefixes, REX, VEX/EVEX, ModRM/SIB, displacement
 * and immediate, for every execution mode.  It knows the shape (length,
 * operands, sizes) of every opcode, not what the opcode does; that is
 * emulate.c's business.  It is also what computes next-RIP for intercepted
 * instructions on CPUs without NRIPS.
 */
#ifndef KVMX_EMUL_DECODE_H
#define KVMX_EMUL_DECODE_H

#include "emul_types.h"

#define X86_MAX_INSN_LEN	15

/* The bits of CPU state that select how bytes are decoded. */
struct x86_cpu_mode {
	u8 pe:1;	/* CR0.PE */
	u8 vm86:1;	/* RFLAGS.VM */
	u8 lma:1;	/* EFER.LMA */
	u8 cs_l:1;	/* CS.L */
	u8 cs_d:1;	/* CS.D */
};

enum x86_exec_mode {
	X86_EXEC_REAL,
	X86_EXEC_VM86,
	X86_EXEC_PROT16,
	X86_EXEC_PROT32,
	X86_EXEC_COMPAT16,
	X86_EXEC_COMPAT32,
	X86_EXEC_LONG64,
};

enum x86_exec_mode x86_exec_mode(const struct x86_cpu_mode *m);

static inline bool x86_mode_is_prot(enum x86_exec_mode m)
{
	return m >= X86_EXEC_PROT16;
}

/* Segment registers, in their encoding order. */
enum x86_seg {
	X86_SEG_ES, X86_SEG_CS, X86_SEG_SS, X86_SEG_DS, X86_SEG_FS, X86_SEG_GS,
	X86_SEG_NONE = 0xff,
};

/* GPR numbers as encoded; X86_REG_RIP marks RIP-relative addressing. */
enum x86_gpr {
	X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
	X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
	X86_NR_GPRS,
	X86_REG_RIP = 16,
	X86_REG_NONE = -1,
};

/* Opcode maps. */
enum x86_map {
	X86_MAP_1B,	/* one-byte opcodes */
	X86_MAP_0F,
	X86_MAP_0F38,
	X86_MAP_0F3A,
};

enum x86_decode_status {
	X86_DEC_OK,
	X86_DEC_SHORT,	/* needs more bytes than were supplied */
	X86_DEC_GP,	/* longer than 15 bytes: #GP(0) */
	X86_DEC_UD,	/* not a valid encoding in this mode: #UD */
};

struct x86_insn {
	u8 bytes[X86_MAX_INSN_LEN];
	u8 len;
	u8 mode;		/* enum x86_exec_mode */

	/* Legacy prefixes; for repeated ones the last wins, as on hardware. */
	u8 seg;			/* override, X86_SEG_NONE if none */
	u8 rep;			/* 0, 0xf2 or 0xf3 */
	u8 lock:1;
	u8 opsize_pfx:1;	/* 0x66 */
	u8 adsize_pfx:1;	/* 0x67 */
	u8 rex;			/* the REX byte, 0 if none */
	u8 rex_w:1, rex_r:1, rex_x:1, rex_b:1;

	/* VEX (2 or 3 byte) or EVEX (4 byte); vex is 0 when absent. */
	u8 vex;			/* prefix length: 0, 2, 3 or 4 */
	u8 vex_l;		/* vector length: 0 = 128, 1 = 256, 2 = 512 */
	u8 vex_vvvv;		/* extra register, already un-inverted */
	u8 simd_pfx;		/* mandatory prefix: 0, 0x66, 0xf3, 0xf2 */

	u8 map;			/* enum x86_map */
	u8 opcode;

	u8 op_size;		/* effective operand size: 2, 4 or 8 */
	u8 ad_size;		/* effective address size: 2, 4 or 8 */

	/* ModRM: reg and rm carry the REX/VEX extension bits. */
	u8 has_modrm:1;
	u8 has_sib:1;
	u8 modrm, mod, reg, rm;
	u8 sib;

	/*
	 * Memory operand (ModRM with mod != 3, or moffs):
	 * ad_size-wrapped  base + index * scale + disp,  in segment mem_seg.
	 */
	u8 has_mem:1;
	s8 base;		/* enum x86_gpr, X86_REG_RIP or X86_REG_NONE */
	s8 index;		/* enum x86_gpr or X86_REG_NONE */
	u8 scale;		/* 1, 2, 4 or 8 */
	u8 disp_size;
	s64 disp;		/* sign-extended */
	u8 mem_seg;		/* enum x86_seg: override or default */

	/* Immediates, zero-extended raw values; imm2 is ENTER's second. */
	u8 imm_size;
	u8 imm2_size;
	u64 imm;
	u8 imm2;
};

/*
 * Decode at most @avail bytes of @buf.  One vendor difference is decided
 * the Intel way: in 64-bit mode a 66 prefix does not shorten the rel32 of
 * near branches (AMD takes a rel16).  Branches are never emulated, so only
 * the length of such an odd encoding could be off.
 */
int x86_decode(struct x86_insn *insn, enum x86_exec_mode mode,
	       const u8 *buf, unsigned int avail);

/* Sign-extend the low @bytes bytes of @v. */
static inline s64 x86_sext(u64 v, unsigned int bytes)
{
	unsigned int sh = 64 - 8 * bytes;

	return bytes >= 8 ? (s64)v : (s64)(v << sh) >> sh;
}

#endif /* KVMX_EMUL_DECODE_H */
