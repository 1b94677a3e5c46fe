// SPDX-License-Identifier: GPL-2.0
/*
 * Emulator core: fetch and decode, register cache, commit, and the MMIO
 * exit/resume state machine.  See emulate.h for the contract.
 */
#include "emul_priv.h"

void x86_emul_init(struct x86_emul *e, const struct x86_emul_ops *ops,
		   void *opaque, const struct x86_emul_cpu *cpu)
{
	memset(e, 0, sizeof(*e));
	e->ops = ops;
	e->opaque = opaque;
	e->cpu = *cpu;
}

/* Registers are read lazily and written back only at commit. */
u64 emul_gpr(struct x86_emul *e, unsigned int reg)
{
	if (!(e->gpr_valid & (1u << reg))) {
		e->gpr[reg] = e->ops->get_gpr(e->opaque, reg);
		e->gpr_valid |= 1u << reg;
	}
	return e->gpr[reg];
}

void emul_set_gpr(struct x86_emul *e, unsigned int reg, u64 val)
{
	e->gpr[reg] = val;
	e->gpr_valid |= 1u << reg;
	e->gpr_dirty |= 1u << reg;
}

/* AH, CH, DH, BH: byte registers 4-7 when there is no REX prefix. */
static bool high_byte(const struct x86_emul *e, unsigned int reg,
		      unsigned int size)
{
	return size == 1 && !e->insn.rex && reg >= 4 && reg < 8;
}

u64 emul_reg(struct x86_emul *e, unsigned int reg, unsigned int size)
{
	if (high_byte(e, reg, size))
		return (emul_gpr(e, reg - 4) >> 8) & 0xff;
	return emul_gpr(e, reg) & size_mask(size);
}

/* Sized register write: 8/16-bit merge, 32-bit zero-extends. */
void emul_set_reg(struct x86_emul *e, unsigned int reg, unsigned int size,
		  u64 val)
{
	u64 old;

	if (high_byte(e, reg, size)) {
		old = emul_gpr(e, reg - 4);
		emul_set_gpr(e, reg - 4,
			     (old & ~0xff00ULL) | ((val & 0xff) << 8));
		return;
	}
	if (size >= 4) {
		emul_set_gpr(e, reg, val & size_mask(size));
		return;
	}
	old = emul_gpr(e, reg);
	emul_set_gpr(e, reg, (old & ~size_mask(size)) |
			     (val & size_mask(size)));
}

void emul_set_flags(struct x86_emul *e, u64 mask, u64 val)
{
	e->rflags = (e->rflags & ~mask) | (val & mask);
	e->rflags_dirty = true;
}

void emul_set_vec(struct x86_emul *e, unsigned int reg, const void *buf,
		  unsigned int len, bool zero_upper)
{
	e->vec_dirty = true;
	e->vec_reg = reg;
	e->vec_len = len;
	e->vec_zero_upper = zero_upper;
	memcpy(e->vec_buf, buf, len);
}

int emul_exception(struct x86_emul *e, u8 vector, bool has_ec, u32 ec)
{
	e->exc.vector = vector;
	e->exc.has_error_code = has_ec;
	e->exc.error_code = ec;
	e->exc.cr2 = 0;
	return X86EMUL_EXCEPTION;
}

int emul_ud(struct x86_emul *e)
{
	return emul_exception(e, X86_VEC_UD, false, 0);
}

int emul_gp0(struct x86_emul *e)
{
	return emul_exception(e, X86_VEC_GP, true, 0);
}

int emul_unhandled(struct x86_emul *e, const char *why)
{
	e->why = why;
	return X86EMUL_UNHANDLEABLE;
}

/* The instruction completed: step RIP past it within the code size. */
void emul_done(struct x86_emul *e)
{
	u64 rip = e->rip + e->insn.len;

	switch (e->mode) {
	case X86_EXEC_LONG64:
		break;
	case X86_EXEC_PROT32:
	case X86_EXEC_COMPAT32:
		rip &= 0xffffffffULL;
		break;
	default:
		rip &= 0xffffULL;
		break;
	}
	e->rip = rip;
	e->rip_dirty = true;
	if (e->rflags & X86_FL_RF)
		emul_set_flags(e, X86_FL_RF, 0);
}

static void load_state(struct x86_emul *e)
{
	const struct x86_emul_ops *ops = e->ops;

	e->gpr_valid = 0;
	e->gpr_dirty = 0;
	e->rflags = ops->get_rflags(e->opaque);
	e->rip = ops->get_rip(e->opaque);
	e->rflags_dirty = false;
	e->rip_dirty = false;
	e->vec_dirty = false;
	e->rep_pending = false;
	e->singlestep = false;
}

static void commit(struct x86_emul *e)
{
	const struct x86_emul_ops *ops = e->ops;
	unsigned int i;

	for (i = 0; i < X86_NR_GPRS; i++)
		if (e->gpr_dirty & (1u << i))
			ops->set_gpr(e->opaque, i, e->gpr[i]);
	if (e->vec_dirty)
		ops->set_vec(e->opaque, e->vec_reg, e->vec_buf, e->vec_len,
			     e->vec_zero_upper);
	if (e->rflags_dirty)
		ops->set_rflags(e->opaque, e->rflags);
	if (e->rip_dirty)
		ops->set_rip(e->opaque, e->rip);
	e->gpr_dirty = 0;
	e->vec_dirty = false;
	e->rflags_dirty = false;
	e->rip_dirty = false;
}

static int next_write(struct x86_emul *e)
{
	unsigned int i = e->wr_pos;

	e->mmio.gpa = e->wr[i].gpa;
	e->mmio.len = e->wr[i].len;
	e->mmio.is_write = true;
	memset(e->mmio.data, 0, sizeof(e->mmio.data));
	memcpy(e->mmio.data, e->wr_data + e->wr[i].off, e->wr[i].len);
	e->state = EMUL_WAIT_WRITE;
	return X86EMUL_MMIO;
}

/* Execute the decoded instruction once, from a clean register cache. */
static int run(struct x86_emul *e)
{
	int r;

	load_state(e);
	e->rd_pos = 0;
	e->wr_n = 0;
	e->wr_pos = 0;
	e->wr_len = 0;

	r = emul_exec_int(e);
	if (r == EMUL_NOT_MINE)
		r = emul_exec_vec(e);
	if (r == EMUL_NOT_MINE)
		r = emul_unhandled(e, "instruction not emulated");

	if (r == X86EMUL_MMIO) {
		e->state = EMUL_WAIT_READ;
		return r;
	}
	e->state = EMUL_IDLE;
	if (r != X86EMUL_OK)
		return r;

	e->singlestep = !!(e->rflags & X86_FL_TF);
	commit(e);
	if (e->wr_n)
		return next_write(e);
	return X86EMUL_OK;
}

static bool canonical(u64 la, unsigned int bits)
{
	return (u64)((s64)(la << (64 - bits)) >> (64 - bits)) == la;
}

/*
 * Fetch up to 15 bytes at CS:RIP, stopping at the first page that cannot
 * be fetched or at the CS limit.  Decode, and only if the instruction
 * really needs the missing bytes report why they are missing.
 */
static int fetch_decode(struct x86_emul *e, const u8 *bytes,
			unsigned int nbytes)
{
	struct x86_exception late = { .vector = X86_VEC_GP,
				      .has_error_code = true };
	int late_status = X86EMUL_EXCEPTION;
	u32 access = X86_ACC_FETCH | (e->cpl == 3 ? X86_ACC_USER : 0);
	unsigned int max = X86_MAX_INSN_LEN, n = 0, chunk;
	struct x86_seg_desc cs;
	u8 buf[X86_MAX_INSN_LEN];
	u64 la, gpa;
	int r;

	if (emul_long64(e)) {
		la = e->rip;
	} else {
		u64 eip = e->rip & 0xffffffffULL;

		e->ops->get_seg(e->opaque, X86_SEG_CS, &cs);
		if (eip > cs.limit)
			return emul_gp0(e);
		if ((u64)cs.limit - eip + 1 < max)
			max = cs.limit - eip + 1;
		la = (cs.base + eip) & 0xffffffffULL;
	}

	if (bytes) {
		n = nbytes < max ? nbytes : max;
		memcpy(buf, bytes, n);
	}
	while (n < max) {
		u64 cur = la + n;

		if (!emul_long64(e)) {
			cur &= 0xffffffffULL;
		} else if (!canonical(cur, (e->cr4 & X86_CR4_LA57) ?
				      57 : 48)) {
			if (!n)
				return emul_gp0(e);
			break;
		}
		chunk = 4096 - (cur & 4095);
		if (chunk > max - n)
			chunk = max - n;
		r = emul_xlate(e, cur, access, &gpa);
		if (r == X86EMUL_OK &&
		    e->ops->access_phys(e->opaque, gpa, buf + n, chunk,
					false) != X86_PHYS_OK)
			r = emul_unhandled(e, "instruction fetch from MMIO");
		if (r != X86EMUL_OK) {
			if (!n)
				return r;
			late = e->exc;
			late_status = r;
			break;
		}
		n += chunk;
	}

	switch (x86_decode(&e->insn, e->mode, buf, n)) {
	case X86_DEC_OK:
		return X86EMUL_OK;
	case X86_DEC_SHORT:
		e->insn.len = n;
		e->exc = late;
		return late_status;
	case X86_DEC_GP:
		e->insn.len = n;
		return emul_gp0(e);
	default:
		e->insn.len = n;
		return emul_ud(e);
	}
}

static void begin(struct x86_emul *e)
{
	const struct x86_emul_ops *ops = e->ops;
	struct x86_cpu_mode m = { 0 };
	struct x86_seg_desc cs;

	e->state = EMUL_IDLE;
	e->rd_len = 0;
	e->why = NULL;
	memset(&e->exc, 0, sizeof(e->exc));
	memset(&e->mmio, 0, sizeof(e->mmio));

	e->cr0 = ops->get_ctl(e->opaque, X86_CTL_CR0);
	e->cr4 = ops->get_ctl(e->opaque, X86_CTL_CR4);
	e->efer = ops->get_ctl(e->opaque, X86_CTL_EFER);
	e->cpl = ops->get_ctl(e->opaque, X86_CTL_CPL) & 3;
	load_state(e);

	ops->get_seg(e->opaque, X86_SEG_CS, &cs);
	m.pe = !!(e->cr0 & X86_CR0_PE);
	m.vm86 = !!(e->rflags & X86_FL_VM);
	m.lma = !!(e->efer & X86_EFER_LMA);
	m.cs_l = cs.l;
	m.cs_d = cs.db;
	e->mode = x86_exec_mode(&m);
}

int x86_emulate(struct x86_emul *e, const u8 *bytes, unsigned int nbytes)
{
	int r;

	begin(e);
	r = fetch_decode(e, bytes, nbytes);
	if (r != X86EMUL_OK)
		return r;
	return run(e);
}

int x86_emul_decode_at_rip(struct x86_emul *e)
{
	begin(e);
	return fetch_decode(e, NULL, 0);
}

int x86_emulate_resume(struct x86_emul *e)
{
	switch (e->state) {
	case EMUL_WAIT_READ:
		if (e->mmio.len > 8 ||
		    e->rd_len + e->mmio.len > sizeof(e->rd_data)) {
			e->state = EMUL_IDLE;
			return emul_unhandled(e, "MMIO read log overflow");
		}
		memcpy(e->rd_data + e->rd_len, e->mmio.data, e->mmio.len);
		e->rd_len += e->mmio.len;
		return run(e);
	case EMUL_WAIT_WRITE:
		if (++e->wr_pos < e->wr_n)
			return next_write(e);
		e->state = EMUL_IDLE;
		return X86EMUL_OK;
	default:
		return X86EMUL_OK;
	}
}
