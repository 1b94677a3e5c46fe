// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU side of the instruction emulator: it maps the pure emulator's
 * ops onto a kvmx vCPU, turns its results into KVM exits, and does what
 * needs instruction decoding around the run loop: MMIO, string port I/O,
 * next-RIP where the CPU gives none, and KVM_TRANSLATE.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/fpu/api.h>

#include "x86.h"
#include "irq/irq.h"

#include "emulate/emulate.h"

static struct x86_emul *to_emul(struct kvmx_vcpu *vcpu)
{
	return vcpu->arch.emul;
}

/* ---- Guest memory ------------------------------------------------------ */

static int emul_access_phys(void *opaque, u64 gpa, void *buf,
			    unsigned int len, bool write)
{
	struct kvmx_vcpu *vcpu = opaque;

	if (!kvmx_guest_rw(vcpu->vm, gpa, buf, len, write))
		return X86_PHYS_OK;
	if (vcpu->arch.apic && !kvmx_lapic_mmio(vcpu, gpa, len, buf, write))
		return X86_PHYS_OK;
	/* Not RAM: an in-kernel device or ioeventfd may still take it. */
	if (write && kvmx_io_bus_write(vcpu->vm, KVMX_MMIO_BUS, gpa, len, buf))
		return X86_PHYS_OK;
	if (!write && kvmx_io_bus_read(vcpu->vm, KVMX_MMIO_BUS, gpa, len, buf))
		return X86_PHYS_OK;
	/* As in KVM, what no memory backs is left to userspace. */
	return X86_PHYS_MMIO;
}

/* For the walker's accessed/dirty updates in guest page tables. */
static int emul_cmpxchg_phys(void *opaque, u64 gpa, const void *old,
			     const void *new, unsigned int len)
{
	struct kvmx_vcpu *vcpu = opaque;
	struct kvmx_vm *vm = vcpu->vm;
	struct kvmx_memslot *slot;
	struct page *page;
	unsigned long hva;
	int idx, r = X86_PHYS_MMIO;
	u64 gfn = gpa >> PAGE_SHIFT;
	void *p;
	bool same;

	idx = srcu_read_lock(&vm->srcu);
	slot = kvmx_gfn_to_memslot(srcu_dereference(vm->memslots, &vm->srcu),
				   gfn);
	if (!slot || (slot->flags & KVM_MEM_READONLY))
		goto out;
	hva = slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);
	if (get_user_pages_fast(hva, 1, FOLL_WRITE, &page) != 1)
		goto out;
	p = kmap_local_page(page) + offset_in_page(gpa);
	switch (len) {
	case 1:
		same = cmpxchg((u8 *)p, *(u8 *)old, *(u8 *)new) == *(u8 *)old;
		break;
	case 2:
		same = cmpxchg((u16 *)p, *(u16 *)old, *(u16 *)new) == *(u16 *)old;
		break;
	case 4:
		same = cmpxchg((u32 *)p, *(u32 *)old, *(u32 *)new) == *(u32 *)old;
		break;
	default:
		same = cmpxchg64((u64 *)p, *(u64 *)old, *(u64 *)new) == *(u64 *)old;
		break;
	}
	kunmap_local(p);
	if (same && slot->dirty_bitmap)
		set_bit(gfn - slot->base_gfn, slot->dirty_bitmap);
	set_page_dirty_lock(page);
	put_page(page);
	r = same ? X86_PHYS_OK : X86_PHYS_CHANGED;
out:
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

/* ---- Registers ----------------------------------------------------------- */

static u64 emul_get_gpr(void *opaque, unsigned int reg)
{
	return ((struct kvmx_vcpu *)opaque)->arch.regs[reg];
}

static void emul_set_gpr(void *opaque, unsigned int reg, u64 val)
{
	((struct kvmx_vcpu *)opaque)->arch.regs[reg] = val;
}

static u64 emul_get_rip(void *opaque)
{
	return ((struct kvmx_vcpu *)opaque)->arch.regs[KVMX_RIP];
}

static void emul_set_rip(void *opaque, u64 rip)
{
	struct kvmx_vcpu *vcpu = opaque;

	vcpu->arch.regs[KVMX_RIP] = rip;
	/* Completing an instruction ends any STI/MOV SS shadow. */
	kvmx_vendor->set_reg(vcpu, KVMX_INT_SHADOW, 0);
}

static u64 emul_get_rflags(void *opaque)
{
	return ((struct kvmx_vcpu *)opaque)->arch.rflags;
}

static void emul_set_rflags(void *opaque, u64 rflags)
{
	((struct kvmx_vcpu *)opaque)->arch.rflags = rflags;
}

static void emul_get_seg(void *opaque, enum x86_seg seg,
			 struct x86_seg_desc *d)
{
	struct kvm_segment s;

	/* enum x86_seg and enum kvmx_seg share the ES..GS order. */
	kvmx_vendor->get_seg(opaque, (enum kvmx_seg)seg, &s);
	d->base = s.base;
	d->limit = s.limit;
	d->sel = s.selector;
	d->type = s.type;
	d->s = s.s;
	d->dpl = s.dpl;
	d->p = s.present;
	d->db = s.db;
	d->l = s.l;
	d->g = s.g;
	d->unusable = s.unusable;
}

static u64 emul_get_ctl(void *opaque, enum x86_ctl which)
{
	struct kvmx_vcpu *vcpu = opaque;

	switch (which) {
	case X86_CTL_CR0:
		return kvmx_vendor->get_reg(vcpu, KVMX_CR0);
	case X86_CTL_CR3:
		return kvmx_vendor->get_reg(vcpu, KVMX_CR3);
	case X86_CTL_CR4:
		return kvmx_vendor->get_reg(vcpu, KVMX_CR4);
	case X86_CTL_EFER:
		return kvmx_vendor->get_reg(vcpu, KVMX_EFER);
	case X86_CTL_XCR0:
		return vcpu->arch.xcr0;
	case X86_CTL_PKRU:
		return vcpu->arch.pkru;
	case X86_CTL_CPL:
		return kvmx_vendor->get_reg(vcpu, KVMX_CPL);
	}
	return 0;
}

/*
 * Vector registers: during KVM_RUN the guest's FPU state is the current
 * one, live in the registers unless the thread was preempted since.  One
 * accessor pair per register, since the register is part of the opcode.
 */
#define DEFINE_VEC_ACCESS(n)						\
static void vec_get_##n(void *buf, bool ymm)				\
{									\
	if (ymm)							\
		asm volatile("vmovdqu %%ymm" #n ", %0"			\
			     : "=m"(*(u8 (*)[32])buf));			\
	else								\
		asm volatile("movdqu %%xmm" #n ", %0"			\
			     : "=m"(*(u8 (*)[16])buf));			\
}									\
static void vec_set_##n(const void *buf, bool ymm)			\
{									\
	if (ymm)							\
		asm volatile("vmovdqu %0, %%ymm" #n			\
			     : : "m"(*(const u8 (*)[32])buf));		\
	else								\
		asm volatile("movdqu %0, %%xmm" #n			\
			     : : "m"(*(const u8 (*)[16])buf));		\
}

DEFINE_VEC_ACCESS(0) DEFINE_VEC_ACCESS(1) DEFINE_VEC_ACCESS(2)
DEFINE_VEC_ACCESS(3) DEFINE_VEC_ACCESS(4) DEFINE_VEC_ACCESS(5)
DEFINE_VEC_ACCESS(6) DEFINE_VEC_ACCESS(7) DEFINE_VEC_ACCESS(8)
DEFINE_VEC_ACCESS(9) DEFINE_VEC_ACCESS(10) DEFINE_VEC_ACCESS(11)
DEFINE_VEC_ACCESS(12) DEFINE_VEC_ACCESS(13) DEFINE_VEC_ACCESS(14)
DEFINE_VEC_ACCESS(15)

static void (*const vec_get[16])(void *buf, bool ymm) = {
	vec_get_0, vec_get_1, vec_get_2, vec_get_3, vec_get_4, vec_get_5,
	vec_get_6, vec_get_7, vec_get_8, vec_get_9, vec_get_10, vec_get_11,
	vec_get_12, vec_get_13, vec_get_14, vec_get_15,
};

static void (*const vec_set[16])(const void *buf, bool ymm) = {
	vec_set_0, vec_set_1, vec_set_2, vec_set_3, vec_set_4, vec_set_5,
	vec_set_6, vec_set_7, vec_set_8, vec_set_9, vec_set_10, vec_set_11,
	vec_set_12, vec_set_13, vec_set_14, vec_set_15,
};

static void emul_get_vec(void *opaque, unsigned int reg, void *buf,
			 unsigned int len)
{
	fpregs_lock();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	vec_get[reg & 15](buf, len == 32);
	fpregs_unlock();
}

static void emul_set_vec(void *opaque, unsigned int reg, const void *src,
			 unsigned int len, bool zero_upper)
{
	bool avx = boot_cpu_has(X86_FEATURE_AVX);
	u8 buf[32] = {};

	/* A legacy-SSE write keeps the upper half; VEX zeroes it. */
	if (len == 16 && !zero_upper)
		emul_get_vec(opaque, reg, buf, avx ? 32 : 16);
	memcpy(buf, src, len);

	fpregs_lock();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	vec_set[reg & 15](buf, avx);
	fpregs_unlock();
}

static const struct x86_emul_ops kvmx_emul_ops = {
	.get_gpr	= emul_get_gpr,
	.set_gpr	= emul_set_gpr,
	.get_rip	= emul_get_rip,
	.set_rip	= emul_set_rip,
	.get_rflags	= emul_get_rflags,
	.set_rflags	= emul_set_rflags,
	.get_seg	= emul_get_seg,
	.get_ctl	= emul_get_ctl,
	.access_phys	= emul_access_phys,
	.cmpxchg_phys	= emul_cmpxchg_phys,
	.get_vec	= emul_get_vec,
	.set_vec	= emul_set_vec,
};

static void emul_start(struct kvmx_vcpu *vcpu)
{
	struct x86_emul_cpu cpu = {
		.maxphyaddr = boot_cpu_data.x86_phys_bits,
		.amd = kvmx_vendor->tdp_ept == false,
		.gbpages = boot_cpu_has(X86_FEATURE_GBPAGES),
	};

	x86_emul_init(to_emul(vcpu), &kvmx_emul_ops, vcpu, &cpu);
}

/* ---- Results into KVM exits ------------------------------------------------ */

static int emul_failure(struct kvmx_vcpu *vcpu)
{
	struct x86_emul *e = to_emul(vcpu);
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	memset(&run->emulation_failure, 0, sizeof(run->emulation_failure));
	run->emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	if (e->insn.len) {
		/* flags, then insn_size and the bytes: three u64s of data. */
		run->emulation_failure.ndata = 3;
		run->emulation_failure.flags =
			KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
		run->emulation_failure.insn_size = e->insn.len;
		memcpy(run->emulation_failure.insn_bytes, e->insn.bytes,
		       e->insn.len);
	}
	return 0;
}

static int emul_result(struct kvmx_vcpu *vcpu, int status)
{
	struct x86_emul *e = to_emul(vcpu);
	struct kvm_run *run = vcpu->run;

	switch (status) {
	case X86EMUL_OK:
	case X86EMUL_RETRY:
		return 1;
	case X86EMUL_EXCEPTION:
		if (e->exc.vector == X86_VEC_PF)
			kvmx_vendor->set_reg(vcpu, KVMX_CR2, e->exc.cr2);
		kvmx_queue_exception(vcpu, e->exc.vector, e->exc.has_error_code,
				     e->exc.error_code);
		return 1;
	case X86EMUL_MMIO:
		run->exit_reason = KVM_EXIT_MMIO;
		run->mmio.phys_addr = e->mmio.gpa;
		run->mmio.len = e->mmio.len;
		run->mmio.is_write = e->mmio.is_write;
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
		if (e->mmio.is_write)
			memcpy(run->mmio.data, e->mmio.data, e->mmio.len);
		vcpu->arch.pending = KVMX_PENDING_MMIO;
		return 0;
	default:
		return emul_failure(vcpu);
	}
}

/* Emulate the instruction at CS:RIP: its memory access found no RAM. */
int kvmx_emulate(struct kvmx_vcpu *vcpu)
{
	emul_start(vcpu);
	return emul_result(vcpu, x86_emulate(to_emul(vcpu), NULL, 0));
}

/* KVM_RUN after an MMIO exit: hand the data in and carry on. */
int kvmx_complete_mmio(struct kvmx_vcpu *vcpu)
{
	struct x86_emul *e = to_emul(vcpu);

	if (!e->mmio.is_write)
		memcpy(e->mmio.data, vcpu->run->mmio.data, e->mmio.len);
	return emul_result(vcpu, x86_emulate_resume(e));
}

/*
 * Length of the intercepted instruction at CS:RIP, for CPUs that do not
 * report it (no NRIPS): decode it.  Negative: the fetch faulted and the
 * exception is queued, or the bytes could not be read at all.
 */
int kvmx_insn_len(struct kvmx_vcpu *vcpu)
{
	struct x86_emul *e = to_emul(vcpu);
	int r;

	emul_start(vcpu);
	r = x86_emul_decode_at_rip(e);
	if (r == X86EMUL_OK)
		return e->insn.len;
	emul_result(vcpu, r);
	return -EAGAIN;
}

/* ---- Guest page walks ----------------------------------------------------- */

static void walk_env(struct kvmx_vcpu *vcpu, struct x86_walk_env *env);

/*
 * Copy @len bytes at linear address @la to or from @buf, page by page, for
 * an access of type @access (X86_ACC_WRITE, X86_ACC_FETCH or 0: read).
 * 0, or -1 with the exception queued (a #PF, unless !@queue_pf) or an
 * emulation failure.
 */
static int linear_access(struct kvmx_vcpu *vcpu, u64 la, void *buf,
			 unsigned int len, u32 access, bool queue_pf)
{
	bool write = access & X86_ACC_WRITE;
	struct x86_walk_env env;
	struct x86_walk_result res;

	if (kvmx_vendor->get_reg(vcpu, KVMX_CPL) == 3)
		access |= X86_ACC_USER;
	walk_env(vcpu, &env);
	while (len) {
		unsigned int n = min_t(unsigned int, len,
				       PAGE_SIZE - offset_in_page(la));

		switch (x86_walk(&env, la, access, &res)) {
		case X86_WALK_OK:
			break;
		case X86_WALK_FAULT:
			if (!queue_pf)
				return -1;
			kvmx_vendor->set_reg(vcpu, KVMX_CR2, res.fault_addr);
			kvmx_queue_exception(vcpu, X86_VEC_PF, true,
					     res.error_code);
			return -1;
		default:
			return -1;
		}
		if (emul_access_phys(vcpu, res.gpa, buf, n, write) != X86_PHYS_OK)
			return -1;
		la += n;
		buf += n;
		len -= n;
	}
	return 0;
}

static int linear_rw(struct kvmx_vcpu *vcpu, u64 la, void *buf,
		     unsigned int len, bool write)
{
	return linear_access(vcpu, la, buf, len, write ? X86_ACC_WRITE : 0,
			     true);
}

/*
 * The guest took #UD at linear address @la.  On AMD, VMCALL (Intel's
 * hypercall) does that: as KVM does while KVM_X86_QUIRK_FIX_HYPERCALL_INSN
 * is on (always, in kvmx), rewrite it to VMMCALL, which the guest then
 * runs.  True when the guest should go on at the same RIP (rewritten, or
 * the write queued #PF); false for #UD: another instruction, one that
 * cannot be fetched again, or memory that cannot be written.
 */
bool kvmx_fix_hypercall(struct kvmx_vcpu *vcpu, u64 la)
{
	static const u8 vmcall[3] = { 0x0f, 0x01, 0xc1 };
	static const u8 vmmcall[3] = { 0x0f, 0x01, 0xd9 };
	u8 insn[3];

	if (linear_access(vcpu, la, insn, sizeof(insn), X86_ACC_FETCH, false) ||
	    memcmp(insn, vmcall, sizeof(insn)))
		return false;
	memcpy(insn, vmmcall, sizeof(insn));
	return !linear_rw(vcpu, la, insn, sizeof(insn), true) ||
	       vcpu->arch.events.exception.injected;
}

/* ---- String port I/O ------------------------------------------------------ */

/*
 * Step the index register and, under REP, RCX over @n elements: only their
 * address-size part moves.
 */
static void string_pio_step(struct kvmx_vcpu *vcpu, unsigned int n)
{
	struct kvmx_string_pio *sp = &vcpu->arch.spio;
	unsigned long *r = vcpu->arch.regs;
	long step = vcpu->arch.rflags & X86_EFLAGS_DF ? -sp->size : sp->size;
	int idx = sp->in ? KVMX_RDI : KVMX_RSI;

	r[idx] = (r[idx] & ~sp->amask) | ((r[idx] + (long)n * step) & sp->amask);
	if (sp->rep)
		r[KVMX_RCX] = (r[KVMX_RCX] & ~sp->amask) |
			      ((r[KVMX_RCX] - n) & sp->amask);
}

/*
 * Only a string without REP is over after its element.  As in KVM, a REP
 * keeps RIP at itself even when RCX reached 0 (userspace sees it there
 * at the last OUTS exit): the guest runs it again, then as a no-op.
 */
static void string_pio_finish(struct kvmx_vcpu *vcpu)
{
	if (!vcpu->arch.spio.rep)
		vcpu->arch.regs[KVMX_RIP] += vcpu->arch.spio.len;
}

/*
 * INS and OUTS go to userspace through KVM_EXIT_IO like IN and OUT, with
 * the data in the PIO page.  As in KVM, OUTS sends one element per exit
 * and is done with it (RSI and RCX stepped) before userspace sees it;
 * INS reads ahead as many elements as fit before RDI crosses a page and
 * stores them on the next KVM_RUN.  A REP with RCX 0 is skipped.
 */
int kvmx_string_pio(struct kvmx_vcpu *vcpu, const struct kvmx_exit *exit)
{
	struct x86_emul *e = to_emul(vcpu);
	unsigned long *r = vcpu->arch.regs;
	struct kvmx_string_pio *sp = &vcpu->arch.spio;
	struct kvm_run *run = vcpu->run;
	struct kvm_segment seg;
	u64 amask, count, la;
	unsigned int n, size = exit->io.size;
	int st;

	emul_start(vcpu);
	st = x86_emul_decode_at_rip(e);
	if (st != X86EMUL_OK)
		return emul_result(vcpu, st);

	amask = e->insn.ad_size == 8 ? ~0ULL : (1ULL << (e->insn.ad_size * 8)) - 1;
	count = exit->io.rep ? r[KVMX_RCX] & amask : 1;
	if (!count) {
		r[KVMX_RIP] += e->insn.len;
		return 1;
	}
	sp->len = e->insn.len;
	sp->amask = amask;
	sp->rep = exit->io.rep;
	sp->in = exit->io.in;
	sp->size = size;

	if (exit->io.in) {
		u64 di = r[KVMX_RDI] & amask;
		unsigned int room = vcpu->arch.rflags & X86_EFLAGS_DF ?
				    offset_in_page(di) : PAGE_SIZE - offset_in_page(di);

		n = min_t(u64, min_t(u64, room, 1024 / size), count);
		n = max(n, 1U);
		sp->count = n;
		vcpu->arch.pending = KVMX_PENDING_STRING_PIO;
	} else {
		/* The source: DS:RSI, or the segment the prefix names. */
		kvmx_vendor->get_seg(vcpu, e->insn.seg == X86_SEG_NONE ? KVMX_DS :
				     (enum kvmx_seg)e->insn.seg, &seg);
		la = seg.base + (r[KVMX_RSI] & amask);
		if (e->insn.mode != X86_EXEC_LONG64)
			la = (u32)la;
		n = 1;
		if (linear_rw(vcpu, la, page_address(vcpu->pio_page), size, false))
			return vcpu->arch.events.exception.injected ? 1 :
			       emul_failure(vcpu);
		/*
		 * Userspace gets the element with the instruction already
		 * past it, so what it does to RCX or RSI meanwhile is what
		 * the guest goes on with.
		 */
		string_pio_step(vcpu, 1);
		string_pio_finish(vcpu);
		if (kvmx_io_bus_write(vcpu->vm, KVMX_PIO_BUS, exit->io.port,
				      size, page_address(vcpu->pio_page)))
			return 1;
	}

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = exit->io.in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = exit->io.port;
	run->io.count = n;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	return 0;
}

/*
 * KVM_RUN after an INS exit: store the data and step the registers.  They
 * are what userspace left: like KVM, store no more elements than the RCX
 * it set (none for 0, which just ends the string).
 */
int kvmx_complete_string_pio(struct kvmx_vcpu *vcpu)
{
	struct kvmx_string_pio *sp = &vcpu->arch.spio;
	unsigned long *r = vcpu->arch.regs;
	long step = vcpu->arch.rflags & X86_EFLAGS_DF ? -sp->size : sp->size;
	u8 *data = page_address(vcpu->pio_page);
	unsigned int i, n = sp->count;
	struct kvm_segment es;
	bool long_mode;
	u64 la;

	if (sp->rep)
		n = min_t(u64, n, r[KVMX_RCX] & sp->amask);
	kvmx_vendor->get_seg(vcpu, KVMX_ES, &es);
	long_mode = kvmx_vendor->get_reg(vcpu, KVMX_EFER) & EFER_LMA;
	for (i = 0; i < n; i++) {
		la = es.base + ((r[KVMX_RDI] + (long)i * step) & sp->amask);
		if (!long_mode)
			la = (u32)la;
		if (linear_rw(vcpu, la, data + i * sp->size, sp->size, true)) {
			/* The elements stored so far count; RIP stays. */
			string_pio_step(vcpu, i);
			return vcpu->arch.events.exception.injected ? 1 :
			       emul_failure(vcpu);
		}
	}
	string_pio_step(vcpu, n);
	string_pio_finish(vcpu);
	return 1;
}

static void walk_env(struct kvmx_vcpu *vcpu, struct x86_walk_env *env)
{
	memset(env, 0, sizeof(*env));
	env->cr0 = kvmx_vendor->get_reg(vcpu, KVMX_CR0);
	env->cr3 = kvmx_vendor->get_reg(vcpu, KVMX_CR3);
	env->cr4 = kvmx_vendor->get_reg(vcpu, KVMX_CR4);
	env->efer = kvmx_vendor->get_reg(vcpu, KVMX_EFER);
	env->pkru = vcpu->arch.pkru;
	env->maxphyaddr = boot_cpu_data.x86_phys_bits;
	env->amd = !kvmx_vendor->tdp_ept;
	env->gbpages = boot_cpu_has(X86_FEATURE_GBPAGES);
	env->rw = emul_access_phys;
	env->cmpxchg = emul_cmpxchg_phys;
	env->opaque = vcpu;
}

/* KVM_TRANSLATE: a supervisor read walk, as KVM's, which sets A bits. */
int kvmx_translate(struct kvmx_vcpu *vcpu, struct kvm_translation *tr)
{
	struct x86_walk_env env;
	struct x86_walk_result res;

	walk_env(vcpu, &env);
	if (x86_walk(&env, tr->linear_address, 0, &res) == X86_WALK_OK) {
		tr->physical_address = res.gpa;
		tr->valid = 1;
	} else {
		tr->physical_address = ~0ULL;
		tr->valid = 0;
	}
	tr->writeable = 1;
	tr->usermode = 0;
	return 0;
}

int kvmx_emul_create(struct kvmx_vcpu *vcpu)
{
	vcpu->arch.emul = kzalloc(sizeof(struct x86_emul), GFP_KERNEL_ACCOUNT);
	return vcpu->arch.emul ? 0 : -ENOMEM;
}

void kvmx_emul_free(struct kvmx_vcpu *vcpu)
{
	kfree(vcpu->arch.emul);
}
