// SPDX-License-Identifier: GPL-2.0
/*
 * SSE and AVX data moves, the ones memcpy_toio()/memset_io() and friends
 * use.  Vector values are plain byte arrays: no FPU or SIMD code runs in
 * the emulator, the registers are reached through ops->get_vec/set_vec.
 */
#include "emul_priv.h"

/* Form flags. */
#define V_LOAD		0x01	/* register <- r/m; else r/m <- register */
#define V_ALIGN		0x02	/* memory operand must be size-aligned */
#define V_MEMONLY	0x04	/* register form is #UD */
#define V_MERGE		0x08	/* register form only replaces low bytes */
#define V_GPR		0x10	/* the r/m register is a GPR */
#define V_LEGACY	0x20	/* no VEX form */
#define V_VEXONLY	0x40	/* no legacy form */
#define V_L0		0x80	/* VEX.L must be 0 */

/* Width: 0 means the whole vector (16, or 32 with VEX.L), 'W' by REX.W. */
#define W_VEC	0
#define W_REXW	1

struct vec_form {
	u8 map, pfx, opcode;
	u8 width;
	u8 flags;
};

static const struct vec_form forms[] = {
	/* MOVUPS, MOVUPD */
	{ X86_MAP_0F, 0x00, 0x10, W_VEC, V_LOAD },
	{ X86_MAP_0F, 0x66, 0x10, W_VEC, V_LOAD },
	{ X86_MAP_0F, 0x00, 0x11, W_VEC, 0 },
	{ X86_MAP_0F, 0x66, 0x11, W_VEC, 0 },
	/* MOVSS, MOVSD */
	{ X86_MAP_0F, 0xf3, 0x10, 4, V_LOAD | V_MERGE },
	{ X86_MAP_0F, 0xf2, 0x10, 8, V_LOAD | V_MERGE },
	{ X86_MAP_0F, 0xf3, 0x11, 4, V_MERGE },
	{ X86_MAP_0F, 0xf2, 0x11, 8, V_MERGE },
	/* MOVAPS, MOVAPD */
	{ X86_MAP_0F, 0x00, 0x28, W_VEC, V_LOAD | V_ALIGN },
	{ X86_MAP_0F, 0x66, 0x28, W_VEC, V_LOAD | V_ALIGN },
	{ X86_MAP_0F, 0x00, 0x29, W_VEC, V_ALIGN },
	{ X86_MAP_0F, 0x66, 0x29, W_VEC, V_ALIGN },
	/* MOVNTPS, MOVNTPD */
	{ X86_MAP_0F, 0x00, 0x2b, W_VEC, V_ALIGN | V_MEMONLY },
	{ X86_MAP_0F, 0x66, 0x2b, W_VEC, V_ALIGN | V_MEMONLY },
	/* MOVD/MOVQ xmm, r/m32/64 and back */
	{ X86_MAP_0F, 0x66, 0x6e, W_REXW, V_LOAD | V_GPR | V_L0 },
	{ X86_MAP_0F, 0x66, 0x7e, W_REXW, V_GPR | V_L0 },
	/* MOVDQA, MOVDQU */
	{ X86_MAP_0F, 0x66, 0x6f, W_VEC, V_LOAD | V_ALIGN },
	{ X86_MAP_0F, 0xf3, 0x6f, W_VEC, V_LOAD },
	{ X86_MAP_0F, 0x66, 0x7f, W_VEC, V_ALIGN },
	{ X86_MAP_0F, 0xf3, 0x7f, W_VEC, 0 },
	/* MOVQ xmm, xmm/m64 and MOVQ xmm/m64, xmm */
	{ X86_MAP_0F, 0xf3, 0x7e, 8, V_LOAD | V_L0 },
	{ X86_MAP_0F, 0x66, 0xd6, 8, V_L0 },
	/* MOVNTDQ, MOVNTDQA */
	{ X86_MAP_0F, 0x66, 0xe7, W_VEC, V_ALIGN | V_MEMONLY },
	{ X86_MAP_0F38, 0x66, 0x2a, W_VEC, V_LOAD | V_ALIGN | V_MEMONLY },
};

static const struct vec_form *find_form(const struct x86_insn *insn)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(forms); i++)
		if (forms[i].map == insn->map &&
		    forms[i].pfx == insn->simd_pfx &&
		    forms[i].opcode == insn->opcode)
			return &forms[i];
	return NULL;
}

/* #UD if SSE/AVX is off, #NM if the FPU state is not the guest's. */
static int avail_check(struct x86_emul *e, bool vex)
{
	if (vex) {
		u64 xcr0;

		if (!(e->cr4 & X86_CR4_OSXSAVE))
			return emul_ud(e);
		xcr0 = e->ops->get_ctl(e->opaque, X86_CTL_XCR0);
		if ((xcr0 & 6) != 6)
			return emul_ud(e);
	} else if ((e->cr0 & X86_CR0_EM) || !(e->cr4 & X86_CR4_OSFXSR)) {
		return emul_ud(e);
	}
	if (e->cr0 & X86_CR0_TS)
		return emul_exception(e, X86_VEC_NM, false, 0);
	return X86EMUL_OK;
}

int emul_exec_vec(struct x86_emul *e)
{
	const struct x86_insn *insn = &e->insn;
	const struct vec_form *f = find_form(insn);
	unsigned int vlen, width, mflags;
	bool vex = insn->vex != 0;
	u8 buf[32], old[32];
	u64 gpr;
	int r;

	if (!f || insn->vex > 3)
		return EMUL_NOT_MINE;
	if ((vex && (f->flags & V_LEGACY)) || (!vex && (f->flags & V_VEXONLY)))
		return EMUL_NOT_MINE;
	/* Three-operand VMOVSS/VMOVSD register forms are not emulated. */
	if (vex && (f->flags & V_MERGE) && !insn->has_mem)
		return EMUL_NOT_MINE;
	if (insn->lock || (vex && insn->vex_vvvv) ||
	    (vex && (f->flags & V_L0) && insn->vex_l))
		return emul_ud(e);
	if ((f->flags & V_MEMONLY) && !insn->has_mem)
		return emul_ud(e);
	r = avail_check(e, vex);
	if (r)
		return r;

	vlen = vex && insn->vex_l ? 32 : 16;
	if (f->width == W_VEC)
		width = vlen;
	else if (f->width == W_REXW)
		width = insn->rex_w && emul_long64(e) ? 8 : 4;
	else
		width = f->width;
	mflags = (f->flags & V_ALIGN) ? EMUL_M_ALIGN : 0;

	memset(buf, 0, sizeof(buf));
	if (f->flags & V_LOAD) {
		/* Fetch the source into buf[0..width). */
		if (insn->has_mem) {
			r = emul_read(e, insn->mem_seg, emul_ea(e), buf,
				      width, mflags);
			if (r)
				return r;
		} else if (f->flags & V_GPR) {
			gpr = emul_gpr(e, insn->rm);
			memcpy(buf, &gpr, width);
		} else {
			e->ops->get_vec(e->opaque, insn->rm, buf, vlen);
			if (width < vlen)
				memset(buf + width, 0, vlen - width);
		}
		/* Register-to-register MOVSS/MOVSD keep the upper lanes. */
		if ((f->flags & V_MERGE) && !insn->has_mem) {
			e->ops->get_vec(e->opaque, insn->reg, old, 16);
			memcpy(old, buf, width);
			memcpy(buf, old, 16);
		}
		emul_set_vec(e, insn->reg, buf, width > 16 ? width : 16, vex);
		emul_done(e);
		return X86EMUL_OK;
	}

	/* Stores: the source is always the ModRM.reg vector register. */
	e->ops->get_vec(e->opaque, insn->reg, buf, vlen);
	if (insn->has_mem) {
		r = emul_write(e, insn->mem_seg, emul_ea(e), buf, width,
			       mflags);
		if (r)
			return r;
	} else if (f->flags & V_GPR) {
		memcpy(&gpr, buf, 8);
		emul_set_reg(e, insn->rm, width, gpr);
	} else if (f->flags & V_MERGE) {
		e->ops->get_vec(e->opaque, insn->rm, old, 16);
		memcpy(old, buf, width);
		emul_set_vec(e, insn->rm, old, 16, vex);
	} else {
		if (width < vlen)
			memset(buf + width, 0, vlen - width);
		emul_set_vec(e, insn->rm, buf, width > 16 ? width : 16, vex);
	}
	emul_done(e);
	return X86EMUL_OK;
}
