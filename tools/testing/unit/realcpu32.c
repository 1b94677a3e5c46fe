// SPDX-License-Identifier: GPL-2.0
/*
 * Run one instruction on the host CPU in 32-bit compatibility mode.  The
 * trampoline is generated at run time below 2 GiB: 64-bit code loads the
 * YMM registers, switches to a low stack and lretq's into CS 0x23; 32-bit
 * code loads GS from an LDT entry (the segment under test), the GPRs and
 * EFLAGS, runs the instruction, saves everything with absolute stores and
 * ljmp's back to CS 0x33.  Nothing touches FS, so glibc's TLS is safe
 * even when the instruction faults and the signal handler longjmps out.
 */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <asm/prctl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "realcpu.h"

/* Layout of the low area: code page, scratch page, stack page. */
#define SCR_IN		0x000	/* struct cpu_state (32-bit regs in gpr[]) */
#define SCR_OUT		0x300
#define SCR_SAVED_RSP	0x600
#define SCR_SAVED_ESP	0x608

static uint8_t *area, *slot;
static void (*stub)(void);

struct emit {
	uint8_t *p;
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

static uint32_t scr(unsigned int off)
{
	return (uint32_t)(uintptr_t)(area + 4096 + off);
}

static void build(void)
{
	struct emit e = { area };
	uint8_t *back64, *compat;
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
	d32(&e, (uint32_t)(uintptr_t)(area + 3 * 4096 - 64));	/* mov esp */
	b(&e, 2, 0x6a, 0x23);				/* push 0x23 */
	b(&e, 1, 0x68);
	compat = e.p;
	d32(&e, 0);					/* push compat */
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

	/* 32-bit code. */
	e.p = (uint8_t *)(((uintptr_t)e.p + 15) & ~15ULL);
	memcpy(compat, &(uint32_t){ (uint32_t)(uintptr_t)e.p }, 4);
	/* 64-bit Linux runs with null DS/ES, unusable in 32-bit code. */
	b(&e, 4, 0x66, 0xb8, 0x2b, 0x00);		/* mov ax, USER_DS */
	b(&e, 4, 0x8e, 0xd8, 0x8e, 0xc0);		/* mov ds, ax; es */
	b(&e, 4, 0x66, 0xb8, 0x07, 0x00);		/* mov ax, LDT0|3 */
	b(&e, 2, 0x8e, 0xe8);				/* mov gs, ax */
	b(&e, 2, 0x89, 0x25);
	d32(&e, scr(SCR_SAVED_ESP));			/* mov [abs], esp */
	b(&e, 2, 0xff, 0x35);
	d32(&e, scr(SCR_IN + 128));			/* push [flags] */
	b(&e, 1, 0x9d);					/* popfd */
	for (i = 0; i < 8; i++) {
		b(&e, 2, 0x8b, 0x05 | (i << 3));
		d32(&e, scr(SCR_IN + 8 * i));		/* mov reg, [abs] */
	}
	slot = e.p;
	memset(e.p, 0x90, 16);
	e.p += 16;
	for (i = 0; i < 8; i++) {
		b(&e, 2, 0x89, 0x05 | (i << 3));
		d32(&e, scr(SCR_OUT + 8 * i));		/* mov [abs], reg */
	}
	b(&e, 2, 0x8b, 0x25);
	d32(&e, scr(SCR_SAVED_ESP));			/* mov esp, [abs] */
	b(&e, 1, 0x9c);					/* pushfd */
	b(&e, 2, 0x8f, 0x05);
	d32(&e, scr(SCR_OUT + 128));			/* pop [flags] */
	b(&e, 3, 0x6a, 0x02, 0x9d);			/* DF, AC off */
	b(&e, 1, 0xea);
	d32(&e, (uint32_t)(uintptr_t)back64);
	b(&e, 2, 0x33, 0x00);				/* ljmp 0x33:back64 */
	stub = (void (*)(void))area;
}

int real32_init(void)
{
	struct real_fault f;
	struct cpu_state in, out;

	area = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (area == MAP_FAILED)
		return -1;
	build();
	if (real_catch_init())
		return -1;

	/* Probe: a NOP must run and EAX come back (no IA32 or LDT: skip). */
	memset(&in, 0, sizeof(in));
	in.gpr[0] = 0x12345678;
	in.rflags = 0x202;
	if (real32_set_gs(0, 0xfffff, 0, 0))
		return -1;
	if (real32_run((const uint8_t *)"\x90", 1, &in, &out, &f) ||
	    out.gpr[0] != 0x12345678)
		return -1;
	return 0;
}

uint8_t *real32_slot(void)
{
	return slot;
}

/* LDT entry 0, what GS gets: data, 32-bit, byte-granular limit. */
int real32_set_gs(uint32_t base, uint32_t limit, int expand_down,
		  int read_only)
{
	struct user_desc d = {
		.entry_number = 0,
		.base_addr = base,
		.limit = limit,
		.seg_32bit = 1,
		.contents = expand_down ? MODIFY_LDT_CONTENTS_STACK :
					  MODIFY_LDT_CONTENTS_DATA,
		.read_exec_only = read_only,
		.useable = 1,
	};

	return syscall(SYS_modify_ldt, 1, &d, sizeof(d)) ? -1 : 0;
}

int real32_run(const uint8_t *insn, unsigned int len,
	       const struct cpu_state *in, struct cpu_state *out,
	       struct real_fault *f)
{
	memset(slot, 0x90, 16);
	memcpy(slot, insn, len);
	memcpy(area + 4096 + SCR_IN, in, sizeof(*in));
	memset(&real_last, 0, sizeof(real_last));
	if (sigsetjmp(real_jb, 1) == 0) {
		stub();
		memcpy(out, area + 4096 + SCR_OUT, sizeof(*out));
		return 0;
	}
	__asm__ volatile("pushq $0x202; popfq; vzeroupper");
	*f = real_last;
	return -1;
}
