// SPDX-License-Identifier: GPL-2.0
/*
 * Run one instruction on the host CPU in 32-bit or 16-bit compatibility
 * mode.  The trampolines are generated at run time below 2 GiB: 64-bit
 * code loads the YMM registers, switches to a low stack and lretq's into
 * CS 0x23 (32-bit) or an LDT 16-bit code segment; that code loads GS from
 * an LDT entry (the segment under test), the GPRs and EFLAGS, runs the
 * instruction, saves everything with absolute stores and far-jumps back
 * to CS 0x33.  Nothing touches FS, so glibc's TLS is safe even when the
 * instruction faults and the signal handler longjmps out.
 */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "realcpu.h"

/* The low area: 64/32-bit code, scratch, stack, 16-bit code. */
#define PG_CODE		0
#define PG_SCR		1
#define PG_STACK	2
#define PG_CODE16	3
#define AREA_PAGES	4

#define SCR_IN		0x000	/* struct cpu_state (32-bit regs in gpr[]) */
#define SCR_OUT		0x300
#define SCR_SAVED_RSP	0x600
#define SCR_SAVED_ESP	0x608
#define SCR_TARGET	0x610	/* lretq target: offset, then selector */

#define SEL_GS		0x07	/* LDT 0, RPL 3 */
#define SEL_CODE16	0x0f	/* LDT 1, RPL 3 */

static uint8_t *area, *slot[2], *entry[2];
static void (*stub)(void);

struct emit {
	uint8_t *p;
	int code16;
};

static void b(struct emit *e, int n, ...)
{
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		*e->p++ = va_arg(ap, int);
	va_end(ap);
}

static void d32(struct emit *e, uint64_t v)
{
	memcpy(e->p, &v, 4);
	e->p += 4;
}

/* 32-bit operand and address size, whatever the code size. */
static void o32(struct emit *e)
{
	if (e->code16)
		b(e, 1, 0x66);
}

static void oa32(struct emit *e)
{
	if (e->code16)
		b(e, 2, 0x66, 0x67);
}

static uint32_t scr(unsigned int off)
{
	return (uint32_t)(uintptr_t)(area + PG_SCR * 4096 + off);
}

/* op reg, [abs32] with 32-bit operands. */
static void mem_abs(struct emit *e, uint8_t op, int reg, unsigned int off)
{
	oa32(e);
	b(e, 2, op, 0x05 | (reg << 3));
	d32(e, scr(off));
}

/* The part that runs in 32-bit or 16-bit code. */
static void build_body(struct emit *e, uint8_t *back64, int code16)
{
	int i;

	e->code16 = code16;
	entry[code16] = e->p;
	/* 64-bit Linux runs with null DS/ES, unusable outside 64-bit. */
	if (!code16)
		b(e, 1, 0x66);
	b(e, 3, 0xb8, 0x2b, 0x00);			/* mov ax, USER_DS */
	b(e, 4, 0x8e, 0xd8, 0x8e, 0xc0);		/* mov ds, ax; es */
	if (!code16)
		b(e, 1, 0x66);
	b(e, 3, 0xb8, SEL_GS, 0x00);
	b(e, 2, 0x8e, 0xe8);				/* mov gs, ax */
	mem_abs(e, 0x89, 4, SCR_SAVED_ESP);		/* mov [], esp */
	mem_abs(e, 0xff, 6, SCR_IN + 128);		/* push dword [] */
	o32(e);
	b(e, 1, 0x9d);					/* popfd */
	for (i = 0; i < 8; i++)
		mem_abs(e, 0x8b, i, SCR_IN + 8 * i);	/* mov reg, [] */
	slot[code16] = e->p;
	memset(e->p, 0x90, 16);
	e->p += 16;
	for (i = 0; i < 8; i++)
		mem_abs(e, 0x89, i, SCR_OUT + 8 * i);	/* mov [], reg */
	mem_abs(e, 0x8b, 4, SCR_SAVED_ESP);		/* mov esp, [] */
	o32(e);
	b(e, 1, 0x9c);					/* pushfd */
	mem_abs(e, 0x8f, 0, SCR_OUT + 128);		/* pop dword [] */
	o32(e);
	b(e, 2, 0x6a, 0x02);
	o32(e);
	b(e, 1, 0x9d);					/* DF, AC off */
	o32(e);
	b(e, 1, 0xea);
	d32(e, (uint32_t)(uintptr_t)back64);
	b(e, 2, 0x33, 0x00);				/* jmp 0x33:back64 */
}

static void build(void)
{
	struct emit e = { area, 0 };
	uint8_t *back64;
	int i;

	/* 64-bit: save callee-saved registers and RSP, load YMM0-15. */
	b(&e, 10, 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57);
	b(&e, 4, 0x48, 0x89, 0x24, 0x25);
	d32(&e, scr(SCR_SAVED_RSP));			/* mov [abs], rsp */
	for (i = 0; i < 16; i++) {
		/* vmovdqu ymmN, [abs32] : c4 (R,X=1,B=1) map1, L=1, pp=F3 */
		b(&e, 5, 0xc4, (i < 8 ? 0x80 : 0) | 0x61, 0x7e, 0x6f,
		  ((i & 7) << 3) | 4);
		b(&e, 1, 0x25);
		d32(&e, scr(SCR_IN + 160 + 32 * i));
	}
	b(&e, 1, 0xbc);
	d32(&e, (uint32_t)(uintptr_t)(area + (PG_STACK + 1) * 4096 - 64));
	b(&e, 3, 0xff, 0x34, 0x25);
	d32(&e, scr(SCR_TARGET + 8));			/* push selector */
	b(&e, 3, 0xff, 0x34, 0x25);
	d32(&e, scr(SCR_TARGET));			/* push offset */
	b(&e, 2, 0x48, 0xcb);				/* lretq */

	back64 = e.p;
	b(&e, 4, 0x48, 0x8b, 0x24, 0x25);
	d32(&e, scr(SCR_SAVED_RSP));			/* mov rsp, [abs] */
	for (i = 0; i < 16; i++) {
		b(&e, 5, 0xc4, (i < 8 ? 0x80 : 0) | 0x61, 0x7e, 0x7f,
		  ((i & 7) << 3) | 4);
		b(&e, 1, 0x25);
		d32(&e, scr(SCR_OUT + 160 + 32 * i));
	}
	b(&e, 3, 0xc5, 0xf8, 0x77);			/* vzeroupper */
	b(&e, 11, 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b,
	  0xc3);

	e.p = (uint8_t *)(((uintptr_t)e.p + 15) & ~15ULL);
	build_body(&e, back64, 0);
	e.p = area + PG_CODE16 * 4096;
	build_body(&e, back64, 1);
	stub = (void (*)(void))area;
}

static int set_ldt(unsigned int n, uint32_t base, uint32_t limit, int code,
		   int bits32, int expand_down, int read_only)
{
	struct user_desc d = {
		.entry_number = n,
		.base_addr = base,
		.limit = limit,
		.seg_32bit = bits32,
		.contents = code ? MODIFY_LDT_CONTENTS_CODE :
			    expand_down ? MODIFY_LDT_CONTENTS_STACK :
			    MODIFY_LDT_CONTENTS_DATA,
		.read_exec_only = read_only,
		.useable = 1,
	};

	return syscall(SYS_modify_ldt, 1, &d, sizeof(d)) ? -1 : 0;
}

int real32_init(void)
{
	struct real_fault f;
	struct cpu_state in, out;
	int code16;

	area = mmap(NULL, AREA_PAGES * 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (area == MAP_FAILED)
		return -1;
	build();
	if (real_catch_init())
		return -1;
	if (real32_set_gs(0, 0xfffff, 0, 0) ||
	    set_ldt(1, (uint32_t)(uintptr_t)(area + PG_CODE16 * 4096), 0xfff,
		    1, 0, 0, 0))
		return -1;

	/* Probe: a NOP must run and EAX come back (no IA32 or LDT: skip). */
	for (code16 = 0; code16 < 2; code16++) {
		memset(&in, 0, sizeof(in));
		in.gpr[0] = 0x12345678;
		in.rflags = 0x202;
		if (real32_run((const uint8_t *)"\x90", 1, &in, &out, &f,
			       code16) || out.gpr[0] != 0x12345678)
			return -1;
	}
	return 0;
}

uint8_t *real32_slot(int code16)
{
	return slot[code16];
}

uint64_t real16_cs_base(void)
{
	return (uintptr_t)(area + PG_CODE16 * 4096);
}

/* LDT entry 0, what GS gets: data, 32-bit, byte-granular limit. */
int real32_set_gs(uint32_t base, uint32_t limit, int expand_down,
		  int read_only)
{
	return set_ldt(0, base, limit, 0, 1, expand_down, read_only);
}

int real32_run(const uint8_t *insn, unsigned int len,
	       const struct cpu_state *in, struct cpu_state *out,
	       struct real_fault *f, int code16)
{
	uint64_t target[2];

	target[0] = (uintptr_t)entry[code16] -
		    (code16 ? real16_cs_base() : 0);
	target[1] = code16 ? SEL_CODE16 : 0x23;
	memcpy(area + PG_SCR * 4096 + SCR_TARGET, target, sizeof(target));
	memset(slot[code16], 0x90, 16);
	memcpy(slot[code16], insn, len);
	memcpy(area + PG_SCR * 4096 + SCR_IN, in, sizeof(*in));
	memset(&real_last, 0, sizeof(real_last));
	if (sigsetjmp(real_jb, 1) == 0) {
		stub();
		memcpy(out, area + PG_SCR * 4096 + SCR_OUT, sizeof(*out));
		return 0;
	}
	__asm__ volatile("pushq $0x202; popfq; vzeroupper");
	*f = real_last;
	return -1;
}
