// SPDX-License-Identifier: GPL-2.0
/*
 * Data accesses for the emulator: effective address, segmentation checks,
 * translation through the guest page tables, and the split into RAM
 * accesses and MMIO pieces (replayed reads, queued writes).
 */
#include "emul_priv.h"

#define PAGE_SZ		4096ULL

u64 emul_ea(struct x86_emul *e)
{
	const struct x86_insn *insn = &e->insn;
	u64 ea = (u64)insn->disp;

	if (insn->base == X86_REG_RIP)
		ea += e->rip + insn->len;
	else if (insn->base != X86_REG_NONE)
		ea += emul_gpr(e, insn->base);
	if (insn->index != X86_REG_NONE)
		ea += emul_gpr(e, insn->index) * insn->scale;
	return ea & size_mask(insn->ad_size);
}

static bool canonical(const struct x86_emul *e, u64 la)
{
	unsigned int sh = (e->cr4 & X86_CR4_LA57) ? 64 - 57 : 64 - 48;

	return (u64)((s64)(la << sh) >> sh) == la;
}

static int seg_fault(struct x86_emul *e, u8 seg)
{
	return emul_exception(e, seg == X86_SEG_SS ? X86_VEC_SS : X86_VEC_GP,
			      true, 0);
}

/* Segment type, limit and canonical checks; @ea is already wrapped. */
int emul_linearize(struct x86_emul *e, u8 seg, u64 ea, unsigned int size,
		   bool write, u64 *la)
{
	struct x86_seg_desc d;
	u64 last = ea + size - 1;

	if (emul_long64(e)) {
		u64 base = 0;

		if (seg == X86_SEG_FS || seg == X86_SEG_GS) {
			e->ops->get_seg(e->opaque, seg, &d);
			base = d.base;
		}
		*la = base + ea;
		if (!canonical(e, *la) || !canonical(e, *la + size - 1))
			return seg_fault(e, seg);
		return X86EMUL_OK;
	}

	e->ops->get_seg(e->opaque, seg, &d);
	if (x86_mode_is_prot(e->mode)) {
		bool code = d.type & 8;

		if (d.unusable || !d.s || !d.p)
			return seg_fault(e, seg);
		/* Code is never writable, and readable only with R. */
		if (code && (write || !(d.type & 2)))
			return seg_fault(e, seg);
		if (!code && write && !(d.type & 2))
			return seg_fault(e, seg);
		if (!code && (d.type & 4)) {
			/* Expand-down: valid offsets are above the limit. */
			u64 max = d.db ? 0xffffffffULL : 0xffffULL;

			if (ea <= d.limit || last > max)
				return seg_fault(e, seg);
		} else if (last > d.limit) {
			return seg_fault(e, seg);
		}
	} else if (last > d.limit) {
		return seg_fault(e, seg);
	}
	*la = (d.base + ea) & 0xffffffffULL;
	return X86EMUL_OK;
}

void emul_walk_env(struct x86_emul *e, struct x86_walk_env *env)
{
	const struct x86_emul_ops *ops = e->ops;

	memset(env, 0, sizeof(*env));
	env->cr0 = e->cr0;
	env->cr4 = e->cr4;
	env->efer = e->efer;
	if (e->cr0 & X86_CR0_PG)
		env->cr3 = ops->get_ctl(e->opaque, X86_CTL_CR3);
	if (e->cr4 & X86_CR4_PKE)
		env->pkru = ops->get_ctl(e->opaque, X86_CTL_PKRU);
	env->maxphyaddr = e->cpu.maxphyaddr;
	env->amd = e->cpu.amd;
	env->gbpages = e->cpu.gbpages;
	env->rw = ops->access_phys;
	env->cmpxchg = ops->cmpxchg_phys;
	env->opaque = e->opaque;
}

int emul_xlate(struct x86_emul *e, u64 la, u32 access, u64 *gpa)
{
	struct x86_walk_env env;
	struct x86_walk_result res;

	emul_walk_env(e, &env);
	switch (x86_walk(&env, la, access, &res)) {
	case X86_WALK_OK:
		*gpa = res.gpa;
		return X86EMUL_OK;
	case X86_WALK_FAULT:
		emul_exception(e, X86_VEC_PF, true, res.error_code);
		e->exc.cr2 = res.fault_addr;
		return X86EMUL_EXCEPTION;
	case X86_WALK_RETRY:
		return X86EMUL_RETRY;
	default:
		return emul_unhandled(e, "guest page table not in RAM");
	}
}

/* An access as at most two page-bounded pieces of guest-physical memory. */
struct span {
	u64 gpa[2];
	unsigned int len[2];
	unsigned int n;
};

/*
 * Alignment checking (CPL 3, CR0.AM, RFLAGS.AC) wants natural alignment up
 * to 8 bytes.  For 16 and 32-byte vectors the SDM leaves it to the
 * implementation: AMD checks 16-byte alignment for both (measured), and
 * on Intel none is assumed, so a guest never sees a spurious #AC.
 */
static unsigned int ac_align(const struct x86_emul *e, unsigned int size)
{
	if (size <= 8)
		return size;
	return e->cpu.amd ? 16 : 1;
}

static int translate(struct x86_emul *e, u8 seg, u64 ea, unsigned int size,
		     unsigned int flags, bool write, struct span *sp)
{
	u32 access = write || (flags & EMUL_M_RMW) ? X86_ACC_WRITE : 0;
	u64 la, cur;
	unsigned int i, done = 0;
	int r;

	r = emul_linearize(e, seg, ea, size, write || (flags & EMUL_M_RMW),
			   &la);
	if (r)
		return r;
	if ((flags & EMUL_M_ALIGN) && (la & (size - 1)))
		return emul_gp0(e);
	if (e->cpl == 3 && (e->cr0 & X86_CR0_AM) && (e->rflags & X86_FL_AC) &&
	    (la & (ac_align(e, size) - 1)))
		return emul_exception(e, X86_VEC_AC, true, 0);

	if (e->cpl == 3)
		access |= X86_ACC_USER;
	if (e->rflags & X86_FL_AC)
		access |= X86_ACC_AC;

	sp->n = 0;
	for (i = 0; done < size; i++) {
		cur = la + done;
		if (!emul_long64(e))
			cur &= 0xffffffffULL;
		sp->len[i] = PAGE_SZ - (cur & (PAGE_SZ - 1));
		if (sp->len[i] > size - done)
			sp->len[i] = size - done;
		r = emul_xlate(e, cur, access, &sp->gpa[i]);
		if (r)
			return r;
		done += sp->len[i];
		sp->n++;
	}
	return X86EMUL_OK;
}

/*
 * MMIO read: take the bytes from the replay log; if the log runs dry, ask
 * the caller for the next piece of at most 8 bytes.
 */
static int mmio_read(struct x86_emul *e, u64 gpa, u8 *buf, unsigned int len)
{
	unsigned int have = e->rd_len - e->rd_pos;

	if (have >= len) {
		memcpy(buf, e->rd_data + e->rd_pos, len);
		e->rd_pos += len;
		return X86EMUL_OK;
	}
	e->mmio.gpa = gpa + have;
	e->mmio.len = len - have > 8 ? 8 : len - have;
	e->mmio.is_write = false;
	memset(e->mmio.data, 0, sizeof(e->mmio.data));
	return X86EMUL_MMIO;
}

static int mmio_queue_write(struct x86_emul *e, u64 gpa, const u8 *buf,
			    unsigned int len)
{
	unsigned int off, n;

	for (off = 0; off < len; off += n) {
		n = len - off > 8 ? 8 : len - off;
		if (e->wr_n == X86_EMUL_MAX_PIECES ||
		    e->wr_len + n > sizeof(e->wr_data))
			return emul_unhandled(e, "MMIO write queue overflow");
		e->wr[e->wr_n].gpa = gpa + off;
		e->wr[e->wr_n].off = e->wr_len;
		e->wr[e->wr_n].len = n;
		memcpy(e->wr_data + e->wr_len, buf + off, n);
		e->wr_len += n;
		e->wr_n++;
	}
	return X86EMUL_OK;
}

int emul_read(struct x86_emul *e, u8 seg, u64 ea, void *buf,
	      unsigned int size, unsigned int flags)
{
	struct span sp;
	unsigned int i, off = 0;
	u8 *p = buf;
	int r;

	r = translate(e, seg, ea, size, flags, false, &sp);
	if (r)
		return r;
	for (i = 0; i < sp.n; i++) {
		r = e->ops->access_phys(e->opaque, sp.gpa[i], p + off,
					sp.len[i], false);
		if (r == X86_PHYS_MMIO)
			r = mmio_read(e, sp.gpa[i], p + off, sp.len[i]);
		else if (r != X86_PHYS_OK)
			r = emul_unhandled(e, "guest memory read failed");
		if (r)
			return r;
		off += sp.len[i];
	}
	return X86EMUL_OK;
}

/* Writes are the last thing an instruction does; both pages are checked. */
int emul_write(struct x86_emul *e, u8 seg, u64 ea, const void *buf,
	       unsigned int size, unsigned int flags)
{
	struct span sp;
	unsigned int i, off = 0;
	const u8 *p = buf;
	u8 tmp[32];
	int r;

	r = translate(e, seg, ea, size, flags, true, &sp);
	if (r)
		return r;
	for (i = 0; i < sp.n; i++) {
		/* access_phys takes a non-const buffer for both ways. */
		memcpy(tmp, p + off, sp.len[i]);
		r = e->ops->access_phys(e->opaque, sp.gpa[i], tmp, sp.len[i],
					true);
		if (r == X86_PHYS_MMIO)
			r = mmio_queue_write(e, sp.gpa[i], p + off, sp.len[i]);
		else if (r != X86_PHYS_OK)
			r = emul_unhandled(e, "guest memory write failed");
		if (r)
			return r;
		off += sp.len[i];
	}
	return X86EMUL_OK;
}

/*
 * LOCKed read-modify-write: atomic on RAM within a page (a lost race
 * retries the whole instruction).  Split or MMIO accesses cannot be
 * atomic anyway and become plain writes, as with KVM.
 */
int emul_write_locked(struct x86_emul *e, u8 seg, u64 ea, u64 old,
		      u64 new, unsigned int size)
{
	struct span sp;
	int r;

	r = translate(e, seg, ea, size, 0, true, &sp);
	if (r)
		return r;
	if (sp.n != 1)
		return emul_write(e, seg, ea, &new, size, 0);
	r = e->ops->cmpxchg_phys(e->opaque, sp.gpa[0], &old, &new, size);
	if (r == X86_PHYS_OK)
		return X86EMUL_OK;
	if (r == X86_PHYS_CHANGED)
		return X86EMUL_RETRY;
	if (r == X86_PHYS_MMIO)
		return mmio_queue_write(e, sp.gpa[0], (const u8 *)&new, size);
	return emul_unhandled(e, "guest memory cmpxchg failed");
}
