/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 instruction emulator for MMIO exits and next-RIP computation.
 *
 * The caller fills a struct x86_emul_ops that maps onto its vCPU and calls
 * x86_emulate().  The emulator fetches through the guest page tables,
 * decodes, checks segments and paging like the CPU, and executes the
 * instruction against guest memory through ops->access_phys.  Guest-
 * physical ranges that are not RAM (access_phys says X86_PHYS_MMIO) are
 * handed back to the caller, one piece of at most 8 bytes at a time, as
 * an X86EMUL_MMIO status with e->mmio filled in:
 *
 *  - MMIO read: nothing of the guest state has changed yet.  The caller
 *    exits to userspace, puts the data it got into e->mmio.data and calls
 *    x86_emulate_resume().  That re-executes the same decoded instruction;
 *    the reads already answered are replayed from a log, so the
 *    instruction gets one step further each time and finally completes.
 *  - MMIO write: the instruction has completed and its register state is
 *    committed; the caller exits to userspace with e->mmio, then calls
 *    x86_emulate_resume() which hands out the next piece, if any, or
 *    returns X86EMUL_OK.
 *
 * Guest state is only written when an instruction (or one iteration of a
 * REP string instruction) completes, so any exception or MMIO read exit
 * leaves the guest exactly as it was.
 */
#ifndef KVMX_EMUL_EMULATE_H
#define KVMX_EMUL_EMULATE_H

#include "emul_types.h"
#include "decode.h"
#include "walk.h"

/* RFLAGS bits. */
#define X86_FL_CF	EMUL_BIT(0)
#define X86_FL_PF	EMUL_BIT(2)
#define X86_FL_AF	EMUL_BIT(4)
#define X86_FL_ZF	EMUL_BIT(6)
#define X86_FL_SF	EMUL_BIT(7)
#define X86_FL_TF	EMUL_BIT(8)
#define X86_FL_DF	EMUL_BIT(10)
#define X86_FL_OF	EMUL_BIT(11)
#define X86_FL_RF	EMUL_BIT(16)
#define X86_FL_VM	EMUL_BIT(17)
#define X86_FL_AC	EMUL_BIT(18)
#define X86_FL_ARITH	(X86_FL_CF | X86_FL_PF | X86_FL_AF | X86_FL_ZF | \
			 X86_FL_SF | X86_FL_OF)

/* Exception vectors the emulator raises. */
#define X86_VEC_UD	6
#define X86_VEC_NM	7
#define X86_VEC_SS	12
#define X86_VEC_GP	13
#define X86_VEC_PF	14
#define X86_VEC_AC	17

/* A segment register's hidden part, as VMCB/VMCS hold it. */
struct x86_seg_desc {
	u64 base;
	u32 limit;		/* in bytes, granularity already applied */
	u16 sel;
	u8 type;		/* 4-bit type field */
	u8 s:1;			/* code/data (1) or system (0) */
	u8 dpl:2;
	u8 p:1;
	u8 db:1;
	u8 l:1;
	u8 g:1;
	u8 unusable:1;		/* null selector loaded */
};

enum x86_ctl {
	X86_CTL_CR0,
	X86_CTL_CR3,
	X86_CTL_CR4,
	X86_CTL_EFER,
	X86_CTL_XCR0,
	X86_CTL_PKRU,
	X86_CTL_CPL,
};

struct x86_emul_ops {
	u64 (*get_gpr)(void *opaque, unsigned int reg);
	void (*set_gpr)(void *opaque, unsigned int reg, u64 val);
	u64 (*get_rip)(void *opaque);
	void (*set_rip)(void *opaque, u64 rip);
	u64 (*get_rflags)(void *opaque);
	void (*set_rflags)(void *opaque, u64 rflags);
	void (*get_seg)(void *opaque, enum x86_seg seg,
			struct x86_seg_desc *desc);
	u64 (*get_ctl)(void *opaque, enum x86_ctl which);
	/*
	 * Guest-physical memory.  RAM and in-kernel devices complete here;
	 * X86_PHYS_MMIO sends the access to userspace.  Never called with a
	 * range that crosses a page.
	 */
	x86_phys_rw_fn access_phys;
	x86_phys_cmpxchg_fn cmpxchg_phys;
	/* The low @len (16 or 32) bytes of XMM/YMM register @reg. */
	void (*get_vec)(void *opaque, unsigned int reg, void *buf,
			unsigned int len);
	/* Write @len bytes; zero the rest of the register (VEX) if asked. */
	void (*set_vec)(void *opaque, unsigned int reg, const void *buf,
			unsigned int len, bool zero_upper);
};

/* CPU model facts the emulator cannot ask the vCPU for. */
struct x86_emul_cpu {
	u8 maxphyaddr;
	/*
	 * AMD where vendors differ: bit 8 of non-leaf PML4E/PDPTE is MBZ,
	 * MOVSXD with 66 reads a dword, 16/32-byte vectors are #AC-checked
	 * for 16-byte alignment.
	 */
	bool amd;
	bool gbpages;		/* 1 GiB pages exist */
};

enum x86_emul_status {
	X86EMUL_OK,		/* done (or one REP iteration done): resume */
	X86EMUL_EXCEPTION,	/* inject e->exc; guest state untouched */
	X86EMUL_MMIO,		/* exit to userspace with e->mmio */
	X86EMUL_UNHANDLEABLE,	/* not emulated; e->insn.bytes say what */
	X86EMUL_RETRY,		/* a race with another CPU: just re-enter */
};

struct x86_exception {
	u8 vector;
	bool has_error_code;
	u32 error_code;
	u64 cr2;		/* #PF only */
};

/* One piece of an MMIO access, KVM_EXIT_MMIO-shaped. */
struct x86_mmio {
	u64 gpa;
	u32 len;		/* 1..8 */
	bool is_write;
	u8 data[8];
};

#define X86_EMUL_MAX_PIECES	8
#define X86_EMUL_MAX_DATA	64

struct x86_emul {
	/* Set by x86_emul_init(). */
	const struct x86_emul_ops *ops;
	void *opaque;
	struct x86_emul_cpu cpu;

	/* Outputs. */
	struct x86_insn insn;
	struct x86_exception exc;
	struct x86_mmio mmio;
	const char *why;	/* reason for X86EMUL_UNHANDLEABLE */
	bool rep_pending;	/* a REP iteration done, RIP not advanced */
	/*
	 * RFLAGS.TF was set: with X86EMUL_OK the caller owes the guest a
	 * single-step #DB (DR6.BS) now, as the CPU raises one after each
	 * instruction and each REP iteration.
	 */
	bool singlestep;

	/* Private: state of the instruction in flight. */
	u8 state;
	u8 cpl;
	u8 mode;
	u64 cr0, cr4, efer;
	u64 rip, rflags;
	u64 gpr[X86_NR_GPRS];
	u32 gpr_valid, gpr_dirty;
	bool rflags_dirty;
	bool rip_dirty;

	/* A vector register write, done at commit like the GPRs. */
	bool vec_dirty;
	bool vec_zero_upper;
	u8 vec_reg, vec_len;
	u8 vec_buf[32];

	/* MMIO read data the caller supplied, replayed on re-execution. */
	u8 rd_data[X86_EMUL_MAX_DATA];
	u8 rd_len, rd_pos;

	/* MMIO writes queued while executing, handed out after commit. */
	struct {
		u64 gpa;
		u8 off, len;
	} wr[X86_EMUL_MAX_PIECES];
	u8 wr_data[X86_EMUL_MAX_DATA];
	u8 wr_n, wr_pos, wr_len;
};

void x86_emul_init(struct x86_emul *e, const struct x86_emul_ops *ops,
		   void *opaque, const struct x86_emul_cpu *cpu);

/*
 * Emulate the instruction at CS:RIP.  @bytes/@nbytes, if not NULL, are the
 * instruction bytes the hardware already fetched (decode assists); more
 * are fetched if they are not enough.  Discards any MMIO still pending.
 */
int x86_emulate(struct x86_emul *e, const u8 *bytes, unsigned int nbytes);

/* Continue after an X86EMUL_MMIO exit (read data in e->mmio.data). */
int x86_emulate_resume(struct x86_emul *e);

/*
 * Fetch and decode the instruction at CS:RIP without running it, for
 * next-RIP of intercepted instructions.  X86EMUL_OK and e->insn.len, or
 * X86EMUL_EXCEPTION for a fetch fault.
 */
int x86_emul_decode_at_rip(struct x86_emul *e);

#endif /* KVMX_EMUL_EMULATE_H */
