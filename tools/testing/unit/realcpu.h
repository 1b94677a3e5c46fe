/* SPDX-License-Identifier: GPL-2.0 */
/* Run one instruction on the host CPU, with full register control. */
#ifndef UNIT_REALCPU_H
#define UNIT_REALCPU_H

#include <stdint.h>

struct cpu_state {
	uint64_t gpr[16];
	uint64_t rflags;
	uint64_t pad[3];
	uint8_t ymm[16][32];
} __attribute__((aligned(32)));

/*
 * Code page, then REAL_DATA_PAGES data pages, then a PROT_NONE guard page
 * (accesses running into it #PF), all below 2 GiB.
 */
#define REAL_DATA_PAGES	3
#define REAL_DATA_SIZE	(REAL_DATA_PAGES * 4096)

struct real_fault {
	int signo;		/* 0 if the instruction completed */
	int trapno;		/* exception vector */
	unsigned long err;	/* error code */
	unsigned long addr;	/* CR2 for #PF */
	/* Registers at the fault, in encoding order (REP progress). */
	uint64_t gpr[16];
	uint64_t rflags, rip;
};

int real_init(void);

/* Shared by both trampolines: the fault handler longjmps to real_jb. */
#include <setjmp.h>
extern sigjmp_buf real_jb;
extern struct real_fault real_last;
int real_catch_init(void);
uint8_t *real_code_page(void);
uint8_t *real_slot(void);		/* where the instruction goes */
uint8_t *real_data(void);
/* Returns 0, or -1 if the instruction faulted (see *f). */
int real_run(const uint8_t *insn, unsigned int len,
	     const struct cpu_state *in, struct cpu_state *out,
	     uint64_t gs_base, struct real_fault *f);

/*
 * The same in 32-bit (code16 = 0) or 16-bit (code16 = 1) compatibility
 * mode.  Only the low halves of gpr[0..7] are loaded and meaningful; GS is
 * LDT entry 0, which real32_set_gs() sets up.  16-bit code runs in an LDT
 * code segment based at real16_cs_base(), limit 0xfff.  real32_init()
 * fails where the kernel offers no 32-bit user code or no modify_ldt().
 */
int real32_init(void);
uint8_t *real32_slot(int code16);
uint64_t real16_cs_base(void);
int real32_set_gs(uint32_t base, uint32_t limit, int expand_down,
		  int read_only);
int real32_run(const uint8_t *insn, unsigned int len,
	       const struct cpu_state *in, struct cpu_state *out,
	       struct real_fault *f, int code16);

#endif
