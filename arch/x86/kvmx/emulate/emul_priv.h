/* SPDX-License-Identifier: GPL-2.0 */
/* Internal interface between the emulator's files. */
#ifndef KVMX_EMUL_PRIV_H
#define KVMX_EMUL_PRIV_H

#include "emulate.h"

enum emul_state {
	EMUL_IDLE,
	EMUL_WAIT_READ,		/* re-execute once the data is in */
	EMUL_WAIT_WRITE,	/* hand out the next queued write */
};

static inline u64 size_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static inline bool emul_long64(const struct x86_emul *e)
{
	return e->mode == X86_EXEC_LONG64;
}

/* emulate.c: registers and outcomes. */
u64 emul_gpr(struct x86_emul *e, unsigned int reg);
void emul_set_gpr(struct x86_emul *e, unsigned int reg, u64 val);
u64 emul_reg(struct x86_emul *e, unsigned int reg, unsigned int size);
void emul_set_reg(struct x86_emul *e, unsigned int reg, unsigned int size,
		  u64 val);
void emul_set_flags(struct x86_emul *e, u64 mask, u64 val);
int emul_exception(struct x86_emul *e, u8 vector, bool has_ec, u32 ec);
int emul_ud(struct x86_emul *e);
int emul_gp0(struct x86_emul *e);
int emul_unhandled(struct x86_emul *e, const char *why);
void emul_done(struct x86_emul *e);
void emul_set_vec(struct x86_emul *e, unsigned int reg, const void *buf,
		  unsigned int len, bool zero_upper);

/* mem.c: segmentation, paging and MMIO for data accesses. */
u64 emul_ea(struct x86_emul *e);
#define EMUL_M_RMW	0x1	/* read with write intent (RMW, XCHG..) */
#define EMUL_M_ALIGN	0x2	/* must be aligned to its size, else #GP */

int emul_read(struct x86_emul *e, u8 seg, u64 ea, void *buf,
	      unsigned int size, unsigned int flags);
int emul_write(struct x86_emul *e, u8 seg, u64 ea, const void *buf,
	       unsigned int size, unsigned int flags);
int emul_write_locked(struct x86_emul *e, u8 seg, u64 ea, u64 old,
		      u64 new, unsigned int size);
int emul_linearize(struct x86_emul *e, u8 seg, u64 ea, unsigned int size,
		   bool write, u64 *la);
int emul_xlate(struct x86_emul *e, u64 la, u32 access, u64 *gpa);
void emul_walk_env(struct x86_emul *e, struct x86_walk_env *env);

/* insn_int.c and insn_vec.c: the instructions; EMUL_NOT_MINE if unknown. */
#define EMUL_NOT_MINE	(-1)

int emul_exec_int(struct x86_emul *e);
int emul_exec_vec(struct x86_emul *e);

#endif /* KVMX_EMUL_PRIV_H */
