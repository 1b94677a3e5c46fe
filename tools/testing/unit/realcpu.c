// SPDX-License-Identifier: GPL-2.0
/* See realcpu.h and realcpu.S. */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "realcpu.h"

extern const uint8_t tramp_start[], tramp_slot[], tramp_out[], tramp_end[];

static uint8_t *area;
sigjmp_buf real_jb;
struct real_fault real_last;

static void on_fault(int sig, siginfo_t *si, void *uc_)
{
	static const int map[16] = {
		REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI,
		REG_RDI, REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13,
		REG_R14, REG_R15,
	};
	greg_t *gr;
	int i;

	/* The kernel leaves RFLAGS.AC set for the handler: clear it first. */
	__asm__ volatile("pushq $0x202; popfq" ::: "cc", "memory");
	gr = ((ucontext_t *)uc_)->uc_mcontext.gregs;
	real_last.signo = sig;
	real_last.trapno = gr[REG_TRAPNO];
	real_last.err = gr[REG_ERR];
	real_last.addr = (unsigned long)si->si_addr;
	for (i = 0; i < 16; i++)
		real_last.gpr[i] = gr[map[i]];
	real_last.rflags = gr[REG_EFL];
	real_last.rip = gr[REG_RIP];
	siglongjmp(real_jb, 1);
}

/* One handler for both trampolines; it runs on its own stack. */
int real_catch_init(void)
{
	static uint8_t altstack[65536];
	static int done;
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa;

	if (done)
		return 0;
	if (sigaltstack(&ss, NULL))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	done = 1;
	return 0;
}

int real_init(void)
{
	size_t tlen = tramp_end - tramp_start;

	if (tlen > 4096)
		return -1;
	area = mmap(NULL, 4096 * (2 + REAL_DATA_PAGES),
		    PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (area == MAP_FAILED ||
	    mprotect(area + 4096 * (1 + REAL_DATA_PAGES), 4096, PROT_NONE))
		return -1;
	memcpy(area, tramp_start, tlen);
	return real_catch_init();
}

uint8_t *real_code_page(void)
{
	return area;
}

uint8_t *real_slot(void)
{
	return area + (tramp_slot - tramp_start);
}

uint8_t *real_data(void)
{
	return area + 4096;
}

int real_run(const uint8_t *insn, unsigned int len,
	     const struct cpu_state *in, struct cpu_state *out,
	     uint64_t gs_base, struct real_fault *f)
{
	void (*fn)(const struct cpu_state *) = (void *)area;
	uint8_t *slot = real_slot();

	memset(slot, 0x90, 16);
	memcpy(slot, insn, len);
	syscall(SYS_arch_prctl, ARCH_SET_GS, gs_base);
	memset(&real_last, 0, sizeof(real_last));
	if (sigsetjmp(real_jb, 1) == 0) {
		fn(in);
		memcpy(out, area + (tramp_out - tramp_start), sizeof(*out));
		syscall(SYS_arch_prctl, ARCH_SET_GS, 0);
		return 0;
	}
	/* Faulted: the trampoline never restored anything but the stack. */
	__asm__ volatile("pushq $0x202; popfq; vzeroupper");
	syscall(SYS_arch_prctl, ARCH_SET_GS, 0);
	*f = real_last;
	return -1;
}
